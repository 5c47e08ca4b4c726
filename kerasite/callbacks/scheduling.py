"""``LearningRateScheduler``: sets the learning rate at the start of each epoch."""

import inspect

from kerasite.callbacks.base import Callback


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate from ``schedule`` before each epoch.

    Args:
        schedule: ``schedule(epoch, lr) -> new_lr`` or ``schedule(epoch) -> new_lr``;
            ``epoch`` counts from 0 and ``lr`` is the current rate.
        verbose: 1 prints each new rate.

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
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
            raise ValueError(
                f"The `schedule` function must return a positive float. It returned {lr!r} "
                f"for epoch {epoch}."
            )
        optimizer.learning_rate = float(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr:g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
