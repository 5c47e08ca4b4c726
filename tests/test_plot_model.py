"""Tests for kerasite.utils.plot_model and model_to_dot (kerasite/plotting/model_graph.py).

Drawing needs pydot and Graphviz's ``dot`` (``pip install pydot``, ``apt-get install
graphviz``); without them those tests skip, and the install messages are tested with
the imports hidden.
"""

import inspect
import re
import shutil
import sys

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.plotting import model_graph

try:
    import pydot  # noqa: F401

    HAVE_PYDOT = True
except ImportError:
    HAVE_PYDOT = False
needs_graphviz = pytest.mark.skipif(not HAVE_PYDOT or shutil.which("dot") is None,
                                    reason="needs pydot and Graphviz's dot")


def boxes_and_arrows(dot):
    """``({box id: layer name}, [(from name, to name)])`` read from the labels."""
    names = {}
    for node in dot.get_nodes() + [n for g in _clusters(dot) for n in g.get_nodes()]:
        match = re.search(r"<b>(.*?)</b>", node.get("label") or "")
        if match:
            names[node.get_name()] = match.group(1)
    edges = dot.get_edges() + [e for g in _clusters(dot) for e in g.get_edges()]
    return names, sorted((names[e.get_source()], names[e.get_destination()]) for e in edges)


def _clusters(graph):
    found = []
    for sub in graph.get_subgraphs():
        found += [sub] + _clusters(sub)
    return found


def branched_model():
    """x -> pre -> shared; x -> shared (a shared layer, two calls) -> add -> inner (nested)."""
    x = kerasite.Input((8,), name="x")
    shared = layers.Dense(4, activation="relu", name="shared")
    a = shared(x)
    b = shared(layers.Dense(8, name="pre")(x))
    inner = kerasite.Sequential([kerasite.Input((4,)), layers.Dense(3, name="inner_dense"),
                                 layers.Dense(2, name="inner_out")], name="inner")
    out = layers.Dense(1, name="head")(inner(layers.Add(name="add")([a, b])))
    return kerasite.Model(x, out, name="branched")


def test_the_signatures_are_keras_3s():
    # From Keras 3.15.1: inspect.signature(keras.utils.plot_model) (and model_to_dot), but
    # **kwargs, which Keras keeps for arguments it has dropped.
    assert str(inspect.signature(kerasite.utils.plot_model)) == (
        "(model, to_file='model.png', show_shapes=False, show_dtype=False, "
        "show_layer_names=False, rankdir='TB', expand_nested=False, dpi=200, "
        "show_layer_activations=False, show_trainable=False, splines='ortho')")
    assert str(inspect.signature(kerasite.utils.model_to_dot)) == (
        "(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir='TB', "
        "expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, "
        "show_trainable=False, splines='ortho')")
    assert kerasite.utils.plot_model is kerasite.plotting.plot_model


@needs_graphviz
def test_plot_model_writes_a_png_of_a_sequential(tmp_path):
    model = kerasite.Sequential([kerasite.Input((8, 8, 1)), layers.Conv2D(4, 3),
                                 layers.Flatten(), layers.Dense(2)])
    path = tmp_path / "deep" / "model.png"
    assert kerasite.utils.plot_model(model, to_file=path, show_shapes=True) is None
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_graphviz
@pytest.mark.parametrize("name, magic", [("m.pdf", b"%PDF"), ("m.svg", b"<?xml")])
def test_plot_model_format_from_the_extension(tmp_path, name, magic):
    kerasite.utils.plot_model(branched_model(), to_file=tmp_path / name, expand_nested=True)
    assert (tmp_path / name).read_bytes().startswith(magic)


@needs_graphviz
def test_a_functional_graph_with_a_shared_layer():
    dot = kerasite.utils.model_to_dot(branched_model())
    names, arrows = boxes_and_arrows(dot)
    # One box per layer, the shared one included once; the nested model is one box.
    assert sorted(names.values()) == ["add", "head", "inner", "pre", "shared", "x"]
    assert arrows == sorted([("x", "shared"), ("x", "pre"), ("pre", "shared"),
                             ("shared", "add"), ("shared", "add"),  # one per call
                             ("add", "inner"), ("inner", "head")])


