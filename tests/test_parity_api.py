"""clone_model, to_json / model_from_json, and the custom-object utilities of
kerasite.saving (custom_object_scope, get_custom_objects, serialize_keras_object,
deserialize_keras_object, register_keras_serializable on functions), as Keras 3 has them.
The dict layout of serialize_keras_object is Keras 3.15.1's (checked on JAX: keys
module, class_name, config, registered_name; a function as class_name "function")."""

import json

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, layers, losses, metrics, saving
from kerasite.models import clone_model, model_from_json


def _sequential():
    return Sequential([Input((3,)), layers.Dense(4, activation="relu", name="h"),
                       layers.Dense(2, name="o")], name="seq")


def _functional():
    x = Input((8,), name="x")
    a, b = layers.Dense(4, name="a")(x), layers.Dense(4, name="b")(x)
    return Model(x, layers.Dense(2, name="o")(layers.Add(name="add")([a, b])), name="fn")


X8 = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")


# ------------------------------------------------------------------ clone_model
@pytest.mark.parametrize("make", [_sequential, _functional])
def test_clone_has_the_same_config_and_new_weights(make):
    model = make()
    clone = clone_model(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(c is not m for c, m in zip(clone.layers, model.layers))
    assert clone.count_params() == model.count_params()
    assert json.loads(clone.to_json())["config"] == json.loads(model.to_json())["config"]
    # new weights: the kernels differ until copied
    assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))
    clone.set_weights(model.get_weights())
    x = X8 if make is _functional else X8[:, :3]
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_function_and_input_tensors():
    model = _functional()
    start = Input((8,), name="start")
    shared = clone_model(model, input_tensors=start, clone_function=lambda layer: layer)
    assert shared.layers[0].name == "start"
    assert shared.get_layer("a") is model.get_layer("a")  # a shared layer keeps its weights
    np.testing.assert_array_equal(shared.predict(X8, verbose=0), model.predict(X8, verbose=0))

    renamed = clone_model(_sequential(), clone_function=lambda layer: layers.deserialize(
        {**layers.serialize(layer), "config": {**layer.get_config(), "name": "c_" + layer.name}}))
    assert [layer.name for layer in renamed.layers] == ["c_h", "c_o"]


def test_clone_errors():
    with pytest.raises(ValueError, match="`input_tensors` must hold one tensor per model input"):
        clone_model(_functional(), input_tensors=[Input((8,)), Input((8,))])
    with pytest.raises(ValueError, match="`input_tensors` must be tensors made by kerasite.Input"):
        clone_model(_functional(), input_tensors=np.zeros((1, 8)))
    with pytest.raises(TypeError, match="`model` must be a kerasite Model"):
        clone_model(layers.Dense(2))


# ------------------------------------------------------- to_json, model_from_json
@pytest.mark.parametrize("make", [_sequential, _functional])
def test_json_round_trip(make):
    model = make()
    text = model.to_json(indent=2)
    payload = json.loads(text)
    assert payload["class_name"] == type(model).__name__
    again = model_from_json(text)
    assert type(again) is type(model) and again.get_config() == model.get_config()


def test_model_from_json_builds_only_known_classes():
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    model = Sequential([Input((3,)), Twice(name="twice")])
    text = model.to_json()
    with pytest.raises(ValueError, match="Unknown layer type 'Twice'"):
        model_from_json(text)
    assert type(model_from_json(text, custom_objects={"Twice": Twice}).layers[0]) is Twice
    with pytest.raises(ValueError, match="Unknown model class 'os.system'"):
        model_from_json(json.dumps({"class_name": "os.system", "config": {}}))
    with pytest.raises(ValueError, match="`json_string` is not JSON"):
        model_from_json("{not json")


