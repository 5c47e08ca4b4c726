"""Writes tests/data/keras_metrics_round3.json: Keras 3's metric objects on fixed batches.

Run with Keras 3 on JAX (``python tests/make_keras_metric_reference.py``); the
tests read the JSON and never import Keras. Each case updates the metric with
two batches (the second weighted), then records ``result()``; then it resets
and records ``result()`` once more.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(7)
PROBS = rng.dirichlet(np.ones(4), size=12)                 # (12, 4) distributions
ONE_HOT = np.eye(4)[rng.integers(0, 4, 12)]
LABELS = ONE_HOT.argmax(1)
BIN_TRUE = rng.integers(0, 2, (12, 3)).astype(float)
BIN_PRED = rng.random((12, 3))
REG_TRUE = rng.normal(size=(12, 3))
REG_PRED = REG_TRUE + rng.normal(scale=0.7, size=(12, 3))
POS_PRED = rng.random((12, 3)) + 0.1
SEG_TRUE = rng.integers(0, 3, (12, 5)).astype(float)
SEG_PRED = np.where(rng.random((12, 5)) < 0.6, SEG_TRUE, rng.integers(0, 3, (12, 5)))
WEIGHTS = rng.random(6)
INT_WEIGHTS = np.array([1.0, 2.0, 0.0, 3.0, 1.0, 2.0])
LOGITS = rng.normal(size=(12, 3))

CASES = [
    ("Accuracy", {}, SEG_TRUE, SEG_PRED),
    ("BinaryCrossentropy", {}, BIN_TRUE, BIN_PRED),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BIN_TRUE, LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("KLDivergence", {}, ONE_HOT * 0.9 + 0.025, PROBS),
    ("Poisson", {}, np.abs(REG_TRUE), POS_PRED),
    ("Hinge", {}, BIN_TRUE, REG_PRED),
    ("SquaredHinge", {}, BIN_TRUE, REG_PRED),
    ("CategoricalHinge", {}, ONE_HOT, PROBS),
    ("LogCoshError", {}, REG_TRUE, REG_PRED),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED),
    ("PearsonCorrelation", {}, REG_TRUE, REG_PRED),
    ("ConcordanceCorrelation", {}, REG_TRUE, REG_PRED),
    ("R2Score", {}, REG_TRUE, REG_PRED),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, REG_TRUE, REG_PRED),
    ("R2Score", {"class_aggregation": None}, REG_TRUE, REG_PRED),
    # Keras counts elements, not rows, as the samples of the adjusted R²: the two
    # agree on one output column (see "Coming from Keras").
    ("R2Score", {"num_regressors": 2}, REG_TRUE[:, :1], REG_PRED[:, :1]),
    ("TruePositives", {}, BIN_TRUE, BIN_PRED),
    ("FalsePositives", {"thresholds": [0.2, 0.7]}, BIN_TRUE, BIN_PRED),
    ("TrueNegatives", {}, BIN_TRUE, BIN_PRED),
    ("FalseNegatives", {"thresholds": 0.3}, BIN_TRUE, BIN_PRED),
    ("PrecisionAtRecall", {"recall": 0.6}, BIN_TRUE, BIN_PRED),
    ("RecallAtPrecision", {"precision": 0.5}, BIN_TRUE, BIN_PRED),
    ("SensitivityAtSpecificity", {"specificity": 0.4}, BIN_TRUE, BIN_PRED),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 50}, BIN_TRUE, BIN_PRED),
    ("PrecisionAtRecall", {"recall": 0.5, "class_id": 1}, BIN_TRUE, BIN_PRED),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, SEG_TRUE, SEG_PRED),
    ("IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": 0}, SEG_TRUE, SEG_PRED),
    ("MeanIoU", {"num_classes": 3}, SEG_TRUE, SEG_PRED),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.4}, BIN_TRUE, BIN_PRED),
    ("BinaryIoU", {}, BIN_TRUE, BIN_PRED),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3]}, ONE_HOT, PROBS),
    ("OneHotMeanIoU", {"num_classes": 4}, ONE_HOT, PROBS),
    ("AUC", {"multi_label": True}, BIN_TRUE, BIN_PRED),
    ("AUC", {"multi_label": True, "label_weights": [0.2, 0.5, 0.3], "curve": "PR"},
     BIN_TRUE, BIN_PRED),
    ("AUC", {"label_weights": [0.2, 0.5, 0.3]}, BIN_TRUE, BIN_PRED),
    ("AUC", {"from_logits": True}, BIN_TRUE, LOGITS),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, LABELS,
     np.argsort(-PROBS, axis=1)[:, :3]),
    ("Sum", {}, None, REG_PRED[:, 0]),
]


def _tolist(value):
    return np.asarray(value, dtype=np.float64).tolist()


def main():
    out = {"keras": keras.__version__, "backend": keras.backend.backend(),
           "weights": WEIGHTS.tolist(), "int_weights": INT_WEIGHTS.tolist(), "cases": []}
    for class_name, kwargs, y_true, y_pred in CASES:
        m = getattr(keras.metrics, class_name)(**kwargs)
        if y_true is None:
            m.update_state(y_pred[:6])
            m.update_state(y_pred[6:], sample_weight=WEIGHTS)
        else:
            w = WEIGHTS
            if class_name.startswith("OneHot"):  # one weight per (argmaxed) sample
                w = INT_WEIGHTS
            elif "IoU" in class_name:
                # Keras's IoU takes a weight per element, and counts in int32: its
                # weights must be whole numbers (a float weight is truncated).
                w = np.broadcast_to(INT_WEIGHTS.reshape(6, 1), y_pred[6:].shape).copy()
            elif class_name == "Accuracy":
                w = np.broadcast_to(WEIGHTS.reshape(6, 1), y_pred[6:].shape).copy()
            m.update_state(y_true[:6], y_pred[:6])
            m.update_state(y_true[6:], y_pred[6:], sample_weight=w)
        result = _tolist(m.result())
        m.reset_state()
        out["cases"].append({"class_name": class_name, "kwargs": kwargs,
                             "weights": ("int_per_sample" if class_name.startswith("OneHot")
                                         else "int_elementwise" if "IoU" in class_name else
                                         "elementwise" if class_name == "Accuracy" else
                                         "per_sample"),
                             "y_true": None if y_true is None else _tolist(y_true),
                             "y_pred": _tolist(y_pred), "result": result,
                             "after_reset": _tolist(m.result())})
    path = Path(__file__).resolve().parent / "data" / "keras_metrics_round3.json"
    path.write_text(json.dumps(out) + "\n")
    print("wrote", path, len(out["cases"]), "cases")


if __name__ == "__main__":
    main()
