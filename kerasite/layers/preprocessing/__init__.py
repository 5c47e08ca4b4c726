"""Preprocessing layers: numbers (``Rescaling``, ``Normalization``, ``Discretization``),
categories (``CategoryEncoding``, ``Hashing``, ``StringLookup``, ``IntegerLookup``),
text (``TextVectorization``) and images (``Resizing``, ``CenterCrop`` and the
random augmentations, active only in training).
"""

from kerasite.layers.preprocessing.normalization import Normalization
from kerasite.layers.preprocessing.rescaling import Rescaling

__all__ = ["Rescaling", "Normalization"]