# ------------------------------------------------------------ custom objects
def test_custom_object_scope_finds_a_class_only_inside():
    class Thrice(layers.Layer):
        def call(self, x):
            return x * 3

    config = {"class_name": "Thrice", "config": {"name": "t"}}
    with saving.custom_object_scope({"Thrice": Thrice}):
        assert type(layers.deserialize(config)) is Thrice
        with saving.CustomObjectScope(None):  # nested, empty: the outer still holds
            assert type(layers.deserialize(config)) is Thrice
    with pytest.raises(ValueError, match="Unknown layer type 'Thrice'"):
        layers.deserialize(config)
    with pytest.raises(TypeError, match="`custom_objects` must be dicts"):
        saving.custom_object_scope([Thrice])


def test_get_custom_objects_is_live_and_holds_registrations():
    @saving.register_keras_serializable(package="parity")
    def parity_scaled_mse(y_true, y_pred):
        return kerasite.ops.mean((y_true - y_pred) ** 2, axis=-1) * 2

    objects = saving.get_custom_objects()
    assert objects["parity>parity_scaled_mse"] is parity_scaled_mse  # Keras's key

    def parity_by_hand(y_true, y_pred):
        return kerasite.ops.mean(kerasite.ops.abs(y_true - y_pred), axis=-1)

    objects["parity_by_hand"] = parity_by_hand
    try:
        assert losses.get("parity_by_hand").fn is parity_by_hand
    finally:
        del objects["parity_by_hand"]
    with pytest.raises(ValueError, match="Unknown loss: 'parity_by_hand'"):
        losses.get("parity_by_hand")


def test_registered_functions_are_found_by_name():
    @saving.register_keras_serializable()
    def parity_loss(y_true, y_pred):
        return kerasite.ops.mean((y_true - y_pred) ** 2, axis=-1)

    @saving.register_keras_serializable()
    def parity_triple(x):
        return x * 3

    y, p = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    assert float(losses.get("parity_loss")(y, p)) == pytest.approx(2.5)  # (1 + 4) / 2
    assert metrics.get("parity_loss").name == "parity_loss"
    dense = layers.Dense(2, activation="parity_triple", kernel_initializer="ones",
                         bias_initializer="zeros")
    np.testing.assert_allclose(dense(np.ones((1, 2))), [[6.0, 6.0]])  # 3 * (1 + 1)
    model = Sequential([Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="parity_loss")
    assert model.evaluate(np.ones((2, 2)), np.ones((2, 1)), verbose=0) >= 0


def test_serialize_and_deserialize_keras_object():
    dense = layers.Dense(3, activation="relu", name="d")
    config = saving.serialize_keras_object(dense)
    assert set(config) == {"module", "class_name", "config", "registered_name"}  # Keras 3's
    assert config["class_name"] == "Dense" and config["config"]["units"] == 3
    again = saving.deserialize_keras_object(config)
    assert type(again) is layers.Dense and again.get_config() == dense.get_config()

    relu = saving.deserialize_keras_object({"class_name": "function", "config": "relu"})
    assert relu is kerasite.activations.relu
    assert saving.serialize_keras_object(kerasite.activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu",
        "registered_name": "function"}  # as Keras 3.15.1 writes keras.activations.relu
    assert saving.serialize_keras_object([1, "a", None]) == [1, "a", None]
    assert saving.deserialize_keras_object({"a": 1, "b": [2]}) == {"a": 1, "b": [2]}

    class Halve(layers.Layer):
        def call(self, x):
            return x / 2

    config = saving.serialize_keras_object(Halve(name="h"))
    with pytest.raises(TypeError, match="Could not locate class 'Halve'"):
        saving.deserialize_keras_object(config)
    assert type(saving.deserialize_keras_object(config, custom_objects={"Halve": Halve})) is Halve
    with pytest.raises(TypeError, match="Could not locate function 'os.system'"):
        saving.deserialize_keras_object({"class_name": "function", "config": "os.system"})


def test_history_params_hold_keras_keys_only():
    model = Sequential([Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((6, 2)), np.ones((6, 1)), batch_size=4, epochs=2, verbose=0)
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}  # Keras 3.15.1's keys
