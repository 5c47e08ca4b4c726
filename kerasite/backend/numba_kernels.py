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


# ------------------------------------------------------------- recurrent steps
# One pass over the (batch, units) cells of a step instead of NumPy's twenty-odd
# calls on small arrays, each with its overhead; on the calling thread (a step is
# a few thousand values: a thread hand-off costs more). ``error_model="numpy"``
# (no ZeroDivisionError checks) and ``fastmath`` let the compiler vectorise the
# loops, which it cannot do around a call to the C library's expf or tanhf
# (scalar, and ten times slower than NumPy's vectorised ones). So the forward
# steps evaluate tanh as a rational function, the one Eigen (and so TensorFlow
# on the CPU) uses: within 3e-7 of tanh in float32. The sigmoid is
# 1/2 + tanh(x/2)/2. That is float32 accuracy only: for float64 the forward
# twins return NotImplemented and the NumPy reference runs.
# fastmath without "nnan" and "ninf": a NaN or an infinity still goes through as in NumPy.
_jit_step = numba.njit(cache=True, nogil=True, error_model="numpy",
                       fastmath={"nsz", "arcp", "contract", "afn", "reassoc"})

_TANH_CLAMP = np.float32(7.90531110763549805)  # beyond it, tanh is 1 in float32
# x (a1 + a3 x^2 + ... + a13 x^12) / (b0 + b2 x^2 + b4 x^4 + b6 x^6)
_A = np.array([4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
               5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
               -2.76076847742355e-16], np.float32)
_B = np.array([4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
               1.19825839466702e-06], np.float32)
_A1, _A3, _A5, _A7, _A9, _A11, _A13 = _A
_B0, _B2, _B4, _B6 = _B
_HALF = np.float32(0.5)


@_jit_step
def _tanh(value):
    x = min(max(value, -_TANH_CLAMP), _TANH_CLAMP)
    x2 = x * x
    p = x * (_A1 + x2 * (_A3 + x2 * (_A5 + x2 * (_A7 + x2 * (_A9 + x2 * (_A11 + x2 * _A13))))))
    y = p / (_B0 + x2 * (_B2 + x2 * (_B4 + x2 * _B6)))
    return y if value == value else value  # NaN stays NaN (the clamp would hide it)


@_jit_step
def _sig(x):
    return _HALF + _HALF * _tanh(_HALF * x)


# A loop per kind of work (the gates, then the cell state) rather than one over the
# units: short loops over a few arrays are what the compiler vectorises.
@_jit_step
def _lstm_step(xw, hu, c_prev, c, tanh_c, h):
    n, u = c.shape
    for b in range(n):
        for j in range(2 * u):                  # i, f
            xw[b, j] = _sig(xw[b, j] + hu[b, j])
        for j in range(2 * u, 3 * u):           # g
            xw[b, j] = _tanh(xw[b, j] + hu[b, j])
        for j in range(3 * u, 4 * u):           # o
            xw[b, j] = _sig(xw[b, j] + hu[b, j])
        for k in range(u):
            ct = xw[b, u + k] * c_prev[b, k] + xw[b, k] * xw[b, 2 * u + k]
            c[b, k] = ct
            tanh_c[b, k] = _tanh(ct)
        for k in range(u):
            h[b, k] = xw[b, 3 * u + k] * tanh_c[b, k]


def lstm_step(xw, hu, c_prev, c, tanh_c, h):
    if xw.dtype != np.float32:  # float32 accuracy only: the reference runs
        return NotImplemented
    _lstm_step(xw, hu, c_prev, c, tanh_c, h)
    return h


@_jit_step
def _lstm_step_backward(dh, d_output, dc, gates, tanh_c, c_prev, dz, dc_prev):
    n, u = dh.shape
    for b in range(n):
        for k in range(u):
            th = tanh_c[b, k]
            dh[b, k] += d_output[b, k]
            dc[b, k] += dh[b, k] * gates[b, 3 * u + k] * (1 - th * th)
        for k in range(u):
            i, g = gates[b, k], gates[b, 2 * u + k]
            dz[b, k] = dc[b, k] * g * i * (1 - i)
            dz[b, 2 * u + k] = dc[b, k] * i * (1 - g * g)
        for k in range(u):
            f = gates[b, u + k]
            dz[b, u + k] = dc[b, k] * c_prev[b, k] * f * (1 - f)
            dc_prev[b, k] = dc[b, k] * f
        for k in range(u):
            o = gates[b, 3 * u + k]
            dz[b, 3 * u + k] = dh[b, k] * tanh_c[b, k] * o * (1 - o)


