"""The public train_step / test_step / predict_step seam, compute_loss and compute_metrics."""

import numpy as np
import pytest

from kerasite import Sequential, layers


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")
    return x, y


class Counting(Sequential):
    """Counts its steps and adds a log key of its own to what the built-in step returns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {"train": 0, "test": 0, "predict": 0}

    def train_step(self, data):
        self.calls["train"] += 1
        logs = super().train_step(data)
        logs["my_count"] = float(self.calls["train"])
        return logs

    def test_step(self, data):
        self.calls["test"] += 1
        logs = super().test_step(data)
        logs["my_count"] = float(self.calls["test"])
        return logs

    def predict_step(self, data):
        self.calls["predict"] += 1
        return super().predict_step(data)


def _counting():
    model = Counting([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def test_an_overridden_train_step_is_called_and_its_logs_reach_history():
    x, y = _data()
    model = _counting()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    assert model.calls["train"] == 8  # 4 batches x 2 epochs
    assert history.history["my_count"] == [4.0, 8.0]  # the last batch's dict, as Keras 3
    assert set(history.history) == {"loss", "mae", "my_count"}


def test_super_train_step_gives_the_built_in_running_means():
    x, y = _data()
    plain = Sequential([layers.Input((3,)), layers.Dense(1)])
    custom = _counting()
    custom.build((None, 3))
    plain.build((None, 3))
    plain.set_weights(custom.get_weights())
    plain.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    h1 = plain.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False).history
    h2 = custom.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False).history
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-6)
    np.testing.assert_allclose(h2["mae"], h1["mae"], rtol=1e-6)
    for a, b in zip(plain.get_weights(), custom.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_overridden_test_and_predict_steps_are_called():
    x, y = _data()
    model = _counting()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert model.calls["test"] == 2 and logs["my_count"] == 2.0
    out = model.predict(x, batch_size=16)
    assert model.calls["predict"] == 4 and out.shape == (64, 1)
    reference = Sequential([layers.Input((3,)), layers.Dense(1)])
    reference.build((None, 3))
    reference.set_weights(model.get_weights())
    reference.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    np.testing.assert_allclose(out, reference.predict(x), rtol=1e-6)
    expected = reference.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(logs["mae"], expected["mae"], rtol=1e-5)


def test_compute_loss_and_compute_metrics():
    x, y = _data(8)
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    y_pred = model.predict(x)
    loss = model.compute_loss(x, y, y_pred)
    assert loss == pytest.approx(float(np.mean((y - y_pred) ** 2)), rel=1e-5)
    w = np.array([1, 0, 0, 0, 0, 0, 0, 1], dtype="float32")
    weighted = model.compute_loss(x, y, y_pred, sample_weight=w)
    # Keras's default reduction: sum(w * loss) / number of samples.
    assert weighted == pytest.approx(float(np.sum(w * ((y - y_pred) ** 2)[:, 0]) / 8), rel=1e-5)
    logs = model.compute_metrics(x, y, y_pred, None)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(y - y_pred))), rel=1e-5)


def test_a_model_with_a_one_item_inputs_list_takes_the_bare_array():
    # The Sequential guide's feature extractor: Model(inputs=model.inputs, outputs=...).
    model = Sequential([layers.Input((3,)), layers.Dense(4, name="hid"), layers.Dense(1)])
    from kerasite import Model

    extractor = Model(inputs=model.inputs, outputs=model.get_layer("hid").output)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    w, b = model.get_layer("hid").get_weights()
    np.testing.assert_allclose(extractor.predict(x), x @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(extractor(x)), x @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(extractor.predict([x]), x @ w + b, rtol=1e-5, atol=1e-6)


class _Double(layers.Layer):
    """A custom layer whose call takes no `training`, as Keras allows."""

    def call(self, inputs):
        return inputs * 2.0

    def backward(self, grad_output):
        return grad_output * 2.0


def test_a_custom_call_without_training_works_called_and_in_models():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(_Double()(x)), x * 2)
    seq = Sequential([layers.Input((3,)), _Double(), layers.Dense(1)])
    seq.compile(optimizer="sgd", loss="mse")
    seq.fit(x, np.ones((2, 1), "float32"), epochs=1, verbose=0)
    w, b = seq.layers[-1].get_weights()
    np.testing.assert_allclose(seq.predict(x), (x * 2) @ w + b, rtol=1e-5)
    from kerasite import Input, Model

    inp = Input((3,))
    functional = Model(inp, layers.Dense(2)(_Double()(inp)))
    assert functional.predict(x).shape == (2, 2)


def _denoiser(loss):
    # keras.io's convolutional denoising autoencoder, with fewer filters: (28, 28, 1) in and out.
    model = Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(4, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.Conv2DTranspose(4, (3, 3), strides=2, activation="relu", padding="same"),
        layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same"),
    ])
    model.compile(optimizer="adam", loss=loss)
    return model


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_a_fused_sigmoid_loss_works_on_an_image_output(float64, loss):
    x = np.random.default_rng(0).random((8, 28, 28, 1))
    model = _denoiser(loss)
    fused = model.evaluate(x, x, batch_size=8, verbose=0)  # from the logits
    assert fused == pytest.approx(model.compute_loss(x, x, model.predict(x)), abs=1e-6)
    w = np.linspace(0.5, 1.5, 8)
    fused_w = model.evaluate(x, x, batch_size=8, verbose=0, sample_weight=w)
    assert fused_w == pytest.approx(model.compute_loss(x, x, model.predict(x), w), abs=1e-6)
    history = model.fit(x, x, batch_size=8, epochs=8, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_a_fused_softmax_loss_works_on_a_sequence_output(float64):
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 5, 4)), rng.integers(0, 3, (8, 5))
    model = Sequential([layers.Input((5, 4)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    fused = model.evaluate(x, y, verbose=0)
    assert fused == pytest.approx(model.compute_loss(x, y, model.predict(x)), abs=1e-6)
    history = model.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]
