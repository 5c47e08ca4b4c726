"""What the preprocessing layers share: argument checks, ``adapt``'s batches, no-gradient backward.

Preprocessing layers sit at a model's input. Most of them map data that has
no gradient (strings, integer ids, bins), so their ``backward`` has nothing
to pass on: it returns ``None`` when nobody needs the input gradient (the
first layer of a model) and raises a clear error otherwise.
"""

import numpy as np

from kerasite._validation import is_int
from kerasite.layers.base import Layer


def as_numbers(value, name):
    """A float, or a float array for a list; JSON-safe back via ``plain``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or isinstance(value, (bool, str)) or array.size == 0 \
            or not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be a finite number or a list of them. "
                         f"Received: {name}={value!r}.")
    return float(array) if array.ndim == 0 else array


def plain(value):
    """``value`` with arrays turned into (nested) lists, for ``get_config``."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def one_of(value, name, choices):
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"`{name}` must be one of {', '.join(repr(c) for c in choices)}. "
                         f"Received: {name}={value!r}.")
    return value


def optional_positive_int(value, name, minimum=1):
    if value is None:
        return None
    if not is_int(value) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, or None. "
                         f"Received: {name}={value!r}.")
    return int(value)


def batches(data, batch_size=None, steps=None):
    """Yields ``adapt``'s data batch by batch, as arrays.

    Args:
        data: an array (or a list of values: one batch), or an iterable of
            batches: a list of arrays, a generator, a ``Dataset``, a ``PyDataset``.
            A batch that is a tuple ``(x, y[, sample_weight])`` gives its ``x``.
        batch_size: for an array, the rows per batch (all of it when ``None``).
        steps: at most this many batches (all when ``None``).
    """
    steps = optional_positive_int(steps, "steps")
    batch_size = optional_positive_int(batch_size, "batch_size")
    if isinstance(data, list) and data and all(isinstance(b, (np.ndarray, tuple)) for b in data):
        data = iter(data)  # a list of batches, as Keras's Normalization takes
    if isinstance(data, (np.ndarray, list, str, bytes)) or np.isscalar(data):
        array = np.asarray(data)
        size = len(array) if array.ndim and batch_size is None else (batch_size or 1)
        if array.ndim == 0:
            yield array
            return
        for i, start in enumerate(range(0, len(array), max(size, 1))):
            if steps is not None and i >= steps:
                return
            yield array[start:start + size]
        return
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, tuple):
        source = (data[i] for i in range(len(data)))  # a PyDataset / Sequence
    elif hasattr(data, "__iter__"):
        source = iter(data)
    else:
        raise TypeError("`data` must be an array or an iterable of batches (a generator, a "
                        f"Dataset, a PyDataset). Received an object of type {type(data).__name__}.")
    for i, batch in enumerate(source):
        if steps is not None and i >= steps:
            return
        if isinstance(batch, tuple):
            batch = batch[0]
        yield np.asarray(batch)


def strings(x):
    """``x`` as an array of Python strings (bytes decoded as UTF-8), same shape."""
    x = np.asarray(x)
    if x.dtype.kind == "S":
        return np.char.decode(x, "utf-8").astype(object)
    if x.dtype.kind == "O":
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in x.ravel()]
        out = np.empty(x.size, dtype=object)
        out[:] = flat
        return out.reshape(x.shape)
    return x.astype(object) if x.dtype.kind == "U" else x


class PreprocessingLayer(Layer):
    """A layer whose inputs have no gradient: arrays of any dtype go in as they are.

    ``forward`` takes lists and arrays of strings or integers, and a 1-D
    batch; ``backward`` is for the first layer of a model only.
    """

    def forward(self, x, training=False):
        x = np.asarray(x)
        if x.ndim == 0:
            x = x.reshape(1)
        if not self.built:
            self.ensure_built(x.shape)
        return self.call(x, training)

    def ensure_built(self, input_shape):
        if not self.built:
            self.build(tuple(input_shape))
            self.input_shape = (None, *tuple(input_shape)[1:])
            self.built = True

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        raise ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) maps its inputs to ids, bins or "
            "codes that have no gradient, so nothing can be back-propagated through it. Put it "
            "first in the model (its input gradient is then not needed), or apply it to the "
            "data before training.")
