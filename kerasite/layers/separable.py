"""Depthwise and separable convolutions: ``DepthwiseConv2D``, ``SeparableConv2D``, ``SeparableConv1D``.

A depthwise convolution filters each input channel on its own: channel ``c``
is convolved with ``depth_multiplier`` kernels of its own and never mixed with
the others. A separable convolution follows it with a pointwise (1 x 1)
convolution that mixes the channels, a Dense layer applied to every pixel.
Together they approximate a full convolution with far fewer weights:
``kh*kw*in*m + in*m*filters`` instead of ``kh*kw*in*filters``.

The depthwise step loops over the ``kh * kw`` kernel taps; each tap is one
elementwise operation on a strided view of the whole (padded) input, so no
``im2col`` buffer is needed. The 1D layer runs the same code on a sequence
seen as an image one pixel high, ``(batch, 1, steps, channels)``.

Weights use Keras's names and layouts: DepthwiseConv2D's ``kernel`` is
``(kh, kw, in, m)`` and its bias ``(in * m,)``; SeparableConv2D's
``depthwise_kernel`` is ``(kh, kw, in, m)``, its ``pointwise_kernel`` ``(1, 1,
in * m, filters)`` and its ``bias`` ``(filters,)``; SeparableConv1D drops the
leading ``kh`` and ``1``. Output channel ``c * m + j`` of the depthwise step is
input channel ``c`` convolved with its ``j``-th kernel, as in Keras.
"""

import numpy as np

from kerasite import constraints, initializers, regularizers
from kerasite._validation import positive_int
from kerasite.backend.kernels import window_cell
from kerasite.layers._spatial import (
    check_rank3,
    check_rank4,
    data_format_arg,
    out_size,
    single,
)
from kerasite.layers.conv import _Conv


class _DepthwiseConv(_Conv):
    """The depthwise step shared by the three layers, for sequences (rank 1) and images."""

    _rank = 2  # spatial axes

    def _check_rank(self, input_shape):
        (check_rank4 if self._rank == 2 else check_rank3)(self, input_shape)

    def _geometry(self, input_shape):
        """``(out, pad_before, pad_after)`` per spatial axis; raises if the kernel does not fit."""
        spatial = tuple(input_shape[1:1 + self._rank])
        axes = [out_size(size, k, s, self.padding)
                for size, k, s in zip(spatial, self._k_eff(), self.strides)]
        if any(out is not None and out < 1 for out, _, _ in axes):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the kernel {self.kernel_size} "
                f"with dilation_rate={self.dilation_rate} spans {self._k_eff()}, larger than "
                f"the padded input {spatial} (padding={self.padding!r}). Use a smaller "
                'kernel_size or dilation_rate, padding="same", or a larger input.'
            )
        return axes

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        outs = [out for out, _, _ in self._geometry(input_shape)]
        return (input_shape[0], *outs, self._channels_out(input_shape[-1]))

    def _image_geometry(self, input_shape):
        """The geometry as an image's: a sequence is one pixel high."""
        axes = self._geometry(input_shape)
        return axes if self._rank == 2 else [(1, 0, 0), *axes]

    def _image(self, sizes):
        """``kernel_size``, ``strides`` or ``dilation_rate`` as an image's ``(h, w)``."""
        return tuple(sizes) if self._rank == 2 else (1, *sizes)

    # With K the depthwise kernel (kh, kw, in, m) and x_pq the tap (p, q) of
    # every window (a strided view of the padded input, (batch, Ho, Wo, in)):
    #   d[..., c, j] = sum over taps of x_pq[..., c] K[p, q, c, j]
    #   dL/dK[p, q, c, j] = sum over pixels of x_pq[..., c] dL/dd[..., c, j]
    #   dL/dx_pq[..., c] += sum over j of dL/dd[..., c, j] K[p, q, c, j]
    def _depthwise(self, x, kernel, training):
        """The depthwise step: ``(batch, *spatial, in)`` -> ``(batch, Ho, Wo, in, m)``."""
        image = x if self._rank == 2 else x[:, None]
        n, h, w, c = image.shape
        (ho, pt, pb), (wo, pl, pr) = self._image_geometry(x.shape)
        xp = image
        if pt or pb or pl or pr:
            xp = self._workspace("xp", (n, h + pt + pb, w + pl + pr, c), x.dtype)
            xp.fill(0)
            xp[:, pt:pt + h, pl:pl + w] = image
        self.xp = xp
        kh, kw = self._image(self.kernel_size)
        (dh, dw), strides = self._image(self.dilation_rate), self._image(self.strides)
        kernel = kernel.reshape(kh, kw, c, -1)
        d = self._out("d", (n, ho, wo, c, kernel.shape[-1]), x.dtype, training)
        tap = self._workspace("tap", d.shape, x.dtype)
        d.fill(0)
        for p in range(kh):
            for q in range(kw):
                window = window_cell(xp, p * dh, q * dw, strides, (ho, wo))
                d += np.multiply(window[..., None], kernel[p, q], out=tap)
        return d

    def _depthwise_backward(self, dd, kernel, kernel_grad, need_input_grad):
        """Fills ``kernel_grad`` from ``dd`` ``(batch, Ho, Wo, in, m)``; returns d L / d x."""
        n, ho, wo, c, m = dd.shape
        kh, kw = self._image(self.kernel_size)
        (dh, dw), strides = self._image(self.dilation_rate), self._image(self.strides)
        kernel, kernel_grad = kernel.reshape(kh, kw, c, m), kernel_grad.reshape(kh, kw, c, m)
        dxp = None
        if need_input_grad:
            dxp = self._workspace("dxp", self.xp.shape, dd.dtype)
            dxp.fill(0)
        for p in range(kh):
            for q in range(kw):
                window = window_cell(self.xp, p * dh, q * dw, strides, (ho, wo))
                np.einsum("nhwc,nhwcm->cm", window, dd, out=kernel_grad[p, q])
                if need_input_grad:
                    window_cell(dxp, p * dh, q * dw, strides, (ho, wo))[...] += \
                        np.einsum("nhwcm,cm->nhwc", dd, kernel[p, q])
        if not need_input_grad:
            return None
        (_, pt, _), (_, pl, _) = self._image_geometry(self.input_shape)
        h, w = self.input_shape[1:3] if self._rank == 2 else (1, self.input_shape[1])
        dx = dxp[:, pt:pt + h, pl:pl + w]
        return dx if self._rank == 2 else dx[:, 0]


