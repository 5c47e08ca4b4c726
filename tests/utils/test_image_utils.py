"""image_dataset_from_directory, the resizing and the PIL helpers, against Keras 3.

Reference values: tests/data/utils_keras_reference.json, computed with Keras
3.15.1 on JAX by tests/utils/make_keras_reference.py (Keras's grain path of
image_dataset_from_directory: its own file listing, order and split, Pillow
decoding and keras.ops.image.resize, which follows tf.image.resize with
antialias=False). The "area" resize, which keras.ops lacks on JAX, is checked
against values worked out by hand from tf.image.resize's documented rule.
"""

import builtins
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from kerasite import preprocessing  # noqa: E402
from kerasite.preprocessing import image as kimage  # noqa: E402
from kerasite.utils import (array_to_img, image_dataset_from_directory, img_to_array,  # noqa
                            load_img, save_img)
from kerasite.utils.image_utils import resize_images, smart_resize  # noqa: E402
from tests.utils._folders import make_image_folder, many_files_folder  # noqa: E402

REF = json.loads((Path(__file__).resolve().parents[1] / "data"
                  / "utils_keras_reference.json").read_text())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(str(tmp_path_factory.mktemp("img") / "images"))


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    return many_files_folder(str(tmp_path_factory.mktemp("many") / "many"))


def rel(paths, root):
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]


def kwargs_of(case):
    kw = dict(case["kwargs"])
    if "image_size" in kw:
        kw["image_size"] = tuple(kw["image_size"])
    return kw


# ---------------------------------------------------------------- against Keras
@pytest.mark.parametrize("name", sorted(REF["image_cases"]))
def test_image_dataset_matches_keras(folder, name):
    case = REF["image_cases"][name]
    ds = image_dataset_from_directory(folder, shuffle=False, verbose=False, **kwargs_of(case))
    assert ds.class_names == case["class_names"]
    assert rel(ds.file_paths, folder) == case["file_paths"]
    got = list(ds)
    assert len(got) == len(case["batches"]) == len(ds)
    for mine, theirs in zip(got, case["batches"]):
        if case["kwargs"].get("label_mode", "int") is None:
            mine, theirs = (mine,), (theirs,)
        # float32 sums in another order than XLA's: agree to 1e-6 of the 0..255 range
        np.testing.assert_allclose(mine[0], np.asarray(theirs[0]), atol=3e-4, rtol=0)
        if len(mine) > 1:
            np.testing.assert_array_equal(mine[1], np.asarray(theirs[1]))


def test_class_order_and_file_order_are_keras_s(folder):
    case = REF["image_cases"]["rgb_bilinear_int"]
    # sorted with upper case first, hidden folders and other files left out, subfolders walked
    assert case["class_names"] == ["Birds", "cats", "dogs"]
    assert "cats/sub/z.png" in case["file_paths"] and "cats/notes.txt" not in case["file_paths"]
    ds = image_dataset_from_directory(folder, shuffle=False, verbose=False, image_size=(2, 2))
    assert rel(ds.file_paths, folder) == case["file_paths"]


def test_labels_given_as_a_list(folder):
    ref = REF["image_labels_list"]
    ds = image_dataset_from_directory(folder, labels=ref["labels"], shuffle=False,
                                      image_size=(2, 2), verbose=False)
    assert ds.class_names == ref["class_names"] == ["0", "1", "2"]
    assert [y.tolist() for _, y in ds] == ref["targets"]


@pytest.mark.parametrize("key", sorted(REF["image_splits"]))
def test_validation_split_gives_keras_s_files(many, key):
    ref = REF["image_splits"][key]
    seed, split = key.split("_")
    train, val = image_dataset_from_directory(many, validation_split=float(split),
                                              subset="both", seed=int(seed), image_size=(2, 2),
                                              verbose=False)
    one = image_dataset_from_directory(many, validation_split=float(split),
                                       subset="validation", seed=int(seed), image_size=(2, 2),
                                       verbose=False)
    assert rel(train.file_paths, many) == ref["training"]
    assert rel(val.file_paths, many) == ref["validation"]
    assert rel(one.file_paths, many) == ref["validation_alone"] == ref["validation"]
    assert not set(ref["training"]) & set(ref["validation"])
    # validation is not shuffled again: its batches come in file_paths order
    pixels = np.concatenate([x[:, 0, 0, 0] for x, _ in val])
    expected = [Image.open(os.path.join(many, p)).getpixel((0, 0)) for p in ref["validation"]]
    np.testing.assert_array_equal(pixels, expected)
    # training is reshuffled each epoch through a buffer, over the same files
    epochs = [np.concatenate([x[:, 0, 0, 0] for x, _ in train]) for _ in range(2)]
    assert sorted(epochs[0]) == sorted(epochs[1]) and not np.array_equal(*epochs)


