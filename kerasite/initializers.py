"""Weight initializers.

Each initializer is a callable ``init(shape, dtype) -> ndarray``. Random ones
draw from the global generator of :mod:`kerasite.utils` unless given a seed, so
``kerasite.utils.set_random_seed`` fixes every initial weight.

For a kernel of shape ``(fan_in, fan_out)``:

* Glorot (Xavier) keeps the variance of activations and of gradients about
  equal across layers: ``Var(W) = 2 / (fan_in + fan_out)``. This is the
  reports' Xavier initialization and the default for ``Dense``.
* He keeps the variance of ReLU activations: ``Var(W) = 2 / fan_in``.
"""

import math

import numpy as np

from kerasite import _registry, utils
from kerasite.config import floatx


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros; the default for biases.

    Example:
        >>> Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=dtype or floatx())


class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=dtype or floatx())


class _VarianceScaling(Initializer):
    """Draws with variance ``scale / fan`` from a uniform or a normal law.

    The normal draws are truncated at two standard deviations, as Keras does,
    and rescaled so that the variance is still ``scale / fan``.
    """

    scale = 1.0
    mode = "fan_avg"
    distribution = "uniform"

    def __init__(self, seed=None):
        self.seed = None if seed is None else utils.check_seed(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = utils.get_rng() if self.seed is None else np.random.default_rng(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # Var(U(-a, a)) = a^2 / 3
            values = rng.uniform(-limit, limit, size=shape)
        else:
            # 0.8796... is the std of a unit normal truncated to [-2, 2].
            std = math.sqrt(variance) / 0.87962566103423978
            values = rng.standard_normal(size=shape)
            bad = np.abs(values) > 2.0
            while bad.any():  # resample the tails, as a truncated normal does
                values[bad] = rng.standard_normal(size=int(bad.sum()))
                bad = np.abs(values) > 2.0
            values *= std
        return values.astype(dtype or floatx())

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_VarianceScaling):
    """Uniform on ``[-l, l]`` with ``l = sqrt(6 / (fan_in + fan_out))`` (Xavier uniform)."""

    scale, mode, distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    """Truncated normal with ``std = sqrt(2 / (fan_in + fan_out))``."""

    scale, mode, distribution = 1.0, "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    """Uniform on ``[-l, l]`` with ``l = sqrt(6 / fan_in)``; suits ReLU layers."""

    scale, mode, distribution = 2.0, "fan_in", "uniform"


class HeNormal(_VarianceScaling):
    """Truncated normal with ``std = sqrt(2 / fan_in)``; suits ReLU layers."""

    scale, mode, distribution = 2.0, "fan_in", "normal"


def _fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


_BY_NAME = {
    "zeros": Zeros,
    "ones": Ones,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
}


def get(identifier):
    """Returns an initializer from a name, a config dict or an instance.

    Args:
        identifier: one of ``"glorot_uniform"``, ``"glorot_normal"``,
            ``"he_uniform"``, ``"he_normal"``, ``"zeros"``, ``"ones"``; an
            ``Initializer``; or a ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        cls = _class_for(identifier.get("class_name"))
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        key = _snake(identifier)
        if key in _BY_NAME:
            return _BY_NAME[key]()
    raise ValueError(
        f"Unknown initializer: {identifier!r}. Valid names are {sorted(_BY_NAME)}, "
        "or pass an instance of kerasite.initializers.Initializer."
    )


serialize = _registry.serialize


def _class_for(class_name):
    for cls in _BY_NAME.values():
        if cls.__name__ == class_name:
            return cls
    raise ValueError(f"Unknown initializer class: {class_name!r}. Valid classes are "
                     f"{sorted(c.__name__ for c in _BY_NAME.values())}.")


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
