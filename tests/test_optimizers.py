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
    before = W.numpy()
    for _ in range(2):
        layer.grads["W"][...] = 1.0
        layer.grads["b"][...] = 1.0
        opt.apply_gradients([(layer.grads[k], layer.params[k]) for k in layer.params])
    assert layer.W is W and layer.params["W"] is W.value and layer.b is b
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


@pytest.mark.parametrize("identifier", ["adamwx", None])
def test_unknown_optimizer_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match=r"Unknown optimizer: .*Valid names are "
                                         r"\['adadelta', 'adafactor', 'adagrad', 'adam', "
                                         r"'adamax', 'adamw', 'ftrl', 'lamb', 'lion', 'nadam', "
                                         r"'rmsprop', 'sgd'\]"):
        optimizers.get(identifier)


def test_unknown_optimizer_class_lists_the_valid_classes():
    with pytest.raises(ValueError, match=r"Unknown optimizer class: 'Muon'\. Valid classes are "
                                         r"\['Adadelta', 'Adafactor', 'Adagrad', 'Adam', 'AdamW', "
                                         r"'Adamax', 'Ftrl', 'Lamb', 'Lion', 'Nadam', 'RMSprop', "
                                         r"'SGD'\]"):
        optimizers.get({"class_name": "Muon", "config": {}})


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
    # The keys Keras 3.15.1 writes for every optimizer, at its defaults.
    common = {"weight_decay": None, "clipnorm": None, "clipvalue": None,
              "global_clipnorm": None, "use_ema": False, "ema_momentum": 0.99,
              "ema_overwrite_frequency": None, "loss_scale_factor": None,
              "gradient_accumulation_steps": None}
    assert SGD(learning_rate=0.3, momentum=0.9, nesterov=True, name="s").get_config() == {
        "name": "s", "learning_rate": 0.3, **common, "momentum": 0.9, "nesterov": True}
    assert Adam(name="a").get_config() == {"name": "a", "learning_rate": 0.001, **common,
                                           "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                                           "amsgrad": False}


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("cls", [SGD, RMSprop, Adam])
@pytest.mark.parametrize("lr", [-0.1, "0.1", None, True, float("nan"), float("inf")])
def test_learning_rate_must_be_a_number_at_least_0(cls, lr):
    with pytest.raises(ValueError, match=r"`learning_rate` must be a number >= 0 or a "
                                         r"kerasite\.optimizers\.schedules schedule\. "
                                         r"Received: learning_rate="):
        cls(learning_rate=lr)


def test_a_learning_rate_of_0_is_accepted_as_in_keras():
    """Issue 12: Keras accepts SGD(learning_rate=0.0); the weights then stay put."""
    w = np.array([1.0])
    opt = SGD(learning_rate=0.0)
    opt.apply_gradients([(np.array([3.0]), w)])
    assert w[0] == 1.0 and opt.iterations == 1


def test_learning_rate_error_shows_the_value():
    with pytest.raises(ValueError, match=r"Received: learning_rate=-0\.1\."):
        SGD(learning_rate=-0.1)


def test_other_settings_are_checked():
    with pytest.raises(ValueError, match=r"`momentum` must be a number in \[0, 1\]\. "
                                         r"Received: momentum=1\.5\."):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"`clipnorm` must be a finite number > 0\. "
                                         r"Received: clipnorm=0\."):
        SGD(clipnorm=0)
    with pytest.raises(ValueError, match=r"`rho` must be a number in \[0, 1\)\. Received: rho=1\."):
        RMSprop(rho=1)
    with pytest.raises(ValueError, match=r"`beta_1` must be a number in \[0, 1\)\. "
                                         r"Received: beta_1=1\.0\."):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match=r"`beta_2` must be a number in \[0, 1\)"):
        Adam(beta_2=-0.5)
    with pytest.raises(ValueError, match=r"`epsilon` must be a finite number > 0\. "
                                         r"Received: epsilon=0\."):
        Adam(epsilon=0)


# ============================================== Keras 3's optimizers and options
from kerasite.optimizers import Adadelta, Adagrad, Adamax, AdamW, Nadam, schedules  # noqa: E402

