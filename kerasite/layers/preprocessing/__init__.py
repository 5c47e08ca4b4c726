"""Preprocessing layers: numbers (``Rescaling``, ``Normalization``, ``Discretization``),
categories (``CategoryEncoding``, ``Hashing``, ``StringLookup``, ``IntegerLookup``),
text (``TextVectorization``) and images (``Resizing``, ``CenterCrop`` and the
random augmentations, active only in training).
"""

from kerasite.layers.preprocessing.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from kerasite.layers.preprocessing.category_encoding import CategoryEncoding
from kerasite.layers.preprocessing.discretization import Discretization
from kerasite.layers.preprocessing.hashing import Hashing
from kerasite.layers.preprocessing.image import CenterCrop, Resizing
from kerasite.layers.preprocessing.integer_lookup import IntegerLookup
from kerasite.layers.preprocessing.normalization import Normalization
from kerasite.layers.preprocessing.rescaling import Rescaling
from kerasite.layers.preprocessing.string_lookup import StringLookup
from kerasite.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["Rescaling", "Normalization", "Discretization", "CategoryEncoding", "Hashing",
           "StringLookup", "IntegerLookup", "TextVectorization", "Resizing", "CenterCrop",
           "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
           "RandomBrightness", "RandomCrop"]
