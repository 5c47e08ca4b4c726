"""Where does kerasite's training time go? Phase by phase, with measured numbers.

Usage::

    python benchmarks/profile_epoch.py               # the autoencoder, 3 epochs
    python benchmarks/profile_epoch.py --xor         # XOR fit() vs the plain loop
    python benchmarks/profile_epoch.py --convnet --subset 12800   # keras.io's convnet
    python benchmarks/profile_epoch.py --cprofile    # also cProfile's top functions
    py-spy record --native --format raw -o epoch.raw -- python benchmarks/profile_epoch.py --bare
    python benchmarks/profile_epoch.py --summarize-py-spy epoch.raw

The phase profile wraps kerasite's engine methods (in this process only; the
library is not changed) with a timer that counts *exclusive* time: time
spent in a nested phase (the activation inside ``Dense.call``) is charged to
that phase, not to both. What no wrapped method covers is the fit loop
itself. Timing costs about 0.3 us per wrapped call, 30 calls per batch.

The matmul rows come from running the same products alone (the BLAS floor,
split into forward and backward), so "Dense forward" minus "of which
matmuls" is the bias add and the Python around it.
"""

import argparse
import cProfile
import functools
import io
import pstats
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import data, floors, peers


class PhaseTimer:
    """Charges wall time to named phases, exclusively, by wrapping methods."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self._stack = []  # [phase, time it last (re)started]
        self._originals = []

    def wrap(self, owner, attribute, phase):
        """Replaces ``owner.attribute`` (a class or module function) with a timed version."""
        original = owner.__dict__[attribute]
        timer = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            timer._enter(phase)
            try:
                return original(*args, **kwargs)
            finally:
                timer._leave()

        setattr(owner, attribute, timed)
        self._originals.append((owner, attribute, original))

    def restore(self):
        for owner, attribute, original in reversed(self._originals):
            setattr(owner, attribute, original)
        self._originals.clear()

    def _enter(self, phase):
        now = time.perf_counter()
        if self._stack:  # pause the enclosing phase
            outer = self._stack[-1]
            self.seconds[outer[0]] += now - outer[1]
        self._stack.append([phase, now])

    def _leave(self):
        now = time.perf_counter()
        phase, since = self._stack.pop()
        self.seconds[phase] += now - since
        self.calls[phase] += 1
        if self._stack:  # resume the enclosing phase
            self._stack[-1][1] = now


def wrap_engine(timer):
    """Wraps the methods of kerasite's training step, each under a readable phase name."""
    from kerasite import losses, optimizers
    from kerasite.layers import activations, base, dense
    from kerasite.models import graph
    from kerasite.trainers import trainer as training
    from kerasite.trainers.data_adapters import _inputs, array_data_adapter

    targets = [
        (training.Trainer, "fit", "fit loop, callbacks, logs (Python)"),
        (_inputs, "as_array", "fit set-up: cast + finiteness check of x and y"),
        (array_data_adapter._Gather, "__call__", "batch gather (np.take into a reused buffer)"),
        (training.Trainer, "_train_step", "train step glue"),
        (graph.Graph, "forward", "Graph.forward/backward loops"),
        (graph.Graph, "backward", "Graph.forward/backward loops"),
        (base.Layer, "forward", "Layer.forward: shape check, dispatch"),
        (dense.Dense, "call", "Dense forward: x W + b"),
        (activations._Elementwise, "call", "activation forward"),
        (losses.Loss, "forward", "loss forward + backward"),
        (losses.MeanSquaredError, "backward", "loss forward + backward"),
        (activations._Elementwise, "backward", "activation backward"),
        (dense.Dense, "backward", "Dense backward: dW, db, dx"),
        (optimizers.Optimizer, "apply_gradients", "optimizer (SGD update)"),
        # The marked kernels (accelerated when numba is installed), by their module name.
        (dense, "add_bias", "  kernel: bias add"),
        (activations, "_sigmoid", "  kernel: sigmoid forward"),
        (activations, "relu_gradient", "  kernel: ReLU backward"),
        (losses, "sigmoid_mse_gradient", "  kernel: sigmoid + MSE gradient"),
    ]
    for owner, attribute, phase in targets:
        if attribute in owner.__dict__:  # the engine may change; skip what is gone
            timer.wrap(owner, attribute, phase)


