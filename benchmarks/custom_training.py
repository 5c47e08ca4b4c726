"""Custom training steps: a GradientTape train_step against the built-in fit, and a VAE against tf.keras.

Two measurements, each as ratios of epochs timed in the same run:

* ``--model dense``: the reports' autoencoder (784-256-64-256-784, ReLU/tanh/
  ReLU/sigmoid, MSE, Adam, batch 128) trained by kerasite's built-in ``fit``,
  and the same model trained by ``fit`` with a ``train_step`` written as a
  user writes it (a ``GradientTape`` over ``self(x, training=True)``, the
  loss with ``ops``, ``optimizer.apply_gradients``). Both run in one worker,
  epoch by epoch in ABBA order; the ratio is tape / built-in.
* ``--model vae``: keras.io's convolutional VAE (``examples/vae.py``: two
  strided Conv2D, Dense 16, a 2-D code, three Conv2DTranspose; batch 128) on
  28x28 images, kerasite against tf.keras. tf.keras runs the same
  architecture and the same custom ``train_step`` in its own interpreter (the
  TensorFlow virtualenv), where ``fit`` compiles the step with
  ``tf.function``. The two workers alternate epochs (ABBA); the ratio is
  kerasite / tf.keras per round, and the report gives the median.

Usage::

    python benchmarks/custom_training.py --model dense --rounds 6
    python benchmarks/custom_training.py --model vae --rounds 4 --samples 12800

The machine (CPU count, load average) is printed with the numbers.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
TF_VENV_PYTHON = "/opt/tfenv/bin/python"

KERASITE_CHILD = r"""
import importlib.util, json, sys, time
import numpy as np
import kerasite as keras
from kerasite import layers, ops

MODEL, DATA = sys.argv[1], sys.argv[2]
x = np.load(DATA)
keras.utils.set_random_seed(0)

class TapeAutoencoder(keras.Sequential):
    # What a user writes: the loss with ops, the gradients from a tape.
    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(y - y_pred))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return {"loss": loss}

def autoencoder(cls):
    keras.utils.set_random_seed(0)
    return cls([keras.Input((784,)), layers.Dense(256, activation="relu"),
                layers.Dense(64, activation="tanh"), layers.Dense(256, activation="relu"),
                layers.Dense(784, activation="sigmoid")])

models = {}
if MODEL == "dense":
    x = x.reshape(len(x), 784)
    for name, cls in (("builtin", keras.Sequential), ("tape", TapeAutoencoder)):
        m = autoencoder(cls)
        m.compile(optimizer="adam", loss="mse")
        models[name] = (m, (x, x))
else:
    spec = importlib.util.spec_from_file_location("vae_example", sys.argv[3])
    vae_example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vae_example)
    m = vae_example.VAE(vae_example.build_encoder(2), vae_example.build_decoder(2))
    m.compile(optimizer=keras.optimizers.Adam())
    models["vae"] = (m, (x.reshape(len(x), 28, 28, 1),))
for m, data in models.values():
    m.fit(*data, epochs=1, batch_size=128, verbose=0)  # warm up
