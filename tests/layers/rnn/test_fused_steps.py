"""The recurrent layers' fused step kernels and Embedding's sparse backward.

With the accelerator on and Keras's default activations, an LSTM or GRU step
runs ``kerasite.backend.kernels.lstm_step`` / ``gru_step`` (and their
backwards) instead of its gate-by-gate NumPy code. Checked here:

* every compiled twin against its NumPy reference, on random arrays;
* the float32 tanh the forward twins use, against ``np.tanh``;
* whole layers with the accelerator on and off: the same outputs and
  gradients (float32 within rounding; float64, where the forward twins hand
  over to the NumPy reference kernels, to 1e-12);
* float64 gradient checks through time with the accelerator on and off;
* Embedding's gradient over successive batches, against ``np.add.at``.
"""

import numpy as np
import pytest

from kerasite import backend, layers, regularizers
from kerasite.backend import kernels
from kerasite.gradcheck import check_gradients
from tests.layers.rnn.test_rnn import GRADCHECK_LAYERS, _randomize, _target

HAS_NUMBA = backend.accelerator_available()
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="the twins need numba "
                                                        "(python -m pip install -e '.[fast]')")


def _uniform(rng, shape, dtype, scale=2.0):
    return rng.uniform(-scale, scale, size=shape).astype(dtype)


# The arguments of each kernel, and which of them it writes.
def _lstm_step_args(rng, batch, units, dtype):
    return dict(xw=_uniform(rng, (batch, 4 * units), dtype),
                hu=_uniform(rng, (batch, 4 * units), dtype),
                c_prev=_uniform(rng, (batch, units), dtype),
                c=np.empty((batch, units), dtype), tanh_c=np.empty((batch, units), dtype),
                h=np.empty((batch, units), dtype)), ("xw", "c", "tanh_c", "h")


def _lstm_backward_args(rng, batch, units, dtype):
    gates = rng.uniform(0.05, 0.95, size=(batch, 4 * units)).astype(dtype)
    return dict(dh=_uniform(rng, (batch, units), dtype),
                d_output=_uniform(rng, (batch, units), dtype),
                dc=_uniform(rng, (batch, units), dtype), gates=gates,
                tanh_c=_uniform(rng, (batch, units), dtype, 0.99),
                c_prev=_uniform(rng, (batch, units), dtype),
                dz=np.empty((batch, 4 * units), dtype),
                dc_prev=np.empty((batch, units), dtype)), ("dh", "dc", "dz", "dc_prev")


def _gru_step_args(rng, batch, units, dtype):
    return dict(xw=_uniform(rng, (batch, 3 * units), dtype),
                hu=_uniform(rng, (batch, 3 * units), dtype),
                h_prev=_uniform(rng, (batch, units), dtype, 1.0),
                kept=np.empty((batch, units), dtype),
                h=np.empty((batch, units), dtype)), ("xw", "kept", "h")


def _gru_backward_args(rng, batch, units, dtype):
    return dict(dh=_uniform(rng, (batch, units), dtype),
                d_output=_uniform(rng, (batch, units), dtype),
                gates=rng.uniform(0.05, 0.95, size=(batch, 3 * units)).astype(dtype),
                kept=_uniform(rng, (batch, units), dtype),
                h_prev=_uniform(rng, (batch, units), dtype, 1.0),
                dz=np.empty((batch, 3 * units), dtype),
                d_hu=np.empty((batch, 3 * units), dtype),
                dh_direct=np.empty((batch, units), dtype)), ("dh", "dz", "d_hu", "dh_direct")


STEP_CASES = {
    kernels.lstm_step: _lstm_step_args,
    kernels.lstm_step_backward: _lstm_backward_args,
    kernels.gru_step: _gru_step_args,
    kernels.gru_step_backward: _gru_backward_args,
}


def _run(fn, args):
    copied = {k: v.copy() for k, v in args.items()}
    returned = fn(**copied)
    return copied, returned


