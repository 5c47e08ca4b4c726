"""Activation layers, and the names ``activation=`` accepts.

Each layer computes its derivative from what its forward pass kept: the
*output* ``z`` where that determines the derivative exactly, otherwise the
input ``x`` (and the one intermediate the derivative reuses). ``backward``
never repeats the forward maths.

| name | forward | d out / d in | cached |
|---|---|---|---|
| relu | `max(x, 0)` | `z > 0` | `z` |
| relu6 | `min(max(x, 0), 6)` | `0 < z < 6` | `z` |
| leaky_relu | `x if x > 0 else 0.2 x` | `1 if z > 0 else 0.2` | `z` |
| elu | `x if x > 0 else a (e^x - 1)` | `1 if z > 0 else z + a` | `z` |
| selu | `s * elu(x, a)`, fixed `s, a` | `s if z > 0 else z + s a` | `z` |
| sigmoid | `1 / (1 + e^-x)` | `z (1 - z)` | `z` |
| hard_sigmoid | `clip(x / 6 + 1/2, 0, 1)` | `1/6 if 0 < z < 1` | `z` |
| tanh | `tanh(x)` | `1 - z^2` | `z` |
| softplus | `log(1 + e^x)` | `1 - e^-z` | `z` |
| softsign | `x / (1 + abs(x))` | `(1 - abs(z))^2` | `z` |
| exponential | `e^x` | `z` | `z` |
| softmax | `e^x / sum(e^x)` | `z * (g - sum(g z))` | `z` |
| silu, swish | `x sigmoid(x)` | `s (1 + x (1 - s))` | `x, s` |
| gelu | `x Phi(x)` | `Phi(x) + x phi(x)` | `x, Phi` |
| mish | `x tanh(softplus(x))` | `t + x (1 - t^2) s` | `x, t, s` |
| linear | `x` | `1` | nothing |
| celu | `x if x > 0 else a (e^(x/a) - 1)` | `1 if z > 0 else z / a + 1` | `z` |
| hard_tanh | `clip(x, -1, 1)` | `-1 < z < 1` | `z` |
| hard_shrink | `x if abs(x) > t else 0` | `z != 0` | `z` |
| soft_shrink | `x - clip(x, -t, t)` | `z != 0` | `z` |
| log_sigmoid | `-softplus(-x)` | `-expm1(z)` | `z` |
| sparse_sigmoid | `clip((x + 1) / 2, 0, 1)` | `1/2 if 0 < z < 1` | `z` |
| sparse_plus | `0`, `(x + 1)^2 / 4`, `x` | `min(sqrt(z), 1)` | `z` |
| squareplus | `(x + sqrt(x^2 + b)) / 2` | `4 z^2 / (4 z^2 + b)` | `z` |
| log_softmax | `x - logsumexp(x)` | `g - e^z sum(g)` | `z` |
| sparsemax | `max(x - tau, 0)`, sums to 1 | `g - mean(g on z > 0)` on `z > 0` | `z` |
| tanh_shrink | `x - tanh(x)` | `t^2` | `t` |
| hard_silu, hard_swish | `x hard_sigmoid(x)` | `h + x / 6` on (-3, 3) | `x, h` |
| glu | `a sigmoid(b)`, halves | `s`, `a s (1 - s)` | `a, s` |

(``s`` is ``sigmoid(x)``, ``Phi`` and ``phi`` the normal CDF and density, ``t``
the ``tanh`` in mish and tanh_shrink, ``h`` the hard sigmoid, ``a, b`` glu's two
halves of its axis.) ``gelu`` with ``approximate=True`` uses the ``tanh``
form. ``Dense(..., activation="relu")`` holds one of these layers and runs it
in place on its own output buffer. Two layers have weights or settings and
are used only as layers: ``PReLU`` (a learned slope) and ``Activation``,
which wraps any of the names above.
"""

import math

import numpy as np

from kerasite import _registry, constraints, initializers, regularizers
from kerasite._validation import boolean, integer, is_int, number
from kerasite.layers.base import Layer


class _Elementwise(Layer):
    """Base of the activation layers: elementwise, no weights, same shape out.

    A subclass writes ``apply`` (the function) and ``gradient`` (``g * f'``
    computed from the output ``z``). One whose derivative needs the input
    overrides ``call`` and ``backward`` instead, and lists what it keeps in
    ``_cache_attrs``.
    """

    _cache_attrs = ("z",)
    supports_masking = True

    def call(self, x, training=False, out=None):
        if out is None:
            out = self._out("z", x.shape, x.dtype, training)
        self.z = self.apply(x, out)
        return self.z

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        dx = self._workspace("dx", grad_output.shape, grad_output.dtype)
        return self.gradient(grad_output, self.z, dx)

    # The pre-activation of an activation layer is simply its input. Layers that end in
    # an activation (Dense, Conv2D, ...) offer the same pair of methods.
    def call_with_pre_activation(self, x, training=False):
        """``call``, also returning the activation's input, left as it was.

        Args:
            x: the input, any shape.
            training: as for ``call``.

        Returns:
            ``(outputs, pre_activation)``: ``f(x)`` in a buffer of its own, and ``x``.
        """
        return self.call(x, training), x

    def backward_from_pre_activation(self, grad, need_input_grad=True):
        """Back-propagates a gradient already taken with respect to the input.

        After ``call_with_pre_activation``, a caller that differentiated
        through the activation itself hands over d L / d ``x``; there is
        nothing left to do here but pass it on.
        """
        return grad if need_input_grad else None

    def apply(self, x, out):
        """Writes f(x) into ``out`` and returns it."""
        raise NotImplementedError

    def gradient(self, g, z, out):
        """Writes ``g * f'(x)``, computed from the output ``z``, into ``out``."""
        raise NotImplementedError

    def _own_out(self, x, out, training):
        # Activations that keep their input must not overwrite it in place.
        if out is None or out is x:
            out = self._out("z", x.shape, x.dtype, training)
        return out


