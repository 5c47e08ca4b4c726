"""Tests of kerasite/optimizers.py: a few steps of each rule against hand computation."""

import json
import math

import numpy as np
import pytest

from kerasite import layers, optimizers
from kerasite.optimizers import SGD, Adam, RMSprop

GRADS = [1.0, 0.5, -2.0, 1e-4]  # the last one is tiny, where the place of epsilon matters


def _run(optimizer, grads, w0=1.0):
    """Steps on a one-element weight; returns the weight after each step."""
    w = np.array([w0])
    out = []
    for g in grads:
        optimizer.apply_gradients([(np.array([g]), w)])
        out.append(float(w[0]))
    return out


# ----------------------------------------------------------------------- SGD
def test_sgd_plain():
    w = np.array([1.0, -2.0])
    opt = SGD(learning_rate=0.1)
    opt.apply_gradients([(np.array([0.5, 1.0]), w)])
    np.testing.assert_allclose(w, [0.95, -2.1])
    opt.apply_gradients([(np.array([-1.0, 0.0]), w)])
    np.testing.assert_allclose(w, [1.05, -2.1])
    assert opt.iterations == 2


def test_sgd_momentum():
    # v = 0.9 v - 0.1 g;  w += v
    # g=1:   v = -0.1                 w = 0.9
    # g=0.5: v = -0.09 - 0.05 = -0.14  w = 0.76
    # g=0:   v = -0.126               w = 0.634
    ws = _run(SGD(learning_rate=0.1, momentum=0.9), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(ws, [0.9, 0.76, 0.634])


def test_sgd_nesterov():
    # v = 0.9 v - 0.1 g;  w += 0.9 v - 0.1 g
    # g=1:   v = -0.1   w += -0.09 - 0.1 = -0.19      -> 0.81
    # g=0.5: v = -0.14  w += -0.126 - 0.05 = -0.176   -> 0.634
    # g=0:   v = -0.126 w += -0.1134                  -> 0.5206
    ws = _run(SGD(learning_rate=0.1, momentum=0.9, nesterov=True), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(ws, [0.81, 0.634, 0.5206])


# ------------------------------------------------------------ RMSprop, Adam
def test_rmsprop_first_step():
    # s = 0.1 * 0.5^2 = 0.025;  w = 1 - 0.1 * 0.5 / sqrt(0.025 + 1e-7)
    ws = _run(RMSprop(learning_rate=0.1), [0.5])
    assert ws[0] == pytest.approx(1 - 0.05 / math.sqrt(0.025 + 1e-7), rel=1e-12)
    assert ws[0] == pytest.approx(0.68377, abs=1e-5)


def test_rmsprop_steps():
    lr, rho, eps = 0.01, 0.8, 1e-7
    s, w, expected = 0.0, 1.0, []
    for g in GRADS:  # Keras: s = rho s + (1 - rho) g^2;  w -= lr g / sqrt(s + eps)
        s = rho * s + (1 - rho) * g * g
        w -= lr * g / math.sqrt(s + eps)
        expected.append(w)
    np.testing.assert_allclose(_run(RMSprop(learning_rate=lr, rho=rho, epsilon=eps), GRADS),
                               expected, rtol=1e-12)


def test_adam_first_step():
    # m = 0.05, v = 0.00025; lr_t = 0.1 sqrt(1 - 0.999) / (1 - 0.9);
    # w = 1 - lr_t * m / (sqrt(v) + eps), about 1 - 0.1
    ws = _run(Adam(learning_rate=0.1), [0.5])
    lr_t = 0.1 * math.sqrt(0.001) / 0.1
    assert ws[0] == pytest.approx(1 - lr_t * 0.05 / (math.sqrt(0.00025) + 1e-7), rel=1e-12)
    assert ws[0] == pytest.approx(0.9, abs=1e-5)


def test_adam_steps():
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-7
    m = v = 0.0
    w, expected = 1.0, []
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w -= lr_t * m / (math.sqrt(v) + eps)
        expected.append(w)
    opt = Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    np.testing.assert_allclose(_run(opt, GRADS), expected, rtol=1e-12)


# ------------------------------------------------------------------ clipnorm
def test_clipnorm_rescales_each_weight_on_its_own():
    w1, w2 = np.zeros(2), np.zeros(1)
    g1, g2 = np.array([3.0, 4.0]), np.array([0.5])  # norms 5 and 0.5
    SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(g1, w1), (g2, w2)])
    np.testing.assert_allclose(w1, [-0.6, -0.8])  # rescaled to norm 1
    np.testing.assert_allclose(w2, [-0.5])  # under the limit: untouched
    np.testing.assert_array_equal(g1, [3.0, 4.0])  # the caller's gradient is not modified


