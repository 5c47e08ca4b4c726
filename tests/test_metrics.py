"""Tests of kerasite/metrics.py: stateful metrics against Keras and hand computations."""

import json
import math

import numpy as np
import pytest

from kerasite import Sequential, layers, losses, metrics
from kerasite.metrics import (
    AUC,
    BinaryAccuracy,
    CategoricalAccuracy,
    F1Score,
    FBetaScore,
    Mean,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Precision,
    Recall,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)

# ------------------------------------------------------------ Keras's values
# Three batches of binary labels (6, 2) and one-hot labels (5, 4), with weights per sample.
_rng = np.random.default_rng(3)
YB = _rng.integers(0, 2, size=(3, 6, 2)).astype(float)
PB = np.round(_rng.uniform(0, 1, size=(3, 6, 2)), 3)
PB[0, 0, 0], PB[1, 2, 1], PB[2, 3, 0] = 0.0, 1.0, 0.5  # the ends and a tie with the threshold
SWB = np.round(_rng.uniform(0, 2, size=(3, 6)), 2)
YC = np.eye(4)[_rng.integers(0, 4, size=(3, 5))]
PC = np.round(_rng.uniform(0, 1, size=(3, 5, 4)), 3)
SWC = np.round(_rng.uniform(0, 2, size=(3, 5)), 2)

CASES = {
    "precision": (lambda: Precision(), "b"),
    "recall": (lambda: Recall(), "b"),
    "precision_thresholds": (lambda: Precision(thresholds=[0.3, 0.7]), "b"),
    "recall_class1": (lambda: Recall(class_id=1), "b"),
    "precision_top1": (lambda: Precision(top_k=1), "c"),
    "auc_roc": (lambda: AUC(), "b"),
    "auc_pr": (lambda: AUC(curve="PR"), "b"),
    "auc_roc_minoring": (lambda: AUC(num_thresholds=7, summation_method="minoring"), "b"),
    "auc_pr_majoring": (lambda: AUC(num_thresholds=7, curve="PR", summation_method="majoring"),
                        "b"),
    "f1_none": (lambda: F1Score(), "c"),
    "f1_macro_t": (lambda: F1Score(average="macro", threshold=0.5), "c"),
    "f1_micro": (lambda: F1Score(average="micro"), "c"),
    "f1_weighted": (lambda: F1Score(average="weighted", threshold=0.4), "c"),
    "fbeta2": (lambda: FBetaScore(beta=2.0, average="macro"), "c"),
    "binary_accuracy": (lambda: BinaryAccuracy(), "b"),
    "binary_accuracy_t": (lambda: BinaryAccuracy(threshold=0.7), "b"),
    "categorical_accuracy": (lambda: CategoricalAccuracy(), "c"),
    "top2": (lambda: TopKCategoricalAccuracy(k=2), "c"),
    "rmse": (lambda: RootMeanSquaredError(), "b"),
    "mse": (lambda: MeanSquaredError(), "b"),
    "mae": (lambda: MeanAbsoluteError(), "b"),
    "mape": (lambda: MeanAbsolutePercentageError(), "c"),
    "msle": (lambda: MeanSquaredLogarithmicError(), "c"),
}

# (result unweighted, result weighted) after update_state on the three batches, from a
# Keras 3.15.1 run (JAX backend, jax_enable_x64, floatx float64) on the same arrays:
#   m = keras.metrics.<same>; for i in range(3): m.update_state(y[i], p[i], sample_weight=w[i])
# F1/FBeta computed partly in float32 inside Keras, hence rel=1e-6.
KERAS = {
    "precision": (0.35294117647058826, 0.216793893129771),
    "recall": (0.375, 0.25207100591715975),
    "precision_thresholds": ([0.5, 0.3333333333333333], [0.3706929193487316, 0.22915101427498122]),
    "recall_class1": (0.5, 0.32831001076426264),
    "precision_top1": (0.13333333333333333, 0.20946470131885184),
    "auc_roc": (0.471875, 0.35115901418601125),
    "auc_pr": (0.45776597925769313, 0.39431391783305597),
    "auc_roc_minoring": (0.3875, 0.27588923342436655),
    "auc_pr_majoring": (0.44158141517476557, 0.3589051796600865),
    "f1_none": ([0.3333332791666738, 0.0, 0.0, 0.0], [0.4063204917670965, 0.0, 0.0, 0.0]),
    "f1_macro_t": (0.24805191159248352, 0.28332680463790894),
    "f1_micro": (0.13333328068256378, 0.2094646543264389),
    "f1_weighted": (0.3260605573417885, 0.35279745017460756),
    "fbeta2": (0.09259258210659027, 0.12857142090797424),
    "binary_accuracy": (0.4166666666666667, 0.3303870043000478),
    "binary_accuracy_t": (0.4444444444444444, 0.4240324892498806),
    "categorical_accuracy": (0.13333333333333333, 0.20946470131885184),
    "top2": (0.3333333333333333, 0.4080682699767262),
    "rmse": (0.5958390652301935, 0.644714256227488),
    "mse": (0.35502419165439075, 0.4156564721829631),
    "mae": (0.5171944399674734, 0.5789457679051163),
    "mape": (386750006.6666667, 371698223.75872767),
    "msle": (0.17953355660041173, 0.17167234095355355),
}


