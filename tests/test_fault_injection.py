"""Faults injected into saving and training: kills, full disks, NaN.

* A training process is SIGKILLed at random moments while ``ModelCheckpoint``
  writes every epoch: the checkpoint always loads, at most one temporary file
  (the killed write's) is left, and resuming from the last checkpoint across
  all the kills ends where an uninterrupted run ends.
* A process killed at a chosen point inside a save leaves the previous file
  whole; the next save removes its temporary file.
* A save that fails halfway (no space left, a failing fsync or rename, an
  interrupt) leaves the previous file byte for byte and no temporary file.
* NaN in training: ``fit`` warns once and goes on; ``TerminateOnNaN`` stops
  at the first bad batch.
"""

import errno
import importlib.util
import math
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kerasite import Sequential, layers, utils
from kerasite.callbacks import TerminateOnNaN
from kerasite.models import load_model

WORKER = Path(__file__).with_name("_checkpoint_worker.py")
posix_only = pytest.mark.skipif(os.name != "posix" or not hasattr(signal, "SIGKILL"),
                                reason="needs POSIX signals")


def _worker_module():
    spec = importlib.util.spec_from_file_location("_checkpoint_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _temp_files(directory, name):
    pattern = re.compile(r"\." + re.escape(name) + r"\.(\d+)-[0-9a-f]{8}\.tmp\Z")
    others = [f for f in os.listdir(directory) if f != name]
    assert all(pattern.match(f) for f in others), f"unexpected files: {others}"
    return others


def _start_worker(path, *args):
    proc = subprocess.Popen([sys.executable, str(WORKER), str(path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        pytest.fail(f"the worker did not start: {line!r} {proc.communicate()[1]}")
    return proc, int(line.split()[1])


def _same_weights(a, b, atol=1e-6):
    return all(np.allclose(u, v, rtol=0, atol=atol)
               for u, v in zip(a.get_weights(), b.get_weights(), strict=True))


# ================================================================ kill -9
@posix_only
@pytest.mark.slow
def test_checkpoint_survives_sigkill_at_random_moments_and_resumes_exactly(tmp_path):
    path = tmp_path / "ckpt.kerasite"
    rng = random.Random(20240611)
    deadline = time.monotonic() + 4.5  # bounds the whole test to about six seconds
    loads_during_writes = rounds = 0
    last_epochs = 0
    while rounds < 3 or (rounds < 6 and time.monotonic() < deadline):
        rounds += 1
        proc, resumed_from = _start_worker(path)
        assert resumed_from == last_epochs  # each run resumes from the last checkpoint
        try:
            give_up = time.monotonic() + 60
            while not path.exists() and time.monotonic() < give_up:
                time.sleep(0.001)  # the random moments start once there is a checkpoint
            kill_at = time.monotonic() + rng.uniform(0.05, 0.4)
            while time.monotonic() < kill_at:
                if path.exists():  # a reader racing the writer always sees a whole file
                    load_model(path)
                    loads_during_writes += 1
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        assert path.exists()
        checkpoint = load_model(path)
        assert checkpoint.completed_epochs >= last_epochs
        last_epochs = checkpoint.completed_epochs
        # A killed process cannot clean up: its write may leave one temporary file,
        # which the next run's first save removes.
        assert len(_temp_files(tmp_path, path.name)) <= 1
    assert loads_during_writes > 0 and last_epochs > 0

    # Every run resumed from a checkpoint written at a random moment; together they
    # end where one uninterrupted run of the same number of epochs ends.
    worker = _worker_module()
    straight = worker.new_model()
    straight.fit(*worker.data(), epochs=last_epochs, **worker.FIT)
    final = load_model(path)
    assert final.optimizer.iterations == straight.optimizer.iterations
    assert _same_weights(final, straight)


@posix_only
@pytest.mark.parametrize("where", ["os.replace", "writestr"])
def test_process_killed_inside_a_save_keeps_the_previous_checkpoint(tmp_path, where):
    path = tmp_path / "ckpt.kerasite"
    proc, _ = _start_worker(path, "--die-in", where)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err

    checkpoint = load_model(path)
    assert checkpoint.completed_epochs == 2  # the third save was the one killed
    (leftover,) = _temp_files(tmp_path, path.name)
    assert f".{proc.pid}-" in leftover
    orphan = tmp_path / "orphan.kerasite"
    os.link(tmp_path / leftover, orphan)
    if where == "os.replace":  # killed after the temporary file was complete
        assert load_model(orphan).completed_epochs == 3
    else:  # killed halfway through writing it
        with pytest.raises(OSError, match=r"orphan\.kerasite'.*(truncated|not a \.kerasite)"):
            load_model(orphan)
    orphan.unlink()

    checkpoint.save(path)  # the writer is dead, so its temporary file is stale
    assert os.listdir(tmp_path) == [path.name]


@posix_only
def test_temporary_files_of_running_processes_and_other_files_are_kept(tmp_path):
    path = tmp_path / "m.kerasite"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        names = {
            "live": f".m.kerasite.{sleeper.pid}-0123abcd.tmp",  # a save in progress elsewhere
            "dead": f".m.kerasite.{dead.pid}-89abcdef.tmp",
            "other file": f".n.kerasite.{dead.pid}-89abcdef.tmp",
            "not ours": f".m.kerasite.{dead.pid}-notours.tmp",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"partial")
        utils.set_random_seed(0)
        Sequential([layers.Dense(1, input_shape=(2,))]).save(path)
        assert sorted(os.listdir(tmp_path)) == sorted(
            [path.name, names["live"], names["other file"], names["not ours"]])
    finally:
        sleeper.kill()
        sleeper.wait()


# ========================================================= failing saves
def _full_disk_fdopen(room):
    """``os.fdopen`` whose files accept ``room`` bytes, then fail as a full disk does."""
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, f):
            self._f, self._room = f, room

        def write(self, data):
            if len(data) > self._room:
                self._f.write(bytes(data[:self._room]))
                self._room = 0
                raise OSError(errno.ENOSPC, "No space left on device")
            self._room -= len(data)
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    return lambda fd, *args, **kwargs: FullDisk(real_fdopen(fd, *args, **kwargs))


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _writestr_fails_at_weights(real):
    def writestr(self, name, data, *args, **kwargs):
        if name == "weights.npz":  # config.json is already in the archive: halfway
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, name, data, *args, **kwargs)

    return writestr


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


FAILURES = {
    "disk full while writing": (os, "fdopen", _full_disk_fdopen(room=700), OSError),
    "writestr halfway": (zipfile.ZipFile, "writestr",
                         _writestr_fails_at_weights(zipfile.ZipFile.writestr), OSError),
    "numpy.savez": (np, "savez", _no_space, OSError),
    "fsync": (os, "fsync", _no_space, OSError),
    "os.replace": (os, "replace", _no_space, OSError),
    "Ctrl-C in writestr": (zipfile.ZipFile, "writestr", _interrupt, KeyboardInterrupt),
}


def _model():
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(32, activation="relu", input_shape=(8,)),
                        layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize("kind, failure", [
    *(("save", failure) for failure in FAILURES),
    # save_weights writes a plain .npz, not through ZipFile.writestr.
    *(("save_weights", failure) for failure in FAILURES if "writestr" not in failure),
])
def test_a_save_failing_halfway_leaves_the_old_file_untouched(tmp_path, monkeypatch, kind,
                                                              failure):
    target, name, replacement, error = FAILURES[failure]
    model = _model()
    path = tmp_path / ("m.kerasite" if kind == "save" else "m.weights.npz")
    getattr(model, kind)(path)
    before = path.read_bytes()
    rng = np.random.default_rng(1)
    model.fit(rng.random((16, 8)), rng.random((16, 2)), epochs=1, verbose=0)  # new weights

    with monkeypatch.context() as patch:
        patch.setattr(target, name, replacement)
        with pytest.raises(error, match="No space left on device" if error is OSError else None):
            getattr(model, kind)(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    getattr(model, kind)(path)  # and the next save works
    assert path.read_bytes() != before


@pytest.mark.parametrize("failure", ["disk full while writing", "os.replace"])
def test_a_failed_first_save_leaves_no_file_at_all(tmp_path, monkeypatch, failure):
    target, name, replacement, _ = FAILURES[failure]
    monkeypatch.setattr(target, name, replacement)
    with pytest.raises(OSError, match="No space left on device"):
        _model().save(tmp_path / "m.kerasite")
    assert os.listdir(tmp_path) == []


# ===================================================================== NaN
def _nan_model():
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].params["W"][0, 0] = np.nan  # the fault: one poisoned weight
    rng = np.random.default_rng(0)
    return model, rng.random((20, 3)), rng.random((20, 1))


def test_nan_without_terminate_on_nan_warns_once_and_trains_on(recwarn):
    model, x, y = _nan_model()
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    messages = [str(w.message) for w in recwarn.list]
    assert len(messages) == 1, messages
    assert re.match(r"The training loss became nan in epoch 1; the weights are no longer "
                    r"usable.*TerminateOnNaN", messages[0])
    assert len(history.history["loss"]) == 3
    assert all(math.isnan(loss) for loss in history.history["loss"])
    assert model.optimizer.iterations == 12  # every batch of every epoch ran
    assert np.isnan(model.layers[1].params["W"]).all()


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys, recwarn):
    model, x, y = _nan_model()
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[TerminateOnNaN()])
    assert model.optimizer.iterations == 1
    assert len(history.history["loss"]) == 1
    assert re.search(r"Epoch 1, batch 0: the loss is nan; terminating training\. Lower the "
                     r"learning rate", capsys.readouterr().out)


def test_terminate_on_nan_keeps_the_last_good_checkpoint(tmp_path, recwarn):
    from kerasite.callbacks import ModelCheckpoint

    model, x, y = _nan_model()
    model.layers[0].params["W"][0, 0] = 0.5  # start healthy
    path = tmp_path / "ckpt.kerasite"
    model.fit(x, y, epochs=2, batch_size=5, verbose=0, callbacks=[ModelCheckpoint(path)])
    model.layers[0].params["W"][0, 0] = np.nan
    model.fit(x, y, initial_epoch=2, epochs=4, batch_size=5, verbose=0,
              callbacks=[TerminateOnNaN(), ModelCheckpoint(path)])
    checkpoint = load_model(path)
    assert checkpoint.completed_epochs == 2
    assert all(np.isfinite(w).all() for w in checkpoint.get_weights())
    assert any("did not save epoch 3" in str(w.message) for w in recwarn)
