"""Weight initializers.

Each initializer is a callable ``init(shape, dtype) -> ndarray``. Random ones
draw from the global generator of :mod:`kerasite.utils` unless given a seed, so
``kerasite.utils.set_random_seed`` fixes every initial weight.

For a kernel of shape ``(fan_in, fan_out)``:

* Glorot (Xavier) keeps the variance of activations and of gradients about
  equal across layers: ``Var(W) = 2 / (fan_in + fan_out)``. This is the
  reports' Xavier initialization and the default for ``Dense``.
* He keeps the variance of ReLU activations: ``Var(W) = 2 / fan_in``.
* LeCun keeps the variance of the inputs: ``Var(W) = 1 / fan_in``; it is
  meant for ``selu``.

The names ``kernel_initializer=`` accepts, with Keras's defaults:

| name | draws |
|---|---|
| `glorot_uniform` | `U(-l, l)`, `l = sqrt(6 / (fan_in + fan_out))` |
| `glorot_normal` | truncated normal, `std = sqrt(2 / (fan_in + fan_out))` |
| `he_uniform` | `U(-l, l)`, `l = sqrt(6 / fan_in)` |
| `he_normal` | truncated normal, `std = sqrt(2 / fan_in)` |
| `lecun_uniform` | `U(-l, l)`, `l = sqrt(3 / fan_in)` |
| `lecun_normal` | truncated normal, `std = sqrt(1 / fan_in)` |
| `variance_scaling` | `VarianceScaling(scale=1, mode="fan_in")` |
| `random_uniform` | `U(-0.05, 0.05)` (also `"uniform"`) |
| `random_normal` | `N(0, 0.05^2)` (also `"normal"`) |
| `truncated_normal` | `N(0, 0.05^2)` cut at 2 standard deviations |
| `orthogonal` | an orthogonal matrix (QR of a normal draw) |
| `identity` | the identity matrix (2-D kernels only) |
| `constant` | `Constant(0)`; pass `Constant(value)` for others |
| `zeros`, `ones` | 0 or 1 everywhere |

Class names work too (``"HeNormal"``). Every random initializer takes
``seed=``: a seeded initializer returns the same values each time it is
called, as in Keras.
"""

import math

import numpy as np

from kerasite import _registry, utils
from kerasite._validation import number, one_of
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


def _rng(seed):
    # A seeded initializer starts a fresh generator on each call, so it repeats its values
    # (as Keras's do); an unseeded one draws from the global generator.
    return utils.get_rng() if seed is None else np.random.default_rng(seed)


