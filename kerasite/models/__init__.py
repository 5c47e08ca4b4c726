"""Models: ``Model``, ``Sequential`` and the autoencoder family."""

from kerasite.models.model import Model
from kerasite.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
