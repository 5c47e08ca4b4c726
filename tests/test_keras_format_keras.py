"""Round trips against real Keras 3 (JAX backend), both ways, for .keras, .h5 and .weights.h5.

Each direction runs Keras once, in a subprocess (tests/test_keras_format.py's
``run_keras``), for every model at once: JAX starts in a few seconds, and
never inside the pytest process. Without Keras the module is skipped.

* kerasite -> Keras: kerasite trains, saves; Keras loads, predicts the same,
  takes one more step (the compiled ``.keras`` files carry the optimizer, so it
  must be the step kerasite takes next) and fits one epoch.
* Keras -> kerasite: Keras builds, fits and saves; kerasite loads, predicts
  the same, takes the step Keras took next, and fits.
"""
import json
import os

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Model, Sequential, constraints, layers, optimizers  # noqa: E402
from kerasite.models import Autoencoder, load_model  # noqa: E402
from tests.test_keras_format import needs_keras, run_keras  # noqa: E402

pytestmark = needs_keras

# float32 on both sides; sums of a few dozen products.
TOL = {"rtol": 2e-5, "atol": 2e-6}
# One optimizer step from the same state: Keras's fused XLA kernels and NumPy round differently.
STEP_TOL = {"rtol": 1e-4, "atol": 1e-6}


def _data(shape, outputs, seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, *shape)).astype("float32"), \
        rng.normal(size=(n, outputs)).astype("float32")


