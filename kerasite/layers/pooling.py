"""Pooling, channels-last: max and average over windows, and over the whole image or sequence.

The windows of ``MaxPooling2D`` and ``AveragePooling2D`` are strided views of
the input; both loop over the ``ph * pw`` offsets inside a window (4 for the
usual 2x2), each step an elementwise operation on a whole output-sized array,
so there is no Python loop over samples or pixels.

With ``padding="same"`` the padded cells never count: a max ignores them (they
hold ``-inf``) and an average divides by the number of real pixels in each
window, as TensorFlow and Keras do.

The 1D poolings run the same kernels on a sequence ``(batch, steps, channels)``
seen as an image one pixel high, ``(batch, 1, steps, channels)``, a view.
"""

import numpy as np

from kerasite.backend.kernels import max_pool, max_pool_backward, window_cell
from kerasite.layers._spatial import (
    check_rank3,
    check_rank4,
    data_format_arg,
    out_size,
    padding_arg,
    pair,
    single,
)
from kerasite.layers.base import Layer


class _Pooling2D(Layer):
    """Shared arguments, geometry and window views of the two windowed poolings."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, "strides")
        self.padding = padding_arg(padding)

    def build(self, input_shape):
        check_rank4(self, input_shape)
        self._geometry(input_shape)
        super().build(input_shape)

    def _geometry(self, input_shape):
        axes = [out_size(size, p, s, self.padding)
                for size, p, s in zip(input_shape[1:3], self.pool_size, self.strides)]
        if any(out is not None and out < 1 for out, _, _ in axes):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): pool_size={self.pool_size} is "
                f"larger than the input {tuple(input_shape[1:3])} (padding={self.padding!r}). "
                'Use a smaller pool_size, padding="same", or a larger input.'
            )
        return axes

    def compute_output_shape(self, input_shape):
        check_rank4(self, input_shape)
        (ho, _, _), (wo, _, _) = self._geometry(input_shape)
        return (input_shape[0], ho, wo, input_shape[3])

    def _padded(self, x, fill, key):
        """``x`` with the "same" padding around it, filled with ``fill``; ``x`` itself if none."""
        (_, pt, pb), (_, pl, pr) = self._geometry(x.shape)
        if not (pt or pb or pl or pr):
            return x
        n, h, w, c = x.shape
        xp = self._workspace(key, (n, h + pt + pb, w + pl + pr, c), x.dtype)
        xp.fill(fill)
        xp[:, pt:pt + h, pl:pl + w] = x
        return xp

    def _window(self, xp, i, j, out_hw):
        """The (i, j)-th cell of every window: a strided view ``(batch, Ho, Wo, C)``."""
        return window_cell(xp, i, j, self.strides, out_hw)

    def _crop(self, dxp):
        (_, pt, _), (_, pl, _) = self._geometry(self.input_shape)
        _, h, w, _ = self.input_shape
        return dxp[:, pt:pt + h, pl:pl + w]

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The maximum of each ``pool_size`` window, windows ``strides`` apart.

    Args:
        pool_size: ``(ph, pw)`` or one integer; ``(2, 2)`` halves the image.
        strides: ``(sh, sw)``, one integer, or ``None`` for ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (see ``Conv2D``).

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, Ho, Wo, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1, 2, 5], [3, 4, 6]], dtype="float32").reshape(1, 2, 3, 1)
        >>> MaxPooling2D(2, padding="same").forward(x)[0, :, :, 0]
        array([[4., 6.]], dtype=float32)
    """

    _cache_attrs = ("argmax",)

    # y = max over the window; the gradient goes to the (first) cell that held
    # the max: dL/dx[argmax] += dL/dy, zero elsewhere.
    def call(self, x, training=False):
        n, _, _, c = x.shape
        (ho, _, _), (wo, _, _) = self._geometry(x.shape)
        xp = self._padded(x, -np.inf, "xp")
        y = self._out("y", (n, ho, wo, c), x.dtype, training)
        cells = self.pool_size[0] * self.pool_size[1]
        argmax = self._workspace("argmax", y.shape, np.uint8 if cells <= 256 else np.int32)
        self.argmax = max_pool(xp, self.pool_size, self.strides, y, argmax)
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, _, _, c = grad_output.shape
        (_, pt, pb), (_, pl, pr) = self._geometry(self.input_shape)
        _, h, w, _ = self.input_shape
        dxp = self._workspace("dxp", (n, h + pt + pb, w + pl + pr, c), grad_output.dtype)
        max_pool_backward(grad_output, self.argmax, self.pool_size, self.strides, dxp)
        return self._crop(dxp)


