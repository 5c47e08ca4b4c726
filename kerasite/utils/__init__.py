"""Seeding, label and array helpers shared across the package.

``to_categorical`` and ``normalize`` are Keras's ``keras.utils`` helpers of
the same names.

kerasite keeps one global ``numpy.random.Generator``. Initializers draw weights
from it and layers without their own seed draw their seeds from it, so
``set_random_seed`` makes a whole run reproducible. Randomness used *during*
training (shuffling, dropout masks) is derived from ``(seed, epoch)`` so that a
run resumed at epoch ``k`` sees exactly the batches and masks it would have seen.
"""

from kerasite.utils.eager import EagerArray, EagerFloat
from kerasite.utils.numerical_utils import normalize, to_categorical
from kerasite.utils.rng_utils import (check_seed, draw_seed, epoch_rng, get_rng,
                                      set_random_seed)
from kerasite.utils.sequence_utils import pad_sequences
# The dataset utilities.
from kerasite.utils.dataset import AUTOTUNE, Dataset
from kerasite.utils.dataset_utils import split_dataset
from kerasite.utils.image_utils import array_to_img
from kerasite.utils.image_utils import image_dataset_from_directory
from kerasite.utils.image_utils import img_to_array
from kerasite.utils.image_utils import load_img
from kerasite.utils.image_utils import save_img
from kerasite.utils.text_dataset_utils import text_dataset_from_directory
from kerasite.utils.timeseries_utils import timeseries_dataset_from_array
from kerasite.utils.py_dataset import PyDataset, Sequence  # Keras's keras.utils names


# Keras's keras.utils.plot_model and model_to_dot live with the other plots, in
# kerasite.plotting (a bridge to pydot and Graphviz, above the engine that imports this
# package); they are looked up there when first asked for.
_FROM_PLOTTING = ("model_to_dot", "plot_model")


def __getattr__(name):
    if name in _FROM_PLOTTING:
        import importlib

        return getattr(importlib.import_module("kerasite.plotting"), name)
    raise AttributeError(f"module 'kerasite.utils' has no attribute {name!r}")
