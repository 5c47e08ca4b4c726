"""Callbacks that react to a monitored quantity: ``EarlyStopping``,
``ReduceLROnPlateau`` and ``TerminateOnNaN``.

Resuming: these callbacks reset their best-so-far values in
``on_train_begin``. A run resumed with ``fit(..., initial_epoch=k)`` therefore
starts their counting afresh, even when the same instance is passed again.
"""

import math
import warnings

from kerasite.callbacks.base import Callback
from kerasite._validation import boolean, positive_int

_MAXIMISED = ("accuracy", "acc")
_MINIMISED = ("loss", "mae", "mse", "mean_absolute_error", "mean_squared_error")


def _direction(monitor, mode, owner):
    """``"min"`` or ``"max"`` for ``monitor`` in ``mode`` ('auto' infers it from the name)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"`mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}.")
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name in _MINIMISED or name.endswith("loss"):
        return "min"
    if name in _MAXIMISED or name.endswith("accuracy"):
        return "max"
    raise ValueError(
        f"{owner} received monitor={monitor!r} but cannot tell whether it should be "
        "minimised or maximised. Pass mode='min' or mode='max'."
    )


def _missing(owner, monitor, logs):
    warnings.warn(
        f"{owner} is conditioned on `{monitor}`, which is not in the logs. "
        f"Available keys are: {', '.join(logs) or 'none'}. Did you pass validation data "
        "for a 'val_' quantity, or compile the metric?",
        stacklevel=3,
    )


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving.

    Follows Keras 3: after each epoch ``wait`` grows by one, and resets to 0
    when the value improves on the best so far by more than ``min_delta`` (and
    beats ``baseline``, if given). Training stops once ``wait >= patience``
    (never on the first epoch). With ``restore_best_weights``, the weights of
    the best epoch are put back when training ends, whether it ended by
    patience, by running out of epochs, or because another callback stopped it.

    Unlike Keras 3, the best value is also reset in ``on_train_begin``, so
    one instance can be reused across ``fit`` calls as if new.

    Args:
        monitor: the logs key to watch (default ``"val_loss"``).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name).
        baseline: a reference value. An epoch that improves on the best value
            so far but does not beat ``baseline`` leaves ``wait`` growing, yet
            training only stops at an epoch that does not improve. So while the
            value keeps improving, training goes on even if it never reaches
            ``baseline`` (Keras behaves the same); once it stalls with
            ``wait >= patience``, training stops.
        restore_best_weights: restore the weights of the best epoch at the end.
        start_from_epoch: epochs of warm-up before monitoring starts.
        verbose: 1 prints when it stops and restores.

    Attributes:
        best, best_epoch, wait, stopped_epoch: the state after training.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        positive_int(patience, "patience", minimum=0, expected="an integer >= 0")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        if mode != "auto":
            _direction(monitor, mode, "EarlyStopping")  # fail early on a bad mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _improves(self, value, reference):
        if reference is None:
            return True
        # An improvement must beat the reference by more than min_delta.
        if self._sense == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            _missing("EarlyStopping", self.monitor, logs)
            return
        if epoch < self.start_from_epoch:
            return
        self._sense = _direction(self.monitor, self.mode, "EarlyStopping")
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # the first epoch is the best so far
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when a quantity stops improving.

    After ``patience`` epochs without an improvement larger than
    ``min_delta``, the rate becomes ``max(lr * factor, min_lr)``, then
    ``cooldown`` epochs pass before counting starts again. Adds
    ``"learning_rate"`` to the epoch logs.

    Args:
        monitor: the logs key to watch (default ``"val_loss"``).
        factor: multiplier in [0, 1); 0 sets the rate to ``min_lr``.
        patience: epochs without improvement before reducing.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction.
        min_lr: lower bound on the learning rate.
        verbose: 1 prints each reduction.

    Example:
        >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        # factor=0 drops the rate to min_lr at the first plateau, as Keras allows.
        if not isinstance(factor, (int, float)) or not 0 <= factor < 1:
            raise ValueError(
                f"`factor` must be in [0, 1): the learning rate is multiplied by it. "
                f"Received: factor={factor!r}."
            )
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.verbose, self.mode, self.min_delta = verbose, mode, abs(min_delta)
        self.cooldown, self.min_lr = cooldown, float(min_lr)
        if mode != "auto":
            _direction(monitor, mode, "ReduceLROnPlateau")  # fail early on a bad mode
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            _missing("ReduceLROnPlateau", self.monitor, logs)
            return
        sense = _direction(self.monitor, self.mode, "ReduceLROnPlateau")
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        better = self.best is None or (current < self.best - self.min_delta if sense == "min"
                                       else current > self.best + self.min_delta)
        if better:
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and optimizer.learning_rate > self.min_lr:
                new_lr = max(optimizer.learning_rate * self.factor, self.min_lr)
                optimizer.learning_rate = new_lr
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr:g}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss becomes NaN or infinite.

    Without it, ``fit`` finishes its epochs with NaN weights (and warns once).
    With it, training stops after the bad batch, with a message saying where.
    It also checks the epoch's logs, validation values included: the last
    step of an epoch can overflow the weights while that epoch's training
    loss, computed before the step, is still finite; ``val_loss`` then shows
    it, and training stops at the end of that epoch.

    Args:
        raise_error: False (the default) stops gracefully, by setting
            ``model.stop_training``: the other callbacks' ``on_train_end``
            runs. True raises a ``RuntimeError`` at once instead, as in Keras,
            so no callback's ``on_train_end`` runs (nothing is cleaned up or
            deleted) and the script stops with an error.

    Example:
        >>> stop_on_nan = TerminateOnNaN()
        >>> fail_on_nan = TerminateOnNaN(raise_error=True)
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = boolean(raise_error, "raise_error")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self._stop(f"Epoch {getattr(self, '_epoch', 0) + 1}, batch {batch}: the loss is "
                       f"{loss}")

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training:
            return  # already stopped (by the batch check or another callback)
        for key, value in (logs or {}).items():
            if key.endswith("loss") and isinstance(value, (int, float)) \
                    and not math.isfinite(value):
                self._stop(f"Epoch {epoch + 1}: {key} is {value}")
                return

    def _stop(self, where):
        advice = ("Lower the learning rate, check the data for extreme values, or clip "
                  "gradients (clipnorm=).")
        if self.raise_error:
            raise RuntimeError(f"{where}; training stopped at once (TerminateOnNaN("
                               f"raise_error=True)). {advice}")
        print(f"{where}; terminating training. {advice}")
        self.model.stop_training = True
