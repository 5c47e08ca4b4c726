"""``History``: the record of every epoch's logs, returned by ``fit``."""

from kerasite.callbacks.base import Callback


class History(Callback):
    """Records the logs of each epoch. ``fit`` always attaches one and returns it.

    Attributes:
        history: dict of lists, e.g. ``{"loss": [...], "val_loss": [...]}``.
        epoch: the indices of the epochs recorded.

    Example:
        >>> h = History()
        >>> h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history, h.epoch
        ({'loss': [0.5]}, [0])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def set_params(self, params):
        """Keeps Keras's three keys, ``verbose``, ``epochs`` and ``steps``, in ``params``."""
        super().set_params({key: params[key] for key in ("verbose", "epochs", "steps")
                            if key in params})

    def on_train_begin(self, logs=None):
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
