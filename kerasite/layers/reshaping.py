"""Layers that only change the shape of the data: ``Flatten`` and ``Reshape``.

Both return views, so they cost nothing, and their backward pass reshapes the
gradient back to the input's shape.
"""

import math

import numpy as np

from kerasite.layers.base import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, 28, 28) -> (batch, 784)``.

    Example:
        >>> import numpy as np
        >>> Flatten().forward(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def call(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.reshape(self.x_shape) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))


class Reshape(Layer):
    """Reshapes the features to ``target_shape``; the batch axis is kept.

    Args:
        target_shape: tuple of positive integers; one entry may be -1, which is
            inferred from the input size.

    Example:
        >>> import numpy as np
        >>> Reshape((28, 28)).forward(np.zeros((2, 784))).shape
        (2, 28, 28)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(target_shape)
        except TypeError:  # not iterable
            target = ()
        # int(d) would quietly turn 2.5 into 2 and "3" into 3: accept true integers only.
        valid = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                    and (d > 0 or d == -1) for d in target) and target.count(-1) <= 1
        if not valid or not target:
            raise ValueError(
                "`target_shape` must be a tuple of positive integers, with at most one -1. "
                f"Received: target_shape={target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target)

    def build(self, input_shape):
        self._resolved = self._resolve(input_shape[1:])
        super().build(input_shape)

    def _resolve(self, features):
        size = math.prod(features)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                self._raise_size(features)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            self._raise_size(features)
        return self.target_shape

    def _raise_size(self, features):
        raise ValueError(
            f"Layer '{self.name}' cannot reshape inputs of shape (batch, "
            f"{', '.join(map(str, features))}) to target_shape={self.target_shape}: "
            "the number of values differs. Pick a target_shape with the same total size."
        )

    def call(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(len(x), *self._resolved)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.reshape(self.x_shape) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
