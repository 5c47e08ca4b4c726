"""A small lazy ``Dataset``: the ``tf.data.Dataset`` methods that Keras scripts call.

What Keras's dataset utilities return (``image_dataset_from_directory``,
``timeseries_dataset_from_array``, ...) is a ``tf.data.Dataset``, and the
scripts that use them chain ``.map``, ``.shuffle``, ``.batch``, ``.cache``,
``.prefetch`` on it. This ``Dataset`` has those methods, with tf.data's
semantics, on NumPy arrays.

A dataset is a recipe, not data: each method returns a new ``Dataset`` that
wraps the one before it, and nothing runs (no file is opened, no ``map``
function is called) until it is iterated. Each ``for`` loop over it starts the
pipeline afresh, so a dataset can be iterated once per epoch.

An *element* is an array, a tuple of elements or a dict of elements; a batch
is an element whose arrays have a leading batch axis. Iterating yields NumPy
arrays (Python ``str`` inside text datasets) that also have ``.numpy()``, as
tf.data's tensors do (``as_numpy_iterator`` gives them plain), so ``for x, y
in ds`` gives ``(x, y)`` batches that ``fit`` takes.

Example:
    >>> import numpy as np
    >>> ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10))
    >>> ds = ds.map(lambda x, y: (x + 1, y)).batch(2)
    >>> [(x.tolist(), y.tolist()) for x, y in ds]
    [([1, 2], [0, 10]), ([3, 4], [20, 30]), ([5], [40])]
    >>> int(ds.cardinality()), len(ds)
    (3, 3)
"""

import itertools

import numpy as np

from kerasite import _validation as V
from kerasite.utils.eager import EagerArray

#: Accepted wherever tf.data takes ``tf.data.AUTOTUNE`` (``num_parallel_calls``,
#: ``prefetch``); it has the same value, -1.
AUTOTUNE = -1

#: What ``cardinality()`` returns for a dataset that never ends (tf.data's value).
INFINITE = -1
#: What ``cardinality()`` returns when the number of elements is not known
#: without iterating (after ``unbatch`` or ``filter``; tf.data's value).
UNKNOWN = -2


class _Cardinality(np.ndarray):
    """A 0-d int64 array with ``.numpy()``, as ``tf.data``'s cardinality tensor has."""

    def numpy(self):
        return np.int64(self)

    def __repr__(self):
        return repr(int(self))


def _as_cardinality(n):
    return np.asarray(n, dtype=np.int64).view(_Cardinality)


# ------------------------------------------------------------------ structure helpers
def _map_structure(fn, element):
    """``fn`` applied to every array of an element, keeping tuples and dicts."""
    if isinstance(element, tuple):
        return tuple(_map_structure(fn, e) for e in element)
    if isinstance(element, dict):
        return {k: _map_structure(fn, v) for k, v in element.items()}
    return fn(element)


