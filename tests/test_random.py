"""kerasite.random: Keras 3's seeding rules, shapes, dtypes, ranges, and gradients through ops."""

import numpy as np
import pytest

import kerasite
from kerasite import GradientTape, config, ops, random


DRAWS = [
    lambda seed: random.normal((3, 4), seed=seed),
    lambda seed: random.uniform((3, 4), seed=seed),
    lambda seed: random.randint((3, 4), 0, 100, seed=seed),
    lambda seed: random.truncated_normal((3, 4), seed=seed),
    lambda seed: random.dropout(np.ones((3, 4)), 0.5, seed=seed),
    lambda seed: random.shuffle(np.arange(12.0), seed=seed),
]


# ====================================================================== seeds
@pytest.mark.parametrize("draw", DRAWS)
def test_an_int_seed_gives_the_same_draw_every_call(draw):
    np.testing.assert_array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


@pytest.mark.parametrize("draw", DRAWS)
def test_a_seed_generator_advances_and_repeats_from_its_seed(draw):
    gen = random.SeedGenerator(3)
    first, second = draw(gen), draw(gen)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(gen.state, [3, 2])
    again = random.SeedGenerator(3)
    np.testing.assert_array_equal(draw(again), first)
    np.testing.assert_array_equal(draw(again), second)


@pytest.mark.parametrize("draw", DRAWS)
def test_no_seed_draws_anew_from_the_global_generator(draw):
    kerasite.utils.set_random_seed(11)
    first, second = draw(None), draw(None)
    assert not np.array_equal(first, second)
    kerasite.utils.set_random_seed(11)
    np.testing.assert_array_equal(draw(None), first)
    np.testing.assert_array_equal(draw(None), second)


def test_a_seed_generator_without_a_seed_follows_set_random_seed():
    kerasite.utils.set_random_seed(0)
    a = random.normal((4,), seed=random.SeedGenerator())
    kerasite.utils.set_random_seed(0)
    np.testing.assert_array_equal(random.normal((4,), seed=random.SeedGenerator()), a)
    assert random.SeedGenerator(5).get_config() == {"seed": 5, "name": "seed_generator"}


@pytest.mark.parametrize("seed", ["a", -1, 1.5, True])
def test_a_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer, a "
                                         r"kerasite\.random\.SeedGenerator or None\. Received"):
        random.normal((2,), seed=seed)
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer"):
        random.SeedGenerator(seed)


# ================================================= shapes, dtypes and ranges
def test_dtypes_follow_floatx_and_keras_defaults():
    assert random.normal((2,)).dtype == np.float32
    assert random.uniform(3, dtype="float64").shape == (3,)
    assert random.uniform(3, dtype="float64").dtype == np.float64
    assert random.randint((2,), 0, 5).dtype == np.int32  # Keras's default
    assert random.randint((2,), 0, 5, dtype="int64").dtype == np.int64
    config.set_floatx("float64")
    assert random.truncated_normal((2, 2)).dtype == np.float64


def test_the_distributions_have_their_moments_and_ranges():
    n = 200_000
    x = random.normal((n,), mean=2.0, stddev=3.0, dtype="float64", seed=0)
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    u = random.uniform((n,), minval=-1.0, maxval=3.0, seed=0)
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    k = random.randint((n,), 2, 5, seed=0)
    assert set(np.unique(k).tolist()) == {2, 3, 4}
    t = random.truncated_normal((n,), mean=1.0, stddev=0.5, dtype="float64", seed=0)
    assert t.min() >= 0.0 and t.max() <= 2.0  # mean +- 2 stddev
    # N(0, 1) truncated at +-2 has variance 1 - 2 * 2 phi(2) / (2 Phi(2) - 1) = 0.7737
    assert abs(((t - 1.0) / 0.5).var() - 0.7737) < 0.01


