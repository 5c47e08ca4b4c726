"""The benchmark's data: Fashion-MNIST images, flattened and scaled to [0, 1].

The images are looked for in this order, and the first that works is used:

1. Debian's ``dataset-fashion-mnist`` files in ``/usr/share/datasets/fashion-mnist``,
   read directly (gzip + NumPy);
2. ``kerasite.datasets.fashion_mnist.load_data()``, if kerasite has it
   (it may find a cached copy or download one);
3. scikit-learn's 8x8 digits, upsampled to 28x28 and tiled to the same count;
4. random images, so that the timings still mean something.

The autoencoder uses only the images (its target is its input); the convnet
also needs the labels, from ``load_labeled``. The Conv1D timeseries classifier
trains on generated series shaped like keras.io's FordA, from ``load_timeseries``.
The source is returned with the arrays, so that the report can say what was
measured.
"""

import gzip
import os
import struct

import numpy as np

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
N_TRAIN, N_TEST, N_PIXELS = 60_000, 10_000, 28 * 28


def load(n_train=N_TRAIN, n_test=N_TEST):
    """Returns ``(x_train, x_test, source)``.

    Args:
        n_train: how many training images to keep (the first ones).
        n_test: how many test images to keep.

    Returns:
        ``x_train`` of shape ``(n_train, 784)`` and ``x_test`` of shape
        ``(n_test, 784)``, both C-contiguous float32 in [0, 1], and a
        sentence naming where they came from.
    """
    for loader in (_debian_files, _kerasite_loader, _sklearn_digits, _random_images):
        found = loader()
        if found is not None:
            x_train, x_test, source = found
            return (_as_unit_float32(x_train[:n_train]), _as_unit_float32(x_test[:n_test]),
                    source)
    raise AssertionError("unreachable: random images are always available")


def _as_unit_float32(images):
    """uint8 images of any shape -> float32 rows of 784 values in [0, 1]."""
    flat = images.reshape(len(images), -1)
    out = np.empty(flat.shape, dtype=np.float32)
    np.divide(flat, np.float32(255), out=out)  # one pass, no float64 temporary
    return out


