"""timeseries_dataset_from_array, text_dataset_from_directory and split_dataset, against Keras 3.

Reference values: tests/data/utils_keras_reference.json, computed with Keras
3.15.1 on JAX by tests/utils/make_keras_reference.py (Keras's own window,
file-listing and split code; see that script for how it runs without
TensorFlow).
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kerasite.utils import (Dataset, split_dataset, text_dataset_from_directory,
                            timeseries_dataset_from_array)
from tests.utils._folders import make_text_folder

REF = json.loads((Path(__file__).resolve().parents[1] / "data"
                  / "utils_keras_reference.json").read_text())
DATA = np.asarray(REF["series_data"])
TARGETS = np.asarray(REF["series_targets"])


# ---------------------------------------------------------------- timeseries
@pytest.mark.parametrize("name", sorted(REF["series_cases"]))
def test_timeseries_windows_match_keras(name):
    case = REF["series_cases"][name]
    kw = dict(case["kwargs"])
    targets = TARGETS if kw.pop("targets", False) else None
    ds = timeseries_dataset_from_array(DATA, targets, **kw)
    got = list(ds)
    assert len(got) == len(case["batches"]) == len(ds)
    for mine, theirs in zip(got, case["batches"]):
        if targets is None:
            np.testing.assert_array_equal(mine, theirs)
        else:
            np.testing.assert_array_equal(mine[0], theirs[0])
            np.testing.assert_array_equal(mine[1], theirs[1])


def test_timeseries_windows_by_hand():
    # start positions 0, 4, 8; each window takes steps p, p + 2, p + 4 (7 + 2 * 2 = 11 > 10 is out)
    ds = timeseries_dataset_from_array(np.arange(11), np.arange(11) * 10, sequence_length=3,
                                       sequence_stride=4, sampling_rate=2, batch_size=None)
    assert [(x.tolist(), int(y)) for x, y in ds] == [([0, 2, 4], 0), ([4, 6, 8], 40)]


def test_timeseries_shuffle_keeps_the_windows_and_pairs():
    ds = timeseries_dataset_from_array(DATA, TARGETS, sequence_length=3, batch_size=None,
                                       shuffle=True, seed=5)
    got = [(x, int(y)) for x, y in ds]
    # the same windows as Keras (its first, global shuffle of start positions is reproduced,
    # then a buffer reshuffles them as tf.data's would, with kerasite's generator)
    assert sorted(y for _, y in got) == sorted(REF["series_shuffled_order_targets"])
    for x, y in got:  # each window still pairs with the target at its start
        np.testing.assert_array_equal(x, DATA[y - 100:y - 100 + 3])
    again = [int(y) for _, y in timeseries_dataset_from_array(
        DATA, TARGETS, sequence_length=3, batch_size=None, shuffle=True, seed=5)]
    assert again == [y for _, y in got]


def test_timeseries_reads_a_memmap_lazily(tmp_path):
    path = tmp_path / "series.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(50, 3))
    mm[:] = np.arange(150, dtype=np.float32).reshape(50, 3)
    mm.flush()
    data = np.memmap(path, dtype=np.float32, mode="r", shape=(50, 3))
    ds = timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=16)
    first = next(iter(ds))
    assert isinstance(first, np.ndarray) and not isinstance(first, np.memmap)
    np.testing.assert_array_equal(first[1], mm[1:5])


@pytest.mark.parametrize("kwargs, match", [
    (dict(sequence_length=0), "`sequence_length` must be a positive integer"),
    (dict(sequence_length=3, sampling_rate=0), "`sampling_rate` must be a positive integer"),
    (dict(sequence_length=3, sampling_rate=20), "`sampling_rate` must be lower than the length"),
    (dict(sequence_length=3, sequence_stride=0), "`sequence_stride` must be a positive integer"),
    (dict(sequence_length=3, sequence_stride=25), "`sequence_stride` must be lower than"),
    (dict(sequence_length=3, start_index=-1), "`start_index` must be a non-negative integer"),
    (dict(sequence_length=3, start_index=20), "`start_index` must be lower than the length"),
    (dict(sequence_length=3, start_index=5, end_index=5), "`end_index` must be greater than"),
    (dict(sequence_length=3, end_index=20), "`end_index` must be lower than the length"),
    (dict(sequence_length=3, end_index=0), "`end_index` must be a positive integer"),
    (dict(sequence_length=3, batch_size=0), "`batch_size` must be a positive integer or None"),
])
def test_timeseries_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(DATA, None, **kwargs)


def test_timeseries_targets_of_another_length():
    with pytest.raises(ValueError, match=r"same length. Received: len\(data\)=20, "
                                         r"len\(targets\)=3"):
        timeseries_dataset_from_array(DATA, TARGETS[:3], sequence_length=2)


# ---------------------------------------------------------------- text
@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    return make_text_folder(str(tmp_path_factory.mktemp("txt") / "texts"))


@pytest.mark.parametrize("name", sorted(REF["text_cases"]))
def test_text_dataset_matches_keras(texts, name):
    case = REF["text_cases"][name]
    ds = text_dataset_from_directory(texts, shuffle=False, verbose=False, **case["kwargs"])
    assert ds.class_names == case["class_names"]
    got = []
    for element in ds:
        if isinstance(element, tuple):
            got.append([np.asarray(element[0]).tolist(), np.asarray(element[1]).tolist()])
        else:
            got.append(np.asarray(element).tolist())
    assert got == case["batches"]


def test_text_dataset_split_and_laziness(texts, monkeypatch):
    import builtins

    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open",
                        lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    train = text_dataset_from_directory(texts, validation_split=0.4, subset="training", seed=7,
                                        batch_size=None, verbose=False)
    assert opened == []
    assert sorted(str(t) for t, _ in train) == REF["text_split_training_texts"]
    assert len(opened) == len(REF["text_split_training_texts"])


def test_text_batches_are_object_arrays_of_str(texts):
    x, y = next(iter(text_dataset_from_directory(texts, batch_size=3, seed=1, verbose=False)))
    assert x.dtype == object and isinstance(x[0], str) and y.dtype == np.int32


def test_text_dataset_errors(texts):
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes"):
        text_dataset_from_directory(texts, label_mode="binary", class_names=["neg"])
    with pytest.raises(ValueError, match="`max_length` must be a positive integer or None"):
        text_dataset_from_directory(texts, max_length=0)
    with pytest.raises(ValueError, match="`seed` is needed"):
        text_dataset_from_directory(texts, validation_split=0.5, subset="both")
    empty = os.path.join(texts, "..", "empty")
    os.makedirs(os.path.join(empty, "a"), exist_ok=True)
    with pytest.raises(ValueError, match="No text files found in directory"):
        text_dataset_from_directory(empty, verbose=False)


def test_text_both_subsets(texts):
    train, val = text_dataset_from_directory(texts, validation_split=0.4, subset="both",
                                             seed=7, batch_size=None, verbose=False)
    got = sorted(str(t) for t, _ in train) + sorted(str(t) for t, _ in val)
    assert sorted(got) == sorted(t for c, n, t in __import__(
        "tests.utils._folders", fromlist=["TEXT_FILES"]).TEXT_FILES if n.lower().endswith(".txt"))
    assert sorted(str(t) for t, _ in train) == REF["text_split_training_texts"]


# ---------------------------------------------------------------- split_dataset
FEATURES, LABELS = np.arange(30).reshape(10, 3), np.arange(10) * 10


@pytest.mark.parametrize("name", sorted(REF["split_cases"]))
def test_split_dataset_matches_keras(name):
    case = REF["split_cases"][name]
    left, right = split_dataset((FEATURES, LABELS), **case["kwargs"])
    for half, ref in ((left, case["left"]), (right, case["right"])):
        xs, ys = zip(*half)
        np.testing.assert_array_equal(np.stack(xs), ref[0])
        np.testing.assert_array_equal(np.stack(ys), ref[1])


def test_split_dataset_of_an_array_and_of_a_dataset():
    left, right = split_dataset(np.arange(7.0), left_size=0.5)
    assert [float(v) for v in left] == REF["split_array"]["left"]
    assert [float(v) for v in right] == REF["split_array"]["right"]
    batched = Dataset.from_tensor_slices((FEATURES, LABELS)).batch(4)
    left, right = split_dataset(batched, right_size=0.3)
    assert [len(y) for _, y in left] == [4, 3] and [len(y) for _, y in right] == [3]
    np.testing.assert_array_equal(np.concatenate([y for _, y in right]), LABELS[7:])
    left, right = split_dataset({"a": FEATURES}, left_size=2)
    assert len(left) == 2 and len(right) == 8 and next(iter(right))["a"].tolist() == [6, 7, 8]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(), ValueError, "At least one of `left_size` and `right_size`"),
    (dict(left_size="half"), TypeError, "`left_size` must be an int"),
    (dict(left_size=0), ValueError, r"`left_size` must be an int in \(0, 10\)"),
    (dict(right_size=1.0), ValueError, r"`right_size` must be an int in \(0, 10\)"),
    (dict(left_size=0.7, right_size=0.5), ValueError, "must not exceed 1"),
    (dict(left_size=6, right_size=6), ValueError, "must not exceed the dataset's 10 samples"),
    (dict(left_size=0.01), ValueError, "leave one side empty"),
])
def test_split_dataset_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_dataset((FEATURES, LABELS), **kwargs)


def test_split_dataset_input_errors():
    with pytest.raises(TypeError, match="`dataset` must be an array"):
        split_dataset(iter(range(3)), left_size=1)
    with pytest.raises(ValueError, match="`dataset` is empty"):
        split_dataset([], left_size=1)
    with pytest.raises(ValueError, match="same first dimension"):
        split_dataset((np.zeros(3), np.zeros(4)), left_size=1)


def test_timeseries_targets_may_be_any_array_like():
    # A pandas-like object: it has a shape, but [i] looks labels up, not positions.
    class Frame:
        def __init__(self, values):
            self.values, self.shape = np.asarray(values), np.shape(values)

        def __array__(self, dtype=None, copy=None):
            return self.values

        def __len__(self):
            return len(self.values)

        def __getitem__(self, key):
            raise KeyError(key)

    data = np.arange(10)
    ds = timeseries_dataset_from_array(Frame(data), Frame(data * 10), sequence_length=3,
                                       batch_size=8)
    x, y = next(iter(ds))
    assert x[1].tolist() == [1, 2, 3] and y.tolist() == [0, 10, 20, 30, 40, 50, 60, 70]
