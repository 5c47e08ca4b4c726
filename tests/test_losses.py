"""Tests of kerasite/losses.py: values and gradients computed by hand, with Keras's reduction.

Keras reduces MSE, MAE and binary cross-entropy by a mean over the last axis
and then a mean over the batch; categorical cross-entropies by a sum over the
classes and then a mean over the samples. The expected values below are
written out in that order.
"""

import json
import math
import warnings
from math import exp, log

import numpy as np
import pytest

from kerasite import losses
from kerasite.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)

EPS = 1e-7


def _sigmoid(v):
    return 1 / (1 + exp(-v))


# --------------------------------------------------------------- MSE and MAE
Y_TRUE = np.array([[0.0, 1.0], [2.0, 3.0]])
Y_PRED = np.array([[1.0, 1.0], [2.0, 1.0]])


def test_mse():
    loss = MeanSquaredError()
    # sample means: (1 + 0) / 2 = 0.5 and (0 + 4) / 2 = 2; batch mean 1.25
    assert loss(Y_TRUE, Y_PRED) == pytest.approx((0.5 + 2.0) / 2)
    # d/dpred of the mean of 4 squares: 2 (pred - true) / 4
    np.testing.assert_allclose(loss.backward(), [[0.5, 0.0], [0.0, -1.0]])


def test_mse_on_3d_outputs_is_the_mean_of_the_sample_means():
    y_true = np.zeros((2, 2, 2))
    y_pred = np.array([[[1.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [3.0, 1.0]]])
    per_row = [(1 + 1) / 2, (4 + 0) / 2, 0.0, (9 + 1) / 2]
    assert MeanSquaredError()(y_true, y_pred) == pytest.approx(sum(per_row) / 4)


def test_mae():
    loss = MeanAbsoluteError()
    # sample means: (1 + 0) / 2 = 0.5 and (0 + 2) / 2 = 1; batch mean 0.75
    assert loss(Y_TRUE, Y_PRED) == pytest.approx((0.5 + 1.0) / 2)
    np.testing.assert_allclose(loss.backward(), [[0.25, 0.0], [0.0, -0.25]])


# ----------------------------------------------------------------------- BCE
def test_binary_crossentropy_on_probabilities():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.array([[0.8, 0.4], [0.3, 0.9]])
    loss = BinaryCrossentropy()
    sample_1 = (-log(0.8) - log(1 - 0.4)) / 2
    sample_2 = (-log(1 - 0.3) - log(0.9)) / 2
    assert loss(y, p) == pytest.approx((sample_1 + sample_2) / 2)
    # d/dp: -1/p where y = 1, 1/(1 - p) where y = 0; divided by the 4 elements
    expected = np.array([[-1 / 0.8, 1 / 0.6], [1 / 0.7, -1 / 0.9]]) / 4
    np.testing.assert_allclose(loss.backward(), expected)


def test_binary_crossentropy_on_soft_labels():
    loss = BinaryCrossentropy()
    assert loss(np.array([[0.25]]), np.array([[0.5]])) == pytest.approx(log(2))
    # (p - y) / (p (1 - p)) = 0.25 / 0.25
    np.testing.assert_allclose(loss.backward(), [[1.0]])


def test_binary_crossentropy_on_logits():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    x = np.array([[0.0, 2.0], [-1.0, 3.0]])
    loss = BinaryCrossentropy(from_logits=True)
    # -log sigmoid(x) = log(1 + e^-x) where y = 1;  -log(1 - sigmoid(x)) = log(1 + e^x) where y = 0
    sample_1 = (log(2) + log(1 + exp(2))) / 2
    sample_2 = (log(1 + exp(-1)) + log(1 + exp(-3))) / 2
    assert loss(y, x) == pytest.approx((sample_1 + sample_2) / 2)
    expected = np.array([[_sigmoid(0) - 1, _sigmoid(2)], [_sigmoid(-1), _sigmoid(3) - 1]]) / 4
    np.testing.assert_allclose(loss.backward(), expected)


def test_logits_and_probabilities_agree():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    y = rng.integers(0, 2, size=(5, 3)).astype(float)
    p = 1 / (1 + np.exp(-x))
    assert BinaryCrossentropy(from_logits=True)(y, x) == pytest.approx(BinaryCrossentropy()(y, p))


# ----------------------------------------------------------------------- CCE
def test_categorical_crossentropy_on_probabilities():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    loss = CategoricalCrossentropy()
    # sum over the classes, mean over the 2 samples
    assert loss(y, p) == pytest.approx((-log(0.7) - log(0.5)) / 2)
    # The loss is of p / sum(p): with sum(p) = 1, d/dp_j = (sum(y) - y_j / p_j) / batch.
    expected = np.array([[1.0, 1 - 1 / 0.7, 1.0], [1 - 1 / 0.5, 1.0, 1.0]]) / 2
    np.testing.assert_allclose(loss.backward(), expected)


def test_categorical_crossentropy_normalises_the_probabilities():
    # [1, 3] is read as [0.25, 0.75], as Keras does
    assert CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[1.0, 3.0]])) == \
        pytest.approx(-log(0.75))


