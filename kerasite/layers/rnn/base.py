"""The recurrent machinery shared by SimpleRNN, LSTM and GRU: the time loop and ``RNN``.

A *cell* computes one time step: from the input ``x_t`` and the previous
states it makes the output and the new states. The ``RNN`` layer runs a cell
over a sequence. Back-propagation through time (BPTT) runs the same loop in
reverse: at each step the cell turns the gradient of its output and of its
new states into the gradient of the previous states, and stores the gradient
of its pre-activations, from which the weight gradients are computed at the
end, in one matrix product over all the steps.

The work is split between the two:

* ``RNNCell.run`` / ``RNNCell.run_backward`` (here): the loop over time, the
  buffers of the states (one array ``(timesteps + 1, batch, size)`` per
  state), and the mask: a masked step keeps the previous states and output;
* each cell (``simple_rnn.py``, ``lstm.py``, ``gru.py``): ``begin`` (the input
  projection ``x W + b`` of every step at once), ``step`` and
  ``step_backward`` (one step, gate by gate, side by side), ``end_backward``
  (the weight and input gradients);
* ``RNN`` (here): the ``(batch, timesteps, features)`` layout,
  ``go_backwards``, stacked cells, ``return_sequences``, ``return_state``,
  ``initial_state`` and ``stateful``.

Sequences run time-major inside, ``(timesteps, batch, features)``, so that a
step's slice ``xs[t]`` is one contiguous block.
"""

import contextlib
import inspect
import os
import queue
import threading

import numpy as np

import kerasite.layers.activations as activations
from kerasite import constraints, initializers, regularizers, utils
from kerasite._validation import boolean, number, positive_int
from kerasite.layers.base import Layer


def step_activation(identifier, what):
    """An activation usable inside a cell: one whose derivative comes from its output.

    BPTT keeps each step's activated values, not the values before the
    activation, so ``f'`` must be computable from ``f(z)`` (tanh: ``1 - y**2``,
    sigmoid: ``y (1 - y)``, relu: ``y > 0``).

    Args:
        identifier: an activation name, layer or ``None`` (linear).
        what: the argument's name, for the error message.

    Returns:
        An activation layer whose ``apply(x, out)`` and ``gradient(g, y, out)``
        the cells call; the linear activation is ``None``.
    """
    act = activations.get(identifier)
    if isinstance(act, activations.Linear):
        return None
    cls = type(act)
    if cls.call is not activations._Elementwise.call or \
            cls.gradient is activations._Elementwise.gradient:
        raise ValueError(
            f"`{what}`={activations.serialize(act)!r} cannot be used in a recurrent cell: its "
            "derivative needs its input, which the cell does not keep. Use one whose derivative "
            "comes from its output: 'tanh', 'sigmoid', 'relu', 'hard_sigmoid', 'elu', "
            "'softsign', 'softplus', 'exponential' or None.")
    return act


def has_default_activations(cell):
    """Whether ``cell`` has Keras's default activations: tanh, and sigmoid gates.

    Those are the ones the compiled step kernels (``kerasite.backend.kernels``) know.
    """
    return isinstance(cell.activation, activations.Tanh) and \
        isinstance(cell.recurrent_activation, activations.Sigmoid)


def apply(act, x):
    """``act(x)`` in place (the linear activation, ``None``, leaves ``x``)."""
    if act is not None:
        act.apply(x, x)
    return x


def gradient(act, g, y, out):
    """``g * act'`` from the activation's output ``y``, into ``out`` (which must not be ``g``)."""
    if act is None:
        np.copyto(out, g)
        return out
    return act.gradient(g, y, out)


_BLAS = {}  # the threadpoolctl controller of NumPy's BLAS, made at the first time loop


def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries, or ``None`` without it."""
    if "controller" not in _BLAS:
        try:
            import threadpoolctl
        except ImportError:
            _BLAS["controller"] = None
        else:
            _BLAS["controller"] = threadpoolctl.ThreadpoolController().select(user_api="blas")
    return _BLAS["controller"]


def _blas_threads():
    """The most threads NumPy's BLAS may use now (1 when threadpoolctl is missing)."""
    controller = _blas_controller()
    if controller is None or not controller.lib_controllers:
        return 1
    return max(pool.num_threads for pool in controller.lib_controllers)


