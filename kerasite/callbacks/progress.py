"""``ProgressBar``: what ``fit``, ``evaluate`` and ``predict`` print, by ``verbose`` level."""

import os
import sys
import time

import numpy as np

from kerasite.backend import thread_policy
from kerasite.callbacks.base import Callback

_BAR_WIDTH = 20
_DEFAULT_COLUMNS = 80  # when the width is unknown, or a terminal reports 0 columns


def _format_value(value):
    # Keras's rule: four decimals, or scientific notation when that would show only zeros.
    value = float(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _log_items(logs):
    """``["loss: 0.1234", "val_loss: 0.2345"]``: the scalar entries of ``logs``, in order."""
    items = []
    for key, value in logs.items():
        if key == "time":
            continue
        if isinstance(value, (float, np.floating)):
            items.append(f"{key}: {_format_value(value)}")
        elif isinstance(value, (int, np.integer, str)):
            items.append(f"{key}: {value}")
        # arrays (predict's "outputs") are not shown
    return items


def format_logs(logs):
    """``"loss: 0.1234 - val_loss: 0.2345"``, in Keras's style.

    Example:
        >>> format_logs({"loss": 0.12345, "accuracy": 0.5, "lr": 1e-5})
        'loss: 0.1235 - accuracy: 0.5000 - lr: 1.0000e-05'
    """
    return " - ".join(_log_items(logs))


def format_duration(seconds):
    """Keras's time per step: ``"2s"``, ``"15ms"`` or ``"840us"``.

    Example:
        >>> format_duration(0.0153), format_duration(2.0), format_duration(8.4e-4)
        ('15ms', '2s', '840us')
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms"
    return f"{seconds * 1e6:.0f}us"


def _format_eta(seconds):
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def wrap_items(head, items, width):
    """Lays out ``head - item - item ...`` in lines of at most ``width`` characters.

    Items are never cut: a line breaks only between them, and continuation
    lines start with ``"  - "``. An item longer than ``width`` gets a line of
    its own (the terminal then wraps it, but all of it is shown).

    Example:
        >>> wrap_items("3/3", ["loss: 0.5000", "val_loss: 0.6000"], 20)
        ['3/3 - loss: 0.5000', '  - val_loss: 0.6000']
    """
    lines, line = [], head
    for item in items:
        if len(line) + 3 + len(item) <= width or not line.strip(" -"):
            line = f"{line} - {item}" if line else item
        else:
            lines.append(line)
            line = "  - " + item
    lines.append(line)
    return lines


class ProgressBar(Callback):
    """Shows progress like Keras; ``fit`` adds one unless ``verbose=0``.

    * ``verbose=1`` in a terminal: ``Epoch 3/10``, then a bar redrawn in place
      with the step count, the ETA, the time per step and the running
      metrics; when the epoch ends it is replaced by the final line, e.g.
      ``1688/1688 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - loss: 0.5065 - val_loss: …``.
      The final line shows every metric at any terminal width: it wraps
      between metrics onto further lines (indented ``"  - "``) rather than
      being cut. The bar being redrawn is cut to the width instead, so that
      ``\\r`` can redraw it.
    * ``verbose=1`` when output is not a terminal (a CI log, a file), and
      ``verbose=2``: one line per epoch, ``Epoch 3/10 - 1688/1688 - 2s -
      1ms/step - loss: … - val_loss: …``, since ``\\r`` redraws only clutter a log.
      At ``verbose=2`` the line ends with the BLAS thread count the epoch's
      batches ran at, e.g. ``threads 1 (adaptive)`` (chosen by the adaptive
      thread policy, ``kerasite.backend.thread_policy``) or ``threads 2
      (fixed)`` (set by ``config.set_num_threads`` or the environment).
    * ``verbose=0``: silent.

    The same callback shows ``evaluate`` (``on_test_*`` hooks, outside ``fit``)
    and ``predict`` (``on_predict_*`` hooks) with their sample count, as
    ``Evaluate on 10000 samples`` followed by the bar. For those it reads
    ``params["steps"]`` and ``params["samples"]`` (set with ``set_params``).

    When the number of batches is unknown (``params["steps"]`` is None: a
    generator, or an iterable without a length), the bar counts without a
    total, ``12/Unknown``, as Keras's does; the final line then shows the
    count as the total (``40/40``), and later epochs of ``fit`` take it as
    theirs.

    The width is read from the terminal at each redraw; a terminal that
    reports 0 columns (some CI pseudo-terminals) is taken as 80. Redraws
    happen at most every ``refresh_interval`` seconds, not per batch, so the
    bar costs next to nothing when batches are fast.

    Args:
        verbose: 1 or 2.
        refresh_interval: minimum seconds between redraws.
        file: where to write (default ``sys.stdout``, as Keras).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(verbose=2, file=out)
        >>> bar.set_params({"epochs": 1, "steps": 3})
        >>> bar.on_train_begin(); bar.on_epoch_begin(0)
        >>> for step in range(3):
        ...     bar.on_train_batch_end(step, {"loss": 0.5})
        >>> bar.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
        >>> out.getvalue().startswith("Epoch 1/1 - 3/3 - 0s - ")
        True
    """

    def __init__(self, verbose=1, refresh_interval=0.25, file=None):
        super().__init__()
        self.verbose = verbose
        self.refresh_interval = refresh_interval
        self.file = file
        self._in_fit = False
        self._live = False  # drawing in place (a terminal, verbose=1)
        self._live_width = 0  # characters of the bar line currently on screen
        self._counted = None  # batches of an epoch of unknown length, once one has ended
        self._threads_note = None  # the training batches' thread count, for the epoch's line

    # ---------------------------------------------------------------- the output
    def _out(self):
        return self.file or sys.stdout

    def _dynamic(self):
        isatty = getattr(self._out(), "isatty", None)
        return self.verbose == 1 and isatty is not None and isatty()

    def _columns(self):
        try:
            columns = os.get_terminal_size(self._out().fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        if columns <= 0:
            env = os.environ.get("COLUMNS", "")
            columns = int(env) if env.isdigit() and int(env) > 0 else _DEFAULT_COLUMNS
        # One column spare: writing the last column makes some terminals wrap early.
        return max(columns - 1, 1)

    def _glyphs(self):
        encoding = getattr(self._out(), "encoding", None) or "utf-8"
        try:
            "━─".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return "=", "."
        return "━", "─"

    def _write(self, text):
        out = self._out()
        out.write(text)
        out.flush()

    # ------------------------------------------------------------ one progress run
    def _start(self, header, steps):
        self._steps = steps
        self._step = 0
        self._start_time = time.perf_counter()
        self._last_draw = 0.0
        self._live_width = 0
        self._header = header
        self._live = self._dynamic()  # decided once per run: the batch path stays cheap
        if self._live and header:
            self._write(header + "\n")

    def _advance(self, step, logs):
        self._step = step + 1
        if not self._live:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.refresh_interval:
            return
        self._last_draw = now
        elapsed = now - self._start_time
        per_step = elapsed / self._step
        head = self._counter()
        if self._steps:
            head += " " + self._bar() + " " + _format_eta(per_step * max(self._steps - self._step, 0))
        head += " " + format_duration(per_step) + "/step"
        line = " - ".join([head, *_log_items(logs)])[:self._columns()]
        pad = " " * max(self._live_width - len(line), 0)
        self._write("\r" + line + pad)
        self._live_width = len(line)

    def _finish(self, logs, note=None):
        if not self._steps:  # the count was unknown: now it is known, as Keras shows it
            self._steps = self._counted = self._step or None
        elapsed = time.perf_counter() - self._start_time
        per_step = format_duration(elapsed / self._step if self._step else 0.0) + "/step"
        items = _log_items(logs) + ([note] if note else [])
        if self._live:
            head = f"{self._counter()} {self._bar()} {elapsed:.0f}s {per_step}"
            lines = wrap_items(head, items, self._columns())
            lines[0] += " " * max(self._live_width - len(lines[0]), 0)
            self._write("\r" + "\n".join(lines) + "\n")
        else:
            parts = [self._header] if self._header else []
            parts += [self._counter(), f"{elapsed:.0f}s", per_step, *items]
            self._write(" - ".join(parts) + "\n")
        self._live_width = 0
        self._steps = None

    def _counter(self):
        if not self._steps:
            return f"{self._step}/Unknown"
        return f"{self._step:>{len(str(self._steps))}}/{self._steps}"

    def _bar(self):
        done, todo = self._glyphs()
        filled = min(_BAR_WIDTH * self._step // self._steps, _BAR_WIDTH) if self._steps else 0
        return done * filled + todo * (_BAR_WIDTH - filled)

    def _samples_header(self, verb):
        samples = self.params.get("samples")
        return f"{verb} on {samples} samples" if samples is not None else verb

    # ----------------------------------------------------------------- fit hooks
    def on_train_begin(self, logs=None):
        self._in_fit = True  # validation's on_test_* hooks are then not shown
        self._steps = self._counted = None

    def on_train_end(self, logs=None):
        self._in_fit = False
        if self._live_width:  # training stopped inside an epoch: end the bar's line
            self._write("\n")
            self._live_width = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._threads_note = None
        self._start(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}",
                    self.params.get("steps") or self._counted)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        note = None
        if self.verbose == 2:  # the thread count the epoch's batches ran at
            note = self._threads_note or thread_policy.note()
        self._finish(logs, note)

    # ------------------------------------------------------- evaluate and predict
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start(self._samples_header("Evaluate"), self.params.get("steps"))
        elif self.verbose == 2:  # validation is next: keep the training batches' count
            self._threads_note = thread_policy.note()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start(self._samples_header("Predict"), self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, {})

    def on_predict_end(self, logs=None):
        self._finish({})
