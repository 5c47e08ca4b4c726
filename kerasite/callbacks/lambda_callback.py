"""``LambdaCallback``: a callback made of plain functions, for one-off hooks."""

from kerasite.callbacks.base import _HOOKS, Callback


class LambdaCallback(Callback):
    """Runs the functions you pass at the matching hooks, as Keras's ``LambdaCallback``.

    The functions take the hook's arguments: ``on_epoch_begin`` and
    ``on_epoch_end`` get ``(epoch, logs)``, the batch hooks ``(batch, logs)``,
    and ``on_train_begin``/``on_train_end`` (and the other run-level hooks)
    ``(logs)``. Hooks left as ``None`` are not called at all, so a
    ``LambdaCallback`` without batch functions adds no per-batch cost.

    Args:
        on_epoch_begin: ``fn(epoch, logs)``.
        on_epoch_end: ``fn(epoch, logs)``.
        on_train_begin: ``fn(logs)``.
        on_train_end: ``fn(logs)``.
        on_train_batch_begin: ``fn(batch, logs)``.
        on_train_batch_end: ``fn(batch, logs)``.
        **kwargs: any other hook by its Keras name, such as
            ``on_test_end=fn(logs)`` or ``on_predict_batch_end=fn(batch, logs)``.

    Raises:
        TypeError: for a name that is not a hook (a typo would otherwise never
            run), or a value that is not callable.

    Example:
        >>> losses = []
        >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
        >>> record.on_epoch_end(0, {"loss": 0.5}); losses
        [0.5]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback got an unexpected argument {unknown[0]!r}. The hooks are: "
                f"{', '.join(_HOOKS)}."
            )
        given = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for hook, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"`{hook}` must be a function or None. Received: {fn!r}.")
            setattr(self, hook, fn)  # an instance attribute: CallbackList calls only these
