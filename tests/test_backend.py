"""The accelerator seam: every compiled twin gives its NumPy reference's results.

For each optimizer kernel (``sgd_step``, ``adam_step`` in
``kerasite/backend/kernels.py``, their twins in
``kerasite/backend/numba_kernels.py``) the twin and the reference run on the
same random inputs, several shapes each: the
benchmark's (batch 128 by 784, 256, 64), odd and tiny sizes, and
non-contiguous views, which the twins must hand back to NumPy (they return
``NotImplemented`` and the dispatcher runs the reference).
Then a whole ``fit`` runs with the accelerator on and off and must log the
same losses. The twins compute the same float operations in the same order,
so the results agree to the last bit in practice; the tests allow float32
rounding, which is what the accelerator promises.
"""

import warnings

import numpy as np
import pytest

import kerasite
from kerasite import backend, layers, optimizers
from kerasite.backend import kernels

numba = pytest.importorskip("numba", reason="the accelerator's twins need numba "
                                            "(python -m pip install -e '.[fast]')")


@pytest.fixture(autouse=True)
def _accelerator_on():
    previous = backend.use_accelerator(True)
    yield
    backend.use_accelerator(previous)


def _close(a, b):
    rtol = 4 * np.finfo(a.dtype).eps if a.dtype.kind == "f" else 0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3)


def _floats(rng, shape, dtype, low=-3.0, high=3.0):
    return rng.uniform(low, high, size=shape).astype(dtype)


