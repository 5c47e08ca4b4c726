"""Inverted dropout."""

import numpy as np

from kerasite import utils
from kerasite._validation import number
from kerasite.layers.base import Layer


class Dropout(Layer):
    """Zeroes each input with probability ``rate`` while training.

    The kept values are scaled by ``1 / (1 - rate)``, so the expected output
    equals the input and inference (``training=False``) is the identity.

    The mask generator is re-derived from ``(seed, epoch)`` at the start of
    every epoch of ``fit``, so a run resumed at epoch ``k`` draws the same masks
    as one that never stopped.

    Args:
        rate: fraction of inputs to drop, in [0, 1).
        seed: integer seed of the masks; drawn from the global generator
            (see ``kerasite.utils.set_random_seed``) when omitted.

    Example:
        >>> import numpy as np
        >>> Dropout(0.5, seed=0).forward(np.ones((1, 4)), training=False)
        array([[1., 1., 1., 1.]])
    """

    _cache_attrs = ("_scaled_mask",)
    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = number(rate, "rate", 0, 1, inclusive=(True, False))
        self.seed = utils.draw_seed() if seed is None else utils.check_seed(seed)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Restarts the mask generator for ``epoch`` (called by ``fit``)."""
        self._rng = utils.epoch_rng(self.seed, epoch)

    def call(self, x, training=False):
        self._scaled_mask = None
        if not training or self.rate == 0:
            return x
        # The mask holds 0 or 1 / (1 - rate): one multiply applies it forward and back.
        keep = self._rng.random(x.shape, dtype=np.float32) >= self.rate
        mask = self._workspace("mask", x.shape, x.dtype)
        np.multiply(keep, 1.0 / (1.0 - self.rate), out=mask)
        self._scaled_mask = mask
        return np.multiply(x, mask, out=self._workspace("out", x.shape, x.dtype))

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self._scaled_mask is None:
            return grad_output
        return np.multiply(grad_output, self._scaled_mask,
                           out=self._workspace("dx", grad_output.shape, grad_output.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
