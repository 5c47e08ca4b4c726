"""ModelCheckpoint (kerasite/callbacks/checkpoint.py) and TerminateOnNaN's epoch check.

Issue 15 items 2 and 14, issue 12 (``save_best_only`` without the monitored
value) and issue 13 (``save_freq``).
"""

import json
import math
import os
import re
import warnings
import zipfile

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import Callback, ModelCheckpoint, TerminateOnNaN
from kerasite.models import load_model


def model_and_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    kerasite.utils.set_random_seed(seed)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=kerasite.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    return model, x, y


class PoisonLastStep(Callback):
    """Overflows a weight after the last step of ``epoch``, as a too-large step does.

    The epoch's loss was computed before that step, so it is still finite.
    """

    def __init__(self, epoch, steps):
        super().__init__()
        self.epoch, self.steps = epoch, steps

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.steps - 1):
            self.model.layers[0].params["W"][0, 0] = np.inf


def _state(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["training_state"]


# ===================================================== item 2: a NaN never replaces a good one
@pytest.mark.parametrize("order", ["checkpoint first", "terminate first"])
def test_overflowed_weights_never_replace_the_last_good_checkpoint(tmp_path, capsys, order):
    model, x, y = model_and_data()
    path = tmp_path / "ckpt.kerasite"
    watchers = [ModelCheckpoint(path), TerminateOnNaN()]
    if order == "terminate first":
        watchers.reverse()
    with pytest.warns(UserWarning, match=r"ModelCheckpoint did not save epoch 2: .*val_loss is "
                                         r"(nan|inf).*previous checkpoint is kept"):
        history = model.fit(x, y, epochs=4, batch_size=5, verbose=0, validation_data=(x, y),
                            callbacks=[PoisonLastStep(1, 4), *watchers])
    assert math.isfinite(history.history["loss"][1])  # the trap: the loss looked fine
    assert len(history.history["loss"]) == 2  # TerminateOnNaN saw val_loss and stopped
    assert re.search(r"Epoch 2: val_loss is (nan|inf); terminating training",
                     capsys.readouterr().out)
    checkpoint = load_model(path)
    assert checkpoint.completed_epochs == 1
    assert all(np.isfinite(w).all() for w in checkpoint.get_weights())


def test_without_validation_data_the_weights_themselves_are_checked(tmp_path):
    model, x, y = model_and_data()
    path = tmp_path / "ckpt-{epoch}.kerasite"
    with pytest.warns(UserWarning, match=r"did not save epoch 2: the weights hold NaN or "
                                         r"infinite values"):
        model.fit(x, y, epochs=2, batch_size=5, verbose=0,
                  callbacks=[PoisonLastStep(1, 4), ModelCheckpoint(path)])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-1.kerasite"]


def test_a_monitored_value_that_is_not_finite_is_not_saved_as_best(tmp_path):
    model, x, y = model_and_data()
    path = tmp_path / "best.kerasite"
    checkpoint = ModelCheckpoint(path, monitor="val_mae", save_best_only=True)
    checkpoint.set_model(model)
    with pytest.warns(UserWarning, match=r"val_mae is nan"):
        checkpoint.on_epoch_end(0, {"loss": 1.0, "val_mae": float("nan")})
    assert not path.exists() and checkpoint.best is None


# ============================ issue 12: save_best_only without the monitored value
def test_save_best_only_without_the_monitored_value_warns_and_saves(tmp_path):
    # Keras 3 (keras/src/callbacks/model_checkpoint.py, _should_save_model) warns and
    # saves when the monitored value is missing; kerasite used to skip the save.
    model, x, y = model_and_data()
    path = tmp_path / "best-{epoch}.kerasite"
    with pytest.warns(UserWarning, match=r"monitors `val_loss`, which is not in the logs.*"
                                         r"saves every epoch"):
        model.fit(x, y, epochs=2, batch_size=5, verbose=0,
                  callbacks=[ModelCheckpoint(path, save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["best-1.kerasite", "best-2.kerasite"]


# ============================================================ issue 13: save_freq
def test_save_freq_int_saves_every_n_batches_across_epochs(tmp_path):
    # Keras's count: batches since the last save, carried over epoch boundaries.
    model, x, y = model_and_data()  # 20 samples, batch 5: 4 batches per epoch
    path = tmp_path / "ckpt-{epoch}-{batch}.kerasite"
    model.fit(x, y, epochs=3, batch_size=5, verbose=0,
              callbacks=[ModelCheckpoint(path, save_freq=5)])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-2-1.kerasite", "ckpt-3-2.kerasite"]
    state = _state(tmp_path / "ckpt-2-1.kerasite")
    assert state["optimizer_iterations"] == 5
    assert state["completed_epochs"] == 1 and state["epoch_in_progress"] == 1  # mid-epoch


def test_save_freq_epoch_is_the_default(tmp_path):
    model, x, y = model_and_data()
    model.fit(x, y, epochs=2, batch_size=5, verbose=0,
              callbacks=[ModelCheckpoint(tmp_path / "c-{epoch}.kerasite")])
    assert sorted(os.listdir(tmp_path)) == ["c-1.kerasite", "c-2.kerasite"]
    assert _state(tmp_path / "c-2.kerasite")["epoch_in_progress"] is None


@pytest.mark.parametrize("save_freq", [0, -3, 1.5, True, "batch", None])
def test_an_invalid_save_freq_is_refused(save_freq):
    with pytest.raises(ValueError, match=r"`save_freq` must be 'epoch' or a positive integer"):
        ModelCheckpoint("c.kerasite", save_freq=save_freq)


# ================================================== item 14: bad file-path templates
@pytest.mark.parametrize("filepath, message", [
    ("ckpt-{epoch:s}.kerasite", r"\{epoch:s\}.*Unknown format code 's'"),
    ("run{1}/ckpt.kerasite", r"positional field \{1\}"),
    ("ckpt-{}.kerasite", r"positional field \{\}"),
    ("ckpt-{loss[0]}.kerasite", r"\{loss\[0\]\}.*attribute or index"),
    ("ckpt-{epoch!x}.kerasite", r"\{epoch!x\}"),
    ("ckpt-{epoch.kerasite", r"unbalanced braces|expected '\}'"),
    ("ckpt-}.kerasite", r"unbalanced braces|Single '\}'"),
    ("ckpt-{loss:{width}}.kerasite", r"nested"),
])
def test_a_malformed_filepath_template_fails_in_the_constructor(filepath, message):
    with pytest.raises(ValueError, match=r"`filepath` .*" + message):
        ModelCheckpoint(filepath)


@pytest.mark.parametrize("filepath, fit_kwargs, message", [
    ("ckpt-{val_loss:.3f}.kerasite", {}, r"\{val_loss\}.*no validation data"),
    ("ckpt-{accuracy}.kerasite", {}, r"\{accuracy\}.*Available: epoch, loss, mae"),
    ("ckpt-{val_loss}.kerasite", {"validation_split": 0.25, "save_freq": 2},
     r"\{val_loss\}.*every 2 batches"),
])
def test_a_key_fit_will_not_log_fails_before_the_first_epoch(tmp_path, filepath, fit_kwargs,
                                                             message):
    model, x, y = model_and_data()
    save_freq = fit_kwargs.pop("save_freq", "epoch")
    checkpoint = ModelCheckpoint(tmp_path / filepath, save_freq=save_freq)
    with pytest.raises(ValueError, match=r"ModelCheckpoint's `filepath` .*" + message):
        model.fit(x, y, epochs=2, batch_size=5, verbose=0, callbacks=[checkpoint],
                  **fit_kwargs)
    assert model.optimizer.iterations == 0  # nothing was trained and lost
    assert os.listdir(tmp_path) == []


def test_valid_templates_format_as_before(tmp_path):
    model, x, y = model_and_data()
    path = tmp_path / "e{epoch:02d}-{loss:.2f}-{val_mae:.1e}{{x}}.kerasite"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, epochs=1, batch_size=5, verbose=0, validation_data=(x, y),
                            callbacks=[ModelCheckpoint(path)])
    logs = {k: v[0] for k, v in history.history.items()}
    assert os.listdir(tmp_path) == [f"e01-{logs['loss']:.2f}-{logs['val_mae']:.1e}{{x}}.kerasite"]
