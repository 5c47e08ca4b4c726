"""Sequence to sequence: an LSTM learns to add numbers written as text, as keras.io's does.

keras.io's "Sequence to sequence learning for performing number addition":

* a question is a string such as ``"123+45"``, padded with spaces to
  ``2 * digits + 1`` characters and, as keras.io does by default, reversed
  (``"54+321 "``), which puts the digits that are added first near each other;
  the answer is the sum, padded to ``digits + 1`` characters (``"168 "``);
* each character is one-hot over the 12 symbols ``0123456789+`` and space;
* the encoder, an ``LSTM(128)``, reads the question into one vector;
  ``RepeatVector(digits + 1)`` hands it to every step of the decoder, an
  ``LSTM(128, return_sequences=True)``, and ``TimeDistributed(Dense(12,
  softmax))`` writes one character per step;
* the loss is the categorical cross-entropy of each answer character, and
  ``accuracy`` counts the characters right. A callback also counts, after
  each epoch, the validation answers that are right in every character.

keras.io trains on 50,000 questions of up to 3 digits for 30 epochs; the
defaults here are 2 digits and 5,000 questions (nearly all the 5,050 there
are) for 40 epochs, which take minutes on a CPU. Figure (in --out, default runs/<timestamp>): the accuracy curves and a
table of validation questions with the model's answers.

Run:
    python examples/lstm_addition.py                          # 2 digits, 5,000 questions
    python examples/lstm_addition.py --digits 3 --samples 50000 --epochs 30   # keras.io's run
"""

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite as keras
from kerasite import layers

CHARS = "0123456789+ "


class CharacterTable:
    """One-hot encodes strings over ``CHARS`` and decodes the model's probabilities."""

    def __init__(self, chars):
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    def encode(self, strings, length):
        """``(n, length, len(chars))`` float32 one-hot rows of ``strings``, each ``length`` long."""
        codes = np.array([[self.index[c] for c in s] for s in strings]).reshape(-1, length)
        return np.eye(len(self.chars), dtype="float32")[codes]

    def decode(self, probabilities):
        """The strings of the most likely characters, ``(n, length, chars)`` -> ``n`` strings."""
        return ["".join(self.chars[i] for i in row) for row in probabilities.argmax(axis=-1)]


def make_questions(n, digits, rng, reverse=True):
    """``n`` distinct questions ``"a+b"`` (padded, reversed if asked) and their answers.

    As in keras.io, ``a+b`` and ``b+a`` count as one question; here the ``n``
    are drawn uniformly from all the pairs, each written in a random order.
    """
    a, b = np.triu_indices(10 ** digits)  # every pair a <= b
    if n > a.size:
        raise SystemExit(f"--samples {n} is too many: there are only {a.size:,} distinct "
                         f"sums of numbers of up to {digits} digits")
    chosen = rng.choice(a.size, size=n, replace=False)
    swap = rng.random(n) < 0.5
    maxlen = 2 * digits + 1
    questions, answers = [], []
    for i, flip in zip(chosen, swap):
        x, y = (b[i], a[i]) if flip else (a[i], b[i])
        query = f"{x}+{y}".ljust(maxlen)
        questions.append(query[::-1] if reverse else query)
        answers.append(str(x + y).ljust(digits + 1))
    return questions, answers


def constant_accuracy(y_train, y_val):
    """The character accuracy of always answering the training set's commonest characters."""
    commonest = y_train.sum(axis=0).argmax(axis=-1)  # one character per answer position
    return float(np.mean(y_val.argmax(axis=-1) == commonest))


def build_model(digits, units):
    """The encoder LSTM, RepeatVector, the decoder LSTM and a softmax per character."""
    return keras.Sequential([
        keras.Input(shape=(2 * digits + 1, len(CHARS))),
        layers.LSTM(units),
        layers.RepeatVector(digits + 1),
        layers.LSTM(units, return_sequences=True),
        layers.TimeDistributed(layers.Dense(len(CHARS), activation="softmax")),
    ], name="lstm_addition")


