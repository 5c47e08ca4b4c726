"""benchmarks/rnn.py's parts: the data, the peers start equal, an epoch trains, the report.

Speed is measured by ``python benchmarks/rnn.py``, never asserted here.
"""

import importlib.util

import numpy as np
import pytest

from benchmarks import peers, report, rnn


def test_the_data_have_imdb_s_shape_and_zipf_like_tokens():
    x, y, x_test, _ = rnn.make_data(300, 20, seed=0)
    assert x.shape == (300, 200) and x.dtype == np.int32 and x_test.shape == (20, 200)
    assert x.min() >= 1 and x.max() < rnn.IMDB["vocabulary"]
    assert set(np.unique(y)) == {0, 1} and y.dtype == np.int64
    counts = np.bincount(x.ravel(), minlength=rnn.IMDB["vocabulary"])
    assert counts[1] > 50 * max(1, counts[5000])  # rank 1 is far more frequent than rank 5000
    again = rnn.make_data(300, 20, seed=0)
    np.testing.assert_array_equal(again[0], x)


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_pytorch_starts_from_the_same_function_as_kerasite(cell):
    # The kernels go in transposed, the GRU's gates reordered from z, r, h to r, z, n and
    # its two bias rows split; the output joins the two directions' last states.
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    weights = rnn.initial_weights(seed=3, cell=cell)
    rng = np.random.default_rng(4)
    for i in range(1, len(weights) - 2):  # bigger weights, so that any slip shows
        weights[i] = (weights[i] * 3 + rng.normal(0, 0.1, weights[i].shape)).astype("float32")
    x = rnn.make_data(4, 0, seed=1)[0][:, :30]
    model = f"bi{cell}"
    ours = peers.make_trainer("kerasite", weights, 32, 3, 1, model=model).predict(x)
    torch = peers.make_trainer("torch", weights, 32, 3, 1, model=model).predict(x)
    assert ours.shape == (4, 2) and np.ptp(ours[:, 1]) > 1e-3
    np.testing.assert_allclose(torch, ours, rtol=1e-4, atol=2e-6)


def test_kerasite_trains_an_epoch():
    x, y, _, _ = rnn.make_data(64, 0, seed=2)
    trainer = peers.make_trainer("kerasite", rnn.initial_weights(0), 32, 0, 1, model="bilstm")
    result = trainer.train_epoch(x[:, :20], y)
    assert result["epoch_s"] > 0 and np.isfinite(result["loss"])
    assert np.allclose(trainer.predict(x[:8, :20]).sum(axis=1), 1)


def test_the_report_gives_the_paired_ratios_and_the_goals():
    def runs(seconds):
        return {"epoch_s": seconds, "call_s": seconds, "loss": [0.6] * len(seconds),
                "others_pct": [0] * len(seconds), "warmup_s": [1.0]}

    results = {"config": {"model": "bilstm", "samples": 3000, "batch_size": 32, "threads": 2},
               "epochs": {"kerasite": runs([2.0, 3.0]), "kerasite_numpy": runs([4.0, 6.0]),
                          "torch": runs([4.0, 3.0]), "keras": runs([1.0, 1.5])},
               "test_metrics": {"kerasite": {"accuracy": 0.5}},
               "memory": {"kerasite": {"peak_mb": 300.0}, "torch": {"peak_mb": 400.0}},
               "skipped": {}}
    text = rnn.summary(results, report)
    assert "| epoch kerasite / PyTorch | 0.75x | 1.00x | PASS |" in text  # median of 0.5, 1
    assert "| epoch kerasite / tf.keras | 2.00x | 1.00x | MISS |" in text
    assert "| epoch accelerator on / off | 0.50x |" in text
    assert "| peak memory kerasite / PyTorch | 300 / 400 MB | <= PyTorch's | PASS |" in text
