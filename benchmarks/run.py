"""Benchmarks kerasite against tf.keras, PyTorch and the BLAS floor.

Usage::

    python benchmarks/run.py                     # everything, 5 timed epochs
    python benchmarks/run.py --quick --frameworks kerasite   # under a minute
    python benchmarks/run.py --epochs 10 --frameworks kerasite,torch
    python benchmarks/run.py --model convnet     # keras.io's simple convnet instead
    python benchmarks/run.py --model timeseries  # keras.io's Conv1D timeseries classifier

What it does, in order:

1. Loads Fashion-MNIST (or says which fallback it used) and draws the
   autoencoder's initial weights with kerasite; both go to a temporary
   folder that every worker reads, so all frameworks see the same data and
   start from the same weights.
2. Starts one worker process per framework (``worker.py``). A framework
   that is not installed is skipped, with a note. TensorFlow may come from
   another interpreter: ``--keras-python``, by default the current one if it
   has TensorFlow, else ``/opt/tfenv/bin/python`` if that exists.
3. Trains round-robin: one epoch of each run per round, the order rotating
   every round, so the noise of a shared machine hits every run alike. The
   kerasite worker also trains two copies with ``verbose=1`` (stdout a file,
   and a fake terminal) and times the BLAS floor. The first round(s) are
   warm-up and are not counted.
4. Measures the test MSE, XOR ``fit()`` against a plain NumPy loop, and the
   progress bar's own cost.
5. Measures peak memory, each framework in a fresh process.
6. Prints the report and writes ``results.md`` and ``results.json``.
"""

import argparse
import importlib.util
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

from benchmarks import data, machine, peers, report
from benchmarks.worker import Worker, WorkerError

TF_VENV_PYTHON = "/opt/tfenv/bin/python"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["autoencoder", "convnet", "timeseries"],
                        default="autoencoder",
                        help="the reports' dense autoencoder (default), keras.io's simple "
                             "convnet (Conv2D, MaxPooling2D, Adam, Fashion-MNIST's labels), or "
                             "keras.io's Conv1D timeseries classifier (FordA-shaped series)")
    parser.add_argument("--quick", action="store_true",
                        help="6,000 images, 2 timed epochs, 1,000 XOR epochs: under a minute")
    parser.add_argument("--epochs", type=int, default=None,
                        help="timed epochs per run (default 5, or 2 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first (default 1)")
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="timed rounds at most, while waiting for quiet epochs "
                             "(default 3x --epochs)")
    parser.add_argument("--frameworks", default="kerasite,torch,keras",
                        help="comma-separated subset of kerasite,torch,keras")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default benchmarks/results/<timestamp>/)")
    parser.add_argument("--max-wait", type=float, default=None,
                        help="seconds to wait in total, before rounds, for a busy machine to "
                             "calm down (default 180, or 10 with --quick)")
    parser.add_argument("--threads", type=int, default=2, help="threads per framework (default 2)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default 128, or 32 for the timeseries classifier (keras.io's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xor-epochs", type=int, default=None,
                        help="XOR full-batch epochs (default 10,000, or 1,000 with --quick)")
    parser.add_argument("--xor-trials", type=int, default=5)
    parser.add_argument("--keras-python", default=None,
                        help=f"interpreter with TensorFlow (default: this one if it has it, "
                             f"else {TF_VENV_PYTHON})")
    args = parser.parse_args(argv)
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = sorted(set(args.frameworks) - set(peers.FRAMEWORKS))
    if unknown or "kerasite" not in args.frameworks:
        parser.error(f"--frameworks must include kerasite and be a subset of "
                     f"{','.join(peers.FRAMEWORKS)}; received {','.join(args.frameworks)}")
    if args.batch_size is None:
        args.batch_size = peers.TIMESERIES["batch_size"] if args.model == "timeseries" else 128
    if args.epochs is None:
        args.epochs = 2 if args.quick else 5
    if args.max_rounds is None:
        args.max_rounds = 3 * args.epochs
    args.max_rounds = max(args.max_rounds, args.epochs)
    if args.max_wait is None:
        args.max_wait = 10 if args.quick else 180
    args.wait_left = args.max_wait
    if args.xor_epochs is None:
        args.xor_epochs = 1_000 if args.quick else 10_000
    if args.quick:
        args.xor_trials = min(args.xor_trials, 3)
    args.n_train, args.n_test = (6_000, 1_000) if args.quick else (data.N_TRAIN, data.N_TEST)
    if args.model == "timeseries":
        args.n_train, args.n_test = (800, 200) if args.quick else (data.TIMESERIES_TRAIN,
                                                                   data.TIMESERIES_TEST)
    return args