def test_dropout_keeps_and_scales_as_keras():
    x = np.full((1000, 10), 3.0)
    y = random.dropout(x, 0.25, seed=0)
    assert set(np.unique(y).tolist()) == {0.0, 4.0}  # 3 / (1 - 0.25)
    assert abs((y == 0).mean() - 0.25) < 0.02
    shared = random.dropout(np.ones((4, 6)), 0.5, noise_shape=(1, 6), seed=1)
    assert (shared == shared[0]).all()  # one mask row for every sample
    same = random.dropout(np.ones((4, 6)), 0.5, noise_shape=(None, 1), seed=1)
    assert (same == same[:, :1]).all()
    np.testing.assert_array_equal(random.dropout(x, 0.0, seed=0), x)
    assert random.dropout(x.astype("float32"), 0.5, seed=0).dtype == np.float32


def test_shuffle_permutes_along_an_axis():
    x = np.arange(12).reshape(3, 4)
    rows = random.shuffle(x, seed=2)
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    cols = random.shuffle(x, axis=1, seed=2)
    assert sorted(cols[0].tolist()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(cols, x[:, cols[0]])  # the same permutation on every row


# ===================================================================== errors
def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"`kerasite\.random\.randint` requires an integer "
                                         r"`dtype`\. Received: dtype=float32"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match=r"`kerasite\.random\.normal` requires a floating-point "
                                         r"`dtype`\. Received: dtype=int32"):
        random.normal((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"`maxval` must be greater than `minval`"):
        random.randint((2,), 3, 3)
    with pytest.raises(ValueError, match=r"`shape` must be a tuple of non-negative integers"):
        random.uniform((2, -1))
    with pytest.raises(ValueError, match=r"`rate` must be a number in \[0, 1\)\. Received: "
                                         r"rate=1\.0"):
        random.dropout(np.ones(3), 1.0)
    with pytest.raises(ValueError, match=r"`noise_shape` \(2,\) does not broadcast"):
        random.dropout(np.ones((4, 3)), 0.5, noise_shape=(2,))
    with pytest.raises(ValueError, match=r"`axis` must be an integer in \[-2, 2\)"):
        random.shuffle(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match=r"`x` must have at least one axis"):
        random.shuffle(np.float64(1.0))
    with pytest.raises(TypeError, match=r"SeedGenerator\(\) got unexpected arguments \['x'\]"):
        random.SeedGenerator(1, x=2)


# ================================================================== gradients
def test_dropout_and_shuffle_are_differentiated_through_ops(float64):
    x = ops.convert_to_tensor(np.linspace(-1.0, 1.0, 12).reshape(3, 4))
    weights = np.arange(12.0).reshape(3, 4)
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        dropped = random.dropout(x, 0.5, seed=4)
        shuffled = random.shuffle(x, seed=4)
        loss_d = ops.sum(dropped * weights)
        loss_s = ops.sum(shuffled * weights)
    assert isinstance(dropped, ops.Tensor)
    mask = random.dropout(np.ones((3, 4)), 0.5, seed=4)  # the same seed: the same mask
    np.testing.assert_array_equal(tape.gradient(loss_d, x), weights * mask)
    order = random.shuffle(np.arange(3), seed=4)  # the same permutation of the rows
    expected = np.empty_like(weights)
    expected[order] = weights  # row i of the result is row order[i] of x
    np.testing.assert_array_equal(tape.gradient(loss_s, x), expected)


def test_a_sampling_step_trains_through_the_tape(float64):
    # z = mean + exp(log_var / 2) * eps, the VAE's reparameterization, differentiated.
    mean = kerasite.Variable(np.zeros(3), name="mean")
    log_var = kerasite.Variable(np.zeros(3), name="log_var")
    eps = random.normal((3,), dtype="float64", seed=0)
    with GradientTape() as tape:
        z = mean + ops.exp(log_var / 2) * eps
        loss = ops.sum(z)
    g_mean, g_log_var = tape.gradient(loss, [mean, log_var])
    np.testing.assert_allclose(g_mean, np.ones(3))
    np.testing.assert_allclose(g_log_var, eps / 2)  # d exp(v/2) eps / dv at v = 0
