"""Arrays as a model takes them: one checked array per input, output and sample weight.

x, y and sample weights come as one array, a list with one per input or
output, or a dict keyed by name; ``class_weight`` becomes sample weights.
"""

import math
import warnings

import numpy as np

from kerasite.config import floatx
from kerasite._validation import is_int, is_number
from kerasite.trainers.data_adapters import _inputs


def _class_weights(class_weight, y):
    """Sample weights ``(samples,)`` from ``class_weight`` and the labels ``y``, as Keras reads them.

    One-hot (or probability) rows give their argmax; a single column or
    integer labels are rounded to the class index. Unlisted classes weigh 1.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            "`class_weight` must be a dict mapping class indices to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}. Received: {type(class_weight).__name__}."
        )
    for key, value in class_weight.items():
        if not is_int(key):
            raise TypeError(
                f"`class_weight` keys must be integer class indices. Received key {key!r}."
            )
        if not is_number(value) or not math.isfinite(value):
            raise TypeError(
                f"`class_weight` values must be finite numbers. Received {key!r}: {value!r}."
            )
    if y.ndim > 2:
        raise ValueError(
            f"`class_weight` needs one label per sample; the targets have shape {y.shape}. "
            "Pass `sample_weight` (shaped like the per-sample losses) instead."
        )
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] != 1 else y.reshape(len(y))
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(len(y), dtype=floatx())
    for key, value in class_weight.items():
        weights[labels == key] = value
    return weights


def _data_list(data, names, arg, kind):
    if isinstance(data, dict):
        missing = [k for k in names if k not in data]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise ValueError(
                f"`{arg}` is a dict whose keys must be the model's {kind} names {names}. "
                f"Missing: {missing}; unknown: {unknown}."
            )
        return [data[k] for k in names]
    if len(data) != len(names):
        raise ValueError(
            f"`{arg}` has {len(data)} arrays but the model has {len(names)} {kind}s {names}: "
            "pass one array per " + kind + "."
        )
    return list(data)


def _first_batches(groups, steps, batch_size, name):
    """The arrays in ``groups`` cut to their first ``steps`` batches (Keras's ``steps``)."""
    if steps is None:
        return groups
    steps = _inputs.check_positive_int(steps, name)
    n = len(groups[0][0])
    if steps * batch_size >= n:
        if steps > math.ceil(n / batch_size):
            warnings.warn(
                f"`{name}`={steps} asks for more batches than the {n} samples make "
                f"({math.ceil(n / batch_size)} of {batch_size}): all of them are used.",
                stacklevel=3,
            )
        return groups
    stop = steps * batch_size
    return tuple([None if a is None else a[:stop] for a in group] for group in groups)
