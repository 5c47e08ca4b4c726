"""Layers that repeat or reorder the axes of the data: ``RepeatVector`` and ``Permute``."""

import numpy as np

from kerasite._validation import is_int, positive_int
from kerasite.layers.base import Layer


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features) -> (batch, n, features)``.

    Each copy receives its own gradient, so backward sums them over the new axis.

    Args:
        n: the number of copies, a positive integer.

    Example:
        >>> import numpy as np
        >>> RepeatVector(3).forward(np.array([[1.0, 2.0]])).shape
        (1, 3, 2)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(n, "n")

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"Layer '{self.name}' (RepeatVector) takes inputs (batch, features). Received "
                f"inputs of shape {tuple(input_shape)}. Flatten them first.")
        super().build(input_shape)

    # y[:, k, :] = x for every k;   dL/dx = sum over k of dL/dy[:, k, :]
    def call(self, x, training=False):
        return np.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.sum(axis=1) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, *tuple(input_shape)[1:])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Reorders the feature axes; ``dims`` counts them from 1 (the batch axis stays first).

    ``Permute((2, 1))`` swaps the two axes of ``(batch, steps, features)``.
    Backward applies the inverse permutation to the gradient.

    Args:
        dims: a permutation of ``1, ..., k`` for inputs with ``k`` feature axes.

    Example:
        >>> import numpy as np
        >>> Permute((2, 1)).forward(np.zeros((4, 3, 5))).shape
        (4, 5, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            dims = None
        if not dims or not all(is_int(d) for d in dims) or \
                sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "`dims` must be a permutation of 1, ..., k (axis 0, the batch, is not "
                f"included), such as (2, 1). Received: dims={dims!r}.")
        self.dims = tuple(int(d) for d in dims)
        self._forward_axes = (0, *self.dims)
        self._backward_axes = tuple(np.argsort(self._forward_axes))

    def build(self, input_shape):
        if len(input_shape) - 1 != len(self.dims):
            raise ValueError(
                f"Layer '{self.name}' (Permute) has dims={self.dims} for {len(self.dims)} "
                f"feature axes, but its inputs {tuple(input_shape)} have {len(input_shape) - 1}.")
        super().build(input_shape)

    def call(self, x, training=False):
        return x.transpose(self._forward_axes)

    def backward(self, grad_output, need_input_grad=True):
        return grad_output.transpose(self._backward_axes) if need_input_grad else None

    def compute_output_shape(self, input_shape):
        return tuple(tuple(input_shape)[a] for a in self._forward_axes)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}