class AveragePooling2D(_Pooling2D):
    """The mean of each ``pool_size`` window, windows ``strides`` apart.

    Args:
        pool_size: ``(ph, pw)`` or one integer.
        strides: ``(sh, sw)``, one integer, or ``None`` for ``pool_size``.
        padding: ``"valid"`` or ``"same"``; with ``"same"`` a window on the
            border averages only its real pixels.

    Shapes:
        ``(batch, H, W, C)`` -> ``(batch, Ho, Wo, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1, 2, 5], [3, 4, 6]], dtype="float32").reshape(1, 2, 3, 1)
        >>> AveragePooling2D(2, padding="same").forward(x)[0, :, :, 0]
        array([[2.5, 5.5]], dtype=float32)
    """

    def __init__(self, pool_size, strides=None, padding="valid", **kwargs):
        # As Keras 3, the pool size has no default here (MaxPooling2D's is (2, 2)).
        super().__init__(pool_size, strides, padding, **kwargs)

    # y = sum over the window / count; dL/dx gets dL/dy / count at each cell.
    def build(self, input_shape):
        super().build(input_shape)
        # How many real (unpadded) pixels each window holds, (Ho, Wo, 1).
        ones = np.ones((1, *input_shape[1:3], 1))
        (ho, _, _), (wo, _, _) = self._geometry(input_shape)
        padded = self._padded(ones, 0.0, "count")
        count = sum(self._window(padded, i, j, (ho, wo))
                    for i in range(self.pool_size[0]) for j in range(self.pool_size[1]))
        self._inv_count = (1.0 / count[0]).astype(np.float64)
        self._workspaces.clear()

    def call(self, x, training=False):
        n, _, _, c = x.shape
        (ho, _, _), (wo, _, _) = self._geometry(x.shape)
        xp = self._padded(x, 0.0, "xp")
        y = self._out("y", (n, ho, wo, c), x.dtype, training)
        ph, pw = self.pool_size
        np.copyto(y, self._window(xp, 0, 0, (ho, wo)))
        for k in range(1, ph * pw):
            y += self._window(xp, k // pw, k % pw, (ho, wo))
        y *= self._inv_count.astype(x.dtype, copy=False)
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, ho, wo, c = grad_output.shape
        (_, pt, pb), (_, pl, pr) = self._geometry(self.input_shape)
        _, h, w, _ = self.input_shape
        dtype = grad_output.dtype
        share = np.multiply(grad_output, self._inv_count.astype(dtype, copy=False),
                            out=self._workspace("share", grad_output.shape, dtype))
        dxp = self._workspace("dxp", (n, h + pt + pb, w + pl + pr, c), dtype)
        dxp.fill(0)
        ph, pw = self.pool_size
        for k in range(ph * pw):
            self._window(dxp, k // pw, k % pw, (ho, wo))[...] += share
        return self._crop(dxp)


class _GlobalPooling2D(Layer):
    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_rank4(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        check_rank4(self, input_shape)
        n, _, _, c = input_shape
        return (n, 1, 1, c) if self.keepdims else (n, c)

    def _shape_out(self, y):
        n, c = y.shape
        return y.reshape(n, 1, 1, c) if self.keepdims else y

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean over height and width: ``(batch, H, W, C) -> (batch, C)``.

    Args:
        keepdims: keep the spatial axes, giving ``(batch, 1, 1, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)
        >>> GlobalAveragePooling2D().forward(x)
        array([[3., 4.]], dtype=float32)
    """

    # y = mean over H, W of x;  dL/dx = dL/dy / (H W), broadcast over H, W.
    def call(self, x, training=False):
        return self._shape_out(x.mean(axis=(1, 2)))

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        _, h, w, c = self.input_shape
        g = grad_output.reshape(-1, 1, 1, c) / (h * w)
        return np.broadcast_to(g, (len(g), h, w, c))


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The maximum over height and width: ``(batch, H, W, C) -> (batch, C)``.

    Args:
        keepdims: keep the spatial axes, giving ``(batch, 1, 1, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)
        >>> GlobalMaxPooling2D().forward(x)
        array([[6., 7.]], dtype=float32)
    """

    _cache_attrs = ("argmax",)

    # y = max over H, W; the gradient goes to the first pixel holding the max.
    def call(self, x, training=False):
        n, h, w, c = x.shape
        flat = x.reshape(n, h * w, c)
        self.argmax = flat.argmax(axis=1)[:, None, :]  # (batch, 1, C)
        return self._shape_out(np.take_along_axis(flat, self.argmax, axis=1)[:, 0, :])

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        _, h, w, c = self.input_shape
        n = len(grad_output)
        dx = np.zeros((n, h * w, c), dtype=grad_output.dtype)
        np.put_along_axis(dx, self.argmax, grad_output.reshape(n, 1, c), axis=1)
        return dx.reshape(n, h, w, c)


class _Pooling1D(Layer):
    """Shared arguments and geometry of MaxPooling1D and AveragePooling1D."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format_arg(data_format)
        self.pool_size = single(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else single(strides, "strides")
        self.padding = padding_arg(padding)

    def build(self, input_shape):
        check_rank3(self, input_shape)
        self._geometry(input_shape)
        super().build(input_shape)

    def _geometry(self, input_shape):
        """``(steps_out, pad_before, pad_after)``; raises if the window does not fit."""
        out, before, after = out_size(input_shape[1], self.pool_size[0], self.strides[0],
                                      self.padding)
        if out is not None and out < 1:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): pool_size={self.pool_size} is "
                f"longer than the input's {input_shape[1]} steps (padding={self.padding!r}). "
                'Use a smaller pool_size, padding="same", or a longer input.'
            )
        return out, before, after

    def compute_output_shape(self, input_shape):
        check_rank3(self, input_shape)
        return (input_shape[0], self._geometry(input_shape)[0], input_shape[2])

    def _padded(self, x, fill, key):
        """``x`` with the "same" padding, filled with ``fill``, as ``(batch, 1, steps, C)``."""
        _, before, after = self._geometry(x.shape)
        if not (before or after):
            return x[:, None]
        n, steps, c = x.shape
        xp = self._workspace(key, (n, 1, before + steps + after, c), x.dtype)
        xp.fill(fill)
        xp[:, 0, before:before + steps] = x
        return xp

    def _crop(self, dxp):
        _, before, _ = self._geometry(self.input_shape)
        return dxp[:, 0, before:before + self.input_shape[1]]

    def _padded_grad(self, n, c, dtype):
        """The padded input's gradient buffer, ``(batch, 1, padded steps, C)``."""
        _, before, after = self._geometry(self.input_shape)
        return self._workspace("dxp", (n, 1, before + self.input_shape[1] + after, c), dtype)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """The maximum of each ``pool_size`` window along the steps, windows ``strides`` apart.

    Args:
        pool_size: the window's length (2 halves the sequence).
        strides: the step between windows; ``None`` for ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (see ``Conv1D``).
        data_format: ``"channels_last"`` or ``None``.

    Shapes:
        ``(batch, steps, C)`` -> ``(batch, steps_out, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([1, 3, 2, 5, 4], dtype="float32").reshape(1, 5, 1)
        >>> MaxPooling1D(2, padding="same").forward(x)[0, :, 0]
        array([3., 5., 4.], dtype=float32)
    """

    _cache_attrs = ("argmax",)

    # MaxPooling2D's kernels with a 1 x p window: the gradient goes to the
    # (first) step holding each window's max.
    def call(self, x, training=False):
        n, _, c = x.shape
        out = self._geometry(x.shape)[0]
        y = self._out("y", (n, 1, out, c), x.dtype, training)
        dtype = np.uint8 if self.pool_size[0] <= 256 else np.int32
        argmax = self._workspace("argmax", y.shape, dtype)
        self.argmax = max_pool(self._padded(x, -np.inf, "xp"), (1, *self.pool_size),
                               (1, *self.strides), y, argmax)
        return y[:, 0]

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, _, c = grad_output.shape
        dxp = self._padded_grad(n, c, grad_output.dtype)
        max_pool_backward(grad_output[:, None], self.argmax, (1, *self.pool_size),
                          (1, *self.strides), dxp)
        return self._crop(dxp)


class AveragePooling1D(_Pooling1D):
    """The mean of each ``pool_size`` window along the steps, windows ``strides`` apart.

    Args:
        pool_size: the window's length.
        strides: the step between windows; ``None`` for ``pool_size``.
        padding: ``"valid"`` or ``"same"``; with ``"same"`` a window on the
            border averages only its real steps.
        data_format: ``"channels_last"`` or ``None``.

    Shapes:
        ``(batch, steps, C)`` -> ``(batch, steps_out, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([1, 3, 2, 5, 4], dtype="float32").reshape(1, 5, 1)
        >>> AveragePooling1D(2, padding="same").forward(x)[0, :, 0]
        array([2. , 3.5, 4. ], dtype=float32)
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    # y = sum over the window / count; dL/dx gets dL/dy / count at each of its steps.
    def build(self, input_shape):
        super().build(input_shape)
        # How many real (unpadded) steps each window holds, (steps_out, 1).
        out = self._geometry(input_shape)[0]
        padded = self._padded(np.ones((1, input_shape[1], 1)), 0.0, "count")
        count = sum(window_cell(padded, 0, k, (1, *self.strides), (1, out))
                    for k in range(self.pool_size[0]))
        self._inv_count = (1.0 / count[0, 0]).astype(np.float64)
        self._workspaces.clear()

    def call(self, x, training=False):
        n, _, c = x.shape
        out = self._geometry(x.shape)[0]
        xp = self._padded(x, 0.0, "xp")
        y = self._out("y", (n, 1, out, c), x.dtype, training)
        strides = (1, *self.strides)
        np.copyto(y, window_cell(xp, 0, 0, strides, (1, out)))
        for k in range(1, self.pool_size[0]):
            y += window_cell(xp, 0, k, strides, (1, out))
        y *= self._inv_count.astype(x.dtype, copy=False)
        return y[:, 0]

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        n, out, c = grad_output.shape
        dtype = grad_output.dtype
        share = np.multiply(grad_output, self._inv_count.astype(dtype, copy=False),
                            out=self._workspace("share", grad_output.shape, dtype))
        dxp = self._padded_grad(n, c, dtype)
        dxp.fill(0)
        for k in range(self.pool_size[0]):
            window_cell(dxp, 0, k, (1, *self.strides), (1, out))[:, 0] += share
        return self._crop(dxp)


class _GlobalPooling1D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        data_format_arg(data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_rank3(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        check_rank3(self, input_shape)
        n, _, c = input_shape
        return (n, 1, c) if self.keepdims else (n, c)

    def _shape_out(self, y):
        return y[:, None, :] if self.keepdims else y

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


def _step_mask(layer, mask, x):
    """``mask`` ``(batch, steps)`` checked against ``x`` and cast to ``x``'s dtype, as a column."""
    mask = np.asarray(mask)
    if mask.shape != x.shape[:2]:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): the mask must have the shape "
            f"(batch, steps) = {x.shape[:2]} of its input. Received a mask of shape "
            f"{mask.shape}. Pass one boolean per sample and step."
        )
    return mask.astype(bool).astype(x.dtype)[:, :, None]


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the steps: ``(batch, steps, C) -> (batch, C)``.

    With a mask, as in Keras, the mean is over the unmasked steps only.

    Args:
        data_format: ``"channels_last"`` or ``None``.
        keepdims: keep the steps axis, giving ``(batch, 1, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(6, dtype="float32").reshape(1, 3, 2)
        >>> GlobalAveragePooling1D().forward(x)
        array([[2., 3.]], dtype=float32)
        >>> GlobalAveragePooling1D().call(x, mask=np.array([[True, True, False]]))
        array([[1., 2.]], dtype=float32)
    """

    _cache_attrs = ("_step_weights",)

    # y = sum over steps of m x / sum of m  (m = 1 everywhere without a mask);
    # dL/dx = dL/dy * m / sum of m, broadcast over the steps.
    def call(self, x, training=False, mask=None):
        if mask is None:
            self._step_weights = None
            return self._shape_out(x.mean(axis=1))
        m = _step_mask(self, mask, x)
        self._step_weights = m / m.sum(axis=1, keepdims=True)  # (batch, steps, 1)
        return self._shape_out(np.einsum("nsc,nsk->nc", x, self._step_weights))

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        _, steps, c = self.input_shape
        g = grad_output.reshape(-1, 1, c)
        if self._step_weights is None:
            return np.broadcast_to(g / steps, (len(g), steps, c))
        return g * self._step_weights


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum over the steps: ``(batch, steps, C) -> (batch, C)``.

    Keras's GlobalMaxPooling1D takes no mask; neither does this one: a
    masked step still counts.

    Args:
        data_format: ``"channels_last"`` or ``None``.
        keepdims: keep the steps axis, giving ``(batch, 1, C)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1, 5], [4, 2], [3, 0]]], dtype="float32")
        >>> GlobalMaxPooling1D().forward(x)
        array([[4., 5.]], dtype=float32)
    """

    _cache_attrs = ("argmax",)

    # y = max over the steps; the gradient goes to the first step holding the max.
    def call(self, x, training=False):
        self.argmax = x.argmax(axis=1)[:, None, :]  # (batch, 1, C)
        return self._shape_out(np.take_along_axis(x, self.argmax, axis=1)[:, 0, :])

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        _, steps, c = self.input_shape
        n = len(grad_output)
        dx = np.zeros((n, steps, c), dtype=grad_output.dtype)
        np.put_along_axis(dx, self.argmax, grad_output.reshape(n, 1, c), axis=1)
        return dx
