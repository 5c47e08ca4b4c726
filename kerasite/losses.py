"""Loss functions, each with its forward value and its explicit gradient.

Every loss has ``forward(y_true, y_pred, sample_weight=None) -> float`` and
``backward() -> ndarray``, the gradient of that float with respect to
``y_pred``. ``forward`` caches what ``backward`` needs.

The reduction is Keras's ``"sum_over_batch_size"``: ``call`` turns each sample
into one number by reducing the last axis (a mean for MSE, MAE, binary
cross-entropy, ...; a sum over the classes for the categorical
cross-entropies), each of these per-sample values is multiplied by its sample
weight, and the sum is divided by the number of per-sample values (weighted
or not). For 2-D outputs without weights, MSE is therefore the mean of all
squared errors.

The crossentropies also offer ``forward_from_logits(y_true, logits)``: the
trainer's output heads (``kerasite.trainers.heads``) call it when the output
ends in a sigmoid or softmax, so the loss is computed from the logits
(stable, as Keras does), and ``backward`` then returns d loss / d logits,
``(p - y) / n``.

Each loss also exists as a function returning the per-sample values, as in
Keras: ``kerasite.losses.mae(y_true, y_pred)``. A user's own function
``fn(y_true, y_pred)`` written with ``kerasite.ops`` is a loss too
(:class:`LossFunctionWrapper`): its gradient comes from a ``GradientTape``.
Called while a tape records, every loss is one op of that tape.
"""

import math

import numpy as np

from kerasite import _registry, _tape_losses, ops
from kerasite._validation import number
from kerasite.config import epsilon
from kerasite.layers.activations import sigmoid
from kerasite.ops import core as ops_core
from kerasite.utils import EagerArray


class Loss:
    """Base class of losses. ``loss(y_true, y_pred)`` is ``loss.forward(...)``.

    To write your own loss, subclass it and implement ``forward`` (return the
    scalar loss as a float and keep what the gradient needs) and ``backward``
    (return d loss / d ``y_pred``, shaped like ``y_pred``); see "Custom
    losses" in the Losses API reference. The built-in losses implement
    ``call`` (per-sample values) and ``_grad`` (their elementwise derivative)
    instead, and let this class apply the sample weights and the reduction.
    """

    # Losses whose per-sample value is a mean over the last axis read a 1-D
    # ``y_pred`` as one value per sample; the categorical ones read it as one sample.
    _elementwise = True

    def forward(self, y_true, y_pred, sample_weight=None):
        """Returns the weighted mean loss over the batch, and caches for ``backward``.

        Args:
            y_true: targets, ``(batch, *outputs)`` (class indices ``(batch,)``
                for the sparse crossentropy).
            y_pred: predictions, ``(batch, *outputs)``.
            sample_weight: ``None``, or weights ``(batch,)`` (or shaped like the
                per-sample losses, ``y_pred.shape[:-1]``).

        Returns:
            ``sum(w * per_sample_loss) / number_of_per_sample_values``, a float.
        """
        y_true, y_pred = self._prepare(y_true, y_pred)
        if sample_weight is None:
            total, count = self._unweighted(y_true, y_pred)
            self._coef = 1.0 / count
            return total / count
        return self._reduce(self.call(y_true, y_pred), sample_weight)

    def _unweighted(self, y_true, y_pred):
        """The sum of the per-sample losses and their number, without per-sample arrays."""
        if type(self)._elements is Loss._elements:
            losses = self.call(y_true, y_pred)
            return float(np.sum(losses)), max(np.size(losses), 1)
        elements = self._elements(y_true, y_pred)
        d = elements.shape[-1]
        return float(np.sum(elements)) / d, elements.size // d

    def backward(self):
        """Returns d loss / d ``y_pred`` of the last ``forward``, shaped like ``y_pred``."""
        return self._scaled(self._grad())

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss of a batch; while a ``GradientTape`` records, a Tensor it can differentiate.

        See ``_call_recorded`` for how a loss is recorded.
        """
        if ops_core._RECORDING:
            return self._call_recorded(y_true, y_pred, sample_weight)
        if sample_weight is None:  # a custom forward(y_true, y_pred) without weights works too
            return EagerArray.wrap(self.forward(y_true, y_pred))
        return EagerArray.wrap(self.forward(y_true, y_pred, sample_weight))

    def _call_recorded(self, y_true, y_pred, sample_weight):
        """The loss while a ``GradientTape`` records, so that the tape can differentiate it.

        A built-in loss is its formula written with ops (``kerasite._tape_losses``),
        reduced as ``forward`` reduces: every step is recorded, so gradients reach
        ``y_true`` too, and nested tapes give higher derivatives. A loss of
        one's own with ``forward`` and ``backward`` is one node of the tape,
        whose gradient with respect to ``y_pred`` is its ``backward`` (``y_true``
        gets none).
        """
        formula = _TAPE_FORMULAS.get(type(self))
        if formula is None:
            def loss_node(y_true, y_pred):
                if sample_weight is None:
                    value = self.forward(y_true, y_pred)
                else:
                    value = self.forward(y_true, y_pred, sample_weight)
                grad = np.array(self.backward())  # a copy: the next call reuses the buffer
                value = np.asarray(value, dtype=grad.dtype)
                return value, lambda upstream: (None, ops.multiply(upstream, grad))
            return ops.custom_gradient(loss_node)(y_true, y_pred)
        if self._elementwise and ops.ndim(y_pred) == 1:  # (batch,) is (batch, 1)
            y_true, y_pred = ops.reshape(y_true, (-1, 1)), ops.reshape(y_pred, (-1, 1))
        losses = formula(y_true, y_pred, **self.get_config())
        if sample_weight is None:
            return ops.mean(losses)
        w = _sample_weights(sample_weight, ops.shape(losses), type(self).__name__)
        w = w.astype(getattr(losses, "dtype", w.dtype), copy=False)
        return ops.sum(losses * w) / max(int(np.prod(ops.shape(losses))), 1)

    def call(self, y_true, y_pred):
        """Per-sample losses, ``y_pred.shape[:-1]``; caches what ``_grad`` needs.

        Losses that average elementwise terms over the last axis define
        ``_elements`` instead; the others override ``call``.
        """
        return _mean_last(self._elements(y_true, y_pred))

    def _elements(self, y_true, y_pred):
        """Elementwise terms whose mean over the last axis is the per-sample loss."""
        raise NotImplementedError

    def _grad(self):
        """d (per-sample loss) / d ``y_pred``, elementwise, shaped like ``y_pred``."""
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------ the plumbing
    def _prepare(self, y_true, y_pred):
        if type(y_pred) is np.ndarray and type(y_true) is np.ndarray and \
                y_true.dtype == y_pred.dtype and y_pred.dtype.kind == "f" and \
                y_true.shape == y_pred.shape and y_pred.ndim > 1 and y_pred.size:
            # What fit passes at every step: checked already, nothing to convert.
            self._pred_shape = y_pred.shape
            return y_true, y_pred
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._check_same_shape(y_true, y_pred)
        y_true = y_true.astype(y_pred.dtype, copy=False)  # compute in the prediction's dtype
        self._pred_shape = y_pred.shape
        if self._elementwise and y_pred.ndim == 1:  # (batch,) is (batch, 1)
            y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
        return y_true, y_pred

    def _reduce(self, losses, sample_weight):
        """Keras's "sum_over_batch_size" with weights; keeps d loss / d losses in ``_coef``."""
        losses = np.asarray(losses)
        n = max(losses.size, 1)
        w = _sample_weights(sample_weight, losses.shape, type(self).__name__)
        self._coef = (w / n).astype(losses.dtype, copy=False)
        return float((losses * w).sum()) / n

    def _scaled(self, grad):
        """``grad`` times d loss / d per-sample loss, in ``y_pred``'s shape and dtype."""
        coef = self._coef
        if isinstance(coef, float):
            grad *= coef
        else:
            grad *= coef.reshape(coef.shape + (1,) * (grad.ndim - coef.ndim))
        return grad.reshape(self._pred_shape)

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


