"""fit on a PyDataset or a generator against fit on the same arrays; memory over a memmap.

Issue 24's targets: ``fit`` on an in-memory ``PyDataset`` or generator takes
at most 1.05x ``fit`` on the same arrays, and training from a ``PyDataset``
over a memory-mapped array of 2 GB or more grows peak memory by at most
100 MB over the model's own.

Speed: the reports' autoencoder (784-256-64-256-784, ReLU, tanh, ReLU,
sigmoid, MSE, SGD, batch 128, float32) trains one epoch per kind of input
per round, the three kinds in a rotating order, from the same initial
weights; ``shuffle=False`` for all, so the PyDataset and the generator hand
over the very slices the array path takes. The ratio per round is the
PyDataset's (or generator's) epoch over the arrays' epoch of the same round;
the report gives the median over rounds.

Memory (``--memmap-gb``): a uint8 ``.npy`` file of that size (sparse, so it
costs no disk time to make) is read by a ``PyDataset`` that casts each batch
to float32; one epoch (or ``--memmap-steps`` batches) trains on it. The
growth is the peak of the process's *anonymous* resident memory (RssAnon,
sampled every 10 ms: the file's pages in the page cache are not the
process's to keep) over its value before ``fit``, and the peak of NumPy's
allocations under ``tracemalloc``.

    python benchmarks/data_adapters.py                 # speed, 60,000 samples, 7 rounds
    python benchmarks/data_adapters.py --quick         # a smoke run
    python benchmarks/data_adapters.py --memmap-gb 2   # memory over a 2 GB memmap

Run it on a quiet machine; the lead's paired runs are the reference.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kerasite import Sequential, layers, utils  # noqa: E402
from kerasite.utils import PyDataset  # noqa: E402


class Slices(PyDataset):
    """The batches of in-memory arrays, as fit slices them (views: no copy)."""

    def __init__(self, x, batch_size, cast=False, **kwargs):
        super().__init__(**kwargs)
        self.x, self.batch_size, self.cast = x, batch_size, cast

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        if self.cast:  # a uint8 memmap: one float32 batch in [0, 1]
            rows = rows.astype(np.float32) / 255
        return rows, rows


def _generator(x, batch_size):
    for start in range(0, len(x), batch_size):
        rows = x[start:start + batch_size]
        yield rows, rows


def _autoencoder(seed=0):
    utils.set_random_seed(seed)
    model = Sequential([layers.Input((784,)), layers.Dense(256, activation="relu"),
                        layers.Dense(64, activation="tanh"), layers.Dense(256, activation="relu"),
                        layers.Dense(784, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def measure_speed(samples, rounds, batch_size=128):
    x = np.random.default_rng(0).random((samples, 784), dtype=np.float32)
    models = {kind: _autoencoder() for kind in ("arrays", "PyDataset", "generator")}
    fits = {
        "arrays": lambda m: m.fit(x, x, batch_size=batch_size, shuffle=False, verbose=0),
        "PyDataset": lambda m: m.fit(Slices(x, batch_size), shuffle=False, verbose=0),
        "generator": lambda m: m.fit(_generator(x, batch_size), shuffle=False, verbose=0),
    }
    kinds = list(fits)
    times = {kind: [] for kind in kinds}
    for number in range(rounds + 1):  # round 0 warms up
        order = kinds[number % 3:] + kinds[:number % 3]
        for kind in order:
            start = time.perf_counter()
            fits[kind](models[kind])
            if number:
                times[kind].append(time.perf_counter() - start)
    ratios = {kind: statistics.median(t / a for t, a in zip(times[kind], times["arrays"]))
              for kind in ("PyDataset", "generator")}
    return {"samples": samples, "rounds": rounds,
            "seconds": {k: statistics.median(v) for k, v in times.items()},
            "ratio_to_arrays": ratios,
            "target": {k: ("PASS" if r <= 1.05 else "MISS") for k, r in ratios.items()}}


def _rss_anon():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_memmap(gigabytes, steps=None, batch_size=128):
    samples = int(gigabytes * 2**30) // 784
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.npy"
        header = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(samples, 784))
        del header  # a sparse file of zeros: its size, without writing it
        x = np.load(path, mmap_mode="r")
        model = _autoencoder()
        model.fit(Slices(x[:batch_size], batch_size, cast=True), shuffle=False, verbose=0)
        before, peak, done = _rss_anon(), [0], threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _rss_anon())
                time.sleep(0.01)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        tracemalloc.start()
        model.fit(Slices(x, batch_size, cast=True), steps_per_epoch=steps, shuffle=False,
                  verbose=0)
        numpy_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        done.set()
        watcher.join()
    growth = max(peak[0] - before, 0)
    return {"gigabytes": gigabytes, "samples": samples, "rss_anon_growth_mb": growth / 2**20,
            "numpy_peak_mb": numpy_peak / 2**20,
            "target": "PASS" if growth <= 100 * 2**20 else "MISS"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2,000 samples, 2 rounds")
    parser.add_argument("--memmap-gb", type=float, default=None)
    parser.add_argument("--memmap-steps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.rounds = 2000, 2
    report = {"speed": measure_speed(args.samples, args.rounds)}
    if args.memmap_gb:
        report["memmap"] = measure_memmap(args.memmap_gb, args.memmap_steps)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    return report


if __name__ == "__main__":
    main()
