"""Confusion-matrix metrics: counts of true and false positives and negatives.

``Precision``, ``Recall``, ``AUC``, the F-scores, the four counts themselves and
the "at a fixed recall / precision / sensitivity / specificity" family keep
weighted counts per threshold, so the epoch value does not depend on how the
data was cut into batches.
"""

import numpy as np

from kerasite.config import epsilon
from kerasite._validation import number, positive_int
from kerasite.metrics.base import Metric, _as_float_array, _pair


# ================================================== confusion-matrix metrics
def _thresholds_list(thresholds, default):
    if thresholds is None:
        return [default], True
    scalar = not isinstance(thresholds, (list, tuple, np.ndarray))
    values = [float(t) for t in np.atleast_1d(thresholds)]
    if not values or any(not 0 <= t <= 1 for t in values):
        raise ValueError(f"`thresholds` must be numbers in [0, 1]. Received: "
                         f"thresholds={thresholds!r}.")
    return values, scalar


def _confusion_inputs(y_true, y_pred, sample_weight, top_k, class_id, owner):
    """``y_true`` as booleans, ``y_pred`` and the weights, aligned and flattened."""
    y_true, y_pred = _pair(_as_float_array(y_true, "y_true", owner),
                           _as_float_array(y_pred, "y_pred", owner))
    y_true = y_true != 0
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{owner} needs `y_true` and `y_pred` of the same shape. Received: "
                         f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    w = None
    if sample_weight is not None:
        w = _as_float_array(sample_weight, "sample_weight", owner)
        if w.ndim == 1 and y_pred.ndim > 1:
            w = w.reshape(w.shape + (1,) * (y_pred.ndim - 1))
        try:
            w = np.broadcast_to(w, y_pred.shape)
        except ValueError:
            raise ValueError(f"{owner}: `sample_weight` must have one weight per sample. "
                             f"Received: sample_weight.shape={np.shape(sample_weight)}.") from None
    if top_k is not None:  # keep exactly the k largest predictions (first ones on ties)
        keep = np.zeros(y_pred.shape, dtype=bool)
        np.put_along_axis(keep, np.argsort(-y_pred, axis=-1, kind="stable")[..., :top_k], True,
                          axis=-1)
        y_pred = np.where(keep, y_pred, _NEG_INF)
    if class_id is not None:
        if y_pred.ndim < 2 or class_id >= y_pred.shape[-1]:
            raise ValueError(f"{owner}: `class_id={class_id}` needs predictions (batch, classes) "
                             f"with more than {class_id} classes. Received: "
                             f"y_pred.shape={y_pred.shape}.")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        w = None if w is None else w[..., class_id]
    return y_true.ravel(), y_pred.ravel(), None if w is None else w.ravel()


def _counts_above(thresholds, y_true, y_pred, w):
    """Weighted TP, FP, TN, FN at each threshold, ``y_pred > threshold`` as positive."""
    thresholds = np.asarray(thresholds)
    order = np.argsort(thresholds)
    sorted_t = thresholds[order]
    w = np.ones_like(y_pred) if w is None else w
    # number of thresholds strictly below each prediction: it is positive at those
    below = np.searchsorted(sorted_t, y_pred, side="left")
    n = len(thresholds)
    pos = np.bincount(below[y_true], weights=w[y_true], minlength=n + 1)
    neg = np.bincount(below[~y_true], weights=w[~y_true], minlength=n + 1)
    # positive at threshold j if below > j: a reversed cumulative sum
    tp = np.cumsum(pos[::-1])[::-1][1:]
    fp = np.cumsum(neg[::-1])[::-1][1:]
    fn, tn = pos.sum() - tp, neg.sum() - fp
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return tp[inverse], fp[inverse], tn[inverse], fn[inverse]


