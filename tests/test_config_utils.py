"""Tests of kerasite/config.py and kerasite/utils.py: the float type and the seeds."""

import numpy as np
import pytest

from kerasite import Sequential, config, layers, utils


# -------------------------------------------------------------------- floatx
def test_floatx_defaults_to_float32():
    assert config.floatx() == "float32"


def test_set_floatx_changes_the_dtype_of_new_weights():
    config.set_floatx("float64")
    assert config.floatx() == "float64"
    layer = layers.Dense(2)
    layer.ensure_built((None, 3))
    assert layer.W.dtype == np.float64
    config.set_floatx("float32")
    layer = layers.Dense(2)
    layer.ensure_built((None, 3))
    assert layer.W.dtype == np.float32


@pytest.mark.parametrize("value", [np.float64, np.dtype("float64"), "f8"])
def test_set_floatx_accepts_numpy_dtypes(value):
    config.set_floatx(value)
    assert config.floatx() == "float64"


@pytest.mark.parametrize("value", ["float16", "int32", "double precision", None, np.float16, 64])
def test_set_floatx_rejects_other_types(value):
    with pytest.raises(ValueError, match=r"`floatx` must be one of \('float32', 'float64'\)\. "
                                         r"Received: value="):
        config.set_floatx(value)
    assert config.floatx() == "float32"  # unchanged


def test_set_floatx_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: value='float16'\. Use 'float32' for speed"):
        config.set_floatx("float16")


def test_epsilon_is_keras_fuzz_factor():
    assert config.epsilon() == 1e-7


# --------------------------------------------------------------------- seeds
def _fresh_model():
    model = Sequential([layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                        layers.Dense(2)])
    model.build((None, 3))
    return model


def _weights_and_masks(seed):
    utils.set_random_seed(seed)
    model = _fresh_model()
    out = model.forward(np.ones((6, 3), dtype="float32"), training=True).copy()
    return model.get_weights(), model.layers[1].seed, out


def test_same_seed_same_weights_and_dropout_masks():
    w1, seed1, out1 = _weights_and_masks(3)
    w2, seed2, out2 = _weights_and_masks(3)
    assert seed1 == seed2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(out1, out2)


def test_different_seeds_differ():
    w1, seed1, out1 = _weights_and_masks(3)
    w2, seed2, out2 = _weights_and_masks(4)
    assert seed1 != seed2
    assert not np.array_equal(w1[0], w2[0])
    assert not np.array_equal(out1, out2)


def test_get_rng_and_draw_seed_follow_the_seed():
    utils.set_random_seed(0)
    a = (utils.get_rng().integers(1000), utils.draw_seed())
    utils.set_random_seed(0)
    b = (utils.get_rng().integers(1000), utils.draw_seed())
    assert a == b
    assert 0 <= a[1] < 2**31 - 1 and isinstance(a[1], int)


def test_epoch_rng_depends_only_on_seed_and_epoch():
    a = utils.epoch_rng(5, 2).random(4)
    utils.set_random_seed(99)  # the global generator plays no part
    np.testing.assert_array_equal(utils.epoch_rng(5, 2).random(4), a)
    assert not np.array_equal(utils.epoch_rng(5, 3).random(4), a)
    assert not np.array_equal(utils.epoch_rng(6, 2).random(4), a)


@pytest.mark.parametrize("seed", [0, 7, np.int64(7), 2**40])
def test_valid_seeds(seed):
    utils.set_random_seed(seed)
    assert utils.check_seed(seed) == int(seed) and type(utils.check_seed(seed)) is int


def test_negative_seed():
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer\. "
                                         r"Received: seed=-1\."):
        utils.set_random_seed(-1)


@pytest.mark.parametrize("seed, shown", [("a", r"'a' of type str"), (1.5, r"1\.5 of type float"),
                                         (True, r"True of type bool"), (None, r"None")])
def test_non_integer_seed(seed, shown):
    with pytest.raises(TypeError, match=rf"`seed` must be a non-negative integer\. "
                                        rf"Received: seed={shown}"):
        utils.set_random_seed(seed)


def test_check_seed_names_the_argument():
    with pytest.raises(ValueError, match=r"`shuffle_seed` must be a non-negative integer\. "
                                         r"Received: shuffle_seed=-3\."):
        utils.check_seed(-3, "shuffle_seed")