def _seeded(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model._leaf_layers():
        for key, w in layer.params.items():
            w[...] = rng.uniform(0.5, 1.5, w.shape) if key == "moving_variance" else \
                rng.normal(0, 0.5, w.shape)
    return model


# ===================================================================== kerasite -> Keras
def _kerasite_models():
    """name -> (model, input shape, outputs, optimizer, loss, next step comparable)."""
    seq = Sequential([
        layers.Dense(6, activation="tanh", input_shape=(4,), kernel_regularizer="l2",
                     kernel_constraint=constraints.MaxNorm(2.0)),
        layers.Dropout(0.5), layers.Dense(3, activation="softmax")], name="seq")
    inputs = layers.Input((4,), name="x")
    deep = layers.Dense(5, activation="relu", name="deep1")(inputs)
    deep = layers.Dense(3, name="deep2", bias_regularizer="l1")(deep)
    shallow = layers.Dense(3, name="shallow")(inputs)
    summed = layers.Add(name="sum")([deep, shallow])
    joined = layers.Concatenate(name="join")([summed, layers.Activation("sigmoid")(shallow)])
    branches = Model(inputs, layers.Dense(2, name="out")(joined), name="branches")
    conv = Sequential([
        layers.Conv2D(3, 3, padding="same", activation="relu", input_shape=(6, 6, 2)),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Flatten(), layers.Dense(2)], name="conv")
    conv_step = Sequential([
        layers.Conv2D(2, 3, input_shape=(5, 5, 1)), layers.BatchNormalization(),
        layers.Flatten(), layers.Dense(2)], name="conv_step")
    ae = Autoencoder.dense(input_shape=(6,), hidden=(5,), latent_dim=2, name="ae")
    spatial = Sequential([
        layers.ZeroPadding2D(((1, 0), (2, 1)), input_shape=(5, 4, 2)),
        layers.Conv2D(3, 2, strides=2, activation="elu"), layers.AveragePooling2D(2, 1),
        layers.UpSampling2D((2, 3)), layers.Cropping2D(((1, 0), (0, 2))), layers.Flatten(),
        layers.Dense(2)], name="spatial")
    # Every initializer kerasite maps, with its options set: Keras must rebuild each one.
    from kerasite import initializers as init
    features = layers.Input((3,), name="features")
    inits = [init.Zeros(), init.Ones(), init.Constant(0.3), init.GlorotUniform(seed=1),
             init.GlorotNormal(seed=2), init.HeNormal(seed=3), init.HeUniform(seed=4),
             init.LecunNormal(seed=5), init.LecunUniform(seed=6), init.Orthogonal(0.5, seed=7),
             init.RandomNormal(0.1, 0.2, seed=8), init.RandomUniform(-0.1, 0.2, seed=9),
             init.TruncatedNormal(0.0, 0.3, seed=10),
             init.VarianceScaling(2.0, "fan_out", "uniform", seed=11)]
    branches_of_inits = [layers.Dense(2, kernel_initializer=i, bias_initializer=init.Constant(0.1),
                                      name=f"init_{k}")(features) for k, i in enumerate(inits)]
    initialized = Model(features, layers.Dense(1, name="sum")(
        layers.Concatenate()(branches_of_inits)), name="inits")
    # The other layers and every activation kerasite maps.
    image = layers.Input((4, 4, 2), name="image")
    flat = layers.Concatenate()([layers.GlobalAveragePooling2D()(image),
                                 layers.GlobalMaxPooling2D()(image)])
    flat = layers.Rescaling(0.5, offset=0.1)(layers.GaussianNoise(0.3, seed=1)(flat))
    flat = layers.ActivityRegularization(0.01, 0.02)(layers.GaussianDropout(0.2, seed=2)(flat))
    # Normalized along the 4 features: the repeats are constant along the other axis.
    steps = layers.RepeatVector(3)(flat)
    steps = layers.LayerNormalization()(layers.PReLU(alpha_initializer="ones")(steps))
    flat = layers.ELU(0.7)(layers.Flatten()(layers.Permute((2, 1))(steps)))  # (4, 3)
    acts = [layers.Dense(2, activation=name, name=f"act_{name}")(flat) for name in
            ("gelu", "hard_sigmoid", "mish", "relu6", "leaky_relu", "elu", "selu", "silu")]
    acts += [cls()(layers.Dense(2)(flat)) for cls in
             (layers.Sigmoid, layers.Tanh, layers.Softplus, layers.Softsign, layers.Linear,
              layers.SELU, layers.SiLU, layers.GELU, layers.HardSigmoid, layers.Exponential,
              layers.Mish)]
    extras = Model(image, layers.Dense(2)(layers.Concatenate()(acts)), name="extras")
    deconv = Sequential([
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu",
                               input_shape=(3, 3, 2)),
        layers.Conv2DTranspose(2, 2, use_bias=False), layers.Flatten(), layers.Dense(2)],
        name="deconv")
    embed = Sequential([layers.Embedding(10, 3, input_shape=(5,)), layers.Flatten(),
                        layers.Dense(2)], name="embed")
    return {
        "deconv": (deconv, (3, 3, 2), 2, optimizers.Adam(0.01), "mse", True),
        "embed": (embed, (5,), 2, optimizers.RMSprop(0.01), "mse", True),
        "extras": (extras, (4, 4, 2), 2, optimizers.SGD(0.01), "mse", False),
        "inits": (initialized, (3,), 1, optimizers.SGD(0.01), "mse", False),
        "spatial": (spatial, (5, 4, 2), 2, optimizers.Adamax(0.01), "mae", True),
        "seq": (seq, (4,), 3, optimizers.Adam(0.01), "categorical_crossentropy", False),
        "branches": (branches, (4,), 2, optimizers.RMSprop(0.01, momentum=0.5, centered=True),
                     "mse", True),
        "conv": (conv, (6, 6, 2), 2, optimizers.SGD(0.05, momentum=0.9), "mse", False),
        "conv_step": (conv_step, (5, 5, 1), 2, optimizers.SGD(0.05, momentum=0.9,
                                                                nesterov=True), "mse", True),
        "ae": (ae, (6,), 6, optimizers.Adam(0.01, amsgrad=True), "mse", True),
    }


# Every optimizer Keras has, on one small model: its slots must land where Keras's are.
OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_momentum": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(0.01),
    "adam_amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.01),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    # A schedule is no optimizer variable in Keras: the next step's rate comes from its config.
    "sgd_exponential": lambda: optimizers.SGD(
        optimizers.schedules.ExponentialDecay(0.1, 1, 0.5), momentum=0.5),
    "adam_cosine": lambda: optimizers.Adam(optimizers.schedules.CosineDecay(0.01, 4)),
    "lion": lambda: optimizers.Lion(0.01, weight_decay=0.1),
    "ftrl": lambda: optimizers.Ftrl(0.1, l1_regularization_strength=0.01,
                                    l2_shrinkage_regularization_strength=0.01),
    "adafactor": lambda: optimizers.Adafactor(0.1),
    "adam_ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9,
                                        ema_overwrite_frequency=3),
    # Two calls of three summed when saved: Keras's next call applies their mean.
    "sgd_accumulation": lambda: optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=3),
    "adam_loss_scale": lambda: optimizers.Adam(0.01, loss_scale_factor=64.0),
}

