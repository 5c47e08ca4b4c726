"""``kerasite.random``: Keras 3's random ops, drawn with NumPy.

Each function takes ``seed=``, with Keras 3's meaning:

* an **int**: the same draw at every call (the seed alone fixes the values);
* a :class:`SeedGenerator`: a new draw at every call, the sequence fixed by
  the generator's own seed (the way to get fresh noise at every training
  step that still repeats from run to run);
* ``None``: a new draw at every call, from kerasite's global generator, so
  ``kerasite.utils.set_random_seed`` makes it repeat.

The values are plain arrays. ``dropout`` and ``shuffle`` are written with
``kerasite.ops`` (a multiply by a constant mask, a gather), so a
``GradientTape`` differentiates through them; the draws themselves are
constants to a tape.

Example:
    >>> from kerasite import random
    >>> a = random.normal((2,), seed=1)
    >>> bool((a == random.normal((2,), seed=1)).all())   # an int seed: the same draw
    True
    >>> gen = random.SeedGenerator(1)
    >>> bool((random.normal((2,), seed=gen) == random.normal((2,), seed=gen)).all())
    False
"""

import numpy as np

from kerasite import ops, utils
from kerasite.config import floatx

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "truncated_normal", "dropout",
           "shuffle"]


class SeedGenerator:
    """A seed that advances at every draw, as Keras 3's ``keras.random.SeedGenerator``.

    Draw ``k`` made with it uses the NumPy generator seeded with
    ``(seed, k)``: two generators made with the same seed give the same
    sequence of draws.

    Args:
        seed: a non-negative int; drawn from kerasite's global generator when
            omitted (see ``kerasite.utils.set_random_seed``).
        name: a name, for Keras compatibility.

    Attributes:
        state: ``[seed, draws made so far]``, an int64 array.

    Example:
        >>> gen = SeedGenerator(42)
        >>> first = uniform((3,), seed=gen)
        >>> bool((first == uniform((3,), seed=SeedGenerator(42))).all())
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        unknown = set(kwargs) - {"backend"}
        if unknown:
            raise TypeError(f"SeedGenerator() got unexpected arguments {sorted(unknown)}. It "
                            "takes seed and name, as Keras's.")
        self.seed = utils.draw_seed() if seed is None else _int_seed(seed)
        self.name = name or "seed_generator"
        self._draws = 0

    @property
    def state(self):
        return np.array([self.seed, self._draws], dtype=np.int64)

    def next(self):
        """The NumPy generator of the next draw; advances the state."""
        rng = np.random.default_rng([self.seed, self._draws])
        self._draws += 1
        return rng

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"SeedGenerator(seed={self.seed}, draws={self._draws})"


def _int_seed(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or \
            seed < 0:
        raise ValueError("`seed` must be a non-negative integer, a "
                         "kerasite.random.SeedGenerator or None. Received: "
                         f"seed={seed!r} (of type {type(seed).__name__}).")
    return int(seed)


def _rng(seed):
    """The NumPy generator for one draw with ``seed`` (see the module for the rules)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return np.random.default_rng(utils.draw_seed())
    return np.random.default_rng(_int_seed(seed))


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or any(n < 0 for n in shape):
        raise ValueError("`shape` must be a tuple of non-negative integers, e.g. (32, 10). "
                         f"Received: shape={shape!r}.")
    return shape


