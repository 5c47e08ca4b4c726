"""Layers that prepare raw inputs: ``Rescaling`` and ``Normalization``.

Both are affine maps ``y = a x + c`` with fixed ``a`` and ``c``, so their
backward pass is ``dx = a * g`` and they cache nothing.
"""

import numpy as np

from kerasite import config, initializers
from kerasite._validation import is_int
from kerasite.layers.base import Layer


def _as_numbers(value, name):
    """A float, or a float array for a list; JSON-safe back via ``_plain``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or isinstance(value, (bool, str)) or array.size == 0 \
            or not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be a finite number or a list of them. "
                         f"Received: {name}={value!r}.")
    return float(array) if array.ndim == 0 else array


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


class Rescaling(Layer):
    """Computes ``x * scale + offset``, e.g. ``Rescaling(1 / 255)`` for pixels.

    Args:
        scale: a number, or a list broadcast against the last axes (one
            value per channel, say).
        offset: a number or a list (default 0).

    Example:
        >>> import numpy as np
        >>> Rescaling(1 / 127.5, offset=-1).forward(np.array([[0.0, 255.0]]))
        array([[-1.,  1.]])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _as_numbers(scale, "scale")
        self.offset = _as_numbers(offset, "offset")

    # y = scale x + offset;  dy/dx = scale
    def call(self, x, training=False):
        out = self._out("out", np.broadcast_shapes(x.shape, np.shape(self.scale),
                                                   np.shape(self.offset)), x.dtype, training)
        np.multiply(x, self.scale, out=out, casting="same_kind")
        out += np.asarray(self.offset, dtype=x.dtype)
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_output * np.asarray(self.scale, dtype=grad_output.dtype)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale),
                "offset": _plain(self.offset)}


class Normalization(Layer):
    """Standardizes features: ``(x - mean) / sqrt(variance)``, with statistics from ``adapt``.

    The statistics are kept per position along ``axis`` (per feature for the
    default ``axis=-1``) and shared over the other axes; ``axis=None`` keeps
    one mean and one variance for everything. They are non-trainable
    weights, ``params["mean"]`` and ``params["variance"]``, so they are
    saved with the model. Before ``adapt`` (and without ``mean=``) the layer
    is the identity, as in Keras.

    Args:
        axis: an axis, a list of axes, or ``None``; the batch axis (0)
            cannot be one of them.
        mean: a fixed mean instead of ``adapt``: a number, or a list
            broadcast against the kept axes. Pass it with ``variance``.
        variance: the fixed variance that goes with ``mean``.
        invert: apply the inverse map, ``x * sqrt(variance) + mean``.

    Shapes:
        any input ``(batch, *features)``; the same shape out.

    Example:
        >>> import numpy as np
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer.forward(np.array([[1.0, 20.0]]))
        array([[0., 0.]])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axes = ()
        elif is_int(axis):
            axes = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
            axes = tuple(int(a) for a in axis)
        else:
            raise ValueError(f"`axis` must be an integer, a list of integers or None. "
                             f"Received: axis={axis!r}.")
        self.axis = axes
        self._axis_arg = axis if axis is None or isinstance(axis, int) else list(axes)
        if (mean is None) != (variance is None):
            raise ValueError("Pass both `mean` and `variance`, or neither (and call adapt). "
                             f"Received: mean={mean!r}, variance={variance!r}.")
        self.input_mean = None if mean is None else _as_numbers(mean, "mean")
        self.input_variance = None if variance is None else _as_numbers(variance, "variance")
        if variance is not None and np.any(np.asarray(self.input_variance) < 0):
            raise ValueError(f"`variance` must be >= 0. Received: variance={variance!r}.")
        self.invert = bool(invert)

    def build(self, input_shape):
        rank = len(input_shape)
        keep = sorted(a + rank if a < 0 else a for a in self.axis)
        if any(not 1 <= a < rank for a in keep):
            raise ValueError(
                f"`axis` of layer '{self.name}' (Normalization) must name feature axes, in "
                f"[1, {rank - 1}] or [{-(rank - 1)}, -1], for inputs of shape "
                f"{tuple(input_shape)}. Received: axis={self._axis_arg}.")
        self._reduce = tuple(d for d in range(rank) if d not in keep)
        self._broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(rank))
        shape = tuple(input_shape[d] for d in keep)
        mean_init, var_init = initializers.Zeros(), initializers.Ones()
        if self.input_mean is not None:
            try:
                mean0 = np.broadcast_to(self.input_mean, shape)
                var0 = np.broadcast_to(self.input_variance, shape)
            except ValueError:
                raise ValueError(
                    f"`mean` and `variance` of layer '{self.name}' cannot be broadcast to the "
                    f"statistics' shape {shape} (inputs {tuple(input_shape)}, axis="
                    f"{self._axis_arg}). Give one value per position of the kept axes.") from None
            mean_init = lambda s, dtype: mean0.astype(dtype)  # noqa: E731
            var_init = lambda s, dtype: var0.astype(dtype)  # noqa: E731
        self.add_weight("mean", shape, mean_init, trainable=False)
        self.add_weight("variance", shape, var_init, trainable=False)
        super().build(input_shape)

    def adapt(self, data):
        """Sets ``mean`` and ``variance`` from ``data``, over every axis but ``axis``.

        Args:
            data: an array ``(samples, *features)``.

        Raises:
            ValueError: if the layer was given ``mean`` and ``variance``, or
                ``data`` is empty, not finite, or of the wrong shape.
        """
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}' was given `mean` and `variance`; adapt would "
                             "replace them. Create it without them to adapt it to data.")
        try:
            data = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("`data` must be an array of numbers, (samples, *features). "
                            f"Received an object of type {type(data).__name__}.") from None
        if data.ndim < 1 or len(data) == 0 or not np.all(np.isfinite(data)):
            raise ValueError("`data` must be a non-empty array of finite numbers, (samples, "
                             f"*features). Received an array of shape {data.shape}.")
        self.ensure_built(data.shape)
        self.params["mean"][...] = data.mean(axis=self._reduce).reshape(self.params["mean"].shape)
        self.params["variance"][...] = data.var(axis=self._reduce).reshape(
            self.params["variance"].shape)

    def _std(self, dtype):
        # max(sqrt(variance), eps), shaped to broadcast against the input
        std = np.sqrt(self.params["variance"].reshape(self._broadcast[1:]))
        return np.maximum(std, config.epsilon()).astype(dtype, copy=False)

    # y = (x - mean) / std   (or x std + mean when inverted);   dy/dx = 1 / std (or std)
    def call(self, x, training=False):
        mean = self.params["mean"].reshape(self._broadcast[1:])
        out = self._out("out", x.shape, x.dtype, training)
        if self.invert:
            np.multiply(x, self._std(x.dtype), out=out)
            out += mean
        else:
            np.subtract(x, mean, out=out)
            out /= self._std(x.dtype)
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        std = self._std(grad_output.dtype)
        return grad_output * std if self.invert else grad_output / std

    def get_config(self):
        return {**super().get_config(), "axis": self._axis_arg,
                "mean": _plain(self.input_mean), "variance": _plain(self.input_variance),
                "invert": self.invert}
