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
)
from kerasite.layers.input import Input
from kerasite.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input", "Model", "Sequential", "callbacks", "config", "gradcheck", "initializers",
    "layers", "losses", "metrics", "models", "optimizers", "utils", "__version__",
]
