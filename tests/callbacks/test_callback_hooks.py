"""CallbackList: logs are always dicts; Keras's evaluate/predict hooks; LambdaCallback; CSVLogger."""

import csv

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import Callback, CallbackList, CSVLogger, LambdaCallback
from kerasite.callbacks.base import _HOOKS

RUN_HOOKS = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
             "on_predict_begin", "on_predict_end"]
INDEXED_HOOKS = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end"]


class Recorder(Callback):
    """Overrides every hook and records (hook, args) for each call."""

    def __init__(self):
        super().__init__()
        self.calls = []


for _hook in RUN_HOOKS:
    setattr(Recorder, _hook, lambda self, logs=None, _h=_hook: self.calls.append((_h, logs)))
for _hook in INDEXED_HOOKS:
    setattr(Recorder, _hook,
            lambda self, i, logs=None, _h=_hook: self.calls.append((_h, i, logs)))


def test_the_hooks_are_keras_hooks():
    # keras.callbacks.Callback (Keras 3.15) has exactly these hook methods.
    assert sorted(_HOOKS) == sorted(RUN_HOOKS + INDEXED_HOOKS)
    for hook in _HOOKS:
        assert getattr(Callback(), hook)(*([0] if hook in INDEXED_HOOKS else [])) is None


@pytest.mark.parametrize("hook", RUN_HOOKS + INDEXED_HOOKS)
def test_every_hook_receives_a_dict_never_none(hook):
    rec = Recorder()
    hooks = CallbackList([rec])
    args = [3] if hook in INDEXED_HOOKS else []
    getattr(hooks, hook)(*args)                 # no logs at all
    getattr(hooks, hook)(*args, None)           # logs=None, as an engine may pass
    given = {"loss": 0.5}
    getattr(hooks, hook)(*args, given)
    assert [c[-1] for c in rec.calls] == [{}, {}, {"loss": 0.5}]
    assert rec.calls[2][-1] is given  # the caller's dict itself: a callback may add to it
    if args:
        assert [c[1] for c in rec.calls] == [3, 3, 3]


def test_hooks_nobody_overrides_are_skipped():
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    hooks = CallbackList([EpochOnly(), Callback()])
    for hook in _HOOKS:
        expected = 1 if hook == "on_epoch_end" else 0
        assert len(getattr(hooks, "_" + hook)) == expected, hook
    assert not hooks.wants_batch_hooks
    assert not hooks.wants_test_batch_hooks and not hooks.wants_predict_batch_hooks
    rec = CallbackList([Recorder()])
    assert rec.wants_batch_hooks and rec.wants_test_batch_hooks and rec.wants_predict_batch_hooks


def test_evaluate_and_predict_hooks_reach_each_callback_in_order():
    a, b = Recorder(), Recorder()
    hooks = CallbackList([a, b])
    hooks.on_test_begin()
    hooks.on_test_batch_begin(0)
    hooks.on_test_batch_end(0, {"loss": 1.0})
    hooks.on_test_end({"loss": 1.0})
    outputs = np.zeros((2, 1))
    hooks.on_predict_begin()
    hooks.on_predict_batch_begin(0)
    hooks.on_predict_batch_end(0, {"outputs": outputs})
    hooks.on_predict_end()
    expected = [("on_test_begin", {}), ("on_test_batch_begin", 0, {}),
                ("on_test_batch_end", 0, {"loss": 1.0}), ("on_test_end", {"loss": 1.0}),
                ("on_predict_begin", {}), ("on_predict_batch_begin", 0, {}),
                ("on_predict_batch_end", 0, {"outputs": outputs}), ("on_predict_end", {})]
    assert a.calls == expected and b.calls == expected


