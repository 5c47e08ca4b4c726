"""Tests of kerasite/ops/tape.py and kerasite/ops/core.py: what ops return, how the tape
records Variables, Tensors and watched arrays, persistent and nested tapes, None for
unconnected sources, stop_gradient, stop_recording, custom_gradient, and every error."""

import numpy as np
import pytest

from kerasite import GradientTape, Variable, config, ops


def _var(value, **kwargs):
    return Variable(np.asarray(value, dtype=np.float64), **kwargs)


def _item(a):
    return np.asarray(a).item()


# ---------------------------------------------------------------- what ops return
def test_outside_a_tape_ops_and_variable_arithmetic_give_plain_arrays():
    v = _var([1.0, 2.0])
    for out in (ops.exp(np.ones(2)), ops.add(v, 1), v * 2, 2 * v, np.ones(2) * v, -v, v @ v,
                ops.sum(v)):
        assert type(out) in (np.ndarray, np.float64)
    np.testing.assert_array_equal(np.ones(2) - v, [0.0, -1.0])


def test_inside_a_tape_tracked_results_are_tensors_and_constants_stay_plain():
    v = _var([1.0, 2.0])
    with GradientTape():
        tracked = v * 2
        constant = ops.exp(np.ones(2))
        compared = tracked > 3
    assert isinstance(tracked, ops.Tensor)
    assert type(constant) is np.ndarray and type(compared) is np.ndarray
    assert compared.dtype == bool
    # after the tape, NumPy takes a Tensor as a plain array
    np.testing.assert_array_equal(np.sqrt(tracked * 8), [4.0, np.sqrt(32)])
    assert repr(tracked) == "Tensor([2., 4.])"


def test_a_typical_regression_loss():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w, b = _var(rng.standard_normal((3, 1))), _var(np.zeros(1))
    with GradientTape() as tape:
        pred = x @ w + b
        loss = ops.mean(ops.square(y - pred))
    dw, db = tape.gradient(loss, [w, b])
    residual = x @ w.value + b.value - y
    np.testing.assert_allclose(dw, 2 * x.T @ residual / 8)
    np.testing.assert_allclose(db, 2 * residual.mean(0))
    assert type(dw) is np.ndarray and dw.shape == (3, 1) and db.shape == (1,)


def test_a_few_sgd_steps_reduce_the_loss():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 2))
    y = x @ np.array([[2.0], [-1.0]]) + 0.5
    w, b = _var(np.zeros((2, 1))), _var(np.zeros(1))
    losses = []
    for _ in range(50):
        with GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) + b - y))
        for var, grad in zip((w, b), tape.gradient(loss, (w, b))):
            var.assign_sub(0.1 * grad)
        losses.append(float(loss))
    assert losses[-1] < 1e-3 * losses[0]
    np.testing.assert_allclose(w.numpy().ravel(), [2.0, -1.0], atol=0.05)


# ---------------------------------------------------------------- sources and targets
def test_gradient_keeps_the_structure_of_sources_and_gives_none_when_unconnected():
    a, b, c = _var(1.0), _var(2.0), _var(3.0)
    with GradientTape() as tape:
        y = a * b
    grads = tape.gradient(y, {"ab": [a, (b,)], "c": c})
    assert set(grads) == {"ab", "c"} and isinstance(grads["ab"], list)
    assert isinstance(grads["ab"][1], tuple)
    assert _item(grads["ab"][0]) == 2.0 and _item(grads["ab"][1][0]) == 1.0
    assert grads["c"] is None


def test_unconnected_gradients_zero():
    a, b = _var([1.0, 2.0]), _var([[3.0]])
    with GradientTape(persistent=True) as tape:
        y = a * 2
    ga, gb = tape.gradient(y, [a, b], unconnected_gradients="zero")
    np.testing.assert_array_equal(gb, [[0.0]])
    np.testing.assert_array_equal(ga, [2.0, 2.0])
    with pytest.raises(ValueError, match="`unconnected_gradients` must be 'none' or 'zero'"):
        tape.gradient(y, a, unconnected_gradients="zeros")


def test_a_target_the_tape_did_not_compute_gives_none():
    v = _var(2.0)
    with GradientTape() as tape:
        pass
    assert tape.gradient(np.float64(3.0), v) is None


