"""Writes tests/data/rnn_keras_reference.json: Keras 3's outputs and gradients for the
recurrent layers, from fixed weights. Run with Keras 3 on JAX (in float32: Keras 3.15's
type promotion turns float64 tanh and sigmoid into float32):

    KERAS_BACKEND=jax python tests/layers/rnn/make_keras_reference.py

For each case the file holds the layer (a kind and its arguments, the same for
kerasite and Keras), the input, the mask and initial states if any, the
weights in Keras's order, the outputs, and the gradients of
``sum_k sum(output_k * upstream_k)`` with respect to the input, the weights and
the initial states. The tests only read the file; they never import keras.
"""

import json
import pathlib

import numpy as np

# name -> (kind, arguments, input shape, mask?, initial states?)
CASES = {
    "simple_rnn": ("SimpleRNN", {"units": 3}, (2, 5, 4), False, False),
    "simple_rnn_sequences_relu": ("SimpleRNN", {"units": 3, "return_sequences": True,
                                                "activation": "relu"}, (2, 5, 4), False, False),
    "simple_rnn_backwards_masked": ("SimpleRNN", {"units": 3, "return_sequences": True,
                                                  "go_backwards": True}, (3, 5, 4), True, False),
    "lstm": ("LSTM", {"units": 3}, (2, 5, 4), False, False),
    "lstm_sequences": ("LSTM", {"units": 3, "return_sequences": True}, (2, 5, 4), False, False),
    "lstm_backwards": ("LSTM", {"units": 3, "go_backwards": True, "return_sequences": True},
                       (2, 5, 4), False, False),
    "lstm_no_bias_hard_sigmoid": ("LSTM", {"units": 2, "use_bias": False,
                                           "recurrent_activation": "hard_sigmoid"},
                                  (2, 4, 3), False, False),
    "lstm_masked": ("LSTM", {"units": 3, "return_sequences": True}, (3, 5, 4), True, False),
    "lstm_masked_last": ("LSTM", {"units": 3}, (3, 5, 4), True, False),
    "lstm_state": ("LSTM", {"units": 3, "return_state": True, "return_sequences": True},
                   (2, 5, 4), False, True),
    "gru": ("GRU", {"units": 3}, (2, 5, 4), False, False),
    "gru_sequences": ("GRU", {"units": 3, "return_sequences": True}, (2, 5, 4), False, False),
    "gru_reset_before": ("GRU", {"units": 3, "reset_after": False, "return_sequences": True},
                         (2, 5, 4), False, False),
    "gru_masked_backwards": ("GRU", {"units": 3, "go_backwards": True}, (3, 5, 4), True, False),
    "gru_state": ("GRU", {"units": 3, "return_state": True}, (2, 5, 4), False, True),
    "stacked": ("RNN", {"cells": [("LSTMCell", {"units": 3}), ("GRUCell", {"units": 2})],
                        "return_sequences": True}, (2, 5, 4), False, False),
    "stacked_masked_state": ("RNN", {"cells": [("SimpleRNNCell", {"units": 3}),
                                               ("LSTMCell", {"units": 2})],
                                     "return_state": True}, (3, 5, 4), True, False),
    "bidirectional_concat": ("Bidirectional", {"layer": ("LSTM", {"units": 3})},
                             (2, 5, 4), False, False),
    "bidirectional_sum_sequences": ("Bidirectional", {"layer": ("GRU", {"units": 3,
                                                                        "return_sequences": True}),
                                                      "merge_mode": "sum"},
                                    (2, 5, 4), False, False),
    "bidirectional_mul": ("Bidirectional", {"layer": ("SimpleRNN", {"units": 3}),
                                            "merge_mode": "mul"}, (2, 5, 4), False, False),
    "bidirectional_ave_masked": ("Bidirectional", {"layer": ("LSTM", {"units": 3,
                                                                      "return_sequences": True}),
                                                   "merge_mode": "ave"}, (3, 5, 4), True, False),
    "bidirectional_none": ("Bidirectional", {"layer": ("LSTM", {"units": 2}),
                                             "merge_mode": None}, (2, 5, 4), False, False),
    "bidirectional_backward_layer": ("Bidirectional", {
        "layer": ("LSTM", {"units": 3, "return_sequences": True}),
        "backward_layer": ("GRU", {"units": 2, "return_sequences": True,
                                   "go_backwards": True})}, (2, 5, 4), False, False),
    "time_distributed_dense": ("TimeDistributed", {"layer": ("Dense", {"units": 3,
                                                                       "activation": "tanh"})},
                               (2, 5, 4), False, False),
}


def make_layer(keras, kind, args):
    args = dict(args)
    if kind == "RNN":
        args["cell"] = [getattr(keras.layers, k)(**a) for k, a in args.pop("cells")]
    for key in ("layer", "backward_layer"):
        if key in args:
            args[key] = make_layer(keras, *args[key])
    return getattr(keras.layers, kind)(**args)


def main():
    import jax
    import keras
    rng = np.random.default_rng(0)
    out = {"keras_version": keras.__version__}
    for name, (kind, args, shape, masked, with_state) in CASES.items():
        layer = make_layer(keras, kind, args)
        x = rng.normal(size=shape).astype(np.float32)
        mask = None
        if masked:  # padded at the end, at the start, and not at all
            mask = np.ones(shape[:2], bool)
            mask[0, 3:] = False
            mask[-1, 0] = False
        initial = None
        if with_state:
            n_states = 2 if kind == "LSTM" else 1
            initial = [rng.normal(size=(shape[0], args["units"])).astype(np.float32) for _ in range(n_states)]
        layer.build(shape)
        weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                   for w in layer.trainable_weights]
        for w, value in zip(layer.trainable_weights, weights):
            w.assign(value)
        outputs = layer(x, mask=mask, initial_state=initial) if initial else layer(x, mask=mask) \
            if mask is not None else layer(x)
        outputs = keras.tree.flatten(outputs)  # a stacked RNN nests its states per cell
        upstream = [rng.normal(size=o.shape).astype(np.float32) for o in outputs]

        frozen = [np.asarray(v) for v in layer.non_trainable_variables]

        def objective(variables, x, initial):
            values = [v for v in variables]
            kwargs = {} if mask is None else {"mask": mask}
            if initial is not None:
                kwargs["initial_state"] = initial
            res, _ = layer.stateless_call(values, frozen, x, **kwargs)
            res = keras.tree.flatten(res)
            return sum((r * u).sum() for r, u in zip(res, upstream))

        g_w, g_x, g_init = jax.grad(objective, argnums=(0, 1, 2))(
            [np.asarray(w) for w in weights], x, initial)
        out[name] = {
            "kind": kind, "args": args, "x": x.tolist(),
            "mask": None if mask is None else mask.tolist(),
            "initial_state": None if initial is None else [s.tolist() for s in initial],
            "weight_names": [w.path for w in layer.trainable_weights],
            "weights": [w.tolist() for w in weights],
            "outputs": [np.asarray(o).tolist() for o in outputs],
            "upstream": [u.tolist() for u in upstream],
            "d_x": np.asarray(g_x).tolist(),
            "d_weights": [np.asarray(g).tolist() for g in g_w],
            "d_initial_state": None if g_init is None else [np.asarray(g).tolist()
                                                            for g in g_init],
        }
    path = pathlib.Path(__file__).resolve().parents[2] / "data" / "rnn_keras_reference.json"
    path.write_text(json.dumps(out))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
