"""Griffe extension: render kerasite's docstrings the way they are written.

kerasite's docstrings follow Google style with an ``Example:`` section of
doctests. Griffe only turns the plural, ``Examples:``, into an examples
section (doctests shown as Python console code); the singular would become an
admonition whose ``>>>`` lines Markdown reads as nested quotes. This extension
reads ``Example:`` as ``Examples:``, and turns the few Sphinx roles
(``:class:`~kerasite.layers.Layer```) into plain code spans. It changes what
the documentation shows, never the code.
"""

import re

import griffe

_EXAMPLE_HEADER = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_SPHINX_ROLE = re.compile(r":(?:class|func|meth|mod|attr|exc|obj|data):`~?([\w.]+)`")


class KerasiteDocstrings(griffe.Extension):
    """Rewrites ``Example:`` headers and Sphinx roles before the docstrings are parsed."""

    def on_instance(self, *, node, obj, agent, **kwargs):
        docstring = obj.docstring
        if docstring is None:
            return
        text = _EXAMPLE_HEADER.sub(r"\1Examples:", docstring.value)
        # ``~a.b.C`` shows as ``C``; a plain ``a.b.C`` keeps its full name.
        text = _SPHINX_ROLE.sub(
            lambda m: f"``{m.group(1).rsplit('.', 1)[-1]}``" if "~" in m.group(0)
            else f"``{m.group(1)}``", text)
        docstring.value = text