print(json.dumps({"ready": sorted(models)}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "quit":
        break
    m, data = models[cmd]
    start = time.perf_counter()
    history = m.fit(*data, epochs=1, batch_size=128, verbose=0)
    print(json.dumps({"epoch_s": time.perf_counter() - start,
                      "loss": float(history.history["loss"][-1])}), flush=True)
"""

TF_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

x = np.load(sys.argv[2]).reshape(-1, 28, 28, 1)
keras.utils.set_random_seed(0)

class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

inp = keras.Input((28, 28, 1))
h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inp)
h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
h = layers.Dense(16, activation="relu")(layers.Flatten()(h))
z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
encoder = keras.Model(inp, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])])
code = keras.Input((2,))
h = layers.Reshape((7, 7, 64))(layers.Dense(7 * 7 * 64, activation="relu")(code))
h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
decoder = keras.Model(code, layers.Conv2DTranspose(1, 3, activation="sigmoid",
                                                   padding="same")(h))

class VAE(keras.Model):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data, training=True)
            recon = self.decoder(z, training=True)
            rec = ops.mean(ops.sum(keras.losses.binary_crossentropy(data, recon), axis=(1, 2)))
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            loss = rec + ops.mean(ops.sum(kl, axis=1))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.tracker.update_state(loss)
        return {"loss": self.tracker.result()}

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam())
vae.fit(x, epochs=1, batch_size=128, verbose=0)  # warm up: traces the tf.function
print(json.dumps({"ready": ["vae"], "tensorflow": tf.__version__,
                  "keras": keras.__version__}), flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    start = time.perf_counter()
    history = vae.fit(x, epochs=1, batch_size=128, verbose=0)
    print(json.dumps({"epoch_s": time.perf_counter() - start,
                      "loss": float(history.history["loss"][-1])}), flush=True)
"""


class Child:
    """A worker process that trains on request and answers one JSON line per epoch."""

    def __init__(self, python, code, args, threads):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   NUMBA_NUM_THREADS=str(threads))
        env["PYTHONPATH"] = str(REPO_ROOT)
        self.proc = subprocess.Popen([python, "-c", code, *args], cwd=REPO_ROOT, env=env,
                                     text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.info = json.loads(self.proc.stdout.readline())

    def epoch(self, name):
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)


def _summary(values):
    v = np.asarray(values)
    return {"median": float(np.median(v)), "q25": float(np.percentile(v, 25)),
            "q75": float(np.percentile(v, 75)), "n": int(v.size)}


def _images(samples):
    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks import data

    x_train, _, source = data.load(n_train=samples, n_test=1)
    return x_train.reshape(-1, 28, 28).astype(np.float32), source


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["dense", "vae"], default="dense")
    parser.add_argument("--rounds", type=int, default=6, help="ABBA rounds (default %(default)s)")
    parser.add_argument("--samples", type=int, default=12_800,
                        help="training images per epoch (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads per worker")
    parser.add_argument("--tf-python", default=TF_VENV_PYTHON,
                        help="the interpreter with TensorFlow, for --model vae")
    args = parser.parse_args(argv)

    images, source = _images(args.samples)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "images.npy")
        np.save(path, images)
        vae_file = str(REPO_ROOT / "examples" / "vae.py")
        ours = Child(sys.executable, KERASITE_CHILD, [args.model, path, vae_file], args.threads)
        if args.model == "dense":
            sides = [(ours, "builtin"), (ours, "tape")]
            peers = {}
        else:
            theirs = Child(args.tf_python, TF_CHILD, ["vae", path], args.threads)
            sides = [(ours, "vae"), (theirs, "vae")]
            peers = {"tensorflow": theirs.info["tensorflow"], "keras": theirs.info["keras"]}
        labels = ["kerasite built-in fit", "kerasite tape train_step"] if args.model == "dense" \
            else ["kerasite", "tf.keras"]
        times = {label: [] for label in labels}
        losses = {label: [] for label in labels}
        ratios = []
        for r in range(args.rounds):
            order = [0, 1] if r % 2 == 0 else [1, 0]
            epoch = {}
            for i in order:
                child, name = sides[i]
                result = child.epoch(name)
                epoch[i] = result["epoch_s"]
                times[labels[i]].append(result["epoch_s"])
                losses[labels[i]].append(result["loss"])
            ratios.append(epoch[1] / epoch[0] if args.model == "dense" else epoch[0] / epoch[1])
        for child in {id(c): c for c, _ in sides}.values():
            child.close()
    result = {
        "model": args.model,
        "data": f"{len(images):,} images, {source}",
        "machine": {"cpus": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2)},
        "peers": peers,
        "median_epoch_s": {k: float(np.median(v)) for k, v in times.items()},
        "last_loss": {k: v[-1] for k, v in losses.items()},
        ("tape_over_builtin" if args.model == "dense" else "kerasite_over_tf_keras"):
            _summary(ratios),
    }
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