@needs_numba
@pytest.mark.parametrize("kernel", list(STEP_CASES), ids=lambda k: k.key)
@pytest.mark.parametrize("shape", [(32, 64), (3, 5), (1, 1)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_step_twin_equals_reference(kernel, shape, dtype):
    previous = backend.use_accelerator(True)
    try:
        args, written = STEP_CASES[kernel](np.random.default_rng(0), *shape, dtype)
        fast, fast_returned = _run(kernel, args)  # the dispatcher: the twin, or the reference
        ref, ref_returned = _run(kernel.reference, args)
    finally:
        backend.use_accelerator(previous)
    # float32: the rational tanh is within 3e-7, and fastmath may fuse multiply-adds.
    atol = 2e-6 if dtype == np.float32 else 1e-13
    for name in written:
        np.testing.assert_allclose(fast[name], ref[name], rtol=0, atol=atol, err_msg=name)
    np.testing.assert_allclose(fast_returned, ref_returned, rtol=0, atol=atol)


@needs_numba
def test_the_forward_twins_decline_float64_and_the_reference_runs():
    from kerasite.backend import numba_kernels

    args, _ = _lstm_step_args(np.random.default_rng(1), 2, 3, np.float64)
    before = {k: v.copy() for k, v in args.items()}
    assert numba_kernels.lstm_step(**args) is NotImplemented
    np.testing.assert_array_equal(args["xw"], before["xw"])  # a declining twin writes nothing
    args, _ = _gru_step_args(np.random.default_rng(1), 2, 3, np.float64)
    assert numba_kernels.gru_step(**args) is NotImplemented


@needs_numba
def test_the_twins_tanh_and_sigmoid_are_within_float32_rounding():
    import numba

    from kerasite.backend import numba_kernels

    @numba.njit
    def both(x, t, s):
        for i in range(x.size):
            t[i] = numba_kernels._tanh(x[i])
            s[i] = numba_kernels._sig(x[i])

    x = np.concatenate([np.linspace(-20, 20, 400_001), [0.0, 1e-8, -1e-30]]).astype(np.float32)
    t, s = np.empty_like(x), np.empty_like(x)
    both(x, t, s)
    x64 = x.astype(np.float64)
    assert np.max(np.abs(t - np.tanh(x64))) < 4e-7
    assert np.max(np.abs(s - 1 / (1 + np.exp(-x64)))) < 4e-7
    assert t[-3] == 0 and np.all(np.abs(t) <= 1) and np.all((s >= 0) & (s <= 1))
    special = np.array([np.nan, np.inf, -np.inf], np.float32)
    t, s = np.empty_like(special), np.empty_like(special)
    both(special, t, s)  # as NumPy: a NaN goes through, the infinities saturate
    np.testing.assert_allclose(t, [np.nan, 1, -1], rtol=0, atol=4e-7)
    np.testing.assert_allclose(s, [np.nan, 1, 0], rtol=0, atol=4e-7)


# ------------------------------------------------------------- whole layers
LAYERS = {
    "lstm": lambda: layers.LSTM(5, return_sequences=True),
    "lstm_backwards_states": lambda: layers.LSTM(4, go_backwards=True, return_state=True),
    "gru": lambda: layers.GRU(5, return_sequences=True),
    "gru_dropout": lambda: layers.GRU(4, dropout=0.3, recurrent_dropout=0.2, seed=3),
    "lstm_dropout": lambda: layers.LSTM(4, dropout=0.3, recurrent_dropout=0.2, seed=3),
    "bidirectional_lstm": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_gru": lambda: layers.Bidirectional(layers.GRU(3)),
}
MASK = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0]], dtype=bool)


def _train_step(make, x, on, mask=None):
    """Outputs, input gradient and weight gradients of one training step."""
    previous = backend.use_accelerator(on)
    try:
        layer = make()
        layer.forward(x)
        rng = np.random.default_rng(2)
        for v in layer.weights:
            v.value[...] = rng.normal(scale=0.6, size=v.shape)
        out = layer.forward(x, training=True, mask=mask)
        outs = out if isinstance(out, list) else [out]
        grads = [np.cos(np.arange(o.size)).reshape(o.shape).astype(o.dtype) for o in outs]
        dx = layer.backward(grads if isinstance(out, list) else grads[0])
        return outs + [dx] + [v._grad.copy() for v in layer.weights]
    finally:
        backend.use_accelerator(previous)


