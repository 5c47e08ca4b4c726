"""Paired before/after timing of the engine: two kerasite versions, one run, interleaved.

A change to the engine must not slow the dense benchmark. Timing the old
and the new code in separate runs mixes the change with whatever else the
machine was doing; here both versions train in their own worker process,
epoch by epoch in ABBA order, so the noise falls on both alike, and the
result is the median of the per-round ratios new/old.

Measured, for each version:

* ``dense``: one epoch of the reports' autoencoder (784-256-64-256-784,
  ReLU/tanh/ReLU/sigmoid, Adam, batch 128) as a ``Sequential`` (through
  ``Autoencoder.dense`` where the version has it);
* ``functional``: the same chain written with ``kerasite.Model(inputs,
  outputs)``, new version only (its ratio is against the new Sequential);
* ``convnet`` (with ``--model convnet`` or ``both``): one epoch of keras.io's
  simple convnet (Conv2D 32, pooling, Conv2D 64, pooling, Dropout, softmax
  Dense; Adam; sparse categorical cross-entropy; batch 128) on random
  28x28x1 images, so the conv kernels are paired too;
* ``xor``: 2,000 full-batch XOR epochs of ``fit`` against the plain NumPy loop
  (``benchmarks/floors.py``), whose ratio the graph must keep under 2x.

Usage::

    python benchmarks/paired_engine.py --base 6831c03 --rounds 8
    python benchmarks/paired_engine.py --base 6831c03 --model convnet --rounds 6
    python benchmarks/paired_engine.py --base 6831c03 --whole-runs 5 --rounds 6

``--base`` is any git revision; it is exported (``git archive``) into a
temporary folder. ``--optimizer sgd`` trains with the benchmark's SGD
(learning rate 0.5) instead of Adam. The new version runs with the
accelerator as the environment says (``KERASITE_ACCELERATOR=0`` turns it off).

A caveat, measured on a 2-core machine: the dense ratios scatter (an
interquartile range of 1.0 to 1.4) even on a quiet machine, because the idle
worker's BLAS threads still spin while the other one trains. The XOR ratios
(single-threaded work) are tight. For the dense epoch, alternate whole runs
of the two versions instead, one process at a time: ``--whole-runs K`` starts
one version's worker, times K epochs, stops it, then does the same for the
other version (ABBA across rounds), and pairs the two medians of each round.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
import numpy as np
import kerasite
from kerasite import layers

rng = np.random.default_rng(0)
x = rng.random((N_SAMPLES, 784), dtype=np.float32)

def sequential():
    kerasite.utils.set_random_seed(0)
    return kerasite.Sequential([kerasite.Input((784,)),
        layers.Dense(256, activation="relu"), layers.Dense(64, activation="tanh"),
        layers.Dense(256, activation="relu"), layers.Dense(784, activation="sigmoid")])

def functional():
    kerasite.utils.set_random_seed(0)
    inp = kerasite.Input((784,))
    h = layers.Dense(256, activation="relu")(inp)
    h = layers.Dense(64, activation="tanh")(h)
    h = layers.Dense(256, activation="relu")(h)
    return kerasite.Model(inp, layers.Dense(784, activation="sigmoid")(h))

def convnet():
    kerasite.utils.set_random_seed(0)
    return kerasite.Sequential([kerasite.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])

images = rng.random((N_CONV, 28, 28, 1), dtype=np.float32)
labels = rng.integers(0, 10, N_CONV)
data = {"dense": (x, x), "functional": (x, x), "convnet": (images, labels)}
models = {}
if "dense" in TASKS:
    models["dense"] = sequential()
    if hasattr(kerasite.Model, "_init_graph"):
        models["functional"] = functional()
if "convnet" in TASKS:
    models["convnet"] = convnet()
for name, m in models.items():
    if name == "convnet":
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    else:
        m.compile(optimizer=OPTIMIZER, loss="mse")
    m.fit(*data[name], epochs=1, batch_size=128, verbose=0)  # warm up: buffers, optimizer state

def xor(epochs):
    from benchmarks.floors import XOR_X, XOR_Y, plain_xor
    kerasite.utils.set_random_seed(1)
    model = kerasite.Sequential([layers.Dense(4, activation="tanh", input_shape=(2,)),
                                 layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kerasite.optimizers.SGD(learning_rate=0.5), loss="mse")
    initial = model.get_weights()
    start = time.perf_counter()
    model.fit(XOR_X, XOR_Y, epochs=epochs, batch_size=4, verbose=0)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    plain_xor(initial, epochs)
    return fit_s, time.perf_counter() - start

print(json.dumps({"ready": sorted(models)}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "quit":
        break
    if cmd == "xor":
        fit_s, plain_s = xor(2000)
        print(json.dumps({"fit_s": fit_s, "plain_s": plain_s}), flush=True)
        continue
    model = models[cmd]
    start = time.perf_counter()
    model.fit(*data[cmd], epochs=1, batch_size=128, verbose=0)
    print(json.dumps({"epoch_s": time.perf_counter() - start}), flush=True)
"""


