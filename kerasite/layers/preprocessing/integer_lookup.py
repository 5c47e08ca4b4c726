"""``IntegerLookup``: integer tokens (ids, codes, years) to contiguous indices, and back."""

from kerasite._validation import is_int
from kerasite.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integers to indices in a vocabulary, given or learned with ``adapt``.

    The layout is ``StringLookup``'s; unknown integers share the OOV
    indices by ``token % num_oov_indices`` (by hash with a ``salt``).

    Args:
        max_tokens: the largest vocabulary, the special indices included
            (more than 1), or ``None``.
        num_oov_indices: how many indices unknown integers share.
        mask_token: an integer that means "no token", mapped to 0.
        oov_token: the integer ``invert`` gives for OOV indices (-1).
        vocabulary: a list of integers, or the path of a text file with one per line.
        idf_weights: as for ``StringLookup``.
        invert: as for ``StringLookup``.
        output_mode: as for ``StringLookup``.
        pad_to_max_tokens: as for ``StringLookup``.
        sparse: only ``False``.
        salt: as for ``StringLookup``.

    Example:
        >>> import numpy as np
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer.forward(np.array([[12, 1138, 42], [42, 1000, 36]]))
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    _string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, salt=None, **kwargs):
        if max_tokens is not None and (not is_int(max_tokens) or max_tokens <= 1):
            raise ValueError("`max_tokens` of IntegerLookup must be an integer > 1, or None. "
                             f"Received: max_tokens={max_tokens!r}.")
        if vocabulary_dtype != "int64":
            raise ValueError("`vocabulary_dtype` must be 'int64'. Received: "
                             f"vocabulary_dtype={vocabulary_dtype!r}.")
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not is_int(token):
                raise TypeError(f"`{name}` must be an integer or None. Received: "
                                f"{name}={token!r}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=None if oov_token is None else int(oov_token),
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         sparse=sparse, salt=salt, **kwargs)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": "int64"}
