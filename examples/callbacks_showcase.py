"""Every built-in callback on one run, plus one written here, and what each recorded.

A digits classifier trains for up to --epochs epochs with:

* ``LearningRateScheduler``: a linear warm-up over the first epochs;
* ``ReduceLROnPlateau``: halves the learning rate when ``val_loss`` stalls;
* ``EarlyStopping``: stops when ``val_loss`` has not improved for a while, and
  puts back the weights of the best epoch;
* ``Timer``: seconds per epoch and in all;
* ``LossLogger``: the loss of every batch (and a CSV of them);
* ``CSVLogger``: one CSV row per epoch, written as training goes;
* ``GradientNorm``: a custom callback, defined below, that records the size of
  the gradient after every batch.

At the end the script prints what each callback recorded and draws it all in
one figure.

Run:  python examples/callbacks_showcase.py [--epochs 200] [--out runs/callbacks]
"""

import argparse
import csv
import math
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import datasets, layers
from kerasite.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    LossLogger,
    ReduceLROnPlateau,
    Timer,
)


class GradientNorm(Callback):
    """Records the L2 norm of all the weights' gradients after every batch.

    ``fit`` calls ``on_train_batch_end`` right after the optimizer step, when
    each layer's ``grads`` still hold that batch's gradients.

    Attributes:
        batch_norms: one value per batch, in order.
        epoch_means: the mean of ``batch_norms`` over each epoch.
    """

    def on_train_begin(self, logs=None):
        self.batch_norms, self.epoch_means = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = []

    def on_train_batch_end(self, batch, logs=None):
        squares = sum(float(np.vdot(g, g)) for layer in self.model.layers
                      for g in layer.grads.values())
        self._epoch.append(math.sqrt(squares))

    def on_epoch_end(self, epoch, logs=None):
        self.batch_norms.extend(self._epoch)
        self.epoch_means.append(float(np.mean(self._epoch)))


def warm_up(epochs, base_lr):
    """A schedule that ramps the rate up to ``base_lr`` over ``epochs`` epochs, then leaves it."""
    def schedule(epoch, lr):
        return base_lr * (epoch + 1) / epochs if epoch < epochs else lr
    return schedule


