"""compile(optimizer) with no loss: the built-in steps minimize the add_loss terms, as Keras 3.

Keras 3 trains such a model on ``sum(model.losses)`` and raises "No loss to
compute" when there is none; the expected values here are computed by hand.
"""

import numpy as np
import pytest

import kerasite
from kerasite import layers, ops

X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])


class Penalty(layers.Layer):
    """The identity, adding ``rate * mean(x**2)`` (the subclassing guide's add_loss layer)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x):
        self.add_loss(self.rate * ops.mean(ops.square(x)))
        return x


class Holder(layers.Layer):
    """A layer without backward whose only loss term is the one of the layer it holds."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.inner = Penalty(rate)

    def call(self, x):
        return self.inner(x)


def _model(dtype="float32"):
    inp = kerasite.Input((3,), dtype=dtype)
    h = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros", name="d")(inp)
    out = Holder(0.25)(Penalty(0.5)(h))
    model = kerasite.Model(inp, out)
    model.compile(optimizer=kerasite.optimizers.SGD(0.1))
    return model


def _hand_loss(W, b):
    h = X @ W + b
    return 0.5 * np.mean(h ** 2) + 0.25 * np.mean(h ** 2)  # both terms see the same h


def test_the_loss_is_the_sum_of_the_added_terms_and_fit_steps_on_its_gradient():
    model = _model()
    W, b = np.ones((3, 2)), np.zeros(2)
    # h = [[3, 3], [2, 2]]: 0.75 * (9 + 9 + 4 + 4) / 4 = 4.875
    assert _hand_loss(W, b) == pytest.approx(4.875)
    assert model.evaluate(X, verbose=0) == pytest.approx(4.875, rel=1e-6)
    history = model.fit(X, epochs=2, batch_size=2, verbose=0, shuffle=False)
    assert history.history["loss"][0] == pytest.approx(4.875, rel=1e-6)
    # d loss / d h = 0.75 * 2 h / 4; one SGD step of 0.1 on W and b
    g = 0.75 * 2 * (X @ W + b) / 4
    W1, b1 = W - 0.1 * X.T @ g, b - 0.1 * g.sum(axis=0)
    assert history.history["loss"][1] == pytest.approx(_hand_loss(W1, b1), rel=1e-5)
    model(X)
    assert len(model.losses) == 2  # Keras's model.losses: the two terms the loss sums


def test_train_on_batch_and_targets_given_anyway():
    model = _model()
    assert model.train_on_batch(X) == pytest.approx(4.875, rel=1e-6)
    logs = model.evaluate(X, np.zeros((2, 2)), verbose=0, return_dict=True)
    assert list(logs) == ["loss"] and logs["loss"] < 4.875  # the step lowered it


def test_the_gradient_of_the_added_terms_matches_finite_differences():
    kerasite.config.set_floatx("float64")
    try:
        model = _model("float64")
        model.compile(optimizer=kerasite.optimizers.SGD(1.0))
        kernel = model.get_layer("d").kernel
        rng = np.random.default_rng(3)
        kernel.assign(rng.standard_normal((3, 2)))
        start = kernel.numpy()
        numeric = np.zeros_like(start)
        eps = 1e-6
        for i in np.ndindex(start.shape):
            for sign in (1, -1):
                w = start.copy()
                w[i] += sign * eps
                kernel.assign(w)
                numeric[i] += sign * model.evaluate(X, verbose=0) / (2 * eps)
        kernel.assign(start)
        model.train_on_batch(X)  # SGD(1.0): the step is minus the gradient
        np.testing.assert_allclose(start - kernel.numpy(), numeric, rtol=1e-6, atol=1e-9)
    finally:
        kerasite.config.set_floatx("float32")


def test_a_weight_penalty_alone_is_something_to_minimize():
    model = kerasite.Sequential([kerasite.Input((3,)),
                                 layers.Dense(2, kernel_initializer="ones",
                                              kernel_regularizer=kerasite.regularizers.L2(0.1))])
    model.compile(optimizer="sgd")
    assert model.evaluate(X, verbose=0) == pytest.approx(0.1 * 6, rel=1e-6)


def test_without_any_loss_term_the_error_says_how_to_fix_it():
    plain = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(2)])
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="compiled without a `loss`.*compile\\(optimizer='adam', "
                                         "loss='mse'\\)"):
        plain.fit(X, epochs=1, verbose=0)

    class Identity(layers.Layer):  # no backward, so it could add a loss; this one does not
        def call(self, x):
            return x * 1.0

    quiet = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(2), Identity()])
    quiet.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="added no loss either.*call self.add_loss"):
        quiet.fit(X, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="added no loss either"):
        quiet.evaluate(X, verbose=0)


def test_compute_loss_in_a_custom_step_is_the_sum_of_the_added_terms():
    class Custom(kerasite.Model):
        def train_step(self, data):
            with kerasite.GradientTape() as tape:
                y_pred = self(data, training=True)
                loss = self.compute_loss(data, None, y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            return {"loss": loss}

    def make(cls):
        inp = kerasite.Input((3,))
        h = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inp)
        model = cls(inp, Holder(0.25)(Penalty(0.5)(h)))
        model.compile(optimizer=kerasite.optimizers.SGD(0.1))
        return model

    custom, built_in = make(Custom), make(kerasite.Model)
    logs = custom.fit(X, epochs=1, batch_size=2, verbose=0).history
    built_in.fit(X, epochs=1, batch_size=2, verbose=0)
    assert logs["loss"][0] == pytest.approx(4.875, rel=1e-6)  # as the built-in step's
    for a, b in zip(custom.get_weights(), built_in.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(custom.get_weights()[0], 1.0)  # the step moved the kernel
