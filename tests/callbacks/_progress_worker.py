"""Trains with ``fit(verbose=1)``, run by tests/callbacks/test_progress.py in a pseudo-terminal.

    python _progress_worker.py EPOCHS

Every batch redraws the bar (``refresh_interval=0``) so the test sees the
worst case of in-place redraws. The history is printed as JSON on stderr.
"""

import json
import sys

import numpy as np

from kerasite import Input, Sequential, layers, utils
from kerasite.callbacks import progress


def main():
    epochs = int(sys.argv[1])
    progress.ProgressBar.__init__.__defaults__ = (1, 0.0, None)  # redraw at every batch
    utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    model = Sequential([Input((4,)), layers.Dense(8, activation="tanh"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "mae", "mse"])
    history = model.fit(x, y, epochs=epochs, batch_size=16, validation_split=0.2, verbose=1)
    print(json.dumps(history.history), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
