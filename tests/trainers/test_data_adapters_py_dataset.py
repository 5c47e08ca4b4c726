"""fit/evaluate/predict on a PyDataset: results, shuffling, hooks, workers and their shutdown."""

import multiprocessing
import pickle
import threading
import warnings

import numpy as np
import pytest

from kerasite import Sequential, callbacks, layers, utils
from kerasite.utils import PyDataset, Sequence
from tests.trainers._py_datasets import (ArrayBatches, Counting, Endless, Failing,
                                         Unpicklable, regression_data)


def _model(seed=7, loss="mse", units=1, features=3):
    utils.set_random_seed(seed)
    model = Sequential([layers.Input((features,)), layers.Dense(units)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def _workers_alive():
    threads = [t for t in threading.enumerate() if t.name.startswith("kerasite-pydataset")]
    return threads + multiprocessing.active_children()


@pytest.fixture
def no_worker_left():
    yield
    assert _workers_alive() == []


# ================================================================== results
def test_fit_on_a_py_dataset_gives_the_weights_of_fit_on_the_arrays(float64):
    x, y = regression_data(22)
    w = np.linspace(0.5, 2.0, 22)
    arrays = _model()
    expected = arrays.fit(x, y, sample_weight=w, batch_size=4, epochs=3, shuffle=False,
                          verbose=0).history
    model = _model()
    history = model.fit(ArrayBatches(x, y, 4, w), epochs=3, shuffle=False, verbose=0).history
    assert history == expected
    for a, b in zip(arrays.get_weights(), model.get_weights()):
        assert a.dtype == np.float64 and np.array_equal(a, b)


def test_predict_and_evaluate_on_a_py_dataset():
    x, y = regression_data(21, dtype="float32")
    model = _model()
    assert np.array_equal(model.predict(ArrayBatches(x, None, 4)), model.predict(x, batch_size=4))
    assert np.array_equal(model.predict(ArrayBatches(x, y, 4)), model.predict(x, batch_size=4))
    data = ArrayBatches(x, y, 4)
    assert model.evaluate(data, verbose=0) == pytest.approx(
        model.evaluate(x, y, batch_size=4, verbose=0), rel=1e-6)
    assert (data.begins, data.ends) == (1, 1)


def test_sequence_is_the_older_name():
    assert Sequence is PyDataset


def test_shuffle_reorders_the_batches_from_the_seed_and_the_epoch():
    x, y = regression_data(12, dtype="float32")
    data = Counting(x, y, batch_size=2)
    model = _model()
    model.fit(data, epochs=2, verbose=0)
    first, second = data.read[1:7], data.read[7:]  # data.read[0]: the first batch, read up front
    seed = model._seed
    assert first == utils.epoch_rng(seed, 0).permutation(6).tolist()
    assert second == utils.epoch_rng(seed, 1).permutation(6).tolist() and first != second


def test_on_epoch_begin_and_end_run_around_each_epoch():
    x, y = regression_data(8, dtype="float32")
    data = ArrayBatches(x, y, 4)
    _model().fit(data, epochs=3, shuffle=False, verbose=0)
    assert (data.begins, data.ends) == (3, 3)


def test_class_weight_weighs_each_batch(float64):
    x, _ = regression_data(12)
    labels = (np.arange(12) % 3).astype("float64")
    weights = {0: 1.0, 1: 2.0, 2: 0.5}
    arrays = _model(loss="sparse_categorical_crossentropy", units=3)
    arrays.fit(x, labels, batch_size=4, class_weight=weights, shuffle=False, verbose=0)
    model = _model(loss="sparse_categorical_crossentropy", units=3)
    model.fit(ArrayBatches(x, labels, 4), class_weight=weights, shuffle=False, verbose=0)
    assert np.array_equal(arrays.get_weights()[0], model.get_weights()[0])


def test_an_endless_py_dataset_with_steps_per_epoch():
    x, y = regression_data(12, dtype="float32")
    steps = []

    class Count(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            steps.append(self.params["steps"])

    with pytest.warns(UserWarning, match=r"`shuffle=True` was passed, but will be ignored since "
                                         r"the data `x` was provided as an infinite PyDataset"):
        history = _model().fit(Endless(x, y), steps_per_epoch=4, epochs=2, verbose=0,
                               callbacks=[Count()])
    assert steps == [4, 4] and len(history.history["loss"]) == 2


def test_validation_data_as_a_py_dataset(float64):
    x, y = regression_data(16)
    xv, yv = regression_data(8, seed=1)
    expected = _model().fit(x, y, batch_size=4, epochs=2, validation_data=(xv, yv),
                            validation_batch_size=4, shuffle=False, verbose=0).history
    val = ArrayBatches(xv, yv, 4)
    history = _model().fit(ArrayBatches(x, y, 4), epochs=2, validation_data=val, shuffle=False,
                           verbose=0).history
    assert history == expected and val.ends == 2


def test_a_memmap_is_read_a_batch_at_a_time(tmp_path):
    x, y = regression_data(64, dtype="float32")
    xs = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype="uint8", shape=(64, 3))
    xs[:] = np.arange(64 * 3).reshape(64, 3) % 4
    xs.flush()
    data = Counting(np.load(tmp_path / "x.npy", mmap_mode="r"), y, batch_size=8)
    assert isinstance(data.x, np.memmap)
    _model().fit(data, epochs=2, shuffle=False, verbose=0)
    # batch 0 is read up front (to learn the batches' form), then each pass reads each batch once:
    # nothing ever asked the dataset for all of its rows.
    assert data.read == [0] + list(range(8)) * 2


# ==================================================================== workers
@pytest.mark.parametrize("workers", [2, 4])
def test_worker_threads_give_the_batches_in_order(float64, no_worker_left, workers):
    x, y = regression_data(22)
    arrays = _model()
    arrays.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model = _model()
    model.fit(ArrayBatches(x, y, 4, workers=workers, max_queue_size=3), epochs=2, shuffle=False,
              verbose=0)
    assert np.array_equal(arrays.get_weights()[0], model.get_weights()[0])
    assert np.array_equal(model.predict(ArrayBatches(x, None, 4, workers=workers)),
                          model.predict(x, batch_size=4))


@pytest.mark.slow
def test_worker_processes_give_the_same_weights(float64, no_worker_left):
    x, y = regression_data(16)
    arrays = _model()
    arrays.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model = _model()
    model.fit(ArrayBatches(x, y, 4, workers=2, use_multiprocessing=True), epochs=2,
              shuffle=False, verbose=0)
    assert np.array_equal(arrays.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("settings, where", [
    ({}, ""),
    ({"workers": 3}, " (read by a worker thread)"),
    ({"workers": 2, "use_multiprocessing": True}, " (read by a worker process)"),
])
@pytest.mark.slow
def test_an_exception_in_getitem_reaches_the_caller_and_stops_the_workers(
        no_worker_left, settings, where):
    x, y = regression_data(40, dtype="float32")
    with pytest.raises(KeyError, match="no batch 6 here") as info:
        _model().fit(Failing(x, y, bad=6, **settings), shuffle=False, verbose=0)
    assert info.value.__notes__[0] == (f"Raised by Failing.__getitem__(6), batch 6 of the "
                                       f"PyDataset{where}.")


def test_an_exception_in_the_training_step_stops_the_workers(no_worker_left):
    x, y = regression_data(40, dtype="float32")

    class Boom(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom") as info:
        _model().fit(ArrayBatches(x, y, 4, workers=3), epochs=2, shuffle=False, verbose=0,
                     callbacks=[Boom()])
    assert info.value.__notes__ == ["Raised during batch 3 of epoch 1 (counted from 0 within the "
                                    "epoch) from the ArrayBatches given as `x`."]


def test_stop_training_and_an_endless_dataset_leave_no_worker(no_worker_left):
    x, y = regression_data(40, dtype="float32")

    class Halt(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = batch == 2

    _model().fit(ArrayBatches(x, y, 4, workers=2), shuffle=False, verbose=0, callbacks=[Halt()])
    _model().fit(Endless(x, y, workers=2), steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)


def test_an_unpicklable_dataset_is_refused_for_processes(no_worker_left):
    x, y = regression_data(8, dtype="float32")
    with pytest.raises(TypeError, match=r"use_multiprocessing=True sends the Unpicklable to "
                                        r"worker processes, so it must be picklable, but pickling "
                                        r"it failed: TypeError: cannot pickle '_thread.lock'"):
        _model().fit(Unpicklable(x, y, workers=2, use_multiprocessing=True), shuffle=False,
                     verbose=0)


@pytest.mark.parametrize("settings, match", [
    ({"workers": -1}, r"`workers` of ArrayBatches must be an integer >= 0 \(1 reads in the "
                      r"training thread\)\. Received: workers=-1"),
    ({"workers": 2.5}, r"Received: workers=2.5"),
    ({"use_multiprocessing": "yes"}, r"`use_multiprocessing` of ArrayBatches must be True or "
                                     r"False\. Received: use_multiprocessing='yes'"),
    ({"max_queue_size": 0}, r"`max_queue_size` of ArrayBatches must be an integer >= 1\. "
                            r"Received: max_queue_size=0"),
])
def test_bad_worker_settings(settings, match):
    x, y = regression_data(8, dtype="float32")
    with pytest.raises(ValueError, match=match):
        _model().fit(ArrayBatches(x, y, 4, **settings), shuffle=False, verbose=0)


# ====================================================================== errors
def test_what_a_py_dataset_refuses():
    x, y = regression_data(8, dtype="float32")
    data = ArrayBatches(x, y, 4)
    with pytest.raises(ValueError, match=r"When `x` is a PyDataset, `y` must not be passed"):
        _model().fit(data, y, verbose=0)
    with pytest.raises(ValueError, match=r"`batch_size` must not be given when `x` is a "
                                         r"PyDataset"):
        _model().evaluate(data, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` is only supported for arrays"):
        _model().fit(data, validation_split=0.5, verbose=0)


def test_a_py_dataset_of_no_batches_or_a_bad_length():
    class Empty(PyDataset):
        def __len__(self):
            return 0

    class Odd(Empty):
        def __len__(self):
            return 1

        @property
        def num_batches(self):
            return "three"

    with pytest.raises(ValueError, match=r"The Empty given as `x` has no batches \(`__len__` "
                                         r"returned 0\)\. Check its length: it counts batches"):
        _model().fit(Empty(), verbose=0)
    with pytest.raises(ValueError, match=r"Odd's number of batches \(`__len__` or `num_batches`\) "
                                         r"must be an integer >= 0, or None for an endless "
                                         r"dataset\. Received: 'three'"):
        _model().fit(Odd(), verbose=0)


def test_a_batch_whose_shape_changes_names_its_index():
    x, y = regression_data(12, dtype="float32")

    class Changing(ArrayBatches):
        def __getitem__(self, index):
            xb, yb = super().__getitem__(index)
            return (xb[:, :2] if index == 2 else xb), yb

    with pytest.raises(ValueError, match=r"Batch 2 from the Changing given as `x` does not match "
                                         r"the batches before it: its `x` has shape \(batch, 2\)"):
        _model().fit(Changing(x, y, 4), shuffle=False, verbose=0)


def test_a_subclass_that_skips_super_init_warns_and_takes_the_defaults():
    x, y = regression_data(8, dtype="float32")

    class NoSuper(PyDataset):
        def __init__(self):
            self.inner = ArrayBatches(x, y, 4)

        def __len__(self):
            return 2

        def __getitem__(self, index):
            return self.inner[index]

    data = NoSuper()
    with pytest.warns(UserWarning, match=r"NoSuper.__init__ does not call "
                                         r"`super\(\).__init__\(\*\*kwargs\)`"):
        assert data.workers == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (data.use_multiprocessing, data.max_queue_size) == (False, 10)
        _model().fit(data, shuffle=False, verbose=0)


def test_the_base_class_says_what_to_define():
    with pytest.raises(NotImplementedError, match=r"PyDataset must define `__getitem__"):
        PyDataset()[0]
    with pytest.raises(NotImplementedError, match=r"must define `__len__` \(the number of "
                                                  r"batches\), or a `num_batches` property"):
        PyDataset().num_batches
    x, y = regression_data(8, dtype="float32")
    assert [len(b[0]) for b in ArrayBatches(x, y, 3)] == [3, 3, 2]


def test_float32_contiguous_batches_reach_the_step_without_a_copy():
    x, y = regression_data(8, dtype="float32")
    data = ArrayBatches(x, y, 4)
    seen = []

    class Spy(Sequential):
        def train_step(self, batch):
            seen.append(batch[0])
            return super().train_step(batch)

    utils.set_random_seed(0)
    model = Spy([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, shuffle=False, verbose=0)
    assert len(seen) == 2 and all(np.shares_memory(b, x) for b in seen)


def test_a_worker_process_that_cannot_load_the_dataset_says_why():
    from kerasite.trainers.data_adapters import py_dataset_adapter as adapter

    # What a spawned worker meets when the dataset's class lives in an interactive __main__.
    adapter._load_dataset(b"\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94"
                          b"\x8c\x04Gone\x94\x93\x94.")
    try:
        with pytest.raises(RuntimeError, match=r"A worker process could not load the PyDataset "
                                               r"\(AttributeError: .*Gone.*\)\. With "
                                               r"use_multiprocessing=True its class must be "
                                               r"importable by a new Python process"):
            adapter._read_in_worker(0)
    finally:
        adapter._load_dataset(pickle.dumps(None))
    assert adapter._worker_error is None


def test_ctrl_c_is_held_back_while_a_pool_starts_or_stops():
    import os
    import signal

    from kerasite.trainers.data_adapters.py_dataset_adapter import deferred_interrupt

    done = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the block went on")
    assert done == ["the block went on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
