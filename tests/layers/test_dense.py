"""Tests of kerasite/layers/dense.py: shapes, hand-computed forward and backward, config, errors."""

import json

import numpy as np
import pytest

from kerasite import config, initializers, layers
from kerasite.layers import Dense


def _dense(W, b=None, activation=None, features=()):
    """A Dense layer built for inputs ``(batch, *features, W.shape[0])``, with hand-set weights."""
    W = np.asarray(W, dtype=float)
    layer = Dense(W.shape[1], activation=activation, use_bias=b is not None)
    layer.ensure_built((None, *features, W.shape[0]))
    layer.set_weights([W] if b is None else [W, np.asarray(b, dtype=float)])
    return layer


# ------------------------------------------------------------------------- shapes
def test_build_creates_weights_and_gradients_of_the_right_shape():
    layer = Dense(5)
    out = layer.forward(np.zeros((4, 3), dtype="float32"))
    assert out.shape == (4, 5)
    assert layer.built and layer.input_shape == (None, 3)
    assert layer.W.shape == (3, 5) and layer.b.shape == (5,)
    assert layer.params["W"] is layer.W.value and layer.params["b"] is layer.b.value
    assert layer.grads["W"] is layer.dW and layer.grads["b"] is layer.db
    assert layer.dW.shape == (3, 5) and layer.db.shape == (5,)
    assert layer.count_params() == 3 * 5 + 5
    assert layer.compute_output_shape((None, 3)) == (None, 5)


def test_weights_use_floatx():
    assert Dense(2).forward(np.zeros((1, 3), dtype="float32")).dtype == np.float32
    assert Dense(2).W is None  # no weights before build
    config.set_floatx("float64")
    layer = Dense(2)
    layer.ensure_built((None, 3))
    assert layer.W.dtype == np.float64 and layer.b.dtype == np.float64


def test_default_initializers_are_glorot_uniform_and_zeros():
    layer = Dense(300)
    layer.ensure_built((None, 200))
    limit = np.sqrt(6 / (200 + 300))
    assert np.abs(layer.W).max() <= limit
    assert np.abs(layer.W).max() > 0.99 * limit
    np.testing.assert_array_equal(layer.b, np.zeros(300))


def test_without_bias_there_is_only_a_kernel():
    layer = Dense(2, use_bias=False)
    layer.ensure_built((None, 3))
    assert list(layer.params) == ["W"] and list(layer.grads) == ["W"]
    assert layer.b is None and layer.count_params() == 6


def test_3d_input_is_handled_on_the_last_axis():
    layer = Dense(4)
    assert layer.forward(np.zeros((2, 7, 3), dtype="float32")).shape == (2, 7, 4)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 4)


# ------------------------------------------------------------------------ forward
def test_forward_with_hand_set_weights():
    layer = _dense([[1, 2], [3, 4]], [0.5, -1])
    # [1, 1] @ [[1, 2], [3, 4]] = [4, 6]; + [0.5, -1] = [4.5, 5]
    np.testing.assert_allclose(layer.forward(np.array([[1.0, 1.0]])), [[4.5, 5.0]])
    # [1, 0] -> [1, 2] + b = [1.5, 1];  [0, -1] -> [-3, -4] + b = [-2.5, -5]
    np.testing.assert_allclose(layer.forward(np.array([[1.0, 0.0], [0.0, -1.0]])),
                               [[1.5, 1.0], [-2.5, -5.0]])


def test_forward_without_bias():
    layer = _dense([[1, 2], [3, 4]])
    np.testing.assert_allclose(layer.forward(np.array([[1.0, 1.0]])), [[4.0, 6.0]])


def test_forward_applies_the_activation():
    layer = _dense([[1, 2], [3, 4]], [0.5, -1], activation="relu")
    np.testing.assert_allclose(layer.forward(np.array([[1.0, 0.0], [0.0, -1.0]])),
                               [[1.5, 1.0], [0.0, 0.0]])
    layer = _dense([[1.0], [1.0]], [0.0], activation="sigmoid")
    np.testing.assert_allclose(layer.forward(np.array([[np.log(3) / 2, np.log(3) / 2]])), [[0.75]])


def test_forward_on_3d_input_equals_forward_on_each_row():
    layer = _dense([[1, 2], [3, 4]], [0.5, -1], features=(2,))
    x = np.array([[[1.0, 1.0], [1.0, 0.0]], [[0.0, -1.0], [2.0, 2.0]]])
    expected = [[[4.5, 5.0], [1.5, 1.0]], [[-2.5, -5.0], [8.5, 11.0]]]
    np.testing.assert_allclose(layer.forward(x), expected)


