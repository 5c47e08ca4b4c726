"""A text classifier: keras.io's bidirectional LSTM, on generated reviews that need word order.

The model is keras.io's "Bidirectional LSTM on IMDB": an Embedding, a
``Bidirectional(LSTM(64, return_sequences=True))``, a
``Bidirectional(LSTM(64))`` and one sigmoid unit. IMDB cannot be downloaded
here, so the reviews are generated, and made so that a bag of words cannot
classify them:

* a clause says what one part of the film was like, ``the plot was good``,
  with intensifiers (``very``, ``really``, ...) and sometimes ``not``, which
  flips it: ``the plot was not very good`` is negative;
* a review is one clause, or two joined by ``but``, and then the second one
  decides: ``the plot was dull but the music was great`` is positive, and the
  same words with the clauses swapped are negative.

``TextVectorization`` turns each review into token ids, padded with 0 to the
longest review of the batch, and ``Embedding(mask_zero=True)`` makes a mask of
the real words, so that both LSTMs skip the padding (see the guide "Masking
and padding").

The script prints the test accuracy, overall and on each kind of review, and
the model's verdict on a few reviews written by hand, among them pairs made of
the same words in another order. Figure (in --out, default runs/<timestamp>):
the training curves and those verdicts.

Run:
    python examples/text_classifier.py                       # 4,000 reviews, 5 epochs
    python examples/text_classifier.py --epochs 3 --samples 1000 --units 16   # a quick look
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite as keras
from kerasite import layers

PARTS = ["movie", "plot", "acting", "ending", "music", "story", "cast", "film", "script"]
GOOD = ["good", "great", "wonderful", "brilliant", "fun", "moving", "superb"]
BAD = ["bad", "boring", "awful", "dull", "terrible", "silly", "weak"]
INTENSIFIERS = ["very", "really", "quite", "truly", "so"]
OPENINGS = ["honestly", "i think", "to be fair", "well", "in the end"]

#: Reviews written by hand for the figure; the pairs hold the same words in another order.
HAND_WRITTEN = [
    "the movie was good",
    "the movie was not good",
    "the acting was not very bad",
    "honestly the ending was really not fun",
    "the plot was dull but the music was great",
    "the music was great but the plot was dull",
    "the cast was not weak but the script was silly",
    "the script was silly but the cast was not weak",
]


def clause(rng):
    """``(words, positive)`` of one clause: ``the <part> was [not] [very ...] <adjective>``."""
    good = bool(rng.integers(2))
    words = ["the", rng.choice(PARTS), "was"]
    negated = rng.random() < 0.5
    if negated:
        words.append("not")
    words += list(rng.choice(INTENSIFIERS, size=rng.integers(0, 3)))
    words.append(rng.choice(GOOD if good else BAD))
    return words, good != negated


def make_reviews(n, rng):
    """``(texts (n,), labels (n,) float32, kinds (n,))`` of generated reviews.

    ``kinds`` says what the label hangs on: ``"plain"`` (one clause, no
    ``not``), ``"negated"`` (one clause with ``not``) or ``"but"`` (two
    clauses: the second decides).
    """
    texts, labels, kinds = [], [], []
    for _ in range(n):
        words = rng.choice(OPENINGS).split() if rng.random() < 0.3 else []
        first, positive = clause(rng)
        words += first
        kind = "negated" if "not" in first else "plain"
        if rng.random() < 0.5:
            second, positive = clause(rng)
            words += ["but", *second]
            kind = "but"
        texts.append(" ".join(words))
        labels.append(positive)
        kinds.append(kind)
    return np.array(texts), np.array(labels, dtype="float32"), np.array(kinds)


def build_model(vocabulary_size, embedding_dim, units):
    """keras.io's classifier: Embedding, two bidirectional LSTMs, a sigmoid unit."""
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(units))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="bidirectional_lstm")