def test_gradient_with_respect_to_an_intermediate_tensor():
    v = _var([1.0, 2.0])
    with GradientTape() as tape:
        h = v * 3
        y = ops.sum(h * h)
    dh, dv = tape.gradient(y, [h, v])
    np.testing.assert_allclose(dh, 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(dv, 18 * np.array([1.0, 2.0]))


def test_fan_out_adds_up():
    v = _var(3.0)
    with GradientTape() as tape:
        y = v * v + ops.sin(v) + v
    assert _item(tape.gradient(y, v)) == pytest.approx(2 * 3 + np.cos(3) + 1)


def test_several_targets_and_output_gradients():
    v = _var([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        y1, y2 = v * 2, v * v
    np.testing.assert_allclose(tape.gradient([y1, y2], v), 2 + 2 * v.value)
    np.testing.assert_allclose(tape.gradient(y2, v, output_gradients=np.array([10.0, 1.0])),
                               [20.0, 4.0])
    with pytest.raises(ValueError, match="`output_gradients` must have one array per target"):
        tape.gradient([y1, y2], v, output_gradients=[np.ones(2)])


def test_watched_plain_arrays_and_tensors():
    x = np.array([1.0, 2.0])
    t = ops.convert_to_tensor(np.array([3.0]))
    with GradientTape() as tape:
        tape.watch([x, t])
        y = ops.sum(ops.square(x)) + t * t  # ops on a plain array; operators on a Tensor
    dx, dt = tape.gradient(y, [x, t])
    np.testing.assert_allclose(dx, [2.0, 4.0])
    np.testing.assert_allclose(dt, [6.0])


# ------------------------------------------------------------------- variables
def test_variables_read_inside_the_tape_are_watched_automatically():
    v, frozen = _var(2.0), _var(5.0, trainable=False)
    with GradientTape(persistent=True) as tape:
        y = v * frozen
    assert tape.watched_variables() == (v,)
    assert _item(tape.gradient(y, v)) == 5.0
    assert tape.gradient(y, frozen) is None


def test_watch_accessed_variables_false_watches_only_what_it_is_told():
    v, w = _var(2.0), _var(3.0)
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * w
    gv, gw = tape.gradient(y, [v, w])
    assert gv is None and gw.item() == 2.0


def test_an_ndarray_times_a_variable_is_recorded():
    v = _var([1.0, 2.0])
    with GradientTape() as tape:
        y = ops.sum(np.array([3.0, 4.0]) * v - np.ones(2) / v)
    np.testing.assert_allclose(tape.gradient(y, v), [3.0 + 1.0, 4.0 + 0.25])


def test_convert_to_tensor_of_a_variable_is_a_recorded_read():
    v = _var([[1.0, 2.0]])
    with GradientTape() as tape:
        t = ops.convert_to_tensor(v)
        y = ops.sum(t[0] * t.T[1])
    np.testing.assert_allclose(tape.gradient(y, v), [[2.0, 1.0 + 2 * 2.0]])  # y = t00 t01 + t01^2


# ----------------------------------------------------------- persistent, nested
def test_a_non_persistent_tape_answers_once():
    v = _var(2.0)
    with GradientTape() as tape:
        y = v * v
    tape.gradient(y, v)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only compute one"):
        tape.gradient(y, v)


def test_a_persistent_tape_answers_several_times():
    v = _var(2.0)
    with GradientTape(persistent=True) as tape:
        y = v * v
        z = y * v
    assert _item(tape.gradient(y, v)) == 4.0
    assert _item(tape.gradient(z, v)) == 12.0
    assert _item(tape.gradient(z, y)) == 2.0


@pytest.mark.parametrize("f, d2", [
    (lambda x: x ** 3, lambda x: 6 * x),
    (ops.sin, lambda x: -np.sin(x)),
    (lambda x: ops.exp(x) * x, lambda x: np.exp(x) * (x + 2)),
], ids=["x**3", "sin", "exp(x)*x"])
def test_nested_tapes_give_second_derivatives(f, d2):
    x = _var([0.3, -1.2, 2.0])
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = f(x)
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    np.testing.assert_allclose(d2y, d2(x.value), rtol=1e-12)


def test_third_derivative_with_three_tapes():
    x = _var(0.7)
    with GradientTape() as t3:
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    assert _item(t3.gradient(d2, x)) == pytest.approx(24 * 0.7)


def test_gradient_inside_its_own_tape_is_not_recorded_by_it():
    x = _var(2.0)
    with GradientTape(persistent=True) as tape:
        y = x ** 3
        dy = tape.gradient(y, x)
    assert type(dy) is not ops.Tensor or tape.gradient(dy, x) is None
    assert _item(dy) == 12.0


# ------------------------------------------------- stop_gradient, stop_recording
def test_stop_gradient_makes_a_constant():
    x = _var(3.0)
    with GradientTape() as tape:
        y = x * ops.stop_gradient(x * x)
    assert _item(tape.gradient(y, x)) == 9.0


def test_stop_recording_pauses_only_that_tape():
    x = _var(3.0)
    with GradientTape() as outer:
        with GradientTape() as tape:
            with tape.stop_recording():
                c = x * x
            y = c * x
    assert _item(tape.gradient(y, x)) == 9.0
    assert _item(outer.gradient(y, x)) == 27.0


# -------------------------------------------------------------- custom_gradient
def test_custom_gradient_is_one_node_whose_backward_is_given():
    calls = []

    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            calls.append(1)
            return ops.clip(upstream, -1.0, 1.0)
        return x * 1.0, grad

    x = _var([1.0, 2.0])
    with GradientTape() as tape:
        y = ops.sum(clipped_identity(x) * np.array([5.0, 0.5]))
    np.testing.assert_array_equal(tape.gradient(y, x), [1.0, 0.5])
    assert calls == [1]


def test_a_layer_with_its_own_backward_as_one_coarse_node():
    from kerasite.layers import Dense

    config.set_floatx("float64")
    rng = np.random.default_rng(2)
    layer = Dense(3, activation="tanh")
    layer.ensure_built((None, 4))
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))

    @ops.custom_gradient
    def dense(x, W, b):
        out = layer.forward(x)

        def grad(upstream):
            dx = layer.backward(np.asarray(upstream))
            return dx.copy(), layer.dW.copy(), layer.db.copy()
        return out.copy(), grad

    with GradientTape() as tape:
        tape.watch([x, layer.W, layer.b])
        loss = ops.mean(ops.square(dense(x, layer.W, layer.b) - y))
    dx, dW, db = tape.gradient(loss, [x, layer.W, layer.b])

    # the same loss written with ops, differentiated op by op
    with GradientTape() as tape:
        W, b = _var(layer.W), _var(layer.b)
        loss2 = ops.mean(ops.square(ops.tanh(x @ W + b) - y))
    dW2, db2 = tape.gradient(loss2, [W, b])
    assert float(loss) == pytest.approx(float(loss2))
    np.testing.assert_allclose(dW, dW2, rtol=1e-12)
    np.testing.assert_allclose(db, db2, rtol=1e-12)
    assert dx.shape == x.shape


def test_custom_gradient_must_return_one_gradient_per_argument():
    @ops.custom_gradient
    def f(x, y):
        return x * y, lambda g: g * y

    x = _var(2.0)
    with GradientTape() as tape:
        z = f(x, 3.0)
    with pytest.raises(ValueError, match="returned 1 gradients for 2 arguments"):
        tape.gradient(z, x)


# ------------------------------------------------------------------------ errors
def test_numpy_functions_on_a_tracked_tensor_raise_naming_the_op():
    x = _var([1.0, 2.0])
    with GradientTape():
        t = x * 1.0
        with pytest.raises(TypeError, match=r"`np.sum` was given a Tensor .* Use "
                                            r"`kerasite.ops.sum` instead"):
            np.sum(t)
        with pytest.raises(TypeError, match=r"`np.concatenate` .* `kerasite.ops.concatenate`"):
            np.concatenate([t, t])
        with pytest.raises(TypeError, match=r"`np.multiply.reduce` .* the `kerasite.ops` function"):
            t.prod()
        with pytest.raises(TypeError, match=r"`np.exp` .* `kerasite.ops.exp`") as info:
            np.exp(t, out=np.empty(2))
        assert "GradientTape records" in str(info.value)


def test_ufuncs_that_are_ops_run_as_ops_on_a_tensor():
    x = _var([1.0, 2.0])
    with GradientTape() as tape:
        y = np.sum(np.zeros(0)) + ops.sum(np.exp(x * 1.0) * np.float64(2.0))
    np.testing.assert_allclose(tape.gradient(y, x), 2 * np.exp([1.0, 2.0]))


def test_an_array_made_by_an_ndarray_method_is_refused():
    x = _var([[1.0, 2.0]])
    with GradientTape():
        t = x * 1.0
        with pytest.raises(TypeError, match=r"made from another one by an ndarray method"):
            ops.sum(t.swapaxes(0, 1))


def test_writing_into_a_tensor_while_recording_raises():
    x = _var([1.0, 2.0])
    with GradientTape():
        t = x * 1.0
        with pytest.raises(TypeError, match="cannot be written into while a GradientTape"):
            t[0] = 5.0
    t[0] = 5.0  # allowed once no tape records
    assert t[0] == 5.0


def test_tape_errors():
    tape = GradientTape()
    with pytest.raises(ValueError, match=r"`tensor` must be an array, a Tensor or a Variable"):
        tape.watch("x")
    with tape:
        with pytest.raises(RuntimeError, match="already recording"):
            tape.__enter__()


@pytest.mark.parametrize("call, match", [
    (lambda: ops.sum(np.ones((2, 3)), axis=2), r"axis 2 is out of bounds"),  # NumPy's AxisError
    (lambda: ops.norm(np.ones((2, 3)), axis=2), r"`axis` must be an integer in \[-2, 2\)"),
    (lambda: ops.where(np.ones(2) > 0, np.ones(2)), r"`x1` and `x2` must be given together"),
    (lambda: ops.concatenate([]), r"`xs` must be a non-empty list"),
    (lambda: ops.stack(np.ones(3)), r"`x` must be a non-empty list"),
    (lambda: ops.stack([np.ones(2), np.ones(3)]), r"stack\(\) needs arrays of one shape"),
    (lambda: ops.split(np.ones(5), 2), r"`indices_or_sections`=2 must divide the length 5"),
    (lambda: ops.pad(np.ones(2), 1, mode="reflect"), r"`mode` must be 'constant'"),
    (lambda: ops.take(np.ones(3), np.array([0.5])), r"`indices` must be integers"),
    (lambda: ops.take_along_axis(np.ones((2, 3)), np.array([0]), axis=1),
     r"`indices` must have the rank of `x` \(2\)"),
    (lambda: ops.norm(np.ones((2, 3)), ord=1), r"`ord`=1 needs `axis`"),
    (lambda: ops.norm(np.ones((2, 3)), ord="nuc", axis=(0, 1)), r"over two axes only the Frob"),
    (lambda: ops.norm(np.ones(3), ord="x", axis=0), r"`ord` must be a number"),
    (lambda: ops.one_hot(np.array([1]), 3, sparse=True), r"`sparse=True` is not supported"),
    (lambda: ops.convert_to_tensor(np.ones(2), sparse=True), r"`sparse` and `ragged`"),
], ids=["axis range", "norm axis range", "where", "concatenate", "stack list", "stack shapes",
        "split", "pad mode", "take indices", "take_along_axis rank", "norm ord axis",
        "norm matrix ord", "norm ord type", "one_hot sparse", "convert sparse"])
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_cast_to_an_integer_has_no_gradient():
    x = _var([1.5, 2.5])
    with GradientTape() as tape:
        y = ops.sum(ops.cast(x, "int32") * x)
    np.testing.assert_array_equal(tape.gradient(y, x), [1.0, 2.0])


def test_variable_equality_is_as_before_the_ops():
    v, w, a = _var([1.0, 2.0]), _var([1.0, 2.0]), np.array([1.0, 5.0])
    np.testing.assert_array_equal(a == v, [True, False])
    np.testing.assert_array_equal(v != a, [False, True])
    assert v != w and v == v and v in [w, v] and {v: 1}[v] == 1
    np.testing.assert_array_equal(a < v, [False, False])


def test_convert_to_tensor_of_a_list_of_tensors_stacks_them():
    a, b = _var([1.0, 2.0]), _var([3.0, 4.0])
    with GradientTape() as tape:
        t = ops.convert_to_tensor([a * 1.0, b])
        y = ops.sum(t * np.array([[1.0], [10.0]]))
    assert t.shape == (2, 2)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga, [1.0, 1.0])
    np.testing.assert_array_equal(gb, [10.0, 10.0])