def test_categorical_crossentropy_on_logits():
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    loss = CategoricalCrossentropy(from_logits=True)
    total = exp(1) + exp(2) + exp(3)
    assert loss(y, x) == pytest.approx((-log(exp(3) / total) - log(1 / 3)) / 2)
    softmax = np.array([[exp(1) / total, exp(2) / total, exp(3) / total], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(loss.backward(), (softmax - y) / 2)


def test_categorical_crossentropy_on_3d_outputs_averages_over_every_sample_axis():
    y = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])
    p = np.array([[[0.5, 0.5], [0.2, 0.8]], [[0.9, 0.1], [0.4, 0.6]]])
    expected = (-log(0.5) - log(0.8) - log(0.9) - log(0.4)) / 4
    assert CategoricalCrossentropy()(y, p) == pytest.approx(expected)


def test_sparse_categorical_crossentropy_equals_the_one_hot_version():
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = (-log(0.7) - log(0.5)) / 2
    for labels in (np.array([1, 0]), np.array([[1], [0]]), np.array([1.0, 0.0])):
        loss = SparseCategoricalCrossentropy()
        assert loss(labels, p) == pytest.approx(expected)
        np.testing.assert_allclose(
            loss.backward(), np.array([[1.0, 1 - 1 / 0.7, 1.0], [1 - 1 / 0.5, 1.0, 1.0]]) / 2)


def test_sparse_categorical_crossentropy_on_logits():
    x = np.array([[1.0, 2.0, 3.0]])
    loss = SparseCategoricalCrossentropy(from_logits=True)
    total = exp(1) + exp(2) + exp(3)
    assert loss(np.array([0]), x) == pytest.approx(-log(exp(1) / total))
    np.testing.assert_allclose(loss.backward(),
                               [[exp(1) / total - 1, exp(2) / total, exp(3) / total]])


