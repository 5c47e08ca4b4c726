"""Regression metrics beyond the mean errors: R², correlations, cosine similarity, log-cosh."""

import warnings

import numpy as np

from kerasite import losses
from kerasite.config import epsilon
from kerasite._validation import integer
from kerasite.metrics.base import Metric, MeanMetricWrapper, _as_float_array, _pair


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between each sample's ``y_true`` and ``y_pred`` along ``axis``.

    Example:
        >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]).round(4)
        array([0., 1.])
    """
    y_true, y_pred = _pair(np.asarray(y_true, float), np.asarray(y_pred, float))
    t = y_true / np.maximum(np.linalg.norm(y_true, axis=axis, keepdims=True), 1e-12)
    p = y_pred / np.maximum(np.linalg.norm(y_pred, axis=axis, keepdims=True), 1e-12)
    return (t * p).sum(axis=axis)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of ``y_true`` and ``y_pred`` along ``axis``, per sample.

    As Keras computes it: both centred and divided by their standard
    deviation (so a constant row gives NaN), then the mean of the product.

    Example:
        >>> pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]).round(4)
        array([0.9934])
    """
    y_true, y_pred = _pair(np.asarray(y_true, float), np.asarray(y_pred, float))
    t = y_true - y_true.mean(axis=axis, keepdims=True)
    p = y_pred - y_pred.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = t / t.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along ``axis``, per sample, with Keras's formula.

    ``mean(2 (y_true - mean(y_pred)) (y_pred - mean(y_pred))) / (var(y_true) +
    var(y_pred) + (mean(y_true) - mean(y_pred))^2 + epsilon)``: Keras centres
    both factors of the covariance on the prediction's mean, which agrees with
    Lin's coefficient since the second factor sums to zero.

    Example:
        >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).round(4)
        array([1.])
    """
    y_true, y_pred = _pair(np.asarray(y_true, float), np.asarray(y_pred, float))
    mt = y_true.mean(axis=axis, keepdims=True)
    mp = y_pred.mean(axis=axis, keepdims=True)
    norm = y_true.var(axis=axis, keepdims=True) + y_pred.var(axis=axis, keepdims=True) + (
        mt - mp) ** 2
    return (2 * (y_true - mp) * (y_pred - mp) / (norm + epsilon())).mean(axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions (1 when parallel).

    The loss of the same name is its negative.

    Args:
        name: the reported name (default ``"cosine_similarity"``).
        dtype: ignored, for Keras compatibility.
        axis: the axis along which the vectors lie (default -1).

    Example:
        >>> m = CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(m.result(), 4)
        0.5
    """

    _labels = "same"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        self.axis = integer(axis, "axis")
        super().__init__(cosine_similarity, name, dtype, axis=self.axis)


class LogCoshError(MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))`` (named ``"logcosh"``, as in Keras).

    Example:
        >>> m = LogCoshError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(m.result(), 4)
        0.1084
    """

    _labels = "same"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name, dtype)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of Pearson's correlation along ``axis``.

    Args:
        name: the reported name (default ``"pearson_correlation"``).
        dtype: ignored, for Keras compatibility.
        axis: the axis to correlate along (default -1).

    Example:
        >>> m = PearsonCorrelation()
        >>> m.update_state([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0], [3.0, 2.0, 1.0]])
        >>> round(m.result(), 4)
        -0.0033
    """

    _labels = "same"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        self.axis = integer(axis, "axis")
        super().__init__(pearson_correlation, name, dtype, axis=self.axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of Lin's concordance correlation along ``axis``.

    Args:
        name: the reported name (default ``"concordance_correlation"``).
        dtype: ignored, for Keras compatibility.
        axis: the axis to correlate along (default -1).

    Example:
        >>> m = ConcordanceCorrelation()
        >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
        >>> round(m.result(), 4)
        1.0
    """

    _labels = "same"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        self.axis = integer(axis, "axis")
        super().__init__(concordance_correlation, name, dtype, axis=self.axis)


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_residual / SS_total``, per output column.

    The sums run over every sample of the epoch (weighted by
    ``sample_weight``), so the result does not depend on the batches.

    Args:
        class_aggregation: how the columns' scores combine: ``"uniform_average"``
            (their mean), ``"variance_weighted_average"`` (weighted by each
            column's total sum of squares) or ``None`` (one score per column).
        num_regressors: the number of regressors ``p`` of an adjusted R²,
            ``1 - (1 - R²) (n - 1) / (n - p - 1)``; 0 for the plain one.
        name: the reported name (default ``"r2_score"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = R2Score()
        >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
        >>> round(m.result(), 4)
        0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("`class_aggregation` must be 'uniform_average', "
                             "'variance_weighted_average' or None. Received: "
                             f"class_aggregation={class_aggregation!r}.")
        self.class_aggregation = class_aggregation
        self.num_regressors = integer(num_regressors, "num_regressors", 0)
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.sum = self.squared_sum = self.residual = self.count = 0.0
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = type(self).__name__
        y_true = _as_float_array(y_true, "y_true", owner)
        y_pred = _as_float_array(y_pred, "y_pred", owner)
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        if y_true.shape != y_pred.shape or y_true.ndim != 2:
            raise ValueError(f"{owner} needs `y_true` and `y_pred` of the same shape "
                             "(batch, outputs). Received: "
                             f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
        w = np.ones((len(y_true), 1)) if sample_weight is None else _as_float_array(
            sample_weight, "sample_weight", owner).reshape(len(y_true), -1)
        self.sum = self.sum + (y_true * w).sum(axis=0)
        self.squared_sum = self.squared_sum + (y_true * y_true * w).sum(axis=0)
        self.residual = self.residual + ((y_true - y_pred) ** 2 * w).sum(axis=0)
        self.count = self.count + np.broadcast_to(w, y_true.shape).sum(axis=0)
        self.num_samples += len(y_true)

    def result(self):
        count = np.asarray(self.count, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum / count
            total = self.squared_sum - self.sum * mean
            raw = 1.0 - self.residual / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = float(np.mean(raw))
        elif self.class_aggregation == "variance_weighted_average":
            r2 = float(np.sum(total * raw) / np.sum(total))
        else:
            r2 = np.atleast_1d(raw).tolist()
        n, p = self.num_samples, self.num_regressors
        if p:
            if p >= n - 1:
                warnings.warn(f"R2Score: `num_regressors={p}` needs more than {p + 1} samples "
                              f"for the adjusted R²; seen {n}. Returning the plain R².",
                              stacklevel=2)
            else:
                adjust = (n - 1) / (n - p - 1)
                r2 = (1 - (1 - np.asarray(r2)) * adjust)
                r2 = float(r2) if r2.ndim == 0 else r2.tolist()
        return r2

    def get_config(self):
        return {"class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors, "name": self.name}
