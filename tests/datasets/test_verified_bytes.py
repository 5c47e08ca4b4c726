"""The dataset loaders parse the very bytes they verified, and refuse huge or special files.

Reproducers for issue 25: a file swapped between its checksum check and its
read gave tampered labels; a 1 TiB sparse file was hashed for hours; a FIFO
would block the read for ever.
"""

import gzip
import hashlib
import os

import numpy as np
import pytest

from kerasite.datasets import _files, fashion_mnist, mnist


def test_a_file_swapped_after_its_check_is_not_what_gets_parsed(tmp_path, monkeypatch, fakes):
    arrays, specs = fakes.write_dataset(tmp_path)
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    labels = tmp_path / fakes.names[1]
    tampered = gzip.compress(fakes.idx_bytes((arrays[1] + 1) % 10), mtime=0)
    read = _files.read_file_bounded

    def read_then_swap(path, spec, shown_as=None):
        data = read(path, spec, shown_as)
        if os.fspath(path) == os.fspath(labels):
            labels.write_bytes(tampered)  # an attacker swaps the file right after the read
        return data

    monkeypatch.setattr(_files, "read_file_bounded", read_then_swap)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(path=tmp_path)
    assert labels.read_bytes() == tampered  # the swap happened
    # Before the fix the file was opened again to parse it: these were the tampered labels.
    np.testing.assert_array_equal(y_train, arrays[1])
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])


def test_an_npz_swapped_after_its_check_is_not_what_gets_parsed(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    good = {"x_train": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "y_train": np.array([1, 2, 3], np.uint8),
            "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
            "y_test": np.array([4, 5], np.uint8)}
    path = tmp_path / "mnist.npz"
    np.savez(path, **good)
    monkeypatch.setattr(mnist, "NPZ", _files.RemoteFile(
        "mnist.npz", hashlib.sha256(path.read_bytes()).hexdigest()))
    read = _files.read_file_bounded

    def read_then_swap(p, spec, shown_as=None):
        data = read(p, spec, shown_as)
        np.savez(path, **{**good, "y_train": np.array([9, 9, 9], np.uint8)})
        return data

    monkeypatch.setattr(_files, "read_file_bounded", read_then_swap)
    (_, y_train), _ = mnist.load_data(path=path)
    np.testing.assert_array_equal(y_train, good["y_train"])


def test_a_huge_sparse_file_is_refused_before_it_is_read(tmp_path):
    # 4 GiB of holes: hashing it would read 4 GiB; the size check refuses it at once.
    for spec in fashion_mnist.FILES:
        (tmp_path / spec.filename).write_bytes(b"")
    huge = tmp_path / fashion_mnist.FILES[0].filename
    with open(huge, "wb") as f:
        f.truncate(4 << 30)
    with pytest.raises(_files.DataFileError, match=r"train-images-idx3-ubyte.gz has 4294967296 "
                                                   r"bytes, but the dataset file "
                                                   r"train-images-idx3-ubyte.gz has 26421880 "
                                                   r"\(at most 33092886 are accepted\)"):
        fashion_mnist.load_data(path=tmp_path)
    # Without a pinned size the bound is MAX_DOWNLOAD_SIZE.
    spec = _files.RemoteFile("x.gz", "0" * 64)
    with pytest.raises(ValueError, match=rf"has at most {_files.MAX_DOWNLOAD_SIZE} "):
        _files.verify_file(huge, spec, "Test")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "t10k-labels-idx1-ubyte.gz"
    os.mkfifo(fifo)  # nobody writes to it: a plain open() would block for ever
    with pytest.raises(_files.DataFileError, match=r"is not a regular file \(a FIFO, a device or "
                                                   r"a directory\)"):
        _files.verify_file(fifo, fashion_mnist.FILES[3], "Fashion-MNIST")
    # A directory whose "file" is a FIFO does not hold a complete set: the search goes on.
    with pytest.raises(_files.DatasetNotFoundError):
        fashion_mnist.load_data(path=tmp_path)
