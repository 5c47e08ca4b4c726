"""Digits: scikit-learn's bundled 1,797 handwritten digits, 8x8 pixels, 10 classes.

A tiny stand-in for MNIST that ships inside scikit-learn, so it loads in
milliseconds and never needs a network: handy for tests, examples and quick
experiments. The original pixels are counts 0..16; ``load_data`` rescales
them to 0..255 so the usual ``x / 255`` preprocessing works as for MNIST.
"""

import numpy as np

NAME = "digits"
TITLE = "Digits"

#: The fraction of every class held out for the test split.
TEST_FRACTION = 0.2
#: The seed of the split, fixed so every call returns the same arrays.
SEED = 0


def load_data(path=None):
    """Loads scikit-learn's 8x8 digits, split into train and test sets.

    The split is stratified and fixed: from every class, ``round(0.2 * count)``
    images, chosen with ``numpy.random.default_rng(0)``, form the test set
    (359 images) and the other 1,438 the training set. Within each split the
    images keep their original order. Pixels are rescaled from 0..16 to
    0..255 as ``round(v * 255 / 16)``, so 0 stays 0 and 16 becomes 255.

    Args:
        path: not used, since the data ships with scikit-learn; it must be
            ``None``. It exists so every loader has the same signature.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        ``(1438, 8, 8)``, ``(1438,)``, ``(359, 8, 8)`` and ``(359,)``; labels
        are the digits 0..9.

    Raises:
        ValueError: if ``path`` is given.
        ImportError: if scikit-learn is not installed.

    Example:
        >>> from kerasite.datasets import digits
        >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
        >>> x_train.shape, x_test.shape, x_train.dtype.name
        ((1438, 8, 8), (359, 8, 8), 'uint8')
    """
    if path is not None:
        raise ValueError(
            "`path` is not used by digits.load_data: the data ships inside "
            f"scikit-learn. Received: path={path!r}. Call digits.load_data() without it."
        )
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "kerasite.datasets.digits needs scikit-learn, which ships the data. "
            "Install it with `pip install scikit-learn`."
        ) from exc
    bunch = load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)

    rng = np.random.default_rng(SEED)
    is_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = int(round(TEST_FRACTION * len(members)))
        is_test[rng.choice(members, n_test, replace=False)] = True
    return (images[~is_test], labels[~is_test]), (images[is_test], labels[is_test])
