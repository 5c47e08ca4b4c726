"""The 1D, depthwise and separable layers round-tripped against real Keras 3 (JAX backend).

Both directions, for ``.keras``, ``.h5`` and ``.weights.h5``, each direction in one
Keras subprocess (tests/test_keras_format.py's ``run_keras``):

* kerasite -> Keras: kerasite saves models holding every new layer; Keras loads
  them and predicts what kerasite predicts (and reads a ``.weights.h5`` with
  other values into the same architecture).
* Keras -> kerasite: Keras builds the same kinds of models with random weights
  and saves them with its predictions; kerasite loads them and predicts the same.

Without Keras the module is skipped.
"""

import json

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Sequential, constraints, layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402
from tests.test_keras_format import needs_keras, run_keras  # noqa: E402

pytestmark = needs_keras

TOL = {"rtol": 2e-5, "atol": 2e-6}  # float32 on both sides; sums of a few dozen products


def _kerasite_models():
    """name -> (model, input shape)."""
    seq1d = Sequential([
        layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu",
                      input_shape=(12, 3)),
        layers.SpatialDropout1D(0.3, seed=1),
        layers.Conv1D(4, 3, strides=2, padding="same", groups=2, kernel_regularizer="l2"),
        layers.MaxPooling1D(2, padding="same"), layers.UpSampling1D(3),
        layers.ZeroPadding1D((1, 2)), layers.Cropping1D((2, 1)),
        layers.AveragePooling1D(3, strides=1, padding="same"),
        layers.SeparableConv1D(5, 3, depth_multiplier=2, padding="same", activation="tanh",
                               pointwise_constraint=constraints.MaxNorm(3.0)),
        layers.Conv1DTranspose(3, 3, strides=2, padding="same"),
        layers.GlobalAveragePooling1D(), layers.Dense(2)], name="seq1d")
    pooled = Sequential([
        layers.Conv1DTranspose(3, 2, input_shape=(7, 2)), layers.Conv1D(3, 2, strides=2),
        layers.AveragePooling1D(2), layers.GlobalMaxPooling1D(keepdims=True), layers.Flatten(),
        layers.Dense(2)], name="pooled")
    sep2d = Sequential([
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu",
                               depthwise_regularizer="l1", input_shape=(6, 6, 2)),
        layers.SpatialDropout2D(0.2, seed=2),
        layers.SeparableConv2D(4, 3, strides=2, depthwise_initializer="he_uniform"),
        layers.DepthwiseConv2D(2, use_bias=False), layers.Flatten(), layers.Dense(2)],
        name="sep2d")
    return {"seq1d": (seq1d, (12, 3)), "pooled": (pooled, (7, 2)), "sep2d": (sep2d, (6, 6, 2))}


