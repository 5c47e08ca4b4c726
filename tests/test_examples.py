"""The example scripts run as a user would run them, and print what they promise."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_example(name, *args, timeout=300):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                            capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_xor_learns_xor():
    out = run_example("xor.py")
    rounded = [int(m) for m in re.findall(r"rounds to (\d)", out)]
    assert rounded == [0, 1, 1, 0]
    losses = [float(m) for m in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) == 10 and losses[-1] < 0.01 and losses[-1] < losses[0]
