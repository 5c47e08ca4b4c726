"""``Masking``: marks the padded steps of a sequence, so that the layers after it skip them."""

import numpy as np

from kerasite._validation import number
from kerasite.layers.base import Layer


class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``, as ``keras.layers.Masking``.

    A step is padding when every feature of it equals ``mask_value``. The
    layer zeroes those steps and gives the model a mask ``(batch,
    timesteps)``, ``True`` at the real steps: the recurrent layers after it
    keep their states over the padded steps, and the loss skips them.

    Args:
        mask_value: the value of the padding, 0.0 by default.

    Shapes:
        input and output ``(batch, timesteps, features)``; mask ``(batch, timesteps)``.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]])
        >>> Masking().compute_mask(x)
        array([[ True, False]])
    """

    _cache_attrs = ("_keep",)
    supports_masking = True
    makes_mask = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = number(mask_value, "mask_value")

    def compute_mask(self, inputs, mask=None):
        """``True`` where some feature differs from ``mask_value``, ``(batch, timesteps)``."""
        return np.any(np.asarray(inputs) != self.mask_value, axis=-1)

    # y = x * keep (keep: 1 at the real steps, 0 at the padded ones);  dL/dx = dL/dy * keep
    def call(self, x, training=False):
        self._keep = self.compute_mask(x)[..., None].astype(x.dtype)
        return x * self._keep

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_output * self._keep

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
