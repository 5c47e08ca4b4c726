"""``ModelCheckpoint``: saves the model (or its weights) during training."""

import math
import os
import warnings

from kerasite.callbacks.base import Callback
from kerasite.callbacks.monitoring import _direction


class ModelCheckpoint(Callback):
    """Saves the model at the end of every epoch, or only when it improves.

    A full save (``model.save``) holds the weights, the optimizer state, the
    number of completed epochs and the model's seed: everything needed to
    resume with ``load_model(path)`` and
    ``fit(..., initial_epoch=model.completed_epochs)`` and end with the same
    weights as an uninterrupted run. Every write is atomic, so a crash during
    a save leaves the previous checkpoint intact.

    Args:
        filepath: where to save; may hold ``{epoch}`` (counted from 1) and logs
            keys, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.kerasite"``.
        monitor: the logs key compared when ``save_best_only``.
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save the weights alone (``model.save_weights``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name).
        initial_value_threshold: the value to beat before the first save.

    Example:
        >>> checkpoint = ModelCheckpoint("best.kerasite", save_best_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = mode
        if mode != "auto":
            _direction(monitor, mode, "ModelCheckpoint")
        self.best = initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            # Saving now would replace the last good checkpoint with unusable weights.
            warnings.warn(
                f"ModelCheckpoint did not save epoch {epoch + 1}: the loss is {loss}, so the "
                "weights are not usable. The previous checkpoint is kept.", stacklevel=2)
            return
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint can save the best model only with `{self.monitor}` in the "
                    f"logs; available keys are {', '.join(logs)}. Skipping.", stacklevel=2)
                return
            sense = _direction(self.monitor, self.mode, "ModelCheckpoint")
            if self.best is not None and not (current < self.best if sense == "min"
                                              else current > self.best):
                return
            self.best = current
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")