def _seeded(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model._leaf_layers():
        for w in layer.params.values():
            w[...] = rng.normal(0, 0.5, w.shape)
    return model


_KERAS_READS = """
import json
jobs = json.load(open(sys.argv[1]))
for job in jobs:
    x = np.load(job["x"])
    model = keras.models.load_model(job["file"])
    if job.get("weights"):
        model.load_weights(job["weights"])
    np.save(job["out"], model.predict(x, verbose=0))
print("done")
"""


@pytest.fixture(scope="module")
def kerasite_to_keras(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conv1d_to_keras")
    jobs, expected = [], {}
    for name, (model, shape) in _kerasite_models().items():
        _seeded(model)
        x = np.random.default_rng(1).normal(size=(4, *shape)).astype("float32")
        stem = str(tmp / name)
        np.save(stem + ".x.npy", x)
        model.save(stem + ".keras")
        model.save(stem + ".h5")
        expected[name] = model.predict(x, verbose=0)
        _seeded(model, seed=1)  # other values, so Keras must read them from the weights file
        model.save_weights(stem + ".weights.h5")
        expected[name + "_weights"] = model.predict(x, verbose=0)
        for fmt in ("keras", "h5"):
            jobs.append({"file": f"{stem}.{fmt}", "x": stem + ".x.npy",
                         "out": f"{stem}_{fmt}.pred.npy"})
        jobs.append({"file": stem + ".keras", "weights": stem + ".weights.h5",
                     "x": stem + ".x.npy", "out": f"{stem}_weights.pred.npy"})
    with open(tmp / "jobs.json", "w") as f:
        json.dump(jobs, f)
    run_keras(_KERAS_READS, tmp / "jobs.json")
    return tmp, expected


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seq1d", "pooled", "sep2d"])
@pytest.mark.parametrize("fmt", ["keras", "h5", "weights"])
def test_keras_predicts_what_kerasite_saved(kerasite_to_keras, name, fmt):
    tmp, expected = kerasite_to_keras
    got = np.load(tmp / f"{name}_{fmt}.pred.npy")
    want = expected[name + "_weights" if fmt == "weights" else name]
    np.testing.assert_allclose(got, want, **TOL)


_KERAS_WRITES = """
out_dir = sys.argv[1]
L = keras.layers
rng = np.random.default_rng(5)
models = {
    "seq1d": keras.Sequential([
        keras.Input((12, 3)),
        L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"),
        L.SpatialDropout1D(0.3),
        L.Conv1D(4, 3, strides=2, padding="same", groups=2),
        L.MaxPooling1D(2, padding="same"), L.UpSampling1D(3), L.ZeroPadding1D((1, 2)),
        L.Cropping1D((2, 1)), L.AveragePooling1D(3, strides=1, padding="same"),
        L.SeparableConv1D(5, 3, depth_multiplier=2, padding="same", activation="tanh",
                          depthwise_regularizer=keras.regularizers.L2(0.01)),
        L.Conv1DTranspose(3, 3, strides=2, padding="same"),
        L.GlobalAveragePooling1D(), L.Dense(2)], name="seq1d"),
    "pooled": keras.Sequential([
        keras.Input((7, 2)), L.Conv1DTranspose(3, 2, dilation_rate=2), L.Conv1D(3, 2, strides=2),
        L.MaxPooling1D(2, strides=1), L.GlobalMaxPooling1D(keepdims=True), L.Flatten(),
        L.Dense(2)], name="pooled"),
    "sep2d": keras.Sequential([
        keras.Input((6, 6, 2)),
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu",
                          depthwise_constraint=keras.constraints.NonNeg()),
        L.SpatialDropout2D(0.2),
        L.SeparableConv2D(4, 3, strides=2, pointwise_initializer="he_normal"),
        L.DepthwiseConv2D(2, use_bias=False), L.Flatten(), L.Dense(2)], name="sep2d"),
}
for name, model in models.items():
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    x = rng.normal(size=(4, *model.input_shape[1:])).astype("float32")
    np.save(f"{out_dir}/{name}.x.npy", x)
    np.save(f"{out_dir}/{name}.pred.npy", model.predict(x, verbose=0))
    model.save(f"{out_dir}/{name}.keras")
    model.save(f"{out_dir}/{name}.h5")
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    model.save_weights(f"{out_dir}/{name}.weights.h5")
    np.save(f"{out_dir}/{name}.pred_weights.npy", model.predict(x, verbose=0))
print("done")
"""


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_conv1d")
    run_keras(_KERAS_WRITES, tmp)
    return tmp


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seq1d", "pooled", "sep2d"])
@pytest.mark.parametrize("fmt", ["keras", "h5", "weights"])
def test_kerasite_predicts_what_keras_saved(keras_files, name, fmt):
    x = np.load(keras_files / f"{name}.x.npy")
    model = load_model(str(keras_files / f"{name}.{'h5' if fmt == 'h5' else 'keras'}"))
    want = np.load(keras_files / f"{name}.pred.npy")
    if fmt == "weights":
        model.load_weights(str(keras_files / f"{name}.weights.h5"))
        want = np.load(keras_files / f"{name}.pred_weights.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), want, **TOL)
