"""What ``compile`` was given, matched to the model's outputs.

Losses, loss weights and metrics come as one value for every output, a list
with one per output or a dict keyed by output name. ``CompileLoss`` and
``CompileMetrics`` check them and turn them into one entry per output, in the
outputs' order, with the names the logs use.
"""

import math

import numpy as np

from kerasite import losses, metrics as metrics_module, optimizers
from kerasite._validation import is_number
from kerasite.ops import core as ops_core


def check_compile_args(optimizer, loss):
    """Refuses an optimizer and a loss given in each other's place.

    ``loss`` may be None, as in Keras: a ``train_step`` of the user's own then
    computes the loss (the built-in one asks for a loss at ``fit`` time).
    """
    if isinstance(optimizer, str) and isinstance(loss, str) and \
            optimizer.lower() in losses._BY_NAME and loss.lower() in optimizers._BY_NAME:
        raise ValueError(
            f"compile() received optimizer={optimizer!r} and loss={loss!r}: they look swapped. "
            "The order is compile(optimizer, loss, ...); pass them by keyword."
        )


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


def _savable_metric(m):
    """Whether a file can name metric ``m``: a name, a user's function, or a metric object
    of a registered class (saved as its config, as Keras saves it)."""
    if isinstance(m, (str, list, tuple)) or _user_function(m):
        return True
    try:
        return isinstance(m, metrics_module.Metric) and bool(metrics_module.serialize(m))
    except TypeError:  # a class that cannot be rebuilt from a file
        return False


