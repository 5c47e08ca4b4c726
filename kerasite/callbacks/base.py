"""The callback protocol: objects that watch training through Keras's hooks."""


class Callback:
    """Base class for callbacks; every hook does nothing by default.

    ``fit`` calls, in this order: ``on_train_begin``, then for each epoch
    ``on_epoch_begin``, ``on_train_batch_begin``/``on_train_batch_end`` per batch,
    ``on_test_begin``/``on_test_end`` around validation, ``on_epoch_end``; and
    finally ``on_train_end``. ``evaluate`` calls ``on_test_begin``,
    ``on_test_batch_begin``/``on_test_batch_end`` per batch and ``on_test_end``;
    ``predict`` calls the ``on_predict_*`` hooks in the same pattern.

    ``logs`` is always a dict, possibly empty, never ``None``: plain floats such
    as ``{"loss": 0.12, "val_loss": 0.15}`` (``{"outputs": array}`` in
    ``on_predict_batch_end``). A hook that no callback overrides costs nothing:
    ``CallbackList`` skips it.

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

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate``."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate``, with the running loss and metrics."""

    def on_predict_begin(self, logs=None):
        """Called once at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called once at the end of ``predict``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``; ``logs["outputs"]`` is that batch's output."""


_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")
_RUN_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
              "on_predict_begin", "on_predict_end")
_HOOKS = _RUN_HOOKS + _EPOCH_HOOKS + _BATCH_HOOKS


class CallbackList:
    """Calls each hook on every callback in turn.

    A hook that no callback overrides is skipped, so an empty batch hook costs
    nothing per batch.

    Every hook receives a dict as ``logs``: ``None`` from the caller becomes
    ``{}``.

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
            # Overridden in the class, or set on the instance (as LambdaCallback does).
            active = [getattr(cb, hook) for cb in self.callbacks
                      if getattr(type(cb), hook) is not getattr(Callback, hook)
                      or hook in vars(cb)]
            setattr(self, "_" + hook, active)

    # Every hook passes a dict, never None, as Keras does. A dict the caller passed is
    # passed on as is, even when empty: callbacks may write into it (Timer does), and
    # the next callbacks and the caller see what they wrote. One new {} per call
    # otherwise, shared by all the callbacks of that call.
    def _run(self, fns, logs):
        logs = {} if logs is None else logs
        for fn in fns:
            fn(logs)

    def _run_indexed(self, fns, index, logs):
        logs = {} if logs is None else logs
        for fn in fns:
            fn(index, logs)

    def on_train_begin(self, logs=None):
        self._run(self._on_train_begin, logs)

    def on_train_end(self, logs=None):
        self._run(self._on_train_end, logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self._on_epoch_begin:  # most runs have none for epoch_begin: skip the call
            self._run_indexed(self._on_epoch_begin, epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._on_epoch_end:  # most runs have none for epoch_begin: skip the call
            self._run_indexed(self._on_epoch_end, epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._run_indexed(self._on_train_batch_begin, batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._run_indexed(self._on_train_batch_end, batch, logs)

    def on_test_begin(self, logs=None):
        self._run(self._on_test_begin, logs)

    def on_test_end(self, logs=None):
        self._run(self._on_test_end, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._run_indexed(self._on_test_batch_begin, batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._run_indexed(self._on_test_batch_end, batch, logs)

    def on_predict_begin(self, logs=None):
        self._run(self._on_predict_begin, logs)

    def on_predict_end(self, logs=None):
        self._run(self._on_predict_end, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._run_indexed(self._on_predict_batch_begin, batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._run_indexed(self._on_predict_batch_end, batch, logs)

    @property
    def wants_batch_hooks(self):
        """Whether any callback overrides a training batch hook (else fit skips them)."""
        return bool(self._on_train_batch_begin or self._on_train_batch_end)

    @property
    def wants_test_batch_hooks(self):
        """Whether any callback overrides ``on_test_batch_begin/end``."""
        return bool(self._on_test_batch_begin or self._on_test_batch_end)

    @property
    def wants_predict_batch_hooks(self):
        """Whether any callback overrides ``on_predict_batch_begin/end``."""
        return bool(self._on_predict_batch_begin or self._on_predict_batch_end)
