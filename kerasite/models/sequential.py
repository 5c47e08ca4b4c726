"""``Sequential``: a plain stack of layers, the reports' ``Network``."""

from kerasite.layers.input import InputLayer
from kerasite.models.model import Model


class Sequential(Model):
    """A model whose layers run one after the other.

    Args:
        layers: list of layers; an ``Input(shape)`` first fixes the input
            shape and builds the model at once.
        name: a name for the model.

    Example:
        >>> import numpy as np
        >>> from kerasite import Sequential, layers
        >>> model = Sequential([layers.Dense(4, activation="tanh"),
        ...                     layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.predict(np.zeros((3, 2))).shape
        (3, 1)
    """

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Appends a layer; an ``Input`` (or ``input_shape=`` on the first layer) builds the model."""
        if isinstance(layer, InputLayer):
            if self.layers:
                raise ValueError("An Input must come first in a Sequential model.")
            self._pending_input_shape = (None, *layer.shape)
            return
        self._append(layer)
        shape = getattr(self, "_pending_input_shape", None)
        if shape is None and len(self.layers) == 1 and layer.declared_input_shape:
            shape = self._pending_input_shape = (None, *layer.declared_input_shape)
        if shape is not None:
            self.build(shape)
