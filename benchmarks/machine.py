"""What the benchmark ran on: CPU, cores, Python, NumPy and its BLAS."""

import os
import platform
import sys
import time

import numpy as np


def describe():
    """Returns a dict describing the machine and NumPy's BLAS."""
    cpu = _cpuinfo()
    info = {
        "cpu": cpu.get("model name", platform.processor() or "unknown"),
        "cpu_family_model": f"family {cpu.get('cpu family', '?')}, model {cpu.get('model', '?')}",
        "simd": _simd(cpu.get("flags", "")),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": _numpy_blas(),
    }
    return info


def _cpuinfo():
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key and key not in fields:  # the first CPU's entry is enough
                    fields[key] = value.strip()
    except OSError:
        pass
    return fields


def _simd(flags):
    flags = set(flags.split())
    found = [name for name in ("avx512f", "avx2", "fma", "avx") if name in flags]
    return ", ".join(found) if flags else "unknown"


def _memory_gb():
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])  # MemTotal
        return round(kb / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None


def _numpy_blas():
    """NumPy's BLAS: the build configuration, and the live thread pool if threadpoolctl is here."""
    blas = {}
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = {"name": config.get("name"), "version": config.get("version"),
                "configuration": config.get("openblas configuration")}
    except (TypeError, KeyError):  # older NumPy: no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return blas
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            blas.update({"internal_api": pool.get("internal_api"),
                         "threads": pool.get("num_threads"),
                         "architecture": pool.get("architecture")})
            break
    return blas


class CpuMeter:
    """How much CPU *other* processes took while we measured (Linux only).

    On a shared machine, another process that runs during an epoch slows it
    down, and multithreaded BLAS suffers most: its threads wait for each other
    while one of them is descheduled. The meter reads the CPU time of the
    whole machine (/proc/stat) and of our own processes (/proc/<pid>/stat)
    before and after, and reports the difference as a share of all CPUs.

    Example:
        >>> meter = CpuMeter([os.getpid()])
        >>> meter.start(); ...; load = meter.stop()  # {"others_pct": ..., "steal_pct": ...}
    """

    def __init__(self, pids):
        self.pids = list(pids)
        self.cpus = os.cpu_count() or 1
        self._start = None

    @staticmethod
    def _machine_ticks():
        with open("/proc/stat") as f:
            # cpu user nice system idle iowait irq softirq steal ...
            fields = [int(v) for v in f.readline().split()[1:9]]
        user, nice, system, _, _, irq, softirq, steal = fields
        return user + nice + system + irq + softirq, steal

    def _our_ticks(self):
        total = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    # Fields 14 and 15 (after the command name in parentheses): utime, stime.
                    rest = f.read().rsplit(")", 1)[1].split()
                total += int(rest[11]) + int(rest[12])
            except (OSError, IndexError):
                pass  # the process has exited
        return total

    def start(self):
        try:
            self._start = (time.perf_counter(), *self._machine_ticks(), self._our_ticks())
        except OSError:
            self._start = None

    def stop(self):
        """Returns ``{"others_pct", "steal_pct"}`` since ``start``, or None if unavailable."""
        if self._start is None:
            return None
        t0, busy0, steal0, ours0 = self._start
        busy1, steal1 = self._machine_ticks()
        ours1 = self._our_ticks()
        available = (time.perf_counter() - t0) * os.sysconf("SC_CLK_TCK") * self.cpus
        others = max(0, (busy1 - busy0) - (ours1 - ours0))
        return {"others_pct": 100 * others / available,
                "steal_pct": 100 * (steal1 - steal0) / available}


def summary_lines(info):
    """The description as a few readable lines."""
    blas = info["blas"]
    blas_text = " ".join(str(blas[k]) for k in ("name", "version") if blas.get(k)) or "unknown"
    if blas.get("architecture"):
        blas_text += f", kernels for {blas['architecture']}"
    if blas.get("threads"):
        blas_text += f", {blas['threads']} threads"
    return [
        f"CPU: {info['cpu']} ({info['cpu_family_model']}; {info['simd']})",
        (f"Cores: {info['logical_cores']} logical, {info['usable_cores']} usable; "
        f"memory {info['memory_gb']} GB"),
        f"Python {info['python']} on {info['platform']}",
        f"NumPy {info['numpy']}, BLAS: {blas_text}",
    ]
