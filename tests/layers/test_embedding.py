"""Tests of kerasite/layers/embedding.py: lookups, row-only gradients, index checks."""

import numpy as np
import pytest

from kerasite import Sequential, config, initializers, layers
from kerasite.layers import Embedding


def _table():
    layer = Embedding(4, 2)
    layer.build((None, 3))
    layer.params["embeddings"][...] = [[0, 1], [2, 3], [4, 5], [6, 7]]
    return layer


def test_lookup_by_hand():
    out = _table().forward(np.array([[0, 3, 3], [1, 0, 2]]))
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[0], [[0, 1], [6, 7], [6, 7]])
    np.testing.assert_array_equal(out[1], [[2, 3], [0, 1], [4, 5]])


def test_backward_sums_into_the_looked_up_rows_only():
    layer = _table()
    layer.grads["embeddings"][...] = 99.0  # stale values from an earlier step
    layer.forward(np.array([[0, 3, 3]]), training=True)
    g = np.array([[[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]])
    assert layer.backward(g, need_input_grad=False) is None
    # row 3 was used twice: its gradient is the sum; rows 1 and 2 were not used: zero.
    np.testing.assert_array_equal(layer.grads["embeddings"],
                                  [[1, 2], [0, 0], [0, 0], [110, 220]])


def test_whole_number_floats_are_accepted_as_fit_passes_them():
    out = _table().forward(np.array([[1.0, 2.0, 0.0]], dtype="float32"))
    np.testing.assert_array_equal(out[0, 0], [2, 3])


def test_input_gradient_is_zero():
    layer = _table()
    layer.forward(np.array([[0, 1, 2]]), training=True)
    dx = layer.backward(np.ones((1, 3, 2)))
    assert dx.shape == (1, 3) and np.all(dx == 0)


def test_weight_gradient_matches_finite_differences(float64):
    # The input is discrete, so check_gradients' input check does not apply: only the table.
    rng = np.random.default_rng(0)
    layer = Embedding(5, 3, embeddings_initializer=initializers.RandomNormal(seed=1))
    dense = layers.Dense(2)
    x = np.array([[0, 4, 4, 1], [2, 2, 0, 1]])
    y = rng.normal(size=(2, 4, 2))

    def loss():
        return 0.5 * np.sum((dense.forward(layer.forward(x)) - y) ** 2)

    loss()
    layer.backward(dense.backward(dense.forward(layer.forward(x)) - y), need_input_grad=False)
    table, numeric = layer.params["embeddings"], np.zeros((5, 3))
    for i in np.ndindex(table.shape):
        old = table[i]
        table[i] = old + 1e-6
        plus = loss()
        table[i] = old - 1e-6
        minus = loss()
        table[i] = old
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(layer.grads["embeddings"], numeric, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(numeric[3], 0.0)  # index 3 never looked up


def test_keras_defaults_and_shapes():
    layer = Embedding(1000, 64)
    assert layer.compute_output_shape((None, 10)) == (None, 10, 64)
    layer.build((None, 10))
    w = layer.params["embeddings"]
    assert w.shape == (1000, 64) and w.dtype == np.float32
    assert -0.05 <= w.min() and w.max() <= 0.05  # Keras's "uniform": U(-0.05, 0.05)


def test_trains_in_a_model():
    config.set_floatx("float32")
    rng = np.random.default_rng(2)
    x = rng.integers(0, 10, size=(64, 3))
    y = (x[:, :1] >= 5).astype("float32")
    model = Sequential([Embedding(10, 4, input_shape=(3,)), layers.Flatten(),
                        layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("x, message", [
    (np.array([[0, 4]]), r"has input_dim=4, so indices must be in \[0, 3\]\. Received index 4"),
    (np.array([[-1, 0]]), r"Received index -1"),
    (np.array([[0.5, 1.0]]), r"takes integer indices\. Received an array of float64 with values "
                             r"that are not whole numbers"),
])
def test_bad_indices(x, message):
    layer = Embedding(4, 2)
    with pytest.raises(ValueError, match=message):
        layer.forward(x)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_dim": 0, "output_dim": 2}, r"`input_dim` must be a positive integer\. "
                                        r"Received: input_dim=0"),
    ({"input_dim": 3, "output_dim": 2.0}, r"`output_dim` must be a positive integer"),
    ({"input_dim": 3, "output_dim": 2, "mask_zero": 1}, r"`mask_zero` must be True or False"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Embedding(**kwargs)


def test_regularizer_and_constraint():
    layer = Embedding(3, 2, embeddings_initializer="ones", embeddings_regularizer="l2",
                      embeddings_constraint="unit_norm")
    layer.build((None, 1))
    assert layer.regularization_penalty() == pytest.approx(0.06)
    layer.apply_constraints()
    np.testing.assert_allclose(np.linalg.norm(layer.params["embeddings"], axis=0), 1.0,
                               rtol=1e-6)
