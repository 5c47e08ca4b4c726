"""The training facade: Keras's compile, fit, evaluate and predict for any graph.

``Trainer`` is mixed into ``Model``. It knows the model only through
``self._graph`` (forward and backward over the nodes), the input and output
names and shapes, and the leaf layers that hold weights; it never looks
inside a layer. Data for several inputs or outputs comes as lists or dicts
keyed by name and is turned into one array per input and per output, here,
once.
"""

import math
import warnings

import numpy as np

from kerasite import losses, metrics as metrics_module, optimizers, utils
from kerasite.callbacks.base import CallbackList
from kerasite.callbacks.history import History
from kerasite.callbacks.progress import ProgressBar
from kerasite.config import floatx
from kerasite.models import _inputs


class NotCompiledError(ValueError, RuntimeError):
    """Raised by fit/evaluate before ``compile`` (a RuntimeError, as in Keras)."""


class Trainer:
    """compile/fit/evaluate/predict over ``self._graph``; see ``Model``."""

    # Autoencoders set this: when ``y`` is omitted, the input is its own target.
    _input_is_target = False

    def __init__(self):
        self.stop_training = False
        self.history = None
        self.completed_epochs = 0
        self.optimizer = self.loss = None
        self.compiled = False
        self._metric_specs = []
        self._loss_weights = None
        self._grads_and_vars = None

    def _invalidate_training_state(self):
        self._grads_and_vars = None

    # ================================================================ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None):
        """Chooses the loss(es), the optimizer and the metrics to report.

        Call it again after changing a layer's ``trainable``: as in Keras, the
        weights to train are collected here.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``) or an
                optimizer instance (Keras's default is ``"rmsprop"``).
            loss: a loss name or instance; for several outputs, one loss for
                all, a list with one per output, or a dict keyed by output name.
            metrics: a list of metric names (``"accuracy"``, ``"mae"``,
                ``"mse"``) applied to every output, or a list of lists / a dict
                with one list per output.
            loss_weights: for several outputs, a list or dict of numbers: the
                total loss is the weighted sum of the outputs' losses.

        Example:
            >>> from kerasite import Sequential, layers
            >>> model = Sequential([layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
        """
        if loss is None:
            raise ValueError("`loss` is required, e.g. model.compile(optimizer='adam', loss='mse').")
        if isinstance(optimizer, str) and isinstance(loss, str) and \
                optimizer.lower() in losses._BY_NAME and loss.lower() in optimizers._BY_NAME:
            raise ValueError(
                f"compile() received optimizer={optimizer!r} and loss={loss!r}: they look swapped. "
                "The order is compile(optimizer, loss, metrics); pass them by keyword."
            )
        self.optimizer = optimizers.get(optimizer)
        self._loss_spec, self._loss_weights_spec = loss, loss_weights
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(
                f"`metrics` must be a list, such as ['accuracy']. Received: metrics={metrics!r}."
            )
        self._metrics_spec = metrics
        self.compiled = True
        self._grads_and_vars = None
        if self.built:
            self._resolve_compile()
        else:  # fail now on unknown names rather than at fit time
            self.loss = losses.get(loss) if not isinstance(loss, (list, dict)) else None
            for m in metrics if isinstance(metrics, (list, tuple)) else []:
                if not isinstance(m, (list, tuple)):
                    metrics_module.get(m, self.loss or losses.get("mse"), None)

    def _resolve_compile(self):
        """Matches losses, weights and metrics to the outputs (needs the graph)."""
        names = self.output_names
        n = len(names)
        self._losses = _per_output(self._loss_spec, names, "loss", losses.get, broadcast=True)
        self.loss = self._losses[0] if n == 1 else self._losses
        weights = self._loss_weights_spec
        if weights is None:
            self._loss_weights = [1.0] * n
        else:
            self._loss_weights = _per_output(weights, names, "loss_weights", _weight,
                                             broadcast=False)
        spec = self._metrics_spec
        if isinstance(spec, dict) or (spec and all(isinstance(m, (list, tuple)) for m in spec)
                                      and n > 1):
            per = _per_output(spec, names, "metrics", lambda m: list(m or []), broadcast=False)
        else:
            per = [list(spec)] * n
        for i, specs in enumerate(per):
            for m in specs:
                metrics_module.get(m, self._losses[i], None)
        self._metric_specs = per

    def _require_compiled(self, what):
        if not self.compiled:
            raise NotCompiledError(
                f"Model '{self.name}' is not compiled, so `{what}()` has no loss or optimizer: "
                "call `compile()` first, e.g. model.compile(optimizer='adam', loss='mse')."
            )

    def _training_setup(self):
        """Collects the weights to train (after ``trainable`` changes) and the graph plans."""
        if self._metric_specs is None or not hasattr(self, "_losses"):
            self._resolve_compile()
        self._reset_plans()
        leaves = self._leaf_layers()
        pairs = [(leaf.grads[key], leaf.params[key])
                 for leaf in leaves if leaf.trainable for key in leaf.grads]
        optimizer = self.optimizer
        ids = tuple(id(p) for _, p in pairs)
        if optimizer._slots is not None and getattr(optimizer, "_trained_ids", ids) != ids:
            # The trained set changed (a layer was frozen or thawed): the optimizer's
            # per-weight state no longer lines up, so it starts afresh, as a new one would.
            optimizer._slots = optimizer._scratch = None
        optimizer._trained_ids = ids
        self._grads_and_vars = pairs
        self._epoch_aware = [leaf for leaf in leaves if hasattr(leaf, "set_epoch")]
        # Weight penalties are added once per layer and step (a shared layer's too), and
        # constraints applied after each step, as Keras does.
        self._regularized = [leaf for leaf in leaves if leaf.trainable and leaf.regularizers]
        self._constrained = [leaf for leaf in leaves if leaf.trainable and leaf.constraints]
        self._fused = self._find_fused_outputs()
        self._plain_step = not (self._regularized or self._constrained or self._graph._activity
                                or any(act is not None for act in self._fused))

    def _find_fused_outputs(self):
        """For each output, the sigmoid/softmax whose logits its crossentropy can use, or None.

        Keras computes binary crossentropy after a sigmoid, and categorical or
        sparse categorical crossentropy after a softmax, from the logits: the
        loss stays exact where the probabilities saturate (19.7, not the 7.9
        that clipping gives) and a confidently wrong output still learns. So
        does kerasite, for the same pairs, with ``from_logits=False``.
        """
        from kerasite.layers import activations

        fused = []
        for tensor, loss in zip(self._graph.outputs, self._losses):
            layer = tensor.node.layer
            act = layer if isinstance(layer, activations._Elementwise) else \
                getattr(layer, "activation", None)
            if isinstance(act, activations.Activation):  # layers.Activation("softmax")
                act = act.activation
            wanted = activations.Sigmoid if type(loss) is losses.BinaryCrossentropy else \
                activations.Softmax if type(loss) in (losses.CategoricalCrossentropy,
                                                      losses.SparseCategoricalCrossentropy) \
                else None
            ok = wanted is not None and type(act) is wanted and not loss.from_logits and \
                getattr(act, "axis", -1) in (-1, len(tensor.shape) - 1) and \
                sum(node.layer is layer for node in self._graph.nodes) == 1
            fused.append(act if ok else None)
        return fused

    def _set_fused(self, on):
        for act in self._fused:
            if act is not None:
                act.fused_with_loss = on

    # ===================================================================== fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0):
        """Trains the model on ``(x, y)`` for a number of epochs.

        Each epoch visits every sample once, in mini-batches of ``batch_size``
        (the last may be smaller), in an order reshuffled every epoch from the
        model's seed and the epoch number. After each epoch the validation
        data, if any, is evaluated with dropout off and without touching the
        weights or the optimizer.

        Args:
            x: inputs, ``(samples, *features)``; for several inputs a list of
                arrays or a dict keyed by input name.
            y: targets, ``(samples, *outputs)``, or integer labels
                ``(samples,)`` for ``sparse_categorical_crossentropy``; for
                several outputs a list or a dict keyed by output name.
            batch_size: samples per gradient step (32 by default).
            epochs: index of the last epoch to train (with ``initial_epoch``,
                as in Keras: epochs ``initial_epoch .. epochs - 1`` run).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch;
                ``"auto"`` (the default, as in Keras) means 1.
            callbacks: list of ``Callback`` instances.
            validation_split: fraction in [0, 1) of the data held out for
                validation. As in Keras, it is the *last* fraction of ``x`` and
                ``y`` as given, taken before any shuffling: shuffle the data
                first if it is sorted.
            validation_data: ``(x_val, y_val)`` evaluated after every epoch.
            shuffle: reshuffle the batches every epoch.
            initial_epoch: epoch to start from (to resume a run).

        Returns:
            A ``History`` whose ``history`` dict holds ``"loss"``, each metric,
            and their ``"val_"`` versions, one value per epoch. With several
            outputs it also holds ``"<output>_loss"`` and
            ``"<output>_<metric>"``, as Keras names them.

        Raises:
            NotCompiledError: (a ValueError and RuntimeError) before ``compile``.
            ValueError, TypeError: for bad data or arguments; the message says
                what to fix.
        """
        self._require_compiled("fit")
        epochs = _inputs.check_positive_int(epochs, "epochs")
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        initial_epoch = _inputs.check_positive_int(initial_epoch, "initial_epoch", minimum=0)
        verbose = _check_verbose(verbose)
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
                or not 0 <= validation_split < 1:
            raise ValueError(
                "`validation_split` must be a number in [0, 1), the fraction of the data to "
                f"hold out. Received: validation_split={validation_split!r}."
            )
        xs, ys = self._prepare_xy(x, y)
        from kerasite import saving

        saving._warn_if_resuming_mid_epoch(self, initial_epoch)
        self._training_setup()
        if validation_split and validation_data is not None:
            raise ValueError("Pass either `validation_data` or `validation_split`, not both.")
        val = None
        n_all = len(xs[0])
        if validation_split:
            split = int(n_all * (1 - validation_split))
            if split == 0 or split == n_all:
                raise ValueError(
                    f"validation_split={validation_split} leaves "
                    f"{'no training' if split == 0 else 'no validation'} samples out of "
                    f"{n_all}. Use more data or another fraction."
                )
            val = ([a[split:] for a in xs], [a[split:] for a in ys])
            xs, ys = [a[:split] for a in xs], [a[:split] for a in ys]
        elif validation_data is not None:
            val = self._prepare_validation(validation_data)

        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        metrics = self._make_metrics(ys)
        # The keys every epoch's logs will hold: ModelCheckpoint checks its path against them.
        several = len(self.output_names) > 1
        log_keys = ["loss", *([f"{name}_loss" for name in self.output_names] if several else []),
                    *(m.name for m in metrics)]
        self._epoch_log_keys = log_keys + ["val_" + k for k in log_keys if val is not None]
        history = History()
        cbs = [*list(callbacks or []), history]
        if verbose:
            cbs.append(ProgressBar(verbose=int(verbose)))
        params = {"epochs": epochs, "steps": steps, "verbose": int(verbose),
                  "batch_size": batch_size, "samples": n}
        callback_list = CallbackList(cbs, model=self, params=params)
        self.history = history
        self.stop_training = False

        # A diverging run overflows; fit reports that itself (a warning, or
        # TerminateOnNaN), so NumPy's per-operation warnings are silenced here.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            epoch_logs = self._fit_loop(xs, ys, val, epochs, initial_epoch, batch_size, steps,
                                        shuffle, metrics, callback_list)
        callback_list.on_train_end(epoch_logs)
        return history

    def _fit_loop(self, xs, ys, val, epochs, initial_epoch, batch_size, steps, shuffle, metrics,
                  callback_list):
        """The epochs and batches of ``fit``; returns the last epoch's logs."""
        n = len(xs[0])
        # Batch buffers: each batch is gathered into the same arrays, not new copies.
        gathers = {id(a): _Gather(a) for a in (*xs, *ys)}  # an autoencoder's target is its input
        batch_logs = {}
        want_batch_hooks = callback_list.wants_batch_hooks
        epoch_logs = {}
        warned_nan = False
        callback_list.on_train_begin()
        train_step = self._train_step
        # BackupAndRestore may move the start to the epoch after its backup (as in Keras).
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        for epoch in range(initial_epoch, epochs):
            for layer in self._epoch_aware:
                layer.set_epoch(epoch)
            # One batch covers every sample, so its order would change nothing.
            order = utils.epoch_rng(self._seed, epoch).permutation(n) \
                if shuffle and steps > 1 else None
            callback_list.on_epoch_begin(epoch)
            # Plain attributes, set through __dict__: Model.__setattr__ (which finds a
            # subclassed model's layers) costs a call per epoch here for nothing.
            state = self.__dict__
            state["_epoch_in_progress"] = epoch  # a save now is marked mid-epoch
            for m in metrics:
                m.reset()
            sums, seen = None, 0
            for step in range(steps):
                start, stop = step * batch_size, min(n, (step + 1) * batch_size)
                if want_batch_hooks:
                    callback_list.on_train_batch_begin(step)
                if steps == 1:  # the whole data in one batch (XOR): no slicing at all
                    xb, yb = xs, ys
                elif order is None:
                    xb = [a[start:stop] for a in xs]
                    yb = [a[start:stop] for a in ys]
                else:
                    idx = order[start:stop]
                    batch = {key: gather(idx) for key, gather in gathers.items()}
                    xb = [batch[id(a)] for a in xs]
                    yb = [batch[id(a)] for a in ys]
                values, outs = train_step(xb, yb)
                k = stop - start
                if sums is None:
                    sums = [v * k for v in values]
                else:
                    for j, v in enumerate(values):
                        sums[j] += v * k
                seen = stop
                for m in metrics:
                    m.update(yb[m.output_index], outs[m.output_index])
                if want_batch_hooks:
                    batch_logs.update(self._loss_logs([s / seen for s in sums]))
                    for m in metrics:
                        batch_logs[m.name] = m.result()
                    callback_list.on_train_batch_end(step, batch_logs)
                    if self.stop_training:  # e.g. TerminateOnNaN: stop inside the epoch
                        break
            epoch_logs = self._loss_logs([s / seen for s in sums])
            for m in metrics:
                epoch_logs[m.name] = m.result()
            if not math.isfinite(epoch_logs["loss"]) and not warned_nan:
                warned_nan = True
                warnings.warn(
                    f"The training loss became {epoch_logs['loss']} in epoch {epoch + 1}; the "
                    "weights are no longer usable. Lower the learning rate, check the data, "
                    "or pass callbacks=[TerminateOnNaN()] to stop at the first bad batch.",
                    stacklevel=3,  # point at the user's call to fit
                )
            if val is not None:
                callback_list.on_test_begin()
                val_logs = self._evaluate_arrays(*val, batch_size, metrics, callback_list)
                callback_list.on_test_end(val_logs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            if seen == n:  # an epoch cut short (e.g. by TerminateOnNaN) is not completed
                state["completed_epochs"] = epoch + 1  # saved by checkpoints; resume here
                state["_epoch_in_progress"] = None
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        return epoch_logs

    def _train_step(self, xs, ys):
        """One gradient step on a batch; returns (the loss values, the predictions)."""
        graph = self._graph
        if self._plain_step:  # no fused loss, penalty or constraint: the lean path
            outs = graph.forward(xs, training=True)
            values, grads = self._losses_and_grads(ys, outs)
            graph.backward(grads, need_input_grad=False)
            self.optimizer.apply_gradients(self._grads_and_vars)
            return values, outs
        self._set_fused(True)  # only for this model's step: the layers may serve others
        try:
            outs = graph.forward(xs, training=True)
            values, grads = self._losses_and_grads(ys, outs)
            graph.backward(grads, need_input_grad=False)
        finally:
            self._set_fused(False)
        if self._regularized or graph._activity:
            # The loss Keras reports includes the regularization penalties.
            penalty = graph.activity_loss
            for layer in self._regularized:
                penalty += layer.regularization_penalty()
                layer.add_regularization_gradients()
            values = [values[0] + penalty, *values[1:]]
        self.optimizer.apply_gradients(self._grads_and_vars)
        for layer in self._constrained:
            layer.apply_constraints()
        return values, outs

    def _penalty(self, graph):
        """The regularization penalties for ``evaluate``'s loss (included, as in Keras)."""
        penalty = graph.activity_loss
        for leaf in self._leaf_layers():
            if leaf.regularizers:
                penalty += leaf.regularization_penalty()
        return penalty

    def _losses_and_grads(self, ys, outs):
        """[total, per-output losses...] and d total / d output for each output.

        For a fused output (see ``_find_fused_outputs``) the loss comes from
        the logits and its gradient is with respect to them.
        """
        if len(outs) == 1 and self._loss_weights[0] == 1.0:  # the common case, kept lean
            loss, act = self._losses[0], self._fused[0]
            value = loss.forward(ys[0], outs[0]) if act is None else \
                loss.forward_from_logits(ys[0], act.logits)
            return [value], [loss.backward()]
        values, grads, total = [], [], 0.0
        for loss, act, w, y, out in zip(self._losses, self._fused, self._loss_weights, ys, outs):
            v = loss.forward(y, out) if act is None else loss.forward_from_logits(y, act.logits)
            g = loss.backward()
            values.append(v)
            total += w * v
            grads.append(g if w == 1.0 else g * w)
        return [total, *values], grads

    def _loss_logs(self, values):
        if len(values) == 1:
            return {"loss": values[0]}
        logs = {"loss": values[0]}
        for name, v in zip(self.output_names, values[1:]):
            logs[f"{name}_loss"] = v
        return logs

    # ============================================================ data checks
    def _prepare_x(self, x, name="x", lazy=False):
        """One checked ``floatx()`` array per input, all with the same length.

        With ``lazy`` the arrays are checked but not cast: the caller casts
        each batch (``_inputs.cast``), so big integer data is never copied whole.
        """
        convert = _inputs.checked if lazy else _inputs.as_array
        if x is None:
            raise TypeError(f"`{name}` is required. Received: {name}=None.")
        names = self.input_names if self.built else None
        single = not self.built or self._single_input
        if single:
            if isinstance(x, dict) and names and len(x) == 1 and names[0] in x:
                x = x[names[0]]
            xs = [convert(x, name)]
        else:
            if isinstance(x, np.ndarray) or not isinstance(x, (list, tuple, dict)):
                raise ValueError(
                    f"Model '{self.name}' has {len(names)} inputs {names}: pass `{name}` as a "
                    "list of arrays in that order, or a dict keyed by those names."
                )
            raw = _data_list(x, names, name, "input")
            xs = [convert(v, f"{name}[{k!r}]") for v, k in zip(raw, names)]
        for i, a in enumerate(xs[1:], 1):
            _inputs.check_lengths(xs[0], a, f"{name}[{names[0]!r}]", f"{name}[{names[i]!r}]")
        self._check_input_shape(xs)
        return xs

    def _prepare_xy(self, x, y, x_name="x", y_name="y", lazy=False):
        xs = self._prepare_x(x, x_name, lazy)
        if self.compiled and getattr(self, "_losses", None) is None:
            self._resolve_compile()
        if y is None:
            if self._input_is_target:
                target = _inputs.as_array(xs[0], x_name) if lazy else xs[0]
                return xs, [self._check_targets(target, x_name, 0)]
            raise ValueError(
                f"`{y_name}` is required for {type(self).__name__}.fit/evaluate: pass the "
                "targets. (Only autoencoders use the input as its own target.)"
            )
        names = self.output_names
        if len(names) == 1:
            if isinstance(y, dict) and len(y) == 1 and names[0] in y:
                y = y[names[0]]
            raw = [y]
        else:
            if isinstance(y, np.ndarray) or not isinstance(y, (list, tuple, dict)):
                raise ValueError(
                    f"Model '{self.name}' has {len(names)} outputs {names}: pass `{y_name}` as a "
                    "list of arrays in that order, or a dict keyed by those names."
                )
            raw = _data_list(y, names, y_name, "output")
        ys = []
        for i, v in enumerate(raw):
            label = y_name if len(names) == 1 else f"{y_name}[{names[i]!r}]"
            a = _inputs.as_array(v, label)
            _inputs.check_lengths(xs[0], a, x_name, label)
            ys.append(self._check_targets(a, label, i))
        return xs, ys

    def _prepare_validation(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return self._prepare_xy(data[0], data[1], "validation_data[0]", "validation_data[1]")
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        if isinstance(data, (tuple, list)) or not self._input_is_target:
            raise ValueError(
                "`validation_data` must be a tuple (x_val, y_val). "
                f"Received: {type(data).__name__} of length "
                f"{len(data) if hasattr(data, '__len__') else '?'}."
            )
        return self._prepare_xy(data, None, "validation_data", "validation_data")

    def _check_input_shape(self, xs):
        shapes = [a.shape for a in xs]
        if not self.built:
            self.build(shapes[0] if len(shapes) == 1 else shapes)
            if self.compiled:
                self._resolve_compile()
            return
        expected = [self.input_shape] if self._single_input else self.input_shape
        for i, (s, e) in enumerate(zip(shapes, expected)):
            if s[1:] != tuple(e)[1:]:
                first = self._graph.inputs[i].node.layer
                consumers = [n.layer for n in self._graph.nodes if self._graph.inputs[i] in n.inputs]
                layer = consumers[0] if consumers else first
                raise ValueError(
                    f"Input to layer '{layer.name}' ({type(layer).__name__}) has the wrong shape: "
                    f"expected (batch, {', '.join(map(str, tuple(e)[1:]))}) as the model "
                    f"'{self.name}' was built for, received {tuple(s)}. Reshape the input or "
                    "build a new model for it."
                )

    def _check_targets(self, y, name, i):
        out = self._graph.outputs[i].shape
        loss = self._losses[i]
        if isinstance(loss, losses.SparseCategoricalCrossentropy):
            expected = (len(y), *out[1:-1])
            if y.shape == (*expected, 1):
                y = y.reshape(expected)
            if y.shape != expected:
                raise ValueError(
                    f"`{name}` has shape {y.shape}, but sparse_categorical_crossentropy needs one "
                    f"integer class index per sample: shape {expected}. "
                    + losses._label_hint(loss, y, np.empty((len(y), *out[1:])))
                )
            if not np.array_equal(y, np.round(y)) or y.min() < 0 or y.max() >= out[-1]:
                raise ValueError(
                    f"`{name}` must hold integer class indices in [0, {out[-1]}) for a model with "
                    f"{out[-1]} outputs. Received values from {y.min():g} to {y.max():g}."
                )
            return y
        expected = (len(y), *out[1:])
        if y.shape != expected and y.size == math.prod(expected) and out[-1] == 1:
            y = y.reshape(expected)  # labels (n,) for a single output unit, as Keras allows
        if y.shape != expected:
            raise ValueError(
                f"`{name}` has shape {y.shape}, but the model's output has shape {expected} and "
                f"{type(loss).__name__} compares them element by element. "
                + losses._label_hint(loss, y, np.empty(expected))
            )
        return y

    def _make_metrics(self, ys):
        made = []
        several = len(self._graph.outputs) > 1
        for i, specs in enumerate(self._metric_specs):
            for spec in specs:
                m = metrics_module.get(spec, self._losses[i], self._graph.outputs[i].shape,
                                       ys[i].shape)
                if several:
                    m.name = f"{self.output_names[i]}_{m.name}"
                m.output_index = i
                m.reset()
                made.append(m)
        return made

    # ====================================================== evaluate, predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, return_dict=False,
                 callbacks=None):
        """Returns the loss (and metrics) on ``(x, y)``, with dropout off.

        Args:
            x: inputs, as in ``fit``.
            y: targets, as in ``fit``.
            batch_size: samples per forward pass (32 by default).
            verbose: 0 silent; 1 a progress bar with the sample count (one
                line when output is not a terminal), 2 one line.
            return_dict: return ``{"loss": ..., metric: ...}`` instead.
            callbacks: callbacks whose ``on_test_*`` hooks run, batch hooks
                included.

        Returns:
            The loss as a float, or ``[loss, *metrics]`` when metrics were
            compiled (as Keras does), or a dict if ``return_dict``.
        """
        self._require_compiled("evaluate")
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        verbose = _check_verbose(verbose)
        # x is cast batch by batch (a uint8 memmap is never copied whole).
        xs, ys = self._prepare_xy(x, y, lazy=True)
        n = len(xs[0])
        cbs = list(callbacks or []) + ([ProgressBar(verbose=verbose)] if verbose else [])
        callback_list = CallbackList(cbs, model=self, params={
            "steps": math.ceil(n / batch_size), "samples": n, "verbose": verbose,
            "batch_size": batch_size})
        callback_list.on_test_begin()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = self._evaluate_arrays(xs, ys, batch_size, self._make_metrics(ys),
                                         callback_list, lazy=True)
        callback_list.on_test_end(logs)
        if not math.isfinite(logs["loss"]):
            warnings.warn(
                f"The loss on this data is {logs['loss']}: values overflowed {floatx()}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        if return_dict:
            return dict(logs)
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, xs, ys, batch_size, metrics, callback_list=None, lazy=False):
        """Loss and metrics over ``xs``, batch by batch; ``lazy`` x still needs casting."""
        for m in metrics:
            m.reset()
        graph = self._infer_graph
        regularized = any(leaf.regularizers for leaf in self._leaf_layers())
        hooks = callback_list is not None and callback_list.wants_test_batch_hooks
        if self._grads_and_vars is None:
            self._training_setup()  # which outputs are fused, and the penalties
        self._set_fused(True)
        try:
            logs = self._evaluate_batches(xs, ys, batch_size, metrics, callback_list, lazy,
                                          hooks, graph, regularized)
        finally:
            self._set_fused(False)
        self.clear_cache()
        return logs

    def _evaluate_batches(self, xs, ys, batch_size, metrics, callback_list, lazy, hooks, graph,
                          regularized):
        sums, n = None, len(xs[0])
        for step, start in enumerate(range(0, n, batch_size)):
            if hooks:
                callback_list.on_test_batch_begin(step)
            xb = [a[start:start + batch_size] for a in xs]
            if lazy:
                xb = [_inputs.cast(a, "x", start) for a in xb]
            yb = [a[start:start + batch_size] for a in ys]
            outs = graph.forward(xb, training=False)
            values = self._loss_values(yb, outs)
            if regularized or graph._activity:
                values = [values[0] + self._penalty(graph), *values[1:]]
            k = len(xb[0])
            sums = [v * k for v in values] if sums is None else \
                [s + v * k for s, v in zip(sums, values)]
            for m in metrics:
                m.update(yb[m.output_index], outs[m.output_index])
            if hooks:
                seen = start + k
                batch_logs = self._loss_logs([s / seen for s in sums])
                for m in metrics:
                    batch_logs[m.name] = m.result()
                callback_list.on_test_batch_end(step, batch_logs)
        logs = self._loss_logs([s / n for s in sums])
        for m in metrics:
            logs[m.name] = m.result()
        return logs

    def _loss_values(self, ys, outs):
        values = [loss.forward(y, out) if act is None else loss.forward_from_logits(y, act.logits)
                  for loss, act, y, out in zip(self._losses, self._fused, ys, outs)]
        if len(outs) == 1:
            return [values[0] * self._loss_weights[0]]
        return [sum(w * v for w, v in zip(self._loss_weights, values)), *values]

    def predict(self, x, batch_size=None, verbose=0, callbacks=None):
        """Returns the model's outputs for ``x``, computed batch by batch.

        Memory stays bounded by one batch of activations, and nothing is kept
        for a backward pass.

        Args:
            x: inputs, as in ``fit``.
            batch_size: samples per forward pass (32 by default).
            verbose: 0 (the default: quiet, see "Coming from Keras") or 1/2
                for a progress bar with the sample count.
            callbacks: callbacks whose ``on_predict_*`` hooks run, batch
                hooks included (``logs["outputs"]`` holds the batch's outputs).

        Returns:
            Array ``(samples, *outputs)`` in ``floatx()``; a list (or dict) of
            arrays for a model with several outputs.
        """
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        verbose = _check_verbose(verbose)
        xs = self._prepare_x(x, lazy=True)  # cast batch by batch: no whole float copy
        n = len(xs[0])
        cbs = list(callbacks or []) + ([ProgressBar(verbose=verbose)] if verbose else [])
        callback_list = CallbackList(cbs, model=self, params={
            "steps": math.ceil(n / batch_size), "samples": n, "verbose": verbose,
            "batch_size": batch_size})
        hooks = callback_list.wants_predict_batch_hooks
        results = None
        graph = self._infer_graph
        callback_list.on_predict_begin()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for step, start in enumerate(range(0, n, batch_size)):
                if hooks:
                    callback_list.on_predict_batch_begin(step)
                outs = graph.forward([_inputs.cast(a[start:start + batch_size], "x", start)
                                      for a in xs], training=False)
                if results is None:
                    results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
                for r, o in zip(results, outs):
                    r[start:start + len(o)] = o
                if hooks:
                    batch = [r[start:start + len(outs[0])] for r in results]
                    callback_list.on_predict_batch_end(
                        step, {"outputs": batch[0] if len(batch) == 1 else batch})
        self.clear_cache()
        callback_list.on_predict_end()
        if not all(np.isfinite(r).all() for r in results):
            warnings.warn(
                f"Some predictions are NaN or infinite: values overflowed {results[0].dtype}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        return self._pack_outputs(results)

    def __call__(self, inputs, training=False, **kwargs):
        from kerasite.layers.symbolic import is_symbolic

        if is_symbolic(inputs):
            return self._call_symbolic(inputs)
        if isinstance(inputs, (list, tuple)) and self.built and not self._single_input:
            xs = self._prepare_x(inputs)
            return self.forward(xs, bool(training))
        return self.forward(_inputs.as_array(inputs, "inputs"), bool(training))

    def train_on_batch(self, x, y=None):
        """Takes one gradient step on one batch.

        Args:
            x: inputs, ``(batch, *features)`` (or a list/dict for several).
            y: targets, as in ``fit`` (omitted for an autoencoder).

        Returns:
            The batch's loss, or ``[loss, *metrics]`` when metrics were compiled.
        """
        self._require_compiled("train_on_batch")
        xs, ys = self._prepare_xy(x, y)
        if self._grads_and_vars is None:
            self._training_setup()
        metrics = self._make_metrics(ys)
        values, outs = self._train_step(xs, ys)
        for m in metrics:
            m.update(ys[m.output_index], outs[m.output_index])
        results = [*values, *(m.result() for m in metrics)]
        return results[0] if len(results) == 1 else results

    def test_on_batch(self, x, y=None):
        """The loss (and metrics) on one batch, without updating anything.

        Args:
            x: inputs, ``(batch, *features)`` (or a list/dict for several).
            y: targets, as in ``fit`` (omitted for an autoencoder).

        Returns:
            The loss, or ``[loss, *metrics]`` when metrics were compiled.
        """
        self._require_compiled("test_on_batch")
        xs, ys = self._prepare_xy(x, y)
        logs = self._evaluate_arrays(xs, ys, len(xs[0]), self._make_metrics(ys))
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ================================================================ summary
    def summary(self, print_fn=None, expand_nested=False):
        """Prints a table of the layers, their output shapes and parameter counts.

        Args:
            print_fn: function called with each line (default ``print``).
            expand_nested: also list the layers inside nested models, indented.

        Raises:
            NotBuiltError: before the model is built.

        Example:
            >>> from kerasite import Sequential, Input, layers
            >>> Sequential([Input((4,)), layers.Dense(2, name="out")], name="tiny").summary()
            Model: "tiny"
            +------------------------------+----------------------+------------+
            | Layer (type)                 | Output Shape         |    Param # |
            +==============================+======================+============+
            | out (Dense)                  | (None, 2)            |         10 |
            +------------------------------+----------------------+------------+
             Total params: 10
             Trainable params: 10
             Non-trainable params: 0
        """
        self._require_built("summary()")
        print_fn = print_fn or print
        rows = []

        def add_rows(model, indent):
            for layer in model.layers:
                shape = _layer_output_shape(layer)
                rows.append((f"{indent}{layer.name} ({type(layer).__name__})", shape,
                             f"{layer.count_params():,}"))
                if expand_nested and hasattr(layer, "_graph") and layer.layers:
                    add_rows(layer, indent + "  ")

        add_rows(self, "")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in
                  enumerate(("Layer (type)", "Output Shape", "Param #"))]
        widths = [max(w, m) for w, m in zip(widths, (28, 20, 10))]
        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

        def line(cells):
            return "| " + cells[0].ljust(widths[0]) + " | " + cells[1].ljust(widths[1]) + \
                " | " + cells[2].rjust(widths[2]) + " |"

        total = self.count_params()
        trainable = int(sum(w.size for w in self.trainable_weights))
        print_fn(f'Model: "{self.name}"')
        print_fn(rule)
        print_fn(line(("Layer (type)", "Output Shape", "Param #")))
        print_fn(rule.replace("-", "="))
        for row in rows:
            print_fn(line(row))
        print_fn(rule)
        print_fn(f" Total params: {total:,}")
        print_fn(f" Trainable params: {trainable:,}")
        print_fn(f" Non-trainable params: {total - trainable:,}")

    # ========================================================== compile config
    def get_compile_config(self):
        """The compile settings as a JSON-safe dict, or ``None`` before ``compile``."""
        if not self.compiled:
            return None
        if self.built and getattr(self, "_losses", None) is None:
            self._resolve_compile()
        spec = self._loss_spec
        if isinstance(spec, dict):
            loss = {k: losses.serialize(losses.get(v)) for k, v in spec.items()}
        elif isinstance(spec, (list, tuple)):
            loss = [losses.serialize(losses.get(v)) for v in spec]
        else:
            loss = losses.serialize(losses.get(spec))
        config = {"optimizer": optimizers.serialize(self.optimizer), "loss": loss,
                  "metrics": _plain_metrics(self._metrics_spec)}
        if self._loss_weights_spec is not None:
            config["loss_weights"] = self._loss_weights_spec
        return config

    # ================================================================= saving
    def save(self, filepath):
        """Saves the architecture, weights, compile settings and training state.

        The file (``.kerasite``, a zip of JSON and ``.npz`` archives) is written
        atomically: a crash mid-save leaves any previous file intact. Reload it
        with ``kerasite.models.load_model``; see ``kerasite.saving.save_model``.

        Args:
            filepath: a path ending in ``.kerasite``.

        Raises:
            ValueError: for another extension.
            OSError: if the file cannot be written (a previous file is kept).
        """
        from kerasite import saving

        saving.save_model(self, filepath)

    def save_weights(self, filepath):
        """Saves only the weights, atomically; reload with ``load_weights``.

        Args:
            filepath: a path ending in ``.weights.npz``.

        Raises:
            ValueError: for another extension, or before the model is built.
            OSError: if the file cannot be written (a previous file is kept).
        """
        from kerasite import saving

        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Loads weights saved by ``save_weights`` (or ``save``) into this model.

        Args:
            filepath: a ``.weights.npz`` or ``.kerasite`` file.

        Raises:
            OSError: if the file is missing, truncated or corrupted.
            ValueError: if a weight is missing, extra or misshapen; the model
                is then left unchanged.
        """
        from kerasite import saving

        saving.load_weights(self, filepath)


# ===================================================================== helpers
def _check_verbose(verbose):
    """0, 1 or 2; Keras's ``"auto"`` (its default) means 1."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}.")
    return int(verbose)


def _per_output(spec, names, what, convert, broadcast):
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"`{what}` has keys {unknown} that are not output names; the "
                             f"model's outputs are {names}.")
        missing = [k for k in names if k not in spec]
        if missing:
            raise ValueError(f"`{what}` has no entry for output(s) {missing}; give one per "
                             f"output of {names}.")
        return [convert(spec[k]) for k in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(f"`{what}` has {len(spec)} entries but the model has {n} outputs "
                             f"{names}: give one per output (or a dict keyed by name).")
        return [convert(v) for v in spec]
    if not broadcast and n > 1:
        raise ValueError(f"`{what}` must be a list or dict with one entry per output {names}.")
    return [convert(spec) for _ in range(n)]


def _weight(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"`loss_weights` must hold non-negative numbers. Received {value!r}.")
    return float(value)


def _data_list(data, names, arg, kind):
    if isinstance(data, dict):
        missing = [k for k in names if k not in data]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise ValueError(
                f"`{arg}` is a dict whose keys must be the model's {kind} names {names}. "
                f"Missing: {missing}; unknown: {unknown}."
            )
        return [data[k] for k in names]
    if len(data) != len(names):
        raise ValueError(
            f"`{arg}` has {len(data)} arrays but the model has {len(names)} {kind}s {names}: "
            "pass one array per " + kind + "."
        )
    return list(data)


def _plain_metrics(spec):
    if isinstance(spec, dict):
        return {k: _plain_metrics(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_plain_metrics(m) if isinstance(m, (list, tuple)) else m
                for m in spec if isinstance(m, (str, list, tuple))]
    return spec if isinstance(spec, str) else []


def _layer_output_shape(layer):
    if hasattr(layer, "_graph") and layer.built:
        shape = layer.output_shape
    elif getattr(layer, "shape", None) is not None and not layer.params and \
            type(layer).__name__ == "InputLayer":
        shape = (None, *layer.shape)
    else:
        try:
            shape = layer.output_shape
        except (ValueError, AttributeError):
            return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_str(s) for s in shape)
    return _shape_str(shape)


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


class _Gather:
    """Copies rows ``idx`` of ``data`` into a reused buffer: one per batch size."""

    def __init__(self, data):
        self.data = data
        self.buffers = {}

    def __call__(self, idx):
        buf = self.buffers.get(len(idx))
        if buf is None:
            buf = self.buffers[len(idx)] = np.empty((len(idx), *self.data.shape[1:]),
                                                    self.data.dtype)
        return np.take(self.data, idx, axis=0, out=buf)