def test_labels_follow_their_images_through_the_shuffle(many):
    ds = image_dataset_from_directory(many, seed=3, image_size=(2, 2), batch_size=7,
                                      color_mode="grayscale", verbose=False)
    for x, y in ds:
        # class c holds pixel values c * 50 + i, i < 20
        np.testing.assert_array_equal(x[:, 0, 0, 0] // 50, y)


def test_dtypes_and_shapes(folder):
    x, y = next(iter(image_dataset_from_directory(folder, image_size=(3, 4), batch_size=2,
                                                  seed=0, verbose=False)))
    assert x.shape == (2, 3, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    # as tf.image.resize, "nearest" keeps the decoded dtype
    x, _ = next(iter(image_dataset_from_directory(folder, image_size=(3, 4), seed=0,
                                                  interpolation="nearest", verbose=False)))
    assert x.dtype == np.uint8
    x = next(iter(image_dataset_from_directory(folder, image_size=(3, 4), label_mode=None,
                                               data_format="channels_first", seed=0,
                                               verbose=False)))
    # without labels the whole tree is walked, the hidden folder included, as in Keras
    assert x.shape == (11, 3, 3, 4)
    assert len(REF["image_cases"]["rgba_bicubic_crop_nolabels"]["file_paths"]) == 11
    x, y = next(iter(image_dataset_from_directory(folder, image_size=4, batch_size=None,
                                                  label_mode="categorical", seed=0,
                                                  verbose=False)))
    assert x.shape == (4, 4, 3) and y.shape == (3,) and y.dtype == np.float32


def test_verbose_prints_what_keras_prints(folder, capsys):
    image_dataset_from_directory(folder, image_size=(2, 2), validation_split=0.2,
                                 subset="training", seed=1)
    out = capsys.readouterr().out
    assert "Found 10 files belonging to 3 classes." in out and "Using 8 files for training." in out


# ---------------------------------------------------------------- laziness
def test_nothing_is_read_before_iteration(folder, monkeypatch):
    opened = []
    real_open, real_pil_open = builtins.open, Image.open

    def counting_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    def counting_pil_open(fp, *args, **kwargs):
        opened.append(str(fp))
        return real_pil_open(fp, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(Image, "open", counting_pil_open)
    ds = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=3, seed=1,
                                      verbose=False).map(lambda x, y: (x / 255, y)).prefetch(2)
    assert [p for p in opened if p.startswith(folder)] == []
    next(iter(ds))
    assert 3 <= len({p for p in opened if p.startswith(folder)}) <= 3


def test_missing_pillow_gives_the_install_hint(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    hint = r"in your kerasite clone, python -m pip install -e '\.\[images\]'"
    with pytest.raises(ImportError, match=hint):
        load_img(os.path.join(folder, "cats", "a.png"))
    with pytest.raises(ImportError, match=hint):
        array_to_img(np.zeros((2, 2, 3)))
    ds = image_dataset_from_directory(folder, image_size=(2, 2), verbose=False, seed=0)
    with pytest.raises(ImportError, match=hint):  # listing works; reading needs Pillow
        next(iter(ds))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(label_mode="sparse"), ValueError, "`label_mode` must be one of"),
    (dict(color_mode="cmyk"), ValueError, "`color_mode` must be one of"),
    (dict(interpolation="cubic"), ValueError, "`interpolation` must be one of"),
    (dict(image_size=(3,)), ValueError, r"`image_size` must be \(height, width\)"),
    (dict(image_size=(0, 3)), ValueError, r"`image_size` must be \(height, width\)"),
    (dict(batch_size=0), ValueError, "`batch_size` must be a positive integer or None"),
    (dict(labels="folders"), ValueError, "`labels` must be 'inferred', None, or a list"),
    (dict(labels=[0, 1]), ValueError, "`labels` must hold one label per file: 11 files"),
    (dict(labels=None, class_names=["cats"]), ValueError,
     "`class_names` can only be passed with labels='inferred'"),
    (dict(class_names=["cats", "lions"]), ValueError,
     r"\['lions'\] are not among the subfolders"),
    (dict(label_mode="binary"), ValueError, "label_mode='binary' needs exactly 2 classes"),
    (dict(validation_split=0.2), ValueError, "`validation_split` and `subset` go together"),
    (dict(subset="training"), ValueError, "`validation_split` and `subset` go together"),
    (dict(validation_split=1.5, subset="training", seed=1), ValueError,
     r"`validation_split` must be a number in \(0, 1\)"),
    (dict(validation_split=0.2, subset="train", seed=1), ValueError,
     "`subset` must be one of"),
    (dict(validation_split=0.2, subset="training"), ValueError, "`seed` is needed"),
    (dict(data_format="NHWC"), ValueError, "`data_format` must be one of"),
    (dict(shuffle="yes"), TypeError, "`shuffle` must be True or False"),
])
def test_image_dataset_errors(folder, kwargs, error, match):
    with pytest.raises(error, match=match):
        image_dataset_from_directory(folder, verbose=False, **kwargs)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(ValueError, match="`directory` must be an existing folder"):
        image_dataset_from_directory(str(tmp_path / "nope"))
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found in directory"):
        image_dataset_from_directory(str(tmp_path / "empty"), verbose=False)


