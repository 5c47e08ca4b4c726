"""What the adapters of ready-made batches share: unpacking and checking each batch.

A generator, an iterable of batches and a ``PyDataset`` all hand over
batches already cut: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y,
sample_weight)``. ``BatchAdapter`` turns each into the ``(xs, ys, ws)``
lists the loops take, through the same checks as arrays (the trainer's
``prepare``), and refuses, naming the batch, one whose structure, feature
shape or dtype differs from the first batch's.
"""

import numpy as np

from kerasite.trainers.data_adapters.data_adapter import DataAdapter

_NAMES = ("x", "y", "sample_weight")


def unpack_batch(batch, index, what):
    """``(x, y, sample_weight)`` of one batch; a list counts as a tuple, as Keras reads it."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(
            f"Batch {index} from {what} has {len(batch)} items. A batch must be x, (x,), "
            "(x, y) or (x, y, sample_weight); put several inputs in a list or dict as x, "
            "e.g. ([x1, x2], y)."
        )
    return (batch + (None, None))[:3]


def _signature(value, label, index, what):
    """The structure, dtypes and feature shapes of one part of a batch, to compare batches."""
    if value is None:
        return None
    if isinstance(value, dict):
        return "dict", tuple((key, _signature(v, f"{label}[{key!r}]", index, what))
                             for key, v in value.items())
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        return "list", tuple(_signature(v, f"{label}[{i}]", index, what)
                             for i, v in enumerate(value))
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError):
            value = np.empty(0, dtype=object)  # ragged: reported just below
    if value.dtype.kind == "O":
        raise TypeError(
            f"Batch {index} from {what}: `{label}` is an array of Python objects (dtype "
            "object), not of numbers. A generator, iterable or PyDataset must give each batch "
            "as NumPy arrays of numbers: x, (x, y) or (x, y, sample_weight), each of shape "
            "(batch, ...). An object array often means rows of different lengths (pad them "
            "to one length) or a list of arrays of different shapes."
        )
    return value.dtype, value.shape[1:]


def _describe(signature):
    """``signature`` in words: ``"shape (batch, 4) and dtype float32"``, or a list/dict of those."""
    if signature is None:
        return "nothing (None)"
    kind, parts = signature
    if kind == "dict":
        return "a dict {" + ", ".join(f"{k!r}: {_describe(s)}" for k, s in parts) + "}"
    if kind == "list":
        return "a list [" + ", ".join(_describe(s) for s in parts) + "]"
    return f"shape ({', '.join(['batch', *map(str, parts)])}) and dtype {kind}"


class BatchAdapter(DataAdapter):
    """A source of ready-made batches, each checked as arrays are, against the first batch.

    Subclasses yield the raw batches (``_raw_batches``); this base unpacks
    and checks them. The first batch goes through the trainer's full checks
    (they build an unbuilt model); every later batch must keep its
    structure, dtypes and feature shapes (only the batch size may vary), and
    is then checked and cast the same way.

    Args:
        prepare: the trainer's checks, ``prepare(x, y, sample_weight,
            class_weight)`` returning ``(xs, ys, ws)``; or, for ``predict``
            (``targets=False``), ``prepare(x)`` returning ``xs``.
        class_weight: None, or a dict class index -> weight applied to each
            batch's labels.
        targets: whether batches carry targets (False for ``predict``,
            which uses only each batch's ``x``).
        what: the source, for messages, e.g. ``"the generator given as `x`"``.
        mode: ``"fit"``, ``"evaluate"`` or ``"predict"``.

    Attributes:
        one_shot: whether the source can be read only once (a generator).
    """

    one_shot = False

    def __init__(self, prepare, class_weight=None, targets=True, what="the data", mode="fit"):
        self._prepare = prepare
        self._class_weight = class_weight
        self._targets = targets
        self.what = what
        self.mode = mode
        self._first_signature = None
        self._first = None  # the first batch, standardized (read by ``first_data``)

    # ------------------------------------------------------------- per batch
    def standardize(self, batch, index):
        """``(xs, ys, ws)`` for one raw batch, checked; ``index`` names it in messages."""
        x, y, w = unpack_batch(batch, index, self.what)
        if not self._targets:
            y = w = None
        signature = tuple(_signature(v, n, index, self.what) for v, n in zip((x, y, w), _NAMES))
        first = self._first_signature
        if first is None:
            self._first_signature = signature
        elif signature != first:
            self._changed(first, signature, index)
        try:
            if not self._targets:
                return self._prepare(x), [], []
            return self._prepare(x, y, w, self._class_weight)
        except (ValueError, TypeError) as exc:
            kind = ValueError if isinstance(exc, ValueError) else TypeError
            raise kind(f"Batch {index} from {self.what}: {exc}") from exc

    def _changed(self, first, signature, index):
        for name, before, now in zip(_NAMES, first, signature):
            if before != now:
                raise ValueError(
                    f"Batch {index} from {self.what} does not match the batches before it: "
                    f"its `{name}` has {_describe(now)}, but batch 0's had "
                    f"{_describe(before)}. Every batch must have the same parts, feature "
                    "shapes and dtypes; only the number of samples may change."
                )

    @property
    def first_data(self):
        """The first batch as ``(xs, ys, ws)``: read (and checked) on first use."""
        if self._first is None:
            self._first = self._read_first()
        return self._first

    def _read_first(self):
        raise NotImplementedError

    # --------------------------------------------------------------- a pass
    def exhausted(self):
        """Whether no batch is left for another pass (only a one-shot source runs out)."""
        return False

    def close(self):
        """Stops any worker reading ahead (a ``PyDataset`` adapter's); safe to call twice."""
