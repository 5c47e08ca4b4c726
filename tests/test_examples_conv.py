"""The convolutional examples run as a user runs them, on a small slice of the data.

Fashion-MNIST must be installed (Debian's dataset-fashion-mnist); without it
the two Fashion-MNIST scripts are skipped. autoencoder_svm.py --model conv
runs on the bundled digits.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kerasite.datasets import fashion_mnist

ROOT = Path(__file__).resolve().parents[1]


def run_example(name, *args, cwd, timeout=600):
    env = {**os.environ, "MPLBACKEND": "Agg", "KERASITE_HOME": str(Path(cwd) / "home")}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), *args],
                            capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    assert result.returncode == 0, f"{name}.py failed:\n{result.stderr}"
    return result.stdout


def _has_fashion_mnist():
    try:
        fashion_mnist.load_data()
    except OSError:
        return False
    return True


needs_fashion = pytest.mark.skipif(not _has_fashion_mnist(),
                                   reason="Fashion-MNIST is not installed")


@pytest.mark.slow
def test_autoencoder_svm_with_the_conv_autoencoder_on_the_digits(tmp_path):
    out = run_example("autoencoder_svm", "--model", "conv", "--epochs", "15", "--verbose", "0",
                      "--out", "run", cwd=tmp_path)
    assert "conv2d" in out and "up_sampling2d" in out  # the summary shows the conv layers
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["model"] == "conv" and results["filters"] == [16, 8]
    assert results["accuracy"]["test"] > 0.85  # ten classes: chance is 10 %


@pytest.mark.slow
@needs_fashion
def test_mnist_convnet_learns_on_a_slice(tmp_path):
    out = run_example("mnist_convnet", "--epochs", "2", "--samples", "3000", "--verbose", "0",
                      "--out", "run", cwd=tmp_path)
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.6  # 3,000 images, 2 epochs; chance is 0.1
    assert "2 epochs in" in out and "most frequent mix-ups" in out
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"history.png",
                                                             "confusion_matrix.png"}


@pytest.mark.slow
@needs_fashion
def test_conv_autoencoder_compares_both_codes(tmp_path):
    out = run_example("conv_autoencoder", "--epochs", "1", "--samples", "2000",
                      "--svm-samples", "1000", "--verbose", "0", "--out", "run", cwd=tmp_path)
    accuracies = dict(re.findall(r"(\w+_autoencoder)\s+128 features  test accuracy (\d\.\d+)",
                                 out))
    assert set(accuracies) == {"conv_autoencoder", "dense_autoencoder"}
    assert all(float(a) > 0.5 for a in accuracies.values())
    assert {p.name for p in (tmp_path / "run").iterdir()} == {
        "reconstructions_conv_autoencoder.png", "reconstructions_dense_autoencoder.png"}


@pytest.mark.parametrize("name", ["mnist_convnet", "conv_autoencoder"])
def test_help_lists_the_quick_options(name, tmp_path):
    out = run_example(name, "--help", cwd=tmp_path)
    assert "--epochs" in out and "--samples" in out and "quick run" in out
