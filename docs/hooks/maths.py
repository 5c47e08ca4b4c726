"""MkDocs hook: the pages' maths, written in LaTeX, becomes MathML at build time.

A page writes ``$\\sigma(z)$`` inline or a ``$$ ... $$`` block;
``pymdownx.arithmatex`` (generic mode) leaves each formula in a
``<span class="arithmatex">\\(...\\)</span>`` or ``<div class="arithmatex">\\[...\\]</div>``
and this hook replaces it by MathML, made with ``latex2mathml`` (installed by
the ``docs`` extra). Browsers draw MathML themselves: the site loads no
script for its maths and reads the same offline. A formula ``latex2mathml``
cannot convert, or a command it does not know, fails the build, naming
the page.
"""

import html
import re

try:  # MkDocs is only a docs extra: the tests load this hook without it.
    from mkdocs.exceptions import PluginError
except ImportError:  # pragma: no cover - exercised on a `.[test]`-only install
    class PluginError(RuntimeError):
        """Stands in for MkDocs's error when MkDocs is not installed."""

_INLINE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(?P<tex>.*?)\\\]</div>', re.DOTALL)


def to_mathml(tex, display):
    """The MathML of ``tex`` (LaTeX as arithmatex left it, HTML-escaped), inline or block."""
    from latex2mathml.converter import convert

    mathml = convert(html.unescape(tex).strip(), display="block" if display else "inline")
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:  # latex2mathml prints a command it does not know as text
        raise ValueError(f"latex2mathml does not know the command {unknown[1]}")
    return mathml


def render(page_html, where="page"):
    """``page_html`` with every arithmatex formula replaced by MathML."""
    def convert(match, display):
        try:
            return to_mathml(match["tex"], display)
        except Exception as exc:  # latex2mathml raises its own errors, several kinds
            raise PluginError(f"{where}: cannot render the formula {match['tex']!r}: "
                              f"{exc}") from exc

    page_html = _BLOCK.sub(lambda m: f'<div class="math-block">{convert(m, True)}</div>',
                           page_html)
    return _INLINE.sub(lambda m: convert(m, False), page_html)


def on_page_content(page_html, page, config, files):
    return render(page_html, page.file.src_uri)
