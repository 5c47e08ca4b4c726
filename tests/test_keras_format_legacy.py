"""tf.keras 2 ``.h5`` files, kerasite's own ``.h5`` and ``.weights.h5`` files, and hostile ones.

The tf.keras 2 fixtures were written by TensorFlow 2.21 with ``tf_keras`` 2.21
(Keras 2) by tests/data/keras/make_tf_keras_fixtures.py, with Keras 2's own
predictions on fixed inputs. These tests need h5py only, not Keras.
"""
import io
import json
import os

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Model, Sequential, layers  # noqa: E402
from kerasite.models import Autoencoder, load_model  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "keras")
TF_KERAS_2 = ["tf_keras2_sequential", "tf_keras2_functional_conv"]


def _fixture(name):
    return (os.path.join(DATA, f"{name}.h5"), np.load(os.path.join(DATA, f"{name}.inputs.npy")),
            np.load(os.path.join(DATA, f"{name}.expected.npy")))


def _edited(tmp_path, source, edit, name="edited.h5"):
    with open(source, "rb") as f:
        buffer = io.BytesIO(f.read())
    with h5py.File(buffer, "r+") as f:
        edit(f)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def _edit_config(edit):
    def apply(f):
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config)
    return apply


# ===================================================================== tf.keras 2
@pytest.mark.parametrize("name", TF_KERAS_2)
def test_reads_tf_keras_2_files_with_their_predictions(name):
    path, x, expected = _fixture(name)
    model = load_model(path)
    # Keras 2 computed in float32 on TensorFlow; the conv model sums 18 products per output.
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_a_tf_keras_2_file_comes_back_compiled_and_trains_on():
    path, x, _ = _fixture("tf_keras2_sequential")
    model = load_model(path)
    # training_config names the optimizer "Custom>Adam" (Keras 2's registered name).
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(1e-3)
    # The L2 regularizer of the first Dense layer comes along (0.01, stored in float32).
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(0.01)
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert load_model(path, compile=False).optimizer is None


def _strip_modules(config):
    # Older Keras 2 files name initializers without `module`, and the input shape on the
    # first layer only (no InputLayer entry).
    config["config"]["layers"] = config["config"]["layers"][1:]
    for entry in config["config"]["layers"]:
        for key, value in entry["config"].items():
            if isinstance(value, dict):
                value.pop("module", None)
                value.pop("registered_name", None)


def test_reads_the_older_keras_2_dialect(tmp_path):
    path, x, expected = _fixture("tf_keras2_sequential")
    model = load_model(_edited(tmp_path, path, _edit_config(_strip_modules)))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def _call_kwargs(config):
    entry = next(e for e in config["config"]["layers"] if e["name"] == "conv")
    entry["inbound_nodes"][0][0][3] = {"training": True}


def _renorm(config):
    entry = next(e for e in config["config"]["layers"] if e["name"] == "bn")
    entry["config"]["renorm"] = True


@pytest.mark.parametrize("edit, match", [
    (_call_kwargs, r"Layer 'conv' is called with \['training'\], which kerasite does not read"),
    (_renorm, r"Layer 'bn' \(BatchNormalization\): option `renorm`=True is not supported; "
              r"kerasite reads only renorm=False"),
])
def test_keras_2_configs_kerasite_cannot_read_are_refused(tmp_path, edit, match):
    path = _fixture("tf_keras2_functional_conv")[0]
    with pytest.raises(ValueError, match=match):
        load_model(_edited(tmp_path, path, _edit_config(edit)))