def _float_dtype(dtype, fn):
    dtype = np.dtype(floatx() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"`kerasite.random.{fn}` requires a floating-point `dtype`. "
                         f"Received: dtype={dtype.name}.")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from the normal distribution ``N(mean, stddev**2)``.

    Args:
        shape: the shape of the result, e.g. ``(batch, latent_dim)``.
        mean: the mean.
        stddev: the standard deviation.
        dtype: a float dtype, ``floatx()`` by default.
        seed: an int, a ``SeedGenerator`` or None (see the module).

    Returns:
        An array of ``shape``.

    Example:
        >>> normal((2, 3), seed=0).shape
        (2, 3)
    """
    dtype = _float_dtype(dtype, "normal")
    return _rng(seed).normal(mean, stddev, _shape(shape)).astype(dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws uniformly from ``[minval, maxval)``.

    Args:
        shape: the shape of the result.
        minval: the lower bound, included.
        maxval: the upper bound, excluded.
        dtype: a float dtype, ``floatx()`` by default.
        seed: an int, a ``SeedGenerator`` or None.

    Returns:
        An array of ``shape``.

    Example:
        >>> x = uniform((1000,), minval=2.0, maxval=3.0, seed=0)
        >>> bool((x >= 2.0).all() and (x < 3.0).all())
        True
    """
    dtype = _float_dtype(dtype, "uniform")
    return _rng(seed).uniform(minval, maxval, _shape(shape)).astype(dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from ``[minval, maxval)``.

    Args:
        shape: the shape of the result.
        minval: the lowest value, included.
        maxval: the bound, excluded.
        dtype: an integer dtype (``"int32"`` by default, as Keras's).
        seed: an int, a ``SeedGenerator`` or None.

    Returns:
        An integer array of ``shape``.

    Example:
        >>> randint((4,), 0, 3, seed=0).dtype
        dtype('int32')
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError("`kerasite.random.randint` requires an integer `dtype`. "
                         f"Received: dtype={dtype.name}.")
    if not maxval > minval:
        raise ValueError(f"`maxval` must be greater than `minval`. Received: minval={minval}, "
                         f"maxval={maxval}.")
    return _rng(seed).integers(minval, maxval, _shape(shape)).astype(dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from ``N(mean, stddev**2)``, redrawing values more than 2 ``stddev`` away.

    Args:
        shape: the shape of the result.
        mean: the mean before truncation.
        stddev: the standard deviation before truncation.
        dtype: a float dtype, ``floatx()`` by default.
        seed: an int, a ``SeedGenerator`` or None.

    Returns:
        An array of ``shape`` within ``mean +- 2 stddev``.

    Example:
        >>> x = truncated_normal((1000,), seed=0)
        >>> bool((abs(x) <= 2).all())
        True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    rng = _rng(seed)
    z = rng.standard_normal(_shape(shape))
    outside = np.abs(z) > 2
    while outside.any():  # each round redraws the ~4.6 % that fell outside
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return (mean + stddev * z).astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each value with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    The mask is a constant to a ``GradientTape``: the gradient flows through
    the kept values, scaled the same way.

    Args:
        inputs: an array (or a Tensor a tape records).
        rate: the probability of dropping a value, in [0, 1).
        noise_shape: the shape of the mask, broadcast against ``inputs``
            (``None`` entries take ``inputs``' size); ``inputs``' shape by
            default.
        seed: an int, a ``SeedGenerator`` or None.

    Returns:
        An array shaped like ``inputs`` (a Tensor while a tape records it).

    Example:
        >>> import numpy as np
        >>> y = dropout(np.ones((2, 4)), 0.5, seed=1)
        >>> sorted(set(y.ravel().tolist()))
        [0.0, 2.0]
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or \
            not 0 <= rate < 1:
        raise ValueError(f"`rate` must be a number in [0, 1). Received: rate={rate!r}.")
    shape = ops.shape(inputs)
    if noise_shape is None:
        noise_shape = shape
    else:
        noise_shape = tuple(shape[i] if n is None else n for i, n in enumerate(noise_shape))
    dtype = getattr(inputs, "dtype", None)
    dtype = np.dtype(dtype) if dtype is not None and np.dtype(dtype).kind == "f" else \
        np.dtype(floatx())
    keep = _rng(seed).random(_shape(noise_shape)) >= rate
    mask = keep.astype(dtype) / dtype.type(1 - rate)
    try:
        np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        raise ValueError(f"`noise_shape` {noise_shape} does not broadcast against the inputs' "
                         f"shape {shape}. Use 1 on the axes that share a mask.") from None
    return ops.multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order.

    Args:
        x: an array (or a Tensor a tape records: the gradient goes back to
            each slice's place).
        axis: the axis to shuffle.
        seed: an int, a ``SeedGenerator`` or None.

    Returns:
        An array shaped like ``x``.

    Example:
        >>> import numpy as np
        >>> sorted(shuffle(np.arange(5), seed=0).tolist())
        [0, 1, 2, 3, 4]
    """
    shape = ops.shape(x)
    if not shape:
        raise ValueError("`x` must have at least one axis to shuffle. Received a scalar.")
    if not isinstance(axis, (int, np.integer)) or not -len(shape) <= axis < len(shape):
        raise ValueError(f"`axis` must be an integer in [{-len(shape)}, {len(shape)}) for an "
                         f"array of rank {len(shape)}. Received: axis={axis!r}.")
    order = _rng(seed).permutation(shape[axis])
    return ops.take(x, order, axis=int(axis))
