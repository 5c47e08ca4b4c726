"""The Keras blog's convolutional autoencoder on Fashion-MNIST, against the dense one.

The layout of the Keras blog post "Building Autoencoders in Keras": an encoder
of three Conv2D (16, 8, 8 filters of 3x3, ReLU, "same" padding) each followed
by MaxPooling2D, which squeezes a 28x28 image into 4x4x8 = 128 numbers, and a
decoder that mirrors it with Conv2D and UpSampling2D (its third Conv2D has
"valid" padding, turning 16x16 into 14x14 so that the last upsampling lands on
28x28). It trains with Adam on the binary cross-entropy, pixel by pixel.

For comparison, a dense autoencoder (784-256-128-256-784) with a code of the
same size trains on the same images for the same epochs. Then an RBF SVM
learns the ten classes from each encoder's 128 features: the better code gives
the better accuracy. Both autoencoders' reconstructions are drawn.

Run:
    python examples/conv_autoencoder.py                            # 10 epochs, 60,000 images
    python examples/conv_autoencoder.py --epochs 2 --samples 6000  # a quick look

Figures go to --out (default runs/<timestamp>).
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import datasets, layers, plotting
from kerasite.models import Autoencoder, Decoder, Encoder


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="A quick run: --epochs 2 --samples 6000 --svm-samples 2000.")
    parser.add_argument("--data-dir", default=None, help="folder holding Fashion-MNIST's files (default: the usual search)")
    parser.add_argument("--epochs", type=int, default=10,
                        help="epochs for each autoencoder (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=None,
                        help="train the autoencoders on the first N images (default: all 60,000)")
    parser.add_argument("--svm-samples", type=int, default=10_000,
                        help="training images the SVMs learn from (default: 10,000; an RBF SVM "
                             "grows quadratically with its training set)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per gradient step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights and shuffling (default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 bar, 2 a line per epoch "
                        "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def blog_autoencoder():
    """The Keras blog's conv autoencoder; the code is the flattened 4x4x8 feature maps."""
    encoder = Encoder(name="encoder")
    encoder.add(layers.Reshape((28, 28, 1)))
    for filters in (16, 8, 8):
        encoder.add(layers.Conv2D(filters, 3, activation="relu", padding="same"))
        encoder.add(layers.MaxPooling2D(2, padding="same"))  # 28 -> 14 -> 7 -> 4
    encoder.add(layers.Flatten())
    decoder = Decoder(name="decoder")
    decoder.add(layers.Reshape((4, 4, 8)))
    decoder.add(layers.Conv2D(8, 3, activation="relu", padding="same"))
    decoder.add(layers.UpSampling2D(2))  # 8x8
    decoder.add(layers.Conv2D(8, 3, activation="relu", padding="same"))
    decoder.add(layers.UpSampling2D(2))  # 16x16
    decoder.add(layers.Conv2D(16, 3, activation="relu"))  # "valid": 14x14
    decoder.add(layers.UpSampling2D(2))  # 28x28
    decoder.add(layers.Conv2D(1, 3, activation="sigmoid", padding="same"))
    decoder.add(layers.Reshape((28, 28)))
    encoder.build((None, 28, 28))
    decoder.build((None, 128))
    return Autoencoder(encoder, decoder, name="conv_autoencoder")


def train(model, x_train, x_test, args):
    model.compile(optimizer="adam", loss="binary_crossentropy")
    start = time.perf_counter()
    history = model.fit(x_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=x_test, verbose=args.verbose)
    seconds = time.perf_counter() - start
    mse = float(np.mean(np.square(model.reconstruct(x_test, batch_size=512) - x_test)))
    print(f"{model.name}: {model.count_params():,} weights, {args.epochs} epochs in "
          f"{seconds:.0f} s; val_loss {history.history['val_loss'][-1]:.4f}, "
          f"test reconstruction MSE {mse:.4f}")
    return history, mse


def svm_accuracy(model, x_fit, y_fit, x_test, y_test, seed):
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    scaler = StandardScaler()
    f_fit = scaler.fit_transform(model.encode(x_fit, batch_size=512))
    f_test = scaler.transform(model.encode(x_test, batch_size=512))
    svm = SVC(kernel="rbf", C=10, gamma="scale", random_state=seed).fit(f_fit, y_fit)
    return float(np.mean(svm.predict(f_test) == y_test)), f_fit.shape[1]


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data(path=args.data_dir)
    if args.samples:
        x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train = (x_train / 255.0).astype("float32")
    x_test = (x_test / 255.0).astype("float32")
    print(f"Fashion-MNIST: {len(x_train)} training and {len(x_test)} test images\n")

    conv = blog_autoencoder()
    conv.summary()
    dense = Autoencoder.dense(input_shape=(28, 28), hidden=(256,), latent_dim=128,
                              name="dense_autoencoder")
    results = {}
    for model in (conv, dense):
        print(f"\n---- {model.name}")
        history, mse = train(model, x_train, x_test, args)
        results[model.name] = {"history": history.history, "mse": mse}
        described = {"conv_autoencoder": "the Keras blog's conv autoencoder (128-D code)",
                     "dense_autoencoder": "the dense autoencoder 784-256-128-256-784"}
        plotting.plot_reconstructions(model, x_test, n=10, seed=args.seed,
                                      path=out / f"reconstructions_{model.name}.png",
                                      title=f"Fashion-MNIST test images, reconstructed by "
                                            f"{described[model.name]}, {args.epochs} epochs")

    # ---- the latent features, classified by an SVM ------------------------------
    n_svm = min(args.svm_samples, len(x_train))
    pick = np.random.default_rng(args.seed).choice(len(x_train), n_svm, replace=False)
    print(f"\nRBF SVM (C=10) trained on the codes of {n_svm} training images, "
          f"tested on all {len(x_test)} test images:")
    for model in (conv, dense):
        accuracy, width = svm_accuracy(model, x_train[pick], y_train[pick], x_test, y_test,
                                       args.seed)
        results[model.name]["svm_accuracy"] = accuracy
        print(f"  {model.name:18s} {width} features  test accuracy {accuracy:.4f}  "
              f"(reconstruction MSE {results[model.name]['mse']:.4f})")
    print(f"\nfigures are in {out}/")
    return results


if __name__ == "__main__":
    main()