# How many time loops run now (threads may run several), and the limiter that holds
# BLAS to one thread while any does: the first to start sets it, the last to end
# restores the threads BLAS had.
_LOOPS = {"running": 0, "limiter": None}
_LOOPS_LOCK = threading.Lock()


@contextlib.contextmanager
def one_blas_thread():
    """A context in which NumPy's BLAS uses one thread (a no-op without threadpoolctl).

    The time loop's products are small, ``(batch, units) @ (units, gates *
    units)``: a second BLAS thread saves little on each, and each start and
    stop costs a hand-off between cores; on a busy machine, where a thread
    waits for a descheduled partner, a product took 40 times longer. The
    large products outside the loop (every step's input projection and the
    weight gradients) keep all the threads. Contexts on several threads
    share one limit, lifted when the last one ends.
    """
    with _LOOPS_LOCK:
        if _LOOPS["running"] == 0 and _blas_threads() > 1:
            _LOOPS["limiter"] = _blas_controller().limit(limits=1)
        _LOOPS["running"] += 1
    try:
        yield
    finally:
        with _LOOPS_LOCK:
            _LOOPS["running"] -= 1
            if _LOOPS["running"] == 0 and _LOOPS["limiter"] is not None:
                _LOOPS["limiter"].restore_original_limits()
                _LOOPS["limiter"] = None


