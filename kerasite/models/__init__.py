"""Models: ``Model``, ``Sequential`` and the autoencoder family."""

from kerasite.models.autoencoder import Autoencoder, Decoder, Encoder
from kerasite.models.model import Model
from kerasite.models.sequential import Sequential
from kerasite.saving import load_model

__all__ = ["Model", "Sequential", "Encoder", "Decoder", "Autoencoder", "load_model"]
