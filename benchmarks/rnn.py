"""keras.io's bidirectional LSTM on IMDB-shaped data: kerasite against tf.keras and PyTorch.

Usage::

    python benchmarks/rnn.py                      # 3,000 sequences, 3 timed epochs
    python benchmarks/rnn.py --samples 800 --epochs 1 --frameworks kerasite   # a quick check
    python benchmarks/rnn.py --samples 25000      # IMDB's full training-set size
    python benchmarks/rnn.py --cell gru           # the same model with GRU layers

The model is keras.io's "Bidirectional LSTM on IMDB": ``Input((None,),
"int32")``, ``Embedding(20000, 128)``, ``Bidirectional(LSTM(64,
return_sequences=True))``, ``Bidirectional(LSTM(64))``, ``Dense(1,
"sigmoid")``, the binary cross-entropy and Adam (lr 1e-3, epsilon 1e-7),
batches of 32. The data are synthetic token ids of IMDB's shape (length
200, a vocabulary of 20,000, drawn with a Zipf-like law as words are, from
a fixed seed) with labels a linear rule of the tokens, so the model can learn.

The harness is ``run.py``'s: the same initial weights in every framework
(kerasite's, copied into Keras with ``set_weights`` and into ``nn.LSTM``),
one worker process per framework (tf.keras in ``/opt/tfenv/bin/python``,
``fit`` compiled with ``tf.function`` as usual), round-robin epochs with the
order rotating, the median of the quiet epochs, same-round paired ratios
kerasite / tf.keras and kerasite / PyTorch, and peak training memory of
each framework in a fresh process. With numba installed the kerasite worker
also trains the same model with the accelerator off (``kerasite (NumPy)``).

PyTorch runs ``nn.Embedding``, one ``nn.LSTM(128, 64, num_layers=2,
bidirectional=True, batch_first=True)`` (its layer 2 reads layer 1's
concatenated directions, as the second ``Bidirectional`` does) and
``nn.Linear``; its gate order ``i, f, g, o`` is Keras's, so the kernels go
in transposed, with ``bias_hh`` zero. The model's output is the
concatenation of the forward direction's last state and the backward
direction's (which read the whole sequence backwards), as in Keras.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

IMDB = {"vocabulary": 20_000, "length": 200, "embedding": 128, "units": 64,
        "batch_size": 32, "samples": 3_000, "test": 500}
CELLS = ("lstm", "gru")


# ============================================================================ data
def make_data(n_train, n_test, seed=0):
    """Synthetic IMDB-shaped data: ``(x_train, y_train, x_test, y_test)``.

    ``x`` is int32 ``(n, 200)`` token ids in ``[1, 20000)``, drawn with
    probabilities proportional to ``1 / rank`` (Zipf's law, as words are),
    so a batch touches a few thousand distinct rows of the embedding, as
    real text does. ``y`` is int64 0/1: whether the tokens' mean of a fixed
    random score per token is above the median.
    """
    rng = np.random.default_rng(seed)
    vocab, length = IMDB["vocabulary"], IMDB["length"]
    weights = 1.0 / np.arange(1, vocab)
    n = n_train + n_test
    x = rng.choice(np.arange(1, vocab), size=(n, length), p=weights / weights.sum())
    x = x.astype(np.int32)
    score = rng.normal(size=vocab)
    value = score[x].mean(axis=1)
    y = (value > np.median(value)).astype(np.int64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# ========================================================================== models
def build_kerasite_model(seed, cell="lstm"):
    """keras.io's bidirectional LSTM (or the same with GRU) as a kerasite ``Sequential``."""
    import kerasite
    from kerasite import layers

    kerasite.utils.set_random_seed(seed)
    rnn = layers.LSTM if cell == "lstm" else layers.GRU
    units = IMDB["units"]
    return kerasite.Sequential([
        kerasite.Input((None,), dtype="int32"),
        layers.Embedding(IMDB["vocabulary"], IMDB["embedding"]),
        layers.Bidirectional(rnn(units, return_sequences=True)),
        layers.Bidirectional(rnn(units)),
        layers.Dense(1, activation="sigmoid")])


def initial_weights(seed, cell="lstm"):
    """Keras's layouts: the embedding, each layer's two directions, the Dense layer."""
    return build_kerasite_model(seed, cell).get_weights()


def _timer(base):
    from benchmarks.peers import _epoch_timer

    return _epoch_timer(base)


def _two_columns(p):
    """``(n, 1)`` probabilities of class 1 as ``(n, 2)`` ``[P(0), P(1)]``, as the worker scores."""
    p = np.asarray(p, dtype=np.float64).reshape(-1, 1)
    return np.concatenate([1 - p, p], axis=1)


class KerasiteTrainer:
    """kerasite: ``fit(x, y, epochs=e + 1, initial_epoch=e)`` once per epoch."""

    def __init__(self, weights, batch_size, seed, threads, cell="lstm"):
        import kerasite

        self.model = build_kerasite_model(seed, cell)
        self.model.set_weights(weights)
        self.model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="binary_crossentropy")
        self.batch_size, self.epoch = batch_size, 0
        self.timer = _timer(kerasite.callbacks.Callback)
        self.versions = {"kerasite": kerasite.__version__, "numpy": np.__version__}

    def train_epoch(self, x, y):
        start = time.perf_counter()
        history = self.model.fit(x, y.astype(np.float32), batch_size=self.batch_size,
                                 epochs=self.epoch + 1, initial_epoch=self.epoch, shuffle=True,
                                 verbose=0, callbacks=[self.timer])
        call_s = time.perf_counter() - start
        self.epoch += 1
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}

    def predict(self, x):
        return _two_columns(self.model.predict(x, batch_size=256))


