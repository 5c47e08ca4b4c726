"""Mean-type metrics that average a loss or a comparison over the samples.

Each is a :class:`~kerasite.metrics.base.MeanMetricWrapper` around a
per-sample function: the crossentropies, divergences and hinges of
:mod:`kerasite.losses` (computed with their arguments, without a
reduction), ``accuracy`` (exact equality), and ``Sum``, which adds where
``Mean`` averages.
"""

import numpy as np

from kerasite import losses
from kerasite.metrics.base import Metric, MeanMetricWrapper, _pair, _samplewise


def accuracy(y_true, y_pred):
    """1.0 where ``y_true`` equals ``y_pred`` exactly, per element (Keras's ``accuracy``).

    Example:
        >>> accuracy([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [3.0, 4.0]])
        array([[1., 0.],
               [1., 1.]])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal the labels exactly.

    Unlike the string ``"accuracy"`` in ``compile``, which picks a binary,
    categorical or sparse accuracy, this class compares the values as they are.

    Example:
        >>> m = Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> m.result()
        0.75
    """

    _labels = "same"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class _LossMean(MeanMetricWrapper):
    """The mean over samples of one of kerasite.losses' per-sample functions.

    ``axis`` (the class axis of the crossentropies) is moved last before the
    loss sees the arrays, which is where kerasite's losses take it.
    """

    _labels = "same"
    _loss = None

    def __init__(self, name, dtype=None, axis=None, **kwargs):
        self.axis = axis
        super().__init__(type(self)._loss, name, dtype, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.axis not in (None, -1):
            y_pred = np.moveaxis(np.asarray(y_pred), self.axis, -1)
            if self._labels == "same":
                y_true = np.moveaxis(np.asarray(y_true), self.axis, -1)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        config = super().get_config()
        return config if self.axis is None else {**config, "axis": self.axis}


class BinaryCrossentropy(_LossMean):
    """The mean binary crossentropy between labels and predicted probabilities (or logits).

    Args:
        name: the reported name (default ``"binary_crossentropy"``).
        dtype: ignored, for Keras compatibility.
        from_logits: the predictions are logits.
        label_smoothing: squeezes the labels towards 0.5 by this much.

    Example:
        >>> m = BinaryCrossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        0.8149
    """

    _loss = staticmethod(losses.binary_crossentropy)

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMean):
    """The mean crossentropy between one-hot labels and predicted distributions.

    Args:
        name: the reported name (default ``"categorical_crossentropy"``).
        dtype: ignored, for Keras compatibility.
        from_logits: the predictions are logits.
        label_smoothing: mixes the labels with the uniform distribution.
        axis: the class axis (default -1).

    Example:
        >>> m = CategoricalCrossentropy()
        >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(m.result(), 4)
        1.1769
    """

    _loss = staticmethod(losses.categorical_crossentropy)

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(_LossMean):
    """The mean crossentropy between integer labels and predicted distributions.

    Args:
        name: the reported name (default ``"sparse_categorical_crossentropy"``).
        dtype: ignored, for Keras compatibility.
        from_logits: the predictions are logits.
        ignore_class: a label whose samples are left out, or None.
        axis: the class axis (default -1).

    Example:
        >>> m = SparseCategoricalCrossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(m.result(), 4)
        1.1769
    """

    _labels = "sparse"
    _loss = staticmethod(losses.sparse_categorical_crossentropy)

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        self.ignore_class = ignore_class
        kwargs = {"from_logits": from_logits, "axis": axis}
        super().__init__(name, dtype, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().update_state(y_true, y_pred, sample_weight)
        # Samples whose label is ignore_class weigh nothing (and their label
        # becomes a valid class, so the crossentropy can be computed).
        labels = np.asarray(y_true, dtype=np.float64)
        keep = (labels != self.ignore_class).reshape(len(labels), -1).all(axis=1)
        weights = keep.astype(np.float64)
        if sample_weight is not None:
            weights = weights * np.asarray(sample_weight, dtype=np.float64).reshape(len(labels))
        return super().update_state(np.where(labels == self.ignore_class, 0, labels), y_pred,
                                    weights)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


class KLDivergence(_LossMean):
    """The mean Kullback-Leibler divergence ``sum(y_true log(y_true / y_pred))``.

    Example:
        >>> m = KLDivergence()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        0.4581
    """

    _loss = staticmethod(losses.kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(_LossMean):
    """The mean Poisson deviance term ``y_pred - y_true log(y_pred)``.

    Example:
        >>> m = Poisson()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(m.result(), 4)
        0.5
    """

    _loss = staticmethod(losses.poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)


class Hinge(_LossMean):
    """The mean hinge ``max(1 - y_true y_pred, 0)``, labels -1/1 (or 0/1, mapped to -1/1).

    Example:
        >>> m = Hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        1.3
    """

    _loss = staticmethod(losses.hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(_LossMean):
    """The mean squared hinge ``max(1 - y_true y_pred, 0)^2``.

    Example:
        >>> m = SquaredHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        1.86
    """

    _loss = staticmethod(losses.squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(_LossMean):
    """The mean categorical hinge ``max(neg - pos + 1, 0)``.

    Example:
        >>> m = CategoricalHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        1.4
    """

    _loss = staticmethod(losses.categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state``.

    Args:
        name: the reported name (default ``"sum"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight, type(self).__name__)
        self.total += float(values.sum())

    def result(self):
        return self.total
