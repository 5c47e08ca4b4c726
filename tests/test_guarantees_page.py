"""docs/guarantees.md names the tests that hold its promises: each one must exist.

A renamed or deleted test would otherwise leave a promise held by nothing.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def test_every_test_named_on_the_guarantees_page_exists():
    page = (ROOT / "docs" / "guarantees.md").read_text()
    references = set(_REFERENCE.findall(page))
    assert len(references) > 40
    missing = [f"{path}::{name}" for path, name in sorted(references)
               if not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.MULTILINE)]
    assert missing == []
