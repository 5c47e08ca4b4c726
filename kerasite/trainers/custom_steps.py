"""What ``fit`` and ``evaluate`` need for a ``train_step`` or ``test_step`` of the user's own.

A subclass that overrides a step computes its loss itself (often with a
``GradientTape``), updates metric trackers such as
``kerasite.metrics.Mean(name="kl_loss")`` and returns a dict of logs, as in
Keras 3. The trainer then:

* hands the step its batch as Keras does (``data_for_step``): ``x`` alone
  when there are no targets, else ``(x, y)`` or ``(x, y, sample_weight)``;
* accepts data without targets, or with targets the compiled loss does not
  check, since the step decides what they mean (``loose_data``);
* logs the returned dict with plain floats (``plain_logs``), so that a tracker
  reset later (by the validation pass) does not change the logs already taken;
* resets, at the start of each epoch, every metric the model lists
  (``model_metrics``: the compiled ones, then the trackers set as attributes).
"""

import numpy as np

from kerasite.metrics import Mean, Metric
from kerasite.trainers.data_adapters import _inputs
from kerasite.trainers.data_adapters.data_adapter_utils import (one_or_list,
                                                                pack_x_y_sample_weight)
from kerasite.variables import Variable


def model_metrics(model):
    """The metrics of ``model`` as Keras 3 lists them: the loss, compiled, then the trackers.

    The compiled metrics are those made for the last ``fit``/``evaluate``;
    the trackers are the ``Metric`` objects set as attributes of the model,
    in the order they were set.
    """
    compiled = getattr(model, "_compile_metrics", None)
    found = list(compiled.metrics) if compiled is not None else []
    compile_loss = getattr(model, "_compile_loss", None)
    if compile_loss is not None and compile_loss.loss is not None:
        # Keras 3 lists a "loss" tracker first, which a custom train_step updates with
        # the loss it computes; the built-in steps keep their own running mean.
        if getattr(model, "_loss_tracker", None) is None:
            model._loss_tracker = Mean(name="loss")
        found.insert(0, model._loss_tracker)
    seen = {id(m) for m in found}
    for value in vars(model).values():
        if isinstance(value, Metric) and id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    return found


def trackers(model, compiled):
    """The metrics ``model.metrics`` lists beyond the ``compiled`` ones (reset each epoch)."""
    ids = {id(m) for m in compiled}
    return [m for m in model.metrics if id(m) not in ids]


def plain_logs(logs):
    """A step's returned logs with numbers as Python floats (arrays of several values copied).

    Raises:
        TypeError: if the step did not return a dict.
    """
    if not isinstance(logs, dict):
        raise TypeError("A custom train_step/test_step must return a dict of logs, e.g. "
                        "{'loss': loss_tracker.result()}. Received: "
                        f"{type(logs).__name__}.")
    return {key: _plain(value) for key, value in logs.items()}


def _plain(value):
    if isinstance(value, Variable):
        value = value.value
    if isinstance(value, (np.ndarray, np.generic)):
        return float(value) if value.size == 1 else np.array(value)
    return value


def data_for_step(xb, yb, wb):
    """A batch in the form Keras 3 gives a step: ``x`` alone without targets, else
    ``(x, y)``, or ``(x, y, sample_weight)`` with weights."""
    if not yb:
        return one_or_list(xb) if len(xb) == 1 else (list(xb),)
    data = pack_x_y_sample_weight(xb, yb, wb)
    return data if data[2] is not None else data[:2]


def result_of(metric):
    """``metric.result()`` for the logs: a float (a Keras-style result may be a Variable)."""
    return _plain(metric.result())


def has_no_graph(model):
    """Whether ``model`` has neither layers nor a ``call`` to trace, so it is never built.

    Keras's GAN is one: a ``Model`` subclass holding a generator and a
    discriminator, trained by its own ``train_step``. ``fit`` then hands the
    step the data as given, and reports only what the step returns.
    """
    return not model.built and not model._is_subclassed() and not model.layers


def inputs(x, name="x", lazy=False):
    """One checked array per input, for a model without a graph: an array, or a list of them."""
    convert = _inputs.checked if lazy else _inputs.as_array
    if x is None:
        raise TypeError(f"`{name}` is required. Received: {name}=None.")
    xs = [convert(v, f"{name}[{i}]") for i, v in enumerate(x)] \
        if isinstance(x, (list, tuple)) else [convert(x, name)]
    for a in xs[1:]:
        _inputs.check_lengths(xs[0], a, name, name)
    return xs


def loose_data(xs, y, sample_weight, y_name="y"):
    """``(xs, ys, ws)`` for a custom step: targets (if any) as arrays, only their lengths checked.

    Args:
        xs: the checked inputs, one array per input.
        y: None, one array, or a list of arrays.
        sample_weight: None or one array.
        y_name: the argument's name, for messages.
    """
    if y is None:
        return xs, [], []
    raw = list(y) if isinstance(y, (list, tuple)) else [y]
    ys = []
    for i, v in enumerate(raw):
        a = _inputs.as_array(v, y_name if len(raw) == 1 else f"{y_name}[{i}]")
        _inputs.check_lengths(xs[0], a, "x", y_name)
        ys.append(a)
    ws = [None] * len(ys)
    if sample_weight is not None:
        w = _inputs.as_array(sample_weight, "sample_weight")
        _inputs.check_lengths(xs[0], w, "x", "sample_weight")
        ws = [w] * len(ys)
    return xs, ys, ws