_KERAS_SIDE_OF_KERASITE_FILES = """
import json
jobs = json.load(open(sys.argv[1]))
out = {}
for job in jobs:
    with np.load(job["data"]) as d:
        x, y = d["x"], d["y"]
    model = keras.models.load_model(job["file"])
    result = {"compiled": model.compiled if hasattr(model, "compiled") else None}
    if job["file"].endswith(".keras") and job.get("weights"):
        model.load_weights(job["weights"])
    np.save(job["stem"] + ".keras_pred.npy", model.predict(x, verbose=0))
    if job.get("step"):
        result["optimizer"] = type(model.optimizer).__name__
        model.train_on_batch(x, y)
        model.save(job["stem"] + ".after.keras")
    if job.get("fit"):
        model = keras.models.load_model(job["file"])
        if not model.compiled:
            model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        result["loss"] = float(history.history["loss"][-1])
    out[job["stem"]] = result
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def kerasite_to_keras(tmp_path_factory):
    """kerasite writes every model in every format; Keras reads them all, in one process."""
    tmp = tmp_path_factory.mktemp("kerasite_to_keras")
    jobs, cases = [], {}
    for name, (model, shape, outputs, optimizer, loss, step) in _kerasite_models().items():
        _seeded(model)
        x, y = _data(shape, outputs, seed=1)
        if name == "embed":  # indices into the table, as floats (Keras casts them too)
            x = np.random.default_rng(1).integers(0, 10, size=x.shape).astype("float32")
        model.compile(optimizer=optimizer, loss=loss)
        model.train_on_batch(x, y)  # so the optimizer holds state worth carrying over
        stem = str(tmp / name)
        np.savez(stem + ".npz", x=x, y=y)
        model.save(stem + ".keras")
        model.save(stem + ".h5")
        cases[name] = {"predict": model.predict(x, verbose=0), "model": model, "x": x, "y": y}
        jobs.append({"stem": stem + "_keras", "file": stem + ".keras", "data": stem + ".npz",
                     "step": step, "fit": True})
        jobs.append({"stem": stem + "_h5", "file": stem + ".h5", "data": stem + ".npz",
                     "fit": True})
        # Weights alone: other values than the .keras file's, so Keras must take them.
        model.train_on_batch(x, y)
        model.save_weights(stem + ".weights.h5")
        jobs.append({"stem": stem + "_weights", "file": stem + ".keras", "data": stem + ".npz",
                     "weights": stem + ".weights.h5"})
        cases[name]["predict_weights"] = model.predict(x, verbose=0)
    for name, make in OPTIMIZERS.items():
        model = _seeded(Sequential([layers.Dense(5, activation="tanh", input_shape=(4,)),
                                    layers.Dense(2)], name=name))
        x, y = _data((4,), 2, seed=2)
        model.compile(optimizer=make(), loss="mse")
        for _ in range(2):
            model.train_on_batch(x, y)
        stem = str(tmp / f"opt_{name}")
        np.savez(stem + ".npz", x=x, y=y)
        model.save(stem + ".keras")
        cases[f"opt_{name}"] = {"model": model, "x": x, "y": y}
        jobs.append({"stem": stem + "_keras", "file": stem + ".keras", "data": stem + ".npz",
                     "step": True})
    with open(tmp / "jobs.json", "w") as f:
        json.dump(jobs, f)
    results = json.loads(run_keras(_KERAS_SIDE_OF_KERASITE_FILES, tmp / "jobs.json")
                         .strip().splitlines()[-1])
    return tmp, cases, results


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seq", "branches", "conv", "conv_step", "ae", "spatial",
                                  "inits", "extras", "deconv", "embed"])
@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_keras_predicts_and_fits_kerasite_files(kerasite_to_keras, name, fmt):
    tmp, cases, results = kerasite_to_keras
    got = np.load(tmp / f"{name}_{fmt}.keras_pred.npy")
    np.testing.assert_allclose(got, cases[name]["predict"], **TOL)
    assert np.isfinite(results[str(tmp / f"{name}_{fmt}")]["loss"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seq", "branches", "conv", "ae"])
def test_keras_loads_kerasite_weights_h5(kerasite_to_keras, name):
    tmp, cases, _ = kerasite_to_keras
    got = np.load(tmp / f"{name}_weights.keras_pred.npy")
    np.testing.assert_allclose(got, cases[name]["predict_weights"], **TOL)
    assert not np.allclose(got, cases[name]["predict"])  # the weights file was really read


def _assert_same_weights(kerasite_model, keras_file):
    other = load_model(keras_file, compile=False)
    ours = kerasite_model.get_weights()
    theirs = other.get_weights()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(b, a, **STEP_TOL)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["branches", "conv_step", "ae", "spatial", "deconv", "embed",
                                  *[f"opt_{n}" for n in OPTIMIZERS]])
def test_keras_continues_training_with_kerasites_optimizer_state(kerasite_to_keras, name):
    # Keras took one step from the saved file; kerasite takes its next step now. With the
    # optimizer's slots (momentum, moments, accumulators) in the right places, they agree.
    tmp, cases, results = kerasite_to_keras
    case = cases[name]
    expected = {"opt_sgd": "SGD", "opt_sgd_momentum": "SGD", "opt_adamw": "AdamW",
                "opt_rmsprop_centered": "RMSprop", "opt_adam_amsgrad": "Adam",
                "opt_sgd_exponential": "SGD", "opt_adam_cosine": "Adam"}
    if name.startswith("opt_"):
        want = expected.get(name, type(case["model"].optimizer).__name__)
        assert results[str(tmp / f"{name}_keras")]["optimizer"] == want
    model = case["model"]
    if not name.startswith("opt_"):
        model = load_model(str(tmp / f"{name}.keras"))  # the state as saved, before the 2nd step
    model.train_on_batch(case["x"], case["y"])
    _assert_same_weights(model, str(tmp / f"{name}_keras.after.keras"))


# ===================================================================== Keras -> kerasite
_KERAS_MODELS = """
import json
out_dir = sys.argv[1]
rng = np.random.default_rng(5)
L = keras.layers


