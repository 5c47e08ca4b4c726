"""The documentation's code runs, and the pages agree with the files they include.

Every ``python`` block of the home page, Getting started, the tutorials and
the guides runs here: the blocks of one page in order, sharing one namespace,
in a fresh temporary working directory, with kerasite's float type and seed
reset (``conftest.py``). The conventions (``<!-- skip -->``,
``<!-- output: NAME -->``, ``<!-- requires: DATASET -->``) are described in
``docs/gen_figures.py``, whose runner this test shares, so the tested code is
exactly the code that produced the outputs shown on the site.

No test downloads anything: the dataset mirrors are emptied, so a block that
needs Fashion-MNIST runs only where its files are installed locally.
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs_runner = _load("kerasite_docs_gen_figures", DOCS / "gen_figures.py")
source_hook = _load("kerasite_docs_source_hook", DOCS / "hooks" / "source.py")

PAGES = docs_runner.runnable_pages()
# Pages whose code trains for tens of seconds (autoencoders, convnets; on a real dataset
# where it is installed) run in the full suite only, as do the pages with a block that
# ``<!-- requires: ... -->`` a dataset.
SLOW_PAGES = {"tutorials/latent-svm.md", "tutorials/mnist-autoencoder.md",
              "guides/convolutional-networks.md"}
RUN_PAGES = [pytest.param(page, marks=pytest.mark.slow) if page in SLOW_PAGES
             or any("requires" in b.markers for b in docs_runner.python_blocks(page)) else page
             for page in PAGES]
KNOWN_MARKERS = {"skip", "output", "requires"}
_INCLUDE = re.compile(r'--8<--\s+"(?P<path>[^"]+?)(?::\d+(?::\d+)?)?"')


@pytest.fixture
def no_downloads(monkeypatch):
    from kerasite.datasets import fashion_mnist, mnist

    monkeypatch.setattr(mnist, "MIRRORS", [])
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [])


def test_the_runnable_pages_are_found():
    expected = {
        "index.md", "getting-started.md",
        "tutorials/xor.md", "tutorials/mnist-autoencoder.md", "tutorials/latent-svm.md",
        "tutorials/custom-layer.md", "tutorials/callbacks.md",
        "guides/datasets.md", "guides/saving.md", "guides/reproducibility.md",
        "guides/performance.md", "guides/coming-from-keras.md",
    }
    assert expected <= set(PAGES)


@pytest.mark.parametrize("page", RUN_PAGES)
def test_page_code_runs(page, tmp_path, monkeypatch, no_downloads):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("KERASITE_HOME", str(tmp_path / "kerasite_home"))
    _, skipped = docs_runner.run_page(page, skip_missing_data=True)
    if skipped:
        reasons = "; ".join(f"{block} {reason}" for block, reason in skipped)
        pytest.skip(f"every other block of {page} ran; skipped {reasons}")


@pytest.mark.parametrize("page", PAGES)
def test_markers_are_known(page):
    for block in docs_runner.python_blocks(page):
        unknown = set(block.markers) - KNOWN_MARKERS
        assert not unknown, f"{block}: unknown marker(s) {unknown}; known: {KNOWN_MARKERS}"
        if "requires" in block.markers:
            assert block.markers["requires"] in ("mnist", "fashion_mnist"), block


@pytest.mark.parametrize("page", PAGES)
def test_each_captured_output_is_shown_and_each_shown_output_is_captured(page):
    stem = page[: -len(".md")]
    captured = {b.output for b in docs_runner.python_blocks(page) if b.output}
    text = (DOCS / page).read_text(encoding="utf-8")
    prefix = f"docs/assets/pages/{stem}/"
    shown = {m["path"][len(prefix):-len(".txt")] for m in _INCLUDE.finditer(text)
             if m["path"].startswith(prefix) and m["path"].endswith(".txt")}
    assert captured == shown, (
        f"{page}: outputs captured but not shown {sorted(captured - shown)}, "
        f"shown but not captured {sorted(shown - captured)}"
    )
    for name in captured:
        assert (DOCS / "assets" / "pages" / stem / f"{name}.txt").is_file(), (
            f"{page}: run `python docs/gen_figures.py --only {page}` to make {name}.txt"
        )


def test_every_included_file_exists():
    for page in sorted(DOCS.rglob("*.md")):
        for match in _INCLUDE.finditer(page.read_text(encoding="utf-8")):
            assert (ROOT / match["path"]).is_file(), f"{page.relative_to(ROOT)}: {match['path']}"


def test_every_source_directive_resolves():
    directives = []
    for page in sorted(DOCS.rglob("*.md")):
        for match in source_hook._DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            directives.append(match["name"])
            block = source_hook.render(match["name"])
            assert block.startswith('```python title="kerasite/'), block[:80]
    assert "kerasite.layers.dense.Dense.backward" in directives


def test_skipped_blocks_are_few_and_deliberate():
    # A skip marker hides code from the tests; every one is listed here on purpose.
    skipped = {str(b) for page in PAGES for b in docs_runner.python_blocks(page) if b.skip}
    pages = {s.rsplit(":", 1)[0] for s in skipped}
    assert pages <= {"tutorials/mnist-autoencoder.md", "guides/datasets.md",
                     "guides/performance.md", "guides/coming-from-keras.md",
                     "guides/out-of-memory.md"}, skipped
    assert len(skipped) <= 6, skipped
