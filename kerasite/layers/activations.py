"""Activation layers.

Each layer keeps its *output* ``z`` and computes its derivative from it, so
``backward`` never repeats the forward maths:

=========  ==========================  =============================
layer      forward                     d out / d in, from ``z``
=========  ==========================  =============================
ReLU       ``max(x, 0)``               ``z > 0``
LeakyReLU  ``x if x > 0 else a x``     ``1 if z > 0 else a``
Sigmoid    ``1 / (1 + exp(-x))``       ``z (1 - z)``
Tanh       ``tanh(x)``                 ``1 - z**2``
Softmax    ``exp(x) / sum(exp(x))``    ``z * (g - sum(g z))`` (a Jacobian-vector product)
Linear     ``x``                       ``1``
=========  ==========================  =============================

``Dense(..., activation="relu")`` holds one of these and runs it in place on
its own output buffer.
"""

import numpy as np

from kerasite.layers.base import Layer


class Activation(Layer):
    """Base of the activation layers: elementwise, no weights, same shape out."""

    _cache_attrs = ("z",)

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

    def apply(self, x, out):
        """Writes f(x) into ``out`` and returns it."""
        raise NotImplementedError

    def gradient(self, g, z, out):
        """Writes ``g * f'(x)``, computed from the output ``z``, into ``out``."""
        raise NotImplementedError


class ReLU(Activation):
    """Rectified linear unit, ``max(x, 0)``.

    Example:
        >>> import numpy as np
        >>> ReLU().forward(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])
    """

    def apply(self, x, out):
        return np.maximum(x, 0, out=out)

    def gradient(self, g, z, out):
        return np.multiply(g, z > 0, out=out)


class LeakyReLU(Activation):
    """``x`` for positive inputs, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: slope for negative inputs, ``>= 0`` (default 0.01).

    Example:
        >>> import numpy as np
        >>> LeakyReLU(0.1).forward(np.array([[-1.0, 2.0]]))
        array([[-0.1,  2. ]])
    """

    def __init__(self, negative_slope=0.01, **kwargs):
        super().__init__(**kwargs)
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) \
                or not negative_slope >= 0:
            raise ValueError(
                "`negative_slope` must be a number >= 0. "
                f"Received: negative_slope={negative_slope!r}."
            )
        self.negative_slope = float(negative_slope)

    def apply(self, x, out):
        if out is not x:
            np.copyto(out, x)
        return np.multiply(out, self.negative_slope, out=out, where=out < 0)

    def gradient(self, g, z, out):
        np.multiply(g, self.negative_slope, out=out)
        np.copyto(out, g, where=z > 0)
        return out

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Sigmoid(Activation):
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, with outputs in (0, 1).

    Example:
        >>> import numpy as np
        >>> Sigmoid().forward(np.array([[0.0]]))
        array([[0.5]])
    """

    def apply(self, x, out):
        # 1 / (1 + exp(-x)). For x below about -88 (float32), exp(-x) overflows
        # to inf and the result is exactly 0, the right limit, so the overflow
        # warning is silenced. NumPy's exp is vectorised where its tanh is not
        # on many CPUs, which makes this form about 1.6x faster than tanh's.
        np.negative(x, out=out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)

    def gradient(self, g, z, out):
        np.subtract(1.0, z, out=out)
        out *= z
        out *= g
        return out


class Tanh(Activation):
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


class Softmax(Activation):
    """Softmax along ``axis``: non-negative outputs that sum to 1.

    Args:
        axis: the axis to normalise over (default -1, the features).

    Example:
        >>> import numpy as np
        >>> Softmax().forward(np.array([[0.0, 0.0]]))
        array([[0.5, 0.5]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}.")
        self.axis = axis

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

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Linear(Activation):
    """The identity; ``activation=None`` means the same.

    Example:
        >>> import numpy as np
        >>> Linear().forward(np.array([[3.0]]))
        array([[3.]])
    """

    def call(self, x, training=False, out=None):
        return x

    def backward(self, grad_output, need_input_grad=True):
        return grad_output if need_input_grad else None


_BY_NAME = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "linear": Linear,
}


def get(identifier):
    """Returns a new activation layer for a name, or the layer itself.

    Args:
        identifier: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``, ``"tanh"``,
            ``"softmax"``, ``"linear"``, ``None`` (linear), or an
            ``Activation`` instance.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> type(get("tanh")).__name__
        'Tanh'
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(
        f"Unknown activation: {identifier!r}. Valid names are {sorted(_BY_NAME)}, "
        "or pass an activation layer such as kerasite.layers.ReLU()."
    )


def serialize(activation):
    """A JSON-safe form: the name when settings are the defaults, else a config dict."""
    if isinstance(activation, Linear):
        return None
    config = {k: v for k, v in activation.get_config().items() if k not in ("name", "trainable")}
    # Passing the name keeps this throwaway instance from using up an automatic name.
    defaults = type(activation)(name=activation.name).get_config()
    if all(defaults.get(k) == v for k, v in config.items()):
        for key, cls in _BY_NAME.items():
            if type(activation) is cls:
                return key
    return {"class_name": type(activation).__name__, "config": config}


def deserialize(config):
    """Inverse of ``serialize``."""
    if isinstance(config, dict):
        by_class = {cls.__name__: cls for cls in _BY_NAME.values()}
        cls = by_class.get(config.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown activation class: {config.get('class_name')!r}. "
                             f"Valid classes are {sorted(by_class)}.")
        return cls(**config.get("config", {}))
    return get(config)
