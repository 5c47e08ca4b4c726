"""kerasite.losses' function forms under a GradientTape: the same values, and gradients.

Outside a tape the function forms compute with NumPy (their values are checked
against Keras in tests/test_losses.py); while a tape records they switch to
the same formulas written with kerasite.ops. ``check_grad`` checks both: the
value under the tape equals the NumPy value to 1e-13, and the tape's gradient
with respect to ``y_pred`` equals central finite differences, in float64.
"""

import numpy as np
import pytest

from kerasite import GradientTape, losses, ops

from ._check import check_grad

rng = np.random.default_rng(0)
REAL = rng.standard_normal((4, 5))
PROBS = rng.uniform(0.05, 0.95, (4, 5))
LABELS01 = rng.integers(0, 2, (4, 5)).astype(np.float64)
SOFTMAX = np.exp(REAL) / np.exp(REAL).sum(-1, keepdims=True)
ONE_HOT = np.eye(5)[rng.integers(0, 5, 4)]
POSITIVE = rng.uniform(0.1, 2.0, (4, 5))


def _case(fn, y_true, y_pred, **kwargs):
    return pytest.param(fn, y_true, y_pred, kwargs, id=f"{fn.__name__}{kwargs or ''}")


CASES = [
    _case(losses.mean_squared_error, REAL, REAL[::-1].copy()),
    _case(losses.mean_absolute_error, REAL, REAL[::-1].copy()),
    _case(losses.mean_absolute_percentage_error, POSITIVE, REAL),
    _case(losses.mean_squared_logarithmic_error, POSITIVE, POSITIVE[::-1].copy()),
    _case(losses.huber, REAL, 2 * REAL[::-1]),
    _case(losses.huber, REAL, 2 * REAL[::-1], delta=0.5),
    _case(losses.log_cosh, REAL, REAL[::-1].copy()),
    _case(losses.cosine_similarity, REAL, REAL[::-1].copy()),
    _case(losses.poisson, POSITIVE, POSITIVE[::-1].copy()),
    _case(losses.kl_divergence, SOFTMAX, SOFTMAX[::-1].copy()),
    _case(losses.hinge, LABELS01, REAL),
    _case(losses.squared_hinge, LABELS01, REAL),
    _case(losses.categorical_hinge, ONE_HOT, REAL),
    _case(losses.binary_crossentropy, LABELS01, PROBS),
    _case(losses.binary_crossentropy, LABELS01, REAL, from_logits=True),
    _case(losses.binary_crossentropy, LABELS01, PROBS, label_smoothing=0.2),
    _case(losses.binary_focal_crossentropy, LABELS01, PROBS),
    _case(losses.binary_focal_crossentropy, LABELS01, REAL, from_logits=True,
          apply_class_balancing=True),
    _case(losses.categorical_crossentropy, ONE_HOT, SOFTMAX),
    _case(losses.categorical_crossentropy, ONE_HOT, REAL, from_logits=True),
    _case(losses.categorical_crossentropy, ONE_HOT, SOFTMAX, label_smoothing=0.1),
]


@pytest.mark.parametrize("fn, y_true, y_pred, kwargs", CASES)
def test_function_form_under_tape_matches_numpy_and_finite_differences(fn, y_true, y_pred,
                                                                        kwargs):
    check_grad(lambda y: fn(y_true, y, **kwargs), y_pred)


def test_sparse_categorical_crossentropy_under_tape():
    labels = rng.integers(0, 5, 4)
    check_grad(lambda y: losses.sparse_categorical_crossentropy(labels, y), SOFTMAX)
    check_grad(lambda y: losses.sparse_categorical_crossentropy(labels, y, from_logits=True),
               REAL)


