"""MNIST: 70,000 handwritten digits, 28x28 grey levels, 10 classes.

``load_data`` accepts either the four IDX files of the original release or
Keras's single ``mnist.npz``; see ``kerasite.datasets`` for where it looks.
Only the IDX files are downloaded.
"""

import io
import os

import numpy as np

import kerasite.datasets._files as _files
from kerasite.datasets._idx import check_split, read_idx_split

NAME = "mnist"
TITLE = "MNIST"

# Base URLs tried in order. The original site (yann.lecun.com) now often
# refuses scripted downloads, so the maintained copies come first.
MIRRORS = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

# The content hashes of the training files are not pinned here, so those two
# are accepted by their published file hash only; a recompressed copy of them
# (such as a distribution package would ship) is refused.
# ``size`` is the published file's size: a download stops a quarter past it.
FILES = [
    _files.RemoteFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        size=9_912_422,
    ),
    _files.RemoteFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        size=28_881,
    ),
    _files.RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        size=1_648_877,
    ),
    _files.RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        size=4_542,
    ),
]

# Keras's repackaging of the same data as one NumPy archive (11,490,434 bytes, the
# size Keras's own download reports): a local file far larger is refused unread.
NPZ = _files.RemoteFile(
    "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    size=11_490_434,
)

_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path=None):
    """Loads MNIST, from local files if it can and from a mirror if it must.

    Looked for in order: ``path``; ``$KERASITE_DATA_DIR/mnist/`` and
    ``$KERASITE_DATA_DIR``; the cache ``~/.kerasite/datasets/mnist/`` (moved
    by ``KERASITE_HOME``); ``/usr/share/datasets/mnist/``; and last a download
    of the IDX files into the cache. In each directory a complete set of the
    four IDX ``.gz`` files or an ``mnist.npz`` is accepted. Every file is
    checked against its SHA-256 first. ``.npz`` files are read with
    ``allow_pickle=False``.

    Args:
        path: a directory holding the files, or the path of an ``mnist.npz``
            file. ``None`` to search the usual places.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)`` and
        ``(10000,)``; pixels are 0..255, labels are the digits 0..9.

    Raises:
        DatasetNotFoundError: (an ``OSError``) if the files are nowhere and
            cannot be downloaded; the message lists every place looked.
        FileNotFoundError: if ``path`` is given but does not exist.
        NotADirectoryError: if ``path`` is neither a directory nor an
            ``.npz`` file.
        ValueError: if a file fails its integrity check or is malformed.

    Example:
        >>> from kerasite.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_test.shape  # doctest: +SKIP
        ((60000, 28, 28), (10000,))
    """
    if path is not None and os.path.isfile(path):
        if not os.fspath(path).endswith(".npz"):
            raise NotADirectoryError(
                "`path` must be a directory holding the MNIST files or the path of an "
                f"mnist.npz file. Received: path={os.fspath(path)!r}, a file that is not .npz."
            )
        return _load_npz(path, _files.verify_file(path, NPZ, TITLE))
    hint = (
        "Keras's mnist.npz (often found as ~/.keras/datasets/mnist.npz) works too: put it "
        "in DIR, or pass its own path as `path`."
    )
    paths, files, blobs = _files.fetch_bytes(NAME, TITLE, [FILES, [NPZ]], MIRRORS, path=path,
                                             hint=hint)
    # The bytes that were verified are parsed: the files are not opened again.
    if files[0] is NPZ:
        return _load_npz(paths[0], blobs[0])
    return read_idx_split(paths, TITLE, blobs=blobs)


def _load_npz(path, data):
    # Pickles can run arbitrary code, so they are never loaded.
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"{os.fspath(path)} lacks the arrays {missing}; an MNIST .npz must hold "
                f"{list(_NPZ_KEYS)}. Found: {sorted(archive.files)}."
            )
        x_train, y_train, x_test, y_test = (archive[key] for key in _NPZ_KEYS)
    name = os.fspath(path)
    check_split(x_train, y_train, f"{name}[x_train]", f"{name}[y_train]", TITLE)
    check_split(x_test, y_test, f"{name}[x_test]", f"{name}[y_test]", TITLE)
    return (x_train, y_train), (x_test, y_test)
