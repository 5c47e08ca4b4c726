"""Metrics reported during ``fit`` and ``evaluate``.

A metric accumulates a sum over the batches of an epoch and reports its mean,
weighted by the number of samples, so the epoch value does not depend on how
the data was cut into batches.

``"accuracy"`` picks its kind from the loss and the label shapes, as Keras
does: binary for ``binary_crossentropy`` or a single output unit, sparse for
integer labels, categorical for one-hot labels.
"""

import numpy as np

from kerasite import losses


class Metric:
    """Base class: ``update(y_true, y_pred)`` per batch, ``result()`` per epoch.

    Subclasses implement ``batch_sum``; the result is the sum over all samples
    seen since ``reset``, divided by their number.

    Args:
        name: the key under which ``fit`` and ``evaluate`` report the value.

    Example:
        >>> import numpy as np
        >>> m = MeanAbsoluteError("mae")
        >>> m.update(np.array([[0.0], [1.0]]), np.array([[0.5], [1.0]]))
        >>> m.update(np.array([[2.0]]), np.array([[1.0]]))
        >>> m.result()
        0.5
    """

    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, y_true, y_pred):
        self.total += float(self.batch_sum(y_true, y_pred))
        self.count += len(y_pred)

    def result(self):
        return self.total / self.count if self.count else 0.0

    def batch_sum(self, y_true, y_pred):
        """Sum over the samples of the batch of the per-sample value.

        Args:
            y_true: the targets of the batch, ``(batch, *outputs)``, or integer
                labels ``(batch,)``.
            y_pred: the model's outputs for the batch, ``(batch, *outputs)``.

        Returns:
            A number: the per-sample values added over the batch.
        """
        raise NotImplementedError


class MeanSquaredError(Metric):
    """Mean over samples of the mean squared error over each sample's outputs."""

    def batch_sum(self, y_true, y_pred):
        diff = y_pred - y_true
        return (diff * diff).reshape(len(diff), -1).mean(axis=1).sum()


class MeanAbsoluteError(Metric):
    """Mean over samples of the mean absolute error over each sample's outputs."""

    def batch_sum(self, y_true, y_pred):
        return np.abs(y_pred - y_true).reshape(len(y_pred), -1).mean(axis=1).sum()


class BinaryAccuracy(Metric):
    """Share of outputs on the right side of ``threshold`` (0.5, or 0 for logits).

    Args:
        name: the reported name.
        threshold: outputs above it count as class 1. ``"accuracy"`` picks 0
            when the loss has ``from_logits=True``.

    Example:
        >>> import numpy as np
        >>> m = BinaryAccuracy()
        >>> m.update(np.array([[1.0], [0.0]]), np.array([[0.9], [0.7]]))
        >>> m.result()
        0.5
    """

    def __init__(self, name="accuracy", threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def batch_sum(self, y_true, y_pred):
        hits = (y_pred > self.threshold) == (y_true > 0.5)
        return hits.reshape(len(hits), -1).mean(axis=1).sum()


class CategoricalAccuracy(Metric):
    """Share of samples whose largest output is the one-hot label's class."""

    def batch_sum(self, y_true, y_pred):
        return np.count_nonzero(y_pred.argmax(axis=-1) == y_true.argmax(axis=-1))


class SparseCategoricalAccuracy(Metric):
    """Share of samples whose largest output is the integer label."""

    def batch_sum(self, y_true, y_pred):
        labels = y_true.reshape(y_pred.shape[:-1])
        return np.count_nonzero(y_pred.argmax(axis=-1) == labels)


_VALID = ("accuracy", "acc", "mae", "mse", "mean_absolute_error", "mean_squared_error")


def get(identifier, loss, output_shape, target_shape=None):
    """Makes the metric named ``identifier`` for a model with this loss and output.

    Args:
        identifier: ``"accuracy"`` (or ``"acc"``), ``"mae"``, ``"mse"``, or a
            ``Metric`` instance.
        loss: the compiled loss, used to pick the kind of accuracy.
        output_shape: the model's output shape, ``(None, *features)``.
        target_shape: the labels' shape; integer labels with one axis fewer
            than the output (or a last axis of 1) mean sparse accuracy.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(identifier, Metric):
        return identifier
    if not isinstance(identifier, str) or identifier.lower() not in _VALID:
        raise ValueError(
            f"Unknown metric: {identifier!r}. Valid names are {list(_VALID)}, "
            "or pass an instance of kerasite.metrics.Metric."
        )
    key = identifier.lower()
    if key in ("mae", "mean_absolute_error"):
        return MeanAbsoluteError(identifier)
    if key in ("mse", "mean_squared_error"):
        return MeanSquaredError(identifier)
    sparse_labels = target_shape is not None and output_shape and output_shape[-1] > 1 and (
        len(target_shape) == len(output_shape) - 1 or target_shape[-1] == 1)
    if isinstance(loss, losses.SparseCategoricalCrossentropy) or sparse_labels:
        return SparseCategoricalAccuracy(identifier)
    if isinstance(loss, losses.BinaryCrossentropy) or (output_shape and output_shape[-1] == 1):
        logits = getattr(loss, "from_logits", False)
        return BinaryAccuracy(identifier, threshold=0.0 if logits else 0.5)
    return CategoricalAccuracy(identifier)
