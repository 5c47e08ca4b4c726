"""``PyDataset``: batches computed by Python code, one per index, as Keras 3's.

A ``PyDataset`` says how many batches it has (``__len__``, or the
``num_batches`` property, None for an endless one) and returns batch ``i``
from ``__getitem__(i)``. ``fit``, ``evaluate`` and ``predict`` take one as
``x``; its ``workers``, ``use_multiprocessing`` and ``max_queue_size`` say
how they read it (see ``kerasite.trainers.data_adapters.py_dataset_adapter``).
``Sequence`` is its older name (tf.keras 2's ``keras.utils.Sequence``).
"""

import warnings

_DEFAULTS = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}


class PyDataset:
    """A dataset of batches computed by Python code, read in order or by workers.

    Subclass it and define ``__len__`` (the number of batches, not samples)
    and ``__getitem__(index)``, which returns batch ``index`` as ``x``,
    ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: NumPy arrays whose
    first axis is the batch (a list or dict of arrays for several inputs or
    outputs). ``on_epoch_begin`` and ``on_epoch_end`` run before and after
    each pass (reshuffle the sample order there, for example). An endless
    dataset defines the ``num_batches`` property to return None instead of
    ``__len__``; ``fit`` then needs ``steps_per_epoch``.

    Because a batch is asked for by index, every epoch sees each batch once,
    whatever the number of workers: the safer way to read data in parallel
    than a generator.

    Args:
        workers: how many batches are read at a time. 1 (the default, as in
            Keras) reads each batch in the training thread when it is
            needed; more starts that many worker threads (or processes) that
            read ahead of training.
        use_multiprocessing: read with worker processes instead of threads,
            for Python code that holds the GIL (threads suit file reading
            and NumPy). The dataset is then pickled to each process (started
            with ``spawn``), so it must be picklable and its class importable
            (defined in a module, not at an interactive prompt). Open large
            files (``np.load(..., mmap_mode="r")``) lazily in ``__getitem__``
            rather than in ``__init__``, so each process maps the file
            instead of receiving a copy.
        max_queue_size: how many batches may wait, read ahead, at most
            (10 by default); each waiting batch holds memory.

    Example:
        >>> import numpy as np
        >>> class Squares(PyDataset):
        ...     def __init__(self, n, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(n, dtype="float32")[:, None]
        ...         self.batch_size = batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, index):
        ...         rows = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        ...         return rows, rows ** 2
        >>> data = Squares(5, batch_size=2)
        >>> data.num_batches, data[2][1].tolist()
        (3, [[16.0]])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def _setting(self, name):
        # A subclass that forgot super().__init__() still works, with the defaults.
        if name not in self.__dict__:
            warnings.warn(
                f"{type(self).__name__}.__init__ does not call `super().__init__(**kwargs)`, "
                "so `workers`, `use_multiprocessing` and `max_queue_size` take their defaults "
                "(1, False, 10). Call it, and pass those there rather than to fit().",
                stacklevel=3,
            )
            for key, value in _DEFAULTS.items():
                self.__dict__.setdefault(key, value)
        return self.__dict__[name]

    @property
    def workers(self):
        """How many batches are read at a time (1: in the training thread)."""
        return self._setting("_workers")

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        """Whether the workers are processes (True) or threads."""
        return self._setting("_use_multiprocessing")

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        """How many batches read ahead may wait at most."""
        return self._setting("_max_queue_size")

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Batch ``index`` (from 0): ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define `__getitem__(self, index)` returning batch "
            "`index` as (x, y) or (x, y, sample_weight)."
        )

    @property
    def num_batches(self):
        """The number of batches: ``len(self)``, or None for an endless dataset."""
        if hasattr(type(self), "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define `__len__` (the number of batches), or a "
            "`num_batches` property returning None for an endless dataset."
        )

    def __iter__(self):
        """The batches in order (all of them, or endlessly when ``num_batches`` is None)."""
        count = self.num_batches
        index = 0
        while count is None or index < count:
            yield self[index]
            index += 1

    def on_epoch_begin(self):
        """Called before each pass over the batches; does nothing by default."""

    def on_epoch_end(self):
        """Called after each pass over the batches; does nothing by default."""


Sequence = PyDataset
