"""Models: ``Model``, ``Sequential`` and the autoencoder family."""

from kerasite import layers as _layers
from kerasite.models.autoencoder import Autoencoder, Decoder, Encoder
from kerasite.models.model import Model
from kerasite.models.sequential import Sequential
from kerasite.saving import load_model

# Nested models are saved as layers of their parent, so the layer registry
# (the only place loading takes classes from) must know the model classes.
for _cls in (Model, Sequential, Encoder, Decoder, Autoencoder):
    _layers.register(_cls)

__all__ = ["Model", "Sequential", "Encoder", "Decoder", "Autoencoder", "load_model"]
