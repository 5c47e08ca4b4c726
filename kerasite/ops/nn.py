"""``keras.ops.nn``: activations and crossentropies, with Keras 3's semantics.

The activations whose derivative reads best from their output (relu,
sigmoid, softmax, log_softmax) are ops with their own VJP; the others are
built from ops and need none. The crossentropies return one loss per sample
(no mean), as ``keras.ops.nn``'s do, and clip probabilities to
``[epsilon, 1 - epsilon]`` unless ``from_logits``.
"""

import math

import numpy as np

from kerasite.config import epsilon
from kerasite.ops.core import _raw, defvjp, ndim, op, shape
from kerasite.ops.numpy import (add, clip, divide, erf, exp, log, multiply, negative, one_hot,
                                subtract, sum, tanh)

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "softplus", "silu",
           "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "one_hot"]


# -------------------------------------------------------------------- activations
@op()
def relu(x):
    """``max(x, 0)``."""
    return np.maximum(x, 0)


defvjp(relu, lambda g, ans, x: multiply(g, _raw(ans) > 0))


@op()
def sigmoid(x):
    """``1 / (1 + e^-x)``, computed without overflow for large ``|x|``."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: e^-x for x >= 0, e^x for x < 0
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


defvjp(sigmoid, lambda g, ans, x: multiply(g, multiply(ans, subtract(1, ans))))


@op()
def softmax(x, axis=-1):
    """``e^x / sum(e^x)`` over ``axis`` (an int or a tuple)."""
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


defvjp(softmax,  # dL/dx = s * (g - sum(g * s))
       lambda g, ans, x, axis=-1: multiply(
           ans, subtract(g, sum(multiply(g, ans), axis=axis, keepdims=True))))


@op()
def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` over ``axis``: the log of ``softmax``, without underflow."""
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


defvjp(log_softmax,  # dL/dx = g - softmax(x) * sum(g), with softmax = e^ans
       lambda g, ans, x, axis=-1: subtract(
           g, multiply(exp(ans), sum(g, axis=axis, keepdims=True))))


@op()
def softplus(x):
    """``log(1 + e^x)``, without overflow."""
    return np.logaddexp(x, 0)


defvjp(softplus, lambda g, ans, x: multiply(g, sigmoid(x)))


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    return multiply(x, sigmoid(x))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x, approximate=True):
    """The Gaussian error linear unit, ``x * Phi(x)``.

    Args:
        approximate: Keras's ``ops.nn`` default, the tanh form
            ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; ``False``
            gives the exact ``0.5 x (1 + erf(x / sqrt(2)))``.
    """
    if approximate:
        inner = multiply(_SQRT_2_OVER_PI, add(x, multiply(0.044715, multiply(x, multiply(x, x)))))
        return multiply(multiply(0.5, x), add(1, tanh(inner)))
    return multiply(multiply(0.5, x), add(1, erf(multiply(x, 1 / math.sqrt(2)))))


# ---------------------------------------------------------------- crossentropies
def _same_shape(target, output):
    if shape(target) != shape(output):
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={shape(target)}, "
                         f"output.shape={shape(output)}.")


def binary_crossentropy(target, output, from_logits=False):
    """``-(t log p + (1 - t) log(1 - p))`` elementwise, as ``keras.ops.nn``'s.

    Args:
        target: labels in ``[0, 1]``, the shape of ``output``.
        output: probabilities, or logits if ``from_logits``.
        from_logits: with logits ``z``, ``t softplus(-z) + (1 - t) softplus(z)``,
            exact for any ``z`` (no clipping).
    """
    _same_shape(target, output)
    if from_logits:  # -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z)
        return add(multiply(target, softplus(negative(output))),
                   multiply(subtract(1, target), softplus(output)))
    p = clip(output, epsilon(), 1 - epsilon())
    return negative(add(multiply(target, log(p)), multiply(subtract(1, target),
                                                           log(subtract(1, p)))))


def _log_probabilities(output, from_logits, axis):
    if from_logits:
        return log_softmax(output, axis=axis)
    p = divide(output, sum(output, axis=axis, keepdims=True))  # rescaled to sum to 1
    return log(clip(p, epsilon(), 1 - epsilon()))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(t log p)`` over ``axis``, as ``keras.ops.nn``'s.

    Args:
        target: one-hot (or soft) labels, the shape of ``output``.
        output: probabilities (rescaled to sum to 1 over ``axis``, then
            clipped), or logits if ``from_logits``.
        axis: the class axis.

    Returns:
        One loss per sample: ``output``'s shape without ``axis``.
    """
    _same_shape(target, output)
    if ndim(output) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. "
                         f"Received: target.shape={shape(target)}, "
                         f"output.shape={shape(output)}.")
    return negative(sum(multiply(target, _log_probabilities(output, from_logits, axis)),
                        axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``categorical_crossentropy`` with integer class labels, as ``keras.ops.nn``'s.

    Args:
        target: class indices, ``output``'s shape without its class axis
            (a trailing axis of length 1 is dropped).
        output: probabilities or logits, ``(..., classes)``.
    """
    target = np.asarray(_raw(target))
    if ndim(output) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={shape(output)}.")
    if target.ndim == ndim(output) and target.shape[-1] == 1:
        target = np.squeeze(target, axis=-1)
    if target.shape != shape(output)[:-1]:
        raise ValueError("Arguments `target` and `output` must have the same shape up "
                         f"until the last dimension: target.shape={target.shape}, "
                         f"output.shape={shape(output)}.")
    labels = one_hot(target.astype(int), shape(output)[axis], axis=axis,
                     dtype=np.result_type(_raw(output)))
    return negative(sum(multiply(labels, _log_probabilities(output, from_logits, axis)),
                        axis=axis))

