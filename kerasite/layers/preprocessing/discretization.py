"""``Discretization``: numbers to bin ids, with boundaries given or found by ``adapt``.

``adapt`` follows Keras's quantile summary exactly (sort each batch, keep
about ``1 / epsilon`` evenly spaced values with weights, merge the summaries
batch by batch, then read ``num_bins - 1`` boundaries off the cumulative
weights by linear interpolation), so the boundaries are Keras's.
"""

import numpy as np

from kerasite._validation import is_number
from kerasite.layers.preprocessing._base import PreprocessingLayer, batches, one_of
from kerasite.layers.preprocessing.category_encoding import encode, encoded_shape

_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values, epsilon):
    """About ``1 / epsilon`` sorted values of ``values``, each with the count it stands for."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def _compress(summary, epsilon):
    """The summary thinned to about ``1 / epsilon`` values, by interpolated cumulative weight."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_percent = cum / cum[-1]
    bins = np.interp(percents, cum_percent, summary[0])
    cum = np.interp(percents, cum_percent, cum)
    return np.stack((bins, cum - np.concatenate(([0.0], cum[:-1])))).astype("float32")


class Discretization(PreprocessingLayer):
    """Maps numbers to the index of their bin: ``bin_boundaries`` ``[0, 1]`` gives 3 bins.

    A value ``v`` goes to bin ``i`` where ``boundaries[i-1] <= v <
    boundaries[i]`` (``np.digitize``), as in Keras.

    Args:
        bin_boundaries: sorted boundaries; or ``None`` with ``num_bins`` and
            ``adapt``.
        num_bins: how many bins ``adapt`` makes (``num_bins - 1`` boundaries
            at the data's quantiles).
        epsilon: the error tolerance of ``adapt``'s quantiles (0.01: about
            100 summary points per batch).
        output_mode: ``"int"`` (bin ids), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"`` over the bins.
        sparse: only ``False``.

    Example:
        >>> import numpy as np
        >>> Discretization(bin_boundaries=[0.0, 1.0]).forward(np.array([[-1.0, 0.5, 1.0]]))
        array([[0, 1, 2]])
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        self.output_mode = one_of(output_mode, "output_mode", _MODES)
        if sparse:
            raise ValueError("`sparse=True` is not supported: kerasite has no sparse arrays. "
                             "Use sparse=False.")
        if num_bins is not None and (not is_number(num_bins) or int(num_bins) != num_bins
                                     or num_bins < 0):
            raise ValueError("`num_bins` must be an integer >= 0. "
                             f"Received: num_bins={num_bins!r}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Pass `num_bins` (and call adapt) or `bin_boundaries`, not both. "
                             f"Received: num_bins={num_bins!r}, bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Pass `bin_boundaries`, or `num_bins` and then call adapt(data). "
                             "Received neither.")
        if not is_number(epsilon) or not 0 < epsilon < 1:
            raise ValueError(f"`epsilon` must be a number in (0, 1). Received: epsilon={epsilon!r}.")
        if bin_boundaries is not None:
            bounds = np.asarray(bin_boundaries, dtype=np.float64)
            if bounds.ndim != 1 or np.any(np.diff(bounds) < 0):
                raise ValueError("`bin_boundaries` must be a sorted list of numbers. "
                                 f"Received: bin_boundaries={bin_boundaries!r}.")
            bin_boundaries = bounds.tolist()
        self.bin_boundaries = bin_boundaries
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.sparse = False

    def adapt(self, data, batch_size=None, steps=None):
        """Sets ``bin_boundaries`` to ``num_bins`` quantiles of ``data``, as Keras does.

        Args:
            data: an array, or an iterable of batches.
            batch_size: for an array, the rows summarized at a time.
            steps: at most this many batches.
        """
        if self.num_bins is None:
            raise ValueError(f"Layer '{self.name}' was given `bin_boundaries`; adapt needs "
                             "`num_bins` instead. Create it with num_bins=... to adapt it.")
        summary = np.zeros((2, 0), dtype="float32")
        for batch in batches(data, batch_size, steps):
            new = _summarize(np.asarray(batch, dtype=np.float64).astype("float32"), self.epsilon)
            merged = np.concatenate((new, summary), axis=1)
            summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError("`data` gave no values to adapt to.")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, x, training=False):
        if self.bin_boundaries is None:
            raise ValueError(f"Layer '{self.name}' (Discretization) has no bin boundaries yet: "
                             "pass `bin_boundaries`, or call adapt(data) first.")
        ids = np.digitize(np.asarray(x, dtype=np.float64), self.bin_boundaries)
        if self.output_mode == "int":
            return ids.astype(np.int64)
        return encode(ids, self.output_mode, len(self.bin_boundaries) + 1)

    def compute_output_shape(self, input_shape):
        depth = (len(self.bin_boundaries) + 1 if self.bin_boundaries is not None
                 else self.num_bins)
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": False}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        bounds = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            return cls(bin_boundaries=bounds, **config)
        layer = cls(**config)  # adapted: the boundaries are the adapted state
        layer.bin_boundaries = bounds
        return layer
