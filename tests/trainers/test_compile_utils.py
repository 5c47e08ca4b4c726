"""CompileLoss and CompileMetrics: losses, weights and metrics per output, with their log names."""

import numpy as np
import pytest

from kerasite import Input, Model, layers, losses, metrics
from kerasite.trainers.compile_utils import CompileLoss, CompileMetrics, update_metrics


def _two_outputs():
    inp = Input((3,))
    a = layers.Dense(1, name="a")(inp)
    b = layers.Dense(2, name="b")(inp)
    return Model(inp, [a, b])


def test_compile_loss_per_output_from_a_dict_with_its_weights_and_log_names():
    loss = CompileLoss({"b": "mae", "a": "mse"}, loss_weights={"a": 2.0, "b": 0.5})
    loss.build(["a", "b"])
    # in the outputs' order, whatever the dict's order
    assert [type(x) for x in loss.losses] == [losses.MeanSquaredError, losses.MeanAbsoluteError]
    assert loss.weights == [2.0, 0.5]
    assert loss.log_names == ["loss", "a_loss", "b_loss"]
    assert loss.logs([3.0, 1.0, 2.0]) == {"loss": 3.0, "a_loss": 1.0, "b_loss": 2.0}


def test_compile_loss_one_output_and_defaults():
    loss = CompileLoss("mse")
    loss.build(["out"])
    assert loss.weights == [1.0] and loss.log_names == ["loss"]
    assert loss.logs([0.25]) == {"loss": 0.25}
    broadcast = CompileLoss("mae")
    broadcast.build(["a", "b"])  # one loss serves every output
    assert [type(x) for x in broadcast.losses] == [losses.MeanAbsoluteError] * 2
    assert broadcast.weights == [1.0, 1.0]


def test_compile_loss_total_is_the_weighted_sum_by_hand():
    loss = CompileLoss(["mse", "mae"], loss_weights=[2.0, 0.5])
    loss.build(["a", "b"])
    ys = [np.array([[1.0], [3.0]]), np.array([[0.0, 0.0], [0.0, 4.0]])]
    outs = [np.array([[0.0], [1.0]]), np.array([[1.0, -1.0], [0.0, 0.0]])]
    # mse: ((1)^2 + (2)^2) / 2 = 2.5; mae: mean(|1|, |1|) = 1 and mean(0, 4) = 2 -> 1.5
    assert loss(ys, outs, [None, None]) == pytest.approx(2.0 * 2.5 + 0.5 * 1.5)
    # sample weights (1, 0) on both outputs: mse 1 / 2, mae 1 / 2
    w = np.array([1.0, 0.0])
    assert loss(ys, outs, [w, w]) == pytest.approx(2.0 * 0.5 + 0.5 * 0.5)


def test_compile_loss_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"`loss` has keys \['c'\] that are not output names"):
        CompileLoss({"a": "mse", "c": "mse"}).build(["a", "b"])
    with pytest.raises(ValueError, match=r"`loss` has no entry for output\(s\) \['b'\]"):
        CompileLoss({"a": "mse"}).build(["a", "b"])
    with pytest.raises(ValueError, match=r"`loss_weights` has 3 entries but the model has 2"):
        CompileLoss("mse", [1.0, 1.0, 1.0]).build(["a", "b"])
    with pytest.raises(ValueError, match=r"`loss_weights` must hold non-negative numbers"):
        CompileLoss("mse", [1.0, -1.0]).build(["a", "b"])
    with pytest.raises(ValueError, match=r"`loss_weights` must be a list or dict"):
        CompileLoss("mse", 2.0).build(["a", "b"])


def test_compile_loss_checks_a_single_name_before_build():
    assert isinstance(CompileLoss("mse").check(), losses.MeanSquaredError)
    assert CompileLoss({"a": "mse"}).check() is None  # a dict waits for the output names
    with pytest.raises(ValueError, match="nope"):
        CompileLoss("nope").check()


def test_compile_metrics_log_names_one_output():
    m = CompileMetrics(["mae", "mse"], weighted_metrics=["mae"])
    m.build(["out"], [losses.get("mse")])
    made = m.make_metrics([np.zeros((4, 1))], [(None, 1)])
    assert [x.name for x in made] == ["mae", "mse", "weighted_mae"] == m.log_names
    assert [x.weighted for x in made] == [False, False, True]
    assert [x.output_index for x in made] == [0, 0, 0]


