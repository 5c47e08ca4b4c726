"""Resizing, CenterCrop and the random augmentations: invariants, seeds, gradients, errors.

Keras 3's pixels for Resizing, CenterCrop and the augmentations at fixed
factors are checked in test_keras_reference.py.
"""

import numpy as np
import pytest

from kerasite import Input, Model, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers.preprocessing.image import resize_weights

IMAGES = np.random.default_rng(0).uniform(0, 255, size=(4, 6, 8, 3)).astype("float32")

AUGMENTATIONS = [
    lambda f, **k: layers.RandomRotation(f, **k),
    lambda f, **k: layers.RandomZoom(f, **k),
    lambda f, **k: layers.RandomTranslation(f, f, **k),
    lambda f, **k: layers.RandomContrast(f, **k),
    lambda f, **k: layers.RandomBrightness(f, **k),
]
IDS = ["rotation", "zoom", "translation", "contrast", "brightness"]


@pytest.mark.parametrize("make", AUGMENTATIONS, ids=IDS)
def test_identity_at_inference_and_with_factor_zero(make):
    np.testing.assert_array_equal(make(0.3, seed=1).forward(IMAGES, training=False), IMAGES)
    np.testing.assert_array_equal(make(0.0, seed=1).forward(IMAGES, training=True), IMAGES)


@pytest.mark.parametrize("make", AUGMENTATIONS + [lambda f, **k: layers.RandomFlip(**k)],
                         ids=IDS + ["flip"])
def test_a_seed_repeats_and_epochs_differ(make):
    a, b = make(0.3, seed=7), make(0.3, seed=7)
    first = a.forward(IMAGES, training=True)
    np.testing.assert_array_equal(first, b.forward(IMAGES, training=True))
    assert not np.array_equal(first, IMAGES)
    a.set_epoch(1)
    b.set_epoch(0)
    assert not np.array_equal(a.forward(IMAGES, training=True), first)
    np.testing.assert_array_equal(b.forward(IMAGES, training=True), first)


def test_flip_of_a_known_image():
    image = np.arange(6.0).reshape(1, 2, 3, 1)
    flips = [layers.RandomFlip("horizontal", seed=s).forward(image, training=True)[0, :, :, 0]
             for s in range(8)]
    seen = {tuple(f.ravel()) for f in flips}
    assert seen == {(0, 1, 2, 3, 4, 5), (2, 1, 0, 5, 4, 3)}
    vertical = {tuple(layers.RandomFlip("vertical", seed=s).forward(image, training=True).ravel())
                for s in range(8)}
    assert vertical == {(0, 1, 2, 3, 4, 5), (3, 4, 5, 0, 1, 2)}


def test_invariants():
    rng_images = IMAGES
    bright = layers.RandomBrightness(0.5, seed=2).forward(rng_images, training=True)
    assert bright.min() >= 0 and bright.max() <= 255
    low = layers.RandomContrast(0.5, value_range=(-1e9, 1e9), seed=3).forward(rng_images,
                                                                            training=True)
    np.testing.assert_allclose(low.mean(axis=(1, 2)), rng_images.mean(axis=(1, 2)), rtol=1e-4)
    half_turn = layers.RandomRotation((0.5, 0.5), interpolation="nearest")
    np.testing.assert_allclose(half_turn.forward(rng_images, training=True),
                               rng_images[:, ::-1, ::-1], atol=1e-3)
    crop = layers.RandomCrop(4, 5, seed=4).forward(rng_images, training=True)
    assert crop.shape == (4, 4, 5, 3)
    windows = [rng_images[:, i:i + 4, j:j + 5] for i in range(3) for j in range(4)]
    assert any(np.array_equal(crop, w) for w in windows)
    np.testing.assert_array_equal(layers.RandomCrop(4, 5).forward(rng_images), rng_images)


def test_resize_weights_rows_sum_to_one_and_upsampling_interpolates():
    for interpolation in ("bilinear", "bicubic", "lanczos3", "nearest"):
        w = resize_weights(5, 9, interpolation)
        np.testing.assert_allclose(w.sum(axis=1), 1.0)
    ramp = np.arange(4.0).reshape(1, 1, 4, 1)
    out = layers.Resizing(1, 8).forward(ramp)[0, 0, :, 0]
    np.testing.assert_allclose(out, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


@pytest.mark.parametrize("make", [
    lambda: layers.Resizing(4, 5, "bicubic"), lambda: layers.Resizing(3, 3, pad_to_aspect_ratio=True),
    lambda: layers.CenterCrop(3, 4), lambda: layers.RandomFlip(seed=3),
    lambda: layers.RandomCrop(3, 4, seed=3), lambda: layers.RandomBrightness(0.2, seed=1),
], ids=["resize", "resize-pad", "center-crop", "flip", "crop", "brightness"])
def test_training_gradients(make, float64):
    rng = np.random.default_rng(5)
    inputs = Input((5, 6, 2))
    layer = make()
    model = Model(inputs, layers.Dense(2)(layers.Flatten()(layer(inputs))))
    x = rng.uniform(0, 1, size=(2, 5, 6, 2))
    y = rng.normal(size=(2, 2))
    report = check_gradients(model, x, y, "mse", training=True)
    assert report.max_rel_diff < 1e-6, report


def test_errors():
    with pytest.raises(ValueError, match="does not back-propagate in training"):
        layer = layers.RandomRotation(0.2, seed=1)
        layer.forward(IMAGES, training=True)
        layer.backward(IMAGES)
    with pytest.raises(ValueError, match="takes images"):
        layers.Resizing(2, 2).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="`height` must be a positive integer"):
        layers.CenterCrop(0, 2)
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        layers.Resizing(2, 2, interpolation="area")
    with pytest.raises(ValueError, match="Pass only one of"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="`fill_mode` must be one of"):
        layers.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="`factor` must be a number or a pair"):
        layers.RandomRotation("big")
    with pytest.raises(ValueError, match="lower <= upper"):
        layers.RandomTranslation((0.3, 0.1), 0.1)
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
        layers.RandomBrightness(1.5)
    with pytest.raises(ValueError, match="`value_range` must be a pair"):
        layers.RandomContrast(0.2, value_range=(1, 0))
    with pytest.raises(ValueError, match="`mode` must be one of"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="`data_format` must be 'channels_last'"):
        layers.RandomFlip(data_format="channels_first")
