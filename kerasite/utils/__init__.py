"""Seeding, label and array helpers shared across the package.

``to_categorical`` and ``normalize`` are Keras's ``keras.utils`` helpers of
the same names.

kerasite keeps one global ``numpy.random.Generator``. Initializers draw weights
from it and layers without their own seed draw their seeds from it, so
``set_random_seed`` makes a whole run reproducible. Randomness used *during*
training (shuffling, dropout masks) is derived from ``(seed, epoch)`` so that a
run resumed at epoch ``k`` sees exactly the batches and masks it would have seen.
"""

import numpy as np

_rng = np.random.default_rng()


def set_random_seed(seed):
    """Seeds every source of randomness kerasite uses.

    Call it before building a model: initial weights, the order of batches and
    dropout masks then repeat exactly from run to run.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.

    Example:
        >>> import kerasite
        >>> kerasite.utils.set_random_seed(0)
        >>> a = kerasite.utils.get_rng().integers(1000)
        >>> kerasite.utils.set_random_seed(0)
        >>> bool(a == kerasite.utils.get_rng().integers(1000))
        True
    """
    global _rng
    _rng = np.random.default_rng(check_seed(seed, "seed"))


def get_rng():
    """Returns the global ``numpy.random.Generator``.

    Initializers without their own seed draw from it. Keep no reference to it
    across ``set_random_seed`` calls, which replace it.
    """
    return _rng


def draw_seed():
    """Draws a fresh integer seed from the global generator.

    Returns:
        An int in ``[0, 2**31 - 1)``.
    """
    return int(_rng.integers(0, 2**31 - 1))