class Child:
    def __init__(self, root, samples, threads, optimizer, tasks=("dense",), conv_samples=3000):
        env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + str(REPO_ROOT),
                   OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   NUMBA_NUM_THREADS=str(threads))
        code = CHILD.replace("N_SAMPLES", str(samples)).replace("OPTIMIZER", optimizer) \
            .replace("N_CONV", str(conv_samples)).replace("TASKS", repr(tuple(tasks)))
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.models = json.loads(self.proc.stdout.readline())["ready"]

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.ask_quit()

    def ask_quit(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)


def _summary(ratios):
    r = np.asarray(ratios)
    return {"median": float(np.median(r)), "q25": float(np.percentile(r, 25)),
            "q75": float(np.percentile(r, 75)), "n": int(r.size)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=8, help="ABBA rounds (default %(default)s)")
    parser.add_argument("--samples", type=int, default=12_000,
                        help="training images per epoch (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default %(default)s)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                        help="adam (default), or the benchmark's SGD with learning rate 0.5")
    parser.add_argument("--model", choices=["dense", "convnet", "both"], default="dense",
                        help="which epochs to pair: the dense autoencoder (with the XOR check), "
                             "keras.io's convnet on random 28x28 images, or both")
    parser.add_argument("--conv-samples", type=int, default=3000,
                        help="images per convnet epoch (default %(default)s)")
    parser.add_argument("--whole-runs", type=int, default=0, metavar="K",
                        help="time K epochs per version with only one worker alive at a time")
    args = parser.parse_args(argv)
    tasks = ("dense", "convnet") if args.model == "both" else (args.model,)

    with tempfile.TemporaryDirectory() as tmp:
        base_root = Path(tmp) / "base"
        # An exported copy of the revision: no worktree is registered in the repository.
        base_root.mkdir()
        archive = subprocess.run(["git", "archive", args.base], cwd=REPO_ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base_root)], input=archive, check=True)
        optimizer = {"adam": '"adam"',
                     "sgd": "kerasite.optimizers.SGD(learning_rate=0.5)"}[args.optimizer]
        if args.whole_runs:
            return _whole_runs(args, base_root, optimizer, tasks)
        old = Child(base_root, args.samples, args.threads, optimizer, tasks, args.conv_samples)
        new = Child(REPO_ROOT, args.samples, args.threads, optimizer, tasks, args.conv_samples)
        dense, functional, xor_new, xor_old, conv = [], [], [], [], []
        times = {"dense": {"base": [], "new": []}, "convnet": {"base": [], "new": []}}
        for r in range(args.rounds):
            order = [old, new] if r % 2 == 0 else [new, old]
            if "convnet" in tasks:
                t = {id(c): c.ask("convnet")["epoch_s"] for c in order}
                conv.append(t[id(new)] / t[id(old)])
                times["convnet"]["base"].append(t[id(old)])
                times["convnet"]["new"].append(t[id(new)])
            if "dense" not in tasks:
                continue
            t = {id(c): c.ask("dense")["epoch_s"] for c in order}
            dense.append(t[id(new)] / t[id(old)])
            times["dense"]["base"].append(t[id(old)])
            times["dense"]["new"].append(t[id(new)])
            if "functional" in new.models:
                f = new.ask("functional")["epoch_s"]
                s = new.ask("dense")["epoch_s"]
                functional.append(f / s)
            for child, sink in ((old, xor_old), (new, xor_new)):
                res = child.ask("xor")
                sink.append(res["fit_s"] / res["plain_s"])
        old.close()
        new.close()
    result = {
        "base": args.base,
        "optimizer": args.optimizer,
        "accelerator": os.environ.get("KERASITE_ACCELERATOR", "1 (default)"),
        "machine": {"cpus": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]},
        "dense_epoch_new_over_base": _summary(dense) if dense else None,
        "convnet_epoch_new_over_base": _summary(conv) if conv else None,
        "median_epoch_s": {task: {side: float(np.median(v)) for side, v in sides.items() if v}
                           for task, sides in times.items() if sides["base"]},
        "functional_over_sequential_new": _summary(functional) if functional else None,
        "xor_fit_over_plain_numpy": {"base": _summary(xor_old), "new": _summary(xor_new)}
        if xor_new else None,
    }
    print(json.dumps(result, indent=1))
    return result


def _whole_runs(args, base_root, optimizer, tasks):
    """Alternate whole runs, one worker process at a time, and pair their medians."""
    roots = {"base": base_root, "new": REPO_ROOT}
    times = {task: {"base": [], "new": []} for task in tasks}
    ratios = {task: [] for task in tasks}
    for r in range(args.rounds):
        order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
        medians = {}
        for side in order:
            child = Child(roots[side], args.samples, args.threads, optimizer, tasks,
                          args.conv_samples)
            for task in tasks:
                epochs = [child.ask(task)["epoch_s"] for _ in range(args.whole_runs)]
                times[task][side].extend(epochs)
                medians[side, task] = float(np.median(epochs))
            child.close()
        for task in tasks:
            ratios[task].append(medians["new", task] / medians["base", task])
    result = {
        "base": args.base,
        "mode": f"whole runs, {args.whole_runs} epochs each, one worker at a time",
        "optimizer": args.optimizer,
        "accelerator": os.environ.get("KERASITE_ACCELERATOR", "1 (default)"),
        "machine": {"cpus": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]},
        "epoch_new_over_base": {task: _summary(v) for task, v in ratios.items()},
        "median_epoch_s": {task: {side: float(np.median(v)) for side, v in sides.items()}
                           for task, sides in times.items()},
    }
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
