"""``BackupAndRestore``: survive a killed run by resuming from the last epoch's backup."""

import contextlib
import os

from kerasite.callbacks.base import Callback

_BACKUP_NAME = "backup.kerasite"


class BackupAndRestore(Callback):
    """Backs up the whole training state each epoch; a restarted ``fit`` resumes from it.

    At the end of every completed epoch it saves the model to
    ``backup_dir/backup.kerasite`` with ``model.save``: the weights, the
    optimizer's state, the learning rate, the number of completed epochs and
    the model's seed, written atomically (a kill mid-save leaves the previous
    backup whole). When ``fit`` starts and a backup exists, the callback puts
    all of that back into the model and ``fit`` continues at the epoch after
    the backup. Since kerasite derives each epoch's shuffle and dropout masks
    from ``(seed, epoch)``, a run killed at any moment and started again with
    the same script ends with exactly the weights of a run never interrupted.

    When training ends (all epochs done, or stopped by a callback such as
    ``EarlyStopping``) the backup is deleted, unless ``delete_checkpoint=False``.
    A crash or a kill never reaches that point, so the backup stays for the
    next start.

    Restart with the same model, compile settings and ``fit`` arguments: the
    backup holds the state of *that* run. A backup saved from a different
    architecture is refused with an error.

    Args:
        backup_dir: the directory for the backup (created when needed). Use
            one directory per training run.
        save_freq: ``"epoch"``, the only choice: kerasite resumes exactly only
            at epoch boundaries (see Raises).
        delete_checkpoint: delete the backup when training ends.

    Raises:
        ValueError: for an empty ``backup_dir`` or a ``save_freq`` other than
            ``"epoch"``; and at the start of ``fit``, for a backup that does not
            fit the model.

    Example:
        >>> import tempfile
        >>> backup = BackupAndRestore(tempfile.mkdtemp())
        >>> # model.fit(x, y, epochs=100, callbacks=[backup]); kill it, run it again
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if isinstance(backup_dir, os.PathLike):
            backup_dir = os.fspath(backup_dir)
        if not isinstance(backup_dir, str) or not backup_dir:
            raise ValueError(
                "`backup_dir` must be a non-empty path to a directory for the backup. "
                f"Received: backup_dir={backup_dir!r}."
            )
        if save_freq != "epoch":
            # Keras accepts a number of batches, then on restart replays that whole epoch on
            # weights that have already seen part of it: not the uninterrupted run.
            raise ValueError(
                "`save_freq` must be 'epoch': kerasite restores a run exactly only from the end "
                "of an epoch, and a backup taken mid-epoch could not be resumed exactly. "
                f"Received: save_freq={save_freq!r}. For snapshots within long epochs, use "
                "shorter epochs (fewer samples per fit epoch)."
            )
        self.backup_dir = backup_dir
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self._path = os.path.join(backup_dir, _BACKUP_NAME)

    @property
    def backup_path(self):
        """The backup file, ``backup_dir/backup.kerasite``."""
        return self._path

    def on_train_begin(self, logs=None):
        if os.path.exists(self._path):
            self._restore()

    def _restore(self):
        from kerasite import saving

        model = self.model
        saved = saving.load_model(self._path)
        try:
            model.set_weights(saved.get_weights())
        except ValueError as exc:
            raise ValueError(
                f"The backup '{self._path}' was saved from a different model and cannot be "
                f"restored into model '{model.name}': {exc} Delete the backup to start "
                "afresh, or give this run its own `backup_dir`."
            ) from None
        optimizer, saved_optimizer = model.optimizer, saved.optimizer
        if type(optimizer) is not type(saved_optimizer):
            raise ValueError(
                f"The backup '{self._path}' was saved with a {type(saved_optimizer).__name__} "
                f"optimizer, but the model is compiled with {type(optimizer).__name__}. Restart "
                "with the same compile settings, or delete the backup to start afresh."
            )
        state = saved_optimizer.get_state()
        if state["iterations"]:  # an optimizer that never stepped has no state to restore
            optimizer.set_state(state, model.trainable_weights)
        optimizer.learning_rate = saved_optimizer.learning_rate
        model.completed_epochs = saved.completed_epochs
        # The seeds of the shuffles and of dropout masks: with them, a script that sets no
        # seed still continues the interrupted run rather than a new random one.
        model._seed = saved._seed
        for layer, saved_layer in zip(model.layers, saved.layers):
            if isinstance(getattr(saved_layer, "seed", None), int):
                layer.seed = saved_layer.seed
        model._initial_epoch = saved.completed_epochs  # fit starts from this epoch

    def on_epoch_end(self, epoch, logs=None):
        # An epoch cut short (TerminateOnNaN) is not completed: keep the previous backup.
        if self.model.completed_epochs != epoch + 1:
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save(self._path)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path)
        # Only the backup (and temporary files of killed saves) is removed, never the
        # directory's other content: unlike Keras, no rmtree of a path the user typed.
        prefix = f".{_BACKUP_NAME}."
        with contextlib.suppress(OSError):
            for entry in os.listdir(self.backup_dir):
                if entry.startswith(prefix) and entry.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(self.backup_dir, entry))
            os.rmdir(self.backup_dir)  # only if now empty
