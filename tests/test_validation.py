"""The argument checks of ``kerasite/_validation.py``, and the layers, losses, ... that use them.

Each validator: values that pass (NumPy scalars too, returned as Python
numbers), bools refused where numbers are wanted, and the wording of its
errors (the argument in backticks, what was expected, what was received, how
to fix it).
"""

import math

import numpy as np
import pytest

from kerasite import _validation as v
from kerasite import constraints, layers, losses, metrics, optimizers
from kerasite.callbacks import EarlyStopping
from kerasite.trainers.data_adapters import _inputs


# ==================================================================== predicates
@pytest.mark.parametrize("value, expected", [
    (3, True), (np.int64(3), True), (np.uint8(0), True), (-1, True),
    (True, False), (np.bool_(True), False), (3.0, False), ("3", False), (None, False),
])
def test_is_int(value, expected):
    assert v.is_int(value) is expected


@pytest.mark.parametrize("value, expected", [
    (3, True), (2.5, True), (np.float32(0.5), True), (np.int8(1), True), (math.inf, True),
    (False, False), (np.bool_(False), False), ("1", False), (np.array([1.0]), False),
])
def test_is_number(value, expected):
    assert v.is_number(value) is expected


# ==================================================================== integers
@pytest.mark.parametrize("value", [1, 7, np.int64(7), np.int32(1)])
def test_positive_int_passes_and_returns_a_python_int(value):
    out = v.positive_int(value, "units")
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value, message, error", [
    (0, r"^`units` must be a positive integer\. Received: units=0\.$", ValueError),
    (-3, r"^`units` must be a positive integer\. Received: units=-3\.$", ValueError),
    (True, r"^`units` must be a positive integer\. Received: units=True\. A bool is not a "
           r"number here: pass an integer, not True or False\.$", TypeError),
    (np.bool_(True), r"Received: units=(np\.)?True_?\. A bool is not a number", TypeError),
    (2.0, r"^`units` must be a positive integer\. Received: units=2\.0\. Pass an integer, not "
          r"a float\.$", TypeError),
    ("4", r"Received: units='4'\. Pass an integer, not a str\.$", TypeError),
    (None, r"^`units` must be a positive integer\. Received: units=None\.", TypeError),
])
def test_positive_int_refuses(value, message, error):
    with pytest.raises(error, match=message):
        v.positive_int(value, "units")


def test_a_wrong_type_is_both_a_type_error_and_a_value_error():
    # Callers that caught ValueError before keep working; TypeError is the honest kind.
    with pytest.raises(ValueError):
        v.positive_int(2.5, "units")
    with pytest.raises(TypeError):
        v.positive_int(2.5, "units")
    with pytest.raises(ValueError) as info:
        v.positive_int(0, "units")
    assert not isinstance(info.value, TypeError)  # out of range is a ValueError only


@pytest.mark.parametrize("minimum, value, wording", [
    (0, -1, "a non-negative integer"), (2, 1, "an integer >= 2"), (None, 1.5, "an integer"),
])
def test_integer_wording_follows_the_minimum(minimum, value, wording):
    with pytest.raises(ValueError, match=rf"^`n` must be {wording}\. Received: n={value}\."):
        v.integer(value, "n", minimum=minimum)


def test_integer_options():
    assert v.integer(-5, "axis") == -5
    assert v.positive_int(0, "class_id", minimum=0) == 0
    assert v.positive_int(None, "top_k", allow_none=True) is None
    with pytest.raises(ValueError, match=r"^`top_k` must be a positive integer or None\. "
                                         r"Received: top_k=0\.$"):
        v.positive_int(0, "top_k", allow_none=True)
    with pytest.raises(ValueError, match=r"^`steps` must be a positive number of steps\. "
                                         r"Received: steps=0\. Try 10\.$"):
        v.positive_int(0, "steps", expected="a positive number of steps", fix="Try 10.")


# ==================================================================== numbers
@pytest.mark.parametrize("value, kwargs", [
    (0.5, {"low": 0, "high": 1}), (0, {"low": 0, "high": 1}), (1, {"low": 0, "high": 1}),
    (np.float32(0.25), {"low": 0, "high": 1, "inclusive": (True, False)}),
    (1e-9, {"low": 0, "inclusive": (False, True)}), (-7, {}), (np.int64(3), {"high": 3}),
])
def test_number_passes_and_returns_a_python_float(value, kwargs):
    out = v.number(value, "x", **kwargs)
    assert out == float(value) and type(out) is float


