"""Tests of kerasite/layers/pooling.py: windowed and global max and average pooling."""

import json

import numpy as np
import pytest

import kerasite
from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)

# Every test runs with the NumPy kernels and again with numba's twins (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("both_kernels")

TOL = 1e-6

# x[0, :, :, 0] of the Keras query: (arange(25) % 11) - 5, as a 5x5 image.
X5 = ((np.arange(25) % 11) - 5).reshape(1, 5, 5, 1).astype("float32")


def naive_pool(x, pool, strides, reduce):
    """Valid pooling by a loop over output pixels."""
    (ph, pw), (sh, sw) = pool, strides
    ho, wo = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((len(x), ho, wo, x.shape[3]))
    for r in range(ho):
        for c in range(wo):
            out[:, r, c] = reduce(x[:, r * sh:r * sh + ph, c * sw:c * sw + pw], axis=(1, 2))
    return out


# ------------------------------------------------------------------ forward values
def test_max_pooling_by_hand():
    x = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [7, 0, 1, 2]],
                 dtype="float32").reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(MaxPooling2D().forward(x)[0, :, :, 0], [[5, 8], [7, 2]])
    np.testing.assert_array_equal(AveragePooling2D(2).forward(x)[0, :, :, 0],
                                  [[13 / 4, 11 / 4], [7 / 4, 5 / 4]])


@pytest.mark.parametrize("pool, strides", [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((3, 2), (2, 3)),
                                           ((2, 2), (3, 3)), ((1, 3), (1, 1))])
def test_valid_pooling_matches_a_naive_loop(pool, strides, float64):
    x = np.random.default_rng(0).normal(size=(2, 7, 8, 3))
    np.testing.assert_allclose(MaxPooling2D(pool, strides).forward(x),
                               naive_pool(x, pool, strides, np.max))
    np.testing.assert_allclose(AveragePooling2D(pool, strides).forward(x),
                               naive_pool(x, pool, strides, np.mean))


# From Keras 3.15.1 (JAX backend) on X5: "same" padding never counts the padded cells.
@pytest.mark.parametrize("layer, expected", [
    (MaxPooling2D(3, 2, "same"), [[1, 3, 4], [5, 3, 4], [5, 5, 3]]),
    (AveragePooling2D(3, 2, "same"), [[-2.0, -0.5, 1.0], [0.0, -1 / 3, 7 / 6],
                                      [2.0, -1 / 6, -0.5]]),
    (AveragePooling2D(2, None, "same"), [[-2.0, 0.0, 1.5], [-0.25, -1.0, 0.5],
                                         [4.5, -4.5, -3.0]]),
])
def test_same_padding_matches_keras(layer, expected):
    np.testing.assert_allclose(layer.forward(X5)[0, :, :, 0], expected, rtol=1e-6)


def test_max_pooling_same_ignores_padding_even_when_all_values_are_negative():
    x = -np.ones((1, 3, 3, 1), dtype="float32")
    np.testing.assert_array_equal(MaxPooling2D(2, padding="same").forward(x), -np.ones((1, 2, 2, 1)))


def test_global_pooling_by_hand():
    x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)  # channel 0: 0 2 4 6, channel 1: 1 3 5 7
    np.testing.assert_array_equal(GlobalAveragePooling2D().forward(x), [[3, 4]])
    np.testing.assert_array_equal(GlobalMaxPooling2D().forward(x), [[6, 7]])
    assert GlobalMaxPooling2D(keepdims=True).forward(x).shape == (1, 1, 1, 2)
    assert GlobalAveragePooling2D(keepdims=True).compute_output_shape((None, 5, 5, 3)) == \
        (None, 1, 1, 3)


def test_max_pooling_sends_the_gradient_to_the_first_maximum_only():
    x = np.array([[2, 2], [1, 2]], dtype="float32").reshape(1, 2, 2, 1)
    for layer in (MaxPooling2D(), GlobalMaxPooling2D()):
        layer.forward(x, training=True)
        dx = layer.backward(np.array(3.0, dtype="float32").reshape(layer.forward(x).shape))
        np.testing.assert_array_equal(dx[0, :, :, 0], [[3, 0], [0, 0]])