def test_an_unreadable_image_names_its_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    ds = image_dataset_from_directory(str(tmp_path), verbose=False, seed=0)
    with pytest.raises(ValueError, match="Could not read the image file .*broken.png"):
        list(ds)


# ---------------------------------------------------------------- resizing
def test_area_resize_averages_the_boxes_it_covers():
    # tf.image.resize(method="area"): output pixel o averages input span [o*s, (o+1)*s).
    x = np.arange(6.0).reshape(1, 1, 6, 1)
    out = resize_images(x, (1, 4), "area")[0, 0, :, 0]
    # s = 1.5: [0,1.5) -> (0 + 0.5*1)/1.5, [1.5,3) -> (0.5*1 + 2)/1.5, ...
    np.testing.assert_allclose(out, [1 / 3, 5 / 3, 10 / 3, 14 / 3], rtol=1e-6)
    np.testing.assert_allclose(resize_images(np.arange(4.0).reshape(1, 2, 2, 1), (1, 1),
                                             "area"), [[[[1.5]]]])


def test_bilinear_by_hand():
    # centres of 2 outputs over 4 inputs sit at 0.5 and 2.5: halfway between pixel pairs
    x = np.array([[0.0, 10.0, 20.0, 40.0]]).reshape(1, 1, 4, 1)
    np.testing.assert_allclose(resize_images(x, (1, 2))[0, 0, :, 0], [5.0, 30.0])
    # upsampling 2 -> 4: positions -0.25, 0.25, 0.75, 1.25 clamp at the borders
    x = np.array([[0.0, 8.0]]).reshape(1, 1, 2, 1)
    np.testing.assert_allclose(resize_images(x, (1, 4))[0, 0, :, 0], [0.0, 2.0, 6.0, 8.0])


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3", "lanczos5",
                                           "area", "nearest"])
def test_resize_to_the_same_size_changes_nothing(interpolation):
    x = np.random.default_rng(0).integers(0, 255, (2, 5, 6, 3)).astype(np.uint8)
    np.testing.assert_allclose(resize_images(x, (5, 6), interpolation), x, atol=1e-4)


@pytest.mark.parametrize("interpolation", ["gaussian", "mitchellcubic"])
def test_smoothing_kernels_keep_constants(interpolation):
    x = np.full((1, 7, 9, 2), 42.0)
    np.testing.assert_allclose(resize_images(x, (4, 12), interpolation), 42.0, rtol=1e-5)


def test_smart_resize_crops_the_centre():
    x = np.arange(4 * 8, dtype=np.float32).reshape(4, 8, 1)
    out = smart_resize(x, (2, 2), interpolation="nearest")
    # the centred 4x4 crop is columns 2..5; nearest of 2 over 4 picks rows/cols 1 and 3
    np.testing.assert_array_equal(out[..., 0], x[[1, 3]][:, [3, 5], 0])
    assert smart_resize(np.zeros((3, 4, 8, 1)), (2, 2)).shape == (3, 2, 2, 1)
    with pytest.raises(ValueError, match="`x` must be an image"):
        smart_resize(np.zeros((4, 8)), (2, 2))


