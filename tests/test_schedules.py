"""Tests of kerasite/optimizers/schedules.py: each schedule against its formula and Keras."""

import json
import math

import numpy as np
import pytest

from kerasite import optimizers
from kerasite.optimizers import schedules
from kerasite.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

SCHEDULES = {
    "exp": lambda: ExponentialDecay(0.1, 10, 0.5),
    "exp_stair": lambda: ExponentialDecay(0.1, 10, 0.5, staircase=True),
    "piecewise": lambda: PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1]),
    "inverse": lambda: InverseTimeDecay(0.1, 4, 0.5),
    "inverse_stair": lambda: InverseTimeDecay(0.1, 4, 0.5, staircase=True),
    "poly": lambda: PolynomialDecay(0.1, 10, 0.01, power=2.0),
    "poly_cycle": lambda: PolynomialDecay(0.1, 10, 0.01, power=0.5, cycle=True),
    "cosine": lambda: CosineDecay(0.1, 10, alpha=0.1),
    "cosine_warmup": lambda: CosineDecay(0.01, 10, alpha=0.0, warmup_target=0.1,
                                         warmup_steps=4),
    "restarts": lambda: CosineDecayRestarts(0.1, 5),
    "restarts_m": lambda: CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
}
STEPS = [0, 1, 3, 4, 5, 7, 9, 10, 13, 15, 25, 40]

# float(schedule(step)) for STEPS, from a Keras 3.15.1 run (JAX backend, jax_enable_x64).
# Keras's cosine schedules compute partly in float32, hence rel=1e-6 below.
KERAS_VALUES = {
    "exp": [0.1, 0.09330329915368074, 0.08122523963562356, 0.0757858283255199, 0.07071067811865477, 0.06155722066724582, 0.05358867312681466, 0.05, 0.04061261981781178, 0.03535533905932738, 0.01767766952966369, 0.00625],
    "exp_stair": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.00625],
    "piecewise": [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    "inverse": [0.1, 0.08888888888888889, 0.07272727272727274, 0.06666666666666667, 0.06153846153846154, 0.05333333333333334, 0.047058823529411764, 0.044444444444444446, 0.0380952380952381, 0.034782608695652174, 0.024242424242424242, 0.016666666666666666],
    "inverse_stair": [0.1, 0.1, 0.1, 0.06666666666666667, 0.06666666666666667, 0.06666666666666667, 0.05, 0.05, 0.04, 0.04, 0.025, 0.016666666666666666],
    "poly": [0.1, 0.0829, 0.0541, 0.04240000000000001, 0.0325, 0.018100000000000005, 0.0109, 0.01, 0.01, 0.01, 0.01, 0.01],
    "poly_cycle": [0.1, 0.09538149682454625, 0.08529940238806681, 0.0797137002317335, 0.07363961030678928, 0.05929503017546497, 0.03846049894151541, 0.01, 0.06324471804789655, 0.05500000000000001, 0.04674234614174767, 0.01],
    "cosine": [0.10000000149011612, 0.09779754281044006, 0.08145033568143845, 0.06890576332807541, 0.05499999597668648, 0.028549665585160255, 0.012202458456158638, 0.010000000707805157, 0.010000000707805157, 0.010000000707805157, 0.010000000707805157, 0.010000000707805157],
    "cosine_warmup": [0.01, 0.0325, 0.07750000000000001, 0.1, 0.09755282402038574, 0.07938926219940186, 0.04999999701976776, 0.03454914689064026, 0.002447175979614258, 0.0, 0.0, 0.0],
    "restarts": [0.1, 0.09045084714889527, 0.03454914689064026, 0.00954914689064026, 0.1, 0.09045084714889527, 0.06545084714889526, 0.04999999701976776, 0.00954914689064026, 0.1, 0.04999999701976776, 0.09619397521018982],
    "restarts_m": [0.1, 0.08681980729103089, 0.023180195391178132, 0.05500000000000001, 0.048409903645515444, 0.016590097695589067, 0.02920495182275772, 0.02124999932944775, 0.019602475911378862, 0.011647524423897267, 0.01120030948892236, 0.010087890625000002],
}


@pytest.mark.parametrize("case", SCHEDULES)
def test_values_match_keras(case):
    schedule = SCHEDULES[case]()
    values = [schedule(step) for step in STEPS]
    np.testing.assert_allclose(values, KERAS_VALUES[case], rtol=1e-6, atol=1e-9)


