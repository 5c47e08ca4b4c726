"""Tests of kerasite/ops/nn.py and of the ops whose semantics are Keras's rather than
NumPy's: forward values against Keras 3.15.1 on JAX (float64; tests/data/ops_keras_reference.json,
written by tests/ops/make_keras_reference.py), and float64 gradient checks."""

import json
import pathlib

import numpy as np
import pytest

from kerasite import ops
from tests.ops._check import check_grad, check_second

REF = json.loads((pathlib.Path(__file__).resolve().parents[1] / "data"
                  / "ops_keras_reference.json").read_text())
x, p, t, soft, big = (np.array(REF[k]) for k in ("x", "p", "t", "soft", "big"))
labels = np.array(REF["labels"])
onehot = np.eye(5)[labels]

KERAS_CASES = [
    ("softmax", lambda: ops.nn.softmax(x)),
    ("softmax_axis0", lambda: ops.nn.softmax(x, axis=0)),
    ("softmax_big", lambda: ops.nn.softmax(big)),
    ("log_softmax", lambda: ops.nn.log_softmax(x)),
    ("log_softmax_big", lambda: ops.nn.log_softmax(big)),
    ("gelu", lambda: ops.nn.gelu(x)),  # Keras's ops.nn default: approximate=True
    ("gelu_exact", lambda: ops.nn.gelu(x, approximate=False)),
    ("softplus", lambda: ops.nn.softplus(x)),
    ("softplus_big", lambda: ops.nn.softplus(big)),
    ("silu", lambda: ops.nn.silu(x)),
    ("sigmoid", lambda: ops.nn.sigmoid(x)),
    ("sigmoid_big", lambda: ops.nn.sigmoid(big)),
    ("relu", lambda: ops.nn.relu(x)),
    ("bce", lambda: ops.nn.binary_crossentropy(t, p)),
    ("bce_logits", lambda: ops.nn.binary_crossentropy(t, x, from_logits=True)),
    ("bce_logits_big", lambda: ops.nn.binary_crossentropy(np.ones_like(big), big,
                                                          from_logits=True)),
    ("cce", lambda: ops.nn.categorical_crossentropy(onehot, soft)),
    ("cce_soft_target", lambda: ops.nn.categorical_crossentropy(p, soft)),
    ("cce_logits", lambda: ops.nn.categorical_crossentropy(onehot, x, from_logits=True)),
    ("cce_axis0", lambda: ops.nn.categorical_crossentropy(p, soft, axis=0)),
    ("scce", lambda: ops.nn.sparse_categorical_crossentropy(labels, soft)),
    ("scce_logits", lambda: ops.nn.sparse_categorical_crossentropy(labels, x, from_logits=True)),
    ("scce_logits_col", lambda: ops.nn.sparse_categorical_crossentropy(
        labels[:, None], x, from_logits=True)),
    ("var", lambda: ops.var(x)),
    ("var_axis1", lambda: ops.var(x, axis=1)),
    ("std_axis0_keep", lambda: ops.std(x, axis=0, keepdims=True)),
    ("norm", lambda: ops.norm(x)),
    ("norm_axis1", lambda: ops.norm(x, axis=1)),
    ("norm_ord1_axis0", lambda: ops.norm(x, ord=1, axis=0)),
    ("norm_inf_axis1", lambda: ops.norm(x, ord=np.inf, axis=1)),
    ("norm_ord3_axis1", lambda: ops.norm(x, ord=3, axis=1)),
    ("norm_fro", lambda: ops.norm(x, ord="fro", axis=(0, 1))),
    ("norm_vector", lambda: ops.norm(x[0])),
    ("logsumexp", lambda: ops.logsumexp(x)),
    ("logsumexp_axis1", lambda: ops.logsumexp(x, axis=1)),
    ("logsumexp_big", lambda: ops.logsumexp(big, axis=1)),
    ("erf", lambda: ops.erf(x)),
    ("one_hot", lambda: ops.one_hot(np.array([0, 2, -1, 5]), 4)),
    ("one_hot_axis0", lambda: ops.one_hot(np.array([0, 2]), 3, axis=0)),
    ("cumsum", lambda: ops.cumsum(x, axis=1)),
]