class _Helper:
    """A daemon thread that runs the functions put in its queue: a direction of ``Bidirectional``.

    Kept for the process's life: starting a thread per call made the caller
    wait until the new thread was first scheduled, milliseconds on a busy
    machine. A forked child makes its own (threads do not survive a fork).
    """

    _lock = threading.Lock()
    _current = None

    def __init__(self):
        self.pid = os.getpid()
        self.tasks = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="kerasite-bidirectional", daemon=True).start()

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._current is None or cls._current.pid != os.getpid():
                cls._current = cls()
            return cls._current

    def _serve(self):
        while True:
            fn, result, done = self.tasks.get()
            try:
                result["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 (raised again on the calling thread)
                result["error"] = exc
            done.set()


def run_both(first, second):
    """``(first(), second())``, side by side on two threads when BLAS may use two or more.

    ``Bidirectional``'s two directions are independent, and each spends its
    time loop on one core (see ``one_blas_thread``). So with two cores or
    more they run at the same time: NumPy's products and the compiled step
    kernels release the GIL. Meanwhile BLAS is held to one thread, so the two
    directions take two cores, not four. With one BLAS thread allowed
    (``kerasite.config.set_num_threads(1)``) they run one after the other.
    """
    if _blas_threads() < 2:
        return first(), second()
    result, done = {}, threading.Event()
    with one_blas_thread():
        _Helper.get().tasks.put((second, result, done))
        try:
            value = first()
        finally:
            done.wait()
    if "error" in result:
        raise result["error"]
    return value, result["value"]


class RNNCell(Layer):
    """Base class of the recurrent cells: the time loop, its buffers and the mask.

    A subclass sets ``state_size`` (a list, one size per state) and
    ``output_size`` in ``__init__``, makes its weights in
    ``build((batch, features))``, and writes four methods:

    * ``begin(xs, training)``: called once per sequence with the inputs
      ``(timesteps, batch, features)``, e.g. to project all of them at once;
    * ``step(t, prev, new)``: one step; reads the states ``prev`` (a list of
      ``(batch, size)`` arrays), writes the new ones into ``new``, and returns
      the output ``(batch, output_size)``;
    * ``step_backward(t, prev, d_output, d_new)``: the same step in reverse;
      gets d loss / d output and d loss / d new states (arrays it may write
      into), returns d loss / d previous states;
    * ``end_backward(need_input_grad)``: writes the weight gradients, returns
      d loss / d inputs ``(timesteps, batch, features)`` or ``None``.

    Args:
        dropout: the fraction of the inputs to drop while training, in [0, 1).
            One mask per sequence, the same at every step, as Keras does.
        recurrent_dropout: the same for the previous output in the recurrent
            product ``h_{t-1} U``.
        seed: the seed of the dropout masks.
    """

    _cache_attrs = ("_seq",)

    def __init__(self, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout = number(dropout, "dropout", 0, 1, inclusive=(True, False))
        self.recurrent_dropout = number(recurrent_dropout, "recurrent_dropout", 0, 1,
                                        inclusive=(True, False))
        self.seed = utils.draw_seed() if seed is None else utils.check_seed(seed)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Restarts the dropout masks' generator for ``epoch`` (called by ``fit``)."""
        self._rng = utils.epoch_rng(self.seed, epoch)

    def _dropout_mask(self, key, shape, rate, dtype, training):
        """A scaled dropout mask (0 or ``1 / (1 - rate)``), or ``None`` when nothing drops."""
        if not training or rate == 0:
            return None
        keep = self._rng.random(shape, dtype=np.float32) >= rate
        mask = self._workspace(key, shape, dtype)
        np.multiply(keep, 1.0 / (1.0 - rate), out=mask)
        return mask

    def get_initial_state(self, batch_size, dtype=None):
        """Zeros, one ``(batch_size, size)`` array per state."""
        dtype = dtype or self._dtype()
        return [np.zeros((batch_size, n), dtype=dtype) for n in self.state_size]

    def _dtype(self):
        return self.weights[0].value.dtype if self.weights else np.dtype("float32")

    # ------------------------------------------------------------ the time loop
    # Forward: states[t + 1] = step(x_t, states[t]); a masked step copies states[t]
    # and the previous output instead.
    # Backward: d states[t] = step_backward(d output_t, d states[t + 1]); on a masked
    # step the gradients pass straight through to step t - 1.
    def run(self, xs, states, mask=None, training=False, zero_output_for_mask=False):
        """Runs the cell over a whole sequence.

        Args:
            xs: the inputs, time-major, ``(timesteps, batch, features)``.
            states: the initial states, a list of ``(batch, size)`` arrays.
            mask: ``None``, or booleans ``(timesteps, batch)``, ``True`` where
                the step is real.
            training: whether dropout is active.
            zero_output_for_mask: a masked step outputs zeros instead of the
                previous output.

        Returns:
            ``(outputs, final_states)``: ``(timesteps, batch, output_size)`` in
            a reused buffer, and the last states, views into reused buffers.
        """
        steps, batch = xs.shape[:2]
        dtype = xs.dtype
        seq = [self._workspace(f"state{k}", (steps + 1, batch, n), dtype)
               for k, n in enumerate(self.state_size)]
        for s, s0 in zip(seq, states):
            s[0] = s0
        ys = self._workspace("ys", (steps, batch, self.output_size), dtype)
        self.begin(xs, training)
        with one_blas_thread():
            for t in range(steps):
                prev, new = [s[t] for s in seq], [s[t + 1] for s in seq]
                y = self.step(t, prev, new)
                np.copyto(ys[t], y)
                if mask is not None:
                    skip = ~mask[t][:, None]
                    for p, n in zip(prev, new):
                        np.copyto(n, p, where=skip)
                    if zero_output_for_mask or t == 0:
                        np.copyto(ys[t], 0, where=skip)
                    else:
                        np.copyto(ys[t], ys[t - 1], where=skip)
        self._seq = (seq, mask, zero_output_for_mask)
        return ys, [s[steps] for s in seq]

    def run_backward(self, d_ys, d_final, need_input_grad=True):
        """Back-propagates through the last ``run``.

        Args:
            d_ys: d loss / d outputs, ``(timesteps, batch, output_size)``; the
                array is written into.
            d_final: d loss / d final states, a list of ``(batch, size)``
                arrays or ``None`` s.
            need_input_grad: whether to return d loss / d inputs.

        Returns:
            ``(d_xs, d_initial_states)``: ``(timesteps, batch, features)`` or
            ``None``, and a list of ``(batch, size)`` arrays.
        """
        seq, mask, zero_output = self._seq
        steps, batch = d_ys.shape[:2]
        d_states = []
        for k, (n, d) in enumerate(zip(self.state_size, d_final)):
            buf = self._workspace(f"d_state{k}", (batch, n), d_ys.dtype)
            np.copyto(buf, 0 if d is None else d)
            d_states.append(buf)
        with one_blas_thread():
            for t in range(steps - 1, -1, -1):
                prev = [s[t] for s in seq]
                if mask is None:
                    d_states = self.step_backward(t, prev, d_ys[t], d_states)
                    continue
                keep = mask[t][:, None]
                if not zero_output and t > 0:  # a masked output was a copy of the previous one
                    d_ys[t - 1] += np.where(keep, 0, d_ys[t])
                d_ys[t] *= keep
                carried = [np.where(keep, 0, d) for d in d_states]
                for d in d_states:
                    d *= keep
                d_states = self.step_backward(t, prev, d_ys[t], d_states)
                for d, c in zip(d_states, carried):
                    d += c
        return self.end_backward(need_input_grad), d_states

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


class GatedCell(RNNCell):
    """What the three built-in cells share: ``kernel``, ``recurrent_kernel``, ``bias``.

    ``kernel`` is ``(features, gates * units)``, ``recurrent_kernel``
    ``(units, gates * units)`` and ``bias`` ``(gates * units,)``, the gates side
    by side in Keras's order. ``begin`` projects every step's input at once,
    ``xw[t] = x_t W + b``; ``end_backward`` turns the stored pre-activation
    gradients ``dz`` back into ``dW = X^T dz``, ``db = sum dz`` and
    ``dX = dz W^T``.
    """

    gates = 1
    _cache_attrs = ("_seq", "_dp", "_rdp", "_xs", "_xw", "_dz", "_kernel_t")

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units")
        self.activation = step_activation(activation, "activation")
        self.use_bias = boolean(use_bias, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.state_size = [self.units]
        self.output_size = self.units
        self.kernel = self.recurrent_kernel = self.bias = None

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Cell '{self.name}' is built for one step, (batch, features). "
                             f"Received input_shape={tuple(input_shape)}.")
        width = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(
            (self.units, width), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(),
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        super().build(input_shape)

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _input_bias(self):
        return self.bias.value

    # xw[t] = dropout(x_t) W + b, for every t in one product.
    def begin(self, xs, training):
        steps, batch, features = xs.shape
        self._dp = self._dropout_mask("dp", (batch, features), self.dropout, xs.dtype, training)
        self._rdp = self._dropout_mask("rdp", (batch, self.units), self.recurrent_dropout,
                                       xs.dtype, training)
        self._xs = xs if self._dp is None else np.multiply(
            xs, self._dp, out=self._workspace("xs_dropped", xs.shape, xs.dtype))
        self._xw = self._workspace("xw", (steps, batch, self.gates * self.units), xs.dtype)
        np.matmul(self._xs.reshape(-1, features), self.kernel.value,
                  out=self._xw.reshape(-1, self._xw.shape[-1]))
        if self.use_bias:
            self._xw += self._input_bias()
        self._dz = self._workspace("dz", self._xw.shape, xs.dtype)

    def _recurrent_input(self, h_prev):
        """``h_{t-1}`` as the recurrent product sees it: with recurrent dropout applied."""
        if self._rdp is None:
            return h_prev
        return np.multiply(h_prev, self._rdp, out=self._workspace("h_dropped", h_prev.shape,
                                                                   h_prev.dtype))

    def _recurrent_inputs_seq(self):
        """Every step's ``h_{t-1}`` (after recurrent dropout), as rows ``(steps * batch, units)``."""
        h = self._seq[0][0][:-1]
        if self._rdp is not None:
            h = np.multiply(h, self._rdp, out=self._workspace("hs_dropped", h.shape, h.dtype))
        return h.reshape(-1, self.units)

    # dW = X^T dz, db = sum of dz, dX = dz W^T; dU is the cell's own (its dz may differ).
    def end_backward(self, need_input_grad):
        features = self._xs.shape[-1]
        dz = self._dz.reshape(-1, self._dz.shape[-1])
        np.matmul(self._xs.reshape(-1, features).T, dz, out=self.kernel._grad)
        self._recurrent_kernel_gradient()
        if self.use_bias:
            self._bias_gradient(dz)
        if not need_input_grad:
            return None
        dxs = self._workspace("dxs", self._xs.shape, dz.dtype)
        np.matmul(dz, self.kernel.value.T, out=dxs.reshape(-1, features))
        if self._dp is not None:
            dxs *= self._dp
        return dxs

    def _recurrent_kernel_gradient(self):
        dz = self._dz.reshape(-1, self._dz.shape[-1])
        np.matmul(self._recurrent_inputs_seq().T, dz, out=self.recurrent_kernel._grad)

    def _bias_gradient(self, dz):
        self._column_sums(dz, self.bias._grad)

    def _column_sums(self, a, out):
        """``a.sum(axis=0)`` into ``out`` as one BLAS product (``ones @ a``): faster."""
        ones = self._workspace("ones", (len(a),), a.dtype)
        ones.fill(1)
        return np.matmul(ones, a, out=out)

    def run_backward(self, d_ys, d_final, need_input_grad=True):
        # Every step multiplies by U^T: BLAS is faster on a contiguous copy than on the view.
        kernel = self.recurrent_kernel.value
        self._kernel_t = self._workspace("kernel_t", kernel.T.shape, kernel.dtype)
        np.copyto(self._kernel_t, kernel.T)
        return super().run_backward(d_ys, d_final, need_input_grad)

    def _d_prev_from_dz(self, dz, rows):
        """``dz U^T`` (times the recurrent dropout mask): the gradient reaching ``h_{t-1}``."""
        out = self._workspace(f"dh{rows}", (dz.shape[0], self.units), dz.dtype)
        np.matmul(dz, self._kernel_t, out=out)
        if self._rdp is not None:
            out *= self._rdp
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class StackedRNNCells(Layer):
    """Several cells, one above the other: the output of each is the input of the next.

    Inside ``RNN`` the cells run one after the other over the whole sequence,
    which computes exactly what running them step by step does (a masked step
    keeps every cell's states either way), with one input projection per cell.

    Args:
        cells: a list of cells.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells or not all(isinstance(c, RNNCell) for c in cells):
            raise TypeError("`cells` must be a non-empty list of recurrent cells (SimpleRNNCell, "
                            f"LSTMCell, GRUCell, ...). Received: cells={cells!r}.")
        self.cells = cells
        self.state_size = [n for c in cells for n in c.state_size]
        self.output_size = cells[-1].output_size

    def _sublayers(self):
        return list(self.cells)

    def get_config(self):
        return {**super().get_config(), "cells": [_serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cells"] = [_deserialize_layer(c) for c in config["cells"]]
        return cls(**config)


def _serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


# The layer registry's ``deserialize``. kerasite/layers/__init__.py sets it when it
# loads: the package imports this module, so this module does not import the package.
DESERIALIZE = []


def _deserialize_layer(config):
    return DESERIALIZE[0](config)


class RNN(Layer):
    """Runs a recurrent cell over the time axis of a sequence, as ``keras.layers.RNN``.

    Args:
        cell: a cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, your own
            ``RNNCell``), or a list of cells, stacked.
        return_sequences: return the output of every step,
            ``(batch, timesteps, units)``, instead of the last one,
            ``(batch, units)``.
        return_state: also return the final states: the layer returns
            ``[output, *states]``.
        go_backwards: read the sequence from its end; with
            ``return_sequences`` the outputs come in that reversed order, as
            in Keras.
        stateful: the final states of a batch are the initial states of the
            next (sample ``i`` continues sample ``i``), until
            ``reset_states()``. Needs a fixed batch size.
        unroll: accepted for Keras compatibility; the loop always runs in Python.
        zero_output_for_mask: a masked step outputs zeros (with
            ``return_sequences``) instead of repeating the previous output.

    Call arguments:
        inputs: ``(batch, timesteps, features)``.
        initial_state: a list of ``(batch, size)`` arrays or symbolic tensors,
            one per state (LSTM: ``[h, c]``).
        mask: booleans ``(batch, timesteps)``, ``False`` at the padded steps;
            a masked step keeps the previous states (and output).

    Gradients: ``backward`` takes d loss / d output (a list
    ``[d_output, *d_states]`` with ``return_state``) and returns d loss / d
    inputs (a list ``[d_inputs, *d_initial_states]`` when the initial states
    were passed in). Stateful layers do not back-propagate into earlier
    batches (truncated BPTT).

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> rnn = layers.RNN(layers.SimpleRNNCell(3), return_sequences=True)
        >>> rnn.forward(np.zeros((2, 5, 4), dtype="float32")).shape
        (2, 5, 3)
    """

    _cache_attrs = ("_call",)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, (RNNCell, StackedRNNCells)):
            raise TypeError(
                "`cell` must be a recurrent cell (SimpleRNNCell, LSTMCell, GRUCell, a subclass "
                "of kerasite.layers.RNNCell) or a list of them. Received: "
                f"cell={cell!r}.")
        self.cell = cell
        self.return_sequences = boolean(return_sequences, "return_sequences")
        self.return_state = boolean(return_state, "return_state")
        self.go_backwards = boolean(go_backwards, "go_backwards")
        self.stateful = boolean(stateful, "stateful")
        self.unroll = boolean(unroll, "unroll")
        self.zero_output_for_mask = boolean(zero_output_for_mask, "zero_output_for_mask")
        self.supports_masking = True
        self.states = None  # the carried states of a stateful layer

    @property
    def _cells(self):
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def _sublayers(self):
        return self._cells

    def set_epoch(self, epoch):
        """Restarts the cells' dropout masks for ``epoch`` (called by ``fit``)."""
        for cell in self._cells:
            cell.set_epoch(epoch)

    def clear_cache(self):
        super().clear_cache()
        for cell in self._cells:
            cell.clear_cache()

    # ------------------------------------------------------------------ building
    def __call__(self, inputs, training=False, initial_state=None, mask=None, **kwargs):
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            inputs = [inputs, *states]
        # The base class hands `mask=` to forward, on data and under a tape alike.
        return super().__call__(inputs, training=training, mask=mask)

    def build(self, input_shape):
        seq_shape = self._sequence_shape(input_shape)
        if self.stateful and seq_shape[0] is None:
            raise ValueError(
                f"Layer '{self.name}' is stateful, so it needs to know its batch size: the "
                "states of sample i carry over to sample i of the next batch. Give the input a "
                "fixed batch size, e.g. kerasite.Input(shape=(timesteps, features), "
                "batch_size=32). Received an input of shape "
                f"{tuple(seq_shape)} (batch size None).")
        features = seq_shape[-1]
        for cell in self._cells:
            cell.ensure_built((seq_shape[0], features))
            features = cell.output_size
        # The cells' weights are the layer's, as Keras's lstm.weights are its cell's.
        stacked = len(self._cells) > 1
        for i, cell in enumerate(self._cells):
            prefix = f"cell_{i}_" if stacked else ""
            for key, variable in cell._variables.items():
                self._variables[prefix + key] = variable
            for key, reg in cell.regularizers.items():
                self.regularizers[prefix + key] = reg
            for key, con in cell.constraints.items():
                self.constraints[prefix + key] = con
        self.input_shape = (None, None, seq_shape[-1])
        self.built = True

    def ensure_built(self, input_shape):
        if self.built:
            shape = self._sequence_shape(input_shape)
            if shape[-1] != self.input_shape[-1]:
                self._raise_shape_mismatch(shape)
            return
        self.build(input_shape)

    def _sequence_shape(self, input_shape):
        """The sequence's shape from ``input_shape`` (a list when initial states are passed)."""
        if isinstance(input_shape, list) and input_shape and \
                isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs sequences, 3-D inputs "
                "(batch, timesteps, features). Received an input of shape "
                f"{shape}. For a (batch, features) array of one feature per step, reshape it "
                "with x.reshape(batch, timesteps, 1) (or x[..., None]); in a model, add "
                "layers.Reshape((timesteps, features)) before this layer.")
        return shape

    @property
    def state_size(self):
        return self.cell.state_size

    def compute_output_shape(self, input_shape):
        batch, steps, _ = self._sequence_shape(input_shape)
        units = self.cell.output_size
        out = (batch, steps, units) if self.return_sequences else (batch, units)
        if not self.return_state:
            return out
        return [out, *[(batch, n) for n in self.cell.state_size]]

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the input's, with ``return_sequences`` (else ``None``)."""
        if mask is None or not self.return_sequences:
            return [None] * (1 + len(self.state_size)) if self.return_state else None
        if self.go_backwards:
            mask = mask[:, ::-1]
        return [mask] + [None] * len(self.state_size) if self.return_state else mask

    # ------------------------------------------------------------------ running
    def forward(self, x, training=False, mask=None):
        if not self.built:
            self.ensure_built(_shapes_of(x))
        return self.call(x, training, mask=mask)

    def call(self, inputs, training=False, mask=None):
        if isinstance(inputs, (list, tuple)):
            x, initial = inputs[0], list(inputs[1:])
        else:
            x, initial = inputs, None
        x = np.asarray(x)
        shape = self._sequence_shape(x.shape)
        if shape[-1] != self.input_shape[-1]:
            self._raise_shape_mismatch(shape)
        batch, steps = shape[:2]
        if isinstance(mask, (list, tuple)):  # [x's mask, the states' (None)]
            mask = mask[0]
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (batch, steps):
                raise ValueError(
                    f"Layer '{self.name}' got a mask of shape {mask.shape} for inputs of shape "
                    f"{shape}: the mask must be (batch, timesteps) = {(batch, steps)}, True at "
                    "the real steps and False at the padded ones.")
            mask = np.ascontiguousarray(mask.astype(bool).T)  # time-major
        xs = x.transpose(1, 0, 2)
        if self.go_backwards:
            xs = xs[::-1]
            mask = None if mask is None else mask[::-1]
        xs = np.ascontiguousarray(xs, dtype=self._cells[0]._dtype())
        states = self._initial_states(initial, batch, xs.dtype)
        finals, seq = [], xs
        for i, cell in enumerate(self._cells):
            n = len(cell.state_size)
            last = i == len(self._cells) - 1
            seq, final = cell.run(seq, states[:n], mask, training,
                                  self.zero_output_for_mask and last)
            states = states[n:]
            finals.extend(final)
        if self.stateful:
            self.states = [f.copy() for f in finals]
        self._call = (batch, steps, initial is not None, xs.dtype)
        out = seq.transpose(1, 0, 2).copy() if self.return_sequences else seq[-1].copy()
        if self.return_state:
            return [out, *[f.copy() for f in finals]]
        return out

    def _initial_states(self, initial, batch, dtype):
        sizes = self.cell.state_size
        if initial is not None:
            if len(initial) != len(sizes):
                raise ValueError(
                    f"Layer '{self.name}' has {len(sizes)} states (sizes {list(sizes)}), so "
                    f"`initial_state` must be a list of {len(sizes)} arrays. Received "
                    f"{len(initial)}.")
            states = [np.asarray(s, dtype=dtype) for s in initial]
            for s, n in zip(states, sizes):
                if s.shape != (batch, n):
                    raise ValueError(
                        f"Layer '{self.name}': an initial state must be (batch, size) = "
                        f"{(batch, n)}. Received an array of shape {s.shape}.")
            return states
        if self.stateful and self.states is not None:
            if self.states[0].shape[0] != batch:
                raise ValueError(
                    f"Layer '{self.name}' is stateful and holds states for batches of "
                    f"{self.states[0].shape[0]} samples. Received a batch of {batch}: keep the "
                    "batch size fixed (drop the last, smaller batch), or call reset_states().")
            return self.states
        return [np.zeros((batch, n), dtype=dtype) for n in sizes]

    def reset_states(self, states=None):
        """Resets a stateful layer's states to zeros (or to ``states``, a list of arrays)."""
        if not self.stateful:
            raise ValueError(f"Layer '{self.name}' is not stateful: it keeps no states to "
                             "reset. Pass stateful=True to carry states across batches.")
        self.states = None if states is None else [np.array(s) for s in states]

    reset_state = reset_states

    def backward(self, grad_output, need_input_grad=True):
        batch, steps, has_initial, dtype = self._call
        if self.return_state:
            g_out, g_states = grad_output[0], list(grad_output[1:])
        else:
            g_out, g_states = grad_output, [None] * len(self.cell.state_size)
        units = self.cell.output_size
        d_ys = self._workspace("d_ys", (steps, batch, units), dtype)
        if self.return_sequences:
            np.copyto(d_ys, np.asarray(g_out).transpose(1, 0, 2))
        else:
            d_ys.fill(0)
            d_ys[-1] = g_out
        cells = self._cells
        offsets = np.cumsum([0] + [len(c.state_size) for c in cells])
        d_initial = [None] * len(cells)
        for i in range(len(cells) - 1, -1, -1):
            want = need_input_grad or i > 0
            d_xs, d_initial[i] = cells[i].run_backward(
                d_ys, g_states[offsets[i]:offsets[i + 1]], need_input_grad=want)
            d_ys = d_xs
        if not need_input_grad:
            return None
        if self.go_backwards:
            d_ys = d_ys[::-1]
        dx = d_ys.transpose(1, 0, 2).copy()
        if not has_initial:
            return dx
        return [dx, *[d.copy() for ds in d_initial for d in ds]]

    # -------------------------------------------------------------------- config
    def get_config(self):
        config = {**super().get_config(), "return_sequences": self.return_sequences,
                  "return_state": self.return_state, "go_backwards": self.go_backwards,
                  "stateful": self.stateful, "unroll": self.unroll,
                  "zero_output_for_mask": self.zero_output_for_mask}
        if type(self) is RNN:
            config["cell"] = _serialize_layer(self.cell)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is RNN:
            config["cell"] = _deserialize_layer(config["cell"])
        return cls(**config)


def _shapes_of(x):
    if isinstance(x, (list, tuple)):
        return [np.shape(v) for v in x]
    return np.shape(x)



class CellLayer(RNN):
    """An ``RNN`` that makes its own cell from its arguments (SimpleRNN, LSTM, GRU).

    The arguments of the cell class (``units``, ``activation``, the
    initializers, ``dropout``, ...) go to the cell; the others
    (``return_sequences``, ``stateful``, ``name``, ...) to ``RNN``. The cell's
    settings read through the layer too: ``LSTM(4).units`` is 4.
    """

    cell_class = None

    def __init__(self, units, **kwargs):
        cell_args = {"units": units}
        for klass in type(self).cell_class.__mro__:
            if "__init__" in klass.__dict__ and klass is not Layer:
                for name in inspect.signature(klass.__init__).parameters:
                    if name in kwargs and name not in ("self", "kwargs"):
                        cell_args[name] = kwargs.pop(name)
        layer_name = kwargs.get("name")
        cell = type(self).cell_class(
            name=f"{layer_name}_cell" if layer_name else None, **cell_args)
        super().__init__(cell, **kwargs)

    def __getattr__(self, name):
        # Only called for names the layer lacks: the cell's settings (units, activation, ...).
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("_") or name in ("states",):
            raise AttributeError(name)
        return getattr(cell, name)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable"):
            cell_config.pop(key, None)
        return {**config, **cell_config}
