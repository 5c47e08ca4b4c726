"""Regenerates the figures and captured outputs that the documentation shows.

Run it from anywhere, after changing an example or a tutorial:

    python docs/gen_figures.py                 # everything (about a minute)
    python docs/gen_figures.py --only xor      # one example or page

It does two things:

1. **The example gallery.** Each script in ``examples/`` is run as a user
   would run it, in a scratch folder, with the arguments listed in
   ``EXAMPLES``. What it prints goes to
   ``docs/assets/gallery/<example>/output.txt`` and the PNG figures it writes
   to ``--out`` are copied next to it.
2. **The tutorials and guides.** The ``python`` code blocks of each runnable
   page run in order, in one namespace per page and a scratch working
   directory, exactly as ``tests/test_docs.py`` runs them. A block marked
   ``<!-- output: NAME -->`` has what it prints saved to
   ``docs/assets/pages/<page>/NAME.txt``, and the PNG files the page writes
   are copied to ``docs/assets/pages/<page>/``.

The pages include these files with ``--8<--`` (pymdownx.snippets), so the
site always shows what the current code prints and draws. The build fails
(``check_paths``) if one is missing.

Markers, each an HTML comment on the line(s) right above a code fence:

* ``<!-- skip -->``: do not run this block (it downloads, or is Keras code,
  or is a fragment). It must still be valid Python.
* ``<!-- output: NAME -->``: run it and keep what it prints as ``NAME.txt``.
* ``<!-- requires: DATASET -->``: the block loads a dataset (``fashion_mnist``)
  that may not be on the machine. The tests never download: without the
  files, they skip this block (and say so) but run the rest of the page.
"""

import argparse
import contextlib
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GALLERY = DOCS / "assets" / "gallery"
PAGE_ASSETS = DOCS / "assets" / "pages"

#: Pages whose ``python`` blocks run (in tests/test_docs.py and here), relative to docs/.
RUNNABLE_PAGES = ("index.md", "getting-started.md", "tutorials/*.md", "guides/*.md")