class _TimedNumpy:
    """Stands in for ``numpy`` inside one module: the same functions, but ``matmul`` timed.

    So the products of the real epoch, with its caches and threads as they
    are, get a phase of their own next to the same products run alone.
    """

    def __init__(self, timer, phase):
        self.matmul = np.matmul
        timer.wrap(self, "matmul", phase)

    def __getattr__(self, name):
        return getattr(np, name)


def wrap_products(timer):
    """Times Dense's ``np.matmul`` calls as a phase; returns a function that undoes it."""
    from kerasite.layers import dense

    dense.np = _TimedNumpy(timer, "  the 11 products, in the epoch")

    def restore():
        dense.np = np
    return restore


def _rebind_chains(model):
    """A graph binds its layers' ``call`` once; bind again so that the wrapped ones run."""
    for graph in {id(g): g for g in (model._graph, model._infer_graph)}.values():
        if graph._chain is not None:
            graph._chain_calls = [layer.call if type(layer).forward is base_forward()
                                  else layer.forward for layer in graph._chain]


def base_forward():
    from kerasite.layers.base import Layer

    return Layer.forward


def matmul_split(n_samples, batch_size, repeats=3):
    """Seconds per epoch of the forward products and of the backward products, alone."""
    floor = floors.BlasFloor(n_samples, batch_size)
    W, dW = floor.W, floor.dW
    layers = range(len(W))

    def forward():
        for b in floor.batch_sizes:
            a, _ = floor.buffers[b]
            for i in layers:
                np.matmul(a[i], W[i], out=a[i + 1])

    def backward():
        for b in floor.batch_sizes:
            a, g = floor.buffers[b]
            for i in reversed(layers):
                np.matmul(a[i].T, g[i + 1], out=dW[i])
                if i > 0:
                    np.matmul(g[i + 1], W[i].T, out=g[i])

    result = {}
    for name, fn in (("forward", forward), ("backward", backward)):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        result[name] = min(times)  # the least disturbed run
    return result


def profile_autoencoder(args):
    x_train, _, source = data.load(args.subset or data.N_TRAIN, 1)
    print(f"Data: {source}; {len(x_train):,} images")
    trainer = peers.make_trainer("kerasite", peers.initial_weights(0), 128, 0, args.threads)
    trainer.train_epoch(x_train)  # warm-up: buffers, caches, BLAS threads

    if args.bare:  # for an external sampler such as py-spy
        for _ in range(args.epochs):
            print(f"epoch {trainer.train_epoch(x_train)['call_s']:.3f} s")
        return

    plain = [trainer.train_epoch(x_train)["call_s"] for _ in range(args.epochs)]
    timer = PhaseTimer()
    wrap_engine(timer)
    unwrap_products = wrap_products(timer)
    _rebind_chains(trainer.model)
    try:
        start = time.perf_counter()
        for _ in range(args.epochs):
            trainer.train_epoch(x_train)
        total = (time.perf_counter() - start) / args.epochs
    finally:
        timer.restore()
        unwrap_products()
        _rebind_chains(trainer.model)
    split = matmul_split(len(x_train), 128)
    from kerasite import backend

    products = split["forward"] + split["backward"]
    print(f"\nkerasite epoch: {np.median(plain):.3f} s unwrapped (median of {args.epochs}), "
          f"{total:.3f} s with the phase timers; accelerator "
          f"{'on' if backend.accelerator_enabled() else 'off'}; the 11 products alone "
          f"{products:.3f} s ({np.median(plain) / products:.2f}x)")
    print(f"\n{'phase':50s} {'s/epoch':>8s} {'share':>6s} {'calls/epoch':>12s}")
    rows = sorted(timer.seconds.items(), key=lambda kv: -kv[1])
    for phase, seconds in rows:
        per_epoch = seconds / args.epochs
        print(f"{phase:50s} {per_epoch:8.3f} {per_epoch / total:6.1%} "
              f"{timer.calls[phase] / args.epochs:12.0f}")
        if phase.startswith("  the 11 products"):
            print(f"{'  the same 11 products alone (the BLAS floor)':50s} {products:8.3f} "
                  f"{products / total:6.1%}")
    unaccounted = total - sum(timer.seconds.values()) / args.epochs
    print(f"{'(outside fit: the benchmark trainer)':50s} {unaccounted:8.3f} "
          f"{unaccounted / total:6.1%}")

    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        trainer.train_epoch(x_train)
        profiler.disable()
        _print_cprofile(profiler)


