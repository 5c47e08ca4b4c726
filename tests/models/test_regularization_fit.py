"""fit adds regularization penalties to the loss and their gradients to the weights, as Keras.

The numbers are worked by hand from Keras's definitions: ``l2(c)`` adds
``c * sum(W**2)``, ``l1(c)`` on an activity adds ``c * sum(|out|) / batch``,
and constraints project the weights after each optimizer step.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, constraints, layers, optimizers, regularizers


def _one_weight_model(**kwargs):
    model = Sequential([Input((2,)), layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                                  **kwargs)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def test_l2_penalty_is_in_the_loss_and_its_gradient_in_the_step():
    model = _one_weight_model(kernel_regularizer=regularizers.l2(0.1))
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0]])
    # prediction 3, mse 9, penalty 0.1 * (1 + 1) = 0.2
    assert model.train_on_batch(x, y) == pytest.approx(9.2, rel=1e-6)
    # dW = 2 (3 - 0) x + 2 * 0.1 * W = [6.2, 12.2]; W = 1 - 0.01 dW
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.938, 0.878], rtol=1e-6)
    # evaluate includes the penalty too: 0.1 * (0.938**2 + 0.878**2) + (0.938 + 1.756)**2
    expected = 0.1 * (0.938 ** 2 + 0.878 ** 2) + (0.938 + 2 * 0.878) ** 2
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_a_constraint_holds_after_every_step():
    model = _one_weight_model(kernel_constraint=constraints.NonNeg())
    x, y = np.array([[1.0, 2.0]]), np.array([[-100.0]])
    model.fit(x, y, epochs=3, verbose=0)  # the loss pushes the weights below zero
    assert np.array_equal(model.get_weights()[0], np.zeros((2, 1)))


def test_activity_penalty_in_a_functional_graph():
    x_in = Input((2,))
    hidden = layers.Dense(2, use_bias=False, kernel_initializer="ones",
                          activity_regularizer=regularizers.l1(0.5))(x_in)
    out = layers.Dense(1, use_bias=False, kernel_initializer="ones")(hidden)
    model = Model(x_in, layers.Add()([out, out]))
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.array([[1.0, 1.0], [2.0, 0.0]]), np.zeros((2, 1))
    # hidden = [[2, 2], [2, 2]], sum |hidden| / batch = 8 / 2 = 4, times 0.5 = 2
    # outputs 2 * 4 = 8 each: mse 64
    assert model.evaluate(x, y, verbose=0) == pytest.approx(64 + 2, rel=1e-6)
    assert model.train_on_batch(x, y) == pytest.approx(66, rel=1e-6)


def test_activity_gradient_reaches_the_weights():
    # The same model with and without the activity penalty: only the penalty's
    # gradient separates their first step. d/dW0 of 0.5 * sum|x W0| / batch.
    def model(reg):
        kerasite.utils.set_random_seed(0)
        x_in = Input((2,))
        h = layers.Dense(2, use_bias=False, kernel_initializer="ones",
                         activity_regularizer=reg)(x_in)
        m = Model(x_in, layers.Dense(1, use_bias=False, kernel_initializer="zeros")(h))
        m.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="mse")
        return m

    x, y = np.array([[1.0, 3.0]]), np.zeros((1, 1))
    plain, penalised = model(None), model(regularizers.l1(0.5))
    plain.train_on_batch(x, y)
    penalised.train_on_batch(x, y)
    # h = x W0 > 0, so d penalty / d h = 0.5 (batch 1), d / d W0 = x^T 0.5
    diff = plain.get_weights()[0] - penalised.get_weights()[0]
    np.testing.assert_allclose(diff, [[0.5, 0.5], [1.5, 1.5]], rtol=1e-6)
