"""Tests of kerasite/layers/reordering.py: RepeatVector and Permute."""

import numpy as np
import pytest

from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Permute, RepeatVector

TOL = 1e-6


def test_repeat_vector_by_hand():
    layer = RepeatVector(3)
    out = layer.forward(np.array([[1.0, 2.0]]), training=True)
    np.testing.assert_array_equal(out, [[[1, 2], [1, 2], [1, 2]]])
    g = np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]])
    np.testing.assert_array_equal(layer.backward(g), [[6.0, 60.0]])  # summed over the copies
    assert layer.compute_output_shape((None, 2)) == (None, 3, 2)


def test_permute_by_hand():
    layer = Permute((2, 1))
    x = np.arange(6.0).reshape(1, 2, 3)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[0], [[0, 3], [1, 4], [2, 5]])
    np.testing.assert_array_equal(layer.backward(out), x)
    assert layer.compute_output_shape((None, 2, 3)) == (None, 3, 2)
    assert Permute((3, 1, 2)).compute_output_shape((8, 2, 3, 4)) == (8, 4, 2, 3)


@pytest.mark.parametrize("make, shape", [(lambda: RepeatVector(2), (3, 4)),
                                         (lambda: Permute((2, 1)), (3, 4, 2)),
                                         (lambda: Permute((3, 1, 2)), (2, 2, 3, 4))])
def test_gradient_check(make, shape, float64):
    rng = np.random.default_rng(0)
    model = Sequential([make(), layers.Flatten(), layers.Dense(2)])
    report = check_gradients(model, rng.normal(size=shape), rng.normal(size=(shape[0], 2)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


@pytest.mark.parametrize("make, message", [
    (lambda: RepeatVector(0), r"`n` must be a positive integer\. Received: n=0"),
    (lambda: RepeatVector(2).build((None, 3, 4)), r"takes inputs \(batch, features\)\. Received "
                                                  r"inputs of shape \(None, 3, 4\)"),
    (lambda: Permute((1, 1)), r"`dims` must be a permutation of 1, \.\.\., k"),
    (lambda: Permute((0, 1)), r"\(axis 0, the batch, is not included\)"),
    (lambda: Permute(2), r"Received: dims=None"),
    (lambda: Permute((2, 1)).build((None, 3)), r"has dims=\(2, 1\) for 2 feature axes, but its "
                                               r"inputs \(None, 3\) have 1"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
