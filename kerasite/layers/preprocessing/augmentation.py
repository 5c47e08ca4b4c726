"""Random image augmentations, active only in training (``training=True``); the identity otherwise.

Images are ``(batch, height, width, channels)``. Each layer draws its random
parameters per image from a generator derived from ``(seed, epoch)``, so a
seeded layer repeats itself epoch by epoch, as Dropout does. The geometric
ones (rotation, zoom, translation) map each output pixel back to a point of
the input by a per-image 2x3 affine matrix and read it with one gather per
neighbour (``sample``), with Keras's fill modes:

* ``"reflect"``: ``d c b a | a b c d | d c b a`` (the edge repeated);
* ``"wrap"``: ``a b c d | a b c d | a b c d``;
* ``"nearest"``: ``a a a a | a b c d | d d d d``;
* ``"constant"``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``.

Backward: these layers sit at a model's input, where no input gradient is
needed, and return ``None`` there. Otherwise the flips and crops, and any
layer that ran as the identity, pass the gradient back; the other
augmentations raise an error that says so.
"""

import numpy as np

from kerasite import utils
from kerasite.config import floatx
from kerasite._validation import is_number
from kerasite.layers.base import Layer
from kerasite.layers.preprocessing._base import one_of
from kerasite.layers.preprocessing.image import Resizing, aspect_crop, check_images, check_size

FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def factor_range(factor, name, low=None, high=None):
    """Keras's factor forms: ``f`` means ``(-f, f)``, a pair is ``(lower, upper)``."""
    if is_number(factor) and not isinstance(factor, bool):
        bounds = (-abs(float(factor)), abs(float(factor)))
    elif isinstance(factor, (list, tuple)) and len(factor) == 2 and all(
            is_number(f) for f in factor):
        bounds = (float(factor[0]), float(factor[1]))
    else:
        raise ValueError(f"`{name}` must be a number or a pair (lower, upper). Received: "
                         f"{name}={factor!r}.")
    if bounds[0] > bounds[1]:
        raise ValueError(f"`{name}` must have lower <= upper. Received: {name}={factor!r}.")
    if (low is not None and bounds[0] < low) or (high is not None and bounds[1] > high):
        raise ValueError(f"`{name}` must lie in [{low}, {high}]. Received: {name}={factor!r}.")
    return bounds


def _fold(index, n, mode):
    """Indices outside ``[0, n)`` folded back in by ``mode``; also the mask of valid ones."""
    if mode == "reflect":
        index = np.mod(index, 2 * n)
        index = np.where(index >= n, 2 * n - 1 - index, index)
    elif mode == "wrap":
        index = np.mod(index, n)
    inside = (index >= 0) & (index < n)
    return np.clip(index, 0, n - 1), inside


def sample(images, x, y, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """``images`` read at the points ``(x, y)``: one gather per neighbour.

    Args:
        images: ``(batch, h, w, channels)``.
        x, y: ``(batch, H, W)`` input columns and rows for each output pixel.

    Returns:
        ``(batch, H, W, channels)``.
    """
    batch, h, w, _ = images.shape
    b = np.arange(batch)[:, None, None]
    if interpolation == "nearest":
        # half away from zero, as JAX's map_coordinates: -0.5 is outside the image
        points = [(_round(y), _round(x), 1.0)]
    else:
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = (x - x0)[..., None], (y - y0)[..., None]
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        points = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx),
                  (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)]
    out = np.zeros((*x.shape, images.shape[3]), dtype=images.dtype)
    for rows, cols, weight in points:
        rows, row_ok = _fold(rows, h, fill_mode)
        cols, col_ok = _fold(cols, w, fill_mode)
        values = images[b, rows, cols]
        if fill_mode == "constant":
            values = np.where((row_ok & col_ok)[..., None], values, fill_value)
        out += (weight * values).astype(images.dtype, copy=False)
    return out


def _round(c):
    return (np.sign(c) * np.floor(np.abs(c) + 0.5)).astype(np.int64)