def _divide(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras's divide_no_nan)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


_NEG_INF = -1e10  # Keras's stand-in for -inf: with top_k, every kept prediction is positive


class _Confusion(Metric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.thresholds, self._scalar = _thresholds_list(
            thresholds, 0.5 if top_k is None else _NEG_INF)
        self.top_k = positive_int(top_k, "top_k", allow_none=True)
        self.class_id = positive_int(class_id, "class_id", minimum=0, allow_none=True)
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _counts_above(self.thresholds, *_confusion_inputs(
            y_true, y_pred, sample_weight, self.top_k, self.class_id, type(self).__name__))
        for total, batch in zip((self.true_positives, self.false_positives,
                                 self.true_negatives, self.false_negatives), counts):
            total += batch

    def _out(self, values):
        return float(values[0]) if self._scalar else [float(v) for v in values]

    def get_config(self):
        return {"thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id, "name": self.name}


class Precision(_Confusion):
    """``TP / (TP + FP)``: the share of predicted positives that are positive.

    A prediction is positive when it exceeds the threshold; a label is
    positive when it is not 0. Counts are weighted by ``sample_weight``.

    Args:
        thresholds: a threshold in [0, 1] (default 0.5, or none at all with
            ``top_k``), or a list of them (``result`` is then a list).
        top_k: only the ``k`` largest predictions of each sample can be positive.
        class_id: only this class (last-axis index) is scored.
        name: the reported name (default ``"precision"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    def result(self):
        return self._out(_divide(self.true_positives, self.true_positives + self.false_positives))


class Recall(_Confusion):
    """``TP / (TP + FN)``: the share of positives predicted positive.

    Args: as for :class:`Precision` (default name ``"recall"``).

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    def result(self):
        return self._out(_divide(self.true_positives, self.true_positives + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    As in Keras: ``num_thresholds - 2`` evenly spaced thresholds in (0, 1),
    plus ``-eps`` and ``1 + eps`` at the ends (so a prediction of exactly 0
    or 1 is counted); the ROC area sums trapezoids (``"interpolation"``), and
    the PR area uses the interpolation of Davis & Goadrich (2006), in which
    precision varies along each interval as ``TP`` and ``TP + FP`` do linearly.

    Args:
        num_thresholds: how many thresholds (default 200), more than 1.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (default), ``"minoring"`` or
            ``"majoring"`` (lower or upper Riemann sums).
        name: the reported name (default ``"auc"``).
        dtype: ignored, for Keras compatibility.
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> round(m.result(), 4)
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if thresholds is not None:
            inner, _ = _thresholds_list(thresholds, 0.5)
            inner = sorted(inner)
            self.num_thresholds = len(inner) + 2
        else:
            self.num_thresholds = positive_int(num_thresholds, "num_thresholds", 2,
                                               expected="an integer > 1")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._given_thresholds = thresholds
        self._thresholds = np.array([0.0 - epsilon(), *inner, 1.0 + epsilon()])
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"`curve` must be 'ROC' or 'PR'. Received: curve={curve!r}.")
        method = str(summation_method).lower()
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("`summation_method` must be 'interpolation', 'minoring' or "
                             f"'majoring'. Received: summation_method={summation_method!r}.")
        self.curve, self.summation_method = curve, method
        self.multi_label, self.from_logits = bool(multi_label), bool(from_logits)
        self.num_labels = positive_int(num_labels, "num_labels", allow_none=True)
        self.label_weights = None
        if label_weights is not None:
            self.label_weights = np.asarray(label_weights, dtype=np.float64).ravel()
            if np.any(self.label_weights < 0) or not np.all(np.isfinite(self.label_weights)):
                raise ValueError("`label_weights` must be non-negative numbers. Received: "
                                 f"label_weights={label_weights!r}.")
        super().__init__(name, dtype)
        self.reset_state()

    @property
    def thresholds(self):
        """The thresholds, ``-eps`` and ``1 + eps`` included."""
        return self._thresholds.tolist()

    def reset_state(self):
        # With multi_label, one column of counts per label (known from num_labels or
        # from the first batch).
        shape = (len(self._thresholds),)
        if self.multi_label and self.num_labels is not None:
            shape += (self.num_labels,)
        self.true_positives, self.false_positives = np.zeros(shape), np.zeros(shape)
        self.true_negatives, self.false_negatives = np.zeros(shape), np.zeros(shape)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-_as_float_array(y_pred, "y_pred", "AUC")))
        if not self.multi_label:
            if self.label_weights is not None:  # each label's entries weigh label_weights
                y_pred = _as_float_array(y_pred, "y_pred", "AUC")
                w = 1.0 if sample_weight is None else _as_float_array(
                    sample_weight, "sample_weight", "AUC")
                if np.ndim(w) == 1 and y_pred.ndim > 1:
                    w = np.reshape(w, (-1,) + (1,) * (y_pred.ndim - 1))
                sample_weight = np.broadcast_to(w * self.label_weights, y_pred.shape)
            counts = _counts_above(self._thresholds, *_confusion_inputs(
                y_true, y_pred, sample_weight, None, None, "AUC"))
        else:
            y_true = _as_float_array(y_true, "y_true", "AUC")
            y_pred = _as_float_array(y_pred, "y_pred", "AUC")
            if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
                raise ValueError("AUC(multi_label=True) needs `y_true` and `y_pred` of the same "
                                 "shape (batch, labels). Received: "
                                 f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
            if self.true_positives.ndim == 1:
                self.num_labels = y_pred.shape[1]
                self.reset_state()
            if y_pred.shape[1] != self.true_positives.shape[1]:
                raise ValueError(f"AUC(multi_label=True) counts {self.true_positives.shape[1]} "
                                 f"labels; this batch has {y_pred.shape[1]}.")
            per_label = [_counts_above(self._thresholds, *_confusion_inputs(
                y_true[:, j], y_pred[:, j], sample_weight, None, None, "AUC"))
                for j in range(y_pred.shape[1])]
            counts = [np.stack([c[k] for c in per_label], axis=1) for k in range(4)]
        for total, batch in zip((self.true_positives, self.false_positives,
                                 self.true_negatives, self.false_negatives), counts):
            total += batch

    def result(self):
        area = self._area()
        if np.ndim(area) == 0:
            return float(area)
        if self.label_weights is not None:
            return float((area * self.label_weights).sum() / self.label_weights.sum())
        return float(area.mean())

    def _area(self):
        """The area under the curve, one per column of counts (a scalar for one column)."""
        tp, fp, tn, fn = (self.true_positives, self.false_positives,
                          self.true_negatives, self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        else:
            x, y = recall, _divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return ((x[:-1] - x[1:]) * heights).sum(axis=0)

    def _interpolate_pr_auc(self):
        # Precision = TP / P with TP and P = TP + FP linear between thresholds A and B:
        # the area of an interval is slope (dTP + intercept log(P_A / P_B)) / positives.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[:-1], np.where(both, p[1:], 1.0)), 1.0)
        return _divide(slope * (dtp + intercept * np.log(ratio)),
                       np.maximum(tp[1:] + fn[1:], 0)).sum(axis=0)

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name,
                "thresholds": self._given_thresholds, "multi_label": self.multi_label,
                "num_labels": self.num_labels,
                "label_weights": None if self.label_weights is None
                else self.label_weights.tolist(), "from_logits": self.from_logits}


class FBetaScore(Metric):
    """The F-beta score per class: ``(1 + b**2) P R / (b**2 P + R)``.

    Predictions become 0/1 first: above ``threshold``, or, without one, the
    largest output of each sample. Counts are per class (the last axis).

    Args:
        average: ``None`` (one score per class, a list), ``"micro"`` (from the
            counts summed over classes), ``"macro"`` (mean of the classes'
            scores) or ``"weighted"`` (mean weighted by each class's positives).
        beta: the weight of recall relative to precision (default 1).
        threshold: a number in [0, 1], or ``None`` for the argmax.
        name: the reported name (default ``"fbeta_score"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = FBetaScore(beta=2.0, average="macro", threshold=0.5)
        >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.2], [0.8, 0.6]])
        >>> round(m.result(), 4)
        0.9167
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("`average` must be None, 'micro', 'macro' or 'weighted'. "
                             f"Received: average={average!r}.")
        beta = number(beta, "beta", 0, inclusive=(False, True))
        number(threshold, "threshold", 0, 1, allow_none=True)
        self.average, self.beta, self.threshold = average, beta, threshold
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        # Once the classes are known (from the first batch), a reset keeps one
        # zero per class, as Keras's per-class variables do.
        classes = getattr(self, "_classes", None)
        zero = 0.0 if classes is None or self.average == "micro" else np.zeros(classes)
        self.true_positives, self.false_positives = zero, np.copy(zero)
        self.false_negatives, self.intermediate_weights = np.copy(zero), np.copy(zero)

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = type(self).__name__
        y_true = _as_float_array(y_true, "y_true", owner)
        y_pred = _as_float_array(y_pred, "y_pred", owner)
        if y_true.shape != y_pred.shape or y_pred.ndim != 2:
            raise ValueError(f"{owner} needs `y_true` and `y_pred` of the same shape "
                             "(batch, classes). Received: "
                             f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
        if self.threshold is None:  # the largest output, but an all-zero row stays 0
            pred = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            pred = y_pred > self.threshold
        pred = pred.astype(np.float64)
        self._classes = y_pred.shape[-1]
        w = 1.0 if sample_weight is None else _as_float_array(
            sample_weight, "sample_weight", owner).reshape(-1, 1)
        axis = None if self.average == "micro" else 0
        self.true_positives = self.true_positives + (pred * y_true * w).sum(axis=axis)
        self.false_positives = self.false_positives + (pred * (1 - y_true) * w).sum(axis=axis)
        self.false_negatives = self.false_negatives + ((1 - pred) * y_true * w).sum(axis=axis)
        self.intermediate_weights = self.intermediate_weights + (y_true * w).sum(axis=axis)

    def result(self):
        eps = epsilon()
        tp = np.asarray(self.true_positives, dtype=np.float64)
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            weights = np.asarray(self.intermediate_weights)
            return float((score * weights / (weights.sum() + eps)).sum())
        if self.average is not None:
            return float(np.mean(score))
        return score.tolist() if score.ndim else float(score)

    def get_config(self):
        return {"average": self.average, "beta": self.beta, "threshold": self.threshold,
                "name": self.name}


class F1Score(FBetaScore):
    """The F1 score, ``2 P R / (P + R)``, per class or averaged.

    Args: as for :class:`FBetaScore`, with ``beta=1`` (default name ``"f1_score"``).

    Example:
        >>> m = F1Score(average="micro", threshold=0.5)
        >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.2], [0.8, 0.6]])
        >>> round(m.result(), 4)
        0.8
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# ------------------------------------------------------------- the four counts
class _Count(_Confusion):
    """One of the four weighted counts at each threshold (``result`` is that count)."""

    _count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._out(getattr(self, self._count))

    def get_config(self):
        return {"thresholds": self.init_thresholds, "name": self.name}


