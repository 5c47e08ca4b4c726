"""Convolutions, channels-last: ``Conv2D``, ``Conv2DTranspose``, ``Conv1D`` and ``Conv1DTranspose``.

A convolution is a Dense layer applied to every window of the image. ``im2col``
copies each window into one row of a matrix ``cols`` (``(pixels, kh*kw*in)``),
so the whole convolution is one matrix product ``cols @ W``. Backward is the
same picture read the other way: ``dW = cols^T g`` and the input gradient is
``g W^T`` added back onto the image window by window (``col2im``).
``Conv2DTranspose`` is the adjoint: its forward pass is Conv2D's backward.

Weights use Keras's layouts, so ``get_weights``/``set_weights`` carry them to
and from Keras unchanged: Conv2D's kernel is ``(kh, kw, in, filters)``,
Conv2DTranspose's is ``(kh, kw, filters, in)``, Conv1D's ``(k, in / groups,
filters)`` and Conv1DTranspose's ``(k, filters, in)``.

The 1D layers run the same kernels on the sequence seen as an image one
pixel high: ``(batch, steps, channels)`` is ``(batch, 1, steps, channels)``
without a copy.
"""

import numpy as np

import kerasite.layers.activations as activations
from kerasite import initializers
from kerasite._validation import positive_int
from kerasite.backend.kernels import (
    bias_relu,
    col2im,
    conv2d_relu_backward,
    conv2d_relu_backward_pays,
    im2col,
    relu_grad_and_bias_sum,
)
from kerasite.layers._spatial import (
    check_rank3,
    check_rank4,
    data_format_arg,
    out_size,
    padding_arg,
    pair,
    single,
)
from kerasite.layers.base import KernelAndBias, Layer


class _Conv(KernelAndBias, Layer):
    """What the convolutions share: arguments, weights, bias and activation."""

    # How kernel_size, strides and dilation_rate are read (one value per spatial
    # axis), and the paddings accepted.
    _size_arg = staticmethod(pair)
    _paddings = ("valid", "same")
    _no_filters = False

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        # A depthwise conv has no `filters`: its output channels follow its input.
        self.filters = None if self._no_filters else positive_int(filters, "filters")
        self.kernel_size = self._size_arg(kernel_size, "kernel_size")
        self.strides = self._size_arg(strides, "strides")
        self.padding = padding_arg(padding, self._paddings)
        self.dilation_rate = self._size_arg(dilation_rate, "dilation_rate")
        if isinstance(activation, activations._Elementwise):  # each layer needs its own cache
            activation = type(activation).from_config(activation.get_config())
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._kernel_and_bias_options(kernel_regularizer, bias_regularizer, kernel_constraint,
                                      bias_constraint)
        self.kernel = self.bias = None

    def compute_output_shape(self, input_shape):
        # Each subclass's _geometry gives its output size along each axis.
        check_rank4(self, input_shape)
        (ho, _, _), (wo, _, _) = self._geometry(input_shape)
        return (input_shape[0], ho, wo, self.filters)

    def _k_eff(self):
        # A dilated kernel of k taps spans (k - 1) * d + 1 pixels.
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))

    def _make_weights(self, kernel_shape):
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias")

    # The epilogue: bias and activation. With a plain ReLU (the usual conv
    # activation) each direction is one pass over the output instead of two:
    #   forward   a = max(z + b, 0)
    #   backward  dL/dz = dL/da * (a > 0),  dL/db = sum over pixels of dL/dz
    # The ReLU keeps ``a`` exactly as its own call would.
    def _fused_relu(self):
        act = self.activation
        return self.use_bias and type(act) is activations.ReLU and act._plain

    def _bias_and_activation(self, z, training):
        """``z`` is ``(pixels, filters)``; adds the bias and applies the activation in place."""
        if self._fused_relu():
            self.activation.z = bias_relu(z, self.bias.value)
            return z
        if self.use_bias:
            z += self.bias.value
        return self.activation.call(z, training, out=z)

    def _activation_and_bias_grad(self, grad_output):
        """d loss / d z ``(pixels, filters)`` from d loss / d output; fills ``db``."""
        g = grad_output.reshape(-1, grad_output.shape[-1])
        if self._fused_relu():
            dz = self._workspace("dz", g.shape, g.dtype)
            return relu_grad_and_bias_sum(g, self.activation.z, dz, self.bias._grad)
        g = self.activation.backward(g)
        if self.use_bias:
            np.matmul(np.ones(len(g), g.dtype), g, out=self.bias._grad)
        return g

    # A subclass's ``_convolve`` computes the output before the bias and activation, and
    # its ``_convolve_backward`` takes the gradient with respect to the output before the
    # activation, as rows ``(pixels, filters)``; the epilogue sits between them.
    def call(self, x, training=False):
        z = self._convolve(x, training)
        return self._bias_and_activation(z.reshape(-1, z.shape[-1]), training).reshape(z.shape)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad and self._weight_grads_from_image(grad_output):
            return None
        return self._convolve_backward(self._activation_and_bias_grad(grad_output),
                                       need_input_grad)

    def _weight_grads_from_image(self, grad_output):
        """Fills the weights' gradients in one pass where a subclass can; True if it did."""
        return False

    # For a caller that wants the activation's input ``z`` itself (the values before the
    # activation squashes them) and takes the gradient with respect to it.
    def call_with_pre_activation(self, x, training=False):
        """``call``, also returning the pre-activation ``z``: the convolution plus the bias.

        Args:
            x: the input, ``(batch, H, W, in)`` (``(batch, steps, in)`` in 1D).
            training: as for ``call``.

        Returns:
            ``(outputs, z)``, both ``(batch, Ho, Wo, filters)`` (``(batch,
            steps_out, filters)`` in 1D): ``f(z)`` in the activation's own
            buffer, and ``z`` intact.
        """
        z = self._convolve(x, training)
        rows = z.reshape(-1, z.shape[-1])
        if self.use_bias:
            rows += self.bias.value
        return self.activation.call(rows, training).reshape(z.shape), z

    def backward_from_pre_activation(self, grad, need_input_grad=True):
        """Back-propagates d L / d ``z`` (not d L / d output): the activation is skipped.

        Args:
            grad: d L / d ``z``, shaped like ``z``.
            need_input_grad: as for ``backward``.

        Returns:
            d L / d ``x``, or ``None``; fills the kernel's and the bias's gradients.
        """
        g = grad.reshape(-1, grad.shape[-1])
        if self.use_bias:
            np.matmul(np.ones(len(g), g.dtype), g, out=self.bias._grad)
        return self._convolve_backward(g, need_input_grad)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self._kernel_and_bias_config(),
        }


