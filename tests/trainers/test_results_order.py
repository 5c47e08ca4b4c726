"""evaluate / train_on_batch / test_on_batch lists in Keras 3's order.

Keras 3.15.1 (JAX), on this two-output model compiled with
metrics={"reg": ["mae", "mse"], "cls": ["accuracy"]}, returned the list
[loss, reg_loss, cls_loss, cls_accuracy, reg_mae, reg_mse]: the total, each
output's loss in output order, then the metrics sorted by name. On one output
compiled with metrics=["mse", "mae"] it returned [loss, mse, mae].
"""

import numpy as np

from kerasite import Input, Model, Sequential, layers

KERAS_ORDER = ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae", "reg_mse"]


def _two_outputs():
    inp = Input((4,))
    h = layers.Dense(8, name="h")(inp)
    model = Model(inp, [layers.Dense(1, name="reg")(h),
                        layers.Dense(3, activation="softmax", name="cls")(h)])
    model.compile("sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  metrics={"reg": ["mae", "mse"], "cls": ["accuracy"]})
    return model


def _data():
    rng = np.random.default_rng(0)
    return (rng.random((16, 4)).astype("float32"),
            [rng.random((16, 1)), rng.integers(0, 3, 16)])


def test_evaluate_list_is_in_keras_order():
    model = _two_outputs()
    x, y = _data()
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(KERAS_ORDER)
    assert model.evaluate(x, y, verbose=0) == [logs[k] for k in KERAS_ORDER]
    loss, reg_loss, cls_loss, accuracy, mae, mse = model.evaluate(x, y, verbose=0)
    assert 0 <= accuracy <= 1 and mse == logs["reg_mse"]


def test_on_batch_lists_are_in_keras_order():
    model = _two_outputs()
    x, y = _data()
    model.test_on_batch(x, y)  # builds the metrics
    logs = model.test_on_batch(x, y, return_dict=True)
    assert model.test_on_batch(x, y) == [logs[k] for k in KERAS_ORDER]
    values = model.train_on_batch(x, y)
    assert len(values) == 6 and 0 <= values[3] <= 1  # cls_accuracy in fourth place


def test_one_output_keeps_the_compiled_order():
    model = Sequential([Input((4,)), layers.Dense(3)])
    model.compile("sgd", "mse", metrics=["mse", "mae"])
    x = np.random.default_rng(1).random((16, 4)).astype("float32")
    y = np.random.default_rng(2).random((16, 3))
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mse", "mae"]
    assert model.evaluate(x, y, verbose=0) == [logs["loss"], logs["mse"], logs["mae"]]
