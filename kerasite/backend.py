"""The array backend seam and the optional accelerator.

``xp`` names the array module, NumPy today. It is where a GPU port would
start: route the engine's array calls through ``xp`` and point it at an
API-compatible library such as CuPy.

The accelerator is the other seam. A handful of hot loops in the engine (the
conv layers' im2col and col2im, pooling, a few fused elementwise passes) are
written as plain NumPy functions marked with :func:`kernel`. When the optional
``numba`` package is installed (``pip install kerasite[fast]``), each marked
function may have a compiled twin in ``kerasite/_fast/`` that computes the
same result, within float32 rounding, in one multi-threaded pass. The NumPy
function stays the reference, the one to read and to step through.

The accelerator is on when numba is installed. Turn it off with
``use_accelerator(False)`` or with the environment variable
``KERASITE_ACCELERATOR=0`` set before the first kernel runs.

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

__all__ = ["xp", "kernel", "use_accelerator", "accelerator_enabled",
           "accelerator_available"]

ENV_VARIABLE = "KERASITE_ACCELERATOR"

_FAST = {}         # kernel key -> compiled twin, filled by kerasite._fast
_state = {"on": None, "threads": None}   # on=None: not decided yet (at the first kernel call)


def accelerator_available():
    """Whether numba, the accelerator's one dependency, is installed."""
    return importlib.util.find_spec("numba") is not None


def _load_fast():
    import kerasite._fast  # noqa: F401  (registers the compiled twins in _FAST)

    _apply_threads()


def set_num_threads(n):
    """Caps the accelerator's threads at ``n``; ``config.set_num_threads`` calls it."""
    _state["threads"] = int(n)
    _apply_threads()


def _apply_threads():
    import sys

    if _state["threads"] is not None and "kerasite._fast" in sys.modules:
        import numba

        numba.set_num_threads(max(1, min(_state["threads"], numba.config.NUMBA_NUM_THREADS)))


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
    if not isinstance(enabled, bool):
        raise TypeError(f"`enabled` must be True or False. Received: enabled={enabled!r}")
    previous = accelerator_enabled()
    if enabled and not accelerator_available():
        raise ImportError("The accelerator needs numba, which is not installed. "
                          "Install it with: pip install 'kerasite[fast]'")
    if enabled:
        _load_fast()
    _state["on"] = enabled
    return previous


def _key(fn):
    return f"{fn.__module__}.{fn.__qualname__}"


def kernel(reference):
    """Mark a NumPy function as a kernel the accelerator may replace.

    The decorated function runs its compiled twin when the accelerator is on
    and a twin is registered, and the NumPy reference otherwise. The twin must
    take the same arguments and give the same result within float32 rounding;
    ``tests/test_backend.py`` checks every registered pair.
    """
    key = _key(reference)

    @functools.wraps(reference)
    def dispatch(*args, **kwargs):
        on = _state["on"]
        if on is None:
            on = _decide()
        if on:
            fast = _FAST.get(key)
            if fast is not None:
                return fast(*args, **kwargs)
        return reference(*args, **kwargs)

    dispatch.reference = reference
    dispatch.key = key
    return dispatch


def twin(marked):
    """Register the decorated function as the compiled twin of ``marked``.

    Used only in ``kerasite/_fast/``.
    """
    def register(fast):
        _FAST[marked.key] = fast
        return fast
    return register
