"""Arrays as a model takes them: one checked array per input, output and sample weight.

x, y and sample weights come as one array, a list with one per input or
output, or a dict keyed by name; ``class_weight`` becomes sample weights.
The functions here standardize them once, before training, and take the
validation split; ``ArrayDataAdapter`` then serves their batches.

They need a few facts about the model (its name, its input and output
names, the output shapes, the losses); the trainer passes those, not itself.
"""

import inspect
import math
import warnings

import numpy as np

from kerasite import losses
from kerasite.config import floatx
from kerasite._validation import is_int, is_number
from kerasite.trainers.data_adapters import _inputs
from kerasite.trainers.data_adapters.data_adapter import DataAdapter


def _class_weights(class_weight, y):
    """Sample weights ``(samples,)`` from ``class_weight`` and the labels ``y``, as Keras reads them.

    One-hot (or probability) rows give their argmax; a single column or
    integer labels are rounded to the class index. Unlisted classes weigh 1.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            "`class_weight` must be a dict mapping class indices to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}. Received: {type(class_weight).__name__}."
        )
    for key, value in class_weight.items():
        if not is_int(key):
            raise TypeError(
                f"`class_weight` keys must be integer class indices. Received key {key!r}."
            )
        if not is_number(value) or not math.isfinite(value):
            raise TypeError(
                f"`class_weight` values must be finite numbers. Received {key!r}: {value!r}."
            )
    if y.ndim > 2:
        raise ValueError(
            f"`class_weight` needs one label per sample; the targets have shape {y.shape}. "
            "Pass `sample_weight` (shaped like the per-sample losses) instead."
        )
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] != 1 else y.reshape(len(y))
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(len(y), dtype=floatx())
    for key, value in class_weight.items():
        weights[labels == key] = value
    return weights


def _data_list(data, names, arg, kind):
    if isinstance(data, dict):
        missing = [k for k in names if k not in data]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise ValueError(
                f"`{arg}` is a dict whose keys must be the model's {kind} names {names}. "
                f"Missing: {missing}; unknown: {unknown}."
            )
        return [data[k] for k in names]
    if len(data) != len(names):
        raise ValueError(
            f"`{arg}` has {len(data)} arrays but the model has {len(names)} {kind}s {names}: "
            "pass one array per " + kind + "."
        )
    return list(data)


def _first_batches(groups, steps, batch_size, name):
    """The arrays in ``groups`` cut to their first ``steps`` batches (Keras's ``steps``)."""
    if steps is None:
        return groups
    steps = _inputs.check_positive_int(steps, name)
    n = len(groups[0][0])
    if steps * batch_size >= n:
        if steps > math.ceil(n / batch_size):
            warnings.warn(
                f"`{name}`={steps} asks for more batches than the {n} samples make "
                f"({math.ceil(n / batch_size)} of {batch_size}): all of them are used.",
                stacklevel=3,
            )
        return groups
    stop = steps * batch_size
    return tuple([None if a is None else a[:stop] for a in group] for group in groups)


# ================================================================== x and y
def standardize_inputs(x, input_names, single_input, model_name, name="x", lazy=False):
    """One checked ``floatx()`` array per input, all with the same length.

    Args:
        x: one array, a list with one per input or a dict keyed by input name.
        input_names: the model's input names, or None before it is built
            (``x`` is then one array).
        single_input: whether the model was made with one bare input.
        model_name: the model's name, for messages.
        name: the argument's name, for messages.
        lazy: check the arrays but do not cast them: the caller casts each
            batch (``_inputs.cast``), so big integer data is never copied whole.

    Returns:
        A list with one array ``(samples, *features)`` per input.
    """
    convert = _inputs.checked if lazy else _inputs.as_array
    if x is None:
        raise TypeError(f"`{name}` is required. Received: {name}=None.")
    names = input_names
    # A one-item inputs list takes the bare array too, as in Keras.
    if names is None or single_input or \
            (len(names) == 1 and not isinstance(x, (list, tuple, dict))):
        if isinstance(x, dict) and names and len(x) == 1 and names[0] in x:
            x = x[names[0]]
        xs = [convert(x, name)]
    else:
        if isinstance(x, np.ndarray) or not isinstance(x, (list, tuple, dict)):
            raise ValueError(
                f"Model '{model_name}' has {len(names)} inputs {names}: pass `{name}` as a "
                "list of arrays in that order, or a dict keyed by those names."
            )
        raw = _data_list(x, names, name, "input")
        xs = [convert(v, f"{name}[{k!r}]") for v, k in zip(raw, names)]
    for i, a in enumerate(xs[1:], 1):
        _inputs.check_lengths(xs[0], a, f"{name}[{names[0]!r}]", f"{name}[{names[i]!r}]")
    return xs


def check_input_shapes(xs, expected, graph, model_name):
    """Refuses inputs whose feature shapes differ from those the model was built for.

    Args:
        xs: one array per input.
        expected: the model's input shapes, ``(None, *features)`` each.
        graph: the model's graph, to name the layer that would receive the input.
        model_name: the model's name, for messages.
    """
    for i, (a, e) in enumerate(zip(xs, expected)):
        e_features = tuple(e)[1:]  # None: an axis of varying size (a sequence's time axis)
        if a.shape[1:] != e_features and (a.ndim - 1 != len(e_features) or any(
                d is not None and d != n for n, d in zip(a.shape[1:], e_features))):
            consumers = [n.layer for n in graph.nodes if graph.inputs[i] in n.inputs]
            layer = consumers[0] if consumers else graph.inputs[i].node.layer
            raise ValueError(
                f"Input to layer '{layer.name}' ({type(layer).__name__}) has the wrong shape: "
                f"expected (batch, {', '.join(map(str, tuple(e)[1:]))}) as the model "
                f"'{model_name}' was built for, received {tuple(a.shape)}. Reshape the input "
                "or build a new model for it."
            )


def standardize_targets(y, xs, output_names, output_shapes, output_losses, *, model_name,
                        model_kind, input_is_target=False, x_name="x", y_name="y", lazy=False):
    """One checked ``floatx()`` array per output, shaped as the output and its loss expect.

    Args:
        y: one array, a list with one per output or a dict keyed by output
            name; None for an autoencoder (``input_is_target``), whose
            target is its first input.
        xs: the inputs, from ``standardize_inputs``.
        output_names, output_shapes, output_losses: per output, its name,
            its shape ``(None, *features)`` and its loss.
        model_name, model_kind: the model's name and class name, for messages.
        input_is_target: whether a missing ``y`` means the input itself.
        x_name, y_name: the arguments' names, for messages.
        lazy: ``xs`` are not cast yet (``standardize_inputs(lazy=True)``).

    Returns:
        A list with one array per output.
    """
    if y is None:
        if input_is_target:
            target = _inputs.as_array(xs[0], x_name) if lazy else xs[0]
            return [check_targets(target, x_name, output_shapes[0], output_losses[0])]
        raise ValueError(
            f"`{y_name}` is required for {model_kind}.fit/evaluate: pass the "
            "targets. (Only autoencoders use the input as its own target.)"
        )
    names = output_names
    if len(names) == 1:
        if isinstance(y, dict) and len(y) == 1 and names[0] in y:
            y = y[names[0]]
        raw = [y]
    else:
        if isinstance(y, np.ndarray) or not isinstance(y, (list, tuple, dict)):
            raise ValueError(
                f"Model '{model_name}' has {len(names)} outputs {names}: pass `{y_name}` as a "
                "list of arrays in that order, or a dict keyed by those names."
            )
        raw = _data_list(y, names, y_name, "output")
    ys = []
    for i, v in enumerate(raw):
        label = y_name if len(names) == 1 else f"{y_name}[{names[i]!r}]"
        a = _inputs.as_array(v, label)
        _inputs.check_lengths(xs[0], a, x_name, label)
        ys.append(check_targets(a, label, output_shapes[i], output_losses[i]))
    return ys


def check_targets(y, name, output_shape, loss):
    """``y`` checked against one output's shape and loss (integer labels for sparse losses).

    Labels ``(samples,)`` for a single output unit, and ``(samples, 1)``
    class indices for a sparse loss, are reshaped as Keras accepts them.
    """
    out = output_shape
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        expected = _fill_varying((len(y), *out[1:-1]), y.shape)
        if y.shape == (*expected, 1):
            y = y.reshape(expected)
        if y.shape != expected:
            # Per-sample labels for per-position outputs: the cause is the model, so the
            # labels' shape (one per position) is not what to suggest.
            hint = _flatten_hint(y, out)
            raise ValueError(
                f"`{name}` has shape {y.shape}, but the model's output has shape "
                f"{(len(y), *out[1:])}" + (". " + hint if hint else
                f", so sparse_categorical_crossentropy needs one integer class index per "
                f"output row: shape {expected}. "
                + losses._label_hint(loss, y, np.empty((len(y), *out[1:]))))
            )
        if not np.array_equal(y, np.round(y)) or y.min() < 0 or y.max() >= out[-1]:
            raise ValueError(
                f"`{name}` must hold integer class indices in [0, {out[-1]}) for a model with "
                f"{out[-1]} outputs. Received values from {y.min():g} to {y.max():g}."
            )
        return y
    expected = _fill_varying((len(y), *out[1:]), y.shape)
    if y.shape != expected and y.size == math.prod(expected) and out[-1] == 1:
        y = y.reshape(expected)  # labels (n,) for a single output unit, as Keras allows
    if y.shape != expected:
        raise ValueError(
            f"`{name}` has shape {y.shape}, but the model's output has shape {expected} and "
            f"{type(loss).__name__} compares them element by element. "
            + (_flatten_hint(y, out) or losses._label_hint(loss, y, np.empty(expected)))
        )
    return y


def _flatten_hint(y, output_shape):
    """The likely cause when the output keeps axes the labels do not have, or None.

    A Dense layer acts on the last axis only, so images or sequences that reach
    it unflattened give one prediction per row or per pixel.
    """
    if len(output_shape) <= 2 or y.ndim >= len(output_shape):
        return None
    return (f"The model gives one prediction per position along its middle axes "
            f"{tuple(output_shape[1:-1])}, because a Dense layer acts on the last axis only. "
            "For one prediction per sample, add layers.Flatten() (or a global pooling "
            "layer) before the Dense layers; model.summary() shows each layer's output shape.")
def _fill_varying(expected, shape):
    """``expected`` with each ``None`` (an axis of varying size, e.g. time) taken from ``shape``."""
    if None not in expected or len(shape) < len(expected):
        return expected
    return tuple(n if d is None else d for n, d in zip(shape, expected))


# ============================================================ sample weights
def standardize_weights(sample_weight, class_weight, ys, output_names, output_losses,
                        model_name, name="sample_weight"):
    """One weight array ``(samples,)`` (or None) per output, checked, as Keras pairs them.

    A single array serves every output; a list or dict gives one per output.
    ``class_weight`` becomes sample weights from the labels of the only output.

    Args:
        sample_weight: None, one array, or a list or dict with one per output.
        class_weight: None or a dict class index -> weight.
        ys: the targets, from ``standardize_targets``.
        output_names, output_losses: per output, its name and its loss (which
            must take a ``sample_weight``).
        model_name: the model's name, for messages.
        name: the argument's name, for messages.
    """
    names = output_names
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError(
                "Pass either `sample_weight` or `class_weight`, not both (Keras refuses "
                "both too). Fold the class weights into the sample weights instead, e.g. "
                "sample_weight = w * np.array([class_weight.get(c, 1.0) for c in labels])."
            )
        if len(names) > 1:
            raise ValueError(
                f"`class_weight` works for a model with a single output; model "
                f"'{model_name}' has {len(names)} outputs {names}. Pass `sample_weight` "
                "with one array per output instead."
            )
        return [_class_weights(class_weight, ys[0])]
    if sample_weight is None:
        return [None] * len(names)
    several = len(names) > 1
    if several and isinstance(sample_weight, (list, tuple, dict)):
        raw = _data_list(sample_weight, names, name, "output")
    else:
        if several and np.ndim(sample_weight) == 2 and np.shape(sample_weight)[1] != 1:
            raise ValueError(
                f"`{name}` is one array for the {len(names)} outputs {names}, so it must "
                "hold one weight per sample, shape (samples,). Received shape "
                f"{np.shape(sample_weight)}. Pass a list with one array per output for "
                "finer weights."
            )
        raw = [sample_weight] * len(names)
    ws = []
    for i, w in enumerate(raw):
        label = f"{name}[{names[i]!r}]" if several and raw[0] is not raw[-1] else name
        if w is None:
            ws.append(None)
            continue
        loss = output_losses[i]
        if not _takes_sample_weight(loss):
            raise TypeError(
                f"`{label}` was given, but the loss {type(loss).__name__}.forward(y_true, "
                "y_pred) takes no `sample_weight`. Add a `sample_weight=None` argument to "
                "its forward and apply the weights there (see \"Custom losses\" in the "
                "Losses API reference), or subclass a built-in loss."
            )
        a = _inputs.as_array(w, label)
        _inputs.check_lengths(ys[i], a, "y", label)
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        ws.append(a)
    return ws


def _takes_sample_weight(loss):
    """Whether ``loss.forward`` accepts the weights (a custom loss may take only two arrays)."""
    try:
        params = inspect.signature(loss.forward).parameters.values()
    except (TypeError, ValueError):
        return True
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 3 or \
        any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "sample_weight"
            for p in params)


