"""The recurrent layers in Keras files, against real Keras 3 (JAX), both ways.

kerasite writes ``.keras``, ``.h5`` and ``.weights.h5`` files of models holding
every recurrent layer (masks, variable lengths, stacked cells, Bidirectional,
TimeDistributed); Keras, in a subprocess, loads them and must predict what
kerasite predicted. Then Keras writes the same models and kerasite reads them.
Without Keras the module is skipped.
"""
import json

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

import kerasite  # noqa: E402
from kerasite import layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402
from tests.test_keras_format import needs_keras, run_keras  # noqa: E402

pytestmark = needs_keras
TOL = {"rtol": 1e-4, "atol": 1e-5}  # float32 on both sides, through a few dozen steps


def _models():
    """name -> (kerasite model, input batch)."""
    rng = np.random.default_rng(0)
    inp = kerasite.Input((None, 3), name="seq")
    h = layers.Masking()(inp)
    h = layers.LSTM(4, return_sequences=True)(h)
    h = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum")(h)
    h = layers.TimeDistributed(layers.Dense(2, activation="tanh"))(h)
    seq = kerasite.Model(inp, layers.SimpleRNN(2)(h), name="seq_model")
    x_seq = rng.normal(size=(3, 6, 3)).astype("float32")
    x_seq[0, 4:] = 0  # padding, masked

    tokens = kerasite.Input((None,), dtype="int32", name="tokens")
    e = layers.Embedding(10, 4, mask_zero=True)(tokens)
    e = layers.Bidirectional(layers.LSTM(3))(e)
    text = kerasite.Model(tokens, layers.Dense(1, activation="sigmoid")(e), name="text")
    x_text = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [9, 0, 0, 0, 0]], dtype="float32")

    fixed = kerasite.Input((5, 3), name="fixed")
    s = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2, reset_after=False)],
                   return_sequences=True)(fixed)
    s = layers.GRU(2, go_backwards=True)(s)
    stacked = kerasite.Model(fixed, s, name="stacked")
    x_fixed = rng.normal(size=(2, 5, 3)).astype("float32")
    models = {"seq": (seq, x_seq), "text": (text, x_text), "stacked": (stacked, x_fixed)}
    for model, _ in models.values():
        for leaf in model._leaf_layers():
            for w in leaf.params.values():
                w[...] = rng.normal(0, 0.5, w.shape)
    return models


_KERAS_READS = """
import json
out = {}
for name in sys.argv[2].split(","):
    base = os.path.join(sys.argv[1], name)
    x = np.load(base + ".x.npy")
    if name == "text":
        x = x.astype("int32")
    got = {}
    for fmt in (".keras", ".h5"):
        model = keras.models.load_model(base + fmt, compile=False)
        got[fmt] = np.asarray(model.predict(x, verbose=0)).tolist()
    model = keras.models.load_model(base + ".keras", compile=False)
    for w in model.weights:
        w.assign(np.zeros(w.shape, w.dtype))
    model.load_weights(base + ".weights.h5")
    got[".weights.h5"] = np.asarray(model.predict(x, verbose=0)).tolist()
    out[name] = got
print(json.dumps(out))
"""


@pytest.mark.slow
def test_keras_predicts_kerasite_recurrent_files(tmp_path):
    models = _models()
    expected = {}
    for name, (model, x) in models.items():
        expected[name] = model.predict(x, verbose=0)
        np.save(tmp_path / f"{name}.x.npy", x)
        model.save(tmp_path / f"{name}.keras")
        model.save(tmp_path / f"{name}.h5")
        model.save_weights(tmp_path / f"{name}.weights.h5")
    out = json.loads(run_keras(_KERAS_READS, tmp_path, ",".join(models)).splitlines()[-1])
    for name, got in out.items():
        for fmt, pred in got.items():
            np.testing.assert_allclose(np.array(pred), expected[name], **TOL,
                                       err_msg=f"{name}{fmt}")


_KERAS_WRITES = """
rng = np.random.default_rng(1)
L = keras.layers
inp = keras.Input((None, 3), name="seq")
h = L.Masking()(inp)
h = L.LSTM(4, return_sequences=True)(h)
h = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="concat")(h)
h = L.TimeDistributed(L.Dense(2, activation="tanh"))(h)
seq = keras.Model(inp, L.SimpleRNN(2, activation="relu")(h))
x_seq = rng.normal(size=(3, 6, 3)).astype("float32")
x_seq[0, 4:] = 0
tokens = keras.Input((None,), dtype="int32")
e = L.Embedding(10, 4, mask_zero=True)(tokens)
e = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave")(e)
text = keras.Model(tokens, L.GRU(2)(e))
x_text = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]], dtype="int32")
fixed = keras.Input((5, 3))
s = L.RNN([L.SimpleRNNCell(3), L.LSTMCell(2, unit_forget_bias=False)], return_sequences=True)(fixed)
s = L.Bidirectional(L.LSTM(2), backward_layer=L.GRU(3, go_backwards=True))(s)
stacked = keras.Model(fixed, s)
for name, model, x in (("seq", seq, x_seq), ("text", text, x_text), ("stacked", stacked,
                                                                      rng.normal(size=(2, 5, 3)).astype("float32"))):
    for w in model.weights:
        w.assign(rng.normal(0, 0.5, w.shape).astype("float32"))
    base = os.path.join(sys.argv[1], name)
    np.save(base + ".x.npy", x)
    np.save(base + ".y.npy", np.asarray(model.predict(x, verbose=0)))
    model.save(base + ".keras")
    model.save(base + ".h5")
    model.save_weights(base + ".weights.h5")
"""


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [".keras", ".h5", ".weights.h5"])
def test_kerasite_predicts_keras_recurrent_files(tmp_path_factory, fmt):
    folder = _keras_written(tmp_path_factory)
    for name in ("seq", "text", "stacked"):
        base = folder / name
        x, y = np.load(f"{base}.x.npy"), np.load(f"{base}.y.npy")
        if fmt == ".weights.h5":
            model = load_model(f"{base}.keras")
            for leaf in model._leaf_layers():
                for w in leaf.params.values():
                    w[...] = 0
            model.load_weights(f"{base}.weights.h5")
        else:
            model = load_model(f"{base}{fmt}")
        np.testing.assert_allclose(model.predict(x, verbose=0), y, **TOL, err_msg=name)


_WRITTEN = {}


def _keras_written(tmp_path_factory):
    if "dir" not in _WRITTEN:
        folder = tmp_path_factory.mktemp("keras_rnn")
        run_keras(_KERAS_WRITES, folder)
        _WRITTEN["dir"] = folder
    return _WRITTEN["dir"]
