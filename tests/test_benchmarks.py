"""Smoke test of the benchmark harness: it runs and writes its report.

Speed itself is measured by benchmarks/run.py, never asserted here.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    assert {t["target"] for t in report["targets"]} >= {"epoch time vs BLAS floor"}
    table = (tmp_path / "results.md").read_text()
    assert "## Machine" in table and "## Targets" in table