def _plain_metrics(spec):
    """The metrics a file can name: names, a user's functions and registered metric objects."""
    if isinstance(spec, dict):
        return {k: _plain_metrics(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_plain_metrics(m) if isinstance(m, (list, tuple)) else
                losses.function_config(m) if _user_function(m) else
                metrics_module.serialize(m) if isinstance(m, metrics_module.Metric) else m
                for m in spec if _savable_metric(m)]
    return spec if isinstance(spec, str) else []


def _metrics_per_output(spec, names, what, output_losses):
    """One list of metric specs per output; fails now on an unknown name."""
    if isinstance(spec, dict) or (spec and all(isinstance(m, (list, tuple)) for m in spec)
                                  and len(names) > 1):
        per = _per_output(spec, names, what, lambda m: list(m or []), broadcast=False)
    elif len(names) > 1 and spec:
        # Keras 3 reads a flat list on a model with several outputs as one
        # metric per output, and refuses any other length.
        if len(spec) != len(names):
            raise ValueError(
                f"`{what}` is a flat list of {len(spec)} metric(s) but the model has "
                f"{len(names)} outputs {names}; which output each metric is for is "
                f"ambiguous. Give a dict keyed by output name, such as "
                f"{{{names[0]!r}: {list(spec)!r}}}, or one list per output, such as "
                f"{[list(spec)] * len(names)!r}. Received: {what}={list(spec)!r}."
            )
        per = [[m] for m in spec]
    else:
        per = [list(spec)] * len(names)
    for i, specs in enumerate(per):
        for m in specs:
            metrics_module.get(m, output_losses[i], None)
    return per


class CompileLoss:
    """``compile``'s ``loss`` and ``loss_weights``, matched to the model's outputs.

    ``__init__`` only stores the arguments; ``build`` resolves them once the
    output names are known, into one loss object, one weight and one log name
    per output, in the outputs' order.

    Attributes:
        losses: one loss object per output (after ``build``).
        weights: one float per output: 1.0 each when ``loss_weights`` is None.
        log_names: the names a step's loss values are logged under:
            ``["loss"]`` for one output, ``["loss", "<output>_loss", ...]``
            (the weighted total, then each output's own loss) for several.

    Example:
        >>> loss = CompileLoss({"a": "mse", "b": "mae"}, loss_weights=[1.0, 0.5])
        >>> loss.build(["a", "b"])
        >>> loss.log_names, loss.weights
        (['loss', 'a_loss', 'b_loss'], [1.0, 0.5])
    """

    def __init__(self, loss, loss_weights=None):
        self.loss, self.loss_weights = loss, loss_weights
        self.losses = self.weights = self.log_names = None

    def check(self):
        """The loss object when one loss serves every output (else None), before ``build``.

        An unknown name fails here, at ``compile`` time, rather than in ``fit``.
        """
        if self.loss is None or isinstance(self.loss, (list, dict)):
            return None
        return losses.get(self.loss)

    @property
    def has_loss(self):
        """Whether ``compile`` was given a loss (a custom ``train_step`` may do without)."""
        return self.loss is not None

    def build(self, output_names):
        """Resolves the losses, weights and log names for ``output_names``."""
        n = len(output_names)
        get = losses.get if self.loss is not None else (lambda _: None)
        found = _per_output(self.loss, output_names, "loss", get, broadcast=True)
        weights = [1.0] * n if self.loss_weights is None else \
            _per_output(self.loss_weights, output_names, "loss_weights", _weight, broadcast=False)
        self.losses, self.weights = found, weights
        self.log_names = ["loss"] if n == 1 or self.loss is None else \
            ["loss", *(f"{name}_loss" for name in output_names)]

    def __call__(self, ys, outs, ws):
        """The weighted sum of the outputs' losses, one array (or None weight) per output.

        A float; while a ``GradientTape`` records, a Tensor it recorded (each
        loss one op of ``y_pred``, see ``Loss.__call__``), so a custom
        ``train_step`` differentiates ``compute_loss``.
        """
        if not self.has_loss:
            raise ValueError(NO_LOSS)
        total = 0.0
        recording = ops_core._RECORDING
        for loss, weight, y, out, w in zip(self.losses, self.weights, ys, outs, ws):
            if recording:
                total = total + weight * loss(y, out, w)
            else:
                total += weight * (loss.forward(y, out) if w is None else loss.forward(y, out, w))
        return total

    def logs(self, values):
        """``{"loss": total, "<output>_loss": ...}`` from a step's ``[total, *per output]``."""
        return dict(zip(self.log_names, values))

    def get_config(self):
        """The ``loss`` argument, serialized (a dict or list of them for several)."""
        spec = self.loss
        if isinstance(spec, dict):
            return {k: _loss_config(v) for k, v in spec.items()}
        if isinstance(spec, (list, tuple)):
            return [_loss_config(v) for v in spec]
        return None if spec is None else _loss_config(spec)


NO_LOSS = ("This model was compiled without a `loss`, so the built-in training and test "
           "steps have nothing to minimize. Pass one to compile(), e.g. "
           "model.compile(optimizer='adam', loss='mse'), or override train_step (and "
           "test_step) to compute the loss yourself.")


NOTHING_ADDED = ("This model was compiled without a `loss`, and its last forward pass added "
                 "no loss either (no add_loss() term, activity regularizer or weight "
                 "regularizer), so the built-in training and test steps have nothing to "
                 "minimize. Pass a loss to compile(), e.g. model.compile(optimizer='adam', "
                 "loss='mse'), call self.add_loss(...) in a layer's call(), or override "
                 "train_step (and test_step) to compute the loss yourself.")


# ---------------------------------------------- compile(optimizer) without a loss
# As in Keras, a model compiled with no loss trains on what its layers add: the
# add_loss terms, activity regularizers and weight penalties (Keras's
# ``model.losses``). The built-in step then gives the outputs a zero gradient and
# lets the graph's backward carry those terms' gradients, as it does beside a loss.
def may_add_losses(model):
    """Whether ``model``, compiled without a loss, may still have something to minimize.

    Before the model is built this is not known yet, and the answer is True;
    the step checks again once the layers have run (``check_added_losses``).
    """
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    return bool(graph._activity) or any(leaf.regularizers for leaf in model._leaf_layers())


def added_losses(model):
    """``compute_loss`` without a compiled loss: the add_loss terms and penalties, as Keras 3.

    While a tape records (a custom ``train_step``) it is the sum of
    ``model.losses``, Tensors on the tape; otherwise (the built-in test step)
    the last forward's terms and the penalties, a float.

    Raises:
        ValueError: if the model added nothing to minimize.
    """
    graph = model._graph
    if ops_core._RECORDING:
        terms = list(model.losses)
        if terms:
            return sum(terms[1:], terms[0])
    elif graph is not None and may_add_losses(model):
        check_added_losses(model, graph)
        return model._penalty(graph)
    raise ValueError("`compute_loss()` has no loss to compute: the model was compiled without "
                     "a `loss`, and its last call added no add_loss() term. Pass one, e.g. "
                     "model.compile(optimizer='adam', loss='mse'), or compute the loss in your "
                     "train_step yourself.")


def check_added_losses(model, graph):
    """Refuses a forward of ``graph`` that added nothing to minimize, as Keras 3 does.

    Raises:
        ValueError: no add_loss term, activity regularizer nor weight regularizer.
    """
    if not (graph.loss_terms or any(leaf.regularizers for leaf in model._leaf_layers())
            or any(getattr(n.layer, "activity_regularizer", None) is not None
                   for n in graph.nodes)):
        raise ValueError(NOTHING_ADDED)


def no_output_loss(model, graph, outs):
    """``([0.0], zero gradients)``: the outputs' share of a step with no compiled loss.

    The training step adds ``graph.activity_loss`` (the add_loss terms and the
    activity penalties) and the weight penalties to the 0.0 itself.
    """
    check_added_losses(model, graph)
    return [0.0], [np.zeros_like(o) for o in outs]


def _user_function(value):
    """Whether ``value`` is a user's own function (not a class, instance or kerasite's)."""
    return callable(value) and not isinstance(value, type) and \
        not isinstance(value, (losses.Loss, metrics_module.Metric)) and \
        not getattr(value, "__module__", "").startswith("kerasite")


def _loss_config(value):
    """A loss as the compile config holds it; a user's function by name, as Keras saves it."""
    if _user_function(value):
        return losses.function_config(value)
    return losses.serialize(losses.get(value))


class CompileMetrics:
    """``compile``'s ``metrics`` and ``weighted_metrics``, matched to the model's outputs.

    ``build`` resolves which metrics each output gets; ``make_metrics`` then
    creates fresh metric objects for one ``fit``/``evaluate`` call (the kind
    of accuracy depends on the targets' shape), named as Keras logs them:
    ``<metric>`` for one output, ``<output>_<metric>`` for several, and
    ``weighted_<metric>`` for a weighted metric named like an unweighted one.

    Each metric made has ``output_index`` (the output it reads) and
    ``weighted`` (whether it receives the sample weights).

    Example:
        >>> from kerasite import losses
        >>> m = CompileMetrics(["mae"], weighted_metrics=["mae"])
        >>> m.build(["out"], [losses.get("mse")])
        >>> [x.name for x in m.make_metrics([np.zeros((2, 1))], [(None, 1)])]
        ['mae', 'weighted_mae']
    """

    def __init__(self, metrics=None, weighted_metrics=None):
        self.metrics_spec = _check_metrics_arg(metrics, "metrics")
        self.weighted_spec = _check_metrics_arg(weighted_metrics, "weighted_metrics")
        self.output_names = self.output_losses = None
        self.per_output = self.weighted_per_output = None
        self.metrics = []

    def check(self, loss):
        """Fails now, at ``compile`` time, on an unknown metric name (before ``build``)."""
        for spec in (self.metrics_spec, self.weighted_spec):
            for m in spec if isinstance(spec, (list, tuple)) else []:
                if not isinstance(m, (list, tuple)):
                    metrics_module.get(m, loss or losses.get("mse"), None)

    def build(self, output_names, output_losses):
        """Resolves the metric specs of each output (unweighted, then weighted)."""
        self.output_names, self.output_losses = list(output_names), list(output_losses)
        self.per_output = _metrics_per_output(self.metrics_spec, output_names, "metrics",
                                              output_losses)
        self.weighted_per_output = _metrics_per_output(self.weighted_spec, output_names,
                                                       "weighted_metrics", output_losses)

    def make_metrics(self, ys, output_shapes):
        """New metric objects, unweighted then weighted, named as Keras logs them.

        Args:
            ys: the targets, one array per output (their shapes pick the accuracy).
            output_shapes: the outputs' shapes, ``(None, *features)`` each.

        Returns:
            The list of metrics, also kept as ``self.metrics``.
        """
        made, taken = [], set()
        several = len(self.output_names) > 1
        for weighted, per_output in ((False, self.per_output), (True, self.weighted_per_output)):
            for i, specs in enumerate(per_output):
                prefix = f"{self.output_names[i]}_" if several else ""
                for spec in specs:
                    m = metrics_module.get(spec, self.output_losses[i], output_shapes[i],
                                           ys[i].shape if i < len(ys) else None)
                    name = prefix + m.name
                    if name in taken:  # Keras: "mae" and a weighted "mae" -> "weighted_mae"
                        name = prefix + "weighted_" + m.name
                    base, k = name, 1
                    while name in taken:
                        name, k = f"{base}_{k}", k + 1
                    taken.add(name)
                    m.name, m.output_index, m.weighted = name, i, weighted
                    m.reset()
                    made.append(m)
        self.metrics = made
        return made

    @property
    def log_names(self):
        """The names of the metrics last made, in the order they are logged."""
        return [m.name for m in self.metrics]


def update_metrics(metrics, ys, outs, ws):
    """Updates each metric (from ``make_metrics``) with its output's batch."""
    for m in metrics:
        i = m.output_index
        m.update(ys[i], outs[i], ws[i] if m.weighted else None)


def get_compile_config(optimizer, compile_loss, compile_metrics):
    """The compile settings as a JSON-safe dict, keyed as ``compile`` takes them."""
    config = {"optimizer": optimizers.serialize(optimizer), "loss": compile_loss.get_config(),
              "metrics": _plain_metrics(compile_metrics.metrics_spec)}
    if compile_loss.loss_weights is not None:
        config["loss_weights"] = compile_loss.loss_weights
    if compile_metrics.weighted_spec:
        config["weighted_metrics"] = _plain_metrics(compile_metrics.weighted_spec)
    return config
