"""``Rescaling``: ``y = scale x + offset``, e.g. pixels from [0, 255] to [0, 1].

An affine map with fixed ``scale``, so its backward is ``dx = scale * g``
and it caches nothing.
"""

import numpy as np

from kerasite.layers.base import Layer
from kerasite.layers.preprocessing._base import as_numbers as _as_numbers
from kerasite.layers.preprocessing._base import plain as _plain


class Rescaling(Layer):
    """Computes ``x * scale + offset``, e.g. ``Rescaling(1 / 255)`` for pixels.

    Args:
        scale: a number, or a list broadcast against the last axes (one
            value per channel, say).
        offset: a number or a list (default 0).

    Example:
        >>> import numpy as np
        >>> Rescaling(1 / 127.5, offset=-1).forward(np.array([[0.0, 255.0]]))
        array([[-1.,  1.]])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _as_numbers(scale, "scale")
        self.offset = _as_numbers(offset, "offset")

    # y = scale x + offset;  dy/dx = scale
    def call(self, x, training=False):
        out = self._out("out", np.broadcast_shapes(x.shape, np.shape(self.scale),
                                                   np.shape(self.offset)), x.dtype, training)
        np.multiply(x, self.scale, out=out, casting="same_kind")
        out += np.asarray(self.offset, dtype=x.dtype)
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_output * np.asarray(self.scale, dtype=grad_output.dtype)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale),
                "offset": _plain(self.offset)}
