"""``timeseries_dataset_from_array``: sliding windows over an array, as Keras makes them."""

import numpy as np

from kerasite import _validation as V
from kerasite.utils.dataset import Dataset


def _check_args(data, targets, sequence_length, sequence_stride, sampling_rate, start_index,
                end_index):
    n = len(data)
    if targets is not None and len(targets) != n:
        raise ValueError(
            "`data` and `targets` must have the same length. Received: len(data)="
            f"{n}, len(targets)={len(targets)}."
        )
    V.positive_int(sequence_length, "sequence_length")
    V.integer(start_index, "start_index", minimum=0, allow_none=True)
    if start_index is not None and start_index >= n:
        raise ValueError(
            f"`start_index` must be lower than the length of `data` ({n}). Received: "
            f"start_index={start_index}."
        )
    V.integer(end_index, "end_index", minimum=1, allow_none=True)
    if end_index is not None:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be greater than `start_index`. Received: start_index="
                f"{start_index}, end_index={end_index}."
            )
        if end_index >= n:
            raise ValueError(
                f"`end_index` must be lower than the length of `data` ({n}); leave it None "
                f"to use every step. Received: end_index={end_index}."
            )
    for value, name in ((sampling_rate, "sampling_rate"), (sequence_stride, "sequence_stride")):
        V.positive_int(value, name)
        if value >= n:
            raise ValueError(
                f"`{name}` must be lower than the length of `data` ({n}). Received: "
                f"{name}={value}."
            )


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Windows over a timeseries, as ``keras.utils.timeseries_dataset_from_array``.

    Window ``i`` starts at step ``start_index + p_i`` with ``p_i = i *
    sequence_stride`` and holds the steps ``p_i, p_i + sampling_rate, ...``
    (``sequence_length`` of them) of ``data[start_index:end_index]``; its
    target is ``targets[start_index + p_i]``. There are as many windows as
    start positions ``p < end_index - start_index - (sequence_length - 1) *
    sampling_rate`` (and ``< len(targets)``) on the stride.

    The windows are cut one batch at a time when the dataset is iterated, so
    ``data`` may be a memory-mapped array.

    Args:
        data: an array ``(steps, ...)``.
        targets: an array ``(steps, ...)``, the target of the window starting
            at each step, or ``None``.
        sequence_length: the steps in each window.
        sequence_stride: the steps between the starts of two windows.
        sampling_rate: the steps between two samples of a window.
        batch_size: windows per batch, or ``None`` for single windows.
        shuffle: shuffle the windows: Keras's global shuffle of the start
            positions with ``numpy.random.RandomState(seed)``, then a shuffle
            buffer of ``8 * batch_size`` (1024 unbatched) that reshuffles each
            epoch.
        seed: the shuffle's seed.
        start_index: the first step used (default 0).
        end_index: the step after the last used (default the end); it must
            be below ``len(data)``, as in Keras.

    Returns:
        A ``Dataset`` of ``(windows, targets)`` batches, or of windows alone
        when ``targets`` is ``None``; windows are ``(batch, sequence_length,
        ...)`` in ``data``'s dtype.

    Raises:
        ValueError: for a length, stride, rate or index out of range, or
            ``targets`` of another length than ``data``.

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10,
        ...                                    sequence_length=3, sequence_stride=2,
        ...                                    batch_size=2)
        >>> [(x.tolist(), y.tolist()) for x, y in ds]
        [([[0, 1, 2], [2, 3, 4]], [0, 20]), ([[4, 5, 6], [6, 7, 8]], [40, 60])]
    """
    # A memory-mapped array stays as it is (windows are cut from it batch by batch);
    # anything else array-like, a pandas frame or series included, becomes an array.
    if not isinstance(data, np.ndarray):
        data = np.asarray(data)
    if targets is not None and not isinstance(targets, np.ndarray):
        targets = np.asarray(targets)
    _check_args(data, targets, sequence_length, sequence_stride, sampling_rate, start_index,
                end_index)
    batch_size = V.positive_int(batch_size, "batch_size", allow_none=True)
    shuffle = V.boolean(shuffle, "shuffle")
    start = start_index or 0
    stop = len(data) if end_index is None else end_index
    num_seqs = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    steps = data[start:stop]
    target_steps = targets[start:stop] if targets is not None else None

    def windows(p):
        # p is one start position () or a batch of them (batch,); fancy indexing reads
        # only those steps.
        if np.ndim(p) == 0:
            return np.asarray(steps[p + offsets])
        index = p[:, None] + offsets
        return np.asarray(steps[index.ravel()]).reshape(*index.shape, *steps.shape[1:])

    ds = Dataset.from_tensor_slices(positions)
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    if target_steps is None:
        return ds.map(windows)
    return ds.map(lambda p: (windows(p), np.asarray(target_steps[p])))
