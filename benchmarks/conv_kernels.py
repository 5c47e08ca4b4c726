"""Per-layer-shape microbenchmark of the convolution kernels: im2col + GEMM against direct.

For each conv of keras.io's convnet and of the VAE of benchmarks/custom_training.py
(batch 128, float32, accelerator on) it times the ways kerasite could compute the
same thing:

* forward: ``im2col`` then one product ``cols @ K``, against a direct compiled
  loop (``direct_conv2d`` below, a prototype: it lost, so the library keeps im2col);
* first-layer backward (a ReLU conv that needs no input gradient): the ReLU pass
  ``relu_grad_and_bias_sum`` then one product ``cols^T dz`` over the batch, against
  the fused ``kernels.conv2d_relu_backward``, which the dispatcher
  (``kernels.conv2d_relu_backward_pays``) picks for up to ``DIRECT_MAX_CHANNELS``
  input channels and gradients of ``DIRECT_MIN_VALUES`` values or more;
* a Conv2DTranspose's backward: ``im2col`` of the padded gradient then two
  products, against direct loops (the prototypes ``direct_kernel_grad`` and
  ``direct_conv2d``; lost, not in the library).

The two are interleaved (A, B, A, B, ... ``--repeats`` times) in one process, so
that a busy machine slows both alike, and the medians are printed in ms per call.
With ``--threads 1`` the clock is the process's CPU time (``time.process_time``),
which other processes on a shared machine disturb least; with more threads it is
the wall clock. The numbers are indicative: compare the ratios, not the times.

Usage: ``python benchmarks/conv_kernels.py [--threads 1] [--repeats 7] [--batch 128]``
"""
import argparse
import os
import sys
import time

import numba
import numpy as np
from numba import prange

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from kerasite import backend  # noqa: E402
from kerasite.backend import kernels  # noqa: E402
from kerasite.layers._spatial import out_size  # noqa: E402

# (name, kind, (height, width, in), filters, kernel, stride, padding)
SHAPES = [
    ("convnet conv 1", "conv", (28, 28, 1), 32, 3, 1, "valid"),
    ("convnet conv 2", "conv", (13, 13, 32), 64, 3, 1, "valid"),
    ("VAE encoder conv 1", "conv", (28, 28, 1), 32, 3, 2, "same"),
    ("VAE encoder conv 2", "conv", (14, 14, 32), 64, 3, 2, "same"),
    ("VAE decoder transpose 1", "transpose", (7, 7, 64), 64, 3, 2, "same"),
    ("VAE decoder transpose 2", "transpose", (14, 14, 64), 32, 3, 2, "same"),
    ("VAE decoder transpose 3", "transpose", (28, 28, 32), 1, 3, 1, "same"),
]



# The prototypes that were measured and lost (see the module's docstring).
@numba.njit(parallel=True, cache=True, nogil=True)
def direct_conv2d(xp, kernel, sh, sw, out):
    """``out[b, i, j] = sum over taps of xp[window] * kernel[tap]``, one output pixel at a time."""
    n, ho, wo, f = out.shape
    kh, kw, c = kernel.shape[0], kernel.shape[1], kernel.shape[2]
    for b in prange(n):
        acc = np.empty(f, out.dtype)
        for i in range(ho):
            for j in range(wo):
                acc[:] = 0
                for p in range(kh):
                    for q in range(kw):
                        for ch in range(c):
                            value = xp[b, i * sh + p, j * sw + q, ch]
                            for k in range(f):
                                acc[k] += value * kernel[p, q, ch, k]
                out[b, i, j] = acc


@numba.njit(parallel=True, cache=True, nogil=True)
def direct_kernel_grad(xp, g, sh, sw, out):
    """``out[tap] = window(xp)^T g`` over the batch, per image then summed."""
    n, ho, wo, f = g.shape
    kh, kw, c = out.shape[0], out.shape[1], out.shape[2]
    partial = np.zeros((n, kh, kw, c, f), np.float32)
    for b in prange(n):
        acc = partial[b]
        for i in range(ho):
            for j in range(wo):
                for p in range(kh):
                    for q in range(kw):
                        for ch in range(c):
                            value = xp[b, i * sh + p, j * sw + q, ch]
                            for k in range(f):
                                acc[p, q, ch, k] += value * g[b, i, j, k]
    out[...] = partial.sum(axis=0)

def _median_pair(a, b, repeats, clock):
    """Medians in ms of ``a()`` and ``b()``, run alternately ``repeats`` times after a warm-up."""
    a(), b()
    times = ([], [])
    for _ in range(repeats):
        for fn, out in zip((a, b), times):
            start = clock()
            fn()
            out.append(clock() - start)
    return [1e3 * float(np.median(t)) for t in times]


