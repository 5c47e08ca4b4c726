"""Crossentropy after a sigmoid or softmax is computed from the logits, as Keras does.

Keras 3 reads the logits behind a sigmoid/softmax output whenever a
crossentropy loss gets probabilities (``from_logits=False``). The checks
below compare kerasite's paired heads against the same model written with a
linear output and ``from_logits=True``, and against values worked by hand:
for a logit ``z`` and label 0, binary crossentropy is ``log(1 + e^z)``.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, layers, losses, optimizers


def _pair(activation, loss, logits_loss, units, seed=0):
    """The same weights twice: with the activation, and linear with a from_logits loss."""
    models = []
    for act, lo in ((activation, loss), (None, logits_loss)):
        kerasite.utils.set_random_seed(seed)
        m = Sequential([Input((4,)), layers.Dense(5, activation="tanh"),
                        layers.Dense(units, activation=act)])
        m.compile(optimizer=optimizers.SGD(learning_rate=0.3), loss=lo)
        models.append(m)
    return models


@pytest.mark.parametrize("activation, loss, logits_loss, units, labels", [
    ("sigmoid", "binary_crossentropy", losses.BinaryCrossentropy(from_logits=True), 1, "binary"),
    ("softmax", "categorical_crossentropy",
     losses.CategoricalCrossentropy(from_logits=True), 3, "onehot"),
    ("softmax", "sparse_categorical_crossentropy",
     losses.SparseCategoricalCrossentropy(from_logits=True), 3, "sparse"),
])
def test_fused_training_matches_the_from_logits_model(activation, loss, logits_loss, units,
                                                      labels):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32") * 3
    classes = rng.integers(0, units if units > 1 else 2, 16)
    y = {"binary": classes.reshape(-1, 1).astype("float32"),
         "onehot": np.eye(3, dtype="float32")[classes], "sparse": classes}[labels]
    fused, reference = _pair(activation, loss, logits_loss, units)
    for _ in range(3):
        a, b = fused.train_on_batch(x, y), reference.train_on_batch(x, y)
        assert a == pytest.approx(b, rel=1e-5)
    for w1, w2 in zip(fused.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)
    assert fused.evaluate(x, y, verbose=0) == pytest.approx(
        reference.evaluate(x, y, verbose=0), rel=1e-5)


def test_saturated_sigmoid_reports_the_exact_loss_and_still_learns():
    model = Sequential([Input((1,)), layers.Dense(1, activation="sigmoid",
                                                  kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy")
    x, y = np.array([[20.0]], dtype="float32"), np.array([[0.0]], dtype="float32")
    # log(1 + e^20) = 20.000000002; clipping at 1e-7 would give -log(1e-7) = 16.1
    assert model.evaluate(x, y, verbose=0) == pytest.approx(20.0, rel=1e-6)
    # In float32 sigmoid(20) rounds to 1, so the unfused gradient would be exactly 0.
    # From the logits it is (p - y) x = 20, and the step moves the weight.
    before = model.get_weights()[0].copy()
    model.train_on_batch(x, y)
    assert model.get_weights()[0][0, 0] == pytest.approx(before[0, 0] - 0.1 * 20.0, rel=1e-5)


def test_the_fusion_does_not_leak_into_another_model_sharing_the_layer():
    # The Keras blog's decoder shares the autoencoder's last layer; trained with MSE,
    # its gradient must go through the sigmoid's derivative.
    inp = Input((3,))
    out_layer = layers.Dense(2, activation="sigmoid", kernel_initializer="ones")
    auto = Model(inp, out_layer(layers.Dense(3, kernel_initializer="identity")(inp)))
    code = Input((3,))
    decoder = Model(code, out_layer(code))
    auto.compile(optimizer="sgd", loss="binary_crossentropy")
    decoder.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="mse")
    x = np.array([[0.5, -0.5, 1.0]], dtype="float32")
    auto.train_on_batch(x, np.ones((1, 2), dtype="float32"))
    w = out_layer.get_weights()[0].copy()
    p = 1 / (1 + np.exp(-(x @ w + out_layer.get_weights()[1])))
    y = np.zeros((1, 2), dtype="float32")
    decoder.train_on_batch(x, y)
    # mse gradient through the sigmoid: 2/n (p - y) p (1 - p), n = 2 outputs
    expected = w - x.T @ (2 / 2 * (p - y) * p * (1 - p))
    np.testing.assert_allclose(out_layer.get_weights()[0], expected, rtol=1e-5)
    # The pairing is an argument of each call: nothing about it is left on the layers.
    for layer in (out_layer, out_layer.activation):
        assert not [k for k in vars(layer) if "fused" in k or "logits" in k or "loss" in k]
