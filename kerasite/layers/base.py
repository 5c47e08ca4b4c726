"""The ``Layer`` base class: the contract every layer follows.

A layer's life, as in Keras:

1. ``__init__`` checks and stores its settings. No weights yet.
2. ``build(input_shape)`` creates the weights, once the size of the input is
   known. It runs by itself on the first ``forward``.
3. ``forward(x, training)`` checks the input's feature shape against the shape
   the layer was built for, then runs ``call``, the layer's own maths, which
   caches only what ``backward`` needs.
4. ``backward(grad_output)`` writes the gradients of the weights into
   ``grads`` and returns the gradient with respect to the layer's input.

Each weight is a :class:`~kerasite.Variable` that the layer owns (``add_weight``
makes it, ``layer.weights`` lists them). ``params`` and ``grads`` map a
weight's key to the variable's *live* array and to its gradient slot: an
optimizer updates ``params[key]`` in place from ``grads[key]``. Training may
move the arrays into one flat buffer (``kerasite/optimizers/_flat.py``); the
variables follow, and so do ``params`` and ``grads``, which read them on
every lookup. Layer code reads ``variable.value`` on each call rather than
keeping the array.
"""

import contextlib
import functools
import inspect
from collections.abc import Mapping

import numpy as np

from kerasite import _keras2, constraints, initializers, regularizers
from kerasite._registry import snake_case
from kerasite.config import floatx
import kerasite.layers._tape as _tape
from kerasite.layers.symbolic import Node, SymbolicTensor, is_symbolic
from kerasite.ops import core as _ops_core
from kerasite.utils import EagerArray
from kerasite.variables import Variable

_name_counts = {}
# The names of the models building their layers right now, outermost first: a
# weight's path starts with them, as Keras's name scopes do ("sequential/dense/kernel").
_scopes = []


@contextlib.contextmanager
def _name_scope(name):
    """Puts ``name`` in front of the paths of the weights created inside the block."""
    _scopes.append(name)
    try:
        yield
    finally:
        _scopes.pop()


def _auto_name(cls_name):
    # Keras's snake case: "Dense" -> "dense", "ReLU" -> "re_lu", "LeakyReLU" -> "leaky_re_lu".
    base = snake_case(cls_name)
    _name_counts[base] = _name_counts.get(base, 0) + 1
    n = _name_counts[base]
    return base if n == 1 else f"{base}_{n - 1}"


class NotBuiltError(ValueError, AttributeError):
    """Raised when a layer or model is used before its weights exist."""