#: Each example script and the arguments the gallery runs it with. Scripts that
#: write figures get ``--out runs/<name>`` as well.
EXAMPLES = {
    "xor": [],
    "autoencoder_svm": ["--verbose", "0"],
    "digits_classifier": [],
    # Silent fits (--verbose 0): these print their own summary of the run.
    "custom_layer": ["--verbose", "0"],
    "callbacks_showcase": ["--verbose", "0"],
    "denoising_autoencoder": ["--verbose", "0"],
    "fashion_mnist": [],
    # Fashion-MNIST, cut down so that the page regenerates in minutes, not an hour.
    "mnist_convnet": ["--epochs", "3", "--samples", "12000", "--verbose", "2"],
    "conv_autoencoder": ["--epochs", "3", "--samples", "12000", "--svm-samples", "5000",
                         "--verbose", "0"],
    "image_folder_classifier": [],
    "structured_data": ["--verbose", "0"],
    # Fashion-MNIST again, cut down further: the tape steps of two convnets per batch.
    "vae": ["--epochs", "10", "--samples", "20000"],
    "gan": ["--epochs", "3", "--samples", "4000"],
    "text_classifier": [],
    "lstm_addition": [],
    "timeseries_anomaly": [],
}
WRITES_FIGURES = {"autoencoder_svm", "digits_classifier", "custom_layer", "callbacks_showcase",
                  "denoising_autoencoder", "fashion_mnist", "mnist_convnet", "conv_autoencoder",
                  "image_folder_classifier", "structured_data", "vae", "gan",
                  "text_classifier", "lstm_addition", "timeseries_anomaly"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^\n`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<key>[\w-]+)\s*(?::\s*(?P<value>.*?))?\s*-->\s*$")


@dataclass
class Block:
    """One fenced ``python`` code block of a page."""

    page: str  # relative to docs/, e.g. "tutorials/xor.md"
    line: int  # 1-based line of the opening fence
    code: str  # dedented
    markers: dict = field(default_factory=dict)  # {"skip": None, "output": "name"}

    @property
    def skip(self):
        return "skip" in self.markers

    @property
    def output(self):
        return self.markers.get("output")

    def __str__(self):
        return f"{self.page}:{self.line}"


def python_blocks(page):
    """The ``python`` fenced blocks of ``docs/<page>``, in order, with their markers.

    Fences may be indented (inside admonitions and tabs); the code is dedented.
    Blocks whose info string is not ``python`` (``text``, ``bash``, ``py title=...``
    included only if the language is ``python``) are ignored.
    """
    lines = (DOCS / page).read_text(encoding="utf-8").split("\n")
    blocks, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, ticks = match["indent"], match["ticks"]
        language = (match["info"].strip().split() or [""])[0]
        end = i + 1
        while end < len(lines) and lines[end].strip() != ticks:
            end += 1
        if language == "python":
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[i + 1:end]]
            markers, j = {}, i - 1
            while j >= 0 and (m := _MARKER.match(lines[j])):
                markers[m["key"]] = m["value"]
                j -= 1
            blocks.append(Block(page, i + 1, textwrap.dedent("\n".join(body)), markers))
        i = end + 1
    return blocks


def runnable_pages():
    """The pages matched by ``RUNNABLE_PAGES`` that hold at least one python block."""
    pages = []
    for pattern in RUNNABLE_PAGES:
        for path in sorted(glob.glob(str(DOCS / pattern))):
            page = Path(path).relative_to(DOCS).as_posix()
            if python_blocks(page):
                pages.append(page)
    return pages


def run_page(page, capture=False, skip_missing_data=False):
    """Runs the page's blocks in order, in one namespace, in the working directory.

    Args:
        page: the page, relative to docs/.
        capture: keep what the blocks marked ``output`` print.
        skip_missing_data: a block marked ``requires`` whose dataset files are
            not found is skipped instead of failing the page.

    Returns:
        ``(outputs, skipped)``: ``{output name: printed text}``, and a list of
        ``(block, reason)`` for the blocks skipped for want of data.
    """
    from kerasite.datasets import DatasetNotFoundError

    namespace = {"__name__": "__docs__"}
    outputs, skipped = {}, []
    for block in python_blocks(page):
        code = compile(block.code, str(block), "exec")  # skipped blocks must still be valid
        if block.skip:
            continue
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer) if capture and block.output \
                    else contextlib.nullcontext():
                exec(code, namespace)
        except DatasetNotFoundError as exc:
            if not (skip_missing_data and "requires" in block.markers):
                raise
            needs = block.markers["requires"]
            skipped.append((block, f"needs {needs}: {str(exc).splitlines()[0]}"))
            continue
        if capture and block.output:
            outputs[block.output] = buffer.getvalue()
    return outputs, skipped


# ---------------------------------------------------------------------- generation
def generate_page(page):
    import kerasite

    target = PAGE_ASSETS / page[: -len(".md")]
    with tempfile.TemporaryDirectory() as tmp:
        previous = os.getcwd()
        os.chdir(tmp)
        kerasite.config.set_floatx("float32")
        kerasite.utils.set_random_seed(1234)
        try:
            outputs, _ = run_page(page, capture=True)
        finally:
            os.chdir(previous)
            kerasite.config.set_floatx("float32")
        _replace_dir(target)
        for name, text in outputs.items():
            (target / f"{name}.txt").write_text(text.rstrip() + "\n", encoding="utf-8")
        for png in sorted(Path(tmp).rglob("*.png")):
            shutil.copy(png, target / png.name)
    made = sorted(p.name for p in target.iterdir())
    if not made:
        target.rmdir()
    print(f"  {page}: {', '.join(made) or 'nothing to keep'}")


def generate_example(name):
    target = GALLERY / name
    args = list(EXAMPLES[name])
    with tempfile.TemporaryDirectory() as tmp:
        if name in WRITES_FIGURES:
            args += ["--out", f"runs/{name}"]
        command = [sys.executable, str(ROOT / "examples" / f"{name}.py"), *args]
        # One BLAS thread: the times printed stay sane on a machine shared with other work.
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True,
                                timeout=900)
        if result.returncode != 0:
            raise SystemExit(f"examples/{name}.py failed:\n{result.stderr}")
        _replace_dir(target)
        shown = " ".join(["python", f"examples/{name}.py", *args])
        (target / "output.txt").write_text(f"$ {shown}\n{result.stdout.rstrip()}\n",
                                           encoding="utf-8")
        for png in sorted(Path(tmp).rglob("*.png")):
            shutil.copy(png, target / png.name)
    print(f"  examples/{name}.py: {', '.join(sorted(p.name for p in target.iterdir()))}")


def _replace_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="example names (xor, ...) or pages (tutorials/xor.md, ...)")
    parser.add_argument("--page-worker", metavar="PAGE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(ROOT))
    if args.page_worker:
        generate_page(args.page_worker)
        return

    missing = sorted(set(p.stem for p in (ROOT / "examples").glob("*.py")) - set(EXAMPLES))
    if missing:
        raise SystemExit(f"Add these examples to EXAMPLES in {__file__}: {missing}")
    examples = [n for n in EXAMPLES if not args.only or n in args.only]
    pages = [p for p in runnable_pages() if not args.only or p in args.only]
    if examples:
        print("Gallery:")
        for name in examples:
            generate_example(name)
    if pages:
        print("Pages:")
        for page in pages:
            # A fresh interpreter per page, as a reader would start: automatic
            # layer names ("dense", "dense_1", ...) then match what they would see.
            subprocess.run([sys.executable, __file__, "--page-worker", page], check=True)


if __name__ == "__main__":
    main()