def test_float32_stays_float32_through_forward_and_backward():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3)).astype("float32")
    labels = np.array([0, 1, 2, 1, 0, 2])
    w = Variable(rng.standard_normal((3, 3)).astype("float32"))
    b = Variable(np.zeros(3, dtype="float32"))
    with GradientTape() as tape:
        h = ops.nn.gelu(x @ w + b)
        logits = ops.concatenate([h[:, :2], ops.nn.silu(h[:, 2:])], axis=1)
        loss = ops.mean(ops.nn.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        loss = loss + 0.01 * ops.sum(ops.square(w)) + ops.mean(ops.nn.binary_crossentropy(
            np.ones((6, 3), "float32"), ops.nn.sigmoid(logits)))
    assert loss.dtype == np.float32
    for g in tape.gradient(loss, [w, b]):
        assert g.dtype == np.float32


def test_indexing_a_variable_is_recorded():
    v = _var([[1.0, 2.0], [3.0, 4.0]])
    row = v[0]
    assert type(row) is np.ndarray and np.shares_memory(row, v.value)  # as before, outside
    with GradientTape() as tape:
        y = ops.sum(v * 2) + v[0, 1] * 10 + ops.sum(v[:, 0])
    np.testing.assert_array_equal(tape.gradient(y, v), [[3.0, 12.0], [3.0, 2.0]])