@pytest.mark.parametrize("value, kwargs, message", [
    (1.0, {"low": 0, "high": 1, "inclusive": (True, False)},
     r"^`rate` must be a number in \[0, 1\)\. Received: rate=1\.0\.$"),
    (0, {"low": 0, "high": 1, "inclusive": (False, True)},
     r"^`rate` must be a number in \(0, 1\]\. Received: rate=0\.$"),
    (0, {"low": 0, "inclusive": (False, True)},
     r"^`rate` must be a finite number > 0\. Received: rate=0\.$"),
    (-0.5, {"low": 0}, r"^`rate` must be a finite number >= 0\. Received: rate=-0\.5\.$"),
    (2, {"high": 1}, r"^`rate` must be a finite number <= 1\. Received: rate=2\.$"),
    (math.nan, {}, r"^`rate` must be a finite number\. Received: rate=nan\.$"),
    (math.inf, {"low": 0}, r"^`rate` must be a finite number >= 0\. Received: rate=inf\.$"),
    (False, {"low": 0, "high": 1},
     r"^`rate` must be a number in \[0, 1\]\. Received: rate=False\. A bool is not a number "
     r"here: pass a number, not True or False\.$"),
    ("0.5", {}, r"^`rate` must be a finite number\. Received: rate='0\.5'\. Pass a number, not a "
                r"str\.$"),
    (np.array(0.5), {}, r"Pass a number, not a ndarray\."),
])
def test_number_refuses(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        v.number(value, "rate", **kwargs)


def test_number_none():
    assert v.number(None, "max_value", 0, allow_none=True) is None
    with pytest.raises(ValueError, match=r"^`max_value` must be a finite number >= 0 or None\."):
        v.number(-1, "max_value", 0, allow_none=True)
    with pytest.raises(TypeError, match=r"Received: max_value=None\."):
        v.number(None, "max_value", 0)


# ==================================================================== choices
def test_one_of():
    assert v.one_of("min", "mode", ("auto", "min", "max")) == "min"
    assert v.one_of(2, "ndim", (1, 2)) == 2
    with pytest.raises(ValueError, match=r"^`mode` must be one of \['auto', 'min', 'max'\]\. "
                                         r"Received: mode='MAX'\. Did you mean 'max'\?$"):
        v.one_of("MAX", "mode", ("auto", "min", "max"))
    with pytest.raises(ValueError, match=r"Received: ndim=True\."):  # True == 1, yet not a choice
        v.one_of(True, "ndim", (1, 2))
    with pytest.raises(ValueError, match=r"Received: ndim=array"):
        v.one_of(np.array([1, 2]), "ndim", (1, 2))


def test_boolean():
    assert v.boolean(True, "center") is True and v.boolean(np.False_, "center") is False
    for value in (1, 0, "True", None):
        with pytest.raises(TypeError, match=rf"^`center` must be True or False\. Received: "
                                            rf"center={value!r}\.$"):
            v.boolean(value, "center")


def test_float_dtype():
    assert v.float_dtype("float32", "dtype") == "float32"
    assert v.float_dtype(np.float64, "dtype") == "float64"
    for value in ("int32", "float16", "nope", None):
        with pytest.raises(ValueError, match=r"^`dtype` must be one of \['float32', 'float64'\]\."):
            v.float_dtype(value, "dtype")


# ==================================================================== the users
# A bool was refused before; it still is, everywhere, with the same wording.
@pytest.mark.parametrize("make, message", [
    (lambda: layers.Dense(True), r"`units` must be a positive integer\. Received: units=True\."),
    (lambda: layers.Dense(np.int64(0)), r"`units` must be a positive integer\. Received: "
                                        r"units=(np\.int64\()?0\)?\."),
    (lambda: layers.Conv2D(2.5, 3), r"`filters` must be a positive integer\. Received: "
                                    r"filters=2\.5\. Pass an integer, not a float\."),
    (lambda: layers.Dropout(True), r"`rate` must be a number in \[0, 1\]\. Received: rate=True\."),
    (lambda: layers.Concatenate(axis=True), r"`axis` must be an integer\. Received: axis=True"),
    (lambda: layers.RepeatVector(False), r"`n` must be a positive integer\. Received: n=False"),
    (lambda: layers.ReLU(negative_slope=True),
     r"`negative_slope` must be a finite number >= 0\. Received: negative_slope=True"),
    (lambda: layers.BatchNormalization(momentum=True),
     r"`momentum` must be a number in \[0, 1\]\. Received: momentum=True"),
    (lambda: losses.Huber(delta=True), r"`delta` must be a finite number > 0\. Received: "
                                       r"delta=True"),
    (lambda: metrics.TopKCategoricalAccuracy(k=True), r"`k` must be a positive integer\."),
    (lambda: metrics.AUC(num_thresholds=1), r"`num_thresholds` must be an integer > 1\. "
                                            r"Received: num_thresholds=1\."),
    (lambda: optimizers.Adam(beta_1=True), r"`beta_1` must be a number in \[0, 1\)\. "
                                           r"Received: beta_1=True"),
    (lambda: optimizers.SGD(learning_rate=True),
     r"`learning_rate` must be a number >= 0 or a kerasite\.optimizers\.schedules schedule\. "
     r"Received: learning_rate=True\."),
    (lambda: constraints.MaxNorm(True), r"`max_value` must be a finite number >= 0\. "),
    (lambda: EarlyStopping(patience=True), r"`patience` must be an integer >= 0\. Received: "
                                           r"patience=True\."),
    (lambda: _inputs.check_positive_int(True, "batch_size"),
     r"`batch_size` must be an integer >= 1\. Received: batch_size=True\."),
])
def test_the_library_refuses_bools_with_one_wording(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_numbers_are_accepted_and_stored_as_python_numbers():
    dense = layers.Dense(np.int64(3))
    assert dense.units == 3 and type(dense.units) is int
    drop = layers.Dropout(np.float32(0.25))
    assert drop.rate == 0.25 and type(drop.rate) is float
