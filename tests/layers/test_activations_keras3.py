"""Keras 3's newer activations: values and gradients against Keras, and gradient checks.

The reference values in tests/data/keras_activations_round3.json were computed
with Keras 3.15.1 on JAX in float64 by tests/layers/make_keras_activation_reference.py:
each case holds f(x) and the gradient of sum(f(x) * w) with respect to x.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, activations, layers, ops
from kerasite.gradcheck import check_gradients
from kerasite.layers import activations as layer_activations

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "data" /
                        "keras_activations_round3.json").read_text())
X = np.array(REFERENCE["x"])
W = np.array(REFERENCE["w"])
CASES = REFERENCE["cases"]

# At a kink the derivative is a choice: hard_tanh and sparse_sigmoid take it from
# their output, which at x = -1 cannot tell -1 from -2, so kerasite gives 0 there
# where Keras's formula gives the inner piece's slope. Elsewhere they agree.
KINKS = {"hard_tanh": [-1.0, 1.0], "sparse_sigmoid": [-1.0, 1.0]}

# Keras 3.15.1's sparsemax sums the cumulative sums over the support where the
# threshold needs only the last one, so its rows do not sum to 1 once two or more
# entries are kept (its second row here is all zeros). The projection of
# [2.5, -2.5, 0.1, -0.1, 1.2, -1.2, 0.7, -0.7, 3.3, -3.3] keeps 3.3 and 2.5 with
# tau = (3.3 + 2.5 - 1) / 2 = 2.4: by hand, 0.9 and 0.1.
SPARSEMAX_ROW_2 = np.zeros(10)
SPARSEMAX_ROW_2[[8, 0]] = 0.9, 0.1


def _expected(case):
    spec = CASES[case]
    y, grad = np.array(spec["y"]), np.array(spec["grad"])
    if spec["name"] == "sparsemax":
        y[1] = SPARSEMAX_ROW_2
        w = W[1]
        on = y[1] > 0
        grad[1] = on * (w - w[on].mean())
    keep = ~np.isin(X, KINKS.get(spec["name"], []))
    return y, grad, keep


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_function_matches_keras_value_and_gradient(case, float64):
    spec = CASES[case]
    expected_y, expected_grad, keep = _expected(case)
    fn = getattr(activations, spec["name"])
    y = np.asarray(fn(X, **spec["kwargs"]))
    np.testing.assert_allclose(y, expected_y, rtol=1e-12, atol=1e-12)
    x = kerasite.Variable(X)
    with kerasite.GradientTape() as tape:
        out = fn(x, **spec["kwargs"])
        total = ops.sum(out * W[:, : y.shape[1]])
    grad = np.asarray(tape.gradient(total, x))
    np.testing.assert_allclose(grad[keep], expected_grad[keep], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_layer_matches_keras_value_and_gradient(case, float64):
    spec = CASES[case]
    expected_y, expected_grad, keep = _expected(case)
    cls = type(layer_activations.get(spec["name"]))
    layer = cls(**spec["kwargs"])
    y = layer.forward(X, training=True)
    np.testing.assert_allclose(y, expected_y, rtol=1e-12, atol=1e-12)
    dx = layer.backward(W[:, : y.shape[1]].copy())
    np.testing.assert_allclose(dx[keep], expected_grad[keep], rtol=1e-10, atol=1e-12)


def _away_from_kinks(rng, shape):
    # The piecewise activations have kinks at 0, +-0.5, +-1 and +-3: keep the
    # finite differences off them.
    x = rng.uniform(-4, 4, size=shape)
    for kink in (-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0):
        x[np.abs(x - kink) < 0.05] += 0.1
    return x


GRADCHECK = {
    "celu_alpha": lambda: layer_activations.CELU(alpha=0.7),
    "hard_shrink_t": lambda: layer_activations.HardShrink(threshold=1.0),
    "soft_shrink_t": lambda: layer_activations.SoftShrink(threshold=1.0),
    "squareplus_b": lambda: layer_activations.Squareplus(b=0.5),
    "log_softmax_axis1": lambda: layer_activations.LogSoftmax(axis=1),
    "sparsemax_axis1": lambda: layer_activations.Sparsemax(axis=1),
    "glu": layer_activations.GLU,
    "glu_axis1": lambda: layer_activations.GLU(axis=1),
}


@pytest.mark.parametrize("name", GRADCHECK, ids=str)
def test_gradient_check_of_the_options(name, float64):
    rng = np.random.default_rng(3)
    x = _away_from_kinks(rng, (3, 4, 2))
    layer = GRADCHECK[name]()
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < 1e-6, f"\n{report}"


def test_sparsemax_is_a_sparse_distribution():
    # Martins & Astudillo's example: the projection of [2, 1, -1] is [1, 0, 0],
    # and of [0.5, 0.4, -1] is [0.55, 0.45, 0] (tau = -0.05).
    z = layer_activations.Sparsemax().forward(np.array([[2.0, 1.0, -1.0], [0.5, 0.4, -1.0]]))
    np.testing.assert_allclose(z, [[1.0, 0.0, 0.0], [0.55, 0.45, 0.0]], atol=1e-12)


def test_squareplus_stays_accurate_far_below_zero(float64):
    # (x + sqrt(x^2 + 4)) / 2 at x = -1e8 cancels to 0 when written naively;
    # the value is 1 / |x| to first order.
    z = layer_activations.Squareplus().forward(np.array([[-1e8]]))
    np.testing.assert_allclose(z, [[1e-8]], rtol=1e-12)


def test_names_train_in_dense_and_in_a_functional_model():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 2))
    inp = Input((6,))
    h = layers.Dense(8, activation="celu")(inp)
    h = layers.Dense(8, activation="squareplus")(h)
    h = layers.Activation("glu")(h)                       # 8 -> 4
    out = layers.Dense(2)(activations.tanh_shrink(h))     # a function on a symbolic tensor
    model = Model(inp, out)
    assert model.output_shape == (None, 2) and h.shape == (None, 4)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_glu_as_a_dense_activation_says_where_to_put_it():
    with pytest.raises(ValueError, match=r"activation='glu' halves the last axis.*"
                                         r"layers\.Activation\('glu'\)"):
        layers.Dense(4, activation="glu").forward(np.zeros((2, 3)))


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match=r"GLU splits axis -1 into two halves.*\(2, 5\)"):
        layer_activations.GLU().forward(np.zeros((2, 5)))


@pytest.mark.parametrize("cls, argument", [(layer_activations.CELU, "alpha"),
                                           (layer_activations.HardShrink, "threshold"),
                                           (layer_activations.Squareplus, "b")])
def test_negative_settings_are_refused_by_name(cls, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        cls(**{argument: -1.0})


def test_names_serialize_and_round_trip():
    for name in ["celu", "hard_silu", "log_sigmoid", "sparsemax", "squareplus", "tanh_shrink"]:
        layer = layers.Dense(3, activation=name)
        again = layers.Dense.from_config(layer.get_config())
        assert layer_activations.serialize(again.activation) == name
    assert layer_activations.serialize(layer_activations.get("hard_swish")) == "hard_silu"
