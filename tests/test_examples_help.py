"""Every option of every example script explains itself in ``--help``, with its default."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "examples").glob("*.py"))


def _options(help_text):
    """Splits argparse's option list into {option: its help text}."""
    body = help_text.split("options:", 1)[1]
    entries = re.split(r"\n  (?=-)", "\n" + body)
    options = {}
    for entry in filter(str.strip, entries):
        names = re.findall(r"--[\w-]+", entry.split("  ", 1)[0])
        text = " ".join(entry.split())
        options[names[-1] if names else entry.split()[0]] = text
    return options


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_option_has_help_and_a_default(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    options = _options(result.stdout)
    options.pop("--help")
    assert options, result.stdout
    for name, text in options.items():
        assert "(default: " in text, f"{script} {name} does not say its default: {text!r}"
