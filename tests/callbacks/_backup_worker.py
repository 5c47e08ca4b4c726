"""Trains with ``BackupAndRestore``; run (and killed) by tests/callbacks/test_backup.py.

    python _backup_worker.py BACKUP_DIR OUT.weights.npz EPOCHS [--no-seed]

The same script each time, as a user would rerun it: a fresh model, then
``fit`` with the callback, which resumes from the backup when there is one.
It prints ``start K`` (K = the epoch fit starts from), then ``epoch E`` after
each epoch's backup is written, and saves the final weights to OUT.
``--no-seed`` builds the model without ``set_random_seed``, so only the
backup can make the resumed run continue the first one.
"""

import sys

import numpy as np

from kerasite import Sequential, layers, utils
from kerasite.callbacks import BackupAndRestore, LambdaCallback


def main():
    backup_dir, out, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if "--no-seed" not in sys.argv:
        utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(45, 5)).astype(np.float32)
    y = np.tanh(x @ rng.normal(size=(5, 2))).astype(np.float32)
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.4), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    report = LambdaCallback(
        on_train_begin=lambda logs: print("start", model.completed_epochs, flush=True),
        on_epoch_end=lambda epoch, logs: print("epoch", epoch, flush=True))
    model.fit(x, y, epochs=epochs, batch_size=7, shuffle=True, verbose=0,
              callbacks=[BackupAndRestore(backup_dir), report])
    model.save_weights(out)


if __name__ == "__main__":
    main()
