"""Tests of kerasite/constraints.py: each projection by hand, and that it holds afterwards."""

import json

import numpy as np
import pytest

from kerasite import constraints
from kerasite.constraints import MaxNorm, MinMaxNorm, NonNeg, UnitNorm

EPS = 1e-7  # Keras's backend.epsilon(), in the denominator

# Columns of norm 5 and 0.5 (axis 0, the incoming weights of each Dense unit).
W = np.array([[3.0, 0.3], [4.0, 0.4]])


def test_max_norm_scales_only_long_columns():
    out = MaxNorm(2.0)(W)
    np.testing.assert_allclose(out[:, 0], np.array([3.0, 4.0]) * (2.0 / (EPS + 5.0)))
    np.testing.assert_allclose(out[:, 1], np.array([0.3, 0.4]) * (0.5 / (EPS + 0.5)))
    assert np.linalg.norm(out, axis=0).max() <= 2.0


def test_max_norm_along_rows():
    out = MaxNorm(1.0, axis=1)(np.array([[3.0, 4.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8]], rtol=1e-6)


def test_min_max_norm():
    out = MinMaxNorm(1.0, 2.0)(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, 1.0], rtol=1e-6)
    half = MinMaxNorm(1.0, 2.0, rate=0.5)(W)  # halfway: 0.5 * 2 + 0.5 * 5 = 3.5
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [3.5, 0.75], rtol=1e-6)


def test_unit_norm_over_several_axes():
    w = np.random.default_rng(0).normal(size=(3, 3, 2, 4))  # a conv kernel
    out = UnitNorm(axis=[0, 1, 2])(w)
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(axis=(0, 1, 2))), 1.0, rtol=1e-6)


def test_non_neg():
    np.testing.assert_array_equal(NonNeg()(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])


def test_an_all_zero_column_stays_zero():
    out = UnitNorm()(np.zeros((3, 2)))
    np.testing.assert_array_equal(out, 0.0)


@pytest.mark.parametrize("name, cls", [("max_norm", MaxNorm), ("min_max_norm", MinMaxNorm),
                                       ("unit_norm", UnitNorm), ("non_neg", NonNeg),
                                       ("MaxNorm", MaxNorm)])
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_keras_defaults():
    assert MaxNorm().get_config() == {"max_value": 2.0, "axis": 0}
    assert MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0,
                                         "axis": 0}
    assert UnitNorm().get_config() == {"axis": 0}
    assert constraints.max_norm is MaxNorm and constraints.non_neg is NonNeg


@pytest.mark.parametrize("con", [MaxNorm(3, axis=[0, 1]), MinMaxNorm(0.5, 2, 0.5), UnitNorm(1),
                                 NonNeg()], ids=repr)
def test_serialize_round_trip(con):
    form = json.loads(json.dumps(constraints.serialize(con)))
    again = constraints.deserialize(form)
    assert type(again) is type(con) and again.get_config() == con.get_config()


def test_errors():
    with pytest.raises(ValueError, match=r"Unknown constraint: 'max'\. Valid names are "
                                         r"\['max_norm', 'min_max_norm', 'non_neg', 'unit_norm'\]"):
        constraints.get("max")
    with pytest.raises(ValueError, match=r"`max_value` must be a finite number >= 0\. "
                                         r"Received: max_value=-1"):
        MaxNorm(-1)
    with pytest.raises(ValueError, match=r"`min_value` must not exceed `max_value`"):
        MinMaxNorm(2.0, 1.0)
    with pytest.raises(ValueError, match=r"`axis` must be an integer or a list of integers\. "
                                         r"Received: axis='0'"):
        UnitNorm(axis="0")
