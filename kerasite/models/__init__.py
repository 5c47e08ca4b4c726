"""Models: ``Model``, ``Sequential`` and the autoencoder family."""

from kerasite import _registry
from kerasite import layers as _layers
from kerasite.models.autoencoder import Autoencoder, Decoder, Encoder
from kerasite.models.cloning import clone_model, model_from_json
from kerasite.models.model import Model
from kerasite.models.sequential import Sequential
from kerasite.saving import load_model

# Nested models are saved as layers of their parent, so the layer registry
# (the only place loading takes classes from) must know the model classes.
# kerasite.saving finds them by name in kerasite._registry: it never imports
# kerasite.models.
for _cls in (Model, Sequential, Encoder, Decoder, Autoencoder):
    _layers.register(_cls)
    _registry.register_model_class(_cls)

__all__ = ["Model", "Sequential", "Encoder", "Decoder", "Autoencoder", "load_model",
           "clone_model", "model_from_json"]
