"""The convnet benchmark's parts: the peers start equal, the floor runs, the report reads.

Speed is measured by ``benchmarks/run.py --model convnet``, never asserted here.
"""

import importlib.util

import numpy as np
import pytest

from benchmarks import floors, peers, report


@pytest.mark.slow
def test_pytorch_starts_from_the_same_function_as_kerasite():
    # The kernels are transposed to (out, in, kh, kw) and the Dense rows permuted from
    # the (h, w, c) flatten order to (c, h, w): any slip changes the predictions.
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    weights = peers.initial_convnet_weights(seed=3)
    x = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    ours = peers.make_trainer("kerasite", weights, 128, 3, 1, model="convnet").predict(x)
    torch = peers.make_trainer("torch", weights, 128, 3, 1, model="convnet").predict(x)
    np.testing.assert_allclose(torch, ours, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_kerasite_convnet_trains_an_epoch():
    rng = np.random.default_rng(1)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    trainer = peers.make_trainer("kerasite", peers.initial_convnet_weights(0), 32, 0, 1,
                                 model="convnet")
    result = trainer.train_epoch(x, y)
    assert result["epoch_s"] > 0 and np.isfinite(result["loss"])
    assert trainer.predict(x).shape == (64, 10)


@pytest.mark.slow
def test_the_convnet_floor_runs_its_products():
    floor = floors.ConvnetBlasFloor(n_samples=300, batch_size=128)
    assert floor.batch_sizes == [128, 128, 44]
    assert floor.run_epoch() > 0
    assert [w.shape for w in floor.dW] == [(9, 32), (288, 64), (1600, 10)]
    assert {w.dtype for w in floor.W} == {np.dtype(np.float32)}  # no slow mixed-type products


def _results(keras_accuracy):
    def runs(seconds):
        return {"epoch_s": seconds, "call_s": seconds, "loss": [0.5] * len(seconds),
                "others_pct": [1.0] * len(seconds), "warmup_s": [9.0]}
    return {
        "timestamp": "now", "machine_lines": ["a machine"], "skipped": {},
        "config": {"model": "convnet", "quick": False, "epochs": 2, "warmup": 1, "max_rounds": 6,
                   "n_train": 60000, "n_test": 10000, "batch_size": 128, "steps": 469,
                   "threads": 2, "seed": 0, "data_source": "Fashion-MNIST"},
        "epochs": {"kerasite": runs([10.0, 12.0]), "blas_floor": runs([5.0, 6.0]),
                   "keras": runs([8.0, 10.0])},
        "test_metrics": {"kerasite": {"accuracy": 0.90, "loss": 0.3},
                         "keras": {"accuracy": keras_accuracy, "loss": 0.3}},
        "frameworks": {"kerasite": {"versions": {"kerasite": "0"}, "python": "python"}},
        "memory": {"kerasite": {"framework_mb": 100, "baseline_mb": 280, "peak_mb": 500,
                                "dataset_mb": 180, "epochs": 2, "method": "VmHWM"}},
    }


def test_convnet_targets_and_report():
    results = _results(keras_accuracy=0.91)
    checks = {c["target"]: c for c in report.check_targets(results)}
    assert checks["convnet epoch time vs tf.keras"]["measured"] == "1.23x"  # median(10/8, 12/10)
    assert checks["convnet epoch time vs tf.keras"]["status"] == "MISS"
    assert checks["convnet test accuracy vs tf.keras"]["status"] == "PASS"  # 1 point apart
    assert checks["convnet test accuracy vs PyTorch"]["status"] == "n/a"
    assert checks["convnet peak training memory over the float32 dataset"]["measured"] == "+220 MB"
    results["targets"] = list(checks.values())
    text = report.markdown(results)
    assert "## One epoch of the convnet (60,000 images)" in text
    assert "BLAS floor (the 8 im2col matmuls alone)" in text and "keras.io's simple convnet" in text
    far = {c["target"]: c for c in report.check_targets(_results(keras_accuracy=0.93))}
    assert far["convnet test accuracy vs tf.keras"]["status"] == "MISS"  # 3 points apart


# ------------------------------------------------ keras.io's Conv1D timeseries classifier
@pytest.mark.slow
def test_pytorch_timeseries_starts_from_the_same_function_as_kerasite():
    # Kernels (k, in, out) -> (out, in, k), BatchNorm1d with Keras's epsilon and moving stats.
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    weights = peers.initial_timeseries_weights(seed=3)
    rng = np.random.default_rng(2)
    for i in range(peers.TIMESERIES["blocks"]):  # moving statistics that change the output
        weights[6 * i + 4] = rng.normal(0, 0.1, weights[6 * i + 4].shape).astype("float32")
        weights[6 * i + 5] = rng.uniform(0.5, 2, weights[6 * i + 5].shape).astype("float32")
    x = rng.normal(size=(4, 500, 1)).astype("float32")
    ours = peers.make_trainer("kerasite", weights, 32, 3, 1, model="timeseries").predict(x)
    torch = peers.make_trainer("torch", weights, 32, 3, 1, model="timeseries").predict(x)
    np.testing.assert_allclose(torch, ours, rtol=1e-4, atol=1e-6)


def test_kerasite_timeseries_classifier_trains_an_epoch():
    from benchmarks import data

    x, y, x_test, y_test, source = data.load_timeseries(64, 16)
    assert x.shape == (64, 500, 1) and x_test.shape == (16, 500, 1) and "FordA" in source
    trainer = peers.make_trainer("kerasite", peers.initial_timeseries_weights(0), 32, 0, 1,
                                 model="timeseries")
    result = trainer.train_epoch(x, y)
    assert result["epoch_s"] > 0 and np.isfinite(result["loss"])
    assert trainer.predict(x_test).shape == (16, 2)


def test_timeseries_report_names_its_model():
    results = {"config": {"model": "timeseries", "n_train": 3601},
               "epochs": {"kerasite": {"epoch_s": [2.0], "others_pct": [0], "call_s": [2.0],
                                       "loss": [0.5]},
                          "keras": {"epoch_s": [1.6], "others_pct": [0], "call_s": [1.6],
                                    "loss": [0.5]}}}
    checks = {c["target"]: c for c in report.check_targets(results)}
    assert checks["Conv1D timeseries classifier epoch time vs tf.keras"]["measured"] == "1.25x"