def _stack_structure(elements):
    """Stacks a list of same-structured elements into one batch element."""
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack_structure([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack_structure([e[k] for e in elements]) for k in first}
    if isinstance(first, (str, bytes)):
        out = np.empty(len(elements), dtype=object)
        out[:] = elements
        return out
    return np.stack([np.asarray(e) for e in elements])


def _leaves(element):
    if isinstance(element, tuple):
        return [leaf for e in element for leaf in _leaves(e)]
    if isinstance(element, dict):
        return [leaf for v in element.values() for leaf in _leaves(v)]
    return [element]


def _slice_structure(element, index):
    return _map_structure(lambda a: a[index], element)


def _to_arrays(tensors):
    """``from_tensor_slices``'s input with every leaf a NumPy array (lists become arrays)."""
    if isinstance(tensors, tuple):
        return tuple(_to_arrays(t) for t in tensors)
    if isinstance(tensors, dict):
        return {k: _to_arrays(v) for k, v in tensors.items()}
    if isinstance(tensors, np.ndarray) or hasattr(tensors, "__getitem__") \
            and hasattr(tensors, "shape") and hasattr(tensors, "dtype"):
        return tensors  # an ndarray or a memory-mapped / h5py array: sliced lazily
    array = np.asarray(tensors)
    if array.dtype.kind == "U":
        array = array.astype(object)
    return array


def _count_text(n):
    return {INFINITE: "infinite", UNKNOWN: "unknown"}.get(n, str(n))


class Dataset:
    """A lazy sequence of elements (arrays, tuples or dicts of arrays).

    Build one with ``Dataset.from_tensor_slices`` or a dataset utility, then
    chain the methods; each returns a new ``Dataset``. The attributes
    ``class_names`` and ``file_paths`` that the dataset utilities set are kept
    through every method (tf.data loses them after the first ``map``).

    Args:
        make_iterator: a function of no arguments that returns a fresh
            iterator over the elements; called once per iteration.
        cardinality: the number of elements, or ``INFINITE`` (-1) or
            ``UNKNOWN`` (-2).
        parent: the dataset this one wraps, whose ``class_names`` and
            ``file_paths`` it keeps.
    """

    def __init__(self, make_iterator, cardinality=UNKNOWN, parent=None):
        if not callable(make_iterator):
            raise TypeError(
                "`make_iterator` must be a function that returns an iterator. Received: "
                f"make_iterator={make_iterator!r}. Build a dataset with "
                "Dataset.from_tensor_slices(...) instead."
            )
        self._make_iterator = make_iterator
        self._cardinality = int(cardinality)
        self._batch_size = None
        self.class_names = getattr(parent, "class_names", None)
        file_paths = getattr(parent, "file_paths", None)
        if file_paths is not None:
            self.file_paths = file_paths

    # ------------------------------------------------------------------ sources
    @classmethod
    def from_tensor_slices(cls, tensors):
        """A dataset of the slices of ``tensors`` along their first axis.

        Args:
            tensors: an array (or a list, which becomes one array), a tuple of
                arrays, or a dict of arrays, nested as you like; every array
                must have the same first dimension. Arrays are kept by
                reference and sliced one element at a time, so a memory-mapped
                array is read lazily.

        Returns:
            A ``Dataset`` of ``len(tensors)`` elements with the structure of
            ``tensors``: ``from_tensor_slices((x, y))`` yields ``(x[i], y[i])``.

        Raises:
            ValueError: if the arrays do not share their first dimension, or
                one is a scalar.

        Example:
            >>> ds = Dataset.from_tensor_slices({"a": np.zeros((3, 2)), "b": [1, 2, 3]})
            >>> next(iter(ds))["a"].shape, len(ds)
            ((2,), 3)
        """
        tensors = _to_arrays(tensors)
        leaves = _leaves(tensors)
        if not leaves:
            raise ValueError("`tensors` must hold at least one array. Received: an empty "
                             "tuple or dict.")
        for leaf in leaves:
            if len(np.shape(leaf)) == 0:
                raise ValueError(
                    "`tensors` must hold arrays with a first axis to slice. Received a scalar "
                    f"{leaf!r}. Use from_tensor_slices([value]) for a one-element dataset."
                )
        sizes = sorted({int(np.shape(leaf)[0]) for leaf in leaves})
        if len(sizes) > 1:
            raise ValueError(
                "Every array in `tensors` must have the same first dimension. Received first "
                f"dimensions {sizes}. Pass arrays with one row per element."
            )
        n = sizes[0]

        def make_iterator():
            return (_slice_structure(tensors, i) for i in range(n))

        return cls(make_iterator, n)

    @classmethod
    def range(cls, *args):
        """A dataset of the integers ``range(*args)`` (int64 scalars), as ``Dataset.range``.

        Example:
            >>> [int(i) for i in Dataset.range(1, 7, 2)]
            [1, 3, 5]
        """
        values = range(*args)
        return cls(lambda: (np.int64(i) for i in values), len(values))

    @classmethod
    def zip(cls, *datasets):
        """A dataset of tuples, one element from each dataset, ending with the shortest.

        Args:
            *datasets: ``Dataset`` objects, or one tuple of them (tf.data's form).

        Example:
            >>> a, b = Dataset.range(3), Dataset.range(10, 12)
            >>> [(int(x), int(y)) for x, y in Dataset.zip((a, b))]
            [(0, 10), (1, 11)]
        """
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list)):
            datasets = tuple(datasets[0])
        for d in datasets:
            if not isinstance(d, Dataset):
                raise TypeError(
                    "`datasets` must be Dataset objects. Received an object of type "
                    f"{type(d).__name__}. Wrap arrays with Dataset.from_tensor_slices first."
                )
        counts = [d._cardinality for d in datasets]
        known = [c for c in counts if c >= 0]
        if known:
            n = min(known)
        elif UNKNOWN in counts:
            n = UNKNOWN
        else:
            n = INFINITE
        if known and UNKNOWN in counts:
            n = UNKNOWN
        return cls(lambda: zip(*(iter(d) for d in datasets)), n, parent=datasets[0])

    # ------------------------------------------------------------------ iteration
    def __iter__(self):
        # Each array comes with .numpy(), as a tf.data element's tensors have it
        # (images[i].numpy() in tutorials); it is the same array, not a copy.
        return (_with_numpy(element) for element in self._make_iterator())

    def as_numpy_iterator(self):
        """An iterator over the elements as plain NumPy arrays."""
        return iter(self._make_iterator())

    def cardinality(self):
        """The number of elements: -1 (``INFINITE``) if endless, -2 (``UNKNOWN``) if not known.

        Returns:
            A 0-d int64 array with ``.numpy()``, so ``int(ds.cardinality())``
            and ``ds.cardinality().numpy()`` both work as with tf.data.
        """
        return _as_cardinality(self._cardinality)

    def __len__(self):
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite, so it has no len(). Use take(n) to "
                            "bound it.")
        if self._cardinality == UNKNOWN:
            raise TypeError("The dataset's length is unknown (after unbatch or filter), so it "
                            "has no len(). Iterate it to count its elements.")
        return self._cardinality

    def __repr__(self):
        return f"<Dataset cardinality={_count_text(self._cardinality)}>"

    def _derive(self, make_iterator, cardinality, batch_size=None):
        out = Dataset(make_iterator, cardinality, parent=self)
        # the batch size, kept through the methods that leave the batches whole
        # (split_dataset unbatches and re-batches with it)
        out._batch_size = batch_size if batch_size is not None else self._batch_size
        return out

    # ------------------------------------------------------------------ transformations
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element.

        A tuple element is unpacked into arguments, as tf.data does:
        ``ds.map(lambda x, y: ...)`` on ``(x, y)`` elements; any other element
        (an array, a dict) is passed as one argument.

        Args:
            map_func: a function of the element, returning the new element.
            num_parallel_calls: accepted for tf.data compatibility
                (``AUTOTUNE`` or an int); elements are mapped in order, one
                at a time.
            deterministic: accepted and ignored (the order is always kept).
            name: accepted and ignored.

        Raises:
            TypeError: if ``map_func`` is not callable.
        """
        if not callable(map_func):
            raise TypeError(f"`map_func` must be a function. Received: map_func={map_func!r}.")
        V.integer(num_parallel_calls, "num_parallel_calls", minimum=AUTOTUNE, allow_none=True,
                  expected="a positive integer, AUTOTUNE or None")

        def make_iterator():
            for element in self:
                yield map_func(*element) if isinstance(element, tuple) else map_func(element)

        return self._derive(make_iterator, self._cardinality)

    def filter(self, predicate):
        """Keeps the elements for which ``predicate`` (unpacked as in ``map``) is true."""
        if not callable(predicate):
            raise TypeError(f"`predicate` must be a function. Received: predicate={predicate!r}.")

        def make_iterator():
            for element in self:
                keep = predicate(*element) if isinstance(element, tuple) else predicate(element)
                if bool(np.asarray(keep)):
                    yield element

        return self._derive(make_iterator, UNKNOWN if self._cardinality >= 0
                            else self._cardinality)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks ``batch_size`` consecutive elements into one.

        Args:
            batch_size: a positive integer.
            drop_remainder: drop the last, smaller batch.
            num_parallel_calls: accepted for tf.data compatibility and ignored.
            deterministic: accepted and ignored.
            name: accepted and ignored.

        Returns:
            A ``Dataset`` whose arrays have a leading batch axis, of
            ``ceil(n / batch_size)`` elements (``floor`` with
            ``drop_remainder``). Strings are stacked into object arrays.

        Raises:
            ValueError: if ``batch_size`` is not a positive integer.
        """
        batch_size = V.positive_int(batch_size, "batch_size")
        drop_remainder = V.boolean(drop_remainder, "drop_remainder")

        def make_iterator():
            iterator = iter(self)
            while True:
                chunk = list(itertools.islice(iterator, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield _stack_structure(chunk)

        n = self._cardinality
        if n >= 0:
            n = n // batch_size if drop_remainder else -(-n // batch_size)
        return self._derive(make_iterator, n, batch_size=batch_size)

    def unbatch(self, name=None):
        """Splits each batch back into its elements (the inverse of ``batch``).

        Raises:
            ValueError: at iteration, if the arrays of a batch do not share
                their first dimension.
        """

        def make_iterator():
            for element in self:
                sizes = {len(leaf) for leaf in _leaves(element)}
                if len(sizes) != 1:
                    raise ValueError(
                        "unbatch() needs every array of a batch to have the same first "
                        f"dimension. Received first dimensions {sorted(sizes)}."
                    )
                for i in range(sizes.pop()):
                    yield _slice_structure(element, i)

        out = self._derive(make_iterator, INFINITE if self._cardinality == INFINITE
                           else UNKNOWN)
        out._batch_size = None
        return out

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffles the elements through a buffer of ``buffer_size``, as tf.data does.

        The buffer is filled with the first ``buffer_size`` elements; each
        step yields one picked at random from the buffer and puts the next
        element in its place. A buffer at least as large as the dataset gives
        a uniform shuffle; a smaller one only mixes nearby elements.

        Args:
            buffer_size: a positive integer.
            seed: an int for a reproducible order; ``None`` draws the order
                from kerasite's global generator, so
                ``kerasite.utils.set_random_seed`` fixes it too.
            reshuffle_each_iteration: a new order on each iteration (epoch);
                ``False`` repeats the first iteration's order.
            name: accepted and ignored.

        Raises:
            ValueError: if ``buffer_size`` is not a positive integer (or
                ``AUTOTUNE``, which tf.data refuses here too).
        """
        buffer_size = V.positive_int(buffer_size, "buffer_size")
        if seed is not None:
            from kerasite.utils.rng_utils import check_seed

            seed = check_seed(seed)
        reshuffle_each_iteration = V.boolean(reshuffle_each_iteration,
                                             "reshuffle_each_iteration")
        state = {"epoch": 0, "seed": seed}

        def make_iterator():
            from kerasite.utils.rng_utils import draw_seed, epoch_rng

            if state["seed"] is None:
                state["seed"] = draw_seed()
            rng = epoch_rng(state["seed"], state["epoch"])
            if reshuffle_each_iteration:
                state["epoch"] += 1
            return _buffer_shuffle(iter(self), buffer_size, rng)

        return self._derive(make_iterator, self._cardinality)

    def prefetch(self, buffer_size=AUTOTUNE, name=None):
        """Accepted for tf.data compatibility: the dataset is returned as it is.

        Batches are produced when asked for; ``fit``'s own data loading can
        overlap them with training.
        """
        V.integer(buffer_size, "buffer_size", minimum=AUTOTUNE,
                  expected="a non-negative integer or AUTOTUNE")
        return self

    def cache(self, filename="", name=None):
        """Keeps the elements of the first complete iteration in memory and replays them.

        A first iteration stopped early caches nothing (as in tf.data), so
        ``ds.cache().take(2)`` followed by a full loop still works.

        Args:
            filename: only ``""`` (memory) is supported.
            name: accepted and ignored.

        Raises:
            ValueError: if ``filename`` is not empty.
        """
        if filename:
            raise ValueError(
                "cache() keeps elements in memory only. Received: filename="
                f"{filename!r}. Call cache() without a filename."
            )
        store = {}

        def make_iterator():
            if "elements" in store:
                yield from store["elements"]
                return
            seen = []
            for element in self:
                seen.append(element)
                yield element
            store["elements"] = seen

        return self._derive(make_iterator, self._cardinality)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for ``count=-1``)."""
        count = V.integer(count, "count", minimum=-1, expected="an integer >= -1")
        n = self._cardinality
        if count == -1:
            return self._derive(lambda: iter(self), n)
        if n >= 0:
            n = min(n, count)
        elif n == INFINITE:
            n = count
        return self._derive(lambda: itertools.islice(iter(self), count), n)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none for ``count=-1``)."""
        count = V.integer(count, "count", minimum=-1, expected="an integer >= -1")
        n = self._cardinality
        if count == -1:
            return self._derive(lambda: iter(()), 0 if n != INFINITE else INFINITE)
        if n >= 0:
            n = max(n - count, 0)
        return self._derive(lambda: itertools.islice(iter(self), count, None), n)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times, forever for ``None`` or -1.

        Each repetition iterates the dataset afresh, so a ``shuffle`` before
        ``repeat`` gives a new order each time.
        """
        count = V.integer(count, "count", minimum=-1, allow_none=True,
                          expected="an integer >= -1 or None")
        if count is None:
            count = -1
        n = self._cardinality
        if count == -1:
            n = 0 if n == 0 else INFINITE
        elif n >= 0:
            n *= count

        def make_iterator():
            times = itertools.count() if count == -1 else range(count)
            for _ in times:
                empty = True
                for element in self:
                    empty = False
                    yield element
                if empty:
                    return

        return self._derive(make_iterator, n)


def _buffer_shuffle(iterator, buffer_size, rng):
    """tf.data's shuffle buffer: yield a random buffered element, refill its slot."""
    buffer = list(itertools.islice(iterator, buffer_size))
    for element in iterator:
        i = int(rng.integers(len(buffer)))
        yield buffer[i]
        buffer[i] = element
    order = rng.permutation(len(buffer))
    for i in order:
        yield buffer[i]


def _with_numpy(element):
    """``element`` with each array viewed as an ``EagerArray`` (which has ``.numpy()``)."""
    if isinstance(element, tuple):
        return tuple(_with_numpy(v) for v in element)
    if isinstance(element, dict):
        return {k: _with_numpy(v) for k, v in element.items()}
    if isinstance(element, np.ndarray):
        return element.view(EagerArray)
    return element
