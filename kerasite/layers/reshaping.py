"""Layers that only move values around: ``Flatten``, ``Reshape`` and the 1D and 2D resizers.

``Flatten`` and ``Reshape`` return views, so they cost nothing, and their
backward pass reshapes the gradient back to the input's shape.
``UpSampling2D``, ``ZeroPadding2D`` and ``Cropping2D`` work on channels-last
images ``(batch, height, width, channels)``; the gradient of each is the
opposite move (sum the copies, keep the middle, pad with zeros).
``UpSampling1D``, ``ZeroPadding1D`` and ``Cropping1D`` do the same along the
steps of sequences ``(batch, steps, channels)``.
"""

import math

import numpy as np

from kerasite._validation import is_int
from kerasite.layers._spatial import check_rank3 as _check_rank3
from kerasite.layers._spatial import check_rank4 as _check_rank4
from kerasite.layers._spatial import data_format_arg, pair
from kerasite.layers.base import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, 28, 28) -> (batch, 784)``.

    Example:
        >>> import numpy as np
        >>> Flatten().forward(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def call(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.reshape(self.x_shape) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))


class Reshape(Layer):
    """Reshapes the features to ``target_shape``; the batch axis is kept.

    Args:
        target_shape: tuple of positive integers; one entry may be -1, which is
            inferred from the input size.

    Example:
        >>> import numpy as np
        >>> Reshape((28, 28)).forward(np.zeros((2, 784))).shape
        (2, 28, 28)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(target_shape)
        except TypeError:  # not iterable
            target = ()
        # int(d) would quietly turn 2.5 into 2 and "3" into 3: accept true integers only.
        valid = all(is_int(d) and (d > 0 or d == -1) for d in target) and target.count(-1) <= 1
        if not valid or not target:
            raise ValueError(
                "`target_shape` must be a tuple of positive integers, with at most one -1. "
                f"Received: target_shape={target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target)

    def build(self, input_shape):
        self._resolved = self._resolve(input_shape[1:])
        super().build(input_shape)

    def _resolve(self, features):
        size = math.prod(features)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                self._raise_size(features)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            self._raise_size(features)
        return self.target_shape

    def _raise_size(self, features):
        raise ValueError(
            f"Layer '{self.name}' cannot reshape inputs of shape (batch, "
            f"{', '.join(map(str, features))}) to target_shape={self.target_shape}: "
            "the number of values differs. Pick a target_shape with the same total size."
        )

    def call(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(len(x), *self._resolved)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.reshape(self.x_shape) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _pads(value, arg, example):
    """``1`` -> ``((1, 1), (1, 1))``; ``(1, 2)`` -> ``((1, 1), (2, 2))``; pairs of pairs stay."""
    try:
        items = tuple((value, value) if isinstance(value, (int, np.integer)) else value)
        if len(items) == 2 and all(isinstance(v, (int, np.integer)) for v in items):
            items = ((items[0], items[0]), (items[1], items[1]))
        items = tuple(tuple(v) for v in items)
        valid = len(items) == 2 and all(
            len(v) == 2 and all(is_int(p) and p >= 0 for p in v) for v in items)
    except TypeError:
        valid = False
    if not valid:
        raise ValueError(
            f"`{arg}` must be a non-negative integer, a tuple of 2 (one per spatial axis) or "
            f"a tuple of 2 (before, after) tuples, such as {example}. Received: {arg}={value!r}."
        )
    return tuple((int(a), int(b)) for a, b in items)


class UpSampling2D(Layer):
    """Enlarges images ``size`` times along height and width.

    ``"nearest"`` repeats every pixel. ``"bilinear"`` interpolates as Keras 3
    (``ops.image.resize``): output pixel ``p`` reads the input at ``(p + 0.5) / s
    - 0.5``, clamped to the image, from its two neighbours on each axis. That is
    a fixed linear map per axis, ``y = A_h x A_w^T`` per channel, so backward is
    ``dx = A_h^T g A_w``.

    Args:
        size: ``(sh, sw)`` or one integer, the upsampling factors.
        interpolation: ``"nearest"`` or ``"bilinear"``.

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, H * sh, W * sw, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 2.0]]).reshape(1, 1, 2, 1)
        >>> UpSampling2D(2).forward(x)[0, :, :, 0]
        array([[1., 1., 2., 2.],
               [1., 1., 2., 2.]])
    """

    _cache_attrs = ("maps",)

    def __init__(self, size=(2, 2), interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = pair(size, "size")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                '`interpolation` must be "nearest" or "bilinear" (the modes kerasite '
                f"implements). Received: interpolation={interpolation!r}."
            )
        self.interpolation = interpolation

    def build(self, input_shape):
        _check_rank4(self, input_shape)
        super().build(input_shape)

    # y[i * sh + a, j * sw + b] = x[i, j];  dL/dx[i, j] = sum over a, b of dL/dy[i*sh+a, j*sw+b]
    def call(self, x, training=False):
        n, h, w, c = x.shape
        sh, sw = self.size
        y = self._out("y", (n, h * sh, w * sw, c), x.dtype, training)
        if self.interpolation == "bilinear":
            self.maps = (_linear_map(h, sh, x.dtype), _linear_map(w, sw, x.dtype))
            np.einsum("ph,nhwc,qw->npqc", self.maps[0], x, self.maps[1], out=y,
                      optimize=True)
            return y
        y.reshape(n, h, sh, w, sw, c)[...] = x[:, :, None, :, None, :]
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self.interpolation == "bilinear":
            return np.einsum("ph,npqc,qw->nhwc", self.maps[0], grad_output, self.maps[1],
                             optimize=True)
        n, _, _, c = grad_output.shape
        _, h, w, _ = self.input_shape
        sh, sw = self.size
        return grad_output.reshape(n, h, sh, w, sw, c).sum(axis=(2, 4))

    def compute_output_shape(self, input_shape):
        _check_rank4(self, input_shape)
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0],
                None if w is None else w * self.size[1], c)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size),
                "interpolation": self.interpolation}


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: an integer (the same on all four sides), ``(ph, pw)``
            (symmetric), or ``((top, bottom), (left, right))``.

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, H + top + bottom, W + left + right, C)``.

    Example:
        >>> import numpy as np
        >>> ZeroPadding2D(((1, 0), (0, 1))).forward(np.ones((1, 1, 1, 1)))[0, :, :, 0]
        array([[0., 0.],
               [1., 0.]])
    """

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = _pads(padding, "padding", "1, (1, 2) or ((1, 0), (2, 2))")

    def build(self, input_shape):
        _check_rank4(self, input_shape)
        super().build(input_shape)

    # y = x surrounded by zeros;  dL/dx = the middle of dL/dy.
    def call(self, x, training=False):
        n, h, w, c = x.shape
        (t, b), (left, r) = self.padding
        y = self._out("y", (n, h + t + b, w + left + r, c), x.dtype, training)
        y.fill(0)
        y[:, t:t + h, left:left + w] = x
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        _, h, w, _ = self.input_shape
        (t, _), (left, _) = self.padding
        return grad_output[:, t:t + h, left:left + w]

    def compute_output_shape(self, input_shape):
        _check_rank4(self, input_shape)
        n, h, w, c = input_shape
        (t, b), (left, r) = self.padding
        return (n, None if h is None else h + t + b, None if w is None else w + left + r, c)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping2D(Layer):
    """Removes rows and columns from the borders of each image.

    Args:
        cropping: an integer (the same on all four sides), ``(ch, cw)``
            (symmetric), or ``((top, bottom), (left, right))``.

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, H - top - bottom, W - left - right, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> Cropping2D(((1, 0), (0, 1))).forward(x)[0, :, :, 0]
        array([[3., 4.],
               [6., 7.]])
    """

    def __init__(self, cropping=((0, 0), (0, 0)), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pads(cropping, "cropping", "1, (1, 2) or ((1, 0), (2, 2))")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    # y = the middle of x (a view);  dL/dx = dL/dy surrounded by zeros.
    def call(self, x, training=False):
        _, h, w, _ = x.shape
        (t, b), (left, r) = self.cropping
        return x[:, t:h - b, left:w - r]

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, _, _, c = grad_output.shape
        _, h, w, _ = self.input_shape
        (t, b), (left, r) = self.cropping
        dx = self._workspace("dx", (n, h, w, c), grad_output.dtype)
        dx.fill(0)
        dx[:, t:h - b, left:w - r] = grad_output
        return dx

    def compute_output_shape(self, input_shape):
        _check_rank4(self, input_shape)
        n, h, w, c = input_shape
        (t, b), (left, r) = self.cropping
        ho = None if h is None else h - t - b
        wo = None if w is None else w - left - r
        if (ho is not None and ho < 1) or (wo is not None and wo < 1):
            raise ValueError(
                f"Layer '{self.name}' (Cropping2D): cropping={self.cropping} removes all of "
                f"an input of size {(h, w)}. Crop less."
            )
        return (n, ho, wo, c)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


def _pad_pair(value, arg):
    """``1`` -> ``(1, 1)``; ``(1, 2)`` stays (before, after); anything else is a ValueError."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 2 or not all(is_int(v) and v >= 0 for v in items):
        raise ValueError(
            f"`{arg}` must be a non-negative integer or a tuple of 2 non-negative integers "
            f"(before, after), such as 1 or (1, 2). Received: {arg}={value!r}."
        )
    return int(items[0]), int(items[1])


class UpSampling1D(Layer):
    """Repeats every step ``size`` times: ``(batch, steps, C) -> (batch, steps * size, C)``.

    Args:
        size: the upsampling factor, a positive integer.

    Example:
        >>> import numpy as np
        >>> UpSampling1D(2).forward(np.array([[[1.0], [2.0]]]))[0, :, 0]
        array([1., 1., 2., 2.])
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not (is_int(size) and size >= 1):
            raise ValueError(f"`size` must be a positive integer. Received: size={size!r}.")
        self.size = int(size)

    def build(self, input_shape):
        _check_rank3(self, input_shape)
        super().build(input_shape)

    # y[i * size + a] = x[i];  dL/dx[i] = sum over a of dL/dy[i * size + a]
    def call(self, x, training=False):
        n, steps, c = x.shape
        y = self._out("y", (n, steps * self.size, c), x.dtype, training)
        y.reshape(n, steps, self.size, c)[...] = x[:, :, None, :]
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, _, c = grad_output.shape
        return grad_output.reshape(n, self.input_shape[1], self.size, c).sum(axis=2)

    def compute_output_shape(self, input_shape):
        _check_rank3(self, input_shape)
        n, steps, c = input_shape
        return (n, None if steps is None else steps * self.size, c)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class ZeroPadding1D(Layer):
    """Adds steps of zeros before and after each sequence.

    Args:
        padding: an integer (the same on both sides) or ``(before, after)``.
        data_format: ``"channels_last"`` or ``None``.

    Shapes:
        ``(batch, steps, C)`` -> ``(batch, before + steps + after, C)``.

    Example:
        >>> import numpy as np
        >>> ZeroPadding1D((1, 2)).forward(np.ones((1, 1, 1)))[0, :, 0]
        array([0., 1., 0., 0.])
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format_arg(data_format)
        self.padding = _pad_pair(padding, "padding")

    def build(self, input_shape):
        _check_rank3(self, input_shape)
        super().build(input_shape)

    # y = x with zeros before and after;  dL/dx = the middle of dL/dy.
    def call(self, x, training=False):
        n, steps, c = x.shape
        before, after = self.padding
        y = self._out("y", (n, before + steps + after, c), x.dtype, training)
        y[:, :before] = 0
        y[:, before + steps:] = 0
        y[:, before:before + steps] = x
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        before = self.padding[0]
        return grad_output[:, before:before + self.input_shape[1]]

    def compute_output_shape(self, input_shape):
        _check_rank3(self, input_shape)
        n, steps, c = input_shape
        return (n, None if steps is None else steps + sum(self.padding), c)

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding)}


class Cropping1D(Layer):
    """Removes steps from the start and the end of each sequence.

    Args:
        cropping: an integer (the same at both ends) or ``(start, end)``.

    Shapes:
        ``(batch, steps, C)`` -> ``(batch, steps - start - end, C)``.

    Example:
        >>> import numpy as np
        >>> Cropping1D((1, 0)).forward(np.arange(3.0).reshape(1, 3, 1))[0, :, 0]
        array([1., 2.])
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pad_pair(cropping, "cropping")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    # y = the middle of x (a view);  dL/dx = dL/dy with zeros at both ends.
    def call(self, x, training=False):
        start, end = self.cropping
        return x[:, start:x.shape[1] - end]

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, _, c = grad_output.shape
        steps = self.input_shape[1]
        start, end = self.cropping
        dx = self._workspace("dx", (n, steps, c), grad_output.dtype)
        dx[:, :start] = 0
        dx[:, steps - end:] = 0
        dx[:, start:steps - end] = grad_output
        return dx

    def compute_output_shape(self, input_shape):
        _check_rank3(self, input_shape)
        n, steps, c = input_shape
        out = None if steps is None else steps - sum(self.cropping)
        if out is not None and out < 1:
            raise ValueError(
                f"Layer '{self.name}' (Cropping1D): cropping={self.cropping} removes all of "
                f"an input of {steps} steps. Crop less."
            )
        return (n, out, c)

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


def _linear_map(size, factor, dtype):
    """``(size * factor, size)``: Keras's bilinear (half-pixel) interpolation along one axis."""
    src = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = np.floor(src).astype(np.intp)
    high = np.minimum(low + 1, size - 1)
    frac = src - low
    rows = np.arange(size * factor)
    matrix = np.zeros((size * factor, size), dtype=dtype)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix
