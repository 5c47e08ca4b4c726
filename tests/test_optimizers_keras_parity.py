"""Lion, Ftrl, Adafactor and the common options against Keras 3.

The reference steps were computed with Keras 3.15.1 on JAX in float64, by
tests/make_keras_optimizer_reference.py, written to
tests/data/optimizers_keras_reference.json: three weights (a (2, 3) kernel,
a (3,) bias and a (2, 2, 2) weight) take four calls of ``optimizer.apply``
with fixed gradients.
"""
import json
import pathlib

import numpy as np
import pytest

from kerasite import Input, Sequential, Variable, layers, optimizers

REF = json.loads((pathlib.Path(__file__).parent / "data" /
                  "optimizers_keras_reference.json").read_text())
CASES = REF["cases"]
# Adafactor's steps agree with Keras's to 1e-6 relative (Keras's JAX arithmetic rounds its
# root-mean-squares slightly differently even in float64); every other rule to rounding.
RTOL = {"Adafactor": 1e-6}


def _variables():
    return [Variable(np.array(REF["w0"]), name="w"), Variable(np.array(REF["b0"]), name="b"),
            Variable(np.array(REF["t0"]), name="t")]


def _grads():
    return [[np.array(g) for g in step] for step in REF["grads"]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_equal_keras(case):
    ref = CASES[case]
    opt = getattr(optimizers, ref["class_name"])(**ref["kwargs"])
    variables = _variables()
    for grads, after in zip(_grads(), ref["after"]):
        opt.apply(grads, variables)
        for v, want in zip(variables, after):
            np.testing.assert_allclose(v.numpy(), want, rtol=RTOL.get(ref["class_name"], 1e-12),
                                       atol=1e-15)
    assert opt.iterations == ref["iterations"]  # with accumulation: the updates, as Keras


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_equals_keras(case):
    ref = CASES[case]
    opt = getattr(optimizers, ref["class_name"])(**ref["kwargs"])
    want = {k: v for k, v in ref["config"].items() if k != "name"}
    got = opt.get_config()
    assert got.pop("name").startswith(ref["config"]["name"].split("_")[0])
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-7) if isinstance(value, float) \
            else got[key] == value, key


@pytest.mark.parametrize("name,cls", [("lion", optimizers.Lion), ("ftrl", optimizers.Ftrl),
                                      ("adafactor", optimizers.Adafactor)])
def test_registry_names_and_config_round_trip(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    config = opt.get_config()
    json.dumps(config)
    assert cls.from_config(config).get_config() == config
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(again) is cls and again.get_config() == config


def test_defaults_are_keras():
    # Keras 3.15.1's signatures.
    lion, ftrl, ada = optimizers.Lion(), optimizers.Ftrl(), optimizers.Adafactor()
    assert (lion.learning_rate, lion.beta_1, lion.beta_2) == (0.001, 0.9, 0.99)
    assert (ftrl.learning_rate, ftrl.learning_rate_power, ftrl.initial_accumulator_value,
            ftrl.l1_regularization_strength, ftrl.l2_regularization_strength,
            ftrl.l2_shrinkage_regularization_strength, ftrl.beta) == \
        (0.001, -0.5, 0.1, 0.0, 0.0, 0.0, 0.0)
    assert (ada.learning_rate, ada.beta_2_decay, ada.epsilon_1, ada.epsilon_2,
            ada.clip_threshold, ada.relative_step) == (0.001, -0.8, 1e-30, 1e-3, 1.0, True)
    assert not ada.elementwise and lion.elementwise and ftrl.elementwise


def test_default_names_are_snake_case_and_unique():
    a, b = optimizers.Ftrl(), optimizers.Ftrl()
    assert a.name.startswith("ftrl") and b.name.startswith("ftrl_") and a.name != b.name
    assert optimizers.RMSprop(name="mine").name == "mine"
    assert optimizers.RMSprop().get_config()["name"].startswith("rm_sprop")  # as Keras


def test_adafactor_slots_are_factored_as_keras():
    opt = optimizers.Adafactor()
    variables = _variables()
    opt.build(variables)
    state = opt.get_state()
    # Keras 3.15.1: r drops the last axis, c the second last; a 1-D weight has 0-d placeholders.
    assert [state[f"r/{i}"].shape for i in range(3)] == [(2,), (), (2, 2)]
    assert [state[f"c/{i}"].shape for i in range(3)] == [(3,), (), (2, 2)]
    assert [state[f"velocity/{i}"].shape for i in range(3)] == [(2, 3), (3,), (2, 2, 2)]


def test_adafactor_state_resumes_exactly():
    ref = CASES["adafactor_options"]
    first = optimizers.Adafactor(**ref["kwargs"])
    variables = _variables()
    grads = _grads()
    for g in grads[:2]:
        first.apply(g, variables)
    second = optimizers.Adafactor(**ref["kwargs"])
    second.set_state(first.get_state(), variables)
    for g in grads[2:]:
        second.apply(g, variables)
    for v, want in zip(variables, ref["after"][-1]):
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-6)


def test_accumulation_state_resumes_mid_accumulation():
    ref = CASES["sgd_accumulation_clip_decay"]
    first = optimizers.SGD(**ref["kwargs"])
    variables = _variables()
    grads = _grads()
    for g in grads[:2]:  # two of the three calls summed, no update yet
        first.apply(g, variables)
    state = first.get_state()
    assert state["iterations"] == 0 and float(state["accumulated_steps"]) == 2.0
    second = optimizers.SGD(**ref["kwargs"])
    second.set_state(state, variables)
    for g in grads[2:]:
        second.apply(g, variables)
    for v, want in zip(variables, ref["after"][-1]):
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"'accumulated_steps' must be a whole number in "
                                         r"\[0, 3\)\. Received: 3\.0"):
        optimizers.SGD(**ref["kwargs"]).set_state({**state, "accumulated_steps": 3.0},
                                                  variables)


def test_accumulation_learning_rate_schedule_counts_every_call():
    # Keras evaluates the schedule at its raw call count; two calls per update here.
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(schedule, gradient_accumulation_steps=2)
    w = Variable(np.array([1.0]))
    opt.apply([np.array([1.0])], [w])
    assert w.numpy()[0] == 1.0  # the first call only accumulates
    opt.apply([np.array([3.0])], [w])
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.1 * 0.5 * 2.0])  # lr at call 1: 0.05


def test_ema_finalize_writes_the_averages():
    ref = CASES["adam_ema"]
    opt = optimizers.Adam(**ref["kwargs"])
    variables = _variables()
    for g in _grads():
        opt.apply(g, variables)
    averages = [a for path, a in ref["optimizer_variables"] if path.endswith("_average")]
    opt.finalize_variable_values(variables)
    for v, want in zip(variables, averages):
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"`var_list` must hold the 3 variables"):
        opt.finalize_variable_values(variables[:2])


def test_fit_ends_with_the_ema_weights():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 2))
    model = Sequential([Input((4,)), layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.05, use_ema=True, ema_momentum=0.5), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    averages = model.optimizer.get_state()
    for i, w in enumerate(model.trainable_weights):
        np.testing.assert_array_equal(w.numpy(), averages[f"average/{i}"])


def test_fit_with_loss_scale_factor_trains_as_without():
    # The loss is scaled and the gradients unscaled: the same steps (to rounding).
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 2))
    weights = []
    for factor in (None, 128.0):
        model = Sequential([Input((4,)), layers.Dense(2, kernel_regularizer="l2")])
        model.set_weights([np.full((4, 2), 0.1), np.zeros(2)])
        model.compile(optimizer=optimizers.Adam(0.01, loss_scale_factor=factor), loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert optimizers.SGD(loss_scale_factor=4.0).scale_loss(2.5) == 10.0
    assert optimizers.SGD().scale_loss(2.5) == 2.5


@pytest.mark.parametrize("kwargs,match", [
    ({"gradient_accumulation_steps": 1}, r"`gradient_accumulation_steps` must be an integer "
                                         r">= 2 or None\. Received: gradient_accumulation_steps=1"),
    ({"gradient_accumulation_steps": 2.0}, r"`gradient_accumulation_steps` must be an integer"),
    ({"ema_overwrite_frequency": 0}, r"`ema_overwrite_frequency` must be an integer >= 1"),
    ({"ema_momentum": 1.5}, r"`ema_momentum` must be a number in \[0, 1\]"),
    ({"loss_scale_factor": 0.0}, r"`loss_scale_factor` must be a finite number > 0"),
])
def test_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.Adam(**kwargs)


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match=r"`name` must be a string or None\. Received: name=3"):
        optimizers.Adam(name=3)


