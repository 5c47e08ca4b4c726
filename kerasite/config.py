"""Global settings: the float type that weights and data use, and BLAS threads.

The thread controls live in :mod:`kerasite.backend.threads` (the accelerator's
threads follow them) and are re-exported here: ``config.set_num_threads``,
``config.get_num_threads``, ``config.free_cores``.
"""

import numpy as np

from kerasite.backend.threads import free_cores, get_num_threads, set_num_threads  # noqa: F401

_FLOATX = "float32"
_VALID_FLOATX = ("float32", "float64")


def floatx():
    """Returns the default float type as a string, ``"float32"`` unless changed.

    Example:
        >>> import kerasite
        >>> kerasite.config.floatx()
        'float32'
    """
    return _FLOATX


def set_floatx(value):
    """Sets the float type that new weights are created in and data is cast to.

    float32 is the default because it halves memory traffic and BLAS runs it
    about twice as fast; use float64 for gradient checking.

    Args:
        value: ``"float32"`` or ``"float64"``.

    Raises:
        ValueError: for any other value.

    Example:
        >>> from kerasite import config
        >>> config.set_floatx("float64"); config.floatx()
        'float64'
        >>> config.set_floatx("float32")
    """
    global _FLOATX
    # np.dtype(None) is float64, so None must not go through it.
    name = np.dtype(value).name if value is not None and _is_dtype_like(value) else value
    if name not in _VALID_FLOATX:
        raise ValueError(
            f"`floatx` must be one of {_VALID_FLOATX}. Received: value={value!r}. "
            "Use 'float32' for speed or 'float64' for gradient checks."
        )
    _FLOATX = name


def _is_dtype_like(value):
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (1e-7, as in Keras).

    Example:
        >>> epsilon()
        1e-07
    """
    return 1e-7
