"""Smoke test of the benchmark harness: it runs and writes its report.

Speed itself is measured by benchmarks/run.py, never asserted here.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_with_kerasite_alone_writes_its_report(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
         "--frameworks", "kerasite", "--out", str(tmp_path), "--max-wait", "0"],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "results.json").read_text())
    assert {"kerasite", "blas_floor"} <= set(report["epochs"])
    assert "torch" not in report["epochs"] and "keras" not in report["epochs"]
    assert report["xor"]["max_weight_difference"] < 1e-4  # fit() and the plain loop agree
    assert {t["target"] for t in report["targets"]} >= {"epoch time vs BLAS floor",
                                                        "epoch time vs plain NumPy loop"}
    assert "plain_loop" in report["epochs"]
    table = (tmp_path / "results.md").read_text()
    assert "## Machine" in table and "## Targets" in table


@pytest.mark.slow
def test_plain_numpy_loop_trains_as_kerasite_does():
    """One full-batch epoch of floors.PlainAutoencoder equals kerasite's fit on the same data."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import floors, peers

    x = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    weights = peers.initial_weights(0)
    plain = floors.PlainAutoencoder(weights, batch_size=64)
    for _ in range(2):
        _, plain_loss = plain.run_epoch(x)
    trainer = peers.make_trainer("kerasite", weights, 64, 0, 1)
    for _ in range(2):
        kerasite_loss = trainer.train_epoch(x)["loss"]
    assert plain_loss == pytest.approx(kerasite_loss, rel=1e-5)
    ours = trainer.model.get_weights()
    for w, mine in zip([w for pair in zip(plain.W, plain.b) for w in pair], ours):
        np.testing.assert_allclose(w, mine, rtol=1e-4, atol=1e-6)
