"""``text_dataset_from_directory``: a lazy dataset of the ``.txt`` files in a folder."""

import numpy as np

from kerasite import _validation as V
import kerasite.utils.dataset_utils as dataset_utils
from kerasite.utils.image_utils import _files_dataset


def _read_texts(paths, max_length):
    texts = []
    for path in np.atleast_1d(paths):
        with open(str(path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        texts.append(text if max_length is None else text[:max_length])
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return out


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A lazy ``Dataset`` of the texts in a folder, as ``keras.utils.text_dataset_from_directory``.

    The folder holds one subfolder per class of ``.txt`` files (with
    ``labels="inferred"``). The files are listed, ordered, shuffled and split
    exactly as Keras does (see ``kerasite.utils.dataset_utils``); no file is
    read until the dataset is iterated.

    Args:
        directory: the folder.
        labels: ``"inferred"``, ``None``, or a list of integer labels, one
            per file in sorted path order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``
            (as in ``image_dataset_from_directory``).
        class_names: with inferred labels, the subfolders to use, in order.
        batch_size: texts per batch, or ``None`` for single texts.
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (globally with ``seed``, then through a
            buffer of ``8 * batch_size`` each epoch); else sorted order.
        seed: the shuffle's seed; needed with ``validation_split`` and
            ``shuffle``.
        validation_split: the fraction of files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: follow symbolic links to folders.
        verbose: print how many files were found and used.

    Returns:
        A ``Dataset`` of ``(texts, labels)`` batches (texts alone without
        labels): ``texts`` is an object array ``(batch,)`` of Python ``str``
        (tf.data gives ``bytes``; decode them with ``.decode()`` there, not
        here). It has ``class_names``. With ``subset="both"``, a pair.

    Raises:
        ValueError: as ``image_dataset_from_directory``, for the same mistakes.
    """
    dataset_utils.check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    batch_size = V.positive_int(batch_size, "batch_size", allow_none=True)
    max_length = V.positive_int(max_length, "max_length", allow_none=True)
    shuffle = V.boolean(shuffle, "shuffle")
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            "label_mode='binary' needs exactly 2 classes. Received: class_names="
            f"{class_names!r}. Use label_mode='categorical' or 'int' for more classes."
        )

    def build(subset_name, shuffle_files):
        subset_paths, subset_labels = dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, subset_name, verbose=verbose)
        if not subset_paths:
            raise ValueError(
                f"No {subset_name + ' ' if validation_split else ''}text files found in "
                f"directory {directory!r}. Allowed format: .txt."
            )
        ds = _files_dataset(subset_paths, subset_labels, label_mode,
                            len(class_names) if class_names else 0, shuffle_files, seed,
                            batch_size, lambda p: _read_texts(p, max_length),
                            lambda p: _read_texts(p, max_length)[0])
        ds.class_names = class_names
        ds.file_paths = list(subset_paths)
        return ds

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset, shuffle)
