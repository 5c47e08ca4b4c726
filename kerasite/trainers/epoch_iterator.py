"""The batches of an epoch: slices in order, or rows gathered in a shuffled order."""

import numpy as np


class _Gather:
    """Copies rows ``idx`` of ``data`` into a reused buffer: one per batch size."""

    def __init__(self, data):
        self.data = data
        self.buffers = {}

    def __call__(self, idx):
        buf = self.buffers.get(len(idx))
        if buf is None:
            buf = self.buffers[len(idx)] = np.empty((len(idx), *self.data.shape[1:]),
                                                    self.data.dtype)
        return np.take(self.data, idx, axis=0, out=buf)


class DataAdapter:
    """What the epoch loop needs from the data: its size and the batches, by position.

    The array adapter is the one kerasite has; a generator or ``PyDataset``
    adapter would implement the same three members beside it.
    """

    num_samples = None

    def num_batches(self, batch_size):
        """The batches in one pass over the data."""
        raise NotImplementedError

    def get_batch(self, start, stop, order):
        """Samples ``start:stop`` of the pass (of ``order`` when shuffled) as (xs, ys, ws)."""
        raise NotImplementedError


class ArrayDataAdapter(DataAdapter):
    """Batches of in-memory arrays: one list per input, output and sample weight.

    In order, a batch is a slice (a view); shuffled, its rows are gathered
    into buffers reused from batch to batch (``_Gather``), one per array (an
    autoencoder's target is its input: gathered once).
    """

    def __init__(self, xs, ys, ws):
        self.data = (xs, ys, ws)
        self.num_samples = len(xs[0])
        arrays = [*xs, *ys, *(w for w in ws if w is not None)]
        self._gathers = {id(a): _Gather(a) for a in arrays}

    def num_batches(self, batch_size):
        return -(-self.num_samples // batch_size)

    def get_batch(self, start, stop, order):
        xs, ys, ws = self.data
        if order is None and start == 0 and stop == self.num_samples:  # all the data: no slicing
            return xs, ys, ws
        if order is None:
            return tuple([None if a is None else a[start:stop] for a in group]
                         for group in (xs, ys, ws))
        idx = order[start:stop]
        batch = {key: gather(idx) for key, gather in self._gathers.items()}
        return tuple([None if a is None else batch[id(a)] for a in group]
                     for group in (xs, ys, ws))
