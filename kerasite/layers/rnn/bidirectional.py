"""``Bidirectional``: one recurrent layer reads the sequence forwards, a second backwards."""

import numpy as np

from kerasite._validation import one_of
from kerasite.layers.base import Layer
from kerasite.layers.rnn.base import RNN, _deserialize_layer, _serialize_layer, run_both

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two.

    With ``return_sequences`` the backward layer's outputs are turned back
    into time order before merging, so step ``t`` of the result joins what
    both directions computed at step ``t``. With two cores or more the two
    directions run at the same time, on two threads.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``);
            it is copied, unbuilt, for each direction.
        merge_mode: how to join the two outputs: ``"concat"`` (the default,
            ``2 * units`` features), ``"sum"``, ``"mul"``, ``"ave"``, or
            ``None`` (a list of the two outputs).
        backward_layer: the layer for the backward direction, if not a copy of
            ``layer``; it must have ``go_backwards=True`` and the same
            ``return_sequences`` and ``return_state``.

    Shapes:
        input ``(batch, timesteps, features)``; output ``(batch, [timesteps,]
        2 * units)`` with concat, ``(batch, [timesteps,] units)`` otherwise.
        With ``return_state`` the forward layer's states follow the output,
        then the backward layer's.

    Example:
        >>> import numpy as np
        >>> from kerasite import layers
        >>> layer = layers.Bidirectional(layers.LSTM(4))
        >>> layer.forward(np.ones((2, 3, 5))).shape
        (2, 8)
    """

    _cache_attrs = ("_outs", "_has_initial")

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, RNN):
            raise TypeError("`layer` must be a recurrent layer (LSTM, GRU, SimpleRNN or RNN). "
                            f"Received: layer={layer!r}.")
        if weights is not None:
            raise ValueError("`weights` is not supported: call set_weights() after building.")
        super().__init__(**kwargs)
        self.merge_mode = one_of(merge_mode, "merge_mode", _MERGE_MODES)
        self._layer_config = _serialize_layer(layer)
        self.forward_layer = _copy(layer, f"forward_{layer.name}", layer.go_backwards)
        if backward_layer is None:
            self.backward_layer = _copy(layer, f"backward_{layer.name}", not layer.go_backwards)
            self._backward_config = None
        else:
            if not isinstance(backward_layer, RNN):
                raise TypeError("`backward_layer` must be a recurrent layer. Received: "
                                f"backward_layer={backward_layer!r}.")
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(
                        f"`backward_layer` must have the same `{attr}` as `layer`. Received: "
                        f"{getattr(layer, attr)} and {getattr(backward_layer, attr)}.")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("`backward_layer` must read the sequence the other way: pass "
                                 "go_backwards=True to it.")
            self._backward_config = _serialize_layer(backward_layer)
            self.backward_layer = backward_layer
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        # As in Keras, a masked step gives zeros in the sequences, so the two halves line up.
        for rnn in (self.forward_layer, self.backward_layer):
            rnn.zero_output_for_mask = rnn.zero_output_for_mask or self.return_sequences

    def set_epoch(self, epoch):
        """Restarts both directions' dropout masks for ``epoch``."""
        self.forward_layer.set_epoch(epoch)
        self.backward_layer.set_epoch(epoch)

    def clear_cache(self):
        super().clear_cache()
        self.forward_layer.clear_cache()
        self.backward_layer.clear_cache()

    def __call__(self, inputs, training=False, initial_state=None, mask=None, **kwargs):
        if initial_state is not None:
            inputs = [inputs, *list(initial_state)]
        # The base class hands `mask=` to forward, on data and under a tape alike.
        return super().__call__(inputs, training=training, mask=mask)

    def build(self, input_shape):
        seq, initial = _split(input_shape)
        self.forward_layer.ensure_built(seq)
        self.backward_layer.ensure_built(seq)
        # Keras's order: the forward layer's weights, then the backward layer's.
        for side, rnn in (("forward", self.forward_layer), ("backward", self.backward_layer)):
            for key, variable in rnn._variables.items():
                self._variables[f"{side}_{key}"] = variable
            for key, reg in rnn.regularizers.items():
                self.regularizers[f"{side}_{key}"] = reg
            for key, con in rnn.constraints.items():
                self.constraints[f"{side}_{key}"] = con
        self.input_shape = (None, None, tuple(seq)[-1])
        self.built = True

    def ensure_built(self, input_shape):
        if not self.built:
            self.build(input_shape)
        else:
            self.forward_layer.ensure_built(_split(input_shape)[0])

    def compute_output_shape(self, input_shape):
        seq, _ = _split(input_shape)
        f = self.forward_layer.compute_output_shape(seq)
        b = self.backward_layer.compute_output_shape(seq)
        f_out, f_states = (f[0], f[1:]) if self.return_state else (f, [])
        b_out, b_states = (b[0], b[1:]) if self.return_state else (b, [])
        if self.merge_mode is None:
            outs = [f_out, b_out]
        elif self.merge_mode == "concat":
            outs = [(*f_out[:-1], f_out[-1] + b_out[-1])]
        else:
            outs = [f_out]
        outs = outs + list(f_states) + list(b_states)
        return outs if len(outs) > 1 else outs[0]

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            out = None
        else:
            out = mask
        n = (2 if self.merge_mode is None else 1)
        extra = 2 * len(self.forward_layer.state_size) if self.return_state else 0
        if n + extra == 1:
            return out
        return [out] * n + [None] * extra

    # Forward: y = merge(forward(x), flip(backward(x)))  (flip only for sequences)
    # Backward: split dy by the merge's derivative, flip the backward half, add the dx's.
    def forward(self, x, training=False, mask=None):
        if not self.built:
            self.ensure_built(_shapes_of(x))
        return self.call(x, training, mask=mask)

    def call(self, inputs, training=False, mask=None):
        seq, initial = _split(inputs)
        self._has_initial = initial is not None
        f_in, b_in = seq, seq
        if initial is not None:
            half = len(initial) // 2
            f_in, b_in = [seq, *initial[:half]], [seq, *initial[half:]]
        f, b = run_both(lambda: self.forward_layer.forward(f_in, training, mask=mask),
                        lambda: self.backward_layer.forward(b_in, training, mask=mask))
        f_out, f_states = (f[0], f[1:]) if self.return_state else (f, [])
        b_out, b_states = (b[0], b[1:]) if self.return_state else (b, [])
        if self.return_sequences:
            b_out = b_out[:, ::-1]
        self._outs = (f_out, b_out)
        mode = self.merge_mode
        if mode is None:
            outs = [f_out, np.ascontiguousarray(b_out)]
        elif mode == "concat":
            outs = [np.concatenate([f_out, b_out], axis=-1)]
        elif mode == "sum":
            outs = [f_out + b_out]
        elif mode == "mul":
            outs = [f_out * b_out]
        else:
            outs = [(f_out + b_out) * 0.5]
        outs = outs + list(f_states) + list(b_states)
        return outs if len(outs) > 1 else outs[0]

    def backward(self, grad_output, need_input_grad=True):
        grads = list(grad_output) if isinstance(grad_output, (list, tuple)) else [grad_output]
        f_out, b_out = self._outs
        mode = self.merge_mode
        if mode is None:
            g_f, g_b, rest = grads[0], grads[1], grads[2:]
        else:
            g, rest = grads[0], grads[1:]
            if mode == "concat":
                n = f_out.shape[-1]
                g_f, g_b = g[..., :n], g[..., n:]
            elif mode == "sum":
                g_f = g_b = g
            elif mode == "mul":
                g_f, g_b = g * b_out, g * f_out
            else:
                g_f = g_b = g * 0.5
        if self.return_sequences:
            g_b = g_b[:, ::-1]
        g_f, g_b = np.ascontiguousarray(g_f), np.ascontiguousarray(g_b)
        if self.return_state:
            half = len(rest) // 2
            g_f, g_b = [g_f, *rest[:half]], [g_b, *rest[half:]]
        d_f, d_b = run_both(lambda: self.forward_layer.backward(g_f, need_input_grad),
                            lambda: self.backward_layer.backward(g_b, need_input_grad))
        if not need_input_grad:
            return None
        if not self._has_initial:
            return d_f + d_b
        return [d_f[0] + d_b[0], *d_f[1:], *d_b[1:]]

    def get_config(self):
        config = {**super().get_config(), "layer": self._layer_config,
                  "merge_mode": self.merge_mode}
        if self._backward_config is not None:
            config["backward_layer"] = self._backward_config
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize_layer(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize_layer(config["backward_layer"])
        return cls(**config)


def _copy(layer, name, go_backwards):
    """A fresh, unbuilt copy of ``layer`` under ``name``, reading in the given direction."""
    config = {**layer.get_config(), "name": name, "go_backwards": go_backwards}
    return type(layer).from_config(config)


def _split(inputs):
    """``(sequence, initial states or None)`` from an input or a list ``[x, *states]``."""
    if isinstance(inputs, list) and inputs and not np.isscalar(inputs[0]) and \
            (isinstance(inputs[0], (list, tuple)) or hasattr(inputs[0], "shape")):
        return inputs[0], (list(inputs[1:]) or None)
    return inputs, None


def _shapes_of(x):
    if isinstance(x, (list, tuple)):
        return [np.shape(v) for v in x]
    return np.shape(x)