class Layer:
    """Base class of all layers.

    Subclasses implement ``call(x, training)`` and ``backward(grad_output,
    need_input_grad=True)``, and ``build(input_shape)`` if they have weights.

    Args:
        name: a name for the layer; made from the class name if omitted.
        trainable: whether optimizers update this layer's weights.
        input_shape: the shape of one sample, for the first layer of a model.
        activity_regularizer: a regularizer of the layer's output (a name
            such as ``"l2"``, or an object from ``kerasite.regularizers``).

    Attributes:
        params: mapping key -> weight array (live: it reads the variables).
        grads: mapping key -> gradient array, for the trainable weights.
        built: whether ``build`` has run.
        input_shape: ``(None, *features)`` the layer was built for.
        regularizers: dict weight name -> regularizer, e.g. ``{"W": L2()}``.
        constraints: dict weight name -> constraint, e.g. ``{"W": MaxNorm()}``.
        activity_regularizer: the output's regularizer, or ``None``.
    """

    # Attributes that ``forward`` caches for ``backward``; ``clear_cache`` drops them.
    _cache_attrs = ()
    # Whether the layer passes a mask on (a model drops the mask at a layer that does not).
    supports_masking = False
    # Keras's weight name -> kerasite's key in ``params`` (and in saved files), where
    # they differ, e.g. Dense's {"kernel": "W", "bias": "b"}.
    _weight_keys = {}

    def __new__(cls, *args, **kwargs):
        # Keras 1 and 2 names (init=, border_mode=, ...) get an error naming Keras 3's.
        _keras2.check_init(cls, kwargs, _keras2.LAYER)
        return super().__new__(cls)

    def __init__(self, name=None, trainable=True, input_shape=None, activity_regularizer=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}.")
        self.name = name or _auto_name(type(self).__name__)
        self.trainable = bool(trainable)
        # As in Keras, the first layer of a Sequential may declare its input shape.
        self.declared_input_shape = None if input_shape is None else tuple(input_shape)
        self.built = False
        self._variables = {}  # key -> Variable, in creation order
        self.params = _LiveValues(self._variables)
        self.grads = _LiveGrads(self._variables)
        self.input_shape = None
        self._workspaces = {}
        self._inbound_nodes = []  # one Node per call on symbolic tensors
        # Weight name -> regularizer / constraint, e.g. {"W": L2(0.01)}; see regularization_penalty.
        self.regularizers = {}
        self.constraints = {}
        self.activity_regularizer = regularizers.get(activity_regularizer)

    # ----------------------------------------------------------------- lifecycle
    def build(self, input_shape):
        """Creates the weights for inputs of ``input_shape`` = ``(batch, *features)``.

        Subclasses with weights override it, create them with ``add_weight``,
        and end with ``super().build(input_shape)``.

        Args:
            input_shape: ``(batch, *features)``; the batch size may be ``None``.
        """
        self.input_shape = _batchless(input_shape)
        self.built = True

    def forward(self, x, training=False):
        """Runs the layer on a batch ``x`` of shape ``(batch, *features)``.

        Builds the layer on first use, then checks that the features of ``x``
        have the shape it was built for.

        Args:
            x: input array, ``(batch, *features)``.
            training: ``True`` while fitting; dropout is only active then.

        Returns:
            The output array. During training it may live in a buffer that the
            next ``forward(..., training=True)`` call reuses: copy it to keep it.
        """
        uses_tape = type(self).__dict__.get("_call_uses_tape")
        if uses_tape or (uses_tape is None and _uses_tape(type(self))):
            return _tape.autodiff_forward(self, x, training)  # a call without backward
        if not self.built:
            self.ensure_built(x.shape)
        elif x.shape[1:] != self.input_shape[1:] and not _fits(x.shape, self.input_shape):
            self._raise_shape_mismatch(x.shape)
        takes = type(self).__dict__.get("_call_takes_training")
        if takes or (takes is None and _takes_training(type(self))):
            return self.call(x, training)
        return self.call(x)  # a custom call(self, inputs) without `training`, as Keras allows

    def ensure_built(self, input_shape):
        """Builds the layer for ``input_shape``, or checks it matches the built one.

        This is the one shared shape check: a mismatch raises a ValueError
        naming the layer, the expected and the received shape.
        """
        if _is_shape_structure(input_shape):  # several inputs: a list or dict of shapes
            if not self.built:
                self.build(input_shape)
                if self.input_shape is None:
                    self.input_shape = _batchless(input_shape)
                self.built = True
            return
        input_shape = tuple(input_shape)
        if self.built:
            if input_shape[1:] != self.input_shape[1:] and not _fits(input_shape,
                                                                     self.input_shape):
                self._raise_shape_mismatch(input_shape)
            return
        self.build(input_shape)
        if self.input_shape is None:  # a subclass's build did not call super().build
            self.input_shape = (None, *input_shape[1:])
        self.built = True

    def clear_cache(self):
        """Drops what ``forward`` kept for ``backward`` (``predict`` calls it)."""
        for attr in self._cache_attrs:
            self.__dict__.pop(attr, None)

    def __call__(self, inputs, training=False, **kwargs):
        """Calls the layer, on data or on symbolic tensors.

        On arrays it runs ``forward``. On ``SymbolicTensor`` s (from
        ``kerasite.Input`` or another layer's call) it computes nothing: it
        builds the layer for the input shape, records a node in the graph and
        returns symbolic outputs of the inferred shape. A shape that does not
        fit raises here, naming the layer.

        On data, as in Keras, a mask given as ``mask=`` or carried by the input
        (``x._keras_mask``) goes to a layer whose ``forward`` takes one, and the
        output carries its own mask, ``(batch, timesteps)`` booleans, as
        ``._keras_mask`` (``Embedding(mask_zero=True)(ids)._keras_mask`` is
        ``ids != 0``).

        Example:
            >>> import kerasite
            >>> from kerasite import layers
            >>> x = kerasite.Input((784,))
            >>> layers.Dense(32)(x).shape
            (None, 32)
        """
        if is_symbolic(inputs):
            return self._call_symbolic(inputs)
        # As in Keras, a mask comes as `mask=` or on the input (`x._keras_mask`, which a
        # masking layer's eager output carries); a layer whose forward takes one gets it.
        mask = kwargs.get("mask")
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        run = None
        if mask is not None and _takes_mask(type(self)):
            run = functools.partial(self.forward, training=bool(training), mask=mask)
        if _ops_core._RECORDING:  # one node of the tape (see kerasite/layers/_tape.py)
            out = _tape.call_recorded(self, inputs, bool(training), run)
        else:  # an EagerArray has .numpy(), as tf's eager tensors
            out = EagerArray.wrap(run(inputs) if run else self.forward(inputs, bool(training)))
        if mask is not None or getattr(self, "makes_mask", False):
            out_mask = self.compute_mask(inputs, mask)  # the output's, as Keras attaches it
            if out_mask is not None and isinstance(out, np.ndarray):
                if type(out) is np.ndarray:  # a recorded call that no tape tracks
                    out = out.view(EagerArray)
                out._keras_mask = EagerArray.wrap(out_mask)
        return out

    def _call(self, x, training):
        """``call(x, training)``, or ``call(x)`` for a ``call`` that takes no ``training``."""
        if _takes_training(type(self)):
            return self.call(x, training)
        return self.call(x)

    def _uses_tape(self):
        """Whether ``call`` is differentiated by a tape: it has no ``backward`` of its own."""
        return _uses_tape(type(self))

    def _call_symbolic(self, inputs):
        multi = isinstance(inputs, (list, tuple, dict))
        keys = list(inputs) if isinstance(inputs, dict) else None
        tensors = list(inputs.values()) if keys is not None else \
            list(inputs) if multi else [inputs]
        for t in tensors:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(
                    f"Layer '{self.name}' was called on a mix of symbolic tensors and "
                    f"{type(t).__name__}. In a functional model every input of a layer must be "
                    "a symbolic tensor (from kerasite.Input or another layer)."
                )
        shapes = [t.shape for t in tensors]
        shape = dict(zip(keys, shapes)) if keys is not None else shapes if multi else shapes[0]
        out_dtypes, out_structure = None, None
        try:
            self.ensure_built(shape)
            if self._uses_tape() and \
                    type(self).compute_output_shape is Layer.compute_output_shape:
                # No compute_output_shape: run call on a small dummy batch to see.
                self._trace_dtype = tensors[0].dtype
                out_leaves, out_dtypes, out_structure = _tape.trace_output_shape(self, shape)
                _tape.adopt_sublayer_weights(self)  # the layers call built, if it holds any
                out_shape = out_leaves if out_structure is not None else out_leaves[0]
            else:
                out_shape = self.compute_output_shape(shape)
        except (ValueError, TypeError) as exc:
            if self.name in str(exc):
                raise
            raise type(exc)(f"Layer '{self.name}' ({type(self).__name__}) cannot take inputs "
                            f"of shape {shape}: {exc}") from None
        several = isinstance(out_shape, list)
        out_shapes = out_shape if several else [out_shape]
        n = len(self._inbound_nodes)
        outputs = []
        for i, s in enumerate(out_shapes):
            name = self.name if n == 0 else f"{self.name}_{n}"
            dtype = out_dtypes[i] if out_dtypes else tensors[0].dtype
            outputs.append(SymbolicTensor(s, dtype,
                                          name if len(out_shapes) == 1 else f"{name}:{i}"))
        node = Node(self, tensors, outputs, multi, keys)
        for t in outputs:
            t.node = node
        if out_structure is not None:  # a call returning a tuple or a dict: the same here
            return _tape.unflatten(out_structure, outputs)
        return outputs if several else outputs[0]

    # ---------------------------------------------------------- graph attributes
    @property
    def input(self):
        """The symbolic input of the layer's first call (as Keras's ``layer.input``)."""
        node = self._first_node("input")
        return node.inputs if node.multi_input else node.inputs[0]

    @property
    def output(self):
        """The symbolic output of the layer's first call (as Keras's ``layer.output``)."""
        node = self._first_node("output")
        return node.outputs if len(node.outputs) > 1 else node.outputs[0]

    @property
    def output_shape(self):
        """The output shape, batch axis ``None``, once the layer is built."""
        if not self.built:
            raise NotBuiltError(
                f"Layer '{self.name}' is not built yet, so its output shape is not known. Call "
                "it on an input (or build the model it belongs to) first."
            )
        return self.compute_output_shape(self.input_shape)

    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic tensor, so it has no "
                f"`{what}`. Call it on kerasite.Input(shape) (or another layer's output) first."
            )
        return self._inbound_nodes[0]

    # --------------------------------------------- per-call state for the graph
    # A layer called twice in one model (a shared layer) must keep two caches
    # and two sets of buffers, one per call. The graph swaps them in and out
    # around each call with these two methods, so the layers themselves never
    # need to know they are shared.
    def _sublayers(self):
        """Layers held inside this one (Dense's activation, a model's layers, a custom
        layer's blocks, also in a list or a dict)."""
        found = []
        for v in self.__dict__.values():
            if isinstance(v, Layer):
                found.append(v)
            elif isinstance(v, (list, tuple)) and v and isinstance(v[0], Layer):
                found.extend(x for x in v if isinstance(x, Layer))
            elif isinstance(v, dict) and v and isinstance(next(iter(v.values())), Layer):
                found.extend(x for x in v.values() if isinstance(x, Layer))
        return found

    def _export_cache(self):
        """What the last call left for ``backward``: cached attributes and buffers."""
        attrs = {a: self.__dict__[a] for a in (*self._cache_attrs, *_TAPE_ATTRS)
                 if a in self.__dict__}
        return attrs, self._workspaces, [s._export_cache() for s in self._sublayers()]

    def _import_cache(self, state):
        """Puts back ``_export_cache()``'s output; ``None`` gives fresh, empty buffers."""
        subs = self._sublayers()
        if state is None:
            self._workspaces = {}
            for s in subs:
                s._import_cache(None)
            return
        attrs, workspaces, sub_states = state
        self.__dict__.update(attrs)
        self._workspaces = workspaces
        for s, sub_state in zip(subs, sub_states):
            s._import_cache(sub_state)

    def call(self, x, training=False):
        """The layer's forward maths. Subclasses override this."""
        return x

    def backward(self, grad_output, need_input_grad=True):
        """Back-propagates ``grad_output`` (d loss / d output) through the layer.

        Fills ``grads`` *in place* (the optimizer holds those arrays) and
        returns d loss / d input. Subclasses override it. A layer that does
        not (its ``call`` written with ``kerasite.ops``) gets this one, which
        replays the tape its forward recorded (``kerasite/layers/_tape.py``).

        Args:
            grad_output: d loss / d output, shaped like the last ``forward``'s
                output.
            need_input_grad: ``False`` when nobody needs d loss / d input (the
                first layer of a model); skipping it saves a matrix product.

        Returns:
            d loss / d input, shaped like the last input, or ``None`` when
            ``need_input_grad`` is false.
        """
        if "_tape_state" in self.__dict__:
            return _tape.autodiff_backward(self, grad_output, need_input_grad)
        return grad_output

    # -------------------------------------------------------------- add_loss
    def add_loss(self, loss):
        """Adds ``loss`` (a scalar, or an array that is summed) to the training loss.

        Call it inside ``call``, with a value computed by ``kerasite.ops``
        (a KL term, an activity penalty); as in Keras 3, the list is emptied
        at the start of each call. ``fit`` and ``evaluate`` add the terms to
        the compiled loss; in a layer without ``backward`` their gradient
        flows to the layer's inputs and weights.

        Example:
            >>> import numpy as np
            >>> from kerasite import layers, ops
            >>> class Penalty(layers.Layer):
            ...     def call(self, x):
            ...         self.add_loss(0.1 * ops.sum(ops.square(x)))
            ...         return x
            >>> layer = Penalty()
            >>> _ = layer(np.array([[1.0, 2.0]]))
            >>> float(layer.losses[0])
            0.5
        """
        if is_symbolic(loss):
            # Only a subclassed model's own call() runs on symbolic tensors (its layers run
            # on data); the graph it traces has no place for a term that is no layer's.
            raise ValueError(
                f"add_loss() in the call() of model '{self.name}' received a symbolic tensor: "
                "kerasite traces a subclassed model's call() into a graph, and cannot yet "
                "count a loss added there. Call add_loss() inside a layer's call() instead "
                "(a layer without backward, such as one that computes the KL term), or "
                "compute the term in a custom train_step.")
        terms = self.__dict__.get("_loss_terms")
        if terms is None:
            terms = self._loss_terms = []
        terms.append(_tape.LossTerm(loss))

    @property
    def losses(self):
        """The values passed to ``add_loss`` during the last call, as Keras's ``layer.losses``.

        The layer's own terms first, then those of the layers it holds (each
        layer once), as Keras 3 lists them.
        """
        return [term.value for term in _tape.loss_terms_within(self)]
    def compute_mask(self, inputs, mask=None):
        """The mask of the output, from the input and its mask (see docs/guides/masking.md).

        Args:
            inputs: the input array(s).
            mask: the input's mask, booleans ``(batch, timesteps)``, or ``None``.

        Returns:
            ``mask`` unchanged when the layer ``supports_masking``, else ``None``.
        """
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape, batch axis included.

        Args:
            input_shape: ``(batch, *features)``.

        Returns:
            ``(batch, *outputs)``; the identity unless a subclass overrides it.
        """
        return tuple(input_shape)

    # ------------------------------------------------------------------- weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, **kwargs):
        """Creates a weight, a :class:`~kerasite.Variable`, and its zeroed gradient.

        Keras 3's signature: every argument but ``shape`` is optional. The
        older kerasite order ``add_weight(name, shape, initializer)`` (a string
        first) works too.

        The variable's path is ``"<layer name>/<name>"``, after the names of
        the models building the layer (Keras's ``"sequential/dense/kernel"``). It is registered in
        ``params`` under ``name`` (or under kerasite's older key for it, e.g.
        Dense's ``"kernel"`` is ``params["W"]``). A non-trainable weight
        (``trainable=False``, e.g. BatchNormalization's moving mean) is saved
        and set like any other, but gets no gradient and no entry in
        ``grads``: no optimizer ever updates it.

        Args:
            shape: the weight's shape, e.g. ``(in, units)``; ``()`` for a scalar.
            initializer: a name (``"zeros"``, ``"random_normal"``), or a
                callable ``initializer(shape, dtype) -> array`` such as
                ``kerasite.initializers.GlorotUniform()``. Keras's default:
                ``"glorot_uniform"``.
            dtype: the weight's float type; ``floatx()`` by default.
            trainable: ``False`` for a weight the layer updates itself.
            regularizer: a penalty on the weight (``"l2"``, ``L2(1e-4)``), added
                to the training loss as Keras does.
            constraint: a projection applied after each optimizer step.
            name: the variable's name (and its key in ``params`` and
                ``grads``); ``"variable"``, ``"variable_1"``, ... when
                omitted, as in Keras.
            **kwargs: Keras's ``autocast``, ``aggregation`` and
                ``overwrite_with_gradient`` are accepted and have no effect on
                one CPU.

        Returns:
            The new :class:`~kerasite.Variable`; its ``value`` is a
            C-contiguous array.

        Example:
            >>> from kerasite import initializers
            >>> layer = Layer(name="layer")
            >>> gamma = layer.add_weight(shape=(3,), initializer="ones", name="gamma")
            >>> gamma.path, gamma.numpy()
            ('layer/gamma', array([1., 1., 1.], dtype=float32))
            >>> layer.grads["gamma"]
            array([0., 0., 0.], dtype=float32)
            >>> layer.add_weight(shape=(2,), initializer="zeros").name
            'variable'
        """
        unknown = set(kwargs) - {"autocast", "aggregation", "overwrite_with_gradient"}
        if unknown:
            raise TypeError(f"add_weight() got unexpected arguments {sorted(unknown)}. It takes "
                            "shape, initializer, dtype, trainable, regularizer, constraint and "
                            "name, as Keras's.")
        if isinstance(shape, str):  # kerasite's older order: (name, shape, initializer)
            shape, initializer, name = initializer, dtype if dtype is not None else None, shape
            dtype = None
        if shape is None:
            raise ValueError(f"Layer '{self.name}': add_weight() needs `shape`, e.g. "
                             "add_weight(shape=(4, 3)). Received: shape=None.")
        try:
            shape = tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else
                                           (shape,)))
        except (TypeError, ValueError):
            raise ValueError(f"Layer '{self.name}': `shape` must be a tuple of integers. "
                             f"Received: shape={shape!r}.") from None
        if name is None:
            name, k = "variable", 1
            while name in self._variables:
                name, k = f"variable_{k}", k + 1
        elif not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}.")
        key = self._weight_keys.get(name, name)
        dtype = floatx() if dtype is None else np.dtype(dtype).name
        if dtype not in ("float16", "float32", "float64"):
            raise ValueError(f"Layer '{self.name}': weight '{name}' must have a float dtype "
                             f"(gradients are floats). Received: dtype={dtype!r}.")
        if initializer is None:
            initializer = "glorot_uniform"
        if isinstance(initializer, str):
            initializer = initializers.get(initializer)
        variable = Variable(initializer, shape, dtype, trainable=trainable, name=name)
        variable.path = "/".join((*_scopes, self.name, name))
        if trainable:
            variable._grad = np.zeros_like(variable.value)
        self._variables[key] = variable
        if regularizer is not None:
            self.regularizers[key] = regularizers.get(regularizer)
        if constraint is not None:
            self.constraints[key] = constraints.get(constraint)
        return variable

    @property
    def weights(self):
        """All weights, :class:`~kerasite.Variable` s in creation order, as Keras's."""
        return list(self._variables.values())

    @property
    def trainable_weights(self):
        """The variables an optimizer updates: the trainable ones, while ``trainable``."""
        if not self.trainable:
            return []
        return [v for v in self._variables.values() if v.trainable and v._grad is not None]

    @property
    def non_trainable_weights(self):
        """The other variables: all of them when the layer is frozen."""
        if not self.trainable:
            return self.weights
        return [v for v in self._variables.values() if not (v.trainable and v._grad is not None)]

    @property
    def variables(self):
        """Keras 3's other name for ``weights``."""
        return self.weights

    @property
    def trainable_variables(self):
        """Keras 3's other name for ``trainable_weights``."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """Keras 3's other name for ``non_trainable_weights``."""
        return self.non_trainable_weights

    def get_weights(self):
        """Copies of the weights' values, as arrays, in ``weights`` order."""
        return [v.numpy() for v in self._variables.values()]

    def set_weights(self, weights):
        """Writes ``weights`` into the existing arrays, keeping their identity.

        Every array is checked before any is written, so a list that is
        refused leaves the layer's weights as they were.

        Args:
            weights: list of arrays (or variables), one per weight, in
                ``weights`` order.

        Raises:
            ValueError: if the number of arrays, a shape or a dtype does not
                match; the message names the layer and the weight, and no
                weight has changed.
        """
        self._assign_checked(self._checked_weights(weights))

    def _checked_weights(self, weights, owner=None):
        """``weights`` as arrays, after checking their count, shapes and dtypes.

        Args:
            weights: the list given to ``set_weights``.
            owner: how to name the receiver in messages (``"Layer 'dense'"``).

        Returns:
            A list of ``(param, value)`` pairs, ready for ``_assign_checked``.
        """
        owner = owner or f"Layer '{self.name}'"
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(
                f"{owner} expects {len(self.params)} weight arrays "
                f"({', '.join(self.params) or 'none'}). Received {len(weights)}. Pass a list "
                "shaped like get_weights()'s output."
            )
        pairs = []
        for (key, param), value in zip(self.params.items(), weights):
            value = np.asarray(value)
            if value.shape != param.shape:
                raise ValueError(
                    f"Weight '{key}' of {owner[0].lower()}{owner[1:]} has shape {param.shape}. "
                    f"Received an array of shape {value.shape}. No weight was changed."
                )
            if value.dtype.kind not in "biuf":
                raise ValueError(
                    f"Weight '{key}' of {owner[0].lower()}{owner[1:]} must be a real number "
                    f"array. Received dtype {value.dtype}. No weight was changed."
                )
            pairs.append((param, value))
        return pairs

    @staticmethod
    def _assign_checked(pairs):
        """Copies each value into its weight array (pairs from ``_checked_weights``)."""
        for param, value in pairs:
            param[...] = value

    def count_params(self):
        """The number of scalars in the layer's weights."""
        return int(sum(p.size for p in self.params.values()))

    # ------------------------------------------- regularizers and constraints
    # The seam the training engine calls, once per layer per step: it adds
    # regularization_penalty() and activity_penalty(output) to the loss it
    # reports, passes the output's gradient through activity_gradient before
    # this layer's backward, calls add_regularization_gradients() after
    # backward and before the optimizer step, and apply_constraints() after it.
    def regularization_penalty(self):
        """The sum of this layer's weight penalties, e.g. ``l2 * sum(W**2)``.

        Returns:
            A float; 0.0 when the layer has no weight regularizer or is not built.
        """
        return float(sum(reg(self.params[key]) for key, reg in self.regularizers.items()
                         if key in self.params))

    def add_regularization_gradients(self):
        """Adds d penalty / d weight into ``grads``, in place, for each regularized weight.

        Call it after ``backward`` has written the loss gradients. A frozen
        layer (``trainable=False``) is left alone: no optimizer reads its grads.
        """
        if not self.trainable:
            return
        for key, reg in self.regularizers.items():
            if key in self.grads:
                grad = self.grads[key]
                grad += reg.gradient(self.params[key])

    def activity_penalty(self, output):
        """The activity regularizer's penalty on ``output``, divided by the batch size.

        Keras divides by the batch, so that the penalty's weight against the
        loss (a mean over the batch) does not depend on ``batch_size``.

        Args:
            output: this layer's output, ``(batch, *outputs)``.

        Returns:
            A float; 0.0 without an activity regularizer.
        """
        if self.activity_regularizer is None:
            return 0.0
        return self.activity_regularizer(output) / len(output)

    def activity_gradient(self, output, grad_output):
        """``grad_output`` plus d activity_penalty / d output (a new array if there is one).

        Args:
            output: this layer's last output, ``(batch, *outputs)``.
            grad_output: d loss / d output from the layers above.

        Returns:
            The total gradient to pass to ``backward``.
        """
        if self.activity_regularizer is None:
            return grad_output
        return grad_output + self.activity_regularizer.gradient(output) / len(output)

    def _kernel_and_bias_options(self, kernel_regularizer, bias_regularizer, kernel_constraint,
                                 bias_constraint):
        """Stores Keras's four weight options of a layer with ``W`` and ``b`` (Dense, Conv2D).

        They then reach ``regularization_penalty`` and ``apply_constraints``
        through ``self.regularizers`` and ``self.constraints``.
        """
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        for key, reg in (("W", self.kernel_regularizer), ("b", self.bias_regularizer)):
            if reg is not None:
                self.regularizers[key] = reg
        for key, con in (("W", self.kernel_constraint), ("b", self.bias_constraint)):
            if con is not None:
                self.constraints[key] = con

    def _kernel_and_bias_config(self):
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def apply_constraints(self):
        """Projects each constrained weight in place (call it after each optimizer step)."""
        for key, constraint in self.constraints.items():
            if key in self.params:
                self.params[key][...] = constraint(self.params[key])

    # -------------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments, as a JSON-safe dict."""
        config = {"name": self.name, "trainable": self.trainable}
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Makes a new, unbuilt layer from ``get_config()``'s output."""
        return cls(**config)

    # ------------------------------------------------------------------- helpers
    def _workspace(self, key, shape, dtype):
        """A reusable scratch array for ``key``; reallocated only when the shape changes.

        Training runs thousands of batches of the same shape; reusing the
        arrays saves an allocation (and page faults) per layer per batch.
        """
        slot = (key, shape)
        buf = self._workspaces.get(slot)
        if buf is None or buf.dtype != dtype:
            if len(self._workspaces) > 16:  # bounded: shapes change rarely
                self._workspaces.clear()
            buf = self._workspaces[slot] = np.empty(shape, dtype=dtype)
        return buf

    def _out(self, key, shape, dtype, training):
        """Where ``call`` writes: a reused buffer while training, fresh memory otherwise.

        Inference returns new arrays, so a user who keeps two outputs of
        ``forward`` never sees one overwritten by the other.
        """
        if training:
            return self._workspace(key, shape, dtype)
        return np.empty(shape, dtype=dtype)

    def _raise_shape_mismatch(self, shape):
        expected = self.input_shape[1:]
        raise ValueError(
            f"Input to layer '{self.name}' ({type(self).__name__}) has the wrong shape: "
            f"expected (batch, {', '.join(map(str, expected))}) as the layer was built for, "
            f"received {tuple(shape)}. Reshape the input or build a new layer for it."
        )

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


class KernelAndBias:
    """Kerasite's older names of a ``kernel`` and ``bias`` layer's weights (Dense, Conv2D).

    ``W`` and ``b`` are the same :class:`~kerasite.Variable` objects as
    ``kernel`` and ``bias``; ``dW`` and ``db`` are their gradient arrays.
    """

    _weight_keys = {"kernel": "W", "bias": "b"}  # the keys in params, grads and saved files

    @property
    def W(self):
        """The kernel variable, ``self.kernel``."""
        return self.kernel

    @property
    def b(self):
        """The bias variable, ``self.bias`` (``None`` without a bias)."""
        return self.bias

    @property
    def dW(self):
        """The kernel's gradient array, ``grads["W"]``."""
        return None if self.kernel is None else self.kernel._grad

    @property
    def db(self):
        """The bias's gradient array, ``grads["b"]``."""
        return None if self.bias is None else self.bias._grad


class _LiveValues(Mapping):
    """``layer.params``: key -> the variable's current array, read at each lookup."""

    __slots__ = ("_variables",)

    def __init__(self, variables):
        self._variables = variables

    def __getitem__(self, key):
        return self._variables[key]._value

    def __iter__(self):
        return iter(self._variables)

    def __len__(self):
        return len(self._variables)

    def __contains__(self, key):
        return key in self._variables

    def __setitem__(self, key, value):
        # Writes into the live array (``params["W"] = w`` copies, ``grads[k] += g`` adds):
        # the arrays themselves belong to the variables.
        target = self[key]
        if value is target:
            return
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"Weight '{key}' has shape {target.shape}. Received an array of "
                             f"shape {value.shape}; `params` and `grads` write into the "
                             "weights' arrays, which keep their shapes.")
        target[...] = value

    def __repr__(self):
        return repr(dict(self))


class _LiveGrads(_LiveValues):
    """``layer.grads``: key -> the gradient slot of each trainable variable."""

    __slots__ = ()

    def __getitem__(self, key):
        grad = self._variables[key]._grad
        if grad is None:
            raise KeyError(key)
        return grad

    def __iter__(self):
        return (key for key, v in self._variables.items() if v._grad is not None)

    def __len__(self):
        return sum(1 for v in self._variables.values() if v._grad is not None)

    def __contains__(self, key):
        v = self._variables.get(key)
        return v is not None and v._grad is not None


def _is_shape_structure(shape):
    """Whether ``shape`` is a dict of shapes or a list of shapes, not one shape."""
    if isinstance(shape, dict):
        return True
    return isinstance(shape, (list, tuple)) and len(shape) > 0 and \
        all(isinstance(s, (list, tuple)) for s in shape)


def _batchless(shape):
    """``shape`` with its batch axis ``None`` (each shape of a list or dict)."""
    if isinstance(shape, dict):
        return {k: (None, *tuple(s)[1:]) for k, s in shape.items()}
    if _is_shape_structure(shape):
        return [(None, *tuple(s)[1:]) for s in shape]
    return (None, *tuple(shape)[1:])


# What a layer without backward keeps for it: the shared-layer swap carries them too.
_TAPE_ATTRS = ("_tape_state", "_loss_terms")


def _uses_tape(cls):
    """Whether ``cls`` is differentiated by a tape: ``call`` overridden, ``backward`` not.

    Decided once per class and kept on it (``_call_uses_tape``).
    """
    cached = cls.__dict__.get("_call_uses_tape")
    if cached is not None:
        return cached
    uses = cls.call is not Layer.call and cls.backward is Layer.backward
    cls._call_uses_tape = uses
    return uses
def _fits(shape, built):
    """Whether ``shape`` fits the ``built`` one, where ``None`` (a varying axis) fits any size."""
    return len(shape) == len(built) and all(
        b is None or a is None or a == b for a, b in zip(shape[1:], built[1:]))


def _takes_mask(cls):
    """Whether ``cls.forward`` has a ``mask`` argument; decided once per class and kept on it."""
    cached = cls.__dict__.get("_forward_takes_mask")
    if cached is None:
        try:
            cached = "mask" in inspect.signature(cls.forward).parameters
        except (TypeError, ValueError):
            cached = False
        cls._forward_takes_mask = cached
    return cached


def _takes_training(cls):
    """Whether ``cls.call`` accepts ``training``; decided once per class and kept on it.

    Keras passes ``training`` only to a ``call`` whose signature has it (or
    ``**kwargs``); a custom ``call(self, inputs)`` gets the inputs alone.
    """
    cached = cls.__dict__.get("_call_takes_training")
    if cached is not None:
        return cached
    try:
        params = inspect.signature(cls.call).parameters.values()
        takes = any(p.name == "training" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                    for p in params)
    except (TypeError, ValueError):
        takes = True
    cls._call_takes_training = takes
    return takes