def test_callbacks_in_fit_get_dicts():
    seen = []

    class Check(Callback):
        def on_train_begin(self, logs=None):
            seen.append(type(logs))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(type(logs))

        def on_train_batch_begin(self, batch, logs=None):
            seen.append(type(logs))

        def on_test_begin(self, logs=None):
            seen.append(type(logs))

    model, x, y = _model_and_data()
    model.fit(x, y, epochs=1, batch_size=10, validation_data=(x, y), verbose=0,
              callbacks=[Check()])
    assert seen and set(seen) == {dict}


def test_a_non_callback_is_refused():
    with pytest.raises(TypeError, match="must be a list of kerasite.callbacks.Callback "
                                        "instances. Received an item of type function"):
        CallbackList([lambda: None])


# ============================================================ LambdaCallback
def _model_and_data(n=20):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=kerasite.optimizers.SGD(0.01), loss="mse")
    return model, x, x.sum(axis=1, keepdims=True)


def test_lambda_callback_runs_the_given_functions_with_keras_arguments():
    events = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", dict(logs))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_train_end=lambda logs: events.append(("train_end",)),
    )
    model, x, y = _model_and_data()
    model.fit(x, y, epochs=2, batch_size=10, validation_data=(x, y), verbose=0, callbacks=[cb])
    assert events == [("train_begin", {}), ("batch_end", 0), ("batch_end", 1),
                      ("epoch_end", 0, ["loss", "val_loss"]), ("batch_end", 0),
                      ("batch_end", 1), ("epoch_end", 1, ["loss", "val_loss"]), ("train_end",)]


def test_lambda_callback_other_hooks_by_keyword_and_no_cost_for_unset_ones():
    ends = []
    cb = LambdaCallback(on_epoch_begin=lambda epoch, logs: None,
                        on_test_end=lambda logs: ends.append(logs))
    hooks = CallbackList([cb])
    assert not hooks.wants_batch_hooks  # no batch function: fit skips the batch hooks
    assert len(hooks._on_epoch_begin) == 1 and len(hooks._on_test_end) == 1
    hooks.on_test_end({"loss": 2.0})
    assert ends == [{"loss": 2.0}]


def test_lambda_callback_errors():
    with pytest.raises(TypeError, match="unexpected argument 'on_epoch_ends'. The hooks are: "
                                        "on_train_begin"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="`on_epoch_end` must be a function or None. "
                                        "Received: 3"):
        LambdaCallback(on_epoch_end=3)


# ================================================================= CSVLogger
def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_same_columns_in_every_row_and_na_for_missing_values(tmp_path):
    # Keras's CSVLogger writes "NA" for a key missing from an epoch's logs.
    path = tmp_path / "log.csv"
    log = CSVLogger(path)
    log.on_train_begin()
    log.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
    log.on_epoch_end(1, {"loss": 0.4})
    log.on_train_end()
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.7"], ["1", "0.4", "NA"]]


def test_csv_logger_adds_a_late_column_instead_of_dropping_it(tmp_path):
    path = tmp_path / "log.csv"
    log = CSVLogger(path)
    log.on_train_begin()
    log.on_epoch_end(0, {"loss": 0.5})
    log.on_epoch_end(1, {"loss": 0.4, "val_loss": 0.6})
    log.on_epoch_end(2, {"loss": 0.3})
    log.on_train_end()
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "0.5", "NA"],
                           ["1", "0.4", "0.6"], ["2", "0.3", "NA"]]


def test_csv_logger_appending_keeps_the_existing_columns(tmp_path):
    path = tmp_path / "log.csv"
    first = CSVLogger(path)
    first.on_train_begin()
    first.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
    first.on_train_end()
    again = CSVLogger(path, append=True)
    again.on_train_begin()
    again.on_epoch_end(1, {"val_loss": 0.6, "loss": 0.4})  # other key order
    again.on_epoch_end(2, {"loss": 0.3, "accuracy": 0.9})  # a new key, one missing
    again.on_train_end()
    assert _rows(path) == [["epoch", "accuracy", "loss", "val_loss"],
                           ["0", "NA", "0.5", "0.7"], ["1", "NA", "0.4", "0.6"],
                           ["2", "0.9", "0.3", "NA"]]
