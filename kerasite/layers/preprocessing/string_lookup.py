"""``StringLookup``: strings to integer indices (or encodings), and back with ``invert``."""

from kerasite.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to indices in a vocabulary, given or learned with ``adapt``.

    The index layout is Keras's: the mask token (if any, in ``"int"`` mode),
    then ``num_oov_indices`` OOV indices, then the vocabulary, most frequent
    first (ties: the greater string first).

    Args:
        max_tokens: the largest vocabulary, the special indices included;
            ``None`` for no limit.
        num_oov_indices: how many indices unknown strings share (hashed
            between them when more than 1); 0 makes unknown strings an error.
        mask_token: a string that means "no token", mapped to 0.
        oov_token: the token that stands for unknown strings in
            ``get_vocabulary`` and ``invert`` (``"[UNK]"``).
        vocabulary: a list of strings, or the path of a text file with one
            per line.
        idf_weights: with ``vocabulary`` in ``"tf_idf"`` mode, a weight per token.
        invert: map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        pad_to_max_tokens: encode into ``max_tokens`` columns whatever the
            vocabulary's size.
        sparse: only ``False``.
        salt: hash the OOV buckets with SipHash under this key.

    Example:
        >>> import numpy as np
        >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer.forward(np.array([["a", "c", "d"], ["d", "z", "b"]]))
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    _string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", salt=None, **kwargs):
        if encoding not in ("utf-8", "utf8", None):
            raise ValueError(f"`encoding` must be 'utf-8'. Received: encoding={encoding!r}.")
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not isinstance(token, str):
                raise TypeError(f"`{name}` must be a string or None. Received: "
                                f"{name}={token!r}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, salt=salt,
                         **kwargs)
        self.encoding = "utf-8"

    def get_config(self):
        return {**super().get_config(), "encoding": "utf-8"}
