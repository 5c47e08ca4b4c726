"""Calling a model, a layer or a loss on data gives values with ``.numpy()``, as tf.keras does."""

import numpy as np

from kerasite import Input, Model, Sequential, layers, losses
from kerasite.utils import EagerArray, EagerFloat


def test_model_layer_and_loss_calls_have_numpy():
    model = Sequential([Input((2,)), layers.Dense(3)])
    x = np.ones((4, 2), "float32")
    out = model(x)
    assert isinstance(out, EagerArray) and type(out.numpy()) is np.ndarray
    np.testing.assert_array_equal(out.numpy(), model.predict(x, verbose=0))
    assert type(model.predict(x, verbose=0)) is np.ndarray  # predict stays plain, as Keras
    assert type(layers.ReLU()(np.array([[-1.0, 2.0]])).numpy()) is np.ndarray
    value = losses.MeanSquaredError()(np.array([[1.0]]), np.array([[3.0]]))
    assert isinstance(value, EagerFloat) and value == 4.0 and value.numpy() == np.float64(4.0)


def test_multi_output_model_call_wraps_each_output():
    inp = Input((2,))
    model = Model(inp, [layers.Dense(1)(inp), layers.Dense(2)(inp)])
    outs = model(np.ones((3, 2), "float32"))
    assert [o.numpy().shape for o in outs] == [(3, 1), (3, 2)]


def test_repr_reads_as_numpy():
    assert repr(EagerArray.wrap(np.array([1.0, 2.0]))) == "array([1., 2.])"