@needs_numba
@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("masked", [False, True], ids=["", "masked"])
def test_accelerated_layer_equals_the_numpy_layer_float32(name, masked):
    x = np.random.default_rng(4).normal(size=(3, 6, 4)).astype(np.float32)
    mask = MASK if masked else None
    numpy_path = _train_step(LAYERS[name], x, False, mask)
    accelerated = _train_step(LAYERS[name], x, True, mask)
    assert len(numpy_path) == len(accelerated)
    for a, b in zip(numpy_path, accelerated):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


@needs_numba
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_accelerated_layer_equals_the_numpy_layer_float64(name, float64):
    # In float64 the forward twins decline: the NumPy reference kernels run, so this
    # compares kernels.py's fused references with the cells' gate-by-gate code.
    x = np.random.default_rng(5).normal(size=(3, 6, 4))
    for a, b in zip(_train_step(LAYERS[name], x, False), _train_step(LAYERS[name], x, True)):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


# test_rnn.py's gradient checks (run there with the accelerator as configured, on by
# default), here once more under both settings, and a bidirectional GRU with states.
GRADCHECK = {**GRADCHECK_LAYERS,
             "bidirectional_gru_states": lambda: layers.Bidirectional(
                 layers.GRU(2, return_sequences=True, return_state=True))}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradients_through_time_with_the_accelerator_on_and_off(name, both_kernels, float64):
    x = np.random.default_rng(2).normal(size=(2, 4, 3))
    layer = _randomize(GRADCHECK[name](), x)
    y = _target(layer, x)
    loss = ["mse"] * len(y) if isinstance(y, list) else "mse"
    report = check_gradients(layer, x, y, loss)
    assert report.max_rel_diff < 1e-6, str(report)


# ---------------------------------------------------------------- Embedding
def _add_at(indices, grad_output, rows):
    ref = np.zeros((rows, grad_output.shape[-1]))
    np.add.at(ref, indices.reshape(-1), grad_output.reshape(-1, grad_output.shape[-1]))
    return ref


def test_embedding_gradient_over_successive_batches(both_kernels):
    rng = np.random.default_rng(8)
    layer = layers.Embedding(40, 3)
    for shape in [(4, 6), (2, 6), (5, 6), (1, 6)]:  # batches that share some rows
        indices = rng.integers(0, 40, shape)
        layer.forward(indices)
        g = rng.normal(size=(*shape, 3)).astype(np.float32)
        layer.backward(g)
        np.testing.assert_allclose(layer.embeddings._grad, _add_at(indices, g, 40),
                                   rtol=0, atol=1e-6)


def test_embedding_with_a_regularizer_clears_the_whole_table_next_time(both_kernels):
    # The regularizer's gradient reaches every row, so the next batch cannot only
    # clear the rows the last one looked up.
    layer = layers.Embedding(10, 2, embeddings_regularizer=regularizers.L2(0.1))
    layer.forward(np.array([[1, 2]]))
    layer.embeddings._grad[...] = 5.0  # what add_regularization_gradients may leave
    layer.backward(np.ones((1, 2, 2), np.float32))
    layer.embeddings._grad[...] += 5.0
    layer.forward(np.array([[3, 3]]))
    layer.backward(np.ones((1, 2, 2), np.float32))
    expected = np.zeros((10, 2))
    expected[3] = 2.0
    np.testing.assert_array_equal(layer.embeddings._grad, expected)


def test_embedding_gradient_of_an_empty_batch_is_zero(both_kernels):
    layer = layers.Embedding(6, 2)
    layer.forward(np.array([[1, 4]]))
    layer.backward(np.ones((1, 2, 2), np.float32))
    layer.forward(np.zeros((0, 2), np.int64))
    layer.backward(np.zeros((0, 2, 2), np.float32))
    np.testing.assert_array_equal(layer.embeddings._grad, 0)


