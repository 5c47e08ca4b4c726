"""Tests for kerasite/datasets/_files.py: where files are looked for and how they are verified."""

import gzip
import hashlib
import os
import shutil

import numpy as np
import pytest

from kerasite.datasets import ChecksumError, DatasetNotFoundError, _files, fashion_mnist, mnist

HAS_FASHION = os.path.isdir("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not HAS_FASHION,
    reason="Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist "
    "(apt install dataset-fashion-mnist)",
)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------- verify_file


def test_file_hash_accepted(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(b"payload", mtime=0))
    _files.verify_file(path, _files.RemoteFile("f.gz", sha256(path.read_bytes())), "Test")


def test_recompressed_file_accepted_by_content_hash(tmp_path):
    # A repackager recompresses: the file hash changes, the content does not.
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(b"payload", compresslevel=1, mtime=123))
    published = sha256(gzip.compress(b"payload", compresslevel=9, mtime=0))
    assert published != sha256(path.read_bytes())
    spec = _files.RemoteFile("f.gz", published, sha256(b"payload"))
    _files.verify_file(path, spec, "Test")


def test_forged_file_refused_showing_both_hashes(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b"forged labels", mtime=0))
    spec = _files.RemoteFile(path.name, "a" * 64, "b" * 64)
    with pytest.raises(ChecksumError, match=r"failed its integrity check") as info:
        _files.verify_file(path, spec, "Test")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(path) in message
    assert f"expected SHA-256 of the file:              {'a' * 64}" in message
    assert f"actual SHA-256 of the file:                {sha256(path.read_bytes())}" in message
    assert f"expected SHA-256 of the decompressed data: {'b' * 64}" in message
    assert f"actual SHA-256 of the decompressed data:   {sha256(b'forged labels')}" in message
    assert "Delete it" in message


def test_forged_file_without_content_hash_shows_file_hashes_only(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not even gzip")
    with pytest.raises(ValueError, match=r"expected SHA-256 of the file: +a{64}\n") as info:
        _files.verify_file(path, _files.RemoteFile(path.name, "a" * 64), "MNIST")
    assert sha256(b"not even gzip") in str(info.value)
    assert "decompressed" not in str(info.value)


def test_corrupt_gzip_reported_in_content_hash_line(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(
        ChecksumError, match=r"actual SHA-256 of the decompressed data: +\(not a valid gzip"
    ):
        _files.verify_file(path, _files.RemoteFile("f.gz", "a" * 64, "b" * 64), "Test")


def test_forged_file_in_data_dir_refused_by_loader(tmp_path, monkeypatch, fakes):
    data_dir = tmp_path / "data"
    _, specs = fakes.write_dataset(data_dir)
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    forged = data_dir / "t10k-labels-idx1-ubyte.gz"
    forged.write_bytes(gzip.compress(bytes(9), mtime=0))
    monkeypatch.setenv("KERASITE_DATA_DIR", str(data_dir))
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte\.gz failed its integrity check"
    ) as info:
        fashion_mnist.load_data()
    assert specs[3].sha256 in str(info.value)
    assert sha256(forged.read_bytes()) in str(info.value)


@needs_fashion
@pytest.mark.parametrize("index", range(4))
def test_debian_fashion_mnist_files_pass_by_content_hash(index):
    spec = fashion_mnist.FILES[index]
    path = os.path.join("/usr/share/datasets/fashion-mnist", spec.filename)
    assert _files.sha256_of_file(path) != spec.sha256  # Debian recompressed them
    _files.verify_file(path, spec, "Fashion-MNIST")


def test_pinned_mnist_hashes_are_well_formed():
    for spec in [*mnist.FILES, mnist.NPZ, *fashion_mnist.FILES]:
        for digest in (spec.sha256, spec.content_sha256):
            assert digest is None or (len(digest) == 64 and int(digest, 16) >= 0)
    # The two MNIST training files have no pinned content hash (see mnist.py).
    assert [f.content_sha256 is None for f in mnist.FILES] == [True, True, False, False]


# ---------------------------------------------------------------- search order


@pytest.fixture
def four_places(tmp_path, monkeypatch, isolated, fakes):
    """The same tiny dataset in the path dir, the data dir, the cache and the system dir."""
    dirs = {
        "path": tmp_path / "given",
        "env": tmp_path / "data" / "fashion_mnist",
        "cache": isolated["home"] / "datasets" / "fashion_mnist",
        "system": isolated["system"] / "fashion-mnist",
    }
    _, specs = fakes.write_dataset(dirs["path"])
    for key in ("env", "cache", "system"):
        shutil.copytree(dirs["path"], dirs[key])
    monkeypatch.setenv("KERASITE_DATA_DIR", str(tmp_path / "data"))
    return dirs, specs


def found_in(specs, path=None):
    paths, _ = _files.fetch("fashion_mnist", "Test", [specs], [], path=path)
    directories = {os.path.dirname(p) for p in paths}
    assert len(directories) == 1, "all files of a set must come from one place"
    return directories.pop()


def test_search_order_path_env_cache_system(four_places):
    dirs, specs = four_places
    assert found_in(specs, path=dirs["path"]) == str(dirs["path"])
    assert found_in(specs) == str(dirs["env"])
    shutil.rmtree(dirs["env"])
    assert found_in(specs) == str(dirs["cache"])
    shutil.rmtree(dirs["cache"])
    assert found_in(specs) == str(dirs["system"])
    shutil.rmtree(dirs["system"])
    with pytest.raises(DatasetNotFoundError):
        found_in(specs)


def test_data_dir_subdirectory_beats_data_dir_itself(tmp_path, monkeypatch, fakes):
    _, specs = fakes.write_dataset(tmp_path / "data")
    shutil.copytree(tmp_path / "data", tmp_path / "data" / "fashion-mnist")
    monkeypatch.setenv("KERASITE_DATA_DIR", str(tmp_path / "data"))
    assert found_in(specs) == str(tmp_path / "data" / "fashion-mnist")
    shutil.rmtree(tmp_path / "data" / "fashion-mnist")
    assert found_in(specs) == str(tmp_path / "data")


def test_incomplete_set_is_skipped_and_reported(four_places):
    dirs, specs = four_places
    os.remove(dirs["env"] / "t10k-images-idx3-ubyte.gz")
    assert found_in(specs) == str(dirs["cache"])
    for key in ("cache", "system"):
        shutil.rmtree(dirs[key])
    with pytest.raises(
        DatasetNotFoundError, match=r"incomplete, missing t10k-images-idx3-ubyte\.gz"
    ):
        found_in(specs)


def test_kerasite_home_moves_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASITE_HOME", str(tmp_path / "elsewhere"))
    assert _files.cache_dir("mnist") == str(tmp_path / "elsewhere" / "datasets" / "mnist")
    monkeypatch.delenv("KERASITE_HOME")
    assert _files.cache_dir("mnist") == os.path.join(
        os.path.expanduser("~"), ".kerasite", "datasets", "mnist"
    )


def test_missing_path_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"`path` must be an existing directory .* does not exist"
    ):
        fashion_mnist.load_data(path=tmp_path / "typo")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"which is not a directory"):
        fashion_mnist.load_data(path=tmp_path / "file")


def test_loader_reads_from_path(tmp_path, monkeypatch, fakes):
    arrays, specs = fakes.write_dataset(tmp_path / "given", seed=3)
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(path=str(tmp_path / "given"))
    for got, want in zip((x_train, y_train, x_test, y_test), arrays, strict=True):
        np.testing.assert_array_equal(got, want)
