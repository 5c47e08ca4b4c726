"""kerasite.utils.Dataset: each method against results worked out by hand from tf.data's rules."""

import numpy as np
import pytest

from kerasite.utils import AUTOTUNE, Dataset, set_random_seed
from kerasite.utils.dataset import INFINITE, UNKNOWN


def as_lists(ds):
    out = []
    for element in ds:
        if isinstance(element, tuple):
            out.append(tuple(np.asarray(e).tolist() for e in element))
        elif isinstance(element, dict):
            out.append({k: np.asarray(v).tolist() for k, v in element.items()})
        else:
            out.append(np.asarray(element).tolist())
    return out


# ---------------------------------------------------------------- from_tensor_slices
def test_from_tensor_slices_array_tuple_dict_and_list():
    x = np.arange(6).reshape(3, 2)
    assert as_lists(Dataset.from_tensor_slices(x)) == [[0, 1], [2, 3], [4, 5]]
    assert as_lists(Dataset.from_tensor_slices((x, np.array([7, 8, 9])))) == [
        ([0, 1], 7), ([2, 3], 8), ([4, 5], 9)]
    assert as_lists(Dataset.from_tensor_slices({"a": x[:, 0], "b": [1.5, 2.5, 3.5]})) == [
        {"a": 0, "b": 1.5}, {"a": 2, "b": 2.5}, {"a": 4, "b": 3.5}]
    # a list is one array (as tf.data converts it), not a tuple of elements
    assert as_lists(Dataset.from_tensor_slices([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    nested = Dataset.from_tensor_slices(((x, x[:, 1]), {"y": np.arange(3)}))
    first = next(iter(nested))
    assert first[0][0].tolist() == [0, 1] and int(first[0][1]) == 1 and int(first[1]["y"]) == 0


def test_from_tensor_slices_keeps_the_arrays_by_reference_and_slices_lazily():
    x = np.arange(4)
    ds = Dataset.from_tensor_slices(x)
    x[0] = 100  # the dataset reads the array when iterated, as a memmap would be read
    assert as_lists(ds)[0] == 100


def test_from_tensor_slices_strings_become_python_strings():
    ds = Dataset.from_tensor_slices(np.array(["a", "bc"])).batch(2)
    (batch,) = list(ds)
    assert batch.dtype == object and batch.tolist() == ["a", "bc"]


@pytest.mark.parametrize("tensors, match", [
    ((np.zeros(3), np.zeros(4)), r"same first dimension. Received first dimensions \[3, 4\]"),
    (np.float64(3.0), "Received a scalar"),
    ((), "at least one array"),
])
def test_from_tensor_slices_errors(tensors, match):
    with pytest.raises(ValueError, match=match):
        Dataset.from_tensor_slices(tensors)


# ---------------------------------------------------------------- batch / unbatch
def test_batch_keeps_or_drops_the_remainder():
    ds = Dataset.from_tensor_slices((np.arange(7), np.arange(7) * 10))
    assert as_lists(ds.batch(3)) == [([0, 1, 2], [0, 10, 20]), ([3, 4, 5], [30, 40, 50]),
                                     ([6], [60])]
    assert as_lists(ds.batch(3, drop_remainder=True)) == [([0, 1, 2], [0, 10, 20]),
                                                          ([3, 4, 5], [30, 40, 50])]
    assert len(ds.batch(3)) == 3 and len(ds.batch(3, drop_remainder=True)) == 2
    assert len(ds.batch(7)) == 1 and len(ds.batch(100, drop_remainder=True)) == 0


def test_batch_of_dicts_and_unbatch_round_trip():
    ds = Dataset.from_tensor_slices({"a": np.arange(5), "b": np.ones((5, 2))})
    batched = ds.batch(2)
    assert [b["b"].shape for b in batched] == [(2, 2), (2, 2), (1, 2)]
    assert as_lists(batched.unbatch()) == as_lists(ds)
    assert int(batched.unbatch().cardinality()) == UNKNOWN


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None])
def test_batch_size_errors(bad):
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        Dataset.range(3).batch(bad)


def test_unbatch_refuses_arrays_of_different_lengths():
    ds = Dataset.from_tensor_slices(np.arange(2)).map(lambda i: (np.arange(2), np.arange(3)))
    with pytest.raises(ValueError, match=r"same first dimension. Received first dimensions "
                                         r"\[2, 3\]"):
        list(ds.unbatch())


# ---------------------------------------------------------------- map / filter
def test_map_unpacks_tuples_and_passes_other_elements_whole():
    pairs = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 2))
    assert as_lists(pairs.map(lambda x, y: x + y)) == [0, 3, 6]
    dicts = Dataset.from_tensor_slices({"a": np.arange(3)})
    assert as_lists(dicts.map(lambda d: d["a"] * 10)) == [0, 10, 20]
    assert as_lists(Dataset.range(3).map(lambda x: (x, -x), num_parallel_calls=AUTOTUNE)) == [
        (0, 0), (1, -1), (2, -2)]
    assert len(pairs.map(lambda x, y: x)) == 3


