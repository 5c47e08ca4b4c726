"""Checks and conversions for the arrays users pass to fit, evaluate and predict.

Data is validated and cast to ``floatx()`` once, here, so the training loop can
trust it. Every problem is reported as a ValueError or TypeError that names the
argument and says how to fix it, never as a NumPy error from deep inside.
"""

import numpy as np

from kerasite.config import floatx
from kerasite._validation import positive_int


def as_array(data, name):
    """Returns ``data`` as a C-contiguous ``floatx()`` array with a batch axis.

    Accepts NumPy arrays, lists and anything array-like holding real numbers
    (floats, ints, bools). Refuses strings, objects, complex numbers, missing
    or empty data, and NaN or inf.
    """
    return cast(checked(data, name), name)


def checked(data, name):
    """``data`` as an array, checked but not yet cast: no copy of an array (or memmap).

    ``predict`` and ``evaluate`` then cast it batch by batch with ``cast``, so
    a large uint8 memmap never becomes one float32 copy.
    """
    if data is None:
        raise TypeError(f"`{name}` is required. Received: {name}=None.")
    if isinstance(data, (str, bytes, dict, set)):
        raise TypeError(
            f"`{name}` must be an array of numbers. Received a {type(data).__name__}."
        )
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as exc:  # ragged nested lists, for one
        raise ValueError(
            f"`{name}` could not be turned into an array ({exc}). Pass a NumPy array whose rows "
            "all have the same shape."
        ) from None
    kind = array.dtype.kind
    if kind == "O" and array.ndim == 0:  # a lone object NumPy cannot read as numbers
        raise TypeError(
            f"`{name}` must be data that fit, evaluate and predict can read: a NumPy array "
            "(or a list or dict of arrays, one per input), a generator or other iterable of "
            "(x, y) or (x, y, sample_weight) batches, a kerasite.utils.PyDataset or a "
            f"kerasite.utils.Dataset. Received an object of type {type(data).__name__}."
        )
    if kind in "USO" and array.ndim and len(array) and _strings(array):
        return array  # text, for a model whose input layer takes strings (TextVectorization)
    if kind not in "fiub":
        hint = {"c": "Complex numbers are not supported: use the real part (x.real) or "
                     "split real and imaginary parts into features.",
                "O": "An object array often means ragged rows or mixed types: build a "
                     "numeric array, e.g. np.asarray(x, dtype='float32').",
                "U": "Strings are not numbers: encode them first (e.g. with "
                     "sklearn.preprocessing.LabelEncoder).",
                "S": "Bytes are not numbers: decode and encode them as numbers first."}
        raise TypeError(
            f"`{name}` must hold real numbers (float, int or bool). Received dtype "
            f"{array.dtype}. {hint.get(kind, 'Convert it to a float array.')}"
        )
    if array.ndim == 0:
        raise ValueError(
            f"`{name}` must have a batch axis, shape (samples, ...). Received a scalar: "
            f"{name}={array!r}. Wrap it in a list."
        )
    if len(array) == 0 or array.size == 0:
        raise ValueError(
            f"`{name}` is empty (shape {array.shape}). Pass at least one sample."
        )
    limit = np.finfo(floatx()).max
    # fmin/fmax skip NaN (which min/max would return, hiding a value too large to cast)
    if kind == "f" and array.dtype.itemsize > np.dtype(floatx()).itemsize \
            and max(-np.fmin.reduce(array, axis=None),
                    np.fmax.reduce(array, axis=None)) > limit:  # ignores inf, caught below
        too_big = np.isfinite(array) & (np.abs(array) > limit)
        if too_big.any():
            raise ValueError(
                f"`{name}` has {int(too_big.sum())} values too large for {floatx()} "
                f"(largest magnitude {np.fmax.reduce(np.abs(array), axis=None):.3g}). "
                "Rescale the data."
            )
    return array


def cast(array, name, offset=0):
    """``array`` (from ``checked``) in ``floatx()``; NaN and inf are refused.

    Args:
        array: the data, or one batch of it.
        name: the argument's name, for messages.
        offset: the index of ``array``'s first row in the whole data.
    """
    kind = array.dtype.kind
    if kind in "USO":  # strings (checked above) go to the model's string layers as they are
        return array
    array = np.ascontiguousarray(array, dtype=floatx())
    if kind in "iub":  # integers and booleans are always finite
        return array
    # min and max are NaN or infinite exactly when some element is; unlike
    # isfinite(array), they need no temporary as large as the data.
    if not (np.isfinite(array.min()) and np.isfinite(array.max())):
        finite = np.isfinite(array)
        bad = np.argwhere(~finite)[0]
        bad[0] += offset
        where = bad[0] if array.ndim == 1 else tuple(int(i) for i in bad)
        raise ValueError(
            f"`{name}` contains {int((~finite).sum())} NaN or infinite values (first at index "
            f"{where}). Clean the data first, e.g. drop those rows or use np.nan_to_num."
        )
    return array


def check_text(xs, graph, name):
    """Refuses strings for an input that is not a string ``Input`` (``dtype="string"``)."""
    for x, tensor in zip(xs, getattr(graph, "inputs", [])):
        if x.dtype.kind in "USO" and tensor.dtype != "object":
            raise TypeError(
                f"`{name}` must hold real numbers (float, int or bool). Received dtype "
                f"{x.dtype}. Strings are not numbers: encode them first (e.g. with "
                "sklearn.preprocessing.LabelEncoder), or start the model with "
                "Input(dtype='string') and a StringLookup or TextVectorization layer.")


def _strings(array):
    """Whether ``array`` holds text: str or bytes values, and at least one of them."""
    if array.dtype.kind in "US":
        return array.size > 0
    return array.size > 0 and all(isinstance(v, (str, bytes)) for v in array.flat)


def check_lengths(x, y, x_name="x", y_name="y"):
    if len(x) != len(y):
        raise ValueError(
            f"`{x_name}` and `{y_name}` must have the same number of samples. Received: "
            f"{x_name} has {len(x)} and {y_name} has {len(y)}. Pass one target per input."
        )


def check_positive_int(value, name, minimum=1):
    # The fit/evaluate/predict arguments say "an integer >= 1" (or ">= 0") in their errors.
    return positive_int(value, name, minimum, expected=f"an integer >= {minimum}")
