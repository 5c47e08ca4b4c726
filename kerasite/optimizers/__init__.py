"""Optimizers: update weights in place from their gradients.

An optimizer receives ``(gradient, variable)`` pairs (a
:class:`~kerasite.Variable`, or a plain array) and changes each variable's
array in place (``-=``). Its state (momentum, moment estimates, the step
count) belongs to the variables ``build`` was given; ``apply_gradients``
builds it with ``zeros_like`` on the first step, and ``get_state``/
``set_state`` expose it so a saved run resumes exactly.

The update rules follow Keras 3's formulas (each class's docstring gives its
own), with ``g`` the gradient, ``lr`` the learning rate and ``t`` the step
number counted from 1. Each step runs in Keras's order: the gradients are
clipped (``clipnorm``, ``clipvalue`` or ``global_clipnorm``), the weights
decay (``weight_decay``: ``p -= lr * wd * p``), then the update rule runs.
``learning_rate`` may be a schedule from :mod:`kerasite.optimizers.schedules`,
evaluated at the number of steps already taken.

* SGD: ``p -= lr g``; with momentum ``v = m v - lr g; p += v``; Nesterov
  ``v = m v - lr g; p += m v - lr g``.
* RMSprop: ``s = rho s + (1 - rho) g**2; p -= lr g / sqrt(s + eps)``.
* Adam: ``m += (1 - b1)(g - m); v += (1 - b2)(g**2 - v);
  p -= lr sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.
* AdamW, Adamax, Nadam, Adagrad, Adadelta, Lamb, Lion, Ftrl, Adafactor: see
  their classes (Lamb's and Adafactor's rules take norms per weight,
  ``elementwise = False``).
"""

import math
import warnings

import numpy as np

from kerasite import _keras2, _registry
from kerasite._validation import number
from kerasite.backend.kernels import adam_moments, adam_step, sgd_step
from kerasite.optimizers import _flat, schedules
from kerasite.variables import Variable


