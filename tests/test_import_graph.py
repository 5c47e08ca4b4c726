"""The import graph of kerasite: no cycles, and the engine never imports the front ends.

Every module under ``kerasite/`` is parsed with :mod:`ast`; imports at any level
(function-level ones included) count, relative imports are resolved, and
``from pkg import name`` counts as importing ``pkg`` and ``pkg.name`` when that
is a module. Edges out of the root ``kerasite`` package (its public re-exports)
are left out.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "kerasite"

ENGINE = ("kerasite.layers", "kerasite.losses", "kerasite.optimizers", "kerasite.backend",
          "kerasite.ops", "kerasite.initializers", "kerasite.regularizers",
          "kerasite.constraints", "kerasite.activations")
FRONT_ENDS = ("kerasite.models", "kerasite.trainers", "kerasite.callbacks",
              "kerasite.sklearn", "kerasite.plotting")


def _modules(root, package):
    """Maps each dotted module name under ``root`` to (path, is_package)."""
    mods = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mods[".".join([package] + parts)] = (path, is_pkg)
    return mods


def import_graph(root, package):
    """Returns {module: set of imported modules of the same package}."""
    mods = _modules(root, package)
    graph = {}
    for name, (path, is_pkg) in mods.items():
        here = name if is_pkg else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                # an import of a.b.c also imports a.b and a
                while t:
                    if t in mods and t != name:
                        edges.add(t)
                    t = t.rpartition(".")[0]
        graph[name] = edges
    graph[package] = set()  # the root's public re-exports do not count
    # importing a.b runs a/__init__ first; that edge is not part of the graph
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    return graph


def find_cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _make_pkg(tmp_path, files):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(text)
    return pkg


def test_cycle_finder_reports_a_two_module_cycle(tmp_path):
    pkg = _make_pkg(tmp_path, {"a": "def f():\n    from . import b\n", "b": "from pkg.a import f\n"})
    assert find_cycles(import_graph(pkg, "pkg")) == [["pkg.a", "pkg.b"]]


def test_cycle_finder_accepts_a_chain(tmp_path):
    pkg = _make_pkg(tmp_path, {"a": "from .b import g\n", "b": "import os\n"})
    graph = import_graph(pkg, "pkg")
    assert graph["pkg.a"] == {"pkg.b"}
    assert find_cycles(graph) == []


_CYCLES = find_cycles(import_graph(ROOT, "kerasite"))


def test_kerasite_has_no_import_cycle():
    msg = "\n".join(" <-> ".join(c) for c in _CYCLES)
    assert not _CYCLES, f"import cycles:\n{msg}"


def _engine_violations():
    graph = import_graph(ROOT, "kerasite")
    bad = []
    for mod, edges in sorted(graph.items()):
        if any(mod == e or mod.startswith(e + ".") for e in ENGINE):
            for t in sorted(edges):
                if any(t == f or t.startswith(f + ".") for f in FRONT_ENDS):
                    bad.append(f"{mod} -> {t}")
    return bad


def test_engine_never_imports_front_ends():
    bad = _engine_violations()
    assert not bad, "engine modules import front ends:\n" + "\n".join(bad)
