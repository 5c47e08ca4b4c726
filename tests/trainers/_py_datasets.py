"""PyDatasets for the data-adapter tests, in a module so that spawned worker processes import them."""

import threading
import time

import numpy as np

from kerasite.utils import PyDataset


def regression_data(n=20, features=3, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(dtype)
    y = (x @ np.arange(1.0, features + 1.0)[:, None] + 0.5).astype(dtype)
    return x, y


class ArrayBatches(PyDataset):
    """The batches of ``(x, y)`` in order, as fit slices arrays: the last may be smaller."""

    def __init__(self, x, y=None, batch_size=4, sample_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.w, self.batch_size = x, y, sample_weight, batch_size
        self.begins = self.ends = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range")
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.y is None:
            return self.x[rows]
        if self.w is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.w[rows]

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


class Failing(ArrayBatches):
    """Raises a KeyError on batch ``bad``."""

    def __init__(self, x, y, bad, **kwargs):
        super().__init__(x, y, **kwargs)
        self.bad = bad

    def __getitem__(self, index):
        if index == self.bad:
            raise KeyError(f"no batch {index} here")
        return super().__getitem__(index)


class Slow(ArrayBatches):
    """Sleeps ``delay`` seconds per batch (for Ctrl-C tests)."""

    def __init__(self, x, y, delay, **kwargs):
        super().__init__(x, y, **kwargs)
        self.delay = delay

    def __getitem__(self, index):
        time.sleep(self.delay)
        return super().__getitem__(index)


class Endless(PyDataset):
    """An endless dataset cycling through the batches of ``(x, y)``."""

    def __init__(self, x, y, batch_size=4, **kwargs):
        super().__init__(**kwargs)
        self.inner = ArrayBatches(x, y, batch_size)

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return self.inner[index % len(self.inner)]


class Unpicklable(ArrayBatches):
    """Holds a lock, which cannot be pickled."""

    def __init__(self, x, y, **kwargs):
        super().__init__(x, y, **kwargs)
        self.lock = threading.Lock()


class Counting(ArrayBatches):
    """Records the batch indices read, to check that a memmap is read batch by batch."""

    def __init__(self, x, y, **kwargs):
        super().__init__(x, y, **kwargs)
        self.read = []

    def __getitem__(self, index):
        self.read.append(index)
        x, y = super().__getitem__(index)
        return np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")
