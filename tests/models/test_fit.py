"""fit / evaluate / predict: Keras semantics, checked against hand-made expectations."""

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import Callback
from kerasite.layers import Layer


class Recorder(Layer):
    """An identity layer that keeps a copy of every training batch it sees."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches = []

    def call(self, x, training=False):
        if training:
            self.batches.append(x.copy())
        return x

    def backward(self, grad_output, need_input_grad=True):
        return grad_output


def small_model(seed=0, dropout=None, optimizer="sgd"):
    kerasite.utils.set_random_seed(seed)
    stack = [layers.Dense(8, activation="tanh")]
    if dropout:
        stack.append(layers.Dropout(dropout, seed=seed))
    stack.append(layers.Dense(1))
    model = kerasite.Sequential(stack)
    model.build((None, 3))  # draw the initial weights now, while the seed is fresh
    model.compile(optimizer=optimizer, loss="mse")
    return model


def data(n=40, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ np.arange(1, features + 1, dtype="float32"))[:, None]
    return x, y


def test_history_records_loss_metrics_and_validation_per_epoch():
    x, y = data()
    model = small_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, validation_data=(x[:10], y[:10]), verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert model.history is history


def test_initial_epoch_runs_the_remaining_epochs_only():
    x, y = data()
    history = small_model().fit(x, y, epochs=5, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3, 4]


def test_batches_cover_every_sample_once_with_a_partial_last_batch():
    x, y = data(n=10)
    recorder = Recorder()
    model = kerasite.Sequential([recorder, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert [len(b) for b in recorder.batches] == [4, 4, 2]
    seen = np.concatenate(recorder.batches)
    # Same rows, reordered: sort rows lexicographically to compare as sets.
    assert np.array_equal(seen[np.lexsort(seen.T)], x[np.lexsort(x.T)])


def test_shuffling_changes_the_order_each_epoch_but_not_the_data():
    x, y = data(n=12)
    x_before = x.copy()
    recorder = Recorder()
    model = kerasite.Sequential([recorder, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    epoch1, epoch2 = np.concatenate(recorder.batches[:3]), np.concatenate(recorder.batches[3:])
    assert not np.array_equal(epoch1, x)
    assert not np.array_equal(epoch1, epoch2)
    assert np.array_equal(np.sort(epoch1, axis=0), np.sort(x, axis=0))
    assert np.array_equal(x, x_before)  # the user's array is never modified


def test_shuffle_false_keeps_the_order():
    x, y = data(n=12)
    recorder = Recorder()
    model = kerasite.Sequential([recorder, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, batch_size=5, shuffle=False, verbose=0)
    assert np.array_equal(np.concatenate(recorder.batches), x)


def test_same_seed_same_training_different_seed_different():
    x, y = data()
    runs = []
    for seed in (3, 3, 4):
        model = small_model(seed, dropout=0.3)
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        runs.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_validation_does_not_touch_weights_or_optimizer_state():
    x, y = data()
    with_val, without = small_model(optimizer="adam"), small_model(optimizer="adam")
    with_val.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), verbose=0)
    without.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(with_val.get_weights(), without.get_weights()):
        assert np.array_equal(a, b)
    sa, sb = with_val.optimizer.get_state(), without.optimizer.get_state()
    assert sa.keys() == sb.keys()
    assert all(np.array_equal(sa[k], sb[k]) for k in sa)


def test_validation_runs_with_dropout_off():
    x, y = data()
    model = small_model(dropout=0.5)
    history = model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0)
    # evaluate() has dropout off; after the only epoch it must match val_loss.
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_validation_split_holds_out_the_last_fraction_before_shuffling():
    x, y = data(n=50)
    model = small_model()
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    expected = model.evaluate(x[40:], y[40:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = data(n=10)
    model = small_model()
    losses = []

    class BatchLoss(Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(logs["loss"])  # running mean so far

    history = model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0,
                        callbacks=[BatchLoss()])
    assert history.history["loss"][0] == pytest.approx(losses[-1])


def test_evaluate_returns_a_float_or_loss_and_metrics():
    x, y = data()
    model = small_model()
    loss = model.evaluate(x, y, verbose=0)
    manual = float(np.mean((model.predict(x) - y) ** 2))
    assert isinstance(loss, float) and loss == pytest.approx(manual, rel=1e-5)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    loss, mae = model.evaluate(x, y, verbose=0)
    assert mae == pytest.approx(float(np.mean(np.abs(model.predict(x) - y))), rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae"}


def test_predict_in_batches_equals_one_pass_and_row_by_row():
    x, _ = data(n=37)
    model = small_model()
    full = model.predict(x, batch_size=1000)
    assert np.allclose(model.predict(x, batch_size=5), full, atol=1e-6)
    rows = np.concatenate([model.predict(x[i:i + 1]) for i in range(len(x))])
    assert np.allclose(rows, full, atol=1e-6)
    assert full.dtype == np.float32


def test_predict_keeps_nothing_for_backward():
    x, _ = data()
    model = small_model()
    model.predict(x)
    assert not hasattr(model.layers[0], "x")


def test_train_on_batch_takes_one_step_and_test_on_batch_none():
    x, y = data()
    model = small_model()
    model.compile(optimizer=kerasite.optimizers.SGD(0.1), loss="mse")
    before = model.get_weights()
    loss = model.test_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.train_on_batch(x, y) == pytest.approx(loss, rel=1e-6)  # loss before the step
    assert model.test_on_batch(x, y) < loss


def test_a_user_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = data()
    history = small_model().fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_sparse_labels_and_accuracy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)  # 3 classes
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(np.mean(model.predict(x).argmax(1) == y))


def test_binary_labels_may_be_one_dimensional_for_a_single_output():
    x, _ = data()
    y = (x[:, 0] > 0).astype("float32")  # shape (n,), as Keras users often pass
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    model.layers[-1].activation = kerasite.layers.Sigmoid()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_summary_counts_match_hand_counts():
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(4), layers.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # Dense(4) on 3 inputs: 3*4 + 4 = 16; Dense(2) on 4: 4*2 + 2 = 10.
    assert "│ dense" in text and "(None, 4)" in text and "(None, 2)" in text
    assert "Total params: 26" in text and "Trainable params: 26" in text
    assert model.count_params() == 26


def test_get_and_set_weights_round_trip_in_layer_order():
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(4), layers.Dense(2)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4, 2), (2,)]
    new = [np.full_like(w, i) for i, w in enumerate(weights)]
    kernel = model.layers[0].W
    model.set_weights(new)
    assert model.layers[0].W is kernel  # written in place
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), new))


def test_input_shape_keyword_on_the_first_layer_builds_the_model():
    model = kerasite.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)])
    assert model.built and model.count_params() == 21


def test_integer_and_list_inputs_are_cast_once_to_floatx():
    model = small_model()
    out = model.predict([[0, 1, 2], [3, 4, 5]])
    assert out.dtype == np.float32 and out.shape == (2, 1)


def test_fit_warns_once_when_the_loss_becomes_nan():
    x, y = data()
    model = small_model()
    model.compile(optimizer=kerasite.optimizers.SGD(1e12), loss="mse")
    with pytest.warns(UserWarning, match="loss became nan.*TerminateOnNaN") as record:
        model.fit(x * 1e3, y, epochs=4, verbose=0)
    assert sum("loss became" in str(w.message) for w in record) == 1


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    x, y = data(n=64)
    model = small_model()
    model.compile(optimizer=kerasite.optimizers.SGD(1e12), loss="mse")
    seen = []

    class Count(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    with pytest.warns(UserWarning):
        history = model.fit(x * 1e3, y, epochs=5, batch_size=8, verbose=0,
                            callbacks=[kerasite.callbacks.TerminateOnNaN(), Count()])
    assert history.epoch == [0]
    assert not np.isfinite(seen[-1]) and all(np.isfinite(seen[:-1]))
    assert "terminating training" in capsys.readouterr().out


def test_predict_and_evaluate_cast_a_uint8_memmap_batch_by_batch(tmp_path):
    # Issue 15, item 16: casting the whole input first made a float32 copy four
    # times the size of the uint8 data. Batches are cast one at a time instead.
    import tracemalloc

    n, features = 20_000, 784  # 15.7 MB of uint8; a float32 copy would be 62.7 MB
    data = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.uint8,
                                     shape=(n, features))
    data[:] = np.arange(features, dtype=np.uint8)
    data.flush()
    x = np.load(tmp_path / "x.npy", mmap_mode="r")
    model = kerasite.Sequential([kerasite.Input((features,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    expected = model.predict(np.asarray(x[:64], dtype=np.float32))
    tracemalloc.start()
    try:
        pred = model.predict(x, batch_size=256)
        model.evaluate(x, np.zeros((n, 2)), batch_size=256, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.allclose(pred[:64], expected)
    assert peak < 8e6, f"peak {peak / 1e6:.1f} MB: the input was copied whole"
