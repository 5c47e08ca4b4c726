"""Listing a folder of labelled files, splitting it, and ``split_dataset``.

The file order and the training/validation split follow Keras's
``keras.utils`` exactly, so the same folder and seed put the same files in
the same subset as Keras does:

1. the class folders are the sorted subfolders (or ``class_names`` in the
   order given); each is walked with ``os.walk``, folders and files sorted;
2. with ``shuffle``, the list of paths and the labels are each shuffled by
   ``numpy.random.RandomState(seed).shuffle`` (Keras's own call);
3. ``validation_split`` keeps the last ``int(validation_split * n)`` files
   for validation and the rest for training.
"""

import os
import random

import numpy as np

from kerasite import _validation as V


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Refuses inconsistent ``validation_split`` / ``subset`` / ``seed`` settings.

    Raises:
        ValueError: if ``validation_split`` is not in (0, 1), only one of
            ``validation_split`` and ``subset`` is given, ``subset`` is not
            one of the three names, or shuffled data is split without a seed.
    """
    if validation_split is not None:
        V.number(validation_split, "validation_split", 0, 1, inclusive=(False, False),
                 allow_none=True)
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "`validation_split` and `subset` go together: pass both or neither. Received: "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    if subset is not None:
        V.one_of(subset, "subset", ("training", "validation", "both"))
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "`seed` is needed when `validation_split` is used with shuffle=True, so that the "
            "training and validation subsets do not overlap. Received: seed=None. Pass the "
            "same seed, e.g. seed=123, to both calls."
        )


def _walk_files(directory, follow_links, formats):
    """The files under ``directory`` whose names end in ``formats``, in Keras's order."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """Lists the files of ``directory`` with their labels, in Keras's order.

    Args:
        directory: the folder; with ``labels="inferred"`` it holds one
            subfolder per class.
        labels: ``"inferred"``, ``None``, or a list of integer labels, one
            per file in the order of the sorted paths.
        formats: a tuple of lower-case file endings, e.g. ``(".png", ".jpg")``.
        class_names: the class subfolders to use, in this order.
        shuffle: shuffle with ``RandomState(seed)``; else sorted order.
        seed: the shuffle's seed; ``None`` draws one.
        follow_links: follow symbolic links to folders.
        verbose: print "Found N files belonging to K classes.".

    Returns:
        ``(file_paths, labels, class_names)``: a list of paths, an int32
        array ``(n,)`` of labels (``None`` for ``labels=None``) and the list
        of class names (``None`` for ``labels=None``).

    Raises:
        ValueError: for a missing folder, ``class_names`` that are not
            subfolders, or a ``labels`` list of the wrong length.
    """
    if not os.path.isdir(directory):
        raise ValueError(
            f"`directory` must be an existing folder. Received: directory={directory!r}, "
            "which is not a folder."
        )
    if isinstance(labels, str) and labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            missing = [c for c in class_names if c not in subdirs]
            if missing:
                raise ValueError(
                    f"`class_names` must name subfolders of {directory!r}. Received: "
                    f"class_names={list(class_names)!r}; {missing!r} are not among the "
                    f"subfolders {subdirs!r}."
                )
            subdirs = list(class_names)
        paths, label_list = [], []
        for index, subdir in enumerate(subdirs):
            found = list(_walk_files(os.path.join(directory, subdir), follow_links, formats))
            paths += found
            label_list += [index] * len(found)
        label_array = np.asarray(label_list, dtype=np.int32)
        class_names = subdirs
    else:
        if class_names is not None:
            raise ValueError(
                "`class_names` can only be passed with labels='inferred'. Received: "
                f"labels={labels!r} and class_names={class_names!r}."
            )
        paths = list(_walk_files(directory, follow_links, formats))
        if labels is None:
            label_array = None
        else:
            if len(labels) != len(paths):
                raise ValueError(
                    f"`labels` must hold one label per file: {len(paths)} files were found "
                    f"in {directory!r}. Received: {len(labels)} labels."
                )
            label_array = np.asarray(labels)
            class_names = [str(label) for label in sorted(set(label_array.tolist()))]
    if verbose:
        if label_array is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """The ``subset`` of ``samples`` (and ``labels``): validation is the last part.

    Args:
        samples: a list of paths.
        labels: the matching labels, or ``None``.
        validation_split: the fraction kept for validation, or ``None`` for
            no split.
        subset: ``"training"`` or ``"validation"``.
        verbose: print how many files each subset uses.

    Returns:
        ``(samples, labels)`` restricted to the subset.
    """
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_val} files for training.")
        keep = slice(0, len(samples) - num_val)
    else:
        if verbose:
            print(f"Using {num_val} files for validation.")
        keep = slice(len(samples) - num_val, len(samples))
    return samples[keep], (labels[keep] if labels is not None else None)


def encode_labels(labels, label_mode, num_classes):
    """The label array a dataset yields for ``label_mode``.

    Returns:
        ``"int"``: int32 ``(n,)``; ``"categorical"``: float32 one-hot
        ``(n, num_classes)``; ``"binary"``: float32 ``(n, 1)``.
    """
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype(np.float32).reshape(-1, 1)
    if label_mode == "categorical":
        out = np.zeros((len(labels), num_classes), dtype=np.float32)
        out[np.arange(len(labels)), labels.astype(np.intp)] = 1.0
        return out
    return labels.astype(np.int32)


def check_label_args(labels, label_mode, class_names):
    """Validates ``labels``, ``label_mode`` and ``class_names`` as Keras's utilities do."""
    if not (labels is None or (isinstance(labels, str) and labels == "inferred")):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                "`labels` must be 'inferred', None, or a list of integer labels, one per "
                f"file in sorted order. Received: labels={labels!r}."
            )
        if class_names:
            raise ValueError(
                "`class_names` can only be passed with labels='inferred'. Received: "
                f"labels={labels!r} and class_names={class_names!r}."
            )
    V.one_of(label_mode, "label_mode", ("int", "categorical", "binary", None))


