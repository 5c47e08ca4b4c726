"""The epoch iterator: batch counts, steps_per_epoch, shuffling, and adapters of unknown size."""

import numpy as np
import pytest

from kerasite import Sequential, layers, utils
from kerasite.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from kerasite.trainers.data_adapters.data_adapter import DataAdapter
from kerasite.trainers.epoch_iterator import EpochIterator, check_validation_freq, should_validate


def _iterator(n=10, batch_size=4, **kwargs):
    x = np.arange(n, dtype="float32")[:, None]
    return EpochIterator(ArrayDataAdapter([x], [x * 10], [None]), batch_size, **kwargs)


def _rows(batch):
    return batch[0][0][:, 0].astype(int).tolist()


def test_a_partial_last_batch():
    it = _iterator(10, 4)
    assert it.num_batches == 3
    batches = list(it.enumerate_epoch())
    assert [(step, size) for step, size, _ in batches] == [(0, 4), (1, 4), (2, 2)]
    assert [_rows(b) for _, _, b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert _iterator(8, 4).num_batches == 2 and _iterator(3, 4).num_batches == 1


def test_steps_per_epoch_walks_through_the_data_in_turn():
    it = _iterator(10, 4, steps_per_epoch=2)
    assert it.num_batches == 2
    assert [_rows(b) for _, _, b in it.enumerate_epoch(0)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    # the pass has one batch left: the epoch takes it, then warns and stops
    with pytest.warns(UserWarning, match=r"The data ran out after 1 of steps_per_epoch=2 batches "
                                         r"in epoch 2: 10 samples make 3 batches of 4"):
        second = list(it.enumerate_epoch(1))
    assert [(step, size, _rows(b)) for step, size, b in second] == [(0, 2, [8, 9])]
    # a new pass
    assert [_rows(b) for _, _, b in it.enumerate_epoch(2)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_steps_per_epoch_beyond_one_pass_stops_at_its_end():
    it = _iterator(5, 2, steps_per_epoch=5)
    for epoch in range(2):
        with pytest.warns(UserWarning, match="The data ran out after 3 of steps_per_epoch=5"):
            assert [size for _, size, _ in it.enumerate_epoch(epoch)] == [2, 2, 1]


def test_shuffle_draws_the_order_from_the_seed_and_the_epoch():
    it = _iterator(10, 4, shuffle=True)
    rows = [r for _, _, b in it.enumerate_epoch(3, seed=7) for r in _rows(b)]
    assert rows == utils.epoch_rng(7, 3).permutation(10).tolist()
    again = [r for _, _, b in it.enumerate_epoch(3, seed=7) for r in _rows(b)]
    other = [r for _, _, b in it.enumerate_epoch(4, seed=7) for r in _rows(b)]
    assert again == rows and other != rows and sorted(other) == list(range(10))
    # the targets follow their inputs
    assert all(np.array_equal(b[1][0], 10 * b[0][0]) for _, _, b in it.enumerate_epoch(5))


def test_one_batch_is_never_shuffled():
    it = _iterator(4, 4, shuffle=True)
    ((_, _, batch),) = it.enumerate_epoch(1, seed=3)
    assert batch is it.adapter.data  # the whole data as it is, no gather


def test_shuffle_batch_shuffles_inside_each_batch_only():
    it = _iterator(10, 4, shuffle="batch")
    orders = [[_rows(b) for _, _, b in it.enumerate_epoch(epoch, seed=1)] for epoch in range(4)]
    for batches in orders:  # the batches keep their order and their rows
        assert [sorted(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert any(batches != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] for batches in orders)


def test_fit_takes_shuffle_batch():
    seen = []

    class Recording(Sequential):
        def train_step(self, data):
            seen.append(data[0][:, 0].astype(int).tolist())
            return super().train_step(data)

    model = Recording([layers.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(6, dtype="float32")[:, None]
    model.fit(x, x, batch_size=2, epochs=3, shuffle="batch", verbose=0)
    assert [sorted(b) for b in seen] == [[0, 1], [2, 3], [4, 5]] * 3
    assert seen != [[0, 1], [2, 3], [4, 5]] * 3


class _Stream(DataAdapter):
    """An adapter of unknown size: three batches of 2, 2 and 1 samples a pass."""

    def __init__(self):
        self.passes = 0

    def iter_batches(self, epoch=0, seed=0):
        for size in (2, 2, 1):
            x = np.full((size, 1), float(size))
            yield [x], [x], [None]

    def on_epoch_end(self):
        self.passes += 1


def test_an_adapter_of_unknown_size_plugs_in():
    stream = _Stream()
    it = EpochIterator(stream, batch_size=2)
    assert it.num_batches is None
    assert [(step, size) for step, size, _ in it.enumerate_epoch(0)] == [(0, 2), (1, 2), (2, 1)]
    assert stream.passes == 1
    it = EpochIterator(_Stream(), batch_size=2, steps_per_epoch=2)
    assert it.num_batches == 2
    assert [size for _, size, _ in it.enumerate_epoch(0)] == [2, 2]
    with pytest.warns(UserWarning, match="The data ran out after 1 of steps_per_epoch=2"):
        assert [size for _, size, _ in it.enumerate_epoch(1)] == [1]
    assert [size for _, size, _ in it.enumerate_epoch(2)] == [2, 2]


def test_an_array_pass_calls_on_epoch_end_when_the_adapter_has_one():
    class Counting(ArrayDataAdapter):
        ends = 0

        def on_epoch_end(self):
            self.ends += 1

    x = np.zeros((5, 1))
    whole = Counting([x], [x], [None])
    it = EpochIterator(whole, 2)
    for epoch in range(3):
        list(it.enumerate_epoch(epoch))
    assert whole.ends == 3
    walking = Counting([x], [x], [None])
    it = EpochIterator(walking, 2, steps_per_epoch=2)
    list(it.enumerate_epoch(0))  # batches 0 and 1: the pass goes on
    assert walking.ends == 0
    with pytest.warns(UserWarning, match="The data ran out"):
        list(it.enumerate_epoch(1))  # batch 2 ends the pass
    assert walking.ends == 1


def test_validation_freq():
    assert [e for e in range(6) if should_validate(e, 2)] == [1, 3, 5]
    assert [e for e in range(6) if should_validate(e, [1, 4])] == [0, 3]
    with pytest.raises(ValueError, match=r"`validation_freq` must be a positive integer"):
        check_validation_freq(0)
