"""``Hashing``: values to one of ``num_bins`` bins by a fixed hash, as Keras's.

Strings (and integers, hashed as their decimal strings, as TensorFlow's
``as_string`` writes them) go through FarmHash Fingerprint64, or through
SipHash-2-4 keyed by ``salt``; both are in ``_hashing.py``. Each distinct
value of a batch is hashed once.
"""

import numpy as np

from kerasite._validation import is_int
from kerasite.layers.preprocessing._base import PreprocessingLayer, one_of, strings
from kerasite.layers.preprocessing._hashing import fingerprint64, siphash24
from kerasite.layers.preprocessing.category_encoding import encode, encoded_shape

_MODES = ("int", "one_hot", "multi_hot", "count")


def hash_buckets(values, num_buckets, salt=None):
    """Bucket ids ``hash(str(v)) % num_buckets`` of ``values`` (any shape), as int64."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    if values.dtype.kind in "iub":
        values = values.astype(np.int64).astype(str).astype(object)
    else:
        values = strings(values)
    unique, inverse = np.unique(values.ravel(), return_inverse=True)
    if salt is None:
        hashed = [fingerprint64(v) % num_buckets for v in unique]
    else:
        hashed = [siphash24(salt[0], salt[1], v) % num_buckets for v in unique]
    return np.asarray(hashed, dtype=np.int64)[inverse].reshape(values.shape)


class Hashing(PreprocessingLayer):
    """Hashes strings or integers into ``num_bins`` bins, giving the ids Keras 3 gives.

    Args:
        num_bins: the number of bins, the mask's bin included.
        mask_value: a value sent to bin 0; the others then hash into bins
            ``1 .. num_bins - 1``.
        salt: an integer, or a pair of them: use the keyed SipHash-2-4
            instead of FarmHash (the pair is its 128-bit key).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.

    Example:
        >>> import numpy as np
        >>> Hashing(num_bins=3).forward(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))[:, 0]
        array([1, 0, 1, 1, 2])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        if not is_int(num_bins) or num_bins < 1:
            raise ValueError(f"`num_bins` must be a positive integer. Received: "
                             f"num_bins={num_bins!r}.")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        if salt is not None:
            if is_int(salt):
                salt = [int(salt), int(salt)]
            elif not (isinstance(salt, (list, tuple)) and len(salt) == 2
                      and all(is_int(s) for s in salt)):
                raise ValueError("`salt` must be an integer or a pair of integers. "
                                 f"Received: salt={salt!r}.")
            salt = [int(s) for s in salt]
        self.salt = salt
        self.output_mode = one_of(output_mode, "output_mode", _MODES)
        if sparse:
            raise ValueError("`sparse=True` is not supported: kerasite has no sparse arrays. "
                             "Use sparse=False.")

    def call(self, x, training=False):
        x = np.asarray(x)
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = x[..., 0]
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        ids = hash_buckets(x, bins - 1 if masked else bins, self.salt)
        if masked:
            ids += 1
            ids[strings(x) == self.mask_value if x.dtype.kind in "USO" else
                x == self.mask_value] = 0
        return encode(ids, self.output_mode, self.num_bins)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return (*tuple(input_shape)[:-1], self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": False}
