"""``BackupAndRestore``: survive a killed run by resuming from the last epoch's backup."""

import contextlib
import os
import shutil
import warnings

import numpy as np

import kerasite.callbacks._paths as _paths
from kerasite.callbacks.base import Callback
from kerasite._validation import boolean

_BACKUP_NAME = "backup.kerasite"
_PREVIOUS_SUFFIX = ".bkp"  # the backup before the latest, with double_checkpoint (as Keras)


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

    The backup always holds the last good state. An epoch whose logs hold a
    non-finite loss, or whose weights hold NaN or infinite values, is not
    backed up (with a warning), and when training ends with unusable weights
    (stopped by ``TerminateOnNaN``, say) the backup is kept, whatever
    ``delete_checkpoint`` says, so the next start resumes from it.

    Restoring checks everything first (the backup's weights against the
    model, its optimizer and the optimizer's state) and only then changes the
    model: a backup that is refused leaves the model as it was.

    Restart with the same model, compile settings and ``fit`` arguments: the
    backup holds the state of *that* run. A backup saved from a different
    architecture is refused with an error.

    Args:
        backup_dir: the directory for the backup (created when needed). Use
            one directory per training run.
        save_freq: ``"epoch"``, the only choice: kerasite resumes exactly only
            at epoch boundaries (see Raises).
        double_checkpoint: also keep the backup before the latest, as
            ``backup.kerasite.bkp``; when the latest cannot be read (damaged
            on disk), the run resumes from that one, as in Keras.
        delete_checkpoint: delete the backup when training ends with usable
            weights.

    Raises:
        ValueError: for an empty ``backup_dir`` or a ``save_freq`` other than
            ``"epoch"``; and at the start of ``fit``, for a ``backup_dir``
            that is a file, a backup that is not a regular file (a FIFO) or a
            backup that does not fit the model.

    Example:
        >>> import tempfile
        >>> backup = BackupAndRestore(tempfile.mkdtemp())
        >>> # model.fit(x, y, epochs=100, callbacks=[backup]); kill it, run it again
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
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
        self.double_checkpoint = boolean(double_checkpoint, "double_checkpoint")
        self.delete_checkpoint = bool(delete_checkpoint)
        self._path = os.path.join(backup_dir, _BACKUP_NAME)
        self._previous_path = self._path + _PREVIOUS_SUFFIX
        self._keep = None  # why the latest epoch was not backed up, or None

    @property
    def backup_path(self):
        """The backup file, ``backup_dir/backup.kerasite``."""
        return self._path

    def on_train_begin(self, logs=None):
        self._keep = None
        _paths.require_directory(self.backup_dir, "backup_dir", "BackupAndRestore")
        latest = _paths.require_regular_file(self._path, "backup_dir", "BackupAndRestore")
        previous = self.double_checkpoint and _paths.require_regular_file(
            self._previous_path, "backup_dir", "BackupAndRestore")
        if latest:
            try:
                self._restore(self._path)
            except OSError:
                if not previous:
                    raise
                warnings.warn(f"The backup '{self._path}' cannot be read; resuming from the "
                              f"one before it, '{self._previous_path}'.", stacklevel=2)
                self._restore(self._previous_path)
        elif previous:  # killed between keeping the previous backup and writing the new one
            self._restore(self._previous_path)

    def _restore(self, path):
        from kerasite import saving

        model = self.model
        saved = saving.load_model(path)
        # Everything is checked before anything changes: a refused backup leaves the model
        # as it was.
        try:
            weights = model._checked_weights(saved.get_weights(), f"Model '{model.name}'")
        except ValueError as exc:
            raise ValueError(
                f"The backup '{path}' was saved from a different model and cannot be "
                f"restored into model '{model.name}': {exc} Delete the backup to start "
                "afresh, or give this run its own `backup_dir`."
            ) from None
        optimizer, saved_optimizer = model.optimizer, saved.optimizer
        if type(optimizer) is not type(saved_optimizer):
            raise ValueError(
                f"The backup '{path}' was saved with a {type(saved_optimizer).__name__} "
                f"optimizer, but the model is compiled with {type(optimizer).__name__}. Restart "
                "with the same compile settings, or delete the backup to start afresh."
            )
        state = saved_optimizer.get_state()
        stepped = bool(state["iterations"])  # an optimizer that never stepped has no state
        if stepped:
            # A rehearsal on a fresh optimizer: set_state refuses a slot midway through.
            try:
                probe = type(optimizer).from_config(optimizer.get_config())
            except Exception:  # noqa: BLE001  (a custom optimizer class: no rehearsal)
                probe = None
            try:
                if probe is not None:
                    probe.set_state(state, model.trainable_weights)
            except ValueError as exc:
                raise ValueError(
                    f"The backup '{path}' holds optimizer state that does not fit model "
                    f"'{model.name}': {exc} Delete the backup to start afresh."
                ) from None
        model._assign_checked(weights)
        if stepped:
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
            self._keep = f"epoch {epoch + 1} was cut short"
            return
        problem = _unusable(self.model, logs or {})
        if problem:
            self._keep = problem
            warnings.warn(f"BackupAndRestore did not back up epoch {epoch + 1}: {problem}. The "
                          f"previous backup is kept in '{self.backup_dir}'.", stacklevel=2)
            return
        self._keep = None  # a usable epoch after a bad one (a scheduler lowered the rate)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.isfile(self._path):
            _copy_atomically(self._path, self._previous_path)
        self.model.save(self._path)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        problem = self._keep or _unusable(self.model, {})
        if problem:
            # The run ended on weights that cannot be used (a NaN stop): the backup is
            # the last good state, so it stays for the next start.
            if os.path.exists(self._path) or os.path.exists(self._previous_path):
                warnings.warn(f"Training ended with unusable weights ({problem}); the backup "
                              f"in '{self.backup_dir}' is kept, and the next fit with this "
                              "callback resumes from it.", stacklevel=2)
            return
        for path in (self._path, self._previous_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        # Only the backup (and temporary files of killed saves) is removed, never the
        # directory's other content: unlike Keras, no rmtree of a path the user typed.
        prefixes = (f".{_BACKUP_NAME}.", f".{_BACKUP_NAME}{_PREVIOUS_SUFFIX}.")
        with contextlib.suppress(OSError):
            for entry in os.listdir(self.backup_dir):
                if entry.startswith(prefixes) and entry.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(self.backup_dir, entry))
            os.rmdir(self.backup_dir)  # only if now empty


def _unusable(model, logs):
    """Why the model's state should not be backed up now, or ``None``."""
    for key, value in logs.items():
        if key.endswith("loss") and isinstance(value, (int, float)) and not np.isfinite(value):
            return f"{key} is {value}"
    for layer in model.layers:
        for name, value in layer.params.items():
            if not np.isfinite(value).all():
                return f"weight '{name}' of layer '{layer.name}' holds NaN or infinite values"
    return None


def _copy_atomically(source, target):
    """Copies ``source`` to ``target`` through a temporary file and a rename."""
    tmp = os.path.join(os.path.dirname(target),
                       f".{os.path.basename(target)}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