W0 = [np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.1, -0.3])]
STEP_GRADS = [[np.array([[0.5, -1.0], [2.0, 0.1]]), np.array([0.3, -0.7])],
              [np.array([[-0.2, 0.4], [1.0, 0.0]]), np.array([-1.5, 0.2])],
              [np.array([[0.9, 0.9], [-0.3, 0.6]]), np.array([0.05, 0.6])],
              [np.array([[0.1, -0.1], [0.2, -2.0]]), np.array([0.4, 0.4])]]

KERAS_OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "sgd_momentum_nesterov_wd": lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "rmsprop_momentum_centered": lambda: RMSprop(0.01, momentum=0.5, centered=True),
    "rmsprop_momentum": lambda: RMSprop(0.01, rho=0.8, momentum=0.9),
    "adam_amsgrad": lambda: Adam(0.1, amsgrad=True),
    "adamw": lambda: AdamW(0.1, weight_decay=0.05),
    "adamax": lambda: Adamax(0.1),
    "nadam": lambda: Nadam(0.1),
    "adagrad": lambda: Adagrad(0.1),
    "adadelta": lambda: Adadelta(1.0),
    "adam_clipnorm": lambda: Adam(0.1, clipnorm=1.0),
    "sgd_clipvalue": lambda: SGD(0.1, clipvalue=0.5),
    "sgd_global_clipnorm": lambda: SGD(0.1, global_clipnorm=1.0),
    "rmsprop_wd_schedule": lambda: RMSprop(schedules.ExponentialDecay(0.01, 2, 0.5),
                                           weight_decay=0.2),
    "adam_cosine_warmup": lambda: Adam(schedules.CosineDecay(0.0, 5, warmup_target=0.1,
                                                             warmup_steps=2)),
    "nadam_wd_clip": lambda: Nadam(0.05, weight_decay=0.01, global_clipnorm=1.5),
}

# The two weights after the four steps above, from a Keras 3.15.1 run (JAX backend,
# jax_enable_x64, floatx float64): keras.optimizers.<same settings>.apply_gradients(...)
KERAS_RESULTS = {
    "sgd": [[[0.87, -2.02], [0.20999999999999996, 3.1300000000000003]], [0.17500000000000002, -0.35]],
    "sgd_momentum_nesterov_wd": [[[0.566504855, -1.8785797100000001], [-0.6193328150000001, 3.060175438999999]], [0.395110328, -0.31243246599999996]],
    "rmsprop_momentum_centered": [[[0.9113258868864754, -1.9890782225834396], [0.41308358556991337, 2.9184146692489525]], [0.08314366274549724, -0.2996411405487042]],
    "rmsprop_momentum": [[[0.9071598331882748, -1.9762969215103108], [0.3977224856411292, 2.9025747943589026]], [0.07422767407673884, -0.2823957715214235]],
    "adam_amsgrad": [[[0.7354928488715837, -1.8985414443814395], [0.18739516309731688, 2.800074424048612]], [0.1242480253847617, -0.20404627700991695]],
    "adamw": [[[0.7178222856574913, -1.8605752327370453], [0.18020684464871548, 2.743007845970081]], [0.122937914399593, -0.19995010315599604]],
    "adamax": [[[0.7915525503056389, -1.899191821837505], [0.2531475652165497, 2.8308695974937765]], [0.07989503306453562, -0.20354085913988967]],
    "nadam": [[[0.809873998798906, -1.9855873708939082], [0.3253896134457329, 2.8851221567143925]], [0.0738104467565556, -0.3253288000818288]],
    "adagrad": [[[0.8562609243381851, -1.9959091466702803], [0.3613694467037048, 2.97692664656902]], [0.09920864393864165, -0.331667856148479]],
    "adadelta": [[[0.9972334002362682, -2.000551636002429], [0.49777048036631866, 2.999280429611379]], [0.09972961381361128, -0.30148606659642413]],
    "adam_clipnorm": [[[0.7844889010840874, -1.975599266296148], [0.17565422496891592, 2.795668517099183]], [0.09604282563205618, -0.18919974727535815]],
    "sgd_clipvalue": [[[0.9099999999999999, -2.0300000000000002], [0.41000000000000003, 2.99]], [0.075, -0.36]],
    "sgd_global_clipnorm": [[[0.9275320717833344, -2.032958380574469], [0.37338938564031937, 3.0529554332522375]], [0.1455604786859055, -0.3393225215713109]],
    "rmsprop_wd_schedule": [[[0.9570042542155323, -1.9767466942445733], [0.456676569593989, 2.9482603912848284]], [0.08622774773594984, -0.28881067898517027]],
    "adam_cosine_warmup": [[[0.8586364220669299, -2.014617287280905], [0.339396568055332, 2.9298572755749306]], [0.19239356501698743, -0.32282484721406074]],
    "nadam_wd_clip": [[[0.9056465653850709, -2.003102514982331], [0.4098677006751055, 2.93439240866324]], [0.08867364066712734, -0.3237948225144044]],
}