@pytest.mark.parametrize("layer, shape, expected", [
    (MaxPooling2D(), (None, 7, 6, 3), (None, 3, 3, 3)),
    (MaxPooling2D(padding="same"), (None, 7, 6, 3), (None, 4, 3, 3)),
    (AveragePooling2D(3, 1), (None, 7, 6, 3), (None, 5, 4, 3)),
    (AveragePooling2D((2, 3), (3, 2), "same"), (None, 7, 6, 3), (None, 3, 3, 3)),
    (GlobalAveragePooling2D(), (None, 7, 6, 3), (None, 3)),
    (GlobalMaxPooling2D(), (None, 7, 6, 3), (None, 3)),
])
def test_compute_output_shape_matches_forward(layer, shape, expected):
    assert layer.compute_output_shape(shape) == expected
    assert layer.forward(np.zeros((2, *shape[1:]), dtype="float32")).shape == (2, *expected[1:])


# ------------------------------------------------------------------ gradients
CASES = {
    "2x2": (lambda cls: cls(2), (2, 6, 6, 2)),
    "odd_size": (lambda cls: cls(2), (2, 5, 7, 2)),
    "same_odd": (lambda cls: cls(2, padding="same"), (2, 5, 7, 2)),
    "overlapping": (lambda cls: cls(3, 1), (2, 5, 5, 2)),
    "overlapping_same": (lambda cls: cls(3, 2, "same"), (2, 6, 5, 2)),
    "non_square": (lambda cls: cls((2, 3), (1, 2)), (2, 5, 7, 2)),
    "stride_larger_than_pool": (lambda cls: cls(2, 3), (2, 8, 7, 2)),
    "stride_larger_than_pool_same": (lambda cls: cls((1, 2), 3, "same"), (2, 8, 7, 2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_pooling_gradients(cls, case, float64):
    make, shape = CASES[case]
    layer = make(cls)
    rng = np.random.default_rng(1)
    # Distinct values far apart: no tie within reach of the finite differences.
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1
    y = rng.normal(size=layer.compute_output_shape(shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


@pytest.mark.parametrize("layer", [GlobalAveragePooling2D(), GlobalMaxPooling2D(),
                                   GlobalAveragePooling2D(keepdims=True),
                                   GlobalMaxPooling2D(keepdims=True)])
def test_global_pooling_gradients(layer, float64):
    rng = np.random.default_rng(2)
    x = rng.permutation(2 * 3 * 5 * 2).reshape(2, 3, 5, 2) * 0.1
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


# ------------------------------------------------------------------ models, config
def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((12, 9, 9, 2), dtype=np.float32)
    model = Sequential([kerasite.Input((9, 9, 2)), MaxPooling2D(3, 2, "same"),
                        AveragePooling2D(2, 1), GlobalMaxPooling2D(keepdims=True),
                        GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, rng.random((12, 2), dtype=np.float32), epochs=1, verbose=0)
    model.save(tmp_path / "m.kerasite")
    loaded = kerasite.models.load_model(tmp_path / "m.kerasite")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("layer", [MaxPooling2D((3, 2), (1, 2), "same"), AveragePooling2D(2),
                                   GlobalMaxPooling2D(keepdims=True), GlobalAveragePooling2D()])
def test_config_round_trip(layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()


def test_strides_default_to_the_pool_size():
    assert MaxPooling2D((3, 2)).strides == (3, 2)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("layer", [MaxPooling2D(), AveragePooling2D(2), GlobalMaxPooling2D(),
                                   GlobalAveragePooling2D()])
def test_wrong_rank_is_a_clear_error(layer):
    with pytest.raises(ValueError, match=r"expects inputs of rank 4, \(batch, height, width, "
                                         r"channels\)\. Received an input of shape \(4, 10\)"):
        layer.forward(np.zeros((4, 10), dtype="float32"))


def test_pool_larger_than_the_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"pool_size=\(3, 3\) is larger than the input \(2, 5\)"):
        MaxPooling2D(3).forward(np.zeros((1, 2, 5, 1), dtype="float32"))
    assert MaxPooling2D(3, padding="same").forward(np.zeros((1, 2, 5, 1))).shape == (1, 1, 2, 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "causal"}, r'`padding` must be "valid" or "same"\. Received: padding=\'causal\''),
    ({"pool_size": 0}, r"`pool_size` must be a positive integer .* Received: pool_size=0"),
    ({"strides": (2, -1)}, r"`strides` must be .* Received: strides=\(2, -1\)"),
])
@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_invalid_arguments_are_clear_errors(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**{"pool_size": 2, **kwargs})
