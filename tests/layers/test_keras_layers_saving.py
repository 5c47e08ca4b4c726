"""Save/load round trips, through a Sequential model, of every layer added for Keras parity.

Covers the registrations in kerasite/layers/__init__.py: each layer's config and weights
survive ``model.save`` / ``load_model``, and the loaded model predicts the same values.
"""

import json

import numpy as np
import pytest

from kerasite import Sequential, constraints, initializers, layers, regularizers
from kerasite.models import load_model

RNG = np.random.default_rng(0)

# name -> (layers after the input, input batch)
MODELS = {
    "elu": (lambda: [layers.ELU(0.5)], RNG.normal(size=(4, 3))),
    "selu": (lambda: [layers.SELU()], RNG.normal(size=(4, 3))),
    "gelu": (lambda: [layers.GELU(approximate=True)], RNG.normal(size=(4, 3))),
    "silu": (lambda: [layers.SiLU()], RNG.normal(size=(4, 3))),
    "softplus": (lambda: [layers.Softplus()], RNG.normal(size=(4, 3))),
    "softsign": (lambda: [layers.Softsign()], RNG.normal(size=(4, 3))),
    "hard_sigmoid": (lambda: [layers.HardSigmoid()], RNG.normal(size=(4, 3))),
    "exponential": (lambda: [layers.Exponential()], RNG.normal(size=(4, 3))),
    "mish": (lambda: [layers.Mish()], RNG.normal(size=(4, 3))),
    "relu_options": (lambda: [layers.ReLU(2.0, 0.1, 0.5)], RNG.normal(size=(4, 3))),
    "prelu": (lambda: [layers.PReLU(initializers.RandomUniform(seed=1), "l2", "non_neg",
                                    shared_axes=[1])], RNG.normal(size=(4, 2, 3))),
    "activation": (lambda: [layers.Activation("swish")], RNG.normal(size=(4, 3))),
    "dense_every_name": (lambda: [layers.Dense(2, activation=name)  # (glu halves: a layer)
                                  for name in layers.activations._BY_NAME if name != "glu"],
                         RNG.normal(size=(4, 3))),
    "dense_regularized": (lambda: [layers.Dense(
        4, kernel_regularizer=regularizers.L1L2(0.1, 0.2), bias_regularizer="l1",
        activity_regularizer="l2", kernel_constraint=constraints.MaxNorm(1.5, axis=[0]),
        bias_constraint="non_neg", kernel_initializer=initializers.Orthogonal(seed=2))],
        RNG.normal(size=(4, 3))),
    "gaussian_noise": (lambda: [layers.GaussianNoise(0.2, seed=3)], RNG.normal(size=(4, 3))),
    "gaussian_dropout": (lambda: [layers.GaussianDropout(0.2, seed=3)], RNG.normal(size=(4, 3))),
    "activity_regularization": (lambda: [layers.ActivityRegularization(0.1, 0.2)],
                                RNG.normal(size=(4, 3))),
    "rescaling": (lambda: [layers.Rescaling([0.5, 2.0, 1.0], offset=-1.0)],
                  RNG.normal(size=(4, 3))),
    "normalization": (lambda: [layers.Normalization(axis=(1, 2))], RNG.normal(size=(4, 2, 3))),
    "normalization_given": (lambda: [layers.Normalization(mean=[1.0, 2.0, 3.0],
                                                          variance=[1.0, 4.0, 9.0], invert=True)],
                            RNG.normal(size=(4, 3))),
    "embedding": (lambda: [layers.Embedding(6, 3, embeddings_regularizer="l1"),
                           layers.Flatten()], RNG.integers(0, 6, size=(4, 5))),
    "repeat_vector": (lambda: [layers.RepeatVector(3)], RNG.normal(size=(4, 3))),
    "permute": (lambda: [layers.Permute((2, 1))], RNG.normal(size=(4, 2, 3))),
}


@pytest.mark.parametrize("name", MODELS)
def test_save_and_load_round_trip(name, tmp_path):
    make, x = MODELS[name]
    body = make()
    if isinstance(body[0], layers.Normalization) and body[0].input_mean is None:
        body[0].adapt(x * 3 + 1)  # statistics that differ from the defaults
    model = Sequential(body)
    model.build((None, *x.shape[1:]))
    expected = model.predict(x)
    path = tmp_path / f"{name}.kerasite"
    model.save(path)
    loaded = load_model(path)
    assert json.dumps(loaded.get_config()) == json.dumps(model.get_config())
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), expected)
    for before, after in zip(model.layers, loaded.layers):
        assert type(after) is type(before)
        assert set(after.regularizers) == set(before.regularizers)
        assert set(after.constraints) == set(before.constraints)
        assert type(after.activity_regularizer) is type(before.activity_regularizer)


def test_every_packaged_layer_is_registered_and_exported_except_lambda():
    for class_name, cls in layers._REGISTRY.items():
        if cls.__module__.startswith("kerasite.layers"):  # tests and models register their own
            assert class_name in layers.__all__
    packaged = [name for name in layers.__all__ if isinstance(getattr(layers, name), type)
                and issubclass(getattr(layers, name), layers.Layer)]
    missing = {name for name in packaged if getattr(layers, name).__name__ not in layers._REGISTRY}
    assert missing == {"Layer", "Lambda", "RNNCell"}  # RNNCell: the base class of the cells


def test_any_layer_takes_an_activity_regularizer_and_keeps_it_in_its_config():
    layer = layers.Dropout(0.5, seed=0, activity_regularizer="l2")
    assert isinstance(layer.activity_regularizer, regularizers.L2)
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert again.activity_regularizer.get_config() == {"l2": 0.01}


def test_a_trained_model_with_normalization_round_trips_with_its_optimizer_state(tmp_path):
    x = RNG.normal(size=(32, 3)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    model = Sequential([norm, layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "m.kerasite")
    loaded = load_model(tmp_path / "m.kerasite")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
