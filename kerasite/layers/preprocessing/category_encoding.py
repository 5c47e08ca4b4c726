"""``CategoryEncoding``: integer ids to one-hot, multi-hot or count vectors.

``encode`` is also the last step of ``Discretization``, ``Hashing`` and the
lookups. Counting goes through one ``np.bincount`` over ``row * depth + id``,
so a batch of long token sequences never makes a (batch, tokens, depth)
one-hot array.
"""

import numpy as np

from kerasite.config import floatx
from kerasite._validation import is_int
from kerasite.layers.preprocessing._base import PreprocessingLayer, one_of

ENCODINGS = ("one_hot", "multi_hot", "count")


def encode(ids, output_mode, depth, dtype=None, weights=None):
    """Encodes integer ``ids`` (any shape) as Keras's ``encode_categorical_inputs`` does.

    Args:
        ids: integer array. Ids outside ``[0, depth)`` encode as nothing.
        output_mode: ``"int"`` (ids as int64), ``"one_hot"``, ``"multi_hot"``
            or ``"count"``.
        depth: the length of each vector.
        dtype: the float dtype of the vectors; ``floatx()`` by default.
        weights: for ``"count"``, a weight per id (summed instead of 1s).

    Returns:
        ``"one_hot"``: ``(*ids.shape, depth)``, a trailing axis of size 1
        dropped first; ``"multi_hot"`` and ``"count"``: the last axis
        reduced, ``(*ids.shape[:-1], depth)``; ``(depth,)`` for a 1-D
        ``ids``, as in Keras.
    """
    ids = np.asarray(ids)
    if output_mode == "int":
        return ids.astype(np.int64)
    dtype = np.dtype(dtype or floatx())
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return (ids[..., None] == np.arange(depth)).astype(dtype)
    rows = ids.reshape(-1, ids.shape[-1]) if ids.ndim else ids.reshape(1, 1)
    valid = (rows >= 0) & (rows < depth)
    flat = (np.arange(len(rows))[:, None] * depth + rows)[valid]
    w = None if weights is None else np.asarray(weights, np.float64).reshape(rows.shape)[valid]
    counts = np.bincount(flat, weights=w, minlength=len(rows) * depth).reshape(len(rows), depth)
    if output_mode == "multi_hot":
        counts = counts > 0
    return counts.astype(dtype).reshape(*ids.shape[:-1], depth)


def encoded_shape(input_shape, output_mode, depth):
    """The shape ``encode`` gives for inputs of ``input_shape`` (batch axis included)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            input_shape = input_shape[:-1]
        return (*input_shape, depth)
    return (*input_shape[:-1], depth)


class CategoryEncoding(PreprocessingLayer):
    """Encodes integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories, the length of each vector.
        output_mode: ``"multi_hot"`` (default: 1 where an id occurs in the
            last axis), ``"one_hot"`` (a vector per id) or ``"count"``
            (how often each id occurs).
        sparse: only ``False``: kerasite has no sparse arrays.

    Shapes:
        ``(batch, k)`` ids give ``(batch, num_tokens)`` for ``multi_hot``
        and ``count``; ``(batch, k, num_tokens)`` for ``one_hot``
        (``(batch, num_tokens)`` when ``k`` is 1).

    Example:
        >>> import numpy as np
        >>> CategoryEncoding(4, output_mode="count").forward(np.array([[0, 1, 1], [3, 3, 2]]))
        array([[1., 2., 0., 0.],
               [0., 0., 1., 2.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":  # Keras's older name
            output_mode = "multi_hot"
        self.output_mode = one_of(output_mode, "output_mode", ENCODINGS)
        if not is_int(num_tokens) or num_tokens < 1:
            raise ValueError("`num_tokens` must be an integer >= 1, the number of categories. "
                             f"Received: num_tokens={num_tokens!r}.")
        self.num_tokens = int(num_tokens)
        if sparse:
            raise ValueError("`sparse=True` is not supported: kerasite has no sparse arrays. "
                             "Use sparse=False (dense vectors).")
        self.sparse = False

    def call(self, x, training=False, count_weights=None):
        ids = np.asarray(x)
        if ids.dtype.kind not in "iuf" or (ids.dtype.kind == "f" and
                                           not np.array_equal(ids, np.round(ids))):
            raise ValueError(f"Layer '{self.name}' (CategoryEncoding) takes integer ids. "
                             f"Received an array of dtype {ids.dtype}.")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            raise ValueError(
                f"Layer '{self.name}' (CategoryEncoding) takes ids in [0, num_tokens) = "
                f"[0, {self.num_tokens}). Received values from {ids.min()} to {ids.max()}; "
                "raise `num_tokens` or remap the ids.")
        return encode(ids, self.output_mode, self.num_tokens, weights=count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": False}
