"""Writes tests/data/preprocessing_keras_reference.json: Keras 3's outputs for the
preprocessing layers. Run with Keras 3 on JAX; the string layers (StringLookup,
IntegerLookup, TextVectorization, Hashing) need TensorFlow installed next to it:

    KERAS_BACKEND=jax python tests/layers/preprocessing/make_keras_reference.py

The tests only read the file; they never import keras. Each entry is
``{"layer": class name, "config": kwargs, "adapt": data or null, "input": ...,
"training": bool, "output": ..., "vocabulary"/"mean"/...: state}``.
"""

import json
import pathlib

import numpy as np


def _plain(value):
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return [_plain(v) for v in value] if value.ndim else (
            value.item().decode() if isinstance(value.item(), bytes) else value.item())
    return value.tolist()


def _call(layer, x):
    # Keras on JAX cannot turn the string tensors of an inverted lookup into JAX arrays:
    # the layer's own call returns TensorFlow's, read as NumPy.
    from keras.src.layers.preprocessing.index_lookup import IndexLookup

    return np.asarray(IndexLookup.call(layer, x))


def main():
    import keras
    from keras import layers

    out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": []}
    cases = out["cases"]
    rng = np.random.default_rng(0)

    def run(name, config, x, adapt=None, training=False, state=(), call=None):
        layer = getattr(layers, name)(**config)
        if adapt is not None:
            layer.adapt(adapt if not isinstance(adapt, list) else iter(adapt))
        y = layer(x, training=training) if call is None else call(layer, x)
        entry = {"layer": name, "config": config, "input": _plain(x), "training": training,
                 "output": _plain(y),
                 "adapt": None if adapt is None else (
                     {"batches": [_plain(a) for a in adapt]} if isinstance(adapt, list)
                     else _plain(adapt))}
        for key in state:
            value = getattr(layer, key)
            entry[key] = _plain(value() if callable(value) else value)
        cases.append(entry)

    # ------------------------------------------------------------- Normalization
    data = rng.normal(2.0, 3.0, (20, 3, 4))
    probe = rng.normal(size=(2, 3, 4))
    for axis in (-1, 1, (1, 2), None):
        run("Normalization", {"axis": axis}, probe, adapt=data, state=("mean", "variance"))
    run("Normalization", {"axis": -1}, probe, adapt=[data[:7], data[7:15], data[15:]],
        state=("mean", "variance"))
    run("Normalization", {"axis": -1, "invert": True}, probe, adapt=data,
        state=("mean", "variance"))
    run("Normalization", {"axis": -1, "mean": [1.0, 2.0, 3.0, 4.0],
                          "variance": [1.0, 4.0, 9.0, 0.0]}, probe, state=("mean", "variance"))
    # ------------------------------------------------------------ Discretization
    values = rng.normal(size=(40, 3))
    small = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    for mode in ("int", "one_hot", "multi_hot", "count"):
        run("Discretization", {"bin_boundaries": [-0.5, 0.0, 1.0], "output_mode": mode},
            small, state=("bin_boundaries",))
    run("Discretization", {"num_bins": 4, "epsilon": 0.01}, small, adapt=small,
        state=("bin_boundaries",))
    run("Discretization", {"num_bins": 5}, values[:4], adapt=values, state=("bin_boundaries",))
    run("Discretization", {"num_bins": 3, "epsilon": 0.1}, values[:4],
        adapt=[values[:25], values[25:]], state=("bin_boundaries",))
    # ---------------------------------------------------------- CategoryEncoding
    for mode in ("one_hot", "multi_hot", "count"):
        for ids in (np.array([0, 1, 3]), np.array([[0], [2]]), np.array([[0, 1, 1], [3, 3, 2]]),
                    np.array([[[0, 1], [1, 1]], [[2, 3], [3, 3]]])):
            run("CategoryEncoding", {"num_tokens": 4, "output_mode": mode}, ids)
    # ------------------------------------------------------------------- Hashing
    words = np.array([["A"], ["B"], [""], ["hello"], ["a longer string of words"],
                      ["x" * 17], ["y" * 33], ["z" * 64], ["q" * 65], ["w" * 200], ["naïve café"],
                      ["ünïcödé 漢字"]])
    for config in ({"num_bins": 7}, {"num_bins": 7, "mask_value": ""}, {"num_bins": 7, "salt": 133},
                   {"num_bins": 11, "salt": [5, 7]}, {"num_bins": 1}):
        run("Hashing", config, words)
    run("Hashing", {"num_bins": 5}, np.array([[1, 22, 333], [-4, 0, 123456789]]))
    run("Hashing", {"num_bins": 5, "output_mode": "count"}, np.array([["a", "b", "a"]]))
    run("Hashing", {"num_bins": 5, "output_mode": "one_hot"}, np.array([["a"], ["b"]]))
    # ------------------------------------------------------------------ lookups
    tokens = np.array([["b", "a", "c", "a"], ["d", "b", "e", "a"], ["c", "c", "f", "f"]])
    probe = np.array([["a", "f", "zz", "b"], ["", "e", "d", "qq"]])
    for config in ({}, {"max_tokens": 4}, {"mask_token": ""}, {"num_oov_indices": 2},
                   {"num_oov_indices": 0, "max_tokens": 20}, {"oov_token": "?"},
                   {"output_mode": "multi_hot"}, {"output_mode": "count", "mask_token": ""},
                   {"output_mode": "one_hot"}, {"output_mode": "tf_idf"},
                   {"output_mode": "multi_hot", "max_tokens": 10, "pad_to_max_tokens": True}):
        x = probe[:, :1] if config.get("output_mode") == "one_hot" else probe
        if config.get("num_oov_indices") == 0:
            x = np.array([["a", "b"], ["c", "f"]])
        run("StringLookup", config, x, adapt=tokens, state=("get_vocabulary",))
    run("StringLookup", {"vocabulary": ["x", "y", "z"], "mask_token": "", "num_oov_indices": 3},
        np.array([["x", "", "w", "why", "z", "xyz"]]), state=("get_vocabulary",))
    run("StringLookup", {"vocabulary": ["", "[UNK]", "x", "y"], "mask_token": ""},
        np.array([["x", "y", "u", ""]]), state=("get_vocabulary",))
    run("StringLookup", {"vocabulary": ["x", "y", "z"], "invert": True, "mask_token": ""},
        np.array([[0, 1, 2, 3, 4, 9]]), state=("get_vocabulary",), call=_call)
    run("StringLookup", {"vocabulary": ["x", "y"], "output_mode": "tf_idf",
                         "idf_weights": [0.5, 2.0]},
        np.array([["x", "x", "y", "q"]]), state=("get_vocabulary",))
    ints = np.array([[12, 36, 12, 7], [7, 7, 36, 99], [5, 12, 0, 0]])
    for config in ({}, {"mask_token": 0}, {"num_oov_indices": 3}, {"output_mode": "multi_hot"},
                   {"output_mode": "count", "max_tokens": 4}, {"oov_token": -7}):
        run("IntegerLookup", config, np.array([[12, 0, 1000, 7], [99, 5, 36, 37]]), adapt=ints,
            state=("get_vocabulary",))
    run("IntegerLookup", {"vocabulary": [12, 36, 1138, 42], "invert": True},
        np.array([[0, 1, 2, 4, 8]]), state=("get_vocabulary",), call=_call)
    # -------------------------------------------------------- TextVectorization
    corpus = np.array(["The quick brown fox.", "The lazy dog!", "A quick, quick dog; a fox?",
                       "  Spaces   and\ttabs\nnewlines  ", "CAPS and ÉCOLE café", "",
                       "don't stop-believing"])
    probe = np.array(["the quick dog", "unknown words here", "a fox a fox a fox"])
    for config in ({}, {"output_sequence_length": 4}, {"max_tokens": 6},
                   {"standardize": "lower"}, {"standardize": "strip_punctuation"},
                   {"standardize": None}, {"split": "character", "output_sequence_length": 8},
                   {"ngrams": 2}, {"ngrams": (1, 3)},
                   {"output_mode": "multi_hot"}, {"output_mode": "count", "max_tokens": 8},
                   {"output_mode": "tf_idf"}, {"output_mode": "tf_idf", "ngrams": 2},
                   {"output_mode": "multi_hot", "max_tokens": 12, "pad_to_max_tokens": True},
                   {"split": None, "standardize": None}):
        x = probe if config.get("split", "whitespace") is not None else \
            np.array(["The lazy dog!", "nope", ""])
        run("TextVectorization", config, x, adapt=corpus, state=("get_vocabulary",))
    run("TextVectorization", {"vocabulary": ["cat", "dog"], "output_sequence_length": 3},
        np.array([["Cat dog bird"], ["dog"]]), state=("get_vocabulary",))
    # ------------------------------------------------------------ image layers
    img = rng.uniform(0, 255, (2, 5, 7, 3)).round(3)
    for config in ({"height": 3, "width": 4}, {"height": 8, "width": 11},
                   {"height": 3, "width": 4, "interpolation": "nearest"},
                   {"height": 8, "width": 11, "interpolation": "bicubic"},
                   {"height": 4, "width": 4, "crop_to_aspect_ratio": True},
                   {"height": 6, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 1.0}):
        run("Resizing", config, img)
    for config in ({"height": 3, "width": 4}, {"height": 4, "width": 7}, {"height": 6, "width": 9},
                   {"height": 2, "width": 9}):
        run("CenterCrop", config, img)
    small = np.arange(2 * 4 * 5 * 1, dtype="float64").reshape(2, 4, 5, 1) * 3.0
    for fill in ("constant", "reflect", "wrap", "nearest"):
        run("RandomRotation", {"factor": (0.25, 0.25), "fill_mode": fill}, small, training=True)
        run("RandomRotation", {"factor": (0.125, 0.125), "fill_mode": fill}, small, training=True)
        run("RandomTranslation", {"height_factor": (0.25, 0.25), "width_factor": (-0.2, -0.2),
                                  "fill_mode": fill}, small, training=True)
        run("RandomZoom", {"height_factor": (0.5, 0.5), "fill_mode": fill}, small, training=True)
        run("RandomZoom", {"height_factor": (-0.5, -0.5), "width_factor": (0.25, 0.25),
                           "fill_mode": fill, "interpolation": "nearest"}, small, training=True)
    run("RandomBrightness", {"factor": (0.1, 0.1)}, small, training=True)
    run("RandomBrightness", {"factor": (-0.5, -0.5), "value_range": (0, 60)}, small, training=True)
    run("RandomCrop", {"height": 3, "width": 3}, img, training=False)
    run("RandomCrop", {"height": 6, "width": 9}, img, training=True)

    path = pathlib.Path(__file__).parents[2] / "data" / "preprocessing_keras_reference.json"
    path.write_text(json.dumps(out, indent=None, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