# ------------------------------------------------------------------ split_dataset
def _check_size(value, name):
    if value is None:
        return None
    if V.is_int(value):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(
        f"`{name}` must be an int (a number of samples), a float in (0, 1) (a fraction) or "
        f"None. Received: {name}={value!r} of type {type(value).__name__}."
    )


def _split_sizes(left_size, right_size, total):
    """Keras's sizes of the two halves: fractions rounded, the missing side the rest."""
    left_size = _check_size(left_size, "left_size")
    right_size = _check_size(right_size, "right_size")
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` and `right_size` must be given. "
                         "Received: left_size=None and right_size=None.")
    for value, name in ((left_size, "left_size"), (right_size, "right_size")):
        if isinstance(value, int) and not 0 < value < total \
                or isinstance(value, float) and not 0 < value < 1:
            raise ValueError(
                f"`{name}` must be an int in (0, {total}) (a number of samples) or a float in "
                f"(0, 1) (a fraction) for a dataset of {total} samples. Received: "
                f"{name}={value!r}."
            )
    if isinstance(left_size, float) and isinstance(right_size, float) \
            and left_size + right_size > 1:
        raise ValueError(
            "`left_size` + `right_size` must not exceed 1. Received: left_size="
            f"{left_size}, right_size={right_size}."
        )
    left = round(left_size * total) if isinstance(left_size, float) else left_size
    right = round(right_size * total) if isinstance(right_size, float) else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"`left_size` + `right_size` must not exceed the dataset's {total} samples. "
            f"Received sizes that add up to {left + right}."
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"With a dataset of {total} samples, left_size={left_size!r} and right_size="
            f"{right_size!r} leave one side empty. Change the sizes."
        )
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left and a right part, as ``keras.utils.split_dataset``.

    The samples are listed, shuffled by Python's ``random`` with ``seed`` when
    ``shuffle`` (Keras's own call, so the halves are Keras's), and the left
    part is the first ``left_size`` of them, the right part the last
    ``right_size``.

    Args:
        dataset: an array, a tuple or list of arrays of the same length, a
            dict of such arrays, or a ``Dataset`` (a batched one is unbatched,
            and both halves are batched again with its batch size).
        left_size: an int (samples) or a float in (0, 1) (fraction), or
            ``None`` for the complement of ``right_size``.
        right_size: the same for the right part.
        shuffle: shuffle before splitting.
        seed: the shuffle's seed; ``None`` draws one.

    Returns:
        ``(left, right)``, two ``Dataset`` objects of the samples.

    Raises:
        TypeError: for a dataset of another type or sizes of the wrong type.
        ValueError: for sizes out of range or a dataset that is empty or
            whose arrays differ in length.

    Example:
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> len(left), len(right), [int(v) for v in right]
        (8, 2, [8, 9])
    """
    from kerasite.utils.dataset import Dataset, _stack_structure

    batch_size = None
    if isinstance(dataset, Dataset):
        batch_size = dataset._batch_size
        source = dataset.unbatch() if batch_size else dataset
        samples = list(source)
    elif isinstance(dataset, (list, tuple, dict, np.ndarray)):
        if isinstance(dataset, (list, tuple)) and len(dataset) == 0:
            raise ValueError("`dataset` is empty. Pass a non-empty array or tuple of arrays.")
        source = Dataset.from_tensor_slices(tuple(dataset) if isinstance(dataset, list)
                                            else dataset)
        samples = list(source)
    else:
        raise TypeError(
            "`dataset` must be an array, a tuple or list of arrays, a dict of arrays or a "
            f"kerasite Dataset. Received an object of type {type(dataset).__name__}."
        )
    if not samples:
        raise ValueError("`dataset` is empty. Pass a non-empty dataset.")
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))
    halves = []
    for part in (samples[:left], samples[-right:]):
        half = Dataset.from_tensor_slices(_stack_structure(part))
        if batch_size:
            half = half.batch(batch_size)
        halves.append(half)
    return tuple(halves)
