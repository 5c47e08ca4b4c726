"""examples/image_folder_classifier.py runs as a user runs it and learns from the PNG folder."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PIL")
ROOT = Path(__file__).resolve().parents[2]


def _fashion_mnist_installed():
    from kerasite.datasets import fashion_mnist

    try:
        fashion_mnist.MIRRORS, mirrors = (), fashion_mnist.MIRRORS
    except AttributeError:
        return False
    try:
        fashion_mnist.load_data()
    except OSError:
        return False
    finally:
        fashion_mnist.MIRRORS = mirrors
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _fashion_mnist_installed(),
                    reason="Fashion-MNIST is not installed "
                    "(apt-get install dataset-fashion-mnist)")
def test_image_folder_classifier_learns_from_the_folder(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "KERASITE_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "image_folder_classifier.py"), "--images",
         "1000", "--epochs", "2", "--out", "run", "--folder", "pngs"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Found 1000 files belonging to 10 classes." in out
    assert "Using 800 files for training." in out and "Using 200 files for validation." in out
    assert "13 training and 4 validation batches" in out
    accuracy = float(re.search(r"validation accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.3  # ten classes: chance is 0.1
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"first_batch.png", "history.png"}
    assert len(list((tmp_path / "pngs").rglob("*.png"))) == 1000  # --folder keeps the PNGs