# ===================================================================== kerasite's .h5
def _seeded(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model._leaf_layers():
        for key, w in layer.params.items():
            w[...] = rng.uniform(0.5, 1.5, w.shape) if key == "moving_variance" else \
                rng.normal(0, 0.5, w.shape)
    return model


def _models():
    inputs = layers.Input((4,), name="x")
    left = layers.Dense(3, activation="relu", name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    branches = Model(inputs, layers.Dense(2, name="out")(layers.Add()([left, right])))
    conv = Sequential([layers.Conv2D(2, 3, input_shape=(5, 5, 1)), layers.BatchNormalization(),
                       layers.Flatten(), layers.Dense(2)])
    ae = Autoencoder.dense(input_shape=(6,), hidden=(4,), latent_dim=2)
    # A functional encoder nested in a functional model: Keras counts its own graph as call 0.
    code_in = layers.Input((6,))
    encoder = Model(code_in, layers.Dense(2, name="code")(code_in), name="enc")
    outer_in = layers.Input((6,), name="outer")
    nested = Model(outer_in, layers.Dense(1, name="score")(encoder(outer_in)))
    return {"branches": (branches, (4,)), "conv": (conv, (5, 5, 1)), "ae": (ae, (6,)),
            "nested_functional": (nested, (6,))}


@pytest.mark.parametrize("kind", ["branches", "conv", "ae", "nested_functional"])
@pytest.mark.parametrize("extension", [".h5", ".keras"])
def test_kerasite_round_trip_through_kerases_formats(tmp_path, kind, extension):
    model, shape = _models()[kind]
    _seeded(model)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(3, *shape)).astype("float32")
    path = str(tmp_path / f"m{extension}")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.optimizer).__name__ == "Adam"


def test_an_h5_autoencoder_keeps_its_encoder_usable_alone(tmp_path):
    ae = _seeded(Autoencoder.dense(input_shape=(6,), hidden=(4,), latent_dim=2))
    ae.save(str(tmp_path / "ae.h5"))
    with h5py.File(tmp_path / "ae.h5", "r") as f:
        # Keras's legacy layout: the nested model's weights under its own name.
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["model_weights/encoder"].attrs["weight_names"]]
        first, second = (layer.name for layer in ae.encoder.layers)
        assert names == [f"encoder/{first}/kernel", f"encoder/{first}/bias",
                         f"encoder/{second}/kernel", f"encoder/{second}/bias"]
    x = np.random.default_rng(2).normal(size=(3, 6)).astype("float32")
    encoder = load_model(str(tmp_path / "ae.h5")).get_layer("encoder")
    np.testing.assert_array_equal(encoder.predict(x, verbose=0), ae.encode(x))


# ===================================================================== .weights.h5
def test_weights_h5_round_trip_in_kerases_layout(tmp_path):
    model, _ = _models()["conv"]
    _seeded(model, 3)
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        # Keras 3's names: layers/<snake-case class>[_k]/vars/<i>, kernel then bias.
        np.testing.assert_array_equal(f["layers/conv2d/vars/0"], model.layers[0].params["W"])
        np.testing.assert_array_equal(f["layers/batch_normalization/vars/3"],
                                      model.layers[1].params["moving_variance"])
    other, _ = _models()["conv"]
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _wrong_shape(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars"].create_dataset("0", data=np.zeros((18, 3), "float32"))


def _missing(f):
    del f["layers/batch_normalization"]


def _huge(f):
    del f["layers/dense/vars/0"]
    # (contiguous, as Keras writes: a chunked layout is refused before its shape is read)
    f["layers/dense/vars"].create_dataset("0", shape=(2**20, 2**20), dtype="float32")


def _soft_link(f):
    del f["layers/dense/vars/1"]
    f["layers/dense/vars/1"] = h5py.SoftLink("/layers/conv2d/vars/1")


def _ints(f):
    del f["layers/dense/vars/1"]
    f["layers/dense/vars"].create_dataset("1", data=np.zeros(2, "int32"))


@pytest.mark.parametrize("edit, match", [
    (_wrong_shape, r"Weight 0 of layer 'dense.*\) has shape \(18, 3\), but the layer's config "
                   r"implies \(18, 2\)"),
    (_missing, r"no group for layer 'batch_normalization"),
    (_huge, r"has shape \(1048576, 1048576\)"),
    (_soft_link, r"Weight 1 of layer 'dense.* is missing or a link"),
    (_ints, r"is not a float array \(int32\)"),
])
def test_hostile_weights_h5_files_are_refused_and_change_nothing(tmp_path, edit, match):
    model, _ = _models()["conv"]
    _seeded(model)
    model.save_weights(str(tmp_path / "w.weights.h5"))
    path = _edited(tmp_path, tmp_path / "w.weights.h5", edit, "bad.weights.h5")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=match):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


