"""A sigmoid output trained with MSE: its head gives d loss / d logits directly.

The pairing changes no number: the loss value is unchanged, and the gradient
``2/d (z - y) z (1 - z)`` is what the sigmoid's backward would have made of
the MSE gradient. The checks compare against the unpaired path (a subclass of
the loss, which the heads do not pair), a value worked by hand, and float64
finite differences.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Sequential, layers, losses, optimizers
from kerasite.trainers import heads


class _UnfusedMSE(losses.MeanSquaredError):
    """The same loss; only the exact class is paired, so this one runs unpaired."""


def _model(loss, units=3, seed=0):
    kerasite.utils.set_random_seed(seed)
    m = Sequential([Input((4,)), layers.Dense(5, activation="tanh"),
                    layers.Dense(units, activation="sigmoid")])
    m.compile(optimizer=optimizers.SGD(learning_rate=0.7), loss=loss)
    return m


def test_the_engine_fuses_sigmoid_with_mse_and_only_the_exact_class():
    fused, unfused = _model("mse"), _model(_UnfusedMSE())
    for m in (fused, unfused):
        m._training_setup()
    assert fused._heads.paired == (0,)
    assert isinstance(fused._heads[0].activation, layers.Sigmoid)
    assert unfused._heads.paired is None and not unfused._heads[0].paired


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample-weights"])
def test_fused_training_matches_the_unfused_model(weighted):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32") * 2
    y = rng.uniform(size=(16, 3)).astype("float32")
    w = rng.uniform(0.1, 2.0, size=16).astype("float32") if weighted else None
    fused, reference = _model("mse"), _model(_UnfusedMSE())
    for _ in range(4):
        a = fused.train_on_batch(x, y, sample_weight=w)
        b = reference.train_on_batch(x, y, sample_weight=w)
        assert a == pytest.approx(b, rel=1e-6)
    for w1, w2 in zip(fused.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-7)
    assert fused.evaluate(x, y, verbose=0) == pytest.approx(
        reference.evaluate(x, y, verbose=0), rel=1e-6)


def test_fused_gradient_by_hand():
    # One unit, W = 0, b = 0: z = sigmoid(0) = 0.5 for any x. With y = 0 the loss is
    # (0.5 - 0)^2 = 0.25 and d loss / d logit = 2 (0.5 - 0) * 0.5 * (1 - 0.5) = 0.25,
    # so one SGD step with learning rate 1 moves b to -0.25 and W to -0.25 x.
    model = Sequential([Input((2,)), layers.Dense(1, activation="sigmoid",
                                                  kernel_initializer="zeros")])
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="mse")
    loss = model.train_on_batch(np.array([[2.0, -4.0]], "float32"), np.zeros((1, 1), "float32"))
    assert loss == pytest.approx(0.25)
    W, b = model.get_weights()
    np.testing.assert_allclose(W, [[-0.5], [1.0]])
    np.testing.assert_allclose(b, [-0.25])


def test_fused_gradient_matches_finite_differences(float64):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 4)), rng.uniform(size=(6, 3))
    model = _model("mse")
    model._training_setup()
    outs, logits = model._heads.forward([x], training=True)
    _, grads = model._losses_and_grads([y], outs, [None], logits)
    model._graph.backward(grads, need_input_grad=False, pre_activation=model._heads.paired)
    eps = 1e-6

    def loss():
        return float(np.mean((model.predict(x, verbose=0) - y) ** 2))

    for layer in model.layers:
        for key, p in layer.params.items():
            numeric = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                saved = p[i]
                p[i] = saved + eps
                up = loss()
                p[i] = saved - eps
                down = loss()
                p[i] = saved
                numeric[i] = (up - down) / (2 * eps)
            np.testing.assert_allclose(layer.grads[key], numeric, rtol=1e-6, atol=1e-9)


def test_sigmoid_mse_head_gradient_by_hand():
    # One sample, d = 2: z = (0.5, 0.9), y = (0, 1). d loss / d z = 2/2 (z - y) = (0.5, -0.1),
    # times z (1 - z) = (0.25, 0.09): (0.125, -0.009) with respect to the logits.
    head = heads._SigmoidSquaredError(losses.MeanSquaredError(), layers.Sigmoid())
    z = np.array([[0.5, 0.9]], "float32")
    value = head.forward(np.array([[0.0, 1.0]], "float32"), z, np.zeros_like(z))
    assert value == pytest.approx((0.25 + 0.01) / 2)
    np.testing.assert_allclose(head.backward(), [[0.125, -0.009]], rtol=1e-6)
