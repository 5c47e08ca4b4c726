"""The built documentation site: the reference has the training methods, search and maths work offline.

One module-scoped fixture builds the site with ``mkdocs build --strict`` into a
temporary folder (about a minute on two cores, hence ``slow``); the tests then
read the HTML and the search index as a browser opened from disk would get
them. The hooks' own logic (the maths conversion, the public bases) is also
tested without a build. Everything is skipped when the ``docs`` extra is not
installed.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# The training methods of keras.io's "Model training APIs" page, and the others
# the issue named; each must have its own anchor.
TRAINING_METHODS = ["compile", "fit", "evaluate", "predict", "summary", "save", "train_on_batch",
                    "test_on_batch", "predict_on_batch", "train_step", "test_step",
                    "predict_step", "compute_loss", "save_weights", "load_weights"]
MATHS_PAGES = ["tutorials/xor.html", "tutorials/bptt.html", "tutorials/custom-layer.html",
               "guides/tape.html"]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("material", reason="the docs extra is not installed")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")
    pytest.importorskip("latex2mathml", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-d", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def _ids(html):
    return set(re.findall(r'\sid="([^"]+)"', html))


# ------------------------------------------------------------------ the built site
@pytest.mark.slow
def test_the_training_page_has_an_anchor_per_method(site):
    ids = _ids((site / "api" / "models" / "training.html").read_text(encoding="utf-8"))
    missing = [m for m in TRAINING_METHODS if f"kerasite.Model.{m}" not in ids]
    assert not missing, f"no anchor #kerasite.Model.<name> for {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("page, cls", [("model", "Model"), ("sequential", "Sequential")])
def test_model_pages_list_the_inherited_training_methods(site, page, cls):
    html = (site / "api" / "models" / f"{page}.html").read_text(encoding="utf-8")
    ids = _ids(html)
    missing = [m for m in TRAINING_METHODS if f"kerasite.models.{cls}.{m}" not in ids]
    assert not missing, f"{page}.html lacks {missing}"
    # fit's arguments, returns and example are there, not only its name.
    fit = html[html.index(f'id="kerasite.models.{cls}.fit"'):]
    fit = re.sub(r"<[^>]+>", "", fit[:fit.index(f'id="kerasite.models.{cls}.', 10)])
    for words in ("validation_split", "Returns", "Examples", "history.history"):
        assert words in fit, words


@pytest.mark.slow
def test_bases_are_links(site):
    html = (site / "api" / "models" / "model.html").read_text(encoding="utf-8")
    bases = html[html.index("Bases:"):][:800]
    assert 'href="training.html#kerasite.trainers.trainer.Trainer"' in bases, bases
    assert 'href="../layers/base.html#kerasite.layers.Layer"' in bases, bases
    # No class shows a private helper (`_Conv`, `_Elementwise`) as its base.
    for page in (site / "api").rglob("*.html"):
        for found in re.findall(r"Bases: (.*?)</p>", page.read_text(encoding="utf-8"), re.S):
            assert not re.search(r'title="kerasite\.[\w.]*\._\w+"', found), (page.name, found)


@pytest.mark.slow
def test_the_search_index_works_from_disk(site):
    # The offline plugin writes the index as a script a file:// page can load.
    script = (site / "search" / "search_index.js").read_text(encoding="utf-8")
    assert script.startswith("var __index = ")
    index = json.loads(script[len("var __index = "):].rstrip().rstrip(";"))
    # Material's script loads that file (not the JSON) from disk; the search worker
    # runs through the vendored shim.
    bundle = next((site / "assets" / "javascripts").glob("bundle.*.min.js"))
    assert "search_index.js" in bundle.read_text(encoding="utf-8")
    assert 'src="assets/javascripts/iframe-worker-shim.js"' in \
        (site / "index.html").read_text(encoding="utf-8")
    # Searching validation_split finds fit first: the training page is tagged with it
    # (tags weigh most in Material's search) and its fit section has the word.
    tagged = [d["location"] for d in index["docs"] if "validation_split" in d.get("tags", [])]
    assert "api/models/training.html#kerasite.Model.fit" in tagged, tagged
    # Only the sections that use the word keep the tag (docs/hooks/search_tags.py).
    assert all(loc.startswith("api/models/training.html#") for loc in tagged), tagged
    fit = next(d for d in index["docs"]
               if d["location"] == "api/models/training.html#kerasite.Model.fit")
    assert "validation_split" in fit["text"]


@pytest.mark.slow
def test_no_page_loads_a_script_from_the_internet(site):
    for page in site.rglob("*.html"):
        remote = re.findall(r'<script[^>]+src="(https?:[^"]+)"', page.read_text(encoding="utf-8"))
        assert not remote, (page, remote)
    assert (site / "assets" / "javascripts" / "iframe-worker-shim.js").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("page", MATHS_PAGES)
def test_maths_is_rendered(site, page):
    html = (site / page).read_text(encoding="utf-8")
    article = html[html.index("<article"):html.index("</article>")]
    assert article.count("<math ") >= 3, page
    assert "$$" not in article and 'class="arithmatex"' not in article
    assert "<script" not in article  # MathML needs no script


@pytest.mark.slow
def test_no_page_leaves_maths_unrendered(site):
    for page in site.rglob("*.html"):
        assert 'class="arithmatex"' not in page.read_text(encoding="utf-8"), page


@pytest.mark.slow
def test_the_gallery_shows_thumbnails_and_unbroken_file_names(site):
    html = (site / "examples" / "index.html").read_text(encoding="utf-8")
    thumbs = re.findall(r'<img[^>]*class="gallery-thumb"[^>]*>', html)
    assert len(thumbs) >= 12, thumbs
    for tag in thumbs:
        src = re.search(r'src="([^"]+)"', tag)[1]
        assert (site / "examples" / src).resolve().is_file(), src
    assert "<code>autoencoder_svm.py</code>" in html
    css = (DOCS / "assets" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    assert re.search(r"\.gallery td code \{[^}]*white-space: nowrap", css)


# ------------------------------------------------------------ the hooks, unbuilt
def test_maths_hook_turns_arithmatex_output_into_mathml():
    pytest.importorskip("latex2mathml", reason="the docs extra is not installed")
    maths = _load("kerasite_docs_maths_hook", DOCS / "hooks" / "maths.py")
    html = ('<p>so <span class="arithmatex">\\(\\sigma(z) &lt; 1\\)</span>.</p>'
            '<div class="arithmatex">\\[\\frac{\\partial L}{\\partial w}\\]</div>')
    out = maths.render(html)
    assert 'class="arithmatex"' not in out
    assert out.count("<math ") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "<mfrac>" in out and "&#x0003C;" in out  # the escaped < reached LaTeX as <
    with pytest.raises(Exception, match=r"page\.md: cannot render the formula 'x\^'"):
        maths.render('<span class="arithmatex">\\(x^\\)</span>', "page.md")
    with pytest.raises(Exception, match=r"does not know the command \\sigmoid"):
        maths.render('<span class="arithmatex">\\(\\sigmoid(x)\\)</span>', "page.md")


def test_bases_hook_shows_public_ancestors():
    griffe = pytest.importorskip("griffe", reason="the docs extra is not installed")
    hook = _load("kerasite_docs_griffe_hook", DOCS / "hooks" / "griffe_docstrings.py")
    loader = griffe.GriffeLoader(extensions=griffe.load_extensions(hook.KerasiteDocstrings()),
                                 search_paths=[str(ROOT)])
    loader.load("kerasite")
    get = loader.modules_collection.get_member

    def bases(path):
        return [b.canonical_path for b in get(path).bases]

    assert bases("kerasite.layers.activations.ReLU") == ["kerasite.layers.base.Layer"]
    assert bases("kerasite.layers.conv.Conv2D") == ["kerasite.layers.base.Layer"]
    assert bases("kerasite.optimizers.Adam") == ["kerasite.optimizers.Optimizer"]
    assert bases("kerasite.models.model.Model") == ["kerasite.trainers.trainer.Trainer",
                                                    "kerasite.layers.base.Layer"]
    # The signature shown is still the inherited __init__'s.
    params = [p.name for p in get("kerasite.layers.conv.Conv2D").parameters]
    assert "filters" in params and "kernel_size" in params


def test_search_tags_stay_on_the_sections_that_use_them():
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    hook = _load("kerasite_docs_search_tags_hook", DOCS / "hooks" / "search_tags.py")
    index = {"docs": [
        {"location": "t.html", "title": "Training", "text": "fit takes validation_split",
         "tags": ["validation_split", "epochs"]},
        {"location": "t.html#fit", "title": "fit", "text": "validation_split: a fraction",
         "tags": ["validation_split", "epochs"]},
        {"location": "t.html#save", "title": "save", "text": "writes a file",
         "tags": ["validation_split", "epochs"]},
        {"location": "u.html", "title": "other", "text": "validation_split"},
    ]}
    docs = hook.narrow_tags(index)["docs"]
    assert [d.get("tags") for d in docs] == [None, ["validation_split"], None, None]


def test_source_blocks_link_to_the_repository_when_it_is_given():
    hook = _load("kerasite_docs_source_hook_links", DOCS / "hooks" / "source.py")
    plain = hook.render("kerasite.layers.dense.Dense.call")
    assert "View source" not in plain  # no repository URL, no link
    linked = hook.render("kerasite.layers.dense.Dense.call", "",
                         "https://example.org/team/kerasite/", "edit/dev/docs/")
    start = int(re.search(r'linenums="(\d+)"', linked)[1])
    end = start + linked.split("```")[1].count("\n") - 2
    assert (f"[View source](https://example.org/team/kerasite/blob/dev/kerasite/layers/dense.py"
            f"#L{start}-L{end})") in linked
    assert hook.source_url("https://example.org/k", None, "a.py", 3, 4) == \
        "https://example.org/k/blob/main/a.py#L3-L4"
