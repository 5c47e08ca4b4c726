"""kerasite.config.set_num_threads: BLAS threads, chosen by number or from the free cores.

The controls live in kerasite.backend.threads; kerasite.config re-exports them.
"""

import os
import sys

import numpy as np
import pytest

from kerasite import backend, config
from kerasite.backend import threads

pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def restore_threads():
    before, policy = config.get_num_threads(), dict(threads._POLICY)
    yield
    if before is not None:
        config.set_num_threads(before)
    if policy["mode"] != "fixed":  # the adaptive policy was on: give BLAS its own count back
        config.set_num_threads("adaptive")
    threads._POLICY.update(policy)


def test_set_num_threads_limits_numpys_blas():
    from threadpoolctl import threadpool_info

    assert config.set_num_threads(1) == 1
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and set(blas) == {1}
    assert config.get_num_threads() == 1
    a = np.ones((64, 64), dtype="float32")
    assert float((a @ a)[0, 0]) == 64.0  # BLAS still works with one thread


def test_a_second_call_replaces_the_first():
    config.set_num_threads(1)
    assert config.set_num_threads(2) == 2
    assert config.get_num_threads() == 2


def test_auto_takes_the_free_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads, "_busy_cores", lambda interval: 1.2)
    assert config.free_cores() == 3  # 4 cores, 1.2 busy -> 2.8 -> 3
    monkeypatch.setattr(threads, "_busy_cores", lambda interval: 7.0)
    assert config.free_cores() == 1  # never fewer than one
    assert config.set_num_threads("auto") == 1
    assert config.get_num_threads() == 1


def test_busy_cores_sees_a_spinning_process():
    import subprocess

    if not os.path.exists("/proc/stat"):
        pytest.skip("needs Linux's /proc/stat")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = threads._busy_cores(0.5)
    finally:
        spinner.kill()
        spinner.wait()
    # The spinner adds about one core of busy time; other work on the machine can add more.
    assert busy > 0.6, busy


def test_free_cores_falls_back_to_the_load_average(monkeypatch):
    import builtins

    real_open = builtins.open

    def no_proc(path, *args, **kwargs):
        if path == "/proc/stat":
            raise OSError("no /proc here")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_proc)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.4, 0.0, 0.0))
    assert threads._busy_cores(0.01) == 0.4


@pytest.mark.parametrize("bad", [0, -2, 1.5, "two", None, True])
def test_bad_counts_are_refused(bad):
    with pytest.raises(ValueError,
                       match=r"`n` must be a positive integer, 'auto' or 'adaptive'\. Received"):
        config.set_num_threads(bad)


def test_without_threadpoolctl_the_error_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install threadpoolctl.*OPENBLAS_NUM_THREADS=1"):
        config.set_num_threads(1)
    with pytest.raises(ModuleNotFoundError, match="`get_num_threads` needs threadpoolctl"):
        config.get_num_threads()


def test_config_and_backend_re_export_the_thread_controls():
    for name in ("set_num_threads", "get_num_threads", "free_cores"):
        assert getattr(config, name) is getattr(threads, name) is getattr(backend, name)
