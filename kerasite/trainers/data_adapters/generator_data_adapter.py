"""Batches from a Python generator or iterator: read once, in the order they come.

A generator cannot be rewound. As in Keras, ``fit`` reads it as it goes: with
``steps_per_epoch``, each epoch takes the next ``steps_per_epoch`` batches
(an endless generator is the usual case); without it, the first epoch reads
the generator to its end, and the next epoch finds nothing left, so training
stops there with Keras's warning "Your input ran out of data". Keras 3.15
instead replays the two batches it peeked at to learn the batch structure in
every later epoch, then warns (keras-team/keras#20402); kerasite reads each
batch once and never replays one.
"""

from kerasite.trainers.data_adapters.batch_adapter import BatchAdapter


class GeneratorDataAdapter(BatchAdapter):
    """Batches from a generator (or any iterator), each read once.

    The first batch is read when the adapter is first asked for it
    (``first_data``: the trainer learns the targets' form and builds an
    unbuilt model from it) and given again as the first of the first pass.

    Args:
        iterator: the generator or iterator, yielding ``x``, ``(x, y)`` or
            ``(x, y, sample_weight)``.
        **kwargs: see ``BatchAdapter``.

    Example:
        >>> import numpy as np
        >>> def batches():
        ...     for i in range(3):
        ...         yield np.full((2, 1), i, "float32"), np.zeros((2, 1))
        >>> adapter = GeneratorDataAdapter(batches(), prepare=lambda x, y, w, cw: ([x], [y], [w]))
        >>> [int(xs[0][0, 0]) for xs, _, _ in adapter.iter_batches()]
        [0, 1, 2]
        >>> adapter.exhausted()
        True
    """

    one_shot = True

    def __init__(self, iterator, **kwargs):
        super().__init__(**kwargs)
        self._iterator = iterator
        self._read = 0  # batches taken from the iterator so far
        self._pending = None  # a batch read ahead, standardized, not yet given
        self._done = False

    def _next(self):
        """The next batch, standardized, or None once the iterator is done."""
        if self._pending is not None:
            batch, self._pending = self._pending, None
            return batch
        if self._done:
            return None
        index = self._read
        try:
            raw = next(self._iterator)
        except StopIteration:
            self._done = True
            return None
        except Exception as exc:
            exc.add_note(f"Raised by {self.what} while making batch {index} (counted from 0).")
            raise
        self._read += 1
        return self.standardize(raw, index)

    def _read_first(self):
        batch = self._next()
        if batch is None:
            raise ValueError(
                f"{self.what[0].upper()}{self.what[1:]} yielded no batch: it is empty or "
                "already used up (a generator can be read only once). Pass a new generator, "
                "or a PyDataset, which can be read again every epoch."
            )
        self._pending = batch
        return batch

    def iter_batches(self, epoch=0, seed=0):
        if self._first is None:
            self.first_data
        while True:
            batch = self._next()
            if batch is None:
                return
            yield batch

    def exhausted(self):
        if self._pending is None and not self._done:
            self._pending = self._next()
        return self._pending is None
