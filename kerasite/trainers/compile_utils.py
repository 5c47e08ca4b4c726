"""What ``compile`` was given, matched to the model's outputs.

Losses, loss weights and metrics come as one value for every output, a list
with one per output or a dict keyed by output name; the functions here check
them and turn them into one entry per output, in the outputs' order.
"""

import math

from kerasite._validation import is_number

def _check_metrics_arg(metrics, what):
    if metrics is None:
        return []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, dict)):
        raise TypeError(
            f"`{what}` must be a list, such as ['accuracy']. Received: {what}={metrics!r}."
        )
    return metrics


def _per_output(spec, names, what, convert, broadcast):
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"`{what}` has keys {unknown} that are not output names; the "
                             f"model's outputs are {names}.")
        missing = [k for k in names if k not in spec]
        if missing:
            raise ValueError(f"`{what}` has no entry for output(s) {missing}; give one per "
                             f"output of {names}.")
        return [convert(spec[k]) for k in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(f"`{what}` has {len(spec)} entries but the model has {n} outputs "
                             f"{names}: give one per output (or a dict keyed by name).")
        return [convert(v) for v in spec]
    if not broadcast and n > 1:
        raise ValueError(f"`{what}` must be a list or dict with one entry per output {names}.")
    return [convert(spec) for _ in range(n)]


def _weight(value):
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"`loss_weights` must hold non-negative numbers. Received {value!r}.")
    return float(value)


def _plain_metrics(spec):
    if isinstance(spec, dict):
        return {k: _plain_metrics(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_plain_metrics(m) if isinstance(m, (list, tuple)) else m
                for m in spec if isinstance(m, (str, list, tuple))]
    return spec if isinstance(spec, str) else []
