"""Keras 3 ``.keras`` files: kerasite/saving/keras/ (issue 14).

The fixtures in tests/data/keras/ were written by Keras 3.15.1 (JAX backend) with
tests/data/keras/make_fixtures.py, together with Keras's own predictions on
fixed inputs; the tests check kerasite reproduces them within float32 rounding.
"""
import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Model, Sequential, layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "keras")
FIXTURES = ["sequential_dense", "functional_concat", "conv_bn", "functional_zoo"]
# The project machines keep Keras 3 in a venv of its own; CI installs it with the
# 'interop' extra into the test environment itself.
KERAS_VENV_PYTHON = "/work/venvs/keras/bin/python"


def _keras_python():
    """The Python that runs the Keras side of a round trip, or None.

    ``KERASITE_KERAS_PYTHON`` if set (empty: skip the round trips); else this
    one when Keras 3, JAX and h5py are installed here (found without importing
    them: Keras never enters the pytest process, nor JAX's thread pools); else
    the project's Keras venv if it exists.
    """
    if "KERASITE_KERAS_PYTHON" in os.environ:
        return os.environ["KERASITE_KERAS_PYTHON"] or None
    if all(importlib.util.find_spec(m) is not None for m in ("keras", "jax", "h5py")):
        return sys.executable
    return KERAS_VENV_PYTHON if os.path.exists(KERAS_VENV_PYTHON) else None


KERAS_PYTHON = _keras_python()
needs_keras = pytest.mark.skipif(
    KERAS_PYTHON is None,
    reason="Keras 3 with JAX is not installed (python -m pip install -e '.[interop]', or point "
           "KERASITE_KERAS_PYTHON at a Python that has them), so the round trips against real "
           "Keras are skipped")


