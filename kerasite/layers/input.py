"""``Input``: declares the shape of a model's inputs, as ``keras.Input`` does."""

from kerasite.layers.base import Layer


class InputLayer(Layer):
    """A placeholder that fixes a ``Sequential`` model's input shape.

    It is not kept among ``model.layers``: adding it builds the model.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. ``(784,)``.
    """

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        try:
            shape = tuple(int(d) for d in shape)
        except (TypeError, ValueError):
            shape = None
        if not shape or any(d < 1 for d in shape):
            raise ValueError(
                "`shape` must be a tuple of positive integers, the shape of one sample "
                f"without the batch axis, such as (784,). Received: shape={shape!r}."
            )
        self.shape = shape

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape)}


def Input(shape, name=None):
    """Returns an ``InputLayer`` for samples of ``shape`` (no batch axis).

    Put it first in a ``Sequential``: the model is then built at once.

    Args:
        shape: the shape of one sample, e.g. ``(784,)`` or ``(28, 28)``.
        name: a name for the placeholder.

    Returns:
        An ``InputLayer``.

    Raises:
        ValueError: if ``shape`` is not a tuple of positive integers.

    Example:
        >>> from kerasite import Sequential, Input, layers
        >>> model = Sequential([Input((2,)), layers.Dense(1)])
        >>> model.count_params()
        3
    """
    return InputLayer(shape, name=name)
