"""Compiled twins of the dense path's elementwise kernels (numba).

Each twin computes what its NumPy reference computes, in the same float32
operations in the same order, but in one pass over the data and on every
core (``prange``). Compiled with ``fastmath=False``, so no operation is
reordered or fused into an FMA, and the results equal the reference's.

Handing a loop to numba's threads costs about 2 microseconds, more than
NumPy needs for a small array, so each twin sends arrays below ``_PARALLEL``
elements (XOR's 4x4 batches, a 64-unit layer) back to the NumPy reference,
and it does the same for any layout it was not written for (non-contiguous
views, mixed dtypes). Where NumPy's own loop is the faster one (``exp``,
which NumPy vectorises and numba without Intel's SVML does not), the twin
keeps it and fuses only the passes around it.

+----------------------------------------+---------------------------------+
| reference (NumPy)                      | twin: one pass of               |
+========================================+=================================+
| ``optimizers.sgd_step``                | ``p += g * -lr``                |
| ``optimizers.adam_step``               | both moments, then ``p``        |
| ``models.training.take_rows``          | a row copy per batch row        |
| ``layers.dense.add_bias``              | ``z += b``                      |
| ``layers.activations._sigmoid``        | ``-x``, NumPy ``exp``, ``1/(1+e)`` |
| ``layers.activations.relu_gradient``   | ``g * (z > 0)``                 |
| ``losses.sigmoid_mse_gradient``        | ``scale * diff * z * (1 - z)``  |
+----------------------------------------+---------------------------------+
"""

import os

# numba's OpenMP threads otherwise spin for a while after each kernel, on the
# core that BLAS's second thread needs next: on the 2-core benchmark machine,
# under load, an epoch took 33 s instead of 1 s. Passive threads sleep at once
# and wake in about 4 us. Set before numba starts its threads; a value the
# user chose wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import prange  # noqa: E402

from kerasite import backend, losses, optimizers  # noqa: E402
from kerasite.layers import activations, dense  # noqa: E402
from kerasite.models import training  # noqa: E402

# Below this many elements, a twin hands the work back to NumPy (measured on
# the benchmark machine: the parallel hand-off costs about 2 us, NumPy
# needs about 2 us for 16,000 float32 additions).
_PARALLEL = 16_384

_jit = numba.njit(parallel=True, fastmath=False, cache=True, nogil=True)

_FLOATS = (np.float32, np.float64)


def _flat_ok(*arrays):
    """Same float dtype, C-contiguous, same size, and big enough to pay for the threads."""
    first = arrays[0]
    return first.size >= _PARALLEL and first.dtype.type in _FLOATS and all(
        a.dtype == first.dtype and a.flags.c_contiguous and a.size == first.size
        for a in arrays)


# ------------------------------------------------------------------- optimizer
@_jit
def _sgd(p, g, minus_lr):
    for i in prange(p.size):
        p[i] += g[i] * minus_lr


@backend.twin(optimizers.sgd_step)
def sgd_step(p, g, lr, step):
    if not _flat_ok(p, g):
        return optimizers.sgd_step.reference(p, g, lr, step)
    _sgd(p.reshape(-1), g.reshape(-1), p.dtype.type(-lr))


@_jit
def _adam(p, g, m, v, lr, keep_1, keep_2, epsilon):
    for i in prange(p.size):
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


# ---------------------------------------------------------------- batch gather
@_jit
def _take_rows(data, idx, out):
    for i in prange(idx.size):
        out[i, :] = data[idx[i], :]


@numba.njit(cache=True)
def _in_bounds(idx, n):
    for i in idx:
        if i < 0 or i >= n:
            return False
    return True


@backend.twin(training.take_rows)
def take_rows(data, idx, out):
    if out.size < _PARALLEL or data.ndim < 1 or data.dtype != out.dtype or \
            not data.flags.c_contiguous or not out.flags.c_contiguous or \
            idx.ndim != 1 or idx.dtype != np.int64 or not _in_bounds(idx, len(data)):
        return training.take_rows.reference(data, idx, out)
    rows = out.size // len(idx)
    _take_rows(data.reshape(len(data), rows), idx, out.reshape(len(idx), rows))
    return out


# --------------------------------------------------------------------- Dense
@_jit
def _add_bias(z, b):
    for i in prange(z.shape[0]):
        for j in range(z.shape[1]):
            z[i, j] += b[j]


@backend.twin(dense.add_bias)
def add_bias(z, b):
    if z.ndim != 2 or b.ndim != 1 or z.shape[1] != b.shape[0] or not _flat_ok(z) or \
            b.dtype != z.dtype:
        return dense.add_bias.reference(z, b)
    _add_bias(z, b)


# ---------------------------------------------------------------- activations
@_jit
def _negate(x, out):
    for i in prange(x.size):
        out[i] = -x[i]


@_jit
def _one_over_one_plus(e, one):
    for i in prange(e.size):
        e[i] = one / (one + e[i])


@backend.twin(activations._sigmoid)
def sigmoid(x, out):
    if not _flat_ok(x, out):
        return activations._sigmoid.reference(x, out)
    flat = out.reshape(-1)
    _negate(x.reshape(-1), flat)
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -88: sigmoid is 0
        np.exp(flat, out=flat)  # NumPy's vectorised exp beats numba's scalar one
    _one_over_one_plus(flat, out.dtype.type(1))
    return out


@_jit
def _relu_gradient(g, z, out, one, zero):
    for i in prange(g.size):
        out[i] = g[i] * (one if z[i] > 0 else zero)


@backend.twin(activations.relu_gradient)
def relu_gradient(g, z, out):
    if not _flat_ok(g, z, out):
        return activations.relu_gradient.reference(g, z, out)
    t = out.dtype.type
    _relu_gradient(g.reshape(-1), z.reshape(-1), out.reshape(-1), t(1), t(0))
    return out


# ---------------------------------------------------------------------- losses
@_jit
def _sigmoid_mse_gradient(z, diff, scale, one, out):
    for i in prange(z.size):
        out[i] = (one - z[i]) * z[i] * diff[i] * scale


@backend.twin(losses.sigmoid_mse_gradient)
def sigmoid_mse_gradient(z, diff, scale, out):
    if not _flat_ok(z, diff, out):
        return losses.sigmoid_mse_gradient.reference(z, diff, scale, out)
    t = out.dtype.type
    _sigmoid_mse_gradient(z.reshape(-1), diff.reshape(-1), t(scale), t(1), out.reshape(-1))
    return out