def test_formulas_at_chosen_steps():
    assert ExponentialDecay(0.1, 10, 0.5)(15) == pytest.approx(0.1 * 0.5**1.5)
    assert ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    assert InverseTimeDecay(0.1, 4, 0.5)(6) == pytest.approx(0.1 / (1 + 0.5 * 1.5))
    assert InverseTimeDecay(0.1, 4, 0.5, staircase=True)(6) == pytest.approx(0.1 / 1.5)
    # (lr0 - end)(1 - 3/10)^2 + end, then end after decay_steps
    assert PolynomialDecay(0.1, 10, 0.01, power=2.0)(3) == pytest.approx(0.09 * 0.49 + 0.01)
    assert PolynomialDecay(0.1, 10, 0.01)(50) == pytest.approx(0.01)
    # cycle: step 13 decays over ceil(13/10) * 10 = 20 steps
    assert PolynomialDecay(0.1, 10, 0.01, cycle=True)(13) == pytest.approx(
        0.09 * (1 - 13 / 20) + 0.01)
    # cosine with alpha: lr0 ((1 - a)(1 + cos(pi 4/10))/2 + a)
    assert CosineDecay(0.1, 10, alpha=0.1)(4) == pytest.approx(
        0.1 * (0.9 * (1 + math.cos(math.pi * 0.4)) / 2 + 0.1))
    # warmup: linear from 0.01 to 0.1 over 4 steps, then cosine from 0.1
    warm = CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4)
    assert warm(2) == pytest.approx(0.055)
    assert warm(4) == pytest.approx(0.1)
    assert warm(9) == pytest.approx(0.1 * (1 + math.cos(math.pi * 0.5)) / 2)
    # restarts with t_mul=2: periods [0, 5), [5, 15), [15, 35); step 10 is half of period 2
    assert CosineDecayRestarts(0.1, 5)(10) == pytest.approx(0.05)
    assert CosineDecayRestarts(0.1, 5, m_mul=0.5)(15) == pytest.approx(0.025)


def test_piecewise_boundaries_belong_to_the_interval_below():
    s = PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1])
    assert [s(2), s(3), s(4), s(7), s(8)] == [1.0, 1.0, 0.5, 0.5, 0.1]


@pytest.mark.parametrize("case", SCHEDULES)
def test_config_round_trip(case):
    schedule = SCHEDULES[case]()
    form = json.loads(json.dumps(schedules.serialize(schedule)))
    again = schedules.deserialize(form)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(s) for s in STEPS] == [schedule(s) for s in STEPS]


def test_a_resumed_optimizer_continues_on_the_same_schedule():
    opt = optimizers.SGD(ExponentialDecay(0.1, 2, 0.5))
    w = np.zeros(1)
    for _ in range(3):
        opt.apply_gradients([(np.ones(1), w)])
    restored = optimizers.get(json.loads(json.dumps(optimizers.serialize(opt))))
    w2 = w.copy()
    restored.set_state(opt.get_state(), [w2])
    assert restored.learning_rate == opt.learning_rate == pytest.approx(0.1 * 0.5**1.5)
    opt.apply_gradients([(np.ones(1), w)])
    restored.apply_gradients([(np.ones(1), w2)])
    np.testing.assert_array_equal(w, w2)


def test_unknown_schedule_in_a_config_is_refused():
    with pytest.raises(ValueError, match=r"Unknown learning rate schedule class: 'os\.system'\. "
                                         r"Valid classes are \['CosineDecay', "
                                         r"'CosineDecayRestarts', "):
        schedules.deserialize({"class_name": "os.system", "config": {}})


@pytest.mark.parametrize("make, message", [
    (lambda: ExponentialDecay(0.1, 0, 0.5),
     r"`decay_steps` must be a positive number of steps\. Received: decay_steps=0\."),
    (lambda: ExponentialDecay(-1, 10, 0.5),
     r"`initial_learning_rate` must be a finite number >= 0\. Received: initial_learning_rate=-1\."),
    (lambda: PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
     r"`boundaries` must have one element fewer than `values`"),
    (lambda: PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3]), r"`boundaries` must be increasing"),
    (lambda: CosineDecayRestarts(0.1, 5, t_mul=0),
     r"`t_mul` must be a finite number > 0\. Received: t_mul=0\."),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_custom_schedule_subclass_works_in_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.4 / 2**step

        def get_config(self):
            return {}

    opt = optimizers.SGD(Halving())
    w = np.zeros(1)
    opt.apply_gradients([(np.ones(1), w)])
    opt.apply_gradients([(np.ones(1), w)])
    assert w[0] == pytest.approx(-0.6)


def test_a_saved_model_resumes_on_its_schedule(tmp_path):
    from kerasite import Input, Sequential, layers, models

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    def make():
        model = Sequential([Input((3,)), layers.Dense(1)])
        model.compile(optimizer=optimizers.Adam(ExponentialDecay(0.05, 4, 0.5)), loss="mse")
        return model

    whole = make()
    half = make()
    half.set_weights(whole.get_weights())
    whole.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)
    half.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    half.save(tmp_path / "half.kerasite")
    resumed = models.load_model(tmp_path / "half.kerasite")
    assert resumed.optimizer.learning_rate == half.optimizer.learning_rate
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)
