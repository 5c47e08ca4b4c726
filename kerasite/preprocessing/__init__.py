"""Keras 2-era ``keras.preprocessing`` import paths that scripts still use.

Each name is the same function as in ``kerasite.utils``:
``kerasite.preprocessing.sequence.pad_sequences`` is
:func:`kerasite.utils.pad_sequences`, ``kerasite.preprocessing.image.load_img``
is :func:`kerasite.utils.load_img`, and so on.
"""

from kerasite.preprocessing import image, sequence
from kerasite.utils.image_utils import image_dataset_from_directory
from kerasite.utils.text_dataset_utils import text_dataset_from_directory
from kerasite.utils.timeseries_utils import timeseries_dataset_from_array

__all__ = [
    "image",
    "sequence",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