def _sample_weights(sample_weight, shape, name):
    """``sample_weight`` broadcast to the per-sample losses' ``shape``, as Keras aligns them."""
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (ValueError, TypeError):
        raise TypeError(
            f"{name}: `sample_weight` must be an array of numbers, one per sample. "
            f"Received: {type(sample_weight).__name__}."
        ) from None
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:  # (batch, 1) for (batch,)
        w = w[..., 0]
    elif 1 == w.ndim < len(shape) and w.shape[0] == shape[0]:  # (batch,) for (batch, steps)
        w = w.reshape(w.shape + (1,) * (len(shape) - 1))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"{name}: `sample_weight` must have one weight per sample, shape {shape[:1]}, "
            f"or the per-sample losses' shape {shape}. Received: sample_weight.shape="
            f"{np.shape(sample_weight)}. Pass an array with one weight per row of y_pred."
        ) from None


_LOG2 = math.log(2.0)


def _mean_last(a):
    """``a.mean(axis=-1)``; einsum is several times faster on small batches."""
    return np.einsum("...i->...", a) / a.shape[-1]


def _sum_last(a):
    """``a.sum(axis=-1)``, faster through einsum on small batches."""
    return np.einsum("...i->...", a)


# ==================================================================== regression
class MeanSquaredError(Loss):
    """Mean of ``(y_pred - y_true)**2`` over the last axis.

    Gradient: ``2 (y_pred - y_true) / d`` per sample, ``d`` the last axis.

    Example:
        >>> import numpy as np
        >>> MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    def _set_diff(self, y_true, y_pred):
        self._diff = np.subtract(y_pred, y_true, out=self._buffer("_diff_buf", y_pred))

    def call(self, y_true, y_pred):
        self._set_diff(y_true, y_pred)
        diff = self._diff
        return np.einsum("...i,...i->...", diff, diff) / diff.shape[-1]

    def _unweighted(self, y_true, y_pred):
        self._set_diff(y_true, y_pred)
        flat = self._diff.reshape(-1)
        d = self._diff.shape[-1]
        return float(np.dot(flat, flat)) / d, flat.size // d  # sum of squares through BLAS

    def _grad(self):
        diff = self._diff
        return np.multiply(diff, 2.0 / diff.shape[-1], out=self._buffer("_grad_buf", diff))

    def backward(self):
        if isinstance(self._coef, float):  # no sample weights: one pass over the array
            diff = self._diff
            scale = 2.0 / diff.shape[-1] * self._coef
            grad = np.multiply(diff, scale, out=self._buffer("_grad_buf", diff))
            return grad.reshape(self._pred_shape)
        return super().backward()


class MeanAbsoluteError(Loss):
    """Mean of ``|y_pred - y_true|``. Gradient: ``sign(y_pred - y_true) / d``.

    Example:
        >>> import numpy as np
        >>> MeanAbsoluteError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    def _elements(self, y_true, y_pred):
        diff = self._diff = np.subtract(y_pred, y_true, out=self._buffer("_diff_buf", y_pred))
        return np.abs(diff)

    def _grad(self):
        grad = np.sign(self._diff, out=self._buffer("_grad_buf", self._diff))
        grad /= grad.shape[-1]
        return grad