@pytest.mark.parametrize("name, fn", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_forward_matches_keras(name, fn):
    got = fn()
    expected = np.array(REF[name])
    assert np.shape(got) == expected.shape
    # Keras 3.15.1 on JAX returns var and norm in float32 even for float64 inputs (its
    # type promotion); kerasite keeps the input's type, so those agree to float32 precision.
    rtol = 1e-6 if name.startswith(("var", "norm")) else 1e-10
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-12)
    if not name.startswith("one_hot"):  # one_hot is floatx(), float32, unless told
        assert np.asarray(got).dtype == np.float64


def test_reference_file_is_from_keras_3():
    assert REF["keras_version"].startswith("3.")


def test_nn_names_are_also_top_level():
    for name in ops.nn.__all__:
        assert getattr(ops, name) is getattr(ops.nn, name)


rng = np.random.default_rng(3)
z = rng.standard_normal((3, 4)) * 2
prob = rng.uniform(0.05, 0.95, (3, 4))
target = (rng.uniform(size=(3, 4)) > 0.5).astype(float)
classes = np.array([0, 3, 2])
hot = np.eye(4)[classes]

GRAD_CASES = [
    ("relu", ops.nn.relu, [np.where(np.abs(z) < 0.1, 0.5, z)]),
    ("sigmoid", ops.nn.sigmoid, [z]),
    ("tanh", ops.nn.tanh, [z]),
    ("softmax", ops.nn.softmax, [z]),
    ("softmax axis 0", lambda a: ops.nn.softmax(a, axis=0), [z]),
    ("softmax axes (0,1)", lambda a: ops.nn.softmax(a, axis=(0, 1)), [z]),
    ("log_softmax", ops.nn.log_softmax, [z]),
    ("log_softmax axis 0", lambda a: ops.nn.log_softmax(a, axis=0), [z]),
    ("gelu", ops.nn.gelu, [z]),
    ("gelu exact", lambda a: ops.nn.gelu(a, approximate=False), [z]),
    ("softplus", ops.nn.softplus, [z]),
    ("silu", ops.nn.silu, [z]),
    ("bce", lambda o: ops.nn.binary_crossentropy(target, o), [prob]),
    ("bce both inputs", ops.nn.binary_crossentropy, [prob, prob[::-1]]),
    ("bce logits", lambda o: ops.nn.binary_crossentropy(target, o, from_logits=True), [z]),
    ("cce", lambda o: ops.nn.categorical_crossentropy(hot, o), [prob]),
    ("cce logits", lambda o: ops.nn.categorical_crossentropy(hot, o, from_logits=True), [z]),
    ("cce logits soft targets", lambda tt, o: ops.nn.categorical_crossentropy(
        tt, o, from_logits=True), [prob, z]),
    ("scce", lambda o: ops.nn.sparse_categorical_crossentropy(classes, o), [prob]),
    ("scce logits", lambda o: ops.nn.sparse_categorical_crossentropy(
        classes, o, from_logits=True), [z]),
]


@pytest.mark.parametrize("f, arrays", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_finite_differences(f, arrays):
    check_grad(f, *arrays)


@pytest.mark.parametrize("f", [ops.nn.sigmoid, ops.nn.softmax, ops.nn.log_softmax,
                               ops.nn.softplus, ops.nn.silu, ops.nn.gelu,
                               lambda a: ops.nn.categorical_crossentropy(hot, a,
                                                                         from_logits=True)],
                         ids=["sigmoid", "softmax", "log_softmax", "softplus", "silu", "gelu",
                              "cce logits"])
def test_second_derivative(f):
    check_second(f, z)


def test_crossentropy_shape_errors():
    with pytest.raises(ValueError, match="`target` and `output` must have the same shape"):
        ops.nn.binary_crossentropy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="`target` and `output` must have the same shape"):
        ops.nn.categorical_crossentropy(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="same shape up until the last dimension"):
        ops.nn.sparse_categorical_crossentropy(np.zeros(3, int), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="at least rank 1"):
        ops.nn.sparse_categorical_crossentropy(np.zeros((), int), np.zeros(()))
