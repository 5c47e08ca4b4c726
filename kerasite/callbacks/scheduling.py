"""``LearningRateScheduler``: sets the learning rate at the start of each epoch."""

import inspect
import math

import numpy as np

from kerasite.callbacks.base import Callback
from kerasite._validation import is_number


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate from ``schedule`` before each epoch.

    Args:
        schedule: ``schedule(epoch, lr) -> new_lr`` or ``schedule(epoch) -> new_lr``;
            ``epoch`` counts from 0 and ``lr`` is the current rate. ``new_lr`` is a
            Python or NumPy number >= 0 (``0.0`` freezes the weights for the epoch).
        verbose: 1 prints each new rate.

    Raises:
        TypeError: if ``schedule`` is not callable; during ``fit``, if it returns
            something other than a number, such as ``None``.
        ValueError: during ``fit``, if it returns a negative, NaN or infinite rate.

    Example:
        >>> halve_every_10 = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch and epoch % 10 == 0 else lr)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "`schedule` must be a function schedule(epoch, lr) -> float. "
                f"Received: {schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose
        try:
            n_args = len(inspect.signature(schedule).parameters)
        except (TypeError, ValueError):
            n_args = 2
        self._takes_lr = n_args >= 2

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = self.schedule(epoch, optimizer.learning_rate) if self._takes_lr else self.schedule(epoch)
        optimizer.learning_rate = _check_rate(lr, epoch)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr:g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _check_rate(lr, epoch):
    """``float(lr)`` for a Python or NumPy number >= 0 (0.0 freezes the weights), else an error."""
    if isinstance(lr, np.ndarray) and lr.ndim == 0:
        lr = lr[()]  # a 0-d array, e.g. from np.float64 arithmetic on arrays
    if not is_number(lr) or isinstance(lr, (bool, int, np.integer)):
        raise TypeError(
            "The `schedule` function must return a float (a Python or NumPy float), the "
            f"learning rate for the epoch. It returned {lr!r} of type {type(lr).__name__} for "
            f"epoch {epoch}; return float({lr!r}) if that is the rate you mean."
        )
    if not (math.isfinite(lr) and lr >= 0):
        raise ValueError(
            "The `schedule` function must return a finite learning rate >= 0. It returned "
            f"{lr!r} for epoch {epoch}."
        )
    return float(lr)