# ===================================================================== hostile .h5
def _nested_escape(f):
    f["model_weights/encoder"].attrs["weight_names"] = [b"encoder/../../x", b"a/b"]


def _nested_huge_units(f):
    config = json.loads(f.attrs["model_config"])
    encoder = next(e for e in config["config"]["layers"] if e["name"] == "encoder")
    encoder["config"]["layers"][1]["config"]["units"] = 10**12
    f.attrs["model_config"] = json.dumps(config)


def _nested_lambda(f):
    config = json.loads(f.attrs["model_config"])
    encoder = next(e for e in config["config"]["layers"] if e["name"] == "encoder")
    encoder["config"]["layers"][1]["class_name"] = "Lambda"
    f.attrs["model_config"] = json.dumps(config)


def _nested_module(f):
    config = json.loads(f.attrs["model_config"])
    next(e for e in config["config"]["layers"] if e["name"] == "decoder")["module"] = "evil"
    f.attrs["model_config"] = json.dumps(config)


def _training_config_module(f):
    training = json.loads(f.attrs["training_config"])
    training["optimizer_config"]["module"] = "os"
    f.attrs["training_config"] = json.dumps(training)


def _unknown_optimizer(f):
    training = json.loads(f.attrs["training_config"])
    training["optimizer_config"]["class_name"] = "Muon"
    f.attrs["training_config"] = json.dumps(training)


@pytest.mark.parametrize("edit, match", [
    (_nested_escape, r"Weight name 'encoder/../../x' of layer 'encoder' .* is not a plain path"),
    (_nested_huge_units, r"layer 'dense.*' asks for 1000000000000 units, filters or entries, "
                         r"but its first weight in the file has shape \(6, 4\)"),
    (_nested_lambda, r"layer type 'Lambda' is not supported: it holds code"),
    (_nested_module, r"Nested model 'decoder' names module 'evil'"),
    (_training_config_module, r"The optimizer names module 'os'"),
    (_unknown_optimizer, r"optimizer 'Muon' is not supported .* Load it with compile=False"),
])
def test_hostile_h5_files_with_nested_models_are_refused(tmp_path, edit, match):
    ae = _seeded(Autoencoder.dense(input_shape=(6,), hidden=(4,), latent_dim=2))
    ae.compile(optimizer="adam", loss="mse")
    ae.save(str(tmp_path / "ae.h5"))
    with pytest.raises(ValueError, match=match):
        load_model(_edited(tmp_path, tmp_path / "ae.h5", edit))


def test_an_unknown_optimizer_loads_with_compile_false(tmp_path):
    ae = _seeded(Autoencoder.dense(input_shape=(6,), hidden=(4,), latent_dim=2))
    ae.compile(optimizer="adam", loss="mse")
    ae.save(str(tmp_path / "ae.h5"))
    model = load_model(_edited(tmp_path, tmp_path / "ae.h5", _unknown_optimizer), compile=False)
    assert model.optimizer is None


def test_an_embedding_asking_for_a_huge_table_is_refused_before_building(tmp_path):
    model = Sequential([layers.Embedding(10, 3, input_shape=(4,)), layers.Flatten(),
                        layers.Dense(1)])
    model.save(str(tmp_path / "m.h5"))

    def huge(config):
        config["config"]["layers"][1]["config"]["input_dim"] = 10**12
    path = _edited(tmp_path, tmp_path / "m.h5", _edit_config(huge))
    with pytest.raises(ValueError, match=r"layer 'embedding.*' asks for 1000000000000, 3 units, "
                                         r"filters or entries, but its first weight in the file "
                                         r"has shape \(10, 3\)"):
        load_model(path)
