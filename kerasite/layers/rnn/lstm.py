"""Long short-term memory: the LSTM cell, its step and the step's backward, gate by gate."""

import numpy as np

from kerasite import backend, initializers
from kerasite._validation import boolean
from kerasite.backend import kernels
from kerasite.layers.rnn.base import (
    CellLayer,
    GatedCell,
    gradient,
    has_default_activations,
    step_activation,
)


class _UnitForgetBias(initializers.Initializer):
    """The LSTM bias with its forget-gate quarter set to ones (``unit_forget_bias``)."""

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None):
        bias = np.asarray(self.base(shape, dtype))
        bias[self.units:2 * self.units] = 1
        return bias


class LSTMCell(GatedCell):
    """One step of an LSTM, with Keras's gate order ``i, f, c, o``.

    With ``z = x_t W + h_{t-1} U + b`` split into four ``(batch, units)`` blocks::

        i = σ(z_i)   f = σ(z_f)   g = tanh(z_c)   o = σ(z_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    (``σ`` is ``recurrent_activation``, ``tanh`` is ``activation``.)

    Args:
        units: the size of ``h`` and ``c``, a positive integer.
        activation: ``"tanh"`` by default (of ``g`` and of ``c_t``).
        recurrent_activation: ``"sigmoid"`` by default (of the gates ``i, f, o``).
        unit_forget_bias: start the forget gate's bias at 1 (Keras's default,
            ``True``), so the cell remembers by default.
        **kwargs: ``use_bias``, the initializers, regularizers and
            constraints, ``dropout``, ``recurrent_dropout`` and ``seed``, as
            for :class:`SimpleRNNCell`.

    Shapes:
        ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel`` ``(units,
        4 * units)``, ``bias`` ``(4 * units,)``; two states, ``[h, c]``, each
        ``(batch, units)``.
    """

    gates = 4
    _cache_attrs = (*GatedCell._cache_attrs, "_tanh_c", "_fused")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = step_activation(recurrent_activation,
                                                    "recurrent_activation")
        self.unit_forget_bias = boolean(unit_forget_bias, "unit_forget_bias")
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def begin(self, xs, training):
        super().begin(xs, training)
        # xw becomes the gates in place: i, f, g, o after each step.
        self._tanh_c = self._workspace("tanh_c", (*xs.shape[:2], self.units), xs.dtype)
        # With the accelerator on and Keras's default activations (sigmoid, tanh), a step's
        # elementwise part, below gate by gate, runs as one compiled pass instead.
        self._fused = backend.accelerator_enabled() and has_default_activations(self)

    def _split(self, a):
        u = self.units
        return a[:, :u], a[:, u:2 * u], a[:, 2 * u:3 * u], a[:, 3 * u:]

    def step(self, t, prev, new):
        h_prev, c_prev = prev
        h, c = new
        z = self._xw[t]                         # x_t W + b
        hu = np.matmul(self._recurrent_input(h_prev), self.recurrent_kernel.value,
                       out=self._workspace("hu", z.shape, z.dtype))
        if self._fused:                         # the lines below, in one compiled pass
            return kernels.lstm_step(z, hu, c_prev, c, self._tanh_c[t], h)
        z += hu
        i, f, g, o = self._split(z)
        u = self.units
        if self.recurrent_activation is not None:
            self.recurrent_activation.apply(z[:, :2 * u], z[:, :2 * u])   # i, f
            self.recurrent_activation.apply(o, o)
        if self.activation is not None:
            self.activation.apply(g, g)
        np.multiply(f, c_prev, out=c)           # c_t = f c_{t-1} + i g
        c += np.multiply(i, g, out=self._workspace("ig", c.shape, c.dtype))
        tanh_c = self._tanh_c[t]
        np.copyto(tanh_c, c)
        if self.activation is not None:
            self.activation.apply(tanh_c, tanh_c)
        return np.multiply(o, tanh_c, out=h)    # h_t = o tanh(c_t)

    # Backward, the forward read upwards (every derivative from a stored output):
    #   do = dh tanh(c_t)                dz_o = σ'(o) do
    #   dc = dc_next + dh o tanh'(c_t)
    #   di = dc g    df = dc c_{t-1}    dg = dc i
    #   dz_i = σ'(i) di    dz_f = σ'(f) df    dz_c = tanh'(g) dg
    #   d c_{t-1} = dc f                 d h_{t-1} = dz U^T
    def step_backward(self, t, prev, d_output, d_new):
        c_prev = prev[1]
        dh, dc = d_new
        tanh_c = self._tanh_c[t]
        if self._fused:                         # the lines below, in one compiled pass
            dc_prev = self._workspace(f"dc{t % 2}", dh.shape, dh.dtype)
            kernels.lstm_step_backward(dh, d_output, dc, self._xw[t], tanh_c, c_prev,
                                       self._dz[t], dc_prev)
            return [self._d_prev_from_dz(self._dz[t], t % 2), dc_prev]
        dh += d_output
        i, f, g, o = self._split(self._xw[t])
        dz_i, dz_f, dz_c, dz_o = self._split(self._dz[t])
        tmp = self._workspace("tmp", dh.shape, dh.dtype)
        act, rec = self.activation, self.recurrent_activation
        gradient(rec, np.multiply(dh, tanh_c, out=tmp), o, dz_o)
        np.multiply(dh, o, out=tmp)
        dc += gradient(act, tmp, tanh_c, self._workspace("dc_in", dh.shape, dh.dtype))
        gradient(rec, np.multiply(dc, g, out=tmp), i, dz_i)
        gradient(rec, np.multiply(dc, c_prev, out=tmp), f, dz_f)
        gradient(act, np.multiply(dc, i, out=tmp), g, dz_c)
        dc_prev = np.multiply(dc, f, out=self._workspace(f"dc{t % 2}", dh.shape, dh.dtype))
        return [self._d_prev_from_dz(self._dz[t], t % 2), dc_prev]

    def get_config(self):
        import kerasite.layers.activations as activations

        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(CellLayer):
    """Long short-term memory, as ``keras.layers.LSTM``.

    Takes the arguments of :class:`LSTMCell` and of :class:`RNN`. With
    ``return_state=True`` it returns ``[output, h, c]`` (the output is ``h``).

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> out, h, c = layers.LSTM(4, return_state=True).forward(np.ones((2, 3, 5)))
        >>> out.shape, c.shape
        ((2, 4), (2, 4))
    """

    cell_class = LSTMCell
