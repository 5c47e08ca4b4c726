"""fit/evaluate/predict on generators and iterables of batches: results, epochs, errors."""

import warnings

import numpy as np
import pytest

from kerasite import Sequential, callbacks, layers, utils
from kerasite.trainers.data_adapters import batch_source_kind, reserve_outputs
from tests.trainers._py_datasets import regression_data


def _model(seed=7, loss="mse", units=1, features=3):
    utils.set_random_seed(seed)
    model = Sequential([layers.Input((features,)), layers.Dense(units)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def _batches(x, y=None, batch_size=4, w=None):
    for start in range(0, len(x), batch_size):
        rows = slice(start, start + batch_size)
        if y is None:
            yield x[rows]
        elif w is None:
            yield x[rows], y[rows]
        else:
            yield x[rows], y[rows], w[rows]


def _endless(x, y, batch_size=4):
    while True:
        yield from _batches(x, y, batch_size)


class _Steps(callbacks.Callback):
    """Records params["steps"] and the batches of each epoch."""

    def on_train_begin(self, logs=None):
        self.steps, self.epochs = self.params["steps"], []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1] += 1


# ================================================================== results
def test_fit_on_a_generator_gives_the_weights_of_fit_on_the_arrays(float64):
    x, y = regression_data(22)
    w = np.linspace(0.5, 2.0, 22)
    arrays = _model()
    arrays.fit(x, y, sample_weight=w, batch_size=4, shuffle=False, verbose=0)
    batches = _model()
    batches.fit(_batches(x, y, 4, w), shuffle=False, verbose=0)
    for a, b in zip(arrays.get_weights(), batches.get_weights()):
        assert a.dtype == np.float64 and np.array_equal(a, b)


def test_a_list_of_batches_is_read_again_every_epoch(float64):
    x, y = regression_data(20)
    arrays = _model()
    history = arrays.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    batches = _model()
    steps = _Steps()
    again = batches.fit(list(_batches(x, y, 5)), epochs=3, shuffle=False, verbose=0,
                        callbacks=[steps])
    assert steps.steps == 4 and steps.epochs == [4, 4, 4]  # len() gives the count
    assert np.array_equal(arrays.get_weights()[0], batches.get_weights()[0])
    assert history.history["loss"] == again.history["loss"]


def test_predict_and_evaluate_on_a_generator_equal_those_on_the_arrays():
    x, y = regression_data(21, dtype="float32")
    model = _model()
    expected = model.predict(x, batch_size=4)
    # x alone, (x,) and (x, y) batches: predict uses x only
    assert np.array_equal(model.predict(_batches(x, None, 4)), expected)
    assert np.array_equal(model.predict((b,) for b in _batches(x, None, 4)), expected)
    assert np.array_equal(model.predict(_batches(x, y, 4)), expected)
    assert np.array_equal(model.predict(_endless(x, y, 7), steps=3), model.predict(x, batch_size=7))
    loss = model.evaluate(x, y, batch_size=4, verbose=0)
    assert model.evaluate(_batches(x, y, 4), verbose=0) == pytest.approx(loss, rel=1e-6)
    assert model.evaluate(_endless(x, y, 4), steps=2, verbose=0) == pytest.approx(
        model.evaluate(x[:8], y[:8], batch_size=4, verbose=0), rel=1e-6)


def test_predict_grows_its_output_for_a_source_of_unknown_length():
    outs = [np.ones((3, 2)), np.zeros((3, 1))]
    results = reserve_outputs(None, outs, 0)
    assert [r.shape for r in results] == [(6, 2), (6, 1)]
    results[0][:3] = 7
    grown = reserve_outputs(results, outs, 6)
    assert [r.shape for r in grown] == [(12, 2), (12, 1)] and (grown[0][:3] == 7).all()
    assert reserve_outputs(grown, outs, 3) is grown


def test_an_unbuilt_model_is_built_from_the_first_batch():
    x, y = regression_data(8, dtype="float32")
    model = Sequential([layers.Dense(2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_batches(x, y), shuffle=False, verbose=0)
    assert model.built and model.input_shape == (None, 3)


def test_validation_data_as_a_generator_and_as_a_list(float64):
    x, y = regression_data(16)
    xv, yv = regression_data(8, seed=1)
    arrays = _model()
    expected = arrays.fit(x, y, batch_size=4, validation_data=(xv, yv), validation_batch_size=4,
                          shuffle=False, verbose=0).history
    listed = _model().fit(x, y, batch_size=4, validation_data=list(_batches(xv, yv, 4)),
                          shuffle=False, verbose=0).history
    generated = _model().fit(x, y, batch_size=4, validation_data=_batches(xv, yv, 4),
                             shuffle=False, verbose=0).history
    assert listed == expected and generated == expected


def test_an_endless_validation_generator_takes_validation_steps_each_time():
    x, y = regression_data(8, dtype="float32")
    model = _model()
    seen = []

    def validation():
        i = 0
        while True:
            seen.append(i)
            yield x[:4] + i, y[:4]
            i += 1

    model.fit(x, y, batch_size=4, epochs=3, validation_data=validation(), validation_steps=2,
              shuffle=False, verbose=0)
    assert seen[:6] == [0, 1, 2, 3, 4, 5]  # each validation continues the generator


# ==================================================== epochs and steps (Keras's semantics)
def test_steps_per_epoch_with_an_endless_generator():
    x, y = regression_data(12, dtype="float32")
    model = _model()
    steps = _Steps()
    history = model.fit(_endless(x, y, 4), steps_per_epoch=5, epochs=3, shuffle=False,
                        verbose=0, callbacks=[steps])
    assert steps.steps == 5 and steps.epochs == [5, 5, 5] and len(history.history["loss"]) == 3


def test_a_finite_generator_is_used_up_by_the_first_epoch_then_training_stops():
    # Keras 3.15.1 (JAX) on the same 5-batch generator trains 5 batches in epoch 1 and then
    # replays the 2 batches it peeked at in every later epoch, warning "Your input ran out of
    # data" (keras-team/keras#20402); kerasite reads each batch once and stops at epoch 2.
    x, y = regression_data(20, dtype="float32")
    steps = _Steps()
    with pytest.warns(UserWarning, match=r"Your input ran out of data; interrupting training "
                                         r"before epoch 2: the generator given as `x` was used "
                                         r"up by the epochs before"):
        history = _model().fit(_batches(x, y, 4), epochs=3, shuffle=False, verbose=0,
                               callbacks=[steps])
    assert steps.steps is None and steps.epochs == [5] and len(history.history["loss"]) == 1


def test_steps_per_epoch_beyond_a_finite_generator_warns_and_stops():
    x, y = regression_data(20, dtype="float32")
    steps = _Steps()
    with pytest.warns(UserWarning, match=r"The data ran out after 2 of steps_per_epoch=3 batches "
                                         r"in epoch 2\. Training stops here: a generator cannot "
                                         r"be read again") as record:
        _model().fit(_batches(x, y, 4), steps_per_epoch=3, epochs=3, shuffle=False, verbose=0,
                     callbacks=[steps])
    assert steps.epochs == [3, 2]
    assert sum("ran out" in str(w.message) for w in record) == 1  # warned once


def test_a_validation_generator_used_up_skips_the_later_validations():
    x, y = regression_data(8, dtype="float32")
    with pytest.warns(UserWarning, match=r"epoch 2 and those after are not validated: the "
                                         r"generator given as `validation_data` was used up"):
        history = _model().fit(x, y, batch_size=4, epochs=3, validation_data=_batches(x, y, 4),
                               shuffle=False, verbose=0)
    assert len(history.history["val_loss"]) == 1 and len(history.history["loss"]) == 3


def test_shuffle_true_warns_as_keras_does_for_generators_and_iterables():
    x, y = regression_data(8, dtype="float32")
    with pytest.warns(UserWarning, match=r"`shuffle=True` was passed, but will be ignored since "
                                         r"the data `x` was provided as a generator"):
        _model().fit(_batches(x, y), verbose=0)
    with pytest.warns(UserWarning, match=r"provided as an iterable"):
        _model().fit(list(_batches(x, y)), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model().fit(_batches(x, y), shuffle=False, verbose=0)


def test_the_progress_bar_counts_without_a_total_then_knows_it(capsys):
    x, y = regression_data(12, dtype="float32")

    class Unsized:  # an iterable without a length: the count is unknown until a pass ends
        def __iter__(self):
            return _batches(x, y, 4)

    _model().fit(Unsized(), epochs=2, shuffle=False, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 1/2 - 3/3 - ") and lines[1].startswith("Epoch 2/2 - 3/3 - ")


# ====================================================================== errors
def test_what_a_source_of_batches_refuses():
    x, y = regression_data(8, dtype="float32")
    model = _model()
    with pytest.raises(ValueError, match=r"When `x` is a generator, `y` must not be passed: the "
                                         r"targets come in its batches"):
        model.fit(_batches(x), y, verbose=0)
    with pytest.raises(ValueError, match=r"`sample_weight` must not be passed: the sample "
                                         r"weights come"):
        model.fit(_batches(x, y), sample_weight=np.ones(8), verbose=0)
    with pytest.raises(ValueError, match=r"`batch_size` must not be given when `x` is a "
                                         r"generator: its batches are made already. Received: "
                                         r"batch_size=4"):
        model.fit(_batches(x, y), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_batch_size` must not be given when "
                                         r"`validation_data` is an iterable"):
        model.fit(x, y, validation_data=list(_batches(x, y)), validation_batch_size=2, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` is only supported for arrays"):
        model.fit(_batches(x, y), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match=r"`class_weight` is not supported for Python generator "
                                         r"inputs \(as in Keras\)"):
        model.fit(_batches(x, y), class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"`batch_size` must not be given when `x` is a "
                                         r"generator"):
        model.predict(_batches(x), batch_size=2)


def test_a_generator_function_not_called_gets_a_hint():
    model = _model()
    with pytest.raises(TypeError, match=r"`x` is the generator function '_batches', not a "
                                        r"generator: call it, e.g. fit\(_batches\(\)\)"):
        model.fit(_batches, verbose=0)


def test_an_empty_or_used_generator_is_refused():
    model = _model()
    with pytest.raises(ValueError, match=r"The generator given as `x` yielded no batch: it is "
                                         r"empty or already used up"):
        model.fit(iter([]), shuffle=False, verbose=0)

    class Empty:
        def __iter__(self):
            return iter(())

        def __len__(self):
            return 0

    with pytest.raises(ValueError, match=r"The Empty of batches given as `x` holds no batch "
                                         r"\(its length is 0\)"):
        model.fit(Empty(), shuffle=False, verbose=0)


def test_a_batch_of_the_wrong_structure_is_named():
    x, y = regression_data(8, dtype="float32")
    with pytest.raises(ValueError, match=r"Batch 0 from the generator given as `x` has 4 items\. "
                                         r"A batch must be x, \(x,\), \(x, y\) or "
                                         r"\(x, y, sample_weight\)"):
        _model().fit(iter([(x, y, y, y)]), shuffle=False, verbose=0)


def test_a_batch_whose_shape_or_dtype_changes_is_named():
    x, y = regression_data(12, dtype="float32")

    def changing(bad):
        yield x[:4], y[:4]
        yield x[4:8], y[4:8]
        yield bad

    with pytest.raises(ValueError, match=r"Batch 2 from the generator given as `x` does not "
                                         r"match the batches before it: its `x` has shape "
                                         r"\(batch, 2\) and dtype float32, but batch 0's had "
                                         r"shape \(batch, 3\) and dtype float32\. Every batch "
                                         r"must have the same parts"):
        _model().fit(changing((x[8:, :2], y[8:])), shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"Batch 2 .* its `y` has shape \(batch, 1\) and dtype "
                                         r"float64, but batch 0's had shape \(batch, 1\) and "
                                         r"dtype float32"):
        _model().fit(changing((x[8:], y[8:].astype("float64"))), shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"Batch 2 .* its `y` has nothing \(None\), but batch "
                                         r"0's had shape \(batch, 1\)"):
        _model().fit(changing((x[8:],)), shuffle=False, verbose=0)


def test_a_first_batch_the_model_cannot_take_is_named():
    x, y = regression_data(8, features=5, dtype="float32")
    with pytest.raises(ValueError, match=r"Batch 0 from the generator given as `x`: Input to "
                                         r"layer 'dense.*' \(Dense\) has the wrong shape: "
                                         r"expected \(batch, 3\)"):
        _model().fit(_batches(x, y), shuffle=False, verbose=0)
    xs, ys = regression_data(8, dtype="float32")
    bad = list(_batches(xs, ys))
    bad[1] = (xs[4:], ys[4:] * np.nan)
    with pytest.raises(ValueError, match=r"Batch 1 from the list of batches given as `x`: `y` "
                                         r"contains 4 NaN or infinite values"):
        _model().fit(bad, shuffle=False, verbose=0)


def test_an_object_array_from_a_generator_mentions_generators():
    x, y = regression_data(4, dtype="float32")
    ragged = np.empty(4, dtype=object)
    ragged[:] = [np.ones(2), np.ones(3), np.ones(2), np.ones(3)]
    with pytest.raises(TypeError, match=r"Batch 0 from the generator given as `x`: `x` is an "
                                        r"array of Python objects \(dtype object\), not of "
                                        r"numbers\. A generator, iterable or PyDataset must give "
                                        r"each batch as NumPy arrays of numbers"):
        _model().fit(iter([(ragged, y)]), shuffle=False, verbose=0)
    with pytest.raises(TypeError, match=r"`x` is an array of Python objects"):
        _model().predict(iter([ragged]))


def test_an_exception_in_the_generator_reaches_the_caller_with_the_batch():
    x, y = regression_data(12, dtype="float32")

    def broken():
        yield x[:4], y[:4]
        yield x[4:8], y[4:8]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone") as info:
        _model().fit(broken(), shuffle=False, verbose=0)
    assert info.value.__notes__ == [
        "Raised by the generator given as `x` while making batch 2 (counted from 0)."]


def test_an_exception_in_the_training_step_names_the_batch():
    x, y = regression_data(12, dtype="float32")

    class Stop(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1 and self.model.completed_epochs == 1:
                raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here") as info:
        _model().fit(list(_batches(x, y)), epochs=2, shuffle=False, verbose=0,
                     callbacks=[Stop()])
    assert info.value.__notes__ == ["Raised during batch 1 of epoch 2 (counted from 0 within the "
                                    "epoch) from the list of batches given as `x`."]


def test_which_inputs_are_sources_of_batches():
    x = np.zeros((2, 1))
    assert batch_source_kind(x) is None and batch_source_kind([x, x]) is None
    assert batch_source_kind([[1.0], [2.0]]) is None and batch_source_kind({"a": x}) is None
    assert batch_source_kind((x, x)) is None and batch_source_kind(np.memmap) is None
    assert batch_source_kind([(x, x)]) == "iterable" and batch_source_kind(iter([x])) == "generator"
    assert batch_source_kind(map(float, [1])) == "generator"
    assert batch_source_kind(utils.PyDataset()) == "PyDataset"


def test_a_generator_of_batches_for_a_model_of_two_inputs():
    from kerasite import Model

    x, y = regression_data(8, dtype="float32")
    utils.set_random_seed(0)
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    model = Model([a, b], layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    expected = model.predict([x, x[:, :2]], batch_size=4)
    pairs = [([x[i:i + 4], x[i:i + 4, :2]], y[i:i + 4]) for i in (0, 4)]
    assert np.array_equal(model.predict(iter(pairs)), expected)
    assert np.array_equal(model.predict(iter([({"a": p[0][0], "b": p[0][1]},) for p in pairs])),
                          expected)
    model.fit(pairs, shuffle=False, verbose=0)
    bad = pairs + [([x[:4], x[:4]], y[:4])]
    with pytest.raises(ValueError, match=r"Batch 2 .* its `x` has a list \[shape \(batch, 3\) and "
                                         r"dtype float32, shape \(batch, 3\) and dtype float32\], "
                                         r"but batch 0's had a list \[shape \(batch, 3\) and dtype "
                                         r"float32, shape \(batch, 2\)"):
        model.fit(bad, shuffle=False, verbose=0)


def test_the_progress_bar_redraws_an_unknown_count_in_a_terminal():
    import io

    from kerasite.callbacks import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    bar = ProgressBar(verbose=1, refresh_interval=0, file=out)
    bar.set_params({"epochs": 2, "steps": None})
    bar.on_train_begin()
    for epoch in range(2):
        bar.on_epoch_begin(epoch)
        for step in range(3):
            bar.on_train_batch_end(step, {"loss": 0.5})
        bar.on_epoch_end(epoch, {"loss": 0.5})
    text = out.getvalue()
    first, second = text.split("Epoch 2/2")
    assert "\r1/Unknown 0s" in first or "\r1/Unknown" in first
    assert "3/3 " + "━" * 20 in first  # the final line shows the count as the total
    assert "Unknown" not in second and "\r1/3 " in second  # epoch 2 knows it


def test_a_kerasite_dataset_trains_without_the_shuffle_warning():
    # Keras warns that shuffle is ignored for a generator, not for a tf.data dataset;
    # kerasite's Dataset stands for tf.data. Its batches give fit the same weights.
    import warnings

    import kerasite
    from kerasite.utils import Dataset

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 3)), rng.standard_normal((32, 1))
    weights = []
    for data in ((x, y), (Dataset.from_tensor_slices((x, y)).batch(8),)):
        kerasite.utils.set_random_seed(0)
        model = kerasite.Sequential([kerasite.Input((3,)), kerasite.layers.Dense(1)])
        model.compile("sgd", "mse")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            kwargs = {"batch_size": 8, "shuffle": False} if len(data) == 2 else {}
            model.fit(*data, epochs=2, verbose=0, **kwargs)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