@needs_graphviz
def test_expand_nested_frames_the_inner_layers_and_wires_through_them():
    dot = kerasite.utils.model_to_dot(branched_model(), expand_nested=True)
    names, arrows = boxes_and_arrows(dot)
    assert "inner" not in names.values()
    (frame,) = _clusters(dot)
    assert frame.get("label").strip('"') == "inner (Sequential)"
    assert sorted(names[n.get_name()] for n in frame.get_nodes()) == ["inner_dense", "inner_out"]
    assert ("add", "inner_dense") in arrows and ("inner_dense", "inner_out") in arrows
    assert ("inner_out", "head") in arrows
    assert len(arrows) == 8


@needs_graphviz
def test_what_the_boxes_show():
    model = branched_model()
    model.get_layer("pre").trainable = False
    dot = kerasite.utils.model_to_dot(model, show_shapes=True, show_dtype=True,
                                      show_layer_activations=True, show_trainable=True,
                                      rankdir="LR")
    labels = {re.search(r"<b>(.*?)</b>", n.get("label")).group(1): n.get("label")
              for n in dot.get_nodes() if n.get("label")}
    assert "(Dense)" in labels["shared"] and "Activation: relu" in labels["shared"]
    assert "Activation" not in labels["pre"]  # linear: no activation
    assert "Input shape: (None, 8)" in labels["shared"]
    assert "Output shape: (None, 4)" in labels["shared"]
    assert "Input shape: [(None, 4), (None, 4)]" in labels["add"]
    assert "Output dtype: float32" in labels["head"]
    assert "Trainable: no" in labels["pre"] and "Trainable: yes" in labels["head"]
    assert dot.get("rankdir") == "LR" and str(dot.get("dpi")) == "200"
    # plot_model's default (Keras 3's): the class only, no layer name.
    plain = kerasite.utils.model_to_dot(model, show_layer_names=False)
    assert {re.search(r"<b>(.*?)</b>", n.get("label")).group(1)
            for n in plain.get_nodes() if n.get("label")} == {"InputLayer", "Dense", "Add",
                                                              "Sequential"}


@needs_graphviz
def test_errors():
    with pytest.raises(ValueError, match=r"`rankdir` must be 'TB', 'LR', 'BT' or 'RL'\. "
                                         r"Received: rankdir='down'"):
        kerasite.utils.model_to_dot(branched_model(), rankdir="down")
    with pytest.raises(ValueError, match=r"has not been built yet.* kerasite\.Input\(shape\)"):
        kerasite.utils.plot_model(kerasite.Sequential([layers.Dense(2)]))


def test_without_pydot_the_message_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)  # `import pydot` now raises ImportError
    with pytest.raises(ImportError, match=r"need the `pydot` package and Graphviz's `dot` "
                                          r"program; pydot is not installed\. Install both "
                                          r"with `python -m pip install -e \"\.\[plot\]\"`.*"
                                          r"apt-get install graphviz"):
        kerasite.utils.plot_model(branched_model(), to_file=tmp_path / "m.png")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not HAVE_PYDOT, reason="needs pydot")
def test_without_graphviz_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setattr(model_graph.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match=r"need Graphviz's `dot` program, which is not on "
                                          r"the PATH \(pydot is installed\)\..*brew install "
                                          r"graphviz"):
        kerasite.utils.model_to_dot(branched_model())


@needs_graphviz
def test_a_subclassed_model_shows_its_layers_unconnected():
    class Two(kerasite.Model):
        def __init__(self):
            super().__init__(name="two")
            self.first, self.second = layers.Dense(3, name="first"), layers.Dense(1, name="second")

        def call(self, x):
            return self.second(self.first(x))

    model = Two()
    model(np.zeros((2, 4), dtype="float32"))
    names, arrows = boxes_and_arrows(kerasite.utils.model_to_dot(model))
    assert sorted(names.values()) == ["first", "second"] and arrows == []
