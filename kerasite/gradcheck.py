"""Gradient checking: compare backprop with central finite differences.

For each parameter element ``p``, the numerical gradient is
``(L(p + eps) - L(p - eps)) / (2 eps)``, which is exact up to ``O(eps**2)``.
Run it in float64 (``kerasite.config.set_floatx("float64")`` before building
the layers): in float32 rounding errors swamp the comparison.
"""

import numpy as np


class GradientReport:
    """Per-array differences between analytical and numerical gradients.

    Attributes:
        rows: list of ``(name, shape, max_abs_diff, max_rel_diff)``; ``name``
            is ``"<layer>/<param>"`` or ``"input"``.

    The relative difference of an array is its largest absolute difference
    divided by the largest gradient magnitude in that array (so elements whose
    gradient is almost zero do not blow it up).
    """

    def __init__(self, rows):
        self.rows = rows

    @property
    def max_abs_diff(self):
        return max(r[2] for r in self.rows)

    @property
    def max_rel_diff(self):
        return max(r[3] for r in self.rows)

    def __str__(self):
        width = max(len(r[0]) for r in self.rows)
        lines = [f"{'array'.ljust(width)}  {'shape':>12}  {'max abs diff':>12}  {'max rel diff':>12}"]
        for name, shape, abs_diff, rel_diff in self.rows:
            lines.append(f"{name.ljust(width)}  {str(shape):>12}  {abs_diff:12.3e}  {rel_diff:12.3e}")
        return "\n".join(lines)

    __repr__ = __str__


def check_gradients(model_or_layer, x, y, loss, eps=1e-5, training=False):
    """Checks every parameter gradient (and the input gradient) numerically.

    Args:
        model_or_layer: a ``Layer`` or a ``Model``; built on ``x`` if needed.
        x: input batch, ``(batch, *features)``, or a list of arrays, one
            per input, for a model with several inputs (or a merge layer).
        y: targets for ``loss``, or a list of arrays, one per output.
        loss: a loss name or instance, or a list with one per output (the
            checked quantity is their sum).
        eps: finite-difference step.
        training: forward mode. With ``True``, dropout masks are held fixed
            (each evaluation restarts the mask generator) so they are checked too.

    Returns:
        A ``GradientReport``; ``print`` it for a table.

    Example:
        >>> import numpy as np, kerasite
        >>> kerasite.config.set_floatx("float64")
        >>> layer = kerasite.layers.Dense(3, activation="tanh")
        >>> x, y = np.random.rand(4, 2), np.random.rand(4, 3)
        >>> report = check_gradients(layer, x, y, "mse")
        >>> report.max_rel_diff < 1e-6
        True
        >>> kerasite.config.set_floatx("float32")
    """
    from kerasite import losses

    # A list of arrays is one array per input (or output); a nested list is data.
    several_in = isinstance(x, (list, tuple)) and all(isinstance(v, np.ndarray) for v in x)
    several_out = isinstance(y, (list, tuple)) and all(isinstance(v, np.ndarray) for v in y)
    # Finite differences need float64: in float32, rounding swamps a step of 1e-5.
    xs = [np.array(v, dtype=np.float64) for v in (x if several_in else [x])]
    ys = [np.asarray(v) for v in (y if several_out else [y])]
    ys = [v.astype(np.float64) if v.dtype.kind == "f" else v for v in ys]
    loss_fns = [losses.get(v) for v in loss] if isinstance(loss, (list, tuple)) \
        else [losses.get(loss) for _ in ys]
    target = model_or_layer
    layers = getattr(target, "layers", [target])

    def restart_masks():
        for layer in [target, *layers]:
            if hasattr(layer, "set_epoch"):
                layer.set_epoch(0)

    def evaluate(inputs):
        restart_masks()
        out = target.forward(inputs if several_in else inputs[0], training=training)
        outs = out if several_out else [out]
        total = sum(fn.forward(t, o) for fn, t, o in zip(loss_fns, ys, outs))
        # A model's backward includes its layers' activity penalties: so does the check.
        return total + getattr(getattr(target, "_last_graph", None), "activity_loss", 0.0)

    # Analytical gradients, from one forward and one backward pass.
    evaluate(xs)
    grads_out = [fn.backward() for fn in loss_fns]
    dx = target.backward(grads_out if several_out else grads_out[0])
    dxs = [np.array(g, copy=True) for g in (dx if several_in else [dx])]
    analytic = [(f"{layer.name}/{k}", layer.params[k], layer.grads[k].copy())
                for layer in layers for k in layer.params if k in layer.grads]

    rows = []
    for name, param, grad in analytic:
        rows.append(_compare(name, grad, _numerical(evaluate, xs, param, eps)))
    for i, g in enumerate(dxs):
        probe = [v.copy() for v in xs]
        rows.append(_compare(f"input[{i}]" if several_in else "input", g,
                             _numerical(evaluate, probe, probe[i], eps)))
    return GradientReport(rows)


def _numerical(evaluate, x, array, eps):
    grad = np.zeros_like(array, dtype=np.float64)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = evaluate(x)
        flat[i] = old - eps
        minus = evaluate(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def _compare(name, analytic, numeric):
    abs_diff = float(np.max(np.abs(analytic - numeric))) if analytic.size else 0.0
    scale = max(float(np.max(np.abs(analytic))), float(np.max(np.abs(numeric))), 1e-12) \
        if analytic.size else 1.0
    return name, analytic.shape, abs_diff, abs_diff / scale
