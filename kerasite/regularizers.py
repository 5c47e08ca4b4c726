"""Weight and activity regularizers: penalties added to the loss.

A regularizer is an object with two methods, the penalty and its gradient:

| name | penalty `r(w)` | gradient `d r / d w` |
|---|---|---|
| `l1` | `l1 * sum(abs(w))` | `l1 * sign(w)` |
| `l2` | `l2 * sum(w**2)` | `2 * l2 * w` |
| `l1_l2` | `l1 * sum(abs(w)) + l2 * sum(w**2)` | the sum of the two |

As in Keras, the names give ``L1(0.01)``, ``L2(0.01)`` and
``L1L2(l1=0.01, l2=0.01)``, while the class ``L1L2()`` defaults to no penalty
at all. There is no 1/2 in front of the L2 term (Keras has none), so its
gradient carries a 2. The L1 term has no derivative at 0; kerasite uses 0
there (the subgradient ``sign(0) = 0``).

Layers take them as ``kernel_regularizer=``, ``bias_regularizer=`` and
``activity_regularizer=``. A layer keeps its weight regularizers in
``layer.regularizers`` (weight name -> regularizer); the training engine adds
``layer.regularization_penalty()`` to the loss and
``layer.add_regularization_gradients()`` to the weights' gradients. An
activity regularizer's penalty is divided by the batch size, as in Keras.

Example:
    >>> import numpy as np
    >>> from kerasite import regularizers
    >>> reg = regularizers.l2(0.5)
    >>> w = np.array([1.0, -2.0])
    >>> reg(w)
    2.5
    >>> reg.gradient(w)
    array([ 1., -2.])
"""

import numpy as np

from kerasite import _registry
from kerasite._validation import number


def _check_factor(value, name):
    return number(value, name, 0, expected="a finite number >= 0, the strength of the penalty")


class Regularizer:
    """Base class: ``__call__(w)`` is the penalty, ``gradient(w)`` its derivative.

    A custom regularizer subclasses it and implements both, plus
    ``get_config`` to be saved.
    """

    def __call__(self, w):
        return 0.0

    def gradient(self, w):
        """d penalty / d ``w``, an array shaped like ``w``."""
        return np.zeros_like(w)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``.

    Args:
        l1: the L1 factor, ``>= 0`` (default 0).
        l2: the L2 factor, ``>= 0`` (default 0).

    Example:
        >>> import numpy as np
        >>> L1L2(l1=1.0, l2=1.0)(np.array([3.0]))
        12.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, w):
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(w)))
        if self.l2:
            penalty += self.l2 * float(np.sum(np.square(w)))
        return penalty

    def gradient(self, w):
        grad = np.zeros_like(w)
        if self.l1:
            grad += self.l1 * np.sign(w)
        if self.l2:
            grad += (2.0 * self.l2) * w
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)``; its gradient is ``l1 * sign(w)``.

    Args:
        l1: the factor, ``>= 0`` (default 0.01).
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w**2)``; its gradient is ``2 * l2 * w``.

    Args:
        l2: the factor, ``>= 0`` (default 0.01).
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


# Keras's lower-case names are aliases of the classes.
l1 = L1
l2 = L2
l1_l2 = L1L2



def _refuse_function(fn):
    raise TypeError(
        f"A plain function ({getattr(fn, '__name__', fn)!r}) cannot be a "
        "regularizer here: kerasite needs its gradient too. Subclass "
        "kerasite.regularizers.Regularizer with __call__(w) and gradient(w).")


_REGISTRY = _registry.Registry(
    "regularizer", Regularizer, classes=(L1, L2, L1L2),
    names={"l1": lambda: L1(), "l2": lambda: L2(), "l1_l2": lambda: L1L2(0.01, 0.01)},
    hint="or pass an object such as kerasite.regularizers.L2(1e-4)",
    from_callable=_refuse_function)
_CLASSES, _BY_NAME = _REGISTRY.classes, _REGISTRY.names
register = _REGISTRY.register


def get(identifier):
    """Returns a regularizer from a name, a config dict, an instance or ``None``.

    Args:
        identifier: ``"l1"``, ``"l2"``, ``"l1_l2"`` (each with factor 0.01),
            a ``Regularizer``, a ``{"class_name", "config"}`` dict, or
            ``None`` (no regularizer, returned as ``None``).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for a plain function, which has no gradient kerasite could use.

    Example:
        >>> get("l1_l2")
        L1L2(l1=0.01, l2=0.01)
    """
    return _REGISTRY.get(identifier)


def serialize(regularizer):
    """``None`` for ``None``, else ``{"class_name": ..., "config": ...}``."""
    return _REGISTRY.serialize(regularizer)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes."""
    return _REGISTRY.deserialize(config)
