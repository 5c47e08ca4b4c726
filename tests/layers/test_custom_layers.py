"""Custom layers written the Keras way: ``call`` with kerasite.ops, no ``backward``.

Such a layer's forward runs under an internal tape and its backward replays
it (kerasite/layers/_tape.py). The gradients are checked against central
finite differences in float64 (``kerasite.gradcheck``), in a layer alone,
inside Sequential and functional models, with list, tuple and dict inputs
and outputs, and with ``add_loss``.
"""

import numpy as np
import pytest

import kerasite
from kerasite import GradientTape, Model, Sequential, config, layers, ops
from kerasite.gradcheck import check_gradients


@pytest.fixture
def float64():
    config.set_floatx("float64")
    yield
    config.set_floatx("float32")


def _ok(report, tol=1e-6):
    return all(rel < tol or diff < 1e-12 for _, _, diff, rel in report.rows)


class Linear(layers.Layer):
    """The subclassing guide's first layer: weights made in build with add_weight."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", name="b")

    def call(self, inputs):
        return ops.tanh(ops.matmul(inputs, self.w) + self.b)


class Sampling(layers.Layer):
    """keras.io's VAE Sampling layer, with its noise drawn from a seeded NumPy generator."""

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
        epsilon = np.random.default_rng(self.seed).standard_normal((batch, dim))
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class ActivityRegularizationLayer(layers.Layer):
    """The subclassing guide's add_loss example."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def test_a_layer_without_backward_builds_with_add_weight_and_matches_finite_differences(
        float64):
    layer = Linear(4)
    x = np.random.default_rng(0).standard_normal((5, 3))
    out = layer(x)
    assert [v.name for v in layer.weights] == ["w", "b"] and layer.w.shape == (3, 4)
    np.testing.assert_allclose(out, np.tanh(x @ layer.w.numpy() + layer.b.numpy()), rtol=1e-13)
    report = check_gradients(layer, x, np.zeros((5, 4)), "mse")
    assert _ok(report), str(report)


def test_the_backward_is_the_tapes_and_fills_the_gradient_slots(float64):
    layer = Linear(2)
    x = np.random.default_rng(1).standard_normal((4, 3))
    out = layer.forward(x, training=True)
    g = np.random.default_rng(2).standard_normal(out.shape)
    dx = layer.backward(g)
    dz = g * (1 - out ** 2)
    np.testing.assert_allclose(dx, dz @ layer.w.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["w"], x.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], dz.sum(axis=0), rtol=1e-12)
    assert layer.backward(g, need_input_grad=False) is None


def test_an_explicit_backward_wins():
    class Doubling(layers.Layer):
        def call(self, x):
            return ops.multiply(x, 2.0)

        def backward(self, grad_output, need_input_grad=True):
            return grad_output * 10.0  # deliberately not the derivative: it must be used

    layer = Doubling()
    out = layer.forward(np.ones((2, 2)), training=True)
    np.testing.assert_array_equal(layer.backward(np.ones_like(out)), 10.0)
    assert not layer._uses_tape() and Linear()._uses_tape()


def test_a_custom_layer_trains_in_fit_inside_sequential_and_functional_models():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 4)).astype("float32")
    y = np.tanh(x @ rng.standard_normal((4, 1))).astype("float32")
    for model in (Sequential([layers.Input((4,)), Linear(8), layers.Dense(1)]),
                  Model(*(lambda i: (i, layers.Dense(1)(Linear(8)(i))))(kerasite.Input((4,))))):
        model.compile(optimizer=kerasite.optimizers.Adam(0.02), loss="mse")
        history = model.fit(x, y, epochs=10, batch_size=20, verbose=0)
        assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
        custom = [layer for layer in model.layers if isinstance(layer, Linear)][0]
        assert custom.w in model.trainable_variables


def test_a_custom_layer_in_a_model_matches_finite_differences(float64):
    inp = kerasite.Input((3,))
    h = Linear(4, name="lin")(inp)
    model = Model(inp, layers.Dense(2)(Linear(4)(h) + h))
    x = np.random.default_rng(4).standard_normal((5, 3))
    report = check_gradients(model, x, np.ones((5, 2)), "mse")
    assert _ok(report), str(report)


def test_a_shared_custom_layer_keeps_one_tape_per_call(float64):
    shared = Linear(3)
    a = kerasite.Input((3,))
    model = Model(a, shared(shared(a)) * 2.0)
    x = np.random.default_rng(5).standard_normal((4, 3))
    report = check_gradients(model, x, np.zeros((4, 3)), "mse")
    assert _ok(report), str(report)


def test_the_sampling_layer_of_the_vae(float64):
    inp = kerasite.Input((4,))
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(inp), layers.Dense(2, name="z_log_var")(inp)
    z = Sampling(seed=7)([z_mean, z_log_var])
    assert z.shape == (None, 2)
    model = Model(inp, [z_mean, z_log_var, z])
    x = np.random.default_rng(6).standard_normal((6, 4))
    m, v, out = model.predict(x, verbose=0)
    eps = np.random.default_rng(7).standard_normal((6, 2))
    np.testing.assert_allclose(out, m + np.exp(0.5 * v) * eps, rtol=1e-12)
    report = check_gradients(Model(inp, z), x, np.zeros((6, 2)), "mse")
    assert _ok(report), str(report)


def test_list_tuple_and_dict_inputs_and_outputs(float64):
    class Mix(layers.Layer):
        def build(self, input_shape):
            assert isinstance(input_shape, dict) and input_shape["b"] == (None, 3)
            self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")

        def call(self, inputs):
            a, b = inputs["a"], inputs["b"]
            return {"sum": a + b * self.scale, "prod": ops.sum(a * b, axis=-1)}

    class Split(layers.Layer):
        def call(self, x):
            return x[:, :1], ops.exp(x[:, 1:])

    a, b = kerasite.Input((3,)), kerasite.Input((3,))
    mixed = Mix(name="mix")({"a": layers.Dense(3)(a), "b": b})
    assert set(mixed) == {"sum", "prod"} and mixed["prod"].shape == (None,)
    left, right = Split()(mixed["sum"])
    assert left.shape == (None, 1) and right.shape == (None, 2)
    out = layers.Concatenate()([left * 2.0, right, ops.expand_dims(mixed["prod"], -1)])
    model = Model([a, b], out)
    rng = np.random.default_rng(8)
    xs = [rng.standard_normal((4, 3)), rng.standard_normal((4, 3))]
    report = check_gradients(model, xs, np.zeros((4, 4)), "mse")
    assert _ok(report), str(report)
    config_ = model.get_config()
    call = [c for c in config_["layers"] if c["name"] == "mix"][0]["inbound_nodes"][0]
    assert call["input_keys"] == ["a", "b"]


def test_compute_output_shape_is_used_when_given_and_traced_otherwise():
    class Declared(layers.Layer):
        def call(self, x):
            return ops.concatenate([x, x], axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[-1])

    inp = kerasite.Input((5,))
    assert Declared()(inp).shape == (None, 10)
    assert Linear(7)(inp).shape == (None, 7)


def test_add_loss_values_reset_each_call_and_count_in_fit_and_evaluate():
    layer = ActivityRegularizationLayer(rate=0.5)
    x = np.array([[1.0, 3.0]], dtype="float32")
    layer(x)
    layer(x)
    assert len(layer.losses) == 1 and float(layer.losses[0]) == pytest.approx(2.5)

    rng = np.random.default_rng(9)
    data, target = rng.standard_normal((64, 3)).astype("float32"), np.zeros((64, 2), "float32")
    inp = kerasite.Input((3,))
    model = Model(inp, layers.Dense(2)(ActivityRegularizationLayer(rate=0.1)(
        layers.Dense(4, activation="tanh")(inp))))
    model.compile(optimizer="sgd", loss="mse")
    pred = np.asarray(model(data))
    assert len(model.losses) == 1
    hidden = model.layers[1].forward(data)
    expected = float(np.mean(pred ** 2)) + 0.1 * float(np.mean(hidden ** 2))
    assert model.evaluate(data, target, verbose=0, batch_size=64) == pytest.approx(expected,
                                                                                    rel=1e-5)
    logs = model.train_on_batch(data, target, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_add_loss_gradient_flows_in_the_built_in_step(float64):
    inp = kerasite.Input((3,))
    model = Model(inp, layers.Dense(2)(ActivityRegularizationLayer(rate=0.3)(
        layers.Dense(4, activation="tanh")(inp))))
    x = np.random.default_rng(10).standard_normal((5, 3))
    report = check_gradients(model, x, np.zeros((5, 2)), "mse")  # counts activity_loss
    assert _ok(report), str(report)
    assert model._last_graph.activity_loss > 0


def test_model_losses_under_a_tape_are_differentiable(float64):
    rng = np.random.default_rng(11)
    inp = kerasite.Input((3,))
    model = Model(inp, layers.Dense(2)(ActivityRegularizationLayer(rate=0.3)(
        layers.Dense(4, activation="tanh")(inp))))
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def total(scale):
        with GradientTape() as tape:
            pred = model(x, training=True)
            loss = ops.mean(ops.square(pred - y)) + scale * sum(model.losses)
        return loss, tape.gradient(loss, model.trainable_variables)

    loss, grads = total(2.0)
    assert len(model.losses) == 1 and isinstance(model.losses[0], ops.Tensor)
    W = model.trainable_variables[0].value
    eps = 1e-6
    W[0, 1] += eps
    up = float(total(2.0)[0])
    W[0, 1] -= 2 * eps
    down = float(total(2.0)[0])
    W[0, 1] += eps
    assert grads[0][0, 1] == pytest.approx((up - down) / (2 * eps), rel=1e-6)
    # the term's weight reaches the layers: scale 0 gives the plain loss's gradient
    _, plain = total(0.0)
    assert not np.allclose(plain[0], grads[0])


def test_a_custom_layer_called_under_a_tape_records_its_ops(float64):
    layer = Linear(2)
    x = ops.convert_to_tensor(np.random.default_rng(12).standard_normal((3, 4)))
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(layer(x))
        g = inner.gradient(y, x)
        gg = ops.sum(g * g)
    second = outer.gradient(gg, x)  # a second derivative: the ops went on the tapes
    assert second is not None and second.shape == x.shape
    w = layer.w.numpy()
    out = np.tanh(np.asarray(x) @ w + layer.b.numpy())
    np.testing.assert_allclose(g, (1 - out ** 2) @ w.T, rtol=1e-12)


@layers.register
class _SavedMix(layers.Layer):
    """A registered custom layer with dict inputs, for the save round trip."""

    def __init__(self, power=2.0, **kwargs):
        super().__init__(**kwargs)
        self.power = power

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape["b"][-1],), initializer="ones",
                                     name="scale")

    def call(self, inputs):
        return inputs["a"] * self.scale + inputs["b"] ** self.power

    def get_config(self):
        return {**super().get_config(), "power": self.power}


def test_a_model_with_a_registered_custom_layer_on_dict_inputs_saves_and_loads(tmp_path):
    from kerasite.models import load_model

    a, b = kerasite.Input((3,)), kerasite.Input((3,))
    model = Model([a, b], layers.Dense(1)(_SavedMix(3.0)({"a": a, "b": b})))
    model.layers[2].scale.assign(np.array([1.0, 2.0, 3.0]))
    xs = [np.random.default_rng(13).standard_normal((4, 3)).astype("float32") for _ in "ab"]
    model.save(tmp_path / "m.kerasite")
    loaded = load_model(tmp_path / "m.kerasite")
    np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0),
                               rtol=1e-6)


class MLPBlock(layers.Layer):
    """The subclassing guide's block: layers held by a layer without backward."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1 = Linear(5, name="linear_1")
        self.blocks = [layers.Dense(4, activation="relu", name="dense_a"), Linear(2)]

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = ops.relu(x) + 0.1 * x
        for block in self.blocks:
            x = block(x)
        return x


