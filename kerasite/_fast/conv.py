"""Compiled twins of the 2D layers' kernels: im2col, col2im and max pooling.

Each twin computes what its NumPy reference in ``kerasite/layers/_spatial.py``
or ``kerasite/layers/pooling.py`` computes, with explicit loops that numba
compiles and spreads over the cores one image per task (``prange`` over the
batch), so no two tasks write the same memory. The loop over channels is
innermost: it is contiguous in channels-last data, and the compiler
vectorises it.
"""
import numba
import numpy as np
from numba import prange

from kerasite.backend import twin
from kerasite.layers import _spatial, conv, pooling

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


@twin(_spatial.im2col)
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


@twin(_spatial.col2im)
def col2im(cols, stride, dilation, out):
    _col2im(cols, stride[0], stride[1], dilation[0], dilation[1], out)
    return out


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


@twin(pooling.max_pool)
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


@twin(pooling.max_pool_backward)
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


@twin(conv.bias_relu)
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


@twin(conv.relu_grad_and_bias_sum)
def relu_grad_and_bias_sum(g, a, out, db):
    _relu_grad_and_bias_sum(g, a, out, db)
    return out


__all__ = ["im2col", "col2im", "max_pool", "max_pool_backward", "bias_relu",
           "relu_grad_and_bias_sum"]
