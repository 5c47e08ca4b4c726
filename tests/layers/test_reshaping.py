"""Tests of kerasite/layers/reshaping.py: Flatten, Reshape, UpSampling2D, ZeroPadding2D, Cropping2D."""

import json

import numpy as np
import pytest

from kerasite import layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Cropping2D, Flatten, Reshape, UpSampling2D, ZeroPadding2D


# ------------------------------------------------------------------------ Flatten
def test_flatten_keeps_the_batch_axis_and_row_major_order():
    x = np.arange(24.0).reshape(2, 3, 4)
    out = Flatten().forward(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[1], np.arange(12.0, 24.0))


def test_flatten_backward_restores_the_input_shape():
    layer = Flatten()
    layer.forward(np.zeros((2, 3, 4)), training=True)
    g = np.arange(24.0).reshape(2, 12)
    dx = layer.backward(g)
    assert dx.shape == (2, 3, 4)
    np.testing.assert_array_equal(dx, np.arange(24.0).reshape(2, 3, 4))
    assert layer.backward(g, need_input_grad=False) is None


def test_flatten_shapes():
    layer = Flatten()
    assert layer.compute_output_shape((None, 28, 28)) == (None, 784)
    assert layer.compute_output_shape((None, 5)) == (None, 5)
    assert layer.forward(np.zeros((3, 5))).shape == (3, 5)
    assert layer.count_params() == 0


# ------------------------------------------------------------------------ Reshape
def test_reshape_to_a_fixed_shape():
    x = np.arange(24.0).reshape(2, 12)
    out = Reshape((3, 4)).forward(x)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out[1, 2], [20.0, 21.0, 22.0, 23.0])


def test_reshape_infers_the_minus_one():
    layer = Reshape((-1, 2))
    assert layer.forward(np.zeros((2, 6))).shape == (2, 3, 2)
    assert layer.compute_output_shape((None, 6)) == (None, 3, 2)
    assert layer.get_config()["target_shape"] == [-1, 2]


def test_reshape_backward_restores_the_input_shape():
    layer = Reshape((3, 4))
    layer.forward(np.zeros((2, 12)), training=True)
    dx = layer.backward(np.arange(24.0).reshape(2, 3, 4))
    assert dx.shape == (2, 12)
    np.testing.assert_array_equal(dx, np.arange(24.0).reshape(2, 12))
    assert layer.backward(np.zeros((2, 3, 4)), need_input_grad=False) is None


def test_reshape_accepts_lists_and_numpy_integers():
    assert Reshape([2, np.int64(3)]).target_shape == (2, 3)


def test_one_row_at_a_time_equals_the_whole_batch():
    x = np.random.default_rng(0).normal(size=(4, 2, 3))
    for layer in (Flatten(), Reshape((3, 2))):
        batch = layer.forward(x).copy()
        rows = np.concatenate([layer.forward(x[i:i + 1]) for i in range(len(x))])
        np.testing.assert_array_equal(rows, batch)


# ------------------------------------------------------------------------- config
@pytest.mark.parametrize("layer", [Flatten(), Reshape((3, 4)), Reshape((-1, 2), name="r")],
                         ids=["flatten", "reshape", "reshape_inferred"])
def test_config_round_trip(layer):
    cfg = layer.get_config()
    json.dumps(cfg)
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    assert layers.deserialize(layers.serialize(layer)).get_config() == cfg
    if isinstance(layer, Reshape):
        assert again.target_shape == layer.target_shape


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize("target", [(0, 3), (-1, -1), (2, -2), (), (2.5,), ("3",), (True,),
                                    5, None, "ab"])
def test_reshape_rejects_a_bad_target_shape(target):
    with pytest.raises(ValueError, match=r"`target_shape` must be a tuple of positive integers, "
                                         r"with at most one -1\. Received: target_shape="):
        Reshape(target)


def test_reshape_bad_target_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: target_shape=\(0, 3\)\."):
        Reshape((0, 3))


def test_reshape_size_mismatch():
    layer = Reshape((5,), name="to_five")
    with pytest.raises(ValueError, match=r"Layer 'to_five' cannot reshape inputs of shape "
                                         r"\(batch, 2, 3\) to target_shape=\(5,\): the number "
                                         r"of values differs"):
        layer.forward(np.zeros((4, 2, 3)))


