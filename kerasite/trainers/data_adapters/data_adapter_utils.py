"""Batches between the two forms: lists per input and output, and what a step receives.

Adapters and the built-in loops hold a batch as ``(xs, ys, ws)``, lists with
one array per input, output and sample weight. ``train_step(data)`` and its
siblings receive ``data = (x, y, sample_weight)`` as the model takes them:
one array for a single input or output, a list for several.
"""


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch given as a tuple of one to three items (or x)."""
    if not isinstance(data, tuple):
        return data, None, None
    x, y, sample_weight = (data + (None, None))[:3]
    return x, y, sample_weight


def pack_x_y_sample_weight(xs, ys, ws):
    """The step form ``(x, y, sample_weight)`` of a batch ``(xs, ys, ws)``."""
    weights = None if all(w is None for w in ws) else ws[0] if len(ws) == 1 else ws
    return one_or_list(xs), one_or_list(ys), weights


def one_or_list(arrays):
    """One array for a single input or output, else the list."""
    return arrays[0] if len(arrays) == 1 else arrays


def as_list(value, n):
    """``value`` (the step form of ``n`` inputs or outputs) as a list of arrays."""
    if isinstance(value, (list, tuple)) and (n > 1 or len(value) == 1 and
                                              not isinstance(value[0], (int, float))):
        return list(value)
    return [value]


def as_lists(x, y, sample_weight, n_inputs, n_outputs):
    """``(xs, ys, ws)`` from a step's ``x``, ``y`` and ``sample_weight`` (``xs`` None without x)."""
    xs = None if x is None else as_list(x, n_inputs)
    ys = as_list(y, n_outputs)
    if sample_weight is None:
        ws = [None] * n_outputs
    elif isinstance(sample_weight, (list, tuple)):
        ws = list(sample_weight)
    else:
        ws = [sample_weight] * n_outputs
    return xs, ys, ws
