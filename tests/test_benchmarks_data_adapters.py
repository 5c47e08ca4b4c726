"""Smoke test of benchmarks/data_adapters.py: it runs and reports (speed is never asserted)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_data_adapter_benchmark_runs_and_reports(tmp_path):
    sys.path.insert(0, str(ROOT))
    from benchmarks import data_adapters

    report = data_adapters.main(["--samples", "300", "--rounds", "1", "--memmap-gb", "0.001",
                                 "--out", str(tmp_path / "report.json")])
    assert set(report["speed"]["ratio_to_arrays"]) == {"PyDataset", "generator"}
    assert report["memmap"]["samples"] == 2**30 // 1000 // 784
    assert (tmp_path / "report.json").exists()
