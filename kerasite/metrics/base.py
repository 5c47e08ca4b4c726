"""The metric base classes: ``Metric``, ``Mean`` and ``MeanMetricWrapper``.

Every metric of :mod:`kerasite.metrics` derives from ``Metric``; the helpers
here check and align ``y_true``/``y_pred`` and reduce per-sample values the
way Keras does.
"""

import numpy as np

from kerasite import _registry


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


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:  # Keras squeezes or expands
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0]
    return y_true, y_pred
