"""A GAN with a custom train_step: two models, two optimizers, two tapes per batch.

The shape of the GAN at the end of keras.io's guide "Customizing what happens
in fit()", on Fashion-MNIST (28x28 images, as MNIST's):

* the discriminator, two strided Conv2D with LeakyReLU, a global max pooling
  and one logit, tells real images from generated ones;
* the generator maps a 128-d noise vector to an image through a Dense, two
  Conv2DTranspose and a sigmoid Conv2D. It is lighter than keras.io's (64 and 32
  filters where the guide has 128 and 128, and a 5x5 last kernel where it has
  7x7): kerasite's convolutions unfold their inputs (im2col), and the guide's
  last layer would unfold each 28x28x128 image into 784 rows of 6,272 numbers,
  which takes seconds per step on a CPU;
* ``GAN.train_step`` first trains the discriminator on real and generated
  images (labels 1 for generated, 0 for real, with a little noise on the
  labels), then trains the generator to make the discriminator say "real",
  each step under its own ``GradientTape`` and with its own optimizer;
  ``Mean`` trackers report both losses.

The two losses pull against each other, so neither falls steadily: the sign
of a working GAN is that the discriminator's loss stays away from zero and
the samples start to look like clothes. Figures (in --out, default
runs/<timestamp>): a grid of generated images after each epoch, and the two
loss curves.

Run:
    python examples/gan.py                          # 5 epochs on 10,000 images
    python examples/gan.py --epochs 1 --samples 1000   # a quick look
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite as keras
from kerasite import layers, ops


def build_discriminator():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ], name="discriminator")


def build_generator(latent_dim):
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 128),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(64, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(32, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (5, 5), padding="same", activation="sigmoid"),
    ], name="generator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, seed=1337):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):  # fit(x) passes x itself; (x, y) would be a tuple
            real_images = real_images[0]
        batch_size = ops.shape(real_images)[0]
        # 1. The discriminator, on generated images (label 1) and real ones (label 0).
        noise = keras.random.normal(shape=(batch_size, self.latent_dim),
                                    seed=self.seed_generator)
        generated = self.generator(noise)
        images = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))],
                                 axis=0)
        labels += 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        with keras.GradientTape() as tape:
            predictions = self.discriminator(images, training=True)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # 2. The generator, trying to make the discriminator say "real" (label 0).
        noise = keras.random.normal(shape=(batch_size, self.latent_dim),
                                    seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        with keras.GradientTape() as tape:
            predictions = self.discriminator(self.generator(noise, training=True))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, draws the generator's images for the same 16 noise vectors."""

    def __init__(self, out, latent_dim, seed=0):
        super().__init__()
        self.out = Path(out)
        self.noise = np.random.default_rng(seed).standard_normal((16, latent_dim)).astype(
            "float32")

    def on_epoch_end(self, epoch, logs=None):
        import matplotlib.pyplot as plt

        images = self.model.generator.predict(self.noise, verbose=0)[..., 0]
        fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
        for ax, image in zip(axes.ravel(), images):
            ax.imshow(image, cmap="Greys_r", vmin=0, vmax=1)
            ax.axis("off")
        fig.suptitle(f"GAN on Fashion-MNIST: generated images after epoch {epoch + 1}")
        fig.savefig(self.out / f"samples_epoch{epoch + 1:02d}.png", dpi=150,
                    bbox_inches="tight")
        plt.close(fig)


def plot_losses(history, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history["d_loss"]) + 1)
    ax.plot(epochs, history["d_loss"], marker="o", label="discriminator")
    ax.plot(epochs, history["g_loss"], marker="o", label="generator")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy (mean over the epoch)")
    ax.legend()
    ax.set_title("GAN on Fashion-MNIST: the two losses")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="train on the first N images; 0 for all 60,000 "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="real images per step (default: %(default)s)")
    parser.add_argument("--latent-dim", type=int, default=128,
                        help="size of the noise vector (default: %(default)s)")
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
    (x_train, _), _ = keras.datasets.fashion_mnist.load_data(path=args.data_dir)
    x_train = x_train[:args.samples] if args.samples else x_train
    images = (x_train.astype("float32") / 255.0)[..., None]

    gan = GAN(build_discriminator(), build_generator(args.latent_dim), args.latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
                g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    start = time.perf_counter()
    history = gan.fit(images, epochs=args.epochs, batch_size=args.batch_size,
                      verbose=args.verbose, callbacks=[SampleGrid(out, args.latent_dim)])
    seconds = time.perf_counter() - start
    print(f"trained on {len(images):,} images in {seconds:.1f} s "
          f"({seconds / args.epochs:.1f} s per epoch)")
    plot_losses(history.history, out / "losses.png")
    print(f"figures in {out}")
    return history


if __name__ == "__main__":
    main()
