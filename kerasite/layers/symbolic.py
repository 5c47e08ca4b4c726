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

import kerasite.ops.core as _ops_core

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
        input_keys: for a call on a dict of tensors, its keys (the layer
            receives a dict of arrays); ``None`` otherwise.
    """

    __slots__ = ("layer", "inputs", "outputs", "multi_input", "input_keys")

    def __init__(self, layer, inputs, outputs, multi_input, input_keys=None):
        self.layer = layer
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.multi_input = multi_input
        self.input_keys = None if input_keys is None else list(input_keys)
        layer._inbound_nodes.append(self)

    def __repr__(self):
        return f"<Node {self.layer.name}: {[t.name for t in self.inputs]} -> " \
               f"{[t.name for t in self.outputs]}>"


class SymbolicTensor:
    """A placeholder for data: a shape (batch axis ``None``) and a dtype, no values.

    It is what ``Input`` returns and what calling a layer on one returns.
    ``+``, ``-`` and ``*`` between two of the same shape add an ``Add``,
    ``Subtract`` or ``Multiply`` layer to the graph. Any other operator
    (``x * 2``, ``x / y``, ``x ** 2``, ``x @ w``, ``-x``, ``x[:, 0]``) and
    any ``kerasite.ops`` function given a symbolic tensor add an op node: a
    layer whose forward is the op and whose backward is its VJP, as Keras 3
    does.

    Attributes:
        shape: ``(None, *features)``.
        dtype: the dtype the data will have, a string such as ``"float32"``.
        name: a readable name, ``"<layer name>"`` or ``"<layer name>:<i>"``.
        node: the ``Node`` that produced it (``None`` only while it is made).
    """

    # NumPy must hand ``np.add(symbolic, x)`` and friends back to us, so that
    # we can explain what went wrong instead of building an object array.
    __array_priority__ = 1000
    _kerasite_symbolic = True  # how kerasite.ops recognises one without importing this module

    def __init__(self, shape, dtype="float32", name=None, node=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(np.dtype(dtype))
        self.name = name
        self.node = node

    @property
    def ndim(self):
        return len(self.shape)

    # ------------------------------------- arithmetic as merge layers or op nodes
    def _merge(self, other, symbol, op_name):
        if isinstance(other, SymbolicTensor) and other.shape == self.shape:
            return OPERATOR_LAYERS[symbol]()([self, other])
        return getattr(_ops_numpy(), op_name)(self, other)

    def __add__(self, other):
        return self._merge(other, "+", "add")

    def __sub__(self, other):
        return self._merge(other, "-", "subtract")

    def __mul__(self, other):
        return self._merge(other, "*", "multiply")

    def __radd__(self, other):
        return _ops_numpy().add(other, self)

    def __rsub__(self, other):
        return _ops_numpy().subtract(other, self)

    def __rmul__(self, other):
        return _ops_numpy().multiply(other, self)

    def __truediv__(self, other):
        return _ops_numpy().divide(self, other)

    def __rtruediv__(self, other):
        return _ops_numpy().divide(other, self)

    def __pow__(self, other):
        return _ops_numpy().power(self, other)

    def __rpow__(self, other):
        return _ops_numpy().power(other, self)

    def __matmul__(self, other):
        return _ops_numpy().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops_numpy().matmul(other, self)

    def __neg__(self):
        return _ops_numpy().negative(self)

    def __abs__(self):
        return _ops_numpy().abs(self)

    def __getitem__(self, index):
        return _ops_numpy().getitem(self, index)

    # -------------------------------------- what cannot be traced, said plainly
    def __bool__(self):
        raise TypeError(
            f"The truth value of symbolic tensor '{self.name}' is not known while kerasite "
            "traces the model: it holds no data yet. Python `if`/`while` on data cannot be "
            "recorded as a graph. Branch on Python values only (such as the `training` "
            "flag), or compute both branches with layers and combine them."
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(_numpy_message(self, "np.asarray", None))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        raise TypeError(_numpy_message(self, f"np.{name}", ufunc.__name__))

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(_numpy_message(self, f"np.{func.__name__}", func.__name__))

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


def _ops_numpy():
    import kerasite.ops.numpy as knp  # the ops import no layer: loaded once, then cached

    return knp


def _numpy_message(tensor, what, short):
    if short is not None and short in _ops_core._PUBLIC_NAMES:
        use = f"`kerasite.ops.{short}`"
    else:
        use = "the `kerasite.ops` function for it"
    where = _ops_core.user_line()
    return (
        f"{what} was called on symbolic tensor '{tensor.name}' (shape {tensor.shape})"
        f"{f' at {where}' if where else ''}. While kerasite builds or traces a model the "
        "tensors hold no data, and NumPy calls cannot be recorded in the graph, because every "
        f"step needs its own backward. Use {use} instead, which becomes a node of the graph, "
        "or kerasite layers (merge layers, Reshape, activations)."
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