@pytest.mark.parametrize("make,match", [
    (lambda: optimizers.Lion(beta_1=0.0), r"`beta_1` must be a number in \(0, 1\]"),
    (lambda: optimizers.Ftrl(learning_rate_power=0.5), r"`learning_rate_power` must be a "
                                                       r"number <= 0"),
    (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0),
     r"`l1_regularization_strength` must be a finite number >= 0"),
    (lambda: optimizers.Adafactor(clip_threshold=0.0),
     r"`clip_threshold` must be a finite number > 0"),
])
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make", [lambda: optimizers.Lion(0.01), lambda: optimizers.Ftrl(0.1),
                                  lambda: optimizers.Adafactor(0.1)])
def test_fit_reduces_the_loss(make):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 4))
    y = x @ rng.normal(size=(4, 2))
    model = Sequential([Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)])
    model.compile(optimizer=make(), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


ROUND_TRIP = {
    "lion": lambda: optimizers.Lion(0.01),
    "ftrl": lambda: optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
    "adafactor": lambda: optimizers.Adafactor(0.1),
    "adam_ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9,
                                        ema_overwrite_frequency=3),
    "sgd_accumulation": lambda: optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=3),
    "adam_loss_scale": lambda: optimizers.Adam(0.01, loss_scale_factor=64.0),
}


@pytest.mark.parametrize("ext", [".keras", ".kerasite"])
@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_state_and_options_survive_a_file(tmp_path, name, ext):
    pytest.importorskip("h5py")
    from kerasite.models import load_model

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = Sequential([Input((4,)), layers.Dense(5, activation="tanh"), layers.Dense(2)])
    model.compile(optimizer=ROUND_TRIP[name](), loss="mse")
    for _ in range(2):  # with accumulation: two calls summed, no update yet
        model.train_on_batch(x, y)
    model.save(tmp_path / f"m{ext}")
    loaded = load_model(tmp_path / f"m{ext}")
    want, got = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    want, got = model.optimizer.get_config(), loaded.optimizer.get_config()
    # A .keras file holds the learning rate as a float32 variable, as Keras writes it.
    assert got.pop("learning_rate") == pytest.approx(want.pop("learning_rate"), rel=1e-7)
    assert got == want
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6 if ext == ".keras" else 0)


def test_fit_accumulating_two_half_batches_equals_one_whole_batch():
    # The mean of the gradients of two halves of a batch is the gradient of the whole
    # batch (a mean loss), so SGD with gradient_accumulation_steps=2 on batches of 4
    # takes the steps plain SGD takes on batches of 8. The weights lie in one buffer.
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 2))
    weights = []
    for steps, batch in ((2, 4), (None, 8)):
        model = Sequential([Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])
        model.set_weights([np.full((4, 3), 0.2), np.zeros(3), np.full((3, 2), -0.1),
                           np.zeros(2)])
        opt = optimizers.SGD(0.1, momentum=0.5, gradient_accumulation_steps=steps)
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, epochs=2, batch_size=batch, shuffle=False, verbose=0)
        assert opt.iterations == 4
        weights.append(model.get_weights())
    assert model._flat_buffer.params is not None
    for a, b in zip(*weights):  # float32 weights: equal to float32 rounding
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
