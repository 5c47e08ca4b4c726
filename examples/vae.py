"""A convolutional variational autoencoder, written as keras.io's is: a custom train_step.

The layout of keras.io's "Variational AutoEncoder" example, on Fashion-MNIST
(MNIST cannot be downloaded here; the images have the same 28x28 shape):

* the encoder maps an image to the mean and log-variance of a 2-D Gaussian,
  through two strided Conv2D (32 and 64 filters) and a Dense(16); a
  ``Sampling`` layer, written with ``kerasite.ops`` and no backward, draws
  ``z = mean + exp(log_var / 2) * eps`` (the reparameterization trick);
* the decoder maps ``z`` back to an image with a Dense, a Reshape and three
  Conv2DTranspose;
* the ``VAE`` model overrides ``train_step``: under a ``GradientTape`` it runs
  both, adds the reconstruction loss (the per-pixel binary cross-entropy,
  summed over the image) and the KL divergence of the code from N(0, I), and
  steps the optimizer with the tape's gradients. Three ``Mean`` trackers
  report the losses, and ``fit`` resets them every epoch.

The tape records each layer as one node whose backward is the layer's own, and
the Sampling layer and the losses op by op.

Figures (in --out, default runs/<timestamp>): the decoded images over a grid of
the 2-D latent space, the test images' codes coloured by class, and the three
loss curves.

Run:
    python examples/vae.py                        # 10 epochs on 20,000 images
    python examples/vae.py --epochs 2 --samples 2000   # a quick look
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite as keras
from kerasite import layers, ops


class Sampling(layers.Layer):
    """Draws ``z`` from N(z_mean, exp(z_log_var)): ``z_mean + exp(z_log_var / 2) * eps``."""

    def __init__(self, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(latent_dim):
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim):
    inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="decoder")


class VAE(keras.Model):
    """The encoder and decoder, trained on the evidence lower bound by a custom step."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker,
                self.kl_loss_tracker]

    def call(self, x):
        return self.decoder(self.encoder(x)[2])

    def train_step(self, data):
        with keras.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data, training=True)
            reconstruction = self.decoder(z, training=True)
            reconstruction_loss = ops.mean(ops.sum(
                keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {"loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result()}


def load_images(samples, data_dir=None):
    """Fashion-MNIST as (n, 28, 28, 1) floats in [0, 1], with the test set's labels."""
    (x_train, _), (x_test, y_test) = keras.datasets.fashion_mnist.load_data(path=data_dir)
    x_train = x_train[:samples] if samples else x_train
    prepare = lambda x: (x.astype("float32") / 255.0)[..., None]  # noqa: E731
    return prepare(x_train), prepare(x_test), y_test


def plot_latent_grid(decoder, path, n=15, scale=2.0):
    """Decodes an n x n grid of codes in [-scale, scale]^2 into one picture."""
    import matplotlib.pyplot as plt

    xs = np.linspace(-scale, scale, n)
    ys = np.linspace(-scale, scale, n)[::-1]
    codes = np.array([[x, y] for y in ys for x in xs], dtype="float32")
    images = decoder.predict(codes, batch_size=256, verbose=0)[..., 0]
    grid = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(grid, cmap="Greys_r")
    ticks = np.arange(14, n * 28, 28)
    ax.set_xticks(ticks[::2], np.round(xs[::2], 1))
    ax.set_yticks(ticks[::2], np.round(ys[::2], 1))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title("VAE on Fashion-MNIST: images decoded from a grid of the 2-D latent space")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)


def plot_latent_clusters(encoder, images, labels, path):
    """The test images' mean codes, coloured by class."""
    import matplotlib.pyplot as plt

    z_mean = encoder.predict(images, batch_size=256, verbose=0)[0]
    names = keras.datasets.fashion_mnist.CLASS_NAMES
    fig, ax = plt.subplots(figsize=(8, 6.5))
    cmap = plt.get_cmap("tab10")
    for k, name in enumerate(names):
        chosen = labels == k
        ax.scatter(z_mean[chosen, 0], z_mean[chosen, 1], s=3, color=cmap(k), label=name)
    ax.legend(markerscale=4, fontsize=8, loc="best")
    ax.set_xlabel("z_mean[0]")
    ax.set_ylabel("z_mean[1]")
    ax.set_title(f"VAE on Fashion-MNIST: the {len(images):,} test images' codes, by class")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)


def plot_losses(history, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key in ("loss", "reconstruction_loss", "kl_loss"):
        ax.plot(epochs, history[key], marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("per image (nats)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("VAE on Fashion-MNIST: training losses")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=20_000,
                        help="train on the first N images; 0 for all 60,000 "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per step (default: %(default)s)")
    parser.add_argument("--latent-dim", type=int, default=2,
                        help="size of the code; the figures need 2 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, noise and shuffling (default: %(default)s)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding Fashion-MNIST's files (default: the usual search)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 bar, 2 a line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    x_train, x_test, y_test = load_images(args.samples, args.data_dir)

    vae = VAE(build_encoder(args.latent_dim), build_decoder(args.latent_dim))
    vae.compile(optimizer=keras.optimizers.Adam())
    start = time.perf_counter()
    history = vae.fit(x_train, epochs=args.epochs, batch_size=args.batch_size,
                      verbose=args.verbose)
    seconds = time.perf_counter() - start
    print(f"trained on {len(x_train):,} images in {seconds:.1f} s "
          f"({seconds / args.epochs:.1f} s per epoch)")

    plot_losses(history.history, out / "losses.png")
    if args.latent_dim == 2:
        plot_latent_grid(vae.decoder, out / "latent_grid.png")
        plot_latent_clusters(vae.encoder, x_test, y_test, out / "latent_clusters.png")
    print(f"figures in {out}")
    return history


if __name__ == "__main__":
    main()
