"""The gallery's VAE and GAN (custom train_steps with a GradientTape) train on a small slice.

Both need Fashion-MNIST's files (Debian's dataset-fashion-mnist); without them the
tests skip. They run the examples' own main() in this process, with few images.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kerasite.datasets import fashion_mnist

ROOT = Path(__file__).resolve().parents[1]


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" /
                                                  f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _installed():
    mirrors, fashion_mnist.MIRRORS = fashion_mnist.MIRRORS, []
    try:
        fashion_mnist.load_data()
        return True
    except OSError:
        return False
    finally:
        fashion_mnist.MIRRORS = mirrors


needs_data = pytest.mark.skipif(not _installed(), reason="Fashion-MNIST is not installed "
                                "(apt-get install dataset-fashion-mnist)")


@pytest.mark.slow
@needs_data
def test_the_vae_trains_its_losses_fall_and_draws_its_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    history = _example("vae").main(["--epochs", "3", "--samples", "640", "--verbose", "0",
                                    "--out", str(tmp_path)]).history
    assert sorted(history) == ["kl_loss", "loss", "reconstruction_loss"]
    loss = history["loss"]
    assert loss[-1] < loss[0] and all(np.isfinite(loss))
    # the loss the trackers report is the sum of the two terms they track
    np.testing.assert_allclose(loss, np.add(history["reconstruction_loss"],
                                            history["kl_loss"]), rtol=1e-5)
    assert {p.name for p in tmp_path.iterdir()} == {"losses.png", "latent_grid.png",
                                                    "latent_clusters.png"}


@pytest.mark.slow
@needs_data
def test_the_gan_steps_both_models_with_their_own_optimizers(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    gan_module = _example("gan")
    seen = {}
    original = gan_module.GAN.compile

    def compile_and_keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen["gan"] = self
        seen["before"] = [w.numpy() for w in (*self.discriminator.weights,
                                              *self.generator.weights)]

    monkeypatch.setattr(gan_module.GAN, "compile", compile_and_keep)
    history = gan_module.main(["--epochs", "2", "--samples", "256", "--verbose", "0",
                               "--out", str(tmp_path)]).history
    assert sorted(history) == ["d_loss", "g_loss"]
    assert all(0 < v < 5 for v in history["d_loss"] + history["g_loss"])
    gan = seen["gan"]
    after = [w.numpy() for w in (*gan.discriminator.weights, *gan.generator.weights)]
    assert all(not np.array_equal(a, b) for a, b in zip(seen["before"], after))
    assert gan.d_optimizer.iterations == gan.g_optimizer.iterations == 2 * 4  # 256 / 64
    assert (tmp_path / "samples_epoch02.png").is_file()
