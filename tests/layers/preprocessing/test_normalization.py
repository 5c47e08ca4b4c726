"""Normalization's adapt on arrays and on iterables of batches, its attributes and errors.

Keras's own statistics for the same data are checked in test_keras_reference.py.
"""

import numpy as np
import pytest

from kerasite import Input, Model, layers
from kerasite.gradcheck import check_gradients
from kerasite.models import load_model

DATA = np.random.default_rng(3).normal(2.0, 3.0, size=(30, 4))


class Batches:
    """A PyDataset-like object: ``__len__`` and ``__getitem__`` giving ``(x, y)``."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return DATA[10 * i:10 * (i + 1)], np.zeros(10)


@pytest.mark.parametrize("make_data", [
    lambda: DATA,
    lambda: [DATA[:7], DATA[7:20], DATA[20:]],
    lambda: (b for b in np.array_split(DATA, 4)),
    lambda: ((b, np.ones(len(b))) for b in np.array_split(DATA, 3)),
    lambda: Batches(),
], ids=["array", "list", "generator", "x-y-pairs", "pydataset"])
def test_adapt_on_batches_gives_the_population_statistics(make_data):
    layer = layers.Normalization()
    layer.adapt(make_data())
    np.testing.assert_allclose(layer.mean.numpy(), DATA.mean(axis=0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(layer.variance, DATA.var(axis=0, keepdims=True), rtol=1e-6)


def test_batch_size_and_steps():
    whole, batched, first = layers.Normalization(), layers.Normalization(), layers.Normalization()
    whole.adapt(DATA)
    batched.adapt(DATA, batch_size=7)
    first.adapt(DATA, batch_size=10, steps=1)
    np.testing.assert_allclose(batched.variance, whole.variance, rtol=1e-6)
    np.testing.assert_allclose(first.mean[0], DATA[:10].mean(axis=0), rtol=1e-6)


def test_mean_and_variance_have_keras_broadcast_shapes():
    cube = np.random.default_rng(0).normal(size=(5, 3, 4))
    for axis, shape in ((-1, (1, 1, 4)), (1, (1, 3, 1)), ((1, 2), (1, 3, 4)), (None, (1, 1, 1))):
        layer = layers.Normalization(axis=axis)
        layer.adapt(cube)
        assert layer.mean.shape == shape and layer.variance.shape == shape
    given = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    given.build((None, 2))
    np.testing.assert_array_equal(given.mean, [[1.0, 2.0]])


def test_invert_undoes_the_normalization():
    forward, back = layers.Normalization(), layers.Normalization(invert=True)
    forward.adapt(DATA)
    back.adapt(DATA)
    np.testing.assert_allclose(back.forward(forward.forward(DATA)), DATA, rtol=1e-6, atol=1e-6)


def test_an_adapted_layer_round_trips_through_both_formats(tmp_path):
    layer = layers.Normalization()
    layer.adapt(DATA)
    inputs = Input((4,))
    model = Model(inputs, layers.Dense(2)(layer(inputs)))
    for suffix in (".kerasite", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        loaded = load_model(tmp_path / f"m{suffix}")
        np.testing.assert_allclose(loaded.layers[1].mean, layer.mean)
        np.testing.assert_allclose(loaded.predict(DATA, verbose=0), model.predict(DATA, verbose=0),
                                   rtol=1e-6)


def test_gradient_check_after_adapt(float64):
    layer = layers.Normalization(axis=None)
    layer.adapt(DATA)
    inputs = Input((4,))
    model = Model(inputs, layers.Dense(2)(layer(inputs)))
    rng = np.random.default_rng(1)
    report = check_gradients(model, rng.normal(size=(3, 4)), rng.normal(size=(3, 2)), "mse")
    assert report.max_rel_diff < 1e-6, report


def test_errors():
    with pytest.raises(ValueError, match="gave no batch to adapt to"):
        layers.Normalization().adapt(iter([]))
    with pytest.raises(ValueError, match="was given `mean` and `variance`"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(DATA)
    with pytest.raises(ValueError, match="Pass both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(TypeError, match="`data` must be an array or an iterable of batches"):
        layers.Normalization().adapt(object())
    with pytest.raises(ValueError, match="non-empty array of finite numbers"):
        layers.Normalization().adapt(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="`steps` must be an integer >= 1"):
        layers.Normalization().adapt(DATA, steps=0)
    layer = layers.Normalization()
    layer.adapt(DATA)
    with pytest.raises(ValueError, match="has the wrong shape"):
        layer.adapt(np.ones((3, 5)))
    with pytest.raises(AttributeError, match="has no `mean` yet"):
        layers.Normalization().mean
