"""``ProgressBar``: what ``fit`` prints, by ``verbose`` level."""

import sys
import time

from kerasite.callbacks.base import Callback


def format_logs(logs):
    """``"loss: 0.1234 - val_loss: 0.2345"``, in Keras's style."""
    parts = []
    for key, value in logs.items():
        if key == "time":
            continue
        parts.append(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return " - ".join(parts)


class ProgressBar(Callback):
    """Shows training progress; ``fit`` adds one unless ``verbose=0``.

    * ``verbose=1`` in a terminal: a tqdm bar per epoch with the running loss
      and an ETA, ending with the epoch's metrics.
    * ``verbose=1`` when output is not a terminal (a CI log, a file), and
      ``verbose=2``: one line per epoch, since ``\\r`` redraws only clutter a log.
    * ``verbose=0``: silent.

    The bar redraws at most every ``refresh_interval`` seconds, not per batch,
    so it costs next to nothing when batches are fast.

    Args:
        verbose: 1 or 2.
        refresh_interval: minimum seconds between redraws.
        file: where to write (default ``sys.stdout``, as Keras).
    """

    def __init__(self, verbose=1, refresh_interval=0.25, file=None):
        super().__init__()
        self.verbose = verbose
        self.refresh_interval = refresh_interval
        self.file = file
        self._bar = None

    def _out(self):
        return self.file or sys.stdout

    def _use_bar(self):
        isatty = getattr(self._out(), "isatty", None)
        return self.verbose == 1 and isatty is not None and isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._last_draw = 0.0
        self._desc = f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        if self._use_bar():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.params.get("steps"), desc=self._desc, file=self._out(),
                             unit="batch", mininterval=self.refresh_interval, leave=True,
                             dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        bar = self._bar
        if bar is None:
            return
        bar.update(1)
        now = time.perf_counter()
        if now - self._last_draw >= self.refresh_interval:
            self._last_draw = now
            bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._epoch_start
        summary = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(summary, refresh=False)
            self._bar.close()
            self._bar = None
        else:
            print(f"{self._desc} - {elapsed:.2f}s - {summary}", file=self._out(), flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.close()
            self._bar = None
