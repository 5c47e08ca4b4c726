"""Compiled twins of the reference kernels in ``kerasite/backend/kernels.py`` (needs numba).

Imported only by ``kerasite.backend`` when the accelerator turns on. Each
twin has the name of its reference, takes the same arguments and gives the
same result within float32 rounding; ``TWINS`` at the bottom lists them by
that name, which is how the dispatcher finds them. A twin returns
``NotImplemented`` for a layout it was not written for, and the reference
runs instead. ``cache=True`` keeps the compiled code between runs.

The 2D layers' twins (im2col, col2im, max pooling, the conv ReLU epilogue)
use explicit loops that numba compiles and spreads over the cores one image
per task (``prange`` over the batch), so no two tasks write the same memory.
The loop over channels is innermost: it is contiguous in channels-last data,
and the compiler vectorises it.

The optimizers' twins compute what their references compute in the same
float operations in the same order (``fastmath=False``: nothing is
reordered or fused into an FMA), so the results equal the reference's. What
was measured on the benchmark machine (2-core Xeon, AVX-512, inside a real
training epoch of the dense autoencoder benchmark; see docs/benchmarks.md,
"Performance round two"), and so what is kept:

* ``sgd_step`` and ``adam_step``: one pass over all the weights (the flat
  buffer) instead of NumPy's two (SGD) or twelve (Adam) passes: SGD's update
  went from 0.19 to 0.10 s per epoch. Kept.
* The batch gather (a compiled row copy), the bias addition, the sigmoid,
  ReLU's derivative and the sigmoid + MSE gradient: 2 to 20 times faster
  than NumPy in a loop over the same arrays, but no faster inside an epoch,
  where the arrays come back from the matrix products (or from the 188 MB
  dataset) out of cache and every pass waits on memory. Not kept: NumPy runs.
* Small arrays (XOR's 17 weights): NumPy is faster; they stay with it.
* Threads (``parallel=True``): numba's worker has to wake up on the core
  where BLAS's second thread is spinning between products; inside an epoch
  the parallel kernels were no faster than these single-threaded ones, and
  on a loaded machine an epoch with spinning OpenMP threads took 33 s instead
  of 1 s. So the optimizers' twins run on the calling thread and start no
  threads.
"""
import os

# numba runs its parallel loops on OpenMP threads when libgomp is present.
# By default those threads spin for a while after each loop, and so do
# OpenBLAS's after each product: on two cores the four spinning threads turn a
# 4 us hand-off into milliseconds. Passive threads sleep at once. Set before
# libgomp loads (numba loads it at the first parallel loop); a value the user
# set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import prange  # noqa: E402

_jit = numba.njit(parallel=True, cache=True, nogil=True)


@_jit
def _im2col(xp, kh, kw, sh, sw, dh, dw, out):
    # Many channels: copy each tap's run of channels as one slice.
    n, ho, wo = out.shape[0], out.shape[1], out.shape[2]
    for b in prange(n):
        for i in range(ho):
            for j in range(wo):
                for p in range(kh):
                    for q in range(kw):
                        out[b, i, j, p, q, :] = xp[b, i * sh + p * dh, j * sw + q * dw, :]


@_jit
def _im2col_few_channels(xp, kh, kw, sh, sw, dh, dw, out):
    # Few channels (a greyscale or RGB first layer): the runs are too short
    # for slices, so each window row is read through a table of offsets.
    n, height, width, c = xp.shape
    ho, wo = out.shape[1], out.shape[2]
    taps = kh * kw * c
    offsets = np.empty(taps, np.int64)
    for p in range(kh):
        for q in range(kw):
            for ch in range(c):
                offsets[(p * kw + q) * c + ch] = (p * dh * width + q * dw) * c + ch
    flat_in = xp.reshape(n, height * width * c)
    rows = out.reshape(n, ho * wo, taps)
    for b in prange(n):
        image, dst = flat_in[b], rows[b]
        for i in range(ho):
            for j in range(wo):
                start = (i * sh * width + j * sw) * c
                row = dst[i * wo + j]
                for t in range(taps):
                    row[t] = image[start + offsets[t]]


def im2col(xp, kh, kw, stride, dilation, out_hw, out):
    if xp.shape[3] >= 8 or not xp.flags.c_contiguous:
        _im2col(xp, kh, kw, stride[0], stride[1], dilation[0], dilation[1], out)
    else:
        _im2col_few_channels(xp, kh, kw, stride[0], stride[1], dilation[0], dilation[1], out)
    return out


