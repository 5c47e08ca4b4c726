"""A structured-data classifier: Normalization for the numbers, StringLookup for the categories.

The table is generated: 2,000 people with an age, an income and weekly hours
(numbers on very different scales) and a city and a job (strings). Whether a
person "buys" follows a rule on all five columns, plus noise. The model is
the Keras preprocessing-layers recipe: ``Normalization`` adapted to the
numeric columns, ``StringLookup`` (one-hot) adapted to each string column,
concatenated and fed to a small MLP. The preprocessing is inside the model,
so the saved file takes raw rows, strings included, and gives the same
predictions after loading, in kerasite's format and in Keras's.

Run:
    python examples/structured_data.py

Figures (training curves) go to --out (default runs/<timestamp>).
"""

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import layers, plotting
from kerasite.models import load_model

CITIES = np.array(["Lyon", "Oslo", "Porto", "Quito", "Tokyo"])
JOBS = np.array(["nurse", "teacher", "engineer", "artist"])


def make_table(n, rng):
    """(numbers (n, 3), cities (n, 1), jobs (n, 1), labels (n,)) of a made-up survey."""
    age = rng.uniform(18, 80, n)
    income = rng.lognormal(10.3, 0.5, n)
    hours = rng.normal(38, 8, n).clip(5, 70)
    city = rng.choice(CITIES, n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    job = rng.choice(JOBS, n)
    score = (0.04 * (age - 45) + 1.2 * np.log(income / 30000) - 0.05 * (hours - 38)
             + np.select([city == "Oslo", city == "Quito"], [1.0, -1.0], 0.0)
             + np.where(job == "engineer", 0.8, 0.0) + rng.normal(0, 0.5, n))
    numbers = np.stack([age, income, hours], axis=1).astype("float32")
    return numbers, city[:, None], job[:, None], (score > 0).astype("float32")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows of the table (default: "
                        "%(default)s)")
    parser.add_argument("--epochs", type=int, default=20, help="training epochs (default: "
                        "%(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the weights "
                        "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder for the figures and models (default: "
                        "runs/<timestamp>)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    kerasite.utils.set_random_seed(args.seed)
    numbers, city, job, y = make_table(args.rows, rng)
    split = int(0.8 * args.rows)
    train = [numbers[:split], city[:split], job[:split]]
    test = [numbers[split:], city[split:], job[split:]]
    print(f"{args.rows} rows, {int(y.sum())} buyers; first row: age {numbers[0, 0]:.0f}, "
          f"income {numbers[0, 1]:.0f}, hours {numbers[0, 2]:.0f}, {city[0, 0]}, {job[0, 0]}")

    # The preprocessing layers learn their state from the training rows only.
    normalize = layers.Normalization()
    normalize.adapt(train[0])
    city_lookup = layers.StringLookup(output_mode="one_hot")
    city_lookup.adapt(train[1])
    job_lookup = layers.StringLookup(output_mode="one_hot")
    job_lookup.adapt(train[2])
    print("income mean and std:", f"{normalize.mean[0, 1]:.0f},",
          f"{np.sqrt(normalize.variance[0, 1]):.0f}")
    print("city vocabulary (most frequent first):", city_lookup.get_vocabulary())

    number_in = kerasite.Input((3,), name="numbers")
    city_in = kerasite.Input((1,), dtype="string", name="city")
    job_in = kerasite.Input((1,), dtype="string", name="job")
    features = layers.Concatenate()([normalize(number_in), city_lookup(city_in),
                                     job_lookup(job_in)])
    hidden = layers.Dense(16, activation="relu")(features)
    model = kerasite.Model([number_in, city_in, job_in],
                           layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer=kerasite.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, y[:split], epochs=args.epochs, batch_size=32,
                        validation_split=0.1, verbose=args.verbose)
    h = history.history
    print(f"after {len(h['loss'])} epochs: loss {h['loss'][-1]:.4f}  accuracy "
          f"{h['accuracy'][-1]:.4f}  val_accuracy {h['val_accuracy'][-1]:.4f}")
    loss, accuracy = model.evaluate(test, y[split:], verbose=0)
    print(f"test loss {loss:.4f}  test accuracy {accuracy:.4f}")

    # Raw rows in, probabilities out: the saved model carries the statistics and vocabularies.
    expected = model.predict(test, verbose=0)
    for suffix in (".kerasite", ".keras"):
        path = out / f"structured{suffix}"
        model.save(path)
        same = np.allclose(load_model(path).predict(test, verbose=0), expected, atol=1e-6)
        print(f"{path.name}: reloaded predictions {'match' if same else 'DIFFER'}")
    plotting.plot_history(history, path=out / "history.png",
                          title="Structured data: Normalization + StringLookup")
    print(f"figures are in {out}/")


if __name__ == "__main__":
    main()