def lstm_step_backward(dh, d_output, dc, gates, tanh_c, c_prev, dz, dc_prev):
    _lstm_step_backward(dh, d_output, dc, gates, tanh_c, c_prev, dz, dc_prev)
    return dz


@_jit_step
def _gru_step(xw, hu, h_prev, kept, h):
    n, u = h.shape
    for b in range(n):
        for j in range(2 * u):                  # z, r
            xw[b, j] = _sig(xw[b, j] + hu[b, j])
        for k in range(u):                      # ĥ
            kept[b, k] = hu[b, 2 * u + k]
            xw[b, 2 * u + k] = _tanh(xw[b, 2 * u + k] + xw[b, u + k] * kept[b, k])
        for k in range(u):
            hh = xw[b, 2 * u + k]
            h[b, k] = hh + xw[b, k] * (h_prev[b, k] - hh)


def gru_step(xw, hu, h_prev, kept, h):
    if xw.dtype != np.float32:  # float32 accuracy only: the reference runs
        return NotImplemented
    _gru_step(xw, hu, h_prev, kept, h)
    return h


@_jit_step
def _gru_step_backward(dh, d_output, gates, kept, h_prev, dz, d_hu, dh_direct):
    n, u = dh.shape
    for b in range(n):
        for k in range(u):
            z, hh = gates[b, k], gates[b, 2 * u + k]
            dh[b, k] += d_output[b, k]
            dz[b, k] = dh[b, k] * (h_prev[b, k] - hh) * z * (1 - z)
            dz[b, 2 * u + k] = dh[b, k] * (1 - z) * (1 - hh * hh)
            dh_direct[b, k] = dh[b, k] * z
        for k in range(u):
            r = gates[b, u + k]
            dz[b, u + k] = dz[b, 2 * u + k] * kept[b, k] * r * (1 - r)
            d_hu[b, 2 * u + k] = dz[b, 2 * u + k] * r
        for j in range(2 * u):
            d_hu[b, j] = dz[b, j]


def gru_step_backward(dh, d_output, gates, kept, h_prev, dz, d_hu, dh_direct):
    _gru_step_backward(dh, d_output, gates, kept, h_prev, dz, d_hu, dh_direct)
    return d_hu


@_jit_step
def _embedding_backward(indices, grad_output, grad, previous, seen):
    dim = grad.shape[1]
    for j in range(previous.size):
        grad[previous[j], :] = 0
    count = 0
    for j in range(indices.size):
        row = indices[j]
        if not seen[row]:
            seen[row] = True
            grad[row, :] = 0
            count += 1
    rows = np.empty(count, np.int64)
    count = 0
    for j in range(indices.size):  # in order of appearance, as np.add.at sums
        row = indices[j]
        if seen[row]:
            seen[row] = False
            rows[count] = row
            count += 1
        for k in range(dim):
            grad[row, k] += grad_output[j, k]
    rows.sort()
    return rows


def embedding_backward(indices, grad_output, grad, previous):
    if grad.dtype.type not in _FLOATS or not grad.flags.c_contiguous or \
            grad_output.dtype != grad.dtype or indices.ndim != 1:
        return NotImplemented
    if previous is None:
        grad.fill(0)
        previous = np.empty(0, np.int64)
    seen = np.zeros(len(grad), np.bool_)
    return _embedding_backward(indices.astype(np.int64, copy=False),
                               np.ascontiguousarray(grad_output), grad,
                               previous.astype(np.int64, copy=False), seen)


TWINS.update({fn.__name__: fn for fn in (lstm_step, lstm_step_backward, gru_step,
                                         gru_step_backward, embedding_backward)})
