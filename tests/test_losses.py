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


@pytest.mark.parametrize("identifier", ["hinge", None, 3, {"class_name": "Hinge"}])
def test_unknown_loss_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match=r"Unknown loss: .*Valid names are "
                                         r"\['binary_crossentropy', 'categorical_crossentropy', "
                                         r"'mae', 'mean_absolute_error', 'mean_squared_error', "
                                         r"'mse', "
                                         r"'sparse_categorical_crossentropy'\]"):
        losses.get(identifier)


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
    assert BinaryCrossentropy(from_logits=True).get_config() == {"from_logits": True}
    assert SparseCategoricalCrossentropy().get_config() == {"from_logits": False}
    assert repr(CategoricalCrossentropy(from_logits=True)) == \
        "CategoricalCrossentropy(from_logits=True)"


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
