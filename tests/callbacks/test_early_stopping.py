"""EarlyStopping against Keras 3's semantics, with scripted losses.

Each expected stopping epoch below is worked out by hand from the rule: after
each epoch ``wait += 1``; an improvement (better than the best by more than
``min_delta``) sets the best and, if it also beats ``baseline``, resets
``wait`` to 0; otherwise training stops once ``wait >= patience`` (never at
epoch 0).
"""

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import Callback, EarlyStopping


class ScriptedModel:
    """Stands in for a model; its single weight is the index of the last epoch."""

    def __init__(self):
        self.stop_training = False
        self.w = np.array([-1.0])

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, weights):
        self.w[...] = weights[0]


def run(callback, values, monitor="val_loss", stop_externally_at=None):
    """Plays ``values`` as the monitored quantity, one per epoch; returns (epochs run, model)."""
    model = ScriptedModel()
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        model.w[...] = epoch
        callback.on_epoch_end(epoch, {monitor: value})
        ran += 1
        if epoch == stop_externally_at:
            model.stop_training = True
        if model.stop_training:
            break
    callback.on_train_end()
    return ran, model


def test_patience_counts_epochs_without_improvement():
    # best 1.0 (e0), 0.9 (e1); e2 wait=1, e3 wait=2 >= 2: stop after epoch 3.
    es = EarlyStopping(patience=2)
    ran, _ = run(es, [1.0, 0.9, 0.95, 0.96, 0.5])
    assert ran == 4 and es.stopped_epoch == 3 and es.best == 0.9 and es.best_epoch == 1


def test_patience_zero_stops_at_the_first_non_improvement_but_never_at_epoch_0():
    es = EarlyStopping(patience=0)
    ran, _ = run(es, [1.0, 0.8, 0.85])
    assert ran == 3 and es.stopped_epoch == 2


def test_min_delta_ignores_small_improvements():
    # 0.95 improves on 1.0 by 0.05 < min_delta 0.1: no improvement, stop at e1.
    es = EarlyStopping(patience=1, min_delta=0.1)
    ran, _ = run(es, [1.0, 0.95, 0.5])
    assert ran == 2 and es.best == 1.0
    # Without min_delta the same sequence keeps going.
    ran, _ = run(EarlyStopping(patience=1), [1.0, 0.95, 0.5])
    assert ran == 3


def test_min_delta_in_max_mode():
    es = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    ran, _ = run(es, [0.50, 0.53, 0.60], monitor="val_accuracy")  # +0.03 is too small
    assert ran == 2 and es.best == 0.50


def test_baseline_must_be_beaten_to_reset_patience():
    # With baseline 0.5: e0 best=1.0 but wait stays 1; e1 wait=2 -> stop at e1.
    es = EarlyStopping(patience=2, baseline=0.5)
    ran, _ = run(es, [1.0, 1.1, 1.2, 1.3])
    assert ran == 2
    # Without it: e0 resets wait; e1 wait=1; e2 wait=2 -> stop at e2.
    ran, _ = run(EarlyStopping(patience=2), [1.0, 1.1, 1.2, 1.3])
    assert ran == 3


def test_improvements_that_miss_the_baseline_still_update_best():
    es = EarlyStopping(patience=3, baseline=0.1)
    ran, _ = run(es, [1.0, 0.9, 0.8, 0.7, 0.6])
    assert es.best == 0.6 and ran == 5  # improving, so no stop even though wait grows


def test_mode_auto_maximises_accuracy():
    es = EarlyStopping(monitor="accuracy", patience=1)
    ran, _ = run(es, [0.5, 0.7, 0.6], monitor="accuracy")
    assert ran == 3 and es.best == 0.7 and es.stopped_epoch == 2


def test_mode_auto_fails_for_unknown_quantities():
    es = EarlyStopping(monitor="f1")
    with pytest.raises(ValueError, match="cannot tell whether.*mode='min' or mode='max'"):
        run(es, [1.0], monitor="f1")
    with pytest.raises(ValueError, match="`mode` must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")


def test_start_from_epoch_ignores_warm_up_epochs():
    es = EarlyStopping(patience=1, start_from_epoch=2)
    ran, _ = run(es, [1.0, 2.0, 3.0, 4.0, 5.0])
    # e0, e1 ignored; e2 is the first best; e3 wait=1 -> stop.
    assert ran == 4 and es.best == 3.0


@pytest.mark.parametrize("ending", ["patience", "epochs exhausted", "another callback"])
def test_restore_best_weights_however_training_ends(ending):
    es = EarlyStopping(patience=2, restore_best_weights=True)
    values = {"patience": [1.0, 0.5, 0.7, 0.8, 0.9],
              "epochs exhausted": [1.0, 0.5, 0.7],
              "another callback": [1.0, 0.5, 0.7, 0.6, 0.9]}[ending]
    stop_at = 2 if ending == "another callback" else None
    ran, model = run(es, values, stop_externally_at=stop_at)
    assert ran == {"patience": 4, "epochs exhausted": 3, "another callback": 3}[ending]
    assert model.w[0] == 1.0  # the weights after epoch 1, the best


def test_without_restore_the_last_weights_stay():
    _, model = run(EarlyStopping(patience=2), [1.0, 0.5, 0.7, 0.8])
    assert model.w[0] == 3.0


def test_one_instance_reused_in_two_fits_starts_afresh():
    es = EarlyStopping(patience=1, restore_best_weights=True)
    run(es, [0.1, 0.5, 0.6])
    assert es.best == 0.1 and es.stopped_epoch == 1
    ran, model = run(es, [1.0, 0.9, 0.8, 0.95])
    # A stale best of 0.1 would stop at e1; afresh, the run goes until e3.
    assert ran == 4 and es.best == 0.8 and es.stopped_epoch == 3 and model.w[0] == 2.0


def test_missing_monitor_warns_and_lists_the_keys():
    es = EarlyStopping(monitor="val_loss")
    es.set_model(ScriptedModel())
    es.on_train_begin()
    with pytest.warns(UserWarning, match=r"`val_loss`.*Available keys are: loss, accuracy"):
        es.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert es.best is None


def test_restore_best_weights_with_a_real_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=kerasite.optimizers.SGD(0.05), loss="mse")
    snapshots = {}

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots[epoch] = (logs["val_loss"], self.model.get_weights())

    # A validation target the model cannot track: val_loss rises after a while.
    es = EarlyStopping(patience=2, restore_best_weights=True)
    model.fit(x, y, epochs=30, batch_size=8, verbose=0, callbacks=[Snapshot(), es],
              validation_data=(x, y * 0.2))
    best_epoch = min(snapshots, key=lambda e: snapshots[e][0])
    assert es.best_epoch == best_epoch
    for restored, expected in zip(model.get_weights(), snapshots[best_epoch][1]):
        assert np.array_equal(restored, expected)