# ================================================================ validation
def unpack_validation(data, input_is_target):
    """``validation_data`` as ``(x, y, sample_weight, names)`` for the standardizers.

    It is ``(x_val, y_val)`` or ``(x_val, y_val, val_sample_weight)``; an
    autoencoder also takes ``x_val`` alone (its own target). ``names`` are
    the parts' names for messages, ``("validation_data[0]", ...)``.
    """
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        weights = data[2] if len(data) == 3 else None
        return data[0], data[1], weights, ("validation_data[0]", "validation_data[1]",
                                           "validation_data[2]")
    if isinstance(data, (tuple, list)) and len(data) == 1:
        data = data[0]
    if isinstance(data, (tuple, list)) or not input_is_target:
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight). Received: {type(data).__name__} of length "
            f"{len(data) if hasattr(data, '__len__') else '?'}."
        )
    return data, None, None, ("validation_data",) * 3


def check_validation_split(validation_split):
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0 <= validation_split < 1:
        raise ValueError(
            "`validation_split` must be a number in [0, 1), the fraction of the data to "
            f"hold out. Received: validation_split={validation_split!r}."
        )


def split_validation(data, validation_split, class_weighted=False):
    """``(train, validation)``: the last ``validation_split`` of the samples held out.

    As in Keras, the split takes the *last* fraction of the data as given,
    before any shuffling; the sample weights are split with it, except those
    made from ``class_weight``, which weigh the training data only.

    Args:
        data: ``(xs, ys, ws)``, lists of arrays of the same length.
        validation_split: the fraction in (0, 1) to hold out.
        class_weighted: whether ``ws`` came from ``class_weight``.

    Returns:
        Two ``(xs, ys, ws)`` triples of views into the arrays.
    """
    xs, ys, ws = data
    n = len(xs[0])
    split = int(n * (1 - validation_split))
    if split == 0 or split == n:
        raise ValueError(
            f"validation_split={validation_split} leaves "
            f"{'no training' if split == 0 else 'no validation'} samples out of "
            f"{n}. Use more data or another fraction."
        )
    val_ws = [None] * len(ws) if class_weighted else [None if w is None else w[split:]
                                                      for w in ws]
    val = ([a[split:] for a in xs], [a[split:] for a in ys], val_ws)
    train = ([a[:split] for a in xs], [a[:split] for a in ys],
             [None if w is None else w[:split] for w in ws])
    return train, val


