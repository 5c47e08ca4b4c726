"""Tests of kerasite/layers/base.py: the layer contract every layer follows.

Also the contract as layers are composed: ``Sequential.forward`` runs them in
order, ``backward`` in reverse, and one row at a time gives the batch's result.
"""

import json
import re

import numpy as np
import pytest

from kerasite import Sequential, initializers, layers
from kerasite.layers import Dense, Layer, NotBuiltError


# ------------------------------------------------------------------- lifecycle
def test_layers_build_on_first_forward():
    layer = Dense(2)
    assert not layer.built and layer.params == {}
    layer.forward(np.zeros((1, 3), dtype="float32"))
    assert layer.built and layer.input_shape == (None, 3)


def test_ensure_built_builds_once_then_checks():
    layer = Dense(2)
    layer.ensure_built((None, 3))
    W = layer.W
    layer.ensure_built((8, 3))  # same features: nothing happens
    assert layer.W is W
    with pytest.raises(ValueError, match=r"expected \(batch, 3\)"):
        layer.ensure_built((8, 4))


def test_shape_check_names_the_layer_and_both_shapes():
    layer = Dense(2, name="hidden")
    layer.forward(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Input to layer 'hidden' \(Dense\) has the wrong shape: "
                                         r"expected \(batch, 3\) as the layer was built for, "
                                         r"received \(2, 4\)\."):
        layer.forward(np.zeros((2, 4), dtype="float32"))


def test_shape_check_covers_every_feature_axis():
    layer = layers.Flatten(name="flat")
    layer.forward(np.zeros((2, 3, 4)))
    for shape in [(2, 4, 3), (2, 2, 4)]:  # the last axis alone is not enough
        with pytest.raises(ValueError, match=r"'flat' \(Flatten\).*expected \(batch, 3, 4\).*"
                                             r"received " + re.escape(str(shape))):
            layer.forward(np.zeros(shape))


def test_a_different_batch_size_is_fine():
    layer = Dense(2)
    layer.forward(np.zeros((2, 3), dtype="float32"))
    assert layer.forward(np.zeros((7, 3), dtype="float32")).shape == (7, 2)


def test_clear_cache_drops_what_backward_needs():
    layer = Dense(2)
    layer.forward(np.ones((1, 3), dtype="float32"), training=True)
    assert hasattr(layer, "x")
    layer.clear_cache()
    assert not hasattr(layer, "x")


def test_not_built_error_is_both_value_and_attribute_error():
    assert issubclass(NotBuiltError, ValueError)
    assert issubclass(NotBuiltError, AttributeError)


# --------------------------------------------------------------------- weights
def _built_dense(name="d"):
    layer = Dense(2, name=name)
    layer.ensure_built((None, 3))
    return layer


def test_set_weights_writes_into_the_existing_arrays():
    layer = _built_dense()
    W, b = layer.W, layer.b
    layer.set_weights([np.arange(6.0).reshape(3, 2), [1.0, -1.0]])
    assert layer.W is W and layer.b is b and layer.params["W"] is W.value
    np.testing.assert_array_equal(W, np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(b, [1.0, -1.0])
    assert W.dtype == np.float32  # the weight's dtype, not the argument's


def test_get_weights_returns_copies():
    layer = _built_dense()
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(3, 2), (2,)]
    weights[0][...] = 42.0
    assert not np.any(layer.W == 42.0)


def test_set_weights_with_the_wrong_count():
    layer = _built_dense("d")
    with pytest.raises(ValueError, match=r"Layer 'd' expects 2 weight arrays \(W, b\)\. "
                                         r"Received 1\."):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"Layer 'd' expects 2 weight arrays \(W, b\)\. "
                                         r"Received 3\."):
        layer.set_weights([np.zeros((3, 2)), np.zeros(2), np.zeros(2)])


def test_set_weights_with_the_wrong_shape():
    layer = _built_dense("d")
    with pytest.raises(ValueError, match=r"Weight 'W' of layer 'd' has shape \(3, 2\)\. "
                                         r"Received an array of shape \(2, 3\)\."):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match=r"Weight 'b' of layer 'd' has shape \(2,\)\. "
                                         r"Received an array of shape \(3,\)\."):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])