def wrap_convnet(timer):
    """Phases of the convnet's step: im2col, col2im, the conv products, pooling, ..."""
    from kerasite import losses, optimizers
    from kerasite.layers import activations, conv, dense, dropout, pooling, reshaping
    from kerasite.models import graph
    from kerasite.trainers import trainer as training
    from kerasite.trainers.data_adapters import array_data_adapter

    targets = [
        (training.Trainer, "fit", "fit loop, callbacks, logs (Python)"),
        (array_data_adapter._Gather, "__call__", "batch gather"),
        (training.Trainer, "_train_step", "train step glue"),
        (graph.Graph, "forward", "graph forward/backward loops"),
        (graph.Graph, "backward", "graph forward/backward loops"),
        (conv, "im2col", "im2col (gather the windows)"),
        (conv, "col2im", "col2im (add the windows back)"),
        (conv, "conv2d_relu_backward", "first Conv2D's fused weight gradients"),
        (conv.Conv2D, "_convolve", "Conv2D forward: padding + matmul"),
        (conv.Conv2D, "_convolve_backward", "Conv2D backward: 2 matmuls"),
        (conv._Conv, "_bias_and_activation", "Conv2D bias + activation (forward)"),
        (conv._Conv, "_activation_and_bias_grad", "Conv2D bias + activation (backward)"),
        (activations.Activation, "call", "activations forward (ReLU, softmax)"),
        (activations.Activation, "backward", "activations backward"),
        (pooling.MaxPooling2D, "call", "MaxPooling2D forward (max + argmax)"),
        (pooling.MaxPooling2D, "backward", "MaxPooling2D backward"),
        (dense.Dense, "call", "Dense, Dropout, Flatten"),
        (dense.Dense, "backward", "Dense, Dropout, Flatten"),
        (dropout.Dropout, "call", "Dense, Dropout, Flatten"),
        (dropout.Dropout, "backward", "Dense, Dropout, Flatten"),
        (reshaping.Flatten, "call", "Dense, Dropout, Flatten"),
        (reshaping.Flatten, "backward", "Dense, Dropout, Flatten"),
        (losses.SparseCategoricalCrossentropy, "forward", "loss"),
        (losses.SparseCategoricalCrossentropy, "backward", "loss"),
        (optimizers.Optimizer, "apply_gradients", "optimizer (Adam)"),
    ]
    for owner, attribute, phase in targets:
        if attribute in owner.__dict__:
            timer.wrap(owner, attribute, phase)


