"""Keras's loss functions written with ``kerasite.ops``, for use under a ``GradientTape``.

``kerasite.losses.mse``, ``binary_crossentropy`` and the other function forms
compute with NumPy and check their arguments; while a tape records, they call
the function of the same name here instead, so the tape sees every step (a
VAE's ``ops.sum(keras.losses.binary_crossentropy(x, reconstruction), ...)``).
Each returns one value per sample, reduced over ``axis`` (the last one), with
Keras 3's formula, clipping and label smoothing; their gradients come from the
ops they are made of.
"""

import math

from kerasite import ops
from kerasite.config import epsilon
from kerasite.ops import nn


def mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    scale = ops.maximum(ops.abs(y_true), epsilon())
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    first = ops.log(ops.maximum(y_pred, epsilon()) + 1.0)
    second = ops.log(ops.maximum(y_true, epsilon()) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    error = y_pred - y_true
    size = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * size - 0.5 * delta ** 2
    return ops.mean(ops.where(size <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    # log(cosh(x)) = x + softplus(-2x) - log 2, which does not overflow for large |x|.
    x = y_pred - y_true
    return ops.mean(x + nn.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def _l2_normalize(x, axis):
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def poisson(y_true, y_pred):
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon()), axis=-1)


def kl_divergence(y_true, y_pred):
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def _signed_labels(y_true):
    # Keras turns 0/1 labels into -1/1 (labels already in -1/1 are kept).
    labels = ops.convert_to_numpy(y_true)
    return 2.0 * labels - 1.0 if ((labels == 0) | (labels == 1)).all() else labels


def hinge(y_true, y_pred):
    return ops.mean(ops.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    margin = ops.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(nn.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    bce = nn.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    p = nn.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        classes = ops.shape(y_pred)[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return nn.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    return nn.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                              axis=axis)


BY_CLASS_NAME = {
    "MeanSquaredError": mean_squared_error,
    "MeanAbsoluteError": mean_absolute_error,
    "MeanAbsolutePercentageError": mean_absolute_percentage_error,
    "MeanSquaredLogarithmicError": mean_squared_logarithmic_error,
    "Huber": huber,
    "LogCosh": log_cosh,
    "CosineSimilarity": cosine_similarity,
    "Poisson": poisson,
    "KLDivergence": kl_divergence,
    "Hinge": hinge,
    "SquaredHinge": squared_hinge,
    "CategoricalHinge": categorical_hinge,
    "BinaryCrossentropy": binary_crossentropy,
    "BinaryFocalCrossentropy": binary_focal_crossentropy,
    "CategoricalCrossentropy": categorical_crossentropy,
    "SparseCategoricalCrossentropy": sparse_categorical_crossentropy,
}