# ---------------------------------------------------------------- stability
def _quiet(loss, y, pred):
    """Loss and gradient, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(y, pred)
        grad = loss.backward()
    assert math.isfinite(value)
    assert np.all(np.isfinite(grad))
    return value, grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_crossentropy_on_huge_logits(dtype):
    x = np.array([[1000.0, -1000.0]], dtype=dtype)
    wrong, grad = _quiet(BinaryCrossentropy(from_logits=True), np.array([[0.0, 1.0]]), x)
    assert wrong == pytest.approx(1000.0)  # (1000 + 1000) / 2
    np.testing.assert_allclose(grad, [[0.5, -0.5]])
    right, grad = _quiet(BinaryCrossentropy(from_logits=True), np.array([[1.0, 0.0]]), x)
    assert right == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(grad, [[0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SparseCategoricalCrossentropy])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_crossentropy_on_huge_logits(cls, dtype):
    x = np.array([[1000.0, -1000.0]], dtype=dtype)
    y = np.array([[0.0, 1.0]]) if cls is CategoricalCrossentropy else np.array([1])
    value, grad = _quiet(cls(from_logits=True), y, x)
    assert value == pytest.approx(2000.0)
    np.testing.assert_allclose(grad, [[1.0, -1.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_crossentropy_on_probabilities_of_exactly_0_and_1(dtype):
    p = np.array([[0.0, 1.0]], dtype=dtype)
    value, grad = _quiet(BinaryCrossentropy(), np.array([[0.0, 1.0]]), p)
    assert 0 <= value < 1e-6
    value, grad = _quiet(BinaryCrossentropy(), np.array([[1.0, 0.0]]), p)
    # Probabilities are clipped to [eps, 1 - eps]; in float32, 1 - eps rounds to 1 - 1.19e-7.
    assert value == pytest.approx(-log(EPS), rel=1e-2)
    assert grad[0, 0] < 0 < grad[0, 1]  # a saturated output still learns


@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SparseCategoricalCrossentropy])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_crossentropy_on_probabilities_of_exactly_0_and_1(cls, dtype):
    p = np.array([[0.0, 1.0]], dtype=dtype)
    sparse = cls is SparseCategoricalCrossentropy
    value, _ = _quiet(cls(), np.array([1]) if sparse else np.array([[0.0, 1.0]]), p)
    assert 0 <= value < 1e-6
    value, grad = _quiet(cls(), np.array([0]) if sparse else np.array([[1.0, 0.0]]), p)
    assert value == pytest.approx(-log(EPS), rel=1e-2)
    assert grad[0, 0] < 0


# -------------------------------------------------------------------- dtype
@pytest.mark.parametrize("loss, y", [
    (MeanSquaredError(), np.ones((2, 3))),
    (MeanAbsoluteError(), np.ones((2, 3))),
    (BinaryCrossentropy(), np.ones((2, 3))),
    (BinaryCrossentropy(from_logits=True), np.ones((2, 3))),
    (CategoricalCrossentropy(), np.eye(3)[[0, 2]]),
    (CategoricalCrossentropy(from_logits=True), np.eye(3)[[0, 2]]),
    (SparseCategoricalCrossentropy(), np.array([0, 2])),
    (SparseCategoricalCrossentropy(from_logits=True), np.array([0, 2])),
], ids=["mse", "mae", "bce", "bce_logits", "cce", "cce_logits", "scce", "scce_logits"])
def test_gradient_keeps_the_prediction_dtype(loss, y):
    pred = np.full((2, 3), 0.3, dtype="float32")
    assert isinstance(loss(y, pred), float)
    grad = loss.backward()
    assert grad.dtype == np.float32 and grad.shape == (2, 3)


# ------------------------------------------------------------ registry, config
@pytest.mark.parametrize("name, cls", [
    ("mse", MeanSquaredError), ("mean_squared_error", MeanSquaredError),
    ("mae", MeanAbsoluteError), ("MAE", MeanAbsoluteError),
    ("mean_absolute_error", MeanAbsoluteError),
    ("binary_crossentropy", BinaryCrossentropy),
    ("categorical_crossentropy", CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", SparseCategoricalCrossentropy),
])
def test_get_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_returns_an_instance_unchanged():
    loss = BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss


@pytest.mark.parametrize("identifier", ["hingee", None, 3])
def test_unknown_loss_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match=r"Unknown loss: .*Valid names are "
                                         r"\['bce', 'binary_crossentropy', "
                                         r"'binary_focal_crossentropy', 'categorical_crossentropy', "
                                         r"'categorical_hinge', 'cosine_similarity', 'hinge', "):
        losses.get(identifier)


def test_unknown_loss_class_lists_the_valid_classes():
    with pytest.raises(ValueError, match=r"Unknown loss class: 'Hingee'\. Did you mean 'Hinge'\? "
                                         r"Valid classes are "
                                         r"\[.*'Hinge', .*\]\. Register a custom class with "
                                         r"@kerasite\.saving\.register_keras_serializable"):
        losses.get({"class_name": "Hingee"})


@pytest.mark.parametrize("loss", [
    MeanSquaredError(), MeanAbsoluteError(), BinaryCrossentropy(),
    BinaryCrossentropy(from_logits=True), CategoricalCrossentropy(),
    CategoricalCrossentropy(from_logits=True), SparseCategoricalCrossentropy(),
    SparseCategoricalCrossentropy(from_logits=True),
], ids=repr)
def test_config_round_trip(loss):
    cfg = loss.get_config()
    json.dumps(cfg)
    again = type(loss).from_config(cfg)
    assert type(again) is type(loss) and again.get_config() == cfg
    form = losses.serialize(loss)
    assert form == {"class_name": type(loss).__name__, "config": cfg}
    rebuilt = losses.get(json.loads(json.dumps(form)))
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == cfg


def test_from_logits_is_in_the_config():
    assert BinaryCrossentropy(from_logits=True).get_config() == {"from_logits": True,
                                                                 "label_smoothing": 0.0}
    assert SparseCategoricalCrossentropy().get_config() == {"from_logits": False}
    assert repr(CategoricalCrossentropy(from_logits=True)) == \
        "CategoricalCrossentropy(from_logits=True, label_smoothing=0.0)"


# ------------------------------------------------------------------- errors
def test_shapes_must_match():
    with pytest.raises(ValueError, match=r"MeanSquaredError needs `y_true` and `y_pred` of the "
                                         r"same shape\. Received: y_true\.shape=\(2, 3\), "
                                         r"y_pred\.shape=\(2, 2\)"):
        MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 2)))


def test_sparse_with_one_hot_labels_suggests_categorical():
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy needs integer labels of "
                                         r"shape \(2,\).*These labels look one-hot encoded: use "
                                         r"loss='categorical_crossentropy'"):
        SparseCategoricalCrossentropy()(np.eye(3)[[0, 2]], np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("labels, low, high", [([0, 3], "0", "3"), ([-1, 1], "-1", "1"),
                                               ([0.5, 1.0], "0.5", "1.0")])
def test_sparse_labels_must_be_class_indices(labels, low, high):
    with pytest.raises(ValueError, match=rf"SparseCategoricalCrossentropy needs integer class "
                                         rf"indices in \[0, 3\)\. Received labels from {low} to "
                                         rf"{high}\."):
        SparseCategoricalCrossentropy()(np.array(labels), np.full((2, 3), 1 / 3))


def test_categorical_with_integer_labels_suggests_sparse():
    with pytest.raises(ValueError, match=r"CategoricalCrossentropy needs `y_true` and `y_pred` of "
                                         r"the same shape.*These labels look like integer class "
                                         r"indices: use loss='sparse_categorical_crossentropy'"):
        CategoricalCrossentropy()(np.array([0, 2]), np.full((2, 3), 1 / 3))


# ======================================================= the losses Keras added
# Reference values from a Keras 3.15.1 run (JAX backend, jax_enable_x64, floatx float64):
#   keras.losses.<Class>(...)(y_true, y_pred) and (..., sample_weight=SW)
# Some Keras ops ran in float32 on the way, hence rel=1e-6.
YT = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 2.0]])
YP = np.array([[0.3, 0.8, 1.9], [0.6, 0.1, -0.4]])
PP = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])  # probabilities
OH = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # one-hot
PM = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]])  # -1/1 labels
SW = np.array([0.5, 2.0])

KERAS_CASES = {
    "huber": (lambda: losses.Huber(), YT, YP, 0.49166667461395264, 0.7420833557844162),
    "huber_delta": (lambda: losses.Huber(delta=0.5), YT, YP, 0.30000002682209015,
                    0.44000004976987839),
    "log_cosh": (lambda: losses.LogCosh(), YT, YP, 0.43801477551460266, 0.66850592195987701),
    "kld": (lambda: losses.KLDivergence(), OH * 0.9 + 0.05, PP, 0.31747894530499809,
            0.49535252311777289),
    "hinge_01": (lambda: losses.Hinge(), OH, YP, 1.0833333432674408, 1.0666666626930237),
    "hinge_pm": (lambda: losses.Hinge(), PM, YP, 1.0666667222976685, 1.5083334147930145),
    "squared_hinge": (lambda: losses.SquaredHinge(), OH, YP, 1.9783332943916321,
                      1.42166668176651),
    "categorical_hinge": (lambda: losses.CategoricalHinge(), OH, YP, 1.2999999999999998,
                          1.0249999999999999),
    "cosine": (lambda: losses.CosineSimilarity(), YT, YP, -0.31424193021506031,
               -0.064976697582437432),
    "mape": (lambda: losses.MeanAbsolutePercentageError(), YT, YP, 66666743.75, 58333412.5),
    "msle": (lambda: losses.MeanSquaredLogarithmicError(), YT, YP, 0.2967277467250824,
             0.46482034772634506),
    "poisson": (lambda: losses.Poisson(), YT, PP, 1.1622836589813232, 1.697575569152832),
    "focal": (lambda: losses.BinaryFocalCrossentropy(), OH, PP, 0.041887858882546425,
              0.073255694471299648),
    "focal_balanced": (lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.3, gamma=1.5, label_smoothing=0.1), OH, PP,
        0.03305564820766449, 0.052931910380721092),
    "focal_logits": (lambda: losses.BinaryFocalCrossentropy(from_logits=True), OH, YP,
                     0.36725501343607903, 0.26930519193410873),
    "bce_smoothing": (lambda: BinaryCrossentropy(label_smoothing=0.2), OH, PP,
                      0.43608243763446808, 0.59009968489408493),
    "bce_logits_smoothing": (lambda: BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
                             OH, YP, 0.81829047203063965, 0.85537022352218628),
    "cce_smoothing": (lambda: CategoricalCrossentropy(label_smoothing=0.2), OH, PP,
                      0.67774331153835787, 0.92804675924513247),
    "cce_logits_smoothing": (lambda: CategoricalCrossentropy(from_logits=True,
                                                             label_smoothing=0.2),
                             OH, YP, 1.1343243203350597, 1.1523644131488309),
    "mse": (lambda: MeanSquaredError(), YT, YP, 1.3366667628288269, 2.1508334875106812),
    "mae": (lambda: MeanAbsoluteError(), YT, YP, 0.80000001192092896, 1.1250000298023224),
}


@pytest.mark.parametrize("case", KERAS_CASES)
def test_value_and_weighted_value_match_keras(case):
    make, y, p, unweighted, weighted = KERAS_CASES[case]
    assert make()(y, p) == pytest.approx(unweighted, rel=1e-6)
    assert make()(y, p, sample_weight=SW) == pytest.approx(weighted, rel=1e-6)


def test_hand_computed_new_losses():
    e = np.array([[0.5, 3.0]])
    # Huber(1): 0.5 * 0.25 and 3 - 0.5, averaged
    assert losses.Huber()(np.zeros((1, 2)), e) == pytest.approx((0.125 + 2.5) / 2)
    assert losses.LogCosh()(np.zeros((1, 2)), e) == pytest.approx(
        (math.log(math.cosh(0.5)) + math.log(math.cosh(3.0))) / 2)
    # Poisson: p - y log(p + eps)
    assert losses.Poisson()(np.array([[2.0]]), np.array([[3.0]])) == pytest.approx(
        3 - 2 * log(3 + EPS))
    # categorical hinge: true class scores 0.3, best wrong 0.7 -> 0.7 - 0.3 + 1
    assert losses.CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.7, 0.3]])) == \
        pytest.approx(1.4)


# ---------------------------------------------------------- gradient checks
def _numeric_grad(f, p, eps=1e-6):
    grad = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + eps
        plus = f(p)
        p[i] = old - eps
        minus = f(p)
        p[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


RNG = np.random.default_rng(7)
P = RNG.uniform(0.15, 0.85, size=(4, 3))  # away from every clip
X = RNG.normal(size=(4, 3)) * 2  # logits / regression outputs
ONE_HOT = np.eye(3)[RNG.integers(0, 3, size=4)]
BINARY = RNG.integers(0, 2, size=(4, 3)).astype(float)
# Regression targets at least 0.2 from X: no kink of |.|, Huber or hinge within reach.
TARGET = X + RNG.choice([-1.0, 1.0], size=X.shape) * RNG.uniform(0.2, 0.6, size=X.shape)
WEIGHTS = np.array([0.5, 2.0, 0.0, 1.5])

GRAD_CASES = {
    "mse": (lambda: MeanSquaredError(), TARGET, X),
    "mae": (lambda: MeanAbsoluteError(), TARGET, X),
    "mape": (lambda: losses.MeanAbsolutePercentageError(), TARGET, X),
    "msle": (lambda: losses.MeanSquaredLogarithmicError(), P * 3, P),
    "huber": (lambda: losses.Huber(), TARGET, X),
    "huber_delta": (lambda: losses.Huber(delta=0.3), TARGET, X),
    "log_cosh": (lambda: losses.LogCosh(), TARGET, X),
    "cosine": (lambda: losses.CosineSimilarity(), TARGET, X),
    "poisson": (lambda: losses.Poisson(), BINARY * 2, P),
    "kld": (lambda: losses.KLDivergence(), ONE_HOT * 0.8 + 0.05, P),
    "hinge": (lambda: losses.Hinge(), BINARY, P * 2.5),
    "squared_hinge": (lambda: losses.SquaredHinge(), BINARY, P * 2.5),
    "categorical_hinge": (lambda: losses.CategoricalHinge(), ONE_HOT, X),
    "bce": (lambda: BinaryCrossentropy(), BINARY, P),
    "bce_smoothing": (lambda: BinaryCrossentropy(label_smoothing=0.1), BINARY, P),
    "bce_logits_smoothing": (lambda: BinaryCrossentropy(from_logits=True, label_smoothing=0.3),
                             BINARY, X),
    "cce_smoothing": (lambda: CategoricalCrossentropy(label_smoothing=0.1), ONE_HOT, P),
    "cce_logits_smoothing": (lambda: CategoricalCrossentropy(from_logits=True,
                                                             label_smoothing=0.3), ONE_HOT, X),
    "scce": (lambda: SparseCategoricalCrossentropy(), ONE_HOT.argmax(1), P),
    "focal": (lambda: losses.BinaryFocalCrossentropy(), BINARY, P),
    "focal_gamma_half": (lambda: losses.BinaryFocalCrossentropy(gamma=0.5), BINARY, P),
    "focal_gamma_0": (lambda: losses.BinaryFocalCrossentropy(gamma=0.0), BINARY, P),
    "focal_balanced_smoothing": (lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.3, label_smoothing=0.2), BINARY, P),
    "focal_logits": (lambda: losses.BinaryFocalCrossentropy(from_logits=True), BINARY, X),
}


@pytest.mark.parametrize("case", GRAD_CASES)
def test_backward_matches_finite_differences_through_check_gradients(float64, case):
    """d loss / d y_pred through kerasite.gradcheck, with a parameter-free Linear layer."""
    from kerasite import layers
    from kerasite.gradcheck import check_gradients

    make, y, p = GRAD_CASES[case]
    report = check_gradients(layers.Linear(), p.copy(), y, make())
    assert report.max_rel_diff < 1e-6, f"\n{report}"


@pytest.mark.parametrize("weights", [WEIGHTS, WEIGHTS[:, None]], ids=["(batch,)", "(batch, 1)"])
@pytest.mark.parametrize("case", GRAD_CASES)
def test_weighted_backward_matches_finite_differences(case, weights):
    make, y, p = GRAD_CASES[case]
    loss = make()
    p = p.copy()
    loss.forward(y, p, sample_weight=weights)
    analytic = loss.backward().copy()
    numeric = _numeric_grad(lambda q: make().forward(y, q, sample_weight=weights), p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert np.all(analytic[2] == 0)  # the sample of weight 0 gets no gradient


def test_sample_weights_follow_keras_reduction_by_hand():
    # per-sample MSE: 1 and 4; weights 3 and 0 -> (3 * 1 + 0 * 4) / 2 samples
    loss = MeanSquaredError()
    assert loss(np.zeros((2, 1)), np.array([[1.0], [2.0]]), sample_weight=[3.0, 0.0]) == 1.5
    np.testing.assert_allclose(loss.backward(), [[3.0], [0.0]])  # 3 * 2 * 1 / 2
    # 3-D outputs: a (batch,) weight applies to every step of its sample
    y_pred = np.ones((2, 2, 1))
    assert loss(np.zeros((2, 2, 1)), y_pred, sample_weight=[1.0, 3.0]) == \
        pytest.approx((1 + 1 + 3 + 3) / 4)
    # weights of 1 change nothing
    assert loss(YT, YP, sample_weight=np.ones(2)) == pytest.approx(loss(YT, YP))


def test_bad_sample_weights_are_refused():
    with pytest.raises(ValueError, match=r"MeanSquaredError: `sample_weight` must have one weight "
                                         r"per sample, shape \(2,\).*Received: "
                                         r"sample_weight\.shape=\(3,\)"):
        MeanSquaredError()(YT, YP, sample_weight=np.ones(3))
    with pytest.raises(TypeError, match=r"`sample_weight` must be an array of numbers"):
        MeanSquaredError()(YT, YP, sample_weight=["a", "b"])


# ------------------------------------------------------ fused crossentropy
# tf.keras computes the crossentropy from the logits when the output is a sigmoid/softmax.
# Reference: Keras 3.15.1 (JAX backend), float32, from_logits=True on these logits, and
# from_logits=False on the float32 sigmoid/softmax outputs (clipped at 1e-7):
SAT_X = np.array([[-25.0, 3.0], [40.0, -0.5]], dtype="float32")
SAT_Y = np.array([[1.0, 1.0], [0.0, 1.0]], dtype="float32")
SAT_XC = np.array([[30.0, -10.0, 0.0], [1.0, 2.0, 3.0]], dtype="float32")
SAT_YC = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype="float32")


def _sigmoid32(x):
    return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def _softmax32(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def test_fused_binary_crossentropy_matches_keras_on_saturated_outputs():
    loss = BinaryCrossentropy()
    assert loss.forward_from_logits(SAT_Y, SAT_X) == pytest.approx(16.505664825439453, rel=1e-6)
    grad = loss.backward()
    assert grad.dtype == np.float32
    # confidently wrong outputs still get the full gradient (p - y) / 4 elements
    np.testing.assert_allclose(grad, (_sigmoid32(SAT_X) - SAT_Y) / 4, rtol=1e-6, atol=1e-9)
    assert grad[0, 0] == pytest.approx(-0.25) and grad[1, 0] == pytest.approx(0.25)
    # the clipped path on the probabilities, as Keras computes it without logits
    assert loss(SAT_Y, _sigmoid32(SAT_X)) == pytest.approx(8.27078628540039, rel=1e-5)


@pytest.mark.parametrize("sparse", [False, True])
def test_fused_categorical_crossentropy_matches_keras_on_saturated_outputs(sparse):
    loss = SparseCategoricalCrossentropy() if sparse else CategoricalCrossentropy()
    y = SAT_YC.argmax(-1) if sparse else SAT_YC
    assert loss.forward_from_logits(y, SAT_XC) == pytest.approx(20.20380210876465, rel=1e-6)
    grad = loss.backward()
    np.testing.assert_allclose(grad, (_softmax32(SAT_XC) - SAT_YC) / 2, rtol=1e-5, atol=1e-8)
    assert grad[0, 1] == pytest.approx(-0.5)
    if not sparse:
        assert loss(y, _softmax32(SAT_XC)) == pytest.approx(8.262850761413574, rel=1e-5)


@pytest.mark.parametrize("make, y", [
    (lambda: BinaryCrossentropy(), BINARY),
    (lambda: BinaryCrossentropy(label_smoothing=0.2), BINARY),
    (lambda: CategoricalCrossentropy(), ONE_HOT),
    (lambda: CategoricalCrossentropy(label_smoothing=0.2), ONE_HOT),
    (lambda: SparseCategoricalCrossentropy(), ONE_HOT.argmax(1)),
], ids=["bce", "bce_smoothing", "cce", "cce_smoothing", "scce"])
@pytest.mark.parametrize("weights", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_fused_backward_matches_finite_differences(make, y, weights):
    loss, x = make(), X.copy()
    value = loss.forward_from_logits(y, x, sample_weight=weights)
    analytic = loss.backward().copy()
    numeric = _numeric_grad(lambda q: make().forward_from_logits(y, q, sample_weight=weights), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # the same value as the loss on the probabilities, away from the clipping
    activate = (lambda v: 1 / (1 + np.exp(-v))) if isinstance(loss, BinaryCrossentropy) \
        else (lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True))
    assert value == pytest.approx(make()(y, activate(X), sample_weight=weights), rel=1e-9)


def test_fused_gradient_is_p_minus_y_over_n():
    loss = BinaryCrossentropy()
    loss.forward_from_logits(BINARY, X)
    np.testing.assert_allclose(loss.backward(), (1 / (1 + np.exp(-X)) - BINARY) / X.size)


# ----------------------------------------------------------- function forms
def test_function_forms_return_per_sample_values_as_keras():
    # keras.losses.mean_absolute_error(YT, YP) -> [0.63333333, 0.9666667] (Keras 3.15.1)
    np.testing.assert_allclose(losses.mae(YT, YP), [0.6333333333, 0.9666666667])
    np.testing.assert_allclose(losses.mean_squared_error(YT, YP),
                               ((YP - YT) ** 2).mean(axis=1))
    np.testing.assert_allclose(losses.huber(YT, YP, delta=0.5).mean(), 0.3)
    np.testing.assert_allclose(losses.kld(OH * 0.9 + 0.05, PP).mean(), 0.31747894530499809)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([1, 0], PP),
                               [-log(0.7), -log(0.5)])
    assert losses.mse is losses.mean_squared_error and losses.logcosh is losses.log_cosh


@pytest.mark.parametrize("name, cls", [
    ("huber", losses.Huber), ("huber_loss", losses.Huber), ("log_cosh", losses.LogCosh),
    ("logcosh", losses.LogCosh), ("kl_divergence", losses.KLDivergence),
    ("kld", losses.KLDivergence), ("KLD", losses.KLDivergence), ("hinge", losses.Hinge),
    ("squared_hinge", losses.SquaredHinge), ("categorical_hinge", losses.CategoricalHinge),
    ("cosine_similarity", losses.CosineSimilarity),
    ("mape", losses.MeanAbsolutePercentageError),
    ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError),
    ("msle", losses.MeanSquaredLogarithmicError), ("poisson", losses.Poisson),
    ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy), ("bce", BinaryCrossentropy),
    ("MeanSquaredError", MeanSquaredError), ("Huber", losses.Huber),
])
def test_get_every_keras_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_function_forms_and_classes():
    assert type(losses.get(losses.mae)) is MeanAbsoluteError
    assert type(losses.get(losses.huber)) is losses.Huber
    assert type(losses.get(losses.Poisson)) is losses.Poisson


def test_a_plain_function_loss_that_uses_numpy_says_which_op_to_use():
    """A function loss is differentiated by a tape: a NumPy method on y_pred is refused."""
    def my_loss(y_true, y_pred):
        return np.mean((y_true - y_pred) ** 4)

    loss = losses.get(my_loss)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "my_loss"
    with pytest.raises(TypeError, match=r"`np\.mean` was given a Tensor while a GradientTape "
                                        r"records.*Use `kerasite\.ops\.mean` instead"):
        loss.forward(np.zeros((2, 1)), np.ones((2, 1)))


def test_the_subclass_shown_in_the_error_works(float64):
    """The example in the TypeError (and the guide) trains: its gradient is right."""
    from kerasite import layers
    from kerasite.gradcheck import check_gradients

    class MeanFourthPower(losses.Loss):
        def forward(self, y_true, y_pred, sample_weight=None):
            self.diff = y_pred - y_true
            return float(np.mean(self.diff ** 4))

        def backward(self):
            return 4 * self.diff ** 3 / self.diff.size

    assert check_gradients(layers.Linear(), X.copy(), TARGET, MeanFourthPower()).max_rel_diff \
        < 1e-6


@pytest.mark.parametrize("loss", [
    losses.Huber(delta=0.5), losses.LogCosh(), losses.KLDivergence(), losses.Hinge(),
    losses.SquaredHinge(), losses.CategoricalHinge(), losses.CosineSimilarity(),
    losses.MeanAbsolutePercentageError(), losses.MeanSquaredLogarithmicError(), losses.Poisson(),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0,
                                   from_logits=True, label_smoothing=0.1),
    BinaryCrossentropy(label_smoothing=0.2), CategoricalCrossentropy(label_smoothing=0.1),
], ids=repr)
def test_new_losses_config_round_trip(loss):
    form = json.loads(json.dumps(losses.serialize(loss)))
    rebuilt = losses.get(form)
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == loss.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: losses.Huber(delta=0), r"`delta` must be a finite number > 0\. Received: delta=0"),
    (lambda: BinaryCrossentropy(label_smoothing=1.5),
     r"`label_smoothing` must be a number in \[0, 1\]\. Received: label_smoothing=1\.5"),
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1),
     r"`gamma` must be a finite number >= 0\. Received: gamma=-1"),
    (lambda: losses.CosineSimilarity(axis=0), r"supports only `axis=-1`"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("loss", [
    losses.Huber(), losses.LogCosh(), losses.KLDivergence(), losses.Hinge(),
    losses.CategoricalHinge(), losses.CosineSimilarity(), losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(), losses.Poisson(), losses.BinaryFocalCrossentropy(),
], ids=repr)
def test_new_losses_keep_the_prediction_dtype(loss):
    pred = np.full((2, 3), 0.3, dtype="float32")
    assert isinstance(loss(np.eye(3)[[0, 2]], pred, sample_weight=[1.0, 2.0]), float)
    grad = loss.backward()
    assert grad.dtype == np.float32 and grad.shape == (2, 3)


# ------------------------------------------------------ hostile inputs
_ODD_INPUTS = [np.zeros((3,)), np.ones((2, 3)), np.ones((2, 3), dtype=int),
               np.ones((2, 3), dtype=bool), np.array([[np.nan, 1, 2]]), np.ones((2, 2, 3)),
               np.array("a"), np.array([]), np.ones((2, 3), dtype=complex), np.array([0, 2]),
               np.ones((1, 1))]


@pytest.mark.parametrize("loss", [
    losses.Huber(), losses.LogCosh(), losses.KLDivergence(), losses.Hinge(),
    losses.SquaredHinge(), losses.CategoricalHinge(), losses.CosineSimilarity(),
    losses.MeanAbsolutePercentageError(), losses.MeanSquaredLogarithmicError(), losses.Poisson(),
    losses.BinaryFocalCrossentropy(from_logits=True), BinaryCrossentropy(label_smoothing=0.1),
    CategoricalCrossentropy(label_smoothing=0.1), SparseCategoricalCrossentropy(),
], ids=repr)
def test_odd_inputs_work_or_get_a_clear_error(loss):
    """Every pairing of odd arrays (and weights) either works or raises a message naming it."""
    for y_true in _ODD_INPUTS:
        for y_pred in _ODD_INPUTS:
            for weights in (None, [1.0, 2.0]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        value = loss(y_true, y_pred, sample_weight=weights)
                        grad = loss.backward()
                    except (ValueError, TypeError) as exc:
                        assert type(loss).__name__ in str(exc) or "`" in str(exc), str(exc)
                        continue
                assert isinstance(value, float) and grad.shape == y_pred.shape


# ============================================ losses under a GradientTape
@pytest.mark.parametrize("cls", sorted(set(losses._BY_NAME.values()), key=lambda c: c.__name__))
def test_a_loss_called_under_a_tape_is_one_op_with_backward_as_its_gradient(cls, float64):
    from kerasite import GradientTape, ops

    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, (5, 3))
    if cls is losses.SparseCategoricalCrossentropy:
        y = np.array([0, 2, 1, 1, 0])
    else:
        y = rng.uniform(0.0, 1.0, (5, 3))
    w = np.array([1.0, 0.5, 2.0, 0.0, 1.0])
    loss = cls()
    value = loss.forward(y, p, w)
    expected = loss.backward().copy()
    pred = ops.convert_to_tensor(p)
    with GradientTape() as tape:
        tape.watch(pred)
        out = ops.multiply(loss(y, pred, w), 3.0)  # recorded, and usable in further ops
    assert float(out) == pytest.approx(3 * value, rel=1e-12)
    np.testing.assert_allclose(tape.gradient(out, pred), 3 * expected, rtol=1e-12)


def test_a_function_loss_config_names_its_function():
    from kerasite import ops

    def unregistered(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)

    config = losses.serialize(losses.get(unregistered))
    assert config["class_name"] == "LossFunctionWrapper"
    assert config["config"]["fn"]["config"] == "unregistered"
    with pytest.raises(TypeError, match=r"Could not locate the loss function 'unregistered'\. "
                                        r"Decorate it with @kerasite\.saving\."
                                        r"register_keras_serializable\(\)"):
        losses.deserialize(config)
