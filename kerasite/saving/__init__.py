"""Saving and loading models: kerasite's ``.kerasite`` files and Keras 3's files.

``model.save``, ``model.save_weights``, ``model.load_weights`` and
``kerasite.models.load_model`` call the functions here, which pick the format
from the file name:

* ``.kerasite`` and ``.weights.npz``: kerasite's own format
  (``kerasite.saving.native``), which restores a model bit for bit and
  resumes its training exactly;
* ``.keras``, ``.h5`` and ``.weights.h5``: Keras 3's formats (and tf.keras 2's
  ``.h5``), read and written by ``kerasite.saving.keras``.

Both are built on ``kerasite.saving._archive`` (atomic writes, guarded
reads). Loading never runs code from a file: classes come only from
kerasite's registries, by name.

``MAX_FILE_SIZE`` (bytes, 2 GiB) and ``MAX_LAYERS`` (10,000) bound what
loading accepts; a user may raise them, e.g. ``kerasite.saving.MAX_LAYERS =
50_000``.
"""

import sys

from kerasite.saving import _archive
from kerasite.saving.native import (
    FORMAT_VERSION,
    MODEL_EXTENSION,
    WEIGHTS_EXTENSION,
    get_registered_object,
    load_model,
    load_weights,
    register_keras_serializable,
    register_serializable,
    save_model,
    save_weights,
)
from kerasite.saving.native import _warn_if_resuming_mid_epoch  # noqa: F401  (called by fit)
from kerasite.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)


class _SavingModule(_archive.ForwardingModule):
    # The limits live with the readers that check them; set here, they change there.
    _forward = {"MAX_FILE_SIZE": _archive, "MAX_LAYERS": _archive}


sys.modules[__name__].__class__ = _SavingModule

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "register_serializable",
           "register_keras_serializable", "get_registered_object", "FORMAT_VERSION",
           "MODEL_EXTENSION", "WEIGHTS_EXTENSION", "MAX_FILE_SIZE", "MAX_LAYERS",
           "custom_object_scope", "CustomObjectScope", "get_custom_objects",
           "serialize_keras_object", "deserialize_keras_object"]