def test_compile_metrics_log_names_per_output():
    m = CompileMetrics({"a": ["mae"], "b": ["mae", "mse"]},
                       weighted_metrics={"a": ["mae"], "b": ["mae"]})
    m.build(["a", "b"], [losses.get("mse"), losses.get("mse")])
    made = m.make_metrics([np.zeros((4, 1)), np.zeros((4, 2))], [(None, 1), (None, 2)])
    assert [x.name for x in made] == ["a_mae", "b_mae", "b_mse", "a_weighted_mae",
                                      "b_weighted_mae"]
    assert [x.output_index for x in made] == [0, 1, 1, 0, 1]
    # Fresh objects each call: one fit's state never leaks into the next.
    again = m.make_metrics([np.zeros((4, 1)), np.zeros((4, 2))], [(None, 1), (None, 2)])
    assert all(x is not y for x, y in zip(made, again))


def test_a_flat_metrics_list_on_several_outputs_is_one_per_output_or_refused():
    # Keras 3.15.1 (JAX): metrics=["mae", "accuracy"] on outputs [reg, cls] logs
    # reg_mae and cls_accuracy; metrics=["mae"] raises "Invalid `metrics`".
    m = CompileMetrics(["mae", "mse"])
    m.build(["a", "b"], [losses.get("mse"), losses.get("mse")])
    made = m.make_metrics([np.zeros((4, 1)), np.zeros((4, 2))], [(None, 1), (None, 2)])
    assert [x.name for x in made] == ["a_mae", "b_mse"]
    with pytest.raises(ValueError, match=r"flat list of 1 metric.*2 outputs \['a', 'b'\]"
                                         r".*dict keyed by output name"):
        CompileMetrics(["mae"]).build(["a", "b"], [losses.get("mse"), losses.get("mse")])


def test_compile_metrics_accuracy_follows_the_targets_and_the_loss():
    m = CompileMetrics(["accuracy"])
    m.build(["out"], [losses.get("sparse_categorical_crossentropy")])
    (acc,) = m.make_metrics([np.zeros(4)], [(None, 3)])
    assert isinstance(acc, metrics.SparseCategoricalAccuracy) and acc.name == "accuracy"


def test_update_metrics_weights_only_the_weighted_ones():
    m = CompileMetrics(["mae"], weighted_metrics=["mae"])
    m.build(["out"], [losses.get("mse")])
    made = m.make_metrics([np.zeros((2, 1))], [(None, 1)])
    update_metrics(made, [np.zeros((2, 1))], [np.array([[1.0], [3.0]])], [np.array([1.0, 0.0])])
    assert made[0].result() == pytest.approx(2.0)  # (1 + 3) / 2
    assert made[1].result() == pytest.approx(1.0)  # (1 * 1 + 0 * 3) / 1


def test_compile_metrics_errors():
    with pytest.raises(TypeError, match=r"`metrics` must be a list, such as \['accuracy'\]"):
        CompileMetrics("mae")
    with pytest.raises(ValueError, match="nope"):
        CompileMetrics(["nope"]).check(losses.get("mse"))
    with pytest.raises(ValueError, match=r"`weighted_metrics` has keys \['c'\]"):
        CompileMetrics(None, {"a": ["mae"], "c": ["mae"]}).build(
            ["a", "b"], [losses.get("mse")] * 2)


def test_the_model_uses_them_and_keeps_its_attributes():
    model = _two_outputs()
    model.compile("sgd", loss={"a": "mse", "b": "mae"}, loss_weights=[1.0, 0.5],
                  metrics={"a": ["mae"], "b": []}, weighted_metrics={"a": ["mse"], "b": ["mse"]})
    assert [type(x) for x in model.loss] == [losses.MeanSquaredError, losses.MeanAbsoluteError]
    assert model._losses == model.loss and model._loss_weights == [1.0, 0.5]
    assert model._metric_specs == [["mae"], []]
    x = np.zeros((4, 3), "float32")
    history = model.fit(x, [np.zeros((4, 1)), np.zeros((4, 2))], epochs=1, verbose=0)
    assert list(history.history) == ["loss", "a_loss", "b_loss", "a_mae", "a_mse", "b_mse"]
    assert model.get_compile_config() == {
        "optimizer": model.get_compile_config()["optimizer"],
        "loss": {"a": losses.serialize(losses.get("mse")),
                 "b": losses.serialize(losses.get("mae"))},
        "metrics": {"a": ["mae"], "b": []}, "loss_weights": [1.0, 0.5],
        "weighted_metrics": {"a": ["mse"], "b": ["mse"]}}
