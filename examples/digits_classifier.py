"""A softmax classifier for handwritten digits, with accuracy and a confusion matrix.

A small multilayer perceptron (Flatten, Dense 64 ReLU, Dense 10 softmax) learns
the bundled 8x8 digits with Adam on the categorical cross-entropy, written as
a Keras user writes it: ``kerasite.datasets.digits.load_data()`` and one-hot
labels from ``kerasite.utils.to_categorical``. ``fit`` reports the
accuracy on a held-out validation set after every epoch; ``evaluate`` gives
the final test loss and accuracy, and the confusion matrix shows which digits
are mistaken for which.

Run:
    python examples/digits_classifier.py                          # bundled digits, seconds
    python examples/digits_classifier.py --dataset fashion_mnist  # 28x28 clothing images

Figures (training curves, confusion matrix) go to --out (default runs/<timestamp>).
"""

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import layers, plotting
from kerasite.utils import to_categorical

DEFAULTS = {
    "digits": {"hidden": 64, "epochs": 30, "batch_size": 32},
    "fashion_mnist": {"hidden": 256, "epochs": 10, "batch_size": 128},
    "mnist": {"hidden": 256, "epochs": 10, "batch_size": 128},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DEFAULTS), default="digits",
                        help="images to classify: the bundled 8x8 digits need no download "
                        "(default: %(default)s)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding the dataset files (default: the usual search, "
                        "see the Datasets guide)")
    parser.add_argument("--hidden", type=int,
                        help="units of the hidden layer (default: 64 for digits, 256 otherwise)")
    parser.add_argument("--epochs", type=int,
                        help="training epochs (default: 30 for digits, 10 otherwise)")
    parser.add_argument("--batch-size", type=int,
                        help="images per gradient step (default: 32 for digits, 128 otherwise)")
    parser.add_argument("--learning-rate", type=float, default=3e-3,
                        help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.1,
                        help="dropout rate after the hidden layer (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights, shuffling and the validation split "
                        "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                        "(default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder for the figures (default: runs/<timestamp>)")
    args = parser.parse_args(argv)
    for key, value in DEFAULTS[args.dataset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)

    # ---- data: pixels to [0, 1], labels one-hot --------------------------------
    module = {"digits": kerasite.datasets.digits, "mnist": kerasite.datasets.mnist,
              "fashion_mnist": kerasite.datasets.fashion_mnist}[args.dataset]
    (x_train, y_train), (x_test, y_test) = module.load_data(path=args.data_dir)
    x_train = (x_train / 255.0).astype("float32")
    x_test = (x_test / 255.0).astype("float32")
    # validation_split takes the *last* 10 %, so shuffle once first (the digits
    # are stored roughly in order of the writers).
    order = np.random.default_rng(args.seed).permutation(len(x_train))
    x_train, y_train = x_train[order], y_train[order]
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images of "
          f"{x_train.shape[1]}x{x_train.shape[2]}, {len(np.unique(y_train))} classes")

    # ---- model ----------------------------------------------------------------
    model = kerasite.Sequential([
        kerasite.Input(x_train.shape[1:]),
        layers.Flatten(),
        layers.Dense(args.hidden, activation="relu"),
        layers.Dropout(args.dropout),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=args.learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    # to_categorical: class 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], as in Keras.
    history = model.fit(x_train, to_categorical(y_train, 10), epochs=args.epochs,
                        batch_size=args.batch_size,
                        validation_split=0.1, verbose=args.verbose)
    h = history.history
    print(f"\nafter {len(h['loss'])} epochs: loss {h['loss'][-1]:.4f}  "
          f"accuracy {h['accuracy'][-1]:.4f}  val_loss {h['val_loss'][-1]:.4f}  "
          f"val_accuracy {h['val_accuracy'][-1]:.4f}")

    # ---- test set ---------------------------------------------------------------
    test_loss, test_accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    print(f"test loss {test_loss:.4f}  test accuracy {test_accuracy:.4f}")
    predicted = model.predict(x_test).argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_test)
    print(f"{len(wrong)} of {len(x_test)} test images misclassified")
    names = getattr(module, "CLASS_NAMES", None) or [str(c) for c in range(10)]
    pairs, counts = np.unique(np.stack([y_test[wrong], predicted[wrong]], axis=1), axis=0,
                              return_counts=True)
    for k in np.argsort(-counts, kind="stable")[:5]:
        true, guess = pairs[k]
        print(f"  {names[true]} taken for {names[guess]}: {counts[k]}")

    what = f"{module.TITLE}, MLP {int(np.prod(x_train.shape[1:]))}-{args.hidden}-10"
    plotting.plot_history(history, path=out / "history.png",
                          title=f"{what}: training and validation")
    plotting.plot_confusion_matrix(y_test, predicted, labels=names, title=f"{what}, test set",
                                   path=out / "confusion_matrix.png")
    print(f"\nfigures are in {out}/")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy, "history": h}


if __name__ == "__main__":
    main()
