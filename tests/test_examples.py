"""The example scripts run as a user would run them, and print what they promise."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_example(name, *args, timeout=300):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                            capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_xor_learns_xor():
    out = run_example("xor.py")
    rounded = [int(m) for m in re.findall(r"rounds to (\d)", out)]
    assert rounded == [0, 1, 1, 0]
    losses = [float(m) for m in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) == 10 and losses[-1] < 0.01 and losses[-1] < losses[0]


@pytest.mark.slow
def test_main_job_on_digits(tmp_path):
    out = run_example("autoencoder_svm.py", "--out", str(tmp_path), "--verbose", "2")
    assert "test images also in train: 0" in out
    accuracy = {k: float(v) for k, v in re.findall(r"(train|validation|test) (\d+\.\d+)%", out)}
    assert set(accuracy) == {"train", "validation", "test"}
    assert accuracy["test"] > 90.0  # ten classes: chance is 10 %
    assert "confusion matrix" in out and "precision" in out
    for name in ("loss.png", "reconstructions.png", "confusion_matrix.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import json

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["accuracy"]["test"] == pytest.approx(accuracy["test"] / 100, abs=1e-4)
    assert results["mse"]["test"] < 0.02

    import kerasite

    model = kerasite.models.load_model(tmp_path / "autoencoder.kerasite")
    assert model.encode(np.zeros((2, 8, 8), dtype="float32")).shape == (2, 32)
