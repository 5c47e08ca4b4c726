"""Keras 2-era ``keras.preprocessing`` import paths that scripts still use.

Each name is the same function as in ``kerasite.utils``.
"""

from kerasite.preprocessing import image
from kerasite.utils.image_utils import image_dataset_from_directory
from kerasite.utils.text_dataset_utils import text_dataset_from_directory
from kerasite.utils.timeseries_utils import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