def test_reshape_size_mismatch_with_an_inferred_axis():
    with pytest.raises(ValueError, match=r"cannot reshape inputs of shape \(batch, 6\) to "
                                         r"target_shape=\(-1, 4\)"):
        Reshape((-1, 4)).forward(np.zeros((2, 6)))


def test_reshape_size_mismatch_in_compute_output_shape():
    with pytest.raises(ValueError, match=r"cannot reshape inputs of shape \(batch, 7\)"):
        Reshape((2, 3)).compute_output_shape((None, 7))


# ------------------------------------------------------------------ 2D resizers
def test_upsampling_repeats_each_pixel():
    x = np.array([[1, 2], [3, 4]], dtype="float32").reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(UpSampling2D((1, 2)).forward(x)[0, :, :, 0],
                                  [[1, 1, 2, 2], [3, 3, 4, 4]])
    np.testing.assert_array_equal(UpSampling2D(2).forward(x)[0, :, :, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_upsampling_backward_sums_the_copies():
    layer = UpSampling2D(2)
    layer.forward(np.zeros((1, 1, 2, 1)), training=True)
    g = np.arange(8.0).reshape(1, 2, 4, 1)  # [[0 1 2 3] [4 5 6 7]]
    np.testing.assert_array_equal(layer.backward(g)[0, :, :, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7]])


def test_zero_padding_and_cropping_by_hand():
    x = np.arange(1.0, 5.0).reshape(1, 2, 2, 1)
    padded = ZeroPadding2D(((1, 0), (0, 2))).forward(x)[0, :, :, 0]
    np.testing.assert_array_equal(padded, [[0, 0, 0, 0], [1, 2, 0, 0], [3, 4, 0, 0]])
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(Cropping2D(1).forward(x)[0, :, :, 0], [[5, 6], [9, 10]])
    np.testing.assert_array_equal(Cropping2D((0, 1)).forward(x)[0, :, :, 0],
                                  x[0, :, 1:3, 0])


@pytest.mark.parametrize("value, expected", [
    (2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))), (((1, 0), (0, 2)), ((1, 0), (0, 2))),
])
def test_padding_and_cropping_forms(value, expected):
    assert ZeroPadding2D(value).padding == expected
    assert Cropping2D(value).cropping == expected


@pytest.mark.parametrize("layer, shape, expected", [
    (UpSampling2D((2, 3)), (None, 3, 4, 2), (None, 6, 12, 2)),
    (ZeroPadding2D(((1, 0), (2, 3))), (None, 3, 4, 2), (None, 4, 9, 2)),
    (Cropping2D(((1, 0), (2, 1))), (None, 3, 4, 2), (None, 2, 1, 2)),
])
def test_resizer_shapes(layer, shape, expected):
    assert layer.compute_output_shape(shape) == expected
    assert layer.forward(np.zeros((2, *shape[1:]))).shape == (2, *expected[1:])


@pytest.mark.parametrize("layer", [UpSampling2D((2, 3)), ZeroPadding2D(((1, 0), (2, 1))),
                                   Cropping2D(((1, 0), (0, 2)))])
def test_resizer_gradients(layer, float64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 2))
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < 1e-6, report


@pytest.mark.parametrize("layer", [UpSampling2D((1, 2)), ZeroPadding2D(((1, 2), (0, 1))),
                                   Cropping2D(((0, 1), (2, 0)))])
def test_resizer_config_round_trip(layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("layer", [UpSampling2D(), ZeroPadding2D(), Cropping2D()])
def test_resizers_reject_a_wrong_rank(layer):
    with pytest.raises(ValueError, match=r"expects inputs of rank 4.*Received an input of shape "
                                         r"\(2, 3, 4\)"):
        layer.forward(np.zeros((2, 3, 4)))


def test_resizer_argument_errors():
    with pytest.raises(ValueError, match=r"`padding` must be a non-negative integer, a tuple of 2"
                                         r".* Received: padding=-1"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"`cropping` must be .* Received: cropping=\(1, 2, 3\)"):
        Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"`size` must be a positive integer .* Received: size=0"):
        UpSampling2D(0)
    with pytest.raises(ValueError, match=r'`interpolation` must be "nearest" or "bilinear"'):
        UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match=r"cropping=\(\(2, 2\), \(0, 0\)\) removes all of an "
                                         r"input of size \(4, 4\)"):
        Cropping2D(((2, 2), (0, 0))).forward(np.zeros((1, 4, 4, 1)))
