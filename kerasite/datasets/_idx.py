"""A reader for the IDX format that MNIST and Fashion-MNIST are published in.

An IDX file is a 4-byte magic number, one 4-byte big-endian size per
dimension, then the data in C order. The magic number is two zero bytes, a
type code (``0x08`` for unsigned bytes) and the number of dimensions, so
``0x00000801`` is a vector of uint8 labels and ``0x00000803`` a stack of uint8
images. The files are usually gzip-compressed; the reader detects that from
the first two bytes rather than trusting the file name.
"""

import gzip
import io
import math
import os
import zlib

import numpy as np

_GZIP_MAGIC = b"\x1f\x8b"
_UINT8_TYPE_CODE = 0x08
_SUPPORTED_NDIM = {1: "labels", 3: "images"}
_TYPE_NAMES = {
    0x08: "uint8",
    0x09: "int8",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}


# Limits on what read_idx accepts (see docs/guarantees.md, "Limits").
MAX_IDX_BYTES = 2**31  # data bytes one file may declare: 2 GiB (EMNIST's largest is 0.55 GiB)
_MAX_DEFLATE_RATIO = 1032  # deflate cannot expand data more than 1032-fold
_EXTRA_SHOWN = 1 << 20  # trailing bytes counted for the message, at most
_CHUNK = 1 << 20


def read_idx(path_or_fileobj):
    """Reads a uint8 IDX file (plain or gzip-compressed) into an array.

    The header is read and checked first, and the data is then read as a
    stream up to the size the header declares, so a file that lies (a gzip
    "bomb" that expands to GiB, a header declaring more than it holds) is
    refused after reading no more than the data it promised: the magic
    number, that the header holds every dimension, that the declared size is
    at most ``MAX_IDX_BYTES`` (2 GiB) and, for gzip data of known size, no
    more than deflate can expand that size to, and that the data has exactly
    as many bytes as the dimensions promise.

    Args:
        path_or_fileobj: a path (``str`` or ``os.PathLike``) or a binary file
            object open for reading. Gzip compression is detected from the
            content.

    Returns:
        A writable ``uint8`` array: shape ``(n,)`` for a label file (magic
        ``0x00000801``) or ``(n, rows, cols)`` for an image file (magic
        ``0x00000803``).

    Raises:
        ValueError: if the data is not valid gzip, is not a uint8 IDX file
            with 1 or 3 dimensions, has a short header, declares more data
            than the limits allow, or its length does not match the
            dimensions. The message names the file.
        TypeError: if ``path_or_fileobj`` is neither a path nor a binary file
            object.
        OSError: if the path cannot be opened.

    Example:
        >>> import io
        >>> raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
        >>> read_idx(io.BytesIO(raw))
        array([7, 2, 1], dtype=uint8)
    """
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        name = os.fspath(path_or_fileobj)
        with open(name, "rb") as f:
            return _read_stream(f, name, os.fstat(f.fileno()).st_size)
    if getattr(path_or_fileobj, "read", None) is None:
        raise TypeError(
            "`path_or_fileobj` must be a path or a binary file object. "
            f"Received: path_or_fileobj={path_or_fileobj!r} of type "
            f"{type(path_or_fileobj).__name__}. Pass a file name, or a file opened with "
            "open(name, 'rb')."
        )
    name = getattr(path_or_fileobj, "name", None)
    name = os.fspath(name) if isinstance(name, (str, os.PathLike)) else "<file object>"
    stream = io.BufferedReader(_RawReader(path_or_fileobj))
    return _read_stream(stream, name, _remaining_size(path_or_fileobj))


class _RawReader(io.RawIOBase):
    """Adapts any object with ``read(n) -> bytes`` so it can be buffered and peeked."""

    def __init__(self, fileobj):
        self.fileobj = fileobj

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.fileobj.read(len(buffer))
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                "`path_or_fileobj` must be opened in binary mode, but its read() returned "
                f"{type(data).__name__}. Open the file with open(name, 'rb')."
            )
        buffer[:len(data)] = data
        return len(data)


def _remaining_size(fileobj):
    """Bytes left in a seekable file object, or ``None`` when it cannot tell."""
    try:
        here = fileobj.tell()
        end = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def _read_stream(f, name, stored_size):
    """Reads IDX data from the buffered binary stream ``f``: header first, then the data."""
    compressed = f.peek(2)[:2] == _GZIP_MAGIC
    stream = gzip.GzipFile(fileobj=f, mode="rb") if compressed else f
    try:
        head = _read_up_to(stream, 4)
        ndim = _check_magic(head, name)
        header = head + _read_up_to(stream, 4 * ndim)
        shape, expected = _check_dimensions(header, ndim, name, compressed, stored_size)
        data = _read_up_to(stream, expected)
        extra = len(_read_up_to(stream, _EXTRA_SHOWN + 1))
    except (OSError, EOFError, zlib.error) as exc:
        if not compressed:
            raise
        raise ValueError(
            f"{name} is not a valid gzip file ({exc}). It is probably truncated or "
            "corrupted: delete it and download it again."
        ) from None
    if len(data) < expected:
        raise ValueError(
            f"{name} is truncated: its header declares the shape {shape}, i.e. {expected} "
            f"data bytes, but only {len(data)} follow ({expected - len(data)} missing). "
            "Delete the file and download it again."
        )
    if extra:
        more = f"more than {_EXTRA_SHOWN}" if extra > _EXTRA_SHOWN else str(extra)
        raise ValueError(
            f"{name} does not match its header: the shape {shape} needs {expected} data "
            f"bytes, but more follow ({more} extra). The dimensions in the header are wrong "
            "or the file is not an IDX file."
        )
    # frombuffer over bytes is read-only; copy so users can edit the arrays, as with Keras.
    return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()