def test_layers_inside_a_custom_layer_are_its_weights_and_get_gradients(float64):
    block = MLPBlock()
    x = np.random.default_rng(14).standard_normal((6, 3))
    block(x)
    assert len(block.weights) == 6 and "linear_1__w" in block.params
    assert block.blocks[0].kernel in block.trainable_weights
    report = check_gradients(block, x, np.zeros((6, 2)), "mse")
    assert _ok(report), str(report)
    assert {row[0] for row in report.rows} >= {f"{block.name}/blocks_0__W",
                                               f"{block.name}/linear_1__w"}


def test_a_model_with_a_block_of_layers_trains_and_saves(tmp_path):
    rng = np.random.default_rng(15)
    x = rng.standard_normal((128, 3)).astype("float32")
    y = np.sin(x[:, :2]).astype("float32")
    inp = kerasite.Input((3,))
    block = MLPBlock(name="block")
    model = Model(inp, block(inp))
    assert len(model.trainable_variables) == 6
    model.compile(optimizer=kerasite.optimizers.Adam(0.02), loss="mse")
    before = [w.numpy() for w in model.weights]
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))
    model.save_weights(tmp_path / "m.weights.npz")
    again = Model(inp2 := kerasite.Input((3,)), MLPBlock(name="block")(inp2))
    again.load_weights(tmp_path / "m.weights.npz")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_a_model_held_by_a_custom_layer_lends_its_weights(float64):
    class Wrapper(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.net = Sequential([layers.Dense(3, activation="tanh"), layers.Dense(2)])

        def call(self, x):
            return self.net(x) * 2.0

    layer = Wrapper()
    x = np.random.default_rng(16).standard_normal((4, 3))
    layer(x)
    assert len(layer.trainable_weights) == 4
    report = check_gradients(layer, x, np.zeros((4, 2)), "mse")
    assert _ok(report), str(report)


class _SquarePenalty(layers.Layer):
    def call(self, x):
        self.add_loss(0.5 * ops.mean(ops.square(x)) + 1.0)
        return x


class _Holder(layers.Layer):
    """A layer without backward whose add_loss term comes from the layer it holds."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = _SquarePenalty()

    def call(self, x):
        return self.inner(x)


def test_a_held_layers_add_loss_is_in_losses_in_evaluate_and_in_the_gradient(float64):
    holder = _Holder()
    holder(np.ones((1, 2)))
    assert len(holder.losses) == 1  # the inner layer's term, as Keras lists it
    inp = kerasite.Input((2,))
    h = _Holder()(layers.Dense(3, kernel_initializer="ones")(inp))
    model = kerasite.Model(inp, layers.Dense(1, kernel_initializer="zeros")(h))
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2)), np.ones((4, 1))
    # mse = 1 (the output is 0), the term = 0.5 * mean(2^2) + 1 = 3 (h = x @ ones = 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(4.0)
    report = kerasite.gradcheck.check_gradients(model, x, y, "mse")
    assert report.max_rel_diff < 1e-6, report


def test_add_loss_in_a_subclassed_models_own_call_is_refused_with_the_fix():
    class Model(kerasite.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            y = self.dense(x)
            self.add_loss(ops.mean(y))
            return y

    with pytest.raises(ValueError, match=r"add_loss\(\) in the call\(\) of model .* received a "
                                         r"symbolic tensor.*Call add_loss\(\) inside a layer's "
                                         r"call\(\) instead"):
        Model()(np.ones((2, 3)))
