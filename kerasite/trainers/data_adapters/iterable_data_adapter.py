"""Batches from an iterable that can be read again: a list of batches, a ``Dataset``.

Each pass calls ``iter()`` on it afresh, so every epoch sees all its batches
in its own order. Its length, when it has one (``len()``, or a
``cardinality()`` >= 0 as tf.data's), is the number of batches a pass.
"""

from kerasite.trainers.data_adapters.batch_adapter import BatchAdapter


def count_batches(iterable):
    """``len(iterable)`` or its ``cardinality()``, or None when unknown or endless (< 0)."""
    try:
        count = len(iterable)
    except TypeError:
        cardinality = getattr(iterable, "cardinality", None)
        if not callable(cardinality):
            return None
        count = cardinality()
    count = int(count)
    return count if count >= 0 else None


class IterableDataAdapter(BatchAdapter):
    """Batches from a re-iterable object, a new ``iter()`` each pass.

    Args:
        iterable: a list of ``(x, y)`` tuples, a ``Dataset``, or any object
            whose ``__iter__`` yields ``x``, ``(x, y)`` or ``(x, y,
            sample_weight)`` batches.
        **kwargs: see ``BatchAdapter``.

    Example:
        >>> import numpy as np
        >>> pairs = [(np.ones((2, 1)), np.zeros((2, 1))), (np.ones((1, 1)), np.zeros((1, 1)))]
        >>> adapter = IterableDataAdapter(pairs, prepare=lambda x, y, w, cw: ([x], [y], [w]))
        >>> adapter.num_batches(None), [len(xs[0]) for xs, _, _ in adapter.iter_batches()]
        (2, [2, 1])
    """

    def __init__(self, iterable, **kwargs):
        super().__init__(**kwargs)
        self._iterable = iterable
        self._count = count_batches(iterable)
        if self._count == 0:
            raise ValueError(f"{self.what[0].upper()}{self.what[1:]} holds no batch (its "
                             "length is 0). Pass at least one batch.")

    def num_batches(self, batch_size):
        return self._count

    def _read_first(self):
        for batch in self._iterable:
            return self.standardize(batch, 0)
        raise ValueError(f"{self.what[0].upper()}{self.what[1:]} yielded no batch. Pass at "
                         "least one batch.")

    def iter_batches(self, epoch=0, seed=0):
        iterator = iter(self._iterable)
        index = 0
        while True:
            try:
                batch = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                exc.add_note(f"Raised by {self.what} while making batch {index} (counted "
                             "from 0).")
                raise
            yield self.standardize(batch, index)
            index += 1