class ExactAnswers(keras.callbacks.Callback):
    """After each epoch, the fraction of validation answers right in every character."""

    def __init__(self, x, answers, table):
        super().__init__()
        self.x, self.answers, self.table = x, np.array(answers), table
        self.fractions = []

    def on_epoch_end(self, epoch, logs=None):
        guesses = self.table.decode(self.model.predict(self.x, batch_size=512, verbose=0))
        self.fractions.append(float(np.mean(np.array(guesses) == self.answers)))
        if logs is not None:
            logs["val_exact_answers"] = self.fractions[-1]


def plot_results(history, rows, path, title):
    """The accuracy curves, and a table of questions with the model's answers."""
    import matplotlib.pyplot as plt

    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, (ax, table_ax) = plt.subplots(1, 2, figsize=(12, 5),
                                       gridspec_kw={"width_ratios": [1.3, 1]})
    ax.plot(epochs, h["accuracy"], marker="o", label="characters right (training)")
    ax.plot(epochs, h["val_accuracy"], marker="o", linestyle="--",
            label="characters right (validation)")
    ax.plot(epochs, h["val_exact_answers"], marker="s", label="whole answers right (validation)")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("fraction right")
    ax.set_title("accuracy per epoch")
    ax.legend(loc="upper left")
    table_ax.axis("off")
    cells = [[q, a, g, "yes" if g == a else "no"] for q, a, g in rows]
    table = table_ax.table(cellText=cells, colLabels=["question", "answer", "model", "right"],
                           loc="center", cellLoc="center")
    table.scale(1, 1.4)
    for (r, c), cell in table.get_celld().items():
        cell.get_text().set_family("monospace")
        if r and c == 3:
            cell.set_facecolor("#d8f0d8" if cells[r - 1][3] == "yes" else "#f6d5d5")
    table_ax.set_title("validation questions and the model's answers")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000,
                        help="questions; a tenth are kept for validation (default: %(default)s)")
    parser.add_argument("--digits", type=int, default=2,
                        help="largest number of digits of each term (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=40, help="epochs (default: %(default)s)")
    parser.add_argument("--units", type=int, default=128,
                        help="units of each LSTM; keras.io's are 128 (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="questions per step (default: %(default)s)")
    parser.add_argument("--no-reverse", action="store_true",
                        help="feed the questions as written, not reversed as keras.io does "
                             "(default: reversed)")
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
    reverse = not args.no_reverse
    questions, answers = make_questions(args.samples, args.digits, rng, reverse)
    table = CharacterTable(CHARS)
    x = table.encode(questions, 2 * args.digits + 1)
    y = table.encode(answers, args.digits + 1)
    split = len(x) - len(x) // 10
    shown = questions[0][::-1] if reverse else questions[0]
    print(f"{len(x):,} questions, e.g. {shown!r} -> {answers[0]!r}, fed as {questions[0]!r}; "
          f"x {x.shape}, y {y.shape}")

    print(f"answering the commonest character at each position gets "
          f"{constant_accuracy(y[:split], y[split:]):.4f} of the characters right")
    model = build_model(args.digits, args.units)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    exact = ExactAnswers(x[split:], answers[split:], table)
    start = time.perf_counter()
    history = model.fit(x[:split], y[:split], batch_size=args.batch_size, epochs=args.epochs,
                        validation_data=(x[split:], y[split:]), callbacks=[exact],
                        verbose=args.verbose)
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s")
    h = history.history
    print(f"after {len(h['loss'])} epochs: val_accuracy {h['val_accuracy'][-1]:.4f} "
          f"(characters)  exact answers {exact.fractions[-1]:.4f} of {len(x) - split:,}")

    picked = rng.choice(np.arange(split, len(x)), size=12, replace=False)
    guesses = table.decode(model.predict(x[picked], verbose=0))
    rows = []
    for i, guess in zip(picked, guesses):
        question = questions[i][::-1] if reverse else questions[i]
        rows.append((question.strip(), answers[i].strip(), guess.strip()))
        print(f"{question.strip():>{2 * args.digits + 1}} = {guess.strip():<{args.digits + 1}} "
              f"{'right' if guess == answers[i] else 'wrong, ' + answers[i].strip()}")
    title = (f"LSTM encoder-decoder on {len(x):,} generated sums of up to {args.digits} "
             "digits: accuracy and sample answers")
    plot_results(history, rows, out / "lstm_addition.png", title)
    print(f"figures in {out}")
    return history


if __name__ == "__main__":
    main()
