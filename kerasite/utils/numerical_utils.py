"""``to_categorical`` and ``normalize``, Keras's ``keras.utils`` helpers of the same names."""

import numpy as np

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
