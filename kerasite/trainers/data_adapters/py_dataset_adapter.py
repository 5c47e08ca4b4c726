"""Batches from a ``PyDataset``, by index, read in order or ahead by workers.

With ``workers=1`` (the default) each batch is read in the training thread
when it is needed: no thread, no queue, no copy. With more workers, or with
``use_multiprocessing``, a ``Prefetcher`` keeps up to ``max_queue_size``
batches being read ahead by a pool of threads (or ``spawn``-started
processes) and hands them over in order.

Shutdown is deterministic: the pool lives for one pass over the dataset (an
endless dataset's pass lasts the whole ``fit``) and is stopped when the pass
ends, or when ``fit``/``evaluate``/``predict`` leaves early through an
exception, ``stop_training`` or Ctrl-C (the ``EpochIterator`` closes its
adapter). Worker processes ignore SIGINT, so Ctrl-C reaches only the
training process, which terminates them.
"""

import collections
import concurrent.futures
import contextlib
import itertools
import multiprocessing
import pickle
import signal
import threading

from kerasite import utils
from kerasite._validation import is_int
from kerasite.trainers.data_adapters.batch_adapter import BatchAdapter


def _settings(dataset):
    """The dataset's ``(workers, use_multiprocessing, max_queue_size)``, checked."""
    workers, processes, queue_size = (dataset.workers, dataset.use_multiprocessing,
                                      dataset.max_queue_size)
    name = type(dataset).__name__
    if not is_int(workers) or workers < 0:
        raise ValueError(
            f"`workers` of {name} must be an integer >= 0 (1 reads in the training thread). "
            f"Received: workers={workers!r}."
        )
    if not isinstance(processes, bool):
        raise ValueError(
            f"`use_multiprocessing` of {name} must be True or False. Received: "
            f"use_multiprocessing={processes!r}."
        )
    if not is_int(queue_size) or queue_size < 1:
        raise ValueError(
            f"`max_queue_size` of {name} must be an integer >= 1. Received: "
            f"max_queue_size={queue_size!r}."
        )
    return int(workers), processes, int(queue_size)


def _count(dataset):
    count = dataset.num_batches
    if count is not None and (not is_int(count) or count < 0):
        raise ValueError(
            f"{type(dataset).__name__}'s number of batches (`__len__` or `num_batches`) must "
            f"be an integer >= 0, or None for an endless dataset. Received: {count!r}."
        )
    return None if count is None else int(count)


def _note(exc, dataset, index, where=""):
    exc.add_note(f"Raised by {type(dataset).__name__}.__getitem__({index}), batch {index} of "
                 f"the PyDataset{where}.")
    return exc


class PyDatasetAdapter(BatchAdapter):
    """The batches of a ``kerasite.utils.PyDataset``, by index.

    Args:
        dataset: the ``PyDataset``.
        shuffle: for a dataset of known length, a new order of the batches
            each pass, drawn from the model's seed and the epoch (as Keras
            shuffles them, but reproducibly); the samples inside a batch
            keep their order.
        **kwargs: see ``BatchAdapter``.
    """

    def __init__(self, dataset, shuffle=False, **kwargs):
        super().__init__(**kwargs)
        self.dataset = dataset
        self._count = _count(dataset)
        if self._count == 0:
            raise ValueError(
                f"{self.what[0].upper()}{self.what[1:]} has no batches (`__len__` returned 0). "
                "Check its length: it counts batches, not samples."
            )
        self._settings = _settings(dataset)
        self.shuffle = bool(shuffle) and self._count is not None
        self._prefetcher = None

    def num_batches(self, batch_size):
        return self._count

    def _read(self, index):
        try:
            return self.dataset[index]
        except Exception as exc:
            raise _note(exc, self.dataset, index)

    def _read_first(self):
        return self.standardize(self._read(0), 0)

    def iter_batches(self, epoch=0, seed=0):
        if self._count is None:
            order = itertools.count()
        elif self.shuffle:
            order = utils.epoch_rng(seed, epoch).permutation(self._count).tolist()
        else:
            order = range(self._count)
        workers, processes, queue_size = self._settings
        self.dataset.on_epoch_begin()
        if not (workers > 1 or (workers >= 1 and processes)):  # Keras's rule
            for index in order:
                yield self.standardize(self._read(index), index)
        else:
            try:
                with deferred_interrupt():  # a pool half started would be left behind
                    self._prefetcher = Prefetcher(self.dataset, order, workers, processes,
                                                  queue_size)
                for index, raw in self._prefetcher:
                    yield self.standardize(raw, index)
            finally:
                self.close()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    def close(self):
        prefetcher, self._prefetcher = self._prefetcher, None
        if prefetcher is not None:
            with deferred_interrupt():  # a pool half stopped would be left behind
                prefetcher.close()


