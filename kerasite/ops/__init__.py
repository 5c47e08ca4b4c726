"""``kerasite.ops``: array ops with Keras 3's names, differentiable by a ``GradientTape``.

Each op computes eagerly with NumPy. With no tape recording it returns a plain
``ndarray`` (one NumPy call and one check); while a ``GradientTape`` records
and tracks an input, it returns a :class:`Tensor` (an ndarray view whose
operators are ops too) and is recorded. Every op's backward is an explicit
vector-Jacobian product next to its forward (``kerasite/ops/numpy.py``,
``kerasite/ops/nn.py``); ``kerasite/ops/core.py`` holds the machinery and
``kerasite/ops/tape.py`` the tape.

Example:
    >>> import numpy as np
    >>> from kerasite import GradientTape, Variable, ops
    >>> w = Variable(np.array([[1.0], [2.0]]))
    >>> x, y = np.array([[1.0, 1.0]]), np.array([[2.0]])
    >>> with GradientTape() as tape:
    ...     loss = ops.mean(ops.square(y - ops.matmul(x, w)))
    >>> tape.gradient(loss, [w])[0].tolist()
    [[2.0], [2.0]]
"""

from kerasite.ops import core, nn
from kerasite.ops.core import Tensor, custom_gradient, defvjp, ndim, op, shape
from kerasite.ops.nn import (binary_crossentropy, categorical_crossentropy, gelu, log_softmax,
                             relu, sigmoid, silu, softmax, softplus,
                             sparse_categorical_crossentropy)
from kerasite.ops.numpy import (abs, absolute, add, all, any, arange, argmax, argmin, broadcast_to, cast,
                                clip, concatenate, convert_to_numpy, convert_to_tensor, cos,
                                cumsum, divide, erf, exp, expand_dims, flip, full, full_like,
                                getitem, is_tensor, log, log1p, logsumexp, matmul, max, maximum,
                                mean, min, minimum, multiply, negative, norm, one_hot, ones,
                                ones_like, pad, power, repeat, reshape, sign, sin, split, sqrt,
                                square, squeeze, stack, std, stop_gradient, subtract, sum,
                                swapaxes, take, take_along_axis, tanh, tile, transpose,
                                true_divide, unbroadcast, var, where, zeros, zeros_like)
from kerasite.ops.numpy import (ceil, equal, floor, greater, greater_equal, isfinite, isnan,
                                less, less_equal, logical_and, logical_not, logical_or,
                                not_equal, round)
from kerasite.ops.tape import GradientTape

__all__ = [
    "GradientTape", "Tensor", "nn", "op", "defvjp", "unbroadcast", "custom_gradient",
    # arithmetic
    "add", "subtract", "multiply", "divide", "true_divide", "power", "negative", "matmul",
    # elementwise
    "exp", "log", "log1p", "sqrt", "square", "abs", "absolute", "sign", "maximum", "minimum",
    "clip", "where", "erf", "cos", "sin", "tanh",
    # reductions
    "sum", "mean", "max", "min", "argmax", "argmin", "var", "std", "logsumexp", "norm",
    "cumsum",
    # shapes
    "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "split", "tile", "repeat", "pad", "flip",
    # gathers
    "getitem", "take", "take_along_axis", "one_hot",
    # conversion and creation
    "cast", "shape", "ndim", "convert_to_tensor", "convert_to_numpy", "is_tensor", "zeros",
    "ones", "zeros_like", "ones_like", "full", "full_like", "arange", "stop_gradient",
    # comparisons and logic (nothing to differentiate)
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_not", "any", "all", "isnan", "isfinite", "floor", "ceil", "round",
    # activations and losses (also under ops.nn)
    "relu", "sigmoid", "softmax", "log_softmax", "gelu", "softplus", "silu",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
]

core._PUBLIC_NAMES.update(__all__)


_WRAPPED = {}  # id(function) -> its symbolic-aware twin, so ops.gelu stays ops.nn.gelu


def _symbolic_aware_composites(namespace, names, wrapped=_WRAPPED):
    # The functions made of several ops become one node each on symbolic tensors.
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not hasattr(fn, "n_inputs") and not hasattr(fn, "__wrapped__"):
            if id(fn) not in wrapped:
                wrapped[id(fn)] = core.symbolic_aware(fn)
            namespace[name] = wrapped[id(fn)]


_COMPOSITES = ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
               "logical_and", "logical_or", "logical_not", "any", "all", "isnan", "isfinite",
               "floor", "ceil", "round", "sign", "where", "argmax", "argmin", "norm", "concatenate", "stack", "split",
               "repeat", "take", "take_along_axis", "one_hot", "zeros_like", "ones_like",
               "full_like", "stop_gradient", "gelu", "silu", "binary_crossentropy",
               "categorical_crossentropy", "sparse_categorical_crossentropy")
_symbolic_aware_composites(globals(), _COMPOSITES)
_symbolic_aware_composites(vars(nn), _COMPOSITES)
