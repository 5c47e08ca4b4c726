"""How much slower training gets when other processes keep the CPU busy.

One run measures every framework it can import (kerasite, PyTorch, tf.keras)
with 1 and 2 BLAS threads, plus kerasite with its default settings (no
thread variable, no ``set_num_threads``: the adaptive thread policy chooses)
and with ``set_num_threads("auto")``, on a quiet machine and under 1 and 2 competing busy processes (each a Python
loop spinning on one core). The busy levels are the outer loop, so all
frameworks meet the same load; each (framework, threads, load) runs in a fresh
subprocess that trains one warm-up epoch and then times ``--epochs`` epochs of
the reports' autoencoder (784-256-64-256-784, SGD, batch 128) on a slice of
Fashion-MNIST. It prints a table of median seconds per epoch and the slowdown
against the quiet machine, and writes everything to a JSON file.

Run:
    python benchmarks/contention.py                 # about 5 minutes on 2 cores
    python benchmarks/contention.py --quick --frameworks kerasite

The numbers mean something only on a machine that is otherwise quiet: other
people's work is a competing process this script does not control.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(REPO_ROOT))

KERAS_VENV_PYTHONS = ("/opt/tfenv/bin/python",)  # where the project machines keep TensorFlow
SPIN = "while True: pass"


# ===================================================================== the parent
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="kerasite,torch,keras",
                        help="comma-separated subset of kerasite,torch,keras; missing ones are "
                             "skipped (default: %(default)s)")
    parser.add_argument("--threads", default="1,2",
                        help="BLAS thread counts to try for every framework (default: %(default)s)")
    parser.add_argument("--busy", default="0,1,2",
                        help="numbers of competing busy processes (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="timed epochs per measurement, after one warm-up epoch "
                             "(default: %(default)s)")
    parser.add_argument("--n-train", type=int, default=6000,
                        help="training images per epoch (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per gradient step (default: %(default)s)")
    parser.add_argument("--no-auto", action="store_true",
                        help="skip kerasite with set_num_threads('auto') (default: measure it)")
    parser.add_argument("--no-default", action="store_true",
                        help="skip kerasite with its default settings, the adaptive thread "
                             "policy (default: measure it)")
    parser.add_argument("--quick", action="store_true",
                        help="1 timed epoch on 1,024 images: checks the harness, measures little")
    parser.add_argument("--keras-python", default=None,
                        help="interpreter with TensorFlow (default: this one if it has it, else "
                             f"the first of {', '.join(KERAS_VENV_PYTHONS)} that exists)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds one measurement may take before it is given up "
                             "(default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file to write (default: benchmarks/results/"
                             "contention-<timestamp>.json)")
    args = parser.parse_args(argv)
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = sorted(set(args.frameworks) - {"kerasite", "torch", "keras"})
    if unknown:
        parser.error(f"--frameworks must be a subset of kerasite,torch,keras; received {unknown}")
    try:
        args.threads = [int(t) for t in args.threads.split(",")]
        args.busy = [int(b) for b in args.busy.split(",")]
    except ValueError:
        parser.error("--threads and --busy must be comma-separated integers, e.g. 1,2")
    if min(args.threads) < 1 or min(args.busy) < 0:
        parser.error("--threads must be >= 1 and --busy >= 0")
    if args.quick:
        args.epochs, args.n_train = 1, 1024
    if args.out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        args.out = REPO_ROOT / "benchmarks" / "results" / f"contention-{stamp}.json"
    return args


def python_for(framework, keras_python):
    if framework != "keras":
        return sys.executable
    if keras_python:
        return keras_python
    if importlib.util.find_spec("tensorflow") is None:
        for path in KERAS_VENV_PYTHONS:
            if os.path.exists(path):
                return path
    return sys.executable


def runs_to_measure(args):
    """[(framework, threads)] in a fixed order; threads is an int, "default" or "auto"."""
    runs = [(f, t) for f in args.frameworks for t in args.threads]
    if "kerasite" in args.frameworks and not args.no_default:
        runs.append(("kerasite", "default"))
    if "kerasite" in args.frameworks and not args.no_auto:
        runs.append(("kerasite", "auto"))
    return runs


def start_spinners(count):
    """Starts ``count`` processes that each keep one core busy; returns them."""
    return [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]


def stop_spinners(spinners):
    for spinner in spinners:
        spinner.kill()
    for spinner in spinners:
        spinner.wait()


def measure(framework, threads, data_dir, args):
    """Runs one child; returns its result dict, or {"skipped": reason}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
        if threads not in ("auto", "default"):
            env[var] = str(threads)
    env.pop("KERASITE_THREADS", None)
    python = python_for(framework, args.keras_python)
    command = [python, "-m", "benchmarks.contention", "--child", framework, str(threads),
               str(data_dir), str(args.epochs), str(args.batch_size)]
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"took more than {args.timeout:.0f} s"}
    except OSError as exc:
        return {"skipped": f"cannot start {python}: {exc}"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"failed in {python}: {last}"}
    return json.loads(lines[-1])


