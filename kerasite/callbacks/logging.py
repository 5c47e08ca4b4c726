"""Callbacks that record training: ``LossLogger``, ``Timer`` and ``CSVLogger``."""

import csv
import io
import os
import time

import kerasite.callbacks._paths as _paths
from kerasite.callbacks.base import Callback


class LossLogger(Callback):
    """Records the loss of every batch and of every epoch.

    Args:
        filename: if given, a CSV file written at the end of training with
            columns ``epoch,batch,batch_loss`` for each batch.

    Attributes:
        batch_losses: the loss of each batch, in order (the batch's own loss,
            not the epoch's running mean that progress bars show).
        epoch_losses: the mean loss of each epoch.

    Example:
        >>> logger = LossLogger()
    """

    def __init__(self, filename=None):
        super().__init__()
        self.filename = None if filename is None else os.fspath(filename)
        self.batch_losses, self.epoch_losses = [], []

    def on_train_begin(self, logs=None):
        if self.filename:  # a FIFO would block the write at the end of training
            _paths.require_regular_file(self.filename, "filename", "LossLogger")
        self.batch_losses, self.epoch_losses = [], []
        self._rows = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._seen, self._previous_sum = epoch, 0, 0.0

    def on_train_batch_end(self, batch, logs=None):
        # logs["loss"] is the running mean over the epoch; undo the averaging.
        size = min(self.params["batch_size"], self.params["samples"] - self._seen)
        self._seen += size
        running_sum = logs["loss"] * self._seen
        loss = (running_sum - self._previous_sum) / size
        self._previous_sum = running_sum
        self.batch_losses.append(loss)
        self._rows.append((self._epoch, batch, loss))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_losses.append(logs["loss"])

    def on_train_end(self, logs=None):
        if self.filename:
            with open(self.filename, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["epoch", "batch", "batch_loss"])
                writer.writerows(self._rows)


class Timer(Callback):
    """Times each epoch and the whole run; adds ``"time"`` (seconds) to the epoch logs.

    Attributes:
        epoch_times: seconds per epoch, validation included.
        total_time: seconds from the start to the end of training.

    Example:
        >>> timer = Timer()
    """

    def __init__(self):
        super().__init__()
        self.epoch_times, self.total_time = [], 0.0

    def on_train_begin(self, logs=None):
        self.epoch_times, self.total_time = [], 0.0
        self._train_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._epoch_start
        self.epoch_times.append(elapsed)
        if logs is not None:
            logs["time"] = elapsed

    def on_train_end(self, logs=None):
        self.total_time = time.perf_counter() - self._train_start


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file, flushed as it goes.

    The columns are ``epoch`` then the log keys, sorted. Every row has every
    column: a value missing from an epoch's logs is written ``NA``, as Keras
    writes it. If a key first appears after the first epoch (validation that
    does not run every epoch, a callback that adds a value later), the file is
    rewritten once with the new column, ``NA`` in the earlier rows, rather than
    dropping the value. That rewrite goes to a temporary file in the same
    folder, which then replaces the file in one rename: if it fails (a full
    disk), the file keeps every row it had.

    ``filename`` is checked when training starts: anything but a regular file
    (a FIFO, a directory) is refused at once.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file instead of overwriting it (useful
            when resuming); the header is written only into an empty file.

    Example:
        >>> log = CSVLogger("training.csv")
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._file = None

    def on_train_begin(self, logs=None):
        exists = _paths.require_regular_file(self.filename, "filename", "CSVLogger")
        has_rows = self.append and exists and os.path.getsize(self.filename) > 0
        self._keys = None
        if has_rows:  # continue the existing columns
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), [])
            self._keys = [k for k in header if k != "epoch"] or None
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None if self._keys is None else self._make_writer()

    def _make_writer(self):
        return csv.DictWriter(self._file, fieldnames=["epoch", *self._keys],
                              delimiter=self.separator, restval="NA")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = self._make_writer()
            self._writer.writeheader()
        elif set(logs) - set(self._keys):
            self._widen(sorted(set(self._keys) | set(logs)))
        self._writer.writerow({"epoch": epoch, **{k: logs[k] for k in self._keys if k in logs}})
        self._file.flush()

    def _widen(self, keys):
        """Rewrites the file with the columns ``keys``, ``NA`` in the new cells.

        The new file is written beside the old one and renamed over it, so a
        failed write (a full disk) leaves the old file whole.
        """
        from kerasite.saving._archive import atomic_write

        encoding = self._file.encoding
        self._file.close()
        self._file = None
        with open(self.filename, newline="", encoding=encoding) as f:
            rows = list(csv.DictReader(f, delimiter=self.separator))
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=["epoch", *keys], delimiter=self.separator,
                                restval="NA")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(self.filename, lambda f: f.write(text.getvalue().encode(encoding)))
        self._keys = keys
        self._file = open(self.filename, "a", newline="", encoding=encoding)
        self._writer = self._make_writer()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
