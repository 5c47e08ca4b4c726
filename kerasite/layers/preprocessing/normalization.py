"""``Normalization``: ``(x - mean) / sqrt(variance)``, with statistics from ``adapt``.

An affine map with fixed ``mean`` and ``std``, so its backward is
``dx = g / std`` (``g * std`` when inverted) and it caches nothing.
"""

import math

import numpy as np

from kerasite import config, initializers
from kerasite._validation import is_int
from kerasite.layers.base import Layer
from kerasite.layers.preprocessing._base import as_numbers as _as_numbers
from kerasite.layers.preprocessing._base import batches
from kerasite.layers.preprocessing._base import plain as _plain
from kerasite.utils import EagerArray


class Normalization(Layer):
    """Standardizes features: ``(x - mean) / sqrt(variance)``, with statistics from ``adapt``.

    The statistics are kept per position along ``axis`` (per feature for the
    default ``axis=-1``) and shared over the other axes; ``axis=None`` keeps
    one mean and one variance for everything. They are non-trainable
    weights, ``params["mean"]`` and ``params["variance"]``, so they are
    saved with the model. Before ``adapt`` (and without ``mean=``) the layer
    is the identity, as in Keras.

    Args:
        axis: an axis, a list of axes, or ``None``; the batch axis (0)
            cannot be one of them.
        mean: a fixed mean instead of ``adapt``: a number, or a list
            broadcast against the kept axes. Pass it with ``variance``.
        variance: the fixed variance that goes with ``mean``.
        invert: apply the inverse map, ``x * sqrt(variance) + mean``.

    Shapes:
        any input ``(batch, *features)``; the same shape out.

    Example:
        >>> import numpy as np
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer.forward(np.array([[1.0, 20.0]]))
        array([[0., 0.]])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axes = ()
        elif is_int(axis):
            axes = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
            axes = tuple(int(a) for a in axis)
        else:
            raise ValueError(f"`axis` must be an integer, a list of integers or None. "
                             f"Received: axis={axis!r}.")
        self.axis = axes
        self._axis_arg = axis if axis is None or isinstance(axis, int) else list(axes)
        if (mean is None) != (variance is None):
            raise ValueError("Pass both `mean` and `variance`, or neither (and call adapt). "
                             f"Received: mean={mean!r}, variance={variance!r}.")
        self.input_mean = None if mean is None else _as_numbers(mean, "mean")
        self.input_variance = None if variance is None else _as_numbers(variance, "variance")
        if variance is not None and np.any(np.asarray(self.input_variance) < 0):
            raise ValueError(f"`variance` must be >= 0. Received: variance={variance!r}.")
        self.invert = bool(invert)

    def build(self, input_shape):
        rank = len(input_shape)
        keep = sorted(a + rank if a < 0 else a for a in self.axis)
        if any(not 1 <= a < rank for a in keep):
            raise ValueError(
                f"`axis` of layer '{self.name}' (Normalization) must name feature axes, in "
                f"[1, {rank - 1}] or [{-(rank - 1)}, -1], for inputs of shape "
                f"{tuple(input_shape)}. Received: axis={self._axis_arg}.")
        self._reduce = tuple(d for d in range(rank) if d not in keep)
        self._broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(rank))
        shape = tuple(input_shape[d] for d in keep)
        mean_init, var_init = initializers.Zeros(), initializers.Ones()
        if self.input_mean is not None:
            try:
                mean0 = np.broadcast_to(self.input_mean, shape)
                var0 = np.broadcast_to(self.input_variance, shape)
            except ValueError:
                raise ValueError(
                    f"`mean` and `variance` of layer '{self.name}' cannot be broadcast to the "
                    f"statistics' shape {shape} (inputs {tuple(input_shape)}, axis="
                    f"{self._axis_arg}). Give one value per position of the kept axes.") from None
            mean_init = lambda s, dtype: mean0.astype(dtype)  # noqa: E731
            var_init = lambda s, dtype: var0.astype(dtype)  # noqa: E731
        self.add_weight("mean", shape, mean_init, trainable=False)
        self.add_weight("variance", shape, var_init, trainable=False)
        super().build(input_shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Sets ``mean`` and ``variance`` from ``data``, over every axis but ``axis``.

        The variance is the population one (divided by the count, not the
        count - 1), as in Keras. Batches are combined exactly: the mean of
        the batch means weighted by their counts, and the variance by the
        lack-of-fit formula ``var = sum_b w_b (var_b + (mean_b - mean)^2)``.

        Args:
            data: an array ``(samples, *features)``, or an iterable of such
                batches (a generator, a ``Dataset``, a ``PyDataset``; a batch
                ``(x, y)`` gives its ``x``).
            batch_size: for an array, how many rows to read at a time.
            steps: at most this many batches of an iterable.

        Raises:
            ValueError: if the layer was given ``mean`` and ``variance``, or
                the data is empty, not finite, or of the wrong shape.
            TypeError: if ``data`` holds no numbers.
        """
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}' was given `mean` and `variance`; adapt would "
                             "replace them. Create it without them to adapt it to data.")
        total_mean = total_var = None
        count = 0
        for batch in batches(data, batch_size, steps):
            batch = self._adapt_batch(batch)
            mean, var = batch.mean(axis=self._reduce), batch.var(axis=self._reduce)
            n = math.prod(batch.shape[d] for d in self._reduce)
            count += n
            if total_mean is None:
                total_mean, total_var = mean, var
                continue
            w = n / count
            new_mean = total_mean * (1 - w) + mean * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (var + (mean - new_mean) ** 2) * w)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("`data` gave no batch to adapt to. Pass a non-empty array, or an "
                             "iterable that yields at least one batch.")
        self.params["mean"][...] = total_mean.reshape(self.params["mean"].shape)
        self.params["variance"][...] = total_var.reshape(self.params["variance"].shape)

    def _adapt_batch(self, batch):
        try:
            batch = np.asarray(batch, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("`data` must be an array of numbers, (samples, *features). "
                            f"Received an object of type {type(batch).__name__}.") from None
        if batch.ndim < 1 or len(batch) == 0 or not np.all(np.isfinite(batch)):
            raise ValueError("`data` must be a non-empty array of finite numbers, (samples, "
                             f"*features). Received an array of shape {batch.shape}.")
        self.ensure_built(batch.shape)
        return batch

    @property
    def mean(self):
        """The mean, shaped to broadcast against a batch: ``(1, ...)`` as Keras's ``layer.mean``."""
        return self._statistic("mean")

    @property
    def variance(self):
        """The variance, shaped as ``mean`` (Keras's ``layer.variance``)."""
        return self._statistic("variance")

    def _statistic(self, key):
        if not self.built:
            raise AttributeError(f"Layer '{self.name}' has no `{key}` yet: call adapt(data) or "
                                 "build it on an input shape first.")
        return EagerArray.wrap(self.params[key].reshape(self._broadcast).copy())

    def _std(self, dtype):
        # max(sqrt(variance), eps), shaped to broadcast against the input
        std = np.sqrt(self.params["variance"].reshape(self._broadcast[1:]))
        return np.maximum(std, config.epsilon()).astype(dtype, copy=False)

    # y = (x - mean) / std   (or x std + mean when inverted);   dy/dx = 1 / std (or std)
    def call(self, x, training=False):
        mean = self.params["mean"].reshape(self._broadcast[1:])
        out = self._out("out", x.shape, x.dtype, training)
        if self.invert:
            np.multiply(x, self._std(x.dtype), out=out)
            out += mean
        else:
            np.subtract(x, mean, out=out)
            out /= self._std(x.dtype)
        return out

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        std = self._std(grad_output.dtype)
        return grad_output * std if self.invert else grad_output / std

    def get_config(self):
        # Keras writes the axes as a list ((-1,) by default, () for axis=None).
        return {**super().get_config(), "axis": list(self.axis),
                "mean": _plain(self.input_mean), "variance": _plain(self.input_variance),
                "invert": self.invert}