def _four_steps(opt):
    ws = [w.copy() for w in W0]
    for grads in STEP_GRADS:
        opt.apply_gradients(zip(grads, ws))
    return ws


@pytest.mark.parametrize("case", KERAS_OPTIMIZERS)
def test_four_steps_match_keras(case):
    ws = _four_steps(KERAS_OPTIMIZERS[case]())
    # Keras's CosineDecay computes in float32 internally, hence 1e-8 and not 1e-15
    tol = 1e-8 if case == "adam_cosine_warmup" else 1e-14
    for w, expected in zip(ws, KERAS_RESULTS[case]):
        np.testing.assert_allclose(w, expected, rtol=0, atol=tol)


def test_adagrad_by_hand():
    # acc = 0.1 + g^2; p -= lr g / sqrt(acc + eps)
    w = _run(Adagrad(learning_rate=0.1), [1.0, 0.5])
    acc1, acc2 = 0.1 + 1.0, 0.1 + 1.0 + 0.25
    w1 = 1.0 - 0.1 * 1.0 / math.sqrt(acc1 + 1e-7)
    assert w == pytest.approx([w1, w1 - 0.1 * 0.5 / math.sqrt(acc2 + 1e-7)], rel=1e-14)


def test_adadelta_by_hand():
    rho, eps, lr = 0.95, 1e-7, 1.0
    eg = (1 - rho) * 1.0
    d = -math.sqrt(0 + eps) * 1.0 / math.sqrt(eg + eps)
    ed = (1 - rho) * d * d
    w1 = 1.0 + lr * d
    eg2 = rho * eg + (1 - rho) * 0.25
    d2 = -math.sqrt(ed + eps) * 0.5 / math.sqrt(eg2 + eps)
    assert _run(Adadelta(learning_rate=lr), [1.0, 0.5]) == pytest.approx([w1, w1 + lr * d2],
                                                                        rel=1e-14)


def test_adamax_by_hand():
    # t=1: m = 0.1 g, u = |g|; p -= lr m / ((1 - 0.9) (u + eps))
    m1, u1 = 0.1 * 1.0, 1.0
    w1 = 1.0 - 0.1 * m1 / ((1 - 0.9) * (u1 + 1e-7))
    m2, u2 = m1 + 0.1 * (-2.0 - m1), max(0.999 * u1, 2.0)
    w2 = w1 - 0.1 * m2 / ((1 - 0.81) * (u2 + 1e-7))
    assert _run(Adamax(learning_rate=0.1), [1.0, -2.0]) == pytest.approx([w1, w2], rel=1e-14)


def test_nadam_by_hand():
    b1, b2, eps, lr, g = 0.9, 0.999, 1e-7, 0.1, 0.5
    mu1, mu2 = b1 * (1 - 0.5 * 0.96), b1 * (1 - 0.5 * 0.96**2)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    m_hat = mu2 * m / (1 - mu1 * mu2) + (1 - mu1) * g / (1 - mu1)
    v_hat = v / (1 - b2)
    assert _run(Nadam(learning_rate=lr), [g]) == pytest.approx(
        [1.0 - lr * m_hat / (math.sqrt(v_hat) + eps)], rel=1e-14)


def test_amsgrad_keeps_the_largest_second_moment():
    opt = Adam(learning_rate=0.1, amsgrad=True)
    w = np.array([1.0])
    opt.apply_gradients([(np.array([2.0]), w)])
    opt.apply_gradients([(np.array([0.0]), w)])
    state = opt.get_state()
    assert state["v_hat/0"][0] == pytest.approx(0.001 * 4.0)  # v after step 1
    assert state["v/0"][0] == pytest.approx(0.999 * 0.001 * 4.0)  # v has decayed since


