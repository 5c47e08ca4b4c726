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
``KERASITE_ACCELERATOR`` set before the first kernel runs: ``0``, ``off``,
``false``, ``no``, ``n``, ``none`` or ``disabled`` turn it off; ``1``, ``on``,
``true``, ``yes``, ``y`` or ``enabled`` (or leaving it unset) leave it on;
any other value is refused with a ``ValueError``. If the twins cannot be
compiled or cached (a read-only install and home directory, where numba has
nowhere to write its cache), kerasite warns once and runs the NumPy
references: the models work, only slower. The thread
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
import warnings

import numpy as xp  # noqa: F401  (re-exported)

from kerasite._validation import boolean
from kerasite.backend import threads
from kerasite.backend.threads import free_cores, get_num_threads, set_num_threads  # noqa: F401

__all__ = ["xp", "kernel", "twin", "use_accelerator", "accelerator_enabled",
           "accelerator_available"]

ENV_VARIABLE = "KERASITE_ACCELERATOR"
_ON_WORDS = ("1", "on", "true", "yes", "y", "enabled")
_OFF_WORDS = ("0", "off", "false", "no", "n", "none", "disabled")

_FAST = {}         # kernel name -> compiled twin, filled from numba_kernels.TWINS
_state = {"on": None, "warned": False}   # on=None: not decided yet (at the first kernel call)
_proven = set()    # twins that ran once: compiled (and cached, or not) without error


def accelerator_available():
    """Whether numba, the accelerator's one dependency, is installed."""
    return importlib.util.find_spec("numba") is not None


def _load_fast():
    """Registers the compiled twins; False (after one warning) if numba cannot provide them."""
    try:
        from kerasite.backend import numba_kernels
    except Exception as exc:  # noqa: BLE001  (numba's errors have no common base class)
        # Typically "cannot cache function ...: no locator available": numba finds no
        # writable cache directory (a read-only install and home directory).
        _fall_back(exc, "could not be loaded")
        return False
    for name, fast in numba_kernels.TWINS.items():
        _FAST.setdefault(name, fast)  # never replaces a twin registered with ``twin``
    threads._apply_accelerator_threads()
    return True


def _fall_back(exc, what):
    """Turns the accelerator off for this process, warning once why."""
    _state["on"] = False
    if _state["warned"]:
        return
    _state["warned"] = True
    warnings.warn(
        f"kerasite's accelerator (numba) {what}, so kerasite runs its NumPy kernels instead: "
        f"the results are the same, only slower. numba said: {type(exc).__name__}: {exc}. "
        "If numba cannot write its cache, point NUMBA_CACHE_DIR at a writable directory; set "
        f"{ENV_VARIABLE}=0 to turn the accelerator off without this warning.",
        UserWarning, stacklevel=3)


def _wanted():
    """The accelerator setting of the environment variable (on when unset or empty)."""
    value = os.environ.get(ENV_VARIABLE, "").strip().lower()
    if value == "" or value in _ON_WORDS:
        return True
    if value in _OFF_WORDS:
        return False
    raise ValueError(
        f"The environment variable {ENV_VARIABLE} must say whether to use the accelerator: "
        f"one of {', '.join(_OFF_WORDS)} to turn it off, or one of {', '.join(_ON_WORDS)} "
        f"(or leave it unset) to turn it on. Received: "
        f"{ENV_VARIABLE}={os.environ.get(ENV_VARIABLE)!r}. Fix or unset the variable."
    )


def _decide():
    on = _wanted() and accelerator_available()
    if on:
        on = _load_fast()
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

    If numba is installed but the twins cannot be compiled or cached, it
    warns once and the NumPy references stay in use.
    """
    enabled = boolean(enabled, "enabled")
    try:
        previous = accelerator_enabled()
    except ValueError:  # a misspelt KERASITE_ACCELERATOR: this explicit choice overrides it
        previous = False
    if enabled and not accelerator_available():
        raise ImportError("The accelerator needs numba, which is not installed. "
                          "Install it: in your kerasite clone, python -m pip install -e '.[fast]' "
                          "(or pip install numba).")
    _state["on"] = _load_fast() if enabled else False
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
                if key in _proven:
                    result = fast(*args, **kwargs)
                else:
                    result = _first_call(key, fast, args, kwargs)
                if result is not NotImplemented:
                    return result
        return reference(*args, **kwargs)

    dispatch.reference = reference
    dispatch.key = key
    return dispatch


def _first_call(key, fast, args, kwargs):
    """Runs a twin the first time: numba compiles (and caches) it now, and that may fail."""
    try:
        result = fast(*args, **kwargs)
    except (RuntimeError, OSError) as exc:  # e.g. a cache directory that cannot be written
        _fall_back(exc, f"could not compile its kernel {key!r}")
        return NotImplemented
    _proven.add(key)
    return result


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
        _proven.discard(name)  # a new twin compiles anew
        return fast
    return register
