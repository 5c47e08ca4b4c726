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
