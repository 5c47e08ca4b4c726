"""MkDocs hook: show the current source of a kerasite function or class in a page.

A line holding only

    {{ source("kerasite.layers.dense.Dense.backward") }}

is replaced, before Markdown runs, by a fenced Python block with that object's
code, titled with its file and numbered with its real line numbers. The code
is read from the package at build time, so a page can never show stale code,
and a name that no longer exists fails the build instead of leaving a hole.
The directive may be indented (inside an admonition or a tab); the block is
indented to match. When the build is given the repository's URL
(``KERASITE_REPO_URL``, see mkdocs.yml), a "View source" link to those lines
in the repository follows the block; the branch is read from ``edit_uri``
(``edit/<branch>/docs/``), ``main`` if it names none.
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


def source_url(repo_url, edit_uri, path, start, end):
    """The address of lines ``start..end`` of ``path`` in the repository, or None without one."""
    if not repo_url:
        return None
    parts = (edit_uri or "").strip("/").split("/")
    branch = parts[1] if len(parts) > 1 and parts[0] in ("edit", "blob", "tree") else "main"
    return f"{repo_url.rstrip('/')}/blob/{branch}/{path}#L{start}-L{end}"


def render(dotted, indent="", repo_url=None, edit_uri=None):
    """The fenced block showing ``dotted``'s source, each line prefixed by ``indent``.

    With ``repo_url``, a "View source" link to the lines in the repository follows it.
    """
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
    url = source_url(repo_url, edit_uri, title, start, start + len(lines) - 1)
    if url:
        fence += ["", f'[View source]({url}){{ .view-source title="{title}, lines {start}-'
                      f'{start + len(lines) - 1}" }}']
    return "\n".join(indent + line if line else line for line in fence)


def on_page_markdown(markdown, page, config, files):
    repo_url, edit_uri = config.get("repo_url"), config.get("edit_uri")
    return _DIRECTIVE.sub(lambda m: render(m["name"], m["indent"], repo_url, edit_uri), markdown)