@pytest.mark.parametrize("make", [
    lambda clip: SGD(learning_rate=0.1, clipnorm=clip),
    lambda clip: SGD(learning_rate=0.1, momentum=0.9, clipnorm=clip),
    lambda clip: SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=clip),
    lambda clip: RMSprop(learning_rate=0.1, clipnorm=clip),
    lambda clip: Adam(learning_rate=0.1, clipnorm=clip),
], ids=["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_clipnorm_equals_stepping_with_the_clipped_gradient(make):
    clipped, plain = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    opt_clipped, opt_plain = make(1.0), make(None)
    for scale in (5.0, 0.5, 10.0):  # norms 5, 0.5 and 10: clipped, not, clipped
        g = scale * np.array([0.6, 0.8])
        opt_clipped.apply_gradients([(g, clipped)])
        opt_plain.apply_gradients([(g / max(1.0, scale), plain)])
    np.testing.assert_allclose(clipped, plain, rtol=1e-12)


# ---------------------------------------------------------------- in place
@pytest.mark.parametrize("opt", [SGD(0.1), SGD(0.1, momentum=0.5), RMSprop(), Adam()], ids=repr)
def test_updates_happen_in_place_and_keep_the_dtype(opt):
    layer = layers.Dense(3)
    layer.ensure_built((None, 2))
    W, b = layer.W, layer.b
    before = W.copy()
    for _ in range(2):
        layer.grads["W"][...] = 1.0
        layer.grads["b"][...] = 1.0
        opt.apply_gradients([(layer.grads[k], layer.params[k]) for k in layer.params])
    assert layer.W is W and layer.params["W"] is W and layer.b is b
    assert W.dtype == np.float32 and b.dtype == np.float32
    assert np.all(W < before)


# -------------------------------------------------------------------- state
@pytest.mark.parametrize("make", [
    lambda: SGD(learning_rate=0.1),
    lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    lambda: RMSprop(learning_rate=0.01),
    lambda: Adam(learning_rate=0.01, clipnorm=1.0),
], ids=["sgd", "nesterov", "rmsprop", "adam"])
def test_a_restored_optimizer_continues_identically(make):
    rng = np.random.default_rng(0)
    grads = [(rng.normal(size=(3, 2)), rng.normal(size=2)) for _ in range(5)]
    W, b = np.ones((3, 2)), np.zeros(2)
    opt = make()
    for gW, gb in grads[:3]:
        opt.apply_gradients([(gW, W), (gb, b)])

    state = opt.get_state()
    assert state["iterations"] == 3
    W2, b2 = W.copy(), b.copy()
    restored = make()
    restored.set_state(state, [W2, b2])
    assert restored.iterations == 3

    for gW, gb in grads[3:]:
        opt.apply_gradients([(gW, W), (gb, b)])
        restored.apply_gradients([(gW, W2), (gb, b2)])
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)


def test_state_holds_every_slot_as_a_copy():
    w = np.array([1.0, 2.0])
    opt = Adam(learning_rate=0.1)
    opt.apply_gradients([(np.array([0.5, -1.0]), w)])
    state = opt.get_state()
    assert set(state) == {"iterations", "m/0", "v/0"}
    np.testing.assert_allclose(state["m/0"], [0.05, -0.1])  # (1 - 0.9) g
    np.testing.assert_allclose(state["v/0"], [0.00025, 0.001])  # (1 - 0.999) g^2
    json.dumps({k: v.tolist() if hasattr(v, "tolist") else v for k, v in state.items()})
    opt.apply_gradients([(np.array([0.5, -1.0]), w)])
    np.testing.assert_allclose(state["m/0"], [0.05, -0.1])  # not changed by later steps


def test_state_before_any_step_and_without_slots():
    assert Adam().get_state() == {"iterations": 0}
    w = np.zeros(1)
    opt = SGD(0.1)
    opt.apply_gradients([(np.ones(1), w)])
    assert opt.get_state() == {"iterations": 1}