class KerasTrainer:
    """tf.keras: the same model, ``fit(x, y, epochs=1)`` once per epoch (a ``tf.function``)."""

    def __init__(self, weights, batch_size, seed, threads, cell="lstm"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        keras = tf.keras
        keras.utils.set_random_seed(seed)
        rnn = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
        units = IMDB["units"]
        self.model = keras.Sequential([
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(IMDB["vocabulary"], IMDB["embedding"]),
            keras.layers.Bidirectional(rnn(units, return_sequences=True)),
            keras.layers.Bidirectional(rnn(units)),
            keras.layers.Dense(1, activation="sigmoid")])
        self.model.set_weights(weights)  # the same layouts as kerasite's
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="binary_crossentropy")
        self.batch_size = batch_size
        self.timer = _timer(keras.callbacks.Callback)
        self.versions = {"tensorflow": tf.__version__, "keras": keras.__version__,
                         "numpy": np.__version__}

    def train_epoch(self, x, y):
        start = time.perf_counter()
        history = self.model.fit(x, y.astype(np.float32), batch_size=self.batch_size, epochs=1,
                                 shuffle=True, verbose=0, callbacks=[self.timer])
        call_s = time.perf_counter() - start
        self.versions["jit_compile"] = bool(self.model.jit_compile)
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}

    def predict(self, x):
        return _two_columns(self.model.predict(x, batch_size=256, verbose=0))


def torch_model(torch, weights, cell="lstm"):
    """The PyTorch twin of the model, with kerasite's initial weights copied in.

    ``weights`` is Keras's list: the embedding; for each layer the forward
    direction's ``kernel (in, k units)``, ``recurrent_kernel (units, k
    units)`` and ``bias``, then the backward direction's; the Dense kernel and
    bias. PyTorch keeps ``(k units, in)``, so the kernels go in transposed.
    For the GRU, Keras's gate order ``z, r, h`` becomes PyTorch's ``r, z, n``,
    and Keras's two bias rows (``reset_after``) are PyTorch's ``bias_ih`` and
    ``bias_hh``.
    """
    nn = torch.nn
    units = IMDB["units"]
    rnn_class = nn.LSTM if cell == "lstm" else nn.GRU

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(IMDB["vocabulary"], IMDB["embedding"])
            self.rnn = rnn_class(IMDB["embedding"], units, num_layers=2, bidirectional=True,
                                 batch_first=True)
            self.dense = nn.Linear(2 * units, 1)

        def forward(self, x):
            _, h = self.rnn(self.embedding(x))
            h = h[0] if isinstance(h, tuple) else h  # LSTM: (h, c)
            return self.dense(torch.cat([h[-2], h[-1]], dim=1)).squeeze(1)  # logits

    model = Model()

    def reorder(a):  # Keras's gate blocks -> PyTorch's, along axis 0 of (k units, ...)
        if cell == "lstm":
            return a
        z, r, n = np.split(a, 3, axis=0)
        return np.concatenate([r, z, n], axis=0)

    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(weights[0]))
        k = 1
        for layer in range(2):
            for suffix in ("", "_reverse"):
                kernel, recurrent, bias = weights[k:k + 3]
                k += 3
                name = f"l{layer}{suffix}"
                getattr(model.rnn, f"weight_ih_{name}").copy_(
                    torch.from_numpy(np.ascontiguousarray(reorder(kernel.T))))
                getattr(model.rnn, f"weight_hh_{name}").copy_(
                    torch.from_numpy(np.ascontiguousarray(reorder(recurrent.T))))
                if cell == "lstm":
                    b_ih, b_hh = bias, np.zeros_like(bias)
                else:
                    b_ih, b_hh = bias[0], bias[1]
                getattr(model.rnn, f"bias_ih_{name}").copy_(torch.from_numpy(reorder(b_ih)))
                getattr(model.rnn, f"bias_hh_{name}").copy_(torch.from_numpy(reorder(b_hh)))
        model.dense.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[k].T)))
        model.dense.bias.copy_(torch.from_numpy(weights[k + 1]))
    return model


