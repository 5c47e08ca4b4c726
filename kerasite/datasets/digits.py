"""Digits: 1,797 handwritten digits, 8x8 pixels, 10 classes, shipped with kerasite.

A tiny stand-in for MNIST that loads in milliseconds and never needs a
network or scikit-learn: handy for tests, examples and quick experiments.
The arrays are those of scikit-learn's ``load_digits``, which come from the
UCI "Optical Recognition of Handwritten Digits" set (Alpaydin and Kaynak,
1998; distributed by scikit-learn under its BSD licence). They sit next to
this module as ``digits.npz`` (about 45 KB), checked against a pinned
SHA-256 hash when loaded. The original pixels are counts 0..16;
``load_data`` rescales them to 0..255 so the usual ``x / 255`` preprocessing
works as for MNIST.
"""

import hashlib
import io
import os

import numpy as np

NAME = "digits"
TITLE = "Digits"

#: The fraction of every class held out for the test split.
TEST_FRACTION = 0.2
#: The seed of the split, fixed so every call returns the same arrays.
SEED = 0

#: The shipped file: ``images`` (1797, 8, 8) and ``labels`` (1797,), uint8.
FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
#: The SHA-256 of ``FILE``.
SHA256 = "b2dab7b501728c22e9119ad76740b2e17c77a231e42d1e592380d90886f1a05e"


def load_data(path=None):
    """Loads the 8x8 digits shipped with kerasite, split into train and test sets.

    The split is stratified and fixed: from every class, ``round(0.2 * count)``
    images, chosen with ``numpy.random.default_rng(0)``, form the test set
    (359 images) and the other 1,438 the training set. Within each split the
    images keep their original order. Pixels are rescaled from 0..16 to
    0..255 as ``round(v * 255 / 16)``, so 0 stays 0 and 16 becomes 255.

    Args:
        path: not used, since the data ships with kerasite; it must be
            ``None``. It exists so every loader has the same signature.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        ``(1438, 8, 8)``, ``(1438,)``, ``(359, 8, 8)`` and ``(359,)``; labels
        are the digits 0..9.

    Raises:
        ValueError: if ``path`` is given.
        OSError: if the shipped file is missing or does not match its hash.

    Example:
        >>> from kerasite.datasets import digits
        >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
        >>> x_train.shape, x_test.shape, x_train.dtype.name
        ((1438, 8, 8), (359, 8, 8), 'uint8')
    """
    if path is not None:
        raise ValueError(
            "`path` is not used by digits.load_data: the data ships with "
            f"kerasite. Received: path={path!r}. Call digits.load_data() without it."
        )
    images, labels = _read_shipped()
    images = np.rint(images * (255 / 16)).astype(np.uint8)

    rng = np.random.default_rng(SEED)
    is_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = int(round(TEST_FRACTION * len(members)))
        is_test[rng.choice(members, n_test, replace=False)] = True
    return (images[~is_test], labels[~is_test]), (images[is_test], labels[is_test])


def _read_shipped():
    """The shipped ``(images, labels)``, after checking the file's hash."""
    try:
        with open(FILE, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise OSError(f"The digits file {FILE} is missing from this kerasite install; "
                      "reinstall kerasite (from a clone: git pull, then "
                      "python -m pip install -e .).") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise OSError(f"The digits file {FILE} is damaged: its SHA-256 is {digest}, "
                      f"expected {SHA256}. Restore it (git checkout -- {os.path.basename(FILE)} "
                      "in kerasite/datasets/) or reinstall kerasite.")
    with np.load(io.BytesIO(data)) as archive:
        return archive["images"], archive["labels"]
