"""Tests of kerasite/initializers.py: the laws each initializer draws from, seeds, registry."""

import json
import math

import numpy as np
import pytest

from kerasite import config, initializers, utils
from kerasite.initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Ones,
    Zeros,
)

FAN_IN, FAN_OUT = 400, 600
TRUNCATED_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def test_zeros_and_ones():
    np.testing.assert_array_equal(Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(Ones()((4,)), np.ones(4))
    assert Zeros()((2,)).dtype == np.float32 and Ones()((2,)).dtype == np.float32
    assert Ones()((2,), "float64").dtype == np.float64


@pytest.mark.parametrize("init", [Zeros(), Ones(), GlorotUniform(seed=0), HeNormal(seed=0)],
                         ids=repr)
def test_dtype_follows_floatx_unless_given(init):
    assert init((3, 2)).dtype == np.float32
    assert init((3, 2), "float64").dtype == np.float64
    config.set_floatx("float64")
    assert init((3, 2)).dtype == np.float64


def test_glorot_uniform():
    w = GlorotUniform(seed=0)((FAN_IN, FAN_OUT))
    limit = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert w.shape == (FAN_IN, FAN_OUT)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.999 * limit
    assert abs(w.mean()) < 0.01 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)  # Var(U(-a, a)) = a^2 / 3


def test_he_uniform():
    w = HeUniform(seed=1)((FAN_IN, FAN_OUT))
    limit = math.sqrt(6 / FAN_IN)
    assert limit * 0.999 < np.abs(w).max() <= limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


def test_he_normal():
    w = HeNormal(seed=2)((FAN_IN, FAN_OUT))
    std = math.sqrt(2 / FAN_IN)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 0.01 * std
    # Truncated at two standard deviations of the underlying normal.
    assert np.abs(w).max() <= 2 * std / TRUNCATED_STD
    assert np.abs(w).max() > 1.9 * std / TRUNCATED_STD


def test_glorot_normal():
    w = GlorotNormal(seed=3)((FAN_IN, FAN_OUT))
    std = math.sqrt(2 / (FAN_IN + FAN_OUT))
    assert w.std() == pytest.approx(std, rel=0.01)
    assert np.abs(w).max() <= 2 * std / TRUNCATED_STD


def test_a_vector_uses_its_length_as_both_fans():
    w = GlorotUniform(seed=0)((1000,))
    assert np.abs(w).max() <= math.sqrt(6 / 2000)
    assert np.abs(w).max() > 0.99 * math.sqrt(6 / 2000)


# -------------------------------------------------------------------- seeds
@pytest.mark.parametrize("cls", [GlorotUniform, GlorotNormal, HeUniform, HeNormal])
def test_seeded_initializers_repeat_and_differ_by_seed(cls):
    a, b, c = cls(seed=5)((4, 3)), cls(seed=5)((4, 3)), cls(seed=6)((4, 3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_unseeded_initializers_follow_set_random_seed():
    utils.set_random_seed(7)
    a = GlorotUniform()((4, 3))
    a_next = GlorotUniform()((4, 3))
    utils.set_random_seed(7)
    b = GlorotUniform()((4, 3))
    utils.set_random_seed(8)
    c = GlorotUniform()((4, 3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, a_next)
    assert not np.array_equal(a, c)


def test_seed_is_checked():
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer\. "
                                         r"Received: seed=-1\."):
        GlorotUniform(seed=-1)
    with pytest.raises(TypeError, match=r"`seed` must be a non-negative integer"):
        HeNormal(seed="1")


# ------------------------------------------------------------ registry, config
@pytest.mark.parametrize("name, cls", [
    ("zeros", Zeros), ("ones", Ones), ("glorot_uniform", GlorotUniform),
    ("glorot_normal", GlorotNormal), ("he_uniform", HeUniform), ("he_normal", HeNormal),
    ("GlorotUniform", GlorotUniform), ("HeNormal", HeNormal),
])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_returns_an_instance_unchanged():
    init = HeNormal(seed=1)
    assert initializers.get(init) is init


@pytest.mark.parametrize("identifier", ["xavier", "kaiming_normal", None, 0.5])
def test_unknown_initializer_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match=r"Unknown initializer: .*Valid names are "
                                         r"\['constant', 'glorot_normal', 'glorot_uniform', "
                                         r"'he_normal', 'he_uniform', 'identity', 'lecun_normal', "
                                         r"'lecun_uniform', 'ones', 'orthogonal', 'random_normal', "
                                         r"'random_uniform', 'truncated_normal', "
                                         r"'variance_scaling', 'zeros'\]"):
        initializers.get(identifier)


def test_unknown_initializer_class():
    with pytest.raises(ValueError, match=r"Unknown initializer class: 'Xavier'\. "
                                         r"Valid classes are \["):
        initializers.get({"class_name": "Xavier", "config": {}})


@pytest.mark.parametrize("init", [Zeros(), Ones(), GlorotUniform(), GlorotNormal(seed=1),
                                  HeUniform(seed=2), HeNormal()], ids=repr)
def test_config_round_trip(init):
    cfg = init.get_config()
    json.dumps(cfg)
    again = type(init).from_config(cfg)
    assert type(again) is type(init) and again.get_config() == cfg
    rebuilt = initializers.get(json.loads(json.dumps(initializers.serialize(init))))
    assert type(rebuilt) is type(init) and rebuilt.get_config() == cfg


def test_a_rebuilt_seeded_initializer_draws_the_same_values():
    init = HeUniform(seed=9)
    again = initializers.get(initializers.serialize(init))
    np.testing.assert_array_equal(init((3, 3)), again((3, 3)))