def test_set_weights_on_a_layer_without_weights():
    with pytest.raises(ValueError, match=r"Layer 'r' expects 0 weight arrays \(none\)\. "
                                         r"Received 1\."):
        layers.ReLU(name="r").set_weights([np.zeros(1)])


# ----------------------------------------------------------------------- names
@pytest.mark.parametrize("cls, base", [
    (Dense, "dense"), (layers.ReLU, "re_lu"), (layers.LeakyReLU, "leaky_re_lu"),
    (layers.Softmax, "softmax"), (layers.Dropout, "dropout"), (layers.Flatten, "flatten"),
])
def test_automatic_names_follow_keras(cls, base):
    args = (1,) if cls in (Dense,) else (0.5,) if cls is layers.Dropout else ()
    first, second = cls(*args), cls(*args)
    assert re.fullmatch(rf"{base}(_\d+)?", first.name)
    assert re.fullmatch(rf"{base}_\d+", second.name)
    assert first.name != second.name


def test_config_does_not_use_up_automatic_names():
    def number(name):
        return int(re.fullmatch(r"re_lu(?:_(\d+))?", name).group(1) or 0)

    first = number(layers.ReLU().name)
    Dense(2, activation="relu").get_config()  # one automatic name, for the activation only
    assert number(layers.ReLU().name) == first + 2


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match=r"`name` must be a string\. Received: name=3\."):
        Dense(2, name=3)


# ---------------------------------------------------------------------- config
ALL_LAYERS = {
    "dense": lambda: Dense(3, activation="relu", name="d", input_shape=(4,)),
    "dense_custom": lambda: Dense(2, activation=layers.LeakyReLU(0.2), use_bias=False,
                                  kernel_initializer=initializers.GlorotNormal(seed=1),
                                  bias_initializer=initializers.Ones(), trainable=False),
    "dropout": lambda: layers.Dropout(0.3, seed=4),
    "flatten": lambda: layers.Flatten(),
    "reshape": lambda: layers.Reshape((-1, 2)),
    "relu": lambda: layers.ReLU(),
    "leaky_relu": lambda: layers.LeakyReLU(0.3),
    "sigmoid": lambda: layers.Sigmoid(),
    "tanh": lambda: layers.Tanh(),
    "softmax": lambda: layers.Softmax(axis=1),
    "linear": lambda: layers.Linear(),
}


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_config_round_trip_for_every_layer(name):
    layer = ALL_LAYERS[name]()
    cfg = layer.get_config()
    text = json.dumps(cfg)
    again = type(layer).from_config(json.loads(text))
    assert type(again) is type(layer)
    assert again.get_config() == cfg
    assert not again.built
    form = layers.serialize(layer)
    assert form == {"class_name": type(layer).__name__, "config": cfg}
    assert layers.deserialize(json.loads(json.dumps(form))).get_config() == cfg


def test_config_keeps_name_trainable_and_declared_input_shape():
    cfg = ALL_LAYERS["dense"]().get_config()
    assert cfg["name"] == "d" and cfg["trainable"] is True and cfg["input_shape"] == [4]
    assert ALL_LAYERS["dense_custom"]().get_config()["trainable"] is False


def test_deserialize_unknown_layer_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown layer type 'Conv3D'\. Known types are "
                                         r"\[.*'Dense'.*\]\. Register custom layers"):
        layers.deserialize({"class_name": "Conv3D", "config": {}})


def test_deserialize_needs_a_dict():
    with pytest.raises(ValueError, match=r"A layer config must be a dict with 'class_name'"):
        layers.deserialize("Dense")


def test_register_a_custom_layer():
    @layers.register
    class Triple(Layer):
        def call(self, x, training=False):
            return 3 * x

        def backward(self, grad_output, need_input_grad=True):
            return 3 * grad_output

    layer = layers.deserialize({"class_name": "Triple", "config": {"name": "t"}})
    assert isinstance(layer, Triple) and layer.name == "t"
    np.testing.assert_array_equal(layer.forward(np.ones((1, 2))), [[3.0, 3.0]])
    with pytest.raises(TypeError, match=r"Only Layer subclasses can be registered"):
        layers.register(int)


