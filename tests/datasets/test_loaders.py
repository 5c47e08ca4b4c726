"""Tests for the dataset modules (mnist, fashion_mnist, digits) and kerasite.datasets helpers."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasite import datasets
from kerasite.datasets import _files, check_disjoint, digits, fashion_mnist, mnist

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


# ------------------------------------------------------------ real Fashion-MNIST


@pytest.fixture(scope="module")
def real_fashion():
    if not os.path.isdir(FASHION_DIR):
        pytest.skip(
            f"Fashion-MNIST is not installed in {FASHION_DIR} (apt install dataset-fashion-mnist)"
        )
    # An explicit path: this module-scoped fixture runs outside the per-test isolation.
    return fashion_mnist.load_data(path=FASHION_DIR)


@pytest.mark.slow
def test_real_fashion_mnist_shapes_and_dtypes(real_fashion):
    (x_train, y_train), (x_test, y_test) = real_fashion
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train.min() == 0 and y_train.max() == 9


def test_real_fashion_mnist_known_statistics(real_fashion):
    (x_train, y_train), (x_test, y_test) = real_fashion
    # Balanced classes, and the published mean pixel 0.2860 (of 1.0).
    np.testing.assert_array_equal(np.bincount(y_train), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(y_test), np.full(10, 1000))
    assert x_train.mean() / 255 == pytest.approx(0.2860, abs=5e-4)
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"


def test_real_fashion_mnist_found_in_system_dir(monkeypatch):
    if not os.path.isdir(FASHION_DIR):
        pytest.skip(f"Fashion-MNIST is not installed in {FASHION_DIR}")
    monkeypatch.setattr(_files, "SYSTEM_DIR", os.path.dirname(FASHION_DIR))
    paths, _ = _files.fetch("fashion_mnist", "Fashion-MNIST", [fashion_mnist.FILES], [])
    assert {os.path.dirname(p) for p in paths} == {FASHION_DIR}


# ------------------------------------------------------------------------ mnist


def write_npz(path, seed=0, **overrides):
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays, _files.RemoteFile("mnist.npz", hashlib.sha256(path.read_bytes()).hexdigest())


def test_mnist_from_npz_file_path(tmp_path, monkeypatch):
    arrays, spec = write_npz(tmp_path / "mnist.npz")
    monkeypatch.setattr(mnist, "NPZ", spec)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=tmp_path / "mnist.npz")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_mnist_npz_found_in_data_dir(tmp_path, monkeypatch):
    (tmp_path / "data" / "mnist").mkdir(parents=True)
    arrays, spec = write_npz(tmp_path / "data" / "mnist" / "mnist.npz", seed=4)
    monkeypatch.setattr(mnist, "NPZ", spec)
    monkeypatch.setenv("KERASITE_DATA_DIR", str(tmp_path / "data"))
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])


def test_mnist_npz_with_wrong_hash_refused(tmp_path):
    write_npz(tmp_path / "mnist.npz")
    with pytest.raises(ValueError, match=r"mnist\.npz failed its integrity check") as info:
        mnist.load_data(path=tmp_path / "mnist.npz")
    assert mnist.NPZ.sha256 in str(info.value)


def test_mnist_npz_pickles_are_never_loaded(tmp_path, monkeypatch):
    objects = np.empty(5, dtype=object)
    objects[:] = [None] * 5
    _, spec = write_npz(tmp_path / "mnist.npz", y_train=objects)
    monkeypatch.setattr(mnist, "NPZ", spec)
    with pytest.raises(ValueError, match=r"allow_pickle=False"):
        mnist.load_data(path=tmp_path / "mnist.npz")


def test_mnist_npz_missing_key(tmp_path, monkeypatch):
    _, spec = write_npz(tmp_path / "mnist.npz", y_test=None)
    monkeypatch.setattr(mnist, "NPZ", spec)
    with pytest.raises(ValueError, match=r"lacks the arrays \['y_test'\]"):
        mnist.load_data(path=tmp_path / "mnist.npz")


def test_mnist_path_to_other_file_refused(tmp_path):
    (tmp_path / "mnist.txt").write_text("x")
    with pytest.raises(
        NotADirectoryError, match=r"directory holding the MNIST files or the path of an"
    ):
        mnist.load_data(path=tmp_path / "mnist.txt")


def test_mnist_idx_files_with_wrong_image_size(tmp_path, monkeypatch, fakes):
    _, specs = fakes.write_dataset(tmp_path, image_shape=(8, 8))
    monkeypatch.setattr(mnist, "FILES", specs)
    with pytest.raises(
        ValueError, match=r"of shape \(n, 28, 28\), but holds uint8 of shape \(6, 8, 8\)"
    ):
        mnist.load_data(path=tmp_path)


def test_mnist_images_and_labels_must_agree(tmp_path, monkeypatch, fakes):
    _, specs = fakes.write_dataset(tmp_path, n_train=6)
    _, other = fakes.write_dataset(tmp_path / "other", n_train=7)
    os.replace(
        tmp_path / "other" / "train-labels-idx1-ubyte.gz", tmp_path / "train-labels-idx1-ubyte.gz"
    )
    monkeypatch.setattr(mnist, "FILES", [specs[0], other[1], specs[2], specs[3]])
    with pytest.raises(
        ValueError, match=r"has 6 images but .*train-labels-idx1-ubyte\.gz has 7 labels"
    ):
        mnist.load_data(path=tmp_path)


# ----------------------------------------------------------------------- digits


def test_digits_shapes_dtype_and_range():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and y_train.shape == (1438,)
    assert x_test.shape == (359, 8, 8) and y_test.shape == (359,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.min() == 0 and x_train.max() == 255


def test_digits_is_deterministic_stratified_and_disjoint():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    (x_train2, y_train2), (x_test2, y_test2) = digits.load_data()
    for a, b in ((x_train, x_train2), (y_train, y_train2), (x_test, x_test2), (y_test, y_test2)):
        np.testing.assert_array_equal(a, b)
    fraction = np.bincount(y_test) / (np.bincount(y_test) + np.bincount(y_train))
    np.testing.assert_allclose(fraction, 0.2, atol=0.01)
    assert check_disjoint(x_train, x_test).size == 0


@pytest.mark.slow
def test_digits_scaling_matches_scikit_learn():
    from sklearn.datasets import load_digits

    original = load_digits().images
    (x_train, _), (x_test, _) = digits.load_data()
    values = np.unique(np.concatenate([x_train.ravel(), x_test.ravel()]))
    np.testing.assert_array_equal(values, np.rint(np.unique(original) * 255 / 16))


def test_digits_refuses_path():
    with pytest.raises(ValueError, match=r"`path` is not used by digits\.load_data"):
        digits.load_data(path="/data")


# --------------------------------------------------------------- check_disjoint


def test_check_disjoint_finds_shared_images():
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (50, 4, 4), dtype=np.uint8)
    x_test = rng.integers(0, 256, (10, 4, 4), dtype=np.uint8)
    x_test[[2, 7]] = x_train[[30, 5]]
    shared = check_disjoint(x_train, x_test)
    np.testing.assert_array_equal(shared, [2, 7])
    assert np.issubdtype(shared.dtype, np.integer)


def test_check_disjoint_empty_when_disjoint():
    x = np.arange(24, dtype=np.uint8).reshape(6, 4)
    shared = check_disjoint(x[:3], x[3:])
    assert shared.shape == (0,) and np.issubdtype(shared.dtype, np.integer)


def test_check_disjoint_errors():
    with pytest.raises(
        ValueError,
        match=r"same shape\. Received: x_train of shape \(2, 4\) and x_test of shape \(2, 5\)",
    ):
        check_disjoint(np.zeros((2, 4)), np.zeros((2, 5)))
    with pytest.raises(TypeError, match=r"same dtype.*uint8 and float64.*astype"):
        check_disjoint(np.zeros((2, 4), np.uint8), np.zeros((2, 4)))


# ------------------------------------------------------------------------- get


def test_get_returns_modules():
    assert datasets.get("mnist") is mnist
    assert datasets.get("fashion_mnist") is fashion_mnist
    assert datasets.get("digits") is digits


def test_get_unknown_name_lists_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown dataset: name='cifar10'\. "
        r"Valid names: \['digits', 'fashion_mnist', 'mnist'\]",
    ):
        datasets.get("cifar10")
    with pytest.raises(TypeError, match=r"`name` must be a string"):
        datasets.get(3)


def test_import_stays_light():
    code = (
        "import sys, kerasite.datasets\n"
        "heavy = [m for m in ('tqdm', 'sklearn', 'matplotlib') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_digits_ship_with_kerasite_and_load_without_scikit_learn(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)  # an install without scikit-learn
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.dtype == np.uint8 and np.bincount(np.concatenate([y_train, y_test])).sum() == 1797


def test_shipped_digits_are_scikit_learns():
    load_digits = pytest.importorskip("sklearn.datasets").load_digits
    bunch = load_digits()
    images, labels = digits._read_shipped()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)


def test_damaged_digits_file_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "digits.npz"
    damaged.write_bytes(open(digits.FILE, "rb").read()[:-10])
    monkeypatch.setattr(digits, "FILE", str(damaged))
    with pytest.raises(OSError, match=r"digits file .* is damaged: its SHA-256 is [0-9a-f]{64}"):
        digits.load_data()
