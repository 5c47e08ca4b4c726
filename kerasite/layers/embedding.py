"""``Embedding``: a lookup table from integer indices to learned vectors."""

import numpy as np

from kerasite import constraints, initializers, regularizers
from kerasite._validation import boolean, positive_int
from kerasite.backend import kernels
from kerasite.layers.base import Layer


class Embedding(Layer):
    """Maps each integer index in ``[0, input_dim)`` to a learned vector of ``output_dim``.

    ``y[..., :] = embeddings[x[...]]``. Only the rows that were looked up get
    a gradient: backward zeroes the rows of ``grads["embeddings"]`` that the
    last batch wrote and adds each output gradient into the row of its index
    (repeated indices sum), so a batch touches only its own rows of a large
    table (``kerasite.backend.kernels.embedding_backward``). The indices
    themselves have no gradient.

    Args:
        input_dim: the vocabulary size, a positive integer.
        output_dim: the size of each vector, a positive integer.
        embeddings_initializer: initializer of the table (Keras's
            ``"uniform"``, i.e. ``U(-0.05, 0.05)``, by default).
        embeddings_regularizer: a regularizer of the table, or ``None``.
        embeddings_constraint: a constraint on the table, or ``None``.
        mask_zero: whether index 0 is padding: the layer then gives the
            model a mask, ``True`` where the index is not 0, which the
            recurrent layers after it follow (masked steps keep their states).
            Index 0 then means nothing, so ``input_dim`` is the vocabulary size
            plus one.
        weights: as Keras 3: a list holding one ``(input_dim, output_dim)``
            matrix (or the matrix itself), e.g. pretrained vectors. The layer
            is then built at once with that table instead of an initializer's.

    Shapes:
        input ``(batch, *index_axes)`` of integers (a float array holding
        whole numbers, as ``fit`` passes it, is accepted); output
        ``(batch, *index_axes, output_dim)``; the table is
        ``(input_dim, output_dim)``.

    Example:
        >>> import numpy as np
        >>> layer = Embedding(3, 2, embeddings_initializer="ones")
        >>> layer.forward(np.array([[0, 2]])).shape
        (1, 2, 2)
    """

    _cache_attrs = ("_indices", "_rows")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, **kwargs):
        super().__init__(**kwargs)
        input_dim = positive_int(input_dim, "input_dim")
        output_dim = positive_int(output_dim, "output_dim")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = boolean(mask_zero, "mask_zero")
        if self.embeddings_regularizer is not None:
            self.regularizers["embeddings"] = self.embeddings_regularizer
        if self.embeddings_constraint is not None:
            self.constraints["embeddings"] = self.embeddings_constraint
        if weights is not None:
            self._set_initial_table(weights)

    def _set_initial_table(self, weights):
        if isinstance(weights, (list, tuple)) and len(weights) == 1:
            weights = weights[0]
        table = np.asarray(weights)
        if table.shape != (self.input_dim, self.output_dim) or table.dtype.kind not in "fiu":
            raise ValueError(
                f"`weights` of layer '{self.name}' (Embedding) must be one numeric matrix of "
                f"shape (input_dim, output_dim) = ({self.input_dim}, {self.output_dim}), as "
                f"[matrix]. Received an array of shape {table.shape} and dtype {table.dtype}.")
        self.build((None, None))  # any index shape, as Keras builds it here
        self.embeddings.assign(table)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings")
        super().build(input_shape)

    def _check_indices(self, x):
        x = np.asarray(x)
        if x.dtype.kind in "iu":
            indices = x
        elif x.dtype.kind == "f" and np.all(np.isfinite(x)) and np.all(x == np.round(x)):
            indices = x.astype(np.intp)
        else:
            raise ValueError(
                f"Layer '{self.name}' (Embedding) takes integer indices. Received an array of "
                f"{x.dtype} with values that are not whole numbers. Pass token ids, not features.")
        if indices.size and (indices.min() < 0 or indices.max() >= self.input_dim):
            bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
            raise ValueError(
                f"Layer '{self.name}' (Embedding) has input_dim={self.input_dim}, so indices must "
                f"be in [0, {self.input_dim - 1}]. Received index {bad}. Raise input_dim to the "
                "vocabulary size.")
        return indices

    # y = E[x];   dL/dE[i] = sum of dL/dy over the positions where x == i
    def call(self, x, training=False):
        self._indices = self._check_indices(x)
        return self.embeddings.value[self._indices]  # fancy indexing: a fresh array

    def backward(self, grad_output, need_input_grad=True):
        # Only the rows looked up change: the kernel zeroes the rows the last call wrote
        # (the whole table the first time) and adds into this batch's. A regularizer's
        # gradient touches every row, so then the next call zeroes the whole table.
        dense = bool(self.regularizers)
        rows = kernels.embedding_backward(
            self._indices.reshape(-1), grad_output.reshape(-1, self.output_dim),
            self.embeddings._grad, None if dense else self.__dict__.get("_rows"))
        self._rows = None if dense else rows
        if not need_input_grad:
            return None
        # Indices are not differentiable; zeros keep a layer before this one working.
        return np.zeros(self._indices.shape, dtype=grad_output.dtype)

    @property
    def makes_mask(self):
        """Whether the layer starts a mask (``mask_zero``), for the model's graph."""
        return self.mask_zero

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` with ``mask_zero``, ``(batch, *index_axes)``; else ``None``."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero}
