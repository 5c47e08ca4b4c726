"""The callback protocol: objects that watch training through Keras's hooks."""


class Callback:
    """Base class for callbacks; every hook does nothing by default.

    ``fit`` calls, in this order: ``on_train_begin``, then for each epoch
    ``on_epoch_begin``, ``on_train_batch_begin``/``on_train_batch_end`` per batch,
    ``on_test_begin``/``on_test_end`` around validation, ``on_epoch_end``; and
    finally ``on_train_end``. ``logs`` is a dict of plain floats such as
    ``{"loss": 0.12, "val_loss": 0.15}``.

    A callback stops training by setting ``self.model.stop_training = True``.

    Attributes:
        model: the model being trained (set by ``set_model``).
        params: ``{"epochs", "steps", "verbose", "batch_size", "samples"}``.

    Example:
        >>> class StopAtLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if logs["loss"] < 0.01:
        ...             self.model.stop_training = True
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        """Called once, before the first epoch."""

    def on_train_end(self, logs=None):
        """Called once, after the last epoch (however training ended)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch, with training and validation logs."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch."""

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch; ``logs["loss"]`` is the epoch's running mean."""

    def on_test_begin(self, logs=None):
        """Called before validation or ``evaluate``."""

    def on_test_end(self, logs=None):
        """Called after validation or ``evaluate``, with their logs."""


_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end")


class CallbackList:
    """Calls each hook on every callback in turn.

    A hook that no callback overrides is skipped, so an empty batch hook costs
    nothing per batch.

    Args:
        callbacks: list of ``Callback`` instances.
        model: the model, given to each callback with ``set_model``.
        params: the dict given to each callback with ``set_params``.
    """

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "`callbacks` must be a list of kerasite.callbacks.Callback instances. "
                    f"Received an item of type {type(cb).__name__}: {cb!r}."
                )
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)
        for hook in _HOOKS:
            active = [getattr(cb, hook) for cb in self.callbacks
                      if getattr(type(cb), hook) is not getattr(Callback, hook)]
            setattr(self, "_" + hook, active)

    def on_train_begin(self, logs=None):
        for fn in self._on_train_begin:
            fn(logs)

    def on_train_end(self, logs=None):
        for fn in self._on_train_end:
            fn(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for fn in self._on_epoch_begin:
            fn(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for fn in self._on_epoch_end:
            fn(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        for fn in self._on_train_batch_begin:
            fn(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        for fn in self._on_train_batch_end:
            fn(batch, logs)

    def on_test_begin(self, logs=None):
        for fn in self._on_test_begin:
            fn(logs)

    def on_test_end(self, logs=None):
        for fn in self._on_test_end:
            fn(logs)

    @property
    def wants_batch_hooks(self):
        return bool(self._on_train_batch_begin or self._on_train_batch_end)
