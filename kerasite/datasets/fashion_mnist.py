"""Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes.

A drop-in replacement for MNIST with the same shapes and file format, but
harder to classify. On Debian and Ubuntu, ``apt install dataset-fashion-mnist``
puts the files in ``/usr/share/datasets/fashion-mnist/``, where ``load_data``
finds them without any network.
"""

import kerasite.datasets._files as _files
from kerasite.datasets._idx import read_idx_split

NAME = "fashion_mnist"
TITLE = "Fashion-MNIST"

#: The name of each label, indexed by the label's value.
CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# Base URLs tried in order: Keras's copy, then the authors' own bucket (whose
# website endpoint serves plain HTTP only; the SHA-256 check guards it).
MIRRORS = [
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]

# The second hash of each file is that of its decompressed contents, computed
# from the files of Debian's dataset-fashion-mnist package, which recompresses
# them (so their file hashes differ from the published ones).
# ``size`` is the published file's size: a download stops a quarter past it.
FILES = [
    _files.RemoteFile(
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        size=26_421_880,
    ),
    _files.RemoteFile(
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        size=29_515,
    ),
    _files.RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        size=4_422_102,
    ),
    _files.RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        size=5_148,
    ),
]


def load_data(path=None):
    """Loads Fashion-MNIST, from local files if it can and from a mirror if it must.

    Looked for in order: ``path``; ``$KERASITE_DATA_DIR/fashion_mnist/`` (or
    ``fashion-mnist/``) and ``$KERASITE_DATA_DIR``; the cache
    ``~/.kerasite/datasets/fashion_mnist/`` (moved by ``KERASITE_HOME``);
    ``/usr/share/datasets/fashion-mnist/``; and last a download into the
    cache. A directory must hold all four IDX ``.gz`` files. Every file is
    checked against its published SHA-256 or the SHA-256 of its contents.

    Args:
        path: a directory holding the four files, or ``None`` to search the
            usual places.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)`` and
        ``(10000,)``; pixels are 0..255, labels 0..9 index ``CLASS_NAMES``.

    Raises:
        DatasetNotFoundError: (an ``OSError``) if the files are nowhere and
            cannot be downloaded; the message lists every place looked.
        FileNotFoundError: if ``path`` is given but does not exist.
        NotADirectoryError: if ``path`` is not a directory.
        ValueError: if a file fails its integrity check or is malformed.

    Example:
        >>> from kerasite.datasets import fashion_mnist
        >>> (x_train, y_train), _ = fashion_mnist.load_data()  # doctest: +SKIP
        >>> fashion_mnist.CLASS_NAMES[y_train[0]]  # doctest: +SKIP
        'Ankle boot'
    """
    hint = (
        "On Debian or Ubuntu, `apt install dataset-fashion-mnist` installs the files "
        f"into {_files.SYSTEM_DIR}/fashion-mnist/, where they are found automatically."
    )
    paths, _, blobs = _files.fetch_bytes(NAME, TITLE, [FILES], MIRRORS, path=path, hint=hint)
    return read_idx_split(paths, TITLE, blobs=blobs)  # the bytes that were verified
