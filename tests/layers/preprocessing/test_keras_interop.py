"""Real Keras 3 loads kerasite's saved preprocessing models, and kerasite loads Keras's.

Run in a subprocess with Keras 3 on JAX (see tests/test_keras_format.py). The
StringLookup round trips also need TensorFlow in that Python (Keras's string
layers are built on it); they are skipped without it.
"""

import subprocess

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Input, Model, layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402
from tests.test_keras_format import KERAS_PYTHON, needs_keras, run_keras  # noqa: E402

X = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 3)).astype("float32")


def _has_tensorflow():
    if KERAS_PYTHON is None:
        return False
    done = subprocess.run([KERAS_PYTHON, "-c", "import tensorflow"], capture_output=True)
    return done.returncode == 0


needs_tensorflow = pytest.mark.skipif(not _has_tensorflow(),
                                      reason="Keras's StringLookup needs TensorFlow, absent here")


def _normalized_model():
    norm = layers.Normalization()
    norm.adapt(X)
    inputs = Input((3,))
    return Model(inputs, layers.Dense(2)(norm(inputs)))


@pytest.mark.slow
@needs_keras
def test_keras_loads_a_kerasite_normalization_model(tmp_path):
    model = _normalized_model()
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", X)
    out = run_keras("m = keras.models.load_model(sys.argv[1]); x = np.load(sys.argv[2])\n"
                    "np.save(sys.argv[3], m.predict(x, verbose=0))\n"
                    "print(m.layers[1].mean.tolist() if hasattr(m.layers[1].mean, 'tolist') "
                    "else np.asarray(m.layers[1].mean).tolist())",
                    path, tmp_path / "x.npy", tmp_path / "y.npy")
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert np.allclose(eval(out.strip().splitlines()[-1]), model.layers[1].mean)


@pytest.mark.slow
@needs_keras
def test_kerasite_loads_a_keras_normalization_model(tmp_path):
    np.save(tmp_path / "x.npy", X)
    run_keras("x = np.load(sys.argv[1]); norm = keras.layers.Normalization(); norm.adapt(x)\n"
              "i = keras.Input((3,)); m = keras.Model(i, keras.layers.Dense(2)(norm(i)))\n"
              "m.save(sys.argv[2]); np.save(sys.argv[3], m.predict(x, verbose=0))",
              tmp_path / "x.npy", tmp_path / "k.keras", tmp_path / "y.npy")
    model = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(model.predict(X, verbose=0), np.load(tmp_path / "y.npy"),
                               rtol=1e-5, atol=1e-6)


WORDS = np.array([["cat"], ["dog"], ["cat"], ["bird"], ["zebra"]])


@needs_keras
@needs_tensorflow
def test_string_lookup_both_ways(tmp_path):
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(WORDS)
    inputs = Input((1,), dtype="string")
    model = Model(inputs, layers.Dense(1)(lookup(inputs)))
    model.save(tmp_path / "ours.keras")
    script = (
        "words = np.array([['cat'], ['dog'], ['cat'], ['bird'], ['zebra']])\n"
        "m = keras.models.load_model(sys.argv[1])\n"
        "np.save(sys.argv[2], np.asarray(m.layers[2](m.layers[1](words))))\n"
        "s = keras.layers.StringLookup(output_mode='one_hot'); s.adapt(words)\n"
        "i = keras.Input((1,), dtype='string'); k = keras.Model(i, keras.layers.Dense(1)(s(i)))\n"
        "k.save(sys.argv[3]); np.save(sys.argv[4], np.asarray(k.layers[2](k.layers[1](words))))\n")
    run_keras(script, tmp_path / "ours.keras", tmp_path / "ours.npy", tmp_path / "theirs.keras",
              tmp_path / "theirs.npy")
    np.testing.assert_allclose(np.load(tmp_path / "ours.npy"), model.predict(WORDS, verbose=0),
                               rtol=1e-5)
    theirs = load_model(tmp_path / "theirs.keras")
    assert theirs.layers[1].get_vocabulary() == ["[UNK]", "cat", "zebra", "dog", "bird"]
    np.testing.assert_allclose(theirs.predict(WORDS, verbose=0), np.load(tmp_path / "theirs.npy"),
                               rtol=1e-5)
