"""Metrics reported during ``fit`` and ``evaluate``: stateful, as in Keras.

A metric accumulates over the batches of an epoch with
``update_state(y_true, y_pred, sample_weight=None)``, reports with
``result()`` and starts again with ``reset_state()``. Mean-type metrics
(accuracies, errors) keep a weighted sum of per-sample values and the sum of
the weights, so the epoch value does not depend on how the data was cut into
batches. Confusion-matrix metrics (``Precision``, ``Recall``, ``AUC``,
``F1Score``) keep weighted counts.

``get`` turns the names that ``compile(metrics=[...])`` accepts into metric
objects. ``"accuracy"`` picks its kind from the loss and the label shapes, as
Keras does: binary for ``binary_crossentropy`` or a single output unit,
sparse for integer labels, categorical for one-hot labels. Two deliberate
differences from Keras (see "Coming from Keras"): with ``from_logits=True``
binary accuracy thresholds the logits at 0 (Keras uses 0.5, which on logits
is wrong), and on a multi-label sigmoid model trained with binary
crossentropy, ``"accuracy"`` is binary accuracy (Keras picks categorical).

Any plain function ``fn(y_true, y_pred)`` returning one value per sample (or
per element) works as a metric: it is averaged over the samples.
"""

import math

import numpy as np

from kerasite import _registry, losses
from kerasite._validation import positive_int
from kerasite.metrics.base import (Mean, MeanMetricWrapper, Metric, _as_float_array,  # noqa: F401
                                   _check_pair, _pair, _samplewise)
from kerasite.metrics.confusion_metrics import (  # noqa: F401
    AUC, F1Score, FalseNegatives, FalsePositives, FBetaScore, Precision, PrecisionAtRecall,
    Recall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    TrueNegatives, TruePositives)
from kerasite.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerasite.metrics.probabilistic_metrics import (  # noqa: F401
    Accuracy, BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
    KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge, Sum, accuracy)
from kerasite.metrics.regression_metrics import (  # noqa: F401
    ConcordanceCorrelation, CosineSimilarity, LogCoshError, PearsonCorrelation, R2Score,
    concordance_correlation, cosine_similarity, pearson_correlation)


# ======================================================= the metric functions
__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "Sum", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "LogCoshError", "CosineSimilarity", "R2Score", "PearsonCorrelation",
    "ConcordanceCorrelation", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", "Precision", "Recall", "AUC", "FBetaScore", "F1Score", "TruePositives",
    "FalsePositives", "TrueNegatives", "FalseNegatives", "PrecisionAtRecall",
    "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "IoU",
    "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "cosine_similarity", "pearson_correlation",
    "concordance_correlation", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "get", "serialize",
    "deserialize"]


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_true`` equals ``y_pred > threshold`` exactly, per element.

    Labels such as 0.1/0.9 are not rounded: they never match, as in Keras.

    Example:
        >>> binary_accuracy([[1.0, 0.0, 0.9]], [[0.7, 0.2, 0.8]])
        array([[1., 1., 0.]])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true == (y_pred > threshold)).astype(np.float64)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the largest output is the one-hot label's class, per sample.

    Example:
        >>> categorical_accuracy([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])
        array([1., 0.])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the largest output is the integer label, per sample.

    Example:
        >>> sparse_categorical_accuracy([1, 0], [[0.3, 0.7], [0.4, 0.6]])
        array([1., 0.])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = y_true.reshape(y_pred.shape[:-1]) if y_true.size == y_pred[..., 0].size else y_true
    return (y_pred.argmax(axis=-1) == labels).astype(np.float64)


def _in_top_k(labels, y_pred, k):
    # rank = 1 + the number of classes scored strictly higher: ties count in the label's favour
    labels = labels.astype(np.int64)
    at_label = np.take_along_axis(y_pred, labels[..., None], axis=-1)
    rank = 1 + (y_pred > at_label).sum(axis=-1)
    return (rank <= k).astype(np.float64)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` largest outputs.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
        ...                            [[0.1, 0.5, 0.4], [0.05, 0.1, 0.85]], k=2)
        array([1., 1.])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return _in_top_k(y_true.argmax(axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` largest outputs.

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 0], [[0.1, 0.5, 0.4], [0.05, 0.1, 0.85]], k=2)
        array([1., 0.])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = y_true.reshape(y_pred.shape[:-1]) if y_true.size == y_pred[..., 0].size else y_true
    return _in_top_k(labels, y_pred, k)


