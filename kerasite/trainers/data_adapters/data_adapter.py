"""What an ``EpochIterator`` needs from a source of batches.

The array adapter gives batches by position; the generator, iterable and
``PyDataset`` adapters (``BatchAdapter``) implement the same few members
and yield their own.
"""


class DataAdapter:
    """A source of batches ``(xs, ys, ws)``: lists with one array per input, output, weight.

    A source of known size (in-memory arrays) sets ``num_samples`` and gives
    any batch by position (``get_batch``), so the iterator can shuffle and
    walk through it. A source of unknown size (a generator) leaves
    ``num_samples`` None and yields its own batches (``iter_batches``).
    """

    num_samples = None

    def num_batches(self, batch_size):
        """The batches in one pass over the data, or None when unknown."""
        if self.num_samples is None:
            return None
        return -(-self.num_samples // batch_size)

    def get_batch(self, start, stop, order=None):
        """Samples ``start:stop`` of the pass (of ``order`` when shuffled) as (xs, ys, ws)."""
        raise NotImplementedError(f"{type(self).__name__} gives no batches by position.")

    def iter_batches(self, epoch=0, seed=0):
        """The batches of one pass, in the source's own order, as (xs, ys, ws).

        ``epoch`` and the model's ``seed`` fix the order of a source that
        shuffles (a ``PyDataset``'s batches).
        """
        raise NotImplementedError(f"{type(self).__name__} does not iterate its batches.")

    def on_epoch_end(self):
        """Called after each pass over the data (a ``PyDataset`` reshuffles here)."""