class TorchTrainer:
    """PyTorch on the CPU: the usual hand-written loop over shuffled index batches.

    The sigmoid is folded into ``binary_cross_entropy_with_logits`` (the same
    maths, done stably).
    """

    def __init__(self, weights, batch_size, seed, threads, cell="lstm"):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.model = torch_model(torch, weights, cell)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch_size = batch_size
        self.versions = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                         "numpy": np.__version__}

    def train_epoch(self, x, y):
        torch = self.torch
        data = torch.from_numpy(x.astype(np.int64))
        labels = torch.from_numpy(y.astype(np.float32))
        n = len(data)
        total = 0.0
        self.model.train()
        start = time.perf_counter()
        order = torch.randperm(n, generator=self.generator)
        for first in range(0, n, self.batch_size):
            idx = order[first:first + self.batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(self.model(data[idx]),
                                                                        labels[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        return {"epoch_s": seconds, "call_s": seconds, "loss": total / n}

    def predict(self, x):
        self.model.eval()
        with self.torch.inference_mode():
            logits = self.model(self.torch.from_numpy(x.astype(np.int64)))
            return _two_columns(self.torch.sigmoid(logits).numpy())


TRAINERS = {"kerasite": KerasiteTrainer, "torch": TorchTrainer, "keras": KerasTrainer}


def make_trainer(framework, weights, batch_size, seed, threads, cell="lstm"):
    """The trainer of ``framework`` for the bidirectional model (``peers.make_trainer``'s hook)."""
    return TRAINERS[framework](weights, batch_size, seed, threads, cell=cell)


# ========================================================================= harness
def parse_args(argv=None):
    from benchmarks import peers, run

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=IMDB["samples"],
                        help=f"training sequences (default {IMDB['samples']:,}; IMDB has 25,000)")
    parser.add_argument("--test", type=int, default=IMDB["test"], help="test sequences")
    parser.add_argument("--cell", choices=CELLS, default="lstm",
                        help="the recurrent layers: LSTM (keras.io's, the default) or GRU")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="timed rounds at most, while waiting for quiet epochs "
                             "(default 2x --epochs)")
    parser.add_argument("--frameworks", default="kerasite,torch,keras",
                        help="comma-separated subset of kerasite,torch,keras")
    parser.add_argument("--threads", type=int, default=2, help="threads per framework (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-wait", type=float, default=60,
                        help="seconds to wait in total for a busy machine to calm down")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default benchmarks/results/rnn-<timestamp>/)")
    parser.add_argument("--keras-python", default=None,
                        help=f"interpreter with TensorFlow (default: this one if it has it, "
                             f"else {run.TF_VENV_PYTHON})")
    args = parser.parse_args(argv)
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    if "kerasite" not in args.frameworks or set(args.frameworks) - set(peers.FRAMEWORKS):
        parser.error("--frameworks must include kerasite and be a subset of kerasite,torch,keras")
    # What run.py's helpers read from their arguments.
    args.model = f"bi{args.cell}"
    args.batch_size = IMDB["batch_size"]
    args.max_rounds = max(args.max_rounds or 2 * args.epochs, args.epochs)
    args.wait_left = args.max_wait
    args.quick = True  # measure_memory: one epoch
    return args