# ---------------------------------------------------------------- PIL helpers
def test_load_img_and_img_to_array_match_keras(folder):
    img = load_img(os.path.join(folder, "cats", "C.PNG"), target_size=(5, 3),
                   interpolation="bilinear", keep_aspect_ratio=True)
    np.testing.assert_array_equal(img_to_array(img), REF["load_img_bilinear_keep"])
    img = load_img(Path(folder) / "Birds" / "y.png", target_size=(4, 6))
    assert img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img), REF["load_img_gray_as_rgb_nearest"])
    with open(os.path.join(folder, "Birds", "y.png"), "rb") as f:
        gray = load_img(io.BytesIO(f.read()), color_mode="grayscale")
    assert img_to_array(gray).shape == (10, 10, 1)
    assert img_to_array(gray, data_format="channels_first").shape == (1, 10, 10)
    assert img_to_array(gray).dtype == np.float32


def test_array_to_img_matches_keras():
    x = np.asarray(REF["array_to_img_input"])
    np.testing.assert_array_equal(np.asarray(array_to_img(x)), REF["array_to_img_scaled"])
    np.testing.assert_array_equal(np.asarray(array_to_img(x * 50 + 60, scale=False)),
                                  REF["array_to_img_unscaled"])
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"


def test_save_img_round_trip(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (4, 5, 3)).astype(np.float32)
    save_img(str(tmp_path / "a.png"), x, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(str(tmp_path / "a.png"))), x)
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        save_img(tmp_path / "b.jpg", np.zeros((3, 3, 4)))
    assert Image.open(tmp_path / "b.jpg").mode == "RGB"
    buffer = io.BytesIO()
    save_img(buffer, x, file_format="png", scale=False)
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_pil_helper_errors(folder):
    with pytest.raises(TypeError, match="`path` must be a file path or an io.BytesIO"):
        load_img(3)
    with pytest.raises(ValueError, match="`color_mode` must be one of"):
        load_img(os.path.join(folder, "cats", "a.png"), color_mode="hsv")
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        load_img(os.path.join(folder, "cats", "a.png"), target_size=(2, 2),
                 interpolation="area")
    with pytest.raises(ValueError, match=r"`target_size` must be \(height, width\)"):
        load_img(os.path.join(folder, "cats", "a.png"), target_size=(2, 2, 3))
    with pytest.raises(ValueError, match="`x` must be one image"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`x` must have 1, 3 or 4 channels"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="`img` must be an image of shape"):
        img_to_array(np.zeros((2, 2, 2, 2)))


def test_keras_2_paths_are_the_same_functions():
    assert kimage.load_img is load_img and kimage.img_to_array is img_to_array
    assert kimage.array_to_img is array_to_img and kimage.save_img is save_img
    assert preprocessing.image_dataset_from_directory is image_dataset_from_directory
    from kerasite.utils import text_dataset_from_directory, timeseries_dataset_from_array

    assert preprocessing.text_dataset_from_directory is text_dataset_from_directory
    assert preprocessing.timeseries_dataset_from_array is timeseries_dataset_from_array


def test_smoothing_kernel_weights_by_hand():
    from kerasite.utils.image_utils import _resize_weights

    # at scale 1, an interior output pixel reads its own pixel and its two neighbours
    g = _resize_weights(7, 7, "gaussian")[3, 2:5]  # exp(-x^2 / (2 * 0.5^2)) at 1, 0, 1
    np.testing.assert_allclose(g, np.array([np.exp(-2), 1, np.exp(-2)]) / (1 + 2 * np.exp(-2)))
    m = _resize_weights(7, 7, "mitchellcubic")[3, 1:6]  # B = C = 1/3: 8/9 at 0, 1/18 at 1
    np.testing.assert_allclose(m, [0, 1 / 18, 8 / 9, 1 / 18, 0], atol=1e-12)
    # at the border the weights past the image are dropped and the rest renormalised
    np.testing.assert_allclose(_resize_weights(7, 7, "mitchellcubic")[0, :2],
                               np.array([8 / 9, 1 / 18]) / (8 / 9 + 1 / 18))