def test_inference_outputs_are_not_overwritten_by_the_next_call():
    layer = _dense([[1, 2], [3, 4]], [0.5, -1])
    first = layer.forward(np.array([[1.0, 1.0]]))
    layer.forward(np.array([[0.0, 0.0]]))
    np.testing.assert_allclose(first, [[4.5, 5.0]])


def test_one_row_at_a_time_equals_the_whole_batch():
    layer = Dense(6, activation="tanh")
    x = np.random.default_rng(0).normal(size=(9, 4)).astype("float32")
    batch = layer.forward(x)
    rows = np.concatenate([layer.forward(x[i:i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(rows, batch, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------- backward
def test_backward_with_hand_computed_gradients():
    layer = _dense([[1, 0, -1], [2, 1, 0]], [0, 0, 0])
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    g = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]])
    layer.forward(x, training=True)
    dx = layer.backward(g)
    # dW = x^T g,  db = sum of g over the batch,  dx = g W^T
    np.testing.assert_allclose(layer.dW, [[1, -3, 5], [2, 1, 3]])
    np.testing.assert_allclose(layer.db, [1, -1, 3])
    np.testing.assert_allclose(dx, [[-1, 2], [-1, -1]])


def test_backward_through_the_activation():
    layer = _dense([[1, -2], [1, 1]], [0, 0], activation="relu")
    out = layer.forward(np.array([[1.0, 1.0]]), training=True)
    np.testing.assert_allclose(out, [[2.0, 0.0]])  # z = [2, -1]
    dx = layer.backward(np.array([[3.0, 5.0]]))
    # dL/dz = [3, 5] * [z > 0] = [3, 0]
    np.testing.assert_allclose(layer.dW, [[3, 0], [3, 0]])
    np.testing.assert_allclose(layer.db, [3, 0])
    np.testing.assert_allclose(dx, [[3, 3]])


def test_backward_on_3d_input_sums_over_every_leading_axis():
    layer = _dense([[1, 0], [0, 1]], [0, 0], features=(1,))
    x = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])  # (2, 1, 2)
    layer.forward(x, training=True)
    dx = layer.backward(np.ones((2, 1, 2)))
    np.testing.assert_allclose(layer.dW, [[4, 4], [6, 6]])
    np.testing.assert_allclose(layer.db, [2, 2])
    assert dx.shape == (2, 1, 2)
    np.testing.assert_allclose(dx, np.ones((2, 1, 2)))


def test_backward_without_input_gradient_still_fills_the_weight_gradients():
    layer = _dense([[1, 0, -1], [2, 1, 0]], [0, 0, 0])
    layer.forward(np.array([[1.0, 2.0], [3.0, -1.0]]), training=True)
    assert layer.backward(np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]]),
                          need_input_grad=False) is None
    np.testing.assert_allclose(layer.dW, [[1, -3, 5], [2, 1, 3]])
    np.testing.assert_allclose(layer.db, [1, -1, 3])


def test_backward_writes_into_the_same_gradient_arrays_and_does_not_accumulate():
    layer = _dense([[1, 0], [0, 1]], [0, 0])
    dW, db = layer.dW, layer.db
    for _ in range(2):
        layer.forward(np.array([[1.0, 2.0]]), training=True)
        layer.backward(np.array([[1.0, 1.0]]))
    assert layer.dW is dW and layer.grads["W"] is dW and layer.db is db
    np.testing.assert_allclose(dW, [[1, 1], [2, 2]])
    np.testing.assert_allclose(db, [1, 1])


def test_backward_without_bias():
    layer = _dense([[1, 0], [0, 1]])
    layer.forward(np.array([[1.0, 2.0]]), training=True)
    dx = layer.backward(np.array([[3.0, -1.0]]))
    np.testing.assert_allclose(layer.dW, [[3, -1], [6, -2]])
    np.testing.assert_allclose(dx, [[3, -1]])


