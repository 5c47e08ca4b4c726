"""Datasets: small image benchmarks, loaded as Keras loads them.

Each module has ``load_data(path=None)`` returning
``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, images of shape
``(n, rows, cols)`` and labels of shape ``(n,)``:

- ``mnist``: handwritten digits, 28x28;
- ``fashion_mnist``: clothing, 28x28;
- ``digits``: the 8x8 digits (scikit-learn's, from UCI), shipped with kerasite,
  rescaled to 0..255; never downloads.

MNIST and Fashion-MNIST files are looked for in this order:

1. the ``path`` argument;
2. ``$KERASITE_DATA_DIR/<name>/``, then ``$KERASITE_DATA_DIR`` itself;
3. the cache ``~/.kerasite/datasets/<name>/`` (``KERASITE_HOME`` moves
   ``~/.kerasite``);
4. ``/usr/share/datasets/<hyphenated-name>/``, as Debian's ``dataset-*``
   packages install them;
5. a download from the module's ``MIRRORS`` into the cache.

Every file must match its published SHA-256 or the pinned SHA-256 of its
decompressed contents, else ``ValueError``. A file is read once, and the
bytes that were hashed are the bytes parsed; a file that is not a regular
file, or larger than the dataset's file can be, is refused before it is read
(``DataFileError``, a ``ValueError``). When the files are nowhere and
cannot be downloaded, ``DatasetNotFoundError`` (an ``OSError``) lists each
place looked and how to supply the files offline.

Example:
    >>> from kerasite import datasets
    >>> (x_train, y_train), (x_test, y_test) = datasets.get("digits").load_data()
    >>> x_train.shape, y_train.shape
    ((1438, 8, 8), (1438,))
"""

import hashlib

import numpy as np

from kerasite.datasets import digits, fashion_mnist, mnist
from kerasite.datasets._files import ChecksumError, DataFileError, DatasetNotFoundError
from kerasite.datasets._idx import read_idx

__all__ = [
    "ChecksumError",
    "DatasetNotFoundError",
    "DataFileError",
    "check_disjoint",
    "digits",
    "fashion_mnist",
    "get",
    "mnist",
    "read_idx",
]

_MODULES = {"mnist": mnist, "fashion_mnist": fashion_mnist, "digits": digits}


def get(name):
    """Returns a dataset module by name.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"digits"``.

    Returns:
        The module, whose ``load_data`` loads the dataset.

    Raises:
        TypeError: if ``name`` is not a string.
        ValueError: for an unknown name; the message lists the valid ones.

    Example:
        >>> from kerasite import datasets
        >>> datasets.get("mnist").__name__
        'kerasite.datasets.mnist'
    """
    if not isinstance(name, str):
        raise TypeError(
            f"`name` must be a string naming a dataset. Received: name={name!r} of type "
            f"{type(name).__name__}. Valid names: {sorted(_MODULES)}."
        )
    try:
        return _MODULES[name]
    except KeyError:
        raise ValueError(
            f"Unknown dataset: name={name!r}. Valid names: {sorted(_MODULES)}."
        ) from None


def check_disjoint(x_train, x_test):
    """Finds the test images that also appear, byte for byte, in the training set.

    Each image is hashed from its raw bytes, so the check is exact and takes
    one pass over each array. A hash match is confirmed by comparing the
    images themselves.

    Args:
        x_train: array of shape ``(n, ...)``, e.g. ``(n, 28, 28)``.
        x_test: array of shape ``(m, ...)`` with the same per-image shape and
            dtype as ``x_train``.

    Returns:
        An int array of the indices into ``x_test`` of images present in
        ``x_train``, ascending; empty when the sets are disjoint.

    Raises:
        ValueError: if the arrays have no leading sample axis or their image
            shapes differ.
        TypeError: if their dtypes differ (equal pixels with different dtypes
            have different bytes).

    Example:
        >>> import numpy as np
        >>> x_train = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
        >>> x_test = np.stack([x_train[2], x_train[0] + 100])
        >>> check_disjoint(x_train, x_test)
        array([0])
    """
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    for arg, x in (("x_train", x_train), ("x_test", x_test)):
        if x.ndim < 1:
            raise ValueError(
                f"`{arg}` must be an array of images with the samples on the first axis. "
                f"Received: {arg} of shape {x.shape}."
            )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            "`x_train` and `x_test` must hold images of the same shape. Received: "
            f"x_train of shape {x_train.shape} and x_test of shape {x_test.shape}."
        )
    if x_train.dtype != x_test.dtype:
        raise TypeError(
            "`x_train` and `x_test` must have the same dtype, since images are compared "
            f"by their bytes. Received: {x_train.dtype} and {x_test.dtype}. Cast one with "
            ".astype() first."
        )
    train_rows = np.ascontiguousarray(x_train).reshape(len(x_train), -1)
    test_rows = np.ascontiguousarray(x_test).reshape(len(x_test), -1)
    seen = {}
    for i, row in enumerate(train_rows):
        seen.setdefault(_digest(row), i)
    shared = [
        j
        for j, row in enumerate(test_rows)
        if (i := seen.get(_digest(row))) is not None and train_rows[i].tobytes() == row.tobytes()
    ]
    return np.array(shared, dtype=np.intp)


def _digest(row):
    return hashlib.blake2b(row.tobytes(), digest_size=16).digest()
