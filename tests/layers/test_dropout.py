"""Tests of kerasite/layers/dropout.py: inverted dropout, its masks and their seeds."""

import json

import numpy as np
import pytest

from kerasite import layers, utils
from kerasite.layers import Dropout


def test_inference_is_the_identity():
    x = np.arange(6.0).reshape(2, 3)
    layer = Dropout(0.5, seed=0)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    g = np.full((2, 3), 7.0)
    np.testing.assert_array_equal(layer.backward(g), g)


@pytest.mark.parametrize("rate, scale", [(0.5, 2.0), (0.75, 4.0), (0.2, 1.25)])
def test_kept_values_are_scaled_by_one_over_one_minus_rate(rate, scale):
    x = np.full((20, 50), 3.0)
    out = Dropout(rate, seed=1).forward(x, training=True)
    kept = out != 0
    assert 0 < kept.sum() < out.size
    np.testing.assert_allclose(out[kept], 3.0 * scale)


def test_backward_applies_the_same_mask():
    layer = Dropout(0.5, seed=2)
    out = layer.forward(np.ones((4, 6)), training=True).copy()  # 0 or 2, the scaled mask
    dx = layer.backward(np.full((4, 6), 3.0))
    np.testing.assert_allclose(dx, 3.0 * out)
    assert layer.backward(np.ones((4, 6)), need_input_grad=False) is None


def test_the_dropped_fraction_is_close_to_the_rate():
    out = Dropout(0.3, seed=3).forward(np.ones((100, 100)), training=True)
    assert abs(np.mean(out == 0) - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.03  # the expected output equals the input


def test_rate_zero_keeps_everything_while_training():
    x = np.arange(6.0).reshape(2, 3)
    layer = Dropout(0.0, seed=0)
    np.testing.assert_array_equal(layer.forward(x, training=True), x)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_dtype_is_kept():
    for dtype in ("float32", "float64"):
        layer = Dropout(0.5, seed=0)
        x = np.ones((3, 4), dtype=dtype)
        assert layer.forward(x, training=True).dtype == dtype
        assert layer.backward(x).dtype == dtype


def test_shape_is_kept():
    layer = Dropout(0.5, seed=0)
    assert layer.forward(np.ones((2, 3, 4)), training=True).shape == (2, 3, 4)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


# -------------------------------------------------------------------------- seeds
def _mask(layer, shape=(8, 8)):
    return layer.forward(np.ones(shape), training=True).copy()


def test_same_seed_same_masks_and_different_seeds_differ():
    a, b, c = Dropout(0.5, seed=7), Dropout(0.5, seed=7), Dropout(0.5, seed=8)
    first_a, first_b, first_c = _mask(a), _mask(b), _mask(c)
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, first_c)
    # Successive batches draw new masks, identically for equal seeds.
    second_a, second_b = _mask(a), _mask(b)
    np.testing.assert_array_equal(second_a, second_b)
    assert not np.array_equal(first_a, second_a)


def test_set_epoch_restarts_the_mask_sequence():
    layer = Dropout(0.5, seed=7)
    epoch0 = [_mask(layer), _mask(layer)]
    layer.set_epoch(1)
    epoch1 = _mask(layer)
    layer.set_epoch(0)
    np.testing.assert_array_equal(_mask(layer), epoch0[0])
    np.testing.assert_array_equal(_mask(layer), epoch0[1])
    assert not np.array_equal(epoch1, epoch0[0])


def test_unseeded_layers_follow_set_random_seed():
    utils.set_random_seed(11)
    a = Dropout(0.5)
    utils.set_random_seed(11)
    b = Dropout(0.5)
    utils.set_random_seed(12)
    c = Dropout(0.5)
    assert a.seed == b.seed != c.seed
    np.testing.assert_array_equal(_mask(a), _mask(b))
    assert not np.array_equal(_mask(a), _mask(c))


# ------------------------------------------------------------------------- config
def test_config_round_trip_keeps_the_seed():
    layer = Dropout(0.25, seed=5, name="drop")
    cfg = layer.get_config()
    json.dumps(cfg)
    assert cfg["rate"] == 0.25 and cfg["seed"] == 5 and cfg["name"] == "drop"
    again = layers.deserialize(layers.serialize(layer))
    assert again.get_config() == cfg
    np.testing.assert_array_equal(_mask(again), _mask(Dropout(0.25, seed=5)))


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None, True])
def test_rate_must_be_in_zero_one(rate):
    with pytest.raises(ValueError, match=r"`rate` must be a number in \[0, 1\]\. Received: rate="):
        Dropout(rate)


def test_rate_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: rate=1\.25\."):
        Dropout(rate=1.25)


def test_seed_must_be_a_non_negative_integer():
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer\. "
                                         r"Received: seed=-1\."):
        Dropout(0.5, seed=-1)
    with pytest.raises(TypeError, match=r"`seed` must be a non-negative integer\. "
                                        r"Received: seed=1\.5"):
        Dropout(0.5, seed=1.5)
