"""kerasite.activations: Keras's activation functions written with ops.

Their values are checked against the activation layers of the same name
(which tests/layers/test_activations.py checks against Keras), their
gradients through the tape against finite differences, in float64. A plain
function given as ``activation=`` is a FunctionActivation, differentiated by
a tape: checked by ``kerasite.gradcheck`` inside a Dense layer.
"""

import numpy as np
import pytest

import kerasite
from kerasite import activations, layers, ops
from kerasite.gradcheck import check_gradients
from kerasite.layers import activations as layer_activations

from tests.ops._check import check_grad

X = np.linspace(-3.0, 3.0, 13).reshape(1, 13) + 0.05  # no kink exactly on a grid point

# (function, kwargs, the layer that computes the same)
CASES = [
    (activations.relu, {}, layers.ReLU()),
    (activations.relu, {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5},
     layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)),
    (activations.relu6, {}, layers.ReLU(max_value=6.0)),
    (activations.leaky_relu, {}, layers.LeakyReLU(0.2)),
    (activations.elu, {"alpha": 0.7}, layers.ELU(alpha=0.7)),
    (activations.selu, {}, layers.SELU()),
    (activations.sigmoid, {}, layers.Sigmoid()),
    (activations.hard_sigmoid, {}, layers.HardSigmoid()),
    (activations.tanh, {}, layers.Tanh()),
    (activations.softmax, {}, layers.Softmax()),
    (activations.softplus, {}, layers.Softplus()),
    (activations.softsign, {}, layers.Softsign()),
    (activations.silu, {}, layers.SiLU()),
    (activations.gelu, {}, layers.GELU(approximate=False)),
    (activations.gelu, {"approximate": True}, layers.GELU(approximate=True)),
    (activations.mish, {}, layers.Mish()),
    (activations.exponential, {}, layers.Exponential()),
    (activations.linear, {}, layers.Linear()),
]
IDS = [f"{fn.__name__}{kw or ''}" for fn, kw, _ in CASES]


@pytest.mark.parametrize("fn, kwargs, layer", CASES, ids=IDS)
def test_each_function_equals_its_layer(fn, kwargs, layer):
    np.testing.assert_allclose(fn(X, **kwargs), layer.forward(X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn, kwargs, layer", CASES, ids=IDS)
def test_each_function_is_differentiated_by_the_tape(fn, kwargs, layer):
    check_grad(lambda x: fn(x, **kwargs), X)


def test_log_softmax():
    expected = X - np.log(np.sum(np.exp(X), axis=-1, keepdims=True))
    np.testing.assert_allclose(activations.log_softmax(X), expected, rtol=1e-12)
    check_grad(activations.log_softmax, X)


def test_this_modules_functions_stand_for_the_built_in_layers():
    assert type(layers.Dense(2, activation=activations.relu).activation) is layers.ReLU
    assert type(layers.Dense(2, activation=activations.tanh).activation) is layers.Tanh


def test_a_plain_function_activation_is_differentiated_by_a_tape(float64):
    layer = layers.Dense(3, activation=lambda x: x * ops.sigmoid(2.0 * x))
    assert type(layer.activation) is layer_activations.FunctionActivation
    rng = np.random.default_rng(0)
    report = check_gradients(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)),
                             "mse")
    assert report.max_rel_diff < 1e-6, report


def test_a_function_activation_trains_as_the_built_in_one(float64):
    # silu written by hand trains to the same weights as the built-in SiLU, to float64
    # rounding (its derivative comes from the tape, the layer's from its own formula).
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    weights = []
    for act in ("silu", lambda v: v * ops.sigmoid(v)):
        kerasite.utils.set_random_seed(3)
        model = kerasite.Sequential([kerasite.Input((4,)), layers.Dense(5, activation=act),
                                     layers.Dense(2)])
        model.compile(kerasite.optimizers.SGD(0.1), "mse")
        model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_function_that_changes_the_shape_is_refused():
    layer = layers.Dense(3, activation=lambda x: ops.sum(x, axis=-1))
    with pytest.raises(ValueError, match=r"must keep the shape of its input: it turned "
                                         r"\(2, 3\) into \(2,\)"):
        layer.forward(np.ones((2, 4)))


def test_get_serialize_and_deserialize():
    assert activations.get("relu") is activations.relu
    assert activations.get(None) is activations.linear
    assert activations.serialize(activations.gelu) == "gelu"
    assert activations.deserialize("softplus") is activations.softplus
    with pytest.raises(ValueError, match=r"Unknown activation function: 'rellu'\. Did you "
                                         r"mean 'relu'\?"):
        activations.get("rellu")
    with pytest.raises(TypeError, match=r"must be a name or a function\. Received: 3"):
        activations.get(3)


def test_a_registered_function_activation_saves_and_loads(tmp_path):
    @kerasite.saving.register_keras_serializable()
    def squareplus_for_test(x):
        return 0.5 * (x + ops.sqrt(x * x + 4.0))

    model = kerasite.Sequential([kerasite.Input((3,)),
                                 layers.Dense(2, activation=squareplus_for_test)])
    x = np.random.default_rng(2).standard_normal((4, 3)).astype("float32")
    model.save(tmp_path / "m.kerasite")
    loaded = kerasite.saving.load_model(tmp_path / "m.kerasite")
    assert loaded.layers[0].activation.fn is squareplus_for_test
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unregistered_function_activation_says_how_to_register_it():
    config = {"module": "mine", "class_name": "function", "config": "nowhere_to_be_found",
              "registered_name": "function"}
    with pytest.raises(TypeError, match=r"Could not locate the activation function "
                                        r"'nowhere_to_be_found'\. Decorate it with "
                                        r"@kerasite\.saving\.register_keras_serializable"):
        layer_activations.deserialize(config)
