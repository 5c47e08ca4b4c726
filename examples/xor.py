"""XOR, the project reports' first experiment, with kerasite.

A 2-4-1 network (tanh hidden layer, sigmoid output) learns XOR with plain SGD
(learning rate 0.5) on the mean squared error, in 10,000 full-batch epochs.
The reports' library took 10 s for this and Keras 216 s.

Run:  python examples/xor.py
"""

import argparse
import time

import numpy as np

import kerasite
from kerasite import layers
from kerasite.callbacks import Callback


class PrintEvery(Callback):
    """Prints the loss every ``interval`` epochs."""

    def __init__(self, interval):
        super().__init__()
        self.interval = interval

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.interval == 0:
            print(f"epoch {epoch + 1:>6}  loss {logs['loss']:.6f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000,
                        help="full-batch epochs of SGD (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights (default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="0 silent; 1 or 2 a line every tenth of the epochs, as fit's "
                             "one line per epoch would be 10,000 lines (default: %(default)s)")
    args = parser.parse_args(argv)

    kerasite.utils.set_random_seed(args.seed)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = np.array([[0], [1], [1], [0]], dtype="float32")

    model = kerasite.Sequential([
        kerasite.Input(shape=(2,)),
        layers.Dense(4, activation="tanh"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=kerasite.optimizers.SGD(learning_rate=0.5), loss="mse")
    model.summary()

    start = time.perf_counter()
    model.fit(x, y, epochs=args.epochs, batch_size=4, verbose=0,
              callbacks=[PrintEvery(max(1, args.epochs // 10))] if args.verbose else [])
    seconds = time.perf_counter() - start

    predictions = model.predict(x)
    print(f"\ntrained {args.epochs} epochs in {seconds:.2f} s")
    for inputs, p in zip(x.astype(int), predictions[:, 0]):
        print(f"  {inputs[0]} xor {inputs[1]} -> {p:.4f} (rounds to {round(float(p))})")
    return predictions


if __name__ == "__main__":
    main()
