"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization``.

Both compute ``xhat = (x - mean) / sqrt(var + epsilon)`` and output
``gamma * xhat + beta``; they differ in which values share a mean.
BatchNormalization averages over the batch (and the image, for conv
features), one mean per channel; LayerNormalization averages over the
features of each sample.

The gradient through the normalization, with ``gh = dL/dxhat = gamma * dL/dy``
and means taken over the normalised values::

    dL/dx = (gh - mean(gh) - xhat * mean(gh * xhat)) / sqrt(var + epsilon)
"""

import numpy as np

from kerasite import constraints, initializers, regularizers
from kerasite._validation import is_int, number
from kerasite.layers.base import Layer


def _axes_arg(axis):
    items = (axis,) if isinstance(axis, (int, np.integer)) else axis
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if not items or not all(is_int(a) for a in items):
        raise TypeError(
            f"`axis` must be an integer or a list of integers, such as -1. Received: axis={axis!r}."
        )
    return tuple(int(a) for a in items)


def _resolve_axes(layer, axes, rank):
    """Negative axes made positive; the batch axis and out-of-range axes rejected."""
    resolved = []
    for a in axes:
        b = a + rank if a < 0 else a
        if not 1 <= b < rank:
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) got axis={a} for inputs of "
                f"rank {rank}: the axis must be a feature axis, between 1 and {rank - 1} (or "
                f"-1 to -{rank - 1}). Pass another axis."
            )
        resolved.append(b)
    return tuple(sorted(set(resolved)))


class BatchNormalization(Layer):
    """Normalises each channel over the batch, then scales and shifts it.

    In training (``fit``) each channel is normalised with the mean and
    variance of the current batch, and the moving averages are updated:
    ``moving = momentum * moving + (1 - momentum) * batch_stat`` (the biased
    batch variance, as in Keras 3). In inference (``predict``, ``evaluate``)
    the moving averages are used instead. A frozen layer
    (``trainable=False``) always runs in inference mode and never updates its
    moving averages, as in Keras 3, which is what fine-tuning needs.

    Args:
        axis: the feature (channel) axis, or a list of them; the statistics
            are taken over all the other axes. ``-1`` for channels-last.
        momentum: weight of the old value in the moving averages.
        epsilon: added to the variance before the square root.
        center: whether to learn the shift ``beta``.
        scale: whether to learn the scale ``gamma``.
        beta_initializer: initializer of ``beta`` (zeros).
        gamma_initializer: initializer of ``gamma`` (ones).
        moving_mean_initializer: initializer of the moving mean (zeros).
        moving_variance_initializer: initializer of the moving variance (ones).
        beta_regularizer: a penalty on ``beta`` (``"l2"``,
            ``kerasite.regularizers.L2(1e-4)``, ...), or ``None``.
        gamma_regularizer: a penalty on ``gamma``, or ``None``.
        beta_constraint: a projection applied to ``beta`` after each update
            (``"non_neg"``, ...), or ``None``.
        gamma_constraint: the same for ``gamma``, or ``None``.

    Weights (Keras's order): ``gamma``, ``beta`` (trainable, if ``scale`` and
    ``center``), ``moving_mean``, ``moving_variance`` (non-trainable, updated
    by the layer itself); each has the shape of the channel axis.

    Example:
        >>> import numpy as np
        >>> layer = BatchNormalization()
        >>> x = np.array([[1.0], [3.0]], dtype="float32")  # mean 2, variance 1
        >>> layer.forward(x, training=True).round(4)  # (x - 2) / sqrt(1 + 0.001)
        array([[-0.9995],
               [ 0.9995]], dtype=float32)
        >>> layer.params["moving_mean"]  # 0.99 * 0 + 0.01 * 2
        array([0.02], dtype=float32)
    """

    _cache_attrs = ("xhat", "inv_std", "batch_stats")

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_arg(axis)
        self.momentum = number(momentum, "momentum", 0, 1)
        self.epsilon = number(epsilon, "epsilon", 0, inclusive=(False, True))
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        # Read by regularization_penalty and apply_constraints (for the weights that exist).
        for table, options in ((self.regularizers, (self.gamma_regularizer, self.beta_regularizer)),
                               (self.constraints, (self.gamma_constraint, self.beta_constraint))):
            for key, option in zip(("gamma", "beta"), options):
                if option is not None:
                    table[key] = option

    def build(self, input_shape):
        rank = len(input_shape)
        axes = _resolve_axes(self, self.axis, rank)
        # Statistics over every other axis; weights broadcast against the input.
        self._reduce = tuple(a for a in range(rank) if a not in axes)
        self._shape = tuple(input_shape[a] if a in axes else 1 for a in range(rank))
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma") \
            if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta") \
            if self.center else None
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        super().build(input_shape)

    def _param(self, key):
        return getattr(self, key).value.reshape(self._shape)  # the live array, broadcastable

    # y = gamma * xhat + beta, xhat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps).
    #   dL/dgamma = sum dL/dy * xhat      dL/dbeta = sum dL/dy
    #   training (batch statistics):  dL/dx as in the module docstring
    #   inference (moving statistics, constants):  dL/dx = gamma * inv_std * dL/dy
    def call(self, x, training=False):
        self.batch_stats = bool(training) and self.trainable
        if self.batch_stats:
            mean = x.mean(axis=self._reduce, keepdims=True)
            centred = np.subtract(x, mean, out=self._workspace("xhat", x.shape, x.dtype))
            var = np.mean(np.square(centred), axis=self._reduce, keepdims=True)
            m = self.momentum  # moving = m * moving + (1 - m) * batch statistic, in place
            for key, stat in (("moving_mean", mean), ("moving_variance", var)):
                moving = getattr(self, key).value
                moving *= m
                moving += (1 - m) * stat.reshape(moving.shape)
        else:
            mean = self._param("moving_mean")
            var = self._param("moving_variance")
            centred = np.subtract(x, mean, out=self._workspace("xhat", x.shape, x.dtype))
        self.inv_std = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype, copy=False)
        self.xhat = np.multiply(centred, self.inv_std, out=centred)
        y = self._out("y", x.shape, x.dtype, training)
        if self.scale:
            np.multiply(self.xhat, self._param("gamma"), out=y)
        else:
            np.copyto(y, self.xhat)
        if self.center:
            y += self._param("beta")
        return y

    def backward(self, grad_output, need_input_grad=True):
        g = grad_output
        if self.scale:
            dgamma = self.gamma._grad
            dgamma[...] = (g * self.xhat).sum(axis=self._reduce).reshape(dgamma.shape)
        if self.center:
            dbeta = self.beta._grad
            dbeta[...] = g.sum(axis=self._reduce).reshape(dbeta.shape)
        if not need_input_grad:
            return None
        scale = self.inv_std * self._param("gamma") if self.scale else self.inv_std
        dx = self._workspace("dx", g.shape, g.dtype)
        if not self.batch_stats:
            return np.multiply(g, scale, out=dx)
        mean_g = g.mean(axis=self._reduce, keepdims=True)
        mean_gx = (g * self.xhat).mean(axis=self._reduce, keepdims=True)
        np.multiply(self.xhat, mean_gx, out=dx)
        np.subtract(g, dx, out=dx)
        dx -= mean_g
        dx *= scale
        return dx

    def get_config(self):
        return {
            **super().get_config(),
            "axis": list(self.axis) if len(self.axis) > 1 else self.axis[0],
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class LayerNormalization(Layer):
    """Normalises each sample over its feature axes, then scales and shifts it.

    The same in training and inference: there are no moving statistics.

    Args:
        axis: the axis or list of axes to normalise over (``-1``: the last).
        epsilon: added to the variance before the square root.
        center: whether to learn the shift ``beta``.
        scale: whether to learn the scale ``gamma``.
        beta_initializer: initializer of ``beta`` (zeros).
        gamma_initializer: initializer of ``gamma`` (ones).
        rms_scaling: as Keras 3 (which deprecates it): ``center`` and ``scale``
            are ignored and ``y = gamma * x / sqrt(var(x) + epsilon)``, the
            input scaled (not centred) by its standard deviation; only ``gamma``
            is learnt. Backward, with ``r`` = 1/sqrt(var + epsilon), ``xhat = x r``
            and ``gh = g gamma``: ``dx = r (gh - (x - mean) r * mean(gh xhat))``.

    Weights: ``gamma`` then ``beta``, shaped like the normalised axes.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 3.0]], dtype="float32")
        >>> LayerNormalization().forward(x).round(4)
        array([[-0.9995,  0.9995]], dtype=float32)
    """

    _cache_attrs = ("xhat", "inv_std", "shift")

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", rms_scaling=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_arg(axis)
        self.epsilon = number(epsilon, "epsilon", 0, inclusive=(False, True))
        self.center, self.scale = bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        # Keras's rms_scaling learns gamma alone, whatever center and scale say.
        self._center = self.center and not self.rms_scaling
        self._scale = self.scale or self.rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        self._norm = _resolve_axes(self, self.axis, rank)
        self._others = tuple(a for a in range(rank) if a not in self._norm)
        self._shape = tuple(input_shape[a] if a in self._norm else 1 for a in range(rank))
        shape = tuple(input_shape[a] for a in self._norm)
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma") \
            if self._scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta") \
            if self._center else None
        super().build(input_shape)

    # Per sample: xhat = (x - mean) * inv_std over the normalised axes, y = gamma xhat + beta;
    #   dL/dgamma, dL/dbeta sum over the other axes; dL/dx as in the module docstring.
    def call(self, x, training=False):
        mean = x.mean(axis=self._norm, keepdims=True)
        centred = np.subtract(x, mean, out=self._workspace("xhat", x.shape, x.dtype))
        var = np.mean(np.square(centred), axis=self._norm, keepdims=True)
        self.inv_std = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype, copy=False)
        if self.rms_scaling:  # x scaled, not centred; xhat - shift is the centred one
            self.shift = mean * self.inv_std
            self.xhat = np.multiply(x, self.inv_std, out=centred)
        else:
            self.xhat = np.multiply(centred, self.inv_std, out=centred)
        y = self._out("y", x.shape, x.dtype, training)
        if self._scale:
            np.multiply(self.xhat, self.gamma.value.reshape(self._shape), out=y)
        else:
            np.copyto(y, self.xhat)
        if self._center:
            y += self.beta.value.reshape(self._shape)
        return y

    def backward(self, grad_output, need_input_grad=True):
        g = grad_output
        if self._scale:
            dgamma = self.gamma._grad
            dgamma[...] = (g * self.xhat).sum(axis=self._others).reshape(dgamma.shape)
        if self._center:
            dbeta = self.beta._grad
            dbeta[...] = g.sum(axis=self._others).reshape(dbeta.shape)
        if not need_input_grad:
            return None
        gh = g * self.gamma.value.reshape(self._shape) if self._scale else g
        mean_gx = (gh * self.xhat).mean(axis=self._norm, keepdims=True)
        dx = self._workspace("dx", g.shape, g.dtype)
        if self.rms_scaling:  # r (gh - (xhat - shift) mean(gh xhat))
            np.subtract(self.xhat, self.shift, out=dx)
            dx *= mean_gx
            np.subtract(gh, dx, out=dx)
        else:  # r (gh - mean(gh) - xhat mean(gh xhat))
            np.multiply(self.xhat, mean_gx, out=dx)
            np.subtract(gh, dx, out=dx)
            dx -= gh.mean(axis=self._norm, keepdims=True)
        dx *= self.inv_std
        return dx

    def get_config(self):
        return {
            **super().get_config(),
            "axis": list(self.axis) if len(self.axis) > 1 else self.axis[0],
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "rms_scaling": self.rms_scaling,
        }
