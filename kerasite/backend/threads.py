"""Thread controls: how many threads NumPy's BLAS and the accelerator may use.

``kerasite.config`` re-exports ``set_num_threads``, ``get_num_threads`` and
``free_cores``; they live here, at the bottom of the package, because the
accelerator's threads (numba's, when ``kerasite.backend.numba_kernels`` is
loaded) follow the same setting as BLAS's.
"""

import os
import sys

import numpy as np

# The threadpoolctl limiter in force, kept so that the limit lasts until changed.
_THREAD_LIMITER = None
# The accelerator's cap, set with BLAS's; applied when the accelerator loads.
_ACCELERATOR = {"threads": None}
# Who sets the thread count: "adaptive" (fit, evaluate and predict choose, see
# kerasite.backend.thread_policy), "fixed" (the user's count, in "count"), or
# None until the first batch loop reads the environment.
_POLICY = {"mode": None, "count": None}


def set_num_threads(n="auto"):
    """Sets how many threads NumPy's BLAS (OpenBLAS, MKL or BLIS) may use.

    The optional accelerator's threads (numba's, see ``kerasite.backend``)
    follow the same setting.

    Nearly all of kerasite's time is spent in BLAS matrix products. BLAS
    starts one thread per core, which is right on an idle machine. On a shared
    one it is a trap: when another process holds a core, BLAS's threads spin
    waiting for each other and an epoch can take 10 times longer. So by
    default ``fit``, ``evaluate`` and ``predict`` choose for themselves: they
    time batches at 1 thread and at all of them and keep the faster (the
    adaptive policy, ``kerasite.backend.thread_policy``). A count given here
    (``n=1``, or ``"auto"``: the cores that are free now) turns that policy
    off and holds for the whole process until changed, like
    ``torch.set_num_threads``; ``"adaptive"`` turns it back on.

    This needs threadpoolctl (scikit-learn brings it). Without it, set the
    variable of your BLAS before Python starts instead, for example
    ``OPENBLAS_NUM_THREADS=1 python train.py``.

    Args:
        n: a positive integer, ``"auto"``: the cores that are free now, by
            ``free_cores()``, or ``"adaptive"``: BLAS's own count outside
            the batch loops, and the policy's choice inside them.

    Returns:
        The number of threads set, an int (BLAS's own count for
        ``"adaptive"``).

    Raises:
        ValueError: if ``n`` is neither a positive integer, ``"auto"`` nor
            ``"adaptive"``.
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
        >>> config.set_num_threads("adaptive") >= 1
        True
    """
    global _THREAD_LIMITER
    if isinstance(n, str) and n == "adaptive":
        threadpoolctl = _threadpoolctl("set_num_threads")
        if _THREAD_LIMITER is not None:
            _THREAD_LIMITER.restore_original_limits()
            _THREAD_LIMITER = None
        _ACCELERATOR["threads"] = None
        _POLICY.update(mode="adaptive", count=None)
        _reset_accelerator_threads()
        counts = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                  if pool.get("user_api") == "blas"]
        return max(counts, default=1)
    if isinstance(n, str) and n == "auto":
        n = free_cores()
    elif isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(
            "`n` must be a positive integer, 'auto' or 'adaptive'. "
            f"Received: n={n!r}. Use 1 on a busy machine, 'auto' to take the free cores, "
            "or 'adaptive' to let fit, evaluate and predict choose."
        )
    threadpoolctl = _threadpoolctl("set_num_threads")
    if _THREAD_LIMITER is not None:
        _THREAD_LIMITER.restore_original_limits()
    _THREAD_LIMITER = threadpoolctl.threadpool_limits(limits=int(n), user_api="blas")
    _ACCELERATOR["threads"] = int(n)
    _POLICY.update(mode="fixed", count=int(n))
    _apply_accelerator_threads()  # the accelerator's threads, if it is on, follow
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


def _apply_accelerator_threads():
    """Caps numba's threads at the last ``set_num_threads``, once the twins are loaded.

    ``kerasite.backend`` calls it again when it loads the twins, so the order
    of the two calls does not matter.
    """
    if _ACCELERATOR["threads"] is not None and "kerasite.backend.numba_kernels" in sys.modules:
        import numba

        cap = min(_ACCELERATOR["threads"], numba.config.NUMBA_NUM_THREADS)
        numba.set_num_threads(max(1, cap))


def _reset_accelerator_threads():
    """Gives numba back all of its threads, once the twins are loaded."""
    if "kerasite.backend.numba_kernels" in sys.modules:
        import numba

        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
