"""Fashion-MNIST, real data: a clothing classifier, judged class by class.

A multilayer perceptron (Flatten, Dense 256 ReLU, Dropout 0.2, Dense 10
softmax) learns the 60,000 Fashion-MNIST training images with Adam on the
sparse categorical cross-entropy, holding out 10 % to validate each epoch.
Then it is judged on the 10,000 test images the way one judges a real
classifier: a per-class report (precision, recall, F1) and a confusion matrix
by class name, and a look at the images it gets wrong. Shirts, T-shirts,
pullovers and coats are where it struggles, as every model on this set does.

The data comes from Debian's package (``apt-get install dataset-fashion-mnist``)
or from the official mirrors; see the Datasets guide.

Run:
    python examples/fashion_mnist.py                      # about 15 s on 2 idle cores
    python examples/fashion_mnist.py --epochs 30 --hidden 512

Figures (training curves, confusion matrix, misclassified images) go to --out
(default runs/<timestamp>).
"""

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import layers, plotting
from kerasite.datasets import fashion_mnist


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None,
                        help="folder holding the four Fashion-MNIST .gz files (default: the "
                             "usual search, see the Datasets guide)")
    parser.add_argument("--epochs", type=int, default=10,
                        help="training epochs (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=256,
                        help="units of the hidden layer (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="dropout rate after the hidden layer (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per gradient step (default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=None,
                        help="train on the first N training images only, for a quick try "
                             "(default: all 60,000)")
    # The older spelling of --samples, still accepted; --help no longer shows it.
    parser.add_argument("--limit", dest="samples", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights, shuffling and the validation split "
                             "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder for the figures (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def confidence(p):
    """A probability as a percentage with the digits that tell it from 100 %."""
    for digits in range(5):
        text = f"{100 * p:.{digits}f}"
        if float(text) < 100 and (digits or p < 0.99):
            return text + " %"
    return "> 99.9999 %"


def plot_mistakes(x, y_true, y_pred, probabilities, names, path, model_name, n=12):
    """The ``n`` test images the model got wrong with the most confidence."""
    from matplotlib.figure import Figure

    wrong = np.flatnonzero(y_pred != y_true)
    worst = wrong[np.argsort(-probabilities[wrong, y_pred[wrong]], kind="stable")[:n]]
    cols = 6
    rows = max(1, -(-len(worst) // cols))
    fig = Figure(figsize=(2.0 * cols, 2.4 * rows), layout="constrained")
    fig.suptitle(f"Fashion-MNIST test images the {model_name} got wrong, most confident "
                 "first (its probability for the wrong class)")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), worst):
        ax.imshow(x[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")  # as stored
        ax.set_title(f"{names[y_true[i]]}\ntaken for {names[y_pred[i]]}\n"
                     f"({confidence(probabilities[i, y_pred[i]])})", fontsize=9)
    fig.savefig(path, dpi=100)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)
    names = fashion_mnist.CLASS_NAMES

    # ---- data: pixels to [0, 1], labels stay integers 0..9 ----------------------
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(path=args.data_dir)
    x_train = (x_train[:args.samples] / 255.0).astype("float32")
    y_train = y_train[:args.samples]
    x_test = (x_test / 255.0).astype("float32")
    print(f"Fashion-MNIST: {len(x_train)} training and {len(x_test)} test images of 28x28, "
          f"classes: {', '.join(names)}")

    # ---- model and training -------------------------------------------------------
    model = kerasite.Sequential([
        kerasite.Input((28, 28)),
        layers.Flatten(),
        layers.Dense(args.hidden, activation="relu"),
        layers.Dropout(args.dropout),
        layers.Dense(10, activation="softmax"),
    ], name="fashion_mlp")
    model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    # The files are not sorted by class, but shuffle before validation_split
    # takes the last 10 % anyway: it costs nothing and never surprises.
    order = np.random.default_rng(args.seed).permutation(len(x_train))
    history = model.fit(x_train[order], y_train[order], epochs=args.epochs,
                        batch_size=args.batch_size, validation_split=0.1, verbose=args.verbose)

    # ---- judged on the test set, class by class -------------------------------------
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    probabilities = model.predict(x_test, batch_size=1000)
    predicted = probabilities.argmax(axis=1)
    print(f"\ntest loss {test_loss:.4f}  test accuracy {test_accuracy:.4f}\n")

    from sklearn.metrics import classification_report

    print(classification_report(y_test, predicted, target_names=names, digits=3))

    model_name = f"MLP 784-{args.hidden}-10"
    plotting.plot_history(history, path=out / "history.png",
                          title=f"Fashion-MNIST, {model_name}: training and validation")
    plotting.plot_confusion_matrix(y_test, predicted, labels=names,
                                   title=f"Fashion-MNIST test set, {model_name}",
                                   path=out / "confusion_matrix.png")
    plot_mistakes(x_test, y_test, predicted, probabilities, names, out / "mistakes.png",
                  model_name)
    print(f"figures are in {out}/")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy}


if __name__ == "__main__":
    main()
