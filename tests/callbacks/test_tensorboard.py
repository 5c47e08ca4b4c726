"""TensorBoard: the event files it writes read back with TensorBoard's own reader.

Skipped when the ``tensorboard`` package is missing (the ``test`` extra
installs it, so CI runs these tests).
"""

import builtins
import os

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import LearningRateScheduler, TensorBoard

tensorboard = pytest.importorskip("tensorboard", reason="the tensorboard package is not "
                                  "installed (python -m pip install -e '.[tensorboard]')")


def read_events(run_dir):
    """``{tag: [(step, value or array), ...]}`` as TensorBoard loads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    acc = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
    acc.Reload()
    return {tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
            for tag in acc.Tags()["tensors"]}


def _fit(log_dir, epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(4, activation="tanh",
                                                                    name="hidden"),
                                 layers.Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    board = TensorBoard(log_dir, **kwargs)
    rates = LearningRateScheduler(lambda epoch: 0.01 / (epoch + 1))
    history = model.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[rates, board])
    return model, history


@pytest.mark.slow
def test_epoch_scalars_go_to_train_and_validation_as_keras_lays_them_out(tmp_path):
    model, history = _fit(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = read_events(tmp_path / "train"), read_events(tmp_path / "validation")
    assert sorted(train) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]
    assert sorted(val) == ["epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                           "evaluation_loss_vs_iterations"]
    h = history.history
    for tag, key in [("epoch_loss", "loss"), ("epoch_accuracy", "accuracy")]:
        assert [s for s, _ in train[tag]] == [0, 1, 2]
        np.testing.assert_allclose([float(v) for _, v in train[tag]], h[key], rtol=1e-6)
        np.testing.assert_allclose([float(v) for _, v in val[tag]], h["val_" + key], rtol=1e-6)
    np.testing.assert_allclose([float(v) for _, v in train["epoch_learning_rate"]],
                               [0.01, 0.005, 0.01 / 3], rtol=1e-6)
    # 30 training samples in batches of 10: validation after steps 3, 6 and 9.
    steps, values = zip(*val["evaluation_loss_vs_iterations"])
    assert steps == (3, 6, 9)
    np.testing.assert_allclose([float(v) for v in values], h["val_loss"], rtol=1e-6)


def test_histograms_every_histogram_freq_epochs(tmp_path):
    model, _ = _fit(tmp_path, epochs=3, histogram_freq=2)  # epochs 0 and 2, the last
    train = read_events(tmp_path / "train")
    tags = sorted(t for t in train if t.endswith("/histogram"))
    assert tags == ["hidden/W/histogram", "hidden/b/histogram", "out/W/histogram",
                    "out/b/histogram"]
    steps, last = zip(*train["out/W/histogram"])
    assert steps == (0, 2)
    # Each histogram is (buckets, 3): left edge, right edge, count; all weights counted.
    buckets = last[-1]
    assert buckets.shape[1] == 3 and buckets[:, 2].sum() == model.layers[1].W.size
    assert buckets[0, 0] <= model.layers[1].W.numpy().min() and buckets[-1, 1] >= model.layers[1].W.numpy().max()


def test_batch_hooks_only_when_batches_are_logged(tmp_path):
    from kerasite.callbacks import CallbackList

    assert not CallbackList([TensorBoard(tmp_path)]).wants_batch_hooks
    assert CallbackList([TensorBoard(tmp_path, update_freq="batch")]).wants_batch_hooks


def test_batch_level_scalars_with_update_freq(tmp_path):
    _fit(tmp_path, epochs=2, update_freq=2, write_steps_per_second=True)
    train = read_events(tmp_path / "train")
    # 30 training samples in batches of 10: 3 steps per epoch, 6 in all; every 2nd logged.
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6]
    assert "batch_accuracy" in train and "epoch_steps_per_second" in train
    assert all(float(v) > 0 for _, v in train["epoch_steps_per_second"])


@pytest.mark.parametrize("kwargs, message", [
    ({"histogram_freq": -1}, r"`histogram_freq` must be an integer >= 0 .* Received: "
                             r"histogram_freq=-1"),
    ({"update_freq": 0}, r"`update_freq` must be 'epoch', 'batch' or a positive number"),
    ({"write_images": True}, r"does not support `write_images` .* leave it at False"),
    ({"profile_batch": 5}, r"does not support `profile_batch`"),
    ({"embeddings_freq": 1}, r"does not support `embeddings_freq`"),
    ({"log_dir": ""}, r"`log_dir` must be a non-empty path"),
])
def test_errors(tmp_path, kwargs, message):
    kwargs.setdefault("log_dir", tmp_path)
    with pytest.raises(ValueError, match=message):
        TensorBoard(**kwargs)


def test_a_missing_tensorboard_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(ImportError, match=r"needs the `tensorboard` package.*"
                                          r"python -m pip install -e '\.\[tensorboard\]' \(or pip install tensorboard\)"):
        TensorBoard(tmp_path)
