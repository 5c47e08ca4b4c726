"""``Input``: the symbolic entry point of a model, as ``keras.Input``."""

import numpy as np

from kerasite.config import floatx
from kerasite._validation import is_int
from kerasite.layers.base import Layer
from kerasite.layers.symbolic import Node, SymbolicTensor


class InputLayer(Layer):
    """The layer behind ``Input``: it holds a model's symbolic input tensor.

    It has no weights and computes nothing: a functional model feeds its data
    in where this layer's output stands. In a ``Sequential`` it only fixes the
    input shape and is not kept among ``model.layers``.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. ``(784,)``;
            ``None`` for an axis whose size changes from batch to batch (the
            time axis of ``(None, features)`` sequences).
        dtype: the dtype of the data; ``floatx()`` by default, or
            ``"string"`` for text.
        batch_size: a fixed batch size (stateful recurrent layers need one),
            or ``None``.

    Attributes:
        output: the ``SymbolicTensor`` ``(None, *shape)``.
    """

    def __init__(self, shape=None, dtype=None, input_shape=None, batch_size=None, **kwargs):
        if shape is None and input_shape is not None:  # the Keras 2 spelling
            shape = input_shape
        super().__init__(**kwargs)
        received = shape
        try:
            shape = tuple(None if d is None else int(d) for d in shape)
        except (TypeError, ValueError):
            shape = None
        text = dtype in ("string", str)  # a batch of strings may have no feature axis: shape ()
        if shape is None or (not shape and not text) or any(d is not None and d < 1
                                                            for d in shape):
            raise ValueError(
                "`shape` must be a tuple of positive integers (or None for an axis of varying "
                "size), the shape of one sample without the batch axis, such as (784,) or "
                f"(None, 8). Received: shape={received!r}."
            )
        if batch_size is not None and (not is_int(batch_size) or batch_size < 1):
            raise ValueError("`batch_size` must be a positive integer or None. Received: "
                             f"batch_size={batch_size!r}.")
        self.shape = shape
        self.batch_size = None if batch_size is None else int(batch_size)
        # "string": an array of Python strings, for TextVectorization or StringLookup.
        self.dtype = "string" if text else str(np.dtype(dtype or floatx()))
        self.ensure_built((self.batch_size, *shape))
        tensor = SymbolicTensor((self.batch_size, *shape),
                                "object" if self.dtype == "string" else self.dtype, name=self.name)
        tensor.node = Node(self, [], [tensor], multi_input=False)

    def call(self, x, training=False):
        return x

    def backward(self, grad_output, need_input_grad=True):
        return grad_output if need_input_grad else None

    def get_config(self):
        config = {**super().get_config(), "shape": list(self.shape), "dtype": self.dtype}
        if self.batch_size is not None:
            config["batch_size"] = self.batch_size
        return config


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """A symbolic input: the start of a functional model, as ``keras.Input``.

    Call layers on it to build a graph, then wrap the graph with
    ``kerasite.Model(inputs, outputs)``. In a ``Sequential``, put it first to
    fix the input shape (the model is then built at once).

    Args:
        shape: the shape of one sample, without the batch axis, e.g. ``(784,)``
            or ``(28, 28)``. ``None`` marks an axis whose size varies: ``(None, 8)`` takes
            sequences of any length, ``(None,)`` with ``dtype="int32"`` token
            ids of any length.
        batch_size: a fixed batch size, or ``None`` (stateful RNNs need one).
        dtype: the dtype of the data; ``floatx()`` (float32) by default.
        sparse: Keras's sparse inputs; only ``None``/``False`` (dense arrays).
        ragged: Keras's ragged inputs; only ``None``/``False``.
        batch_shape: ``(batch_size, *shape)`` in one tuple, as Keras allows.
        name: a name for the input (and the key of its data in a dict).
        tensor: Keras wraps an existing tensor; only ``None`` here.
        optional: Keras's inputs that may be ``None``; only ``False`` here.

    The arguments are in ``keras.Input``'s order, so positional calls read the same.

    Returns:
        A ``SymbolicTensor`` of shape ``(batch_size, *shape)``.

    Raises:
        ValueError: if ``shape`` is not a tuple of positive integers or ``None`` s.

    Example:
        >>> import kerasite
        >>> from kerasite import layers
        >>> inputs = kerasite.Input((2,))
        >>> outputs = layers.Dense(1)(inputs)
        >>> kerasite.Model(inputs, outputs).count_params()
        3
    """
    for arg, value, fix in (("sparse", sparse, "pass dense arrays"),
                            ("ragged", ragged, "pad the sequences (utils.pad_sequences)"),
                            ("optional", optional, "give every input")):
        if value:
            raise ValueError(f"`{arg}=True` is not supported by kerasite.Input: {fix}. "
                             f"Received: {arg}={value!r}.")
    if tensor is not None:
        raise ValueError("`tensor=` is not supported by kerasite.Input: start the model from "
                         f"an Input of the tensor's shape. Received: tensor={tensor!r:.60}.")
    if batch_shape is not None:
        batch_size, shape = tuple(batch_shape)[0], tuple(batch_shape)[1:]
    if is_int(shape):
        shape = (shape,)
    return InputLayer(shape, dtype=dtype, name=name, batch_size=batch_size).output
