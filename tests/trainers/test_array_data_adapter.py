"""The array adapter: x, y and weights standardized, class_weight, the validation split, batches."""

import numpy as np
import pytest

from kerasite import Sequential, layers, losses, optimizers
from kerasite.trainers.data_adapters import array_data_adapter as arrays
from kerasite.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

MSE = losses.MeanSquaredError()


def _data(n=10):
    x = np.arange(n * 2, dtype="float32").reshape(n, 2)
    y = np.arange(n, dtype="float32").reshape(n, 1)
    w = np.linspace(0.5, 2.0, n).astype("float32")
    return [x], [y], [w]


def test_validation_split_holds_out_the_last_fifth_as_keras():
    xs, ys, ws = _data(10)
    (tx, ty, tw), (vx, vy, vw) = arrays.split_validation((xs, ys, ws), 0.2)
    np.testing.assert_array_equal(tx[0], xs[0][:8])
    np.testing.assert_array_equal(vx[0], [[16.0, 17.0], [18.0, 19.0]])
    np.testing.assert_array_equal(ty[0][:, 0], np.arange(8))
    np.testing.assert_array_equal(vy[0][:, 0], [8.0, 9.0])
    np.testing.assert_array_equal(vw[0], ws[0][8:])  # the sample weights are split too
    np.testing.assert_array_equal(tw[0], ws[0][:8])
    # 7 samples, 0.3: int(7 * 0.7) = 4 train, 3 validation
    (tx, _, _), (vx, _, _) = arrays.split_validation(_data(7), 0.3)
    assert len(tx[0]) == 4 and len(vx[0]) == 3


def test_validation_split_keeps_class_weights_for_training_only():
    _, (vx, _, vw) = arrays.split_validation(_data(10), 0.2, class_weighted=True)
    assert len(vx[0]) == 2 and vw == [None]


def test_validation_split_errors():
    with pytest.raises(ValueError, match=r"validation_split=0.6 leaves no training samples out "
                                         r"of 1\."):
        arrays.split_validation(_data(1), 0.6)
    with pytest.raises(ValueError, match=r"leaves no validation samples out of 10\."):
        arrays.split_validation(_data(10), 1e-17)
    with pytest.raises(ValueError, match=r"`validation_split` must be a number in \[0, 1\)"):
        arrays.check_validation_split(1.0)
    with pytest.raises(ValueError, match=r"Received: validation_split=True"):
        arrays.check_validation_split(True)


