"""``plot_model`` and ``model_to_dot``: a model's layers and connections as a Graphviz diagram.

As Keras's ``keras.utils.plot_model``: one box per layer, one arrow per
tensor a layer passes to another, drawn by Graphviz's ``dot`` through the
``pydot`` package. A shared layer is one box with an arrow for each of its
calls; a nested model is one box, or with ``expand_nested=True`` a frame
around its own layers.

Both are optional: ``python -m pip install -e ".[plot]"`` (or ``pip install
pydot``) and Graphviz itself (``apt-get install graphviz`` on Debian and
Ubuntu, ``brew install graphviz`` on macOS, https://graphviz.org/download/).
"""

import html
import os
import shutil
import sys

_INSTALL = ("Install both with `python -m pip install -e \".[plot]\"` in this checkout (or "
            "`pip install pydot`), and Graphviz with `apt-get install graphviz` (Debian, "
            "Ubuntu), `brew install graphviz` (macOS) or from https://graphviz.org/download/.")


def _pydot():
    """Imports pydot and checks that Graphviz's ``dot`` runs, or says how to install them."""
    try:
        import pydot
    except ImportError:
        raise ImportError(
            "plot_model and model_to_dot need the `pydot` package and Graphviz's `dot` "
            "program; pydot is not installed. " + _INSTALL
        ) from None
    if shutil.which("dot") is None:
        raise ImportError(
            "plot_model and model_to_dot need Graphviz's `dot` program, which is not on the "
            "PATH (pydot is installed). " + _INSTALL
        )
    return pydot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho"):
    """Returns the ``pydot.Dot`` graph of a model: a box per layer, an arrow per tensor.

    Args:
        model: a functional model, a ``Sequential`` (built: started with an
            ``Input``, or called on data) or a subclassed model (its layers,
            without arrows: its connections live in Python code).
        show_shapes: write each layer's input and output shapes.
        show_dtype: write the dtype of each layer's output.
        show_layer_names: write each layer's name above its class.
        rankdir: ``"TB"`` (top to bottom), ``"LR"`` (left to right), ``"BT"``
            or ``"RL"``.
        expand_nested: draw a nested model's layers inside a frame, instead of
            one box.
        dpi: dots per inch of the image.
        subgraph: return a ``pydot.Cluster`` (a frame to place in another
            graph) instead of a ``pydot.Dot``.
        show_layer_activations: write the activation of layers that have one.
        show_trainable: write whether each layer is trainable.
        splines: how ``dot`` draws the arrows: ``"ortho"`` (right angles),
            ``"spline"``, ``"polyline"``, ``"line"``...

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` with ``subgraph=True``).

    Raises:
        ImportError: if pydot or Graphviz's ``dot`` is missing, saying how to
            install them.
        ValueError: if the model is not built yet, or ``rankdir`` is not one of
            its values.
    """
    pydot = _pydot()
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(
            f"`rankdir` must be 'TB', 'LR', 'BT' or 'RL'. Received: rankdir={rankdir!r}."
        )
    if not getattr(model, "built", True) or (not getattr(model, "layers", None)
                                            and _graph_of(model) is None):
        raise ValueError(
            f"Model {model.name!r} has not been built yet, so its layers and shapes are "
            "unknown. Start it with kerasite.Input(shape) or call it on data first."
        )
    style = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                 show_layer_names=show_layer_names,
                 show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name,
                            fontname="Helvetica", fontsize="11")
    else:
        dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, concentrate=True, dpi=dpi,
                        splines=splines)
        dot.set_node_defaults(shape="plaintext", fontname="Helvetica", fontsize="11")
        dot.set_edge_defaults(arrowsize="0.7")
    _Drawing(pydot, style, expand_nested).draw(model, dot)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho"):
    """Draws a model's layers and connections and writes the picture to a file.

    The arguments and their defaults are Keras 3's (``keras.utils.plot_model``);
    ``model_to_dot`` describes them. The format comes from the extension of
    ``to_file`` (``.png``, ``.pdf``, ``.svg``, ``.jpg``, ``.dot``... any that
    Graphviz writes; PNG when there is none).

    Args:
        model: the model to draw.
        to_file: the file to write; missing parent folders are made.
        show_shapes: write each layer's input and output shapes.
        show_dtype: write the dtype of each layer's output.
        show_layer_names: write each layer's name above its class.
        rankdir: ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        expand_nested: draw a nested model's layers inside a frame.
        dpi: dots per inch of the image.
        show_layer_activations: write the activation of layers that have one.
        show_trainable: write whether each layer is trainable.
        splines: how ``dot`` draws the arrows (``"ortho"``, ``"spline"``...).

    Returns:
        In IPython or Jupyter, an ``IPython.display.Image`` of the file (not
        for PDF), so that a notebook shows it below the cell; otherwise
        ``None``.

    Raises:
        ImportError: if pydot or Graphviz's ``dot`` is missing, saying how to
            install them.

    Example:
        >>> import kerasite
        >>> inputs = kerasite.Input((8,))
        >>> outputs = kerasite.layers.Dense(2)(kerasite.layers.Dense(4)(inputs))
        >>> model = kerasite.Model(inputs, outputs)
        >>> kerasite.utils.plot_model(model, "model.png", show_shapes=True)  # doctest: +SKIP
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    parent = os.path.dirname(to_file)
    if parent:
        os.makedirs(parent, exist_ok=True)
    dot.write(to_file, format="raw" if extension == "dot" else extension)
    if extension != "pdf" and "IPython" in sys.modules:
        from IPython import get_ipython

        if get_ipython() is not None:
            from IPython.display import Image

            return Image(filename=to_file)
    return None


def _graph_of(model):
    """The model's graph of layer calls, or ``None`` (a subclassed or unbuilt model)."""
    graph = getattr(model, "_graph", None)
    subclassed = getattr(model, "_is_subclassed", lambda: False)()
    return None if subclassed else graph


