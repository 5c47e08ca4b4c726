"""Ctrl-C during fit on a PyDataset read by workers: it stops cleanly, leaving no worker."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_ctrl_c_stops_fit_and_its_workers(kind):
    # A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the
    # training process and its worker processes alike. The child gets its own group here.
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.trainers._sigint_worker", kind], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert child.stdout.readline().strip() == "started"
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    lines = out.splitlines()
    assert child.returncode == 0, err
    # Ctrl-C lands while a batch is read or while one trains: the note names it either way.
    assert re.fullmatch(r"interrupted \['Raised (during|while reading) batch \d+ of epoch \d+ "
                        r"\(counted from 0 within the epoch\) from the Slow given as `x`\.'\]",
                        lines[0]), out
    assert lines[1] == "alive []", out
    assert "Traceback" not in err, err  # the worker processes ignore SIGINT: no noise from them
