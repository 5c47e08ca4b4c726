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
@pytest.mark.slow
def test_every_option_has_help_and_a_default(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    options = _options(result.stdout)
    options.pop("--help")
    assert options, result.stdout
    for name, text in options.items():
        assert "(default: " in text, f"{script} {name} does not say its default: {text!r}"


# One spelling and one default across the examples: --samples for "the first N training
# images", --verbose 0/1/2 defaulting to 2, in every script that trains.
_HELP = {}


def _help(script):
    if script not in _HELP:
        result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"],
                                capture_output=True, text=True, timeout=60)
        _HELP[script] = _options(result.stdout)
    return _HELP[script]


@pytest.mark.parametrize("script", [s for s in SCRIPTS if ".fit(" in
                                    (ROOT / "examples" / s).read_text(encoding="utf-8")])
@pytest.mark.slow
def test_every_script_that_trains_takes_verbose_defaulting_to_2(script):
    options = _help(script)
    assert "--verbose" in options, f"{script} has no --verbose"
    assert "{0,1,2}" in options["--verbose"] and "(default: 2)" in options["--verbose"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_script_shows_the_old_limit_spelling(script):
    assert "--limit" not in " ".join(_help(script)), script


def test_limit_is_still_accepted_as_samples_by_fashion_mnist():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fashion_mnist_example",
                                                  ROOT / "examples" / "fashion_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.parse_args(["--limit", "500"]).samples == 500
    assert module.parse_args(["--samples", "600"]).samples == 600
