"""Tests of kerasite/layers/normalization.py: BatchNormalization and LayerNormalization."""

import json

import numpy as np
import pytest

import kerasite
from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import BatchNormalization, LayerNormalization

TOL = 1e-6


def keras_input():
    """The (4, 3) input of the Keras query: three channels of different mean and spread."""
    base = ((np.arange(12) % 7 - 3) / 2.0).reshape(4, 3)
    return (base * [1, 2, 3] + [0, 1, -1]).astype("float32")


# ------------------------------------------------------------------ BatchNormalization
def test_weights_are_in_keras_order_with_the_moving_statistics_non_trainable():
    layer = BatchNormalization()
    layer.forward(np.zeros((2, 5, 5, 3), dtype="float32"))
    assert list(layer.params) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert list(layer.grads) == ["gamma", "beta"]
    assert all(w.shape == (3,) for w in layer.weights)
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    np.testing.assert_array_equal(layer.params["moving_variance"], [1, 1, 1])
    assert list(BatchNormalization(center=False).params) == []  # nothing before build
    unscaled = BatchNormalization(scale=False, center=False)
    unscaled.forward(np.zeros((2, 3), dtype="float32"))
    assert list(unscaled.params) == ["moving_mean", "moving_variance"]


def test_training_by_hand():
    # One channel, x = 1, 3: mean 2, variance 1 (biased), so xhat = -+1 / sqrt(1 + eps);
    # gamma 2, beta 0.5 give 0.5 -+ 2 / sqrt(1.001).
    layer = BatchNormalization(momentum=0.9)
    x = np.array([[1.0], [3.0]], dtype="float32")
    layer.forward(x)
    layer.set_weights([[2.0], [0.5], [0.0], [1.0]])
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, [[0.5 - 2 / np.sqrt(1.001)], [0.5 + 2 / np.sqrt(1.001)]],
                               rtol=1e-6)
    # moving = 0.9 * moving + 0.1 * batch: mean 0.9 * 0 + 0.1 * 2, variance 0.9 * 1 + 0.1 * 1.
    np.testing.assert_allclose(layer.params["moving_mean"], [0.2], rtol=1e-6)
    np.testing.assert_allclose(layer.params["moving_variance"], [1.0], rtol=1e-6)


def test_inference_uses_the_moving_statistics_and_does_not_update_them():
    layer = BatchNormalization()
    x = np.array([[1.0], [3.0]], dtype="float32")
    layer.forward(x)
    layer.set_weights([[2.0], [0.5], [1.0], [4.0]])
    y = layer.forward(x, training=False)
    # (x - 1) / sqrt(4 + 0.001) * 2 + 0.5
    np.testing.assert_allclose(y, [[0.5], [0.5 + 4 / np.sqrt(4.001)]], rtol=1e-6)
    np.testing.assert_array_equal(layer.get_weights()[2:], [[1.0], [4.0]])


# Keras 3.15.1 (JAX backend): BatchNormalization() on keras_input(), training=True,
# then training=False; the weights after the training call.
KERAS_BN_TRAIN = [[-1.269629, -0.632329, -0.632399], [0.115421, 1.264658, 1.264799],
                  [1.500471, -1.264658, -1.264799], [-0.346262, 0.632329, 0.632399]]
KERAS_BN_MOVING = [[-0.00125, 0.0, -0.01], [1.001719, 1.015, 1.04625]]
KERAS_BN_INFER = [[-1.496717, -0.992095, -2.43318], [0.001248, 1.98419, 1.964133],
                  [1.499213, -1.98419, -3.89895], [-0.498073, 0.992095, 0.498362]]


def test_batch_normalization_matches_keras():
    layer = BatchNormalization()
    x = keras_input()
    np.testing.assert_allclose(layer.forward(x, training=True), KERAS_BN_TRAIN, atol=2e-6)
    np.testing.assert_allclose(layer.get_weights()[2:], KERAS_BN_MOVING, atol=2e-6)
    np.testing.assert_allclose(layer.forward(x, training=False), KERAS_BN_INFER, atol=2e-6)


def test_conv_features_share_statistics_per_channel():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(8, 4, 5, 3)) * [1, 5, 10] + [0, -3, 7]).astype("float32")
    y = BatchNormalization().forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), x.var(axis=(0, 1, 2)) /
                               (x.var(axis=(0, 1, 2)) + 1e-3), rtol=1e-4)


def test_other_axis_normalizes_channels_first_data():
    x = np.random.default_rng(1).normal(size=(6, 3, 4)).astype("float32") * 3 + 1
    layer = BatchNormalization(axis=1)
    y = layer.forward(x, training=True)
    assert layer.params["gamma"].shape == (3,)
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0, atol=1e-5)


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (6, 3)),
    ({}, (3, 2, 3, 2)),
    ({"center": False}, (5, 4)),
    ({"scale": False}, (5, 4)),
    ({"axis": 1}, (3, 2, 4)),
    ({"axis": [1, 3]}, (3, 2, 2, 3)),
])
@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_gradients(kwargs, shape, training, float64):
    rng = np.random.default_rng(2)
    layer = BatchNormalization(**kwargs)
    x = rng.normal(size=shape) * 2 + 1
    layer.forward(x)
    # Non-trivial gamma, beta and moving statistics, so every term of the gradient counts.
    layer.set_weights([rng.uniform(0.5, 2.0, size=w.shape) for w in layer.get_weights()])
    report = check_gradients(layer, x, rng.normal(size=shape), "mse", training=training)
    assert report.max_rel_diff < TOL, report


