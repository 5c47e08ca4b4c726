"""The other callbacks: hook order, loggers, timer, schedulers and the progress bar."""

import csv

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import (
    Callback,
    CSVLogger,
    LearningRateScheduler,
    LossLogger,
    ProgressBar,
    ReduceLROnPlateau,
    Timer,
)


def model_and_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    kerasite.utils.set_random_seed(seed)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=kerasite.optimizers.SGD(0.01), loss="mse")
    return model, x, y


class Trace(Callback):
    """Records every hook call as (hook name[, epoch or batch index])."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recorder(hook):
    def method(self, *args, **kwargs):
        self.calls.append((hook, args[0]) if args and isinstance(args[0], int) else (hook,))
    return method


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end"):
    setattr(Trace, _hook, _recorder(_hook))


def test_hooks_are_called_in_keras_order():
    model, x, y = model_and_data(n=4)
    trace = Trace()
    model.fit(x, y, epochs=2, batch_size=2, validation_data=(x, y), verbose=0, callbacks=[trace])
    epoch = [("on_epoch_begin", 0), ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
             ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
             ("on_test_begin",), ("on_test_end",), ("on_epoch_end", 0)]
    second = [(c[0], 1) if len(c) == 2 and c[0].startswith("on_epoch") else c for c in epoch]
    assert trace.calls == [("on_train_begin",), *epoch, *second, ("on_train_end",)]
    assert trace.params == {"epochs": 2, "steps": 2, "verbose": 0, "batch_size": 2, "samples": 4}
    assert trace.model is model


def test_loss_logger_records_each_batch_and_epoch(tmp_path):
    model, x, y = model_and_data(n=10)
    path = tmp_path / "losses.csv"
    logger = LossLogger(path)
    history = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0, callbacks=[logger])
    assert len(logger.batch_losses) == 6
    assert logger.epoch_losses == history.history["loss"]
    # Batch sizes 4, 4, 2: the epoch loss is their sample-weighted mean.
    b = logger.batch_losses[:3]
    assert logger.epoch_losses[0] == pytest.approx((4 * b[0] + 4 * b[1] + 2 * b[2]) / 10)
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "batch", "batch_loss"] and len(rows) == 7
    assert float(rows[1][2]) == pytest.approx(b[0])


def test_loss_logger_batch_losses_are_the_batches_own_losses():
    model, x, y = model_and_data(n=8)
    before = model.get_weights()
    logger = LossLogger()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[logger])
    model.set_weights(before)
    assert logger.batch_losses[0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_timer_adds_time_to_the_logs():
    model, x, y = model_and_data()
    timer = Timer()
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.epoch_times) == 3 and all(t > 0 for t in timer.epoch_times)
    assert history.history["time"] == timer.epoch_times
    assert timer.total_time >= sum(timer.epoch_times)


def test_csv_logger_writes_sorted_columns_and_appends(tmp_path):
    model, x, y = model_and_data()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0, callbacks=[CSVLogger(path)])
    model.fit(x, y, epochs=4, initial_epoch=2, validation_data=(x, y), verbose=0,
              callbacks=[CSVLogger(path, append=True)])
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]  # one header, four epochs


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    model, x, y = model_and_data()
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    single = LearningRateScheduler(lambda epoch: 0.2)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[single])
    assert model.optimizer.learning_rate == 0.2


def test_learning_rate_scheduler_errors():
    with pytest.raises(TypeError, match="`schedule` must be a function"):
        LearningRateScheduler(0.1)
    model, x, y = model_and_data()
    with pytest.raises(TypeError, match=r"must return a float .* It returned None of type "
                                        r"NoneType for epoch 0"):
        model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: None)])
    with pytest.raises(TypeError, match="It returned '0.1' of type str"):
        model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda e: "0.1")])
    for bad in (-0.1, float("nan"), np.inf):
        with pytest.raises(ValueError, match=r"finite learning rate >= 0\. It returned"):
            model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: bad)])


def test_learning_rate_scheduler_accepts_numpy_floats_and_zero():
    model, x, y = model_and_data()
    rates = [np.float32(0.05), np.float64(0.02), 0.0, np.array(0.01), 1.0]
    scheduler = LearningRateScheduler(lambda epoch: rates[epoch])
    history = model.fit(x, y, epochs=len(rates), verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.02, 0.0, 0.01, 1.0])
    assert all(type(r) is float for r in history.history["learning_rate"])


def test_learning_rate_zero_leaves_the_weights_unchanged():
    model, x, y = model_and_data()
    model.build((None, 3))
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda e: 0.0)])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_reduce_lr_on_plateau_with_scripted_losses():
    class Opt:
        learning_rate = 1.0

    class M:
        optimizer = Opt()

    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    cb.set_model(M())
    cb.on_train_begin()
    rates = []
    # As in Keras: e0 sets the best; e1 wait=1; e2 wait=2 -> halve, cooldown=1. The epoch
    # that ends a cooldown still counts: e3 wait=1; e4 wait=2 -> halve; e5 wait=1;
    # e6 -> 0.125, held at min_lr=0.2; after that the rate is at min_lr and stays.
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"loss": loss}
        cb.on_epoch_end(epoch, logs)
        rates.append(M.optimizer.learning_rate)
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]
    with pytest.raises(ValueError, match=r"`factor` must be in \[0, 1\)"):
        ReduceLROnPlateau(factor=1.5)


def test_progress_verbose_2_prints_one_line_per_epoch(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, epochs=3, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - 1/1 - ") and "loss: " in lines[0]


def test_progress_verbose_0_is_silent(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, epochs=3, verbose=0)
    assert capsys.readouterr().out == ""