def python_for(framework, keras_python):
    """The interpreter a framework's worker runs in."""
    if framework != "keras":
        return sys.executable
    if keras_python:
        return keras_python
    if importlib.util.find_spec("tensorflow") is None and os.path.exists(TF_VENV_PYTHON):
        return TF_VENV_PYTHON
    return sys.executable


def prepare_inputs(folder, args):
    """Saves the data and the initial weights where the workers will read them."""
    if args.model == "convnet":
        x_train, y_train, x_test, y_test, source = data.load_labeled(args.n_train, args.n_test)
        np.save(folder / "y_train.npy", y_train)
        np.save(folder / "y_test.npy", y_test)
        weights = peers.initial_convnet_weights(args.seed)
    elif args.model == "timeseries":
        x_train, y_train, x_test, y_test, source = data.load_timeseries(args.n_train, args.n_test)
        np.save(folder / "y_train.npy", y_train)
        np.save(folder / "y_test.npy", y_test)
        weights = peers.initial_timeseries_weights(args.seed)
    else:
        x_train, x_test, source = data.load(args.n_train, args.n_test)
        weights = peers.initial_weights(args.seed)
    np.save(folder / "x_train.npy", x_train)
    np.save(folder / "x_test.npy", x_test)
    np.savez(folder / "weights.npz", **{f"w{i}": w for i, w in enumerate(weights)})
    return source, len(x_train), len(x_test)


def start_workers(args, folder, log_dir):
    """Starts and sets up one worker per framework; returns (workers, skipped reasons)."""
    workers, skipped, info = {}, {}, {}
    for name in args.frameworks:
        python = python_for(name, args.keras_python)
        try:
            worker = Worker(python, log_dir / f"{name}.log", args.threads)
        except OSError as exc:  # no such interpreter
            skipped[name] = f"cannot start {python}: {exc}"
            print(f"  skipping {peers.LABELS[name]}: {skipped[name]}")
            continue
        try:
            info[name] = worker.request(
                "setup", framework=name, data_dir=str(folder), batch_size=args.batch_size,
                seed=args.seed, threads=args.threads, extras=(name == "kerasite"),
                model=args.model)
        except (ModuleNotFoundError, WorkerError) as exc:
            worker.close()
            if name == "kerasite":
                raise SystemExit(f"kerasite could not be set up: {exc}")
            skipped[name] = _skip_reason(name, python, exc)
            print(f"  skipping {peers.LABELS[name]}: {skipped[name]}")
            continue
        workers[name] = worker
        print(f"  {peers.LABELS[name]} ready in {python}")
    return workers, skipped, info


def _skip_reason(name, python, exc):
    if isinstance(exc, ModuleNotFoundError):
        hint = {"torch": "pip install torch==2.13.0 (never plain `torch`: it pulls CUDA)",
                "keras": "install TensorFlow, or point --keras-python at a venv that has it"}
        return f"not installed in {python} ({exc}); {hint[name]}"
    return f"set-up failed in {python}; see the worker log. {str(exc).strip().splitlines()[-1]}"


