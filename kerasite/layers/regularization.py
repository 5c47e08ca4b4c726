"""Layers that regularize: noise while training, and a penalty on activity.

``GaussianNoise`` and ``GaussianDropout`` are the identity at inference and
draw fresh noise on every training batch. Like ``Dropout``, each restarts its
generator from ``(seed, epoch)`` at the start of every epoch of ``fit``, so a
resumed run draws the same noise as one that never stopped.
"""

import math

import numpy as np

from kerasite import regularizers, utils
from kerasite._validation import number
from kerasite.layers.base import Layer


class _Noise(Layer):
    """Shared seeding of the noise layers, as ``Dropout`` does it."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = utils.draw_seed() if seed is None else utils.check_seed(seed)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Restarts the noise generator for ``epoch`` (called by ``fit``)."""
        self._rng = utils.epoch_rng(self.seed, epoch)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_Noise):
    """Adds zero-mean normal noise of standard deviation ``stddev`` while training.

    ``y = x + n`` with ``n ~ N(0, stddev^2)``, so ``dy/dx = 1``: the gradient
    passes through unchanged and nothing is cached.

    Args:
        stddev: the noise's standard deviation, a finite number ``>= 0``.
            (Keras 3 refuses values above 1, which rules out noise on raw
            0-255 pixels; kerasite accepts them.)
        seed: integer seed of the noise; drawn from the global generator
            when omitted.

    Example:
        >>> import numpy as np
        >>> GaussianNoise(0.1, seed=0).forward(np.ones((1, 2)), training=False)
        array([[1., 1.]])
    """

    def __init__(self, stddev, seed=None, **kwargs):
        self.stddev = number(stddev, "stddev", 0)
        super().__init__(seed=seed, **kwargs)

    def call(self, x, training=False):
        if not training or self.stddev == 0:
            return x
        out = self._workspace("out", x.shape, x.dtype)
        out[...] = self._rng.standard_normal(x.shape, dtype=np.float32)
        out *= self.stddev
        out += x
        return out

    def backward(self, grad_output, need_input_grad=True):
        return grad_output if need_input_grad else None

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiplies by normal noise of mean 1 while training.

    ``y = x * n`` with ``n ~ N(1, rate / (1 - rate))``, the variance of
    inverted dropout at the same ``rate``; ``dy/dx = n``, which is cached.

    Args:
        rate: the equivalent drop probability, in [0, 1).
        seed: integer seed of the noise.

    Example:
        >>> import numpy as np
        >>> GaussianDropout(0.5, seed=0).forward(np.ones((1, 2)), training=False)
        array([[1., 1.]])
    """

    _cache_attrs = ("_noise",)

    def __init__(self, rate, seed=None, **kwargs):
        self.rate = number(rate, "rate", 0, 1, inclusive=(True, False))
        super().__init__(seed=seed, **kwargs)

    def call(self, x, training=False):
        self._noise = None
        if not training or self.rate == 0:
            return x
        noise = self._workspace("noise", x.shape, x.dtype)
        noise[...] = self._rng.standard_normal(x.shape, dtype=np.float32)
        noise *= math.sqrt(self.rate / (1.0 - self.rate))
        noise += 1.0
        self._noise = noise
        return np.multiply(x, noise, out=self._workspace("out", x.shape, x.dtype))

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self._noise is None:
            return grad_output
        return np.multiply(grad_output, self._noise,
                           out=self._workspace("dx", grad_output.shape, grad_output.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class ActivityRegularization(Layer):
    """The identity, with an L1/L2 penalty on what passes through.

    Its ``activity_regularizer`` is ``L1L2(l1, l2)``; the training engine
    adds ``penalty(x) / batch`` to the loss and its gradient to the layer's,
    as for any layer's activity regularizer.

    Args:
        l1: the L1 factor, ``>= 0`` (default 0).
        l2: the L2 factor, ``>= 0`` (default 0).

    Example:
        >>> import numpy as np
        >>> layer = ActivityRegularization(l2=0.5)
        >>> layer.activity_regularizer(layer.forward(np.array([[1.0, 2.0]])))
        2.5
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if kwargs.get("activity_regularizer") is not None:
            raise TypeError("ActivityRegularization sets its own activity_regularizer from `l1` "
                            "and `l2`; pass those instead.")
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)
        self.l1, self.l2 = self.activity_regularizer.l1, self.activity_regularizer.l2

    def call(self, x, training=False):
        return x

    def backward(self, grad_output, need_input_grad=True):
        return grad_output if need_input_grad else None

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