def test_rmsprop_centered_and_momentum_by_hand():
    rho, eps, lr, mom = 0.9, 1e-7, 0.01, 0.5
    s, a, v, w = 0.0, 0.0, 0.0, 1.0
    expected = []
    for g in (1.0, -0.5):
        s = rho * s + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g
        v = mom * v + lr * g / math.sqrt(s - a * a + eps)
        w -= v
        expected.append(w)
    assert _run(RMSprop(lr, momentum=mom, centered=True), [1.0, -0.5]) == \
        pytest.approx(expected, rel=1e-14)


def test_weight_decay_is_decoupled_and_comes_first():
    # p -= lr wd p, then the SGD step on the (unchanged) gradient
    assert _run(SGD(0.1, weight_decay=0.5), [1.0]) == pytest.approx([1.0 - 0.05 - 0.1])
    # AdamW with a zero gradient: only the decay moves the weight
    assert _run(AdamW(0.1, weight_decay=0.5), [0.0, 0.0]) == pytest.approx([0.95, 0.9025])
    assert AdamW().weight_decay == 0.004  # Keras's default


def test_clipvalue_and_global_clipnorm():
    w1, w2 = np.zeros(2), np.zeros(1)
    SGD(1.0, clipvalue=0.5).apply_gradients([(np.array([3.0, -0.2]), w1),
                                             (np.array([-4.0]), w2)])
    np.testing.assert_allclose(w1, [-0.5, 0.2])
    np.testing.assert_allclose(w2, [0.5])
    w1, w2 = np.zeros(2), np.zeros(1)
    g1, g2 = np.array([3.0, 0.0]), np.array([4.0])  # joint norm 5
    SGD(1.0, global_clipnorm=1.0).apply_gradients([(g1, w1), (g2, w2)])
    np.testing.assert_allclose(w1, [-0.6, 0.0])
    np.testing.assert_allclose(w2, [-0.8])
    np.testing.assert_array_equal(g1, [3.0, 0.0])  # the caller's gradients are untouched


def test_only_one_clipping_at_a_time():
    with pytest.raises(ValueError, match=r"Only one of `clipnorm`, `clipvalue` and "
                                         r"`global_clipnorm` can be set\. Received: "
                                         r"clipnorm=1\.0, clipvalue=2\.0\."):
        SGD(clipnorm=1.0, clipvalue=2.0)


ALL_OPTIMIZERS = {
    "sgd_momentum": lambda: SGD(0.1, momentum=0.9, weight_decay=0.01),
    "rmsprop_centered_momentum": lambda: RMSprop(0.01, momentum=0.5, centered=True),
    "adam_amsgrad": lambda: Adam(0.01, amsgrad=True, clipvalue=0.5),
    "adamw": lambda: AdamW(0.01, global_clipnorm=1.0),
    "adamax": lambda: Adamax(0.01),
    "nadam": lambda: Nadam(0.01),
    "adagrad": lambda: Adagrad(0.1),
    "adadelta": lambda: Adadelta(1.0),
    "adam_schedule": lambda: Adam(schedules.CosineDecayRestarts(0.01, 2)),
}


@pytest.mark.parametrize("case", ALL_OPTIMIZERS)
def test_every_optimizer_resumes_bit_exactly(case):
    make = ALL_OPTIMIZERS[case]
    rng = np.random.default_rng(0)
    grads = [(rng.normal(size=(3, 2)), rng.normal(size=2)) for _ in range(6)]
    W, b = np.ones((3, 2)), np.zeros(2)
    opt = make()
    for gW, gb in grads[:3]:
        opt.apply_gradients([(gW, W), (gb, b)])
    state = opt.get_state()
    saved = {k: np.asarray(v) for k, v in state.items()}  # as an .npz file holds them
    config = json.loads(json.dumps(optimizers.serialize(opt)))

    W2, b2 = W.copy(), b.copy()
    restored = optimizers.get(config)
    restored.set_state(saved, [W2, b2])
    assert set(restored.get_state()) == set(state)
    for gW, gb in grads[3:]:
        opt.apply_gradients([(gW, W), (gb, b)])
        restored.apply_gradients([(gW, W2), (gb, b2)])
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)