class Optimizer:
    """Base class. Subclasses implement ``_update(p, g, lr, slots, step)``.

    ``_update`` runs once per weight, or once over all of them when the
    weights and gradients lie in two 1-D buffers (as a model packs them for
    training; see ``kerasite/optimizers/_flat.py``): an elementwise rule reads
    the same either way. A rule that is not elementwise (one that takes a
    norm of each weight, as Lamb) sets ``elementwise = False`` and always
    gets one weight at a time.

    The per-weight state (the slots) belongs to the variables ``build`` was
    given, in their order; ``apply_gradients`` builds it on first use.

    Every optimizer takes Keras 3's common arguments.

    Args:
        learning_rate: the step size, a number >= 0, or a
            :class:`~kerasite.optimizers.schedules.LearningRateSchedule`
            evaluated at ``iterations``.
        weight_decay: if set, each weight first shrinks by
            ``p -= lr * weight_decay * p`` (decoupled weight decay, as Keras 3).
        clipnorm: rescale each gradient whose L2 norm exceeds it to that norm
            (per weight).
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: rescale all gradients together so that their joint
            L2 norm is at most this. Only one of the three clippings can be set.
        use_ema: keep an exponential moving average of the weights, updated
            after every step: ``avg = ema_momentum * avg + (1 - ema_momentum) * p``
            (``avg = p`` on the first step). ``finalize_variable_values``, which
            ``fit`` calls at its end, writes the averages into the weights.
        ema_momentum: the momentum of that average (default 0.99), in [0, 1].
        ema_overwrite_frequency: if set (an int >= 1), the weights are also
            replaced by their averages every this many steps.
        loss_scale_factor: if set, ``fit`` (and ``scale_loss``) multiply the
            loss by it, and each step divides the gradients by it first.
        gradient_accumulation_steps: if set (an int >= 2), the gradients of
            that many calls are summed and their mean applied on every that
            many-th call; the calls in between leave the weights and the state
            unchanged. ``iterations`` counts the updates, as in Keras.
        name: the optimizer's name; by default the snake-case class name,
            made unique (``"adam"``, ``"adam_1"``, ...), as in Keras.

    Attributes:
        iterations: the number of steps taken so far.
        learning_rate: the current learning rate, a float (the schedule's value
            at ``iterations`` when there is one). A float learning rate can be
            set, e.g. by ``ReduceLROnPlateau``.
    """

    _slot_names = ()
    # Whether ``_update`` may run once over all the weights in one buffer.
    elementwise = True

    def __new__(cls, *args, **kwargs):
        # Keras 2's names (lr, decay) get an error naming the Keras 3 argument.
        _keras2.check_init(cls, kwargs, _keras2.OPTIMIZER)
        return super().__new__(cls)

    def __init__(self, learning_rate=0.01, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        self._learning_rate = _learning_rate(learning_rate)
        self.weight_decay = None if weight_decay is None else _non_negative(
            "weight_decay", weight_decay)
        self.clipnorm = None if clipnorm is None else _positive("clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive("clipvalue", clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else _positive(
            "global_clipnorm", global_clipnorm)
        given = [k for k in ("clipnorm", "clipvalue", "global_clipnorm")
                 if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: {', '.join(f'{k}={getattr(self, k)}' for k in given)}."
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = number(ema_momentum, "ema_momentum", 0, 1)
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else _count(
            "ema_overwrite_frequency", ema_overwrite_frequency, 1)
        self.loss_scale_factor = None if loss_scale_factor is None else _positive(
            "loss_scale_factor", loss_scale_factor)
        self.gradient_accumulation_steps = None if gradient_accumulation_steps is None else \
            _count("gradient_accumulation_steps", gradient_accumulation_steps, 2)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string or None. Received: name={name!r} of type "
                            f"{type(name).__name__}.")
        self.name = _auto_name(type(self).__name__) if name is None else name
        self._accumulated = 0  # gradients summed since the last update (accumulation)
        self.iterations = 0
        self._variables = None  # what build() was given, in order
        self._index = {}  # variable (id of a raw array) -> its position in _variables
        self._slots = None  # {slot name: [array per weight]}, made on the first step
        self._scratch = None
        self._flat_slots = self._flat_scratch = None  # the same state as 1-D buffers
        self._slot_views = None
        self._flat_for = self._flat = None
        self._arrays = None  # [(gradient, weight)] as arrays, for the pairs in _flat_for
        self._clipped = None
        self._pair_state = None  # (slots, scratch, clip buffers) of the pairs in _flat_for

    # ----------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate of the next step, a float."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            # Keras evaluates a schedule at its count of calls, accumulating ones included.
            steps = self.gradient_accumulation_steps
            calls = self.iterations * steps + self._accumulated if steps else self.iterations
            return float(lr(calls))
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and \
                not isinstance(value, schedules.LearningRateSchedule):
            raise TypeError(
                f"This optimizer's learning rate follows the schedule {self._learning_rate!r}, "
                f"so it cannot be set to {value!r}. Create the optimizer with a float "
                "`learning_rate` to set it (e.g. from ReduceLROnPlateau), or assign another "
                "schedule."
            )
        self._learning_rate = _learning_rate(value)

    # ----------------------------------------------------------------- stepping
    @property
    def built(self):
        """Whether the per-weight state exists (``build`` ran, or a first step)."""
        return self._slots is not None

    def build(self, variables):
        """Creates the per-weight state (the slots) for ``variables``, as Keras 3's.

        ``apply_gradients`` calls it on its first step; call it yourself to
        have the slots before training. Building again starts afresh.

        Args:
            variables: the weights to train, :class:`~kerasite.Variable` s (or
                arrays), in the order ``apply_gradients`` will receive them.

        Example:
            >>> import numpy as np
            >>> from kerasite import Variable
            >>> w = Variable(np.ones(3), name="w")
            >>> opt = Adam()
            >>> opt.build([w])
            >>> opt.get_state()["m/0"]
            array([0., 0., 0.])
        """
        self._build(list(variables))

    def _built_for(self, variables):
        """Whether the state belongs to exactly these variables, in this order."""
        built = self._variables
        return built is not None and len(built) == len(variables) and \
            all(a is b for a, b in zip(built, variables))

    def _unbuild(self):
        """Drops the per-weight state: the next step builds it for its variables."""
        self._variables = self._slots = self._scratch = None
        self._flat_for = self._flat = self._arrays = None

    def _get_variable_index(self, variable):
        """The position of ``variable`` in the state (Keras's name for this look-up)."""
        index = self._index.get(_key(variable))
        if index is None or self._variables[index] is not variable:
            raise KeyError(f"This optimizer was not built for the variable "
                           f"{getattr(variable, 'path', type(variable).__name__)!r}.")
        return index

    def apply(self, grads, trainable_variables=None):
        """Updates ``trainable_variables`` in place from ``grads``, as Keras 3's ``apply``.

        Args:
            grads: one gradient per variable: an array, a ``Tensor`` from a
                ``GradientTape``, or ``None`` for a variable the loss does not
                reach (skipped with a warning, as Keras does).
            trainable_variables: the :class:`~kerasite.Variable` s, in the
                order of ``grads``; by default those ``build`` was given.

        Raises:
            ValueError: if every gradient is None, if the lengths differ, or if
                the optimizer was built for other variables.

        Example:
            >>> import numpy as np
            >>> from kerasite import Variable
            >>> w = Variable(np.array([1.0, 2.0]))
            >>> SGD(learning_rate=0.5).apply([np.array([1.0, 1.0])], [w])
            >>> w.numpy()
            array([0.5, 1.5])
        """
        grads = list(grads)
        if trainable_variables is None:
            if self._variables is None:
                raise ValueError("`trainable_variables` is required before the optimizer is "
                                 "built: call optimizer.apply(grads, variables), or "
                                 "optimizer.build(variables) first.")
            trainable_variables = self._variables
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"`grads` and `trainable_variables` must have the same length. "
                             f"Received: {len(grads)} gradients for {len(variables)} "
                             "variables.")
        self.apply_gradients(list(zip(grads, variables)))

    def apply_gradients(self, grads_and_vars):
        """Updates each ``var`` in place from its ``grad``.

        In Keras's order: clip the gradients, apply the weight decay, then the
        update rule, all with the learning rate at the current ``iterations``;
        then count the step. The state is built on the first call, for the
        variables given then; later calls may give a subset of them.

        Args:
            grads_and_vars: iterable of ``(gradient, variable)`` pairs, each
                variable a :class:`~kerasite.Variable` (or an array, updated in
                place), each gradient an array or a ``Tensor`` (``None`` for a
                variable the loss does not reach: skipped with a warning, as in
                Keras).

        Raises:
            ValueError: if every gradient is None, or if the variables are not
                the ones the optimizer was built for.
        """
        pairs = grads_and_vars if isinstance(grads_and_vars, list) else list(grads_and_vars)
        if self._slots is None:  # for every variable given, a None gradient's too (Keras)
            self._build([p for _, p in pairs])
        if pairs is not self._flat_for:  # the trainer's own list passes this once
            pairs = _usable_pairs(pairs)
        arrays, flat = self._pair_arrays(pairs)
        lr = self.learning_rate
        updates_before = self.iterations
        grads = None  # the gradients as given, unless unscaled or accumulated
        if self.loss_scale_factor is not None or self.gradient_accumulation_steps:
            grads = self._unscaled_mean(arrays, flat)
        if grads is not False:  # False: gradients accumulated, no update on this call
            self._update_weights(arrays, flat, grads, lr)
        if self.use_ema:
            self._update_average(updates_before)

    def _update_weights(self, arrays, flat, grads, lr):
        """Weight decay, then the rule, with ``grads`` = ``(flat, per weight)`` or None."""
        if self.weight_decay:
            for p in [flat[1]] if flat else [p for _, p in arrays]:
                p -= (lr * self.weight_decay) * p  # decoupled: p -= lr wd p
        self.iterations += 1
        self._begin_step()
        step_lr = self._step_learning_rate(lr)
        update = self._update
        slot_views, scratch, clipped = self._pair_state
        if grads is None:  # the gradients as given (listed only when they are used so)
            flat_grad = flat[0] if flat is not None else None
            grads = [g for g, _ in arrays] if flat is None or clipped is not None else None
        else:
            flat_grad, grads = grads
        if clipped is None:  # no clipping: the gradients as they are
            if flat is not None:  # all weights in one buffer: one pass over all of them
                update(flat[1], flat_grad, step_lr, self._flat_slots, self._flat_scratch)
                return
            for g, (_, p), slots, step in zip(grads, arrays, slot_views, scratch):
                update(p, g, step_lr, slots, step)
            return
        grads = self._clip(grads, clipped)
        for g, (_, p), slots, step in zip(grads, arrays, slot_views, scratch):
            update(p, g, step_lr, slots, step)

    def _unscaled_mean(self, arrays, flat):
        """The gradients divided by ``loss_scale_factor``, averaged over the accumulated calls.

        Returns:
            ``(flat gradient or None, [gradient per weight])`` for an update, or
            ``False`` when the gradients were only added to the accumulators
            (not yet ``gradient_accumulation_steps`` calls).
        """
        scale, steps = self.loss_scale_factor, self.gradient_accumulation_steps
        if flat is not None:
            given = [(flat[0], (self._flat_slots or {}).get("gradient_accumulator"))]
        else:
            given = [(g, slots.get("gradient_accumulator"))
                     for (g, _), slots in zip(arrays, self._pair_state[0])]
        if steps and self._accumulated + 1 < steps:
            for g, acc in given:
                acc += g if scale is None else g / scale
            self._accumulated += 1
            return False
        out = []
        for g, acc in given:
            g = g if scale is None else g / scale
            if steps:
                g = g + acc
                g /= steps  # the mean over the accumulated calls
                acc[...] = 0
            out.append(g)
        self._accumulated = 0
        if flat is not None:
            return out[0], _pieces(out[0], [p for _, p in arrays])
        return None, out

    def _update_average(self, updates_before):
        """The moving average of every weight; every N steps written into the weights."""
        momentum = self.ema_momentum if updates_before else 0.0  # the first step: avg = p
        for v, avg in zip(self._variables, self._slots["average"]):
            p = _array(v)
            avg *= momentum
            avg += (1 - momentum) * p
        every = self.ema_overwrite_frequency
        if every and (updates_before + 1) % every == 0:
            for v, avg in zip(self._variables, self._slots["average"]):
                _array(v)[...] = avg

    def finalize_variable_values(self, var_list):
        """Writes the moving averages into the weights (``use_ema``), as Keras at fit's end.

        Args:
            var_list: the variables the optimizer was built for, in that order.

        Raises:
            ValueError: if ``var_list`` is not as long as the built variables.
        """
        if not self.use_ema or self._slots is None:
            return
        averages = self._slots["average"]
        var_list = list(var_list)
        if len(var_list) != len(averages):
            raise ValueError(
                f"`var_list` must hold the {len(averages)} variables this optimizer was built "
                f"for. Received: {len(var_list)} variables. Pass model.trainable_weights.")
        for v, avg in zip(var_list, averages):
            _array(v)[...] = avg

    def scale_loss(self, loss):
        """``loss * loss_scale_factor``, or ``loss`` without a factor (Keras's ``scale_loss``)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _scale_gradients(self, grads_and_vars):
        """Multiplies the gradients, in place, by ``loss_scale_factor``: those of the scaled loss.

        The trainer calls it before ``apply_gradients``, which divides them again.
        """
        if self.loss_scale_factor is not None:
            for g, _ in grads_and_vars:
                if g is not None:
                    g *= self.loss_scale_factor

    def _build(self, params):
        """Creates the state: each slot (and the scratch) is one buffer, viewed per weight."""
        self._variables = list(params)
        self._index = {_key(v): i for i, v in enumerate(self._variables)}
        self._accumulated = 0
        params = [_array(p) for p in params]
        dtypes = {p.dtype for p in params}
        # The options' slots first, then the rule's, as Keras lists them.
        names = ("average",) * self.use_ema + \
            ("gradient_accumulator",) * bool(self.gradient_accumulation_steps) + \
            tuple(self._slot_names)
        if len(dtypes) == 1:
            total = sum(p.size for p in params)
            like = np.empty(total, dtype=params[0].dtype)
            self._flat_scratch = like
            self._flat_slots = {name: self._option_slot_init(name, like) for name in names}
            self._scratch = _pieces(like, params)
            self._slots = {name: _pieces(flat, params) for name, flat in self._flat_slots.items()}
        else:  # mixed dtypes: an array per weight
            self._flat_scratch = self._flat_slots = None
            self._scratch = [np.empty_like(p) for p in params]
            self._slots = {name: [self._option_slot_init(name, p) for p in params]
                           for name in names}
        self._slot_views = [{name: arrays[i] for name, arrays in self._slots.items()}
                            for i in range(len(params))]
        # The clipped gradient needs its own buffer: ``_update`` overwrites the scratch
        # array while it still reads ``g``.
        clipping = self.clipnorm or self.clipvalue or self.global_clipnorm
        self._clipped = [np.empty_like(p) for p in params] if clipping else None
        self._flat_for = self._flat = self._arrays = None

    def _pair_arrays(self, pairs):
        """``pairs`` as ``[(gradient, weight)]`` arrays, and as two 1-D buffers or None.

        A model's trained weights and gradients are packed into two buffers
        (``_flat.pack``); then one update over each buffer replaces one per
        weight. Checked once per list of pairs (the trainer passes the same
        list at every step, and a new one after the weights move).
        """
        if pairs is not self._flat_for:
            built = self._variables
            if len(pairs) > len(built):
                raise ValueError(
                    f"This optimizer was built for {len(built)} weights and now received "
                    f"{len(pairs)}. Use one optimizer per model, or a new one."
                )
            # Arrays (not Variables) are matched by position, Variables by identity.
            whole = len(pairs) == len(built) and all(
                p is b or not isinstance(p, Variable) for (_, p), b in zip(pairs, built))
            if whole:
                self._pair_state = (self._slot_views, self._scratch, self._clipped)
            else:  # a subset (gradients that were None left out), found by variable
                self._pair_state = self._subset_state(pairs)
            arrays = [(_array(g), _array(p)) for g, p in pairs]
            flat = None
            if whole and self._flat_slots is not None and self.elementwise:
                grads = _flat.span([g for g, _ in arrays])
                params = _flat.span([p for _, p in arrays])
                if grads is not None and params is not None and \
                        params.dtype == self._flat_scratch.dtype == grads.dtype:
                    flat = (grads, params)
            self._flat_for, self._arrays, self._flat = pairs, arrays, flat
        return self._arrays, self._flat

    def _subset_state(self, pairs):
        """The slots, scratch and clip buffers of the variables of ``pairs``, in their order."""
        built, index = self._variables, []
        for i, (_, p) in enumerate(pairs):
            k = self._index.get(_key(p))
            if k is None or built[k] is not p:
                b = built[i] if i < len(built) else None
                raise ValueError(
                    f"This optimizer was built for other variables: weight {i} is "
                    f"'{getattr(b, 'path', 'an array')}', and it now received "
                    f"'{getattr(p, 'path', 'an array')}'. Use one optimizer per model, or call "
                    "build() with the new variables.")
            index.append(k)
        clipped = None if self._clipped is None else [self._clipped[k] for k in index]
        return ([self._slot_views[k] for k in index], [self._scratch[k] for k in index],
                clipped)

    def _slot_init(self, name, p):
        return np.zeros_like(p)

    def _option_slot_init(self, name, p):
        """The options' slots (``average``, ``gradient_accumulator``) start at zero."""
        return self._slot_init(name, p) if name in self._slot_names else np.zeros_like(p)

    def _begin_step(self):
        """Once per step, after ``iterations`` is counted (Nadam's running product)."""

    def _step_learning_rate(self, lr):
        return lr

    def _clip(self, grads, clipped):
        if self.clipnorm is not None:
            return [self._clip_norm(g, out) for g, out in zip(grads, clipped)]
        if self.clipvalue is not None:
            return [np.clip(g, -self.clipvalue, self.clipvalue, out=out)
                    for g, out in zip(grads, clipped)]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            clip = self.global_clipnorm
            if norm <= clip:
                return grads
            # scale = clip / norm; NaN for a non-finite norm, as in Keras
            scale = clip / norm if math.isfinite(norm) else math.nan
            return [np.multiply(g, scale, out=out) for g, out in zip(grads, clipped)]
        return grads

    def _clip_norm(self, g, out):
        norm = math.sqrt(float(np.vdot(g, g)))
        if norm <= self.clipnorm:
            return g
        return np.multiply(g, self.clipnorm / norm, out=out)

    def _update(self, p, g, lr, slots, step):
        """One step of the rule for weight ``p`` (or the buffer of all weights).

        Args:
            p: the weight, updated in place.
            g: its gradient.
            lr: the learning rate of this step (``_step_learning_rate``'s).
            slots: ``{slot name: array}``, the state of ``p``, updated in place.
            step: a scratch array shaped like ``p``.
        """
        raise NotImplementedError

    # -------------------------------------------------------------------- state
    def get_state(self):
        """Everything a resume needs: the step count and the slot arrays.

        Returns:
            ``{"iterations": int, "<slot>/<i>": array, ...}``, copies (for
            Adam, ``"m/0"``, ``"v/0"``, ... one per weight; Nadam adds the
            0-d array ``"u_product"``; ``use_ema`` adds ``"average/<i>"``, and
            ``gradient_accumulation_steps`` adds ``"gradient_accumulator/<i>"``
            and the 0-d ``"accumulated_steps"``, the calls summed since the
            last update).
        """
        state = {"iterations": self.iterations}
        for name, arrays in (self._slots or {}).items():
            for i, a in enumerate(arrays):
                state[f"{name}/{i}"] = a.copy()
        state.update(self._scalar_state())
        if self.gradient_accumulation_steps:  # the calls summed since the last update
            state["accumulated_steps"] = np.array(float(self._accumulated))
        return state

    def _scalar_state(self):
        return {}

    def _set_scalar_state(self, state):
        pass

    def set_state(self, state, params):
        """Restores ``get_state()``'s output for the weights ``params``.

        Args:
            state: a dict from ``get_state``.
            params: the weights the state belongs to, in ``apply_gradients`` order.

        Raises:
            ValueError: if a slot is missing or has the wrong shape.
        """
        self._build(params)
        self.iterations = int(state["iterations"])
        for name, arrays in self._slots.items():
            for i, a in enumerate(arrays):
                key = f"{name}/{i}"
                if key not in state:
                    raise ValueError(f"Optimizer state is missing '{key}'.")
                value = np.asarray(state[key])
                if value.shape != a.shape:
                    raise ValueError(
                        f"Optimizer state '{key}' has shape {value.shape}; the weight it "
                        f"belongs to has shape {a.shape}."
                    )
                a[...] = value
        self._set_scalar_state(state)
        if self.gradient_accumulation_steps:
            done = float(np.asarray(state.get("accumulated_steps", 0.0)))
            if not (done.is_integer() and 0 <= done < self.gradient_accumulation_steps):
                raise ValueError(
                    f"Optimizer state 'accumulated_steps' must be a whole number in "
                    f"[0, {self.gradient_accumulation_steps}). Received: {done}.")
            self._accumulated = int(done)

    # ------------------------------------------------------------------- config
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        config = self.get_config()
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            config["learning_rate"] = self._learning_rate
        config.pop("name")
        for key, default in _OPTION_DEFAULTS.items():  # the options only when set
            if config.get(key) == default:
                del config[key]
        args = ", ".join(f"{k}={v!r}" for k, v in config.items()
                         if v is not None or k == "learning_rate")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Args:
        learning_rate: step size (default 0.01); 0 is allowed, as in Keras.
        momentum: ``m`` in ``v = m v - lr g``; 0 means plain SGD.
        nesterov: use Nesterov momentum.

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> SGD(learning_rate=0.1).apply_gradients([(g, w)]); w
        array([0.95])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.momentum = number(momentum, "momentum", 0, 1)
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

    def _update(self, p, g, lr, slots, step):
        if not self.momentum:
            sgd_step(p, g, lr, step)
            return
        np.multiply(g, -lr, out=step)  # step = -lr g
        v = slots["momentum"]
        v *= self.momentum
        v += step  # v = m v - lr g
        if self.nesterov:
            step += self.momentum * v
        else:
            step = v
        p += step

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides the step by a running root mean square of recent gradients.

    ``s = rho s + (1 - rho) g**2``; centered also tracks ``a = rho a + (1 - rho) g``
    and uses ``s - a**2``; ``inc = lr g / sqrt(s + eps)``; with momentum
    ``v = momentum v + inc; p -= v``, else ``p -= inc``.

    Args:
        learning_rate: step size (default 0.001).
        rho: decay of the running average of ``g**2`` (default 0.9).
        momentum: momentum on the increments (default 0).
        epsilon: added to the running average under the root, for stability
            (default 1e-7).
        centered: divide by an estimate of the gradient's variance instead of
            its second moment.

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> RMSprop(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.6838])
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.rho = _fraction("rho", rho)
        self.momentum = _fraction("momentum", momentum)
        self.epsilon = _positive("epsilon", epsilon)
        self.centered = bool(centered)
        self._slot_names = ("velocity",) + (("momentum",) if self.momentum else ()) \
            + (("average_gradient",) if self.centered else ())

    def _update(self, p, g, lr, slots, step):
        s = slots["velocity"]
        s *= self.rho
        np.multiply(g, g, out=step)
        step *= 1 - self.rho
        s += step  # s = rho s + (1 - rho) g^2
        if self.centered:
            a = slots["average_gradient"]
            a *= self.rho
            a += (1 - self.rho) * g  # a = rho a + (1 - rho) g
            np.multiply(a, a, out=step)
            np.subtract(s, step, out=step)
            step += self.epsilon  # s - a^2 + eps
        else:
            np.add(s, self.epsilon, out=step)
        np.sqrt(step, out=step)  # sqrt(s + eps), as Keras does
        np.divide(g, step, out=step)
        step *= lr
        if self.momentum:
            v = slots["momentum"]
            v *= self.momentum
            v += step  # v = momentum v + inc
            step = v
        p -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class _TwoMoments(Optimizer):
    """What Adam, Adamax and Nadam share: two decay rates and an epsilon."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.beta_1 = _fraction("beta_1", beta_1)
        self.beta_2 = _fraction("beta_2", beta_2)
        self.epsilon = _positive("epsilon", epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adam(_TwoMoments):
    """Adam: momentum on the gradient and on its square, with bias correction.

    ``m += (1 - b1)(g - m); v += (1 - b2)(g**2 - v)``; with amsgrad
    ``v_hat = max(v_hat, v)`` replaces ``v``;
    ``p -= lr sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: decay of the first-moment estimate (default 0.9).
        beta_2: decay of the second-moment estimate (default 0.999).
        epsilon: added to the root for stability (default 1e-7).
        amsgrad: use the running maximum of ``v`` (AMSGrad).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Adam(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.9])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clipnorm, clipvalue,
                         global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency,
                         loss_scale_factor, gradient_accumulation_steps, name)
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def _step_learning_rate(self, lr):
        t = self.iterations
        return lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def _update(self, p, g, lr, slots, step):
        if not self.amsgrad:
            adam_step(p, g, slots["m"], slots["v"], step, lr, self.beta_1, self.beta_2,
                      self.epsilon)
            return
        m, v = slots["m"], slots["v"]
        adam_moments(g, m, v, step, self.beta_1, self.beta_2)
        v = np.maximum(slots["v_hat"], v, out=slots["v_hat"])  # AMSGrad: the running max
        np.sqrt(v, out=step)
        step += self.epsilon
        np.divide(m, step, out=step)
        step *= lr
        p -= step

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay, on by default (``weight_decay=0.004``).

    Each step first shrinks every weight, ``p -= lr * weight_decay * p``, then
    takes the Adam step; unlike an L2 penalty, the decay is not rescaled by
    Adam's second moments.

    Args:
        learning_rate: step size (default 0.001).
        weight_decay: the decay rate (default 0.004).
        beta_1: as for :class:`Adam`.
        beta_2: as for :class:`Adam`.
        epsilon: as for :class:`Adam`.
        amsgrad: as for :class:`Adam`.
        clipnorm: as for every optimizer (see :class:`Optimizer`).
        clipvalue: as for every optimizer.
        global_clipnorm: as for every optimizer.

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.0])
        >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(g, w)]); w
        array([0.95])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        if weight_decay is None:
            raise ValueError("AdamW needs a `weight_decay` (a number >= 0). Received: "
                             "weight_decay=None. Use Adam for no weight decay.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm,
                         clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency,
                         loss_scale_factor, gradient_accumulation_steps, name)