class TruePositives(_Count):
    """The weighted number of positives predicted positive (``y_pred > threshold``).

    Args:
        thresholds: a threshold in [0, 1] (default 0.5), or a list of them
            (``result`` is then a list).
        name: the reported name (default ``"true_positives"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> m.result()
        1.0
    """

    _count = "true_positives"


class FalsePositives(_Count):
    """The weighted number of negatives predicted positive.

    Args: as for :class:`TruePositives` (default name ``"false_positives"``).

    Example:
        >>> m = FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> m.result()
        2.0
    """

    _count = "false_positives"


class TrueNegatives(_Count):
    """The weighted number of negatives predicted negative.

    Args: as for :class:`TruePositives` (default name ``"true_negatives"``).

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    _count = "true_negatives"


class FalseNegatives(_Count):
    """The weighted number of positives predicted negative.

    Args: as for :class:`TruePositives` (default name ``"false_negatives"``).

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> m.result()
        2.0
    """

    _count = "false_negatives"


# ------------------------------------------- one rate, at a fixed value of another
class _AtFixed(_Confusion):
    """The best ``dependent`` rate over the thresholds whose ``constrained`` rate is >= ``value``.

    As in Keras: ``num_thresholds`` thresholds from 0 to 1 inclusive (0.5 alone
    when ``num_thresholds=1``), and 0 when no threshold meets the constraint.
    """

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.value = number(value, f"{self._value_name}", 0, 1)
        self.num_thresholds = positive_int(num_thresholds, "num_thresholds")
        if self.num_thresholds == 1:
            thresholds = [0.5]
        else:
            thresholds = [0.0, *[(i + 1) / (self.num_thresholds - 1)
                                 for i in range(self.num_thresholds - 2)], 1.0]
        super().__init__(thresholds=thresholds, class_id=class_id, name=name, dtype=dtype)

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {"sensitivity": _divide(tp, tp + fn), "recall": _divide(tp, tp + fn),
                "specificity": _divide(tn, tn + fp), "precision": _divide(tp, tp + fp)}

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return float(np.max(np.where(feasible, rates[dependent], 0.0), initial=0.0))

    def get_config(self):
        return {self._value_name: self.value, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id, "name": self.name}


class SensitivityAtSpecificity(_AtFixed):
    """The best sensitivity (recall) among thresholds with specificity >= ``specificity``.

    Args:
        specificity: the required specificity, in [0, 1].
        num_thresholds: how many thresholds to try in [0, 1] (default 200).
        class_id: only this class (last-axis index) is scored.
        name: the reported name (default ``"sensitivity_at_specificity"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.5
    """

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtFixed):
    """The best specificity among thresholds with sensitivity >= ``sensitivity``.

    Args: as for :class:`SensitivityAtSpecificity`, with ``sensitivity`` in [0, 1].

    Example:
        >>> m = SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(m.result(), 4)
        0.6667
    """

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_AtFixed):
    """The best precision among thresholds with recall >= ``recall``.

    Args: as for :class:`SensitivityAtSpecificity`, with ``recall`` in [0, 1].

    Example:
        >>> m = PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.5
    """

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("recall", "precision")


class RecallAtPrecision(_AtFixed):
    """The best recall among thresholds with precision >= ``precision``.

    Args: as for :class:`SensitivityAtSpecificity`, with ``precision`` in [0, 1].

    Example:
        >>> m = RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.5
    """

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "recall")
