"""Compiled twins of the engine's marked kernels (optional: needs numba).

Imported only by ``kerasite.backend`` when the accelerator turns on. Each
module here registers, with ``backend.twin``, a numba function for a kernel
that the engine marks with ``backend.kernel``; the NumPy function stays the
reference. ``cache=True`` keeps the compiled code between runs.
"""
import os

# numba runs its parallel loops on OpenMP threads when libgomp is present.
# By default those threads spin for a while after each loop, and so do
# OpenBLAS's after each product: on two cores the four spinning threads turn a
# 4 us hand-off into milliseconds. Passive threads sleep at once. Set before
# libgomp loads (numba loads it at the first parallel loop); a value the user
# set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from kerasite._fast import conv  # noqa: F401,E402  (im2col, col2im, pooling, the conv epilogue)
from kerasite._fast import dense  # noqa: F401,E402  (the optimizers' updates)
