"""``Resizing`` and ``CenterCrop``: deterministic image layers, ``(batch, height, width, channels)``.

Resizing is separable: along each spatial axis the output is a fixed
weight matrix times the input, ``y = Wh x Ww^T`` per channel. The weights
are JAX's ``jax.image.resize`` (which Keras 3 on JAX calls): half-pixel
centres, sample ``o`` reads input position ``(o + 0.5) * in / out - 0.5``
through the interpolation kernel, samples outside the image are dropped
and each row of weights is renormalised to sum to 1. ``antialias`` widens
the kernel by the downscaling factor. Being linear, the backward is
``dx = Wh^T g Ww``, and CenterCrop's is the gradient padded with zeros.
"""

import numpy as np

from kerasite.config import floatx
from kerasite._validation import is_int
from kerasite.layers.base import Layer
from kerasite.layers.preprocessing._base import one_of

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def _kernel(name, t):
    """The interpolation kernel at distances ``t`` (an array)."""
    t = np.abs(t)
    if name == "bilinear":
        return np.maximum(0.0, 1.0 - t)
    if name == "bicubic":  # Keys' cubic with a = -0.5
        return np.where(t <= 1, (1.5 * t - 2.5) * t * t + 1,
                        np.where(t < 2, ((-0.5 * t + 2.5) * t - 4) * t + 2, 0.0))
    radius = 3.0 if name == "lanczos3" else 5.0
    return np.where(t < radius, np.sinc(t) * np.sinc(t / radius), 0.0)


def resize_weights(n_in, n_out, interpolation="bilinear", antialias=False):
    """The ``(n_out, n_in)`` matrix that resizes one axis, as ``jax.image.resize``.

    Example:
        >>> resize_weights(2, 4)
        array([[1.  , 0.  ],
               [0.75, 0.25],
               [0.25, 0.75],
               [0.  , 1.  ]])
    """
    scale = n_out / n_in
    centres = (np.arange(n_out) + 0.5) / scale - 0.5
    if interpolation == "nearest":
        index = np.clip(np.floor((np.arange(n_out) + 0.5) / scale), 0, n_in - 1).astype(int)
        weights = np.zeros((n_out, n_in))
        weights[np.arange(n_out), index] = 1.0
        return weights
    stretch = 1 / scale if antialias and scale < 1 else 1.0
    weights = _kernel(interpolation, (np.arange(n_in)[None, :] - centres[:, None]) / stretch)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)


def check_size(value, name):
    if not is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}.")
    return int(value)


def check_images(layer, shape):
    if len(shape) != 4:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) takes images "
                         "(batch, height, width, channels) (channels_last). Received "
                         f"inputs of shape {tuple(shape)}.")


