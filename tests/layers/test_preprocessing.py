"""Tests of kerasite/layers/preprocessing.py: Rescaling and Normalization."""

import numpy as np
import pytest

from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Normalization, Rescaling

TOL = 1e-6


def test_rescaling_by_hand():
    layer = Rescaling(1 / 127.5, offset=-1.0)
    np.testing.assert_allclose(layer.forward(np.array([[0.0, 127.5, 255.0]])), [[-1, 0, 1]])
    np.testing.assert_allclose(layer.backward(np.array([[2.0, 2.0, 2.0]])), [[2 / 127.5] * 3])


def test_rescaling_per_channel_and_dtype():
    layer = Rescaling([1.0, 2.0], offset=[0.0, 1.0])
    out = layer.forward(np.ones((2, 3, 2), dtype="float32"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 0], [1.0, 3.0])
    assert layer.get_config()["scale"] == [1.0, 2.0]


# Keras's documented examples (keras/src/layers/preprocessing/normalization.py).
def test_keras_example_axis_none():
    layer = Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_allclose(layer.forward(np.array([1.0, 2.0, 3.0])),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)


def test_keras_example_per_feature_and_inverted():
    data = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]])
    layer = Normalization(axis=-1)
    layer.adapt(data)
    np.testing.assert_allclose(layer.forward(np.array([[0.0, 7.0, 4.0]])), [[-1.0, -1.0, -1.0]])
    inverse = Normalization(axis=-1, invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse.forward(np.array([[1.0, 2.0, 3.0]])), [[2.0, 10.0, 8.0]])


def test_keras_example_given_mean_and_variance():
    layer = Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(layer.forward(np.array([[1.0], [2.0], [3.0]])),
                               [[-1.4142135], [-0.70710677], [0.0]], rtol=1e-6)


def test_statistics_are_non_trainable_weights_and_per_kept_axis():
    layer = Normalization(axis=(1, 2))
    data = np.random.default_rng(0).normal(size=(10, 3, 4, 5))
    layer.adapt(data)
    assert layer.params["mean"].shape == (3, 4) and layer.grads == {}
    np.testing.assert_allclose(layer.params["mean"], data.mean(axis=(0, 3)), rtol=1e-5)
    np.testing.assert_allclose(layer.params["variance"], data.var(axis=(0, 3)), rtol=1e-5)
    assert layer.non_trainable_weights and not layer.trainable_weights


def test_unadapted_layer_is_the_identity_as_in_keras():
    x = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(Normalization().forward(x), x)


def test_a_constant_feature_is_divided_by_epsilon_not_zero():
    layer = Normalization()
    layer.adapt(np.array([[1.0, 0.0], [1.0, 2.0]]))
    out = layer.forward(np.array([[1.0, 1.0]]))
    assert np.all(np.isfinite(out)) and out[0, 0] == 0.0


@pytest.mark.parametrize("make", [lambda: Rescaling(0.5, 1.0), lambda: Rescaling([1.0, 2.0, 3.0]),
                                  lambda: Normalization(mean=[1.0, 2.0, 3.0],
                                                        variance=[4.0, 0.25, 1.0]),
                                  lambda: Normalization(mean=1.0, variance=4.0, invert=True)])
def test_gradient_check(make, float64):
    rng = np.random.default_rng(1)
    model = Sequential([make(), layers.Dense(2)])
    report = check_gradients(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


@pytest.mark.parametrize("make, error, message", [
    (lambda: Rescaling("a"), ValueError, r"`scale` must be a finite number or a list of them\. "
                                         r"Received: scale='a'"),
    (lambda: Rescaling(1.0, offset=float("inf")), ValueError, r"`offset` must be a finite"),
    (lambda: Normalization(mean=1.0), ValueError, r"Pass both `mean` and `variance`, or neither"),
    (lambda: Normalization(axis="x"), ValueError, r"`axis` must be an integer, a list of "
                                                  r"integers or None\. Received: axis='x'"),
    (lambda: Normalization(mean=0.0, variance=-1.0), ValueError, r"`variance` must be >= 0"),
    (lambda: Normalization(axis=0).build((None, 3)), ValueError,
     r"`axis` of layer .* must name feature axes, in \[1, 1\]"),
    (lambda: Normalization(axis=5).build((None, 3)), ValueError, r"must name feature axes"),
    (lambda: Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0]).build((None, 3)), ValueError,
     r"cannot be broadcast to the statistics' shape \(3,\)"),
    (lambda: Normalization(mean=1.0, variance=1.0).adapt(np.ones((2, 2))), ValueError,
     r"was given `mean` and `variance`; adapt would replace them"),
    (lambda: Normalization().adapt(np.array([[1.0, np.nan]])), ValueError,
     r"`data` must be a non-empty array of finite numbers"),
    (lambda: Normalization().adapt([["a"]]), TypeError, r"`data` must be an array of numbers"),
])
def test_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_adapt_checks_the_built_shape():
    layer = Normalization()
    layer.adapt(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"has the wrong shape: expected \(batch, 2\)"):
        layer.adapt(np.ones((3, 4)))