def plot_callbacks(history, early, logger, grad_norm, timer, steps, path):
    from matplotlib.figure import Figure

    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig = Figure(figsize=(11, 10), layout="constrained")
    (a, b), (c, d), (e, f) = fig.subplots(3, 2)
    fig.suptitle("Callbacks on one run: 8x8 digits, MLP 64-64-10, Adam", fontsize=13)

    a.plot(epochs, h["loss"], color="C0", label="train loss")
    a.plot(epochs, h["val_loss"], "--", color="C1", label="validation loss")
    a.axvline(early.best_epoch + 1, color="C2", linestyle=":",
              label=f"best epoch ({early.best_epoch + 1}), restored")
    a.set_yscale("log")
    a.set_title("EarlyStopping")
    a.set_ylabel("cross-entropy (log scale)")

    b.step(epochs, h["learning_rate"], where="post", color="C3")
    b.set_yscale("log")
    b.set_title("LearningRateScheduler (warm-up), then ReduceLROnPlateau", fontsize=10)
    b.set_ylabel("learning rate (log scale)")

    batches = np.arange(1, len(logger.batch_losses) + 1) / steps
    c.plot(batches, logger.batch_losses, linewidth=0.6, alpha=0.6, label="batch loss")
    c.plot(epochs, logger.epoch_losses, "o-", markersize=3, label="epoch mean")
    c.set_yscale("log")
    c.set_title("LossLogger")
    c.set_ylabel("cross-entropy (log scale)")

    d.plot(batches, grad_norm.batch_norms, linewidth=0.6, alpha=0.6, label="per batch")
    d.plot(epochs, grad_norm.epoch_means, "o-", markersize=3, label="epoch mean")
    d.set_yscale("log")
    d.set_title("GradientNorm (custom callback)")
    d.set_ylabel("gradient L2 norm (log scale)")

    e.bar(epochs, np.asarray(timer.epoch_times) * 1000, color="C7")
    e.set_title("Timer")
    e.set_ylabel("milliseconds per epoch")

    f.plot(epochs, h["accuracy"], color="C0", label="train accuracy")
    f.plot(epochs, h["val_accuracy"], "--", color="C1", label="validation accuracy")
    f.set_title("History: accuracy")
    f.set_ylabel("accuracy")
    for ax in (a, b, c, d, e, f):
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("epoch")
    for ax in (a, c, d):
        ax.legend(loc="upper right")
    f.legend(loc="lower right")
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200,
                        help="the most epochs to train; EarlyStopping usually stops sooner "
                        "(default: %(default)s)")
    parser.add_argument("--patience", type=int, default=8,
                        help="epochs without a better val_loss before EarlyStopping stops "
                        "(default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="epochs of linear learning-rate warm-up (default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=3e-3,
                        help="Adam's learning rate after the warm-up (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="images per gradient step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights, shuffling and the validation split "
                        "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder for the figure and CSV files "
                        "(default: runs/<timestamp>)")
    args = parser.parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)

    (x, y), _ = datasets.digits.load_data()
    x = x.reshape(len(x), -1).astype("float32") / 255
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_val = len(x) // 10
    x_val, y_val = x[order[:n_val]], y[order[:n_val]]
    x_fit, y_fit = x[order[n_val:]], y[order[n_val:]]

    model = kerasite.Sequential([
        kerasite.Input((64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    early = EarlyStopping(monitor="val_loss", patience=args.patience, min_delta=1e-4,
                          restore_best_weights=True)
    schedule = LearningRateScheduler(warm_up(args.warmup, args.learning_rate))
    plateau = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5)
    timer, logger, grad_norm = Timer(), LossLogger(out / "batch_losses.csv"), GradientNorm()
    csv_logger = CSVLogger(out / "epochs.csv")

    history = model.fit(x_fit, y_fit, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_val, y_val), verbose=args.verbose,
                        callbacks=[schedule, plateau, early, timer, logger, csv_logger, grad_norm])

    ran = len(history.epoch)
    steps = math.ceil(len(x_fit) / args.batch_size)
    lrs = history.history["learning_rate"]
    reductions = sum(1 for before, after in zip(lrs[args.warmup:], lrs[args.warmup + 1:])
                     if after < before)
    with open(out / "epochs.csv", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    with open(out / "batch_losses.csv", newline="") as f:
        batch_rows = sum(1 for _ in csv.DictReader(f))
    restored_val_loss = model.evaluate(x_val, y_val, verbose=0)[0]

    print(f"trained {ran} of at most {args.epochs} epochs, {steps} batches per epoch\n")
    print("EarlyStopping")
    stopped = f"stopped after epoch {early.stopped_epoch + 1}" if early.stopped_epoch else \
        "never stopped training"
    print(f"  {stopped}; best val_loss {early.best:.4f} at epoch {early.best_epoch + 1}")
    print(f"  val_loss of the restored weights: {restored_val_loss:.4f}")
    print("Timer")
    print(f"  epochs timed: {len(timer.epoch_times)}; total {timer.total_time:.2f} s, "
          f"median {np.median(timer.epoch_times) * 1000:.1f} ms per epoch")
    print("LossLogger")
    print(f"  batch losses: {len(logger.batch_losses)} ({ran} epochs x {steps} batches); "
          f"epoch losses: {len(logger.epoch_losses)}")
    print(f"  first batch {logger.batch_losses[0]:.4f}, last batch {logger.batch_losses[-1]:.4f}")
    print(f"  batch_losses.csv rows: {batch_rows}")
    print("CSVLogger")
    print(f"  epochs.csv rows: {len(csv_rows)}")
    print(f"  columns: {', '.join(csv_rows[0])}")
    print("LearningRateScheduler + ReduceLROnPlateau")
    print(f"  learning rate: warm-up {', '.join(f'{lr:.4g}' for lr in lrs[:args.warmup])};")
    print(f"  then {reductions} reductions by ReduceLROnPlateau, ending at {lrs[-1]:.4g}")
    print("GradientNorm (custom)")
    print(f"  batch values: {len(grad_norm.batch_norms)}; "
          f"epoch means: {len(grad_norm.epoch_means)}; first epoch "
          f"{grad_norm.epoch_means[0]:.3f}, last epoch {grad_norm.epoch_means[-1]:.3f}")

    plot_callbacks(history, early, logger, grad_norm, timer, steps, out / "callbacks.png")
    print(f"\nfigure and CSV files are in {out}/")
    return {"epochs_run": ran, "steps": steps, "early": early, "timer": timer}


if __name__ == "__main__":
    main()
