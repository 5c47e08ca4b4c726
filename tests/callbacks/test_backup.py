"""BackupAndRestore: a run killed at any moment and started again ends as if never stopped.

The model has dropout, the batches are reshuffled every epoch and Adam keeps
moment estimates, so a resume that lost any piece of state would drift. The
weights are compared bit for bit with an uninterrupted run.
"""

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerasite import Sequential, layers, utils
from kerasite.callbacks import BackupAndRestore, Callback, EarlyStopping, TerminateOnNaN
from kerasite.models import load_model

WORKER = Path(__file__).with_name("_backup_worker.py")
ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 60  # far more than a kill lands after, so no run can finish before its kill
posix_only = pytest.mark.skipif(os.name != "posix" or not hasattr(signal, "SIGKILL"),
                                reason="needs POSIX signals")


def _worker(backup_dir, out, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(WORKER), str(backup_dir), str(out),
                             str(EPOCHS), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _weights(path):
    with np.load(path) as archive:
        return {k: archive[k] for k in archive.files}


def _run_with_kills(tmp_path, name, kills, rng, *extra):
    """Runs the worker, SIGKILLs it ``kills`` times at random epochs, then lets it finish."""
    backup, out = tmp_path / f"{name}-backup", tmp_path / f"{name}.weights.npz"
    starts = []
    for _ in range(kills):
        proc = _worker(backup, out, *extra)
        start = int(proc.stdout.readline().split()[1])
        starts.append(start)
        target = min(start + rng.randint(1, 6), EPOCHS - 2)
        for line in proc.stdout:  # the process is somewhere after epoch `target`'s backup
            if int(line.split()[1]) >= target:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists()  # it never reached the end
    proc = _worker(backup, out, *extra)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    starts.append(int(stdout.split()[1]))
    assert not backup.exists()  # deleted once training ended
    return _weights(out), starts


@pytest.mark.slow
@posix_only
def test_a_run_killed_and_restarted_ends_bit_identical_to_an_uninterrupted_one(tmp_path):
    reference = _worker(tmp_path / "ref-backup", tmp_path / "ref.weights.npz")
    stdout, stderr = reference.communicate(timeout=120)
    assert reference.returncode == 0, stderr
    assert stdout.split()[:2] == ["start", "0"]
    rng = random.Random(20261129)
    resumed, starts = _run_with_kills(tmp_path, "killed", 2, rng)
    assert starts[0] == 0 and starts[1] > 0 and starts[2] > starts[1]  # it did resume
    expected = _weights(tmp_path / "ref.weights.npz")
    assert resumed.keys() == expected.keys()
    for key in expected:
        assert np.array_equal(resumed[key], expected[key]), key  # bit for bit


@pytest.mark.slow
@posix_only
def test_an_unseeded_run_resumes_its_own_seeds(tmp_path):
    # Without set_random_seed every start draws new seeds: the backup must carry the
    # shuffle and dropout seeds of the first start, or the resumed run would differ
    # from what that first run would have done. Replaying the first run's backup
    # twice must give one result, whatever the second process drew.
    backup, out = tmp_path / "backup", tmp_path / "out.weights.npz"
    proc = _worker(backup, out, "--no-seed")
    proc.stdout.readline()
    for line in proc.stdout:
        if int(line.split()[1]) >= 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = (backup / "backup.kerasite").read_bytes()
    results = []
    for _ in range(2):
        backup.mkdir(exist_ok=True)  # the finished run removed it
        (backup / "backup.kerasite").write_bytes(saved)
        p = _worker(backup, out, "--no-seed")
        assert p.communicate(timeout=120)[0].split()[1] != "0"
        results.append(_weights(out))
    assert all(np.array_equal(results[0][k], results[1][k]) for k in results[0])


# ------------------------------------------------------------- in process
def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(45, 5)).astype(np.float32)
    return x, np.tanh(x @ rng.normal(size=(5, 2))).astype(np.float32)


def _model():
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


class _Crash(Exception):
    pass


class _CrashAtEpoch(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise _Crash


def test_restart_after_an_exception_continues_the_epochs_and_history(tmp_path):
    x, y = _data()
    reference = _model()
    full = reference.fit(x, y, epochs=6, batch_size=8, verbose=0)

    model = _model()
    with pytest.raises(_Crash):
        model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                  callbacks=[BackupAndRestore(tmp_path), _CrashAtEpoch(4)])
    assert (tmp_path / "backup.kerasite").exists()  # a crash keeps the backup
    model = _model()  # the script starts again from scratch
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                        callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == [4, 5]  # as Keras: only the epochs left run
    assert history.history["loss"] == full.history["loss"][4:]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), reference.get_weights()))
    assert model.completed_epochs == 6
    assert model.optimizer.iterations == reference.optimizer.iterations


def test_the_backup_is_deleted_at_the_end_but_nothing_else(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]  # unlike Keras, no rmtree

    kept = tmp_path / "kept"
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[BackupAndRestore(kept, delete_checkpoint=False)])
    assert os.listdir(kept) == ["backup.kerasite"]

    own = tmp_path / "own"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(own)])
    assert not own.exists()  # the directory it made is removed once empty


def test_a_finished_backup_runs_no_more_epochs_and_early_stopping_ends_it(tmp_path):
    x, y = _data()
    model = _model()
    with pytest.raises(_Crash):
        model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[_CrashAfterTrain(), BackupAndRestore(tmp_path)])  # crash at the end
    history = _model().fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == []
    assert not (tmp_path / "backup.kerasite").exists()

    stop = EarlyStopping(monitor="loss", patience=0, baseline=-1.0)
    _model().fit(x, y, epochs=50, verbose=0, callbacks=[BackupAndRestore(tmp_path), stop])
    assert stop.stopped_epoch > 0 and not (tmp_path / "backup.kerasite").exists()


class _CrashAfterTrain(Callback):
    def on_train_end(self, logs=None):
        raise _Crash


def test_an_epoch_cut_short_keeps_the_previous_backup(tmp_path):
    x, y = _data()
    y_bad = y.copy()
    model = _model()

    class PoisonAt(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                y_bad[30:] = np.nan  # later batches of this epoch meet NaN targets

    with pytest.raises(_Crash), pytest.warns(UserWarning, match="became nan"):
        model.fit(x, y_bad, epochs=5, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[_CrashAfterTrain(), PoisonAt(), BackupAndRestore(tmp_path),
                             TerminateOnNaN()])
    backup = load_model(tmp_path / "backup.kerasite")
    clean = _model()
    clean.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert backup.completed_epochs == 2  # the backup of the last whole epoch
    assert all(np.array_equal(a, b) for a, b in zip(backup.get_weights(), clean.get_weights()))


def test_errors(tmp_path):
    with pytest.raises(ValueError, match=r"`backup_dir` must be a non-empty path .* "
                                         r"Received: backup_dir=''"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match=r"`save_freq` must be 'epoch': kerasite restores a run "
                                         r"exactly only from the end of an epoch.*"
                                         r"Received: save_freq=100"):
        BackupAndRestore(tmp_path, save_freq=100)
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0,
                 callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)])
    utils.set_random_seed(0)
    other = Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"was saved from a different model and cannot be "
                                         r"restored into model"):
        other.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    sgd = _model()
    sgd.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"saved with a Adam optimizer, but the model is "
                                         r"compiled with SGD"):
        sgd.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