class Adamax(_TwoMoments):
    """Adam with the infinity norm: ``u = max(b2 u, |g|)`` instead of ``v``.

    ``m += (1 - b1)(g - m); u = max(b2 u, |g|);
    p -= lr m / ((1 - b1**t)(u + eps))``.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the infinity norm (default 0.999).
        epsilon: added to ``u`` for stability (default 1e-7).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Adamax(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.9])
    """

    _slot_names = ("m", "u")

    def _update(self, p, g, lr, slots, step):
        m, u = slots["m"], slots["u"]
        m += (1 - self.beta_1) * (g - m)
        u *= self.beta_2
        np.maximum(u, np.abs(g, out=step), out=u)  # u = max(b2 u, |g|)
        np.add(u, self.epsilon, out=step)
        step *= 1 - self.beta_1**self.iterations
        np.divide(m, step, out=step)
        step *= lr
        p -= step


class Nadam(_TwoMoments):
    """Adam with Nesterov momentum, with Keras's momentum schedule.

    With ``mu_t = b1 (1 - 0.96**t / 2)`` and ``prod_t = mu_1 ... mu_t``:
    ``m_hat = mu_{t+1} m / (1 - prod_t mu_{t+1}) + (1 - mu_t) g / (1 - prod_t)``,
    ``v_hat = v / (1 - b2**t)``, ``p -= lr m_hat / (sqrt(v_hat) + eps)``.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the second moment (default 0.999).
        epsilon: added to the root for stability (default 1e-7).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Nadam(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.8937])
    """

    _slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clipnorm, clipvalue,
                         global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency,
                         loss_scale_factor, gradient_accumulation_steps, name)
        self._u_product = 1.0

    def _mu(self, t):
        return self.beta_1 * (1 - 0.5 * 0.96**t)

    def _begin_step(self):
        self._u_product *= self._mu(self.iterations)  # prod_t, once per step

    def _update(self, p, g, lr, slots, step):
        m, v = slots["m"], slots["v"]
        t, prod = self.iterations, self._u_product
        mu, mu_next = self._mu(t), self._mu(t + 1)
        m += (1 - self.beta_1) * (g - m)
        np.multiply(g, g, out=step)
        step -= v
        step *= 1 - self.beta_2
        v += step  # v += (1 - b2)(g^2 - v)
        np.divide(v, 1 - self.beta_2**t, out=step)
        np.sqrt(step, out=step)
        step += self.epsilon  # sqrt(v_hat) + eps
        m_hat = m * (mu_next / (1 - prod * mu_next)) + g * ((1 - mu) / (1 - prod))
        np.divide(m_hat, step, out=step)
        step *= lr
        p -= step

    def _scalar_state(self):
        return {"u_product": np.array(self._u_product)}

    def _set_scalar_state(self, state):
        if "u_product" not in state:
            raise ValueError("Optimizer state is missing 'u_product'.")
        self._u_product = float(state["u_product"])

    def _build(self, params):
        super()._build(params)
        self._u_product = 1.0


