"""Tests of Autoencoder.conv in kerasite/models/autoencoder.py."""

import numpy as np
import pytest

from kerasite import layers
from kerasite.models import Autoencoder, load_model


@pytest.mark.parametrize("input_shape, filters, latent_dim, code", [
    ((8, 8), (16, 8), 32, (None, 32)),        # the bundled digits: 8 -> 4 -> 2
    ((28, 28), (16, 8, 8), None, (None, 128)),  # the Keras blog's 4x4x8 code
    ((7, 9, 3), (4,), 5, (None, 5)),          # odd sizes and colour channels
])
@pytest.mark.slow
def test_shapes_round_trip(input_shape, filters, latent_dim, code):
    ae = Autoencoder.conv(input_shape=input_shape, filters=filters, latent_dim=latent_dim)
    assert ae.encoder.output_shape == code
    assert ae.decoder.output_shape == (None, *input_shape)
    x = np.random.default_rng(0).random((3, *input_shape), dtype=np.float32)
    assert ae.reconstruct(x).shape == x.shape
    assert ae.encode(x).shape == (3, code[1])


def test_layout_mirrors_the_encoder():
    ae = Autoencoder.conv(input_shape=(8, 8), filters=(16, 8), latent_dim=32)
    inner = [*ae.encoder.layers, *ae.decoder.layers]
    assert [type(layer).__name__ for layer in ae.layers] == ["InputLayer", "Encoder", "Decoder"]
    names = [type(layer).__name__ for layer in inner]
    assert names == ["Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense", "Dense", "Reshape", "UpSampling2D", "Conv2D", "UpSampling2D",
                     "Conv2D", "Conv2D", "Reshape"]
    assert [layer.filters for layer in inner if isinstance(layer, layers.Conv2D)] == \
        [16, 8, 8, 16, 1]
    odd = Autoencoder.conv(input_shape=(7, 9, 3), filters=(4,), latent_dim=5)
    crop = [layer for layer in odd.decoder.layers if isinstance(layer, layers.Cropping2D)]
    assert crop and crop[0].cropping == ((0, 1), (0, 1))  # 7 -> 4 -> 8 and 9 -> 5 -> 10


@pytest.mark.slow
def test_trains_and_round_trips_through_save(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((32, 8, 8), dtype=np.float32)
    ae = Autoencoder.conv(input_shape=(8, 8), filters=(4, 2), latent_dim=6)
    ae.compile(optimizer="adam", loss="mse")
    history = ae.fit(x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    ae.save(tmp_path / "ae.kerasite")
    loaded = load_model(tmp_path / "ae.kerasite")
    np.testing.assert_array_equal(loaded.encode(x), ae.encode(x))


@pytest.mark.parametrize("kwargs, message", [
    ({"filters": ()}, r"`filters` must hold at least one filter count.*Received: filters=\(\)"),
    ({"filters": (16, 0)}, r"`filters` must be a tuple of positive integers.*filters=\(16, 0\)"),
    ({"latent_dim": 0}, r"`latent_dim` must be a positive integer or None\. Received: "
                        r"latent_dim=0"),
    ({"input_shape": (784,)}, r"`input_shape` must be \(height, width\) or \(height, width, "
                              r"channels\).*Received: input_shape=\(784,\)"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Autoencoder.conv(**kwargs)