def test_state_keys_of_the_new_optimizers():
    def keys(opt):
        opt.apply_gradients([(np.ones(1), np.zeros(1))])
        return set(opt.get_state())

    assert keys(Adagrad()) == {"iterations", "accumulator/0"}
    assert keys(Adadelta()) == {"iterations", "accumulated_grad/0", "accumulated_delta_var/0"}
    assert keys(Adamax()) == {"iterations", "m/0", "u/0"}
    assert keys(Nadam()) == {"iterations", "m/0", "v/0", "u_product"}
    assert keys(Adam(amsgrad=True)) == {"iterations", "m/0", "v/0", "v_hat/0"}
    assert keys(RMSprop(momentum=0.9, centered=True)) == {
        "iterations", "velocity/0", "momentum/0", "average_gradient/0"}


@pytest.mark.parametrize("opt", [
    Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-6), Adadelta(rho=0.9),
    Adamax(beta_2=0.99), Nadam(weight_decay=0.1), AdamW(amsgrad=True, clipnorm=1.0),
    RMSprop(momentum=0.5, centered=True, clipvalue=2.0), SGD(global_clipnorm=3.0),
    Adam(schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True)),
], ids=repr)
def test_new_optimizers_config_round_trip(opt):
    cfg = json.loads(json.dumps(optimizers.serialize(opt)))
    rebuilt = optimizers.get(cfg)
    assert type(rebuilt) is type(opt) and rebuilt.get_config() == opt.get_config()


@pytest.mark.parametrize("name, cls", [("adamw", AdamW), ("adamax", Adamax), ("nadam", Nadam),
                                       ("adagrad", Adagrad), ("adadelta", Adadelta)])
def test_new_names_give_keras_defaults(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls and opt.learning_rate == 0.001


# ------------------------------------------------------- schedules in optimizers
def test_a_schedule_is_evaluated_at_iterations():
    schedule = schedules.PiecewiseConstantDecay([1], [0.5, 0.1])
    opt = SGD(learning_rate=schedule)
    assert opt.learning_rate == 0.5
    # steps taken at iterations 0 and 1 use 0.5; the one at iteration 2 uses 0.1
    assert _run(opt, [1.0, 1.0, 1.0]) == pytest.approx([0.5, 0.0, -0.1])
    assert opt.learning_rate == 0.1 and isinstance(opt.learning_rate, float)


def test_a_float_learning_rate_stays_settable():
    opt = Adam(0.01)
    opt.learning_rate = 0.005  # ReduceLROnPlateau does this
    assert opt.learning_rate == 0.005 and opt.get_config()["learning_rate"] == 0.005
    opt.learning_rate = schedules.ExponentialDecay(0.1, 1, 0.5)
    assert opt.learning_rate == 0.1


def test_a_scheduled_learning_rate_cannot_be_overwritten_with_a_number():
    opt = SGD(schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match=r"learning rate follows the schedule "
                                        r"ExponentialDecay\(.*\), so it cannot be set to 0\.01\. "
                                        r"Create the optimizer with a float `learning_rate`"):
        opt.learning_rate = 0.01


def test_the_schedule_is_in_the_optimizer_config():
    opt = SGD(schedules.InverseTimeDecay(0.1, 4, 0.5))
    assert opt.get_config()["learning_rate"] == {
        "class_name": "InverseTimeDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5,
                   "staircase": False, "name": "InverseTimeDecay"}}


