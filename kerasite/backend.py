"""The array backend seam.

``xp`` names the array module, NumPy today. It is where a GPU port would
start: route the engine's array calls through ``xp`` (the layers, losses and
optimizers still import NumPy directly) and point it at an API-compatible
library such as CuPy.

Example:
    >>> from kerasite.backend import xp
    >>> xp.__name__
    'numpy'
"""

import numpy as xp  # noqa: F401  (re-exported)

__all__ = ["xp"]
