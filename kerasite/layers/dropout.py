"""Inverted dropout, of single values and of whole channels (``SpatialDropout1D``/``2D``)."""

import numpy as np

from kerasite import utils
from kerasite._validation import number
from kerasite.layers._spatial import data_format_arg
from kerasite.layers.base import Layer


class Dropout(Layer):
    """Zeroes each input with probability ``rate`` while training.

    The kept values are scaled by ``1 / (1 - rate)``, so the expected output
    equals the input and inference (``training=False``) is the identity.

    The mask generator is re-derived from ``(seed, epoch)`` at the start of
    every epoch of ``fit``, so a run resumed at epoch ``k`` draws the same masks
    as one that never stopped.

    Args:
        rate: fraction of inputs to drop, in [0, 1]. ``rate=1`` drops
            everything while training (as Keras, the output is all zeros).
        noise_shape: the shape of the mask, which broadcasts against the
            input: ``(batch, 1, features)`` drops the same features at every
            step of a sequence. ``None`` in it stands for the input's size
            (``(None, 1, None)``); ``None`` for the whole (one draw per value).
        seed: integer seed of the masks; drawn from the global generator
            (see ``kerasite.utils.set_random_seed``) when omitted.

    Example:
        >>> import numpy as np
        >>> Dropout(0.5, seed=0).forward(np.ones((1, 4)), training=False)
        array([[1., 1., 1., 1.]])
    """

    _cache_attrs = ("_scaled_mask",)
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = number(rate, "rate", 0, 1)
        if noise_shape is not None:
            if not isinstance(noise_shape, (list, tuple)) or not all(
                    n is None or (isinstance(n, int) and n > 0) for n in noise_shape):
                raise ValueError("`noise_shape` must be a tuple of positive integers or None "
                                 f"entries, such as (None, 1, None). Received: "
                                 f"noise_shape={noise_shape!r}.")
            noise_shape = tuple(noise_shape)
        self.noise_shape = noise_shape
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
        keep = self._rng.random(self._mask_shape(x.shape), dtype=np.float32) >= self.rate
        mask = self._workspace("mask", keep.shape, x.dtype)
        np.multiply(keep, 1.0 / (1.0 - self.rate) if self.rate < 1 else 0.0, out=mask)
        self._scaled_mask = mask
        return np.multiply(x, mask, out=self._workspace("out", x.shape, x.dtype))

    def _mask_shape(self, shape):
        """The shape of the mask, which broadcasts against the input: one value per input."""
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape) or any(
                n is not None and n not in (1, s) for n, s in zip(self.noise_shape, shape)):
            raise ValueError(
                f"`noise_shape={self.noise_shape}` of layer '{self.name}' must broadcast "
                f"against its input of shape {tuple(shape)}: one entry per axis, each None, "
                "1 or the input's size.")
        return tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self._scaled_mask is None:
            return grad_output
        return np.multiply(grad_output, self._scaled_mask,
                           out=self._workspace("dx", grad_output.shape, grad_output.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Drops whole channels of a sequence: each ``(sample, channel)`` is kept or zeroed.

    Neighbouring steps are strongly correlated, so zeroing single values barely
    regularizes; dropping a channel along all its steps does. The kept channels
    are scaled by ``1 / (1 - rate)``.

    Args:
        rate: fraction of channels to drop, in [0, 1).
        seed: integer seed of the masks; drawn from the global generator
            when omitted.

    Shapes:
        ``(batch, steps, channels)`` in and out; the mask is ``(batch, 1, channels)``.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout1D(0.5, seed=0).forward(np.ones((1, 3, 4)), training=True)
        >>> bool((y == y[:, :1]).all())  # a channel is the same at every step
        True
    """

    _rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]  # the mask's shape is the layer's definition
        return config

    def build(self, input_shape):
        if len(input_shape) != self._rank:
            axes = "steps" if self._rank == 3 else "height, width"
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of rank "
                f"{self._rank}, (batch, {axes}, channels). Received an input of shape "
                f"{tuple(input_shape)}."
            )
        super().build(input_shape)

    def _mask_shape(self, shape):
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps of an image: each ``(sample, channel)`` is kept or zeroed.

    Args:
        rate: fraction of channels to drop, in [0, 1).
        data_format: ``"channels_last"`` or ``None``, the only layout.
        seed: integer seed of the masks; drawn from the global generator
            when omitted.

    Shapes:
        ``(batch, height, width, channels)`` in and out; the mask is
        ``(batch, 1, 1, channels)``.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout2D(0.5, seed=0).forward(np.ones((1, 2, 2, 3)), training=True)
        >>> y.shape
        (1, 2, 2, 3)
    """

    _rank = 4

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        data_format_arg(data_format)
        super().__init__(rate, seed=seed, **kwargs)