def test_gradients_through_a_convnet_with_batch_normalization(float64):
    # No conv bias: BatchNormalization cancels it, so its true gradient is 0 and a relative
    # comparison of two zeros would only measure rounding.
    model = Sequential([layers.Conv2D(3, 3, padding="same", use_bias=False), BatchNormalization(),
                        layers.Tanh(), layers.GlobalAveragePooling2D(), layers.Dense(2)])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5, 5, 2))
    report = check_gradients(model, x, rng.normal(size=(4, 2)), "mse", training=True)
    assert report.max_rel_diff < TOL, report


def _bn_model(frozen):
    return Sequential([kerasite.Input((4,)), layers.Dense(3),
                       BatchNormalization(trainable=not frozen, name="bn"), layers.Dense(1)])


def _fit(model):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(64, 4)).astype("float32") * 3 + 2
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=(64, 1)).astype("float32"), epochs=2, batch_size=16, verbose=0)


def test_fit_updates_the_moving_statistics_and_gamma_beta():
    model = _bn_model(frozen=False)
    before = model.layers[1].get_weights()
    _fit(model)
    after = model.layers[1].get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))


def test_a_frozen_layer_runs_in_inference_mode_and_changes_nothing():
    # Built frozen (trainable=False in the constructor): the current Sequential fixes the
    # list of trained weights when it is built.
    model = _bn_model(frozen=True)
    bn = model.layers[1]
    bn.set_weights([[1.5, 0.5, 2.0], [0.1, 0.2, 0.3], [0.5, -0.5, 1.0], [2.0, 3.0, 4.0]])
    before = bn.get_weights()
    _fit(model)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)
    # In training mode it still uses the moving statistics, as in Keras 3.
    x = np.ones((2, 3), dtype="float32")
    np.testing.assert_array_equal(bn.forward(x, training=True), bn.forward(x, training=False))
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_save_and_load_round_trip_keeps_the_moving_statistics(tmp_path):
    model = _bn_model(frozen=False)
    _fit(model)
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith(" Non-trainable params: 6 ") for line in lines)  # as in Keras
    model.save(tmp_path / "bn.kerasite")
    loaded = kerasite.models.load_model(tmp_path / "bn.kerasite")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(5).normal(size=(7, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("layer", [
    BatchNormalization(axis=[1, 2], momentum=0.9, epsilon=1e-5, center=False,
                       gamma_initializer="he_normal"),
    LayerNormalization(axis=-2, epsilon=1e-6, scale=False),
])
def test_config_round_trip(layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"momentum": 1.5}, ValueError, r"`momentum` must be a number in \[0, 1\]\. "
                                    r"Received: momentum=1\.5"),
    ({"epsilon": 0}, ValueError, r"`epsilon` must be a finite number > 0\. Received: epsilon=0"),
    ({"axis": "channels"}, TypeError, r"`axis` must be an integer or a list of integers"),
])
def test_batch_normalization_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNormalization(**kwargs)


@pytest.mark.parametrize("cls", [BatchNormalization, LayerNormalization])
@pytest.mark.parametrize("axis", [0, 3, -4])
def test_axis_out_of_range_is_a_clear_error(cls, axis):
    with pytest.raises(ValueError, match=rf"got axis={axis} for inputs of rank 3: the axis must "
                                         r"be a feature axis, between 1 and 2"):
        cls(axis=axis).forward(np.zeros((2, 3, 4), dtype="float32"))


# ------------------------------------------------------------------ LayerNormalization
def test_layer_normalization_matches_keras():
    # Keras 3.15.1 (JAX backend): LayerNormalization() on keras_input().
    expected = [[0.266919, 1.067673, -1.334591], [-1.413419, 0.706709, 0.706709],
                [1.319696, -0.219949, -1.099747], [-1.334591, 1.067673, 0.266918]]
    np.testing.assert_allclose(LayerNormalization().forward(keras_input()), expected, atol=2e-6)


def test_layer_normalization_is_per_sample_and_the_same_in_training():
    layer = LayerNormalization(axis=[1, 2])
    x = np.random.default_rng(6).normal(size=(3, 4, 5)).astype("float32") * 4 + 2
    y = layer.forward(x, training=True)
    assert layer.params["gamma"].shape == (4, 5) and list(layer.params) == ["gamma", "beta"]
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_array_equal(y, layer.forward(x, training=False))


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (4, 5)), ({"axis": [1, 2]}, (2, 3, 4)), ({"axis": 1}, (2, 3, 4)),
    ({"center": False}, (3, 4)), ({"scale": False}, (3, 4)),
])
def test_layer_normalization_gradients(kwargs, shape, float64):
    rng = np.random.default_rng(7)
    layer = LayerNormalization(**kwargs)
    x = rng.normal(size=shape) * 2 + 1
    layer.forward(x)
    layer.set_weights([rng.uniform(0.5, 2.0, size=w.shape) for w in layer.get_weights()])
    report = check_gradients(layer, x, rng.normal(size=shape), "mse")
    assert report.max_rel_diff < TOL, report