# -------------------------------------------------- one row at a time == batch
def _model():
    return Sequential([
        layers.Reshape((4, 2)), layers.Flatten(),
        Dense(8, activation="relu"), layers.Dropout(0.5),
        Dense(6, activation=layers.LeakyReLU(0.2)), layers.Tanh(),
        Dense(5, activation="sigmoid"), layers.Softmax(),
    ])


def test_predicting_one_row_at_a_time_gives_the_batch_result():
    x = np.random.default_rng(0).normal(size=(7, 8)).astype("float32")
    model = _model()
    batch = model.forward(x, training=False).copy()
    rows = np.concatenate([model.forward(x[i:i + 1], training=False) for i in range(len(x))])
    np.testing.assert_allclose(rows, batch, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict(x, batch_size=1), batch, rtol=1e-6, atol=1e-7)


# ------------------------------------------------- Sequential as a layer stack
class _Recorder(Layer):
    """A weightless identity layer that logs when its forward and backward run."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def call(self, x, training=False):
        self.log.append(("forward", self.name))
        return x

    def backward(self, grad_output, need_input_grad=True):
        self.log.append(("backward", self.name))
        return grad_output if need_input_grad else None


def test_forward_runs_in_order_and_backward_in_reverse():
    log = []
    model = Sequential([_Recorder(log, name="a"), Dense(2), _Recorder(log, name="b"),
                        Dense(2), _Recorder(log, name="c")])
    model.forward(np.ones((1, 3), dtype="float32"), training=True)
    model.backward(np.ones((1, 2), dtype="float32"))
    assert log == [("forward", "a"), ("forward", "b"), ("forward", "c"),
                   ("backward", "c"), ("backward", "b"), ("backward", "a")]
    log.clear()
    model.forward(np.ones((1, 3), dtype="float32"), training=True)
    assert model.backward(np.ones((1, 2), dtype="float32"), need_input_grad=False) is None
    # Nothing before the first layer with weights runs backward.
    assert log == [("forward", "a"), ("forward", "b"), ("forward", "c"),
                   ("backward", "c"), ("backward", "b")]


def _twin_layers():
    """The same stack twice: equal configs, hence equal seeded weights and masks."""
    def make():
        return [layers.Flatten(),
                Dense(5, activation="tanh", kernel_initializer=initializers.GlorotUniform(seed=1)),
                layers.Dropout(0.4, seed=2),
                Dense(3, activation="softmax",
                      kernel_initializer=initializers.GlorotUniform(seed=3),
                      bias_initializer=initializers.GlorotUniform(seed=4))]
    return make(), make()


def test_sequential_equals_manual_composition(float64):
    stacked, manual = _twin_layers()
    model = Sequential(stacked)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 3))
    g = rng.normal(size=(4, 3))

    out = model.forward(x, training=True).copy()
    h = x
    for layer in manual:
        h = layer.forward(h, training=True)
    np.testing.assert_array_equal(out, h)

    dx = model.backward(g.copy()).copy()
    d = g.copy()
    for layer in reversed(manual):
        d = layer.backward(d)
    np.testing.assert_array_equal(dx, d)
    for a, b in zip(stacked, manual):
        for key in a.grads:
            np.testing.assert_array_equal(a.grads[key], b.grads[key])


def test_backward_without_input_gradient_fills_the_same_parameter_gradients(float64):
    stacked, _ = _twin_layers()
    model = Sequential(stacked)
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 3))

    for layer in model.layers:
        if hasattr(layer, "set_epoch"):
            layer.set_epoch(0)
    model.forward(x, training=True)
    model.backward(g.copy(), need_input_grad=True)
    with_input = [layer.grads[k].copy() for layer in model.layers for k in layer.grads]

    for layer in model.layers:
        for grad in layer.grads.values():
            grad[...] = np.nan  # anything not refilled would show
        if hasattr(layer, "set_epoch"):
            layer.set_epoch(0)
    model.forward(x, training=True)
    assert model.backward(g.copy(), need_input_grad=False) is None
    without_input = [layer.grads[k] for layer in model.layers for k in layer.grads]

    assert len(with_input) == 4
    for a, b in zip(with_input, without_input):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------- the regularization seam
def test_activity_penalty_and_its_gradient_match_finite_differences(float64):
    # The engine's part for an activity regularizer: the penalty joins the loss, and its
    # gradient joins the output's gradient before the layer's own backward.
    from kerasite import losses, regularizers

    rng = np.random.default_rng(0)
    layer = Dense(3, activation="tanh", activity_regularizer=regularizers.L1L2(0.3, 0.7))
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    mse = losses.get("mse")

    def total(inputs):
        out = layer.forward(inputs)
        return mse.forward(y, out) + layer.activity_penalty(out)

    out = layer.forward(x, training=True)
    mse.forward(y, out)
    dx = layer.backward(layer.activity_gradient(out, mse.backward()))
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        probe = x.copy()
        probe[i] += 1e-6
        plus = total(probe)
        probe[i] -= 2e-6
        numeric[i] = (plus - total(probe)) / 2e-6
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9)


def test_activity_penalty_is_divided_by_the_batch_and_zero_without_a_regularizer():
    from kerasite import layers as layers_module

    out = np.full((4, 2), 2.0)
    reg_layer = layers_module.Dropout(0.1, seed=0, activity_regularizer="l2")
    assert reg_layer.activity_penalty(out) == pytest.approx(0.01 * 4 * 8 / 4)
    plain = layers_module.Dropout(0.1, seed=0)
    g = np.ones((4, 2))
    assert plain.activity_penalty(out) == 0.0 and plain.activity_gradient(out, g) is g


# ------------------------------------------------ add_weight, Keras 3's signature
class _KerasStyleLinear(Layer):
    """The subclassing guide's Linear layer, as Keras 3 scripts write it."""

    def __init__(self, units=3):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        return inputs @ self.w + self.b


