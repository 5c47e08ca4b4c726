"""The array backend seam and the optional accelerator.

``xp`` names the array module, NumPy today. It is where a GPU port would
start: route the engine's array calls through ``xp`` and point it at an
API-compatible library such as CuPy.

The accelerator is the other seam. A handful of hot loops in the engine (the
conv layers' im2col and col2im, pooling, a few fused elementwise passes, the
optimizers' updates) are plain NumPy functions in
``kerasite/backend/kernels.py``, each marked with :func:`kernel`. When the
optional ``numba`` package is installed (in a kerasite clone, ``python -m pip install -e ".[fast]"``), a
marked function may have a compiled twin of the same name in
``kerasite/backend/numba_kernels.py`` that computes the same result, within
float32 rounding, in one pass. Twins are looked up by the reference's name
(``"im2col"``), so a twin module imports nothing but the references. The
NumPy function stays the reference, the one to read and to step through.

The accelerator is on when numba is installed. Turn it off with
``use_accelerator(False)`` or with the environment variable
``KERASITE_ACCELERATOR=0`` set before the first kernel runs. The thread
controls (``set_num_threads``, ``get_num_threads``, ``free_cores``) live in
:mod:`kerasite.backend.threads`; ``kerasite.config`` re-exports them.

This package is the bottom of kerasite: nothing here imports the layers,
the optimizers, the models or ``kerasite.config``.

Example:
    >>> from kerasite.backend import xp
    >>> xp.__name__
    'numpy'
    >>> from kerasite import backend
    >>> previous = backend.use_accelerator(False)
    >>> backend.accelerator_enabled()
    False
    >>> _ = backend.use_accelerator(previous)
"""
import functools
import importlib.util
import os

import numpy as xp  # noqa: F401  (re-exported)

from kerasite._validation import boolean
from kerasite.backend import threads
from kerasite.backend.threads import free_cores, get_num_threads, set_num_threads  # noqa: F401

__all__ = ["xp", "kernel", "twin", "use_accelerator", "accelerator_enabled",
           "accelerator_available"]

ENV_VARIABLE = "KERASITE_ACCELERATOR"

_FAST = {}         # kernel name -> compiled twin, filled from numba_kernels.TWINS
_state = {"on": None}   # on=None: not decided yet (at the first kernel call)


def accelerator_available():
    """Whether numba, the accelerator's one dependency, is installed."""
    return importlib.util.find_spec("numba") is not None


def _load_fast():
    from kerasite.backend import numba_kernels

    for name, fast in numba_kernels.TWINS.items():
        _FAST.setdefault(name, fast)  # never replaces a twin registered with ``twin``
    threads._apply_accelerator_threads()


def _decide():
    wanted = os.environ.get(ENV_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")
    on = wanted and accelerator_available()
    if on:
        _load_fast()
    _state["on"] = on
    return on


def accelerator_enabled():
    """Whether marked kernels run their compiled twins now."""
    on = _state["on"]
    return _decide() if on is None else on


def use_accelerator(enabled=True):
    """Switch the compiled kernels on or off; returns the previous setting.

    Args:
        enabled: True to run the compiled twins (needs numba), False for the
            plain NumPy reference kernels everywhere.

    Raises:
        ImportError: ``enabled`` is True and numba is not installed.
    """
    enabled = boolean(enabled, "enabled")
    previous = accelerator_enabled()
    if enabled and not accelerator_available():
        raise ImportError("The accelerator needs numba, which is not installed. "
                          "Install it: in your kerasite clone, python -m pip install -e '.[fast]' "
                          "(or pip install numba).")
    if enabled:
        _load_fast()
    _state["on"] = enabled
    return previous


def kernel(reference):
    """Mark a NumPy function as a kernel the accelerator may replace.

    The decorated function runs the twin registered under the reference's
    name when the accelerator is on, and the NumPy reference otherwise. The
    twin must take the same arguments and give the same result within float32
    rounding; it may return ``NotImplemented`` for a layout it was not written
    for (a non-contiguous view, a small array), and the reference runs
    instead. ``tests/test_backend.py`` and ``tests/test_fast_conv.py`` check
    every registered pair.

    The returned function keeps the reference as ``.reference`` and its name,
    the twins' key, as ``.key``.
    """
    key = reference.__name__

    @functools.wraps(reference)
    def dispatch(*args, **kwargs):
        on = _state["on"]
        if on is None:
            on = _decide()
        if on:
            fast = _FAST.get(key)
            if fast is not None:
                result = fast(*args, **kwargs)
                if result is not NotImplemented:
                    return result
        return reference(*args, **kwargs)

    dispatch.reference = reference
    dispatch.key = key
    return dispatch


def twin(name):
    """Register the decorated function as the twin of the kernel called ``name``.

    ``kerasite/backend/numba_kernels.py`` lists its twins in ``TWINS`` instead;
    this is for a twin written elsewhere (another array library, a test).

    Args:
        name: the reference's name in ``kerasite/backend/kernels.py``, e.g.
            ``"im2col"``.

    Example:
        >>> from kerasite import backend
        >>> @backend.twin("my_kernel")
        ... def my_kernel(x):
        ...     return x
        >>> backend._FAST.pop("my_kernel") is my_kernel
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be the kernel's name, a string such as 'im2col'. "
                        f"Received: name={name!r}")

    def register(fast):
        _FAST[name] = fast
        return fast
    return register
