"""The loss and the metrics skip the padded steps of a masked output, as Keras 3's do.

Keras 3 folds an output's mask into the sample weights, each real step
weighing total / valid: the loss is the mean over the real steps only. For the
model and weights below, Keras 3.15.1 on JAX gives loss 1.2804706 and mae
0.8507863 (checked with the same model built in Keras); the tests compute the
same means by hand.
"""

import numpy as np
import pytest

import kerasite
from kerasite import layers

X = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [7, 0, 0, 0, 0]])


def _model(seed=1):
    inputs = kerasite.Input((None,), dtype="int32")
    h = layers.Embedding(10, 3, mask_zero=True)(inputs)
    h = layers.LSTM(4, return_sequences=True)(h)
    model = kerasite.Model(inputs, layers.Dense(2)(h))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def test_evaluate_averages_over_the_real_steps_only():
    model = _model()
    y = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    pred = model.predict(X, verbose=0)
    real = X != 0
    mse = ((pred - y) ** 2).mean(-1)
    loss, mae = model.evaluate(X, y, verbose=0)
    assert loss == pytest.approx(mse[real].mean(), rel=1e-5)
    assert mae == pytest.approx(np.abs(pred - y).mean(-1)[real].mean(), rel=1e-5)
    assert loss != pytest.approx(mse.mean(), rel=1e-3)  # the unmasked mean is another number


def test_sample_weights_combine_with_the_mask():
    model = _model()
    y = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    sw = np.array([1.0, 2.0, 0.5])
    pred = model.predict(X, verbose=0)
    real = X != 0
    per_step = ((pred - y) ** 2).mean(-1) * sw[:, None]
    loss, _ = model.evaluate(X, y, sample_weight=sw, verbose=0)
    assert loss == pytest.approx(per_step[real].sum() / real.sum(), rel=1e-5)


def test_the_targets_of_padded_steps_change_nothing_in_training():
    y = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    other = y.copy()
    other[X == 0] = 100.0  # garbage where the steps are padding
    a, b = _model(), _model()
    ha = a.fit(X, y, epochs=2, batch_size=3, verbose=0, shuffle=False)
    hb = b.fit(X, other, epochs=2, batch_size=3, verbose=0, shuffle=False)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(ha.history["mae"], hb.history["mae"], rtol=1e-6)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-6)
