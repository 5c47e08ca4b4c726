"""Bad use of the model facade gets a clear error that says what to fix."""

import numpy as np
import pytest

import kerasite
from kerasite import layers


def compiled(loss="mse", units=1, activation=None):
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


X = np.zeros((4, 3), dtype="float32")
Y = np.zeros((4, 1), dtype="float32")


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_use_before_compile(method):
    model = kerasite.Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match=r"not compiled.*call `compile\(\)` first"):
        getattr(model, method)(X, Y)
    with pytest.raises(RuntimeError):  # what Keras raises, for scripts that catch it
        getattr(model, method)(X, Y)


def test_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match=r"same number of samples.*x has 4 and y has 3"):
        compiled().fit(X, Y[:3], verbose=0)


def test_feature_shape_mismatch_names_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"layer 'dense.*expected \(batch, 3\).*received \(4, 5\)"):
        compiled().fit(np.zeros((4, 5)), Y, verbose=0)
    with pytest.raises(ValueError, match=r"expected \(batch, 3\).*received \(2, 2\)"):
        compiled().predict(np.zeros((2, 2)))


@pytest.mark.parametrize("bad, pattern", [
    (np.zeros((4, 3), dtype=complex), "real numbers.*complex128.*real part"),
    (np.array([[object()] * 3] * 4), "real numbers.*object"),
    (np.array([["a", "b", "c"]] * 4), "real numbers.*<U1.*encode"),
    ("not an array", "array of numbers.*str"),
])
def test_non_numeric_inputs(bad, pattern):
    with pytest.raises(TypeError, match=pattern):
        compiled().fit(bad, Y, verbose=0)


def test_ragged_lists_get_a_clear_error():
    with pytest.raises(ValueError, match="could not be turned into an array"):
        compiled().predict([[1, 2, 3], [1, 2]])


def test_empty_input():
    with pytest.raises(ValueError, match=r"`x` is empty.*at least one sample"):
        compiled().fit(np.zeros((0, 3)), np.zeros((0, 1)), verbose=0)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_inputs(value):
    x = X.copy()
    x[2, 1] = value
    with pytest.raises(ValueError, match=r"`x` contains 1 NaN or infinite.*\(2, 1\).*nan_to_num"):
        compiled().fit(x, Y, verbose=0)
    y = Y.copy()
    y[3] = value
    with pytest.raises(ValueError, match="`y` contains 1 NaN"):
        compiled().fit(X, y, verbose=0)


def test_values_too_large_for_float32():
    x = np.full((4, 3), 1e300)
    with pytest.raises(ValueError, match="too large for float32.*Rescale"):
        compiled().predict(x)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"batch_size": 0}, r"`batch_size` must be an integer >= 1\. Received: batch_size=0"),
    ({"batch_size": 2.5}, r"`batch_size` must be an integer"),
    ({"epochs": -1}, r"`epochs` must be an integer >= 0\. Received: epochs=-1"),
    ({"steps_per_epoch": 0}, r"`steps_per_epoch` must be an integer >= 1"),
    ({"validation_freq": 0}, r"`validation_freq` must be a positive integer"),
    ({"validation_batch_size": 0}, r"`validation_batch_size` must be an integer >= 1"),
    ({"validation_split": 1.0}, r"`validation_split` must be a number in \[0, 1\)"),
    ({"validation_split": -0.1}, r"`validation_split` must be a number in \[0, 1\)"),
    ({"verbose": 3}, r"`verbose` must be 0, 1, 2 or .auto."),
    ({"initial_epoch": -1}, r"`initial_epoch` must be an integer >= 0"),
])
def test_bad_fit_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        compiled().fit(X, Y, **{"verbose": 0, **kwargs})


def test_validation_split_that_leaves_nothing():
    # Keras rounds the training part down: one sample and a split of 0.5 trains on nothing.
    with pytest.raises(ValueError, match="leaves no training samples out of 1"):
        compiled().fit(X[:1], Y[:1], validation_split=0.5, verbose=0)


def test_one_hot_labels_with_a_sparse_loss():
    model = compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    one_hot = np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(ValueError, match="look one-hot encoded: use loss='categorical_crossentropy'"):
        model.fit(X, one_hot, verbose=0)


