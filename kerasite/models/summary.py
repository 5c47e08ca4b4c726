"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

Kept apart from the training facade: it only reads a model (its layers,
graph and weights) and prints.
"""


def print_summary(model, print_fn, expand_nested):
    """Prints ``model``'s table with ``print_fn``; see ``Model.summary``."""
    chain = is_chain(model)
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
            rows.append(row)
            if expand_nested and hasattr(layer, "_graph") and layer.layers:
                add_rows(layer, level + 1)

    add_rows(model, 0)
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    # Keras 3's cell widths for its default 88 (chain) or 108 characters; wider content
    # widens its column (Keras wraps it instead).
    widths = [max(w, 2 + max(len(r[i]) for r in [header, *rows]))
              for i, w in enumerate((38, 29, 17) if chain else (31, 27, 17, 28))]
    box = _box_characters(print_fn)

    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def line(cells, bar):
        texts = [" " + (c.rjust(w - 2) if i == 2 else c.ljust(w - 2)) + " "
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return bar + bar.join(texts) + bar

    print_fn(f'Model: "{model.name}"')
    print_fn(rule(*box["top"]))
    print_fn(line(header, box["head_bar"]))
    print_fn(rule(*box["head_rule"]))
    for i, row in enumerate(rows):
        if i:
            print_fn(rule(*box["row_rule"]))
        print_fn(line(row, box["bar"]))
    print_fn(rule(*box["bottom"]))
    trainable = _unique(model.trainable_weights)
    non_trainable = _unique(model.non_trainable_weights)
    for label, weights in (("Total", trainable + non_trainable), ("Trainable", trainable),
                           ("Non-trainable", non_trainable)):
        count = int(sum(w.size for w in weights))
        size = _readable_size(sum(w.nbytes for w in weights))
        print_fn(f" {label} params: {count:,} ({size})")


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
