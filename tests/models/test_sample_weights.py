"""sample_weight, class_weight and weighted_metrics in fit/evaluate, against hand sums and Keras.

The Keras values come from Keras 3.15.1 (JAX backend) running the same
model: Dense(1) with all-ones kernel and zero bias, SGD(0.0) so the weights
never move, on the data below, e.g.
    m.compile(SGD(0.0), "mse", metrics=["mae"], weighted_metrics=["mae"])
    m.evaluate(x, y, sample_weight=sw, batch_size=2, return_dict=True)
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, layers, optimizers

X = np.array([[1, 0], [0, 1], [1, 1], [2, 0], [0, 2]], dtype="float32")
Y = np.array([[1], [2], [1], [0], [3]], dtype="float32")  # predictions 1,1,2,2,2: errors 0,-1,1,2,-1
SW = np.array([1, 2, 0.5, 0, 3], dtype="float32")


def _ones_model(units=1, activation=None):
    model = Sequential([Input((2,)), layers.Dense(units, activation=activation)])
    model.set_weights([np.ones((2, units), "float32"), np.zeros(units, "float32")])
    return model


def _compiled(**kwargs):
    model = _ones_model()
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", **kwargs)
    return model


def test_evaluate_weights_batches_as_keras():
    model = _compiled(metrics=["mae"], weighted_metrics=["mae"])
    logs = model.evaluate(X, Y, sample_weight=SW, batch_size=2, verbose=0, return_dict=True)
    # Hand: batch losses sum(w*e^2)/batch: (0+2)/2=1, (0.5+0)/2=0.25, 3/1=3; the epoch value
    # weights them by batch size: (2*1 + 2*0.25 + 1*3) / 5 = 1.1 (Keras 3.15.1: 1.100000023841858).
    assert logs["loss"] == pytest.approx(1.1, rel=1e-6)
    assert logs["mae"] == pytest.approx(1.0, rel=1e-6)  # unweighted: (0+1+1+2+1)/5
    # weighted: sum(w|e|)/sum(w) = 5.5/6.5 (Keras 3.15.1: 0.8461538553237915)
    assert logs["weighted_mae"] == pytest.approx(5.5 / 6.5, rel=1e-6)
    assert list(logs) == ["loss", "mae", "weighted_mae"]


def test_fit_logs_the_weighted_loss_with_the_last_partial_batch():
    model = _compiled(weighted_metrics=["mae"])
    history = model.fit(X, Y, sample_weight=SW, batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"] == [pytest.approx(1.1, rel=1e-6)]  # Keras 3.15.1: 1.1
    assert history.history["mae"] == [pytest.approx(5.5 / 6.5, rel=1e-6)]


def test_sample_weight_scales_the_gradient():
    # One SGD(1.0) step on mse with weights w: dL/dW = 2 * sum_i w_i e_i x_i / n.
    model = _ones_model()
    model.compile(optimizer=optimizers.SGD(1.0), loss="mse")
    model.train_on_batch(X, Y, sample_weight=SW)
    e = (X.sum(1) - Y[:, 0]).astype(np.float64)
    expected = 1 - 2 * (SW * e) @ X / 5
    np.testing.assert_allclose(model.get_weights()[0][:, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], [-2 * (SW * e).sum() / 5], rtol=1e-6)


@pytest.mark.parametrize("sparse", [True, False])
def test_class_weight_matches_keras_for_sparse_and_one_hot_labels(sparse):
    labels = np.array([0, 1, 2, 1, 0])
    y = labels if sparse else np.eye(3, dtype="float32")[labels]
    loss = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    model = _ones_model(3, "softmax")
    model.compile(optimizer=optimizers.SGD(0.0), loss=loss, weighted_metrics=["accuracy"])
    history = model.fit(X, y, class_weight={0: 2.0, 1: 0.5}, batch_size=2, epochs=1,
                        shuffle=False, verbose=0)
    # Keras 3.15.1, same model and call: loss 1.3183348178863525, accuracy 0.6666666865348816.
    # By hand: every softmax row is uniform (equal logits), so each sample's loss is log 3;
    # the weights 2, .5, 1, .5, 2 per batch of 2, 2, 1 give ((2.5 + 1.5) / 2 * 2 + 2) / 5 * log 3.
    assert history.history["loss"][0] == pytest.approx(1.2 * np.log(3), rel=1e-6)
    assert history.history["loss"][0] == pytest.approx(1.3183348178863525, rel=1e-6)
    assert history.history["accuracy"][0] == pytest.approx(2 / 3, rel=1e-6)


def test_validation_data_with_weights_and_validation_freq():
    model = _compiled(weighted_metrics=["mae"])
    history = model.fit(X, Y, epochs=4, batch_size=2, shuffle=False, verbose=0,
                        validation_data=(X, Y, SW), validation_freq=2)
    # Keras 3.15.1: val_loss [1.1, 1.1] (after epochs 2 and 4), loss 1.4 in all four epochs.
    assert history.history["loss"] == [pytest.approx(1.4, rel=1e-6)] * 4
    assert history.history["val_loss"] == [pytest.approx(1.1, rel=1e-6)] * 2
    assert history.history["val_mae"] == [pytest.approx(5.5 / 6.5, rel=1e-6)] * 2


def test_multi_output_sample_weights_per_output_or_shared():
    inp = Input((2,))
    a, b = layers.Dense(1, name="a")(inp), layers.Dense(1, name="b")(inp)
    model = Model(inp, [a, b])
    model.set_weights([np.ones((2, 1), "float32"), np.zeros(1, "float32")] * 2)
    model.compile(optimizer=optimizers.SGD(0.0), loss=["mse", "mae"])
    per = model.evaluate(X, [Y, 2 * Y], sample_weight=[SW, np.ones(5)], batch_size=2,
                         verbose=0, return_dict=True)
    shared = model.evaluate(X, [Y, 2 * Y], sample_weight=SW, batch_size=2, verbose=0,
                            return_dict=True)
    # Keras 3.15.1: {'a_loss': 1.1, 'b_loss': 2.0, 'loss': 3.1} and
    # {'a_loss': 1.1, 'b_loss': 3.8, 'loss': 4.9}.
    assert per == pytest.approx({"loss": 3.1, "a_loss": 1.1, "b_loss": 2.0}, rel=1e-6)
    assert shared == pytest.approx({"loss": 4.9, "a_loss": 1.1, "b_loss": 3.8}, rel=1e-6)


def test_fused_crossentropy_receives_the_weights():
    # A sigmoid output with binary crossentropy runs the fused path: a zero weight must
    # silence a sample, so the loss is that of the other sample only, halved.
    model = _ones_model(1, "sigmoid")
    model.compile(optimizer=optimizers.SGD(0.0), loss="binary_crossentropy")
    x, y = X[:2], np.array([[1.0], [0.0]], "float32")
    loss = model.evaluate(x, y, sample_weight=[1.0, 0.0], verbose=0)
    assert loss == pytest.approx(np.log1p(np.exp(-1.0)) / 2, rel=1e-6)


def test_weight_errors_are_clear():
    model = _compiled()
    with pytest.raises(ValueError, match="either `sample_weight` or `class_weight`, not both"):
        model.fit(X, Y, sample_weight=SW, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(TypeError, match="`class_weight` must be a dict"):
        model.fit(X, Y, class_weight=[1.0, 2.0], verbose=0)
    with pytest.raises(TypeError, match="`class_weight` keys must be integer class indices"):
        model.fit(X, Y, class_weight={"a": 1.0}, verbose=0)
    with pytest.raises(ValueError, match="`y` and `sample_weight` must have the same number"):
        model.fit(X, Y, sample_weight=SW[:3], verbose=0)
    with pytest.raises(ValueError, match=r"`sample_weight` contains 1 NaN"):
        model.evaluate(X, Y, sample_weight=[1, 2, np.nan, 1, 1], verbose=0)
    with pytest.raises(ValueError, match=r"`validation_data\[2\]` contains"):
        model.fit(X, Y, validation_data=(X, Y, [1, 2, np.inf, 1, 1]), verbose=0)


@pytest.mark.parametrize("loss, activation, labels", [
    ("sparse_categorical_crossentropy", "softmax", "sparse"),  # fused with the softmax
    ("categorical_crossentropy", "softmax", "one_hot"),        # fused with the softmax
    ("binary_crossentropy", "sigmoid", "binary"),              # fused with the sigmoid
    ("mse", "tanh", "binary"),                                 # not fused
])
def test_weighted_step_matches_finite_differences(float64, loss, activation, labels):
    # One SGD(1.0) step moves each weight by -dL/dw, L the weighted loss of the outputs.
    # The finite differences of that loss, in float64, must give the same step.
    rng = np.random.default_rng(0)
    units = 1 if labels == "binary" else 3
    x = rng.normal(size=(7, 2))
    classes = rng.integers(0, 3, size=7)
    y = {"sparse": classes, "one_hot": np.eye(3)[classes],
         "binary": (classes[:, None] > 0).astype(float)}[labels]
    w = rng.uniform(0.0, 3.0, size=7)
    model = Sequential([Input((2,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer=optimizers.SGD(1.0), loss=loss)
    before = [a.copy() for a in model.get_weights()]

    reference = kerasite.losses.get(loss)  # applied to predict's output: no fused path

    def weighted_loss(weights):
        model.set_weights(weights)
        return reference.forward(y, model.predict(x, verbose=0), sample_weight=w)

    numeric = []
    for i, a in enumerate(before):
        grad = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            plus = [b.copy() for b in before]
            minus = [b.copy() for b in before]
            plus[i][j] += 1e-6
            minus[i][j] -= 1e-6
            grad[j] = (weighted_loss(plus) - weighted_loss(minus)) / 2e-6
        numeric.append(grad)
    model.set_weights(before)
    model.train_on_batch(x, y, sample_weight=w)
    for b, after, g in zip(before, model.get_weights(), numeric):
        np.testing.assert_allclose(b - after, g, rtol=1e-6, atol=1e-9)


def test_shuffled_batches_carry_their_own_weights():
    # Whatever the order, the batch-size-weighted mean of sum(w e^2)/k over batches is
    # sum(w e^2) / n = 1.1: the weights must travel with their rows when shuffled.
    model = _compiled(weighted_metrics=["mae"])
    history = model.fit(X, Y, sample_weight=SW, batch_size=2, epochs=3, shuffle=True, verbose=0)
    assert history.history["loss"] == [pytest.approx(1.1, rel=1e-6)] * 3
    assert history.history["mae"] == [pytest.approx(5.5 / 6.5, rel=1e-6)] * 3


def test_multi_output_weighted_metric_names():
    inp = Input((2,))
    model = Model(inp, [layers.Dense(1, name="a")(inp), layers.Dense(1, name="b")(inp)])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=[["mae"], ["mae"]],
                  weighted_metrics=[["mae"], ["mae"]])
    logs = model.evaluate(X, [Y, Y], verbose=0, return_dict=True)
    # Keras 3.15.1 gives the same names (its dict sorted): a_loss, a_mae, a_weighted_mae, ...
    # (and refuses the flat metrics=["mae"] on two outputs: one list per output).
    assert list(logs) == ["loss", "a_loss", "b_loss", "a_mae", "b_mae", "a_weighted_mae",
                          "b_weighted_mae"]


def test_weighted_metrics_argument_errors():
    model = _ones_model()
    with pytest.raises(TypeError, match=r"`weighted_metrics` must be a list, such as \['accuracy'\]"):
        model.compile(optimizer="sgd", loss="mse", weighted_metrics="mae")
    with pytest.raises(ValueError, match="bogus"):
        model.compile(optimizer="sgd", loss="mse", weighted_metrics=["bogus"])
    unbuilt = Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match="bogus"):
        unbuilt.compile(optimizer="sgd", loss="mse", weighted_metrics=["bogus"])


def test_compile_config_keeps_weighted_metrics():
    model = _compiled(weighted_metrics=["mae"])
    assert model.get_compile_config()["weighted_metrics"] == ["mae"]


def test_custom_loss_without_sample_weight_gets_a_clear_error():
    class TwoArgs(kerasite.losses.Loss):
        def forward(self, y_true, y_pred):
            self._diff = y_pred - y_true
            return float((self._diff ** 2).mean())

        def backward(self):
            return 2 * self._diff / self._diff.size

    model = _ones_model()
    model.compile(optimizer="sgd", loss=TwoArgs())
    model.fit(X, Y, verbose=0)  # without weights it trains
    with pytest.raises(TypeError, match=r"TwoArgs.forward\(y_true, y_pred\) takes no "
                                        r"`sample_weight`. Add a `sample_weight=None`"):
        model.fit(X, Y, sample_weight=SW, verbose=0)