class DepthwiseConv2D(_DepthwiseConv):
    """A depthwise 2D convolution: each input channel filtered by its own kernels.

    Args:
        kernel_size: ``(kh, kw)``, or one integer for a square kernel.
        strides: ``(sh, sw)`` step between windows, or one integer.
        padding: ``"valid"`` or ``"same"`` (see ``Conv2D``).
        depth_multiplier: ``m``, the number of kernels (output channels) per
            input channel.
        data_format: ``"channels_last"`` or ``None``, the only layout.
        dilation_rate: ``(dh, dw)`` spacing between kernel taps, or one integer.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per output channel.
        depthwise_initializer: initializer of the kernel (``"glorot_uniform"``).
        bias_initializer: initializer of the bias (zeros).
        depthwise_regularizer: a penalty on the kernel, or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        depthwise_constraint: a projection of the kernel after each update, or ``None``.
        bias_constraint: a projection of the bias after each update, or ``None``.

    Shapes:
        input ``(batch, H, W, in)``; ``kernel`` ``(kh, kw, in, m)``, ``bias``
        ``(in * m,)``; output ``(batch, Ho, Wo, in * m)``, with ``Ho`` and
        ``Wo`` as for ``Conv2D``.

    Example:
        >>> import numpy as np
        >>> layer = DepthwiseConv2D(2, depthwise_initializer="ones")
        >>> x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))], -1)[None].astype("float32")
        >>> layer.forward(x)[0, 0, 0]
        array([4., 8.], dtype=float32)
    """

    _cache_attrs = ("xp",)
    _no_filters = True

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 bias_constraint=None, **kwargs):
        data_format_arg(data_format)
        super().__init__(None, kernel_size, strides, padding, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, depthwise_constraint,
                         bias_constraint, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")

    def _channels_out(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        self._check_rank(input_shape)
        self._geometry(input_shape)
        c = input_shape[-1]
        self.kernel = self.add_weight((*self.kernel_size, c, self.depth_multiplier),
                                      self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self._channels_out(c),), self.bias_initializer,
                                        name="bias")
        super().build(input_shape)

    def _convolve(self, x, training):
        d = self._depthwise(x, self.kernel.value, training)
        n, ho, wo, c, m = d.shape
        return d.reshape(n, ho, wo, c * m)

    def _convolve_backward(self, g, need_input_grad):
        (ho, _, _), (wo, _, _) = self._image_geometry(self.input_shape)
        dd = g.reshape(len(self.xp), ho, wo, self.input_shape[-1], self.depth_multiplier)
        return self._depthwise_backward(dd, self.kernel.value, self.kernel._grad,
                                        need_input_grad)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        return {**config, "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.kernel_initializer),
                "depthwise_regularizer": regularizers.serialize(self.kernel_regularizer),
                "depthwise_constraint": constraints.serialize(self.kernel_constraint)}


class SeparableConv2D(_DepthwiseConv):
    """A depthwise 2D convolution followed by a pointwise (1 x 1) one that mixes the channels.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``(kh, kw)``, or one integer for a square kernel.
        strides: ``(sh, sw)`` step between windows, or one integer.
        padding: ``"valid"`` or ``"same"`` (see ``Conv2D``).
        data_format: ``"channels_last"`` or ``None``, the only layout.
        dilation_rate: ``(dh, dw)`` spacing between kernel taps, or one integer.
        depth_multiplier: ``m``, depthwise kernels per input channel.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        depthwise_initializer: initializer of ``depthwise_kernel``.
        pointwise_initializer: initializer of ``pointwise_kernel``.
        bias_initializer: initializer of the bias (zeros).
        depthwise_regularizer: a penalty on ``depthwise_kernel``, or ``None``.
        pointwise_regularizer: a penalty on ``pointwise_kernel``, or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        depthwise_constraint: a projection of ``depthwise_kernel``, or ``None``.
        pointwise_constraint: a projection of ``pointwise_kernel``, or ``None``.
        bias_constraint: a projection of the bias, or ``None``.

    Shapes:
        input ``(batch, H, W, in)``; ``depthwise_kernel`` ``(kh, kw, in, m)``,
        ``pointwise_kernel`` ``(1, 1, in * m, filters)``, ``bias``
        ``(filters,)``; output ``(batch, Ho, Wo, filters)``.

    Example:
        >>> import numpy as np
        >>> layer = SeparableConv2D(1, 2, depthwise_initializer="ones",
        ...                         pointwise_initializer="ones")
        >>> x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))], -1)[None].astype("float32")
        >>> layer.forward(x)[0, 0, 0]
        array([12.], dtype=float32)
    """

    _cache_attrs = ("xp", "d")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        data_format_arg(data_format)
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, activation,
                         use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer, bias_constraint=bias_constraint,
                         **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.depthwise_kernel = self.pointwise_kernel = None

    def _channels_out(self, channels):
        return self.filters

    def build(self, input_shape):
        self._check_rank(input_shape)
        self._geometry(input_shape)
        mixed = input_shape[-1] * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            (*self.kernel_size, input_shape[-1], self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (*(1,) * self._rank, mixed, self.filters), self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint,
            name="pointwise_kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias")
        super().build(input_shape)

    # The depthwise step d (pixels, in*m), then z = d P with P the pointwise
    # kernel as an (in*m, filters) matrix:  dL/dP = d^T dL/dz,  dL/dd = dL/dz P^T.
    def _convolve(self, x, training):
        d = self._depthwise(x, self.depthwise_kernel.value, training)
        self.d = d.reshape(-1, d.shape[-2] * d.shape[-1])
        z = self._out("z", (len(self.d), self.filters), d.dtype, training)
        np.matmul(self.d, self.pointwise_kernel.value.reshape(-1, self.filters), out=z)
        outs = [out for out, _, _ in self._geometry(x.shape)]
        return z.reshape(len(x), *outs, self.filters)

    def _convolve_backward(self, g, need_input_grad):
        pointwise = self.pointwise_kernel.value.reshape(-1, self.filters)
        np.matmul(self.d.T, g, out=self.pointwise_kernel._grad.reshape(pointwise.shape))
        dd = self._workspace("dd", self.d.shape, g.dtype)
        np.matmul(g, pointwise.T, out=dd)
        (ho, _, _), (wo, _, _) = self._image_geometry(self.input_shape)
        c = self.input_shape[-1]
        dd = dd.reshape(len(self.xp), ho, wo, c, self.depth_multiplier)
        return self._depthwise_backward(dd, self.depthwise_kernel.value,
                                        self.depthwise_kernel._grad, need_input_grad)

    def get_config(self):
        config = super().get_config()
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        return {**config, "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


class SeparableConv1D(SeparableConv2D):
    """A depthwise 1D convolution followed by a pointwise one that mixes the channels.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``k``, the window's length.
        strides: the step between windows.
        padding: ``"valid"`` or ``"same"`` (see ``Conv1D``).
        data_format: ``"channels_last"`` or ``None``, the only layout.
        dilation_rate: the spacing between kernel taps.
        depth_multiplier: ``m``, depthwise kernels per input channel.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        depthwise_initializer: initializer of ``depthwise_kernel``.
        pointwise_initializer: initializer of ``pointwise_kernel``.
        bias_initializer: initializer of the bias (zeros).
        depthwise_regularizer: a penalty on ``depthwise_kernel``, or ``None``.
        pointwise_regularizer: a penalty on ``pointwise_kernel``, or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        depthwise_constraint: a projection of ``depthwise_kernel``, or ``None``.
        pointwise_constraint: a projection of ``pointwise_kernel``, or ``None``.
        bias_constraint: a projection of the bias, or ``None``.

    Shapes:
        input ``(batch, steps, in)``; ``depthwise_kernel`` ``(k, in, m)``,
        ``pointwise_kernel`` ``(1, in * m, filters)``, ``bias``
        ``(filters,)``; output ``(batch, steps_out, filters)``.

    Example:
        >>> import numpy as np
        >>> layer = SeparableConv1D(1, 2, depthwise_initializer="ones",
        ...                         pointwise_initializer="ones")
        >>> layer.forward(np.array([[[1.0, 2.0], [3.0, 4.0]]], dtype="float32"))
        array([[[10.]]], dtype=float32)
    """

    _rank = 1
    _size_arg = staticmethod(single)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, depthwise_constraint,
                         pointwise_constraint, bias_constraint, **kwargs)
