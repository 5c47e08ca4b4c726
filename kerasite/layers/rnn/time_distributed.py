"""``TimeDistributed``: the same layer applied to every time step of a sequence."""

import numpy as np

from kerasite.layers.base import Layer
from kerasite.layers.rnn.base import _deserialize_layer, _serialize_layer


class TimeDistributed(Layer):
    """Applies ``layer`` to each step of ``(batch, timesteps, ...)`` with shared weights.

    The steps are folded into the batch: ``(batch, timesteps, *features)``
    becomes ``(batch * timesteps, *features)`` for the inner layer, and its
    output is unfolded again. The backward does the same with the gradient.

    Args:
        layer: the layer to apply at each step (e.g. ``Dense``, ``Conv2D``).

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> layers.TimeDistributed(layers.Dense(2)).forward(np.ones((3, 5, 4))).shape
        (3, 5, 2)
    """

    _cache_attrs = ("_shape",)

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"`layer` must be a kerasite layer. Received: layer={layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) needs inputs of at least 3 dimensions, "
                f"(batch, timesteps, ...). Received an input of shape {input_shape}.")
        self.layer.ensure_built((None, *input_shape[2:]))
        # The inner layer's weights are this layer's, under the same keys.
        self._variables.update(self.layer._variables)
        self.regularizers.update(self.layer.regularizers)
        self.constraints.update(self.layer.constraints)
        self.input_shape = (None, None, *input_shape[2:])
        self.built = True

    def ensure_built(self, input_shape):
        if not self.built:
            self.build(input_shape)
        elif tuple(input_shape)[2:] != self.input_shape[2:]:
            self._raise_shape_mismatch(input_shape)

    def clear_cache(self):
        super().clear_cache()
        self.layer.clear_cache()

    def set_epoch(self, epoch):
        if hasattr(self.layer, "set_epoch"):
            self.layer.set_epoch(epoch)

    def compute_output_shape(self, input_shape):
        batch, steps, *features = tuple(input_shape)
        inner = self.layer.compute_output_shape((None, *features))
        return (batch, steps, *tuple(inner)[1:])

    def compute_mask(self, inputs, mask=None):
        return mask

    def forward(self, x, training=False, mask=None):
        self.ensure_built(np.shape(x))
        return self.call(x, training)

    # y[:, t] = layer(x[:, t]) for every t, as one call on (batch * timesteps, ...).
    def call(self, x, training=False):
        self._shape = x.shape
        y = self.layer.forward(x.reshape(-1, *x.shape[2:]), training)
        return y.reshape(*x.shape[:2], *y.shape[1:])

    def backward(self, grad_output, need_input_grad=True):
        g = grad_output.reshape(-1, *grad_output.shape[2:])
        dx = self.layer.backward(g, need_input_grad=need_input_grad)
        return None if dx is None else dx.reshape(self._shape)

    def get_config(self):
        return {**super().get_config(), "layer": _serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize_layer(config["layer"])
        return cls(**config)