def _three_batches(make, kind, weighted):
    y, p, w = (YB, PB, SWB) if kind == "b" else (YC, PC, SWC)
    m = make()
    for i in range(3):
        m.update_state(y[i], p[i], sample_weight=w[i] if weighted else None)
    return m.result()


@pytest.mark.parametrize("case", CASES)
def test_accumulated_results_match_keras(case):
    make, kind = CASES[case]
    unweighted, weighted = KERAS[case]
    np.testing.assert_allclose(_three_batches(make, kind, False), unweighted, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(_three_batches(make, kind, True), weighted, rtol=1e-6, atol=1e-7)


def test_sparse_accuracies_match_keras():
    # keras.metrics.SparseCategoricalAccuracy() / SparseTopKCategoricalAccuracy(k=2), weighted
    m, top = SparseCategoricalAccuracy(), SparseTopKCategoricalAccuracy(k=2)
    for i in range(3):
        m.update_state(YC[i].argmax(1), PC[i], sample_weight=SWC[i])
        top.update_state(YC[i].argmax(1)[:, None], PC[i], sample_weight=SWC[i])
    assert m.result() == pytest.approx(0.20946470131885184, rel=1e-12)
    assert top.result() == pytest.approx(0.4080682699767262, rel=1e-12)


def test_binary_accuracy_compares_labels_exactly_as_keras():
    """Issue 12: labels 0.1/0.9 are not rounded (Keras gives 1/3 here)."""
    m = BinaryAccuracy()
    m.update_state(np.array([[0.1], [0.9], [1.0]]), np.array([[0.2], [0.8], [0.7]]))
    assert m.result() == pytest.approx(1 / 3)


def test_mean_with_weights_as_keras():
    # keras.metrics.Mean: update([1, 3, 5, 7], w=[1, 1, 0, 0]) then update([[2, 4]]) -> 2.3333
    m = Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0
    m.update_state([[2.0, 4.0]])  # one sample whose value is the mean 3
    assert m.result() == pytest.approx(7 / 3)


# ------------------------------------------------------------ by hand
def test_precision_recall_by_hand():
    y = np.array([0, 1, 1, 1, 0])
    p = np.array([0.6, 0.4, 0.9, 0.51, 0.2])
    # predicted positive: 0.6, 0.9, 0.51 -> TP 2 (0.9, 0.51), FP 1; FN 1 (0.4)
    assert Precision()(y, p) == pytest.approx(2 / 3)
    assert Recall()(y, p) == pytest.approx(2 / 3)
    # weights: TP 2 + 3, FP 4 -> 5 / 9; FN 1 -> recall 5 / 6
    w = np.array([4.0, 1.0, 2.0, 3.0, 1.0])
    assert Precision()(y, p, sample_weight=w) == pytest.approx(5 / 9)
    assert Recall()(y, p, sample_weight=w) == pytest.approx(5 / 6)
    # nothing predicted positive: 0, not NaN
    assert Precision()(np.array([1, 0]), np.array([0.1, 0.2])) == 0.0


def test_auc_on_a_perfect_and_a_reversed_ranking():
    y = np.array([0, 0, 1, 1])
    assert AUC()(y, np.array([0.1, 0.3, 0.6, 0.9])) == pytest.approx(1.0)
    assert AUC()(y, np.array([0.9, 0.6, 0.3, 0.1])) == pytest.approx(0.0)
    assert AUC(curve="PR")(y, np.array([0.1, 0.3, 0.6, 0.9])) == pytest.approx(1.0)
    assert len(AUC().thresholds) == 200 and AUC().thresholds[0] < 0 < 1 < AUC().thresholds[-1]


def test_f1_by_hand():
    y = np.array([[1, 0], [0, 1], [0, 1]])
    p = np.array([[0.9, 0.2], [0.8, 0.6], [0.3, 0.1]])  # argmax: class 0, 0, 0
    # class 0: TP 1, FP 2 -> P 1/3, R 1 -> F1 0.5; class 1: TP 0 -> 0
    np.testing.assert_allclose(F1Score()(y, p), [0.5, 0.0], atol=1e-6)
    assert F1Score(average="macro")(y, p) == pytest.approx(0.25, abs=1e-6)


def test_rmse_is_the_root_of_the_weighted_mean_of_sample_mses():
    m = RootMeanSquaredError()
    m.update_state([[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [2.0, 0.0]], sample_weight=[3, 1])
    assert m.result() == pytest.approx(math.sqrt((3 * 1 + 1 * 2) / 4))


def test_top_k_counts_ties_in_the_labels_favour():
    # the label's score ties with another: rank 1 + (number strictly higher) = 1
    assert metrics.top_k_categorical_accuracy([[0, 1, 0]], [[0.4, 0.4, 0.2]], k=1)[0] == 1.0


# ------------------------------------------------------ stateful behaviour
@pytest.mark.parametrize("case", CASES)
def test_accumulating_batches_equals_one_big_batch(case):
    make, kind = CASES[case]
    y, p, w = (YB, PB, SWB) if kind == "b" else (YC, PC, SWC)
    whole = make()
    whole.update_state(y.reshape(-1, y.shape[-1]), p.reshape(-1, p.shape[-1]),
                       sample_weight=w.reshape(-1))
    np.testing.assert_allclose(_three_batches(make, kind, True), whole.result(), rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_reset_state_starts_again(case):
    make, kind = CASES[case]
    y, p = (YB, PB) if kind == "b" else (YC, PC)
    m, fresh = make(), make()
    m.update_state(y[0], p[0])
    m.reset_state()
    m.update_state(y[1], p[1])
    fresh.update_state(y[1], p[1])
    np.testing.assert_array_equal(m.result(), fresh.result())


def test_the_engine_aliases():
    m = metrics.get("mae", losses.MeanSquaredError(), (None, 1))
    m.reset()
    m.update(np.array([[0.0], [0.0]]), np.array([[1.0], [3.0]]), sample_weight=[1.0, 0.0])
    assert m.result() == 1.0 and m.name == "mae"


@pytest.mark.parametrize("cls", [Mean, BinaryAccuracy, CategoricalAccuracy,
                                 SparseCategoricalAccuracy, TopKCategoricalAccuracy,
                                 SparseTopKCategoricalAccuracy, MeanSquaredError,
                                 MeanAbsoluteError, MeanAbsolutePercentageError,
                                 MeanSquaredLogarithmicError, RootMeanSquaredError, Precision,
                                 Recall, AUC, F1Score, FBetaScore])
def test_every_metric_works_built_with_no_arguments(cls):
    m = cls()
    assert m.result() == 0.0 or np.all(np.asarray(m.result()) == 0)  # nothing seen yet
    if cls is Mean:
        m.update_state([1.0, 2.0])
    elif cls in (SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy):
        m.update_state(YC[0].argmax(1), PC[0])
    else:
        m.update_state(YC[0], PC[0])
    assert np.all(np.isfinite(m.result()))
    again = cls.from_config(json.loads(json.dumps(m.get_config())))
    assert again.get_config() == m.get_config()


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", BinaryAccuracy), ("categorical_accuracy", CategoricalAccuracy),
    ("sparse_categorical_accuracy", SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", SparseTopKCategoricalAccuracy),
    ("mae", MeanAbsoluteError), ("mse", MeanSquaredError),
    ("mape", MeanAbsolutePercentageError), ("msle", MeanSquaredLogarithmicError),
    ("mean_absolute_error", MeanAbsoluteError), ("rmse", RootMeanSquaredError),
    ("precision", Precision), ("recall", Recall), ("auc", AUC), ("f1_score", F1Score),
])
def test_names_give_the_metric_reported_under_that_name(name, cls):
    m = metrics.get(name, None, None)
    assert type(m) is cls and m.name == name


@pytest.mark.parametrize("name, cls, reported", [("AUC", AUC, "auc"),
                                                 ("Precision", Precision, "precision"),
                                                 ("F1Score", F1Score, "f1_score")])
def test_class_names_and_classes(name, cls, reported):
    assert type(metrics.get(name)) is cls and metrics.get(name).name == reported
    assert type(metrics.get(cls)) is cls


def test_a_plain_function_is_averaged_per_sample():
    def max_error(y_true, y_pred):
        return np.abs(y_true - y_pred).max(axis=-1)

    m = metrics.get(max_error)
    assert m.name == "max_error"
    m.update_state(np.zeros((2, 2)), np.array([[1.0, 3.0], [0.5, 0.0]]))
    m.update_state(np.zeros((1, 2)), np.array([[2.0, 0.0]]))
    assert m.result() == pytest.approx((3 + 0.5 + 2) / 3)
    assert type(metrics.get(metrics.binary_accuracy)) is BinaryAccuracy


def test_accuracy_keeps_kerasites_documented_choices():
    # from_logits: the logits are thresholded at 0 (Keras: 0.5, wrong on logits)
    m = metrics.get("accuracy", losses.BinaryCrossentropy(from_logits=True), (None, 1))
    assert isinstance(m, BinaryAccuracy) and m.threshold == 0.0 and m.name == "accuracy"
    # multi-label sigmoid + binary crossentropy: binary accuracy (Keras: categorical)
    m = metrics.get("accuracy", losses.BinaryCrossentropy(), (None, 3), (10, 3))
    assert isinstance(m, BinaryAccuracy) and m.threshold == 0.5
    assert isinstance(metrics.get("acc", losses.CategoricalCrossentropy(), (None, 3), (10, 3)),
                      CategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", losses.MeanSquaredError(), (None, 3), (10,)),
                      SparseCategoricalAccuracy)


# ----------------------------------------------------------------- errors
def test_unknown_metric_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'\. Did you mean 'accuracy'\? Valid names are "
                                         r"\['accuracy', 'acc', 'binary_accuracy', .*'msle'.*\], "
                                         r"a metric class name such as 'AUC'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match=r"Unknown metric: 3\."):
        metrics.get(3)


@pytest.mark.parametrize("make, message", [
    (lambda: TopKCategoricalAccuracy(k=0), r"`k` must be a positive integer\. Received: k=0\."),
    (lambda: Precision(thresholds=1.5), r"`thresholds` must be numbers in \[0, 1\]"),
    (lambda: AUC(num_thresholds=1), r"`num_thresholds` must be an integer > 1\. "
                                    r"Received: num_thresholds=1\."),
    (lambda: AUC(curve="XY"), r"`curve` must be 'ROC' or 'PR'"),
    (lambda: F1Score(average="mean"), r"`average` must be None, 'micro', 'macro' or "
                                      r"'weighted'\. Received: average='mean'\."),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_sample_weights_are_refused():
    with pytest.raises(ValueError, match=r"MeanAbsoluteError: `sample_weight` must have one "
                                         r"weight per sample\. Received: "
                                         r"sample_weight\.shape=\(3,\) for 2 samples\."):
        MeanAbsoluteError().update_state(np.zeros((2, 1)), np.ones((2, 1)), sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"Precision needs `y_true` and `y_pred` of the same "
                                         r"shape"):
        Precision().update_state(np.zeros((2, 3)), np.ones((2, 2)))


# ------------------------------------------------------ with a model
def test_new_metrics_work_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")

    def within_half(y_true, y_pred):
        return (np.abs(y_true - y_pred) < 0.5).mean(axis=-1)

    model = Sequential([layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["binary_accuracy", "mae", AUC(), Precision(), within_half])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "binary_accuracy", "mae", "auc", "precision",
                                    "within_half"}
    results = model.evaluate(x, y, verbose=0)
    assert all(math.isfinite(v) for v in np.ravel(results))


@pytest.mark.parametrize("make, y, p, message", [
    (lambda: BinaryAccuracy(), np.zeros((2, 3)), np.zeros((2, 2)),
     r"BinaryAccuracy needs `y_true` and `y_pred` of the same shape\. Received: "
     r"y_true\.shape=\(2, 3\), y_pred\.shape=\(2, 2\)\."),
    (lambda: SparseCategoricalAccuracy(), np.array([0, 3]), np.zeros((2, 3)),
     r"SparseCategoricalAccuracy needs integer labels in \[0, 3\)\. Received labels from "
     r"0\.0 to 3\.0\."),
    (lambda: SparseTopKCategoricalAccuracy(), np.zeros(3), np.zeros((2, 3)),
     r"needs predictions \(batch, classes\) and one integer label per row"),
    (lambda: RootMeanSquaredError(), np.zeros(2), np.array([]),
     r"RootMeanSquaredError needs a non-empty batch of predictions"),
    (lambda: Recall(class_id=4), np.zeros((2, 3)), np.zeros((2, 3)),
     r"Recall: `class_id=4` needs predictions \(batch, classes\) with more than 4 classes"),
    (lambda: MeanSquaredError(), np.array(["a", "b"]), np.zeros(2),
     r"MeanSquaredError: `y_true` must be an array of numbers\. Received: ndarray\."),
])
def test_bad_inputs_get_clear_errors(make, y, p, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make().update_state(y, p)


@pytest.mark.parametrize("metric", [AUC(curve="PR", num_thresholds=50), Precision(thresholds=0.3),
                                    BinaryAccuracy(threshold=0.2), TopKCategoricalAccuracy(k=3),
                                    F1Score(average="macro"), Mean(name="m")], ids=repr)
def test_serialize_round_trip(metric):
    form = json.loads(json.dumps(metrics.serialize(metric)))
    again = metrics.get(form)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


def test_a_wrapped_function_cannot_be_serialized():
    with pytest.raises(TypeError, match=r"Only registered metric classes can be serialized; "
                                        r"MeanMetricWrapper cannot be rebuilt"):
        metrics.serialize(metrics.get(lambda y, p: y - p))


_ODD_INPUTS = [np.zeros((3,)), np.ones((2, 3)), np.ones((2, 3), dtype=int),
               np.ones((2, 3), dtype=bool), np.array([[np.nan, 1, 2]]), np.ones((2, 2, 3)),
               np.array("a"), np.array([]), np.ones((2, 3), dtype=complex), np.array([0, 2]),
               np.ones((1, 1))]


@pytest.mark.parametrize("make", [
    Precision, lambda: Recall(top_k=1), lambda: Recall(class_id=1), AUC,
    lambda: AUC(curve="PR"), F1Score, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, lambda: TopKCategoricalAccuracy(k=2),
    lambda: SparseTopKCategoricalAccuracy(k=2), MeanSquaredError, RootMeanSquaredError,
    MeanAbsolutePercentageError,
])
def test_odd_inputs_work_or_get_a_clear_error(make):
    """Every pairing of odd arrays (and weights) either works or raises a message naming it."""
    m = make()
    for y_true in _ODD_INPUTS:
        for y_pred in _ODD_INPUTS:
            for weights in (None, [1.0, 2.0]):
                m.reset_state()
                with np.errstate(all="ignore"):
                    try:
                        m.update_state(y_true, y_pred, sample_weight=weights)
                        m.result()
                    except (ValueError, TypeError) as exc:
                        assert type(m).__name__ in str(exc) or "`" in str(exc), str(exc)


# ============================================ trackers and saved functions
def test_a_mean_tracker_takes_tensors_and_variables():
    from kerasite import GradientTape, Variable, ops

    v = Variable(np.array([1.0, 3.0]))
    with GradientTape() as tape:
        loss = ops.sum(v * v)  # a Tensor of the tape: 10
    tracker = metrics.Mean(name="kl_loss")
    tracker.update_state(loss)
    tracker.update_state(v)  # two more values, 1 and 3
    assert tracker.name == "kl_loss" and tracker.result() == pytest.approx(14 / 3)
    assert tape.gradient(loss, v).tolist() == [2.0, 6.0]


def test_a_saved_metric_function_is_found_only_when_registered():
    import kerasite

    config = {"module": "builtins", "class_name": "function", "config": "Custom>tracked_fn",
              "registered_name": "function"}
    with pytest.raises(TypeError, match=r"Could not locate the metric function "
                                        r"'Custom>tracked_fn'"):
        metrics.get(config)

    @kerasite.saving.register_keras_serializable()
    def tracked_fn(y_true, y_pred):
        return np.abs(y_true - y_pred)

    m = metrics.deserialize(config)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "tracked_fn"


def test_f1_score_per_class_after_reset_is_one_zero_per_class():
    # Keras 3.15.1: F1Score(average=None) after reset_state() gives [0., 0., 0.]
    # for three classes seen before the reset (its variables keep their shape).
    m = metrics.F1Score()
    m.update_state([[1, 0, 0], [0, 1, 0]], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]])
    assert np.allclose(m.result(), [1.0, 1.0, 0.0], atol=1e-6)
    m.reset_state()
    assert m.result() == [0.0, 0.0, 0.0]