@needs_numba
def test_embedding_twin_equals_reference():
    from kerasite.backend import numba_kernels

    rng = np.random.default_rng(9)
    indices = rng.integers(0, 300, 1000)
    g = rng.normal(size=(1000, 16)).astype(np.float32)
    previous = np.unique(rng.integers(0, 300, 50))
    grads = []
    for fn in (numba_kernels.embedding_backward, kernels.embedding_backward.reference):
        grad = rng.normal(size=(300, 16)).astype(np.float32)
        grad[np.setdiff1d(np.arange(300), previous)] = 0  # only last call's rows are set
        rows = fn(indices, g, grad, previous)
        np.testing.assert_array_equal(rows, np.unique(indices))
        grads.append(grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=0, atol=1e-5)
    np.testing.assert_allclose(grads[0], _add_at(indices, g, 300), rtol=0, atol=1e-5)


# ------------------------------------------------------- the time loop's threads
def _needs_threadpoolctl():
    import importlib.util

    if importlib.util.find_spec("threadpoolctl") is None:
        pytest.skip("threadpoolctl is not installed")


def test_the_time_loop_runs_on_one_blas_thread_and_restores_the_others():
    _needs_threadpoolctl()
    from threadpoolctl import threadpool_limits

    from kerasite.layers.rnn import base

    with threadpool_limits(2, user_api="blas"):
        if base._blas_threads() < 2:
            pytest.skip("BLAS has a single thread here")
        seen = []
        cell = layers.LSTMCell(3)
        step = cell.step
        cell.step = lambda *args: (seen.append(base._blas_threads()), step(*args))[1]
        layers.RNN(cell).forward(np.ones((2, 4, 3), np.float32))
        assert seen == [1] * 4
        assert base._blas_threads() == 2


def test_bidirectional_runs_its_directions_on_two_threads_with_the_same_results(monkeypatch):
    _needs_threadpoolctl()
    import threading

    from threadpoolctl import threadpool_limits

    from kerasite.layers.rnn import base, bidirectional

    x = np.random.default_rng(10).normal(size=(3, 6, 4)).astype(np.float32)
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    g = np.cos(np.arange(3 * 6 * 6)).reshape(3, 6, 6).astype(np.float32)
    with threadpool_limits(1, user_api="blas"):  # one BLAS thread: one after the other
        y_one, dx_one = layer.forward(x, training=True), layer.backward(g)
    threads = []
    backward_call = layer.backward_layer.call
    monkeypatch.setattr(layer.backward_layer, "call", lambda *a, **k: (
        threads.append(threading.current_thread().name), backward_call(*a, **k))[1])
    with threadpool_limits(2, user_api="blas"):
        if base._blas_threads() < 2:
            pytest.skip("BLAS has a single thread here")
        y_two, dx_two = layer.forward(x, training=True), layer.backward(g)
    assert threads == ["kerasite-bidirectional"]
    np.testing.assert_array_equal(y_one, y_two)
    np.testing.assert_array_equal(dx_one, dx_two)

    def broken():
        raise ValueError("the second direction failed")

    with threadpool_limits(2, user_api="blas"), \
            pytest.raises(ValueError, match="the second direction failed"):
        bidirectional.run_both(lambda: 1, broken)


def test_overlapping_time_loops_share_one_limit_lifted_by_the_last():
    # Two threads' loops may overlap in any order: BLAS gets its threads back only
    # when the last one ends.
    _needs_threadpoolctl()
    from threadpoolctl import threadpool_limits

    from kerasite.layers.rnn import base

    with threadpool_limits(2, user_api="blas"):
        if base._blas_threads() < 2:
            pytest.skip("BLAS has a single thread here")
        first, second = base.one_blas_thread(), base.one_blas_thread()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert base._blas_threads() == 1
        second.__exit__(None, None, None)
        assert base._blas_threads() == 2
