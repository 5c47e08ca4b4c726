"""The engine's reference kernels: the NumPy loops the accelerator may replace.

Every function here is marked with :func:`kerasite.backend.kernel`. Its NumPy
body is the reference: the one to read, to step through, and the one the
tests compare each compiled twin against. When the accelerator is on and
``kerasite/backend/numba_kernels.py`` has a twin of the same name, the twin
runs instead and gives the same result within float32 rounding.

* ``im2col``, ``col2im``: the conv layers' window gather and its adjoint.
* ``conv2d_relu_backward``: a first ReLU conv's weight gradients in one pass
  from the image, for few input channels (``conv2d_relu_backward_pays``).
* ``max_pool``, ``max_pool_backward``: MaxPooling2D's forward and backward.
* ``bias_relu``, ``relu_grad_and_bias_sum``: Conv2D's fused ReLU epilogues.
* ``sgd_step``, ``adam_step``: the optimizers' update over every weight.
* ``lstm_step``, ``gru_step`` and their backwards: a recurrent step's gates;
  ``embedding_backward``: Embedding's gradient, only the rows looked up.

Images are channels-last, ``(batch, height, width, channels)``. Every
kernel writes into a buffer its caller owns (``out``, ``y``, ``dxp``, ...),
so nothing is allocated per batch. The layers and optimizers import the
kernels from here; this module imports nothing above the backend.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kerasite.backend import accelerator_enabled, kernel


# ------------------------------------------------------------ conv windows
@kernel
def im2col(xp, kh, kw, stride, dilation, out_hw, out):
    """Copies every window of ``xp`` into ``out``, one row per output pixel.

    Args:
        xp: padded input, ``(batch, Hp, Wp, C)``.
        kh, kw: kernel taps; ``stride`` and ``dilation`` are ``(sh, sw)``, ``(dh, dw)``.
        out_hw: ``(Ho, Wo)``.
        out: buffer ``(batch, Ho, Wo, kh, kw, C)``, written and returned.

    The windows are a strided *view* of ``xp`` (no copy); one ``copyto``
    gathers them, so the matmul that follows reads contiguous rows. A marked
    kernel: ``kerasite/backend/numba_kernels.py`` has its compiled twin.
    """
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    windows = as_strided(
        xp, shape=(n, out_hw[0], out_hw[1], kh, kw, c),
        strides=(s0, s1 * stride[0], s2 * stride[1], s1 * dilation[0], s2 * dilation[1], s3),
        writeable=False)
    np.copyto(out, windows)
    return out


@kernel
def col2im(cols, stride, dilation, out):
    """The adjoint of ``im2col``: adds every window row back onto the image.

    Args:
        cols: ``(batch, Ho, Wo, kh, kw, C)``.
        out: ``(batch, Hp, Wp, C)``, zeroed here, then accumulated and returned.

    One loop over the kh * kw kernel offsets; each adds a strided slice, so
    positions shared by overlapping windows add up. A marked kernel, like
    ``im2col``.
    """
    _, ho, wo, kh, kw, _ = cols.shape
    out.fill(0)
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (ho - 1) * sh + 1, sh)
            columns = slice(j * dw, j * dw + (wo - 1) * sw + 1, sw)
            out[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return out


# ------------------------------------------- the first conv layer's backward
# A model's first Conv2D needs no input gradient, only its kernel's and bias's.
# With few input channels (greyscale or RGB images) and a ReLU, they come in
# one pass from the image itself: no d loss / d z array is written, and the
# im2col copy is not read. See ``conv2d_relu_backward``.
# Where it pays, measured with benchmarks/conv_kernels.py (CPU time, batch 128):
# keras.io's convnet's first layer (1 channel, 26x26x32 outputs) 3.4 ms against
# 3.5 ms for the ReLU pass and the product, with 11 MB less memory; the VAE's
# (14x14x32 outputs, whose arrays stay in cache) 1.1 ms against 0.9 ms.
DIRECT_MAX_CHANNELS = 4
DIRECT_MIN_VALUES = 2 ** 20  # of d loss / d output: 4 MB in float32 (the VAE's 0.8 M stay out)


# Off: measured on a quiet 2-core EPYC with two BLAS threads, the fused first-layer
# backward made keras.io's convnet epoch 11 % slower than the ReLU pass and one
# two-threaded product it replaces (paired runs, 3 rounds, 1.118x and 1.008x with it
# off); with one thread the two tie. Kept, tested, for machines where it pays.
FUSED_FIRST_CONV = False


def conv2d_relu_backward_pays(in_channels, grad_size):
    """Whether a first ReLU conv layer should use ``conv2d_relu_backward``.

    Args:
        in_channels: the layer's input channels.
        grad_size: the number of values in d loss / d output.

    Only with the accelerator on (the NumPy reference takes one product per
    kernel tap, slower than the ReLU pass and the one product ``cols^T dz``);
    only for up to ``DIRECT_MAX_CHANNELS`` input channels (with more, that
    product has more arithmetic than the loop keeps up with); and only for
    a gradient of ``DIRECT_MIN_VALUES`` or more, too large for the caches,
    where not writing ``dz`` and reading it back pays.
    """
    return (FUSED_FIRST_CONV and in_channels <= DIRECT_MAX_CHANNELS
            and grad_size >= DIRECT_MIN_VALUES and accelerator_enabled())


@kernel
def conv2d_relu_backward(xp, g, a, stride, dilation, dkernel, dbias):
    """A ReLU conv's kernel and bias gradients, straight from the image; no input gradient.

    With ``a = relu(conv(xp, K) + b)`` the conv's output and ``g = dL/da``:
    ``dL/dz = g * (a > 0)``, ``dL/db`` its sum over the pixels, and for each
    kernel tap ``dL/dK[tap] = window(xp)^T dL/dz``, a product over the batch
    of the tap's strided view of the image (``window_cell``).

    Args:
        xp: the padded input the forward pass read, ``(batch, Hp, Wp, in)``.
        g: d loss / d output, ``(batch, Ho, Wo, filters)``.
        a: the ReLU's output, ``(batch, Ho, Wo, filters)``.
        stride, dilation: ``(sh, sw)``, ``(dh, dw)``.
        dkernel: ``(kh, kw, in, filters)``, written.
        dbias: ``(filters,)``, written.

    The reference allocates ``dL/dz``; the layers call it only when
    ``conv2d_relu_backward_pays`` (the accelerator on), and the compiled twin
    in ``kerasite/backend/numba_kernels.py`` writes no such array.
    """
    dz = np.multiply(g, a > 0)
    np.sum(dz, axis=(0, 1, 2), out=dbias)
    kh, kw = dkernel.shape[:2]
    for p in range(kh):
        for q in range(kw):
            cell = window_cell(xp, p * dilation[0], q * dilation[1], stride, g.shape[1:3])
            dkernel[p, q] = np.tensordot(cell, dz, axes=([0, 1, 2], [0, 1, 2]))  # (in, filters)


# ----------------------------------------------------------------- pooling
def window_cell(xp, i, j, strides, out_hw):
    """The (i, j)-th cell of every window: a strided view ``(batch, Ho, Wo, C)``."""
    (sh, sw), (ho, wo) = strides, out_hw
    return xp[:, i:i + (ho - 1) * sh + 1:sh, j:j + (wo - 1) * sw + 1:sw]


@kernel
def max_pool(xp, pool_size, strides, y, argmax):
    """Max over each window of ``xp`` into ``y``, and which cell held it into ``argmax``.

    Args:
        xp: the (padded) input ``(batch, Hp, Wp, C)``.
        y: ``(batch, Ho, Wo, C)``, written.
        argmax: integers ``(batch, Ho, Wo, C)``, written: ``p * pw + q`` for
            the cell ``(p, q)`` of the window, the first one on ties (as
            TensorFlow). Returned.

    One step per cell of the window (4 for 2x2), each on whole arrays. A marked
    kernel: ``kerasite/backend/numba_kernels.py`` has its compiled twin.
    """
    out_hw = y.shape[1:3]
    ph, pw = pool_size
    cells = [window_cell(xp, i, j, strides, out_hw) for i in range(ph) for j in range(pw)]
    np.copyto(y, cells[0])
    for cell in cells[1:]:
        np.maximum(y, cell, out=y)
    # With ne_k = (cell_k != max): index = ne_0 (1 + ne_1 (1 + ne_2 (...))), built
    # from the inside out with contiguous integer ops (masked writes are slow).
    argmax.fill(0)
    not_max = np.empty(y.shape, bool)
    for k in range(len(cells) - 2, -1, -1):
        argmax += 1
        np.not_equal(cells[k], y, out=not_max)
        np.multiply(argmax, not_max, out=argmax)
    return argmax


@kernel
def max_pool_backward(grad_output, argmax, pool_size, strides, dxp):
    """Routes each ``grad_output`` value to the cell ``argmax`` names; zero elsewhere.

    Args:
        grad_output: ``(batch, Ho, Wo, C)``.
        argmax: what ``max_pool`` wrote.
        dxp: the padded input's gradient ``(batch, Hp, Wp, C)``, written and returned.
    """
    (ph, pw), (sh, sw) = pool_size, strides
    _, ho, wo, _ = grad_output.shape
    # Windows that neither overlap nor leave gaps write every cell exactly once.
    overlap = sh < ph or sw < pw
    if overlap or (sh, sw) != (ph, pw) or dxp.shape[1:3] != (ho * sh, wo * sw):
        dxp.fill(0)
    hit = np.empty(grad_output.shape, bool)
    for k in range(ph * pw):
        cell = window_cell(dxp, k // pw, k % pw, strides, (ho, wo))
        np.equal(argmax, k, out=hit)
        if overlap:
            cell += grad_output * hit
        else:
            np.multiply(grad_output, hit, out=cell)
    return dxp


# ------------------------------------------------------ conv ReLU epilogue
@kernel
def bias_relu(z, b):
    """``z = max(z + b, 0)`` in place, for ``z`` ``(pixels, filters)`` and ``b`` ``(filters,)``."""
    z += b
    return np.maximum(z, 0, out=z)


@kernel
def relu_grad_and_bias_sum(g, a, out, db):
    """``out = g * (a > 0)`` and ``db = out`` summed over the pixels; returns ``out``.

    ``a`` is the ReLU's output: it is positive exactly where the input was.
    """
    np.multiply(g, a > 0, out=out)
    np.matmul(np.ones(len(out), out.dtype), out, out=db)  # one BLAS call: faster than sum(axis=0)
    return out


# -------------------------------------------------------------- optimizers
# The update rules' elementwise passes that run over every weight at every
# step. With numba installed a one-pass twin computes the same values.
@kernel
def sgd_step(p, g, lr, step):
    """Plain SGD in place: ``p -= lr g``, through the scratch array ``step``."""
    np.multiply(g, -lr, out=step)
    p += step


def adam_moments(g, m, v, step, beta_1, beta_2):
    """Adam's moment updates in place: ``m += (1 - b1)(g - m)``, ``v += (1 - b2)(g^2 - v)``.

    ``step`` is scratch, like ``g``'s shape. Not a marked kernel: ``adam_step``
    and AMSGrad both start with it.
    """
    np.subtract(g, m, out=step)
    step *= 1 - beta_1
    m += step  # m += (1 - b1)(g - m)
    np.multiply(g, g, out=step)
    step -= v
    step *= 1 - beta_2
    v += step  # v += (1 - b2)(g^2 - v)


@kernel
def adam_step(p, g, m, v, step, lr, beta_1, beta_2, epsilon):
    """Adam in place: update the moments ``m``, ``v``, then ``p -= lr m / (sqrt(v) + eps)``.

    ``lr`` is the step's learning rate with the bias correction folded in.
    """
    adam_moments(g, m, v, step, beta_1, beta_2)
    np.sqrt(v, out=step)
    step += epsilon
    np.divide(m, step, out=step)
    step *= lr
    p -= step


# ---------------------------------------------------------- recurrent steps
# The elementwise part of one LSTM or GRU step with Keras's default
# activations (sigmoid gates, tanh), forward and backward: the cells in
# kerasite/layers/rnn/ run them between the recurrent matrix products when
# the accelerator is on, and their own gate-by-gate code otherwise. Every
# derivative comes from a stored output (sigmoid' = s (1 - s), tanh' = 1 - t^2).
def _sigmoid(x):
    """``1 / (1 + exp(-x))`` in place (overflow to 0 for very negative ``x``, silenced)."""
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1.0
    return np.reciprocal(x, out=x)


@kernel
def lstm_step(xw, hu, c_prev, c, tanh_c, h):
    """One LSTM step after its products: the gates, the new cell state and output.

    Args:
        xw: ``(batch, 4 units)``, ``x_t W + b``; becomes the activated gates
            ``i, f, g, o`` (Keras's order), which the backward step reads.
        hu: ``(batch, 4 units)``, ``h_{t-1} U``.
        c_prev: ``(batch, units)``, ``c_{t-1}``.
        c, tanh_c, h: ``(batch, units)``, written: ``c_t = f c_{t-1} + i g``,
            ``tanh(c_t)`` and ``h_t = o tanh(c_t)``.

    Returns:
        ``h``.
    """
    u = c.shape[1]
    xw += hu
    _sigmoid(xw[:, :2 * u])                  # i, f
    np.tanh(xw[:, 2 * u:3 * u], out=xw[:, 2 * u:3 * u])   # g
    _sigmoid(xw[:, 3 * u:])                  # o
    i, f, g, o = xw[:, :u], xw[:, u:2 * u], xw[:, 2 * u:3 * u], xw[:, 3 * u:]
    np.multiply(f, c_prev, out=c)
    c += i * g
    np.tanh(c, out=tanh_c)
    return np.multiply(o, tanh_c, out=h)


@kernel
def lstm_step_backward(dh, d_output, dc, gates, tanh_c, c_prev, dz, dc_prev):
    """The backward of ``lstm_step``: the gates' pre-activation gradients.

    Args:
        dh: ``(batch, units)``, d loss / d h_t from the step after; ``d_output``
            (d loss / d output t) is added into it.
        dc: ``(batch, units)``, d loss / d c_t from the step after; the
            gradient through ``h_t`` is added into it.
        gates: ``(batch, 4 units)``, what ``lstm_step`` left in ``xw``.
        tanh_c, c_prev: the step's ``tanh(c_t)`` and ``c_{t-1}``.
        dz: ``(batch, 4 units)``, written: d loss / d (x_t W + h_{t-1} U + b).
        dc_prev: ``(batch, units)``, written: d loss / d c_{t-1} ``= dc f``.

    Returns:
        ``dz``; d loss / d h_{t-1} is then ``dz U^T``.
    """
    u = dh.shape[1]
    i, f, g, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:3 * u], gates[:, 3 * u:]
    dh += d_output
    dc += dh * o * (1 - tanh_c * tanh_c)
    dz[:, :u] = dc * g * i * (1 - i)
    dz[:, u:2 * u] = dc * c_prev * f * (1 - f)
    dz[:, 2 * u:3 * u] = dc * i * (1 - g * g)
    dz[:, 3 * u:] = dh * tanh_c * o * (1 - o)
    np.multiply(dc, f, out=dc_prev)
    return dz


@kernel
def gru_step(xw, hu, h_prev, kept, h):
    """One GRU step (``reset_after=True``) after its products: the gates and output.

    Args:
        xw: ``(batch, 3 units)``, ``x_t W + b_in``; becomes the activated
            ``z, r, ĥ`` (Keras's order), which the backward step reads.
        hu: ``(batch, 3 units)``, ``h_{t-1} U + b_rec``.
        h_prev: ``(batch, units)``, ``h_{t-1}``.
        kept: ``(batch, units)``, written: ``hu``'s candidate block, for backward.
        h: ``(batch, units)``, written: ``h_t = ĥ + z (h_{t-1} - ĥ)``.

    Returns:
        ``h``.
    """
    u = h.shape[1]
    xw[:, :2 * u] += hu[:, :2 * u]
    _sigmoid(xw[:, :2 * u])                   # z, r
    z, r, hh = xw[:, :u], xw[:, u:2 * u], xw[:, 2 * u:]
    np.copyto(kept, hu[:, 2 * u:])
    hh += r * kept
    np.tanh(hh, out=hh)                       # ĥ = tanh(xw_h + r hu_h)
    np.subtract(h_prev, hh, out=h)
    h *= z
    h += hh
    return h


@kernel
def gru_step_backward(dh, d_output, gates, kept, h_prev, dz, d_hu, dh_direct):
    """The backward of ``gru_step``.

    Args:
        dh: ``(batch, units)``, d loss / d h_t from the step after;
            ``d_output`` is added into it.
        gates: ``(batch, 3 units)``, what ``gru_step`` left in ``xw``.
        kept, h_prev: the step's ``hu`` candidate block and ``h_{t-1}``.
        dz: ``(batch, 3 units)``, written: d loss / d (x_t W + b_in).
        d_hu: ``(batch, 3 units)``, written: d loss / d (h_{t-1} U + b_rec).
        dh_direct: ``(batch, units)``, written: the part of d loss / d h_{t-1}
            that skips the product, ``dh z``; the rest is ``d_hu U^T``.

    Returns:
        ``d_hu``.
    """
    u = dh.shape[1]
    z, r, hh = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:]
    dh += d_output
    dz[:, :u] = dh * (h_prev - hh) * z * (1 - z)
    dz[:, 2 * u:] = dh * (1 - z) * (1 - hh * hh)           # da: ĥ's pre-activation
    dz[:, u:2 * u] = dz[:, 2 * u:] * kept * r * (1 - r)
    d_hu[:, :2 * u] = dz[:, :2 * u]
    np.multiply(dz[:, 2 * u:], r, out=d_hu[:, 2 * u:])
    np.multiply(dh, z, out=dh_direct)
    return d_hu


@kernel
def embedding_backward(indices, grad_output, grad, previous):
    """Embedding's weight gradient, touching only the rows that were looked up.

    Args:
        indices: integers ``(n,)``, the rows looked up.
        grad_output: ``(n, dim)``, d loss / d each looked-up vector.
        grad: ``(rows, dim)``, the table's gradient: the rows in ``previous``
            (the last call's distinct indices) are zeroed, then each output
            gradient is added into the row of its index.
        previous: ``None`` (zero the whole table) or the rows written last time.

    Returns:
        The distinct indices, sorted: the rows written, for the next call's
        ``previous``.
    """
    if previous is None:
        grad.fill(0)
    else:
        grad[previous] = 0
    if indices.size == 0:
        return indices
    order = np.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rows = ordered[starts]
    grad[rows] = np.add.reduceat(grad_output[order], starts, axis=0)
    return rows
