"""Global settings: the float type that weights and data use, and BLAS threads."""

import os

import numpy as np

from kerasite import backend

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


# The threadpoolctl limiter in force, kept so that the limit lasts until changed.
_THREAD_LIMITER = None


def set_num_threads(n="auto"):
    """Sets how many threads NumPy's BLAS (OpenBLAS, MKL or BLIS) may use.

    The optional accelerator's threads (``kerasite.backend``) follow the same
    setting.

    Nearly all of kerasite's time is spent in BLAS matrix products. By default
    BLAS starts one thread per core, which is right on an idle machine. On a
    shared one it is a trap: when another process holds a core, BLAS's threads
    spin waiting for each other and an epoch can take 10 times longer. Use
    ``n=1`` on a busy machine, or ``"auto"`` to take the cores that are free
    now. Like ``torch.set_num_threads``, the setting holds for the whole
    process until changed.

    This needs threadpoolctl (scikit-learn brings it). Without it, set the
    variable of your BLAS before Python starts instead, for example
    ``OPENBLAS_NUM_THREADS=1 python train.py``.

    Args:
        n: a positive integer, or ``"auto"``: the cores that are free now,
            by ``free_cores()``.

    Returns:
        The number of threads set, an int.

    Raises:
        ValueError: if ``n`` is neither a positive integer nor ``"auto"``.
        ModuleNotFoundError: if threadpoolctl is not installed.

    Example:
        >>> from kerasite import config
        >>> before = config.get_num_threads()
        >>> config.set_num_threads(1)
        1
        >>> config.get_num_threads()
        1
        >>> config.set_num_threads("auto") >= 1
        True
        >>> config.set_num_threads(before) == before
        True
    """
    global _THREAD_LIMITER
    if isinstance(n, str) and n == "auto":
        n = free_cores()
    elif isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(
            "`n` must be a positive integer or 'auto'. "
            f"Received: n={n!r}. Use 1 on a busy machine, or 'auto' to take the free cores."
        )
    threadpoolctl = _threadpoolctl("set_num_threads")
    if _THREAD_LIMITER is not None:
        _THREAD_LIMITER.restore_original_limits()
    _THREAD_LIMITER = threadpoolctl.threadpool_limits(limits=int(n), user_api="blas")
    backend.set_num_threads(int(n))  # the accelerator's threads, if it is on, follow
    return int(n)


def get_num_threads():
    """The most threads NumPy's BLAS uses now (the largest over its libraries).

    Returns:
        An int, or ``None`` when threadpoolctl finds no BLAS thread pool.

    Raises:
        ModuleNotFoundError: if threadpoolctl is not installed.

    Example:
        >>> from kerasite import config
        >>> isinstance(config.get_num_threads(), int)
        True
    """
    threadpoolctl = _threadpoolctl("get_num_threads")
    counts = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
              if pool.get("user_api") == "blas"]
    return max(counts) if counts else None


def free_cores(interval=0.25):
    """How many of the cores this process may use are not busy with other work.

    On Linux it watches ``/proc/stat`` for ``interval`` seconds and counts how
    many cores' worth of time the machine spent busy; elsewhere it uses the
    one-minute load average, which lags by about a minute. The result is the
    usable cores (``os.sched_getaffinity`` where it exists, else
    ``os.cpu_count()``) minus the busy ones, rounded, and at least 1. Call it
    while this process is idle (before training), or it counts itself.

    Args:
        interval: seconds to watch ``/proc/stat``, a positive number.

    Returns:
        An int from 1 to the number of usable cores.

    Example:
        >>> from kerasite import config
        >>> 1 <= config.free_cores(interval=0.05) <= (os.cpu_count() or 1)
        True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        cores = os.cpu_count() or 1
    busy = _busy_cores(interval)
    return int(max(1, min(cores, round(cores - busy))))


def _busy_cores(interval):
    """Cores' worth of busy time over ``interval`` seconds (Linux), else the load average."""
    import time

    def read():
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = read()
        time.sleep(interval)
        total1, idle1 = read()
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows has no load average
            return 0.0
    if total1 <= total0:
        return 0.0
    # busy share of all CPUs, times the machine's CPUs
    return (1.0 - (idle1 - idle0) / (total1 - total0)) * (os.cpu_count() or 1)


def _threadpoolctl(caller):
    try:
        import threadpoolctl
    except ImportError:
        raise ModuleNotFoundError(
            f"`{caller}` needs threadpoolctl, which is not installed. Install it with "
            "`pip install threadpoolctl` (scikit-learn brings it), or set the variable of "
            "your BLAS before Python starts, e.g. `OPENBLAS_NUM_THREADS=1 python train.py` "
            "(MKL_NUM_THREADS for MKL).",
            name="threadpoolctl",
        ) from None
    return threadpoolctl
