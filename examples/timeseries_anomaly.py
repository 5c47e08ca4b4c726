"""Timeseries anomaly detection with a Conv1D autoencoder, as keras.io's example does it.

keras.io's "Timeseries anomaly detection using an Autoencoder" reads the
Numenta Anomaly Benchmark's ``art_daily`` series; here the series are
generated with the same look: 14 days of one value every 5 minutes (288 a
day), low at night, a plateau each afternoon, and a little noise.

* The autoencoder is trained on windows of one day (288 steps) of a series
  without anomalies, to give back its input: two strided ``Conv1D`` halve the
  length twice, three ``Conv1DTranspose`` bring it back, with ``Dropout``
  between, as keras.io's.
* Each training window's reconstruction error is its mean absolute error;
  the largest of them is the threshold.
* The test series is another draw of the same signal, with one anomaly put
  in: all of day 10 runs 40 higher, as if a sensor had slipped. A test
  window whose error is above the threshold is anomalous, and a time step is
  flagged when every window that holds it is anomalous, as keras.io decides.

The script prints the threshold, how many windows and steps were flagged,
and how many of the flagged steps lie in the anomaly. Figures (in --out,
default runs/<timestamp>): the test series with the flagged steps marked,
and the histogram of the training errors with the threshold.

Run:
    python examples/timeseries_anomaly.py                     # keras.io's sizes
    python examples/timeseries_anomaly.py --steps-per-day 96 --epochs 10   # a quick look
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite as keras
from kerasite import layers


def daily_series(days, steps_per_day, rng):
    """``days`` of a daily pattern with noise: 20 at night, about 80 in the afternoon."""
    hour = np.arange(days * steps_per_day) % steps_per_day * 24 / steps_per_day
    # a plateau from 14:00 to 18:00 with ramps of an hour on either side
    plateau = np.clip(np.minimum(hour - 13, 19 - hour), 0, 1)
    return (20 + 60 * plateau + rng.normal(0, 2, hour.size)).astype("float32")


def with_anomaly(series, steps_per_day, day=10):
    """``series`` with all of ``day`` 40 higher (a sensor's offset); and that day's steps."""
    where = np.arange(day * steps_per_day, (day + 1) * steps_per_day)
    series = series.copy()
    series[where] += 40
    return series, where


def windows(values, length):
    """The ``len(values) - length + 1`` windows of ``length`` steps, ``(n, length, 1)``."""
    return np.lib.stride_tricks.sliding_window_view(values, length)[..., None].copy()


def build_model(length):
    """keras.io's Conv1D autoencoder for windows of ``length`` steps (a multiple of 4)."""
    return keras.Sequential([
        keras.Input(shape=(length, 1)),
        layers.Conv1D(32, 7, padding="same", strides=2, activation="relu"),
        layers.Dropout(0.2),
        layers.Conv1D(16, 7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(16, 7, padding="same", strides=2, activation="relu"),
        layers.Dropout(0.2),
        layers.Conv1DTranspose(32, 7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(1, 7, padding="same"),
    ], name="conv1d_autoencoder")


def flagged_steps(anomalous_windows, length, n_steps):
    """Steps all of whose windows are anomalous (window ``i`` holds steps ``i..i+length-1``)."""
    steps = np.arange(n_steps)
    first = np.maximum(steps - length + 1, 0)  # the windows holding step t: first..last
    last = np.minimum(steps, len(anomalous_windows) - 1)
    running = np.concatenate([[0], np.cumsum(anomalous_windows)])
    return np.flatnonzero(running[last + 1] - running[first] == last - first + 1)


def plot_series(test, flagged, injected, steps_per_day, path):
    import matplotlib.pyplot as plt

    days = np.arange(test.size) / steps_per_day
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.plot(days, test, lw=0.8, label="test series")
    ax.axvspan(days[injected[0]], days[injected[-1]], color="orange", alpha=0.3,
               label="injected anomaly")
    ax.scatter(days[flagged], test[flagged], s=8, color="red", zorder=3,
               label=f"flagged steps ({flagged.size})")
    ax.set_xlabel("day")
    ax.set_ylabel("value")
    ax.legend(loc="upper left")
    ax.set_title("Conv1D autoencoder on a generated daily series: the steps flagged as anomalous")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_errors(train_mae, test_mae, threshold, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, max(train_mae.max(), test_mae.max()) * 1.02, 60)
    ax.hist(train_mae, bins=bins, alpha=0.7, label="training windows")
    ax.hist(test_mae, bins=bins, alpha=0.5, label="test windows")
    ax.axvline(threshold, color="red", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_yscale("log")
    ax.set_xlabel("reconstruction error (mean absolute error of a window)")
    ax.set_ylabel("windows")
    ax.legend()
    ax.set_title("Conv1D autoencoder on a generated daily series: reconstruction errors")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14, help="days of each series "
                        "(default: %(default)s)")
    parser.add_argument("--steps-per-day", type=int, default=288,
                        help="values a day, and the window length; a multiple of 24 "
                             "(default: %(default)s, one every 5 minutes)")
    parser.add_argument("--epochs", type=int, default=30,
                        help="at most this many epochs; EarlyStopping may stop sooner "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="windows per step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the series, the weights and the shuffling "
                             "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 bar, 2 a line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.steps_per_day % 24 or args.days < 11:
        raise SystemExit("--steps-per-day must be a multiple of 24 and --days at least 11")
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    length = args.steps_per_day
    train = daily_series(args.days, length, rng)
    test, injected = with_anomaly(daily_series(args.days, length, rng), length)

    # Both series are scaled with the training series' mean and standard deviation.
    mean, std = train.mean(), train.std()
    x_train = windows((train - mean) / std, length)
    x_test = windows((test - mean) / std, length)
    print(f"training windows {x_train.shape}, test windows {x_test.shape}")

    model = build_model(length)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
    start = time.perf_counter()
    history = model.fit(x_train, x_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_split=0.1, callbacks=[stop], verbose=args.verbose)
    h = history.history
    print(f"trained {len(h['loss'])} epochs in {time.perf_counter() - start:.1f} s: "
          f"loss {h['loss'][0]:.4f} -> {h['loss'][-1]:.4f}")

    train_mae = np.mean(np.abs(model.predict(x_train, verbose=0) - x_train), axis=(1, 2))
    threshold = float(train_mae.max())
    test_mae = np.mean(np.abs(model.predict(x_test, verbose=0) - x_test), axis=(1, 2))
    anomalous = test_mae > threshold
    flagged = flagged_steps(anomalous, length, test.size)
    inside = np.isin(flagged, injected).sum()
    print(f"threshold (largest training error) {threshold:.4f}")
    print(f"anomalous test windows: {anomalous.sum()} of {anomalous.size}")
    print(f"flagged steps: {flagged.size}, of which in the injected anomaly: {inside} "
          f"(it has {injected.size} steps)")
    plot_series(test, flagged, injected, length, out / "flagged_series.png")
    plot_errors(train_mae, test_mae, threshold, out / "errors.png")
    print(f"figures in {out}")
    return history


if __name__ == "__main__":
    main()
