"""Adapters that turn the data given to fit/evaluate/predict into arrays per input and output.

``get_data_adapter`` chooses one for ``x`` (or ``validation_data``):

* arrays (NumPy arrays, memmaps, lists or dicts of them, anything with
  ``__array__``): None, and the trainer slices them itself
  (``array_data_adapter``);
* a ``kerasite.utils.PyDataset``: ``PyDatasetAdapter``, read by index,
  possibly by workers;
* a generator or any other iterator: ``GeneratorDataAdapter``, read once;
* any other iterable of batches, such as a list of ``(x, y)`` tuples or a
  ``Dataset``: ``IterableDataAdapter``, read again every epoch.

With the last three, the batches are made already: ``y``, ``sample_weight``
and ``batch_size`` must not be given, nor ``validation_split``, as in Keras.
"""

import warnings

import numpy as np

from kerasite.utils.dataset import Dataset
from kerasite.utils.py_dataset import PyDataset


def batch_source_kind(x):
    """``"PyDataset"``, ``"generator"`` or ``"iterable"`` for a source of batches; None for arrays.

    A list counts as batches when every item is a tuple (``[(x0, y0), (x1,
    y1)]``); a list of arrays stays several inputs, as in Keras.
    """
    if x is None or isinstance(x, (np.ndarray, str, bytes, dict, tuple)) or hasattr(x, "__array__"):
        return None
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, list):
        return "iterable" if x and all(isinstance(b, tuple) for b in x) else None
    if hasattr(x, "__next__"):
        return "generator"
    if hasattr(x, "__iter__"):
        return "iterable"
    return None


def _a(label):
    return ("an " if label[0] in "aeiou" else "a ") + label


def _refuse(arg, kind, what):
    raise ValueError(
        f"When `x` is {_a(kind)}, `{arg}` must not be passed: {what} come in its batches. Yield "
        "(x, y) or (x, y, sample_weight) from it instead."
    )


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, *, prepare, mode="fit",
                     class_weight=None, shuffle=False, validation_split=0.0, name="x"):
    """The adapter for ``x`` when it is a source of batches; None when it is array data.

    Args:
        x: the data given to ``fit``/``evaluate``/``predict`` (or
            ``validation_data``).
        y, sample_weight, batch_size: as given to the call (None when not
            given): a source of batches refuses them.
        prepare: the trainer's checks for one batch (see ``BatchAdapter``).
        mode: ``"fit"``, ``"evaluate"`` or ``"predict"`` (batches then need
            no targets).
        class_weight: applied to each batch of a ``PyDataset`` or iterable;
            refused for a generator, as in Keras.
        shuffle: ``fit``'s argument: reorders a ``PyDataset``'s batches each
            epoch; a generator or iterable is taken in its own order (with
            Keras's warning when ``shuffle`` is true).
        validation_split: refused unless 0, as in Keras.
        name: ``"x"`` or ``"validation_data"``, for messages.

    Raises:
        ValueError, TypeError: for arguments that do not go with the source.
    """
    kind = batch_source_kind(x)
    if kind is None:
        if callable(x) and not isinstance(x, type) and hasattr(x, "__code__") \
                and x.__code__.co_flags & 0x20:  # a generator function, not yet called
            raise TypeError(
                f"`{name}` is the generator function {x.__name__!r}, not a generator: call "
                f"it, e.g. fit({x.__name__}()), so that it yields the batches."
            )
        return None
    from kerasite.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
    from kerasite.trainers.data_adapters.iterable_data_adapter import IterableDataAdapter
    from kerasite.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    label = {"PyDataset": "PyDataset", "generator": "generator", "iterable": "iterable"}[kind]
    if y is not None:
        _refuse("y", label, "the targets")
    if sample_weight is not None:
        _refuse("sample_weight", label, "the sample weights")
    if batch_size is not None:
        arg = "validation_batch_size" if name == "validation_data" else "batch_size"
        raise ValueError(
            f"`{arg}` must not be given when `{name}` is {_a(label)}: its batches are made "
            f"already. Received: {arg}={batch_size!r}. Set the batch size where the batches "
            "are made."
        )
    if validation_split:
        raise ValueError(
            f"`validation_split` is only supported for arrays: {_a(label)} cannot be split "
            "without reading it all. Received: "
            f"validation_split={validation_split!r}. Pass `validation_data` instead."
        )
    if class_weight is not None and kind == "generator":
        raise ValueError(
            "`class_weight` is not supported for Python generator inputs (as in Keras). "
            f"Received: class_weight={class_weight!r}. Yield (x, y, sample_weight) batches "
            "with the weights instead, or use a PyDataset."
        )
    what = {"PyDataset": f"the {type(x).__name__} given as `{name}`",
            "generator": f"the generator given as `{name}`",
            "iterable": f"the {type(x).__name__} of batches given as `{name}`"}[kind]
    common = dict(prepare=prepare, class_weight=class_weight, targets=mode != "predict",
                  what=what, mode=mode)
    if kind == "PyDataset":
        if shuffle and x.num_batches is None:
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was "
                "provided as an infinite PyDataset. The PyDataset is expected to already be "
                "shuffled.",
                stacklevel=3,
            )
        return PyDatasetAdapter(x, shuffle=shuffle, **common)
    # kerasite's Dataset stands for tf.data, which Keras shuffles by its own `shuffle()`
    # without a warning; a generator or another iterable gets Keras's warning.
    if shuffle and not isinstance(x, Dataset):
        warnings.warn(
            f"`shuffle=True` was passed, but will be ignored since the data `x` was provided "
            f"as {_a(label)}. The {label} is expected to yield already-shuffled data "
            "(shuffle=False silences this warning, as in Keras).",
            stacklevel=3,
        )
    if kind == "generator":
        return GeneratorDataAdapter(x, **common)
    return IterableDataAdapter(x, **common)


def reserve_outputs(results, outs, start):
    """``predict``'s output arrays, grown (doubled) to hold a batch ``outs`` at row ``start``.

    For a source of unknown length; the caller trims them to the rows
    written at the end.
    """
    stop = start + len(outs[0])
    if results is None:
        return [np.empty((max(stop, 2 * len(o)), *o.shape[1:]), dtype=o.dtype) for o in outs]
    if stop <= len(results[0]):
        return results
    grown = []
    for r in results:
        bigger = np.empty((max(stop, 2 * len(r)), *r.shape[1:]), dtype=r.dtype)
        bigger[:start] = r[:start]
        grown.append(bigger)
    return grown
