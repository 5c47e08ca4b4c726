"""Griffe extension: render kerasite's docstrings the way they are written.

kerasite's docstrings follow Google style with an ``Example:`` section of
doctests. Griffe only turns the plural, ``Examples:``, into an examples
section (doctests shown as Python console code); the singular would become an
admonition whose ``>>>`` lines Markdown reads as nested quotes. This extension
reads ``Example:`` as ``Examples:``, and turns the few Sphinx roles
(``:class:`~kerasite.layers.Layer```) into plain code spans. It also shows a
class's public ancestors as its bases: a class deriving from a private helper
(``ReLU`` from ``_Elementwise``) reads "Bases: Layer", a link to the page of
``Layer``'s methods, instead of an unlinked private name. It changes what the
documentation shows, never the code.
"""

import re

import griffe

_EXAMPLE_HEADER = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_SPHINX_ROLE = re.compile(r":(?:class|func|meth|mod|attr|exc|obj|data):`~?([\w.]+)`")


def _classes(obj):
    """Every class defined (not imported) in ``obj``, nested classes and submodules included."""
    for member in obj.members.values():
        if member.is_alias:
            continue
        if member.is_class or member.is_module:
            yield from _classes(member)
        if member.is_class:
            yield member


# Shared helpers that are public names but have no page of their own: shown as their bases.
_HELPER_BASES = {
    "kerasite.layers.base.KernelAndBias", "kerasite.layers.merge.Merge",
    "kerasite.layers.preprocessing._base.PreprocessingLayer",
    "kerasite.layers.preprocessing.index_lookup.IndexLookup",
    "kerasite.layers.rnn.base.GatedCell", "kerasite.layers.rnn.base.CellLayer",
}


def _hidden(path):
    return path in _HELPER_BASES or path.rsplit(".", 1)[-1].startswith("_")


def _public_bases(bases, collection, seen=()):
    """``bases`` with each private or helper class replaced by its own bases, recursively."""
    public = []
    for base in bases:
        path = getattr(base, "canonical_path", "")
        if not isinstance(base, griffe.ExprName) or not _hidden(path) or path in seen:
            public.append(base)
            continue
        try:
            target = collection.get_member(path)
        except (KeyError, ValueError, AttributeError):
            public.append(base)
            continue
        public.extend(b for b in _public_bases(target.bases, collection, (*seen, path))
                      if all(str(b) != str(p) for p in public))
    return public


class KerasiteDocstrings(griffe.Extension):
    """Rewrites ``Example:`` headers and Sphinx roles, and shows public bases only."""

    def on_package(self, *, pkg, loader, **kwargs):
        for cls in _classes(pkg):
            bases = _public_bases(cls.bases, loader.modules_collection)
            if [str(b) for b in bases] == [str(b) for b in cls.bases]:
                continue
            # The signature shown is that of the __init__ the class really inherits.
            init = cls.all_members.get("__init__")
            if init is not None and "__init__" not in cls.members:
                cls.members["__init__"] = init
            cls.bases = bases

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
