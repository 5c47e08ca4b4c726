"""Writes tests/data/utils_keras_reference.json: Keras 3's outputs for the dataset utilities.

Run with Keras 3 on JAX (no TensorFlow needed):

    KERAS_BACKEND=jax python tests/utils/make_keras_reference.py

Keras 3's ``format="tf"`` utilities need TensorFlow, which is not installed
here. Keras 3 also has a ``format="grain"`` path for
``image_dataset_from_directory``, ``text_dataset_from_directory`` and
``timeseries_dataset_from_array`` that does the work in NumPy, Pillow and
``keras.ops`` (on JAX): the same file listing, order and split
(``dataset_utils.index_directory`` and ``get_training_or_validation_split``,
shared with the tf path), the same windows, and ``keras.ops.image.resize``,
which follows ``tf.image.resize``. Grain itself only holds the results in
containers; it is not installed either, so this script gives Keras a minimal
stand-in with the four container methods those functions call (``source``,
``map``, ``batch``, zipping) and runs Keras's own code with ``shuffle=False``
(with ``shuffle=True`` only ``file_paths``, set before any grain call, are
recorded). ``split_dataset`` is run likewise with a stand-in for the one
``tf.data.Dataset.from_tensor_slices`` call at its end.

The tests only read the JSON; they never import keras.
"""

import json
import os
import pathlib
import sys
import tempfile
import types

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.utils._folders import make_image_folder, make_text_folder, many_files_folder  # noqa


class _Container:
    """What Keras's grain path asks of grain's datasets: a list of elements."""

    def __init__(self, items):
        self.items = list(items)

    @classmethod
    def source(cls, items):
        return cls(items)

    def map(self, fn):
        return _Container(fn(x) for x in self.items)

    def shuffle(self, seed=None):
        return self  # only file_paths are recorded from shuffled datasets

    def to_iter_dataset(self):
        return self

    def batch(self, n, batch_fn):
        return _Container(batch_fn(self.items[i:i + n]) for i in range(0, len(self.items), n))

    def __iter__(self):
        return iter(self.items)


def _grain_stand_in():
    grain = types.SimpleNamespace(MapDataset=_Container)
    grain.experimental = types.SimpleNamespace(
        ZipMapDataset=lambda parts: _Container(zip(*(p.items for p in parts))))
    return grain


def tolist(x):
    return np.asarray(x).tolist()


def batches(ds):
    out = []
    for element in ds:
        if isinstance(element, tuple):
            out.append([tolist(e) if not isinstance(e, (list, tuple)) or not e
                        or not isinstance(e[0], str) else list(e) for e in element])
        elif isinstance(element, (list, tuple)) and element and isinstance(element[0], str):
            out.append(list(element))
        else:
            out.append(tolist(element))
    return out


