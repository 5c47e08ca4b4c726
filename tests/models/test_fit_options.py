"""fit's Keras options (steps_per_epoch, validation_*, epochs=0) and the batch methods.

Keras values from Keras 3.15.1 (JAX backend) on the same model and data as
tests/models/test_sample_weights.py (Dense(1), ones kernel, SGD(0.0)).
"""

import warnings

import numpy as np
import pytest

from kerasite import callbacks
from tests.models.test_sample_weights import SW, X, Y, _compiled


class _Batches(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append([])

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1].append(batch)


def test_steps_per_epoch_continues_through_the_data_as_keras():
    # Keras 3.15.1, 5 samples in batches of 2 (3 batches), epochs=3: with steps_per_epoch=2
    # the epochs run batches [0, 1], [0] (the pass's last batch, with a "ran out of data"
    # warning) and [0, 1]; with steps_per_epoch=5, three batches an epoch, warning each time.
    model = _compiled()
    seen = _Batches()
    with pytest.warns(UserWarning, match="The data ran out after 1 of steps_per_epoch=2"):
        history = model.fit(X, Y, batch_size=2, epochs=3, steps_per_epoch=2, shuffle=False,
                            verbose=0, callbacks=[seen])
    assert seen.epochs == [[0, 1], [0], [0, 1]]
    assert history.params["steps"] == 2
    # The second epoch saw only row 4 (error -1): its loss is 1; the first, rows 0-3: 1.5.
    assert history.history["loss"] == [pytest.approx(1.5), pytest.approx(1.0),
                                       pytest.approx(1.5)]
    seen = _Batches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, Y, batch_size=2, epochs=3, steps_per_epoch=5, verbose=0, callbacks=[seen])
    assert seen.epochs == [[0, 1, 2]] * 3
    assert sum("data ran out" in str(w.message) for w in caught) == 3


def test_steps_per_epoch_equal_to_the_batches_is_a_plain_epoch():
    model = _compiled()
    seen = _Batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, Y, batch_size=2, epochs=2, steps_per_epoch=3, verbose=0, callbacks=[seen])
    assert seen.epochs == [[0, 1, 2]] * 2


@pytest.mark.parametrize("epochs, initial_epoch", [(0, 0), (2, 2), (1, 3)])
def test_no_epoch_to_run_returns_an_empty_history(epochs, initial_epoch):
    model = _compiled()
    history = model.fit(X, Y, epochs=epochs, initial_epoch=initial_epoch, verbose=0)
    assert history.history == {}  # Keras 3.15.1: {} and no error


def test_validation_data_wins_over_validation_split():
    model = _compiled(metrics=["mae"])
    history = model.fit(X, Y, epochs=1, verbose=0, validation_split=0.4,
                        validation_data=(X[:1], Y[:1]), shuffle=False)
    # Keras 3.15.1: loss 1.4 (all five rows trained), val_loss 0.0 (row 0 only).
    assert history.history["loss"] == [pytest.approx(1.4)]
    assert history.history["val_loss"] == [0.0]


def test_validation_split_also_splits_the_sample_weights():
    model = _compiled()
    history = model.fit(X, Y, epochs=1, verbose=0, validation_split=0.4, sample_weight=SW,
                        shuffle=False, batch_size=8)
    # Train rows 0-2 (w 1, 2, .5): (0 + 2 + .5) / 3; validation rows 3-4 (w 0, 3): 3 / 2.
    assert history.history["loss"] == [pytest.approx(2.5 / 3)]
    assert history.history["val_loss"] == [pytest.approx(1.5)]