def test_set_state_errors():
    with pytest.raises(ValueError, match=r"Optimizer state is missing 'v/0'\."):
        Adam().set_state({"iterations": 1, "m/0": np.zeros(2)}, [np.zeros(2)])
    with pytest.raises(ValueError, match=r"Optimizer state 'm/0' has shape \(3,\); the weight it "
                                         r"belongs to has shape \(2,\)\."):
        Adam().set_state({"iterations": 1, "m/0": np.zeros(3), "v/0": np.zeros(2)},
                         [np.zeros(2)])


def test_the_number_of_weights_cannot_change():
    opt = SGD(0.1)
    opt.apply_gradients([(np.ones(1), np.zeros(1))])
    with pytest.raises(ValueError, match=r"This optimizer was built for 1 weights and now "
                                         r"received 2\."):
        opt.apply_gradients([(np.ones(1), np.zeros(1)), (np.ones(1), np.zeros(1))])


# ------------------------------------------------------------ registry, config
@pytest.mark.parametrize("name, cls, lr", [("sgd", SGD, 0.01), ("adam", Adam, 0.001),
                                           ("rmsprop", RMSprop, 0.001), ("Adam", Adam, 0.001)])
def test_get_by_name_gives_keras_defaults(name, cls, lr):
    opt = optimizers.get(name)
    assert type(opt) is cls and opt.learning_rate == lr and opt.clipnorm is None


def test_get_returns_an_instance_unchanged():
    opt = SGD(0.5)
    assert optimizers.get(opt) is opt


@pytest.mark.parametrize("identifier", ["adamw", None, {"class_name": "Nadam", "config": {}}])
def test_unknown_optimizer_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match=r"Unknown optimizer: .*Valid names are "
                                         r"\['adam', 'rmsprop', 'sgd'\]"):
        optimizers.get(identifier)


@pytest.mark.parametrize("opt", [
    SGD(), SGD(learning_rate=0.3, momentum=0.9, nesterov=True, clipnorm=2.0),
    RMSprop(), RMSprop(learning_rate=0.01, rho=0.5, epsilon=1e-6, clipnorm=1.0),
    Adam(), Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-8, clipnorm=3.0),
], ids=repr)
def test_config_round_trip(opt):
    cfg = opt.get_config()
    json.dumps(cfg)
    again = type(opt).from_config(cfg)
    assert type(again) is type(opt) and again.get_config() == cfg
    rebuilt = optimizers.get(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(rebuilt) is type(opt) and rebuilt.get_config() == cfg


def test_config_holds_the_settings():
    assert SGD(learning_rate=0.3, momentum=0.9, nesterov=True).get_config() == {
        "learning_rate": 0.3, "clipnorm": None, "momentum": 0.9, "nesterov": True}
    assert Adam().get_config() == {"learning_rate": 0.001, "clipnorm": None, "beta_1": 0.9,
                                   "beta_2": 0.999, "epsilon": 1e-7}


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("cls", [SGD, RMSprop, Adam])
@pytest.mark.parametrize("lr", [0, -0.1, "0.1", None, True, float("nan"), float("inf")])
def test_learning_rate_must_be_positive(cls, lr):
    with pytest.raises(ValueError, match=r"`learning_rate` must be a positive number\. "
                                         r"Received: learning_rate="):
        cls(learning_rate=lr)


def test_learning_rate_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: learning_rate=-0\.1\."):
        SGD(learning_rate=-0.1)


def test_other_settings_are_checked():
    with pytest.raises(ValueError, match=r"`momentum` must be a number in \[0, 1\]\. "
                                         r"Received: momentum=1\.5\."):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"`clipnorm` must be a positive number\. "
                                         r"Received: clipnorm=0\."):
        SGD(clipnorm=0)
    with pytest.raises(ValueError, match=r"`rho` must be a number in \[0, 1\)\. Received: rho=1\."):
        RMSprop(rho=1)
    with pytest.raises(ValueError, match=r"`beta_1` must be a number in \[0, 1\)\. "
                                         r"Received: beta_1=1\.0\."):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match=r"`beta_2` must be a number in \[0, 1\)"):
        Adam(beta_2=-0.5)
    with pytest.raises(ValueError, match=r"`epsilon` must be a positive number\. "
                                         r"Received: epsilon=0\."):
        Adam(epsilon=0)