def aspect_crop(h, w, height, width):
    """(top, left, crop height, crop width): the largest centred window of aspect width/height."""
    crop_h = max(min(h, int(w * height / width)), 1)
    crop_w = max(min(w, int(h * width / height)), 1)
    return (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w


class _Resample:
    """A resize of the last two spatial axes by two weight matrices, forward and back."""

    def __init__(self, wh, ww):
        self.wh, self.ww = wh, ww

    # y[b, i, j, c] = sum_pq Wh[i, p] x[b, p, q, c] Ww[j, q]
    def forward(self, x):
        dtype = x.dtype if x.dtype.kind == "f" else floatx()
        return np.einsum("ip,bpqc,jq->bijc", self.wh.astype(dtype), x.astype(dtype, copy=False),
                         self.ww.astype(dtype), optimize=True)

    # dx[b, p, q, c] = sum_ij Wh[i, p] g[b, i, j, c] Ww[j, q]
    def backward(self, g):
        return np.einsum("ip,bijc,jq->bpqc", self.wh.astype(g.dtype), g, self.ww.astype(g.dtype),
                         optimize=True)


class Resizing(Layer):
    """Resizes images to ``(height, width)``, as Keras 3's ``Resizing`` on JAX.

    Args:
        height: the output height.
        width: the output width.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``.
        crop_to_aspect_ratio: first crop the largest centred window with the
            output's aspect ratio, so nothing is stretched.
        pad_to_aspect_ratio: first pad (with ``fill_value``) to the output's
            aspect ratio instead.
        fill_mode: only ``"constant"``, for the padding.
        fill_value: the padding's value.
        antialias: widen the kernel when shrinking (off, as in Keras).
        data_format: only ``"channels_last"``.

    Shapes:
        ``(batch, h, w, channels)`` in, ``(batch, height, width, channels)`` out.

    Example:
        >>> import numpy as np
        >>> Resizing(1, 2).forward(np.array([[[[0.0], [2.0]], [[4.0], [6.0]]]]))[0, :, :, 0]
        array([[2., 4.]])
    """

    _cache_attrs = ("_resample",)

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        self.height, self.width = check_size(height, "height"), check_size(width, "width")
        self.interpolation = one_of(interpolation, "interpolation", INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Pass only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`.")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        one_of(fill_mode, "fill_mode", ("constant",))
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.antialias = bool(antialias)
        if data_format not in (None, "channels_last"):
            raise ValueError("`data_format` must be 'channels_last'. Received: "
                             f"data_format={data_format!r}.")

    def build(self, input_shape):
        check_images(self, input_shape)
        super().build(input_shape)

    def call(self, x, training=False):
        _, h, w, _ = x.shape
        self._box = (0, 0, h, w, 0, 0)
        if self.crop_to_aspect_ratio:
            top, left, ch, cw = aspect_crop(h, w, self.height, self.width)
            self._box = (top, left, ch, cw, 0, 0)
            x = x[:, top:top + ch, left:left + cw]
        elif self.pad_to_aspect_ratio:
            # Keras pads the same amount on both sides: h + 2 * top rows, w + 2 * left columns
            top = (max(h, int(w * self.height / self.width)) - h) // 2
            left = (max(w, int(h * self.width / self.height)) - w) // 2
            ph, pw = h + 2 * top, w + 2 * left
            self._box = (0, 0, h, w, top, left)
            padded = np.full((len(x), ph, pw, x.shape[3]), self.fill_value,
                             dtype=x.dtype if x.dtype.kind == "f" else floatx())
            padded[:, top:top + h, left:left + w] = x
            x = padded
        self._resample = _Resample(
            resize_weights(x.shape[1], self.height, self.interpolation, self.antialias),
            resize_weights(x.shape[2], self.width, self.interpolation, self.antialias))
        return self._resample.forward(x)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        g = self._resample.backward(grad_output)
        top, left, h, w, ptop, pleft = self._box
        if ptop or pleft or g.shape[1:3] != self.input_shape[1:3]:
            if self.pad_to_aspect_ratio:
                return g[:, ptop:ptop + h, pleft:pleft + w]
            full = np.zeros((len(g), *self.input_shape[1:]), dtype=g.dtype)
            full[:, top:top + h, left:left + w] = g
            return full
        return g

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias,
                "data_format": "channels_last"}


class CenterCrop(Layer):
    """Crops the central ``(height, width)`` window of each image, as Keras 3's ``CenterCrop``.

    An image smaller than the window along an axis is instead cropped to
    the window's aspect ratio and resized (bilinear) to it, as Keras does.

    Args:
        height: the output height.
        width: the output width.
        data_format: only ``"channels_last"``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
        >>> CenterCrop(2, 2).forward(x)[0, :, :, 0]
        array([[ 5.,  6.],
               [ 9., 10.]])
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        self.height, self.width = check_size(height, "height"), check_size(width, "width")
        if data_format not in (None, "channels_last"):
            raise ValueError("`data_format` must be 'channels_last'. Received: "
                             f"data_format={data_format!r}.")
        self._resizer = None

    def build(self, input_shape):
        check_images(self, input_shape)
        _, h, w, _ = input_shape
        if h < self.height or w < self.width:
            self._resizer = Resizing(self.height, self.width, crop_to_aspect_ratio=True,
                                     name=f"{self.name}_resize")
        super().build(input_shape)

    def _sublayers(self):
        return [] if self._resizer is None else [self._resizer]

    def call(self, x, training=False):
        if self._resizer is not None:
            return self._resizer.forward(x, training)
        top, left = (x.shape[1] - self.height) // 2, (x.shape[2] - self.width) // 2
        return x[:, top:top + self.height, left:left + self.width].copy()

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self._resizer is not None:
            return self._resizer.backward(grad_output)
        _, h, w, _ = self.input_shape
        top, left = (h - self.height) // 2, (w - self.width) // 2
        dx = np.zeros((len(grad_output), *self.input_shape[1:]), dtype=grad_output.dtype)
        dx[:, top:top + self.height, left:left + self.width] = grad_output
        return dx

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": "channels_last"}
