"""``TextVectorization``: raw strings to token ids or bag-of-words vectors, as Keras's.

Each string goes through three steps, then the lookup:

1. ``standardize``: ASCII lower-casing (TensorFlow's ``tf.strings.lower``
   changes only A-Z) and deleting ASCII punctuation, or a callable;
2. ``split``: on runs of ASCII whitespace, into characters, or a callable;
3. ``ngrams``: all n-grams of the widths asked for, joined by a space,
   the 1-grams first, then the 2-grams, ...

The lookup is a ``StringLookup`` with Keras's layout: in ``"int"`` mode
index 0 is padding (the mask token ``""``) and 1 is ``"[UNK]"``.
"""

import re
import string

import numpy as np

from kerasite._validation import is_int
from kerasite.config import floatx
from kerasite.layers.preprocessing._base import (
    PreprocessingLayer,
    batches,
    one_of,
    optional_positive_int,
    strings,
)
from kerasite.layers.preprocessing.category_encoding import encode
from kerasite.layers.preprocessing.string_lookup import StringLookup

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_MODES = ("int", "multi_hot", "count", "tf_idf")
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


class TextVectorization(PreprocessingLayer):
    """Turns strings into sequences of token ids, or into multi-hot, count or TF-IDF vectors.

    Args:
        max_tokens: the largest vocabulary, padding and OOV included.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None``, or a callable taking a 1-D
            array of Python strings and returning one.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (each
            string is one token), or a callable taking a 1-D array of strings
            and returning a list of token lists.
        ngrams: ``None``, an integer ``n`` (all n-grams up to ``n``), or a
            tuple of widths.
        output_mode: ``"int"`` (token ids, padded with 0), ``"multi_hot"``,
            ``"count"`` or ``"tf_idf"``.
        output_sequence_length: in ``"int"`` mode, pad or cut every
            sequence to this length (else: to the longest of the batch).
        pad_to_max_tokens: vectors of length ``max_tokens`` in the other modes.
        vocabulary: a list of tokens or a file path, instead of ``adapt``.
        idf_weights: with ``vocabulary`` in ``"tf_idf"`` mode.
        sparse: only ``False``.
        ragged: only ``False``.
        encoding: only ``"utf-8"``.

    Shapes:
        inputs ``(batch,)`` or ``(batch, 1)`` of strings; outputs
        ``(batch, sequence_length)`` int64 ids, or ``(batch, depth)`` floats.

    Example:
        >>> import numpy as np
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(np.array(["The cat sat.", "The dog sat!"]))
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer.forward(np.array(["the bird sat"]))
        array([[2, 1, 3, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        for key in ("dtype", "vocabulary_size"):
            kwargs.pop(key, None)
        super().__init__(**kwargs)
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"`standardize` must be one of {', '.join(map(repr, _STANDARDIZE))}, "
                             f"None or a callable. Received: standardize={standardize!r}.")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"`split` must be 'whitespace', 'character', None or a callable. "
                             f"Received: split={split!r}.")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (is_int(ngrams) and ngrams >= 1) or (
                isinstance(ngrams, tuple) and ngrams and all(is_int(n) and n >= 1 for n in ngrams))):
            raise ValueError("`ngrams` must be None, a positive integer, or a tuple of them. "
                             f"Received: ngrams={ngrams!r}.")
        self.output_mode = one_of("tf_idf" if output_mode == "tf-idf" else output_mode,
                                  "output_mode", _MODES)
        self.output_sequence_length = optional_positive_int(output_sequence_length,
                                                            "output_sequence_length")
        if self.output_sequence_length is not None and self.output_mode != "int":
            raise ValueError("`output_sequence_length` applies to output_mode='int' only. "
                             f"Received: output_mode={output_mode!r}.")
        if sparse or ragged:
            raise ValueError("`sparse` and `ragged` must be False: kerasite returns dense "
                             "arrays.")
        if encoding not in ("utf-8", "utf8"):
            raise ValueError(f"`encoding` must be 'utf-8'. Received: encoding={encoding!r}.")
        self.standardize, self.split = standardize, split
        self.ngrams = ngrams
        self._widths = tuple(range(1, ngrams + 1)) if is_int(ngrams) else ngrams
        self.max_tokens = optional_positive_int(max_tokens, "max_tokens")
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._lookup = StringLookup(
            max_tokens=max_tokens, num_oov_indices=1,
            mask_token="" if self.output_mode == "int" else None, oov_token="[UNK]",
            vocabulary=vocabulary, idf_weights=idf_weights, output_mode=self.output_mode,
            pad_to_max_tokens=pad_to_max_tokens, name=f"{self.name}_lookup")

    def _sublayers(self):
        return []  # the lookup caches nothing

    # ----------------------------------------------------------------- tokens
    def _tokens(self, x):
        """The token lists of a batch of strings, one list per string."""
        x = strings(np.asarray(x))
        if x.ndim == 2 and self.split is not None:
            if x.shape[-1] != 1:
                raise ValueError(f"Layer '{self.name}' (TextVectorization) splits one string per "
                                 f"sample: inputs of shape (batch,) or (batch, 1). Received "
                                 f"shape {x.shape}.")
            x = x[:, 0]
        if x.dtype.kind not in "OU":
            raise TypeError(f"Layer '{self.name}' (TextVectorization) takes strings. Received "
                            f"an array of dtype {x.dtype}.")
        texts = x.reshape(-1) if self.split is not None else x.reshape(len(x), -1)
        if self.standardize is not None:
            flat = texts.ravel()
            if callable(self.standardize):
                flat = strings(np.asarray(self.standardize(flat.astype(str)))).ravel()
            else:
                if self.standardize != "strip_punctuation":
                    flat = [t.translate(_LOWER) for t in flat]
                if self.standardize != "lower":
                    flat = [t.translate(_NO_PUNCTUATION) for t in flat]
            texts = np.asarray(flat, dtype=object).reshape(texts.shape)
        if self.split is None:
            rows = [list(row) for row in texts]
        elif callable(self.split):
            rows = [[t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in row]
                    for row in self.split(texts.astype(str))]
        elif self.split == "whitespace":
            rows = [[t for t in _WHITESPACE.split(text) if t] for text in texts]
        else:
            rows = [list(text) for text in texts]
        if self._widths is not None:
            rows = [[" ".join(row[i:i + n]) for n in self._widths
                     for i in range(len(row) - n + 1)] for row in rows]
        return rows

    # ---------------------------------------------------------- vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and IDF weights) from strings: most frequent tokens first.

        Args:
            data: an array of strings ``(samples,)`` or ``(samples, 1)``, or an
                iterable of such batches.
            batch_size: for an array, the strings read at a time.
            steps: at most this many batches.
        """
        lookup = self._lookup
        if lookup._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}': it was given a `vocabulary`. "
                             "Create it without one to learn the vocabulary from data.")
        lookup._start_counts()
        for batch in batches(data, batch_size, steps):
            lookup._count(self._tokens(batch.reshape(-1) if batch.ndim == 0 else batch))
        lookup._finish_counts()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, a token per index (``""`` and ``"[UNK]"`` first in ``"int"`` mode)."""
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The number of indices, padding and OOV included."""
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and IDF weights), as ``StringLookup.set_vocabulary``."""
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    # ----------------------------------------------------------------- call
    def call(self, x, training=False):
        lookup = self._lookup
        if lookup._tokens is None:
            raise ValueError(f"Layer '{self.name}' (TextVectorization) has no vocabulary yet: "
                             "pass `vocabulary`, or call adapt(data) first.")
        if self.split is None:  # each string is one token: ids shaped as the input
            return self._whole_strings(x)
        rows = self._tokens(x)
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        flat = np.array([t for r in rows for t in r], dtype=object)
        ids = lookup.lookup(flat) if flat.size else np.zeros(0, np.int64)
        row_of = np.repeat(np.arange(len(rows)), lengths)
        if self.output_mode == "int":
            width = self.output_sequence_length or int(lengths.max(initial=0))
            pos = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            keep = pos < width
            out = np.zeros((len(rows), width), dtype=np.int64)
            out[row_of[keep], pos[keep]] = ids[keep]
            return out
        depth = lookup._depth()
        valid = ids >= 0
        counts = np.bincount(row_of[valid] * depth + ids[valid],
                             minlength=len(rows) * depth).reshape(len(rows), depth)
        out = (counts > 0 if self.output_mode == "multi_hot" else counts).astype(
            np.float32 if self.output_mode == "tf_idf" else floatx())
        if self.output_mode == "tf_idf":
            out = (out * lookup.idf_weights).astype(floatx())
        return out

    def _whole_strings(self, x):
        lookup = self._lookup
        texts = np.asarray(self._tokens(x), dtype=object).reshape(np.shape(x))
        ids = lookup.lookup(texts)
        if self.output_mode == "int":
            return ids
        out = encode(ids, "count" if self.output_mode == "tf_idf" else self.output_mode,
                     lookup._depth())
        return out * lookup.idf_weights.astype(out.dtype) if self.output_mode == "tf_idf" else out

    def compute_output_shape(self, input_shape):
        if self.split is None and self.output_mode == "int":
            return tuple(input_shape)
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self._lookup._depth())

    def get_config(self):
        lookup = self._lookup.get_config()
        for key, value in (("standardize", self.standardize), ("split", self.split)):
            if callable(value):
                raise ValueError(f"Layer '{self.name}' has a callable `{key}`, which a config "
                                 "cannot hold (saving keeps data, never code). Save the "
                                 "weights only, or use a built-in option.")
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": self.standardize, "split": self.split,
                "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
                "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": lookup["vocabulary"], "idf_weights": lookup["idf_weights"],
                "sparse": False, "ragged": False, "encoding": "utf-8"}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vocabulary, idf = config.pop("vocabulary", None), config.pop("idf_weights", None)
        layer = cls(**config)
        if vocabulary is not None:  # the saved state; the layer stays adaptable
            state = StringLookup.from_config({**layer._lookup.get_config(),
                                              "vocabulary": vocabulary, "idf_weights": idf})
            state._has_input_vocabulary = False
            layer._lookup = state
        return layer
