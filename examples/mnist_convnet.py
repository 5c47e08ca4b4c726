"""keras.io's "Simple MNIST convnet", on Fashion-MNIST, written in kerasite.

The network of the keras.io example, unchanged: two Conv2D + MaxPooling2D
blocks (32 and 64 filters of 3x3, ReLU), Flatten, Dropout(0.5) and a softmax
Dense layer; Adam, batches of 128, a tenth of the training images held out
for validation. It reports the test accuracy, the classes it confuses, and
draws the training curves and the confusion matrix. keras.io trains on MNIST
digits; Fashion-MNIST (the same shape, clothing instead of digits) is harder,
so the accuracy is lower (keras.io gets about 99 % on MNIST).

Run:
    python examples/mnist_convnet.py                          # 15 epochs on all 60,000 images
    python examples/mnist_convnet.py --epochs 2 --samples 6000   # a quick look, a minute or two
    python examples/mnist_convnet.py --dataset mnist          # the digits, if the files are there

Figures (training curves, confusion matrix) go to --out (default runs/<timestamp>).
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import datasets, layers, plotting


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="A quick run: --epochs 2 --samples 6000 (about 2 % of the full training work).")
    parser.add_argument("--dataset", choices=["fashion_mnist", "mnist"], default="fashion_mnist",
                        help="28x28 images to classify (default: %(default)s)")
    parser.add_argument("--data-dir", default=None, help="folder holding the dataset files (default: the usual search)")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=None,
                        help="use only the first N training images (default: all 60,000)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per gradient step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights, shuffling and dropout (default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 bar, 2 a line per epoch "
                        "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def build_model(input_shape=(28, 28, 1), n_classes=10):
    """keras.io's simple convnet."""
    return kerasite.Sequential([
        kerasite.Input(input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(n_classes, activation="softmax"),
    ])


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)

    # ---- data: pixels to [0, 1], a channel axis, labels stay integers --------
    module = datasets.get(args.dataset)
    (x_train, y_train), (x_test, y_test) = module.load_data(path=args.data_dir)
    if args.samples:
        x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train = (x_train / 255.0).astype("float32")[..., np.newaxis]  # (N, 28, 28, 1)
    x_test = (x_test / 255.0).astype("float32")[..., np.newaxis]
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images of "
          f"shape {x_train.shape[1:]}")

    # ---- model ----------------------------------------------------------------
    model = build_model(x_train.shape[1:])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_split=0.1, verbose=args.verbose)
    seconds = time.perf_counter() - start
    h = history.history
    print(f"\n{len(h['loss'])} epochs in {seconds:.0f} s ({seconds / len(h['loss']):.1f} s/epoch): "
          f"loss {h['loss'][-1]:.4f}  accuracy {h['accuracy'][-1]:.4f}  "
          f"val_loss {h['val_loss'][-1]:.4f}  val_accuracy {h['val_accuracy'][-1]:.4f}")

    # ---- test set ---------------------------------------------------------------
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"test loss {test_loss:.4f}  test accuracy {test_accuracy:.4f}")
    predicted = model.predict(x_test, batch_size=512).argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_test)
    print(f"{len(wrong)} of {len(x_test)} test images misclassified; the most frequent mix-ups:")
    names = getattr(module, "CLASS_NAMES", None) or [str(c) for c in range(10)]
    pairs, counts = np.unique(np.stack([y_test[wrong], predicted[wrong]], axis=1), axis=0,
                              return_counts=True)
    for k in np.argsort(-counts, kind="stable")[:5]:
        true, guess = pairs[k]
        print(f"  {names[true]} taken for {names[guess]}: {counts[k]}")

    data_name = {"fashion_mnist": "Fashion-MNIST", "mnist": "MNIST"}[args.dataset]
    what = f"{data_name}, keras.io's simple convnet ({len(x_train):,} training images)"
    plotting.plot_history(history, path=out / "history.png",
                          title=f"{what}: training and validation")
    plotting.plot_confusion_matrix(y_test, predicted, labels=names,
                                   title=f"{what}, test set",
                                   path=out / "confusion_matrix.png")
    print(f"\nfigures are in {out}/")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy, "history": h}


if __name__ == "__main__":
    main()
