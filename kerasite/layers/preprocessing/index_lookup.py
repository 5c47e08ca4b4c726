"""The lookup tables behind ``StringLookup`` and ``IntegerLookup``, with Keras's index layout.

Indices, as Keras lays them out::

    0                      the mask token (only with a mask_token and output_mode="int")
    1 .. num_oov_indices   out-of-vocabulary (OOV) buckets
    then                   the vocabulary, most frequent first

``adapt`` counts the tokens, drops the mask and OOV tokens, and sorts by
count, ties broken by the token itself in descending order (Keras sorts with
``np.lexsort((tokens, counts))[::-1]``). With several OOV buckets a string
goes to bucket ``Fingerprint64(token) % num_oov_indices`` (SipHash with a
``salt``), an integer to ``token % num_oov_indices``.

The vocabulary (and the IDF weights of ``"tf_idf"``) are the layer's state:
``get_config`` holds them as plain lists, so a saved model stores them as
data.
"""

import os
from collections import Counter

import numpy as np

from kerasite._validation import is_int
from kerasite.layers.preprocessing._base import (
    PreprocessingLayer,
    batches,
    one_of,
    optional_positive_int,
    plain,
    strings,
)
from kerasite.layers.preprocessing.category_encoding import encode, encoded_shape
from kerasite.layers.preprocessing.hashing import hash_buckets

MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(PreprocessingLayer):
    """What ``StringLookup`` and ``IntegerLookup`` share; see them for the arguments."""

    _string = True  # the vocabulary's kind: strings, or integers for IntegerLookup

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, salt=None, **kwargs):
        for key in ("dtype", "vocabulary_size", "vocabulary_dtype", "has_input_vocabulary",
                    "encoding", "oov_method"):
            kwargs.pop(key, None)
        super().__init__(**kwargs)
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        self.output_mode = one_of(output_mode, "output_mode", MODES)
        self.max_tokens = optional_positive_int(max_tokens, "max_tokens")
        if not is_int(num_oov_indices) or num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be an integer >= 0. "
                             f"Received: num_oov_indices={num_oov_indices!r}.")
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert = bool(invert)
        if self.invert and self.output_mode != "int":
            raise ValueError("`invert=True` maps indices back to tokens, so it needs "
                             f"output_mode='int'. Received: output_mode={output_mode!r}.")
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError("`pad_to_max_tokens=True` needs `max_tokens`. "
                             "Received: max_tokens=None.")
        if sparse:
            raise ValueError("`sparse=True` is not supported: kerasite has no sparse arrays. "
                             "Use sparse=False.")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError("`idf_weights` are used only with output_mode='tf_idf'. "
                             f"Received: output_mode={output_mode!r}.")
        if self.output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("With `vocabulary` and output_mode='tf_idf', pass `idf_weights` "
                             "too (one per vocabulary token).")
        self.salt = None if salt is None else ([int(salt)] * 2 if is_int(salt) else
                                               [int(s) for s in salt])
        self._tokens = None  # the learned or given vocabulary, special tokens excluded
        self.idf_weights = None
        self._has_input_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------ the layout
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices: the vocabulary plus the mask and OOV indices."""
        return self._token_start() + (0 if self._tokens is None else len(self._tokens))

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, a token per index: ``vocab[i]`` is what index ``i`` means.

        Args:
            include_special_tokens: ``False`` to leave out the mask and OOV tokens.
        """
        tokens = [] if self._tokens is None else list(self._tokens)
        if not include_special_tokens:
            return tokens
        return ([self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
                + tokens)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # -------------------------------------------------------- the vocabulary
    def _token(self, value):
        """One vocabulary entry as a Python str or int."""
        if self._string:
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return int(value)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for ``"tf_idf"``, the IDF weights), replacing any.

        Args:
            vocabulary: a list or 1-D array of tokens, or the path of a text
                file with one token per line. It may start with the mask and
                OOV tokens in Keras's layout; they are then recognised.
            idf_weights: one weight per token (``"tf_idf"`` only).
        """
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.isfile(path):
                raise ValueError(f"`vocabulary` is a string, so it must be the path of a text file "
                                 f"with one token per line. No file at {path!r}.")
            with open(path, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
            while vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        tokens = [self._token(v) for v in np.asarray(vocabulary, dtype=object).ravel()] \
            if not isinstance(vocabulary, list) else [self._token(v) for v in vocabulary]
        if not tokens:
            raise ValueError("Cannot set an empty vocabulary. Received: vocabulary=[].")
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        start = len(special)
        found_special = tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        seen, repeated = set(), []
        for t in tokens:
            if t in seen:
                repeated.append(t)
            seen.add(t)
        if repeated:
            raise ValueError("The vocabulary has repeated tokens; make them unique. Repeated: "
                             f"{sorted(set(repeated))[:10]}.")
        if self.mask_token is not None and self.mask_token in seen:
            raise ValueError(f"The vocabulary holds the mask token {self.mask_token!r} after its "
                             "start. Leave the mask and OOV tokens out, or put them first in "
                             f"this order only: {special}.")
        if self.invert and self.oov_token is not None and self.oov_token in seen:
            raise ValueError(f"The vocabulary holds the OOV token {self.oov_token!r} after its "
                             "start. Leave the mask and OOV tokens out, or put them first in "
                             f"this order only: {special}.")
        if self.max_tokens is not None and self._token_start() + len(tokens) > self.max_tokens:
            raise ValueError(f"The vocabulary has {self._token_start() + len(tokens)} indices "
                             f"with the special ones, more than max_tokens={self.max_tokens}.")
        self._tokens = tokens
        self._index = {t: i + self._token_start() for i, t in enumerate(tokens)}
        if self.output_mode == "tf_idf" and idf_weights is not None:
            weights = np.asarray(idf_weights, dtype=np.float64).ravel()
            expected = len(tokens) + (start if found_special else 0)
            if len(weights) != expected:
                raise ValueError(f"`idf_weights` must have one weight per vocabulary token: "
                                 f"{expected}. Received {len(weights)}.")
            if not found_special:  # Keras gives the special indices the mean weight
                weights = np.concatenate([np.full(self._token_start(), weights.mean()), weights])
            self._set_idf(weights)

    def _set_idf(self, weights):
        if self.pad_to_max_tokens:
            weights = np.concatenate([weights, np.zeros(self.max_tokens - len(weights))])
        self.idf_weights = weights.astype(np.float32)

    # -------------------------------------------------------------- adapting
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from ``data``: its tokens, most frequent first.

        Args:
            data: an array of tokens, ``(samples,)`` or ``(samples, k)``, or an
                iterable of such batches. For ``"tf_idf"`` each row is a document.
            batch_size: for an array, the rows read at a time.
            steps: at most this many batches.

        Raises:
            ValueError: if the layer was given a vocabulary.
        """
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}': it was given a `vocabulary`. "
                             "Create it without one to learn the vocabulary from data.")
        self._start_counts()
        for batch in batches(data, batch_size, steps):
            batch = self._keys(batch)
            if batch.ndim == 0:
                batch = batch.reshape(1, 1)
            if batch.ndim == 1:
                batch = batch[:, None]  # one token per document, as Keras's expand_dims
            self._count(batch.reshape(len(batch), -1).tolist())
        self._finish_counts()

    # adapt in three steps, so that TextVectorization can feed its token lists
    def _start_counts(self):
        self._counts, self._doc_counts, self._documents = Counter(), Counter(), 0

    def _count(self, rows):
        """Adds a batch of documents (lists of tokens) to the counts."""
        for row in rows:
            self._counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._doc_counts.update(set(row))
            self._documents += len(rows)

    def _finish_counts(self):
        counts = self._counts
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:max(self.max_tokens - self._token_start(), 0)]
        self._tokens = [t for t, _ in ranked]
        self._index = {t: i + self._token_start() for i, t in enumerate(self._tokens)}
        if self.output_mode == "tf_idf":
            df = np.array([self._doc_counts[t] for t in self._tokens], dtype=np.float64)
            idf = np.log(1 + self._documents / (1 + df)).astype(np.float32)
            mean = idf.mean() if idf.size else 0.0
            self._set_idf(np.concatenate([np.full(self._token_start(), mean), idf]))
        del self._counts, self._doc_counts, self._documents

    def _keys(self, x):
        """``x`` as the vocabulary's kind: Python strings, or int64."""
        x = np.asarray(x)
        if self._string:
            if x.dtype.kind not in "USO":
                raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) looks up strings. "
                                f"Received an array of dtype {x.dtype}; use IntegerLookup for "
                                "integers.")
            return strings(x)
        if x.dtype.kind == "f" and np.array_equal(x, np.round(x)):
            x = x.astype(np.int64)
        if x.dtype.kind not in "iub":
            raise TypeError(f"Layer '{self.name}' (IntegerLookup) looks up integers. Received an "
                            f"array of dtype {x.dtype}; use StringLookup for strings.")
        return x.astype(np.int64)

    # ---------------------------------------------------------------- lookup
    def call(self, x, training=False):
        if self._tokens is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) has no vocabulary "
                             "yet: pass `vocabulary`, or call adapt(data) first.")
        if self.invert:
            return self._invert(x)
        ids = self.lookup(x)
        if self.output_mode == "int":
            return ids
        out = encode(ids, "count" if self.output_mode == "tf_idf" else self.output_mode,
                     self._depth())
        if self.output_mode == "tf_idf":
            out *= self.idf_weights.astype(out.dtype)
        return out

    def lookup(self, x):
        """The int64 index of each token of ``x`` (any shape); a mask token gives 0,
        or -1 outside ``"int"`` mode (then encoded as nothing)."""
        keys = self._keys(x)
        unique, inverse = np.unique(keys.ravel(), return_inverse=True)
        found = np.array([self._index.get(k, -1) for k in unique.tolist()], dtype=np.int64)
        ids = found[inverse].reshape(keys.shape)
        oov = ids < 0
        if self.mask_token is not None:
            mask = keys == self.mask_token
            oov &= ~mask
            ids[mask] = 0 if self.output_mode == "int" else -1
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(
                    f"Layer '{self.name}' got tokens outside its vocabulary, e.g. "
                    f"{keys[oov].ravel()[0]!r}, and has num_oov_indices=0. Set "
                    "num_oov_indices=1 (or more) to map them to OOV indices.")
            if self.num_oov_indices == 1:
                bucket = 0
            elif self._string or self.salt is not None:
                bucket = hash_buckets(keys[oov], self.num_oov_indices, self.salt)
            else:
                bucket = np.mod(keys[oov], self.num_oov_indices)
            ids[oov] = self._oov_start() + bucket
        return ids

    def _invert(self, x):
        ids = np.asarray(x)
        if ids.dtype.kind == "f":
            ids = ids.astype(np.int64)
        vocab = np.empty(self.vocabulary_size() + 1, dtype=object)
        vocab[:-1] = self.get_vocabulary()
        vocab[-1] = self.oov_token
        ids = np.where((ids >= 0) & (ids < self.vocabulary_size()), ids, len(vocab) - 1)
        out = vocab[ids]
        return out if self._string else out.astype(np.int64)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, "count" if self.output_mode == "tf_idf"
                             else self.output_mode, self._depth())

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                "oov_token": self.oov_token, "vocabulary": self._tokens,
                "idf_weights": None if self.idf_weights is None else
                plain(self.idf_weights[self._token_start():self.vocabulary_size()]
                      .astype(np.float64)),
                "invert": self.invert, "output_mode": self.output_mode,
                "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": False,
                "salt": self.salt}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vocabulary, idf = config.pop("vocabulary", None), config.pop("idf_weights", None)
        layer = cls(**config)
        if vocabulary is not None:  # the saved state: set, and still adaptable
            layer.set_vocabulary(vocabulary, idf)
            if idf is not None:  # the saved weights are the tokens' own, not re-averaged
                weights = np.asarray(idf, dtype=np.float64)
                mean = np.float32(weights.astype(np.float32).mean())
                layer._set_idf(np.concatenate([np.full(layer._token_start(), mean), weights]))
        return layer
