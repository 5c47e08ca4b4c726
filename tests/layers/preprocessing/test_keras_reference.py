"""Every preprocessing layer against Keras 3 on the same inputs.

The expected values are in tests/data/preprocessing_keras_reference.json, computed with
Keras 3.15.1 on JAX (TensorFlow 2.21 for the string ops it needs) by
tests/layers/preprocessing/make_keras_reference.py: outputs, vocabularies, statistics
and bin boundaries. The random augmentations appear with degenerate factor ranges
(a fixed angle, zoom or shift), where Keras's output does not depend on its random
stream.
"""

import json
import pathlib

import numpy as np
import pytest

from kerasite import layers

REFERENCE = json.loads((pathlib.Path(__file__).parents[2] / "data" /
                        "preprocessing_keras_reference.json").read_text())
CASES = REFERENCE["cases"]


def _id(case):
    config = ",".join(f"{k}={v}" for k, v in case["config"].items())
    return f"{case['layer']}({config})"


def _array(value):
    array = np.array(value)
    return array.astype(object) if array.dtype.kind == "U" else array


def _assert_close(got, want, label):
    want = np.array(want)
    got = np.asarray(got)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, Keras {want.shape}"
    if want.dtype.kind in "UO":
        assert got.tolist() == want.tolist(), label
    else:
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-5, atol=2e-4,
                                   err_msg=label)


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{_id(c)}" for i, c in enumerate(CASES)])
def test_matches_keras(case):
    layer = getattr(layers, case["layer"])(**case["config"])
    adapt = case["adapt"]
    if adapt is not None:
        if isinstance(adapt, dict):  # an iterable of batches: a generator here
            layer.adapt(_array(batch) for batch in adapt["batches"])
        else:
            layer.adapt(_array(adapt))
    out = layer.forward(_array(case["input"]), training=case["training"])
    _assert_close(out, case["output"], "output")
    for key in ("mean", "variance", "bin_boundaries", "get_vocabulary"):
        if key in case:
            value = getattr(layer, key)
            _assert_close(value() if callable(value) else value, case[key], key)


def test_the_reference_covers_every_preprocessing_layer():
    covered = {case["layer"] for case in CASES}
    assert covered >= {"Normalization", "Discretization", "CategoryEncoding", "Hashing",
                       "StringLookup", "IntegerLookup", "TextVectorization", "Resizing",
                       "CenterCrop", "RandomRotation", "RandomTranslation", "RandomZoom",
                       "RandomBrightness", "RandomCrop"}