def _strided(a):
    """A non-contiguous view with ``a``'s values: every other column of a wider array."""
    wide = np.empty((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


SHAPES = [(128, 784), (128, 256), (128, 64), (127, 257), (4, 3), (3, 5, 4000)]
DTYPES = [np.float32, np.float64]


# Each case builds fresh arguments from a generator; ``outputs`` names the
# arguments the kernel writes (compared after the call) besides its return value.
def _sgd_args(rng, shape, dtype):
    return dict(p=_floats(rng, shape, dtype), g=_floats(rng, shape, dtype), lr=0.37,
                step=np.empty(shape, dtype))


def _adam_args(rng, shape, dtype):
    return dict(p=_floats(rng, shape, dtype), g=_floats(rng, shape, dtype),
                m=_floats(rng, shape, dtype), v=_floats(rng, shape, dtype, 0.0, 2.0),
                step=np.empty(shape, dtype), lr=0.013, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


CASES = {
    kernels.sgd_step: (_sgd_args, ("p",)),
    kernels.adam_step: (_adam_args, ("p", "m", "v")),
}
# The 2D layers' kernels, whose twins tests/test_fast_conv.py checks.
CONV_KERNELS = {"im2col", "col2im", "max_pool", "max_pool_backward", "bias_relu",
                "relu_grad_and_bias_sum", "conv2d_relu_backward"}


def _copy(args):
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in args.items()}


def _run_both(kernel, args, outputs):
    """Runs the kernel, accelerated, and its reference on copies of ``args``; returns both.

    The accelerated call goes through the dispatcher, so where the twin
    declines (``NotImplemented``) the reference runs, as in training.
    """
    results = []
    for fn in (kernel, kernel.reference):
        a = _copy(args)
        returned = fn(**a)
        results.append([a[name] for name in outputs] + ([returned] if returned is not None
                                                        else []))
    return results


def test_every_twin_has_a_case_here_or_in_test_fast_conv():
    from kerasite.backend import numba_kernels

    assert set(numba_kernels.TWINS) == ({kernel.key for kernel in CASES} | CONV_KERNELS
                                        | RNN_KERNELS)


def test_twins_are_keyed_by_the_name_of_a_reference_in_kernels():
    from kerasite.backend import numba_kernels

    for name, fast in numba_kernels.TWINS.items():
        assert fast.__name__ == name
        marked = getattr(kernels, name, None)
        assert marked is not None, f"twin {name!r} has no reference of that name in kernels.py"
        assert marked.key == name and marked.reference.__name__ == name
        assert marked.reference.__module__ == "kerasite.backend.kernels"
        assert backend._FAST[name] is fast  # what the dispatcher looks up, by that name


def test_every_marked_kernel_is_found_by_its_own_name():
    marked = {name: fn for name, fn in vars(kernels).items() if hasattr(fn, "reference")}
    assert set(marked) == {kernel.key for kernel in CASES} | CONV_KERNELS | RNN_KERNELS
    assert all(fn.key == name for name, fn in marked.items())


def test_the_twins_module_imports_no_other_kerasite_module():
    import ast
    import inspect

    from kerasite.backend import numba_kernels

    tree = ast.parse(inspect.getsource(numba_kernels))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in names} <= {"os", "numba", "numpy"}


def test_a_twin_registered_by_name_runs_and_may_decline():
    seen = []

    @backend.kernel
    def double(x):
        return 2 * x

    @backend.twin("double")
    def fast_double(x):
        seen.append(x)
        return NotImplemented if x < 0 else 20 * x  # a wrong value, to see which ran

    try:
        assert double(1) == 20 and double.key == "double"
        assert double(-1) == -2  # the twin declined: the reference ran
        assert seen == [1, -1]
        backend.use_accelerator(False)
        assert double(1) == 2 and seen == [1, -1]
    finally:
        del backend._FAST["double"]


def test_twin_takes_a_name():
    with pytest.raises(TypeError, match=r"`name` must be the kernel's name, a string"):
        backend.twin(kernels.im2col)


@pytest.mark.parametrize("kernel", list(CASES), ids=lambda k: k.key.rsplit(".", 1)[-1])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_twin_equals_reference(kernel, shape, dtype):
    make, outputs = CASES[kernel]
    args = make(np.random.default_rng(7), shape, dtype)
    fast, reference = _run_both(kernel, args, outputs)
    for a, b in zip(fast, reference):
        _close(a, b)


@pytest.mark.parametrize("kernel", list(CASES), ids=lambda k: k.key.rsplit(".", 1)[-1])
def test_twin_equals_reference_on_non_contiguous_views(kernel):
    make, outputs = CASES[kernel]
    args = make(np.random.default_rng(3), (128, 784), np.float32)
    args = {k: _strided(v) if isinstance(v, np.ndarray) and v.ndim == 2 else v
            for k, v in args.items()}
    fast, reference = _run_both(kernel, args, outputs)
    for a, b in zip(fast, reference):
        _close(a, b)


@pytest.mark.parametrize("kernel", list(CASES), ids=lambda k: k.key)
def test_the_twin_runs_on_big_contiguous_arrays_and_declines_the_rest(kernel):
    make, _ = CASES[kernel]
    twin = backend._FAST[kernel.key]
    rng = np.random.default_rng(5)
    assert twin(**make(rng, (128, 784), np.float32)) is not NotImplemented
    strided = {k: _strided(v) if isinstance(v, np.ndarray) else v
               for k, v in make(rng, (128, 784), np.float32).items()}
    for args in (make(rng, (4, 3), np.float32), strided):
        before = _copy(args)
        assert twin(**args) is NotImplemented
        for name, value in before.items():  # a twin that declines writes nothing
            if isinstance(value, np.ndarray) and name != "step":
                np.testing.assert_array_equal(args[name], value)


def test_the_switch_turns_the_twins_off():
    calls = []
    key = kernels.sgd_step.key
    original = backend._FAST[key]
    backend._FAST[key] = lambda p, g, lr, step: calls.append(1)
    try:
        p, g = np.zeros(3, np.float32), np.ones(3, np.float32)
        kernels.sgd_step(p, g, 0.5, np.empty_like(p))
        assert calls == [1] and not p.any()  # the (fake) twin ran
        backend.use_accelerator(False)
        kernels.sgd_step(p, g, 0.5, np.empty_like(p))
        assert calls == [1] and (p == -0.5).all()  # the reference ran
    finally:
        backend._FAST[key] = original


def _autoencoder(optimizer):
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([
        kerasite.Input((784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(64, activation="tanh"),
        layers.Dense(256, activation="relu"),
        layers.Dense(784, activation="sigmoid"),
    ])
    model.compile(optimizer=optimizer, loss="mse")
    return model


@pytest.mark.parametrize("make_optimizer", [
    lambda: optimizers.SGD(learning_rate=0.5),
    lambda: optimizers.Adam(learning_rate=1e-3),
], ids=["sgd", "adam"])
@pytest.mark.slow
def test_fit_gives_the_same_losses_with_the_accelerator_on_and_off(make_optimizer):
    x = np.random.default_rng(0).random((700, 784), dtype=np.float32)
    calls = {}
    twins = dict(backend._FAST)

    def spy(key):
        def counted(*args):
            calls[key] = calls.get(key, 0) + 1
            return twins[key](*args)
        return counted

    runs = []
    try:
        backend._FAST.update({key: spy(key) for key in twins})
        for on in (True, False):
            backend.use_accelerator(on)
            model = _autoencoder(make_optimizer())
            history = model.fit(x, x, epochs=3, batch_size=128, verbose=0)
            runs.append((history.history["loss"], model.get_weights()))
    finally:
        backend._FAST.update(twins)
    # The update ran as a twin (6 batches x 3 epochs, while on)
    step = kernels.sgd_step if "sgd" in type(model.optimizer).__name__.lower() \
        else kernels.adam_step
    assert calls.get(step.key, 0) >= 18
    (loss_on, weights_on), (loss_off, weights_off) = runs
    np.testing.assert_allclose(loss_on, loss_off, rtol=1e-6)
    for a, b in zip(weights_on, weights_off):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_turning_on_a_missing_accelerator_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(backend, "accelerator_available", lambda: False)
    with pytest.raises(ImportError, match=r"needs numba, which is not installed\. Install it: "
                                          r"in your kerasite clone, python -m pip install -e "
                                          r"'\.\[fast\]' \(or pip install numba\)\."):
        backend.use_accelerator(True)


# ------------------------------------------------ a numba that cannot compile or cache
_NO_CACHE_SCRIPT = r"""
import warnings
import numba.core.caching
# No cache locator at all: what numba meets with a read-only install and home directory
# (numba then raises "RuntimeError: cannot cache function ...: no locator available").
impl = getattr(numba.core.caching, "CacheImpl", None) or numba.core.caching._CacheImpl
impl._locator_classes = []
import warnings

import numpy as np
import kerasite
from kerasite import backend, layers

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([kerasite.Input((6, 6, 2)), layers.Conv2D(3, 3),
                                 layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((8, 6, 6, 2)).astype("float32")
    history = model.fit(x, x[:, 0, 0, :1], epochs=2, verbose=0)
mine = [w for w in caught if "accelerator" in str(w.message)]
print(len(mine), backend.accelerator_enabled(), np.isfinite(history.history["loss"]).all())
print(mine[0].category.__name__, str(mine[0].message))
"""


def test_a_numba_that_cannot_cache_falls_back_to_numpy_with_one_warning():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "KERASITE_ACCELERATOR"}
    env["PYTHONPATH"] = str(root)
    done = subprocess.run([sys.executable, "-c", _NO_CACHE_SCRIPT], capture_output=True,
                          text=True, env=env, cwd=root, timeout=300)
    assert done.returncode == 0, done.stderr  # before the fix: RuntimeError: cannot cache
    counts, message = done.stdout.splitlines()[:2]
    assert counts == "1 False True"  # one warning, NumPy kernels, a model that trains
    assert message.startswith("UserWarning kerasite's accelerator (numba) could not be "
                              "loaded, so kerasite runs its NumPy kernels instead")
    assert "cannot cache function" in message and "NUMBA_CACHE_DIR" in message


def test_a_twin_that_fails_to_compile_at_its_first_call_falls_back(monkeypatch):
    monkeypatch.setitem(backend._state, "warned", False)

    @backend.kernel
    def triple(x):
        return 3 * x

    @backend.twin("triple")
    def fast_triple(x):
        raise RuntimeError("cannot cache function 'triple': no locator available")

    try:
        with pytest.warns(UserWarning, match=r"could not compile its kernel 'triple', so "
                                                r"kerasite runs its NumPy kernels instead"):
            assert triple(2) == 6  # the reference ran
        assert not backend.accelerator_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert triple(3) == 9  # and no second warning
    finally:
        del backend._FAST["triple"]
# The recurrent layers' and Embedding's kernels, whose twins
# tests/layers/rnn/test_fused_steps.py checks.
RNN_KERNELS = {"lstm_step", "lstm_step_backward", "gru_step", "gru_step_backward",
               "embedding_backward"}
