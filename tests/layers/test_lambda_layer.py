"""Tests of kerasite/layers/lambda_layer.py: Lambda with and without a derivative."""

import numpy as np
import pytest

from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Lambda

TOL = 1e-6


def _cube():
    return Lambda(lambda x: x ** 3, gradient=lambda x, g: 3 * x ** 2 * g)


def test_forward_and_backward_by_hand():
    layer = _cube()
    np.testing.assert_array_equal(layer.forward(np.array([[2.0, -1.0]]), training=True),
                                  [[8.0, -1.0]])
    np.testing.assert_array_equal(layer.backward(np.array([[1.0, 2.0]])), [[12.0, 6.0]])


def test_gradient_check(float64):
    rng = np.random.default_rng(0)
    model = Sequential([layers.Dense(3, input_shape=(2,)), _cube(), layers.Dense(1)])
    report = check_gradients(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_output_shape_is_inferred_or_given():
    halve = Lambda(lambda x: x[:, ::2])
    assert halve.compute_output_shape((None, 6)) == (None, 3)
    assert Lambda(lambda x: x, output_shape=(4,)).compute_output_shape((None, 4)) == (None, 4)


def test_without_gradient_it_runs_forward_and_as_preprocessing():
    # The first layer: nobody needs its input gradient, so training works.
    model = Sequential([Lambda(lambda x: x * 2.0, input_shape=(2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    assert model.predict(np.ones((1, 2))).shape == (1, 1)


def test_without_gradient_training_through_it_explains_why():
    model = Sequential([layers.Dense(2, input_shape=(2,)), Lambda(np.sin), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"\(Lambda\) has no `gradient`, and training needs its "
                                         r"derivative: kerasite back-propagates with explicit "
                                         r"derivatives"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)


def test_a_gradient_of_the_wrong_shape_is_reported():
    layer = Lambda(lambda x: x, gradient=lambda x, g: g.sum(axis=1))
    layer.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"returned shape \(2,\); it must return d loss / d x, "
                                         r"shaped like the input \(2, 3\)"):
        layer.backward(np.ones((2, 3)))


def test_cannot_be_saved(tmp_path):
    model = Sequential([Lambda(lambda x: x, input_shape=(2,)), layers.Dense(1)])
    with pytest.raises(TypeError, match=r"\(Lambda\) cannot be saved: it holds Python code, and "
                                        r"kerasite never stores or loads code"):
        model.save(tmp_path / "m.kerasite")
    assert "Lambda" not in layers._REGISTRY


@pytest.mark.parametrize("kwargs, message", [
    ({"function": 3}, r"`function` must be callable"),
    ({"function": abs, "gradient": "d/dx"}, r"`gradient` must be callable, "
                                            r"gradient\(x, grad_output\) -> grad_input, or None"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(TypeError, match=message):
        Lambda(**kwargs)
