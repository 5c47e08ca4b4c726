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
        x: input batch, ``(batch, *features)``.
        y: targets for ``loss``.
        loss: a loss name or instance.
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

    loss = losses.get(loss)
    # Finite differences need float64: in float32, rounding swamps a step of 1e-5.
    x = np.array(x, dtype=np.float64)
    y = np.asarray(y)
    if y.dtype.kind == "f":
        y = y.astype(np.float64)
    layers = getattr(model_or_layer, "layers", [model_or_layer])

    def restart_masks():
        for layer in layers:
            if hasattr(layer, "set_epoch"):
                layer.set_epoch(0)

    def evaluate(inputs):
        restart_masks()
        return loss.forward(y, model_or_layer.forward(inputs, training=training))

    # Analytical gradients, from one forward and one backward pass.
    evaluate(x)
    dx = np.array(model_or_layer.backward(loss.backward()), copy=True)
    analytic = [(f"{layer.name}/{k}", layer.params[k], layer.grads[k].copy())
                for layer in layers for k in layer.grads]  # non-trainable weights have no gradient

    rows = []
    for name, param, grad in analytic:
        rows.append(_compare(name, grad, _numerical(evaluate, x, param, eps)))
    x_probe = x.copy()
    rows.append(_compare("input", dx, _numerical(evaluate, x_probe, x_probe, eps, on_input=True)))
    return GradientReport(rows)


def _numerical(evaluate, x, array, eps, on_input=False):
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
