"""Smoke test of the contention benchmark: it runs, measures under load, and cleans up.

Speed is never asserted here; benchmarks/contention.py measures it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_contention_run_with_kerasite_alone(tmp_path):
    out = tmp_path / "contention.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "contention.py"), "--quick",
         "--frameworks", "kerasite", "--threads", "1", "--busy", "0,1", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["results"]) == {"kerasite/1/0", "kerasite/1/1",
                                      "kerasite/default/0", "kerasite/default/1",
                                      "kerasite/auto/0", "kerasite/auto/1"}
    for key, run in report["results"].items():
        assert "skipped" not in run, (key, run)
        assert len(run["epoch_s"]) == 1 and run["median_s"] > 0
    assert report["results"]["kerasite/auto/1"]["threads_set"] >= 1
    assert report["results"]["kerasite/default/1"]["threads_set"].endswith("(adaptive)")
    assert "| kerasite | 1 |" in report["table"] and "1 busy process" in report["table"]
    # The busy processes it started are gone.
    assert len(report["spinner_pids"]) == 1
    for pid in report["spinner_pids"]:
        assert not os.path.exists(f"/proc/{pid}") or "Z" in _state(pid), pid


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"


@pytest.mark.slow
def test_a_missing_framework_is_skipped_with_a_reason(tmp_path):
    out = tmp_path / "contention.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "contention.py"), "--quick",
         "--frameworks", "keras", "--threads", "1", "--busy", "0", "--no-auto",
         "--keras-python", str(tmp_path / "no-such-python"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    run = json.loads(out.read_text())["results"]["keras/1/0"]
    assert "cannot start" in run["skipped"]


def test_bad_options_are_refused():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "contention.py"), "--threads", "0"],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2 and "--threads must be >= 1" in result.stderr