class Adagrad(Optimizer):
    """Divides by the root of the sum of all past squared gradients.

    ``acc += g**2; p -= lr g / sqrt(acc + eps)``, with ``acc`` starting at
    ``initial_accumulator_value``.

    Args:
        learning_rate: step size (default 0.001).
        initial_accumulator_value: the starting value of ``acc`` (default 0.1).
        epsilon: added under the root (default 1e-7).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.3])
        >>> Adagrad(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.9312])
    """

    _slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.initial_accumulator_value = _non_negative("initial_accumulator_value",
                                                       initial_accumulator_value)
        self.epsilon = _positive("epsilon", epsilon)

    def _slot_init(self, name, p):
        return np.full_like(p, self.initial_accumulator_value)

    def _update(self, p, g, lr, slots, step):
        acc = slots["accumulator"]
        np.multiply(g, g, out=step)
        acc += step  # acc += g^2
        np.add(acc, self.epsilon, out=step)
        np.sqrt(step, out=step)
        np.divide(g, step, out=step)
        step *= lr
        p -= step

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Scales each step by the ratio of running RMS of past steps and of gradients.

    ``Eg = rho Eg + (1 - rho) g**2;
    d = -sqrt(Ed + eps) g / sqrt(Eg + eps); Ed = rho Ed + (1 - rho) d**2;
    p += lr d``.

    Args:
        learning_rate: step size (default 0.001).
        rho: decay of both running averages (default 0.95).
        epsilon: added under the roots (default 1e-7).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Adadelta(learning_rate=1.0).apply_gradients([(g, w)]); w.round(6)
        array([0.998586])
    """

    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.rho = _fraction("rho", rho)
        self.epsilon = _positive("epsilon", epsilon)

    def _update(self, p, g, lr, slots, step):
        eg, ed = slots["accumulated_grad"], slots["accumulated_delta_var"]
        rho, eps = self.rho, self.epsilon
        eg *= rho
        eg += (1 - rho) * g * g  # Eg = rho Eg + (1 - rho) g^2
        np.divide(np.sqrt(ed + eps), np.sqrt(eg + eps), out=step)
        step *= g
        np.negative(step, out=step)  # d = -sqrt(Ed + eps) g / sqrt(Eg + eps)
        ed *= rho
        ed += (1 - rho) * step * step  # Ed = rho Ed + (1 - rho) d^2
        step *= lr
        p += step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Lamb(_TwoMoments):
    """Adam's step rescaled per weight by the ratio of norms (layer-wise adaptive moments).

    ``m += (1 - b1)(g - m); v += (1 - b2)(g**2 - v);
    u = (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps);
    p -= lr * r * u`` with the trust ratio ``r = ||p|| / ||u||`` (1 if either
    norm is 0), the norms taken over each whole weight: the rule is not
    elementwise, so it never runs over all the weights' buffer at once.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the second moment (default 0.999).
        epsilon: added to the root for stability (default 1e-7).

    ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` work as
    for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([3.0, 4.0]), np.array([0.5, 0.0])
        >>> Lamb(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([2.5, 4. ])
    """

    _slot_names = ("m", "v")
    _nonnegative_slots = ("v",)
    elementwise = False

    def _update(self, p, g, lr, slots, step):
        t = self.iterations
        m, v = slots["m"], slots["v"]
        adam_moments(g, m, v, step, self.beta_1, self.beta_2)
        np.divide(v, 1 - self.beta_2**t, out=step)
        np.sqrt(step, out=step)
        step += self.epsilon  # sqrt(v_hat) + eps
        np.divide(m, step, out=step)
        step /= 1 - self.beta_1**t  # u = m_hat / (sqrt(v_hat) + eps)
        w_norm, u_norm = math.sqrt(float(np.vdot(p, p))), math.sqrt(float(np.vdot(step, step)))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        step *= lr * ratio
        p -= step


class Lion(Optimizer):
    """The sign of an interpolated momentum: every element moves by ``lr`` (evolved sign momentum).

    ``p -= lr sign(b1 m + (1 - b1) g)``, then ``m = b2 m + (1 - b2) g``. The
    steps are as large as SGD's largest, so Lion takes a learning rate 3-10
    times smaller than AdamW's.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: the weight of the momentum in the step's sign (default 0.9),
            in (0, 1].
        beta_2: decay of the momentum (default 0.99).

    The other arguments work as for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0, 1.0]), np.array([0.5, -2.0])
        >>> Lion(learning_rate=0.1).apply_gradients([(g, w)]); w
        array([0.9, 1.1])
    """

    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.beta_1 = number(beta_1, "beta_1", 0, 1, inclusive=(False, True),
                             fix="At 0 Lion would be sign SGD.")
        self.beta_2 = number(beta_2, "beta_2", 0, 1)

    def _update(self, p, g, lr, slots, step):
        m = slots["momentum"]
        np.multiply(m, self.beta_1, out=step)
        step += (1 - self.beta_1) * g
        np.sign(step, out=step)
        step *= lr
        p -= step  # p -= lr sign(b1 m + (1 - b1) g)
        m *= self.beta_2
        m += (1 - self.beta_2) * g

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    """Follow the regularized leader, with L1 and L2 penalties (McMahan et al., 2013).

    With ``n`` the sum of squared gradients (from ``initial_accumulator_value``),
    ``z`` the linear term and ``k = -learning_rate_power``:
    ``n' = n + g**2; z += g + 2 l2s p - (n'**k - n**k) / lr * p;
    p = (clip(z, -l1, l1) - z) / (n'**k / lr + 2 (l2 + beta / (2 lr)))``,
    so ``p = 0`` where ``|z| <= l1``.

    Args:
        learning_rate: step size (default 0.001).
        learning_rate_power: how the step shrinks with ``n``, <= 0 (default
            -0.5; 0 for a fixed step).
        initial_accumulator_value: the starting ``n``, >= 0 (default 0.1).
        l1_regularization_strength: ``l1`` above, >= 0 (default 0).
        l2_regularization_strength: ``l2`` above, >= 0 (default 0).
        l2_shrinkage_regularization_strength: ``l2s``, an L2 penalty added to
            the gradient, >= 0 (default 0).
        beta: ``beta`` of the paper, added to the L2 term (default 0).

    The other arguments work as for every optimizer (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Ftrl(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.381])
    """

    _slot_names = ("accumulator", "linear")
    _nonnegative_slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.learning_rate_power = number(learning_rate_power, "learning_rate_power",
                                          None, 0, expected="a number <= 0")
        self.initial_accumulator_value = _non_negative("initial_accumulator_value",
                                                       initial_accumulator_value)
        self.l1_regularization_strength = _non_negative("l1_regularization_strength",
                                                        l1_regularization_strength)
        self.l2_regularization_strength = _non_negative("l2_regularization_strength",
                                                        l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = _non_negative(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
        self.beta = _non_negative("beta", beta)

    def _slot_init(self, name, p):
        fill = self.initial_accumulator_value if name == "accumulator" else 0.0
        return np.full_like(p, fill)

    def _update(self, p, g, lr, slots, step):
        n, z = slots["accumulator"], slots["linear"]
        k = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2 * lr)
        np.multiply(g, g, out=step)
        step += n  # n' = n + g^2
        z += g
        if self.l2_shrinkage_regularization_strength:
            z += (2 * self.l2_shrinkage_regularization_strength) * p
        z -= (np.power(step, k) - np.power(n, k)) / lr * p
        n[...] = step
        np.power(step, k, out=step)
        step /= lr
        step += 2 * l2  # the quadratic term
        np.divide(np.clip(z, -l1, l1) - z, step, out=p)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Adafactor(Optimizer):
    """Adam-like steps from factored second moments: a row and a column mean per matrix.

    With ``t`` the step, ``b = 1 - t**beta_2_decay`` and ``s = g**2 + epsilon_1``:
    a weight of 2 or more dimensions keeps ``r = b r + (1 - b) mean(s, -1)``
    and ``c = b c + (1 - b) mean(s, -2)`` (over its last two axes), and
    ``v = (r / mean(r, -1))[..., None] * c[..., None, :]``; a smaller weight
    keeps ``v = b v + (1 - b) s`` itself. Then ``u = g / sqrt(v)``,
    ``u /= max(1, rms(u) / clip_threshold)`` and
    ``p -= max(epsilon_2, rms(p)) * min(lr, 1 / sqrt(t)) * u``. The root mean
    squares are taken per weight, so the rule is not elementwise.

    Args:
        learning_rate: step size (default 0.001), capped at ``1 / sqrt(t)``.
        beta_2_decay: the decay exponent of the second moments (default -0.8).
        epsilon_1: added to the squared gradient (default 1e-30).
        epsilon_2: the smallest weight scale (default 1e-3).
        clip_threshold: the largest root mean square of a step before the
            weight scale (default 1.0); this clipping is Adafactor's own,
            independent of ``clipnorm``, ``clipvalue`` and ``global_clipnorm``.
        relative_step: cap a float learning rate at ``1 / sqrt(t)`` (default
            True). Keras caps it in the step either way, so the argument is kept
            for its configs.

    The other arguments work as for every optimizer (see :class:`Optimizer`).
    The slots are ``r``, ``c`` (0-d placeholders for a weight of fewer than
    2 dimensions, as in Keras) and ``velocity``.

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0, 1.0]), np.array([0.5, -2.0])
        >>> Adafactor(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.9, 1.1])
    """

    _slot_names = ("velocity",)
    _nonnegative_slots = ("r", "c", "velocity")
    elementwise = False

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name)
        self.beta_2_decay = number(beta_2_decay, "beta_2_decay")
        self.epsilon_1 = _non_negative("epsilon_1", epsilon_1)
        self.epsilon_2 = _non_negative("epsilon_2", epsilon_2)
        self.clip_threshold = _positive("clip_threshold", clip_threshold)
        self.relative_step = bool(relative_step)

    def _build(self, params):
        super()._build(params)
        arrays = [_array(p) for p in params]
        rows = [np.zeros(a.shape[:-1] if a.ndim >= 2 else (), a.dtype) for a in arrays]
        cols = [np.zeros(a.shape[:-2] + a.shape[-1:] if a.ndim >= 2 else (), a.dtype)
                for a in arrays]
        self._slots = {"r": rows, "c": cols, **self._slots}  # Keras's order: r, c, velocity
        self._slot_views = [{name: slot[i] for name, slot in self._slots.items()}
                            for i in range(len(arrays))]

    def _update(self, p, g, lr, slots, step):
        t = self.iterations
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(self.epsilon_2, math.sqrt(float(np.vdot(p, p)) / max(p.size, 1))) * rho
        np.multiply(g, g, out=step)
        step += self.epsilon_1  # s = g^2 + eps1
        b = 1 - t**self.beta_2_decay
        v = slots["velocity"]
        if p.ndim >= 2:
            r, c = slots["r"], slots["c"]
            r *= b
            r += (1 - b) * step.mean(axis=-1)
            c *= b
            c += (1 - b) * step.mean(axis=-2)
            np.multiply((r / r.mean(axis=-1, keepdims=True))[..., None], c[..., None, :], out=v)
        else:
            v *= b
            v += (1 - b) * step
        np.sqrt(v, out=step)
        np.divide(g, step, out=step)  # u = g / sqrt(v)
        rms = math.sqrt(float(np.vdot(step, step)) / max(step.size, 1))
        step *= alpha / max(1.0, rms / self.clip_threshold)
        p -= step

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _usable_pairs(pairs):
    """``pairs`` with Tensor gradients as arrays and None gradients left out (with a warning).

    The same list when nothing changes, so that the trainer's list stays the
    one the optimizer recognizes.

    Raises:
        ValueError: if every gradient is None.
    """
    missing = [p for g, p in pairs if g is None]
    if not missing and all(type(g) is np.ndarray for g, _ in pairs):
        return pairs
    if missing and len(missing) == len(pairs):
        raise ValueError("No gradients provided for any variable: every gradient is None. "
                         "Check that the loss depends on the variables (computed inside "
                         "the GradientTape, from ops).")
    if missing:
        names = [getattr(p, "path", "an array") for p in missing]
        warnings.warn(f"Gradients do not exist for variables {names} when minimizing the "
                      "loss; they are left unchanged. If using model.compile(), did you "
                      "forget to provide a `loss` argument?", UserWarning, stacklevel=3)
    return [(np.asarray(g), p) for g, p in pairs if g is not None]


def _key(x):
    """A variable keys the state itself; a raw array (not hashable) by its identity."""
    return x if isinstance(x, Variable) else id(x)


def _array(x):
    """The live array of a variable; an array as it is."""
    return x.value if isinstance(x, Variable) else x


def _pieces(flat, like):
    """Views into the 1-D ``flat``, one shaped like each array of ``like``, in order."""
    pieces, start = [], 0
    for a in like:
        pieces.append(flat[start:start + a.size].reshape(a.shape))
        start += a.size
    return pieces


def _learning_rate(value):
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    return number(value, "learning_rate", 0, expected="a number >= 0 or a "
                  "kerasite.optimizers.schedules schedule")


def _positive(name, value):
    return number(value, name, 0, inclusive=(False, True))


def _non_negative(name, value):
    return number(value, name, 0)


def _fraction(name, value):
    return number(value, name, 0, 1, inclusive=(True, False))


def _count(name, value, least):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"`{name}` must be an integer >= {least} or None. Received: "
                         f"{name}={value!r}.")
    return int(value)


_OPTION_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99}
_name_counts = {}


def _auto_name(class_name):
    """Keras's default optimizer name: the snake-case class name, then ``_1``, ``_2``, ..."""
    base = _registry.snake_case(class_name)
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adamw": AdamW, "adamax": Adamax,
            "nadam": Nadam, "adagrad": Adagrad, "adadelta": Adadelta, "lamb": Lamb,
            "lion": Lion, "ftrl": Ftrl, "adafactor": Adafactor}
_REGISTRY = _registry.Registry(
    "optimizer", Optimizer, classes=_BY_NAME.values(), names=_BY_NAME,
    hint="or pass an instance such as kerasite.optimizers.SGD(learning_rate=0.1)",
    accepts_none=False)  # compile needs an optimizer
register = _REGISTRY.register


def get(identifier):
    """Returns an optimizer from a name, a config dict or an instance.

    Names give the Keras defaults: ``"sgd"`` (lr 0.01), ``"adam"``,
    ``"adamw"``, ``"adamax"``, ``"nadam"``, ``"adagrad"``, ``"adadelta"``,
    ``"lamb"``, ``"lion"``, ``"ftrl"``, ``"adafactor"`` and ``"rmsprop"`` (lr 0.001).

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("adam")
        Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)
    """
    return _REGISTRY.get(identifier)


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read."""
    return _REGISTRY.serialize(optimizer)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes."""
    return _REGISTRY.deserialize(config)