def run_keras(script, *args, timeout=900, cwd=None):
    """Runs ``script`` (Python source) with Keras 3 on JAX in a subprocess; returns its stdout.

    One CPU device and one XLA thread pool, so the Keras side stays light on a
    shared machine; the PYTHONPATH is cleared so Keras never sees kerasite.
    """
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": "",
           "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    prelude = "import os, sys\nos.environ['KERAS_BACKEND'] = 'jax'\nimport keras, numpy as np\n"
    done = subprocess.run([KERAS_PYTHON, "-c", prelude + script, *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _fixture(name):
    return (os.path.join(DATA, f"{name}.keras"), np.load(os.path.join(DATA, f"{name}.inputs.npy")),
            np.load(os.path.join(DATA, f"{name}.expected.npy")))


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _with_config(tmp_path, name, edit):
    """A copy of fixture ``name`` whose config.json went through ``edit(config)``."""
    members = _members(_fixture(name)[0])
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    return _write(str(tmp_path / f"{name}_edited.keras"), members)


def _with_weights(tmp_path, name, edit):
    """A copy of fixture ``name`` whose model.weights.h5 went through ``edit(h5file)``."""
    members = _members(_fixture(name)[0])
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    return _write(str(tmp_path / f"{name}_edited.keras"), members)


def _layer_entry(config, class_name):
    return next(e for e in config["config"]["layers"] if e["class_name"] == class_name)


# ================================================================ Keras -> kerasite
@pytest.mark.parametrize("name", FIXTURES)
def test_reads_keras_files_with_kerases_predictions(name):
    path, x, expected = _fixture(name)
    model = load_model(path)
    # Keras computed in float32; the conv model sums 18 products per output.
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_reads_weights_by_name_in_kerases_layout():
    path, _, _ = _fixture("functional_concat")
    model = load_model(path)
    with h5py.File(io.BytesIO(_members(path)["model.weights.h5"]), "r") as f:
        # Keras orders layers by depth from the output: features, right (3 layers from
        # the output), left, right_relu, merged, head; so "right" is group "dense", "left" is
        # "dense_1" and "head" is "dense_2" (kernel (in, out), then bias).
        np.testing.assert_array_equal(model.get_layer("right").params["W"],
                                      f["layers/dense/vars/0"])
        np.testing.assert_array_equal(model.get_layer("left").params["W"],
                                      f["layers/dense_1/vars/0"])
        np.testing.assert_array_equal(model.get_layer("head").params["b"],
                                      f["layers/dense_2/vars/1"])
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Dense", "Dense", "ReLU", "Concatenate", "Dense"]


def test_a_loaded_keras_model_trains_on():
    path, x, _ = _fixture("sequential_dense")
    model = load_model(path)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# ================================================================ kerasite -> kerasite
def _seeded(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for key, w in layer.params.items():
            w[...] = rng.uniform(0.5, 1.5, w.shape) if key == "moving_variance" else \
                rng.normal(0, 0.5, w.shape)
    return model


def _models():
    seq = Sequential([layers.Dense(6, activation="tanh", input_shape=(4,)), layers.Dropout(0.5),
                      layers.Dense(3, activation="softmax", kernel_initializer="he_normal",
                                   bias_initializer="ones")])
    inputs = layers.Input((4,), name="x")
    # Branches of different depths: Keras's layer order is not the order they were made in.
    deep = layers.Dense(5, activation="relu", name="deep1")(inputs)
    deep = layers.Dense(3, name="deep2")(deep)
    shallow = layers.Dense(3, name="shallow")(inputs)
    summed = layers.Add(name="sum")([deep, shallow])
    joined = layers.Concatenate(name="join")([summed, layers.Activation("sigmoid")(shallow)])
    functional = Model(inputs, layers.Dense(2, name="out")(joined))
    conv = Sequential([
        layers.Conv2D(3, 3, padding="same", activation="relu", input_shape=(6, 6, 2)),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
        layers.Reshape((3, 9)), layers.Flatten(), layers.Dense(2)])
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    hidden = layers.Dense(4, activation="relu", name="hidden")(layers.Concatenate()([a, b]))
    two_by_two = Model([a, b], [layers.Dense(1, name="y1")(hidden),
                                layers.Dense(2, activation="softmax", name="y2")(hidden)])
    return {"sequential": (seq, (5, 4)), "functional": (functional, (5, 4)),
            "conv": (conv, (5, 6, 6, 2)), "two_by_two": (two_by_two, [(5, 3), (5, 2)])}


def _inputs(shape, seed):
    rng = np.random.default_rng(seed)
    if isinstance(shape, list):
        return [rng.normal(size=s).astype("float32") for s in shape]
    return rng.normal(size=shape).astype("float32")


def _as_list(predictions):
    return list(predictions) if isinstance(predictions, (list, tuple)) else [predictions]


@pytest.mark.parametrize("kind", ["sequential", "functional", "conv", "two_by_two"])
def test_kerasite_round_trip_predicts_the_same(tmp_path, kind):
    model, shape = _models()[kind]
    _seeded(model)
    x = _inputs(shape, 1)
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert sorted(_members(path)) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = _as_list(load_model(path).predict(x, verbose=0))
    for got, want in zip(loaded, _as_list(model.predict(x, verbose=0)), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow
@needs_keras
def test_keras_reads_kerasite_files(tmp_path):
    # Keras loads each file, predicts, and runs one epoch of fit on it.
    script = (
        "for stem in sys.argv[1:]:\n"
        "    model = keras.models.load_model(stem + '.keras')\n"
        "    with np.load(stem + '.x.npz') as f:\n"
        "        x = [f[k] for k in sorted(f.files)]\n"
        "    x = x[0] if len(x) == 1 else x\n"
        "    y = model.predict(x, verbose=0)\n"
        "    y = list(y) if isinstance(y, (list, tuple)) else [y]\n"
        "    np.savez(stem + '.y.npz', *[np.asarray(v) for v in y])\n"
        "    model.compile(optimizer='sgd', loss='mse')\n"
        "    model.fit(x, y[0] if len(y) == 1 else y, epochs=1, verbose=0)\n")
    stems, expected = [], {}
    for kind, (model, shape) in _models().items():
        _seeded(model)
        x = _as_list(_inputs(shape, 2))
        stem = str(tmp_path / kind)
        model.save(stem + ".keras")
        np.savez(stem + ".x.npz", *x)
        stems.append(stem)
        expected[stem] = _as_list(model.predict(x[0] if len(x) == 1 else x, verbose=0))
    run_keras(script, *stems)
    for stem in stems:
        with np.load(stem + ".y.npz") as f:
            got = [f[f"arr_{i}"] for i in range(len(f.files))]
        assert len(got) == len(expected[stem]), stem
        for g, e in zip(got, expected[stem]):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


# ================================================================ refused on export
class _Unmapped(layers.Layer):
    """A layer of the user's own, which no Keras class stands for."""

    def __init__(self, **kwargs):
        super().__init__(name=kwargs.pop("name", "unmapped"), **kwargs)


@pytest.mark.parametrize("make, match", [
    (lambda: Sequential([_Unmapped(input_shape=(3,))]),
     r"'unmapped.*' \(_Unmapped\) cannot be written .* does not map _Unmapped"),
    (lambda: Sequential([layers.GELU(approximate=True, input_shape=(3,))]),
     r"GELU\(approximate=True\) is not mapped to Keras yet"),
    (lambda: Sequential([layers.Dense(2, kernel_initializer="identity", input_shape=(2,))]),
     r"`kernel_initializer` Identity is not mapped to Keras yet"),
    (lambda: Sequential([layers.Dense(2)]), r"unbuilt Sequential"),
])
def test_unmapped_models_are_refused_before_any_file_is_written(tmp_path, make, match):
    path = tmp_path / "m.keras"
    with pytest.raises(ValueError, match=match):
        make().save(str(path))
    assert os.listdir(tmp_path) == []


def test_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    model = _models()["sequential"][0]
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"in your kerasite clone, python -m pip install -e '\.\[keras\]' "
                                          r"\(or pip install h5py\)"):
        model.save(str(tmp_path / "m.keras"))
    with pytest.raises(ImportError, match=r"in your kerasite clone, python -m pip install -e '\.\[keras\]' "
                                          r"\(or pip install h5py\)"):
        load_model(_fixture("sequential_dense")[0])
    # kerasite's own format never needs h5py.
    model.save(str(tmp_path / "m.kerasite"))
    assert load_model(str(tmp_path / "m.kerasite")).count_params() == model.count_params()


# ================================================================ hostile files
def _lambda(config):
    entry = _layer_entry(config, "Dropout")
    entry["class_name"] = "Lambda"
    entry["config"] = {"name": "evil", "function": {"class_name": "__lambda__",
                                                   "config": {"code": "b'...'"}}}


def _unknown(config):
    _layer_entry(config, "Dropout")["class_name"] = "MultiHeadAttention"


def _module(config):
    _layer_entry(config, "Dropout")["module"] = "os"


def _registered(config):
    _layer_entry(config, "Dropout")["registered_name"] = "my_package>Evil"


def _initializer_module(config):
    _layer_entry(config, "Dense")["config"]["kernel_initializer"]["module"] = "subprocess"


def _regularizer(config):
    _layer_entry(config, "Dense")["config"]["kernel_regularizer"] = {
        "module": "keras.regularizers", "class_name": "OrthogonalRegularizer",
        "config": {"factor": 0.01}, "registered_name": None}


def _huge_units(config):
    _layer_entry(config, "Dense")["config"]["units"] = 10**12


def _model_module(config):
    config["module"] = "evil.models"


def _huge_input(config):
    # A Dense layer would allocate a (10**9, 8) kernel before the file's (5, 8) is compared.
    _layer_entry(config, "InputLayer")["config"]["batch_shape"] = [None, 10**9]


@pytest.mark.parametrize("edit, match", [
    (_lambda, r"layer type 'Lambda' is not supported: it holds code"),
    (_unknown, r"layer type 'MultiHeadAttention' is not supported"),
    (_module, r"names module 'os'. kerasite never imports code named in a file"),
    (_registered, r"custom object registered as 'my_package>Evil'"),
    (_initializer_module, r"`kernel_initializer`.* names module 'subprocess'"),
    (_regularizer, r"`kernel_regularizer`: regularizer 'OrthogonalRegularizer' is not supported"),
    (_huge_units, r"has shape \(5, 8\), but the layer's config implies \(5, 1000000000000\)"),
    (_model_module, r"The model names module 'evil.models'"),
    (_huge_input, r"input shape \[None, 1000000000\] has 1000000000 values per sample, more "
                  r"than kerasite.saving.keras.MAX_INPUT_FEATURES=16777216"),
])
def test_hostile_configs_are_refused(tmp_path, edit, match):
    with pytest.raises(ValueError, match=match):
        load_model(_with_config(tmp_path, "sequential_dense", edit))


def _wrong_shape(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars"].create_dataset("0", data=np.zeros((5, 7), "float32"))


def _huge_dataset(f):
    # Declared, never written: the file stays small while the shape claims 4 TB.
    del f["layers/dense/vars/0"]
    f["layers/dense/vars"].create_dataset("0", shape=(2**20, 2**20), dtype="float32")


def _external_link(f):
    del f["layers/dense"]
    f["layers/dense"] = h5py.ExternalLink("/etc/passwd", "/")


def _integer_weights(f):
    del f["layers/dense/vars/1"]
    f["layers/dense/vars"].create_dataset("1", data=np.zeros(8, "int64"))


def _extra_dataset(f):
    f["layers/dense/vars"].create_dataset("2", data=np.zeros(8, "float32"))


@pytest.mark.parametrize("edit, match", [
    (_wrong_shape, r"Weight 0 of layer 'dense.*' .* has shape \(5, 7\), but the layer's config "
                   r"implies \(5, 8\)"),
    (_huge_dataset, r"has shape \(1048576, 1048576\)"),
    (_external_link, r"links layer .* elsewhere \(ExternalLink\)"),
    (_integer_weights, r"is not a float array \(int64\)"),
    (_extra_dataset, r"holds 3 weights for layer .*; its config implies 2"),
])
def test_hostile_weight_files_are_refused(tmp_path, edit, match):
    with pytest.raises(ValueError, match=match):
        load_model(_with_weights(tmp_path, "sequential_dense", edit))


def test_a_huge_dataset_is_refused_even_without_a_build_config(tmp_path):
    members = _members(_fixture("sequential_dense")[0])
    config = json.loads(members["config.json"])
    for entry in config["config"]["layers"]:
        entry.pop("build_config", None)
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        _huge_dataset(f)
    members["model.weights.h5"] = buffer.getvalue()
    with pytest.raises(ValueError, match=r"declares shape \(1048576, 1048576\) \(4398046511104 "
                                         r"bytes\), more than the whole weights file holds"):
        load_model(_write(str(tmp_path / "m.keras"), members))


def test_not_a_zip_and_stray_members_are_refused(tmp_path):
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(OSError, match=r"not a .keras archive"):
        load_model(str(junk))
    members = _members(_fixture("sequential_dense")[0])
    members["assets/payload.bin"] = b"x"
    with pytest.raises(ValueError, match=r"unexpected member\(s\) \['assets/payload.bin'\]"):
        load_model(_write(str(tmp_path / "m.keras"), members))


# ================================================================ Keras 3's legacy .h5
@pytest.mark.parametrize("name", ["functional_concat", "conv_bn"])
def test_reads_kerases_legacy_h5_files(name):
    _, x, expected = _fixture(name)
    model = load_model(os.path.join(DATA, f"{name}.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def _edited_h5(tmp_path, edit):
    with open(os.path.join(DATA, "functional_concat.h5"), "rb") as src:
        buffer = io.BytesIO(src.read())
    with h5py.File(buffer, "r+") as f:
        edit(f)
    path = tmp_path / "edited.h5"
    path.write_bytes(buffer.getvalue())
    return str(path)


def _escaping_weight_name(f):
    f["model_weights/left"].attrs["weight_names"] = np.array([b"../right/right/kernel",
                                                              b"left/bias"], dtype=object)


def _huge_h5_dataset(f):
    del f["model_weights/left/left/kernel"]
    f["model_weights/left/left"].create_dataset("kernel", shape=(2**20, 2**20), dtype="float32")


def _h5_lambda(f):
    config = json.loads(f.attrs["model_config"])
    _layer_entry(config, "ReLU")["class_name"] = "Lambda"
    f.attrs["model_config"] = json.dumps(config)


def _h5_huge_units(f):
    config = json.loads(f.attrs["model_config"])
    _layer_entry(config, "Dense")["config"]["units"] = 10**12
    f.attrs["model_config"] = json.dumps(config)


def _keras_1(f):
    f.attrs["keras_version"] = "1.2.2"


def _weights_only(f):
    del f.attrs["model_config"]


@pytest.mark.parametrize("edit, match", [
    (_escaping_weight_name, r"Weight name '../right/right/kernel' of layer 'left' .* is not a "
                            r"plain path"),
    # Keras's .h5 config carries no build_config, so the size bound is what catches it.
    (_huge_h5_dataset, r"declares shape \(1048576, 1048576\) \(4398046511104 bytes\), more "
                       r"than the whole weights file holds"),
    (_h5_lambda, r"layer type 'Lambda' is not supported"),
    (_h5_huge_units, r"layer 'right' asks for 1000000000000 units, filters or entries, but its "
                     r"first weight in the file has shape \(4, 3\)"),
    (_keras_1, r"written by Keras 1.2.2; kerasite reads .h5 files from tf.keras 2 and Keras 3"),
    (_weights_only, r"holds no model_config, so it is not a whole-model .h5 file. For a "
                    r"weights-only file, build the model and call model.load_weights"),
])
def test_hostile_h5_files_are_refused(tmp_path, edit, match):
    with pytest.raises(ValueError, match=match):
        load_model(_edited_h5(tmp_path, edit))


def test_an_h5_that_is_not_hdf5_is_refused(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x89HDF? no")
    with pytest.raises(OSError, match=r"not an HDF5 file"):
        load_model(str(junk))


# ================================================================ hostile: nested models, compile
def _compiled_keras_file(tmp_path):
    """A kerasite-written .keras file: an Autoencoder (nested models), compiled, one Adam step."""
    from kerasite.models import Autoencoder

    ae = Autoencoder.dense(input_shape=(6,), hidden=(4,), latent_dim=2)
    ae.compile(optimizer="adam", loss="mse")
    ae.train_on_batch(np.ones((2, 6), "float32"))
    path = str(tmp_path / "ae.keras")
    ae.save(path)
    return path


def _edit_members(tmp_path, source, config_edit=None, weights_edit=None):
    members = _members(source)
    if config_edit is not None:
        config = json.loads(members["config.json"])
        config_edit(config)
        members["config.json"] = json.dumps(config).encode()
    if weights_edit is not None:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "r+") as f:
            weights_edit(f)
        members["model.weights.h5"] = buffer.getvalue()
    return _write(str(tmp_path / "edited.keras"), members)


def _nested(config, name):
    return next(e for e in config["config"]["layers"] if e["name"] == name)


def _nested_lambda(config):
    _nested(config, "encoder")["config"]["layers"][1]["class_name"] = "Lambda"


def _nested_unknown(config):
    _nested(config, "decoder")["config"]["layers"][0]["class_name"] = "ConvLSTM2D"


def _nested_module(config):
    _nested(config, "encoder")["module"] = "my_models"


def _loss_module(config):
    config["compile_config"]["loss"]["module"] = "evil.losses"


def _ema(config):
    config["compile_config"]["optimizer"]["config"]["ema_overwrite_frequency"] = 0.5


def _schedule(config):
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = {
        "module": "my.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}}


def _unknown_schedule(config):
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = {
        "module": "keras.optimizers.schedules", "class_name": "WarmupThenDecay",
        "config": {"steps": 10}}


@pytest.mark.parametrize("edit, match", [
    (_nested_lambda, r"layer type 'Lambda' is not supported: it holds code"),
    (_nested_unknown, r"layer type 'ConvLSTM2D' is not supported"),
    (_nested_module, r"Nested model 'encoder' names module 'my_models'"),
    (_loss_module, r"The loss names module 'evil.losses'"),
    (_ema, r"optimizer .* is not supported \(`ema_overwrite_frequency` must be an integer"),
    (_schedule, r"The learning-rate schedule names module 'my.schedules'"),
    (_unknown_schedule, r"learning-rate schedule 'WarmupThenDecay' is not supported .* Load it "
                        r"with compile=False"),
])
def test_hostile_configs_with_nested_models_or_compile_settings_are_refused(tmp_path, edit,
                                                                             match):
    path = _edit_members(tmp_path, _compiled_keras_file(tmp_path), config_edit=edit)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def _optimizer_extra(f):
    group = f["optimizer/vars"]
    group.create_dataset(str(len(group)), data=np.zeros(3, "float32"))


def _optimizer_slot_shape(f):
    del f["optimizer/vars/2"]
    f["optimizer/vars"].create_dataset("2", data=np.zeros((5, 5), "float32"))


def _optimizer_nan(f):
    data = f["optimizer/vars/3"][()]
    data.flat[0] = np.nan
    del f["optimizer/vars/3"]
    f["optimizer/vars"].create_dataset("3", data=data)


def _optimizer_negative_step(f):
    del f["optimizer/vars/0"]
    f["optimizer/vars"].create_dataset("0", data=np.int64(-5))


def _optimizer_huge(f):
    del f["optimizer/vars/2"]
    f["optimizer/vars"].create_dataset("2", shape=(2**20, 2**20), dtype="float32")


def _optimizer_link(f):
    del f["optimizer/vars/2"]
    f["optimizer/vars/2"] = h5py.ExternalLink("/etc/passwd", "/")


def _nested_weights_missing(f):
    del f["layers/sequential"]


@pytest.mark.parametrize("edit, match", [
    (_optimizer_extra, r"holds 19 variables, but Adam for this model has 18 in Keras"),
    (_optimizer_slot_shape, r"Weight 2 of the optimizer .* has shape \(5, 5\), but the layer's "
                            r"config implies \(6, 4\)"),
    (_optimizer_nan, r"optimizer variable 'v/0' holds NaN or infinite values"),
    (_optimizer_negative_step, r"the step count in the optimizer .* is negative"),
    (_optimizer_huge, r"has shape \(1048576, 1048576\)"),
    (_optimizer_link, r"Weight 2 of the optimizer .* is missing or a link"),
    (_nested_weights_missing, r"no group for the nested model 'encoder' \('layers/sequential'\)"),
])
def test_hostile_optimizer_and_nested_weights_are_refused(tmp_path, edit, match):
    path = _edit_members(tmp_path, _compiled_keras_file(tmp_path), weights_edit=edit)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def test_compile_false_skips_the_optimizer_of_a_keras_file(tmp_path):
    path = _edit_members(tmp_path, _compiled_keras_file(tmp_path),
                         weights_edit=_optimizer_nan)
    model = load_model(path, compile=False)
    assert model.optimizer is None and model.get_layer("encoder").built


def test_a_reference_to_a_nested_models_own_graph_is_refused(tmp_path):
    # Keras counts a nested functional model's own graph as its call 0 (so the outer
    # model's call is 1); a tensor from call 0 would come from inside the nested model.
    inner_in = layers.Input((3,))
    inner = Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    outer_in = layers.Input((3,))
    outer = Model(outer_in, inner(outer_in))
    outer.save(str(tmp_path / "m.keras"))
    config = json.loads(_members(str(tmp_path / "m.keras"))["config.json"])
    assert config["config"]["output_layers"] == ["inner", 1, 0]

    def edit(config):
        config["config"]["output_layers"] = ["inner", 0, 0]
    path = _edit_members(tmp_path, str(tmp_path / "m.keras"), config_edit=edit)
    with pytest.raises(ValueError, match=r"refers to call 0 of the nested model 'inner', its "
                                         r"own graph"):
        load_model(path)