def test_map_runs_only_when_iterated():
    calls = []
    ds = Dataset.range(4).map(lambda x: calls.append(int(x)) or x).batch(2)
    assert calls == []
    next(iter(ds))
    assert calls == [0, 1]


def test_map_errors():
    with pytest.raises(TypeError, match="`map_func` must be a function"):
        Dataset.range(2).map(3)
    with pytest.raises(ValueError, match="`num_parallel_calls` must be a positive integer, "
                                         "AUTOTUNE or None"):
        Dataset.range(2).map(lambda x: x, num_parallel_calls=-5)


def test_filter_keeps_matching_elements_and_makes_the_count_unknown():
    ds = Dataset.range(10).filter(lambda x: x % 3 == 0)
    assert as_lists(ds) == [0, 3, 6, 9]
    assert int(ds.cardinality()) == UNKNOWN
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)


# ---------------------------------------------------------------- shuffle
def test_shuffle_with_a_full_buffer_is_a_permutation_reproducible_from_its_seed():
    a = as_lists(Dataset.range(20).shuffle(20, seed=3))
    assert sorted(a) == list(range(20)) and a != list(range(20))
    assert as_lists(Dataset.range(20).shuffle(20, seed=3)) == a
    assert as_lists(Dataset.range(20).shuffle(20, seed=4)) != a


def test_shuffle_buffer_of_one_keeps_the_order():
    assert as_lists(Dataset.range(6).shuffle(1, seed=0)) == list(range(6))


def test_shuffle_buffer_only_mixes_nearby_elements():
    # tf.data's buffer: element j is yielded no earlier than position j - (buffer_size - 1).
    for seed in range(20):
        out = as_lists(Dataset.range(50).shuffle(4, seed=seed))
        assert sorted(out) == list(range(50))
        assert all(pos >= j - 3 for pos, j in enumerate(out)), out


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    ds = Dataset.range(30).shuffle(30, seed=1)
    first, second = as_lists(ds), as_lists(ds)
    assert first != second and sorted(second) == list(range(30))
    again = Dataset.range(30).shuffle(30, seed=1)
    assert (as_lists(again), as_lists(again)) == (first, second)  # the epochs repeat too
    fixed = Dataset.range(30).shuffle(30, seed=1, reshuffle_each_iteration=False)
    assert as_lists(fixed) == as_lists(fixed)


def test_shuffle_without_a_seed_follows_set_random_seed():
    set_random_seed(5)
    a = as_lists(Dataset.range(30).shuffle(30))
    set_random_seed(5)
    assert as_lists(Dataset.range(30).shuffle(30)) == a


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(buffer_size=0), ValueError, "`buffer_size` must be a positive integer"),
    (dict(buffer_size=AUTOTUNE), ValueError, "`buffer_size` must be a positive integer"),
    (dict(buffer_size=4, seed=-1), ValueError, "`seed` must be a non-negative integer"),
    (dict(buffer_size=4, reshuffle_each_iteration=1), TypeError,
     "`reshuffle_each_iteration` must be True or False"),
])
def test_shuffle_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Dataset.range(3).shuffle(**kwargs)


# ---------------------------------------------------------------- take / skip / repeat
def test_take_skip_and_their_cardinality():
    ds = Dataset.range(10)
    assert as_lists(ds.take(3)) == [0, 1, 2] and len(ds.take(3)) == 3
    assert as_lists(ds.skip(7)) == [7, 8, 9] and len(ds.skip(7)) == 3
    assert len(ds.take(20)) == 10 and len(ds.skip(20)) == 0
    assert as_lists(ds.take(-1)) == list(range(10))
    assert as_lists(ds.skip(-1)) == [] and len(ds.skip(-1)) == 0