@contextlib.contextmanager
def deferred_interrupt():
    """Holds back Ctrl-C's KeyboardInterrupt until the block is done, then raises it.

    Starting or stopping a pool must not be cut in the middle, or processes
    are left running. Only Python's own SIGINT handler, in the main thread,
    is held back; a handler of the user's is left alone. SIGINT is also
    blocked meanwhile, so the worker processes started in the block (and the
    pool's own threads) are born with it blocked: a Ctrl-C that reaches them
    before they ignore it cannot interrupt their start.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    mask = getattr(signal, "pthread_sigmask", None)  # POSIX only
    old_mask = mask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else None
    try:
        yield
    finally:
        if mask:
            mask(signal.SIG_SETMASK, old_mask)  # a held SIGINT now reaches the handler above
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


# ==================================================================== workers
_worker_dataset = None  # in a worker process: the PyDataset it reads
_worker_error = None  # in a worker process: why the dataset could not be unpickled


def _start_worker(payload):
    """A worker process's start: ignore Ctrl-C (the parent stops us) and load the dataset."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _load_dataset(payload)


def _load_dataset(payload):
    global _worker_dataset, _worker_error
    _worker_dataset = _worker_error = None
    try:
        # The user's own PyDataset, serialized in memory by the parent for this spawned
        # process (as multiprocessing sends any argument); nothing here comes from a file.
        _worker_dataset = pickle.loads(payload)
    except BaseException as exc:  # reported by each task: a failing initializer would respawn
        _worker_error = f"{type(exc).__name__}: {exc}"


def _read_in_worker(index):
    if _worker_error is not None:
        raise RuntimeError(
            f"A worker process could not load the PyDataset ({_worker_error}). With "
            "use_multiprocessing=True its class must be importable by a new Python process: "
            "define it in a module (or in a script run as a file whose fit() call sits under "
            "`if __name__ == '__main__':`), not at an interactive prompt."
        )
    return _worker_dataset[index]


def _pickled(dataset):
    try:
        return pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise TypeError(
            f"use_multiprocessing=True sends the {type(dataset).__name__} to worker processes, "
            f"so it must be picklable, but pickling it failed: {type(exc).__name__}: {exc}. "
            "Keep only picklable attributes (open files, locks and generators in __getitem__ "
            "instead of __init__), or set use_multiprocessing=False to read with threads."
        ) from exc


class Prefetcher:
    """Reads ``dataset[i]`` for each ``i`` of ``order`` ahead, in a pool, giving them in order.

    At most ``max_queue_size`` batches are being read or waiting at any time.
    An exception raised by ``__getitem__`` reaches the caller when its batch
    is due, with a note naming the batch; ``close`` then stops the pool.

    Args:
        dataset: the ``PyDataset``.
        order: the batch indices to read, in order (possibly endless).
        workers: threads (or processes) in the pool.
        use_multiprocessing: processes, started with ``spawn``, instead of
            threads; the dataset is pickled to each.
        max_queue_size: batches read ahead at most.
    """

    def __init__(self, dataset, order, workers, use_multiprocessing, max_queue_size):
        self.dataset = dataset
        self._order = iter(order)
        self._queue_size = max(max_queue_size, 1)
        self._processes = use_multiprocessing
        self._pending = collections.deque()
        self._where = " (read by a worker process)" if use_multiprocessing else \
            " (read by a worker thread)"
        if use_multiprocessing:
            payload = _pickled(dataset)
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(workers, initializer=_start_worker, initargs=(payload,))
            self._submit = lambda i: self._pool.apply_async(_read_in_worker, (i,))
        else:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                workers, thread_name_prefix="kerasite-pydataset")
            self._submit = lambda i: self._pool.submit(dataset.__getitem__, i)

    def _fill(self):
        while len(self._pending) < self._queue_size:
            index = next(self._order, None)
            if index is None:
                return
            self._pending.append((index, self._submit(index)))

    def __iter__(self):
        self._fill()
        while self._pending:
            index, task = self._pending.popleft()
            try:
                batch = task.get() if self._processes else task.result()
            except Exception as exc:
                raise _note(exc, self.dataset, index, self._where)
            self._fill()
            yield index, batch

    def close(self):
        """Stops the pool: processes are terminated, threads finish the batch they read."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        self._pending.clear()
        if self._processes:
            pool.terminate()
            pool.join()
        else:
            pool.shutdown(wait=True, cancel_futures=True)