# ----------------------------------------------------------- piecewise linear
class ReLU(_Elementwise):
    """Rectified linear unit, with Keras's optional cap, leak and threshold.

    ``f(x) = min(x, max_value)`` for ``x > threshold``, and
    ``negative_slope * (x - threshold)`` otherwise. The defaults give
    ``max(x, 0)``; ``ReLU(max_value=6)`` is ``relu6``.

    Args:
        max_value: the cap, a number ``> 0``, or ``None`` for no cap.
        negative_slope: the slope below the threshold, ``>= 0``.
        threshold: where the linear part starts, ``>= 0``.

    Example:
        >>> import numpy as np
        >>> ReLU().forward(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])
        >>> ReLU(max_value=1.5, negative_slope=0.5, threshold=1.0).forward(
        ...     np.array([[0.0, 1.2, 3.0]]))
        array([[-0.5,  1.2,  1.5]])
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        # A cap at 0 would make the output 0 on both sides of the threshold, and the
        # derivative could no longer be read from it; Keras allows it, it is never useful.
        self.max_value = number(max_value, "max_value", 0, inclusive=(False, True),
                                allow_none=True)
        self.negative_slope = number(negative_slope, "negative_slope", 0)
        self.threshold = number(threshold, "threshold", 0)
        self._plain = max_value is None and negative_slope == 0 and threshold == 0

    def apply(self, x, out):
        if self._plain:
            return np.maximum(x, 0, out=out)
        if self.negative_slope == 0 and self.threshold == 0:  # a plain cap, e.g. relu6
            return np.clip(x, 0, self.max_value, out=out)
        y = np.where(x > self.threshold, x, self.negative_slope * (x - self.threshold))
        if self.max_value is not None:
            np.minimum(y, self.max_value, out=y)
        np.copyto(out, y)
        return out

    def gradient(self, g, z, out):
        if self._plain:
            return np.multiply(g, z > 0, out=out)
        if self.negative_slope == 0 and self.threshold == 0:
            return np.multiply(g, (z > 0) & (z < self.max_value), out=out)
        # With threshold, slope and cap >= 0: z > 0 below the cap is the linear part (slope 1),
        # z <= 0 the part below the threshold (negative_slope), z at the cap is flat (0).
        slope = np.where(z > 0, 1.0, self.negative_slope)
        if self.max_value is not None:
            slope[z >= self.max_value] = 0.0
        return np.multiply(g, slope, out=out)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """``x`` for positive inputs, ``negative_slope * x`` otherwise.

    The layer's default slope is Keras's, 0.3; the activation name
    ``"leaky_relu"`` uses 0.2, as ``keras.activations.leaky_relu`` does.

    Args:
        negative_slope: slope for negative inputs, a finite number ``>= 0``.

    Example:
        >>> import numpy as np
        >>> LeakyReLU(0.1).forward(np.array([[-1.0, 2.0]]))
        array([[-0.1,  2. ]])
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = number(negative_slope, "negative_slope", 0)

    def apply(self, x, out):
        if self.negative_slope <= 1:  # then max(x, a x) is x above 0 and a x below
            return np.maximum(x, self.negative_slope * x, out=out)
        return np.minimum(x, self.negative_slope * x, out=out)

    def gradient(self, g, z, out):
        np.multiply(g, self.negative_slope, out=out)
        np.copyto(out, g, where=z > 0)
        return out

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class HardSigmoid(_Elementwise):
    """Keras 3's piecewise linear sigmoid: ``clip(x / 6 + 0.5, 0, 1)``.

    (Keras 2 used ``0.2 x + 0.5``; Keras 3 changed it to this.)

    Example:
        >>> import numpy as np
        >>> HardSigmoid().forward(np.array([[-4.0, 0.0, 1.5, 4.0]]))
        array([[0.  , 0.5 , 0.75, 1.  ]])
    """

    def apply(self, x, out):
        np.multiply(x, 1.0 / 6.0, out=out)
        out += 0.5
        return np.clip(out, 0.0, 1.0, out=out)

    def gradient(self, g, z, out):
        np.multiply(g, (z > 0) & (z < 1), out=out)
        out *= 1.0 / 6.0
        return out