@pytest.mark.parametrize("make", [
    lambda: Nadam(0.01, weight_decay=0.01),
    lambda: AdamW(0.01, amsgrad=True, clipvalue=1.0),
    lambda: RMSprop(0.01, momentum=0.5, centered=True),
    lambda: Adadelta(1.0),
    lambda: Adagrad(0.05, global_clipnorm=1.0),
    lambda: Adamax(0.01),
], ids=["nadam", "adamw_amsgrad", "rmsprop_centered", "adadelta", "adagrad", "adamax"])
def test_model_save_and_load_resumes_every_optimizer_exactly(tmp_path, make):
    from kerasite import Input, Sequential, models

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")

    def model():
        m = Sequential([Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
        m.compile(optimizer=make(), loss="mse")
        return m

    whole, half = model(), model()
    half.set_weights(whole.get_weights())
    half._seed = whole._seed  # the same shuffling in both runs
    whole.fit(x, y, epochs=4, batch_size=16, verbose=0)
    half.fit(x, y, epochs=2, batch_size=16, verbose=0)
    half.save(tmp_path / "half.kerasite")
    resumed = models.load_model(tmp_path / "half.kerasite")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------- one buffer for all weights
# A model packs its trained weights and gradients into two 1-D buffers
# (kerasite/optimizers/_flat.py); each rule then runs once over each buffer.
# It must give what the weight-by-weight loop gives, to the last bit.
ALL_RULES = [
    lambda: optimizers.SGD(0.1), lambda: optimizers.SGD(0.1, momentum=0.9),
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), lambda: optimizers.Adam(0.01),
    lambda: optimizers.Adam(0.01, amsgrad=True), lambda: optimizers.AdamW(0.01),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adamax(0.01), lambda: optimizers.Nadam(0.01),
    lambda: optimizers.Adagrad(0.1), lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.SGD(0.1, weight_decay=0.1), lambda: optimizers.Adam(0.01, clipnorm=0.5),
]
SHAPES = [(3, 4), (4,), (4, 2), (2,)]


def _weights_and_grads(rng, flat):
    """The same values as separate arrays, or as views into two buffers."""
    values = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(4)]
    if not flat:
        return [v.copy() for v in values], [np.empty_like(v) for v in values], grads
    total = sum(v.size for v in values)
    P, G = np.empty(total, "float32"), np.empty(total, "float32")
    params, gviews, start = [], [], 0
    for v in values:
        params.append(P[start:start + v.size].reshape(v.shape))
        gviews.append(G[start:start + v.size].reshape(v.shape))
        params[-1][...] = v
        start += v.size
    return params, gviews, grads


@pytest.mark.parametrize("make", ALL_RULES, ids=lambda m: repr(m()))
def test_one_pass_over_the_buffer_equals_the_weight_by_weight_loop(make):
    results = []
    for flat in (False, True):
        params, gbufs, grad_steps = _weights_and_grads(np.random.default_rng(0), flat)
        opt = make()
        pairs = list(zip(gbufs, params))
        for grads in grad_steps:
            for buf, g in zip(gbufs, grads):
                buf[...] = g
            opt.apply_gradients(pairs)
        assert (opt._flat is not None) == flat
        results.append(([p.copy() for p in params], opt.get_state()))
    (p_loop, s_loop), (p_flat, s_flat) = results
    for a, b in zip(p_loop, p_flat):
        np.testing.assert_array_equal(a, b)
    assert s_loop.keys() == s_flat.keys()
    for key in s_loop:
        np.testing.assert_array_equal(s_loop[key], s_flat[key])


def test_span_finds_the_buffer_only_for_consecutive_views():
    from kerasite.optimizers import _flat

    buf = np.arange(10, dtype="float32")
    a, b = buf[:4].reshape(2, 2), buf[4:10]
    assert _flat.span([a, b]).tolist() == buf.tolist()
    assert _flat.span([b, a]) is None  # out of order
    assert _flat.span([buf[:4], buf[5:]]) is None  # a gap
    assert _flat.span([buf[::2]]) is None  # not contiguous
    assert _flat.span([np.zeros(3)]) is None  # an array of its own


def _mlp():
    from kerasite import Input, Sequential

    m = Sequential([Input((4,)), layers.Dense(5, activation="relu"), layers.Dense(3),
                    layers.Dense(2)])
    m.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    return m


def test_training_packs_the_weights_and_layers_keep_the_live_arrays():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = _mlp()
    before = model.get_weights()
    model._training_setup()
    for w0, w in zip(before, model.get_weights()):  # packing keeps the values
        np.testing.assert_array_equal(w0, w)
    dense = model.layers[0]
    assert dense.W.value is dense.params["W"] and dense.dW is dense.grads["W"]
    assert dense.b.value is dense.params["b"] and dense.db is dense.grads["b"]
    assert dense.W.value.base is model.layers[2].b.value.base  # one buffer for all
    W = dense.W
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert model.optimizer._flat is not None  # the one-pass path ran
    assert dense.W is W and not np.array_equal(W, before[0])  # still live, and trained
    model.set_weights(before)  # writes into the buffer
    np.testing.assert_array_equal(W, before[0])
    state = model.optimizer.get_state()
    assert state["m/0"].shape == (4, 5) and state["v/5"].shape == (2,)