# =================================================================== batches
class _Gather:
    """Copies rows ``idx`` of ``data`` into a reused buffer: one per batch size."""

    def __init__(self, data):
        self.data = data
        self.buffers = {}

    def __call__(self, idx):
        buf = self.buffers.get(len(idx))
        if buf is None:
            buf = self.buffers[len(idx)] = np.empty((len(idx), *self.data.shape[1:]),
                                                    self.data.dtype)
        return np.take(self.data, idx, axis=0, out=buf)


class ArrayDataAdapter(DataAdapter):
    """Batches of in-memory arrays: one list per input, output and sample weight.

    In order, a batch is a slice (a view); shuffled, its rows are gathered
    into buffers reused from batch to batch (``_Gather``), one per array (an
    autoencoder's target is its input: gathered once).

    Args:
        xs, ys, ws: lists of arrays of the same length (``ws`` may hold None).
        cast_x: the inputs are checked but not cast (``standardize_inputs(
            lazy=True)``): each batch of them is cast to ``floatx()`` when taken.
    """

    def __init__(self, xs, ys, ws, cast_x=False):
        self.data = (xs, ys, ws)
        self.num_samples = len(xs[0])
        self._cast_x = cast_x
        self._gathers = None

    def get_batch(self, start, stop, order=None):
        xs, ys, ws = self.data
        if order is None:
            if start == 0 and stop == self.num_samples and not self._cast_x:
                return self.data  # all the data: no slicing
            batch = tuple([None if a is None else a[start:stop] for a in group]
                          for group in (xs, ys, ws))
        else:
            gathers = self._gathers
            if gathers is None:
                arrays = [*xs, *ys, *(w for w in ws if w is not None)]
                gathers = self._gathers = {id(a): _Gather(a) for a in arrays}
            idx = order[start:stop]
            rows = {key: gather(idx) for key, gather in gathers.items()}
            batch = tuple([None if a is None else rows[id(a)] for a in group]
                          for group in (xs, ys, ws))
        if self._cast_x:
            batch[0][:] = [_inputs.cast(a, "x", start) for a in batch[0]]
        return batch
