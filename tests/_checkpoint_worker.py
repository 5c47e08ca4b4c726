"""Trains a tiny model with a checkpoint every epoch, until it is killed.

Run by tests/test_fault_injection.py in a subprocess:

    python _checkpoint_worker.py PATH [--die-in os.replace|writestr] [--epochs N]

It resumes from PATH when the file exists, prints ``ready`` once training is
about to start, and trains ``--epochs`` epochs in total (more than it will
live to see). ``--die-in`` makes the process SIGKILL itself in the middle of
its third save: inside ``os.replace`` (the temporary file is complete) or in
the second ``ZipFile.writestr`` (the temporary file is half written).
"""

import argparse
import os
import signal
import sys
import zipfile

import numpy as np

from kerasite import Sequential, layers, utils
from kerasite.callbacks import ModelCheckpoint
from kerasite.models import load_model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype(np.float32)
    return x, np.sin(x[:, :1] - x[:, 1:2])


def new_model():
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(12, activation="tanh", input_shape=(3,)),
                        layers.Dropout(0.3), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


FIT = {"batch_size": 8, "shuffle": True, "verbose": 0}


def die_during_save(where):
    saves = {"n": 0}
    if where == "os.replace":
        real = os.replace

        def replace(src, dst):
            saves["n"] += 1
            if saves["n"] == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst)

        os.replace = replace
    else:
        real = zipfile.ZipFile.writestr

        def writestr(self, name, data, *args, **kwargs):
            if name == "weights.npz":
                saves["n"] += 1
                if saves["n"] == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(self, name, data, *args, **kwargs)

        zipfile.ZipFile.writestr = writestr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--epochs", type=int, default=1_000_000)
    parser.add_argument("--die-in", choices=["os.replace", "writestr"])
    args = parser.parse_args()
    model = load_model(args.path) if os.path.exists(args.path) else new_model()
    if args.die_in:
        die_during_save(args.die_in)
    print("ready", model.completed_epochs, flush=True)
    model.fit(*data(), initial_epoch=model.completed_epochs, epochs=args.epochs,
              callbacks=[ModelCheckpoint(args.path)], **FIT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
