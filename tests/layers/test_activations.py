"""Tests of kerasite/layers/activations.py: values and derivatives computed by hand."""

import json
import math
import re
import warnings

import numpy as np
import pytest

from kerasite import layers
from kerasite.layers import Dense, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh, activations

LN2, LN3 = math.log(2), math.log(3)


def _forward_backward(layer, x, g):
    out = layer.forward(np.asarray(x, dtype=float), training=True).copy()
    return out, layer.backward(np.asarray(g, dtype=float)).copy()


# --------------------------------------------------------------- values, by hand
def test_relu():
    out, dx = _forward_backward(ReLU(), [[-2.0, -0.5, 0.0, 1.5]], [[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0, 1.5]])
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0, 4.0]])  # 1 where x > 0


def test_leaky_relu():
    out, dx = _forward_backward(LeakyReLU(0.1), [[-2.0, -0.5, 0.0, 1.5]], [[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(out, [[-0.2, -0.05, 0.0, 1.5]])
    np.testing.assert_allclose(dx, [[0.1, 0.2, 0.3, 4.0]])  # slope 0.1 where x <= 0


def test_leaky_relu_default_slopes_are_keras_ones():
    # keras.layers.LeakyReLU() defaults to 0.3; keras.activations.leaky_relu to 0.2 (issue 12).
    np.testing.assert_allclose(LeakyReLU().forward(np.array([[-3.0]])), [[-0.9]])
    np.testing.assert_allclose(activations.get("leaky_relu").forward(np.array([[-3.0]])),
                               [[-0.6]])


def test_sigmoid():
    # sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4;  sigmoid' = z (1 - z) = 3/16
    out, dx = _forward_backward(Sigmoid(), [[0.0, LN3, -LN3]], [[1.0, 1.0, 2.0]])
    np.testing.assert_allclose(out, [[0.5, 0.75, 0.25]])
    np.testing.assert_allclose(dx, [[0.25, 3 / 16, 2 * 3 / 16]])


def test_tanh():
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5;  tanh' = 1 - z^2 = 16/25
    out, dx = _forward_backward(Tanh(), [[0.0, LN2, -LN2]], [[1.0, 1.0, -1.0]])
    np.testing.assert_allclose(out, [[0.0, 0.6, -0.6]])
    np.testing.assert_allclose(dx, [[1.0, 0.64, -0.64]])


def test_softmax():
    # exp([0, ln 2, ln 3]) = [1, 2, 3]; / 6
    out, dx = _forward_backward(Softmax(), [[0.0, LN2, LN3]], [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(out, [[1 / 6, 1 / 3, 1 / 2]])
    # J^T g = z * (g - <g, z>) with <g, z> = 1/6
    np.testing.assert_allclose(dx, [[5 / 36, -2 / 36, -3 / 36]])


def test_softmax_gradient_of_a_constant_is_zero():
    _, dx = _forward_backward(Softmax(), [[0.3, -1.0, 2.0]], [[4.0, 4.0, 4.0]])
    np.testing.assert_allclose(dx, 0.0, atol=1e-12)


def test_softmax_along_another_axis():
    out = Softmax(axis=0).forward(np.array([[0.0, LN3], [LN3, 0.0]]))
    np.testing.assert_allclose(out, [[0.25, 0.75], [0.75, 0.25]])


def test_linear_is_the_identity_both_ways():
    out, dx = _forward_backward(Linear(), [[-2.0, 3.0]], [[5.0, -7.0]])
    np.testing.assert_array_equal(out, [[-2.0, 3.0]])
    np.testing.assert_array_equal(dx, [[5.0, -7.0]])


def test_extreme_inputs_stay_finite_without_warnings():
    x = np.array([[-1000.0, 0.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(Sigmoid().forward(x), [[0.0, 0.5, 1.0]])
        np.testing.assert_array_equal(Tanh().forward(x), [[-1.0, 0.0, 1.0]])
        np.testing.assert_allclose(Softmax().forward(x), [[0.0, 0.0, 1.0]])
        # Softmax is unchanged by a shift: no overflow at +1000.
        np.testing.assert_allclose(Softmax().forward(np.array([[1000.0, 1000 + LN3]])),
                                   [[0.25, 0.75]])


# ----------------------------------------------------------------- layer contract
ALL = [ReLU, lambda: LeakyReLU(0.1), Sigmoid, Tanh, Softmax, Linear]
IDS = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "linear"]


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_shape_and_dtype_are_kept(make):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    layer = make()
    out = layer.forward(x, training=True)
    assert out.shape == x.shape and out.dtype == np.float32
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.params == {} and layer.count_params() == 0
    dx = layer.backward(np.ones_like(x))
    assert dx.shape == x.shape and dx.dtype == np.float32


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_no_input_gradient_when_not_needed(make):
    layer = make()
    layer.forward(np.ones((2, 3)), training=True)
    assert layer.backward(np.ones((2, 3)), need_input_grad=False) is None


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_forward_does_not_modify_its_input(make):
    x = np.array([[-1.0, 0.5, 2.0]])
    make().forward(x, training=True)
    np.testing.assert_array_equal(x, [[-1.0, 0.5, 2.0]])


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_inference_outputs_are_fresh_arrays(make):
    layer = make()
    first = layer.forward(np.array([[-1.0, 0.5, 2.0]]))
    kept = first.copy()
    layer.forward(np.array([[3.0, -4.0, 0.25]]))
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_one_row_at_a_time_equals_the_whole_batch(make):
    x = np.random.default_rng(1).normal(size=(5, 4))
    layer = make()
    batch = layer.forward(x).copy()
    rows = np.concatenate([layer.forward(x[i:i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(rows, batch, rtol=1e-12)


# ----------------------------------------------------------- registry and config
@pytest.mark.parametrize("name, cls", [
    ("relu", ReLU), ("leaky_relu", LeakyReLU), ("sigmoid", Sigmoid), ("tanh", Tanh),
    ("softmax", Softmax), ("linear", Linear), ("ReLU", ReLU), ("TANH", Tanh),
])
def test_get_by_name(name, cls):
    assert type(activations.get(name)) is cls


def test_get_none_is_linear_and_an_instance_is_itself():
    assert type(activations.get(None)) is Linear
    act = LeakyReLU(0.3)
    assert activations.get(act) is act


@pytest.mark.parametrize("identifier", ["swishy", "", 3])
def test_unknown_activation_lists_the_valid_names(identifier):
    names = sorted(activations._BY_NAME)
    assert len(names) == 31 and names[:3] == ["celu", "elu", "exponential"]
    with pytest.raises(ValueError, match=r"Unknown activation: .*Valid names are " +
                                         re.escape(str(names))):
        activations.get(identifier)


def test_serialize_uses_names_for_defaults_and_dicts_otherwise():
    assert activations.serialize(ReLU()) == "relu"
    assert activations.serialize(LeakyReLU(0.2)) == "leaky_relu"
    assert activations.serialize(Linear()) == "linear"  # as Keras writes the identity
    assert activations.serialize(LeakyReLU()) == {
        "class_name": "LeakyReLU", "config": {"negative_slope": 0.3}}
    assert activations.serialize(Softmax(axis=1)) == {
        "class_name": "Softmax", "config": {"axis": 1}}


def test_serialize_round_trips():
    for act in (ReLU(), LeakyReLU(0.2), Sigmoid(), Tanh(), Softmax(axis=1), Linear()):
        form = activations.serialize(act)
        json.dumps(form)
        again = activations.deserialize(form)
        assert type(again) is type(act)
        assert activations.serialize(again) == form


def test_deserialize_unknown_class():
    with pytest.raises(ValueError, match=r"Unknown activation class: 'Swishy'\. Valid classes are"):
        activations.deserialize({"class_name": "Swishy", "config": {}})


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_layer_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    json.dumps(cfg)
    assert type(layer).from_config(cfg).get_config() == cfg
    assert layers.deserialize(layers.serialize(layer)).get_config() == cfg


def test_layer_configs_keep_their_settings():
    assert LeakyReLU(0.2).get_config()["negative_slope"] == 0.2
    assert Softmax(axis=1).get_config()["axis"] == 1


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("slope", [-0.1, -1, "0.1", None, True, float("nan"), float("inf")])
def test_leaky_relu_slope_must_be_non_negative(slope):
    with pytest.raises(ValueError, match=r"`negative_slope` must be a finite number >= 0\. "
                                         r"Received: negative_slope="):
        LeakyReLU(slope)


def test_leaky_relu_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: negative_slope=-0\.1\."):
        LeakyReLU(negative_slope=-0.1)


def test_softmax_axis_must_be_an_integer():
    with pytest.raises(TypeError, match=r"`axis` must be an integer\. Received: axis=1\.5"):
        Softmax(axis=1.5)


# ======================================================= the Keras activations
# Values by hand; the Keras values quoted are those of keras.activations in Keras 3
# (same formulas: keras/src/activations/activations.py).
from kerasite import Sequential, initializers  # noqa: E402
from kerasite.gradcheck import check_gradients  # noqa: E402
from kerasite.layers import (  # noqa: E402
    ELU, GELU, SELU, Activation, Exponential, HardSigmoid, Mish, PReLU, SiLU, Softplus, Softsign,
)

TOL = 1e-6
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# (activation, x, expected output, expected derivative at x)
HAND = {
    "elu": (ELU(), [-LN2, 2.0], [-0.5, 2.0], [0.5, 1.0]),  # e^-ln2 - 1 = -1/2; slope e^x = 1/2
    "elu_alpha": (ELU(0.5), [-LN2], [-0.25], [0.25]),
    "selu": (SELU(), [-LN2, 1.0], [-0.5 * SELU_S * SELU_A, SELU_S], [0.5 * SELU_S * SELU_A, SELU_S]),
    "gelu": (GELU(), [0.0, 1.0, -1.0], [0.0, _cdf(1.0), -_cdf(-1.0)],
             [0.5, _cdf(1.0) + _phi(1.0), _cdf(-1.0) - _phi(-1.0)]),
    # Keras: gelu(1.0, approximate=True) = 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.841192
    "gelu_tanh": (GELU(approximate=True), [1.0], [0.8411919906082768], [1.0829640838457826]),
    "silu": (SiLU(), [LN3, 0.0], [0.75 * LN3, 0.0], [0.75 * (1 + LN3 / 4), 0.5]),
    "softplus": (Softplus(), [LN3, 0.0], [math.log(4), LN2], [0.75, 0.5]),
    "softsign": (Softsign(), [1.0, -3.0], [0.5, -0.75], [0.25, 1 / 16]),
    "hard_sigmoid": (HardSigmoid(), [-4.0, 0.0, 1.5, 4.0], [0.0, 0.5, 0.75, 1.0],
                     [0.0, 1 / 6, 1 / 6, 0.0]),
    "relu6": (activations.get("relu6"), [-1.0, 3.0, 7.0], [0.0, 3.0, 6.0], [0.0, 1.0, 0.0]),
    "exponential": (Exponential(), [LN2, 0.0], [2.0, 1.0], [2.0, 1.0]),
    # softplus(ln 3) = ln 4, tanh(ln 4) = 15/17, sigmoid(ln 3) = 3/4
    "mish": (Mish(), [LN3], [LN3 * 15 / 17], [15 / 17 + LN3 * (64 / 289) * 0.75]),
    "relu_options": (ReLU(max_value=1.5, negative_slope=0.5, threshold=1.0),
                     [0.0, 1.2, 3.0, 0.5], [-0.5, 1.2, 1.5, -0.25], [0.5, 1.0, 0.0, 0.5]),
    "relu_threshold": (ReLU(threshold=1.0), [0.5, 2.0], [0.0, 2.0], [0.0, 1.0]),
    "leaky_name": (activations.get("leaky_relu"), [-1.0, 2.0], [-0.2, 2.0], [0.2, 1.0]),
    "leaky_steep": (LeakyReLU(1.5), [-1.0, 2.0], [-1.5, 2.0], [1.5, 1.0]),
    "activation_layer": (Activation("softsign"), [1.0], [0.5], [0.25]),
}


@pytest.mark.parametrize("case", HAND, ids=str)
def test_keras_activation_values_and_derivatives_by_hand(case):
    layer, x, out, slope = HAND[case]
    g = np.arange(1.0, len(x) + 1)[None, :]
    got, dx = _forward_backward(layer, [x], g)
    np.testing.assert_allclose(got, [out], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, g * np.array([slope]), rtol=1e-12, atol=1e-15)


def test_gelu_cdf_matches_math_erf_everywhere():
    x = np.linspace(-40, 40, 20001)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(activations._normal_cdf(x), expected, rtol=1e-12, atol=1e-15)


def test_extreme_inputs_of_the_new_activations_stay_finite_without_warnings():
    x = np.array([[-1000.0, -30.0, 0.0, 30.0, 700.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("elu", "selu", "gelu", "silu", "softplus", "softsign", "hard_sigmoid",
                     "mish", "relu6"):
            layer = activations.get(name)
            out = layer.forward(x, training=True)
            assert np.all(np.isfinite(out)), name
            assert np.all(np.isfinite(layer.backward(np.ones_like(x)))), name
    np.testing.assert_allclose(Softplus().forward(x), [[0.0, 9.357622968839299e-14, LN2, 30.0,
                                                        700.0]], rtol=1e-12)


# -------------------------------------------------------- float64 gradient checks
def _away_from_kinks(rng, shape, kinks=(0.0, 1.0, 1.5, 3.0, -3.0, 6.0)):
    x = rng.normal(size=shape) * 3
    for k in kinks:
        near = np.abs(x - k) < 0.05
        x[near] += 0.1
    return x


GRADCHECK = {
    # (glu halves its axis: tests/layers/test_activations_keras3.py checks it on its own)
    **{name: (lambda name=name: activations.get(name)) for name in activations._BY_NAME
       if name != "glu"},
    "gelu_tanh": lambda: GELU(approximate=True),
    "elu_alpha": lambda: ELU(0.3),
    "relu_options": lambda: ReLU(max_value=1.5, negative_slope=0.5, threshold=1.0),
    "relu_slope_cap": lambda: ReLU(max_value=6.0, negative_slope=0.1),
    "leaky_layer": LeakyReLU,
    "leaky_steep": lambda: LeakyReLU(1.5),
    "activation_gelu": lambda: Activation("gelu"),
    "activation_instance": lambda: Activation(ELU(0.7)),
    "softmax_axis1": lambda: Softmax(axis=1),
}


@pytest.mark.parametrize("name", GRADCHECK, ids=str)
def test_gradient_check_as_a_layer(name, float64):
    rng = np.random.default_rng(0)
    x = _away_from_kinks(rng, (3, 4, 2)) if name != "exponential" else rng.normal(size=(3, 4, 2))
    report = check_gradients(GRADCHECK[name](), x, rng.normal(size=(3, 4, 2)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


@pytest.mark.parametrize("name", sorted(set(activations._BY_NAME) - {"glu"}), ids=str)
def test_gradient_check_inside_dense(name, float64):
    # Dense runs its activation in place on its own buffer: those that keep their
    # input must not have it overwritten.
    rng = np.random.default_rng(1)
    model = Sequential([layers.Dense(4, activation=name, input_shape=(3,)), layers.Dense(2)])
    x = rng.normal(size=(5, 3))
    report = check_gradients(model, x, rng.normal(size=(5, 2)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


@pytest.mark.parametrize("shared_axes, shape", [(None, (3, 4)), ([1], (3, 4, 2)),
                                                ([1, 2], (2, 3, 2, 2))])
def test_prelu_gradient_check(shared_axes, shape, float64):
    rng = np.random.default_rng(2)
    layer = PReLU(alpha_initializer=initializers.RandomUniform(0.1, 0.5, seed=0),
                  shared_axes=shared_axes)
    x = _away_from_kinks(rng, shape)
    report = check_gradients(layer, x, rng.normal(size=shape), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


# ----------------------------------------------------------------------- PReLU
def test_prelu_by_hand():
    layer = PReLU()
    layer.build((None, 2))
    layer.params["alpha"][...] = [0.25, 0.5]
    out, dx = _forward_backward(layer, [[-2.0, 3.0], [-1.0, -4.0]], [[1.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(out, [[-0.5, 3.0], [-0.25, -2.0]])
    np.testing.assert_allclose(dx, [[0.25, 1.0], [0.25, 1.0]])  # slope alpha where x <= 0
    np.testing.assert_allclose(layer.grads["alpha"], [-3.0, -8.0])  # sum of g * min(x, 0)


def test_prelu_weight_layout_is_keras():
    # Keras: alpha has shape input_shape[1:] with the shared axes set to 1; zeros by default.
    layer = PReLU(shared_axes=[1, 2])
    layer.build((None, 5, 6, 3))
    assert list(layer.params) == ["alpha"] and layer.params["alpha"].shape == (1, 1, 3)
    np.testing.assert_array_equal(layer.params["alpha"], 0.0)
    assert layer.count_params() == 3


def test_prelu_rejects_bad_shared_axes():
    with pytest.raises(ValueError, match=r"`shared_axes` must be a list of axes >= 1"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match=r"`shared_axes` of layer .* names axis 3"):
        PReLU(shared_axes=[3]).build((None, 4, 2))


def test_prelu_regularizer_and_constraint_use_the_base_seam():
    from kerasite import constraints, regularizers
    layer = PReLU(alpha_initializer=initializers.Constant(-2.0), alpha_regularizer="l1",
                  alpha_constraint="non_neg")
    layer.build((None, 3))
    assert layer.regularization_penalty() == pytest.approx(0.01 * 6)
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.params["alpha"], 0.0)
    cfg = layer.get_config()
    assert cfg["alpha_regularizer"] == regularizers.serialize(regularizers.L1())
    assert cfg["alpha_constraint"] == constraints.serialize(constraints.NonNeg())


# ------------------------------------------------------------- Activation layer
def test_activation_layer_takes_any_name_and_round_trips():
    for name in activations._BY_NAME:
        layer = Activation(name)
        cfg = json.loads(json.dumps(layer.get_config()))
        again = layers.deserialize({"class_name": "Activation", "config": cfg})
        x = np.array([[-1.5, 0.25, 2.0, 0.75]])
        np.testing.assert_array_equal(again.forward(x), layer.forward(x))


def test_activation_layer_keeps_its_own_copy_and_mirrors_the_cache():
    inner = GELU()
    layer = Activation(inner)
    assert layer.activation is not inner and layer._cache_attrs == ("x", "p")
    layer.forward(np.array([[1.0]]), training=True)
    assert layer.x is layer.activation.x
    layer.clear_cache()
    assert "x" not in layer.__dict__ and "x" not in layer.activation.__dict__


def test_activation_layer_inside_dense_is_unwrapped():
    dense = Dense(2, activation=Activation("relu6"))
    assert type(dense.activation) is ReLU and dense.get_config()["activation"] == "relu6"


def test_a_plain_function_is_differentiated_by_a_tape():
    # np.tanh on a recorded Tensor runs as ops.tanh, so the tape gives 1 - tanh^2.
    x = np.array([[-1.0, 0.5]])
    act = Activation(np.tanh)
    np.testing.assert_allclose(act.forward(x), np.tanh(x))
    np.testing.assert_allclose(act.backward(np.ones_like(x)), 1 - np.tanh(x) ** 2, rtol=1e-6)


def test_a_function_the_tape_cannot_follow_says_which_op_to_use():
    act = Activation(lambda x: np.sort(x, axis=-1))
    with pytest.raises(TypeError, match=r"`np\.sort` was given a Tensor while a GradientTape "
                                        r"records"):
        act.forward(np.array([[2.0, 1.0]]))


def test_a_layer_with_weights_is_not_an_activation():
    with pytest.raises(ValueError, match=r"PReLU cannot be used as `activation=`: it has weights"):
        Dense(2, activation=PReLU())


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": -1.0}, r"`max_value` must be a finite number > 0 or None\. Received: max_value=-1\.0"),
    ({"max_value": 0}, r"`max_value` must be a finite number > 0"),
    ({"negative_slope": float("inf")}, r"`negative_slope` must be a finite number >= 0"),
    ({"threshold": -0.5}, r"`threshold` must be a finite number >= 0\. Received: threshold=-0\.5"),
    ({"threshold": "1"}, r"`threshold` must be a finite number >= 0"),
])
def test_relu_options_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReLU(**kwargs)


def test_elu_alpha_is_checked():
    with pytest.raises(ValueError, match=r"`alpha` must be a finite number >= 0\. "
                                         r"Received: alpha=-1\.0"):
        ELU(alpha=-1.0)


def test_gelu_approximate_must_be_a_bool():
    with pytest.raises(TypeError, match=r"`approximate` must be True or False\. "
                                        r"Received: approximate='yes'"):
        GELU(approximate="yes")


def test_softmax_axis_is_checked_at_build_time():
    with pytest.raises(ValueError, match=r"`axis` of layer '.*' \(Softmax\) must be in \[-2, 1\] "
                                         r"for inputs of shape \(None, 3\)\. Received: axis=7"):
        Sequential([Softmax(axis=7)]).build((None, 3))
    with pytest.raises(ValueError, match=r"\(Softmax\) must be in \[-2, 1\].*Received: axis=7"):
        Dense(3, activation=Softmax(axis=7)).forward(np.ones((2, 2)))


@pytest.mark.parametrize("make", [ELU, SELU, GELU, SiLU, Mish, Softplus, Softsign, HardSigmoid,
                                  Exponential, lambda: Activation("gelu"),
                                  lambda: ReLU(max_value=6.0, threshold=0.5)])
def test_new_activations_keep_shape_dtype_and_input(make):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    kept = x.copy()
    layer = make()
    out = layer.forward(x, training=True)
    assert out.shape == x.shape and out.dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32
    np.testing.assert_array_equal(x, kept)
    rows = np.concatenate([make().forward(x[i:i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(rows, make().forward(x), rtol=1e-6)
