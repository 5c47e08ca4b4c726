"""The plain recurrent cell: ``h_t = activation(x_t W + h_{t-1} U + b)``."""

import numpy as np

from kerasite.layers.rnn.base import CellLayer, GatedCell, gradient


class SimpleRNNCell(GatedCell):
    """One step of a fully connected RNN, ``h_t = f(x_t W + h_{t-1} U + b)``.

    Args:
        units: the size of the output and of the state, a positive integer.
        activation: ``f``, ``"tanh"`` by default.
        use_bias: whether to add ``b``.
        kernel_initializer: initializer of ``W``, glorot uniform by default.
        recurrent_initializer: initializer of ``U``, orthogonal by default.
        bias_initializer: initializer of ``b``, zeros by default.
        kernel_regularizer: a penalty on ``W``, or ``None``.
        recurrent_regularizer: a penalty on ``U``, or ``None``.
        bias_regularizer: a penalty on ``b``, or ``None``.
        kernel_constraint: a projection of ``W`` after each update, or ``None``.
        recurrent_constraint: the same for ``U``.
        bias_constraint: the same for ``b``.
        **kwargs: ``dropout``, ``recurrent_dropout`` and ``seed`` (see
            :class:`RNNCell`), ``name``.

    Shapes:
        ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units,
        units)``, ``bias`` ``(units,)``; one state, ``h``, ``(batch, units)``.
    """

    gates = 1

    # Forward:   h_t = f(z_t),  z_t = xw_t + h_{t-1} U   (xw_t = x_t W + b, from begin)
    # Backward:  dz_t = dh_t * f'(h_t);   d h_{t-1} = dz_t U^T
    def step(self, t, prev, new):
        h = new[0]
        np.matmul(self._recurrent_input(prev[0]), self.recurrent_kernel.value, out=h)
        h += self._xw[t]
        if self.activation is not None:
            self.activation.apply(h, h)
        return h

    def step_backward(self, t, prev, d_output, d_new):
        dh = d_new[0]
        dh += d_output
        h = self._seq[0][0][t + 1]
        dz = gradient(self.activation, dh, h, self._dz[t])
        return [self._d_prev_from_dz(dz, t % 2)]


class SimpleRNN(CellLayer):
    """A fully connected RNN layer, as ``keras.layers.SimpleRNN``.

    ``h_t = activation(x_t W + h_{t-1} U + b)`` over the time axis. Takes the
    arguments of :class:`SimpleRNNCell` and of :class:`RNN`
    (``return_sequences``, ``return_state``, ``go_backwards``, ``stateful``,
    ``unroll``).

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> layers.SimpleRNN(4).forward(np.ones((2, 3, 5), dtype="float32")).shape
        (2, 4)
    """

    cell_class = SimpleRNNCell