@_jit
def _col2im(cols, sh, sw, dh, dw, out):
    n, ho, wo, kh, kw, c = cols.shape
    for b in prange(n):
        out[b] = 0
        for i in range(ho):
            for j in range(wo):
                for p in range(kh):
                    for q in range(kw):
                        row, col = i * sh + p * dh, j * sw + q * dw
                        for ch in range(c):
                            out[b, row, col, ch] += cols[b, i, j, p, q, ch]


def col2im(cols, stride, dilation, out):
    _col2im(cols, stride[0], stride[1], dilation[0], dilation[1], out)
    return out


# A first ReLU conv's weight gradients, for few input channels. Per output
# pixel: dz = g * (a > 0) (a row of filters), added to the bias's sum, then
# each of the kh * kw * in taps adds ``image value * dz`` to its row of the
# kernel's gradient; the loop over filters is innermost and vectorised. Fixed
# chunks of images (not one per thread), so the sums do not depend on the
# number of threads; each chunk sums one output row at a time in the data's
# type, then adds it to its float64 partial sums.
@_jit
def _conv2d_relu_backward(xp, g, a, kh, kw, sh, sw, dh, dw, dkernel, dbias):
    n, height, width, c = xp.shape
    _, ho, wo, f = g.shape
    taps = kh * kw * c
    offsets = np.empty(taps, np.int64)  # of each tap from the window's corner, in the image
    for p in range(kh):
        for q in range(kw):
            for ch in range(c):
                offsets[(p * kw + q) * c + ch] = (p * dh * width + q * dw) * c + ch
    images = xp.reshape(n, height * width * c)
    g_rows, a_rows = g.reshape(n, ho * wo, f), a.reshape(n, ho * wo, f)
    dk_rows = dkernel.reshape(taps, f)
    partial = np.zeros((_CHUNKS, taps + 1, f))  # row ``taps``: the bias
    for chunk in prange(_CHUNKS):
        run = np.zeros((taps + 1, f), dtype=g.dtype)
        dz = np.empty(f, dtype=g.dtype)
        for b in range(chunk * n // _CHUNKS, (chunk + 1) * n // _CHUNKS):
            image, g_b, a_b = images[b], g_rows[b], a_rows[b]
            for i in range(ho):
                for j in range(wo):
                    pixel = i * wo + j  # two statements: a tuple assignment here
                    start = (i * sh * width + j * sw) * c  # ran 15 % slower
                    for k in range(f):
                        value = g_b[pixel, k] * (a_b[pixel, k] > 0)  # g * False is 0 * g
                        dz[k] = value
                        run[taps, k] += value
                    for t in range(taps):
                        x = image[start + offsets[t]]
                        for k in range(f):
                            run[t, k] += x * dz[k]
                for t in range(taps + 1):  # explicit loops: array expressions here allocate
                    for k in range(f):
                        partial[chunk, t, k] += run[t, k]
                        run[t, k] = 0
    for t in range(taps):
        for k in range(f):
            dk_rows[t, k] = partial[:, t, k].sum()
    for k in range(f):
        dbias[k] = partial[:, taps, k].sum()


def conv2d_relu_backward(xp, g, a, stride, dilation, dkernel, dbias):
    if not (xp.flags.c_contiguous and g.flags.c_contiguous and a.flags.c_contiguous
            and dkernel.flags.c_contiguous):
        return NotImplemented  # the reference runs
    kh, kw = dkernel.shape[:2]
    _conv2d_relu_backward(xp, g, a, kh, kw, stride[0], stride[1], dilation[0], dilation[1],
                          dkernel, dbias)


@_jit
def _max_pool(xp, ph, pw, sh, sw, y, argmax):
    n, ho, wo, c = y.shape
    for b in prange(n):
        for i in range(ho):
            for j in range(wo):
                for ch in range(c):
                    y[b, i, j, ch] = xp[b, i * sh, j * sw, ch]
                    argmax[b, i, j, ch] = 0
                for k in range(1, ph * pw):
                    row, col = i * sh + k // pw, j * sw + k % pw
                    for ch in range(c):
                        value = xp[b, row, col, ch]
                        # Strict: the first cell wins ties. A NaN wins and stays, as in np.maximum.
                        if value > y[b, i, j, ch] or value != value:
                            y[b, i, j, ch] = value
                            argmax[b, i, j, ch] = k


def max_pool(xp, pool_size, strides, y, argmax):
    _max_pool(xp, pool_size[0], pool_size[1], strides[0], strides[1], y, argmax)
    return argmax


@_jit
def _max_pool_backward(grad_output, argmax, ph, pw, sh, sw, dxp):
    n, ho, wo, c = grad_output.shape
    tiled = sh == ph and sw == pw and dxp.shape[1] == ho * sh and dxp.shape[2] == wo * sw
    for b in prange(n):
        if tiled:  # every input cell is in exactly one window: write each once
            for i in range(ho):
                for j in range(wo):
                    for k in range(ph * pw):
                        row, col = i * sh + k // pw, j * sw + k % pw
                        for ch in range(c):
                            hit = argmax[b, i, j, ch] == k
                            dxp[b, row, col, ch] = grad_output[b, i, j, ch] if hit else 0
        else:
            dxp[b] = 0
            for i in range(ho):
                for j in range(wo):
                    for ch in range(c):
                        k = argmax[b, i, j, ch]
                        dxp[b, i * sh + k // pw, j * sw + k % pw, ch] += grad_output[b, i, j, ch]


def max_pool_backward(grad_output, argmax, pool_size, strides, dxp):
    _max_pool_backward(grad_output, argmax, pool_size[0], pool_size[1], strides[0], strides[1],
                       dxp)
    return dxp


@_jit
def _bias_relu(z, b):
    rows, f = z.shape
    for r in prange(rows):
        for k in range(f):
            value = z[r, k] + b[k]
            z[r, k] = 0 if value < 0 else value  # a NaN stays NaN, as in np.maximum


def bias_relu(z, b):
    _bias_relu(z, b)
    return z


_CHUNKS = 16  # fixed, so that the sums do not depend on the number of threads


@_jit
def _relu_grad_and_bias_sum(g, a, out, db):
    rows, f = g.shape
    partial = np.zeros((_CHUNKS, f))
    for chunk in prange(_CHUNKS):
        start, stop = chunk * rows // _CHUNKS, (chunk + 1) * rows // _CHUNKS
        run = np.zeros(f, dtype=g.dtype)  # float32 sums of 64 rows at most,
        total = np.zeros(f)               # then added up in float64
        for r in range(start, stop):
            g_row, a_row, out_row = g[r], a[r], out[r]
            for k in range(f):
                value = g_row[k] * (a_row[k] > 0)  # g * False is 0 * g, as in NumPy
                out_row[k] = value
                run[k] += value
            if (r - start) % 64 == 63:
                for k in range(f):  # explicit loops: array expressions here allocate
                    total[k] += run[k]
                    run[k] = 0
        for k in range(f):
            partial[chunk, k] = total[k] + run[k]
    for k in range(f):
        db[k] = partial[:, k].sum()


def relu_grad_and_bias_sum(g, a, out, db):
    _relu_grad_and_bias_sum(g, a, out, db)
    return out


# ------------------------------------------------------------------- optimizer
_jit_serial = numba.njit(fastmath=False, cache=True, nogil=True)

_FLOATS = (np.float32, np.float64)


# Below this many values NumPy's few calls cost less than preparing a compiled
# call (XOR's 17 weights: 1.2 us against 2.5 us).
_SMALL = 4096


def _flat_ok(*arrays):
    """Big enough, the same float dtype, C-contiguous, the same size."""
    first = arrays[0]
    return first.size >= _SMALL and first.dtype.type in _FLOATS and all(
        a.dtype == first.dtype and a.flags.c_contiguous and a.size == first.size
        for a in arrays)


@_jit_serial
def _sgd(p, g, minus_lr):
    for i in range(p.size):
        p[i] += g[i] * minus_lr


def sgd_step(p, g, lr, step):
    if not _flat_ok(p, g):
        return NotImplemented  # the reference runs
    _sgd(p.reshape(-1), g.reshape(-1), p.dtype.type(-lr))


@_jit_serial
def _adam(p, g, m, v, lr, keep_1, keep_2, epsilon):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * keep_1  # m += (1 - b1)(g - m)
        vi = v[i] + (gi * gi - v[i]) * keep_2  # v += (1 - b2)(g^2 - v)
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + epsilon) * lr


def adam_step(p, g, m, v, step, lr, beta_1, beta_2, epsilon):
    if not _flat_ok(p, g, m, v):
        return NotImplemented  # the reference runs
    t = p.dtype.type
    _adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(lr), t(1 - beta_1),
          t(1 - beta_2), t(epsilon))


# The twins by the name of their reference in kerasite/backend/kernels.py.
TWINS = {fn.__name__: fn for fn in (im2col, col2im, conv2d_relu_backward, max_pool,
                                    max_pool_backward, bias_relu, relu_grad_and_bias_sum,
                                    sgd_step, adam_step)}