def test_repeat_finite_and_infinite():
    ds = Dataset.range(3)
    assert as_lists(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(ds.repeat(2)) == 6
    endless = ds.repeat()
    assert int(endless.cardinality()) == INFINITE
    assert as_lists(endless.take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert len(endless.take(7)) == 7
    assert int(ds.repeat(-1).cardinality()) == INFINITE
    assert int(Dataset.range(0).repeat().cardinality()) == 0
    assert as_lists(Dataset.range(0).repeat()) == []  # an empty dataset repeated ends


def test_shuffle_then_repeat_gives_a_new_order_each_pass():
    out = as_lists(Dataset.range(10).shuffle(10, seed=2).repeat(2))
    assert sorted(out[:10]) == sorted(out[10:]) == list(range(10)) and out[:10] != out[10:]


def test_take_skip_repeat_errors():
    for method in ("take", "skip"):
        with pytest.raises(ValueError, match="`count` must be an integer >= -1"):
            getattr(Dataset.range(3), method)(-2)
    with pytest.raises(ValueError, match="`count` must be an integer >= -1 or None"):
        Dataset.range(3).repeat(1.5)


def test_len_of_an_infinite_dataset_is_refused():
    with pytest.raises(TypeError, match="The dataset is infinite"):
        len(Dataset.range(2).repeat())


# ---------------------------------------------------------------- cache / prefetch / zip
def test_cache_replays_the_first_full_pass():
    calls = []
    ds = Dataset.range(4).map(lambda x: calls.append(int(x)) or x).cache()
    assert as_lists(ds.take(2)) == [0, 1]  # a partial pass caches nothing
    assert as_lists(ds) == [0, 1, 2, 3]
    assert as_lists(ds) == [0, 1, 2, 3]
    assert calls == [0, 1, 0, 1, 2, 3]


def test_cache_of_a_shuffle_freezes_its_order():
    ds = Dataset.range(20).shuffle(20, seed=0).cache()
    assert as_lists(ds) == as_lists(ds)


def test_cache_to_a_file_is_refused():
    with pytest.raises(ValueError, match="cache\\(\\) keeps elements in memory only"):
        Dataset.range(2).cache("/tmp/x")


def test_prefetch_is_accepted_and_changes_nothing():
    ds = Dataset.range(5).batch(2)
    assert as_lists(ds.prefetch(AUTOTUNE)) == as_lists(ds) and len(ds.prefetch(2)) == 3
    with pytest.raises(ValueError, match="`buffer_size` must be a non-negative integer or "
                                         "AUTOTUNE"):
        ds.prefetch(-3)


def test_zip_and_range():
    z = Dataset.zip((Dataset.range(3), Dataset.range(10, 20)))
    assert as_lists(z) == [(0, 10), (1, 11), (2, 12)] and len(z) == 3
    assert len(Dataset.zip(Dataset.range(3), Dataset.range(5).repeat())) == 3
    with pytest.raises(TypeError, match="`datasets` must be Dataset objects"):
        Dataset.zip((Dataset.range(2), np.arange(2)))


# ---------------------------------------------------------------- iteration
def test_iterates_as_x_y_batches_each_epoch_afresh():
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    ds = Dataset.from_tensor_slices((x, y)).batch(2)
    for _ in range(2):
        got = list(ds)
        assert len(got) == 3
        np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), x)
    assert [b.tolist() for _, b in ds.as_numpy_iterator()] == [[0, 1], [2, 3], [4]]


def test_cardinality_has_numpy_and_int():
    c = Dataset.range(6).batch(4).cardinality()
    assert int(c) == 2 and c.numpy() == 2 and repr(c) == "2"
    assert repr(Dataset.range(2).repeat()) == "<Dataset cardinality=infinite>"


def test_class_names_are_kept_through_the_methods():
    ds = Dataset.range(4)
    ds.class_names = ["a", "b"]
    chained = ds.shuffle(4, seed=0).map(lambda x: x).batch(2).prefetch(AUTOTUNE).cache()
    assert chained.class_names == ["a", "b"]
    assert Dataset.range(2).class_names is None


def test_the_tf_data_alias():
    from kerasite import data

    assert data.AUTOTUNE == -1 and data.Dataset is Dataset
    assert data.INFINITE_CARDINALITY == -1 and data.UNKNOWN_CARDINALITY == -2


def test_make_iterator_must_be_callable():
    with pytest.raises(TypeError, match="`make_iterator` must be a function"):
        Dataset([1, 2])


def test_iterated_arrays_have_numpy_as_tf_data_tensors_do():
    # tutorials write images[i].numpy().astype("uint8") on what a dataset yields
    ds = Dataset.from_tensor_slices((np.arange(6.0).reshape(3, 2), np.arange(3))).batch(2)
    x, y = next(iter(ds))
    assert x.numpy().tolist() == [[0.0, 1.0], [2.0, 3.0]] and type(x.numpy()) is np.ndarray
    assert y[1].numpy() == 1
    plain_x, _ = next(ds.as_numpy_iterator())
    assert type(plain_x) is np.ndarray
