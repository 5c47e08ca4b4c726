"""Tests of kerasite/ops/numpy.py: each op's forward against NumPy, and its VJPs against
central finite differences (float64), with broadcasting and axis/keepdims cases; the
smooth ops also have their second derivative checked through nested tapes."""

import numpy as np
import pytest

from kerasite import ops
from tests.ops._check import check_grad, check_second

rng = np.random.default_rng(42)


def r(*shape):
    return rng.standard_normal(shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


def away(*shape):
    """Values at least 0.1 away from 0, so |x|, relu and friends are smooth around them."""
    x = rng.uniform(0.1, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


# (id, function of the arrays, arrays). Every one is a gradient check through the tape.
GRAD_CASES = [
    # arithmetic, with broadcasting
    ("add (3,1)+(4,)", ops.add, [r(3, 1), r(4)]),
    ("subtract (2,3,4)-(4,)", ops.subtract, [r(2, 3, 4), r(4)]),
    ("multiply (2,3,4)*(4,)", ops.multiply, [r(2, 3, 4), r(4)]),
    ("multiply (3,1)*(1,4)", ops.multiply, [r(3, 1), r(1, 4)]),
    ("divide (3,4)/(3,1)", ops.divide, [r(3, 4), pos(3, 1)]),
    ("true_divide scalar-shaped", ops.true_divide, [r(3, 4), pos(1)]),
    ("power (3,4)**(4,)", ops.power, [pos(3, 4), r(4)]),
    ("power by 3", lambda a: ops.power(a, 3), [r(3, 4)]),
    ("negative", ops.negative, [r(3, 4)]),
    ("matmul 2-D", ops.matmul, [r(3, 4), r(4, 2)]),
    ("matmul batched broadcast", ops.matmul, [r(2, 3, 4), r(1, 4, 5)]),
    ("matmul (2,3,4)@(4,)", ops.matmul, [r(2, 3, 4), r(4)]),
    ("matmul (4,)@(2,4,5)", ops.matmul, [r(4), r(2, 4, 5)]),
    ("matmul (4,)@(4,)", ops.matmul, [r(4), r(4)]),
    # Python operators on Tensors
    ("operators + - * /", lambda a, b: (a + b) * a - b / 2 + 1 - a * 3, [r(3, 4), r(4)]),
    ("operators reflected", lambda a: 2 / (1 + a * a) - (3 - a) + 2 * a, [r(3, 4)]),
    ("operator **", lambda a, b: a ** 2 + b ** a + a ** b, [pos(3, 4), pos(4)]),
    ("operator @ and .T", lambda a, b: a @ b.T, [r(3, 4), r(5, 4)]),
    ("operator unary - and abs", lambda a: -a + abs(a), [away(3, 4)]),
    ("operator indexing", lambda a: a[1:, ::2] * a[0, 1] + a[..., None][0, :2], [r(3, 4)]),
    ("operator fancy index, repeated", lambda a: a[[0, 0, 2], [1, 1, 3]], [r(3, 4)]),
    ("operator boolean mask", lambda a: a[np.array([True, False, True])], [r(3, 4)]),
    ("methods reshape/sum/mean/max", lambda a: a.reshape(4, 3).sum(0) + a.mean() + a.max(1).sum(),
     [r(3, 4)]),
    ("iteration over rows", lambda a: ops.stack([row * i for i, row in enumerate(a)]), [r(3, 4)]),
    ("in-place operators rebind", lambda a, b: _iadd(a, b), [r(3, 4), r(4)]),
    # elementwise
    ("exp", ops.exp, [r(3, 4)]),
    ("log", ops.log, [pos(3, 4)]),
    ("log1p", ops.log1p, [pos(3, 4)]),
    ("sqrt", ops.sqrt, [pos(3, 4)]),
    ("square", ops.square, [r(3, 4)]),
    ("abs", ops.abs, [away(3, 4)]),
    ("absolute", ops.absolute, [away(3, 4)]),
    ("maximum (3,4) vs (4,)", ops.maximum, [r(3, 4), r(4) + 0.05]),
    ("minimum (3,1) vs (4,)", ops.minimum, [r(3, 1), r(4) + 0.05]),
    ("clip", lambda a: ops.clip(a, -0.5, 0.5), [away(3, 4) * 0.4 + np.sign(r(3, 4)) * 0.05]),
    ("where with broadcasting", lambda a, b: ops.where(np.array([True, False, True, False]), a, b),
     [r(3, 4), r(3, 1)]),
    ("erf", ops.erf, [r(3, 4)]),
    ("cos", ops.cos, [r(3, 4)]),
    ("sin", ops.sin, [r(3, 4)]),
    ("tanh", ops.tanh, [r(3, 4)]),
    # reductions
    ("sum all", ops.sum, [r(2, 3, 4)]),
    ("sum axis 1", lambda a: ops.sum(a, axis=1), [r(2, 3, 4)]),
    ("sum axes (0,2) keepdims", lambda a: ops.sum(a, axis=(0, 2), keepdims=True), [r(2, 3, 4)]),
    ("sum axis list", lambda a: ops.sum(a, axis=[-1, 0]), [r(2, 3, 4)]),
    ("mean all", ops.mean, [r(2, 3, 4)]),
    ("mean axis -1 keepdims", lambda a: ops.mean(a, axis=-1, keepdims=True), [r(2, 3, 4)]),
    ("max all", ops.max, [r(2, 3, 4)]),
    ("max axis 1", lambda a: ops.max(a, axis=1), [r(2, 3, 4)]),
    ("min axis (0,2) keepdims", lambda a: ops.min(a, axis=(0, 2), keepdims=True), [r(2, 3, 4)]),
    ("var all", ops.var, [r(2, 3, 4)]),
    ("var axis 1 keepdims", lambda a: ops.var(a, axis=1, keepdims=True), [r(2, 3, 4)]),
    ("std axis (0,2)", lambda a: ops.std(a, axis=(0, 2)), [r(2, 3, 4)]),
    ("logsumexp all", ops.logsumexp, [r(2, 3, 4)]),
    ("logsumexp axis -1 keepdims", lambda a: ops.logsumexp(a, axis=-1, keepdims=True),
     [r(2, 3, 4)]),
    ("norm all", ops.norm, [r(3, 4)]),
    ("norm axis 1", lambda a: ops.norm(a, axis=1), [r(3, 4)]),
    ("norm ord 1 axis 0 keepdims", lambda a: ops.norm(a, ord=1, axis=0, keepdims=True),
     [away(3, 4)]),
    ("norm ord inf", lambda a: ops.norm(a, ord=np.inf, axis=1), [away(3, 4)]),
    ("norm ord 3", lambda a: ops.norm(a, ord=3, axis=-1), [away(3, 4)]),
    ("norm fro", lambda a: ops.norm(a, ord="fro", axis=(0, 1)), [r(3, 4)]),
    ("cumsum flat", ops.cumsum, [r(3, 4)]),
    ("cumsum axis 1", lambda a: ops.cumsum(a, axis=1), [r(3, 4)]),
    # shapes
    ("reshape", lambda a: ops.reshape(a, (4, -1)), [r(2, 3, 2)]),
    ("transpose", ops.transpose, [r(2, 3, 4)]),
    ("transpose axes", lambda a: ops.transpose(a, (1, -1, 0)), [r(2, 3, 4)]),
    ("swapaxes", lambda a: ops.swapaxes(a, 0, 2), [r(2, 3, 4)]),
    ("expand_dims", lambda a: ops.expand_dims(a, 1), [r(3, 4)]),
    ("squeeze", ops.squeeze, [r(3, 1, 4)]),
    ("squeeze axis", lambda a: ops.squeeze(a, axis=1), [r(3, 1, 1)]),
    ("broadcast_to", lambda a: ops.broadcast_to(a, (2, 3, 4)), [r(3, 1)]),
    ("concatenate axis 1", lambda a, b: ops.concatenate([a, b, a], axis=1), [r(3, 2), r(3, 4)]),
    ("concatenate axis -1 with a constant",
     lambda a: ops.concatenate((np.ones((3, 1)), a), axis=-1), [r(3, 2)]),
    ("stack axis 1", lambda a, b: ops.stack([a, b], axis=1), [r(3, 4), r(3, 4)]),
    ("split sections", lambda a: ops.concatenate(ops.split(a, 2, axis=1)[::-1], axis=1),
     [r(3, 4)]),
    ("split indices", lambda a: ops.split(a, [1, 2])[2] * ops.split(a, [1])[0], [r(3, 4)]),
    ("tile", lambda a: ops.tile(a, (2, 1, 3)), [r(3, 2)]),
    ("tile int", lambda a: ops.tile(a, 2), [r(3, 2)]),
    ("repeat int axis", lambda a: ops.repeat(a, 2, axis=1), [r(3, 2)]),
    ("repeat counts", lambda a: ops.repeat(a, [1, 0, 3], axis=0), [r(3, 2)]),
    ("repeat flat", lambda a: ops.repeat(a, 2), [r(3, 2)]),
    ("pad", lambda a: ops.pad(a, ((1, 2), (0, 1)), constant_values=3.0), [r(3, 2)]),
    ("pad int", lambda a: ops.pad(a, 1), [r(3, 2)]),
    ("flip", lambda a: ops.flip(a, axis=1), [r(3, 2)]),
    # gathers
    ("take flat, repeated", lambda a: ops.take(a, np.array([0, 5, 5, 11])), [r(3, 4)]),
    ("take axis 1", lambda a: ops.take(a, np.array([[3, 0], [3, 3]]), axis=1), [r(3, 4)]),
    ("take negative indices", lambda a: ops.take(a, np.array([-1, 0]), axis=0), [r(3, 4)]),
    ("take_along_axis", lambda a: ops.take_along_axis(a, np.array([[0, 0], [3, 1], [2, 2]]),
                                                      axis=1), [r(3, 4)]),
    ("take_along_axis broadcast", lambda a: ops.take_along_axis(a, np.array([[1, 2]]), axis=1),
     [r(3, 4)]),
    ("take_along_axis flat", lambda a: ops.take_along_axis(a, np.array([11, 0, 0])), [r(3, 4)]),
    ("one_hot as a constant", lambda a: a * ops.one_hot(np.array([0, 3, 1]), 4), [r(3, 4)]),
    # conversion
    ("cast float64", lambda a: ops.cast(a, "float64") * 2, [r(3, 4)]),
    ("convert_to_tensor", lambda a: ops.convert_to_tensor(a) * 2, [r(3, 4)]),
]


def _iadd(a, b):
    a = a * 1
    a += b
    a *= b
    a -= 1
    a /= 2
    return a


@pytest.mark.parametrize("f, arrays", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_finite_differences(f, arrays):
    check_grad(f, *arrays)


SECOND_CASES = [
    ("x**3", lambda x: x ** 3, r(3)),
    ("sin", ops.sin, r(3)),
    ("cos", ops.cos, r(3)),
    ("exp(x)*x", lambda x: ops.exp(x) * x, r(3)),
    ("tanh", ops.tanh, r(3)),
    ("log", ops.log, pos(3)),
    ("log1p", ops.log1p, pos(3)),
    ("sqrt", ops.sqrt, pos(3)),
    ("1/x", lambda x: 1 / x, pos(3)),
    ("erf", ops.erf, r(3)),
    ("x**x", lambda x: x ** x, pos(3)),
    ("matmul x @ x.T", lambda x: x @ x.T, r(2, 3)),
    ("mean of squares, broadcast",
     lambda x: ops.mean(ops.square(x - ops.mean(x, axis=0))), r(3, 2)),
    ("var", lambda x: ops.var(x, axis=1), r(2, 3)),
    ("std", lambda x: ops.std(x, axis=0), r(3, 2)),
    ("logsumexp", lambda x: ops.logsumexp(x, axis=1), r(2, 3)),
    ("norm", lambda x: ops.norm(x, axis=1), r(2, 3)),
    ("cumsum", lambda x: ops.cumsum(x * x, axis=1), r(2, 3)),
    ("shapes", lambda x: ops.concatenate([ops.tile(x * x, (1, 2)), ops.pad(x, 1)[1:3, 1:2] ** 3],
                                         axis=1), r(2, 3)),
    ("gathers", lambda x: ops.concatenate([ops.take(x, np.array([0, 0, 4])) ** 2,
                                           ops.repeat(x, 2) ** 3]), r(2, 3)),
]


@pytest.mark.parametrize("f, x", [c[1:] for c in SECOND_CASES], ids=[c[0] for c in SECOND_CASES])
def test_second_derivative_through_nested_tapes(f, x):
    check_second(f, x)


# Forward values against NumPy, outside any tape (where ops return plain arrays).
x34, p34, y34 = r(3, 4), pos(3, 4), r(4)
FORWARD_CASES = [
    ("add", ops.add(x34, y34), x34 + y34),
    ("subtract", ops.subtract(x34, y34), x34 - y34),
    ("multiply", ops.multiply(x34, y34), x34 * y34),
    ("divide", ops.divide(x34, p34), x34 / p34),
    ("power", ops.power(p34, y34), p34 ** y34),
    ("negative", ops.negative(x34), -x34),
    ("matmul", ops.matmul(x34, x34.T), x34 @ x34.T),
    ("exp", ops.exp(x34), np.exp(x34)),
    ("log", ops.log(p34), np.log(p34)),
    ("log1p", ops.log1p(p34), np.log1p(p34)),
    ("sqrt", ops.sqrt(p34), np.sqrt(p34)),
    ("square", ops.square(x34), x34 ** 2),
    ("abs", ops.abs(x34), np.abs(x34)),
    ("sign", ops.sign(x34), np.sign(x34)),
    ("maximum", ops.maximum(x34, y34), np.maximum(x34, y34)),
    ("minimum", ops.minimum(x34, y34), np.minimum(x34, y34)),
    ("clip", ops.clip(x34, -0.5, 0.5), np.clip(x34, -0.5, 0.5)),
    ("where", ops.where(x34 > 0, x34, y34), np.where(x34 > 0, x34, y34)),
    ("cos", ops.cos(x34), np.cos(x34)),
    ("sin", ops.sin(x34), np.sin(x34)),
    ("tanh", ops.tanh(x34), np.tanh(x34)),
    ("sum", ops.sum(x34, axis=0, keepdims=True), x34.sum(0, keepdims=True)),
    ("mean", ops.mean(x34, axis=(0, 1)), x34.mean()),
    ("max", ops.max(x34, axis=1), x34.max(1)),
    ("max initial", ops.max(x34, initial=10.0), 10.0),
    ("min", ops.min(x34, axis=0), x34.min(0)),
    ("argmax", ops.argmax(x34, axis=1), x34.argmax(1)),
    ("argmin", ops.argmin(x34), x34.argmin()),
    ("argmax keepdims", ops.argmax(x34, axis=0, keepdims=True), x34.argmax(0)[None]),
    ("std", ops.std(x34, axis=1), x34.std(1)),
    ("var", ops.var(x34), x34.var()),
    ("cumsum", ops.cumsum(x34), np.cumsum(x34)),
    ("reshape", ops.reshape(x34, (2, 6)), x34.reshape(2, 6)),
    ("transpose", ops.transpose(x34), x34.T),
    ("expand_dims", ops.expand_dims(x34, -1), x34[..., None]),
    ("squeeze", ops.squeeze(x34[None]), x34),
    ("concatenate", ops.concatenate([x34, x34], axis=0), np.concatenate([x34, x34])),
    ("stack", ops.stack([x34, x34], axis=-1), np.stack([x34, x34], axis=-1)),
    ("tile", ops.tile(x34, (2, 2)), np.tile(x34, (2, 2))),
    ("repeat", ops.repeat(x34, [1, 2, 0], axis=0), np.repeat(x34, [1, 2, 0], axis=0)),
    ("pad", ops.pad(x34, ((1, 0), (2, 2))), np.pad(x34, ((1, 0), (2, 2)))),
    ("take", ops.take(x34, [[0, 2]], axis=1), np.take(x34, [[0, 2]], axis=1)),
    ("take_along_axis", ops.take_along_axis(x34, np.array([[1], [0], [3]]), axis=1),
     np.take_along_axis(x34, np.array([[1], [0], [3]]), axis=1)),
    ("flip", ops.flip(x34, axis=0), x34[::-1]),
    ("swapaxes", ops.swapaxes(x34, 0, 1), x34.T),
    ("broadcast_to", ops.broadcast_to(y34, (2, 4)), np.stack([y34, y34])),
    ("getitem", ops.getitem(x34, (slice(1, None), [0, 0])), x34[1:, [0, 0]]),
    ("erf at 0, 1", ops.erf(np.array([0.0, 1.0])), [0.0, 0.8427007929497149]),
    ("full_like", ops.full_like(x34, 2, dtype="int32"), np.full((3, 4), 2, "int32")),
    ("cast", ops.cast(x34, "float32"), x34.astype("float32")),
    ("zeros", ops.zeros((2, 3)), np.zeros((2, 3), "float32")),
    ("ones", ops.ones(2, dtype="int32"), np.ones(2, "int32")),
    ("full", ops.full((2,), 7.0), np.full(2, 7.0, "float32")),
    ("zeros_like", ops.zeros_like(x34), np.zeros_like(x34)),
    ("ones_like", ops.ones_like(x34, dtype="float32"), np.ones((3, 4), "float32")),
    ("arange", ops.arange(5), np.arange(5)),
    ("arange step", ops.arange(1, 2, 0.25), np.arange(1, 2, 0.25)),
]


@pytest.mark.parametrize("got, expected", [c[1:] for c in FORWARD_CASES],
                         ids=[c[0] for c in FORWARD_CASES])
def test_forward_matches_numpy(got, expected):
    assert type(got) is not ops.Tensor  # no tape: plain arrays
    expected = np.asarray(expected)
    assert np.asarray(got).dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_split_matches_numpy():
    x = r(6, 2)
    for got, expected in zip(ops.split(x, 3), np.split(x, 3)):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(ops.split(x, [1, 4], axis=0), np.split(x, [1, 4])):
        np.testing.assert_array_equal(got, expected)


def test_shape_and_conversions():
    x = r(2, 3)
    assert ops.shape(x) == (2, 3) and ops.shape(3.0) == ()
    t = ops.convert_to_tensor(x)
    assert isinstance(t, ops.Tensor) and np.shares_memory(t, x)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
    n = ops.convert_to_numpy(t)
    assert type(n) is np.ndarray and not np.shares_memory(n, x)
    assert ops.stop_gradient(t).__class__ is np.ndarray


def test_unbroadcast_sums_to_the_input_shape():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(ops.unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(ops.unbroadcast(g, ()), g.sum())
    assert ops.unbroadcast(g, (2, 3, 4)) is g


def test_the_max_gradient_is_shared_by_ties():
    from kerasite import GradientTape
    x = ops.convert_to_tensor(np.array([1.0, 3.0, 3.0, 0.0]))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.max(x)
    np.testing.assert_array_equal(tape.gradient(y, x), [0, 0.5, 0.5, 0])
