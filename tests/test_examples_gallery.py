"""The gallery's example scripts run as a user runs them, and print what their pages promise.

Each script runs in a subprocess, in a temporary folder, with small settings,
and its printed report is checked with real thresholds. The last tests check
that the gallery covers every script in ``examples/`` and that each page
shows the script's current code, its output and every figure it draws.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GALLERY_PAGES = ROOT / "docs" / "examples"
GALLERY_ASSETS = ROOT / "docs" / "assets" / "gallery"


def run_example(name, *args, cwd, timeout=300):
    env = {**os.environ, "MPLBACKEND": "Agg", "KERASITE_HOME": str(Path(cwd) / "home")}
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                            capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    assert result.returncode == 0, f"{name}.py failed:\n{result.stderr}"
    return result.stdout


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return float(match.group(1))


# ----------------------------------------------------------------------- the scripts
@pytest.mark.slow
def test_digits_classifier_learns_the_digits(tmp_path):
    out = run_example("digits_classifier", "--epochs", "15", "--out", "run", cwd=tmp_path)
    assert number(r"test accuracy (\d\.\d+)", out) > 0.9
    assert number(r"val_accuracy (\d\.\d+)", out) > 0.9
    assert "after 15 epochs" in out
    wrong = number(r"(\d+) of 359 test images misclassified", out)
    assert wrong == round((1 - number(r"test accuracy (\d\.\d+)", out)) * 359)
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"history.png", "confusion_matrix.png"}


@pytest.mark.slow
def test_custom_layer_passes_its_gradient_check_trains_and_reloads(tmp_path):
    out = run_example("custom_layer", "--epochs", "8", "--out", "run", cwd=tmp_path)
    assert number(r"max relative difference: (\S+) ", out) < 1e-6
    # Every row of both reports, not just the summary line.
    rows = re.findall(r"^(\S+)\s+\([\d, ]*\)\s+(\S+)\s+(\S+)$", out, flags=re.MULTILINE)
    names = [name for name, _, _ in rows]
    assert "swish_alone/beta" in names and "swish_inside/beta" in names and "input" in names
    assert len(rows) == 2 + 6
    assert all(float(rel) < 1e-6 for _, _, rel in rows)
    assert number(r"test accuracy (\d\.\d+)", out) > 0.85
    assert "Swish layer, predictions identical: True" in out
    assert (tmp_path / "run" / "swish_betas.png").is_file()
    assert (tmp_path / "run" / "swish_model.kerasite").is_file()


@pytest.mark.slow
def test_callbacks_showcase_records_every_epoch_and_batch(tmp_path):
    out = run_example("callbacks_showcase", "--epochs", "40", "--patience", "3", "--out", "run",
                      cwd=tmp_path)
    epochs = int(number(r"trained (\d+) of at most 40 epochs", out))
    steps = int(number(r"(\d+) batches per epoch", out))
    assert steps == 41  # 1,294 training images in batches of 32
    assert 3 < epochs < 40, "EarlyStopping should have stopped the run"
    assert int(number(r"stopped after epoch (\d+)", out)) == epochs
    best_epoch = int(number(r"at epoch (\d+)\n", out))
    assert epochs - 3 <= best_epoch < epochs  # patience 3: stopped 3 epochs after the best
    # restore_best_weights: the weights at the end give the best validation loss.
    assert number(r"best val_loss (\d\.\d+)", out) == number(r"restored weights: (\d\.\d+)", out)
    assert int(number(r"epochs timed: (\d+)", out)) == epochs
    assert int(number(r"batch losses: (\d+)", out)) == epochs * steps
    assert int(number(r"epoch losses: (\d+)", out)) == epochs
    assert int(number(r"batch_losses.csv rows: (\d+)", out)) == epochs * steps
    assert int(number(r"epochs.csv rows: (\d+)", out)) == epochs
    assert "columns: epoch, accuracy, learning_rate, loss, time, val_accuracy, val_loss\n" in out
    assert "warm-up 0.001, 0.002, 0.003;\n" in out
    assert int(number(r"batch values: (\d+)", out)) == epochs * steps
    assert int(number(r"epoch means: (\d+)", out)) == epochs
    assert (tmp_path / "run" / "callbacks.png").is_file()


@pytest.mark.slow
def test_autoencoder_svm_runs_end_to_end_on_the_digits(tmp_path):
    out = run_example("autoencoder_svm", "--epochs", "30", "--verbose", "0", "--out", "run",
                      cwd=tmp_path)
    assert "test images also in train: 0" in out
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["accuracy"]["test"] > 0.9
    assert results["mse"]["test"] < 0.05
    for name in ("loss.png", "reconstructions.png", "confusion_matrix.png",
                 "autoencoder.kerasite"):
        assert (tmp_path / "run" / name).is_file(), name


@pytest.mark.slow
def test_denoising_autoencoder_denoises_and_keeps_its_frozen_encoder(tmp_path):
    out = run_example("denoising_autoencoder", "--epochs", "25", "--head-epochs", "15",
                      "--out", "run", cwd=tmp_path)
    noisy = number(r"noisy input (\d\.\d+)", out)
    denoised = number(r"denoised (\d\.\d+)", out)
    assert denoised < 0.6 * noisy  # the noise alone costs 0.05; denoising removes much of it
    assert "decoder(encoder(x)) equals autoencoder(x): True" in out
    assert "2 trainable arrays" in out and "encoder unchanged: True" in out
    assert number(r"test accuracy (\d\.\d+)", out) > 0.6
    assert (tmp_path / "run" / "denoising.png").is_file()
def _fashion_mnist_installed():
    from kerasite.datasets import fashion_mnist

    mirrors, fashion_mnist.MIRRORS = fashion_mnist.MIRRORS, []  # look, never download
    try:
        fashion_mnist.load_data()
    except Exception:  # noqa: BLE001 - any reason the files are not here
        return False
    finally:
        fashion_mnist.MIRRORS = mirrors
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _fashion_mnist_installed(),
                    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_reports_by_class_name(tmp_path):
    out = run_example("fashion_mnist", "--epochs", "2", "--samples", "3000", "--out", "run",
                      cwd=tmp_path)
    assert number(r"test accuracy (\d\.\d+)", out) > 0.6
    # The classification report names every class, in the dataset's order.
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot"]
    rows = re.findall(r"^\s*(\S.*?)\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+1000$", out,
                      flags=re.MULTILINE)
    assert rows == names
    assert {p.name for p in (tmp_path / "run").iterdir()} == {
        "history.png", "confusion_matrix.png", "mistakes.png"}


def _load_example(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("p, shown", [(0.5, "50 %"), (0.987, "99 %"), (0.994, "99.4 %"),
                                      (0.9996, "99.96 %"), (0.99999, "99.999 %"),
                                      (1.0, "> 99.9999 %")])
def test_mistakes_show_the_probability_with_the_digits_that_tell_it_from_100(p, shown):
    assert _load_example("fashion_mnist").confidence(p) == shown


def test_mistakes_figure_is_in_the_datasets_grey_and_names_the_model(tmp_path, monkeypatch):
    module = _load_example("fashion_mnist")
    saved = []
    monkeypatch.setattr("matplotlib.figure.Figure.savefig",
                        lambda fig, *args, **kwargs: saved.append(fig))
    x = np.random.default_rng(0).random((4, 28, 28))
    probabilities = np.array([[0.1, 0.9], [0.99991, 0.00009], [0.6, 0.4], [0.2, 0.8]])
    module.plot_mistakes(x, np.array([0, 1, 0, 0]), np.array([1, 0, 0, 1]), probabilities,
                         ["T-shirt", "Trouser"], tmp_path / "m.png", "MLP 784-256-10")
    (fig,) = saved
    assert fig._suptitle.get_text().startswith("Fashion-MNIST test images the MLP 784-256-10 "
                                               "got wrong")
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.images[0].get_cmap().name for ax in shown] == ["gray"] * 3  # white on black
    # Most confident first: 99.991 % (shown 99.99 %) for "Trouser taken for T-shirt".
    assert [ax.get_title().splitlines()[-1] for ax in shown] == ["(99.99 %)", "(90 %)",
                                                                 "(80 %)"]


@pytest.mark.slow
def test_structured_data_learns_and_its_saved_models_take_raw_rows(tmp_path):
    out = run_example("structured_data", "--rows", "600", "--epochs", "8", "--out",
                      str(tmp_path / "out"), cwd=tmp_path)
    assert number(r"test accuracy (\d\.\d+)", out) > 0.75
    assert out.count("reloaded predictions match") == 2
    assert (tmp_path / "out" / "history.png").is_file()

# ------------------------------------------------------------------------ the gallery
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py"))


def test_the_figure_script_runs_every_example():
    spec = importlib.util.spec_from_file_location("gen_figures", ROOT / "docs" / "gen_figures.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert sorted(gen.EXAMPLES) == SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_gallery_page_shows_the_code_the_output_and_every_figure(name):
    page = GALLERY_PAGES / f"{name}.md"
    assert page.is_file(), f"add docs/examples/{name}.md and put it in mkdocs.yml's nav"
    text = page.read_text(encoding="utf-8")
    assert f'--8<-- "examples/{name}.py"' in text
    assert f'--8<-- "docs/assets/gallery/{name}/output.txt"' in text
    assert (GALLERY_ASSETS / name / "output.txt").is_file(), "run python docs/gen_figures.py"
    figures = {p.name for p in (GALLERY_ASSETS / name).glob("*.png")}
    shown = set(re.findall(rf"\.\./assets/gallery/{name}/([\w.-]+\.png)", text))
    assert figures == shown, f"figures drawn {sorted(figures)}, shown {sorted(shown)}"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"examples/{name}.md" in nav
    index = (GALLERY_PAGES / "index.md").read_text(encoding="utf-8")
    assert f"({name}.md)" in index
