"""Compiled twins of the engine's marked kernels (optional: needs numba).

Imported only by ``kerasite.backend`` when the accelerator turns on. Each
module here registers, with ``backend.twin``, a numba function for a kernel
that the engine marks with ``backend.kernel``; the NumPy function stays the
reference. ``cache=True`` keeps the compiled code between runs.
"""

from kerasite._fast import dense  # noqa: E402,F401  (the dense path's twins)