class Conv2D(_Conv):
    """A 2D convolution over ``(batch, height, width, channels)`` images.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``(kh, kw)``, or one integer for a square kernel.
        strides: ``(sh, sw)`` step between windows, or one integer.
        padding: ``"valid"`` (no padding: the output shrinks) or ``"same"``
            (zero padding so the output has ``ceil(size / stride)`` pixels).
        dilation_rate: ``(dh, dw)`` spacing between kernel taps, or one integer.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        kernel_initializer: initializer of the kernel (``"glorot_uniform"``).
        kernel_regularizer: a penalty on the kernel (``"l2"``,
            ``kerasite.regularizers.L2(1e-4)``, ...), or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        kernel_constraint: a projection of the kernel after each update
            (``"max_norm"``, ``"non_neg"``, ...), or ``None``.
        bias_constraint: a projection of the bias after each update, or ``None``.
        bias_initializer: initializer of the bias (zeros).

    Shapes:
        input ``(batch, H, W, in)``; kernel ``W`` ``(kh, kw, in, filters)``,
        bias ``b`` ``(filters,)``; output ``(batch, Ho, Wo, filters)`` with
        ``Ho = (H - kh_eff) // sh + 1`` for ``"valid"`` and ``ceil(H / sh)``
        for ``"same"``, where ``kh_eff = (kh - 1) * dh + 1``.

    Example:
        >>> import numpy as np
        >>> layer = Conv2D(1, 2, kernel_initializer="ones")
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> layer.forward(x)[0, :, :, 0]
        array([[ 8., 12.],
               [20., 24.]], dtype=float32)
    """

    _cache_attrs = ("cols", "xp", "_cols_used")

    def build(self, input_shape):
        check_rank4(self, input_shape)
        self._geometry(input_shape)
        self._make_weights((*self.kernel_size, input_shape[-1], self.filters))
        super().build(input_shape)

    def _geometry(self, input_shape):
        """Output size and padding per spatial axis; raises if the kernel does not fit."""
        axes = [out_size(size, k, s, self.padding)
                for size, k, s in zip(input_shape[1:3], self._k_eff(), self.strides)]
        if any(out is not None and out < 1 for out, _, _ in axes):
            raise ValueError(
                f"Layer '{self.name}' (Conv2D): the kernel {self.kernel_size} with "
                f"dilation_rate={self.dilation_rate} spans {self._k_eff()} pixels, larger than "
                f"the padded input {tuple(input_shape[1:3])} (padding={self.padding!r}). Use a "
                'smaller kernel_size or dilation_rate, padding="same", or a larger input.'
            )
        return axes

    # Forward and backward, side by side. With cols the im2col matrix
    # (pixels, kh*kw*in), K the kernel as a (kh*kw*in, filters) matrix:
    #   z = cols K + b,  a = f(z)
    #   dL/dK = cols^T dL/dz      dL/db = sum over pixels of dL/dz
    #   dL/dcols = dL/dz K^T      dL/dx = col2im(dL/dcols), the padding cropped
    def _convolve(self, x, training):
        n, h, w, c = x.shape
        (ho, pt, pb), (wo, pl, pr) = self._geometry(x.shape)
        kh, kw = self.kernel_size
        xp = x
        if pt or pb or pl or pr:
            xp = self._workspace("xp", (n, h + pt + pb, w + pl + pr, c), x.dtype)
            xp[:, :pt] = 0
            xp[:, pt + h:] = 0
            xp[:, :, :pl] = 0
            xp[:, :, pl + w:] = 0
            xp[:, pt:pt + h, pl:pl + w] = x
        cols = self._workspace("cols", (n, ho, wo, kh, kw, c), x.dtype)
        self.cols = im2col(xp, kh, kw, self.strides, self.dilation_rate, (ho, wo), cols)
        self.xp, self._cols_used = xp, False  # xp: to gather cols again (see backward)
        z = self._out("z", (n * ho * wo, self.filters), self.kernel.value.dtype, training)
        np.matmul(cols.reshape(len(z), -1), self.kernel.value.reshape(-1, self.filters), out=z)
        return z.reshape(n, ho, wo, self.filters)

    def _weight_grads_from_image(self, grad_output):
        # A model's first layer on greyscale or RGB images, with a ReLU: its weight
        # gradients in one compiled pass from the image (kerasite/backend/kernels.py).
        if not (self._fused_relu()
                and conv2d_relu_backward_pays(self.xp.shape[-1], grad_output.size)):
            return False
        a = self.activation.z.reshape(grad_output.shape)
        conv2d_relu_backward(self.xp, grad_output, a, self.strides, self.dilation_rate,
                             self.kernel._grad, self.bias._grad)
        return True

    def _convolve_backward(self, g, need_input_grad):
        n, ho, wo, kh, kw, c = self.cols.shape
        if self._cols_used:  # a second backward of one forward (a persistent tape)
            im2col(self.xp, kh, kw, self.strides, self.dilation_rate, (ho, wo), self.cols)
        cols = self.cols.reshape(len(g), -1)
        kernel = self.kernel.value.reshape(-1, self.filters)
        np.matmul(cols.T, g, out=self.kernel._grad.reshape(kernel.shape))
        if not need_input_grad:
            return None
        # cols is spent once dL/dK is known: dL/dcols overwrites it (one copy, not two).
        dcols, self._cols_used = self.cols, True
        if dcols.dtype != g.dtype:
            dcols = self._workspace("dcols", self.cols.shape, g.dtype)
        np.matmul(g, kernel.T, out=dcols.reshape(cols.shape))
        _, h, w, _ = self.input_shape
        (_, pt, pb), (_, pl, pr) = self._geometry(self.input_shape)
        dxp = self._workspace("dxp", (n, h + pt + pb, w + pl + pr, c), g.dtype)
        col2im(dcols, self.strides, self.dilation_rate, dxp)
        return dxp[:, pt:pt + h, pl:pl + w]


