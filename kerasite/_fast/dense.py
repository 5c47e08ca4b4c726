"""Compiled twins of the dense path's kernels (numba), kept where they pay.

Each twin computes what its NumPy reference computes, in the same float
operations in the same order (``fastmath=False``: nothing is reordered or
fused into an FMA), so the results equal the reference's. Where a layout is
not the one a twin was written for (non-contiguous views, mixed dtypes,
small arrays), it hands the call back to the NumPy reference.

What was measured on the benchmark machine (2-core Xeon, AVX-512, inside a
real training epoch of the reports' autoencoder; see docs/benchmarks.md,
"Performance round two"), and so what is kept:

* ``optimizers.sgd_step`` and ``adam_step``: one pass over all the weights
  (the flat buffer) instead of NumPy's two (SGD) or twelve (Adam) passes:
  SGD's update went from 0.19 to 0.10 s per epoch. Kept.
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
  of 1 s. So the twins run on the calling thread and start no threads.
"""

import numba
import numpy as np

from kerasite import backend, optimizers

_jit = numba.njit(fastmath=False, cache=True, nogil=True)

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


# ------------------------------------------------------------------- optimizer
@_jit
def _sgd(p, g, minus_lr):
    for i in range(p.size):
        p[i] += g[i] * minus_lr


@backend.twin(optimizers.sgd_step)
def sgd_step(p, g, lr, step):
    if not _flat_ok(p, g):
        return optimizers.sgd_step.reference(p, g, lr, step)
    _sgd(p.reshape(-1), g.reshape(-1), p.dtype.type(-lr))


@_jit
def _adam(p, g, m, v, lr, keep_1, keep_2, epsilon):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * keep_1  # m += (1 - b1)(g - m)
        vi = v[i] + (gi * gi - v[i]) * keep_2  # v += (1 - b2)(g^2 - v)
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + epsilon) * lr


@backend.twin(optimizers.adam_step)
def adam_step(p, g, m, v, step, lr, beta_1, beta_2, epsilon):
    if not _flat_ok(p, g, m, v):
        return optimizers.adam_step.reference(p, g, m, v, step, lr, beta_1, beta_2, epsilon)
    t = p.dtype.type
    _adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(lr), t(1 - beta_1),
          t(1 - beta_2), t(epsilon))