def profile_convnet(args):
    """Phase profile of keras.io's convnet, and its 8 products alone (the floor)."""
    n = args.subset or data.N_TRAIN
    x_train, y_train, _, _, source = data.load_labeled(n, 1)
    print(f"Data: {source}; {len(x_train):,} images")
    trainer = peers.make_trainer("kerasite", peers.initial_convnet_weights(0), 128, 0,
                                 args.threads, model="convnet")
    trainer.train_epoch(x_train, y_train)  # warm-up
    floor = floors.ConvnetBlasFloor(len(x_train), 128)
    plain, floor_s = [], []
    for _ in range(args.epochs):  # interleaved, so that the machine's mood hits both
        plain.append(trainer.train_epoch(x_train, y_train)["call_s"])
        floor_s.append(floor.run_epoch())
    timer = PhaseTimer()
    wrap_convnet(timer)
    try:
        start = time.perf_counter()
        for _ in range(args.epochs):
            trainer.train_epoch(x_train, y_train)
        total = (time.perf_counter() - start) / args.epochs
    finally:
        timer.restore()
    print(f"\nkerasite epoch: {np.median(plain):.3f} s unwrapped (median of {args.epochs}); "
          f"the 8 products alone: {np.median(floor_s):.3f} s "
          f"({np.median(np.array(plain) / np.array(floor_s)):.2f}x); "
          f"{total:.3f} s with the phase timers")
    print(f"\n{'phase':50s} {'s/epoch':>8s} {'share':>6s} {'calls/epoch':>12s}")
    for phase, seconds in sorted(timer.seconds.items(), key=lambda kv: -kv[1]):
        per_epoch = seconds / args.epochs
        print(f"{phase:50s} {per_epoch:8.3f} {per_epoch / total:6.1%} "
              f"{timer.calls[phase] / args.epochs:12.0f}")


