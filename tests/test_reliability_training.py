"""Reliability of training's surroundings (issue 25): callbacks, weights, data files.

Each test is a reproducer of a failure the audit found: it failed before the
fix it names, and passes after.
"""

import os
import warnings

import numpy as np
import pytest

from kerasite import Sequential, layers, utils
from kerasite.callbacks import BackupAndRestore, Callback, TerminateOnNaN
from kerasite.models import load_model

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(45, 5)).astype(np.float32)
    return x, np.tanh(x @ rng.normal(size=(5, 2))).astype(np.float32)


def _model(optimizer="adam"):
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


class _PoisonAt(Callback):
    """From epoch ``epoch`` on, the targets of the later batches are NaN."""

    def __init__(self, y, epoch):
        super().__init__()
        self.y, self.epoch = y, epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.y[30:] = np.nan


class _InfWeightsAt(Callback):
    """Sets a weight to inf at the end of epoch ``epoch``, leaving that epoch's loss finite."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.layers[0].params["W"][0, 0] = np.inf


# ================================================= check before change: set_weights
def test_layer_set_weights_with_a_wrong_last_array_changes_nothing():
    layer = layers.Dense(2, name="d")
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"Weight 'b' of layer 'd' has shape \(2,\)\. Received "
                                         r"an array of shape \(3,\)\. No weight was changed"):
        layer.set_weights([np.ones((3, 2)), np.ones(3)])
    assert _same(layer.get_weights(), before)  # before the fix, W was already all ones
    with pytest.raises(ValueError, match=r"Weight 'b' of layer 'd' must be a real number array\. "
                                         r"Received dtype <U1"):
        layer.set_weights([np.ones((3, 2)), np.array(["a", "b"])])
    assert _same(layer.get_weights(), before)


def test_model_set_weights_with_a_wrong_last_array_changes_nothing():
    model = _model()
    before = model.get_weights()
    bad = [w + 1 for w in before]
    bad[-1] = np.ones(5)
    with pytest.raises(ValueError, match=r"Weight 'b' of layer 'dense_\d+' has shape \(2,\)"):
        model.set_weights(bad)
    assert _same(model.get_weights(), before)  # before the fix, the first layer had changed
    model.set_weights([w + 1 for w in before])
    assert _same(model.get_weights(), [w + 1 for w in before])


# ================================================= BackupAndRestore: the last good state
@pytest.mark.filterwarnings("ignore:The training loss became nan")
def test_a_nan_stop_keeps_the_last_good_backup(tmp_path):
    x, y = _data()
    y_bad = y.copy()
    model = _model()
    with pytest.warns(UserWarning, match="unusable weights .* the backup .* is kept"):
        model.fit(x, y_bad, epochs=5, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[_PoisonAt(y_bad, 2), BackupAndRestore(tmp_path), TerminateOnNaN()])
    assert not np.isfinite(model.get_weights()[0]).all()
    # Before the fix the backup was deleted here, leaving only the NaN weights.
    backup = load_model(tmp_path / "backup.kerasite")
    clean = _model()
    clean.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert backup.completed_epochs == 2
    assert _same(backup.get_weights(), clean.get_weights())
    # The next start resumes from it.
    again = _model()
    history = again.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == [2]
    assert not (tmp_path / "backup.kerasite").exists()  # a good end deletes it


@pytest.mark.filterwarnings("ignore:Training ended with unusable weights")
def test_inf_weights_with_a_finite_loss_do_not_overwrite_the_backup(tmp_path):
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match=r"did not back up epoch 3: weight 'W' of layer "
                                         r"'dense_\d+' holds NaN or infinite values"):
        model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[_InfWeightsAt(2), BackupAndRestore(tmp_path)])
    backup = load_model(tmp_path / "backup.kerasite")
    assert backup.completed_epochs == 2
    assert all(np.isfinite(w).all() for w in backup.get_weights())


def test_terminate_on_nan_raise_error_raises_and_keeps_the_backup(tmp_path):
    x, y = _data()
    y_bad = y.copy()
    with pytest.raises(RuntimeError, match=r"Epoch 3, batch 3: the loss is nan; training "
                                           r"stopped at once \(TerminateOnNaN\(raise_error=True"):
        _model().fit(x, y_bad, epochs=5, batch_size=8, shuffle=False, verbose=0,
                     callbacks=[_PoisonAt(y_bad, 2), BackupAndRestore(tmp_path),
                                TerminateOnNaN(raise_error=True)])
    assert load_model(tmp_path / "backup.kerasite").completed_epochs == 2
    with pytest.raises(TypeError, match=r"`raise_error` must be True or False\. Received: "
                                        r"raise_error=1"):
        TerminateOnNaN(raise_error=1)


def test_double_checkpoint_resumes_from_the_previous_backup_when_the_latest_is_damaged(tmp_path):
    tmp_path = tmp_path / "run"
    x, y = _data()
    _model().fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                 callbacks=[BackupAndRestore(tmp_path, double_checkpoint=True,
                                             delete_checkpoint=False)])
    latest, previous = tmp_path / "backup.kerasite", tmp_path / "backup.kerasite.bkp"
    assert load_model(latest).completed_epochs == 3
    assert load_model(previous).completed_epochs == 2
    latest.write_bytes(b"damaged")
    model = _model()
    with pytest.warns(UserWarning, match="cannot be read; resuming from the one before it"):
        history = model.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                            callbacks=[BackupAndRestore(tmp_path, double_checkpoint=True)])
    assert history.epoch == [2, 3]
    assert not tmp_path.exists()  # both backups deleted, then the emptied directory
    # Without double_checkpoint a damaged backup is an error, as in Keras.
    _model().fit(x, y, epochs=1, verbose=0,
                 callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)])
    latest.write_bytes(b"damaged")
    with pytest.raises(OSError):
        _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    with pytest.raises(TypeError, match=r"`double_checkpoint` must be True or False"):
        BackupAndRestore(tmp_path, double_checkpoint="yes")


def test_a_refused_restore_changes_nothing(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0,
                 callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)])
    sgd = _model("sgd")
    before = sgd.get_weights()
    with pytest.raises(ValueError, match=r"saved with a Adam optimizer, but the model is "
                                         r"compiled with SGD"):
        sgd.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    # Before the fix the backup's weights had already been written into the model.
    assert _same(sgd.get_weights(), before)
    assert sgd.completed_epochs == 0


# ================================================= callback paths, checked at train begin
class _CountEpochs(Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_a_backup_dir_that_is_a_file_fails_before_the_first_epoch(tmp_path):
    x, y = _data()
    a_file = tmp_path / "file"
    a_file.write_text("")
    counter = _CountEpochs()
    with pytest.raises(ValueError, match=r"BackupAndRestore's `backup_dir` .*file' is a file, "
                                         r"not a directory"):
        _model().fit(x, y, epochs=2, verbose=0, callbacks=[counter, BackupAndRestore(a_file)])
    assert counter.epochs == 0


@posix_only
def test_a_backup_that_is_a_fifo_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "backup.kerasite")
    x, y = _data()
    with pytest.raises(ValueError, match=r"backup.kerasite' is a FIFO \(named pipe\).* not a "
                                         r"regular file"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path)])


# ================================================= CSVLogger: no row lost
def _csv_rows(path):
    import csv

    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_widening_on_a_full_disk_keeps_every_row(tmp_path, monkeypatch):
    from kerasite.callbacks import CSVLogger

    path = tmp_path / "log.csv"
    first = CSVLogger(path)
    first.on_train_begin()
    for epoch in range(2000):
        first.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    first.on_train_end()
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    again = CSVLogger(path, append=True)
    again.on_train_begin()
    monkeypatch.setattr(os, "fsync", disk_full)  # the rewrite fails after writing its bytes
    with pytest.raises(OSError, match="No space left on device"):
        again.on_epoch_end(2000, {"loss": 0.1, "val_loss": 0.2})  # a new column: a rewrite
    monkeypatch.undo()
    # Before the fix the file was truncated first and rewritten in place: rows were lost.
    assert path.read_bytes() == before
    assert len(_csv_rows(path)) == 2001
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]  # no temporary file left

    third = CSVLogger(path, append=True)  # and the widening itself works
    third.on_train_begin()
    third.on_epoch_end(2000, {"loss": 0.1, "val_loss": 0.2})
    third.on_train_end()
    rows = _csv_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"] and len(rows) == 2002
    assert rows[1] == ["0", "1.0", "NA"] and rows[-1] == ["2000", "0.1", "0.2"]


@posix_only
def test_csv_logger_refuses_a_fifo_and_a_directory_at_once(tmp_path):
    from kerasite.callbacks import CSVLogger

    os.mkfifo(tmp_path / "log.csv")
    for append in (False, True):
        with pytest.raises(ValueError, match=r"CSVLogger's `filename` .*log.csv' is a FIFO "
                                             r"\(named pipe\).* not a regular file"):
            CSVLogger(tmp_path / "log.csv", append=append).on_train_begin()
    with pytest.raises(ValueError, match=r"CSVLogger's `filename` .* is a directory, not a "
                                         r"regular file"):
        CSVLogger(tmp_path).on_train_begin()


# ================================================= ModelCheckpoint and TensorBoard paths


@pytest.mark.parametrize("name, match", [
    ("model.txt", r"`filepath` '.*model.txt' must end in .kerasite or .keras or .h5 to save "
                  r"the model"),
    ("m" * 300 + ".kerasite", r"`filepath` names a file of 309 bytes .* longer than the 255 "
                              r"bytes the file system allows"),
    ("{epoch:>250d}.kerasite", r"names a file of 259 bytes"),
])
def test_model_checkpoint_paths_fail_before_the_first_epoch(tmp_path, name, match):
    from kerasite.callbacks import ModelCheckpoint

    counter = _CountEpochs()
    x, y = _data()
    with pytest.raises(ValueError, match=match):
        _model().fit(x, y, epochs=2, verbose=0,
                     callbacks=[counter, ModelCheckpoint(str(tmp_path / name))])
    assert counter.epochs == 0  # before the fix: after the first epoch had trained


def test_model_checkpoint_weights_only_needs_a_weights_extension(tmp_path):
    from kerasite.callbacks import ModelCheckpoint

    x, y = _data()
    with pytest.raises(ValueError, match=r"must end in .weights.npz or .weights.h5 to save "
                                         r"weights \(save_weights_only=True\)"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[
            ModelCheckpoint(tmp_path / "w.kerasite", save_weights_only=True)])


def test_model_checkpoint_creates_a_missing_directory(tmp_path):
    # The TensorFlow save-and-load tutorial saves to training_1/cp.weights.h5.
    from kerasite.callbacks import ModelCheckpoint

    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        ModelCheckpoint(tmp_path / "training_1" / "cp.weights.npz", save_weights_only=True),
        ModelCheckpoint(str(tmp_path / "runs" / "{epoch}" / "model.kerasite"))])
    assert (tmp_path / "training_1" / "cp.weights.npz").is_file()
    assert sorted(os.listdir(tmp_path / "runs")) == ["1", "2"]
    assert load_model(tmp_path / "runs" / "2" / "model.kerasite").completed_epochs == 2


def test_model_checkpoint_in_a_file_or_on_a_fifo_fails_at_once(tmp_path):
    from kerasite.callbacks import ModelCheckpoint

    x, y = _data()
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"ModelCheckpoint's `filepath` .*file' is a file, not a "
                                         r"directory"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[ModelCheckpoint(tmp_path / "file" / "m.kerasite")])
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "m.keras")
        with pytest.raises(ValueError, match=r"m.keras' is a FIFO"):
            _model().fit(x, y, epochs=1, verbose=0,
                         callbacks=[ModelCheckpoint(tmp_path / "m.keras")])


@pytest.mark.parametrize("template, part, value", [
    ("{epoch:09999999999d}.kerasite", "width", "9999999999"),  # a raw MemoryError before
    ("{epoch:200000000d}.kerasite", "width", "200000000"),  # accepted before
    ("{loss:.1000f}.kerasite", "precision", "1000"),
])
def test_checkpoint_templates_with_huge_widths_are_refused(template, part, value):
    from kerasite.callbacks import ModelCheckpoint

    with pytest.raises(ValueError, match=rf"`filepath` .* asks for a {part} of {value} "
                                         r"characters, more than the 255"):
        ModelCheckpoint(template)
    ModelCheckpoint("{epoch:0255d}.kerasite")  # the bound itself is accepted here


def test_tensorboard_log_dir_that_is_a_file_fails_before_the_first_epoch(tmp_path):
    pytest.importorskip("tensorboard")
    from kerasite.callbacks import TensorBoard

    (tmp_path / "file").write_text("")
    x, y = _data()
    counter = _CountEpochs()
    with pytest.raises(ValueError, match=r"TensorBoard's `log_dir` .*file' is a file, not a "
                                         r"directory"):
        _model().fit(x, y, epochs=2, verbose=0,
                     callbacks=[counter, TensorBoard(tmp_path / "file")])
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "train").write_text("")
    with pytest.raises(ValueError, match=r"TensorBoard's `log_dir` .*train' is a file"):
        _model().fit(x, y, epochs=2, verbose=0,
                     callbacks=[counter, TensorBoard(tmp_path / "logs")])
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(ValueError, match=r"`log_dir` .*fifo' is a FIFO"):
            _model().fit(x, y, epochs=2, verbose=0,
                         callbacks=[counter, TensorBoard(tmp_path / "fifo")])
    assert counter.epochs == 0
    TensorBoard(tmp_path / "new" / "run")  # a missing directory is created at train begin
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "new" / "run")])
    assert (tmp_path / "new" / "run" / "train").is_dir()


# ================================================= KERASITE_ACCELERATOR spellings
@pytest.mark.parametrize("value", ["0", "off", "OFF", "false", "no", "n", "none", " disabled "])
def test_accelerator_variable_turns_it_off(monkeypatch, value):
    from kerasite import backend

    monkeypatch.setenv("KERASITE_ACCELERATOR", value)
    assert backend._wanted() is False  # before the fix "disabled", "none", "n" left it on


@pytest.mark.parametrize("value", ["", "1", "on", "true", "Yes", "y", "enabled"])
def test_accelerator_variable_turns_it_on(monkeypatch, value):
    from kerasite import backend

    monkeypatch.setenv("KERASITE_ACCELERATOR", value)
    assert backend._wanted() is True


@pytest.mark.parametrize("value", ["2", "nope", "numpy", "of"])
def test_accelerator_variable_refuses_other_spellings(monkeypatch, value):
    from kerasite import backend

    monkeypatch.setenv("KERASITE_ACCELERATOR", value)
    with pytest.raises(ValueError, match=rf"The environment variable KERASITE_ACCELERATOR must "
                                         rf"say whether to use the accelerator: one of 0, off, "
                                         rf"false, no, n, none, disabled to turn it off, or one "
                                         rf"of 1, on, true, yes, y, enabled .*Received: "
                                         rf"KERASITE_ACCELERATOR='{value}'"):
        backend._wanted()


def test_a_bad_accelerator_variable_fails_at_the_first_kernel(monkeypatch):
    from kerasite import backend

    monkeypatch.setenv("KERASITE_ACCELERATOR", "maybe")
    monkeypatch.setitem(backend._state, "on", None)  # not decided yet, as in a new process
    with pytest.raises(ValueError, match=r"KERASITE_ACCELERATOR='maybe'"):
        backend.accelerator_enabled()


@posix_only
def test_loss_logger_refuses_a_fifo_when_training_starts(tmp_path):
    from kerasite.callbacks import LossLogger

    os.mkfifo(tmp_path / "losses.csv")
    x, y = _data()
    counter = _CountEpochs()
    with pytest.raises(ValueError, match=r"LossLogger's `filename` .*losses.csv' is a FIFO"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[counter, LossLogger(tmp_path / "losses.csv")])
    assert counter.epochs == 0  # before: the whole run trained, then the write blocked


def test_use_accelerator_overrides_a_bad_accelerator_variable(monkeypatch):
    from kerasite import backend

    monkeypatch.setenv("KERASITE_ACCELERATOR", "maybe")
    monkeypatch.setitem(backend._state, "on", None)
    assert backend.use_accelerator(False) is False
    assert backend.accelerator_enabled() is False


@posix_only
def test_a_backup_dir_that_is_a_fifo_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    x, y = _data()
    with pytest.raises(ValueError, match=r"`backup_dir` .*fifo' is a FIFO \(named pipe\).*, not "
                                         r"a directory"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path / "fifo")])