def _read_up_to(stream, n):
    """Up to ``n`` bytes (fewer only at the end of the data), read 1 MiB at a time."""
    parts, got = [], 0
    while got < n:
        part = stream.read(min(_CHUNK, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _check_magic(head, name):
    """Checks the 4-byte magic number; returns the number of dimensions."""
    if len(head) < 4:
        raise ValueError(
            f"{name} is too short to be an IDX file: it has {len(head)} bytes, but the "
            "magic number alone needs 4. The file is empty or truncated."
        )
    magic = int.from_bytes(head[:4], "big")
    type_code, ndim = head[2], head[3]
    if head[0] != 0 or head[1] != 0:
        raise ValueError(
            f"{name} is not an IDX file: its magic number is 0x{magic:08X}, but IDX files "
            "start with two zero bytes (0x00000801 for labels, 0x00000803 for images)."
        )
    if type_code != _UINT8_TYPE_CODE:
        kind = _TYPE_NAMES.get(type_code, "unknown")
        raise ValueError(
            f"{name} has magic number 0x{magic:08X}, whose type code 0x{type_code:02X} ({kind}) "
            "is not supported: only uint8 data (type code 0x08) can be read, as in "
            "0x00000801 (labels) or 0x00000803 (images)."
        )
    if ndim not in _SUPPORTED_NDIM:
        raise ValueError(
            f"{name} has magic number 0x{magic:08X}, which declares {ndim} dimensions; "
            "expected 0x00000801 (1-D labels) or 0x00000803 (3-D images)."
        )
    return ndim


def _check_dimensions(header, ndim, name, compressed, stored_size):
    """The declared shape and data size, checked against the limits before any data is read."""
    header_len = 4 + 4 * ndim
    if len(header) < header_len:
        raise ValueError(
            f"{name} is truncated inside its header: {ndim} dimensions need {header_len} "
            f"header bytes, but the file has only {len(header)}."
        )
    shape = tuple(int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if 0 in shape:
        raise ValueError(
            f"{name} declares the shape {shape}, which has a zero dimension; every "
            "dimension of an IDX file must be at least 1."
        )
    expected = math.prod(shape)  # Python integers: no overflow, however large the header
    if expected > MAX_IDX_BYTES:
        raise ValueError(
            f"{name} declares the shape {shape}, i.e. {expected} data bytes, more than "
            f"read_idx accepts ({MAX_IDX_BYTES}, kerasite.datasets._idx.MAX_IDX_BYTES). The "
            "header is corrupted, or the file is not an IDX file kerasite can load."
        )
    if compressed and stored_size is not None \
            and expected + header_len > _MAX_DEFLATE_RATIO * stored_size:
        raise ValueError(
            f"{name} declares the shape {shape}, i.e. {expected} data bytes, but a "
            f"compressed file of {stored_size} bytes cannot hold that much (deflate expands "
            f"at most {_MAX_DEFLATE_RATIO}-fold). The file is truncated or corrupted: delete "
            "it and download it again."
        )
    return shape, expected


def read_idx_split(paths, title, image_shape=(28, 28), blobs=None):
    """Reads the four IDX files of an MNIST-style dataset and checks they fit together.

    Args:
        paths: paths of the train images, train labels, test images and test
            labels, in that order.
        title: the dataset's display name for error messages.
        image_shape: the expected ``(rows, cols)`` of every image.
        blobs: the files' bytes, already read and verified (as
            ``kerasite.datasets._files.fetch_bytes`` returns them): these are
            parsed, and the files are not opened again. ``None`` reads
            ``paths``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        ``(n, rows, cols)``, ``(n,)``, ``(m, rows, cols)`` and ``(m,)``.

    Raises:
        ValueError: if a file is not a valid IDX file of the right kind, or
            the numbers of images and labels differ.
    """
    if blobs is None:
        x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    else:
        x_train, y_train, x_test, y_test = (read_idx(_named_bytes(b, p))
                                            for b, p in zip(blobs, paths, strict=True))
    for x, y, x_path, y_path in (
        (x_train, y_train, paths[0], paths[1]),
        (x_test, y_test, paths[2], paths[3]),
    ):
        check_split(x, y, x_path, y_path, title, image_shape)
    return (x_train, y_train), (x_test, y_test)


def _named_bytes(data, name):
    f = io.BytesIO(data)
    f.name = os.fspath(name)  # read_idx names the file in its messages
    return f


def check_split(x, y, x_name, y_name, title, image_shape=(28, 28)):
    """Checks that ``x`` holds uint8 images of ``image_shape`` and ``y`` one label each.

    Raises:
        ValueError: naming the offending file and the shapes found.
    """
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"{x_name} should hold the {title} images as uint8 of shape "
            f"(n, {image_shape[0]}, {image_shape[1]}), but holds {x.dtype} of shape {x.shape}. "
            "Check that the file is the right one."
        )
    if y.dtype != np.uint8 or y.ndim != 1:
        raise ValueError(
            f"{y_name} should hold the {title} labels as uint8 of shape (n,), but holds "
            f"{y.dtype} of shape {y.shape}. Check that the file is the right one."
        )
    if len(x) != len(y):
        raise ValueError(
            f"{x_name} has {len(x)} images but {y_name} has {len(y)} labels; the two "
            "files must come from the same split of the dataset."
        )