def _conv_cases(n, hwc, f, k, s, padding, rng):
    """The forward and the first-layer backward pairs of a Conv2D of this shape."""
    h, w, c = hwc
    (ho, pt, pb), (wo, pl, pr) = out_size(h, k, s, padding), out_size(w, k, s, padding)
    xp = rng.random((n, h + pt + pb, w + pl + pr, c), dtype=np.float32)
    kernel = rng.standard_normal((k, k, c, f), dtype=np.float32)
    g = rng.standard_normal((n * ho * wo, f), dtype=np.float32)
    a = np.maximum(rng.standard_normal((n * ho * wo, f), dtype=np.float32), 0)
    cols = np.empty((n, ho, wo, k, k, c), np.float32)
    z, dz = np.empty((n * ho * wo, f), np.float32), np.empty((n * ho * wo, f), np.float32)
    dk, db = np.empty(kernel.shape, np.float32), np.empty(f, np.float32)
    stride, one = (s, s), (1, 1)
    kernels.im2col(xp, k, k, stride, one, (ho, wo), cols)

    def im2col_forward():
        kernels.im2col(xp, k, k, stride, one, (ho, wo), cols)
        np.matmul(cols.reshape(len(z), -1), kernel.reshape(-1, f), out=z)

    def relu_pass_and_gemm():
        kernels.relu_grad_and_bias_sum(g, a, dz, db)
        np.matmul(cols.reshape(len(z), -1).T, dz, out=dk.reshape(-1, f))

    def fused():
        kernels.conv2d_relu_backward(xp, g.reshape(n, ho, wo, f), a.reshape(n, ho, wo, f),
                                     stride, one, dk, db)

    return [("forward", im2col_forward,
             lambda: direct_conv2d(xp, kernel, s, s, z.reshape(n, ho, wo, f)), False),
            ("1st backward", relu_pass_and_gemm, fused, kernels.conv2d_relu_backward_pays(c, g.size))]


def _transpose_cases(n, hwc, f, k, s, padding, rng):
    """The backward pair of a Conv2DTranspose of this shape (kernel and input gradients)."""
    h, w, c = hwc
    full = (h - 1) * s + k
    out = h * s + (max(k - s, 0) if padding == "valid" else 0)
    scratch = max(full, (0 if padding == "valid" else max(k - s, 0) // 2) + out)
    x = rng.random((n, h, w, c), dtype=np.float32)
    kernel = rng.standard_normal((k, k, f, c), dtype=np.float32)
    gpad = rng.standard_normal((n, scratch, scratch, f), dtype=np.float32)
    gcols = np.empty((n, h, w, k, k, f), np.float32)
    dk, dx = np.empty(kernel.shape, np.float32), np.empty((n * h * w, c), np.float32)
    stride, one = (s, s), (1, 1)

    def im2col_backward():
        kernels.im2col(gpad, k, k, stride, one, (h, w), gcols)
        rows = gcols.reshape(len(dx), -1)
        np.matmul(rows.T, x.reshape(-1, c), out=dk.reshape(-1, c))
        np.matmul(rows, kernel.reshape(-1, c), out=dx)

    def direct_backward():
        direct_kernel_grad(gpad, x, s, s, dk)
        direct_conv2d(gpad, kernel, s, s, dx.reshape(x.shape))

    return [("backward", im2col_backward, direct_backward, False)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for BLAS and numba (default: kerasite's)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)
    if not backend.accelerator_available():
        sys.exit("numba is not installed: the direct kernels have no compiled twins to time.")
    backend.use_accelerator(True)
    if args.threads:
        backend.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    cpu = backend.get_num_threads() == 1
    clock = time.process_time if cpu else time.perf_counter
    print(f"batch {args.batch}, {backend.get_num_threads()} thread(s), float32, median of "
          f"{args.repeats} interleaved runs, ms per call ({'CPU' if cpu else 'wall'} time)")
    print(f"{'layer':26s} {'pass':13s} {'im2col+GEMM':>12s} {'direct':>8s} {'ratio':>6s}  picks")
    for name, kind, hwc, f, k, s, padding in SHAPES:
        make = _conv_cases if kind == "conv" else _transpose_cases
        for phase, a, b, direct in make(args.batch, hwc, f, k, s, padding, rng):
            t_a, t_b = _median_pair(a, b, args.repeats, clock)
            print(f"{name:26s} {phase:13s} {t_a:12.2f} {t_b:8.2f} {t_b / t_a:6.2f}  "
                  f"{'direct' if direct else 'im2col'}")

if __name__ == "__main__":
    main()