def test_vae_reconstruction_term_records():
    # keras.io's VAE: the mean over the batch of the per-pixel crossentropy summed over
    # the image. By hand: d/dp of -(t log p + (1 - t) log(1 - p)) is (p - t) / (p (1 - p)),
    # averaged over the last axis (of length 1) and over the batch of 2.
    data = np.array([[[[1.0], [0.0]]], [[[0.0], [1.0]]]])  # (2, 1, 2, 1)
    recon = np.full((2, 1, 2, 1), 0.25)
    t = ops.convert_to_tensor(recon)
    with GradientTape() as tape:
        tape.watch(t)
        loss = ops.mean(ops.sum(losses.binary_crossentropy(data, t), axis=(1, 2)))
    expected = -(np.log(0.25) + np.log(0.75))  # one pixel of each label per image
    np.testing.assert_allclose(float(loss), expected, rtol=1e-12)
    grad = tape.gradient(loss, t)
    by_hand = (recon - data) / (recon * (1 - recon)) / 2
    np.testing.assert_allclose(grad, by_hand, rtol=1e-12)


# ------------------------------------------------------------- Loss objects under a tape
WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5])

LOSS_CASES = [
    (losses.MeanSquaredError(), REAL, REAL[::-1].copy()),
    (losses.MeanAbsoluteError(), REAL, REAL[::-1].copy()),
    (losses.MeanAbsolutePercentageError(), POSITIVE, REAL),
    (losses.MeanSquaredLogarithmicError(), POSITIVE, POSITIVE[::-1].copy()),
    (losses.Huber(delta=0.7), REAL, 2 * REAL[::-1]),
    (losses.LogCosh(), REAL, REAL[::-1].copy()),
    (losses.CosineSimilarity(), REAL, REAL[::-1].copy()),
    (losses.Poisson(), POSITIVE, POSITIVE[::-1].copy()),
    (losses.KLDivergence(), SOFTMAX, SOFTMAX[::-1].copy()),
    (losses.Hinge(), LABELS01, REAL),
    (losses.SquaredHinge(), LABELS01, REAL),
    (losses.CategoricalHinge(), ONE_HOT, REAL),
    (losses.BinaryCrossentropy(), LABELS01, PROBS),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), LABELS01, REAL),
    (losses.BinaryFocalCrossentropy(gamma=1.5), LABELS01, PROBS),
    (losses.CategoricalCrossentropy(), ONE_HOT, SOFTMAX),
    (losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, REAL),
    (losses.SparseCategoricalCrossentropy(from_logits=True), rng.integers(0, 5, 4), REAL),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss, y_true, y_pred", LOSS_CASES,
                         ids=[repr(c[0]) for c in LOSS_CASES])
def test_loss_object_under_tape_equals_its_forward_and_backward(loss, y_true, y_pred, weighted):
    # forward/backward (eager) are checked against Keras in tests/test_losses.py; the
    # tape's value and gradient must be the same numbers.
    w = WEIGHTS if weighted else None
    expected = loss.forward(y_true, y_pred, w)
    expected_grad = np.array(loss.backward())
    t = ops.convert_to_tensor(y_pred)
    with GradientTape() as tape:
        tape.watch(t)
        value = loss(y_true, t, sample_weight=w)
    assert isinstance(value, ops.Tensor)
    np.testing.assert_allclose(float(value), expected, rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(value, t), expected_grad, rtol=1e-10, atol=1e-14)


def test_loss_object_under_tape_differentiates_y_true():
    # Distillation-style: both arguments come from the tape. d mean((p - t)^2) / d t.
    p, t = REAL, REAL[::-1].copy()
    check_grad(lambda a, b: losses.MeanSquaredError()(a, b), t, p)


def test_own_loss_with_backward_is_one_tape_node():
    class MeanFourthPower(losses.Loss):
        def forward(self, y_true, y_pred, sample_weight=None):
            self.diff = y_pred - y_true
            return float(np.mean(self.diff ** 4))

        def backward(self):
            return 4 * self.diff ** 3 / self.diff.size

    t = ops.convert_to_tensor(REAL)
    with GradientTape() as tape:
        tape.watch(t)
        value = 3.0 * MeanFourthPower()(np.zeros_like(REAL), t)
    np.testing.assert_allclose(float(value), 3 * np.mean(REAL ** 4), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(value, t), 3 * 4 * REAL ** 3 / REAL.size,
                               rtol=1e-12)
