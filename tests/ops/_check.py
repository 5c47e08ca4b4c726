"""Gradient checks for kerasite.ops: the tape's gradients against central finite differences.

``check_grad(f, *arrays)`` checks ``d sum(f(*arrays) * R) / d arrays[i]`` for a
fixed random ``R`` (so that every output element counts with its own weight);
``check_second(f, x)`` checks the gradient of that gradient (nested tapes).
Everything runs in float64; finite differences with a step of 1e-6 are exact
to about 1e-9 there.
"""

import numpy as np

from kerasite import GradientTape, ops


def _weights(out, seed=7):
    return np.random.default_rng(seed).standard_normal(np.shape(out))


def _numeric(loss, arrays, i, eps):
    x = arrays[i]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        up = loss(arrays)
        x[idx] = saved - eps
        down = loss(arrays)
        x[idx] = saved
        grad[idx] = (up - down) / (2 * eps)
    return grad


def tape_grads(f, arrays, wrt, R, out=None):
    """The tape's gradients of ``sum(f(*arrays) * R)`` with respect to ``arrays[i]``, i in wrt.

    With ``out`` (f's value outside a tape), also checks that f gives it under the tape.
    """
    with GradientTape() as tape:
        xs = [ops.convert_to_tensor(a) for a in arrays]
        tape.watch([xs[i] for i in wrt])
        y = f(*xs)
        loss = ops.sum(y * R)
    if out is not None:
        assert isinstance(y, ops.Tensor)
        np.testing.assert_allclose(y, out, rtol=1e-13, atol=1e-15)
    return tape.gradient(loss, [xs[i] for i in wrt])


def check_grad(f, *arrays, wrt=None, eps=1e-6, rtol=1e-6, atol=1e-8):
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    out = f(*arrays)
    assert not isinstance(out, ops.Tensor), "with no tape recording, ops give plain arrays"
    R = _weights(out)

    def loss(xs):
        return float(np.sum(ops.convert_to_numpy(f(*xs)) * R))

    analytic = tape_grads(f, arrays, wrt, R, out=np.array(out))
    for i, g in zip(wrt, analytic):
        assert g is not None, f"no gradient for input {i}"
        assert not isinstance(g, ops.Tensor), "with no tape recording, gradients are plain"
        assert g.shape == arrays[i].shape, (g.shape, arrays[i].shape)
        np.testing.assert_allclose(g, _numeric(loss, arrays, i, eps), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def check_second(f, x, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Checks d/dx sum(g(x) * S), with g(x) = d/dx sum(f(x) * R) taken by an inner tape."""
    x = np.array(x, dtype=np.float64)
    R = _weights(ops.convert_to_numpy(f(x)))
    S = _weights(x, seed=8)

    def first(v):
        return tape_grads(f, [v], [0], R)[0]

    t = ops.convert_to_tensor(x)
    with GradientTape() as outer:
        outer.watch(t)
        with GradientTape() as inner:
            inner.watch(t)
            loss = ops.sum(f(t) * R)
        g = inner.gradient(loss, t)
        assert isinstance(g, ops.Tensor), "an outer tape records the inner gradient"
        total = ops.sum(g * S)
    second = outer.gradient(total, t)
    assert second is not None
    numeric = _numeric(lambda xs: float(np.sum(first(xs[0]) * S)), [x.copy()], 0, eps)
    np.testing.assert_allclose(second, numeric, rtol=rtol, atol=atol)
