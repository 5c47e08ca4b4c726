"""Symbolic tensors and nodes: how a functional model records its graph.

Calling a layer on a ``SymbolicTensor`` (what ``kerasite.Input`` returns)
computes nothing. It records a ``Node`` that says "this layer turned these
tensors into those", and returns new symbolic tensors with the inferred
shape. ``kerasite.Model(inputs, outputs)`` then walks the nodes back from
its outputs to its inputs: that walk is the model's graph.

A layer called three times has three nodes, so one layer can serve several
places (shared layers, siamese towers) and several models at once.
"""

import numpy as np

# The merge layer class that ``+``, ``-`` and ``*`` between symbolic tensors
# build, by operator. kerasite/layers/merge.py fills it in when it loads: the
# layers import this module, so this module does not import them.
OPERATOR_LAYERS = {}


class Node:
    """One call of a layer on symbolic inputs.

    Attributes:
        layer: the layer that was called.
        inputs: the input ``SymbolicTensor`` s, flattened to a list.
        outputs: the output ``SymbolicTensor`` s, a list.
        multi_input: whether the layer was called on a list (a merge layer),
            so it receives a list of arrays, not one array.
    """

    __slots__ = ("layer", "inputs", "outputs", "multi_input")

    def __init__(self, layer, inputs, outputs, multi_input):
        self.layer = layer
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.multi_input = multi_input
        layer._inbound_nodes.append(self)

    def __repr__(self):
        return f"<Node {self.layer.name}: {[t.name for t in self.inputs]} -> " \
               f"{[t.name for t in self.outputs]}>"


class SymbolicTensor:
    """A placeholder for data: a shape (batch axis ``None``) and a dtype, no values.

    It is what ``Input`` returns and what calling a layer on one returns.
    ``+``, ``-`` and ``*`` between two of them add an ``Add``, ``Subtract``
    or ``Multiply`` layer to the graph.

    Attributes:
        shape: ``(None, *features)``.
        dtype: the dtype the data will have, a string such as ``"float32"``.
        name: a readable name, ``"<layer name>"`` or ``"<layer name>:<i>"``.
        node: the ``Node`` that produced it (``None`` only while it is made).
    """

    # NumPy must hand ``np.add(symbolic, x)`` and friends back to us, so that
    # we can explain what went wrong instead of building an object array.
    __array_priority__ = 1000

    def __init__(self, shape, dtype="float32", name=None, node=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(np.dtype(dtype))
        self.name = name
        self.node = node

    @property
    def ndim(self):
        return len(self.shape)

    # ------------------------------------------------ arithmetic as merge layers
    def __add__(self, other):
        return OPERATOR_LAYERS["+"]()([self, _as_symbolic(other, "+")])

    def __sub__(self, other):
        return OPERATOR_LAYERS["-"]()([self, _as_symbolic(other, "-")])

    def __mul__(self, other):
        return OPERATOR_LAYERS["*"]()([self, _as_symbolic(other, "*")])

    def __radd__(self, other):
        return _as_symbolic(other, "+") + self

    def __rsub__(self, other):
        return _as_symbolic(other, "-") - self

    def __rmul__(self, other):
        return _as_symbolic(other, "*") * self

    # -------------------------------------- what cannot be traced, said plainly
    def __bool__(self):
        raise TypeError(
            f"The truth value of symbolic tensor '{self.name}' is not known while kerasite "
            "traces the model: it holds no data yet. Python `if`/`while` on data cannot be "
            "recorded as a graph. Branch on Python values only (such as the `training` "
            "flag), or compute both branches with layers and combine them."
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(_numpy_message(self, "np.asarray"))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise TypeError(_numpy_message(self, f"np.{ufunc.__name__}"))

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(_numpy_message(self, f"np.{func.__name__}"))

    def __len__(self):
        raise TypeError(
            f"len() of symbolic tensor '{self.name}' is its batch size, which is not known "
            f"while tracing. Use `.shape` (here {self.shape}) for the feature sizes."
        )

    def __iter__(self):
        raise TypeError(
            f"Symbolic tensor '{self.name}' cannot be iterated over while tracing: it holds no "
            "data. Use a layer (for example Reshape or a merge layer) instead."
        )

    def numpy(self):
        raise TypeError(
            f"Symbolic tensor '{self.name}' has no values: it only describes the data a "
            "model will receive. Build a Model from it and call model.predict(x)."
        )

    def __repr__(self):
        return f"<SymbolicTensor name={self.name!r} shape={self.shape} dtype={self.dtype}>"


def _as_symbolic(value, op):
    if isinstance(value, SymbolicTensor):
        return value
    raise TypeError(
        f"`{op}` between a symbolic tensor and {type(value).__name__} cannot be traced: both "
        "sides must be outputs of kerasite layers. Wrap constants in a layer, for example "
        "layers.Rescaling, or apply the arithmetic to the data before fit."
    )


def _numpy_message(tensor, what):
    return (
        f"{what} was called on symbolic tensor '{tensor.name}' (shape {tensor.shape}). While "
        "kerasite builds or traces a model the tensors hold no data, and NumPy calls cannot be "
        "recorded in the graph, because every step needs its own backward. Use kerasite layers "
        "instead (merge layers, Reshape, activations), or write a Layer with forward and "
        "backward for the operation."
    )


def is_symbolic(x):
    """Whether ``x`` is a symbolic tensor, or a list/tuple/dict holding one."""
    if isinstance(x, SymbolicTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(isinstance(t, SymbolicTensor) for t in x)
    if isinstance(x, dict):
        return any(isinstance(t, SymbolicTensor) for t in x.values())
    return False