def check_seed(seed, name="seed"):
    """Validates a user-supplied seed and returns it as a Python int.

    Args:
        seed: the value to check.
        name: the argument's name, for the error message.

    Returns:
        ``int(seed)``.

    Raises:
        TypeError: if ``seed`` is not an integer (booleans included).
        ValueError: if it is negative.

    Example:
        >>> check_seed(7)
        7
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"`{name}` must be a non-negative integer. Received: {name}={seed!r} "
            f"of type {type(seed).__name__}."
        )
    if seed < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={seed}.")
    return int(seed)


def epoch_rng(seed, epoch):
    """A generator that depends only on ``(seed, epoch)``; used for shuffles and masks.

    Args:
        seed: a non-negative integer (a model's or a dropout layer's seed).
        epoch: the epoch, counted from 0.

    Returns:
        A new ``numpy.random.Generator``.

    Example:
        >>> a = epoch_rng(1, 3).permutation(5)
        >>> bool((a == epoch_rng(1, 3).permutation(5)).all())
        True
    """
    return np.random.default_rng([seed, epoch])


def to_categorical(y, num_classes=None):
    """One-hot encodes integer class labels, as ``keras.utils.to_categorical``.

    Args:
        y: integer class indices, any shape, e.g. ``(samples,)``; a trailing
            axis of size 1, as in ``(samples, 1)``, is dropped as Keras drops it.
            Floats are accepted when they hold whole numbers.
        num_classes: the number of classes; by default ``max(y) + 1``.

    Returns:
        A ``floatx()`` array of shape ``(*y.shape, num_classes)`` with a 1 in
        each label's column and 0 elsewhere.

    Raises:
        TypeError: if ``y`` is not numeric or ``num_classes`` is not an integer.
        ValueError: if a label is negative, not a whole number, or not below
            ``num_classes``, or if ``y`` is empty and ``num_classes`` is not given.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
        >>> to_categorical([[1], [0]], num_classes=3).shape
        (2, 3)
    """
    from kerasite.config import floatx

    labels = np.asarray(y)
    if labels.dtype.kind not in "iuf" or labels.dtype == np.bool_:
        raise TypeError(
            "`y` must hold integer class indices such as [0, 2, 1]. Received an array of dtype "
            f"{labels.dtype}. Encode string labels as integers first (e.g. with np.unique(y, "
            "return_inverse=True))."
        )
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is not None:
        if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
            raise TypeError(
                f"`num_classes` must be a positive integer or None. Received: "
                f"num_classes={num_classes!r}."
            )
        if num_classes < 1:
            raise ValueError(
                f"`num_classes` must be a positive integer or None. Received: "
                f"num_classes={num_classes}."
            )
    if labels.size:
        if labels.dtype.kind == "f" and not np.array_equal(labels, np.floor(labels)):
            # Keras truncates 1.5 to 1 silently; a fractional label is a bug upstream.
            bad = labels[labels != np.floor(labels)].flat[0].item()
            raise ValueError(
                f"`y` must hold whole-number class indices. Received a value {bad!r}. Round "
                "or fix the labels first."
            )
        low, high = labels.min().item(), labels.max().item()
        if low < 0:
            # Keras's indexing would put -1 in the last column, silently.
            raise ValueError(
                f"`y` must hold class indices >= 0. Received a value {low!r}."
            )
        if num_classes is not None and high >= num_classes:
            raise ValueError(
                f"`y` holds the label {high!r}, but num_classes={num_classes} allows labels 0 "
                f"to {num_classes - 1}. Pass a larger `num_classes`, or None to use max(y) + 1."
            )
    elif num_classes is None:
        raise ValueError("`y` is empty, so the number of classes is unknown: pass `num_classes`.")
    if num_classes is None:
        num_classes = int(high) + 1
    out = np.zeros((labels.size, int(num_classes)), dtype=floatx())
    out[np.arange(labels.size), labels.reshape(-1).astype(np.intp)] = 1
    return out.reshape(*labels.shape, int(num_classes))


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit norm along ``axis``, as ``keras.utils.normalize``.

    ``x / ||x||_order`` computed along ``axis``; slices whose norm is 0 are left
    as they are (all zeros) rather than divided by 0.

    Args:
        x: an array, e.g. ``(samples, features)``.
        axis: the axis along which to take the norm (default the last).
        order: the norm's order, as ``numpy.linalg.norm``'s ``ord`` for vectors:
            2 (Euclidean, the default), 1, ``np.inf``, ...

    Returns:
        An array of ``x``'s shape, of ``x``'s float dtype (``floatx()`` for
        integer input).

    Raises:
        TypeError: if ``x`` is not numeric.
        ValueError: if ``axis`` is out of range or ``order`` is not a number.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    from kerasite.config import floatx

    x = np.asarray(x)
    if x.dtype.kind not in "iuf" or x.dtype == np.bool_:
        raise TypeError(f"`x` must be a numeric array. Received an array of dtype {x.dtype}.")
    if x.dtype.kind != "f":
        x = x.astype(floatx())
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)) \
            or not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"`axis` must be an integer in [-{x.ndim}, {x.ndim}) for an array of shape "
            f"{x.shape}. Received: axis={axis!r}."
        )
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, float, np.integer,
                                                                        np.floating)):
        raise ValueError(
            f"`order` must be a number such as 1, 2 or np.inf. Received: order={order!r}."
        )
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return (x / norm).astype(x.dtype, copy=False)


class EagerArray(np.ndarray):
    """A NumPy array that also has ``.numpy()``, as a TensorFlow eager tensor has.

    Calling a model or a layer on data (``model(x)``, ``layer(x)``) returns
    one, and a loss called on data (``loss_fn(y, p)``) returns an
    ``EagerFloat``, so tutorials written for tf.keras that end in ``.numpy()``
    run unchanged. It is an ordinary ``ndarray`` in every other way (no copy
    is made); ``predict`` returns plain arrays, as Keras does.

    Example:
        >>> import numpy as np
        >>> from kerasite import layers, losses
        >>> layers.Flatten()(np.ones((1, 1, 2))).numpy()
        array([[1., 1.]])
        >>> losses.MeanSquaredError()(np.array([[1.0]]), np.array([[3.0]])).numpy()
        np.float64(4.0)
    """

    @classmethod
    def wrap(cls, value):
        """``value`` (an array, a float, or a list/dict of arrays) with ``.numpy()``."""
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        if isinstance(value, dict):
            return {k: cls.wrap(v) for k, v in value.items()}
        if isinstance(value, float):
            return EagerFloat(value)
        return np.asarray(value).view(cls)

    def numpy(self):
        """The value as a plain ``ndarray``."""
        return self.view(np.ndarray)

    def __getitem__(self, index):
        # t[i] of an eager tensor is a tensor, so t[i].numpy() works on a single element too
        item = super().__getitem__(index)
        return np.asarray(item).view(EagerArray) if isinstance(item, np.generic) else item

    def __repr__(self):  # shown as the plain array it is, so outputs read as NumPy's
        return repr(self.view(np.ndarray))


class EagerFloat(float):
    """A Python float with ``.numpy()``: what calling a loss on data returns."""

    def numpy(self):
        """The value as a NumPy scalar, as a scalar eager tensor gives it."""
        return np.float64(self)


from kerasite.utils.sequence_utils import pad_sequences  # noqa: E402  (needs nothing above)
# The dataset utilities (their modules import the helpers above, so they come last).
from kerasite.utils.dataset import AUTOTUNE, Dataset  # noqa: E402
from kerasite.utils.dataset_utils import split_dataset  # noqa: E402
from kerasite.utils.image_utils import array_to_img  # noqa: E402
from kerasite.utils.image_utils import image_dataset_from_directory  # noqa: E402
from kerasite.utils.image_utils import img_to_array  # noqa: E402
from kerasite.utils.image_utils import load_img  # noqa: E402
from kerasite.utils.image_utils import save_img  # noqa: E402
from kerasite.utils.text_dataset_utils import text_dataset_from_directory  # noqa: E402
from kerasite.utils.timeseries_utils import timeseries_dataset_from_array  # noqa: E402
from kerasite.utils.py_dataset import PyDataset, Sequence  # noqa: E402  (Keras's keras.utils names)
