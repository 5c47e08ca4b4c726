"""Tests of kerasite/regularizers.py: penalties by hand, gradients by finite differences."""

import json

import numpy as np
import pytest

from kerasite import regularizers
from kerasite.regularizers import L1, L1L2, L2

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def _numerical_gradient(reg, w, eps=1e-6):
    grad = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + eps
        plus = reg(w)
        w[i] = old - eps
        minus = reg(w)
        w[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


# Keras's documented example: L2(2.)(ones((5, 5))) == 50.0 (keras/src/regularizers).
def test_keras_documented_value():
    assert L2(2.0)(np.ones((5, 5))) == 50.0


@pytest.mark.parametrize("reg, penalty, gradient", [
    (L1(0.1), 0.1 * 3.5, [[0.1, -0.1], [0.1, 0.0]]),          # l1 sum|w|; l1 sign(w)
    (L2(0.1), 0.1 * 5.25, [[0.2, -0.4], [0.1, 0.0]]),          # l2 sum w^2; 2 l2 w
    (L1L2(0.1, 0.1), 0.1 * 3.5 + 0.1 * 5.25, [[0.3, -0.5], [0.2, 0.0]]),
    (L1L2(), 0.0, [[0.0, 0.0], [0.0, 0.0]]),
], ids=repr)
def test_penalties_and_gradients_by_hand(reg, penalty, gradient):
    assert reg(W) == pytest.approx(penalty, rel=1e-12)
    assert isinstance(reg(W), float)
    np.testing.assert_allclose(reg.gradient(W), gradient, rtol=1e-12)


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.7), L1L2(0.2, 0.4)], ids=repr)
def test_gradient_check_float64(reg):
    rng = np.random.default_rng(0)
    w = rng.choice([-1.0, 1.0], size=(4, 3)) * rng.uniform(0.1, 2.0, size=(4, 3))  # no |w| kink
    np.testing.assert_allclose(reg.gradient(w), _numerical_gradient(reg, w), rtol=1e-7, atol=1e-9)


def test_gradient_keeps_the_weight_dtype():
    assert L2()(np.ones(3, dtype="float32")) == pytest.approx(0.03)
    assert L1L2(0.1, 0.1).gradient(np.ones(3, dtype="float32")).dtype == np.float32


@pytest.mark.parametrize("identifier, expected", [
    ("l1", L1(0.01)), ("l2", L2(0.01)), ("L2", L2(0.01)),
    ("l1_l2", L1L2(0.01, 0.01)),  # Keras: the string gives 0.01 for both
    ("L1L2", L1L2(0.0, 0.0)),     # while the class defaults to 0
    ({"class_name": "L2", "config": {"l2": 0.5}}, L2(0.5)),
])
def test_get(identifier, expected):
    got = regularizers.get(identifier)
    assert type(got) is type(expected) and got.get_config() == expected.get_config()


def test_get_none_and_instances():
    reg = L2(0.3)
    assert regularizers.get(None) is None and regularizers.get(reg) is reg


def test_lower_case_aliases_are_the_classes():
    assert regularizers.l1 is L1 and regularizers.l2 is L2 and regularizers.l1_l2 is L1L2
    assert regularizers.l2(1e-4).l2 == 1e-4


@pytest.mark.parametrize("reg", [L1(0.2), L2(0.3), L1L2(0.1, 0.4)], ids=repr)
def test_serialize_round_trip(reg):
    form = json.loads(json.dumps(regularizers.serialize(reg)))
    again = regularizers.deserialize(form)
    assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert regularizers.serialize(None) is None and regularizers.deserialize(None) is None


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'l3'\. Valid names are "
                                         r"\['l1', 'l1_l2', 'l2'\]"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match=r"Unknown regularizer class: 'Orthogonal'"):
        regularizers.deserialize({"class_name": "Orthogonal", "config": {}})


def test_a_plain_function_is_refused_because_it_has_no_gradient():
    with pytest.raises(TypeError, match=r"cannot be a regularizer here: kerasite needs its "
                                        r"gradient too"):
        regularizers.get(lambda w: 0.01 * np.sum(w ** 2))


@pytest.mark.parametrize("value", [-0.1, float("inf"), float("nan"), "0.1", True])
def test_factors_are_checked(value):
    with pytest.raises(ValueError, match=r"`l2` must be a finite number >= 0, the strength of "
                                         r"the penalty\. Received: l2="):
        L2(value)
    with pytest.raises(ValueError, match=r"`l1` must be a finite number >= 0"):
        L1L2(l1=value)