# ------------------------------------------------------------------------- config
def test_config_round_trip_with_custom_activation_and_initializers():
    layer = Dense(4, activation=layers.LeakyReLU(0.25), use_bias=False,
                  kernel_initializer=initializers.HeNormal(seed=3), bias_initializer="ones",
                  name="custom")
    cfg = layer.get_config()
    json.dumps(cfg)
    assert cfg["units"] == 4 and cfg["use_bias"] is False and cfg["name"] == "custom"
    assert cfg["activation"] == {"class_name": "LeakyReLU", "config": {"negative_slope": 0.25}}
    assert cfg["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": 3}}
    assert cfg["bias_initializer"] == {"class_name": "Ones", "config": {}}

    for rebuilt in (Dense.from_config(json.loads(json.dumps(cfg))),
                    layers.deserialize(layers.serialize(layer))):
        assert isinstance(rebuilt, Dense)
        assert rebuilt.get_config() == cfg
        assert isinstance(rebuilt.activation, layers.LeakyReLU)
        assert rebuilt.activation.negative_slope == 0.25

    # The seeded initializer makes the same kernel in the original and the copy.
    x = np.ones((1, 3), dtype="float32")
    layer.forward(x)
    rebuilt.forward(x)
    np.testing.assert_array_equal(layer.W, rebuilt.W)


@pytest.mark.parametrize("activation, expected", [
    (None, "linear"), ("relu", "relu"), ("softmax", "softmax"), (layers.Tanh(), "tanh"),
    (layers.LeakyReLU(0.2), "leaky_relu"), (layers.ReLU(max_value=6), "relu6"),
])
def test_config_names_default_activations(activation, expected):
    cfg = Dense(2, activation=activation).get_config()
    assert cfg["activation"] == expected
    assert Dense.from_config(cfg).get_config() == cfg


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("units", [0, -3, 2.5, True, "4", None])
def test_units_must_be_a_positive_integer(units):
    with pytest.raises(ValueError, match=r"`units` must be a positive integer\. Received: units="):
        Dense(units)


def test_units_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: units=0\."):
        Dense(units=0)


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation: 'relu7'\. Did you mean 'relu'\? Valid names are "
                                         r"\['celu', 'elu', 'exponential', 'gelu', 'glu', .*'relu', 'relu6', .*"
                                         r"'tanh', 'tanh_shrink'\]"):
        Dense(2, activation="relu7")


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'xavier'\. Valid names are "
                                         r"\[.*'glorot_uniform'.*\]"):
        Dense(2, kernel_initializer="xavier")


