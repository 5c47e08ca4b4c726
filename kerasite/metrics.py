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
from kerasite.config import epsilon
from kerasite._validation import number, positive_int


# ============================================================ the base classes
class Metric:
    """Base class: ``update_state`` per batch, ``result`` per epoch, ``reset_state``.

    As in Keras 3, a subclass makes its state in ``__init__``, after
    ``super().__init__()``, with ``add_weight`` (non-trainable
    :class:`~kerasite.Variable` s it updates with ``assign`` and
    ``assign_add``), and implements ``update_state`` and ``result``; the
    default ``reset_state`` sets those variables to zeros, as Keras's does.
    A subclass may instead keep plain attributes and (re)make them in its own
    ``reset_state``, as kerasite's built-in metrics do. ``reset``/``update``
    are aliases that the model engine calls.

    Args:
        name: the key under which ``fit`` and ``evaluate`` report the value.
        dtype: the dtype of the ``add_weight`` variables (``floatx()`` by
            default); the built-in metrics report Python floats.

    Example:
        >>> import numpy as np
        >>> class Total(Metric):
        ...     def __init__(self, name="total", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.total = self.add_weight(name="total", initializer="zeros")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.total.assign_add(np.sum(values))
        ...     def result(self):
        ...         return self.total.value
        >>> m = Total()
        >>> m.update_state([1.0, 2.0]); float(m.result())
        3.0
        >>> m.reset_state(); float(m.result())
        0.0
    """

    def __init__(self, name=None, dtype=None):
        self.name = name if name is not None else _registry.snake_case(type(self).__name__)
        self.dtype = dtype
        self._metric_variables = []

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Makes a state variable of the metric (not trainable), as Keras 3's.

        Args:
            shape: its shape, ``()`` for a scalar.
            initializer: an initializer or its name (``"zeros"`` by default).
            dtype: its dtype (the metric's ``dtype``, else ``floatx()``).
            name: its name.

        Returns:
            The :class:`~kerasite.Variable`, listed in ``variables``.
        """
        from kerasite import initializers
        from kerasite.config import floatx
        from kerasite.variables import Variable

        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        dtype = dtype or self.dtype or floatx()
        init = initializers.get("zeros" if initializer is None else initializer)
        variable = Variable(init, shape=shape, dtype=dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{variable.name}"
        self._metric_variables.append(variable)
        return variable

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """``add_weight`` under Keras 3's other name (``aggregation`` is accepted, unused)."""
        return self.add_weight(shape, initializer, dtype, name)

    @property
    def variables(self):
        """The state variables made by ``add_weight``, in order."""
        return list(self._metric_variables)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch to the metric's state; a subclass writes it (Keras's signature).

        Args:
            y_true: the batch's targets.
            y_pred: the batch's predictions, shaped as the model outputs them.
            sample_weight: weights ``(batch,)``, or None for equal weights.
        """
        raise NotImplementedError

    def result(self):
        """The metric's value over the batches so far; a subclass writes it.

        Returns:
            A float (or an array, for a metric with one value per class).
        """
        raise NotImplementedError

    def reset_state(self):
        """Sets every ``add_weight`` variable to zeros (Keras 3's default)."""
        for variable in self._metric_variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    # the names the model engine uses
    def reset(self):
        self.reset_state()

    def update(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight=sample_weight)

    def __call__(self, *args, **kwargs):
        """Updates the state with one batch and returns the result, as Keras does."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _as_float_array(value, arg, owner):
    try:
        a = np.asarray(value)
    except (ValueError, TypeError):
        a = None
    if a is None or a.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: `{arg}` must be an array of numbers. "
                        f"Received: {type(value).__name__}.")
    return a.astype(np.float64, copy=False)


def _samplewise(values, sample_weight, owner):
    """Per-sample values (weighted) and the weights to count, as Keras reduces them."""
    values = _as_float_array(values, "values", owner)
    if values.ndim == 0:
        values = values.reshape(1)
    if sample_weight is None:
        if values.ndim > 1:
            values = values.reshape(len(values), -1).mean(axis=1)
        return values, None
    w = _as_float_array(sample_weight, "sample_weight", owner)
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    elif values.ndim == w.ndim + 1 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim > w.ndim:  # e.g. (batch, steps) values with (batch,) weights
        values = values.mean(axis=tuple(range(w.ndim, values.ndim)))
    try:
        w = np.broadcast_to(w, values.shape)
    except ValueError:
        raise ValueError(
            f"{owner}: `sample_weight` must have one weight per sample. Received: "
            f"sample_weight.shape={np.shape(sample_weight)} for {values.shape[0]} samples."
        ) from None
    values = values * w
    if w.ndim > 1:
        w = w.reshape(len(w), -1).mean(axis=1)
        values = values.reshape(len(values), -1).mean(axis=1)
    return values, w


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``.

    Args:
        name: the reported name (default ``"mean"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values, weights = _samplewise(values, sample_weight, type(self).__name__)
        self.total += float(values.sum())
        self.count += float(weights.sum()) if weights is not None else len(values)

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The weighted mean over samples of ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` returns one value per sample (or per element, then averaged per
    sample first), as Keras's metric functions do.

    Args:
        fn: the function.
        name: the reported name (default: the function's name).
        dtype: ignored, for Keras compatibility.
        **kwargs: passed on to ``fn``.

    Example:
        >>> import numpy as np
        >>> def within_one(y_true, y_pred):
        ...     return np.abs(y_true - y_pred) < 1
        >>> m = MeanMetricWrapper(within_one)
        >>> m.update_state(np.array([[0.0], [0.0]]), np.array([[0.5], [3.0]]))
        >>> m.name, m.result()
        ('within_one', 0.5)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"`fn` must be a function fn(y_true, y_pred). Received: {fn!r}.")
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name if name is not None else getattr(fn, "__name__", "metric"), dtype)

    # How y_true must relate to y_pred: "same" shape, "sparse" (one index per row of
    # y_pred), or None for a user's function, which checks its own inputs.
    _labels = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._labels is not None:
            y_true, y_pred = _check_pair(y_true, y_pred, self._labels, type(self).__name__)
        values = self._fn(np.asarray(y_true), np.asarray(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        if cls is MeanMetricWrapper:
            raise TypeError("A MeanMetricWrapper wraps a function and cannot be rebuilt from a "
                            "config; create it again in code.")
        return cls(**config)


def _check_pair(y_true, y_pred, labels, owner):
    """Both arrays, checked: real numbers, a non-empty batch, shapes that fit."""
    y_true = _as_float_array(y_true, "y_true", owner)
    y_pred = _as_float_array(y_pred, "y_pred", owner)
    if y_pred.ndim == 0 or y_pred.size == 0:
        raise ValueError(f"{owner} needs a non-empty batch of predictions, shaped (batch, ...). "
                         f"Received: y_pred.shape={y_pred.shape}.")
    if labels == "sparse":
        expected = y_pred.shape[:-1]
        if y_true.shape == expected + (1,):  # (batch, 1) labels, as Keras allows
            y_true = y_true.reshape(expected)
        if y_pred.ndim < 2 or y_true.shape != expected:
            raise ValueError(
                f"{owner} needs predictions (batch, classes) and one integer label per row, "
                f"shape (batch,). Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}.")
        if np.any((y_true < 0) | (y_true >= y_pred.shape[-1]) | (y_true != np.round(y_true))):
            raise ValueError(f"{owner} needs integer labels in [0, {y_pred.shape[-1]}). "
                             f"Received labels from {y_true.min()} to {y_true.max()}.")
        return y_true, y_pred
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{owner} needs `y_true` and `y_pred` of the same shape. Received: "
                         f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    return y_true, y_pred


# ======================================================= the metric functions
def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:  # Keras squeezes or expands
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0]
    return y_true, y_pred


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

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        self.k = positive_int(k, "k")
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=self.k)


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
                 name="auc", dtype=None, thresholds=None):
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
        super().__init__(name, dtype)
        self.reset_state()

    @property
    def thresholds(self):
        """The thresholds, ``-eps`` and ``1 + eps`` included."""
        return self._thresholds.tolist()

    def reset_state(self):
        n = len(self._thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _counts_above(self._thresholds, *_confusion_inputs(
            y_true, y_pred, sample_weight, None, None, "AUC"))
        for total, batch in zip((self.true_positives, self.false_positives,
                                 self.true_negatives, self.false_negatives), counts):
            total += batch

    def result(self):
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
        return float(((x[:-1] - x[1:]) * heights).sum())

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
        return float(_divide(slope * (dtp + intercept * np.log(ratio)),
                             np.maximum(tp[1:] + fn[1:], 0)).sum())

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name,
                "thresholds": self._given_thresholds}


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
        self.true_positives = self.false_positives = self.false_negatives = 0.0
        self.intermediate_weights = 0.0

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
}
_CLASSES = {cls.__name__: cls for cls in (
    Mean, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, Precision, Recall, AUC, FBetaScore, F1Score)}
# Keras's function objects given directly, e.g. metrics=[kerasite.metrics.binary_accuracy]
_BY_FUNCTION = {binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
                sparse_categorical_accuracy: SparseCategoricalAccuracy,
                top_k_categorical_accuracy: TopKCategoricalAccuracy,
                sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
                mean_absolute_error: MeanAbsoluteError, mean_squared_error: MeanSquaredError,
                mean_absolute_percentage_error: MeanAbsolutePercentageError,
                mean_squared_logarithmic_error: MeanSquaredLogarithmicError}
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
        >>> get("AUC")
        AUC(num_thresholds=200, curve='ROC', summation_method='interpolation', name='auc', thresholds=None)
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
