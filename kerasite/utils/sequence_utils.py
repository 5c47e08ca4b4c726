"""``pad_sequences``: lists of sequences of different lengths into one rectangular array.

Keras's ``keras.utils.pad_sequences`` (also at its older path
``keras.preprocessing.sequence.pad_sequences``), with the same arguments,
defaults and results.
"""

import numpy as np

from kerasite._validation import is_int


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) every sequence to ``maxlen`` steps.

    Args:
        sequences: a list of sequences, each a list or array of steps; a
            step is a number, or an array of one shape shared by all.
        maxlen: the output length; the longest sequence's by default.
        dtype: the output dtype (``"int32"``); ``object`` or a string dtype
            for sequences of strings.
        padding: ``"pre"`` (the padding goes before each sequence, the
            default) or ``"post"``.
        truncating: ``"pre"`` (drop the first steps of a sequence longer
            than ``maxlen``, the default) or ``"post"`` (drop the last ones).
        value: the padding value.

    Returns:
        An array ``(len(sequences), maxlen, *step_shape)`` of ``dtype``.

    Raises:
        ValueError: ``sequences`` is not a list of sequences, the steps have
            different shapes, ``maxlen``, ``padding`` or ``truncating`` is not
            one of the values above, or ``value`` is a string for a numeric
            ``dtype``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
        array([[1, 0],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    for arg, mode in (("padding", padding), ("truncating", truncating)):
        if mode not in ("pre", "post"):
            raise ValueError(f'`{arg}` must be "pre" or "post". Received: {arg}={mode!r}.')
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "`sequences` must be a list of sequences, such as [[1, 2], [3]]. Received: "
            f"sequences of type {type(sequences).__name__}."
        )
    lengths, step_shape = [], None
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(
                "`sequences` must be a list of sequences (lists or arrays); the one at "
                f"position {i} is {seq!r:.50}. Wrap single values in a list."
            )
        lengths.append(len(seq))
        if step_shape is None and len(seq):
            step_shape = np.asarray(seq).shape[1:]  # every step must have this shape
    step_shape = step_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif not (is_int(maxlen) and maxlen >= 0):
        raise ValueError(f"`maxlen` must be a non-negative integer or None. Received: "
                         f"maxlen={maxlen!r}.")
    maxlen = int(maxlen)
    if isinstance(value, str) and np.dtype(dtype).kind not in "OSU":
        raise ValueError(
            f"`value` is the string {value!r}, which the numeric `dtype` {dtype!r} cannot "
            "hold. Pass dtype=object (or a string dtype) to pad sequences of strings."
        )
    out = np.full((len(lengths), maxlen, *step_shape), value, dtype=dtype)
    for i, (seq, length) in enumerate(zip(sequences, lengths)):
        kept = min(length, maxlen)
        if kept == 0:
            continue
        steps = np.asarray(seq[length - kept:] if truncating == "pre" else seq[:kept],
                           dtype=dtype)
        if steps.shape[1:] != step_shape:
            raise ValueError(
                f"The steps of the sequence at position {i} have shape {steps.shape[1:]}, but "
                f"those of the first non-empty sequence have shape {step_shape}. Give every "
                "step the same shape."
            )
        if padding == "post":
            out[i, :kept] = steps
        else:
            out[i, maxlen - kept:] = steps
    return out
