"""Layers that only move values around: ``Flatten``, ``Reshape`` and the 2D resizers.

``Flatten`` and ``Reshape`` return views, so they cost nothing, and their
backward pass reshapes the gradient back to the input's shape.
``UpSampling2D``, ``ZeroPadding2D`` and ``Cropping2D`` work on channels-last
images ``(batch, height, width, channels)``; the gradient of each is the
opposite move (sum the copies, keep the middle, pad with zeros).
"""

import math

import numpy as np

from kerasite._validation import is_int
from kerasite.layers._spatial import check_rank4 as _check_rank4
from kerasite.layers._spatial import pair
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
    """Repeats every pixel ``size`` times along height and width (nearest neighbour).

    Args:
        size: ``(sh, sw)`` or one integer, the upsampling factors.
        interpolation: only ``"nearest"`` is implemented.

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, H * sh, W * sw, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 2.0]]).reshape(1, 1, 2, 1)
        >>> UpSampling2D(2).forward(x)[0, :, :, 0]
        array([[1., 1., 2., 2.],
               [1., 1., 2., 2.]])
    """

    def __init__(self, size=(2, 2), interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = pair(size, "size")
        if interpolation != "nearest":
            raise ValueError(
                '`interpolation` must be "nearest" (the only mode kerasite implements). '
                f"Received: interpolation={interpolation!r}."
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
        y.reshape(n, h, sh, w, sw, c)[...] = x[:, :, None, :, None, :]
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
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
