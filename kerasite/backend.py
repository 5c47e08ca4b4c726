"""The array backend seam.

Every module in the engine does its array maths through ``xp``. Today that is
NumPy; pointing ``xp`` at an API-compatible library (CuPy, for example) is the
one change a GPU port would start from.
"""

import numpy as xp  # noqa: F401  (re-exported)

__all__ = ["xp"]
