"""A layer, and a model, as one node of a GradientTape (kerasite/layers/_tape.py).

The reference everywhere is kerasite's own built-in train step (the graph's
forward and backward), which the layer tests check against finite
differences: a tape over the same model must give the same gradients.
"""

import numpy as np
import pytest

import kerasite
from kerasite import GradientTape, Sequential, config, layers, ops


@pytest.fixture(autouse=True)
def float64():
    config.set_floatx("float64")
    yield
    config.set_floatx("float32")


def _builtin_grads(model, x, y):
    """The gradients the built-in train step hands the optimizer (captured, not applied)."""
    captured = []
    model.optimizer.apply_gradients = lambda pairs: captured.extend(
        np.array(g) for g, _ in pairs)
    model.set_epoch(0)
    model.train_on_batch(x, y)
    del model.optimizer.apply_gradients
    return captured


def _tape_grads(model, x, y):
    model.set_epoch(0)
    with GradientTape() as tape:
        pred = model(x, training=True)
        loss = ops.mean(ops.square(pred - y))
    return tape.gradient(loss, model.trainable_variables), loss


def _conv_model(variant):
    net = [layers.Input((6, 6, 2)), layers.Conv2D(3, 3, activation="relu")]
    if "bn" in variant:
        net.append(layers.BatchNormalization())
    net.append(layers.Flatten())
    if "dropout" in variant:
        net.append(layers.Dropout(0.3, seed=1))
    net += [layers.Dense(5, activation="tanh"), layers.Dense(2)]
    return Sequential(net)


@pytest.mark.parametrize("variant", ["plain", "bn", "dropout", "bn+dropout"])
def test_a_tape_over_a_compiled_sequential_matches_the_builtin_step(variant):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 6, 6, 2)), rng.standard_normal((8, 2))
    model = _conv_model(variant)
    model.compile(optimizer="sgd", loss="mse")
    expected = _builtin_grads(model, x, y)
    grads, loss = _tape_grads(model, x, y)
    assert isinstance(loss, ops.Tensor)
    assert len(grads) == len(expected) == len(model.trainable_variables)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_tape_gradients_of_a_layer_match_its_backward_and_finite_differences():
    rng = np.random.default_rng(1)
    layer = layers.Dense(3, activation="tanh")
    x = ops.convert_to_tensor(rng.standard_normal((4, 5)))
    with GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(layer(x) ** 2)
    dx, dW, db = tape.gradient(loss, [x, layer.kernel, layer.bias])
    eps, W = 1e-6, layer.kernel.value
    f = lambda: float(np.sum(np.tanh(np.asarray(x) @ W + layer.bias.value) ** 2))  # noqa: E731
    W[1, 2] += eps
    up = f()
    W[1, 2] -= 2 * eps
    down = f()
    W[1, 2] += eps
    assert dW[1, 2] == pytest.approx((up - down) / (2 * eps), rel=1e-7)
    out = np.tanh(np.asarray(x) @ W + layer.bias.value)
    np.testing.assert_allclose(dx, (2 * out * (1 - out ** 2)) @ W.T, rtol=1e-12)
    np.testing.assert_allclose(db, np.sum(2 * out * (1 - out ** 2), axis=0), rtol=1e-12)


def test_a_layer_called_twice_under_one_tape_keeps_both_caches():
    rng = np.random.default_rng(2)
    layer = layers.Dense(4, activation="relu")
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    with GradientTape() as tape:
        ha = layer(a, training=True)
        hb = layer(layer(b, training=True), training=True)  # three calls, reused buffers
        loss = ops.sum(ha * 2.0) + ops.sum(hb ** 2)
    grads = tape.gradient(loss, [layer.kernel, layer.bias])
    # The same loss with the layer written out in ops, differentiated op by op.
    W, bias = kerasite.Variable(layer.kernel.numpy()), kerasite.Variable(layer.bias.numpy())
    with GradientTape() as tape:
        dense = lambda v: ops.relu(ops.matmul(v, W) + bias)  # noqa: E731
        loss2 = ops.sum(dense(a) * 2.0) + ops.sum(dense(dense(b)) ** 2)
    expected = tape.gradient(loss2, [W, bias])
    assert float(loss) == pytest.approx(float(loss2), rel=1e-12)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_nested_models_and_a_shared_layer_inside_a_functional_model():
    rng = np.random.default_rng(3)
    inner = Sequential([layers.Input((4,)), layers.Dense(4, activation="tanh")], name="inner")
    shared = layers.Dense(4, activation="sigmoid", name="shared")
    inp = kerasite.Input((4,))
    h = shared(inner(inp))
    out = layers.Dense(1, name="head")(layers.Add()([shared(h), h]))
    model = kerasite.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 1))
    expected = _builtin_grads(model, x, y)
    grads, _ = _tape_grads(model, x, y)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
    # The model inside another one, called twice under one tape.
    outer_in = kerasite.Input((4,))
    outer = kerasite.Model(outer_in, model(outer_in))
    with GradientTape() as tape:
        loss = ops.mean(ops.square(outer(x, training=True) - y)) + \
            ops.mean(ops.square(model(2 * x, training=True) - y))
    twice = tape.gradient(loss, model.trainable_variables)
    _, first = _tape_grads(model, x, y)
    with GradientTape() as tape:
        one = ops.mean(ops.square(model(x, training=True) - y))
    g1 = tape.gradient(one, model.trainable_variables)
    with GradientTape() as tape:
        two = ops.mean(ops.square(model(2 * x, training=True) - y))
    g2 = tape.gradient(two, model.trainable_variables)
    for g, a, b in zip(twice, g1, g2):
        np.testing.assert_allclose(g, a + b, rtol=1e-12, atol=1e-14)