# ---------------------------------------------------------- the test fixture
def test_fixture_part_1_changes_the_globals():
    config.set_floatx("float64")
    utils.set_random_seed(1)


def test_fixture_part_2_sees_them_restored():
    assert config.floatx() == "float32"
    first = utils.get_rng().integers(10**9)
    utils.set_random_seed(1234)  # the seed conftest.py sets
    assert utils.get_rng().integers(10**9) == first


# ------------------------------------------------------------ to_categorical
def test_to_categorical_one_hot_encodes_as_keras():
    # keras.utils.to_categorical([0, 2, 1]) and ([[1], [0]], 3), hand-checked.
    np.testing.assert_array_equal(utils.to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    out = utils.to_categorical(np.array([[1], [0]]), num_classes=3)
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0]])  # trailing axis of 1 dropped
    assert out.dtype == np.dtype(config.floatx())
    grid = utils.to_categorical(np.array([[0, 1], [1, 3]]), num_classes=4)
    assert grid.shape == (2, 2, 4) and grid[1, 1, 3] == 1 and grid.sum() == 4
    np.testing.assert_array_equal(utils.to_categorical(np.array([2.0, 0.0])),
                                  [[0, 0, 1], [1, 0, 0]])  # whole-number floats are labels
    assert utils.to_categorical(np.array([], dtype=int), num_classes=2).shape == (0, 2)
    assert utils.to_categorical(np.uint8([1]), num_classes=np.int64(2)).shape == (1, 2)


@pytest.mark.parametrize("y, num_classes, error, message", [
    ([0, 3], 3, ValueError, r"holds the label 3, but num_classes=3 allows labels 0 to 2"),
    ([0, -1], None, ValueError, r"class indices >= 0\. Received a value -1"),
    ([0.5, 1.0], None, ValueError, r"whole-number class indices\. Received a value 0\.5"),
    (["cat", "dog"], None, TypeError, r"integer class indices .* dtype <U3"),
    ([0, 1], 0, ValueError, r"`num_classes` must be a positive integer or None\. Received: "
                            r"num_classes=0"),
    ([0, 1], 2.0, TypeError, r"`num_classes` must be a positive integer or None"),
    ([], None, ValueError, r"`y` is empty, so the number of classes is unknown"),
])
def test_to_categorical_errors(y, num_classes, error, message):
    with pytest.raises(error, match=message):
        utils.to_categorical(y, num_classes)


# ----------------------------------------------------------------- normalize
def test_normalize_as_keras():
    # keras.utils.normalize: x / ||x|| along axis; a zero row stays zero.
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(utils.normalize(x),
                               [[0.6, 0.8], [0, 0], [2 ** -0.5, -(2 ** -0.5)]], rtol=1e-15)
    columns = [[3 / 10 ** 0.5, 4 / 17 ** 0.5], [0, 0], [1 / 10 ** 0.5, -1 / 17 ** 0.5]]
    np.testing.assert_allclose(utils.normalize(x, axis=0), columns, rtol=1e-15)
    np.testing.assert_allclose(utils.normalize([[1, 3]], order=1), [[0.25, 0.75]])
    assert utils.normalize([[1, 3]]).dtype == np.dtype(config.floatx())
    assert utils.normalize(np.ones((2, 2), np.float64)).dtype == np.float64


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"`axis` must be an integer in \[-2, 2\) for an array "
                                         r"of shape \(1, 2\)\. Received: axis=2"):
        utils.normalize([[1.0, 2.0]], axis=2)
    with pytest.raises(ValueError, match=r"`order` must be a number .* Received: order='l2'"):
        utils.normalize([[1.0, 2.0]], order="l2")
    with pytest.raises(TypeError, match="`x` must be a numeric array"):
        utils.normalize([["a"]])


# ------------------------------------------------- kerasite.datasets, lazily
def test_import_kerasite_does_not_load_datasets_but_reaches_them():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys, kerasite\n"
            "print('kerasite.datasets' in sys.modules)\n"
            "print(callable(kerasite.datasets.fashion_mnist.load_data))\n"
            "print('datasets' in dir(kerasite))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True).stdout.split()
    assert out == ["False", "True", "True"]


def test_an_unknown_attribute_of_kerasite_is_an_attribute_error():
    import kerasite

    with pytest.raises(AttributeError, match="module 'kerasite' has no attribute 'dataset'"):
        kerasite.dataset  # noqa: B018
