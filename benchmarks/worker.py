"""Each framework runs in its own subprocess, driven one request at a time.

Why subprocesses:

* Isolation. TensorFlow and PyTorch each bring their own thread pools and
  OpenMP; in separate processes they cannot interfere through shared state,
  and a framework can even come from another interpreter (TensorFlow lives in
  its own virtualenv on the project machines).
* Interleaving. The parent asks each worker for one epoch in turn, so the
  noise of a shared machine falls on every framework alike.
* Memory. Peak memory is read per process, so each framework's number is its
  own (measured in a *fresh* worker, see ``measure_memory``).

The protocol is one JSON object per line: the parent writes
``{"cmd": name, **arguments}`` to the worker's stdin, and the worker answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "missing": bool, "error":
text}`` on the stdout it had at start. Anything else the libraries print is
sent to stderr, which the parent sends to a log file.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import traceback
import tracemalloc
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
# The models trained on (x, labels), with a test accuracy: peers.LABELED_MODELS.
LABELED_MODELS = ("convnet", "timeseries", "bilstm", "bigru")


# ======================================================================= parent
class WorkerError(RuntimeError):
    """A request failed inside the worker; the message holds its traceback."""


class Worker:
    """The parent's handle on one worker process.

    Args:
        python: the interpreter to run the worker with.
        log_path: where the worker's stderr goes.
        threads: the thread count for NumPy's BLAS (and OpenMP) in the worker.
    """

    def __init__(self, python, log_path, threads):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
        env["NUMBA_NUM_THREADS"] = str(threads)  # kerasite's accelerator, if installed
        self.log_path = log_path
        self._log = open(log_path, "a")
        self.process = subprocess.Popen(
            [python, "-m", "benchmarks.worker"], cwd=REPO_ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
        )

    def request(self, cmd, **arguments):
        """Sends one request and waits for its result.

        Raises:
            ModuleNotFoundError: if the worker lacks a framework.
            WorkerError: for any other failure, with the worker's traceback.
        """
        self.process.stdin.write(json.dumps({"cmd": cmd, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(f"The worker exited during '{cmd}'; see {self.log_path}.")
        reply = json.loads(line)
        if reply["ok"]:
            return reply["result"]
        if reply["missing"]:
            raise ModuleNotFoundError(reply["error"])
        raise WorkerError(reply["error"])

    def close(self):
        if self.process.poll() is None:
            with contextlib.suppress(OSError, WorkerError):
                self.request("quit")
            self.process.wait(timeout=60)
        self._log.close()


# ======================================================================= worker
def _load_inputs(data_dir):
    data_dir = Path(data_dir)
    with np.load(data_dir / "weights.npz") as saved:
        weights = [saved[f"w{i}"] for i in range(len(saved.files))]
    return weights, data_dir


class Session:
    """The worker's state: the trainers it holds, and the data."""

    def __init__(self):
        self.tasks = {}
        self.x_train = self.x_test = self.y_train = self.y_test = None
        self.model = "autoencoder"

    def setup(self, framework, data_dir, batch_size, seed, threads, extras=False,
              model="autoencoder"):
        """Loads the data and builds the trainer; kerasite's worker also builds the extras.

        The extras are the BLAS floor and, for the autoencoder, two more
        kerasite models trained with ``verbose=1`` (to a file, and to a fake
        terminal).
        """
        from benchmarks import floors, peers

        weights, data_dir = _load_inputs(data_dir)
        self.model = model
        self.x_train = np.load(data_dir / "x_train.npy")
        self.x_test = np.load(data_dir / "x_test.npy")
        if model in LABELED_MODELS:
            self.y_train = np.load(data_dir / "y_train.npy")
            self.y_test = np.load(data_dir / "y_test.npy")
        trainer = peers.make_trainer(framework, weights, batch_size, seed, threads, model=model)
        self.tasks = {"train": trainer}
        if extras and model in ("bilstm", "bigru") and _accelerator_on():
            self.tasks["numpy"] = peers.make_trainer(framework, weights, batch_size, seed,
                                                     threads, model=model)
        if extras and model == "convnet":
            self.tasks["blas_floor"] = floors.ConvnetBlasFloor(len(self.x_train), batch_size)
        elif extras and model == "autoencoder":
            for stdout in ("file", "tty"):
                self.tasks[f"verbose_{stdout}"] = peers.make_trainer(
                    framework, weights, batch_size, seed, threads, verbose=1, stdout=stdout)
            self.tasks["blas_floor"] = floors.BlasFloor(len(self.x_train), batch_size)
            self.tasks["plain_loop"] = floors.PlainAutoencoder(weights, batch_size, seed)
            if _accelerator_on():  # the same model on the NumPy path, for a paired ratio
                self.tasks["numpy"] = peers.make_trainer(framework, weights, batch_size,
                                                              seed, threads)
        return {"versions": trainer.versions, "python": sys.executable,
                "accelerator": framework == "kerasite" and _accelerator_on()}

    def epoch(self, task):
        """One epoch of ``task``; returns ``{"epoch_s", "call_s", "loss"}``."""
        runner = self.tasks[task]
        if task == "blas_floor":
            seconds = runner.run_epoch()
            return {"epoch_s": seconds, "call_s": seconds, "loss": None}
        if task == "plain_loop":
            seconds, loss = runner.run_epoch(self.x_train)
            return {"epoch_s": seconds, "call_s": seconds, "loss": loss}
        if task == "numpy":
            from kerasite import backend

            backend.use_accelerator(False)
            try:
                if self.model in LABELED_MODELS:
                    return runner.train_epoch(self.x_train, self.y_train)
                return runner.train_epoch(self.x_train)
            finally:
                backend.use_accelerator(True)
        if self.model in LABELED_MODELS:
            return runner.train_epoch(self.x_train, self.y_train)
        return runner.train_epoch(self.x_train)

    def test_mse(self):
        """The test metric of every run, computed here in float64 from the predictions.

        The autoencoder: the mean squared reconstruction error. The classifiers:
        ``{"accuracy", "loss"}`` (the mean cross-entropy of the true class).
        """
        result = {}
        for task, runner in self.tasks.items():
            if task in ("blas_floor", "plain_loop"):
                continue
            pred = np.asarray(runner.predict(self.x_test), dtype=np.float64)
            if self.model in LABELED_MODELS:
                true = pred[np.arange(len(pred)), self.y_test]
                result[task] = {"accuracy": float(np.mean(pred.argmax(axis=1) == self.y_test)),
                                "loss": float(-np.mean(np.log(np.clip(true, 1e-7, 1))))}
            else:
                result[task] = float(np.mean(np.square(pred - self.x_test)))
        return result

    def versions(self):
        return self.tasks["train"].versions

    def xor(self, epochs, trials, seed):
        """Times ``fit`` on XOR against the plain NumPy loop, alternating which goes first."""
        import kerasite
        from benchmarks.floors import XOR_X, XOR_Y, plain_xor
        from kerasite import layers

        kerasite.utils.set_random_seed(seed)
        model = kerasite.Sequential([layers.Dense(4, activation="tanh", input_shape=(2,)),
                                     layers.Dense(1, activation="sigmoid")])
        initial = model.get_weights()
        fit_s, plain_s = [], []

        def run_fit():
            model.set_weights(initial)
            model.compile(optimizer=kerasite.optimizers.SGD(learning_rate=0.5), loss="mse")
            start = time.perf_counter()
            history = model.fit(XOR_X, XOR_Y, epochs=epochs, batch_size=4, verbose=0)
            fit_s.append(time.perf_counter() - start)
            return float(history.history["loss"][-1])

        def run_plain():
            start = time.perf_counter()
            result = plain_xor(initial, epochs)
            plain_s.append(time.perf_counter() - start)
            return result

        for trial in range(trials):
            if trial % 2 == 0:
                fit_loss, (plain_loss, plain_weights) = run_fit(), run_plain()
            else:
                (plain_loss, plain_weights), fit_loss = run_plain(), run_fit()
        # Same start, same maths: the two should end with the same weights.
        weight_gap = max(float(np.max(np.abs(a - b)))
                         for a, b in zip(model.get_weights(), plain_weights))
        return {"epochs": epochs, "fit_s": fit_s, "plain_s": plain_s, "fit_loss": fit_loss,
                "plain_loss": plain_loss, "max_weight_difference": weight_gap}

    def bar_hook_cost(self, steps, repeats=5):
        """Seconds per epoch spent in the progress bar's batch hook alone.

        Drives kerasite's ``ProgressBar`` through a ``CallbackList`` for
        ``steps`` batches, as ``fit`` does, without any training: a direct,
        noise-free estimate of what ``verbose=1`` adds.
        """
        from benchmarks.peers import _FakeTerminal
        from kerasite.callbacks import CallbackList, ProgressBar

        result = {}
        for mode, make_out in (("file", lambda: open(os.devnull, "w")), ("tty", _FakeTerminal)):
            times = []
            for _ in range(repeats):
                with make_out() as out, contextlib.redirect_stdout(out):
                    callbacks = CallbackList([ProgressBar(verbose=1)], params={
                        "epochs": 1, "steps": steps, "verbose": 1})
                    callbacks.on_epoch_begin(0)
                    logs = {"loss": 0.0}
                    start = time.perf_counter()
                    for step in range(steps):
                        logs["loss"] = 1.0 / (step + 1)  # fit updates the running loss so
                        callbacks.on_train_batch_end(step, logs)
                    times.append(time.perf_counter() - start)
                    callbacks.on_epoch_end(0, logs)
            result[mode] = float(np.median(times))
        return result


