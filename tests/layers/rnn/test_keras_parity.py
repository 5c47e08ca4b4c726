"""The recurrent layers against Keras 3: same weights, same outputs and gradients.

Reference values computed with Keras 3.15.1 on JAX (in float32) by
tests/layers/rnn/make_keras_reference.py, stored in tests/data/rnn_keras_reference.json.
Each case holds the input, the mask and initial states if any, the weights in
Keras's order, the outputs, and the gradients of ``sum_k sum(output_k * upstream_k)``
with respect to the input, the weights and the initial states.
"""

import json
import pathlib

import numpy as np
import pytest

from kerasite import layers

REFERENCE = json.loads((pathlib.Path(__file__).resolve().parents[2] / "data" /
                        "rnn_keras_reference.json").read_text())
CASES = sorted(k for k in REFERENCE if k != "keras_version")


def make_layer(kind, args):
    """The kerasite layer of a case, from the same arguments Keras got."""
    args = dict(args)
    if kind == "RNN":
        args["cell"] = [getattr(layers, k)(**a) for k, a in args.pop("cells")]
    for key in ("layer", "backward_layer"):
        if key in args:
            args[key] = make_layer(*args[key])
    return getattr(layers, kind)(**args)


def run_case(name):
    case = REFERENCE[name]
    layer = make_layer(case["kind"], case["args"])
    x = np.array(case["x"], dtype="float64")
    mask = None if case["mask"] is None else np.array(case["mask"], dtype=bool)
    initial = case["initial_state"]
    inputs = x if initial is None else [x, *[np.array(s, dtype="float64") for s in initial]]
    layer.ensure_built([np.shape(v) for v in inputs] if initial is not None else x.shape)
    layer.set_weights([np.array(w) for w in case["weights"]])
    out = layer.forward(inputs, mask=mask) if mask is not None else layer.forward(inputs)
    outs = out if isinstance(out, list) else [out]
    upstream = [np.array(u, dtype="float64") for u in case["upstream"]]
    dx = layer.backward(upstream if len(upstream) > 1 else upstream[0])
    return case, layer, outs, dx


@pytest.mark.parametrize("name", CASES)
def test_outputs_equal_keras(name, float64):
    case, _, outs, _ = run_case(name)
    assert len(outs) == len(case["outputs"])
    for got, want in zip(outs, case["outputs"]):
        np.testing.assert_allclose(got, np.array(want), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("name", CASES)
def test_input_and_weight_gradients_equal_keras(name, float64):
    case, layer, _, dx = run_case(name)
    if case["initial_state"] is not None:
        dx, d_states = dx[0], dx[1:]
        for got, want in zip(d_states, case["d_initial_state"]):
            np.testing.assert_allclose(got, np.array(want), rtol=1e-4, atol=5e-5)
    np.testing.assert_allclose(dx, np.array(case["d_x"]), rtol=1e-4, atol=5e-5)
    grads = [layer.grads[k] for k in layer.params]
    assert [g.shape for g in grads] == [np.shape(w) for w in case["weights"]]
    for key, got, want in zip(layer.params, grads, case["d_weights"]):
        np.testing.assert_allclose(got, np.array(want), rtol=1e-4, atol=5e-5, err_msg=key)


def test_the_weight_names_and_shapes_are_keras_s():
    case = REFERENCE["lstm"]
    assert [p.split("/")[-1] for p in case["weight_names"]] == \
        ["kernel", "recurrent_kernel", "bias"]
    layer = layers.LSTM(3)
    layer.ensure_built((None, 5, 4))
    assert {k: v.shape for k, v in layer.params.items()} == \
        {"kernel": (4, 12), "recurrent_kernel": (3, 12), "bias": (12,)}
    gru = layers.GRU(3)
    gru.ensure_built((None, 5, 4))
    assert gru.params["bias"].shape == (2, 9)