def affine(images, matrices, interpolation, fill_mode, fill_value):
    """Each image read through its ``(2, 3)`` matrix: input ``(x, y) = M @ (x', y', 1)``."""
    _, h, w, _ = images.shape
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    m = matrices[:, :, :, None, None]
    x = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]
    y = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    return sample(images, x, y, interpolation, fill_mode, fill_value)


class _Augmentation(Layer):
    """The base of the random layers: seeding, the training switch and the backward rules."""

    _cache_attrs = ("_identity",)

    def __init__(self, seed=None, data_format=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError("`data_format` must be 'channels_last'. Received: "
                             f"data_format={data_format!r}.")
        self.seed = utils.draw_seed() if seed is None else utils.check_seed(seed)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Restarts the random generator for ``epoch`` (``fit`` calls it)."""
        self._rng = utils.epoch_rng(self.seed, epoch)

    def build(self, input_shape):
        check_images(self, input_shape)
        super().build(input_shape)

    def call(self, x, training=False):
        self._identity = not training or self._is_identity()
        if self._identity:
            return x
        if x.dtype.kind != "f":
            x = x.astype(floatx())
        return self.augment(x)

    def _is_identity(self):
        return False

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self._identity:
            return grad_output
        return self.augment_backward(grad_output)

    def augment_backward(self, grad_output):
        raise ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) does not back-propagate in training: "
            "augmentation layers belong at a model's input, where no input gradient is needed. "
            "Move it before the first layer with weights.")

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class _Geometric(_Augmentation):
    """An augmentation by one random affine map per image."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.fill_mode = one_of(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = one_of(interpolation, "interpolation", ("bilinear", "nearest"))
        if not is_number(fill_value):
            raise ValueError(f"`fill_value` must be a number. Received: fill_value={fill_value!r}.")
        self.fill_value = float(fill_value)

    def augment(self, x):
        return affine(x, self.matrices(len(x), x.shape[1], x.shape[2]), self.interpolation,
                      self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomFlip(_Augmentation):
    """Flips each image left-right and/or up-down, each with probability 1/2, while training.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: the seed of the flips.

    Example:
        >>> import numpy as np
        >>> x = np.arange(4.0).reshape(1, 1, 4, 1)
        >>> RandomFlip("horizontal", seed=0).forward(x, training=False)[0, 0, :, 0]
        array([0., 1., 2., 3.])
    """

    _cache_attrs = ("_identity", "_flips")

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = one_of(mode, "mode", ("horizontal", "vertical", "horizontal_and_vertical"))

    def augment(self, x):
        n = len(x)
        lr = (self._rng.random(n) < 0.5) if "horizontal" in self.mode else np.zeros(n, bool)
        ud = (self._rng.random(n) < 0.5) if "vertical" in self.mode else np.zeros(n, bool)
        self._flips = (lr, ud)
        return self._flip(x)

    def _flip(self, x):
        lr, ud = self._flips
        out = x.copy()
        out[lr] = out[lr, :, ::-1]
        out[ud] = out[ud, ::-1]
        return out

    def augment_backward(self, grad_output):
        return self._flip(grad_output)  # a flip is its own inverse

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class RandomRotation(_Geometric):
    """Rotates each image by a random angle while training.

    Args:
        factor: the angle as a fraction of a full turn: ``f`` gives angles in
            ``[-f * 2 pi, f * 2 pi]``, a pair ``(lower, upper)`` in
            ``[lower * 2 pi, upper * 2 pi]``; positive turns counter-clockwise.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: the seed of the angles.
        fill_value: the value outside the image for ``"constant"``.
        value_range: accepted, as in Keras; the values are not clipped.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, value_range=(0, 255), **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value,
                         seed=seed, **kwargs)
        self.factor = factor if is_number(factor) else list(factor)
        self._bounds = factor_range(factor, "factor")
        self.value_range = list(value_range)

    def _is_identity(self):
        return self._bounds == (0.0, 0.0)

    def matrices(self, n, h, w):
        angle = self._rng.uniform(*self._bounds, size=n) * 2 * np.pi
        cos, sin = np.cos(angle), np.sin(angle)
        x_off = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2
        y_off = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2
        return np.stack([np.stack([cos, -sin, x_off], 1), np.stack([sin, cos, y_off], 1)], 1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomZoom(_Geometric):
    """Zooms each image in or out by a random amount while training.

    Args:
        height_factor: ``f`` or ``(lower, upper)``, fractions of the height:
            the zoom is ``1 + uniform(lower, upper)``; positive zooms out
            (the image shrinks), negative zooms in. ``f`` means ``(-f, f)``.
        width_factor: the same for the width; ``None`` keeps the aspect
            ratio (the height's zoom is used).
        fill_mode: as for ``RandomRotation``.
        interpolation: as for ``RandomRotation``.
        seed: the seed of the draws.
        fill_value: as for ``RandomRotation``.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value,
                         seed=seed, **kwargs)
        self.height_factor = height_factor if is_number(height_factor) else list(height_factor)
        self.width_factor = (width_factor if width_factor is None or is_number(width_factor)
                             else list(width_factor))
        self._h = factor_range(height_factor, "height_factor", low=-1)
        self._w = None if width_factor is None else factor_range(width_factor, "width_factor",
                                                                 low=-1)

    def _is_identity(self):
        return self._h == (0.0, 0.0) and self._w in (None, (0.0, 0.0))

    def matrices(self, n, h, w):
        zy = 1 + self._rng.uniform(*self._h, size=n)
        zx = zy if self._w is None else 1 + self._rng.uniform(*self._w, size=n)
        zero = np.zeros(n)
        return np.stack([np.stack([zx, zero, (w - 1) / 2 * (1 - zx)], 1),
                         np.stack([zero, zy, (h - 1) / 2 * (1 - zy)], 1)], 1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomTranslation(_Geometric):
    """Shifts each image by a random offset while training.

    Args:
        height_factor: ``f`` or ``(lower, upper)``: the vertical shift as a
            fraction of the height (positive moves the image down).
        width_factor: the same for the horizontal shift (positive: right).
        fill_mode: as for ``RandomRotation``.
        interpolation: as for ``RandomRotation``.
        seed: the seed of the draws.
        fill_value: as for ``RandomRotation``.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value,
                         seed=seed, **kwargs)
        self.height_factor = height_factor if is_number(height_factor) else list(height_factor)
        self.width_factor = width_factor if is_number(width_factor) else list(width_factor)
        self._h = factor_range(height_factor, "height_factor", -1, 1)
        self._w = factor_range(width_factor, "width_factor", -1, 1)

    def _is_identity(self):
        return self._h == (0.0, 0.0) and self._w == (0.0, 0.0)

    def matrices(self, n, h, w):
        dy = self._rng.uniform(*self._h, size=n) * h
        dx = self._rng.uniform(*self._w, size=n) * w
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([np.stack([one, zero, -dx], 1), np.stack([zero, one, -dy], 1)], 1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomContrast(_Augmentation):
    """Scales each image's contrast by a random factor while training.

    Each channel of each image becomes ``(x - mean) * c + mean``, ``mean``
    over its pixels, with ``c`` uniform in ``[1 - lower, 1 + upper]``, then
    clipped to ``value_range``.

    Args:
        factor: ``f`` (``lower = upper = f``) or ``(lower, upper)``, each >= 0.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: the seed of the factors.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor if is_number(factor) else list(factor)
        lower, upper = (abs(float(factor)),) * 2 if is_number(factor) else \
            factor_range(factor, "factor", low=0)
        if lower < 0 or upper < 0 or lower > 1:
            raise ValueError("`factor` must be >= 0 (and lower <= 1). Received: "
                             f"factor={factor!r}.")
        self._bounds = (1 - lower, 1 + upper)
        self.value_range = _value_range(value_range)

    def _is_identity(self):
        return self._bounds == (1.0, 1.0)

    def augment(self, x):
        c = self._rng.uniform(*self._bounds, size=(len(x), 1, 1, 1)).astype(x.dtype)
        mean = x.mean(axis=(1, 2), keepdims=True)
        return np.clip((x - mean) * c + mean, *self.value_range).astype(x.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class RandomBrightness(_Augmentation):
    """Adds a random brightness offset to each image while training.

    Each image gets ``x + d * (max - min)``, ``d`` uniform in
    ``[lower, upper]``, clipped to ``value_range = (min, max)``.

    Args:
        factor: ``f`` (``(-f, f)``) or ``(lower, upper)``, within [-1, 1].
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: the seed of the offsets.
    """

    _cache_attrs = ("_identity", "_kept")

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor if is_number(factor) else list(factor)
        self._bounds = factor_range(factor, "factor", -1, 1)
        self.value_range = _value_range(value_range)

    def _is_identity(self):
        return self._bounds == (0.0, 0.0)

    def augment(self, x):
        low, high = self.value_range
        d = self._rng.uniform(*self._bounds, size=(len(x), 1, 1, 1)) * (high - low)
        shifted = x + d.astype(x.dtype)
        self._kept = (shifted >= low) & (shifted <= high)
        return np.clip(shifted, low, high).astype(x.dtype, copy=False)

    # y = clip(x + d): dy/dx = 1 where the clip did not bite
    def augment_backward(self, grad_output):
        return grad_output * self._kept

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class RandomCrop(_Augmentation):
    """Crops a random ``(height, width)`` window while training; the identity otherwise.

    In training one window position is drawn per batch, as in Keras 3; an
    image not larger than the window along both axes is instead cropped to
    the largest centred window of the target aspect ratio and resized to
    ``(height, width)``. At inference the images pass unchanged, as Keras
    3's do (so a model that ends in ``RandomCrop`` changes output size
    between training and inference).

    Args:
        height: the output height.
        width: the output width.
        seed: the seed of the window positions.
    """

    _cache_attrs = ("_identity", "_box", "_window")

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = check_size(height, "height"), check_size(width, "width")
        self._resizer = Resizing(self.height, self.width, name=f"{self.name}_resize")

    def _sublayers(self):
        return [self._resizer]

    def call(self, x, training=False):
        _, h, w, _ = x.shape
        self._identity = not training
        if not training:
            return x
        if h <= self.height or w <= self.width:
            # Keras's window here: centred for the target's aspect ratio, but cut at the
            # target's own size (clipped by the image), then stretched to it
            top, left, _, _ = aspect_crop(h, w, self.height, self.width)
            self._box = (top, left)
            window = x[:, top:top + self.height, left:left + self.width]
            self._window = window.shape[1:3]
            return self._resizer.forward(window, training)
        top = int(self._rng.integers(0, h - self.height + 1))
        left = int(self._rng.integers(0, w - self.width + 1))
        self._box, self._window = (top, left), None
        return x[:, top:top + self.height, left:left + self.width].copy()

    def augment_backward(self, grad_output):
        top, left = self._box
        if self._window is not None:
            grad_output = self._resizer.backward(grad_output)
        dx = np.zeros((len(grad_output), *self.input_shape[1:]), dtype=grad_output.dtype)
        dx[:, top:top + grad_output.shape[1], left:left + grad_output.shape[2]] = grad_output
        return dx

    def compute_output_shape(self, input_shape):
        # the training shape, as Keras's: a model is built for what it trains on
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


def _value_range(value_range):
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2
            and all(is_number(v) for v in value_range) and value_range[0] < value_range[1]):
        raise ValueError("`value_range` must be a pair (min, max) with min < max. Received: "
                         f"value_range={value_range!r}.")
    return (float(value_range[0]), float(value_range[1]))