# ------------------------------------------------------------------- memory
def _accelerator_on():
    """Whether kerasite's compiled twins run in this process (numba installed, switch on)."""
    try:
        from kerasite import backend
    except ImportError:
        return False
    return backend.accelerator_enabled()


def _proc_status_kb(field):
    """A ``kB`` field of /proc/self/status (Linux), e.g. VmRSS or VmHWM; None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Resets the kernel's peak-RSS mark (VmHWM) to the current RSS; False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb():
    kb = _proc_status_kb("VmHWM")
    if kb is None:  # not Linux: ru_maxrss (kB on Linux, bytes on macOS) is the best there is
        import resource
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2**20 if sys.platform == "darwin" else rss / 1024
    return kb / 1024


def _rss_mb():
    kb = _proc_status_kb("VmRSS")
    return float("nan") if kb is None else kb / 1024


def measure_memory(framework, data_dir, batch_size, seed, threads, epochs, model="autoencoder"):
    """Peak memory of training, in a worker that has done nothing else.

    Steps: build the trainer (importing the framework) and read the RSS
    (``framework_mb``); load the training images and read it again
    (``baseline_mb``); reset the peak mark; train ``epochs`` epochs; read the
    peak (``peak_mb``). The peak mark is VmHWM from /proc/self/status, reset
    through /proc/self/clear_refs, so that a transient peak while loading
    the data does not hide training's. (``getrusage``'s ru_maxrss cannot be
    reset, and in a subprocess it can even report the *parent's* size, which
    is inherited across the fork.)

    For kerasite, one more epoch runs under ``tracemalloc``, which sees every
    NumPy allocation: its peak above the start is the engine's own extra
    memory, exact and free of allocator noise.
    """
    from benchmarks import peers

    weights, data_dir = _load_inputs(data_dir)
    trainer = peers.make_trainer(framework, weights, batch_size, seed, threads, model=model)
    framework_mb = _rss_mb()
    x_train = np.load(data_dir / "x_train.npy")
    data = (x_train, np.load(data_dir / "y_train.npy")) if model in LABELED_MODELS else \
        (x_train,)
    baseline_mb = _rss_mb()
    resettable = _reset_peak_rss()
    for _ in range(epochs):
        trainer.train_epoch(*data)
    peak_mb = _peak_rss_mb()
    result = {
        "framework_mb": framework_mb, "baseline_mb": baseline_mb, "peak_mb": peak_mb,
        "dataset_mb": x_train.nbytes / 2**20, "epochs": epochs,
        "method": "VmHWM after clear_refs" if resettable else "ru_maxrss (not resettable)",
    }
    if framework == "kerasite":
        tracemalloc.start()
        start_bytes, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        trainer.train_epoch(*data)
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["tracemalloc_peak_mb"] = (peak_bytes - start_bytes) / 2**20
    return result


def serve():
    """Answers requests from stdin until ``quit`` or end of input."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # from now on, stray prints from any library go to stderr
    session = Session()
    handlers = {"setup": session.setup, "epoch": session.epoch, "test_mse": session.test_mse,
                "versions": session.versions, "xor": session.xor,
                "bar_hook_cost": session.bar_hook_cost, "memory": measure_memory}
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request.pop("cmd")
        if cmd == "quit":
            reply = {"ok": True, "result": None}
        else:
            try:
                reply = {"ok": True, "result": handlers[cmd](**request)}
            except ImportError as exc:
                reply = {"ok": False, "missing": True, "error": f"{type(exc).__name__}: {exc}"}
            except Exception:  # noqa: BLE001 (any failure goes back to the parent)
                reply = {"ok": False, "missing": False, "error": traceback.format_exc()}
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()
        if cmd == "quit":
            break


if __name__ == "__main__":
    serve()