def test_validation_batch_size_is_used():
    seen = []

    class Sizes(callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(batch)

    model = _compiled()
    model.fit(X, Y, epochs=1, verbose=0, batch_size=5, validation_data=(X, Y),
              validation_batch_size=2, callbacks=[Sizes()])
    assert seen == [0, 1, 2]


def test_validation_freq_as_a_list():
    model = _compiled()
    history = model.fit(X, Y, epochs=3, verbose=0, validation_data=(X, Y), validation_freq=[1, 3])
    assert len(history.history["val_loss"]) == 2


def test_train_on_batch_metrics_cover_one_batch_as_keras():
    model = _compiled(metrics=["mae"])
    # Keras 3.15.1: [0.5, 0.5] then [2.0, 1.3333333730697632], then with
    # sample_weight=sw[2:] and return_dict: {'loss': 1.1666666269302368, 'mae': 1.333...}.
    assert model.train_on_batch(X[:2], Y[:2]) == pytest.approx([0.5, 0.5])
    assert model.train_on_batch(X[2:], Y[2:]) == pytest.approx([2.0, 4 / 3])
    logs = model.train_on_batch(X[2:], Y[2:], sample_weight=SW[2:], return_dict=True)
    assert logs == pytest.approx({"loss": 3.5 / 3, "mae": 4 / 3})
    # Keras 3.15.1: test_on_batch(x, y, sample_weight=sw) -> [1.1, 1.0]; the whole data is
    # one batch here, so the loss is sum(w e^2) / 5 = 5.5 / 5.
    assert model.test_on_batch(X, Y, sample_weight=SW) == pytest.approx([1.1, 1.0])
    assert model.test_on_batch(X, Y, return_dict=True) == pytest.approx({"loss": 1.4, "mae": 1.0})


def test_train_on_batch_with_class_weight():
    model = _compiled()
    y = np.array([0, 1, 1, 0, 1], "float32")
    loss = model.train_on_batch(X, y, class_weight={1: 3.0})
    e2 = (X.sum(1) - y) ** 2
    assert loss == pytest.approx((e2 * np.where(y == 1, 3.0, 1.0)).sum() / 5, rel=1e-6)


def test_predict_on_batch_is_a_plain_array():
    model = _compiled()
    out = model.predict_on_batch(X)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out[:, 0], X.sum(1))
    again = model.predict_on_batch(X[:2])
    np.testing.assert_allclose(out[:, 0], X.sum(1))  # not overwritten by the next call
    assert again.shape == (2, 1)


def test_class_weight_applies_to_training_only_with_validation_split():
    model = _compiled()
    y = np.array([0, 1, 1, 0, 1], "float32")
    history = model.fit(X, y, epochs=1, verbose=0, validation_split=0.4,
                        class_weight={1: 3.0}, shuffle=False, batch_size=8)
    e2 = (X.sum(1) - y) ** 2  # 1, 0, 1, 4, 1
    # Train rows 0-2 weighted 1, 3, 3; validation rows 3-4 unweighted, as in Keras, whose
    # fit splits (x, y, sample_weight) before turning class_weight into weights for training
    # (Keras 3.15.1, same data and model: loss 1.3333, val_loss 2.5).
    assert history.history["loss"] == [pytest.approx((1 + 0 + 3) / 3)]
    assert history.history["val_loss"] == [pytest.approx((4 + 1) / 2)]


def test_steps_in_evaluate_and_predict_and_validation_steps():
    model = _compiled()
    # The first 2 batches of 2: rows 0-3, errors 0, -1, 1, 2: batch losses .5 and 2.5.
    assert model.evaluate(X, Y, batch_size=2, steps=2, verbose=0) == pytest.approx(1.5)
    assert model.predict(X, batch_size=2, steps=1).shape == (2, 1)
    history = model.fit(X, Y, epochs=1, batch_size=2, verbose=0, validation_data=(X, Y),
                        validation_steps=1)
    assert history.history["val_loss"] == [pytest.approx(0.5)]  # rows 0-1 only
    with pytest.warns(UserWarning, match="`steps`=9 asks for more batches"):
        assert model.evaluate(X, Y, batch_size=2, steps=9, verbose=0) == pytest.approx(1.4)
    with pytest.raises(ValueError, match="`validation_steps` must be an integer >= 1"):
        model.fit(X, Y, validation_data=(X, Y), validation_steps=0, verbose=0)
