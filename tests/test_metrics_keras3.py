"""The metric objects added for Keras parity, against values Keras gives.

tests/data/keras_metrics_round3.json was computed with Keras 3.15.1 on JAX by
tests/make_keras_metric_reference.py: each case updates the metric with two
batches (the second with sample weights), records ``result()``, then resets
and records ``result()`` again.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from kerasite import Input, Model, layers, metrics, saving

REFERENCE = json.loads((Path(__file__).resolve().parent / "data" /
                        "keras_metrics_round3.json").read_text())
WEIGHTS = np.array(REFERENCE["weights"])
CASES = REFERENCE["cases"]


def _id(case):
    return case["class_name"] + "".join(f"-{k}" for k in case["kwargs"])


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(case):
    m = getattr(metrics, case["class_name"])(**case["kwargs"])
    y_pred = np.array(case["y_pred"])
    kind = case["weights"]
    w = np.array(REFERENCE["int_weights"]) if kind.startswith("int") else WEIGHTS
    if kind.endswith("elementwise"):
        w = np.broadcast_to(w.reshape(6, 1), y_pred[6:].shape)
    if case["y_true"] is None:
        m.update_state(y_pred[:6])
        m.update_state(y_pred[6:], sample_weight=w)
    else:
        y_true = np.array(case["y_true"])
        m.update_state(y_true[:6], y_pred[:6])
        m.update_state(y_true[6:], y_pred[6:], sample_weight=w)
    # Keras computes in float32: agreement to its rounding.
    np.testing.assert_allclose(m.result(), case["result"], rtol=2e-5, atol=2e-6)
    m.reset_state()
    after = m.result()
    if np.ndim(case["after_reset"]) == 0 or not np.all(np.isnan(case["after_reset"])):
        np.testing.assert_allclose(after, case["after_reset"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_config_round_trips(case):
    m = getattr(metrics, case["class_name"])(**case["kwargs"])
    again = metrics.deserialize(json.loads(json.dumps(metrics.serialize(m))))
    assert type(again) is type(m) and again.get_config() == m.get_config()


def test_iou_takes_one_weight_per_sample_as_well_as_per_element():
    y_true = np.array([[0, 1, 1], [2, 2, 0]])
    y_pred = np.array([[0, 1, 2], [2, 1, 0]])
    per_sample, per_element = metrics.MeanIoU(3), metrics.MeanIoU(3)
    per_sample.update_state(y_true, y_pred, sample_weight=[1.0, 0.5])
    per_element.update_state(y_true, y_pred, sample_weight=[[1, 1, 1], [0.5, 0.5, 0.5]])
    assert per_sample.result() == pytest.approx(per_element.result())


def test_string_metrics_train_and_name_their_logs():
    rng = np.random.default_rng(0)
    x = rng.random((24, 5)).astype("float32")
    y = np.eye(3)[rng.integers(0, 3, 24)]
    inp = Input((5,))
    model = Model(inp, layers.Dense(3, activation="softmax")(inp))
    model.compile("adam", "categorical_crossentropy",
                  metrics=["categorical_crossentropy", "kl_divergence", "r2_score"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "categorical_crossentropy", "kl_divergence", "r2_score"]
    # the metric is the loss's own value on the same data
    assert logs["categorical_crossentropy"] == pytest.approx(logs["loss"], rel=1e-6)


def test_metric_objects_survive_saving(tmp_path):
    inp = Input((4,))
    model = Model(inp, layers.Dense(2, activation="sigmoid")(inp))
    model.compile("sgd", "binary_crossentropy",
                  metrics=[metrics.AUC(multi_label=True), metrics.PrecisionAtRecall(0.5)])
    x = np.random.default_rng(1).random((16, 4)).astype("float32")
    y = (np.random.default_rng(2).random((16, 2)) > 0.5).astype("float32")
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    path = tmp_path / "m.kerasite"
    model.save(path)
    after = saving.load_model(path).evaluate(x, y, verbose=0, return_dict=True)
    assert after == pytest.approx(before)


@pytest.mark.parametrize("make, match", [
    (lambda: metrics.IoU(3, [5]), r"`target_class_ids` must be class ids in \[0, 3\)"),
    (lambda: metrics.R2Score(class_aggregation="mean"), r"`class_aggregation` must be"),
    (lambda: metrics.PrecisionAtRecall(1.5), r"`recall`"),
    (lambda: metrics.AUC(label_weights=[-1, 1]), r"`label_weights` must be non-negative"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_multi_label_auc_refuses_another_label_count():
    m = metrics.AUC(multi_label=True)
    m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"counts 3 labels; this batch has 2"):
        m.update_state(np.zeros((2, 2)), np.zeros((2, 2)))


KERAS_SIDE = r'''
import json
path_in, path_out, data = sys.argv[1], sys.argv[2], np.load(sys.argv[3])
x, y = data["x"], data["y"]
loaded = keras.saving.load_model(path_in)
got = loaded.evaluate(x, y, verbose=0, return_dict=True)
inp = keras.Input((4,))
model = keras.Model(inp, keras.layers.Dense(2, activation="sigmoid")(inp))
model.compile("sgd", "binary_crossentropy",
              metrics=[keras.metrics.AUC(multi_label=True), keras.metrics.Precision(0.3)])
model.fit(x, y, epochs=1, verbose=0)
model.save(path_out)
print(json.dumps({"got": {k: float(v) for k, v in got.items()},
                  "made": {k: float(v) for k, v in
                           model.evaluate(x, y, verbose=0, return_dict=True).items()}}))
'''


@pytest.mark.slow
def test_metric_objects_cross_keras_files_both_ways(tmp_path):
    from tests.test_keras_format import KERAS_PYTHON, run_keras

    if KERAS_PYTHON is None:
        pytest.skip("Keras 3 with JAX is not installed (python -m pip install -e '.[interop]')")
    rng = np.random.default_rng(3)
    x = rng.random((16, 4)).astype("float32")
    y = (rng.random((16, 2)) > 0.5).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    inp = Input((4,))
    model = Model(inp, layers.Dense(2, activation="sigmoid")(inp))
    model.compile("sgd", "binary_crossentropy",
                  metrics=[metrics.AUC(multi_label=True), metrics.Precision(0.3)])
    mine = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "mine.keras")
    out = json.loads(run_keras(KERAS_SIDE, tmp_path / "mine.keras", tmp_path / "theirs.keras",
                               tmp_path / "data.npz").strip().splitlines()[-1])
    # Keras reads kerasite's metric objects: the same names and values.
    assert out["got"] == pytest.approx(mine, rel=1e-4)
    # and kerasite reads Keras's
    theirs = saving.load_model(tmp_path / "theirs.keras")
    assert theirs.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(out["made"],
                                                                               rel=1e-4)
