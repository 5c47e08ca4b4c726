"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

Kept apart from the training facade: it only reads a model (its layers,
graph and weights) and prints.
"""

import re
import shutil


def print_summary(model, print_fn, expand_nested, line_length=None, positions=None,
                  show_trainable=False, layer_range=None):
    """Prints ``model``'s table with ``print_fn``; see ``Model.summary``."""
    chain = is_chain(model)
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    align = ["left", "left", "right"] + ([] if chain else ["left"])
    default_length = 88 if chain else 108
    positions = list(positions or ([0.45, 0.80, 1.0] if chain else [0.3, 0.56, 0.74, 1.0]))
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if len(positions) != len(header):
        raise ValueError(f"`positions` must hold {len(header)} values, one per column "
                         f"({', '.join(header)}). Received: positions={positions}")
    if line_length is None:  # as Keras: the default, narrowed to the terminal
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _cell_widths(line_length, positions)

    rows = []

    def add_rows(parent, level):
        graph = getattr(parent, "_graph", None)
        for layer in parent.layers:
            prefix = "   " * level + "└ " if level else ""
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"  # Keras's
            row = [f"{prefix}{layer.name} ({type(layer).__name__})",
                   _layer_output_shape(layer), params]
            if not chain:
                row.append(_connections(layer, graph) if level == 0 else "")
            if show_trainable:
                row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
            rows.append(row)
            if expand_nested and hasattr(layer, "_graph") and layer.layers:
                add_rows(layer, level + 1)

    first, stop = _layer_bounds(model.layers, layer_range)
    add_rows(_OnlyLayers(model.layers[first:stop], getattr(model, "_graph", None)), 0)
    box = _box_characters(print_fn)

    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def lines(cells, bar):
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        for k in range(max(len(c) for c in wrapped)):
            texts = [" " + _justify(c[k] if k < len(c) else "", w - 2, a) + " "
                     for c, w, a in zip(wrapped, widths, align)]
            print_fn(bar + bar.join(texts) + bar)

    print_fn(f'Model: "{model.name}"')
    print_fn(rule(*box["top"]))
    lines(header, box["head_bar"])
    print_fn(rule(*box["head_rule"]))
    for i, row in enumerate(rows):
        if i:
            print_fn(rule(*box["row_rule"]))
        lines(row, box["bar"])
    print_fn(rule(*box["bottom"]))
    trainable = _unique(model.trainable_weights)
    non_trainable = _unique(model.non_trainable_weights)
    for label, weights in (("Total", trainable + non_trainable), ("Trainable", trainable),
                           ("Non-trainable", non_trainable)):
        count = int(sum(w.size for w in weights))
        size = _readable_size(sum(w.nbytes for w in weights))
        print_fn(f" {label} params: {count:,} ({size})")


class _OnlyLayers:
    """A stand-in parent holding some of a model's top-level layers and its graph."""

    def __init__(self, layers, graph):
        self.layers, self._graph = layers, graph


def _cell_widths(line_length, positions):
    """Each column's width, padding included, as Keras's rich table lays them out.

    Keras asks for content widths ``int(p * line_length) - previous``; the table
    (``line_length`` wide, borders included) then takes the excess back evenly,
    column by column from the left, each share rounded.
    """
    widths, current = [], 0
    for p in positions:
        width = int(p * line_length) - current
        if width < 4:
            raise ValueError(f"`line_length` is too narrow to print the summary: a column "
                             f"would be {width} characters wide (at least 4 are needed). "
                             f"Received: line_length={line_length}, positions={positions}; "
                             "pass a larger `line_length`.")
        widths.append(width + 2)
        current += width
    excess = sum(widths) - (line_length - len(widths) - 1)
    count = len(widths)
    for i in range(len(widths)):
        if excess <= 0:
            break
        share = min(widths[i], round(excess / count))
        widths[i] -= share
        excess -= share
        count -= 1
    return widths


def _wrap(text, width):
    """Splits ``text`` at spaces into lines of ``width``; a longer word ends in "…"."""
    out = []
    for word in text.split(" "):
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    return [line if len(line) <= width else line[:width - 1] + "…" for line in out]


def _justify(text, width, align):
    if align == "right":
        return text.rjust(width)
    if align == "center":
        left = (width - len(text)) // 2
        return " " * left + text + " " * (width - len(text) - left)
    return text.ljust(width)


def _layer_bounds(layers, layer_range):
    """``[first, stop)`` of the layers Keras's ``layer_range`` (two names or regexes) keeps."""
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or \
            not all(isinstance(n, str) for n in layer_range):
        raise ValueError("`layer_range` must be a list or tuple of two layer names (or "
                         f"regular expressions). Received: layer_range={layer_range!r}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError("`layer_range` names no layer of the model. Received: "
                         f"layer_range={layer_range!r}; the layers are "
                         f"{[layer.name for layer in layers]}.")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def is_chain(model):
    """Whether the layers form one chain (Keras then leaves out "Connected to")."""
    graph = getattr(model, "_graph", None)
    if graph is None or model._is_subclassed() or type(model).__name__ == "Sequential":
        return True
    uses = {}
    for node in graph.nodes:
        for t in node.inputs:
            uses[id(t)] = uses.get(id(t), 0) + 1
    return len(graph.inputs) == 1 and all(len(n.inputs) == 1 for n in graph.nodes) and \
        all(u == 1 for u in uses.values()) and \
        len({id(n.layer) for n in graph.nodes}) == len(graph.nodes)


def _layer_output_shape(layer):
    if hasattr(layer, "_graph") and layer.built:
        shape = layer.output_shape
    elif getattr(layer, "shape", None) is not None and not layer.params and \
            type(layer).__name__ == "InputLayer":
        shape = (None, *layer.shape)
    else:
        try:
            shape = layer.output_shape
        except (ValueError, AttributeError):
            return "?"
    if shape is None:  # a model inside that is not built yet
        return "?"
    if isinstance(shape, list):  # as Keras prints several outputs
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return _shape_str(shape)


def _connections(layer, graph):
    """Keras's "Connected to" cell: ``producer[node index][tensor index]`` per input."""
    if graph is None:
        return "-"
    cells = []
    for node in graph.nodes:
        if node.layer is not layer:
            continue
        for t in node.inputs:
            producer = t.node.layer
            cells.append(f"{producer.name}[{producer._inbound_nodes.index(t.node)}]"
                         f"[{t.node.outputs.index(t)}]")
    return ", ".join(cells) or "-"


def _unique(weights):
    seen = {}
    for w in weights:
        seen.setdefault(id(w), w)
    return list(seen.values())


def _readable_size(nbytes):
    """Bytes as Keras writes them: powers of 1024, two decimals ("1.55 MB")."""
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _box_characters(print_fn):
    """Keras's (rich's) table characters, or ASCII when printing to a stdout that cannot
    encode them (an old Windows console, for one)."""
    import sys

    fancy = {"top": "┏━┳┓", "head_bar": "┃", "head_rule": "┡━╇┩", "bar": "│",
             "row_rule": "├─┼┤", "bottom": "└─┴┘"}
    encoding = getattr(sys.stdout, "encoding", None) if print_fn is print else None
    try:
        "".join(fancy.values()).encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return {"top": "+-++", "head_bar": "|", "head_rule": "+=++", "bar": "|",
                "row_rule": "+-++", "bottom": "+-++"}
    return fancy


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