def seq():
    return keras.Sequential([keras.Input((5,)), L.Dense(8, activation="relu",
                             kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02)),
                             L.Dropout(0.3), L.Dense(3, activation="softmax")], name="seq")


def branches():
    x = keras.Input((4,), name="features")
    left = L.Dense(6, activation="tanh", name="left",
                   kernel_constraint=keras.constraints.UnitNorm())(x)
    right = L.ReLU(name="right_relu")(L.Dense(3, name="right")(x))
    merged = L.Concatenate(name="merged")([left, right])
    deep = L.Dense(4, name="deep", kernel_initializer="he_uniform")(merged)
    out = L.Add(name="sum")([deep, L.Dense(4, name="skip")(x)])
    return keras.Model(x, L.Dense(2, name="head")(out), name="branches")


def conv():
    return keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(4, 3, padding="same"),
                             L.BatchNormalization(), L.Activation("relu"), L.MaxPooling2D(),
                             L.Dropout(0.25), L.Flatten(), L.Dense(3)], name="conv")


def ae():
    encoder = keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"),
                                L.Dense(2, activation="tanh")], name="encoder")
    code = keras.Input((2,))
    decoder = keras.Model(code, L.Dense(6, activation="sigmoid")(L.Dense(5)(code)),
                          name="decoder")
    x = keras.Input((6,), name="image")
    return keras.Model(x, decoder(encoder(x)), name="ae")


def spatial():
    return keras.Sequential([keras.Input((5, 4, 2)), L.ZeroPadding2D(((1, 0), (2, 1))),
                             L.Conv2D(3, 2, strides=2, activation="selu"),
                             L.AveragePooling2D(2, 1, padding="same"), L.UpSampling2D((2, 3)),
                             L.Cropping2D(((1, 0), (0, 2))), L.Flatten(), L.Dense(2)],
                            name="spatial")