def test_freezing_a_layer_trains_the_others_from_the_same_buffer():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = _mlp()
    model.fit(x, y, epochs=1, verbose=0)
    for frozen in (0, 1):  # a prefix: the rest is still one span; the middle: per weight
        model = _mlp()
        model.fit(x, y, epochs=1, verbose=0)
        model.layers[frozen].trainable = False
        model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
        kept = model.layers[frozen].get_weights()
        others = [model.layers[i].get_weights() for i in range(3) if i != frozen]
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
        # A prefix leaves the rest one span; the middle moves the others into a new buffer.
        assert model.optimizer._flat is not None
        for a, b in zip(kept, model.layers[frozen].get_weights()):
            np.testing.assert_array_equal(a, b)
        after = [model.layers[i].get_weights() for i in range(3) if i != frozen]
        assert all(not np.array_equal(a[0], b[0]) for a, b in zip(others, after))


def test_a_model_sharing_layers_follows_when_another_model_packs_them():
    from kerasite import Input, Model

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    shared = layers.Dense(3)
    inp = Input((4,))
    small = Model(inp, shared(inp))
    small.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    small.train_on_batch(x, y)  # sets up its (gradient, weight) pairs on the own arrays
    inp2 = Input((4,))
    big = Model(inp2, layers.Dense(3)(shared(inp2)))
    big.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    big.fit(x, y, epochs=1, verbose=0)  # packs shared's weights into big's buffer
    before = shared.W.numpy()
    small.train_on_batch(x, y)
    assert not np.array_equal(shared.W, before)  # small's step reached the live weights


def test_a_layer_that_keeps_its_variables_elsewhere_still_sees_them_trained():
    from kerasite import Input, Sequential

    class Keeper(layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.kept = [self.W]  # the Variable: packing rebinds it, not the layer

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = Sequential([Input((4,)), Keeper(3), layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    keeper = model.layers[0]
    assert keeper.kept[0] is keeper.W  # the same object, with the live value
    assert model.optimizer._flat is not None
    assert keeper.kept[0].value.base is model.layers[1].b.value.base

def _xy(n=16):
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, 4)).astype("float32"),
            rng.normal(size=(n, 2)).astype("float32"))


# ------------------------------------------ build, variables, Lamb
# Optimizer.build(variables) as Keras 3's; Lamb, the rule that is not elementwise.
from kerasite import Input, Sequential, Variable  # noqa: E402
def test_optimizer_build_creates_the_slots_for_the_variables():
    w, b = Variable(np.ones((2, 3)), name="w"), Variable(np.zeros(3), name="b")
    opt = optimizers.Adam(0.1)
    assert not opt.built
    opt.build([w, b])
    assert opt.built and opt.iterations == 0
    state = opt.get_state()
    assert state["m/0"].shape == (2, 3) and state["v/1"].shape == (3,)
    assert opt._get_variable_index(b) == 1
    opt.apply_gradients([(np.ones((2, 3)), w), (np.ones(3), b)])
    np.testing.assert_allclose(w.numpy(), 0.9, rtol=1e-6)  # Adam's first step is lr * sign
    assert opt.iterations == 1
    other = Variable(np.zeros(3), name="other")
    with pytest.raises(ValueError, match=r"built for other variables: weight 1 is 'b', and it "
                                         r"now received 'other'"):
        opt.apply_gradients([(np.ones((2, 3)), w), (np.ones(3), other)])
    with pytest.raises(KeyError, match="not built for the variable 'other'"):
        opt._get_variable_index(other)


def test_apply_gradients_builds_on_first_use_and_updates_the_variable_in_place():
    v = Variable(np.array([1.0, 2.0]), name="v")
    storage = v.value
    optimizers.SGD(0.5).apply_gradients([(np.array([1.0, -1.0]), v)])
    np.testing.assert_array_equal(v.numpy(), [0.5, 2.5])
    assert v.value is storage


def test_compiling_after_freezing_rebuilds_the_optimizer_for_the_new_variables():
    x, y = _xy()
    model = _mlp()
    opt = model.optimizer
    model.fit(x, y, epochs=1, verbose=0)
    assert opt._variables == model.trainable_weights
    model.layers[0].trainable = False
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert opt._variables == model.layers[1].weights + model.layers[2].weights