def _transpose_axis(size, k_eff, stride, padding):
    """``(out, crop_before, scratch)`` of a transposed convolution along one axis."""
    if size is None:
        return None, 0, 0
    full = (size - 1) * stride + k_eff
    out = size * stride + (max(k_eff - stride, 0) if padding == "valid" else 0)
    crop = 0 if padding == "valid" else max(k_eff - stride, 0) // 2
    return out, crop, max(full, crop + out)


class Conv2DTranspose(_Conv):
    """The transposed ("de-") convolution: Conv2D's input gradient as a layer.

    Each input pixel scatters ``kernel * value`` onto a ``kh x kw`` patch of
    the output, patches ``strides`` apart; this is how decoders upsample.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``(kh, kw)``, or one integer.
        strides: ``(sh, sw)`` or one integer: the upsampling factor.
        padding: ``"valid"`` or ``"same"``, with Keras's output sizes:
            ``H * sh + max(kh_eff - sh, 0)`` for ``"valid"`` and ``H * sh``
            for ``"same"`` (``kh_eff = (kh - 1) * dh + 1``).
        dilation_rate: ``(dh, dw)`` spacing between kernel taps, or one integer.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        kernel_initializer: initializer of the kernel (``"glorot_uniform"``).
        kernel_regularizer: a penalty on the kernel (``"l2"``,
            ``kerasite.regularizers.L2(1e-4)``, ...), or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        kernel_constraint: a projection of the kernel after each update
            (``"max_norm"``, ``"non_neg"``, ...), or ``None``.
        bias_constraint: a projection of the bias after each update, or ``None``.
        bias_initializer: initializer of the bias (zeros).

    Shapes:
        input ``(batch, H, W, in)``; kernel ``W`` ``(kh, kw, filters, in)``
        (Keras's layout, filters before inputs); bias ``(filters,)``; output
        ``(batch, Ho, Wo, filters)``.

    Example:
        >>> import numpy as np
        >>> layer = Conv2DTranspose(1, 2, strides=2, kernel_initializer="ones")
        >>> x = np.array([[1.0, 2.0]], dtype="float32").reshape(1, 1, 2, 1)
        >>> layer.forward(x)[0, :, :, 0]
        array([[1., 1., 2., 2.],
               [1., 1., 2., 2.]], dtype=float32)
    """

    _cache_attrs = ("x",)

    def build(self, input_shape):
        check_rank4(self, input_shape)
        self._make_weights((*self.kernel_size, self.filters, input_shape[-1]))
        super().build(input_shape)

    def _geometry(self, input_shape):
        """Per spatial axis: ``(out, crop_before, scratch)``.

        The patches cover ``full = (size - 1) * s + k_eff`` pixels; the output
        is ``full[crop_before : crop_before + out]`` in a zeroed scratch of
        length ``scratch`` (longer than ``full`` when ``k_eff < s``). The crop
        is the padding the matching Conv2D would add before the image.
        """
        return [_transpose_axis(size, k, s, self.padding)
                for size, k, s in zip(input_shape[1:3], self._k_eff(), self.strides)]

    # With K the kernel as a (kh*kw*filters, in) matrix and x2 the input as
    # (pixels, in):  cols = x2 K^T,  z = crop(col2im(cols)) + b,  a = f(z).
    #   dL/dcols = im2col(dL/dz, zero-padded back to the scratch)
    #   dL/dK = dL/dcols^T x2     dL/dx = dL/dcols K     dL/db = sum of dL/dz
    def _convolve(self, x, training):
        n, h, w, c = x.shape
        (ho, pt, sh), (wo, pl, sw) = self._geometry(x.shape)
        kh, kw = self.kernel_size
        self.x = x.reshape(-1, c)
        kernel = self.kernel.value.reshape(-1, c)
        cols = self._workspace("cols", (n, h, w, kh, kw, self.filters), x.dtype)
        np.matmul(self.x, kernel.T, out=cols.reshape(len(self.x), -1))
        scratch = col2im(cols, self.strides, self.dilation_rate,
                         self._workspace("scratch", (n, sh, sw, self.filters), x.dtype))
        z = self._out("z", (n, ho, wo, self.filters), self.kernel.value.dtype, training)
        np.copyto(z, scratch[:, pt:pt + ho, pl:pl + wo])
        return z

    def _convolve_backward(self, g, need_input_grad):
        _, h, w, c = self.input_shape
        (ho, pt, sh), (wo, pl, sw) = self._geometry(self.input_shape)
        n, f = len(g) // (ho * wo), self.filters
        kh, kw = self.kernel_size
        # The forward's scratch and cols are spent: the backward reuses their memory.
        gpad = self._workspace("scratch", (n, sh, sw, f), g.dtype)
        gpad.fill(0)
        gpad[:, pt:pt + ho, pl:pl + wo] = g.reshape(n, ho, wo, f)
        gcols = im2col(gpad, kh, kw, self.strides, self.dilation_rate, (h, w),
                       self._workspace("cols", (n, h, w, kh, kw, f), g.dtype))
        gcols = gcols.reshape(len(self.x), -1)
        kernel = self.kernel.value.reshape(-1, c)
        np.matmul(gcols.T, self.x, out=self.kernel._grad.reshape(kernel.shape))
        if not need_input_grad:
            return None
        dx = self._workspace("dx", (len(self.x), c), g.dtype)
        np.matmul(gcols, kernel, out=dx)
        return dx.reshape(n, h, w, c)