def extras():
    image = keras.Input((4, 4, 2))
    flat = L.Concatenate()([L.GlobalAveragePooling2D()(image), L.GlobalMaxPooling2D()(image)])
    flat = L.Rescaling(0.5, offset=0.1)(L.GaussianNoise(0.3, seed=1)(flat))
    flat = L.ActivityRegularization(0.01, 0.02)(L.GaussianDropout(0.2, seed=2)(flat))
    steps = L.LayerNormalization(epsilon=1e-4)(L.PReLU(shared_axes=[1])(L.RepeatVector(3)(flat)))
    flat = L.ELU(0.7)(L.Flatten()(L.Permute((2, 1))(steps)))
    acts = [L.Dense(2, activation=name)(flat) for name in
            ("gelu", "hard_sigmoid", "mish", "relu6", "leaky_relu", "softplus", "exponential")]
    return keras.Model(image, L.Dense(2)(L.Concatenate()(acts)), name="extras")


def embed():
    tokens = keras.Input((5,), dtype="int32")
    vectors = L.Embedding(10, 3, embeddings_regularizer="l2")(tokens)
    up = L.Conv2DTranspose(2, 3, strides=2, padding="same")(L.Reshape((5, 3, 1))(vectors))
    return keras.Model(tokens, L.Dense(2)(L.Flatten()(up)), name="embed")


setups = {"seq": (seq, "adam", "categorical_crossentropy"),
          "embed": (embed, keras.optimizers.Adam(0.01), "mse"),
          "extras": (extras, keras.optimizers.Adagrad(0.05), "mse"),
          "spatial": (spatial, keras.optimizers.Nadam(
              keras.optimizers.schedules.InverseTimeDecay(0.01, 1, 0.5)), "mae"),
          "branches": (branches, keras.optimizers.RMSprop(0.01, momentum=0.5), "mse"),
          "conv": (conv, keras.optimizers.SGD(0.05, momentum=0.9), "mse"),
          "ae": (ae, keras.optimizers.Adam(0.01), "mse"),
          "opt_lion": (branches, keras.optimizers.Lion(0.01, weight_decay=0.1), "mse"),
          "opt_ftrl": (branches, keras.optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
                       "mse"),
          "opt_adafactor": (branches, keras.optimizers.Adafactor(0.1), "mse"),
          "opt_accumulation": (branches, keras.optimizers.SGD(
              0.1, momentum=0.9, gradient_accumulation_steps=3), "mse"),
          "opt_loss_scale": (branches, keras.optimizers.Adam(0.01, loss_scale_factor=64.0),
                             "mse")}
for name, (make, optimizer, loss) in setups.items():
    model = make()
    for w in model.weights:
        w.assign(rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path
                 else rng.normal(0, 0.5, w.shape))
    x = rng.normal(size=(8, *model.input_shape[1:])).astype("float32")
    if name == "embed":
        x = rng.integers(0, 10, size=(8, 5)).astype("int32")
    y = rng.normal(size=(8, model.output_shape[-1])).astype("float32")
    if loss == "categorical_crossentropy":
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    model.compile(optimizer=optimizer, loss=loss, metrics=["mae"])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    stem = os.path.join(out_dir, name)
    model.save(stem + ".keras")
    if not name.startswith("opt_"):  # Keras's .h5 cannot hold Adafactor (same-named slots)
        model.save(stem + ".h5")
    np.savez(stem + ".npz", x=x, y=y, pred=model.predict(x, verbose=0))
    if name == "ae":
        np.save(stem + ".encoded.npy", model.get_layer("encoder").predict(x, verbose=0))
    model.train_on_batch(x, y)
    model.save_weights(stem + ".after.weights.h5")
