"""kerasite: a neural-network library written on NumPy, with the interface of tf.keras.

Every gradient is computed by code you can read: each layer's ``forward`` and
``backward`` sit side by side.
"""

from kerasite import (
    callbacks,
    config,
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    utils,
    random,
)
from kerasite.layers.input import Input
from kerasite.models import Model, Sequential
from kerasite.ops import GradientTape  # and, with it, the submodule kerasite.ops
from kerasite.variables import Variable

__version__ = "0.1.0"

__all__ = [
    "Input", "Model", "Sequential", "callbacks", "config", "datasets", "gradcheck",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "utils",
    "Variable", "__version__",
    "random",
]

# Loaded on first use, so that ``import kerasite`` stays light; ``kerasite.datasets``
# then works as ``keras.datasets`` does, without its own import line.
_LAZY_SUBMODULES = ("datasets", "preprocessing", "activations", "data")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"kerasite.{name}")
    raise AttributeError(f"module 'kerasite' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
