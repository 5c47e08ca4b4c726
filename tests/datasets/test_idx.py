"""Tests for kerasite/datasets/_idx.py: the IDX reader."""

import gzip
import io
import os
import pathlib

import numpy as np
import pytest

from kerasite.datasets import read_idx


def write(path, data):
    path.write_bytes(data)
    return path


def test_reads_plain_labels(tmp_path, fakes):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    y = read_idx(write(tmp_path / "labels.idx", fakes.idx_bytes(labels)))
    assert y.dtype == np.uint8 and y.shape == (5,)
    np.testing.assert_array_equal(y, labels)


def test_reads_gzipped_images_from_str_path(tmp_path, fakes):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    path = write(tmp_path / "images.gz", gzip.compress(fakes.idx_bytes(images)))
    x = read_idx(str(path))
    assert x.shape == (3, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x, images)


def test_detects_gzip_from_content_not_name(tmp_path, fakes):
    images = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3)
    path = write(tmp_path / "no-extension", gzip.compress(fakes.idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(path), images)


def test_reads_file_objects(fakes):
    labels = np.array([1, 2, 3], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(io.BytesIO(fakes.idx_bytes(labels))), labels)
    packed = io.BytesIO(gzip.compress(fakes.idx_bytes(labels)))
    np.testing.assert_array_equal(read_idx(packed), labels)


def test_returned_array_is_writable(fakes):
    y = read_idx(io.BytesIO(fakes.idx_bytes(np.zeros(4, dtype=np.uint8))))
    y[0] = 7  # would raise if the array were a read-only view of the file's bytes
    assert y[0] == 7


@pytest.mark.parametrize(
    "magic, match",
    [
        (0x12345678, r"is not an IDX file: its magic number is 0x12345678"),
        (0x00000D03, r"type code 0x0D \(float32\) is not supported: only uint8"),
        (0x00000802, r"declares 2 dimensions; expected 0x00000801 .* or 0x00000803"),
    ],
)
def test_bad_magic_is_refused(tmp_path, fakes, magic, match):
    data = fakes.idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8), magic=magic)
    path = write(tmp_path / "bad.idx", data)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_file_shorter_than_magic_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.idx is too short .* 2 bytes"):
        read_idx(write(tmp_path / "empty.idx", b"\x00\x00"))


def test_header_missing_dimensions_is_refused(tmp_path):
    # Magic says 3 dimensions (16 header bytes) but only one size follows.
    data = (0x803).to_bytes(4, "big") + (10).to_bytes(4, "big")
    with pytest.raises(ValueError, match=r"truncated inside its header: 3 dimensions need 16"):
        read_idx(write(tmp_path / "short-header.idx", data))


def test_zero_dimension_is_refused(tmp_path):
    data = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (5, 0, 28))
    with pytest.raises(ValueError, match=r"declares the shape \(5, 0, 28\), which has a zero"):
        read_idx(write(tmp_path / "zero.idx", data))


def test_dimensions_larger_than_data_are_refused(tmp_path, fakes):
    # Header claims 4 images of 28x28; only 3 images follow.
    data = fakes.idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))[: 16 + 3 * 784]
    with pytest.raises(
        ValueError, match=r"wrong-dims\.idx is truncated: .*\(4, 28, 28\).*784 missing"
    ):
        read_idx(write(tmp_path / "wrong-dims.idx", data))


def test_truncated_labels_are_refused(tmp_path, fakes):
    data = fakes.idx_bytes(np.arange(10, dtype=np.uint8))[:-1]
    with pytest.raises(
        ValueError, match=r"declares the shape \(10,\), i\.e\. 10 data bytes, but only 9"
    ):
        read_idx(write(tmp_path / "labels.idx", data))