# Keras 3.15.1 on JAX, keras.optimizers.Lamb(**kwargs) stepping keras.Variable(LAMB_W0) and
# keras.Variable(LAMB_B0) three times with the gradients of _lamb_grads():
#   for gw, gb in grads: opt.apply_gradients([(gw, w), (gb, b)])
LAMB_W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], "float32")
LAMB_B0 = np.array([0.1, -0.2], "float32")
KERAS_LAMB = {
    "defaults": ({}, [[0.49651193618774414, -0.9965119361877441],
                      [1.9965119361877441, 0.24651192128658295],
                      [-0.7465119361877441, 1.4965119361877441]],
                 [0.09952610731124878, -0.1995261013507843]),
    "weight_decay": ({"learning_rate": 0.01, "weight_decay": 0.1},
                     [[0.46399301290512085, -0.9624945521354675],
                      [1.9594974517822266, 0.2147422879934311],
                      [-0.7132437825202942, 1.4609959125518799]],
                     [0.09501577913761139, -0.19471609592437744]),
}


def _lamb_grads():
    g = np.array([[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2]], "float32")
    return [(g * (k + 1), np.array([0.5, -0.25], "float32") / (k + 1)) for k in range(3)]


@pytest.mark.parametrize("case", sorted(KERAS_LAMB))
def test_lamb_matches_keras(case):
    kwargs, w_keras, b_keras = KERAS_LAMB[case]
    w, b = Variable(LAMB_W0, name="w"), Variable(LAMB_B0, name="b")
    opt = optimizers.Lamb(**kwargs)
    for gw, gb in _lamb_grads():
        opt.apply_gradients([(gw, w), (gb, b)])
    np.testing.assert_allclose(w.numpy(), w_keras, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), b_keras, rtol=1e-6)


def test_lamb_defaults_and_registry_as_keras():
    opt = optimizers.get("lamb")
    assert isinstance(opt, optimizers.Lamb) and not opt.elementwise
    config = opt.get_config()  # Keras 3.15.1: learning_rate 0.001, betas 0.9/0.999, eps 1e-7
    assert (config["learning_rate"], config["beta_1"], config["beta_2"], config["epsilon"]) == \
        (0.001, 0.9, 0.999, 1e-7)
    assert optimizers.get(optimizers.serialize(opt)).get_config() == config


def test_lamb_takes_its_norms_per_weight_even_when_the_weights_share_a_buffer():
    """A non-elementwise rule gets one weight at a time, never the whole flat buffer."""
    flat = np.concatenate([LAMB_W0.ravel(), LAMB_B0])
    w, b = flat[:6].reshape(3, 2), flat[6:]
    gflat = np.empty_like(flat)
    gw, gb = gflat[:6].reshape(3, 2), gflat[6:]
    opt = optimizers.Lamb()
    pairs = [(gw, w), (gb, b)]
    for g_w, g_b in _lamb_grads():
        gw[...], gb[...] = g_w, g_b
        opt.apply_gradients(pairs)
    assert opt._flat is None
    np.testing.assert_allclose(w, KERAS_LAMB["defaults"][1], rtol=1e-6)
    np.testing.assert_allclose(b, KERAS_LAMB["defaults"][2], rtol=1e-6)


def test_lamb_trains_a_packed_model_weight_by_weight():
    x, y = _xy()
    model = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.compile(optimizer=optimizers.Lamb(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert model._flat_buffer.params is not None and model.optimizer._flat is None
    assert model.evaluate(x, y, verbose=0) < before


def test_lamb_state_survives_a_keras_file(tmp_path):
    # Keras 3 lays Lamb's slots out interleaved (momentum, velocity per variable); Keras
    # 3.15.1 loads such a file with the optimizer's iterations and slots.
    pytest.importorskip("h5py")
    from kerasite.models import load_model

    x, y = _xy()
    model = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.compile(optimizer=optimizers.Lamb(0.01), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "lamb.keras")
    loaded = load_model(tmp_path / "lamb.keras")
    assert isinstance(loaded.optimizer, optimizers.Lamb)
    want, got = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert want.keys() == got.keys() and got["iterations"] == 2
    for key in want:
        np.testing.assert_array_equal(want[key], got[key])