class _Drawing:
    """Adds boxes and arrows to a pydot graph, one model (and its nested ones) at a time."""

    def __init__(self, pydot, style, expand_nested):
        self.pydot = pydot
        self.style = style
        self.expand_nested = expand_nested

    def draw(self, model, dot, nested=False):
        """Draws ``model`` into ``dot`` (a graph or a frame); returns ``(entries, exits)``.

        The outer model gets a box per ``Input``. A nested model does not: an
        arrow into it goes straight to the boxes that read its input, so
        ``entries[i]`` lists the box ids reading input ``i``, and ``exits[j]``
        is the box id making output ``j``.
        """
        graph = _graph_of(model)
        if graph is None:  # subclassed: its layers, in order, unconnected
            for layer in model.layers:
                dot.add_node(self._box(layer, []))
            return [[] for _ in getattr(model, "inputs", None) or []], []
        made = {}  # id(symbolic tensor) -> the box that makes it, or ("input", i)
        for i, tensor in enumerate(graph.inputs):
            if nested:
                made[id(tensor)] = ("input", i)
            else:
                dot.add_node(self._box(tensor.node.layer, [tensor.node]))
                made[id(tensor)] = _box_id(tensor.node.layer)
        entries = [[] for _ in graph.inputs]
        expanded = {}  # id(nested model) -> its (entries, exits)
        drawn = set()  # a shared layer is one box, drawn at its first call
        for node in graph.nodes:
            layer = node.layer
            frame = self.expand_nested and _graph_of(layer) is not None and bool(layer.layers)
            first_call = id(layer) not in drawn
            drawn.add(id(layer))
            if first_call and frame:
                cluster = self.pydot.Cluster(graph_name=_box_id(layer), style="dashed",
                                             fontname="Helvetica", fontsize="11",
                                             label=f"{layer.name} ({type(layer).__name__})")
                expanded[id(layer)] = self.draw(layer, cluster, nested=True)
                dot.add_subgraph(cluster)
            elif first_call:
                dot.add_node(self._box(layer, [n for n in graph.nodes if n.layer is layer]))
            inner_entries, inner_exits = expanded.get(id(layer), (None, None))
            for i, tensor in enumerate(node.inputs):
                targets = [_box_id(layer)] if not frame else \
                    (inner_entries[i] if i < len(inner_entries) else [])
                source = made[id(tensor)]
                for target in targets:
                    if isinstance(source, tuple):  # this (nested) model's own input
                        entries[source[1]].append(target)
                    else:
                        dot.add_edge(self.pydot.Edge(source, target))
            for j, tensor in enumerate(node.outputs):
                made[id(tensor)] = inner_exits[j] if frame else _box_id(layer)
        return entries, [made[id(t)] for t in graph.outputs]

    def _box(self, layer, nodes):
        """The pydot node for ``layer``: an HTML table with what the style asks for."""
        style = self.style
        kind = type(layer).__name__
        rows = []
        head = (f"<b>{html.escape(layer.name)}</b> ({html.escape(kind)})"
                if style["show_layer_names"] else f"<b>{html.escape(kind)}</b>")
        rows.append(f'<tr><td colspan="2" bgcolor="#d6e4f0">{head}</td></tr>')
        if style["show_layer_activations"]:
            activation = _activation_name(layer)
            if activation:
                rows.append(f'<tr><td colspan="2">Activation: {html.escape(activation)}</td></tr>')
        if style["show_shapes"]:
            inputs, outputs = _shapes(nodes)
            rows.append(f"<tr><td>Input shape: {html.escape(inputs)}</td>"
                        f"<td>Output shape: {html.escape(outputs)}</td></tr>")
        if style["show_dtype"]:
            dtype = nodes[0].outputs[0].dtype if nodes else getattr(layer, "dtype", "?")
            rows.append(f'<tr><td colspan="2">Output dtype: {html.escape(str(dtype))}</td></tr>')
        if style["show_trainable"]:
            trainable = "yes" if getattr(layer, "trainable", True) else "no"
            rows.append(f'<tr><td colspan="2">Trainable: {trainable}</td></tr>')
        label = ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
                 + "".join(rows) + "</table>>")
        return self.pydot.Node(_box_id(layer), label=label)


def _box_id(layer):
    # Graphviz node ids: unique per layer object, and quoted by pydot.
    return f"layer_{id(layer)}"


def _shapes(nodes):
    """The input and output shapes of the layer's calls, ``"multiple"`` where they differ."""

    def text(tensors):
        shapes = [_shape_str(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"

    if not nodes:
        return "?", "?"
    ins = {text(n.inputs) if n.inputs else text(n.outputs) for n in nodes}
    outs = {text(n.outputs) for n in nodes}
    return (ins.pop() if len(ins) == 1 else "multiple",
            outs.pop() if len(outs) == 1 else "multiple")


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _activation_name(layer):
    """The name of the layer's activation, or ``None`` for none (or a linear one)."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    try:
        name = layer.get_config().get("activation")
    except (AttributeError, TypeError, ValueError, NotImplementedError):
        name = getattr(activation, "__name__", None)
    if isinstance(name, dict):  # a serialized custom activation
        name = name.get("config", {}).get("name") or name.get("class_name")
    return None if not isinstance(name, str) or name == "linear" else name