print("ok")
"""


@pytest.fixture(scope="module")
def keras_to_kerasite(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_to_kerasite")
    run_keras(_KERAS_MODELS, tmp)
    return tmp


def _keras_case(tmp, name):
    with np.load(tmp / f"{name}.npz") as d:
        return d["x"], d["y"], d["pred"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seq", "branches", "conv", "ae", "spatial", "extras",
                                  "embed"])
@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_kerasite_predicts_and_fits_keras_files(keras_to_kerasite, name, fmt):
    x, y, pred = _keras_case(keras_to_kerasite, name)
    model = load_model(str(keras_to_kerasite / f"{name}.{fmt}"))
    np.testing.assert_allclose(model.predict(x, verbose=0), pred, **TOL)
    # Both formats carry the compile settings, so fit runs straight away.
    assert model.compiled
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


@pytest.mark.slow
def test_the_encoder_of_a_keras_autoencoder_works_alone(keras_to_kerasite):
    x, _, _ = _keras_case(keras_to_kerasite, "ae")
    model = load_model(str(keras_to_kerasite / "ae.keras"))
    encoder = model.get_layer("encoder")
    assert type(encoder).__name__ == "Sequential"
    np.testing.assert_allclose(encoder.predict(x, verbose=0),
                               np.load(keras_to_kerasite / "ae.encoded.npy"), **TOL)


@pytest.mark.slow
@pytest.mark.parametrize("name, optimizer", [("branches", "RMSprop"), ("ae", "Adam"),
                                             ("spatial", "Nadam"), ("embed", "Adam")])
def test_kerasite_continues_training_with_kerases_optimizer_state(keras_to_kerasite, name,
                                                                  optimizer):
    # Keras took one more step after saving (no Dropout in these, so it is
    # deterministic); kerasite, from the same file, takes the same step.
    x, y, _ = _keras_case(keras_to_kerasite, name)
    model = load_model(str(keras_to_kerasite / f"{name}.keras"))
    assert type(model.optimizer).__name__ == optimizer
    assert model.optimizer.iterations == 2  # one epoch of 8 samples in batches of 4
    if name == "spatial":  # its rate follows Keras's InverseTimeDecay: 0.01 / (1 + 0.5 * 2)
        assert model.optimizer.learning_rate == pytest.approx(0.005)
    model.train_on_batch(x, y)
    after = load_model(str(keras_to_kerasite / f"{name}.keras"), compile=False)
    after.load_weights(str(keras_to_kerasite / f"{name}.after.weights.h5"))
    for a, b in zip(model.get_weights(), after.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **STEP_TOL)


@pytest.mark.slow
@pytest.mark.parametrize("name, optimizer, updates", [
    ("opt_lion", "Lion", 2), ("opt_ftrl", "Ftrl", 2), ("opt_adafactor", "Adafactor", 2),
    ("opt_accumulation", "SGD", 0), ("opt_loss_scale", "Adam", 2)])
def test_kerasite_continues_training_with_kerases_new_optimizers(keras_to_kerasite, name,
                                                                 optimizer, updates):
    # Keras fit one epoch (two batches) and saved, then took one more step. The summed
    # gradients (two calls of three: Keras's next call updates) and the options come
    # through the file, so kerasite's next step is the same. (Keras 3.15.1 on JAX fails
    # in fit with use_ema, "Array has been deleted", so the moving averages cross in the
    # other direction only, in test_keras_continues_training_with_kerasites_optimizer_state.)
    x, y, _ = _keras_case(keras_to_kerasite, name)
    model = load_model(str(keras_to_kerasite / f"{name}.keras"))
    assert type(model.optimizer).__name__ == optimizer
    assert model.optimizer.iterations == updates
    model.train_on_batch(x, y)
    after = load_model(str(keras_to_kerasite / f"{name}.keras"), compile=False)
    after.load_weights(str(keras_to_kerasite / f"{name}.after.weights.h5"))
    for a, b in zip(model.get_weights(), after.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **STEP_TOL)


@pytest.mark.slow
def test_kerasite_reads_kerases_regularizers_and_constraints(keras_to_kerasite):
    seq = load_model(str(keras_to_kerasite / "seq.keras"))
    reg = seq.layers[0].kernel_regularizer
    assert type(reg).__name__ == "L1L2"
    assert (reg.l1, reg.l2) == pytest.approx((0.01, 0.02))
    branches = load_model(str(keras_to_kerasite / "branches.keras"))
    assert type(branches.get_layer("left").kernel_constraint).__name__ == "UnitNorm"
    assert type(branches.get_layer("deep").kernel_initializer).__name__ == "HeUniform"


# ===================================================================== dict inputs and outputs
_KERAS_DICT_SIDE = """
out_dir = sys.argv[1]
with np.load(os.path.join(out_dir, "x.npz")) as d:
    x = {"a": d["a"], "b": d["b"]}
ours = keras.models.load_model(os.path.join(out_dir, "kerasite_dict.keras"))
pred = ours.predict(x, verbose=0)
np.savez(os.path.join(out_dir, "keras_pred_of_kerasite.npz"), **pred)
ours.compile(optimizer="sgd", loss="mse")
ours.fit(x, pred, epochs=1, verbose=0)