def test_input_gradient_and_outputs_are_copies():
    rng = np.random.default_rng(4)
    model = Sequential([layers.Input((3,)), layers.Dense(3, activation="tanh")])
    x = ops.convert_to_tensor(rng.standard_normal((2, 3)))
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        first = model(x, training=True)
        kept = np.array(first)
        model(x * 3.0, training=True)  # reuses the layer's buffers
        loss = ops.sum(first)
    np.testing.assert_array_equal(first, kept)
    dx = tape.gradient(loss, x)
    W = model.layers[0].kernel.numpy()
    np.testing.assert_allclose(dx, (1 - kept ** 2) @ W.T, rtol=1e-12)


def test_a_model_with_several_outputs_as_one_node():
    rng = np.random.default_rng(5)
    inp = kerasite.Input((3,))
    h = layers.Dense(4, activation="tanh")(inp)
    model = kerasite.Model(inp, {"a": layers.Dense(2, name="a")(h),
                                 "b": layers.Dense(1, name="b")(h)})
    x = rng.standard_normal((5, 3))
    with GradientTape() as tape:
        out = model(x, training=True)
        loss = ops.sum(out["a"] ** 2) + 3.0 * ops.sum(out["b"])
    grads = tape.gradient(loss, model.trainable_variables)
    preds = model.forward(x, training=True)
    dx = model.backward({"a": 2 * preds["a"], "b": 3.0 * np.ones_like(preds["b"])})
    assert dx is not None
    expected = [v._grad.copy() for v in model.trainable_variables]
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_numpy_on_a_tracked_tensor_names_the_users_line():
    x = ops.convert_to_tensor(np.ones(3))
    with GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(TypeError, match=r"`np\.mean` was given a Tensor while a GradientTape "
                                            r"records \(at .*test_tape_layers\.py:\d+: .*np\.mean"
                                            r"\(x \* 2\.0\).*`kerasite\.ops\.mean`"):
            np.mean(x * 2.0)


def test_the_builtin_fit_of_builtin_layers_opens_no_tape(monkeypatch):
    from kerasite.ops import tape as tape_module

    def refuse(*args, **kwargs):
        raise AssertionError("a GradientTape was created on the built-in fast path")

    monkeypatch.setattr(tape_module.GradientTape, "__init__", refuse)
    model = _conv_model("bn+dropout")
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(6).standard_normal((16, 6, 6, 2))
    model.fit(x, np.zeros((16, 2)), epochs=1, batch_size=8, verbose=0)
    assert model._graph._chain is not None and not model._graph._activity


def test_a_model_on_a_dict_of_inputs_under_a_tape():
    a, b = kerasite.Input((2,), name="a"), kerasite.Input((3,), name="b")
    model = kerasite.Model({"a": a, "b": b},
                           layers.Dense(1)(layers.Concatenate()([a, b])))
    rng = np.random.default_rng(7)
    xa, xb = ops.convert_to_tensor(rng.standard_normal((4, 2))), \
        ops.convert_to_tensor(rng.standard_normal((4, 3)))
    with GradientTape() as tape:
        tape.watch([xa, xb])
        loss = ops.sum(model({"b": xb, "a": xa}))  # keys in another order than the model's
    gb, ga = tape.gradient(loss, [xb, xa])
    W = model.layers[-1].kernel.numpy()[:, 0]
    np.testing.assert_allclose(ga, np.tile(W[:2], (4, 1)), rtol=1e-12)
    np.testing.assert_allclose(gb, np.tile(W[2:], (4, 1)), rtol=1e-12)