# ------------------------------------------------------------- exponential family
class ELU(_Elementwise):
    """Exponential linear unit: ``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: the scale of the negative part, a finite number ``>= 0``.
            (Keras also accepts negative values; then the output no longer
            tells which side of 0 the input was on, and kerasite refuses.)

    Example:
        >>> import numpy as np
        >>> ELU().forward(np.array([[0.0, 2.0]]))
        array([[0., 2.]])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = number(alpha, "alpha", 0)

    def apply(self, x, out):
        neg = np.minimum(x, 0)  # expm1 of the positive side could overflow
        np.expm1(neg, out=neg)
        neg *= self.alpha
        np.copyto(out, np.where(x > 0, x, neg))
        return out

    def gradient(self, g, z, out):
        # d/dx alpha (e^x - 1) = alpha e^x = z + alpha
        np.add(z, self.alpha, out=out)
        np.copyto(out, 1.0, where=z > 0)
        out *= g
        return out

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class SELU(_Elementwise):
    """Scaled ELU, ``scale * elu(x, alpha)`` with Klambauer et al.'s constants.

    Pair it with ``kernel_initializer="lecun_normal"``.

    Example:
        >>> import numpy as np
        >>> SELU().forward(np.array([[1.0]]))
        array([[1.05070099]])
    """

    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def apply(self, x, out):
        neg = np.minimum(x, 0)
        np.expm1(neg, out=neg)
        neg *= self.alpha
        np.copyto(out, np.where(x > 0, x, neg))
        out *= self.scale
        return out

    def gradient(self, g, z, out):
        # d/dx s a (e^x - 1) = s a e^x = z + s a
        np.add(z, self.scale * self.alpha, out=out)
        np.copyto(out, self.scale, where=z > 0)
        out *= g
        return out


class Exponential(_Elementwise):
    """``exp(x)``; its derivative is its output.

    Example:
        >>> import numpy as np
        >>> Exponential().forward(np.array([[0.0]]))
        array([[1.]])
    """

    def apply(self, x, out):
        return np.exp(x, out=out)

    def gradient(self, g, z, out):
        return np.multiply(g, z, out=out)


def _softplus(x, out):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, and about 50x faster than
    # np.logaddexp(x, 0), which handles the general case of two arrays. Safe with out is x.
    positive = np.maximum(x, 0)
    np.abs(x, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += positive
    return out


class Softplus(_Elementwise):
    """``log(1 + exp(x))``, a smooth ReLU; computed without overflow.

    Example:
        >>> import numpy as np
        >>> Softplus().forward(np.array([[0.0]]))
        array([[0.69314718]])
    """

    def apply(self, x, out):
        return _softplus(x, out)

    def gradient(self, g, z, out):
        # softplus' = sigmoid(x) = 1 - exp(-z), since exp(z) = 1 + exp(x)
        np.negative(z, out=out)
        np.expm1(out, out=out)
        np.negative(out, out=out)
        out *= g
        return out


class Softsign(_Elementwise):
    """``x / (1 + |x|)``, with outputs in (-1, 1).

    Example:
        >>> import numpy as np
        >>> Softsign().forward(np.array([[1.0, -3.0]]))
        array([[ 0.5 , -0.75]])
    """

    def apply(self, x, out):
        denom = np.abs(x)
        denom += 1.0
        return np.divide(x, denom, out=out)

    def gradient(self, g, z, out):
        # 1 / (1 + |x|)^2 = (1 - |z|)^2
        np.abs(z, out=out)
        np.subtract(1.0, out, out=out)
        np.square(out, out=out)
        out *= g
        return out


# ----------------------------------------------------------------- sigmoid, tanh
def sigmoid(x, out=None):
    """``1 / (1 + exp(-x))``, written into ``out`` (a new array if ``None``); the one sigmoid.

    Example:
        >>> sigmoid(np.array([0.0, -1000.0]))
        array([0.5, 0. ])
    """
    # 1 / (1 + exp(-x)). For x below about -88 (float32), exp(-x) overflows
    # to inf and the result is exactly 0, the right limit, so the overflow
    # warning is silenced. NumPy's exp is vectorised where its tanh is not
    # on many CPUs, which makes this form about 1.6x faster than tanh's.
    out = np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


class Sigmoid(_Elementwise):
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, with outputs in (0, 1).

    Example:
        >>> import numpy as np
        >>> Sigmoid().forward(np.array([[0.0]]))
        array([[0.5]])
    """

    def apply(self, x, out):
        return sigmoid(x, out)

    def gradient(self, g, z, out):
        np.subtract(1.0, z, out=out)
        out *= z
        out *= g
        return out


class Tanh(_Elementwise):
    """Hyperbolic tangent, with outputs in (-1, 1).

    Example:
        >>> import numpy as np
        >>> Tanh().forward(np.array([[0.0]]))
        array([[0.]])
    """

    def apply(self, x, out):
        return np.tanh(x, out=out)

    def gradient(self, g, z, out):
        np.multiply(z, z, out=out)
        np.subtract(1.0, out, out=out)
        out *= g
        return out


class _AlongAxis(_Elementwise):
    """An activation over one axis (the softmax family): checks ``axis`` at build."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = integer(axis, "axis")

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"`axis` of layer '{self.name}' ({type(self).__name__}) must be in "
                f"[{-rank}, {rank - 1}] for inputs of shape {tuple(input_shape)}. "
                f"Received: axis={self.axis}. Use axis=-1 to normalise over the last axis."
            )
        super().build(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Softmax(_AlongAxis):
    """Softmax along ``axis``: non-negative outputs that sum to 1.

    Args:
        axis: the axis to normalise over (default -1, the features). It is
            checked against the input's rank when the layer is built.

    Example:
        >>> import numpy as np
        >>> Softmax().forward(np.array([[0.0, 0.0]]))
        array([[0.5, 0.5]])
    """

    def apply(self, x, out):
        # Subtracting the max leaves softmax unchanged and keeps exp() finite.
        np.subtract(x, x.max(axis=self.axis, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=self.axis, keepdims=True)
        return out

    def gradient(self, g, z, out):
        # J^T g for J = diag(z) - z z^T, without forming J: z * (g - <g, z>).
        np.multiply(g, z, out=out)
        dot = out.sum(axis=self.axis, keepdims=True)
        np.subtract(g, dot, out=out)
        out *= z
        return out


# ------------------------------------------------- derivatives from the input
class SiLU(_Elementwise):
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Keeps ``x`` and ``s = sigmoid(x)``: the derivative ``s (1 + x (1 - s))``
    needs both, and the output alone does not determine ``x``.

    Example:
        >>> import numpy as np
        >>> SiLU().forward(np.array([[0.0, 1.0]]))
        array([[0.        , 0.73105858]])
    """

    _cache_attrs = ("x", "s")

    def call(self, x, training=False, out=None):
        out = self._own_out(x, out, training)
        self.x = x
        self.s = sigmoid(x, self._out("s", x.shape, x.dtype, training))
        return np.multiply(x, self.s, out=out)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        x, s = self.x, self.s
        dx = self._workspace("dx", grad_output.shape, grad_output.dtype)
        np.subtract(1.0, s, out=dx)  # s (1 + x (1 - s))
        dx *= x
        dx += 1.0
        dx *= s
        dx *= grad_output
        return dx


