"""``TensorBoard``: writes training curves and weight histograms for TensorBoard.

The event files are written with the ``tensorboard`` package's own writer
(no TensorFlow needed), in the layout Keras uses, so ``tensorboard --logdir``
shows kerasite runs as it shows Keras runs. Install it with
in a kerasite clone, ``python -m pip install -e ".[tensorboard]"``.
"""

import os
import time

import numpy as np

import kerasite.callbacks._paths as _paths
from kerasite.callbacks.base import Callback
from kerasite._validation import is_number, positive_int


def _import_tensorboard():
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.plugins.histogram.summary_v2 import histogram_pb
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as exc:
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package, which kerasite does not "
            "install by default. Install the extra: in your kerasite clone, python -m pip "
            "install -e '.[tensorboard]' "
            f"(or pip install tensorboard). The import failed with: {exc}"
        ) from exc
    return Event, EventFileWriter, scalar_pb, histogram_pb


class TensorBoard(Callback):
    """Logs each epoch's loss, metrics and learning rate (and weight histograms) for TensorBoard.

    Writes event files under ``log_dir/train`` and ``log_dir/validation``, as
    Keras does: ``epoch_loss``, ``epoch_<metric>`` and ``epoch_learning_rate``
    go to ``train`` at step ``epoch``; the ``val_`` values go to
    ``validation`` under the same names (``val_loss`` becomes ``epoch_loss``),
    so TensorBoard draws training and validation on one chart. Each
    evaluation (``fit``'s validation, or ``evaluate``) also writes
    ``evaluation_<name>_vs_iterations`` to ``validation`` at step = the
    optimizer's iterations. View them with ``tensorboard --logdir LOG_DIR``.

    Args:
        log_dir: the directory for the event files.
        histogram_freq: every how many epochs to write a histogram of each
            weight (tag ``<layer>/<weight>/histogram``); 0 writes none.
        write_graph: accepted for Keras compatibility; kerasite has no
            TensorFlow graph to write, so nothing is written.
        write_images: must be False (weight images are not supported).
        write_steps_per_second: also log ``epoch_steps_per_second``.
        update_freq: ``"epoch"``; or ``"batch"`` or an integer ``N`` to also
            log the running training values every ``N`` batches as
            ``batch_loss``, ``batch_<metric>`` (step = optimizer iterations).
        profile_batch: must be 0 (there is no TensorFlow profiler).
        embeddings_freq: must be 0 (embedding projections are not supported).
        embeddings_metadata: must be None.

    Raises:
        ImportError: if the ``tensorboard`` package is missing; the message
            names the ``kerasite[tensorboard]`` extra.
        ValueError: for a bad or unsupported argument; when training starts,
            for a ``log_dir`` (or its ``train``, ``validation``) that is a
            file, a FIFO or cannot be created. A missing one is created.

    Example:
        ``model.fit(x, y, epochs=10, callbacks=[TensorBoard("logs/run1", histogram_freq=1)])``,
        then, in a shell, ``tensorboard --logdir logs``.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if isinstance(log_dir, os.PathLike):
            log_dir = os.fspath(log_dir)
        if not isinstance(log_dir, str) or not log_dir:
            raise ValueError(f"`log_dir` must be a non-empty path. Received: log_dir={log_dir!r}.")
        positive_int(histogram_freq, "histogram_freq", minimum=0,
                     expected="an integer >= 0 (0 writes no histograms)")
        if not (isinstance(update_freq, str) and update_freq in ("epoch", "batch")):
            positive_int(update_freq, "update_freq",
                         expected="'epoch', 'batch' or a positive number of batches")
        unsupported = {"write_images": (write_images, False), "profile_batch": (profile_batch, 0),
                       "embeddings_freq": (embeddings_freq, 0),
                       "embeddings_metadata": (embeddings_metadata, None)}
        for name, (value, default) in unsupported.items():
            if value != default and not (default == 0 and value in (None, False)):
                raise ValueError(
                    f"kerasite's TensorBoard does not support `{name}` (it needs TensorFlow). "
                    f"Received: {name}={value!r}; leave it at {default!r}."
                )
        self._tb = _import_tensorboard()  # fail here, not after the first epoch
        self.log_dir = log_dir
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers = {}
        if self.update_freq != "epoch":
            # Only then a batch hook: fit skips batch hooks that no callback has.
            self.on_train_batch_end = self._log_batch

    # ------------------------------------------------------------------ writing
    def _writer(self, run):
        writer = self._writers.get(run)
        if writer is None:
            _, EventFileWriter, _, _ = self._tb
            writer = self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return writer

    def _scalars(self, run, values, step):
        Event, _, scalar_pb, _ = self._tb
        writer = self._writer(run)
        now = time.time()
        for tag, value in values.items():
            writer.add_event(Event(wall_time=now, step=int(step),
                                   summary=scalar_pb(tag, float(value))))

    def _histograms(self, step):
        Event, _, _, histogram_pb = self._tb
        writer = self._writer("train")
        now = time.time()
        for layer in self.model.layers:
            for name, weight in layer.params.items():
                summary = histogram_pb(f"{layer.name}/{name}/histogram",
                                       np.asarray(weight, dtype=np.float64))
                writer.add_event(Event(wall_time=now, step=int(step), summary=summary))

    # -------------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._batches = 0
        # A log_dir that is a file would otherwise fail only when the first epoch ends.
        _paths.require_directory(self.log_dir, "log_dir", "TensorBoard")
        for run in ("train", "validation"):
            _paths.require_directory(os.path.join(self.log_dir, run), "log_dir", "TensorBoard",
                                     create=False)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def _log_batch(self, batch, logs=None):
        self._batches += 1
        if self._batches % self.update_freq == 0:
            self._scalars("train", {"batch_" + k: v for k, v in _numbers(logs).items()},
                          self.model.optimizer.iterations)

    def on_epoch_end(self, epoch, logs=None):
        values = _numbers(logs)
        train = {k: v for k, v in values.items() if not k.startswith("val_")}
        train.setdefault("learning_rate", float(self.model.optimizer.learning_rate))
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            train["steps_per_second"] = self.params.get("steps", 0) / elapsed if elapsed else 0.0
        self._scalars("train", {"epoch_" + k: v for k, v in train.items()}, epoch)
        val = {"epoch_" + k[4:]: v for k, v in values.items() if k.startswith("val_")}
        if val:
            self._scalars("validation", val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._histograms(epoch)
        for writer in self._writers.values():
            writer.flush()  # a live TensorBoard sees each epoch as it ends

    def on_test_end(self, logs=None):
        # As Keras: each evaluation (validation in fit included) against the step count.
        values = {f"evaluation_{k}_vs_iterations": v for k, v in _numbers(logs).items()}
        if values:
            self._scalars("validation", values, self.model.optimizer.iterations)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _numbers(logs):
    """The entries of ``logs`` that are real numbers, as floats (NaN and inf kept)."""
    out = {}
    for key, value in (logs or {}).items():
        if is_number(value):
            out[key] = float(value)
    return out


