"""``keras.activations``: the activation functions, written with ``kerasite.ops``.

Each function takes an array (or a tracked Tensor, or a symbolic tensor) and
returns ``f(x)`` with Keras 3's arguments and defaults, so a custom layer's
``call`` can write ``activations.relu(self.dense(x))`` and a tape
differentiates it. Given as ``activation=`` to a layer
(``Dense(64, activation=kerasite.activations.relu)``), a function of this
module stands for the built-in activation layer of the same name, with its
explicit backward; any other function made of ops is differentiated by a tape
(``kerasite.layers.activations.FunctionActivation``).

Example:
    >>> import numpy as np
    >>> from kerasite import activations
    >>> activations.relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> activations.get("tanh") is activations.tanh
    True
"""

import math

import numpy as np

from kerasite import ops
from kerasite.layers import activations as _layers

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh",
           "softmax", "log_softmax", "softplus", "softsign", "silu", "swish", "gelu", "mish",
           "exponential", "linear", "celu", "glu", "hard_shrink", "hard_silu", "hard_swish",
           "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid",
           "sparsemax", "squareplus", "tanh_shrink", "get", "serialize", "deserialize"]


def _named(name):
    """Marks a function as the one the activation name ``name`` stands for."""
    def mark(fn):
        fn._activation_name = name
        return fn
    return mark


@_named("relu")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; with Keras's ``negative_slope``, ``max_value`` and ``threshold``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    y = ops.where(ops.greater(x, threshold), x, negative_slope * (x - threshold))
    return y if max_value is None else ops.minimum(y, max_value)


@_named("relu6")
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.clip(x, 0.0, 6.0)


@_named("leaky_relu")
def leaky_relu(x, negative_slope=0.2):
    """``x`` above zero, ``negative_slope * x`` below."""
    return ops.where(ops.greater(x, 0.0), x, negative_slope * x)


@_named("elu")
def elu(x, alpha=1.0):
    """``x`` above zero, ``alpha (e^x - 1)`` below."""
    return ops.where(ops.greater(x, 0.0), x, alpha * (ops.exp(ops.minimum(x, 0.0)) - 1.0))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


@_named("selu")
def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalizing constants."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


@_named("sigmoid")
def sigmoid(x):
    """``1 / (1 + e^-x)``."""
    return ops.sigmoid(x)


@_named("hard_sigmoid")
def hard_sigmoid(x):
    """Keras 3's ``clip(x / 6 + 0.5, 0, 1)``."""
    return ops.clip(x / 6.0 + 0.5, 0.0, 1.0)


@_named("tanh")
def tanh(x):
    """The hyperbolic tangent."""
    return ops.tanh(x)


@_named("softmax")
def softmax(x, axis=-1):
    """``e^x / sum(e^x)`` over ``axis``."""
    return ops.softmax(x, axis=axis)


@_named("log_softmax")
def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` over ``axis``."""
    return ops.log_softmax(x, axis=axis)


@_named("softplus")
def softplus(x):
    """``log(1 + e^x)``."""
    return ops.softplus(x)


@_named("softsign")
def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (1.0 + ops.abs(x))


@_named("silu")
def silu(x):
    """``x * sigmoid(x)``."""
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    """The Gaussian error linear unit; ``approximate`` uses the tanh formula."""
    return ops.gelu(x, approximate=approximate)


@_named("mish")
def mish(x):
    """``x * tanh(softplus(x))``."""
    return x * ops.tanh(ops.softplus(x))


@_named("exponential")
def exponential(x):
    """``e^x``."""
    return ops.exp(x)


@_named("linear")
def linear(x):
    """The identity."""
    return x


# Keras 3's newer activations run their layer: one node with the layer's own
# backward, on arrays, on a tape's tensors and on symbolic tensors alike.
def _run_layer(cls, x, **settings):
    if isinstance(x, (list, tuple, int, float)):
        x = np.asarray(x, dtype=float)
    return cls(**settings)(x)


@_named("celu")
def celu(x, alpha=1.0):
    """``x`` above zero, ``alpha (e^(x / alpha) - 1)`` below."""
    return _run_layer(_layers.CELU, x, alpha=alpha)


@_named("glu")
def glu(x, axis=-1):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of ``axis`` (half the size out)."""
    return _run_layer(_layers.GLU, x, axis=axis)


@_named("hard_shrink")
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return _run_layer(_layers.HardShrink, x, threshold=threshold)


@_named("hard_silu")
def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return _run_layer(_layers.HardSiLU, x)


hard_swish = hard_silu


@_named("hard_tanh")
def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _run_layer(_layers.HardTanh, x)


@_named("log_sigmoid")
def log_sigmoid(x):
    """``log(sigmoid(x))``, without overflow."""
    return _run_layer(_layers.LogSigmoid, x)


@_named("soft_shrink")
def soft_shrink(x, threshold=0.5):
    """``x - clip(x, -threshold, threshold)``."""
    return _run_layer(_layers.SoftShrink, x, threshold=threshold)


@_named("sparse_plus")
def sparse_plus(x):
    """0 below -1, ``(x + 1)^2 / 4`` between, ``x`` above 1."""
    return _run_layer(_layers.SparsePlus, x)


@_named("sparse_sigmoid")
def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``."""
    return _run_layer(_layers.SparseSigmoid, x)


@_named("sparsemax")
def sparsemax(x, axis=-1):
    """The projection of ``x`` onto the probability simplex along ``axis``."""
    return _run_layer(_layers.Sparsemax, x, axis=axis)


@_named("squareplus")
def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``."""
    return _run_layer(_layers.Squareplus, x, b=b)


@_named("tanh_shrink")
def tanh_shrink(x):
    """``x - tanh(x)``."""
    return _run_layer(_layers.TanhShrink, x)


_BY_NAME = {name: globals()[name] for name in __all__[:-3]}


def get(identifier):
    """The activation function for a name (``"relu"``), or a function itself; None is linear.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for anything else.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]
        guess = _layers._registry.nearest_name(identifier, sorted(_BY_NAME))
        guess = f" Did you mean {guess!r}?" if guess else ""
        raise ValueError(f"Unknown activation function: {identifier!r}.{guess} Valid names "
                         f"are {sorted(_BY_NAME)}.")
    if callable(identifier):
        return identifier
    raise TypeError(f"An activation must be a name or a function. Received: {identifier!r}.")


def serialize(activation):
    """The name of one of this module's functions, or Keras's config of another function."""
    name = getattr(activation, "__name__", None)
    if _BY_NAME.get(name) is activation:
        return name
    return _layers.function_config(activation)


def deserialize(config):
    """Inverse of ``serialize``: a name, or a registered function's config."""
    if isinstance(config, dict):
        return _layers.function_from_config(config)
    return get(config)


del math, np