def test_input_with_the_wrong_number_of_features():
    layer = Dense(2, name="head")
    layer.forward(np.zeros((1, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Input to layer 'head' \(Dense\) has the wrong shape: "
                                         r"expected \(batch, 3\).*received \(5, 4\)"):
        layer.forward(np.zeros((5, 4), dtype="float32"))


# ------------------------------------------- regularizers, constraints, input_dim
from kerasite import constraints, losses, regularizers  # noqa: E402


def test_keras_documented_regularization_example():
    # keras/src/regularizers/regularizers.py: Dense(5, input_dim=5, kernel_initializer='ones',
    # kernel_regularizer=L1(0.01), activity_regularizer=L2(0.01)) on ones((5, 5)) * 2:
    # the kernel term is 0.25 and the activity term, divided by the batch of 5, is 5.0.
    layer = Dense(5, input_dim=5, kernel_initializer="ones",
                  kernel_regularizer=regularizers.L1(0.01),
                  activity_regularizer=regularizers.L2(0.01))
    x = np.full((5, 5), 2.0, dtype="float32")
    out = layer.forward(x)
    assert layer.regularization_penalty() == pytest.approx(0.25)
    assert layer.activity_regularizer(out) / len(x) == pytest.approx(5.0)


def test_regularization_gradients_match_finite_differences_of_loss_plus_penalty(float64):
    rng = np.random.default_rng(0)
    layer = Dense(3, activation="tanh", kernel_regularizer=regularizers.L1L2(0.05, 0.2),
                  bias_regularizer="l2")
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    mse = losses.get("mse")

    def total():
        return mse.forward(y, layer.forward(x)) + layer.regularization_penalty()

    total()
    layer.backward(mse.backward())
    layer.add_regularization_gradients()  # what the engine does after backward
    for key in ("W", "b"):
        param, numeric = layer.params[key], np.zeros_like(layer.params[key])
        for i in np.ndindex(param.shape):
            old = param[i]
            param[i] = old + 1e-6
            plus = total()
            param[i] = old - 1e-6
            minus = total()
            param[i] = old
            numeric[i] = (plus - minus) / 2e-6
        np.testing.assert_allclose(layer.grads[key], numeric, rtol=1e-6, atol=1e-9)


def test_no_regularizer_means_no_penalty_and_untouched_gradients():
    layer = Dense(2)
    layer.forward(np.ones((1, 3), dtype="float32"))
    layer.dW[...] = 1.0
    layer.add_regularization_gradients()
    assert layer.regularization_penalty() == 0.0 and np.all(layer.dW == 1.0)
    assert Dense(2, kernel_regularizer="l2").regularization_penalty() == 0.0  # not built yet


def test_a_frozen_layer_keeps_its_penalty_but_gets_no_gradient():
    layer = Dense(2, kernel_initializer="ones", kernel_regularizer="l2", trainable=False)
    layer.forward(np.ones((1, 3), dtype="float32"))
    layer.add_regularization_gradients()
    assert layer.regularization_penalty() == pytest.approx(0.06)
    assert np.all(layer.dW == 0)


def test_bias_regularizer_is_ignored_without_a_bias():
    layer = Dense(2, use_bias=False, bias_regularizer="l1", kernel_initializer="zeros")
    layer.forward(np.ones((1, 3), dtype="float32"))
    assert layer.regularization_penalty() == 0.0
    layer.add_regularization_gradients()


def test_constraints_hold_after_an_update():
    layer = Dense(4, kernel_constraint=constraints.MaxNorm(1.0), bias_constraint="non_neg")
    layer.forward(np.ones((2, 3), dtype="float32"))
    W_id = id(layer.W)
    layer.W[...] = 5.0  # as if an optimizer step had pushed it far
    layer.b[...] = [-1.0, 2.0, -3.0, 0.5]
    layer.apply_constraints()
    assert id(layer.W) == W_id  # projected in place: the optimizer keeps its arrays
    assert np.linalg.norm(layer.W, axis=0).max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(layer.b, [0.0, 2.0, 0.0, 0.5])


def test_regularizer_and_constraint_config_round_trip():
    layer = Dense(3, kernel_regularizer=regularizers.L2(1e-4), bias_regularizer="l1",
                  activity_regularizer="l1_l2", kernel_constraint=constraints.MaxNorm(3),
                  bias_constraint="non_neg")
    cfg = json.loads(json.dumps(layer.get_config()))
    assert cfg["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 1e-4}}
    assert cfg["activity_regularizer"] == {"class_name": "L1L2",
                                           "config": {"l1": 0.01, "l2": 0.01}}
    assert cfg["kernel_constraint"] == {"class_name": "MaxNorm",
                                        "config": {"max_value": 3.0, "axis": 0}}
    again = layers.deserialize({"class_name": "Dense", "config": cfg})
    assert again.get_config() == cfg
    assert set(again.regularizers) == {"W", "b"} and set(again.constraints) == {"W", "b"}
    plain = Dense(3).get_config()
    assert plain["kernel_regularizer"] is None and plain["activity_regularizer"] is None


def test_input_dim_is_kerass_alias_for_input_shape():
    assert Dense(2, input_dim=7).declared_input_shape == (7,)
    assert Dense(2, input_dim=7).get_config()["input_shape"] == [7]
    assert Dense(2, input_dim=7, input_shape=(7,)).declared_input_shape == (7,)
    with pytest.raises(ValueError, match=r"`input_dim` must be a positive integer\. "
                                         r"Received: input_dim=0"):
        Dense(2, input_dim=0)
    with pytest.raises(ValueError, match=r"`input_dim`=3 and `input_shape`=\(4,\) disagree"):
        Dense(2, input_dim=3, input_shape=(4,))


def test_a_training_loop_calling_the_seam_regularizes_and_keeps_constraints():
    # The steps the engine takes each batch (see Layer.regularization_penalty): the
    # penalty shrinks the kernel, and the constraint holds after every update.
    from kerasite import optimizers

    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = x @ rng.normal(size=(4, 2)).astype("float32") * 3
    mse = losses.get("mse")

    def train(**kwargs):
        layer = Dense(2, kernel_initializer=initializers.GlorotUniform(seed=0), **kwargs)
        optimizer = optimizers.SGD(0.05)
        for _ in range(100):
            loss = mse.forward(y, layer.forward(x, training=True)) + layer.regularization_penalty()
            layer.backward(mse.backward(), need_input_grad=False)
            layer.add_regularization_gradients()
            optimizer.apply_gradients([(layer.grads[k], layer.params[k]) for k in layer.grads])
            layer.apply_constraints()
            if "kernel_constraint" in kwargs:
                assert np.linalg.norm(layer.W, axis=0).max() <= 1.0 + 1e-5
        return layer, loss

    plain, _ = train()
    shrunk, _ = train(kernel_regularizer=regularizers.L2(0.5))
    capped, _ = train(kernel_constraint=constraints.MaxNorm(1.0))
    assert np.abs(shrunk.W).sum() < 0.75 * np.abs(plain.W).sum()  # 12.1 vs 22.8 when written
    assert np.linalg.norm(plain.W, axis=0).max() > 1.5  # the constraint had work to do
