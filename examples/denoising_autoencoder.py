"""A denoising autoencoder written with the functional API, then a frozen encoder reused.

Keras's blog builds its autoencoders this way: layers called on an ``Input``,
then three models over the same layers (the autoencoder, the encoder, and a
decoder made from the autoencoder's own last layers). This script does that
on digits with Gaussian noise added: the autoencoder learns to map a noisy
image to the clean one. Then the encoder is frozen (``trainable = False``
and ``compile``) and a small softmax head is trained on its codes, the usual
transfer-learning recipe; the encoder's weights are checked to be unchanged.

Run:
    python examples/denoising_autoencoder.py                          # bundled digits, seconds
    python examples/denoising_autoencoder.py --dataset fashion_mnist  # 28x28 clothing images

The figure (noisy input, denoised output, clean image) goes to --out
(default runs/<timestamp>).
"""

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import datasets, layers


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["digits", "fashion_mnist", "mnist"],
                        default="digits", help="images to learn (default: %(default)s)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding the dataset files (default: the usual places)")
    parser.add_argument("--noise", type=float, default=0.3,
                        help="standard deviation of the added noise, pixels in [0, 1] "
                             "(default: %(default)s)")
    parser.add_argument("--latent-dim", type=int, default=32,
                        help="size of the code (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=60,
                        help="autoencoder epochs (default: %(default)s)")
    parser.add_argument("--head-epochs", type=int, default=30,
                        help="epochs of the classifier on the frozen encoder "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="samples per step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def add_noise(x, std, rng):
    return np.clip(x + rng.normal(0.0, std, size=x.shape), 0.0, 1.0).astype("float32")


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    (x_train, y_train), (x_test, y_test) = datasets.get(args.dataset).load_data(
        path=args.data_dir)
    shape = x_train.shape[1:]
    pixels = int(np.prod(shape))
    x_train = x_train.reshape(len(x_train), pixels).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), pixels).astype("float32") / 255
    noisy_train, noisy_test = add_noise(x_train, args.noise, rng), add_noise(x_test, args.noise, rng)
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images, "
          f"noise std {args.noise}")

    # ---- three models over one graph ---------------------------------------------
    inputs = kerasite.Input((pixels,), name="noisy")
    h = layers.Dense(128, activation="relu")(inputs)
    code = layers.Dense(args.latent_dim, activation="relu", name="code")(h)
    h = layers.Dense(128, activation="relu")(code)
    clean = layers.Dense(pixels, activation="sigmoid")(h)

    autoencoder = kerasite.Model(inputs, clean, name="denoiser")
    encoder = kerasite.Model(inputs, code, name="encoder")
    code_in = kerasite.Input((args.latent_dim,))
    decoder = kerasite.Model(code_in, autoencoder.layers[-1](autoencoder.layers[-2](code_in)),
                             name="decoder")
    autoencoder.summary()

    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    history = autoencoder.fit(noisy_train, x_train, epochs=args.epochs,
                              batch_size=args.batch_size,
                              validation_data=(noisy_test, x_test), verbose=args.verbose)
    denoised = autoencoder.predict(noisy_test)
    noisy_mse = float(np.mean((noisy_test - x_test) ** 2))
    denoised_mse = float(np.mean((denoised - x_test) ** 2))
    print(f"\nafter {args.epochs} epochs: loss {history.history['loss'][-1]:.4f}  "
          f"val_loss {history.history['val_loss'][-1]:.4f}")
    print(f"test MSE against the clean images: noisy input {noisy_mse:.4f}, "
          f"denoised {denoised_mse:.4f}")
    halves = decoder.predict(encoder.predict(noisy_test))
    print(f"decoder(encoder(x)) equals autoencoder(x): "
          f"{np.allclose(halves, denoised, atol=1e-6)}")

    # ---- transfer: a classifier on the frozen encoder -----------------------------
    encoder.trainable = False
    probs = layers.Dense(10, activation="softmax", name="classes")(encoder(inputs))
    classifier = kerasite.Model(inputs, probs, name="classifier")
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    before = encoder.get_weights()
    classifier.fit(noisy_train, y_train, epochs=args.head_epochs, batch_size=args.batch_size,
                   verbose=args.verbose)
    unchanged = all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))
    _, accuracy = classifier.evaluate(noisy_test, y_test, verbose=0)
    print(f"classifier on the frozen encoder: {len(classifier.trainable_weights)} trainable "
          f"arrays, test accuracy {accuracy:.4f} on noisy images; encoder unchanged: {unchanged}")

    _figure(noisy_test, denoised, x_test, shape, out / "denoising.png",
            f"Denoising autoencoder on {args.dataset} (noise std {args.noise})")
    print(f"\nfigure is in {out}/")
    return {"noisy_mse": noisy_mse, "denoised_mse": denoised_mse, "accuracy": accuracy,
            "encoder_unchanged": unchanged}


def _figure(noisy, denoised, clean, shape, path, title, n=8):
    from matplotlib.figure import Figure

    side = shape if len(shape) == 2 else (int(np.sqrt(np.prod(shape))),) * 2
    fig = Figure(figsize=(1.2 * n, 4.2))
    axes = fig.subplots(3, n)
    for row, (images, label) in enumerate(((noisy, "noisy input"), (denoised, "denoised"),
                                           (clean, "clean"))):
        for i in range(n):
            ax = axes[row, i]
            ax.imshow(images[i].reshape(side), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=11)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