def test_add_weight_takes_keras_3_keywords_and_names_weights_variable_n():
    layer = _KerasStyleLinear(3)
    x = np.ones((2, 4), dtype="float32")
    out = layer(x)
    assert list(layer.params) == ["variable", "variable_1"]  # Keras 3's default names
    assert layer.params["variable"].shape == (4, 3)
    assert set(layer.grads) == {"variable", "variable_1"}
    np.testing.assert_allclose(out, x @ layer.w)  # the bias starts at zero


def test_add_weight_default_initializer_is_glorot_uniform_and_dtype_is_kept():
    layer = Layer()
    w = layer.add_weight(shape=(100, 50), name="k")
    limit = np.sqrt(6 / 150)  # glorot_uniform's bound
    assert w.dtype == np.float32 and 0 < np.abs(w).max() <= limit
    d = layer.add_weight(shape=[3], initializer="ones", dtype="float64", trainable=False)
    assert d.dtype == np.float64 and "variable" not in layer.grads


def test_add_weight_registers_its_regularizer_and_constraint():
    from kerasite import constraints, regularizers

    layer = Layer()
    w = layer.add_weight(shape=(2,), initializer="ones", name="s", regularizer="l2",
                         constraint="non_neg")
    assert isinstance(layer.regularizers["s"], regularizers.L2)
    assert isinstance(layer.constraints["s"], constraints.NonNeg)
    assert layer.regularization_penalty() == pytest.approx(0.01 * 2)  # l2=0.01 * (1 + 1)
    w[...] = -1.0
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.params["s"], [0.0, 0.0])


def test_add_weight_keeps_the_older_positional_order():
    from kerasite import initializers

    layer = Layer()
    layer.add_weight("gamma", (3,), initializers.Ones(), trainable=False)
    np.testing.assert_array_equal(layer.params["gamma"], np.ones(3))
    assert "gamma" not in layer.grads


def test_add_weight_errors_name_the_argument():
    layer = Layer(name="lin")
    with pytest.raises(ValueError, match=r"Layer 'lin': add_weight\(\) needs `shape`"):
        layer.add_weight(initializer="zeros")
    with pytest.raises(ValueError, match=r"weight 'w' must have a float dtype.*int32"):
        layer.add_weight(shape=(2,), dtype="int32", name="w")
    with pytest.raises(TypeError, match=r"unexpected arguments \['shapes'\]"):
        layer.add_weight(shapes=(2,))
