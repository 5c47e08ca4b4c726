"""Resuming training from a checkpoint ends where an uninterrupted run ends.

The model has dropout, the batches are reshuffled every epoch and Adam keeps
moment estimates: every piece of state a resume needs. ``ModelCheckpoint``
saves it each epoch; ``load_model`` and ``fit(initial_epoch=...)`` continue.
"""

import numpy as np
import pytest

from kerasite import Sequential, layers, utils
from kerasite.callbacks import (
    Callback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from kerasite.models import load_model

EPOCHS = 6
FIT = {"batch_size": 7, "shuffle": True, "verbose": 0}  # 45 samples: the last batch is short


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(45, 5)).astype(np.float32)
    y = np.tanh(x @ rng.normal(size=(5, 2))).astype(np.float32)
    return x, y


def _model(seed=0):
    utils.set_random_seed(seed)
    model = Sequential([
        layers.Dense(16, activation="relu", input_shape=(5,)),
        layers.Dropout(0.4),
        layers.Dense(8, activation="tanh"),
        layers.Dropout(0.2),
        layers.Dense(2),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


class _Crash(Exception):
    pass


class _CrashAt(Callback):
    """Raises in the middle of an epoch, as a power cut or an OOM kill would end a run."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch = epoch, batch

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise _Crash


def _uninterrupted(tmp_path):
    model = _model()
    x, y = _data()
    history = model.fit(x, y, epochs=EPOCHS, validation_data=(x[:9], y[:9]),
                        callbacks=[ModelCheckpoint(tmp_path / "straight.kerasite")], **FIT)
    return model, history


def _assert_same_state(a, b):
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-6)
    sa, sb = a.optimizer.get_state(), b.optimizer.get_state()
    assert sa.keys() == sb.keys() and sa["iterations"] == sb["iterations"]
    for key in sa.keys() - {"iterations"}:
        np.testing.assert_allclose(sa[key], sb[key], rtol=0, atol=1e-6)


def test_resume_after_a_crash_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    straight, straight_history = _uninterrupted(tmp_path)
    x, y = _data()
    path = tmp_path / "ckpt.kerasite"

    crashed = _model()
    with pytest.raises(_Crash):
        crashed.fit(x, y, epochs=EPOCHS, validation_data=(x[:9], y[:9]),
                    callbacks=[ModelCheckpoint(path), _CrashAt(epoch=3, batch=2)], **FIT)

    resumed = load_model(path)
    assert resumed.completed_epochs == 3  # the crash came in the fourth epoch
    history = resumed.fit(x, y, initial_epoch=resumed.completed_epochs, epochs=EPOCHS,
                          validation_data=(x[:9], y[:9]), callbacks=[ModelCheckpoint(path)],
                          **FIT)

    _assert_same_state(resumed, straight)
    # Bit for bit, in fact: every random draw comes from (seed, epoch).
    assert all(np.array_equal(u, v) for u, v in zip(resumed.get_weights(), straight.get_weights()))
    assert history.history["loss"] == straight_history.history["loss"][3:]
    assert history.history["val_loss"] == straight_history.history["val_loss"][3:]
    final = load_model(path)
    assert final.completed_epochs == EPOCHS
    _assert_same_state(final, straight)


def test_resuming_every_epoch_from_disk_matches_an_uninterrupted_run(tmp_path):
    straight, _ = _uninterrupted(tmp_path)
    x, y = _data()
    path = tmp_path / "ckpt.kerasite"
    _model().save(path)
    for _ in range(EPOCHS):
        model = load_model(path)
        model.fit(x, y, initial_epoch=model.completed_epochs, epochs=model.completed_epochs + 1,
                  validation_data=(x[:9], y[:9]), callbacks=[ModelCheckpoint(path)], **FIT)
    resumed = load_model(path)
    assert resumed.completed_epochs == EPOCHS
    _assert_same_state(resumed, straight)


@pytest.mark.parametrize("break_it", ["restart at epoch 0", "other model seed",
                                      "other dropout seed", "fresh optimizer"])
def test_each_piece_of_saved_state_matters(tmp_path, break_it):
    # The control for the tests above: drop any one piece of state and the runs differ.
    straight, _ = _uninterrupted(tmp_path)
    x, y = _data()
    path = tmp_path / "ckpt.kerasite"
    half = _model()
    half.fit(x, y, epochs=3, callbacks=[ModelCheckpoint(path)], **FIT)
    resumed = load_model(path)
    initial_epoch = resumed.completed_epochs
    if break_it == "restart at epoch 0":
        initial_epoch, epochs = 0, EPOCHS - 3
    else:
        epochs = EPOCHS
    if break_it == "other model seed":
        resumed._seed += 1
    if break_it == "other dropout seed":
        resumed.layers[1].seed += 1
    if break_it == "fresh optimizer":
        resumed.compile(optimizer="adam", loss="mse")
    resumed.fit(x, y, initial_epoch=initial_epoch, epochs=epochs, **FIT)
    assert resumed.optimizer.iterations == straight.optimizer.iterations - \
        (21 if break_it == "fresh optimizer" else 0)
    assert not np.allclose(resumed.get_weights()[0], straight.get_weights()[0], atol=1e-6)


def test_dropout_masks_of_a_loaded_model_repeat_the_saved_ones(tmp_path):
    model = _model()
    path = tmp_path / "m.kerasite"
    model.save(path)
    loaded = load_model(path)
    x = np.ones((6, 5), dtype=np.float32)
    for epoch in (0, 4):
        for m in (model, loaded):
            for layer in m.layers:
                if hasattr(layer, "set_epoch"):
                    layer.set_epoch(epoch)
        a = model.forward(x, training=True).copy()
        b = loaded.forward(x, training=True).copy()
        assert np.array_equal(a, b)
        assert not np.array_equal(a, model.predict(x))  # dropout was really on


def test_resume_with_a_learning_rate_schedule_is_exact(tmp_path):
    def schedule(epoch, lr):
        return lr * 0.5 if epoch in (2, 4) else lr

    x, y = _data()
    straight = _model()
    straight.fit(x, y, epochs=EPOCHS, callbacks=[LearningRateScheduler(schedule)], **FIT)
    path = tmp_path / "ckpt.kerasite"
    half = _model()
    half.fit(x, y, epochs=3, callbacks=[LearningRateScheduler(schedule), ModelCheckpoint(path)],
             **FIT)
    resumed = load_model(path)
    assert resumed.optimizer.learning_rate == 0.0005
    resumed.fit(x, y, initial_epoch=3, epochs=EPOCHS,
                callbacks=[LearningRateScheduler(schedule)], **FIT)
    assert resumed.optimizer.learning_rate == straight.optimizer.learning_rate == 0.00025
    _assert_same_state(resumed, straight)


def test_checkpoint_per_epoch_files_each_resume_from_their_epoch(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=3, callbacks=[ModelCheckpoint(tmp_path / "ep{epoch:02d}.kerasite")],
              **FIT)
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["ep01.kerasite", "ep02.kerasite", "ep03.kerasite"]
    for epoch in (1, 2, 3):
        loaded = load_model(tmp_path / f"ep{epoch:02d}.kerasite")
        assert loaded.completed_epochs == epoch
        assert loaded.optimizer.iterations == 7 * epoch  # ceil(45 / 7) batches per epoch


def test_monitoring_callbacks_start_afresh_when_training_resumes(tmp_path):
    """Documented, not a resume guarantee: ReduceLROnPlateau (like EarlyStopping)
    resets its counters in on_train_begin, so a resumed run counts patience anew."""
    x, y = _data()

    def plateau():  # min_delta so large that no epoch counts as an improvement
        return ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=100.0)

    straight = _model()
    straight.fit(x, y, epochs=4, callbacks=[plateau()], **FIT)
    assert straight.optimizer.learning_rate == 0.001 * 0.5 ** 3  # epochs 2, 3 and 4

    path = tmp_path / "ckpt.kerasite"
    callback = plateau()
    half = _model()
    half.fit(x, y, epochs=2, callbacks=[callback, ModelCheckpoint(path)], **FIT)
    resumed = load_model(path)
    assert resumed.optimizer.learning_rate == 0.001 * 0.5  # the reduced rate is saved
    resumed.fit(x, y, initial_epoch=2, epochs=4, callbacks=[callback], **FIT)
    # Epoch 3 only sets a new "best"; epoch 4 reduces: one reduction fewer than straight.
    assert resumed.optimizer.learning_rate == 0.001 * 0.5 ** 2


# ========================================= issue 15, item 7: a save after Ctrl-C
class _CtrlCAt(_CrashAt):
    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def _interrupted(tmp_path):
    """The common pattern: Ctrl-C in epoch 3, then ``except KeyboardInterrupt: save``."""
    model = _model()
    path = tmp_path / "interrupted.kerasite"
    try:
        model.fit(*_data(), epochs=EPOCHS, callbacks=[_CtrlCAt(2, 3)], **FIT)
    except KeyboardInterrupt:
        model.save(path)
    return model, path


def test_a_save_after_ctrl_c_is_marked_as_made_mid_epoch(tmp_path):
    import json
    import zipfile

    _, path = _interrupted(tmp_path)
    with zipfile.ZipFile(path) as archive:
        state = json.loads(archive.read("config.json"))["training_state"]
    assert state["completed_epochs"] == 2
    assert state["epoch_in_progress"] == 2  # epoch 3 (0-based 2) was cut short
    assert state["optimizer_iterations"] == 2 * 7 + 4  # the steps really taken


@pytest.mark.parametrize("reload", [True, False], ids=["loaded", "same process"])
def test_resuming_a_cut_short_epoch_warns_that_the_run_will_differ(tmp_path, reload):
    model, path = _interrupted(tmp_path)
    if reload:
        model = load_model(path)
    with pytest.warns(UserWarning, match=r"stopped in the middle of epoch 3 .* will not match "
                                         r"an uninterrupted run"):
        model.fit(*_data(), initial_epoch=model.completed_epochs, epochs=EPOCHS, **FIT)
    # Once an epoch completes, the model is at a boundary again: no more warnings.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(*_data(), initial_epoch=EPOCHS, epochs=EPOCHS + 1, **FIT)


def test_a_checkpoint_at_an_epoch_boundary_resumes_without_a_warning(tmp_path):
    import warnings

    path = tmp_path / "ckpt.kerasite"
    with pytest.raises(KeyboardInterrupt):
        _model().fit(*_data(), epochs=EPOCHS, callbacks=[ModelCheckpoint(path), _CtrlCAt(2, 3)],
                     **FIT)
    model = load_model(path)
    assert model.completed_epochs == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(*_data(), initial_epoch=model.completed_epochs, epochs=3, **FIT)