Swish = SiLU

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# erf(a) = 2/sqrt(pi) * a * exp(-a^2) * sum_n d_n a^(2n), d_n = 2^n / (1 * 3 * ... * (2n + 1)).
# Every term is positive (no cancellation); for |a| <= 2, 34 terms reach double precision.
_ERF_TERMS = [1.0]
for _n in range(1, 34):
    _ERF_TERMS.append(_ERF_TERMS[-1] * 2.0 / (2 * _n + 1))


def _erf_series(a):
    t = a * a
    total = np.full_like(a, _ERF_TERMS[-1])
    for c in reversed(_ERF_TERMS[:-1]):  # Horner's rule in t = a^2
        total *= t
        total += c
    total *= a
    total *= np.exp(-t)
    return total * (2.0 / math.sqrt(math.pi))


def _erfc_tail(a):
    # Laplace's continued fraction for a >= 2, evaluated from its tail:
    # erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...))))
    t = a.copy()
    for k in range(60, 0, -1):
        t = a + (k / 2.0) / t
    return np.exp(-a * a) / (math.sqrt(math.pi) * t)


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, to about 1e-15, in NumPy alone.

    NumPy has no vectorised ``erf``: a power series covers ``|x / sqrt 2| < 2``,
    and a continued fraction for ``erfc`` the rarer tails (accurate in
    relative terms on the left tail, where Phi is tiny).
    """
    u = np.asarray(x, dtype=np.float64) / _SQRT2
    out = 0.5 * (1.0 + _erf_series(np.clip(u, -2.0, 2.0)))
    tail = np.abs(u) >= 2.0
    if tail.any():
        u_tail = u[tail]
        half_erfc = 0.5 * _erfc_tail(np.abs(u_tail))
        out[tail] = np.where(u_tail < 0, half_erfc, 1.0 - half_erfc)
    return out.astype(np.asarray(x).dtype, copy=False)


class GELU(_Elementwise):
    """Gaussian error linear unit, ``x * Phi(x)`` with ``Phi`` the normal CDF.

    Keeps ``x`` and ``Phi(x)`` (or the ``tanh`` term when approximate): the
    derivative is ``Phi(x) + x phi(x)``.

    NumPy has no vectorised ``erf``, so the exact form evaluates a series:
    it costs about ten times the ``tanh`` form, which differs from it by
    less than 5e-4.

    Args:
        approximate: use ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``
            instead of the exact form (Keras's default is exact).

    Example:
        >>> import numpy as np
        >>> GELU().forward(np.array([[0.0, 1.0]]))
        array([[0.        , 0.84134475]])
    """

    _cache_attrs = ("x", "p")

    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = boolean(approximate, "approximate")

    def call(self, x, training=False, out=None):
        out = self._own_out(x, out, training)
        self.x = x
        if self.approximate:  # p = tanh(sqrt(2/pi) (x + 0.044715 x^3))
            p = np.multiply(x, x, out=self._out("p", x.shape, x.dtype, training))
            p *= 0.044715
            p += 1.0
            p *= x
            p *= _SQRT_2_OVER_PI
            self.p = np.tanh(p, out=p)
            np.add(self.p, 1.0, out=out)
            out *= 0.5
        else:  # p = Phi(x)
            self.p = _normal_cdf(x)
            np.copyto(out, self.p)
        out *= x
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        x, p = self.x, self.p
        if self.approximate:
            # d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            inner = (1.0 + 3 * 0.044715 * x * x) * _SQRT_2_OVER_PI
            dx = 0.5 * (1.0 + p) + 0.5 * x * (1.0 - p * p) * inner
        else:
            # d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
            dx = p + x * np.exp(-0.5 * x * x) / _SQRT_2PI
        dx *= grad_output
        return dx

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}


class Mish(_Elementwise):
    """``x * tanh(softplus(x))`` (Misra, 2019).

    Keeps ``x``, ``t = tanh(softplus(x))`` and ``s = sigmoid(x)`` (the
    derivative of softplus): ``d/dx = t + x (1 - t^2) s``.

    Example:
        >>> import numpy as np
        >>> Mish().forward(np.array([[0.0, 1.0]]))
        array([[0.        , 0.86509839]])
    """

    _cache_attrs = ("x", "t", "s")

    def call(self, x, training=False, out=None):
        out = self._own_out(x, out, training)
        self.x = x
        sp = _softplus(x, np.empty_like(x))
        self.s = -np.expm1(-sp)  # sigmoid(x) = 1 - exp(-softplus(x))
        self.t = np.tanh(sp, out=sp)
        return np.multiply(x, self.t, out=out)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        x, t, s = self.x, self.t, self.s
        dx = 1.0 - t * t
        dx *= x
        dx *= s
        dx += t
        dx *= grad_output
        return dx


class Linear(_Elementwise):
    """The identity; ``activation=None`` means the same.

    Example:
        >>> import numpy as np
        >>> Linear().forward(np.array([[3.0]]))
        array([[3.]])
    """

    _cache_attrs = ()

    def call(self, x, training=False, out=None):
        return x

    def backward(self, grad_output, need_input_grad=True):
        return grad_output if need_input_grad else None


# ------------------------------------------------------------ layers with settings
class Activation(_Elementwise):
    """Applies a named activation, as ``keras.layers.Activation`` does.

    Args:
        activation: any name ``activation=`` accepts (``"relu"``, ``"gelu"``,
            ...), a config dict, or an activation layer such as ``ELU(0.5)``.

    Example:
        >>> import numpy as np
        >>> Activation("relu").forward(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = get(activation)
        if self.activation is activation:  # our own copy: the cache must not be shared
            self.activation = type(activation).from_config(activation.get_config())
        # The wrapped layer keeps the cache; it is mirrored here, so that whoever saves and
        # restores this layer's cache (the graph engine) sees all of it.
        self._cache_attrs = tuple(self.activation._cache_attrs)

    def build(self, input_shape):
        self.activation.ensure_built(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return self.activation.compute_output_shape(input_shape)

    def call(self, x, training=False, out=None):
        z = self.activation.call(x, training, out)
        for attr in self._cache_attrs:
            setattr(self, attr, getattr(self.activation, attr, None))
        return z

    def backward(self, grad_output, need_input_grad=True):
        for attr in self._cache_attrs:
            setattr(self.activation, attr, getattr(self, attr))
        return self.activation.backward(grad_output, need_input_grad)

    def clear_cache(self):
        super().clear_cache()
        self.activation.clear_cache()

    def get_config(self):
        return {**super().get_config(), "activation": serialize(self.activation)}


class PReLU(Layer):
    """Leaky ReLU with a learned slope: ``x`` if ``x > 0``, else ``alpha * x``.

    ``alpha`` is a weight of shape ``input_shape[1:]``, one slope per input
    value, except along ``shared_axes``, where one slope is shared (size 1),
    as in Keras.

    Args:
        alpha_initializer: initializer of ``alpha`` (zeros, as Keras).
        alpha_regularizer: a regularizer of ``alpha``, or ``None``.
        alpha_constraint: a constraint on ``alpha``, or ``None``.
        shared_axes: axes (counted with the batch axis as 0) along which the
            slope is shared, e.g. ``[1, 2]`` for images ``(batch, h, w, c)``.

    Shapes:
        input and output ``(batch, *features)``; ``alpha`` is ``features``
        with the shared axes set to 1.

    Example:
        >>> import numpy as np
        >>> layer = PReLU(alpha_initializer=initializers.Constant(0.25))
        >>> layer.forward(np.array([[-4.0, 2.0]]))
        array([[-1.,  2.]])
    """

    _cache_attrs = ("x",)

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            axes = ()
        else:
            axes = (shared_axes,) if isinstance(shared_axes, (int, np.integer)) \
                else tuple(shared_axes)
            if not all(is_int(a) and a >= 1 for a in axes):
                raise ValueError(
                    "`shared_axes` must be a list of axes >= 1 (axis 0 is the batch). "
                    f"Received: shared_axes={shared_axes!r}.")
        self.shared_axes = tuple(int(a) for a in axes)
        if self.alpha_regularizer is not None:
            self.regularizers["alpha"] = self.alpha_regularizer
        if self.alpha_constraint is not None:
            self.constraints["alpha"] = self.alpha_constraint

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            if axis > len(shape):
                raise ValueError(
                    f"`shared_axes` of layer '{self.name}' (PReLU) names axis {axis}, but the "
                    f"input {tuple(input_shape)} has axes 1 to {len(shape)} besides the batch.")
            shape[axis - 1] = 1
        self.add_weight("alpha", tuple(shape), self.alpha_initializer)
        self._reduce = (0, *self.shared_axes)  # the axes alpha is broadcast over
        super().build(input_shape)

    # f(x) = max(x, 0) + alpha min(x, 0)
    #   df/dx = 1 where x > 0, alpha elsewhere;   df/dalpha = min(x, 0)
    def call(self, x, training=False):
        self.x = x
        out = self._out("out", x.shape, x.dtype, training)
        np.minimum(x, 0, out=out)
        out *= self.params["alpha"]
        out += np.maximum(x, 0)
        return out

    def backward(self, grad_output, need_input_grad=True):
        x, alpha = self.x, self.params["alpha"]
        neg = np.minimum(x, 0)
        neg *= grad_output
        self.grads["alpha"][...] = neg.sum(axis=self._reduce, keepdims=True)[0]
        if not need_input_grad:
            return None
        return np.where(x > 0, grad_output, grad_output * alpha)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": list(self.shared_axes) or None}


# ------------------------------------------------------ Keras 3's newer activations
class CELU(_Elementwise):
    """Continuously differentiable ELU: ``x`` if ``x >= 0``, else ``alpha (exp(x / alpha) - 1)``.

    The derivative is 1 above zero and ``exp(x / alpha) = z / alpha + 1`` below,
    so the output alone gives it.

    Args:
        alpha: the scale of the negative part, a number ``> 0`` (default 1).

    Example:
        >>> import numpy as np
        >>> CELU(alpha=2.0).forward(np.array([[-2.0, 3.0]])).round(4)
        array([[-1.2642,  3.    ]])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = number(alpha, "alpha", 0, inclusive=(False, True))

    def apply(self, x, out):
        neg = np.minimum(x, 0)
        neg /= self.alpha
        np.expm1(neg, out=neg)
        neg *= self.alpha
        np.copyto(out, np.where(x > 0, x, neg))
        return out

    def gradient(self, g, z, out):
        np.divide(z, self.alpha, out=out)
        out += 1.0
        np.copyto(out, 1.0, where=z > 0)
        out *= g
        return out

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class HardTanh(_Elementwise):
    """``clip(x, -1, 1)``; the derivative is 1 strictly inside (-1, 1), else 0.

    Example:
        >>> import numpy as np
        >>> HardTanh().forward(np.array([[-3.0, 0.5, 2.0]]))
        array([[-1. ,  0.5,  1. ]])
    """

    def apply(self, x, out):
        return np.clip(x, -1.0, 1.0, out=out)

    def gradient(self, g, z, out):
        return np.multiply(g, (z > -1.0) & (z < 1.0), out=out)


class HardShrink(_Elementwise):
    """``x`` where ``|x| > threshold``, else 0; the derivative is 1 where the output is not 0.

    Args:
        threshold: a number ``>= 0`` (default 0.5).

    Example:
        >>> import numpy as np
        >>> HardShrink().forward(np.array([[-1.0, 0.3, 0.7]]))
        array([[-1. ,  0. ,  0.7]])
    """

    def __init__(self, threshold=0.5, **kwargs):
        super().__init__(**kwargs)
        self.threshold = number(threshold, "threshold", 0)

    def apply(self, x, out):
        return np.multiply(x, np.abs(x) > self.threshold, out=out)

    def gradient(self, g, z, out):
        return np.multiply(g, z != 0, out=out)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class SoftShrink(HardShrink):
    """``x - clip(x, -threshold, threshold)``: shrinks towards 0 by ``threshold``.

    The derivative is 1 where ``|x| > threshold``, exactly where the output is not 0.

    Args:
        threshold: a number ``>= 0`` (default 0.5).

    Example:
        >>> import numpy as np
        >>> SoftShrink().forward(np.array([[-1.0, 0.3, 0.7]]))
        array([[-0.5,  0. ,  0.2]])
    """

    def apply(self, x, out):
        return np.subtract(x, np.clip(x, -self.threshold, self.threshold), out=out)


class LogSigmoid(_Elementwise):
    """``log(sigmoid(x)) = -softplus(-x)``, computed without overflow.

    The derivative ``sigmoid(-x) = 1 - sigmoid(x) = -expm1(z)``.

    Example:
        >>> import numpy as np
        >>> LogSigmoid().forward(np.array([[0.0, -1000.0]])).round(4).tolist()
        [[-0.6931, -1000.0]]
    """

    def apply(self, x, out):
        np.negative(x, out=out)
        _softplus(out, out)
        return np.negative(out, out=out)

    def gradient(self, g, z, out):
        np.expm1(z, out=out)
        np.negative(out, out=out)
        out *= g
        return out


class SparseSigmoid(_Elementwise):
    """``clip((x + 1) / 2, 0, 1)``: exactly 0 below -1 and exactly 1 above 1.

    Example:
        >>> import numpy as np
        >>> SparseSigmoid().forward(np.array([[-2.0, 0.0, 0.5, 3.0]]))
        array([[0.  , 0.5 , 0.75, 1.  ]])
    """

    def apply(self, x, out):
        np.add(x, 1.0, out=out)
        out *= 0.5
        return np.clip(out, 0.0, 1.0, out=out)

    def gradient(self, g, z, out):
        np.multiply(g, (z > 0.0) & (z < 1.0), out=out)
        out *= 0.5
        return out


class SparsePlus(_Elementwise):
    """0 below -1, ``(x + 1)^2 / 4`` on (-1, 1), ``x`` above 1: a smooth ReLU with sparse zeros.

    Its derivative, 0, ``(x + 1) / 2`` or 1, equals ``min(sqrt(z), 1)`` on
    each piece, so the output alone gives it.

    Example:
        >>> import numpy as np
        >>> SparsePlus().forward(np.array([[-2.0, 0.0, 2.0]]))
        array([[0.  , 0.25, 2.  ]])
    """

    def apply(self, x, out):
        # (clip(x, -1, 1) + 1)^2 / 4 + max(x - 1, 0): each piece at once, and safe
        # in place (the tail is taken before ``out`` overwrites ``x``).
        tail = np.maximum(x - 1.0, 0.0)
        np.clip(x, -1.0, 1.0, out=out)
        out += 1.0
        np.square(out, out=out)
        out *= 0.25
        out += tail
        return out

    def gradient(self, g, z, out):
        np.sqrt(z, out=out)
        np.minimum(out, 1.0, out=out)
        out *= g
        return out


class Squareplus(_Elementwise):
    """``(x + sqrt(x^2 + b)) / 2``, a smooth ReLU made of a square root.

    For negative ``x`` it is written ``b / (2 (sqrt(x^2 + b) - x))``, the same
    value without the cancellation. Solving for ``x`` gives the derivative
    from the output: ``(1 + x / sqrt(x^2 + b)) / 2 = 4 z^2 / (4 z^2 + b)``.

    Args:
        b: the smoothness, a number ``>= 0`` (default 4; ``b = 0`` is ReLU).

    Example:
        >>> import numpy as np
        >>> Squareplus().forward(np.array([[0.0, 1.5]]))
        array([[1., 2.]])
    """

    def __init__(self, b=4, **kwargs):
        super().__init__(**kwargs)
        self.b = number(b, "b", 0)

    def apply(self, x, out):
        root = np.sqrt(np.square(x) + self.b)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = self.b / (2.0 * (root - x))
        np.copyto(out, np.where(x >= 0, (x + root) / 2.0, left))
        return out

    def gradient(self, g, z, out):
        np.square(z, out=out)
        out *= 4.0
        denominator = out + self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(out, denominator, out=out, where=denominator > 0)
        np.copyto(out, 0.0, where=denominator == 0)
        out *= g
        return out

    def get_config(self):
        return {**super().get_config(), "b": self.b}


class TanhShrink(_Elementwise):
    """``x - tanh(x)``; keeps ``t = tanh(x)`` for the derivative ``t^2``.

    Example:
        >>> import numpy as np
        >>> TanhShrink().forward(np.array([[0.0, 1.0]])).round(4)
        array([[0.    , 0.2384]])
    """

    _cache_attrs = ("t",)

    def call(self, x, training=False, out=None):
        out = self._own_out(x, out, training)
        self.t = np.tanh(x, out=self._out("t", x.shape, x.dtype, training))
        return np.subtract(x, self.t, out=out)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        dx = self._workspace("dx", grad_output.shape, grad_output.dtype)
        np.square(self.t, out=dx)
        dx *= grad_output
        return dx


class HardSiLU(_Elementwise):
    """``x * hard_sigmoid(x) = x * clip(x / 6 + 1/2, 0, 1)`` (hard swish).

    Keeps ``x`` and ``h = hard_sigmoid(x)``: the derivative is
    ``h + x / 6`` on (-3, 3), and ``h`` outside.

    Example:
        >>> import numpy as np
        >>> HardSiLU().forward(np.array([[-4.0, 1.0, 4.0]])).round(4)
        array([[-0.    ,  0.6667,  4.    ]])
    """

    _cache_attrs = ("x", "h")

    def call(self, x, training=False, out=None):
        out = self._own_out(x, out, training)
        self.x = x
        self.h = HardSigmoid.apply(self, x, self._out("h", x.shape, x.dtype, training))
        return np.multiply(x, self.h, out=out)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        x = self.x
        dx = self._workspace("dx", grad_output.shape, grad_output.dtype)
        np.multiply(x, ((x > -3.0) & (x < 3.0)) / 6.0, out=dx)
        dx += self.h
        dx *= grad_output
        return dx


HardSwish = HardSiLU


class LogSoftmax(_AlongAxis):
    """``x - logsumexp(x)`` along ``axis``: the log of the softmax, without its underflow.

    With ``s = exp(z)`` the softmax, the backward is ``g - s * sum(g)``.

    Args:
        axis: the axis to normalise over (default -1).

    Example:
        >>> import numpy as np
        >>> LogSoftmax().forward(np.array([[0.0, 0.0]])).round(4)
        array([[-0.6931, -0.6931]])
    """

    def apply(self, x, out):
        np.subtract(x, x.max(axis=self.axis, keepdims=True), out=out)
        out -= np.log(np.exp(out).sum(axis=self.axis, keepdims=True))
        return out

    def gradient(self, g, z, out):
        np.exp(z, out=out)
        out *= g.sum(axis=self.axis, keepdims=True)
        return np.subtract(g, out, out=out)


class Sparsemax(_AlongAxis):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax its outputs are non-negative and sum to 1, but many are
    exactly 0 (Martins & Astudillo, 2016). With ``S`` the outputs above 0,
    ``z = max(x - tau, 0)`` where ``tau`` makes the sum 1; the backward is
    ``g - mean(g over S)`` on ``S`` and 0 elsewhere.

    Args:
        axis: the axis to project along (default -1).

    Example:
        >>> import numpy as np
        >>> Sparsemax().forward(np.array([[2.0, 1.0, -1.0]]))
        array([[1., 0., 0.]])
    """

    def apply(self, x, out):
        xs = np.moveaxis(x, self.axis, -1)
        ranked = -np.sort(-xs, axis=-1)                  # descending
        k = np.arange(1, xs.shape[-1] + 1, dtype=x.dtype)
        cumulative = np.cumsum(ranked, axis=-1)
        support = (1.0 + k * ranked) > cumulative        # a prefix of the ranks
        size = support.sum(axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1.0) / size
        np.copyto(out, np.moveaxis(np.maximum(xs - tau, 0.0), -1, self.axis))
        return out

    def gradient(self, g, z, out):
        on = z > 0
        mean = (g * on).sum(axis=self.axis, keepdims=True) / on.sum(axis=self.axis,
                                                                      keepdims=True)
        np.subtract(g, mean, out=out)
        out *= on
        return out


class GLU(_AlongAxis):
    """The gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``axis``.

    The output has half the input's size along ``axis``. It is used as a
    layer of its own (``layers.Activation("glu")`` or ``GLU()``), not as the
    ``activation=`` of a Dense or convolution, whose output keeps its size.

    Args:
        axis: the axis to split (default -1); its size must be even.

    Example:
        >>> import numpy as np
        >>> GLU().forward(np.array([[1.0, 2.0, 0.0, 0.0]]))
        array([[0.5, 1. ]])
    """

    _cache_attrs = ("a", "s")

    def build(self, input_shape):
        size = input_shape[self.axis] if -len(input_shape) <= self.axis < len(input_shape) else 0
        if size is not None and size % 2:
            raise ValueError(
                f"GLU splits axis {self.axis} into two halves, so its size must be even. "
                f"Received: input shape {tuple(input_shape)}."
            )
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if shape[self.axis] is not None:
            shape[self.axis] //= 2
        return tuple(shape)

    def call(self, x, training=False, out=None):
        if out is not None and out.shape == x.shape:
            raise ValueError(
                "activation='glu' halves the last axis, so it cannot be the `activation` of a "
                "layer whose output keeps its size (Dense, Conv...). Put it after the layer: "
                "Dense(2 * units) followed by layers.Activation('glu')."
            )
        self.a, b = np.split(x, 2, axis=self.axis)
        self.s = sigmoid(b, self._out("s", b.shape, b.dtype, training))
        return np.multiply(self.a, self.s)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        da = grad_output * self.s
        db = da * self.a
        db *= 1.0 - self.s
        return np.concatenate([da, db], axis=self.axis)


# ------------------------------------------------------------------------ names
# name -> (class, constructor arguments). Two names may share a class with other
# settings: "relu6" is ReLU(max_value=6), "leaky_relu" is LeakyReLU(0.2).
_BY_NAME = {
    "relu": (ReLU, {}),
    "relu6": (ReLU, {"max_value": 6.0}),
    "leaky_relu": (LeakyReLU, {"negative_slope": 0.2}),
    "elu": (ELU, {}),
    "selu": (SELU, {}),
    "sigmoid": (Sigmoid, {}),
    "hard_sigmoid": (HardSigmoid, {}),
    "tanh": (Tanh, {}),
    "softmax": (Softmax, {}),
    "softplus": (Softplus, {}),
    "softsign": (Softsign, {}),
    "exponential": (Exponential, {}),
    "silu": (SiLU, {}),
    "swish": (SiLU, {}),
    "gelu": (GELU, {}),
    "mish": (Mish, {}),
    "linear": (Linear, {}),
    "celu": (CELU, {}),
    "glu": (GLU, {}),
    "hard_shrink": (HardShrink, {}),
    "hard_silu": (HardSiLU, {}),
    "hard_swish": (HardSiLU, {}),
    "hard_tanh": (HardTanh, {}),
    "log_sigmoid": (LogSigmoid, {}),
    "log_softmax": (LogSoftmax, {}),
    "soft_shrink": (SoftShrink, {}),
    "sparse_plus": (SparsePlus, {}),
    "sparse_sigmoid": (SparseSigmoid, {}),
    "sparsemax": (Sparsemax, {}),
    "squareplus": (Squareplus, {}),
    "tanh_shrink": (TanhShrink, {}),
}


class FunctionActivation(_Elementwise):
    """A user's activation function, written with ``kerasite.ops``, as an activation layer.

    ``Dense(64, activation=fn)`` with ``fn(x)`` made of ops (``lambda x:
    x * ops.sigmoid(x)``) wraps ``fn`` in this layer. The forward runs ``fn``
    under a ``GradientTape`` watching its input, and the backward replays
    that tape with the gradient of the output: the derivative is the ops' own
    backwards. The function must keep the shape of its input.

    Args:
        fn: the function ``fn(x) -> array of x's shape``.

    Example:
        >>> import numpy as np
        >>> from kerasite import ops
        >>> act = FunctionActivation(lambda x: ops.square(x))
        >>> act.forward(np.array([[1.0, -3.0]]))
        array([[1., 9.]])
        >>> act.backward(np.ones((1, 2)))
        array([[ 2., -6.]])
    """

    _cache_attrs = ("_x", "_y", "_tape")

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        if not callable(fn):
            raise TypeError(f"`fn` must be a function of one array. Received: fn={fn!r}.")
        self.fn = fn

    def call(self, x, training=False, out=None):
        from kerasite.ops.numpy import convert_to_tensor
        from kerasite.ops.tape import GradientTape

        self._x = convert_to_tensor(x)
        with GradientTape() as tape:
            tape.watch(self._x)
            self._y = self.fn(self._x)
        self._tape = tape
        y = np.asarray(self._y).view(np.ndarray)
        if y.shape != x.shape:
            raise ValueError(
                f"The activation function {_function_name(self.fn)!r} must keep the shape of "
                f"its input: it turned {x.shape} into {y.shape}. Use a layer of its own (for "
                "example kerasite.layers.Lambda) for a function that changes the shape.")
        if out is None or out is x:
            return y.astype(x.dtype, copy=False)
        np.copyto(out, y)
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        grad = self._tape.gradient(self._y, self._x, output_gradients=grad_output)
        return np.zeros_like(grad_output) if grad is None else \
            np.asarray(grad, dtype=grad_output.dtype)

    def get_config(self):
        return {**super().get_config(), "fn": function_config(self.fn)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(function_from_config(config.pop("fn")), **config)


def _function_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def function_config(fn):
    """Keras 3's form of a function in a config; loading finds it among the registered ones."""
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": _function_name(fn), "registered_name": "function"}


def function_from_config(config):
    """The function a ``function_config`` names, if it is registered.

    Raises:
        TypeError: if no function of that name is registered.
    """
    name = config.get("config") if isinstance(config, dict) else config
    fn = _registry.registered_function(name)
    if fn is None:
        raise TypeError(
            f"Could not locate the activation function {name!r}. Decorate it with "
            "@kerasite.saving.register_keras_serializable() and make sure that code has run "
            "before loading.")
    return fn


def _from_function(fn):
    if isinstance(fn, Layer):
        raise ValueError(
            f"{type(fn).__name__} cannot be used as `activation=`: it has weights or "
            "changes the shape. Add it as a layer of its own after this one.")
    # kerasite.activations.relu and the other functions of that module name their layer.
    name = getattr(fn, "_activation_name", None)
    if name is not None:
        return _REGISTRY.get(name)
    return FunctionActivation(fn)


def _factory(cls, kwargs):
    return lambda: cls(**kwargs)


# get(None) is the linear activation, as in Keras.
_REGISTRY = _registry.Registry(
    "activation", _Elementwise, classes={cls for cls, _ in _BY_NAME.values()},
    names={name: _factory(cls, kwargs) for name, (cls, kwargs) in _BY_NAME.items()},
    hint="or pass an activation layer such as kerasite.layers.ReLU()",
    from_callable=_from_function, from_none=Linear)
register = _REGISTRY.register


def get(identifier):
    """Returns a new activation layer for a name, or the layer itself.

    Args:
        identifier: one of the names in the table above (``"relu"``,
            ``"gelu"``, ``"swish"``, ...), a class name (``"ReLU"``),
            ``None`` (linear), a config dict, or an activation layer such as
            ``ReLU(max_value=6)``.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    A plain function written with ``kerasite.ops`` becomes a
    :class:`FunctionActivation`, differentiated by a tape.

    Example:
        >>> type(get("tanh")).__name__
        'Tanh'
        >>> get("leaky_relu").negative_slope
        0.2
    """
    if isinstance(identifier, Activation):
        return identifier.activation
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return FunctionActivation(function_from_config(identifier))
    return _REGISTRY.get(identifier)


def _settings(activation):
    return {k: v for k, v in activation.get_config().items() if k not in ("name", "trainable")}


def serialize(activation):
    """A JSON-safe form: a name when one describes it, else a config dict.

    Example:
        >>> serialize(ReLU(max_value=6))
        'relu6'
        >>> serialize(LeakyReLU(0.3))
        {'class_name': 'LeakyReLU', 'config': {'negative_slope': 0.3}}
    """
    if activation is None or isinstance(activation, Linear):
        return "linear"  # as Keras writes the identity
    if isinstance(activation, FunctionActivation):
        return function_config(activation.fn)
    settings = _settings(activation)
    for key, (cls, kwargs) in _BY_NAME.items():
        # Passing the name keeps this throwaway instance from using up an automatic name.
        if type(activation) is cls and _settings(cls(name=activation.name, **kwargs)) == settings:
            return key
    return {"class_name": type(activation).__name__, "config": settings}


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes.

    ``None`` is the linear activation.
    """
    if config is None:
        return Linear()
    if isinstance(config, dict) and config.get("class_name") == "function":
        return FunctionActivation(function_from_config(config))
    return _REGISTRY.deserialize(config)