def profile_xor(args):
    import kerasite
    from kerasite import layers

    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([layers.Dense(4, activation="tanh", input_shape=(2,)),
                                 layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kerasite.optimizers.SGD(learning_rate=0.5), loss="mse")
    initial = model.get_weights()
    epochs = args.xor_epochs

    def fit():
        model.set_weights(initial)
        model.fit(floors.XOR_X, floors.XOR_Y, epochs=epochs, batch_size=4, verbose=0)

    fit()  # warm-up
    start = time.perf_counter()
    floors.plain_xor(initial, epochs)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    fit()
    unwrapped = time.perf_counter() - start

    timer = PhaseTimer()
    wrap_engine(timer)
    try:
        start = time.perf_counter()
        fit()
        total = time.perf_counter() - start
    finally:
        timer.restore()
    print(f"\nXOR, {epochs:,} epochs: fit {unwrapped / epochs * 1e6:.1f} us/epoch, plain loop "
          f"{plain / epochs * 1e6:.1f} us/epoch ({unwrapped / plain:.2f}x); "
          f"{total / epochs * 1e6:.1f} us/epoch with the phase timers")
    print(f"\n{'phase':50s} {'us/epoch':>9s} {'share':>6s} {'calls/epoch':>12s}")
    for phase, seconds in sorted(timer.seconds.items(), key=lambda kv: -kv[1]):
        print(f"{phase:50s} {seconds / epochs * 1e6:9.2f} {seconds / total:6.1%} "
              f"{timer.calls[phase] / epochs:12.1f}")
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        fit()
        profiler.disable()
        _print_cprofile(profiler)


def _print_cprofile(profiler, top=25):
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
    print("\ncProfile, by own time (NumPy ufuncs are charged to their Python caller):")
    print(stream.getvalue())


# ------------------------------------------------------------------- what-if
# Prototypes of recommended engine changes, patched in (in this process only)
# to measure what they would save. They are not part of kerasite.
def _sgd_in_place(original):
    def sgd_step(p, g, lr, step):
        g *= -lr  # scale the gradient where it is (it is rewritten next step): no scratch
        p += g
    return sgd_step


def _what_if_patches():
    """{name: [(owner, attribute, make_replacement(original))]}: one entry per proposal."""
    from kerasite import optimizers

    return {
        "SGD in place": [(optimizers, "sgd_step", _sgd_in_place)],
    }


def what_if(args):
    """Times kerasite's epoch with each prototype change, interleaved with the unchanged engine."""
    x_train, _, source = data.load(args.subset or data.N_TRAIN, 1)
    print(f"Data: {source}; {len(x_train):,} images")
    trainer = peers.make_trainer("kerasite", peers.initial_weights(0), 128, 0, args.threads)
    trainer.train_epoch(x_train)
    patches = _what_if_patches()
    variants = {"unchanged": []} | patches
    if len(patches) > 1:
        variants["all of them"] = [p for changes in patches.values() for p in changes]
    times = defaultdict(list)
    names = list(variants)
    for round_index in range(args.epochs):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            saved = []
            for owner, attribute, make in variants[name]:
                original = owner.__dict__[attribute]
                saved.append((owner, attribute, original))
                setattr(owner, attribute, make(original))
            try:
                times[name].append(trainer.train_epoch(x_train)["epoch_s"])
            finally:
                for owner, attribute, original in saved:
                    setattr(owner, attribute, original)
    base = times["unchanged"]
    print(f"\n{'variant':20s} {'median s/epoch':>15s} {'vs unchanged (paired)':>22s}")
    for name in names:
        paired = np.median([t / b for t, b in zip(times[name], base)])
        print(f"{name:20s} {np.median(times[name]):15.3f} {paired - 1:+21.1%}")

    # fit()'s input check: np.isfinite(x) makes a bool array as large as x.
    print("\nfit() set-up, checking that x is finite:")
    checks = {"np.isfinite(x).all()": lambda a: bool(np.isfinite(a).all()),
              "isfinite(x.min()) and isfinite(x.max())":
                  lambda a: bool(np.isfinite(a.min()) and np.isfinite(a.max()))}
    for name, check in checks.items():
        tracemalloc.start()
        start = time.perf_counter()
        check(x_train)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {name:42s} {seconds * 1e3:6.1f} ms, temporary memory {peak / 2**20:5.1f} MB")


# Which library a native leaf frame belongs to -> the category it is counted in.
_NATIVE_CATEGORIES = (
    ("sgemm", "BLAS: sgemm kernels"),
    ("openblas", "BLAS: threading, copies, waiting"),
    ("_multiarray_umath", "NumPy C: ufunc loops, take, casts"),
    ("libc.so", "libc: memcpy, memset, malloc"),
    ("libpython", "Python interpreter (C)"),
)


def summarize_py_spy(path, within="_train_step", top=15):
    """Groups a ``py-spy record --native --format raw`` file by the leaf frame's library.

    Only samples whose stack passes through ``within`` count (by default the
    training step, which leaves out imports, data loading and fit's set-up).
    """
    by_category, by_leaf = defaultdict(int), defaultdict(int)
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if within not in stack:
                continue
            count = int(count)
            leaf = stack.rsplit(";", 1)[-1]
            category = next((name for key, name in _NATIVE_CATEGORIES if key in leaf),
                            "Python code (frames without a native leaf)"
                            if ".py:" in leaf else "other native")
            by_category[category] += count
            by_leaf[leaf] += count
            total += count
    print(f"{total} samples inside {within}")
    for category, count in sorted(by_category.items(), key=lambda kv: -kv[1]):
        print(f"  {count / total:6.1%}  {category}")
    print("Top leaf frames:")
    for leaf, count in sorted(by_leaf.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {count / total:6.1%}  {leaf[:110]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--subset", type=int, default=None, help="train on the first N images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cprofile", action="store_true", help="also run cProfile on one epoch")
    parser.add_argument("--bare", action="store_true",
                        help="only train (for an external profiler such as py-spy)")
    parser.add_argument("--xor", action="store_true", help="profile XOR fit() instead")
    parser.add_argument("--convnet", action="store_true",
                        help="profile keras.io's convnet instead (Fashion-MNIST with labels)")
    parser.add_argument("--xor-epochs", type=int, default=10_000)
    parser.add_argument("--what-if", action="store_true",
                        help="time prototypes of the recommended engine changes (A/B)")
    parser.add_argument("--summarize-py-spy", metavar="RAW_FILE",
                        help="summarise a py-spy --native --format raw file and exit")
    args = parser.parse_args(argv)
    if args.summarize_py_spy:
        summarize_py_spy(args.summarize_py_spy)
    elif args.what_if:
        what_if(args)
    elif args.xor:
        profile_xor(args)
    elif args.convnet:
        profile_convnet(args)
    else:
        profile_autoencoder(args)


if __name__ == "__main__":
    main()