def main(argv=None):
    from benchmarks import machine, report, run

    args = parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = args.out or run.RESULTS_DIR / f"rnn-{stamp}"
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info = machine.describe()
    print("\n".join(machine.summary_lines(info)))
    results = {"timestamp": stamp, "machine": info}
    with tempfile.TemporaryDirectory(prefix="kerasite-rnn-bench-") as tmp:
        folder = Path(tmp)
        x_train, y_train, x_test, y_test = make_data(args.samples, args.test, args.seed)
        for name, array in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                            ("y_test", y_test)):
            np.save(folder / f"{name}.npy", array)
        weights = initial_weights(args.seed, args.cell)
        np.savez(folder / "weights.npz", **{f"w{i}": w for i, w in enumerate(weights)})
        results["config"] = {"samples": args.samples, "test": args.test, "cell": args.cell,
                             "batch_size": args.batch_size, "epochs": args.epochs,
                             "steps": math.ceil(args.samples / args.batch_size),
                             "threads": args.threads, "seed": args.seed, "model": args.model}
        print(f"Model {args.model}: {args.samples:,} sequences of {IMDB['length']} tokens, "
              f"batch {args.batch_size}. Starting workers ...")
        workers, skipped, setup = run.start_workers(args, folder, log_dir)
        try:
            accelerated = setup["kerasite"].get("accelerator", False)
            results["config"]["accelerator"] = accelerated
            results["epochs"] = run.run_rounds(workers, skipped, args, accelerated)
            results["test_metrics"] = run.collect_test_mse(workers)
            results["versions"] = {name: w.request("versions") for name, w in workers.items()}
        finally:
            for worker in workers.values():
                worker.close()
        if not args.no_memory:
            print("Peak memory, one fresh process per framework ...")
            results["memory"] = run.measure_memory(args, folder, log_dir, list(results["versions"]))
    results["skipped"] = skipped
    results["wall_seconds"] = time.perf_counter() - started
    text = summary(results, report)
    print()
    print(text)
    (out_dir / "results.md").write_text(text + "\n")
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"Wrote {out_dir / 'results.md'} and {out_dir / 'results.json'}.")


def summary(results, report):
    """The Markdown report: median epochs, paired ratios, memory, the goals (PASS/MISS)."""
    from benchmarks.peers import LABELS

    labels = {**LABELS, "kerasite_numpy": "kerasite (NumPy, accelerator off)"}
    config = results["config"]
    title = (f"# {config['model']}: {config['samples']:,} sequences, batch "
             f"{config['batch_size']}, {config['threads']} threads")
    lines = [title, "",
             "| run | median epoch (s) | quiet epochs | test accuracy | peak memory (MB) |",
             "|---|---|---|---|---|"]
    memory = results.get("memory", {})
    for row, runs in results["epochs"].items():
        name = row.replace("_numpy", "")
        accuracy = results.get("test_metrics", {}).get(
            "kerasite_numpy" if row == "kerasite_numpy" else name, {}).get("accuracy")
        peak = memory.get(name, {}).get("peak_mb") if row != "kerasite_numpy" else None
        lines.append(f"| {labels.get(row, row)} | {report.epoch_median(results, row):.2f} | "
                     f"{report.quiet_count(runs)} | "
                     f"{'' if accuracy is None else f'{accuracy:.3f}'} | "
                     f"{'' if peak is None else f'{peak:.0f}'} |")
    lines += ["", "| goal | measured | limit | |", "|---|---|---|---|"]
    for peer in ("keras", "torch"):
        ratio = report.paired_ratio(results, "kerasite", peer)
        if ratio is not None:
            lines.append(f"| epoch kerasite / {LABELS[peer]} | {ratio:.2f}x | 1.00x | "
                         f"{'PASS' if ratio <= 1.0 else 'MISS'} |")
    ratio = report.paired_ratio(results, "kerasite", "kerasite_numpy")
    if ratio is not None:
        lines.append(f"| epoch accelerator on / off | {ratio:.2f}x | | |")
    if "kerasite" in memory and "torch" in memory:
        ours, theirs = memory["kerasite"]["peak_mb"], memory["torch"]["peak_mb"]
        lines.append(f"| peak memory kerasite / PyTorch | {ours:.0f} / {theirs:.0f} MB | "
                     f"<= PyTorch's | {'PASS' if ours <= theirs else 'MISS'} |")
    for name, reason in results.get("skipped", {}).items():
        lines.append(f"\n{LABELS[name]} skipped: {reason}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
