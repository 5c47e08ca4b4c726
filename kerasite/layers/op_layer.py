"""``OpLayer``: a ``kerasite.ops`` call on symbolic tensors, as a node of the graph.

In the functional API, ``ops.mean(Dense(3)(inp), axis=-1)``, ``x * 2`` or
``x[:, 0]`` compute nothing: the op sees a symbolic tensor and, instead of
running, hands itself to :func:`symbolic_op`, which makes an ``OpLayer`` and
calls it on the symbolic tensors among the arguments, as Keras 3 does. The
layer keeps the op and its other arguments (constants such as ``axis=-1``).

Its ``call`` is the op, and it has no ``backward`` of its own: as every
layer without one, its forward runs under a tape and its backward replays
the op's VJP (``kerasite/layers/_tape.py``). Its output shape is found by
running the op on a small dummy batch.

A model holding op nodes saves when the constants are plain values (numbers,
strings, ``None``, slices, lists, tuples, and arrays of numbers such as an
index or a mask, written as lists); anything else (a ``Variable``, a
function) cannot be written into a config, and saving says which op holds it.
"""

import importlib

import numpy as np

from kerasite.layers.base import Layer, _auto_name
from kerasite.layers.symbolic import SymbolicTensor
from kerasite.ops import core


class _Slot:
    """Where the ``i``-th symbolic input goes among an op's arguments."""

    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


def _template(x, tensors):
    """``x`` with each symbolic tensor replaced by a ``_Slot``; the tensors appended."""
    if isinstance(x, SymbolicTensor):
        tensors.append(x)
        return _Slot(len(tensors) - 1)
    if isinstance(x, (list, tuple)):
        return type(x)(_template(v, tensors) for v in x)
    if isinstance(x, dict):
        return {k: _template(v, tensors) for k, v in x.items()}
    return x


def _fill(x, values):
    if isinstance(x, _Slot):
        return values[x.i]
    if isinstance(x, (list, tuple)):
        return type(x)(_fill(v, values) for v in x)
    if isinstance(x, dict):
        return {k: _fill(v, values) for k, v in x.items()}
    return x


class OpLayer(Layer):
    """The node of one op call on symbolic tensors; made by the op, not by hand.

    Args:
        op: a ``kerasite.ops`` function.
        args: its positional arguments, with ``_Slot`` s where the symbolic
            inputs go.
        kwargs: its keyword arguments, likewise.
        name: the layer's name; the op's name (``"mean"``, ``"mean_1"``) by default.

    Example:
        >>> import kerasite
        >>> from kerasite import layers, ops
        >>> inp = kerasite.Input((4,))
        >>> out = ops.mean(layers.Dense(3)(inp), axis=-1)
        >>> type(out.node.layer).__name__, out.shape
        ('OpLayer', (None,))
    """

    def __init__(self, op, args=(), kwargs=None, name=None, **layer_kwargs):
        super().__init__(name=name or _auto_name(op.__name__.lstrip("_")), **layer_kwargs)
        self.op, self.args, self.kwargs = op, tuple(args), dict(kwargs or {})

    def build(self, input_shape):
        if not (isinstance(input_shape, list) and input_shape
                and isinstance(input_shape[0], (list, tuple))):
            input_shape = [input_shape]  # one input, given bare
        self.input_shape = [(None, *tuple(s)[1:]) for s in input_shape]
        self.built = True

    def ensure_built(self, input_shape):
        if not self.built:  # the op itself checks the shapes it is given
            self.build(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]  # one input, given bare
        return self.op(*_fill(self.args, inputs), **_fill(self.kwargs, inputs))

    def get_config(self):
        """The op's module and name, and its constant arguments.

        Raises:
            ValueError: if an argument is not a plain value (an array, say),
                naming the op.
        """
        where = f"{self.op.__module__}.{self.op.__name__}"
        try:
            args, kwargs = _encode(list(self.args)), _encode(self.kwargs)
        except TypeError as exc:
            raise ValueError(
                f"Op node '{self.name}' (`{where}`) cannot be saved: {exc}. Only numbers, "
                "strings, None, slices, lists, tuples and arrays of numbers can be written "
                "into a config. Make "
                "the constant a weight of a custom layer, or save the weights only with "
                "save_weights().") from None
        return {"name": self.name, "trainable": self.trainable, "op": where,
                "args": args, "kwargs": kwargs}

    @classmethod
    def from_config(cls, config):
        module, _, name = config["op"].rpartition(".")
        if not (module == "kerasite.ops" or module.startswith("kerasite.ops.")):
            raise ValueError(f"An op node must name a kerasite.ops function. Received: "
                             f"op={config['op']!r}.")
        op = getattr(importlib.import_module(module), name, None)
        if not callable(op):
            raise ValueError(f"Unknown op {config['op']!r} in an op node's config.")
        return cls(op, _decode(config.get("args", [])), _decode(config.get("kwargs", {})),
                   name=config.get("name"), trainable=config.get("trainable", True))

    def __repr__(self):
        return f"<OpLayer name={self.name!r} op={self.op.__name__}>"


def symbolic_op(op, args, kwargs):
    """Adds a node running ``op`` to the graph of the symbolic tensors in its arguments.

    Returns:
        The op's symbolic output (or outputs, for ``split``).
    """
    tensors = []
    args, kwargs = _template(tuple(args), tensors), _template(dict(kwargs), tensors)
    return OpLayer(op, args, kwargs)(tensors)


core.SYMBOLIC_OP[0] = symbolic_op


# ------------------------------------------------------- constants in configs
def _encode(x):
    if isinstance(x, _Slot):
        return {"__slot__": x.i}
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, list):
        return [_encode(v) for v in x]
    if isinstance(x, tuple):
        return {"__tuple__": [_encode(v) for v in x]}
    if isinstance(x, dict):
        return {"__dict__": {str(k): _encode(v) for k, v in x.items()}}
    if isinstance(x, slice):
        return {"__slice__": [_encode(x.start), _encode(x.stop), _encode(x.step)]}
    if x is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(x, np.dtype):
        return x.name
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and x.size <= 65536:
        return {"__array__": x.tolist(), "dtype": x.dtype.name}  # an index or a mask
    raise TypeError(f"one of its arguments is a {type(x).__name__}")


def _decode(x):
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "__slot__" in x:
        return _Slot(x["__slot__"])
    if "__tuple__" in x:
        return tuple(_decode(v) for v in x["__tuple__"])
    if "__dict__" in x:
        return {k: _decode(v) for k, v in x["__dict__"].items()}
    if "__slice__" in x:
        return slice(*x["__slice__"])
    if "__ellipsis__" in x:
        return Ellipsis
    if "__array__" in x:
        return np.array(x["__array__"], dtype=x["dtype"])
    return {k: _decode(v) for k, v in x.items()}
