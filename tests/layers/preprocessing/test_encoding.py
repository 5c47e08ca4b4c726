"""Discretization, CategoryEncoding and Hashing: hashes, shapes, saving and errors.

Their outputs against Keras 3 are in test_keras_reference.py.
"""

import numpy as np
import pytest

from kerasite import Input, Model, layers
from kerasite.layers.preprocessing._hashing import fingerprint64, siphash24
from kerasite.models import load_model

# FarmHash Fingerprint64 of these strings, from Google's C++ implementation (the
# pyfarmhash 0.5.1 bindings): every length class of the algorithm is covered.
FINGERPRINTS = {"": 11160318154034397263, "a": 12917804110809363939,
                "hello": 13009744463427800296, "x" * 17: 11306081951414300581,
                "y" * 40: 276292113409495006, "z" * 100: 9220849947163966073,
                "naïve café": 10985537734658424218}


@pytest.mark.parametrize("text", list(FINGERPRINTS), ids=lambda t: f"len{len(t)}")
def test_fingerprint64_matches_farmhash(text):
    assert fingerprint64(text) == FINGERPRINTS[text]


def test_siphash24_matches_the_reference_vector():
    # The SipHash paper's test vector: key 00 01 .. 0f, message 00 01 .. 0e.
    key = bytes(range(16))
    digest = siphash24(int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little"),
                       bytes(range(15)))
    assert digest == 0xA129CA6149BE45E5


def test_hashing_strings_and_integers_hash_alike():
    # An integer is hashed as its decimal string, as TensorFlow's as_string writes it.
    layer = layers.Hashing(97)
    np.testing.assert_array_equal(layer.forward(np.array([[12], [-3]])),
                                  layer.forward(np.array([["12"], ["-3"]])))


def test_hashing_mask_goes_to_bin_zero_only():
    out = layers.Hashing(4, mask_value="").forward(np.array(["", "a", "b", "c", "d", "e"]))
    assert out[0] == 0 and np.all(out[1:] >= 1)


def test_category_encoding_count_weights_and_binary_alias():
    layer = layers.CategoryEncoding(3, output_mode="count")
    np.testing.assert_allclose(layer.call(np.array([[0, 2, 2]]), count_weights=np.array(
        [[0.5, 1.0, 2.0]])), [[0.5, 0.0, 3.0]])
    assert layers.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"


def test_discretization_adapted_boundaries_are_saved(tmp_path):
    layer = layers.Discretization(num_bins=4)
    data = np.random.default_rng(0).normal(size=(50, 2))
    layer.adapt(data)
    inputs = Input((2,))
    model = Model(inputs, layers.CategoryEncoding(4, "multi_hot")(layer(inputs)))
    for suffix in (".kerasite", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        loaded = load_model(tmp_path / f"m{suffix}")
        assert loaded.layers[1].bin_boundaries == layer.bin_boundaries
        np.testing.assert_array_equal(loaded.predict(data, verbose=0),
                                      model.predict(data, verbose=0))


def test_no_gradient_through_ids():
    layer = layers.Hashing(3)
    layer.forward(np.array([["a"]]))
    assert layer.backward(np.ones((1, 1)), need_input_grad=False) is None
    with pytest.raises(ValueError, match="have no gradient"):
        layer.backward(np.ones((1, 1)))


def test_errors():
    with pytest.raises(ValueError, match="`num_tokens` must be an integer >= 1"):
        layers.CategoryEncoding(0)
    with pytest.raises(ValueError, match="`output_mode` must be one of"):
        layers.CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"takes ids in \[0, num_tokens\)"):
        layers.CategoryEncoding(3).forward(np.array([[3]]))
    with pytest.raises(ValueError, match="takes integer ids"):
        layers.CategoryEncoding(3).forward(np.array([[0.5]]))
    with pytest.raises(ValueError, match="`sparse=True` is not supported"):
        layers.CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="Received neither"):
        layers.Discretization()
    with pytest.raises(ValueError, match="sorted list of numbers"):
        layers.Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="adapt needs `num_bins`"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="has no bin boundaries yet"):
        layers.Discretization(num_bins=3).forward(np.ones((1, 1)))
    with pytest.raises(ValueError, match="`epsilon` must be a number in"):
        layers.Discretization(num_bins=3, epsilon=2)
    with pytest.raises(ValueError, match="`num_bins` must be a positive integer"):
        layers.Hashing(0)
    with pytest.raises(ValueError, match="`salt` must be an integer or a pair"):
        layers.Hashing(3, salt=[1, 2, 3])