def run_rounds(workers, skipped, args, kerasite_has_numpy_path=False):
    """Trains every run one epoch per round, rotating the order; returns the epoch records.

    Each epoch is tagged with the share of the CPUs that *other* processes
    took while it ran; below ``report.QUIET_PCT`` it is *quiet*, and only
    quiet epochs go into the medians. After the warm-up, rounds go on until
    every run has ``args.epochs`` quiet epochs, or ``args.max_rounds`` timed
    rounds have run. Every run trains in every round, so all of them end
    with the same number of epochs.
    """
    # (worker, task, row in the report). kerasite's four runs form one group that
    # always runs back to back, so that its comparisons are tightly paired.
    kerasite_group = [("kerasite", "train", "kerasite"),
                      ("kerasite", "verbose_file", "kerasite_verbose_file"),
                      ("kerasite", "verbose_tty", "kerasite_verbose_tty"),
                      ("kerasite", "blas_floor", "blas_floor"),
                      ("kerasite", "plain_loop", "plain_loop"),
                      ("kerasite", "numpy", "kerasite_numpy")]
    if args.model == "convnet":  # the verbose=1 costs are the autoencoder run's business
        kerasite_group = [kerasite_group[0], kerasite_group[3]]
    elif args.model == "timeseries":  # no floor written for it: the run alone
        kerasite_group = [kerasite_group[0]]
    elif args.model in ("bilstm", "bigru"):  # benchmarks/rnn.py: and the NumPy path
        numpy_path = [kerasite_group[5]] if kerasite_has_numpy_path else []
        kerasite_group = [kerasite_group[0]] + numpy_path
    elif not kerasite_has_numpy_path:  # no accelerator: the main run is the NumPy path
        kerasite_group = kerasite_group[:5]
    groups = [kerasite_group] + [[(name, "train", name)] for name in ("torch", "keras")
                                 if name in workers]
    records = {row: {"epoch_s": [], "call_s": [], "loss": [], "others_pct": [], "warmup_s": []}
               for group in groups for _, _, row in group}
    meter = machine.CpuMeter([os.getpid()] + [w.process.pid for w in workers.values()])

    def enough_quiet_epochs():
        return all(report.quiet_count(rec) >= args.epochs for rec in records.values())

    round_index = 0
    while True:
        timed_rounds = round_index - args.warmup
        if timed_rounds >= args.max_rounds or (timed_rounds >= args.epochs
                                               and enough_quiet_epochs()):
            break
        timed = timed_rounds >= 0
        wait_for_quiet(meter, args)
        for framework, task, row in _rotated(groups, round_index):
            if framework not in workers:  # dropped after a failure
                continue
            meter.start()
            try:
                result = workers[framework].request("epoch", task=task)
            except WorkerError as exc:
                if framework == "kerasite":
                    raise
                skipped[framework] = f"failed while training: {str(exc).strip().splitlines()[-1]}"
                workers.pop(framework).close()
                records.pop(row)
                continue
            busy = meter.stop()
            if not timed:
                records[row]["warmup_s"].append(result["epoch_s"])
                continue
            for key in ("epoch_s", "call_s", "loss"):
                records[row][key].append(result[key])
            records[row]["others_pct"].append(None if busy is None else busy["others_pct"])
        round_index += 1
        _print_round(round_index, timed, records)
    return records


def _rotated(groups, shift):
    """The tasks of one round: the groups and each group's members rotated by ``shift``."""
    def rotate(items):
        k = shift % len(items)
        return items[k:] + items[:k]
    return [task for group in rotate(groups) for task in rotate(group)]


def wait_for_quiet(meter, args):
    """Waits until other processes leave the CPUs alone for a second.

    A busy epoch is not used, and on a busy machine multithreaded BLAS can
    slow down tens of times, so waiting is cheaper than training through it.
    The whole run waits at most ``args.max_wait`` seconds in total; what is
    left is kept in ``args.wait_left``.
    """
    announced = False
    while True:
        start = time.monotonic()
        meter.start()
        time.sleep(1.0)
        busy = meter.stop()
        if busy is None or report.is_quiet(busy["others_pct"]) or args.wait_left <= 0:
            return
        if not announced:
            print(f"  (other processes are using {busy['others_pct']:.0f} % of the CPUs: "
                  f"waiting up to {args.wait_left:.0f} s more for them to finish)", flush=True)
            announced = True
        time.sleep(min(4.0, args.wait_left))
        args.wait_left -= time.monotonic() - start


def _print_round(number, timed, records):
    if not timed:
        done = ", ".join(f"{row} {rec['warmup_s'][-1]:.2f}s" for row, rec in records.items())
        print(f"  round {number} (warm-up): {done}", flush=True)
        return
    done = ", ".join(
        f"{row} {rec['epoch_s'][-1]:.2f}s"
        + ("" if report.is_quiet(rec["others_pct"][-1])
           else f" (busy {rec['others_pct'][-1]:.0f}%)")
        for row, rec in records.items())
    print(f"  round {number}: {done}", flush=True)


