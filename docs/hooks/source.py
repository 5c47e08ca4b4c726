"""MkDocs hook: show the current source of a kerasite function or class in a page.

A line holding only

    {{ source("kerasite.layers.dense.Dense.backward") }}

is replaced, before Markdown runs, by a fenced Python block with that object's
code, titled with its file and numbered with its real line numbers. The code
is read from the package at build time, so a page can never show stale code,
and a name that no longer exists fails the build instead of leaving a hole.
The directive may be indented (inside an admonition or a tab); the block is
indented to match.
"""

import importlib
import inspect
import os
import re
import textwrap

try:  # MkDocs is only a docs extra: the tests load this hook without it.
    from mkdocs.exceptions import PluginError
except ImportError:  # pragma: no cover - exercised on a `.[test]`-only install
    class PluginError(RuntimeError):
        """Stands in for MkDocs's error when MkDocs is not installed."""

_DIRECTIVE = re.compile(
    r'^(?P<indent>[ \t]*)\{\{\s*source\(\s*"(?P<name>[\w.]+)"\s*\)\s*\}\}[ \t]*$', re.MULTILINE
)


def _resolve(dotted):
    """Imports the longest module prefix of ``dotted``, then walks the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"no module in {dotted!r}")


def render(dotted, indent=""):
    """The fenced block showing ``dotted``'s source, each line prefixed by ``indent``."""
    try:
        obj = inspect.unwrap(_resolve(dotted))
        lines, start = inspect.getsourcelines(obj)
        path = inspect.getsourcefile(obj)
    except (ImportError, AttributeError, TypeError, OSError) as exc:
        raise PluginError(f"source(): cannot show {dotted!r}: {exc}") from exc
    code = textwrap.dedent("".join(lines)).rstrip("\n")
    root = os.path.dirname(os.path.dirname(importlib.import_module("kerasite").__file__))
    title = os.path.relpath(path, root).replace(os.sep, "/")
    fence = [f'```python title="{title}" linenums="{start}"', *code.split("\n"), "```"]
    return "\n".join(indent + line if line else line for line in fence)


def on_page_markdown(markdown, page, config, files):
    return _DIRECTIVE.sub(lambda m: render(m["name"], m["indent"]), markdown)