def _truncated_standard_normal(rng, shape):
    """Unit normal draws, with those beyond 2 standard deviations drawn again."""
    values = rng.standard_normal(size=shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(values) > 2.0
    return values


def _check_float(value, name, positive=False):
    return number(value, name, 0 if positive else None, inclusive=(False, True))


class Constant(Initializer):
    """Every value equal to ``value``.

    Args:
        value: a number (default 0).

    Example:
        >>> Constant(0.5)((2,))
        array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = _check_float(value, "value")

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or floatx())

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)``.

    Args:
        minval: the lower bound (default -0.05, as Keras).
        maxval: the upper bound, excluded (default 0.05).
        seed: an integer for reproducible values: the same seed gives the
            same values on every call.

    Example:
        >>> w = RandomUniform(seed=0)((1000,))
        >>> bool(w.min() >= -0.05 and w.max() < 0.05)
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _check_float(minval, "minval")
        self.maxval = _check_float(maxval, "maxval")
        if self.minval >= self.maxval:
            raise ValueError(f"`minval` must be less than `maxval`. Received: "
                             f"minval={minval!r}, maxval={maxval!r}.")
        self.seed = None if seed is None else utils.check_seed(seed)

    def __call__(self, shape, dtype=None):
        values = _rng(self.seed).uniform(self.minval, self.maxval, size=tuple(shape))
        return values.astype(dtype or floatx())

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Normal with mean ``mean`` and standard deviation ``stddev``.

    Args:
        mean: the mean (default 0).
        stddev: the standard deviation, ``> 0`` (default 0.05, as Keras).
        seed: an integer for reproducible values.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _check_float(mean, "mean")
        self.stddev = _check_float(stddev, "stddev", positive=True)
        self.seed = None if seed is None else utils.check_seed(seed)

    def __call__(self, shape, dtype=None):
        values = _rng(self.seed).standard_normal(size=tuple(shape))
        values *= self.stddev
        values += self.mean
        return values.astype(dtype or floatx())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal with values further than 2 ``stddev`` from ``mean`` drawn again.

    As in Keras, ``stddev`` is that of the normal *before* truncation; the
    values' own standard deviation is about 0.88 times it.

    Args:
        mean: the mean (default 0).
        stddev: the standard deviation before truncation (default 0.05).
        seed: an integer for reproducible values.
    """

    def __call__(self, shape, dtype=None):
        values = _truncated_standard_normal(_rng(self.seed), tuple(shape))
        values *= self.stddev
        values += self.mean
        return values.astype(dtype or floatx())


class VarianceScaling(Initializer):
    """Draws with variance ``scale / fan``; Glorot, He and LeCun are special cases.

    ``fan`` is the kernel's ``fan_in``, ``fan_out`` or their mean (``mode``).
    With ``distribution="truncated_normal"`` the draws are cut at 2 standard
    deviations and rescaled so that the variance is still ``scale / fan``;
    ``"untruncated_normal"`` draws a plain normal, and ``"uniform"`` draws on
    ``[-l, l]`` with ``l = sqrt(3 scale / fan)``.

    Args:
        scale: a number > 0 (default 1).
        mode: ``"fan_in"`` (default), ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (default; ``"normal"`` means
            the same), ``"untruncated_normal"`` or ``"uniform"``.
        seed: an integer for reproducible values.

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform", seed=0)((100, 10)).std().round(2)
        np.float32(0.14)
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = _check_float(scale, "scale", positive=True)
        self.mode = one_of(mode, "mode", self._MODES)
        if distribution == "normal":
            distribution = "truncated_normal"
        self.distribution = one_of(distribution, "distribution", self._DISTRIBUTIONS)
        self.seed = None if seed is None else utils.check_seed(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # Var(U(-a, a)) = a^2 / 3
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "untruncated_normal":
            values = rng.standard_normal(size=shape) * math.sqrt(variance)
        else:
            # 0.8796... is the std of a unit normal truncated to [-2, 2].
            values = _truncated_standard_normal(rng, shape)
            values *= math.sqrt(variance) / 0.87962566103423978
        return values.astype(dtype or floatx())

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedScaling(VarianceScaling):
    """A ``VarianceScaling`` whose settings are fixed by the class; only the seed varies."""

    settings = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None):
        super().__init__(*self.settings, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedScaling):
    """Uniform on ``[-l, l]`` with ``l = sqrt(6 / (fan_in + fan_out))`` (Xavier uniform)."""

    settings = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedScaling):
    """Truncated normal with ``std = sqrt(2 / (fan_in + fan_out))``."""

    settings = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedScaling):
    """Uniform on ``[-l, l]`` with ``l = sqrt(6 / fan_in)``; suits ReLU layers."""

    settings = (2.0, "fan_in", "uniform")


class HeNormal(_FixedScaling):
    """Truncated normal with ``std = sqrt(2 / fan_in)``; suits ReLU layers."""

    settings = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedScaling):
    """Uniform on ``[-l, l]`` with ``l = sqrt(3 / fan_in)``."""

    settings = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedScaling):
    """Truncated normal with ``std = sqrt(1 / fan_in)``; the companion of ``selu``."""

    settings = (1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal draw.

    A kernel of shape ``(..., n)`` is treated as a matrix ``(prod(...), n)``;
    its rows (or columns, whichever are fewer) are orthonormal.

    Args:
        gain: a multiplier (default 1).
        seed: an integer for reproducible values.

    Example:
        >>> import numpy as np
        >>> q = Orthogonal(seed=0)((3, 3), "float64")
        >>> np.allclose(q.T @ q, np.eye(3))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_float(gain, "gain")
        self.seed = None if seed is None else utils.check_seed(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The Orthogonal initializer needs a shape with at least 2 axes. "
                             f"Received: shape={shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = _rng(self.seed).standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the decomposition unique: a uniform draw of Q
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix, for 2-D shapes (rectangular allowed).

    Args:
        gain: a multiplier (default 1).

    Example:
        >>> Identity()((2, 3))
        array([[1., 0., 0.],
               [0., 1., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = _check_float(gain, "gain")

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"The Identity initializer needs a 2-D shape, such as a Dense "
                             f"kernel's. Received: shape={shape}.")
        return (self.gain * np.eye(*shape)).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain}


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
    "constant": Constant,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
# Keras's other spellings.
_ALIASES = {"uniform": "random_uniform", "normal": "random_normal", "zero": "zeros",
            "one": "ones", "identity_initializer": "identity"}


# get(None) is an error, not None as in Keras: a layer given None would have no
# initializer to build its weights with.
_REGISTRY = _registry.Registry(
    "initializer", Initializer, classes=set(_BY_NAME.values()), names=_BY_NAME,
    aliases=_ALIASES, hint="or pass an instance of kerasite.initializers.Initializer",
    accepts_none=False)
register = _REGISTRY.register


def get(identifier):
    """Returns an initializer from a name, a config dict or an instance.

    Args:
        identifier: a name from the table above (``"glorot_uniform"``,
            ``"he_normal"``, ``"orthogonal"``, ...) or its class name
            (``"HeNormal"``); an ``Initializer``; or a
            ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown name, listing the valid ones, and for
            ``None``.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
    """
    return _REGISTRY.get(identifier)


def serialize(initializer):
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read."""
    return _REGISTRY.serialize(initializer)


def deserialize(config):
    """Inverse of ``serialize``; builds only registered classes."""
    return _REGISTRY.deserialize(config)
