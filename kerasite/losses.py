"""Loss functions.

Each loss has ``forward(y_true, y_pred) -> float``, the mean over the batch as
Keras reports it, and ``backward() -> ndarray``, the gradient of that mean with
respect to ``y_pred``. ``forward`` caches what ``backward`` needs.

Per-sample losses average over the last axis (MSE, MAE, binary cross-entropy)
or sum over the classes (categorical cross-entropies); the reported loss is
their mean over every other axis. For 2-D outputs, MSE is therefore the mean of
all squared errors.
"""

import numpy as np

from kerasite import _registry
from kerasite.config import epsilon


class Loss:
    """Base class of losses. ``loss(y_true, y_pred)`` is ``loss.forward(...)``."""

    def forward(self, y_true, y_pred):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred):
        return self.forward(y_true, y_pred)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _arrays(self, y_true, y_pred):
        """Both inputs as real-valued arrays, ``y_pred`` in a float type; cheap for arrays."""
        name = type(self).__name__
        try:
            y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        except (ValueError, TypeError):
            raise ValueError(
                f"{name} could not turn its inputs into arrays (ragged or mixed rows?). "
                "Pass NumPy arrays of numbers."
            ) from None
        for arg, a in (("y_true", y_true), ("y_pred", y_pred)):
            if a.dtype.kind not in "fiub":
                raise TypeError(
                    f"{name} needs arrays of real numbers; `{arg}` has dtype {a.dtype}. "
                    f"Convert it first, e.g. np.asarray({arg}, dtype='float32')."
                )
            if a.ndim == 0 or a.size == 0:
                raise ValueError(
                    f"{name} needs a non-empty batch; `{arg}` has shape {a.shape}. "
                    "Pass arrays shaped (batch, ...) with at least one sample."
                )
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float64)
        if y_true.dtype.kind == "b":  # NumPy has no boolean subtraction (1 - y)
            y_true = y_true.astype(y_pred.dtype)
        return y_true, y_pred

    def _check_same_shape(self, y_true, y_pred):
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{type(self).__name__} needs `y_true` and `y_pred` of the same shape. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}. "
                + _label_hint(self, y_true, y_pred)
            )

    def _buffer(self, key, like):
        """A scratch array reused from batch to batch while shapes stay the same."""
        buf = self.__dict__.get(key)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self.__dict__[key] = np.empty_like(like)
        return buf

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    """Mean of ``(y_pred - y_true)**2``; the reports' loss.

    Gradient: ``2 (y_pred - y_true) / n`` with ``n`` the number of elements.

    Example:
        >>> import numpy as np
        >>> MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    def forward(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._check_same_shape(y_true, y_pred)
        diff = self._diff = self._buffer("_diff_buf", y_pred)
        np.subtract(y_pred, y_true, out=diff)
        flat = diff.reshape(-1)
        return float(np.dot(flat, flat)) / diff.size  # sum of squares through BLAS

    def backward(self):
        diff = self._diff
        return np.multiply(diff, 2.0 / diff.size, out=self._buffer("_grad_buf", diff))


class MeanAbsoluteError(Loss):
    """Mean of ``|y_pred - y_true|``. Gradient: ``sign(y_pred - y_true) / n``.

    Example:
        >>> import numpy as np
        >>> MeanAbsoluteError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    def forward(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._check_same_shape(y_true, y_pred)
        diff = self._diff = self._buffer("_diff_buf", y_pred)
        np.subtract(y_pred, y_true, out=diff)
        return float(np.abs(diff).sum()) / diff.size

    def backward(self):
        grad = np.sign(self._diff, out=self._buffer("_grad_buf", self._diff))
        grad /= grad.size
        return grad


class BinaryCrossentropy(Loss):
    """``-[y log p + (1 - y) log(1 - p)]``, averaged, for 0/1 (or soft) labels.

    Args:
        from_logits: ``True`` if ``y_pred`` are logits (any real number),
            ``False`` if they are probabilities (a sigmoid's outputs).

    With logits it uses ``max(x, 0) - x y + log(1 + exp(-|x|))``, which never
    overflows, and the gradient ``(sigmoid(x) - y) / n``. Probabilities are
    clipped to ``[eps, 1 - eps]`` (eps = 1e-7) so that 0 and 1 stay finite; the
    gradient is taken at the clipped value, so a saturated output still learns.

    Example:
        >>> import numpy as np
        >>> round(BinaryCrossentropy()(np.array([[1.0]]), np.array([[0.5]])), 6)
        0.693147
    """

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def forward(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._check_same_shape(y_true, y_pred)
        self._y, n = y_true, y_pred.size
        if self.from_logits:
            x = y_pred
            self._x = x
            losses = np.maximum(x, 0) - x * y_true + np.log1p(np.exp(-np.abs(x)))
            return float(losses.sum()) / n
        p = np.clip(y_pred, epsilon(), 1 - epsilon())
        self._p = p
        losses = y_true * np.log(p) + (1 - y_true) * np.log1p(-p)
        return -float(losses.sum()) / n

    def backward(self):
        y = self._y
        if self.from_logits:
            x = self._x
            # sigmoid(x) = (1 + tanh(x/2)) / 2 is stable for any x.
            grad = 0.5 * (1 + np.tanh(0.5 * x)) - y
            return (grad / x.size).astype(x.dtype, copy=False)
        p = self._p
        grad = (p - y) / (p * (1 - p))  # d/dp of -[y log p + (1-y) log(1-p)]
        return (grad / p.size).astype(p.dtype, copy=False)

    def get_config(self):
        return {"from_logits": self.from_logits}


class CategoricalCrossentropy(Loss):
    """``-sum(y log p)`` over the classes, averaged over samples; one-hot labels.

    Args:
        from_logits: ``True`` if ``y_pred`` are logits, ``False`` if they are
            probabilities (a softmax's outputs).

    With logits it uses a log-softmax, ``x - max - log(sum(exp(x - max)))``,
    and the gradient ``(softmax(x) sum(y) - y) / batch``. Probabilities are
    normalised to sum to 1 and clipped to ``[eps, 1 - eps]``, as Keras does.

    Example:
        >>> import numpy as np
        >>> round(CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])), 6)
        0.693147
    """

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def forward(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._check_same_shape(y_true, y_pred)
        return self._forward(y_true, y_pred)

    def _forward(self, y_true, y_pred):
        self._y = y_true
        batch = y_pred.size // y_pred.shape[-1]
        if self.from_logits:
            shifted = y_pred - y_pred.max(axis=-1, keepdims=True)
            log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            log_p = shifted - log_sum
            self._softmax = np.exp(log_p)
            return -float((y_true * log_p).sum()) / batch
        total = y_pred.sum(axis=-1, keepdims=True)
        p = np.clip(y_pred / total, epsilon(), 1 - epsilon())
        self._p, self._total = p, total
        return -float((y_true * np.log(p)).sum()) / batch

    def backward(self):
        y = self._y
        if self.from_logits:
            s = self._softmax
            batch = s.size // s.shape[-1]
            grad = s * y.sum(axis=-1, keepdims=True) - y
            return (grad / batch).astype(s.dtype, copy=False)
        p, total = self._p, self._total
        batch = p.size // p.shape[-1]
        # loss = -sum y log(q) with q = p / S: dL/dp = (dL/dq - sum(dL/dq * q)) / S
        dq = -y / p
        grad = (dq - (dq * p).sum(axis=-1, keepdims=True)) / total
        return (grad / batch).astype(p.dtype, copy=False)

    def get_config(self):
        return {"from_logits": self.from_logits}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer labels instead of one-hot rows.

    ``y_true`` holds class indices, shape ``(batch,)`` or ``(batch, 1)``;
    ``y_pred`` is ``(batch, classes)``.

    Example:
        >>> import numpy as np
        >>> round(SparseCategoricalCrossentropy()(np.array([1]), np.array([[0.5, 0.5]])), 6)
        0.693147
    """

    def forward(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        if y_pred.ndim < 2:
            raise ValueError(
                "SparseCategoricalCrossentropy needs predictions of shape (batch, classes). "
                f"Received: y_pred.shape={y_pred.shape}."
            )
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape[:-1]:
            raise ValueError(
                "SparseCategoricalCrossentropy needs integer labels of shape "
                f"{y_pred.shape[:-1]} (one class index per sample) for predictions of shape "
                f"{y_pred.shape}. Received: y_true.shape={y_true.shape}. "
                + _label_hint(self, y_true, y_pred)
            )
        labels = y_true.astype(np.int64)
        n_classes = y_pred.shape[-1]
        if y_true.size and (labels.min() < 0 or labels.max() >= n_classes
                            or not np.array_equal(labels, y_true)):
            raise ValueError(
                f"SparseCategoricalCrossentropy needs integer class indices in [0, {n_classes}). "
                f"Received labels from {y_true.min()} to {y_true.max()}."
            )
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        np.put_along_axis(one_hot, labels[..., None], 1, axis=-1)
        return self._forward(one_hot, y_pred)


def _label_hint(loss, y_true, y_pred):
    if isinstance(loss, SparseCategoricalCrossentropy) and y_true.shape == y_pred.shape:
        return ("These labels look one-hot encoded: use loss='categorical_crossentropy', "
                "or pass integer class indices.")
    if isinstance(loss, CategoricalCrossentropy) and not isinstance(
            loss, SparseCategoricalCrossentropy) and y_true.shape == y_pred.shape[:-1]:
        return ("These labels look like integer class indices: use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them.")
    return "Make the labels match the model's output shape."


_BY_NAME = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}



def get(identifier):
    """Returns a loss from a name, a config dict or an instance.

    Args:
        identifier: ``"mse"``, ``"mae"``, ``"binary_crossentropy"``,
            ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``
            (or the long names ``"mean_squared_error"``, ...); a ``Loss``; or a
            ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("mse")
        MeanSquaredError()
    """
    return _registry.lookup(identifier, Loss, _BY_NAME, "loss",
                            "pass an instance of kerasite.losses.Loss")


serialize = _registry.serialize
