"""StringLookup, IntegerLookup and TextVectorization: layouts, files, models, saving, errors.

Their vocabularies and outputs against Keras 3 are in test_keras_reference.py.
"""

import numpy as np
import pytest

from kerasite import Input, Model, layers
from kerasite.models import load_model

TEXTS = np.array(["the cat sat on the mat", "the dog sat", "a cat and a dog", "mat mat mat"])


def test_ties_are_broken_by_the_greater_token_first():
    layer = layers.StringLookup()
    layer.adapt(np.array(["b", "c", "a", "c", "a"]))  # a and c twice, b once
    assert layer.get_vocabulary() == ["[UNK]", "c", "a", "b"]
    assert layer.vocabulary_size() == 4
    assert layer.get_vocabulary(include_special_tokens=False) == ["c", "a", "b"]


def test_vocabulary_from_a_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path), mask_token="")
    np.testing.assert_array_equal(layer.forward(np.array([["z", "", "q"]])), [[4, 0, 1]])
    ints = tmp_path / "ints.txt"
    ints.write_text("7\n3\n", encoding="utf-8")
    np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=str(ints)).forward(
        np.array([3, 7, 5])), [2, 1, 0])


def test_invert_maps_indices_back_to_tokens():
    forward = layers.StringLookup(vocabulary=["x", "y"])
    back = layers.StringLookup(vocabulary=["x", "y"], invert=True)
    tokens = np.array([["y", "x", "nope"]])
    assert back.forward(forward.forward(tokens)).tolist() == [["y", "x", "[UNK]"]]


def test_text_vectorization_callables():
    layer = layers.TextVectorization(standardize=lambda s: np.char.upper(s),
                                     split=lambda s: [t.split("-") for t in s])
    layer.adapt(np.array(["a-b-a", "b-c"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "A", "C"]
    np.testing.assert_array_equal(layer.forward(np.array(["c-a"])), [[4, 3]])
    with pytest.raises(ValueError, match="callable `standardize`"):
        layer.get_config()


def test_a_string_model_trains_predicts_and_round_trips(tmp_path):
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(TEXTS)
    inputs = Input(shape=(1,), dtype="string")
    hidden = layers.Flatten()(layers.Embedding(20, 3)(vectorize(inputs)))
    model = Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))
    model.compile("adam", "binary_crossentropy")
    x, y = TEXTS[:, None], np.array([1.0, 0.0, 0.0, 1.0])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    for suffix in (".kerasite", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        loaded = load_model(tmp_path / f"m{suffix}")
        assert loaded.layers[1].get_vocabulary() == vectorize.get_vocabulary()
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: layers.StringLookup(output_mode="tf_idf"),
    lambda: layers.StringLookup(output_mode="multi_hot", mask_token="", max_tokens=10,
                                pad_to_max_tokens=True),
    lambda: layers.IntegerLookup(num_oov_indices=2),
    lambda: layers.TextVectorization(output_mode="tf_idf", ngrams=2),
], ids=["string-tf_idf", "string-padded", "integer-oov2", "text-tf_idf"])
def test_adapted_lookups_round_trip_through_the_native_format(make, tmp_path):
    layer = make()
    integer = isinstance(layer, layers.IntegerLookup)
    data = np.array([[3, 1, 3], [4, 4, 4]]) if integer else (
        TEXTS if isinstance(layer, layers.TextVectorization) else
        np.array([t.split()[:3] for t in TEXTS]))
    probe = np.array([[3, 9, 1]]) if integer else data[:2]
    layer.adapt(data)
    inputs = Input(shape=probe.shape[1:], dtype="int64" if integer else "string") \
        if probe.ndim > 1 else Input(shape=(), dtype="string")
    model = Model(inputs, layer(inputs))
    model.save(tmp_path / "m.kerasite")
    loaded = load_model(tmp_path / "m.kerasite")
    np.testing.assert_allclose(loaded.predict(probe, verbose=0), model.predict(probe, verbose=0),
                               rtol=1e-6)
    assert loaded.layers[1].get_vocabulary() == layer.get_vocabulary()


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="repeated tokens"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="holds the mask token"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="more than max_tokens=3"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        layers.StringLookup(vocabulary=["a"]).adapt(np.array(["a"]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0).forward(np.array(["b"]))
    with pytest.raises(ValueError, match="needs output_mode='int'"):
        layers.StringLookup(invert=True, output_mode="one_hot")
    with pytest.raises(ValueError, match="pass `idf_weights` too"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="No file at"):
        layers.StringLookup(vocabulary=str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="has no vocabulary yet"):
        layers.StringLookup().forward(np.array(["a"]))
    with pytest.raises(TypeError, match="looks up strings"):
        layers.StringLookup(vocabulary=["a"]).forward(np.array([1, 2]))
    with pytest.raises(TypeError, match="looks up integers"):
        layers.IntegerLookup(vocabulary=[1]).forward(np.array(["a"]))
    with pytest.raises(ValueError, match="must be an integer > 1"):
        layers.IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match="`num_oov_indices` must be an integer >= 0"):
        layers.StringLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="`split` must be 'whitespace'"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="`ngrams` must be None"):
        layers.TextVectorization(ngrams=0)
    with pytest.raises(ValueError, match="applies to output_mode='int' only"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match=r"inputs of shape \(batch,\) or \(batch, 1\)"):
        layers.TextVectorization(vocabulary=["a"]).forward(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="`shape` must be a tuple of positive integers"):
        Input(shape=())