def test_integer_labels_with_a_categorical_loss():
    model = compiled("categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ValueError, match="look like integer class indices: use loss='sparse_categorical"):
        model.fit(X, np.array([0, 1, 2, 0]), verbose=0)


def test_sparse_labels_out_of_range():
    model = compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ValueError, match=r"integer class indices in \[0, 3\).*from 0 to 5"):
        model.fit(X, np.array([0, 1, 5, 0]), verbose=0)


def test_target_shape_that_does_not_fit_the_output():
    with pytest.raises(ValueError, match=r"`y` has shape \(4, 2\).*output has shape \(4, 1\)"):
        compiled().fit(X, np.zeros((4, 2)), verbose=0)


@pytest.mark.parametrize("loss, y", [
    ("sparse_categorical_crossentropy", np.arange(10) % 3),
    ("categorical_crossentropy", np.eye(3)[np.arange(10) % 3]),
])
def test_a_forgotten_flatten_is_named_with_the_models_output_shape(loss, y):
    # Input((8, 8)) -> Dense -> Dense(3): the Dense layers act on the last axis, so the
    # model predicts (10, 8, 3), one row of 3 per image row, and per-image labels cannot fit.
    model = kerasite.Sequential([kerasite.Input((8, 8)), layers.Dense(4, activation="relu"),
                                 layers.Dense(3, activation="softmax")])
    model.compile("adam", loss)
    with pytest.raises(ValueError, match=r"the model's output has shape \(10, 8, 3\).*one "
                                         r"prediction per position along its middle axes "
                                         r"\(8,\).*add layers\.Flatten\(\)"):
        model.fit(np.zeros((10, 8, 8), "float32"), y, verbose=0)
    with pytest.raises(ValueError) as info:  # nor the labels' shape that would fit it
        model.fit(np.zeros((10, 8, 8), "float32"), y, verbose=0)
    assert "(10, 8)" not in str(info.value)


def test_missing_targets_for_a_non_autoencoder():
    with pytest.raises(ValueError, match="`y` is required"):
        compiled().fit(X, verbose=0)


def test_compile_errors():
    model = kerasite.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd")  # accepted, as in Keras: a custom train_step may do without
    with pytest.raises(ValueError, match=r"compiled without a `loss`.*override train_step"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match="look swapped"):
        model.compile("mse", "sgd")
    with pytest.raises(ValueError, match=r"Unknown metric: 'f1'.*'accuracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["f1"])
    with pytest.raises(TypeError, match="`metrics` must be a list"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match="Callback instances.*function"):
        compiled().fit(X, Y, verbose=0, callbacks=[print])


def test_count_params_before_build():
    # summary() of an unbuilt Sequential prints Keras's "?" table (tests/models/test_summary.py)
    with pytest.raises(ValueError, match="has not been built yet.*model.build") as info:
        kerasite.Sequential([layers.Dense(1)]).count_params()
    assert isinstance(info.value, AttributeError)


def test_non_layers_in_a_model():
    with pytest.raises(TypeError, match="must be kerasite.layers.Layer instances"):
        kerasite.Sequential(["dense"])


def test_the_same_layer_twice_or_a_duplicate_name():
    dense = layers.Dense(2)
    with pytest.raises(ValueError, match="already in model.*use the functional API"):
        kerasite.Sequential([dense, dense])
    with pytest.raises(ValueError, match="already has a layer named 'h'.*unique"):
        kerasite.Sequential([layers.Dense(2, name="h"), layers.Dense(2, name="h")])


def test_backward_before_build():
    with pytest.raises(ValueError, match="has not been built yet"):
        kerasite.Sequential([layers.Dense(1)]).backward(np.zeros((1, 1)))


def test_overflowing_predictions_and_loss_warn_in_kerasites_words():
    model = compiled()
    model.set_weights([np.full((3, 1), 10.0, dtype="float32"), np.zeros(1, dtype="float32")])
    x = np.full((2, 3), 3e37, dtype="float32")  # legal float32; x @ W overflows
    with pytest.warns(UserWarning, match="predictions are NaN or infinite.*Rescale the inputs"):
        out = model.predict(x)
    assert np.isinf(out).all()
    with pytest.warns(UserWarning, match=r"loss on this data is inf.*overflowed float32"):
        assert model.evaluate(x, np.zeros((2, 1)), verbose=0) == np.inf