mean_squared_error = mse = losses.mean_squared_error
mean_absolute_error = mae = losses.mean_absolute_error
mean_absolute_percentage_error = mape = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = losses.mean_squared_logarithmic_error


# ===================================================== mean-type metric classes
class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` equals ``y_true`` (exactly, as Keras compares).

    Args:
        name: the reported name (default ``"binary_accuracy"``).
        dtype: ignored, for Keras compatibility.
        threshold: outputs above it count as 1. ``"accuracy"`` picks 0 when
            the loss has ``from_logits=True``.

    Example:
        >>> import numpy as np
        >>> m = BinaryAccuracy()
        >>> m.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.7]]))
        >>> m.result()
        0.5
    """

    _labels = "same"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(binary_accuracy, name, dtype, threshold=self.threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the largest output is the one-hot label's class.

    Example:
        >>> m = CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    _labels = "same"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the largest output is the integer label.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    _labels = "sparse"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` largest outputs.

    Args:
        k: how many of the largest outputs count (default 5).
        name: the reported name.
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    _labels = "same"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = positive_int(k, "k")
        super().__init__(top_k_categorical_accuracy, name, dtype, k=self.k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` largest outputs.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    _labels = "sparse"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        self.k = positive_int(k, "k")
        self.from_sorted_ids = bool(from_sorted_ids)
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=self.k)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.from_sorted_ids:
            return super().update_state(y_true, y_pred, sample_weight)
        # y_pred holds each sample's class ids, best first (as from ops.top_k):
        # a hit when the label is among the first k.
        ids = _as_float_array(y_pred, "y_pred", type(self).__name__)
        labels = _as_float_array(y_true, "y_true", type(self).__name__).reshape(len(ids), 1)
        hits = (ids[:, :self.k] == labels).any(axis=1).astype(np.float64)
        Mean.update_state(self, hits, sample_weight)

    def get_config(self):
        return {**super().get_config(), "from_sorted_ids": self.from_sorted_ids}


class MeanSquaredError(MeanMetricWrapper):
    """Mean over samples of the mean squared error over each sample's outputs.

    Example:
        >>> m = MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.25
    """

    _labels = "same"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean over samples of the mean absolute error over each sample's outputs.

    Example:
        >>> import numpy as np
        >>> m = MeanAbsoluteError("mae")
        >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[0.5], [1.0]]))
        >>> m.update_state(np.array([[2.0]]), np.array([[1.0]]))
        >>> m.result()
        0.5
    """

    _labels = "same"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean over samples of ``100 |y_true - y_pred| / max(|y_true|, eps)``.

    Example:
        >>> m = MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
        >>> m.result()
        37.5
    """

    _labels = "same"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean over samples of the squared difference of ``log(1 + max(v, eps))``.

    Example:
        >>> import numpy as np
        >>> m = MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0]], [[np.e - 1]])
        >>> round(m.result(), 6)
        1.0
    """

    _labels = "same"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype)


class RootMeanSquaredError(Mean):
    """The root of the (weighted) mean over samples of their mean squared error.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _check_pair(y_true, y_pred, "same", "RootMeanSquaredError")
        diff = y_pred - y_true
        super().update_state(diff * diff, sample_weight)

    def result(self):
        return math.sqrt(super().result())


# ==================================================================== lookup
_FUNCTIONS = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "f1_score": F1Score,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "poisson": Poisson,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "logcosh": LogCoshError,
    "log_cosh": LogCoshError,
    "cosine_similarity": CosineSimilarity,
    "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation,
    "r2_score": R2Score,
}
_CLASSES = {cls.__name__: cls for cls in (
    Mean, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, Precision, Recall, AUC, FBetaScore, F1Score,
    Accuracy, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge, Sum, CosineSimilarity,
    LogCoshError, PearsonCorrelation, ConcordanceCorrelation, R2Score, TruePositives,
    FalsePositives, TrueNegatives, FalseNegatives, SensitivityAtSpecificity,
    SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, IoU, MeanIoU, BinaryIoU,
    OneHotIoU, OneHotMeanIoU)}
# Keras's function objects given directly, e.g. metrics=[kerasite.metrics.binary_accuracy]
_BY_FUNCTION = {binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
                sparse_categorical_accuracy: SparseCategoricalAccuracy,
                top_k_categorical_accuracy: TopKCategoricalAccuracy,
                sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
                mean_absolute_error: MeanAbsoluteError, mean_squared_error: MeanSquaredError,
                mean_absolute_percentage_error: MeanAbsolutePercentageError,
                mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
                accuracy: Accuracy, cosine_similarity: CosineSimilarity,
                pearson_correlation: PearsonCorrelation,
                concordance_correlation: ConcordanceCorrelation}
_VALID = ("accuracy", "acc", *_FUNCTIONS)


def _from_function(fn):
    # Keras's function objects name their class; any other fn(y_true, y_pred) is averaged.
    if fn in _BY_FUNCTION:
        return _BY_FUNCTION[fn]()
    return MeanMetricWrapper(fn)


_REGISTRY = _registry.Registry(
    "metric", Metric, classes=_CLASSES.values(),
    names={"accuracy": CategoricalAccuracy, "acc": CategoricalAccuracy, **_FUNCTIONS},
    hint="a metric class name such as 'AUC', an instance of kerasite.metrics.Metric, or a "
         "function fn(y_true, y_pred) returning one value per sample",
    from_callable=_from_function, sort_names=False)
_CLASSES = _REGISTRY.classes
register = _REGISTRY.register


def get(identifier, loss=None, output_shape=None, target_shape=None):
    """Makes the metric ``identifier`` for a model with this loss and output.

    Args:
        identifier: ``"accuracy"`` (or ``"acc"``), a name such as ``"mae"``,
            ``"binary_accuracy"``, ``"top_k_categorical_accuracy"``,
            ``"precision"`` or ``"auc"`` (see ``_VALID``), a class name
            (``"AUC"``), a ``Metric`` instance or class, a dict made by
            ``serialize``, any function ``fn(y_true, y_pred)`` returning
            per-sample values, or ``None``.
        loss: the compiled loss, used to pick the kind of accuracy.
        output_shape: the model's output shape, ``(None, *features)``.
        target_shape: the labels' shape; integer labels with one axis fewer
            than the output (or a last axis of 1) mean sparse accuracy.

    Returns:
        A new ``Metric``, named after the string when given one (as Keras
        names it in the logs), or the instance given.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("mae").name
        'mae'
        >>> get("AUC").curve
        'ROC'
    """
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return MeanMetricWrapper(losses.function_from_config(identifier, "metric"))
    if isinstance(identifier, str) and identifier.rsplit(">", 1)[-1] not in _CLASSES:
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _accuracy(identifier, loss, output_shape, target_shape)
        if key in _FUNCTIONS:
            return _FUNCTIONS[key](name=identifier)
    return _REGISTRY.get(identifier)


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` for a registered metric, the form ``get`` reads.

    Raises:
        TypeError: for a metric that wraps a user's function (it cannot be rebuilt
            from a file) or a class ``get`` does not know.

    Example:
        >>> serialize(AUC(curve="PR"))["config"]["curve"]
        'PR'
    """
    if metric is not None and type(metric) not in _CLASSES.values():
        raise TypeError(f"Only registered metric classes can be serialized; "
                        f"{type(metric).__name__} cannot be rebuilt from a file. Register it "
                        "with @kerasite.saving.register_keras_serializable(), or pass it again "
                        "to compile after loading.")
    return _REGISTRY.serialize(metric)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes (a name goes through ``get``)."""
    if isinstance(config, str) or (isinstance(config, dict) and
                                   config.get("class_name") == "function"):
        return get(config)
    return _REGISTRY.deserialize(config)


def _accuracy(name, loss, output_shape, target_shape):
    sparse_labels = target_shape is not None and output_shape and output_shape[-1] > 1 and (
        len(target_shape) == len(output_shape) - 1 or target_shape[-1] == 1)
    if isinstance(loss, losses.SparseCategoricalCrossentropy) or sparse_labels:
        return SparseCategoricalAccuracy(name)
    if isinstance(loss, (losses.BinaryCrossentropy, losses.BinaryFocalCrossentropy)) or (
            output_shape and output_shape[-1] == 1):
        logits = getattr(loss, "from_logits", False)
        return BinaryAccuracy(name, threshold=0.0 if logits else 0.5)
    return CategoricalAccuracy(name)
