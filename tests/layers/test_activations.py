"""Tests of kerasite/layers/activations.py: values and derivatives computed by hand."""

import json
import math
import warnings

import numpy as np
import pytest

from kerasite import layers
from kerasite.layers import LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh, activations

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
    with pytest.raises(ValueError, match=r"Unknown activation: .*Valid names are "
                                         r"\['elu', 'exponential', 'gelu', 'hard_sigmoid', 'leaky_relu', 'linear', 'mish', 'relu', 'relu6', 'selu', 'sigmoid', 'silu', 'softmax', 'softplus', 'softsign', 'swish', 'tanh'\]"):
        activations.get(identifier)


def test_serialize_uses_names_for_defaults_and_dicts_otherwise():
    assert activations.serialize(ReLU()) == "relu"
    assert activations.serialize(LeakyReLU(0.2)) == "leaky_relu"
    assert activations.serialize(Linear()) is None
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
