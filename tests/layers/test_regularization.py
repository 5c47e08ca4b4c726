"""Tests of kerasite/layers/regularization.py: GaussianNoise, GaussianDropout, ActivityRegularization."""

import math

import numpy as np
import pytest

from kerasite import layers, utils
from kerasite.gradcheck import check_gradients
from kerasite.layers import ActivityRegularization, GaussianDropout, GaussianNoise

TOL = 1e-6


@pytest.mark.parametrize("make", [lambda: GaussianNoise(0.5, seed=0),
                                  lambda: GaussianDropout(0.3, seed=0)])
def test_inference_is_the_identity_both_ways(make):
    layer = make()
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.full((2, 3), 7.0)), np.full((2, 3), 7.0))


def test_gaussian_noise_statistics_and_identity_gradient():
    layer = GaussianNoise(0.5, seed=1)
    x = np.full((200, 200), 3.0)
    out = layer.forward(x, training=True)
    assert (out - 3.0).std() == pytest.approx(0.5, rel=0.02)
    assert abs((out - 3.0).mean()) < 0.01
    g = np.random.default_rng(0).normal(size=x.shape)
    np.testing.assert_array_equal(layer.backward(g), g)  # y = x + n: dy/dx = 1


def test_gaussian_noise_accepts_noise_on_raw_pixels():
    # Keras 3 refuses stddev > 1; kerasite does not (documented on Coming from Keras).
    assert GaussianNoise(25.0).stddev == 25.0


def test_gaussian_dropout_statistics_and_backward_by_the_same_noise():
    layer = GaussianDropout(0.2, seed=2)
    out = layer.forward(np.ones((200, 200)), training=True).copy()  # = the noise itself
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    assert out.std() == pytest.approx(math.sqrt(0.2 / 0.8), rel=0.02)  # sqrt(rate / (1 - rate))
    np.testing.assert_allclose(layer.backward(np.full((200, 200), 3.0)), 3.0 * out)
    assert layer.backward(np.ones((200, 200)), need_input_grad=False) is None


@pytest.mark.parametrize("cls, arg", [(GaussianNoise, 0.3), (GaussianDropout, 0.3)])
def test_noise_repeats_per_seed_and_epoch(cls, arg):
    x = np.ones((3, 4))
    a = cls(arg, seed=5).forward(x, training=True).copy()
    b = cls(arg, seed=5).forward(x, training=True).copy()
    layer = cls(arg, seed=5)
    layer.set_epoch(1)
    c = layer.forward(x, training=True).copy()
    layer.set_epoch(0)
    d = layer.forward(x, training=True).copy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, d)  # a resumed epoch draws the same noise
    assert not np.array_equal(a, c)


def test_unseeded_noise_follows_set_random_seed():
    utils.set_random_seed(3)
    a = GaussianNoise(1.0).seed
    utils.set_random_seed(3)
    assert GaussianNoise(1.0).seed == a


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make", [lambda: GaussianNoise(0.4, seed=3),
                                  lambda: GaussianDropout(0.4, seed=3),
                                  lambda: ActivityRegularization(0.1, 0.2)])
def test_gradient_check(make, training, float64):
    rng = np.random.default_rng(4)
    from kerasite import Sequential
    model = Sequential([layers.Dense(3, input_shape=(4,)), make(), layers.Dense(2)])
    report = check_gradients(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 2)), "mse",
                             training=training)
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_activity_regularization_is_the_identity_with_a_penalty_on_its_input():
    layer = ActivityRegularization(l1=0.1, l2=0.5)
    x = np.array([[1.0, -2.0]])
    out = layer.forward(x, training=True)
    np.testing.assert_array_equal(out, x)
    assert layer.activity_regularizer(out) == pytest.approx(0.1 * 3 + 0.5 * 5)
    np.testing.assert_allclose(layer.activity_regularizer.gradient(out), [[1.1, -2.1]])
    assert layer.get_config()["l1"] == 0.1 and "activity_regularizer" not in layer.get_config()
    assert ActivityRegularization().activity_regularizer(x) == 0.0  # Keras's defaults: 0, 0


@pytest.mark.parametrize("make, message", [
    (lambda: GaussianNoise(-0.1), r"`stddev` must be a finite number >= 0\. Received: stddev=-0\.1"),
    (lambda: GaussianNoise(float("nan")), r"`stddev` must be a finite number >= 0"),
    (lambda: GaussianDropout(1.0), r"`rate` must be a number in \[0, 1\)\. Received: rate=1\.0"),
    (lambda: GaussianDropout("0.5"), r"`rate` must be a number in \[0, 1\)"),
    (lambda: GaussianNoise(0.1, seed=-1), r"`seed` must be a non-negative integer"),
    (lambda: ActivityRegularization(l2=-1), r"`l2` must be a finite number >= 0"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_activity_regularization_refuses_a_second_regularizer():
    with pytest.raises(TypeError, match=r"sets its own activity_regularizer from `l1` and `l2`"):
        ActivityRegularization(l1=0.1, activity_regularizer="l2")