def main():
    import keras
    from keras.src.utils import dataset_utils, image_dataset_utils, module_utils
    from keras.src.utils import text_dataset_utils, timeseries_dataset_utils

    grain = _grain_stand_in()
    for module in (dataset_utils, image_dataset_utils, text_dataset_utils,
                   timeseries_dataset_utils):
        module.grain = grain
    ref = {"keras_version": keras.__version__, "backend": keras.backend.backend()}

    # ---------------------------------------------------------------- images
    tmp = tempfile.mkdtemp()
    folder = make_image_folder(os.path.join(tmp, "images"))

    def rel(paths):
        return [os.path.relpath(p, folder).replace(os.sep, "/") for p in paths]

    image_cases = {
        "rgb_bilinear_int": dict(image_size=(5, 7), batch_size=4),
        "gray_nearest_categorical": dict(image_size=(4, 6), color_mode="grayscale",
                                         interpolation="nearest", label_mode="categorical",
                                         batch_size=3),
        "rgba_bicubic_crop_nolabels": dict(image_size=(6, 5), color_mode="rgba",
                                           interpolation="bicubic", label_mode=None,
                                           crop_to_aspect_ratio=True, batch_size=5),
        "lanczos3_unbatched": dict(image_size=(7, 7), interpolation="lanczos3",
                                   batch_size=None),
        "lanczos5_binary": dict(image_size=(3, 4), interpolation="lanczos5",
                                class_names=["dogs", "cats"], label_mode="binary"),
        "upsample_bilinear": dict(image_size=(9, 11), batch_size=16),
    }
    ref["image_cases"] = {}
    for name, kwargs in image_cases.items():
        ds = keras.utils.image_dataset_from_directory(folder, shuffle=False, format="grain",
                                                      verbose=False, **kwargs)
        ref["image_cases"][name] = {"kwargs": kwargs, "class_names": ds.class_names,
                                    "file_paths": rel(ds.file_paths), "batches": batches(ds)}
    # labels given as a list, one per file in sorted order
    n_files = len(keras.utils.image_dataset_from_directory(
        folder, shuffle=False, format="grain", verbose=False, labels=None).file_paths)
    labels = [i % 3 for i in range(n_files)]
    ds = keras.utils.image_dataset_from_directory(folder, labels=labels, shuffle=False,
                                                  image_size=(2, 2), format="grain",
                                                  verbose=False)
    ref["image_labels_list"] = {"labels": labels, "class_names": ds.class_names,
                                "file_paths": rel(ds.file_paths),
                                "targets": [b[1] for b in batches(ds)]}

    # the split of a shuffled folder: file lists only
    split_folder = many_files_folder(os.path.join(tmp, "many"))
    ref["image_splits"] = {}
    for seed in (0, 1337):
        for split in (0.2, 0.25):
            train, val = keras.utils.image_dataset_from_directory(
                split_folder, validation_split=split, subset="both", seed=seed,
                image_size=(2, 2), format="grain", verbose=False)
            one = keras.utils.image_dataset_from_directory(
                split_folder, validation_split=split, subset="validation", seed=seed,
                image_size=(2, 2), format="grain", verbose=False)
            ref["image_splits"][f"{seed}_{split}"] = {
                "training": [os.path.relpath(p, split_folder) for p in train.file_paths],
                "validation": [os.path.relpath(p, split_folder) for p in val.file_paths],
                "validation_alone": [os.path.relpath(p, split_folder) for p in one.file_paths],
            }

    # ---------------------------------------------------------------- load_img & co
    img = keras.utils.load_img(os.path.join(folder, "cats", "C.PNG"), target_size=(5, 3),
                               interpolation="bilinear", keep_aspect_ratio=True)
    ref["load_img_bilinear_keep"] = tolist(keras.utils.img_to_array(img))
    img = keras.utils.load_img(os.path.join(folder, "Birds", "y.png"), color_mode="rgb",
                               target_size=(4, 6))
    ref["load_img_gray_as_rgb_nearest"] = tolist(keras.utils.img_to_array(img))
    x = np.linspace(-1.0, 3.0, 2 * 3 * 3).reshape(2, 3, 3)
    ref["array_to_img_scaled"] = tolist(np.asarray(keras.utils.array_to_img(x)))
    ref["array_to_img_unscaled"] = tolist(np.asarray(
        keras.utils.array_to_img(x * 50 + 60, scale=False)))
    ref["array_to_img_input"] = tolist(x)

    # ---------------------------------------------------------------- text
    text_folder = make_text_folder(os.path.join(tmp, "texts"))
    ref["text_cases"] = {}
    for name, kwargs in {"int": dict(batch_size=2),
                         "binary_max_length": dict(label_mode="binary", max_length=6,
                                                   batch_size=None),
                         "no_labels": dict(label_mode=None, batch_size=10)}.items():
        ds = keras.utils.text_dataset_from_directory(text_folder, shuffle=False,
                                                     format="grain", verbose=False, **kwargs)
        ref["text_cases"][name] = {"kwargs": kwargs, "class_names": ds.class_names,
                                   "batches": batches(ds)}
    train = keras.utils.text_dataset_from_directory(
        text_folder, validation_split=0.4, subset="training", seed=7, format="grain",
        verbose=False, batch_size=None)
    ref["text_split_training_texts"] = sorted(t for t, _ in train)

    # ---------------------------------------------------------------- timeseries
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(100, 120)
    series_cases = {
        "basic": dict(sequence_length=4, batch_size=3),
        "stride_rate": dict(sequence_length=3, sequence_stride=4, sampling_rate=2,
                            batch_size=2),
        "targets": dict(sequence_length=5, sequence_stride=2, batch_size=4, targets=True),
        "start_end": dict(sequence_length=3, sampling_rate=3, start_index=2, end_index=17,
                          batch_size=5, targets=True),
        "unbatched": dict(sequence_length=6, sequence_stride=5, batch_size=None, targets=True),
        "long": dict(sequence_length=20, batch_size=8),
    }
    ref["series_data"] = tolist(data)
    ref["series_targets"] = tolist(targets)
    ref["series_cases"] = {}
    for name, kwargs in series_cases.items():
        kw = dict(kwargs)
        use_targets = kw.pop("targets", False)
        ds = keras.utils.timeseries_dataset_from_array(
            data, targets if use_targets else None, format="grain", **kw)
        ref["series_cases"][name] = {"kwargs": kwargs, "batches": batches(ds)}
    ds = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3,
                                                   batch_size=None, shuffle=True, seed=5,
                                                   format="grain")
    ref["series_shuffled_order_targets"] = [int(y) for _, y in ds]

    # ---------------------------------------------------------------- split_dataset
    class _FakeTFData:
        class Dataset:
            @staticmethod
            def from_tensor_slices(x):
                return _Container([x])

    fake_tf = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=_FakeTFData.Dataset,
                                                                AUTOTUNE=-1))
    _Container.prefetch = lambda self, n: self
    module_utils.tensorflow = fake_tf
    features = np.arange(30).reshape(10, 3)
    labels = np.arange(10) * 10
    ref["split_cases"] = {}
    for name, kwargs in {"left_float": dict(left_size=0.8),
                         "right_int": dict(right_size=3),
                         "both_float": dict(left_size=0.3, right_size=0.5),
                         "shuffled": dict(left_size=0.6, shuffle=True, seed=42),
                         "shuffled_right": dict(left_size=4, right_size=5, shuffle=True,
                                                seed=3)}.items():
        left, right = keras.utils.split_dataset((features, labels), **kwargs)
        left, right = left.items[0], right.items[0]
        ref["split_cases"][name] = {"kwargs": kwargs,
                                    "left": [tolist(a) for a in left],
                                    "right": [tolist(a) for a in right]}
    left, right = keras.utils.split_dataset(np.arange(7.0), left_size=0.5)
    ref["split_array"] = {"left": tolist(left.items[0]), "right": tolist(right.items[0])}

    out = ROOT / "tests" / "data" / "utils_keras_reference.json"
    out.write_text(json.dumps(ref, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