def read_idx_images(path):
    """Reads a gzip IDX image file: magic 0x00000803, then n, rows, cols, then bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">4i", raw[:16])
    if magic != 0x0803:
        raise ValueError(f"{path} is not an IDX image file (magic {magic:#010x}).")
    images = np.frombuffer(raw, dtype=np.uint8, offset=16)
    if images.size != n * rows * cols:
        raise ValueError(f"{path} holds {images.size} pixels; its header promises {n * rows * cols}.")
    return images.reshape(n, rows, cols)


def _debian_files():
    train = os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")
    test = os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")
    if not (os.path.exists(train) and os.path.exists(test)):
        return None
    return (read_idx_images(train), read_idx_images(test),
            f"Fashion-MNIST, read from {FASHION_DIR} (Debian dataset-fashion-mnist)")


def _kerasite_loader():
    try:
        from kerasite.datasets import fashion_mnist
        (x_train, _), (x_test, _) = fashion_mnist.load_data()
    except (ImportError, OSError, ValueError):  # no module, no file, no network: next source
        return None
    return x_train, x_test, "Fashion-MNIST, via kerasite.datasets.fashion_mnist.load_data()"


def _sklearn_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits().images  # (1797, 8, 8), values 0..16
    # Nearest-neighbour upsampling 8x8 -> 24x24, padded to 28x28.
    big = digits.repeat(3, axis=1).repeat(3, axis=2)
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))
    images = np.round(big * (255 / 16)).astype(np.uint8)
    reps = -(-(N_TRAIN + N_TEST) // len(images))  # ceiling division
    images = np.tile(images, (reps, 1, 1))
    return (images[:N_TRAIN], images[N_TRAIN:N_TRAIN + N_TEST],
            ("FALLBACK: Fashion-MNIST not found; scikit-learn 8x8 digits upsampled to 28x28 "
            "and tiled to 60,000 + 10,000 images (timings valid, MSE not comparable to "
            "Fashion-MNIST's)"))


def _random_images():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(N_TRAIN + N_TEST, N_PIXELS), dtype=np.uint8)
    return (images[:N_TRAIN], images[N_TRAIN:],
            ("FALLBACK: Fashion-MNIST and scikit-learn not found; uniform random images "
            "(timings valid, MSE meaningless)"))


def load_labeled(n_train=N_TRAIN, n_test=N_TEST):
    """Returns ``(x_train, y_train, x_test, y_test, source)`` for the convnet.

    The images are ``(n, 28, 28, 1)`` float32 in [0, 1] (channels-last, as
    Keras), the labels int64 class indices. From Debian's files, else
    ``kerasite.datasets.fashion_mnist``, else random images and labels (the
    timings still mean something, the accuracy does not).
    """
    found = None
    train = os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")
    test = os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")
    images = _debian_files()
    if images is not None and os.path.exists(train) and os.path.exists(test):
        found = images[0], read_idx_labels(train), images[1], read_idx_labels(test), images[2]
    if found is None:
        try:
            from kerasite.datasets import fashion_mnist
            (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
            found = (x_train, y_train, x_test, y_test,
                     "Fashion-MNIST, via kerasite.datasets.fashion_mnist.load_data()")
        except (ImportError, OSError, ValueError):
            rng = np.random.default_rng(0)
            x_train, x_test, _ = _random_images()
            found = (x_train, rng.integers(0, 10, N_TRAIN), x_test, rng.integers(0, 10, N_TEST),
                     "FALLBACK: Fashion-MNIST not found; random images and labels (timings "
                     "valid, accuracy meaningless)")
    x_train, y_train, x_test, y_test, source = found
    shape = (-1, 28, 28, 1)
    return (_as_unit_float32(x_train[:n_train]).reshape(shape), np.asarray(y_train[:n_train],
            dtype=np.int64), _as_unit_float32(x_test[:n_test]).reshape(shape),
            np.asarray(y_test[:n_test], dtype=np.int64), source)


def read_idx_labels(path):
    """Reads a gzip IDX label file: magic 0x00000801, then n, then one byte per label."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">2i", raw[:8])
    if magic != 0x0801:
        raise ValueError(f"{path} is not an IDX label file (magic {magic:#010x}).")
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if labels.size != n:
        raise ValueError(f"{path} holds {labels.size} labels; its header promises {n}.")
    return labels


# keras.io's FordA: 3,601 training and 1,320 test series of 500 steps, two classes.
TIMESERIES_TRAIN, TIMESERIES_TEST, TIMESERIES_STEPS = 3_601, 1_320, 500


def load_timeseries(n_train=TIMESERIES_TRAIN, n_test=TIMESERIES_TEST):
    """Returns ``(x_train, y_train, x_test, y_test, source)`` for the timeseries classifier.

    Generated series of FordA's shape, ``(n, 500, 1)`` float32, standardized
    per series, with int64 labels: class 0 is a noisy sine of a lower
    frequency than class 1, so the classes can be learnt (the timings do not
    depend on the values).
    """
    rng = np.random.default_rng(0)
    n = n_train + n_test
    labels = rng.integers(0, 2, n)
    t = np.arange(TIMESERIES_STEPS) / TIMESERIES_STEPS
    freq = np.where(labels == 1, 12.0, 8.0)[:, None] + rng.normal(0, 1.0, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    x = np.sin(2 * np.pi * freq * t + phase) + rng.normal(0, 0.8, (n, TIMESERIES_STEPS))
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    x = x.astype(np.float32)[:, :, None]
    source = ("generated series of FordA's shape (keras.io's timeseries classification "
              "example): sines of two frequency bands in Gaussian noise, standardized")
    return x[:n_train], labels[:n_train], x[n_train:], labels[n_train:], source