def plot_results(history, reviews, probabilities, path, samples):
    """Loss and accuracy per epoch, and the model's verdicts on the hand-written reviews."""
    import matplotlib.pyplot as plt

    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig = plt.figure(figsize=(12, 7.5))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.1])
    for i, key in enumerate(("loss", "accuracy")):
        ax = fig.add_subplot(grid[0, i])
        ax.plot(epochs, h[key], marker="o", label="training")
        ax.plot(epochs, h[f"val_{key}"], marker="o", linestyle="--", label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("binary cross-entropy" if key == "loss" else key)
        ax.set_title(f"{key} per epoch")
        ax.legend()
    ax = fig.add_subplot(grid[1, :])
    y = np.arange(len(reviews))[::-1]
    colours = ["tab:green" if p >= 0.5 else "tab:red" for p in probabilities]
    ax.hlines(y, 0, 1, color="lightgrey", lw=0.8)
    ax.scatter(probabilities, y, s=90, color=colours, zorder=3)
    for p, row in zip(probabilities, y):
        ax.annotate(f"{p:.3f} {'positive' if p >= 0.5 else 'negative'}", (p, row),
                    xytext=(-8 if p >= 0.5 else 8, 7), textcoords="offset points",
                    ha="right" if p >= 0.5 else "left", fontsize=9)
    ax.axvline(0.5, color="grey", linestyle=":")
    ax.set_yticks(y, [f'"{r}"' for r in reviews])
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.6, len(reviews) - 0.2)
    ax.set_xlabel("P(positive)")
    ax.set_title("verdicts on hand-written reviews (the pairs: same words, other order)")
    fig.suptitle(f"Bidirectional LSTM on {samples:,} generated reviews: training and verdicts")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000,
                        help="reviews to generate; a fifth are kept for the test "
                             "(default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs (default: %(default)s)")
    parser.add_argument("--units", type=int, default=64,
                        help="units of each LSTM; keras.io's are 64 (default: %(default)s)")
    parser.add_argument("--embedding-dim", type=int, default=32,
                        help="size of the word vectors; keras.io's are 128 "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="reviews per step (default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=0.005,
                        help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, the weights and the shuffling "
                             "(default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 bar, 2 a line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    texts, labels, kinds = make_reviews(args.samples, rng)
    split = int(0.8 * args.samples)
    for text, label in zip(texts[:3], labels[:3]):
        print(f"{'positive' if label else 'negative'}: {text}")

    # The vocabulary comes from the training reviews; index 0 pads, 1 is "[UNK]".
    vectorize = layers.TextVectorization()
    vectorize.adapt(texts[:split])
    ids = np.asarray(vectorize(texts))
    print(f"{len(vectorize.get_vocabulary())} tokens; reviews padded to {ids.shape[1]} words")

    model = build_model(len(vectorize.get_vocabulary()), args.embedding_dim, args.units)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(ids[:split], labels[:split], batch_size=args.batch_size,
                        epochs=args.epochs, validation_split=0.1, verbose=args.verbose)
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s ({split:,} reviews, a tenth of them for validation)")

    loss, accuracy = model.evaluate(ids[split:], labels[split:], verbose=0)
    print(f"test loss {loss:.4f}  test accuracy {accuracy:.4f}")
    predicted = model.predict(ids[split:], verbose=0)[:, 0] >= 0.5
    for kind in ("plain", "negated", "but"):
        chosen = kinds[split:] == kind
        right = np.mean(predicted[chosen] == labels[split:][chosen])
        print(f"  {kind:>7} reviews: accuracy {right:.4f} on {chosen.sum()}")

    probabilities = model.predict(np.asarray(vectorize(np.array(HAND_WRITTEN))),
                                  verbose=0)[:, 0]
    for review, p in zip(HAND_WRITTEN, probabilities):
        print(f"P(positive) {p:.3f}  {review}")
    plot_results(history, HAND_WRITTEN, probabilities, out / "text_classifier.png",
                 args.samples)
    print(f"figures in {out}")
    return history


if __name__ == "__main__":
    main()