def test_trailing_bytes_are_refused(tmp_path, fakes):
    data = fakes.idx_bytes(np.arange(10, dtype=np.uint8)) + b"\x00\x00"
    with pytest.raises(ValueError, match=r"does not match its header: .* \(2 extra\)"):
        read_idx(write(tmp_path / "long.idx", data))


def test_truncated_gzip_is_refused(tmp_path, fakes):
    packed = gzip.compress(fakes.idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8)))
    path = write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz is not a valid gzip file .*truncated"):
        read_idx(path)


def test_wrong_argument_type():
    with pytest.raises(
        TypeError, match=r"`path_or_fileobj` must be a path or a binary file object"
    ):
        read_idx(42)
    with pytest.raises(TypeError, match=r"must be opened in binary mode"):
        read_idx(io.StringIO("text"))


@pytest.mark.skipif(
    not os.path.isdir("/usr/share/datasets/fashion-mnist"),
    reason="Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist "
    "(apt install dataset-fashion-mnist)",
)
def test_reads_real_fashion_mnist_test_labels():
    y = read_idx(pathlib.Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"))
    assert y.shape == (10000,) and y.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 1000))


# ======================================= issue 15, item 11: header first, bounded reads
def _peak_memory(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _gzip_stream(path, head, zeros):
    """Writes ``head`` then ``zeros`` zero bytes, gzip-compressed, 1 MiB at a time."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(head)
        chunk = bytes(1 << 20)
        for _ in range(zeros >> 20):
            f.write(chunk)
    return path


BOMB = 256 << 20  # 256 MiB of zeros: about 250 KB of gzip


@pytest.mark.parametrize("head, match", [
    ((0x12345678).to_bytes(4, "big"), r"is not an IDX file"),
    (b"".join(d.to_bytes(4, "big") for d in (0x803, 10, 28, 28)), r"\(\d+ extra|more follow"),
], ids=["bad magic", "valid header, too much data"])
@pytest.mark.slow
@pytest.mark.parametrize("as_file_object", [False, True], ids=["path", "file object"])
def test_a_gzip_bomb_is_refused_after_reading_no_more_than_its_header_declares(
        tmp_path, head, match, as_file_object):
    path = _gzip_stream(tmp_path / "bomb.gz", head, BOMB)
    assert path.stat().st_size < 1 << 20
    errors = []

    def attempt():
        try:
            if as_file_object:
                with open(path, "rb") as f:
                    read_idx(f)
            else:
                read_idx(path)
        except ValueError as exc:
            errors.append(exc)

    peak = _peak_memory(attempt)
    assert errors and __import__("re").search(match, str(errors[0])), errors
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MiB"


def test_declared_dimensions_too_large_to_hold_are_refused_without_wrapping(tmp_path):
    # 2**22 * 2**21 * 2**21 == 2**64: in int64 arithmetic that wrapped to 0 bytes.
    dims = (2**22, 2**21, 2**21)
    data = b"".join(d.to_bytes(4, "big") for d in (0x803, *dims))
    with pytest.raises(ValueError, match=r"declares the shape \(4194304, 2097152, 2097152\), "
                                         r"i\.e\. 18446744073709551616 data bytes, more than"):
        read_idx(write(tmp_path / "huge.idx", data))


def test_a_gzip_declaring_more_than_deflate_can_expand_to_is_refused_unread(tmp_path):
    # Deflate expands at most 1032:1, so this header cannot be honest.
    head = b"".join(d.to_bytes(4, "big") for d in (0x803, 100_000, 28, 28))
    path = write(tmp_path / "liar.gz", gzip.compress(head + bytes(1000)))
    with pytest.raises(ValueError, match=r"liar\.gz declares the shape \(100000, 28, 28\).*"
                                         r"compressed file of \d+ bytes cannot hold"):
        read_idx(path)


def test_a_large_legitimate_gzip_still_reads(tmp_path, fakes):
    images = np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8)
    path = write(tmp_path / "big.gz", gzip.compress(fakes.idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(path), images)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(read_idx(f), images)