class MeanAbsolutePercentageError(Loss):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps))`` over the last axis.

    Gradient: ``100 sign(y_pred - y_true) / max(|y_true|, eps) / d``.

    Example:
        >>> import numpy as np
        >>> MeanAbsolutePercentageError()(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))
        37.5
    """

    def _elements(self, y_true, y_pred):
        self._scale = 100.0 / np.maximum(np.abs(y_true), epsilon()).astype(y_pred.dtype)
        self._diff = y_pred - y_true
        return np.abs(self._diff) * self._scale

    def _grad(self):
        return np.sign(self._diff) * self._scale / self._diff.shape[-1]


class MeanSquaredLogarithmicError(Loss):
    """Mean of ``(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2``.

    Gradient: ``2 (log_p - log_t) / (max(y_pred, eps) + 1) / d``, taken at the
    clipped value (so a negative prediction is still pulled up).

    Example:
        >>> import numpy as np
        >>> round(MeanSquaredLogarithmicError()(np.array([[0.0]]), np.array([[np.e - 1]])), 6)
        1.0
    """

    def _elements(self, y_true, y_pred):
        self._p1 = np.maximum(y_pred, epsilon()) + 1
        self._d = np.log(self._p1) - np.log(np.maximum(y_true, epsilon()) + 1)
        return self._d * self._d

    def _grad(self):
        return 2 * self._d / self._p1 / self._d.shape[-1]


class Huber(Loss):
    """Quadratic for small errors, linear for large ones.

    Per element, with ``e = y_pred - y_true``: ``e**2 / 2`` if ``|e| <= delta``,
    else ``delta |e| - delta**2 / 2``; averaged over the last axis. Gradient:
    ``clip(e, -delta, delta) / d``.

    Args:
        delta: where the loss turns from quadratic to linear, a positive number.

    Example:
        >>> import numpy as np
        >>> Huber()(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
        1.3125
    """

    def __init__(self, delta=1.0):
        self.delta = number(delta, "delta", 0, inclusive=(False, True))

    def _elements(self, y_true, y_pred):
        e = self._e = y_pred - y_true
        a = np.abs(e)
        d = self.delta
        return np.where(a <= d, 0.5 * e * e, d * a - 0.5 * d * d)

    def _grad(self):
        return np.clip(self._e, -self.delta, self.delta) / self._e.shape[-1]

    def get_config(self):
        return {"delta": self.delta}


class LogCosh(Loss):
    """Mean of ``log(cosh(y_pred - y_true))``, computed as ``x + softplus(-2x) - log 2``.

    Gradient: ``tanh(y_pred - y_true) / d``.

    Example:
        >>> import numpy as np
        >>> round(LogCosh()(np.array([[0.0]]), np.array([[1.0]])), 6)
        0.433781
    """

    def _elements(self, y_true, y_pred):
        x = self._x = y_pred - y_true
        # softplus(-2x) = max(-2x, 0) + log1p(exp(-|2x|)) never overflows
        return x + np.maximum(-2 * x, 0) + np.log1p(np.exp(-np.abs(2 * x))) - _LOG2

    def _grad(self):
        return np.tanh(self._x) / self._x.shape[-1]


class CosineSimilarity(Loss):
    """Minus the cosine of the angle between ``y_true`` and ``y_pred`` (per sample).

    ``-sum(t_hat * p_hat)`` with ``v_hat = v / max(|v|, eps)`` along the last
    axis, so the loss lies in [-1, 1] and -1 is best. Gradient, with
    ``u = p_hat``: ``-(t_hat - (t_hat . u) u) / |p|``.

    Args:
        axis: the axis of the vectors; only -1 (the last) is supported.

    Example:
        >>> import numpy as np
        >>> CosineSimilarity()(np.array([[0.0, 1.0]]), np.array([[0.0, 3.0]]))
        -1.0
    """

    _elementwise = False

    def __init__(self, axis=-1):
        if axis != -1:
            raise ValueError(f"CosineSimilarity supports only `axis=-1` (the last axis). "
                             f"Received: axis={axis!r}. Move the vector axis last first.")
        self.axis = -1

    def call(self, y_true, y_pred):
        eps = epsilon()
        inv_t = 1 / np.maximum(np.sqrt((y_true * y_true).sum(-1, keepdims=True)), eps)
        norm_p = np.sqrt((y_pred * y_pred).sum(-1, keepdims=True))
        self._inv_p = 1 / np.maximum(norm_p, eps)
        self._clamped = norm_p < eps
        self._t = (y_true * inv_t).astype(y_pred.dtype, copy=False)
        self._u = y_pred * self._inv_p
        self._cos = (self._t * self._u).sum(-1, keepdims=True)
        return -self._cos[..., 0]

    def _grad(self):
        # d/dp of -t.p/|p| is -(t - (t.u) u)/|p|; below eps the norm is held at eps
        radial = np.where(self._clamped, 0.0, self._cos * self._u)
        return -(self._t - radial) * self._inv_p

    def get_config(self):
        return {"axis": self.axis}


# ================================================================ probabilistic
class Poisson(Loss):
    """Mean of ``y_pred - y_true log(y_pred + eps)``, for counts.

    Gradient: ``(1 - y_true / (y_pred + eps)) / d``.

    Example:
        >>> import numpy as np
        >>> Poisson()(np.array([[0.0]]), np.array([[2.0]]))
        2.0
    """

    def _elements(self, y_true, y_pred):
        self._y, self._pe = y_true, y_pred + epsilon()
        return y_pred - y_true * np.log(self._pe)

    def _grad(self):
        return (1 - self._y / self._pe) / self._pe.shape[-1]


class KLDivergence(Loss):
    """``sum(t log(t / p))`` over the last axis, ``t`` and ``p`` clipped to ``[eps, 1]``.

    Gradient: ``-t / p``, taken at the clipped ``p`` (as for the
    crossentropies, so a saturated output still learns).

    Example:
        >>> import numpy as np
        >>> round(KLDivergence()(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])), 6)
        0.143841
    """

    _elementwise = False

    def call(self, y_true, y_pred):
        t = np.clip(y_true, epsilon(), 1).astype(y_pred.dtype, copy=False)
        p = np.clip(y_pred, epsilon(), 1)
        self._t, self._p = t, p
        return (t * np.log(t / p)).sum(axis=-1)

    def _grad(self):
        return -self._t / self._p


# ========================================================================= hinge
def _hinge_labels(y):
    """Labels in {0, 1} become {-1, 1}, as Keras converts them; others stay as given."""
    if np.all((y == 0) | (y == 1)):
        return 2.0 * y - 1.0
    return y


class Hinge(Loss):
    """Mean of ``max(1 - y_true y_pred, 0)``; labels -1/1 (0/1 are converted).

    Gradient: ``-y_true / d`` where the margin is violated, else 0.

    Example:
        >>> import numpy as np
        >>> Hinge()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
        1.0
    """

    def _elements(self, y_true, y_pred):
        y = self._y = _hinge_labels(y_true)
        self._margin = np.maximum(1 - y * y_pred, 0)
        return self._margin

    def _grad(self):
        return np.where(self._margin > 0, -self._y, 0.0).astype(self._margin.dtype) \
            / self._margin.shape[-1]


class SquaredHinge(Hinge):
    """Mean of ``max(1 - y_true y_pred, 0)**2``; labels -1/1 (0/1 are converted).

    Gradient: ``-2 y_true max(1 - y_true y_pred, 0) / d``.

    Example:
        >>> import numpy as np
        >>> SquaredHinge()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
        1.25
    """

    def _elements(self, y_true, y_pred):
        super()._elements(y_true, y_pred)
        return self._margin * self._margin

    def _grad(self):
        return -2 * self._y * self._margin / self._margin.shape[-1]


class CategoricalHinge(Loss):
    """``max(neg - pos + 1, 0)`` per sample, for one-hot labels.

    ``pos = sum(y_true y_pred)`` is the true class's score and
    ``neg = max((1 - y_true) y_pred)`` the best wrong one. Gradient where the
    margin is violated: ``-y_true`` plus ``(1 - y_true)`` at the best wrong class.

    Example:
        >>> import numpy as np
        >>> round(CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.7, 0.3]])), 6)
        1.4
    """

    _elementwise = False

    def call(self, y_true, y_pred):
        y = self._y = y_true.astype(y_pred.dtype, copy=False)
        wrong = (1 - y) * y_pred
        self._arg = wrong.argmax(axis=-1)[..., None]
        self._wrong_weight = np.take_along_axis(1 - y, self._arg, axis=-1)
        losses = np.take_along_axis(wrong, self._arg, -1)[..., 0] - (y * y_pred).sum(-1) + 1
        self._active = losses > 0
        return np.maximum(losses, 0)

    def _grad(self):
        grad = -self._y.copy()
        np.put_along_axis(grad, self._arg,
                          np.take_along_axis(grad, self._arg, -1) + self._wrong_weight, axis=-1)
        grad *= self._active[..., None]
        return grad


# ================================================================ crossentropies
class _FromLogits(Loss):
    """The crossentropies: ``forward_from_logits`` for a model ending in sigmoid/softmax."""

    def forward_from_logits(self, y_true, logits, sample_weight=None):
        """The loss of ``activation(logits)`` computed from the logits, stably.

        The trainer's output heads call it, with ``from_logits=False``, when an
        output ends in a sigmoid (binary) or softmax (categorical): the result
        is the loss on the probabilities without their clipping, as Keras
        computes it, and the next ``backward`` returns d loss / d ``logits``,
        ``(p - y) / n`` per element for one-hot or 0/1 labels.

        Args:
            y_true: the labels, as for ``forward``.
            logits: the pre-activation outputs, shaped like the probabilities.
            sample_weight: as for ``forward``.

        Returns:
            The weighted mean loss, a float.

        Example:
            >>> import numpy as np
            >>> loss = BinaryCrossentropy()
            >>> round(loss.forward_from_logits(np.array([[1.0]]), np.array([[-30.0]])), 4)
            30.0
        """
        saved, self.from_logits = self.from_logits, True
        try:
            return self.forward(y_true, logits, sample_weight)
        finally:
            self.from_logits = saved

    def _grad(self):
        return self._grad_logits() if self._logits else self._grad_probabilities()


class BinaryCrossentropy(_FromLogits):
    """``-[y log p + (1 - y) log(1 - p)]``, averaged, for 0/1 (or soft) labels.

    Args:
        from_logits: ``True`` if ``y_pred`` are logits (any real number),
            ``False`` if they are probabilities (a sigmoid's outputs).
        label_smoothing: in [0, 1]; the labels become
            ``y (1 - label_smoothing) + label_smoothing / 2``.

    With logits it uses ``max(x, 0) - x y + log(1 + exp(-|x|))``, which never
    overflows, and the gradient ``(sigmoid(x) - y) / d``. Probabilities are
    clipped to ``[eps, 1 - eps]`` (eps = 1e-7) so that 0 and 1 stay finite; the
    gradient is taken at the clipped value, so a saturated output still learns.

    Example:
        >>> import numpy as np
        >>> round(BinaryCrossentropy()(np.array([[1.0]]), np.array([[0.5]])), 6)
        0.693147
    """

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = number(label_smoothing, "label_smoothing", 0, 1)

    def _smooth(self, y):
        ls = self.label_smoothing
        return y * (1 - ls) + 0.5 * ls if ls else y

    def _elements(self, y_true, y_pred):
        if self.from_logits:
            return self._elements_logits(y_true, y_pred)
        return self._elements_probabilities(y_true, y_pred)

    def _elements_logits(self, y_true, x):
        y = self._y = self._smooth(y_true)
        self._x, self._logits = x, True
        # -[y log s(x) + (1-y) log(1-s(x))] = max(x, 0) - x y + log(1 + e^-|x|)
        return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))

    def _grad_logits(self):
        x = self._x
        return (sigmoid(x) - self._y) / x.shape[-1]

    def _elements_probabilities(self, y_true, y_pred):
        y = self._y = self._smooth(y_true)
        p = self._p = np.clip(y_pred, epsilon(), 1 - epsilon())
        self._logits = False
        return -(y * np.log(p) + (1 - y) * np.log1p(-p))

    def _grad_probabilities(self):
        p = self._p
        return (p - self._y) / (p * (1 - p)) / p.shape[-1]  # d/dp of -[y log p + (1-y) log(1-p)]

    def get_config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class BinaryFocalCrossentropy(Loss):
    """Binary crossentropy scaled by ``(1 - p_t)**gamma``: easy examples weigh less.

    Per element, with ``p`` the probability (``sigmoid(y_pred)`` for logits),
    ``p_t = y p + (1 - y)(1 - p)`` and ``bce`` the binary crossentropy on
    ``p`` clipped to ``[eps, 1 - eps]``: ``w (1 - p_t)**gamma bce``, averaged
    over the last axis; ``w = y alpha + (1 - y)(1 - alpha)`` with
    ``apply_class_balancing``, else 1. Gradient (d/dp, chained through the
    sigmoid for logits): ``w [-gamma (1 - p_t)**(gamma-1) (2y - 1) bce
    + (1 - p_t)**gamma (p - y) / (p (1 - p))]``.

    Args:
        apply_class_balancing: weigh the classes by ``alpha``.
        alpha: the weight of class 1 with class balancing, in [0, 1].
        gamma: the focusing exponent, >= 0 (0 gives the weighted crossentropy).
        from_logits: ``True`` if ``y_pred`` are logits.
        label_smoothing: in [0, 1], as for ``BinaryCrossentropy``.

    Example:
        >>> import numpy as np
        >>> round(BinaryFocalCrossentropy(gamma=1.0)(np.array([[1.0]]), np.array([[0.5]])), 6)
        0.346574
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0):
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = number(alpha, "alpha", 0, 1)
        self.gamma = number(gamma, "gamma", 0)
        self.from_logits = bool(from_logits)
        self.label_smoothing = number(label_smoothing, "label_smoothing", 0, 1)

    def _elements(self, y_true, y_pred):
        ls = self.label_smoothing
        y = self._y = y_true * (1 - ls) + 0.5 * ls if ls else y_true
        p = self._praw = sigmoid(y_pred) if self.from_logits else y_pred
        pc = self._pc = np.clip(p, epsilon(), 1 - epsilon())
        self._bce = -(y * np.log(pc) + (1 - y) * np.log1p(-pc))
        q = self._q = 1 - (y * p + (1 - y) * (1 - p))  # 1 - p_t
        self._w = y * self.alpha + (1 - y) * (1 - self.alpha) if self.apply_class_balancing \
            else 1.0
        return self._w * q ** self.gamma * self._bce

    def _grad(self):
        y, p, pc, q, g = self._y, self._praw, self._pc, self._q, self.gamma
        grad = q ** g * (pc - y) / (pc * (1 - pc))
        if g:  # d(1 - p_t)/dp = -(2y - 1)
            grad -= g * np.maximum(q, 1e-30) ** (g - 1) * (2 * y - 1) * self._bce
        grad = grad * self._w / p.shape[-1]
        if self.from_logits:
            grad *= p * (1 - p)  # d sigmoid / dx
        return grad

    def get_config(self):
        return {"apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(_FromLogits):
    """``-sum(y log p)`` over the classes, averaged over samples; one-hot labels.

    Args:
        from_logits: ``True`` if ``y_pred`` are logits, ``False`` if they are
            probabilities (a softmax's outputs).
        label_smoothing: in [0, 1]; the labels become
            ``y (1 - label_smoothing) + label_smoothing / classes``.

    With logits it uses a log-softmax, ``x - max - log(sum(exp(x - max)))``,
    and the gradient ``softmax(x) sum(y) - y``. Probabilities are normalised
    to sum to 1 and clipped to ``[eps, 1 - eps]``, as Keras does.

    Example:
        >>> import numpy as np
        >>> round(CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])), 6)
        0.693147
    """

    _elementwise = False

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = number(label_smoothing, "label_smoothing", 0, 1)

    def _smooth(self, y):
        ls = self.label_smoothing
        return y * (1 - ls) + ls / y.shape[-1] if ls else y

    def call(self, y_true, y_pred):
        if self.from_logits:
            return self._call_logits(y_true, y_pred)
        return self._call_probabilities(y_true, y_pred)

    def _call_logits(self, y_true, x):
        y = self._y = self._smooth(y_true)
        shifted = x - x.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(_sum_last(np.exp(shifted))[..., None])
        self._softmax, self._logits = np.exp(log_p), True
        return -_sum_last(y * log_p)

    def _grad_logits(self):
        y = self._y
        return self._softmax * _sum_last(y)[..., None] - y

    def _call_probabilities(self, y_true, y_pred):
        y = self._y = self._smooth(y_true)
        total = _sum_last(y_pred)[..., None]
        p = np.clip(y_pred / total, epsilon(), 1 - epsilon())
        self._p, self._total, self._logits = p, total, False
        return -_sum_last(y * np.log(p))

    def _grad_probabilities(self):
        p = self._p
        # loss = -sum y log(q) with q = p / S: dL/dp = (dL/dq - sum(dL/dq * q)) / S
        dq = -self._y / p
        return ((dq - _sum_last(dq * p)[..., None]) / self._total).astype(
            p.dtype, copy=False)

    def get_config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer labels instead of one-hot rows.

    ``y_true`` holds class indices, shape ``(batch,)`` or ``(batch, 1)``;
    ``y_pred`` is ``(batch, classes)``. As in Keras, it has no label smoothing.

    Example:
        >>> import numpy as np
        >>> round(SparseCategoricalCrossentropy()(np.array([1]), np.array([[0.5, 0.5]])), 6)
        0.693147
    """

    def __init__(self, from_logits=False):
        super().__init__(from_logits=from_logits)

    def _prepare(self, y_true, y_pred):
        y_true, y_pred = self._arrays(y_true, y_pred)
        self._pred_shape = y_pred.shape
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
        return one_hot, y_pred

    def get_config(self):
        return {"from_logits": self.from_logits}


def _label_hint(loss, y_true, y_pred):
    if isinstance(loss, SparseCategoricalCrossentropy) and y_true.shape == y_pred.shape:
        return ("These labels look one-hot encoded: use loss='categorical_crossentropy', "
                "or pass integer class indices.")
    if isinstance(loss, CategoricalCrossentropy) and not isinstance(
            loss, SparseCategoricalCrossentropy) and y_true.shape == y_pred.shape[:-1]:
        return ("These labels look like integer class indices: use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them.")
    return "Make the labels match the model's output shape."


# ================================================================ user functions
_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight")


class LossFunctionWrapper(Loss):
    """A loss from a plain function ``fn(y_true, y_pred)`` written with ``kerasite.ops``.

    ``fn`` returns the loss of each sample (any shape, or a scalar); the
    values are weighted and reduced as Keras's ``LossFunctionWrapper`` does:
    ``sum(w * values) / values.size`` (``"sum_over_batch_size"``, also
    ``"mean"``), ``sum(w * values)`` (``"sum"``) or ``sum(w * values) / sum(w)``
    (``"mean_with_sample_weight"``). ``compile(loss=fn)`` makes one.

    ``forward`` runs ``fn`` under a ``GradientTape`` watching ``y_pred`` and
    keeps the gradient, which ``backward`` returns: the gradient is the ops'
    own backwards, so ``fn`` must use ``kerasite.ops`` (a NumPy function on
    the watched predictions raises a ``TypeError`` naming its replacement).

    Args:
        fn: the function, ``fn(y_true, y_pred, **kwargs)``.
        reduction: one of ``"sum_over_batch_size"`` (the default), ``"sum"``,
            ``"mean"``, ``"mean_with_sample_weight"``.
        name: the loss's name (the function's by default).
        dtype: accepted for Keras compatibility; the loss is computed in
            ``y_pred``'s dtype.
        **kwargs: passed on to ``fn``.

    Example:
        >>> import numpy as np
        >>> from kerasite import ops
        >>> def mean_fourth_power(y_true, y_pred):
        ...     return ops.mean((y_pred - y_true) ** 4, axis=-1)
        >>> loss = LossFunctionWrapper(mean_fourth_power)
        >>> loss.forward(np.zeros((2, 1)), np.array([[1.0], [2.0]]))
        8.5
        >>> loss.backward().tolist()  # 4 e**3 / 2 samples
        [[2.0], [16.0]]
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"`fn` must be a function fn(y_true, y_pred). Received: fn={fn!r}.")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"`reduction` must be one of {list(_REDUCTIONS)}: training needs "
                             f"one number per batch. Received: reduction={reduction!r}.")
        self.fn, self.reduction, self.dtype = fn, reduction, dtype
        self.name = name if name is not None else getattr(fn, "__name__", "loss")
        self._fn_kwargs = kwargs

    def forward(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._inputs(y_true, y_pred)
        pred = ops.convert_to_tensor(y_pred)
        with ops.GradientTape() as tape:
            tape.watch(pred)
            value = self._reduced(y_true, pred, sample_weight)
        grad = tape.gradient(value, pred)
        self._grad_value = np.zeros_like(y_pred) if grad is None else \
            np.asarray(grad, dtype=y_pred.dtype).reshape(y_pred.shape)
        return float(np.asarray(value))

    def backward(self):
        return self._grad_value

    def __call__(self, y_true, y_pred, sample_weight=None):
        if ops_core._RECORDING:  # the ops of fn are recorded as they run
            return self._reduced(*self._inputs(y_true, y_pred, keep_tensor=True), sample_weight)
        return super().__call__(y_true, y_pred, sample_weight)

    def _inputs(self, y_true, y_pred, keep_tensor=False):
        """``y_pred`` as a float array (a tracked Tensor kept), ``y_true`` cast to its dtype."""
        if not (keep_tensor and isinstance(y_pred, ops.Tensor)):
            y_pred = np.asarray(ops_core._raw(y_pred))
            if y_pred.dtype.kind != "f":
                y_pred = y_pred.astype(np.float64)
        y_true = np.asarray(ops_core._raw(y_true))
        if y_true.dtype.kind in "fiub":
            y_true = y_true.astype(y_pred.dtype, copy=False)
        if y_true.ndim == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:  # Keras squeezes
            y_true = y_true[..., 0]
        return y_true, y_pred

    def _reduced(self, y_true, y_pred, sample_weight):
        """``fn``'s values weighted and reduced, with ops (so a tape sees every step)."""
        values = self.fn(y_true, y_pred, **self._fn_kwargs)
        shape = ops.shape(values)
        w = None
        if sample_weight is not None:
            w = _sample_weights(sample_weight, shape, self.name) if shape else \
                np.asarray(np.mean(sample_weight))
            values = ops.multiply(values, w.astype(getattr(values, "dtype", np.float64)))
        if not shape:  # a scalar already: Keras reduces nothing further
            return values
        total = ops.sum(values)
        if self.reduction == "sum":
            return total
        divisor = float(np.sum(w)) if self.reduction == "mean_with_sample_weight" and \
            w is not None else float(np.prod(shape))
        return ops.multiply(total, 1.0 / divisor) if divisor else ops.multiply(total, 0.0)

    def get_config(self):
        return {"fn": function_config(self.fn), "reduction": self.reduction, "name": self.name,
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(function_from_config(config.pop("fn"), "loss"), **config)

    def __repr__(self):
        return f"LossFunctionWrapper({self.name})"


def function_config(fn):
    """How a file names a user's function: Keras 3's ``{"class_name": "function", ...}``.

    Saving needs nothing more; loading finds the function by that name among
    those registered with ``@kerasite.saving.register_keras_serializable()``.
    A registered function is named ``"Custom>name"``, as Keras names one
    registered in its default package, so that Keras finds it too.
    """
    name = getattr(fn, "__name__", type(fn).__name__)
    if _registry.registered_function(name) is fn:
        return {"module": "builtins", "class_name": "function", "config": f"Custom>{name}",
                "registered_name": "function"}
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": name, "registered_name": "function"}


def function_from_config(config, kind):
    """The registered function a ``function_config`` names.

    Raises:
        TypeError: if no function of that name is registered, as Keras 3 does.
    """
    name = config.get("config") if isinstance(config, dict) else config
    fn = _registry.registered_function(name)
    if fn is None:
        raise TypeError(
            f"Could not locate the {kind} function {name!r}. Decorate it with "
            "@kerasite.saving.register_keras_serializable() and make sure that code has run "
            "before loading, or load with compile=False and compile again.")
    return fn


def _is_function_config(config):
    return isinstance(config, dict) and config.get("class_name") == "function"


# ================================================================ function forms
def _function_form(cls, doc):
    def per_sample(y_true, y_pred, **kwargs):
        if ops_core._RECORDING:  # a tape records: the same formula, written with ops
            return _tape_losses.BY_CLASS_NAME[cls.__name__](y_true, y_pred, **kwargs)
        loss = cls(**kwargs)
        y_true, y_pred = loss._arrays(y_true, y_pred)
        if not isinstance(loss, SparseCategoricalCrossentropy):
            loss._check_same_shape(y_true, y_pred)
            y_true = y_true.astype(y_pred.dtype, copy=False)
        else:
            y_true, y_pred = loss._prepare(y_true, y_pred)
        return np.asarray(loss.call(y_true, y_pred))

    per_sample.__doc__ = (
        f"Per-sample {doc}: ``{cls.__name__}`` without the reduction.\n\n"
        "Args:\n    y_true: targets, ``(batch, *outputs)``.\n"
        "    y_pred: predictions, ``(batch, *outputs)``.\n"
        f"    **kwargs: the arguments of ``{cls.__name__}``.\n\n"
        "Returns:\n    The loss of each sample, ``y_pred.shape[:-1]``.\n"
    )
    per_sample._loss_class = cls
    return per_sample


mean_squared_error = mse = MSE = _function_form(MeanSquaredError, "mean squared error")
mean_absolute_error = mae = MAE = _function_form(MeanAbsoluteError, "mean absolute error")
mean_absolute_percentage_error = mape = MAPE = _function_form(
    MeanAbsolutePercentageError, "mean absolute percentage error")
mean_squared_logarithmic_error = msle = MSLE = _function_form(
    MeanSquaredLogarithmicError, "mean squared logarithmic error")
huber = _function_form(Huber, "Huber loss")
log_cosh = logcosh = _function_form(LogCosh, "log-cosh loss")
cosine_similarity = _function_form(CosineSimilarity, "negative cosine similarity")
poisson = _function_form(Poisson, "Poisson loss")
kl_divergence = kld = KLD = _function_form(KLDivergence, "Kullback-Leibler divergence")
hinge = _function_form(Hinge, "hinge loss")
squared_hinge = _function_form(SquaredHinge, "squared hinge loss")
categorical_hinge = _function_form(CategoricalHinge, "categorical hinge loss")
binary_crossentropy = _function_form(BinaryCrossentropy, "binary crossentropy")
binary_focal_crossentropy = _function_form(BinaryFocalCrossentropy,
                                           "binary focal crossentropy")
categorical_crossentropy = _function_form(CategoricalCrossentropy, "categorical crossentropy")
sparse_categorical_crossentropy = _function_form(SparseCategoricalCrossentropy,
                                                 "sparse categorical crossentropy")

# Under a tape, each built-in loss computes with the formula of the same name written
# with ops; its config holds exactly the formula's keyword arguments.
_TAPE_FORMULAS = {cls: _tape_losses.BY_CLASS_NAME[cls.__name__] for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, CosineSimilarity, Poisson, KLDivergence,
    Hinge, SquaredHinge, CategoricalHinge, BinaryCrossentropy, BinaryFocalCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy)}

_BY_NAME = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "huber": Huber,
    "huber_loss": Huber,
    "log_cosh": LogCosh,
    "logcosh": LogCosh,
    "cosine_similarity": CosineSimilarity,
    "poisson": Poisson,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
def _from_function(fn):
    # Keras's function forms (kerasite.losses.mae) name their class; any other
    # fn(y_true, y_pred) is wrapped, its gradient found by a GradientTape.
    cls = getattr(fn, "_loss_class", None)
    return cls() if cls is not None else LossFunctionWrapper(fn)


_REGISTRY = _registry.Registry(
    "loss", Loss, classes={*_BY_NAME.values(), LossFunctionWrapper}, names=_BY_NAME,
    hint="or pass an instance of kerasite.losses.Loss", from_callable=_from_function,
    accepts_none=False)  # compile needs a loss
register = _REGISTRY.register


def get(identifier):
    """Returns a loss from a name, a config dict, a class, a function form or an instance.

    Args:
        identifier: a name such as ``"mse"``, ``"huber"``, ``"kld"`` or
            ``"binary_crossentropy"`` (every name Keras accepts, see
            ``kerasite.losses._BY_NAME``); a ``Loss`` instance or subclass; one
            of this module's functions (``kerasite.losses.mae``); any other
            function ``fn(y_true, y_pred)`` written with ``kerasite.ops``
            (wrapped in a :class:`LossFunctionWrapper`); a
            ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for a saved function that is not registered.

    Example:
        >>> get("mse")
        MeanSquaredError()
        >>> get(mae)
        MeanAbsoluteError()
    """
    if _is_function_config(identifier):
        return LossFunctionWrapper(function_from_config(identifier, "loss"))
    return _REGISTRY.get(identifier)


def serialize(loss):
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read."""
    return _REGISTRY.serialize(loss)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes (and registered functions)."""
    if _is_function_config(config):
        return get(config)
    return _REGISTRY.deserialize(config)
