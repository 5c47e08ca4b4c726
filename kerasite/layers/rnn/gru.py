"""Gated recurrent unit: the GRU cell, its step and the step's backward, gate by gate."""

import numpy as np

from kerasite import backend
from kerasite._validation import boolean
from kerasite.backend import kernels
from kerasite.layers.rnn.base import (
    CellLayer,
    GatedCell,
    gradient,
    has_default_activations,
    step_activation,
)


class GRUCell(GatedCell):
    """One step of a GRU, with Keras's gate order ``z, r, h``.

    With ``xw = x_t W + b_in`` and ``hu = h_{t-1} U + b_rec`` split into
    three ``(batch, units)`` blocks (``reset_after=True``, Keras's default)::

        z = σ(xw_z + hu_z)      r = σ(xw_r + hu_r)
        ĥ = tanh(xw_h + r * hu_h)
        h_t = z * h_{t-1} + (1 - z) * ĥ

    With ``reset_after=False`` the reset gate acts before the product:
    ``ĥ = tanh(xw_h + (r * h_{t-1}) U_h)``, and there is one bias row.

    Args:
        units: the size of ``h``, a positive integer.
        activation: ``"tanh"`` by default (of ``ĥ``).
        recurrent_activation: ``"sigmoid"`` by default (of ``z`` and ``r``).
        reset_after: apply the reset gate after the recurrent product
            (``True``, Keras 3's default and cuDNN's convention).
        **kwargs: ``use_bias``, the initializers, regularizers and
            constraints, ``dropout``, ``recurrent_dropout`` and ``seed``, as
            for :class:`SimpleRNNCell`.

    Shapes:
        ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel`` ``(units,
        3 * units)``, ``bias`` ``(2, 3 * units)`` (the input bias, then the
        recurrent bias) with ``reset_after``, else ``(3 * units,)``; one state,
        ``h``, ``(batch, units)``.
    """

    gates = 3
    _cache_attrs = (*GatedCell._cache_attrs, "_kept", "_dhu", "_fused")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = step_activation(recurrent_activation,
                                                    "recurrent_activation")
        self.reset_after = boolean(reset_after, "reset_after")

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias.value[0] if self.reset_after else self.bias.value

    def begin(self, xs, training):
        super().begin(xs, training)
        steps, batch = xs.shape[:2]
        # Per step: hu_h (reset_after) or r * h_{t-1} (before), needed by backward.
        self._kept = self._workspace("kept", (steps, batch, self.units), xs.dtype)
        # d loss / d (h_{t-1} U + b_rec), per step, for dU and the recurrent bias.
        self._dhu = self._workspace("dhu", (steps, batch, 3 * self.units), xs.dtype)
        # With the accelerator on, reset_after and Keras's default activations, a step's
        # elementwise part, below gate by gate, runs as one compiled pass instead.
        self._fused = backend.accelerator_enabled() and self.reset_after and \
            has_default_activations(self)

    def _split(self, a):
        u = self.units
        return a[:, :u], a[:, u:2 * u], a[:, 2 * u:]

    def step(self, t, prev, new):
        h_prev, h = prev[0], new[0]
        u = self.units
        h_in = self._recurrent_input(h_prev)
        kernel = self.recurrent_kernel.value
        xw = self._xw[t]                        # becomes z, r, ĥ in place
        hu = self._workspace("hu", xw.shape, xw.dtype)
        if self.reset_after:
            np.matmul(h_in, kernel, out=hu)
            if self.use_bias:
                hu += self.bias.value[1]
            if self._fused:                     # the lines below, in one compiled pass
                return kernels.gru_step(xw, hu, h_prev, self._kept[t], h)
            xw[:, :2 * u] += hu[:, :2 * u]
        else:
            np.matmul(h_in, kernel[:, :2 * u], out=hu[:, :2 * u])
            xw[:, :2 * u] += hu[:, :2 * u]
        z, r, hh = self._split(xw)
        if self.recurrent_activation is not None:
            self.recurrent_activation.apply(xw[:, :2 * u], xw[:, :2 * u])   # z, r
        kept = self._kept[t]
        if self.reset_after:                    # ĥ = f(xw_h + r * hu_h)
            np.copyto(kept, hu[:, 2 * u:])
            hh += np.multiply(r, kept, out=hu[:, 2 * u:])
        else:                                   # ĥ = f(xw_h + (r * h_{t-1}) U_h)
            np.multiply(r, h_in, out=kept)
            hh += np.matmul(kept, kernel[:, 2 * u:], out=hu[:, 2 * u:])
        if self.activation is not None:
            self.activation.apply(hh, hh)
        # h_t = z h_{t-1} + (1 - z) ĥ  =  ĥ + z (h_{t-1} - ĥ)
        np.subtract(h_prev, hh, out=h)
        h *= z
        h += hh
        return h

    # Backward:
    #   dz_z = σ'(z) dh (h_{t-1} - ĥ)         da = f'(ĥ) dh (1 - z)   (a: ĥ's pre-activation)
    #   reset_after:  dz_r = σ'(r) da hu_h;   d hu = [dz_z, dz_r, da r]
    #   before:       d(r h) = da U_h^T;  dz_r = σ'(r) d(r h) h_{t-1}
    #   d h_{t-1} = dh z + d hu U^T (+ d(r h) r, before)
    def step_backward(self, t, prev, d_output, d_new):
        h_prev = prev[0]
        dh = d_new[0]
        d_hu = self._dhu[t]
        tmp = self._workspace("tmp", dh.shape, dh.dtype)
        if self._fused:                         # the lines below, in one compiled pass
            kernels.gru_step_backward(dh, d_output, self._xw[t], self._kept[t], h_prev,
                                      self._dz[t], d_hu, tmp)
            d_prev = self._d_prev_from_dz(d_hu, t % 2)
            d_prev += tmp                       # + dh z
            return [d_prev]
        dh += d_output
        z, r, hh = self._split(self._xw[t])
        dz_z, dz_r, da = self._split(self._dz[t])
        du_z, du_r, du_h = self._split(d_hu)
        act, rec = self.activation, self.recurrent_activation
        np.subtract(h_prev, hh, out=tmp)
        gradient(rec, np.multiply(tmp, dh, out=tmp), z, dz_z)
        np.subtract(1, z, out=tmp)
        gradient(act, np.multiply(tmp, dh, out=tmp), hh, da)
        kernel = self.recurrent_kernel.value
        u = self.units
        if self.reset_after:
            gradient(rec, np.multiply(da, self._kept[t], out=tmp), r, dz_r)
            np.multiply(da, r, out=du_h)
            np.copyto(d_hu[:, :2 * u], self._dz[t][:, :2 * u])
            d_prev = self._d_prev_from_dz(d_hu, t % 2)
        else:
            d_rh = np.matmul(da, kernel[:, 2 * u:].T,
                             out=self._workspace("d_rh", dh.shape, dh.dtype))
            gradient(rec, np.multiply(d_rh, self._recurrent_input(h_prev), out=tmp), r, dz_r)
            d_prev = self._workspace(f"dh{t % 2}", dh.shape, dh.dtype)
            np.matmul(self._dz[t][:, :2 * u], kernel[:, :2 * u].T, out=d_prev)
            d_prev += np.multiply(d_rh, r, out=tmp)
            if self._rdp is not None:
                d_prev *= self._rdp
        d_prev += np.multiply(dh, z, out=tmp)
        return [d_prev]

    def _recurrent_kernel_gradient(self):
        u = self.units
        hs = self._recurrent_inputs_seq()
        grad = self.recurrent_kernel._grad
        if self.reset_after:
            np.matmul(hs.T, self._dhu.reshape(-1, 3 * u), out=grad)
        else:
            dz = self._dz.reshape(-1, 3 * u)
            np.matmul(hs.T, dz[:, :2 * u], out=grad[:, :2 * u])
            np.matmul(self._kept.reshape(-1, u).T, dz[:, 2 * u:], out=grad[:, 2 * u:])

    def _bias_gradient(self, dz):
        if self.reset_after:
            self._column_sums(dz, self.bias._grad[0])
            self._column_sums(self._dhu.reshape(-1, 3 * self.units), self.bias._grad[1])
        else:
            self._column_sums(dz, self.bias._grad)

    def get_config(self):
        import kerasite.layers.activations as activations

        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(CellLayer):
    """Gated recurrent unit, as ``keras.layers.GRU`` (``reset_after=True`` by default).

    Takes the arguments of :class:`GRUCell` and of :class:`RNN`.

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> layer = layers.GRU(4)
        >>> layer.forward(np.ones((2, 3, 5))).shape, layer.bias.shape
        ((2, 4), (2, 12))
    """

    cell_class = GRUCell
