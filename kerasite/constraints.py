"""Weight constraints: projections applied to a weight after each update.

A constraint is a callable ``constraint(w) -> w_projected``. Layers take them
as ``kernel_constraint=`` and ``bias_constraint=``, keep them in
``layer.constraints`` (weight name -> constraint), and
``layer.apply_constraints()`` writes each projection back into the weight in
place; the training engine calls it after every optimizer step.

The norms are taken along ``axis`` (0 by default, as in Keras): for a Dense
kernel ``(in, units)`` that is the vector of weights coming into each unit.
For a convolution kernel ``(h, w, in, out)`` pass ``axis=[0, 1, 2]``.

| name | projection |
|---|---|
| `max_norm` | rescales vectors whose norm exceeds `max_value` |
| `min_max_norm` | rescales norms into `[min_value, max_value]` |
| `unit_norm` | rescales every vector to norm 1 |
| `non_neg` | sets negative weights to 0 |

Example:
    >>> import numpy as np
    >>> from kerasite import constraints
    >>> constraints.MaxNorm(1.0)(np.array([[3.0], [4.0]])).round(6)
    array([[0.6],
           [0.8]])
"""

import numpy as np

from kerasite import _registry
from kerasite._validation import is_int, number

# Keras's backend.epsilon(): keeps the division defined for an all-zero vector.
_EPSILON = 1e-7


def _check_axis(axis):
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(is_int(a) for a in axes):
        raise ValueError(f"`axis` must be an integer or a list of integers. Received: "
                         f"axis={axis!r}.")
    return [int(a) for a in axes] if isinstance(axis, (list, tuple)) else int(axis)


def _check_value(value, name):
    return number(value, name, 0)


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (a new array)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def _norms(self, w):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Scales each weight vector down to norm ``max_value`` if it is longer.

    ``w * clip(n, 0, max_value) / (eps + n)``, ``n`` the norm along ``axis``.

    Args:
        max_value: the largest norm allowed (default 2).
        axis: the axis (or axes) of the vectors (default 0).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _check_value(max_value, "max_value")
        self.axis = _check_axis(axis)

    def __call__(self, w):
        norms = self._norms(w)
        return w * (np.clip(norms, 0, self.max_value) / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each vector's norm into ``[min_value, max_value]``, at ``rate``.

    The new norm is ``rate * clip(n, min_value, max_value) + (1 - rate) * n``.

    Args:
        min_value: the smallest norm (default 0).
        max_value: the largest norm (default 1).
        rate: 1 enforces the bounds at once; less moves towards them.
        axis: the axis (or axes) of the vectors (default 0).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check_value(min_value, "min_value")
        self.max_value = _check_value(max_value, "max_value")
        if self.min_value > self.max_value:
            raise ValueError(f"`min_value` must not exceed `max_value`. Received: "
                             f"min_value={min_value!r}, max_value={max_value!r}.")
        self.rate = _check_value(rate, "rate")
        self.axis = _check_axis(axis)

    def __call__(self, w):
        norms = self._norms(w)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) \
            + (1.0 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


class UnitNorm(Constraint):
    """Scales each weight vector to norm 1: ``w / (eps + n)``.

    Args:
        axis: the axis (or axes) of the vectors (default 0).
    """

    def __init__(self, axis=0):
        self.axis = _check_axis(axis)

    def __call__(self, w):
        return w / (_EPSILON + self._norms(w))

    def get_config(self):
        return {"axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0: ``max(w, 0)``."""

    def __call__(self, w):
        return np.maximum(w, 0)


max_norm = MaxNorm
min_max_norm = MinMaxNorm
unit_norm = UnitNorm
non_neg = NonNeg

_REGISTRY = _registry.Registry(
    "constraint", Constraint, classes=(MaxNorm, MinMaxNorm, UnitNorm, NonNeg),
    names={"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "unit_norm": UnitNorm,
           "non_neg": NonNeg},
    hint="or pass an object such as kerasite.constraints.MaxNorm(3)")
_CLASSES, _BY_NAME = _REGISTRY.classes, _REGISTRY.names
register = _REGISTRY.register


def get(identifier):
    """Returns a constraint from a name, a config dict, an instance or ``None``.

    Args:
        identifier: ``"max_norm"``, ``"min_max_norm"``, ``"unit_norm"``,
            ``"non_neg"`` (default settings), a class name such as
            ``"MaxNorm"``, a ``Constraint``, a config dict, or ``None``.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("max_norm")
        MaxNorm(max_value=2.0, axis=0)
    """
    return _REGISTRY.get(identifier)


def serialize(constraint):
    """``None`` for ``None``, else ``{"class_name": ..., "config": ...}``."""
    return _REGISTRY.serialize(constraint)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes."""
    return _REGISTRY.deserialize(config)