a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
h = keras.layers.Dense(4, activation="relu", name="h")(keras.layers.Concatenate()([a, b]))
theirs = keras.Model({"a": a, "b": b}, {"score": keras.layers.Dense(1, name="score")(h),
                                        "probs": keras.layers.Dense(2, activation="softmax",
                                                                    name="probs")(h)})
theirs.save(os.path.join(out_dir, "keras_dict.keras"))
np.savez(os.path.join(out_dir, "keras_pred.npz"), **theirs.predict(x, verbose=0))
"""


@pytest.mark.slow
def test_dict_inputs_and_outputs_cross_both_ways(tmp_path):
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    h = layers.Dense(4, activation="tanh", name="h")(layers.Concatenate()([a, b]))
    model = _seeded(Model({"a": a, "b": b}, {"y": layers.Dense(1, name="y")(h),
                                             "z": layers.Dense(2, name="z")(h)}))
    model.save(str(tmp_path / "kerasite_dict.keras"))
    rng = np.random.default_rng(3)
    x = {"a": rng.normal(size=(5, 3)).astype("float32"),
         "b": rng.normal(size=(5, 2)).astype("float32")}
    np.savez(tmp_path / "x.npz", **x)
    run_keras(_KERAS_DICT_SIDE, tmp_path)
    ours = model.predict(x, verbose=0)
    with np.load(tmp_path / "keras_pred_of_kerasite.npz") as keras_pred:
        assert sorted(keras_pred.files) == ["y", "z"]
        for key in ("y", "z"):
            np.testing.assert_allclose(keras_pred[key], ours[key], **TOL)
    theirs = load_model(str(tmp_path / "keras_dict.keras"))
    got = theirs.predict(x, verbose=0)
    with np.load(tmp_path / "keras_pred.npz") as keras_pred:
        assert sorted(got) == sorted(keras_pred.files) == ["probs", "score"]
        for key in ("probs", "score"):
            np.testing.assert_allclose(got[key], keras_pred[key], **TOL)


# ===================================================================== every loss
LOSSES = ["BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
          "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber", "KLDivergence", "LogCosh",
          "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
          "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
          "SquaredHinge"]

_KERAS_LOSS_SIDE = """
import json
out = {}
for stem in sys.argv[1:]:
    with np.load(stem + ".npz") as d:
        x, y = d["x"], d["y"]
    model = keras.models.load_model(stem + ".keras")
    out[stem] = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(stem + ".resaved.keras")  # Keras's own, fuller loss config
print(json.dumps(out))
"""


@pytest.mark.slow
def test_every_loss_means_the_same_in_keras(tmp_path):
    from kerasite import losses

    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 4)).astype("float32")
    probs = rng.dirichlet(np.ones(3), size=6).astype("float32")
    stems, ours = [], {}
    for name in LOSSES:
        sparse = name.startswith("Sparse")
        model = _seeded(Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))]))
        model.compile(optimizer="sgd", loss=losses.get({"class_name": name, "config": {}}),
                      metrics=["accuracy" if sparse else "mae"])
        y = rng.integers(0, 3, size=(6, 1)).astype("float32") if sparse else probs
        stem = str(tmp_path / name)
        np.savez(stem + ".npz", x=x, y=y)
        model.save(stem + ".keras")
        stems.append(stem)
        ours[stem] = model.evaluate(x, y, verbose=0, return_dict=True)
    theirs = json.loads(run_keras(_KERAS_LOSS_SIDE, *stems).strip().splitlines()[-1])
    for stem in stems:
        name = os.path.basename(stem)
        for key in ("loss", "accuracy" if name.startswith("Sparse") else "mae"):
            assert theirs[stem][key] == pytest.approx(ours[stem][key], rel=1e-5, abs=1e-6), \
                (name, key)
        resaved = load_model(stem + ".resaved.keras")
        assert type(resaved.loss).__name__ == name
        assert resaved.evaluate(*np.load(stem + ".npz").values(), verbose=0,
                                return_dict=True)["loss"] == pytest.approx(ours[stem]["loss"],
                                                                           rel=1e-5, abs=1e-6)


def test_keras_never_entered_the_pytest_process():
    import sys

    assert "keras" not in sys.modules and "jax" not in sys.modules