def collect_test_mse(workers):
    """Test MSE per run (the kerasite worker reports its verbose copies too)."""
    mse = {}
    for name, worker in workers.items():
        for task, value in worker.request("test_mse").items():
            mse[name if task == "train" else f"{name}_{task}"] = value
    return mse


def measure_memory(args, folder, log_dir, names):
    """Peak memory of each framework's training, each in a fresh worker."""
    memory = {}
    for name in names:
        worker = Worker(python_for(name, args.keras_python), log_dir / f"{name}-memory.log",
                        args.threads)
        try:
            memory[name] = worker.request(
                "memory", framework=name, data_dir=str(folder), batch_size=args.batch_size,
                seed=args.seed, threads=args.threads, epochs=1 if args.quick else 2,
                model=args.model)
            print(f"  {peers.LABELS[name]}: peak {memory[name]['peak_mb']:.0f} MB")
        except (ModuleNotFoundError, WorkerError) as exc:
            print(f"  {peers.LABELS[name]}: memory not measured ({str(exc).strip().splitlines()[-1]})")
        finally:
            worker.close()
    return memory


def main(argv=None):
    args = parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = args.out or RESULTS_DIR / stamp
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    info = machine.describe()
    lines = machine.summary_lines(info)
    print("\n".join(lines))

    results = {"timestamp": stamp, "machine": info, "machine_lines": lines}
    with tempfile.TemporaryDirectory(prefix="kerasite-bench-") as tmp:
        folder = Path(tmp)
        print("Preparing data and initial weights ...")
        source, n_train, n_test = prepare_inputs(folder, args)
        print(f"  {source}")
        results["config"] = {
            "quick": args.quick, "epochs": args.epochs, "warmup": args.warmup,
            "max_rounds": args.max_rounds,
            "n_train": n_train, "n_test": n_test, "batch_size": args.batch_size,
            "steps": math.ceil(n_train / args.batch_size), "threads": args.threads,
            "seed": args.seed, "data_source": source, "frameworks": args.frameworks,
            "model": args.model,
        }
        print("Starting workers ...")
        workers, skipped, setup = start_workers(args, folder, log_dir)
        try:
            print(f"Training round-robin: {args.warmup} warm-up round(s), then rounds until "
                  f"every run has {args.epochs} quiet epochs (at most {args.max_rounds}) ...")
            accelerated = setup["kerasite"].get("accelerator", False)
            results["config"]["accelerator"] = accelerated
            results["epochs"] = run_rounds(workers, skipped, args, accelerated)
            if args.model in peers.LABELED_MODELS:
                print("Test accuracy and loss ...")
                results["test_metrics"] = collect_test_mse(workers)
            else:
                print("Test MSE, XOR, progress-bar hooks ...")
                results["test_mse"] = collect_test_mse(workers)
                kerasite = workers["kerasite"]
                wait_for_quiet(machine.CpuMeter([os.getpid(), kerasite.process.pid]), args)
                results["xor"] = kerasite.request("xor", epochs=args.xor_epochs,
                                                  trials=args.xor_trials, seed=args.seed)
                results["bar_hook_cost"] = kerasite.request("bar_hook_cost",
                                                            steps=results["config"]["steps"])
            results["frameworks"] = {
                name: {"versions": worker.request("versions"), "python": setup[name]["python"]}
                for name, worker in workers.items()}
        finally:
            for worker in workers.values():
                worker.close()
        print("Peak memory, one fresh process per framework ...")
        results["memory"] = measure_memory(args, folder, log_dir, list(results["frameworks"]))
    results["skipped"] = skipped
    results["targets"] = report.check_targets(results)
    results["wall_seconds"] = time.perf_counter() - started

    text = report.write(results, out_dir)
    print()
    print(text)
    print(f"Wrote {out_dir / 'results.md'} and {out_dir / 'results.json'} "
          f"in {results['wall_seconds']:.0f} s.")


if __name__ == "__main__":
    main()