def test_fit_validates_on_the_last_fifth():
    x = np.arange(20, dtype="float32").reshape(10, 2) / 10
    y = x.sum(axis=1, keepdims=True)
    model = Sequential([layers.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    # the kernel is ones and the bias zero: predictions equal y; shift y on the last 2 rows
    y_shifted = y.copy()
    y_shifted[8:] += 1.0
    history = model.fit(x, y_shifted, validation_split=0.2, epochs=1, verbose=0)
    assert history.history["loss"] == [pytest.approx(0.0)]
    assert history.history["val_loss"] == [pytest.approx(1.0)]


def test_class_weight_to_sample_weights_by_hand():
    weights = {0: 2.0, 2: 0.5}
    labels = np.array([0, 1, 2, 2, 0], dtype="float32")
    # integer labels; class 1 is not listed: weight 1
    np.testing.assert_array_equal(arrays._class_weights(weights, labels), [2, 1, 0.5, 0.5, 2])
    # one-hot rows: their argmax
    np.testing.assert_array_equal(arrays._class_weights(weights, np.eye(3)[[2, 0, 1]]),
                                  [0.5, 2, 1])
    # one column of labels: rounded
    np.testing.assert_array_equal(arrays._class_weights({1: 3.0}, np.array([[0.9], [0.2]])),
                                  [3.0, 1.0])
    ws = arrays.standardize_weights(None, weights, [labels], ["out"], [MSE], "m")
    np.testing.assert_array_equal(ws[0], [2, 1, 0.5, 0.5, 2])


def test_standardize_weights_pairs_them_with_the_outputs():
    ys = [np.zeros((3, 1)), np.zeros((3, 2))]
    w = np.array([1.0, 2.0, 3.0])
    shared = arrays.standardize_weights(w, None, ys, ["a", "b"], [MSE, MSE], "m")
    assert len(shared) == 2 and all(np.array_equal(s, w) for s in shared)
    per = arrays.standardize_weights({"b": w[:, None], "a": None}, None, ys, ["a", "b"],
                                     [MSE, MSE], "m")
    assert per[0] is None and per[1].shape == (3,)  # a (samples, 1) column becomes (samples,)
    assert arrays.standardize_weights(None, None, ys, ["a", "b"], [MSE, MSE], "m") == [None] * 2
    with pytest.raises(ValueError, match="either `sample_weight` or `class_weight`, not both"):
        arrays.standardize_weights(w, {0: 1.0}, ys[:1], ["a"], [MSE], "m")
    with pytest.raises(ValueError, match=r"`class_weight` works for a model with a single "
                                         r"output; model 'm' has 2 outputs"):
        arrays.standardize_weights(None, {0: 1.0}, ys, ["a", "b"], [MSE, MSE], "m")


def test_standardize_inputs_and_targets():
    x = [[0, 1], [2, 3], [4, 5]]
    (a,) = arrays.standardize_inputs(x, None, False, "m")
    assert a.dtype == np.float32 and a.shape == (3, 2)
    a, b = arrays.standardize_inputs({"q": x, "p": np.ones((3, 1))}, ["p", "q"], False, "m")
    assert a.shape == (3, 1) and b.shape == (3, 2)  # in the inputs' order
    with pytest.raises(ValueError, match=r"Model 'm' has 2 inputs \['p', 'q'\]: pass `x` as a list"):
        arrays.standardize_inputs(np.ones((3, 2)), ["p", "q"], False, "m")
    # labels (samples,) for a single output unit become (samples, 1)
    (y,) = arrays.standardize_targets(np.arange(3), [a], ["out"], [(None, 1)], [MSE],
                                      model_name="m", model_kind="Sequential")
    assert y.shape == (3, 1)
    # an autoencoder's target is its input
    (y,) = arrays.standardize_targets(None, [b], ["out"], [(None, 2)], [MSE], model_name="m",
                                      model_kind="Autoencoder", input_is_target=True)
    assert y is b
    with pytest.raises(ValueError, match=r"`y` is required for Sequential.fit/evaluate"):
        arrays.standardize_targets(None, [a], ["out"], [(None, 1)], [MSE], model_name="m",
                                   model_kind="Sequential")


def test_unpack_validation():
    assert arrays.unpack_validation((1, 2), False) == (
        1, 2, None, ("validation_data[0]", "validation_data[1]", "validation_data[2]"))
    assert arrays.unpack_validation((1, 2, 3), False)[2] == 3
    assert arrays.unpack_validation(np.ones(2), True)[1:3] == (None, None)
    with pytest.raises(ValueError, match=r"`validation_data` must be a tuple \(x_val, y_val\)"):
        arrays.unpack_validation(np.ones(2), False)


def test_batches_slice_in_order_and_gather_when_shuffled():
    xs, ys, ws = _data(5)
    adapter = ArrayDataAdapter(xs, ys, ws)
    assert adapter.num_samples == 5 and adapter.num_batches(2) == 3
    assert adapter.get_batch(0, 5) is adapter.data  # the whole data: no copy
    bx, by, bw = adapter.get_batch(2, 4)
    assert np.shares_memory(bx[0], xs[0])  # a view
    np.testing.assert_array_equal(by[0][:, 0], [2.0, 3.0])
    order = np.array([4, 0, 3, 1, 2])
    bx, by, bw = adapter.get_batch(0, 2, order)
    np.testing.assert_array_equal(by[0][:, 0], [4.0, 0.0])
    np.testing.assert_array_equal(bw[0], ws[0][[4, 0]])
    again = adapter.get_batch(2, 4, order)[0][0]
    assert again is bx[0]  # the same reused buffer for batches of the same size


def test_an_autoencoder_target_is_gathered_once():
    x = np.arange(8, dtype="float32").reshape(4, 2)
    bx, by, _ = ArrayDataAdapter([x], [x], [None]).get_batch(0, 2, np.array([3, 1, 0, 2]))
    assert bx[0] is by[0]
    np.testing.assert_array_equal(bx[0], x[[3, 1]])


def test_cast_x_casts_each_batch_and_reports_the_row():
    x = np.arange(6, dtype="int64").reshape(3, 2)
    bx, _, _ = ArrayDataAdapter([x], [], [], cast_x=True).get_batch(0, 3)
    assert bx[0].dtype == np.float32 and x.dtype == np.int64
    bad = np.ones((4, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"`x` contains 1 NaN or infinite values \(first at "
                                         r"index \(3, 1\)\)"):
        ArrayDataAdapter([bad], [], [], cast_x=True).get_batch(2, 4)