def prepare_data(folder, args):
    import numpy as np

    from benchmarks import data, peers

    x_train, _, source = data.load(args.n_train, 1)
    np.save(folder / "x_train.npy", x_train)
    weights = peers.initial_weights(0)
    np.savez(folder / "weights.npz", **{f"w{i}": w for i, w in enumerate(weights)})
    return source


def _cell(result, quiet):
    if "skipped" in result:
        return "skipped"
    text = f"{result['median_s']:.3f} s"
    if quiet and "median_s" in quiet and quiet["median_s"] > 0:
        text += f" ({result['median_s'] / quiet['median_s']:.1f}x)"
    chosen = result.get("threads_set")
    if isinstance(chosen, str):  # the adaptive policy's note, e.g. "threads 1 (adaptive)"
        text += f" [{chosen.replace('threads ', '').replace(' (adaptive)', '')} thr]"
    elif chosen is not None:
        text += f" [{chosen} thr]"
    return text


def table(results, args):
    from benchmarks import peers

    head = ["framework", "BLAS threads"] + [
        "quiet" if b == 0 else f"{b} busy process{'es' if b > 1 else ''}" for b in args.busy]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for framework, threads in runs_to_measure(args):
        key = f"{framework}/{threads}"
        quiet = results.get(f"{key}/0")
        cells = [_cell(results[f"{key}/{b}"], quiet if b else None) for b in args.busy]
        rows.append(f"| {peers.LABELS[framework]} | {threads} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None):
    args = parse_args(argv)
    cores = os.cpu_count()
    print(f"{cores} CPUs; load average before the run: "
          + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    results, spinner_pids = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = prepare_data(folder, args)
        print(f"data: {args.n_train} images ({source}); {args.epochs} timed epochs each")
        for busy in args.busy:
            spinners = start_spinners(busy)
            spinner_pids += [s.pid for s in spinners]
            try:
                time.sleep(0.5 if busy else 0)  # let the spinners reach full speed
                for framework, threads in runs_to_measure(args):
                    result = measure(framework, threads, folder, args)
                    results[f"{framework}/{threads}/{busy}"] = result
                    shown = result.get("skipped") or f"{result['median_s']:.3f} s/epoch"
                    print(f"  busy={busy} {framework:8s} threads={threads}: {shown}", flush=True)
            finally:
                stop_spinners(spinners)
    text = table(results, args)
    print("\nMedian seconds per epoch (slowdown against the quiet machine; [threads] that "
          "'auto' or the default's adaptive policy chose last):\n")
    print(text)
    report = {"cpus": cores, "load_average_before": list(os.getloadavg()),
              "n_train": args.n_train, "epochs": args.epochs, "batch_size": args.batch_size,
              "busy": args.busy, "threads": args.threads, "data": source,
              "results": results, "table": text, "spinner_pids": spinner_pids}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {args.out}")
    return report


# ====================================================================== the child
def child(framework, threads, data_dir, epochs, batch_size):
    """Trains one warm-up epoch and ``epochs`` timed ones; prints one JSON line."""
    import numpy as np

    from benchmarks import peers

    data_dir = Path(data_dir)
    x_train = np.load(data_dir / "x_train.npy")
    with np.load(data_dir / "weights.npz") as saved:
        weights = [saved[f"w{i}"] for i in range(len(saved.files))]
    threads_set = None
    if threads == "auto":
        import kerasite

        threads_set = kerasite.config.set_num_threads("auto")
        n = threads_set
    elif threads == "default":  # nothing set: the adaptive thread policy chooses
        n = None
    else:
        n = int(threads)
    trainer = peers.make_trainer(framework, weights, batch_size, 0, n)
    trainer.train_epoch(x_train)  # warm-up: buffers, thread pools, tracing
    seconds = [trainer.train_epoch(x_train)["epoch_s"] for _ in range(epochs)]
    if threads == "default":
        from kerasite.backend import thread_policy

        threads_set = thread_policy.note()  # e.g. "threads 1 (adaptive)": the last choice
    print(json.dumps({"epoch_s": seconds, "median_s": statistics.median(seconds),
                      "threads_set": threads_set, "versions": trainer.versions}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        framework, threads, data_dir, epochs, batch_size = sys.argv[2:7]
        child(framework, threads, data_dir, int(epochs), int(batch_size))
    else:
        main()
