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


# ================================================== Keras's other initializers
from kerasite.initializers import (  # noqa: E402
    Constant,
    Identity,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)


def test_lecun_uniform():
    w = LecunUniform(seed=0)((FAN_IN, FAN_OUT))
    limit = math.sqrt(3 / FAN_IN)
    assert 0.999 * limit < np.abs(w).max() <= limit
    assert w.std() == pytest.approx(math.sqrt(1 / FAN_IN), rel=0.01)


def test_lecun_normal():
    w = LecunNormal(seed=0)((FAN_IN, FAN_OUT))
    std = math.sqrt(1 / FAN_IN)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert np.abs(w).max() <= 2 * std / TRUNCATED_STD


def test_random_uniform_keras_defaults():
    w = RandomUniform(seed=1)((300, 300))
    assert -0.05 <= w.min() < -0.0499 and 0.0499 < w.max() < 0.05
    w = RandomUniform(2.0, 3.0, seed=1)((1000,))
    assert 2.0 <= w.min() and w.max() < 3.0


def test_random_normal_keras_defaults():
    w = RandomNormal(seed=2)((300, 300))
    assert w.std() == pytest.approx(0.05, rel=0.01) and abs(w.mean()) < 0.001
    w = RandomNormal(mean=1.0, stddev=2.0, seed=2)((300, 300))
    assert w.std() == pytest.approx(2.0, rel=0.01) and w.mean() == pytest.approx(1.0, abs=0.02)


def test_truncated_normal_cuts_at_two_stddev_and_is_not_rescaled():
    # Keras: stddev is the underlying normal's; the draws' std is 0.88 times it.
    w = TruncatedNormal(mean=1.0, stddev=0.5, seed=3)((300, 300))
    assert np.abs(w - 1.0).max() <= 1.0 and np.abs(w - 1.0).max() > 0.99
    assert w.std() == pytest.approx(0.5 * TRUNCATED_STD, rel=0.01)


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT),
                                       ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling(mode, fan, distribution):
    w = VarianceScaling(3.0, mode, distribution, seed=4)((FAN_IN, FAN_OUT))
    assert w.std() == pytest.approx(math.sqrt(3.0 / fan), rel=0.01)
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(9.0 / fan)


def test_variance_scaling_defaults_and_normal_alias():
    assert VarianceScaling().get_config() == {"scale": 1.0, "mode": "fan_in",
                                              "distribution": "truncated_normal", "seed": None}
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_variance_scaling_of_a_conv_kernel_uses_the_receptive_field():
    w = VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=5)((5, 5, 16, 32))
    assert w.std() == pytest.approx(math.sqrt(1 / (5 * 5 * 16)), rel=0.02)


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8), (2, 3, 4)])
def test_orthogonal(shape):
    q = Orthogonal(gain=2.0, seed=6)(shape, "float64").reshape(-1, shape[-1])
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


def test_identity_and_constant():
    np.testing.assert_array_equal(Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(Constant(0.25)((2, 2)), np.full((2, 2), 0.25))
    assert initializers.get("constant")((2,)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("cls", [LecunUniform, LecunNormal, RandomUniform, RandomNormal,
                                 TruncatedNormal, VarianceScaling, Orthogonal])
def test_every_random_initializer_repeats_with_its_seed(cls):
    a, b, c = cls(seed=5)((4, 3)), cls(seed=5)((4, 3)), cls(seed=6)((4, 3))
    init = cls(seed=5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(init((4, 3)), init((4, 3)))  # the same on every call
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer"):
        cls(seed=-2)


@pytest.mark.parametrize("name, cls", [
    ("lecun_uniform", LecunUniform), ("lecun_normal", LecunNormal),
    ("random_uniform", RandomUniform), ("uniform", RandomUniform),
    ("random_normal", RandomNormal), ("normal", RandomNormal),
    ("truncated_normal", TruncatedNormal), ("orthogonal", Orthogonal),
    ("variance_scaling", VarianceScaling), ("constant", Constant), ("identity", Identity),
    ("TruncatedNormal", TruncatedNormal), ("VarianceScaling", VarianceScaling),
])
def test_get_keras_names(name, cls):
    assert type(initializers.get(name)) is cls


@pytest.mark.parametrize("init", [Constant(0.5), RandomUniform(-1, 2, seed=1),
                                  RandomNormal(1.0, 0.5, seed=2), TruncatedNormal(seed=3),
                                  VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
                                  Orthogonal(0.5, seed=5), Identity(2.0), LecunNormal(seed=6)],
                         ids=repr)
def test_new_config_round_trips_give_the_same_values(init):
    form = json.loads(json.dumps(initializers.serialize(init)))
    again = initializers.get(form)
    assert type(again) is type(init) and again.get_config() == init.get_config()
    np.testing.assert_array_equal(again((3, 3)), init((3, 3)))


@pytest.mark.parametrize("make, message", [
    (lambda: VarianceScaling(mode="fan"), r"`mode` must be one of \['fan_in', 'fan_out', "
                                          r"'fan_avg'\]\. Received: mode='fan'"),
    (lambda: VarianceScaling(distribution="cauchy"), r"`distribution` must be one of"),
    (lambda: VarianceScaling(scale=0), r"`scale` must be a finite number > 0\. Received: scale=0"),
    (lambda: RandomNormal(stddev=-1), r"`stddev` must be a finite number > 0"),
    (lambda: RandomUniform(1, 1), r"`minval` must be less than `maxval`"),
    (lambda: Constant("a"), r"`value` must be a finite number\. Received: value='a'"),
    (lambda: Identity()((2, 2, 2)), r"The Identity initializer needs a 2-D shape"),
    (lambda: Orthogonal()((4,)), r"The Orthogonal initializer needs a shape with at least 2"),
])
def test_new_initializer_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
