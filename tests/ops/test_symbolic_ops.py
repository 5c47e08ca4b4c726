"""kerasite.ops on symbolic tensors: each call becomes an op node of the functional graph.

Every op is checked three ways inside a model: its forward matches the eager
op on the same data, the float64 gradient of a model holding it matches
finite differences (``kerasite.gradcheck``), and the model saves and loads.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Model, config, layers, ops
from kerasite.gradcheck import check_gradients
from kerasite.layers.op_layer import OpLayer
from kerasite.models import load_model


@pytest.fixture
def float64():
    config.set_floatx("float64")
    yield
    config.set_floatx("float32")


# (id, function of two inputs of shape (batch, 3, 4)); the batch is 2 where a constant
# must match it (broadcast_to, take_along_axis, the sparse labels).
_SECOND = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
OPS = [
    ("add", lambda x, y: ops.add(x, y)),
    ("subtract", lambda x, y: ops.subtract(x, y)),
    ("multiply", lambda x, y: ops.multiply(x, y)),
    ("divide", lambda x, y: ops.divide(x, ops.exp(y))),
    ("power", lambda x, y: ops.power(ops.exp(x), y)),
    ("matmul", lambda x, y: ops.matmul(x, ops.transpose(y, (0, 2, 1)))),
    ("operators", lambda x, y: (x + y) * 2.0 - y / 3.0 + x ** 2 - (-y)),
    ("operators-reflected", lambda x, y: 1.0 - x + 2.0 * y + 1.0 / (2.0 + ops.tanh(x))),
    ("operator-constant-array", lambda x, y: x * _SECOND + _SECOND),
    ("matmul-operator", lambda x, y: x @ ops.transpose(y, (0, 2, 1))),
    ("getitem", lambda x, y: x[:, 0] + y[:, -1] + ops.sum(y[:, 1:3, ::2], axis=1)[:, :1]),
    ("getitem-ellipsis", lambda x, y: x[..., 1] * y[:, None, 0, 0]),
    ("exp", lambda x, y: ops.exp(x)),
    ("log", lambda x, y: ops.log(ops.exp(x) + 1.0)),
    ("log1p", lambda x, y: ops.log1p(ops.square(x))),
    ("sqrt", lambda x, y: ops.sqrt(ops.square(x) + 1.0)),
    ("square", lambda x, y: ops.square(x)),
    ("abs", lambda x, y: ops.abs(x)),
    ("maximum", lambda x, y: ops.maximum(x, y)),
    ("minimum", lambda x, y: ops.minimum(x, 0.2)),
    ("clip", lambda x, y: ops.clip(x, -0.5, 0.5)),
    ("where", lambda x, y: ops.where(_SECOND > 0, x, y)),
    ("erf", lambda x, y: ops.erf(x)),
    ("cos", lambda x, y: ops.cos(x)),
    ("sin", lambda x, y: ops.sin(x)),
    ("tanh", lambda x, y: ops.tanh(x)),
    ("sum", lambda x, y: ops.sum(x, axis=-1)),
    ("mean", lambda x, y: ops.mean(x, axis=(1, 2), keepdims=True)),
    ("max", lambda x, y: ops.max(x, axis=1)),
    ("min", lambda x, y: ops.min(x, axis=-1)),
    ("var", lambda x, y: ops.var(x, axis=-1)),
    ("std", lambda x, y: ops.std(x, axis=1)),
    ("logsumexp", lambda x, y: ops.logsumexp(x, axis=-1)),
    ("norm", lambda x, y: ops.norm(x, axis=-1)),
    ("cumsum", lambda x, y: ops.cumsum(x, axis=1)),
    ("reshape", lambda x, y: ops.reshape(x, (-1, 12))),
    ("transpose", lambda x, y: ops.transpose(x, (0, 2, 1))),
    ("swapaxes", lambda x, y: ops.swapaxes(x, 1, 2)),
    ("expand_dims", lambda x, y: ops.expand_dims(x, 1)),
    ("squeeze", lambda x, y: ops.squeeze(ops.expand_dims(x, -1), axis=-1)),
    ("concatenate", lambda x, y: ops.concatenate([x, y], axis=-1)),
    ("stack", lambda x, y: ops.stack([x, y], axis=1)),
    ("split", lambda x, y: ops.split(x, 2, axis=-1)[1]),
    ("tile", lambda x, y: ops.tile(x, (1, 1, 2))),
    ("repeat", lambda x, y: ops.repeat(x, 2, axis=1)),
    ("pad", lambda x, y: ops.pad(x, ((0, 0), (1, 0), (0, 2)))),
    ("flip", lambda x, y: ops.flip(x, axis=1)),
    ("broadcast_to", lambda x, y: ops.broadcast_to(ops.expand_dims(x, 1), (2, 2, 3, 4))),
    ("take", lambda x, y: ops.take(x, [0, 2, 2], axis=1)),
    ("take_along_axis", lambda x, y: ops.take_along_axis(
        x, np.array([[[0], [3], [1]]]).repeat(2, axis=0), axis=-1)),
    ("cast", lambda x, y: ops.cast(x, "float64")),
    ("stop_gradient", lambda x, y: ops.stop_gradient(x) * y),
    ("relu", lambda x, y: ops.relu(x)),
    ("sigmoid", lambda x, y: ops.sigmoid(x)),
    ("softmax", lambda x, y: ops.softmax(x, axis=-1)),
    ("log_softmax", lambda x, y: ops.log_softmax(x)),
    ("gelu", lambda x, y: ops.gelu(x)),
    ("softplus", lambda x, y: ops.softplus(x)),
    ("silu", lambda x, y: ops.silu(x)),
    ("nn.relu", lambda x, y: ops.nn.relu(x)),
    ("binary_crossentropy", lambda x, y: ops.binary_crossentropy(
        ops.sigmoid(y), x, from_logits=True)),
    ("categorical_crossentropy", lambda x, y: ops.categorical_crossentropy(
        ops.softmax(y), ops.softmax(x))),
    ("sparse_categorical_crossentropy", lambda x, y: ops.sparse_categorical_crossentropy(
        np.zeros((2, 3), dtype=int), x, from_logits=True)),
]


def _data(seed=0, batch=2):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=(batch, 3, 4)), rng.uniform(-1.5, 1.5, (batch, 3, 4))]


def _model(f):
    a, b = kerasite.Input((3, 4), name="a"), kerasite.Input((3, 4), name="b")
    # A trainable layer in front, so that gradients flow through the op node; b feeds it
    # too, so that both inputs have a gradient whatever the op reads.
    out = f(layers.Add()([layers.Dense(4, name="mix")(a), b]), b)
    return Model([a, b], out)


@pytest.mark.parametrize("name,f", OPS, ids=[o[0] for o in OPS])
def test_an_op_on_symbolic_tensors_is_a_node_whose_forward_is_the_op(name, f, float64):
    model = _model(f)
    assert any(isinstance(layer, OpLayer) for layer in model.layers)
    x = _data()
    dense = model.get_layer("mix")
    eager = f(dense.forward(x[0]) + x[1], x[1])
    np.testing.assert_allclose(model.predict(x, verbose=0), eager, rtol=1e-12, atol=1e-12)


_DIFFERENTIABLE = [o for o in OPS if o[0] != "stop_gradient"]  # its gradient is cut on purpose


@pytest.mark.parametrize("name,f", _DIFFERENTIABLE, ids=[o[0] for o in _DIFFERENTIABLE])
def test_the_gradient_of_a_model_holding_the_op_matches_finite_differences(name, f, float64):
    model = _model(f)
    x = _data(1)
    y = np.random.default_rng(2).standard_normal(np.shape(model.forward(x)))
    report = check_gradients(model, x, y, "mse")
    # relative to each array's largest gradient; an array whose gradient is 0 compares absolutely
    assert all(rel < 1e-6 or diff < 1e-12 for _, _, diff, rel in report.rows), str(report)


def test_stop_gradient_cuts_the_gradient_of_its_input_inside_a_model(float64):
    a = kerasite.Input((3,))
    dense = layers.Dense(3)
    model = Model(a, ops.stop_gradient(dense(a)) * a)
    x = np.random.default_rng(5).standard_normal((4, 3))
    out = model.forward(x)
    model.backward(np.ones_like(out))
    np.testing.assert_array_equal(dense.grads["W"], 0.0)


@pytest.mark.parametrize("name,f", OPS, ids=[o[0] for o in OPS])
def test_a_model_holding_the_op_saves_and_loads(name, f, tmp_path, float64):
    model = _model(f)
    x = _data(3)
    path = tmp_path / "m.kerasite"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-12, atol=1e-12)


def test_an_op_node_with_a_variable_constant_refuses_to_save_naming_the_op(tmp_path):
    inp = kerasite.Input((4,))
    out = ops.multiply(inp, kerasite.Variable(np.arange(4.0)))
    with pytest.raises(ValueError, match=r"Op node 'multiply.*kerasite\.ops\.numpy\.multiply.*"
                                         r"cannot be saved.*Variable"):
        Model(inp, out).save(tmp_path / "m.kerasite")


def test_the_issue_example_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 5)).astype("float32")
    y = (x[:, :3] @ np.array([1.0, -2.0, 0.5], dtype="float32")) / 3
    inp = kerasite.Input((5,))
    out = ops.mean(layers.Dense(3)(inp), axis=-1)
    model = Model(inp, out)
    model.compile(optimizer=kerasite.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.1 * losses[0]
    assert model.output_shape == (None,)


def test_a_subclassed_model_may_use_ops_and_operators_in_call():
    class Residual(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, inputs):
            return ops.tanh(self.dense(inputs)) * 0.5 + inputs[:, :3]

    config.set_floatx("float64")
    try:
        model = Residual()
        x = np.random.default_rng(4).standard_normal((4, 5))
        out = model.predict(x, verbose=0)
        W, b = model.dense.kernel.numpy(), model.dense.bias.numpy()
        np.testing.assert_allclose(out, np.tanh(x @ W + b) * 0.5 + x[:, :3], rtol=1e-12)
        report = check_gradients(model, x, np.zeros((4, 3)), "mse")
        assert report.max_rel_diff < 1e-6
    finally:
        config.set_floatx("float32")


def test_two_symbolic_tensors_of_one_shape_still_make_merge_layers():
    a, b = kerasite.Input((3,)), kerasite.Input((3,))
    assert type((a + b).node.layer).__name__ == "Add"
    assert type((a * b).node.layer).__name__ == "Multiply"
    assert type((a - b).node.layer).__name__ == "Subtract"
    assert isinstance((a + 1.0).node.layer, OpLayer)


def test_numpy_on_a_symbolic_tensor_names_the_function_the_op_and_the_line():
    inp = kerasite.Input((3,))
    with pytest.raises(TypeError, match=r"np\.exp was called on symbolic tensor .*"
                                        r"test_symbolic_ops\.py:\d+: np\.exp\(inp\).*"
                                        r"`kerasite\.ops\.exp`"):
        np.exp(inp)
    with pytest.raises(TypeError, match=r"np\.mean was called.*test_symbolic_ops\.py.*"
                                        r"`kerasite\.ops\.mean`"):
        np.mean(inp, axis=-1)
    with pytest.raises(TypeError, match=r"np\.asarray was called.*the `kerasite\.ops` "
                                        "function for it"):
        np.asarray(inp)