class _Conv1DArgs:
    """The 1D convolutions' argument handling: one size per argument, channels-last."""

    _size_arg = staticmethod(single)

    def compute_output_shape(self, input_shape):
        check_rank3(self, input_shape)
        steps, _, _ = self._geometry(input_shape)
        return (input_shape[0], steps, self.filters)


class Conv1D(_Conv1DArgs, _Conv):
    """A 1D convolution over ``(batch, steps, channels)`` sequences.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``k``, the window's length (an integer or a tuple of one).
        strides: the step between windows.
        padding: ``"valid"`` (no padding), ``"same"`` (zero padding so the
            output has ``ceil(steps / stride)`` steps) or ``"causal"`` (all
            the padding before the sequence: output step ``t`` sees only
            input steps up to ``t``).
        data_format: ``"channels_last"`` or ``None``, the only layout.
        dilation_rate: the spacing between kernel taps.
        groups: split the channels into this many groups, each convolved with
            its own ``filters / groups`` filters (both must divide by it).
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        kernel_initializer: initializer of the kernel (``"glorot_uniform"``).
        bias_initializer: initializer of the bias (zeros).
        kernel_regularizer: a penalty on the kernel, or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        kernel_constraint: a projection of the kernel after each update, or ``None``.
        bias_constraint: a projection of the bias after each update, or ``None``.

    Shapes:
        input ``(batch, steps, in)``; kernel ``W`` ``(k, in / groups,
        filters)``, bias ``(filters,)``; output ``(batch, steps_out,
        filters)`` with ``steps_out = (steps - k_eff) // s + 1`` for
        ``"valid"`` and ``ceil(steps / s)`` otherwise, where ``k_eff = (k - 1)
        * d + 1``.

    Example:
        >>> import numpy as np
        >>> layer = Conv1D(1, 2, padding="causal", kernel_initializer="ones")
        >>> layer.forward(np.array([[[1.0], [2.0], [3.0]]], dtype="float32"))[0, :, 0]
        array([1., 3., 5.], dtype=float32)
    """

    _cache_attrs = ("cols",)
    _paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        data_format_arg(data_format)
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.groups = positive_int(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(
                f"`filters` must be a multiple of `groups`. Received: filters={self.filters}, "
                f"groups={self.groups}. Pick groups that divide filters."
            )

    def build(self, input_shape):
        check_rank3(self, input_shape)
        channels = input_shape[-1]
        if channels % self.groups:
            raise ValueError(
                f"Layer '{self.name}' (Conv1D): the input's {channels} channels do not split "
                f"into groups={self.groups}. Pick groups that divide the input channels."
            )
        self._geometry(input_shape)
        self._make_weights((*self.kernel_size, channels // self.groups, self.filters))
        super().build(input_shape)

    def _geometry(self, input_shape):
        """``(steps_out, pad_before, pad_after)``; raises if the kernel does not fit."""
        steps, (k,), (s,) = input_shape[1], self._k_eff(), self.strides
        if self.padding == "causal":  # as "valid" on the input with k_eff - 1 zeros before it
            out = None if steps is None else (steps - 1) // s + 1
            return out, k - 1, 0
        out, before, after = out_size(steps, k, s, self.padding)
        if out is not None and out < 1:
            raise ValueError(
                f"Layer '{self.name}' (Conv1D): the kernel {self.kernel_size} with "
                f"dilation_rate={self.dilation_rate} spans {k} steps, more than the input's "
                f"{steps} (padding={self.padding!r}). Use a smaller kernel_size or "
                'dilation_rate, padding="same" or "causal", or a longer input.'
            )
        return out, before, after

    def _kernel_by_group(self, kernel):
        """``(k, in / g, filters)`` -> ``(g, k * in / g, filters / g)``: a view."""
        return kernel.reshape(-1, self.groups, self.filters // self.groups).transpose(1, 0, 2)

    def _by_group(self, rows):
        """``(pixels, k, in)`` rows -> ``(g, pixels, k * in / g)``, each group's taps together."""
        p, k, c = rows.shape
        return rows.reshape(p, k, self.groups, c // self.groups).transpose(2, 0, 1, 3) \
            .reshape(self.groups, p, -1)

    # The sequence is an image one pixel high, so Conv2D's picture holds: with
    # cols the im2col matrix (pixels, k*in), K the kernel as a (k*in, filters) matrix,
    #   z = cols K + b,  dL/dK = cols^T dL/dz,  dL/dx = col2im(dL/dz K^T)
    # With groups, the same per group: group j's filters see only its channels.
    def _convolve(self, x, training):
        n, steps, c = x.shape
        out, before, after = self._geometry(x.shape)
        (k,), f = self.kernel_size, self.filters
        xp = x
        if before or after:
            xp = self._workspace("xp", (n, before + steps + after, c), x.dtype)
            xp[:, :before] = 0
            xp[:, before + steps:] = 0
            xp[:, before:before + steps] = x
        cols = self._workspace("cols", (n, 1, out, 1, k, c), x.dtype)
        self.cols = im2col(xp[:, None], 1, k, (1, *self.strides), (1, *self.dilation_rate),
                           (1, out), cols)
        z = self._out("z", (n * out, f), self.kernel.value.dtype, training)
        if self.groups == 1:
            np.matmul(cols.reshape(len(z), -1), self.kernel.value.reshape(-1, f), out=z)
        else:
            grouped = self._by_group(cols.reshape(len(z), k, c))
            z.reshape(len(z), self.groups, -1).transpose(1, 0, 2)[...] = np.matmul(
                grouped, self._kernel_by_group(self.kernel.value))
        return z.reshape(n, out, f)

    def _convolve_backward(self, g, need_input_grad):
        n, _, out, _, k, c = self.cols.shape
        f, groups = self.filters, self.groups
        kernel = self.kernel.value
        if groups == 1:
            cols = self.cols.reshape(len(g), -1)
            np.matmul(cols.T, g, out=self.kernel._grad.reshape(-1, f))
        else:
            cols = self._by_group(self.cols.reshape(len(g), k, c))
            g = g.reshape(len(g), groups, -1).transpose(1, 0, 2)  # (groups, pixels, f / g)
            self._kernel_by_group(self.kernel._grad)[...] = np.matmul(cols.transpose(0, 2, 1), g)
        if not need_input_grad:
            return None
        dcols = self._workspace("dcols", self.cols.shape, g.dtype)
        if groups == 1:
            np.matmul(g, kernel.reshape(-1, f).T, out=dcols.reshape(cols.shape))
        else:
            by_group = np.matmul(g, self._kernel_by_group(kernel).transpose(0, 2, 1))
            dcols.reshape(-1, k, groups, c // groups)[...] = \
                by_group.reshape(groups, -1, k, c // groups).transpose(1, 2, 0, 3)
        steps = self.input_shape[1]
        _, before, after = self._geometry(self.input_shape)
        dxp = self._workspace("dxp", (n, 1, before + steps + after, c), g.dtype)
        col2im(dcols, (1, *self.strides), (1, *self.dilation_rate), dxp)
        return dxp[:, 0, before:before + steps]

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class Conv1DTranspose(_Conv1DArgs, _Conv):
    """The transposed 1D convolution: Conv1D's input gradient as a layer.

    Each input step scatters ``kernel * value`` onto ``k`` output steps,
    ``strides`` apart; this is how a sequence decoder upsamples.

    Args:
        filters: number of output channels, a positive integer.
        kernel_size: ``k``, an integer or a tuple of one.
        strides: the upsampling factor.
        padding: ``"valid"`` (``steps * s + max(k_eff - s, 0)`` output steps)
            or ``"same"`` (``steps * s``).
        output_padding: only ``None`` (Keras's default) is implemented.
        data_format: ``"channels_last"`` or ``None``.
        dilation_rate: the spacing between kernel taps.
        activation: an activation name, an activation layer, or ``None``.
        use_bias: whether to add a bias per filter.
        kernel_initializer: initializer of the kernel (``"glorot_uniform"``).
        bias_initializer: initializer of the bias (zeros).
        kernel_regularizer: a penalty on the kernel, or ``None``.
        bias_regularizer: a penalty on the bias, or ``None``.
        kernel_constraint: a projection of the kernel after each update, or ``None``.
        bias_constraint: a projection of the bias after each update, or ``None``.

    Shapes:
        input ``(batch, steps, in)``; kernel ``(k, filters, in)`` (Keras's
        layout); bias ``(filters,)``; output ``(batch, steps_out, filters)``.

    Example:
        >>> import numpy as np
        >>> layer = Conv1DTranspose(1, 2, strides=2, kernel_initializer="ones")
        >>> layer.forward(np.array([[[1.0], [2.0]]], dtype="float32"))[0, :, 0]
        array([1., 1., 2., 2.], dtype=float32)
    """

    _cache_attrs = ("x",)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        if output_padding is not None:
            raise ValueError(
                "`output_padding` must be None: kerasite gives Keras's default output sizes "
                f"only. Received: output_padding={output_padding!r}. Crop or pad the output "
                "with Cropping1D or ZeroPadding1D instead."
            )
        data_format_arg(data_format)
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        check_rank3(self, input_shape)
        self._make_weights((*self.kernel_size, self.filters, input_shape[-1]))
        super().build(input_shape)

    def _geometry(self, input_shape):
        """``(steps_out, crop_before, scratch)``, as Conv2DTranspose's along one axis."""
        return _transpose_axis(input_shape[1], self._k_eff()[0], self.strides[0], self.padding)

    # Conv2DTranspose's maths on a sequence one pixel high: with K the kernel as a
    # (k*filters, in) matrix, cols = x K^T and z = crop(col2im(cols)) + b;
    #   dL/dcols = im2col(dL/dz padded back),  dL/dK = dL/dcols^T x,  dL/dx = dL/dcols K
    def _convolve(self, x, training):
        n, steps, c = x.shape
        out, crop, length = self._geometry(x.shape)
        (k,), f = self.kernel_size, self.filters
        self.x = x.reshape(-1, c)
        kernel = self.kernel.value.reshape(-1, c)
        cols = self._workspace("cols", (n, 1, steps, 1, k, f), x.dtype)
        np.matmul(self.x, kernel.T, out=cols.reshape(len(self.x), -1))
        scratch = col2im(cols, (1, *self.strides), (1, *self.dilation_rate),
                         self._workspace("scratch", (n, 1, length, f), x.dtype))
        z = self._out("z", (n, out, f), self.kernel.value.dtype, training)
        np.copyto(z, scratch[:, 0, crop:crop + out])
        return z

    def _convolve_backward(self, g, need_input_grad):
        steps, c = self.input_shape[1:]
        out, crop, length = self._geometry(self.input_shape)
        n, f, (k,) = len(g) // out, self.filters, self.kernel_size
        gpad = self._workspace("gpad", (n, 1, length, f), g.dtype)
        gpad.fill(0)
        gpad[:, 0, crop:crop + out] = g.reshape(n, out, f)
        gcols = im2col(gpad, 1, k, (1, *self.strides), (1, *self.dilation_rate), (1, steps),
                       self._workspace("gcols", (n, 1, steps, 1, k, f), g.dtype))
        gcols = gcols.reshape(len(self.x), -1)
        kernel = self.kernel.value.reshape(-1, c)
        np.matmul(gcols.T, self.x, out=self.kernel._grad.reshape(kernel.shape))
        if not need_input_grad:
            return None
        dx = self._workspace("dx", (len(self.x), c), g.dtype)
        np.matmul(gcols, kernel, out=dx)
        return dx.reshape(n, steps, c)
