"""Intersection-over-union metrics for segmentation and classification.

All of them accumulate a ``(num_classes, num_classes)`` confusion matrix
(rows the true class, columns the predicted one, weighted by
``sample_weight``) and report, for each target class,
``TP / (TP + FP + FN)``, averaged over the target classes that occurred.
"""

import numpy as np

from kerasite.config import epsilon
from kerasite._validation import integer, number, positive_int
from kerasite.metrics.base import Metric, _as_float_array


class IoU(Metric):
    """The intersection over union of the ``target_class_ids``, averaged over them.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes to score (a list of ids).
        name: the reported name (default ``"io_u"``, Keras's snake case).
        dtype: ignored, for Keras compatibility.
        ignore_class: a label whose pixels are left out, or None.
        sparse_y_true: labels are class ids (``True``) or one-hot along ``axis``.
        sparse_y_pred: predictions are class ids (``True``) or scores along ``axis``.
        axis: the class axis of one-hot labels or scores (default -1).

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        self.num_classes = positive_int(num_classes, "num_classes")
        ids = [integer(i, "target_class_ids", 0) for i in np.atleast_1d(target_class_ids)]
        if not ids or max(ids) >= self.num_classes:
            raise ValueError("`target_class_ids` must be class ids in [0, "
                             f"{self.num_classes}). Received: "
                             f"target_class_ids={target_class_ids!r}.")
        self.target_class_ids = ids
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.axis = integer(axis, "axis")
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = type(self).__name__
        y_true = _as_float_array(y_true, "y_true", owner)
        y_pred = _as_float_array(y_pred, "y_pred", owner)
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{owner} needs one label per prediction. Received: "
                             f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
        w = np.ones_like(y_true)
        if sample_weight is not None:
            # one weight per element, or per sample (spread over its elements)
            w = _as_float_array(sample_weight, "sample_weight", owner)
            w = w.reshape(w.shape + (1,) * (y_true.ndim - w.ndim))
            try:
                w = np.broadcast_to(w, y_true.shape)
            except ValueError:
                raise ValueError(
                    f"{owner}: `sample_weight` must have one weight per sample or per "
                    f"element. Received: sample_weight.shape={np.shape(sample_weight)} for "
                    f"labels of shape {y_true.shape}.") from None
        y_true, y_pred, w = y_true.ravel(), y_pred.ravel(), w.ravel()
        # Out-of-range ids and the ignored class weigh nothing, as in Keras.
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (
            y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        t, p = y_true[keep].astype(np.int64), y_pred[keep].astype(np.int64)
        self.total_cm += np.bincount(t * self.num_classes + p, weights=w[keep],
                                     minlength=self.num_classes ** 2).reshape(
            self.num_classes, self.num_classes)

    def result(self):
        cm = self.total_cm
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + epsilon()), 0.0)
        return float(iou.sum() / (valid.sum() + epsilon()))

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class MeanIoU(IoU):
    """The intersection over union averaged over all ``num_classes`` classes.

    Args: as for :class:`IoU`, without ``target_class_ids`` (every class).

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(positive_int(num_classes, "num_classes"))),
                         name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """The IoU of a binary task, predictions thresholded at ``threshold``.

    Args:
        target_class_ids: which of the classes 0 and 1 to score (default both).
        threshold: predictions ``>= threshold`` are class 1 (default 0.5).
        name: the reported name (default ``"binary_io_u"``).
        dtype: ignored, for Keras compatibility.

    Example:
        >>> m = BinaryIoU(target_class_ids=[1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        self.threshold = number(threshold, "threshold")
        super().__init__(2, list(target_class_ids), name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float_array(y_pred, "y_pred", type(self).__name__) >= self.threshold
        super().update_state(y_true, y_pred.astype(np.float64), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels and per-class scores (argmax taken along ``axis``).

    Args: as for :class:`IoU`; ``sparse_y_pred`` defaults to False.

    Example:
        >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(m.result(), 4)
        0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels and per-class scores.

    Args: as for :class:`MeanIoU`; ``sparse_y_pred`` defaults to False.

    Example:
        >>> m = OneHotMeanIoU(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(m.result(), 4)
        0.1111
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
