"""HDF5 weights, read by name after their link, type, storage and shape are checked.

Two layouts hold the same weights:

* Keras 3's ``model.weights.h5`` (inside a ``.keras`` file, and alone as a
  ``.weights.h5`` file): ``layers/<group>/vars/<i>``, with ``<group>`` the
  snake-case class name (``dense``, ``dense_1``, ...) in the model's layer
  order, and ``layers/<group>/layers/...`` for a nested model;
* the legacy whole-model ``.h5``: ``model_weights/<layer name>``, whose
  ``weight_names`` attribute lists the paths of its weights in order.

The readers take the module to use as ``h5py``: the loaders pass
``_h5_guard``, whose groups and datasets mimic h5py's but were parsed (and
checked) in a worker process, so no file is opened by libhdf5 here.
"""
import numpy as np

from kerasite.saving.keras._layers import (
    KERAS_VARIABLE,
    LAYERS,
    WEIGHTED,
    expected_shapes,
    has_weights,
    keras_class,
    layer_to_keras,
    legacy_weight_name,
    variable_groups,
    weight_group_names,
)


def import_h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{what} needs h5py, which kerasite installs only with the 'keras' extra: "
            "in your kerasite clone, python -m pip install -e '.[keras]' (or pip install h5py). "
            "kerasite's own .kerasite files never need it."
        ) from None
    return h5py


def weight_keys(layer):
    """The kerasite weight keys of a (non-model) layer, in Keras's order."""
    if type(layer).__name__ == "Normalization" and layer.input_mean is not None:
        return []  # Keras's Normalization holds a given mean and variance in its config only
    keys = LAYERS[type(layer).__name__][3]
    if keys == ("*",):  # a recurrent wrapper: its inner layers' weights, in their order
        return list(layer.params)
    return [k for k in keys if k in layer.params]


def keras_only_weights(layer):
    """Variables Keras keeps after a layer's own, which kerasite has no use for."""
    if type(layer).__name__ == "Normalization" and layer.input_mean is None:
        return [np.zeros((), dtype=np.int32)]  # Keras's `count`, kept for old files, always 0
    return []


# ===================================================================== writing
def write_tree(group, children):
    """Writes ``layers/<group>/vars/<i>`` for each child (recursively) under ``group``."""
    layers = group.create_group("layers")
    names = weight_group_names(keras_class(layer) for layer, _ in children)
    for (layer, sub), name in zip(children, names):
        node = layers.create_group(name)
        if sub is not None:
            write_tree(node, sub)
        variables = node.require_group("vars")
        if sub is None:
            arrays = [layer.params[key].astype(np.float32) for key in weight_keys(layer)]
            arrays += keras_only_weights(layer)
            places = _variable_places(layer, node, variables, len(arrays))
            for (target, i), array in zip(places, arrays):
                target.create_dataset(str(i), data=array)
    group.require_group("vars")


def _variable_places(layer, node, own_vars, n):
    """(vars group, index) of each of a layer's ``n`` weights; a recurrent layer's live
    in its cells' groups (``cell/vars``), ``len(keys) // len(groups)`` in each."""
    paths = variable_groups(layer_to_keras(layer)) if type(layer).__name__ in RNN_GROUPED \
        else None
    if not paths:
        return [(own_vars, i) for i in range(n)]
    per = n // len(paths)
    places = []
    for path in paths:
        group = node.require_group(f"{path}/vars" if path else "vars")
        places.extend((group, i) for i in range(per))
    return places


RNN_GROUPED = ("SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional", "TimeDistributed")


def leaf_weights(children):
    """(layer, key) of every weight in Keras's order, nested models included."""
    out = []
    for layer, sub in children:
        if sub is not None:
            out.extend(leaf_weights(sub))
        else:
            out.extend((layer, key) for key in weight_keys(layer))
    return out


def write_legacy_weights(group, children):
    """``model_weights``: one group per top-level layer, its ``weight_names`` in order."""
    group.attrs["layer_names"] = [layer.name.encode() for layer, _ in children]
    for layer, sub in children:
        node = group.create_group(layer.name)
        if sub is None:
            weights = [(f"{layer.name}/{legacy_weight_name(layer, k)}", layer.params[k])
                       for k in weight_keys(layer)]
            weights += [(f"{layer.name}/count", v) for v in keras_only_weights(layer)]
        else:
            # As Keras's legacy writer: a nested model's trainable weights, then the others.
            pairs = [(leaf, key) for leaf, key in leaf_weights(sub)]
            trainable = [p for p in pairs if _is_trainable(*p)]
            rest = [p for p in pairs if not _is_trainable(*p)]
            weights = [(f"{layer.name}/{leaf.name}/{KERAS_VARIABLE.get(k, k)}", leaf.params[k])
                       for leaf, k in trainable + rest]
        node.attrs["weight_names"] = [n.encode() for n, _ in weights]
        for name, value in weights:
            node.create_dataset(name, data=value if value.dtype.kind == "i" else
                                value.astype(np.float32))
    top = group.create_group(LEGACY_RESERVED)
    top.attrs["weight_names"] = []


LEGACY_RESERVED = "top_level_model_weights"  # the group the legacy writer adds itself


def check_legacy_names(children, top=True):
    """Refuses, before anything is written, layer names a legacy ``.h5`` file cannot hold.

    Each top-level layer is a group named after it, and each weight a path
    ``<layer>/<leaf layer>/<variable>``: a name that is empty, ``.`` or ``..``,
    or holds ``/`` or a NUL, would be read back as another path (or not at
    all), and ``top_level_model_weights`` is the writer's own group.
    """
    for layer, sub in children:
        name = layer.name
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
            raise ValueError(
                f"Cannot save layer {name!r:.80} to an .h5 file: in the legacy HDF5 layout a "
                "layer name is a path component, so it may not be empty, '.' or '..', nor hold "
                "'/' or a NUL. Rename the layer (`name=` when it is made), or save to a "
                ".keras file, which does not name groups after layers.")
        if top and name == LEGACY_RESERVED:
            raise ValueError(
                f"Cannot save layer {name!r} to an .h5 file: the legacy HDF5 layout keeps that "
                "name for the model's own weights. Rename the layer, or save to a .keras file.")
        if sub is not None:
            check_legacy_names(sub, top=False)


def _is_trainable(layer, key):
    return any(w is layer._variables[key] for w in layer.trainable_weights)


# ===================================================================== reading
def hard_group(h5py, root, parts, label):
    """``root/parts...`` if every step is a plain (hard-linked) group, else None."""
    node = root
    for part in parts:
        link = node.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"The weights file links {label} elsewhere ({type(link).__name__}); "
                             "kerasite reads only plain groups and datasets.")
        node = node[part]
        if not isinstance(node, h5py.Group):
            raise ValueError(f"The weights file has a dataset where {label} needs a group.")
    return node


def read_dataset(h5py, group, key, label, expected, file_size):
    """``group[key]`` as an array, once its link, type, storage and shape are checked."""
    if not isinstance(group.get(key, getlink=True), h5py.HardLink):
        raise ValueError(f"Weight {key} of {label} is missing or a link; kerasite reads plain "
                         "datasets.")
    ds = group[key]
    if isinstance(ds, h5py.Dataset) and ds.shape is None:
        raise ValueError(f"Weight {key} of {label} has an empty dataspace (no shape, no "
                         "values); kerasite reads arrays.")
    scalar_int = isinstance(ds, h5py.Dataset) and ds.dtype.kind in "iu" and ds.shape == ()
    if not isinstance(ds, h5py.Dataset) or (ds.dtype.kind != "f" and not scalar_int) or \
            ds.dtype.itemsize > 8:
        raise ValueError(f"Weight {key} of {label} is not a float array "
                         f"({getattr(ds, 'dtype', type(ds).__name__)}).")
    if ds.external or ds.is_virtual:
        raise ValueError(f"Weight {key} of {label} stores its data outside the file; "
                         "kerasite refuses it.")
    if expected is not None and tuple(ds.shape) != tuple(expected):
        raise ValueError(f"Weight {key} of {label} has shape {tuple(ds.shape)}, but the "
                         f"layer's config implies {tuple(expected)}.")
    nbytes = int(np.prod(ds.shape, dtype=np.float64)) * ds.dtype.itemsize
    if nbytes > file_size:
        raise ValueError(f"Weight {key} of {label} declares shape {tuple(ds.shape)} "
                         f"({nbytes} bytes), more than the whole weights file holds "
                         f"({file_size} bytes); kerasite refuses it.")
    return np.asarray(ds[()])


def read_vars(h5py, node, label, expected, file_size, optional=False):
    """The arrays ``vars/0``, ``vars/1``, ... of one group, in order."""
    variables = hard_group(h5py, node, ["vars"], label) if node is not None else None
    if variables is None:
        if optional:
            return []
        raise ValueError(f"The weights file has no group for {label}.")
    names = sorted(variables.keys(), key=lambda s: (len(s), s))
    if names != [str(i) for i in range(len(names))]:
        raise ValueError(f"The weights file has unexpected entries {names[:5]} for {label}.")
    if expected is not None and len(expected) != len(names):
        raise ValueError(f"The weights file holds {len(names)} weights for {label}; "
                         f"its config implies {len(expected)}.")
    return [read_dataset(h5py, variables, key, label,
                         None if expected is None else expected[i], file_size)
            for i, key in enumerate(names)]


def read_layer_vars(h5py, node, entry, label, expected, file_size, optional=False):
    """``read_vars`` of one layer; a recurrent layer's arrays come from its cells' groups.

    ``entry`` is the layer's Keras config: an LSTM's variables are in
    ``<group>/cell/vars``, a Bidirectional's in ``forward_layer/cell/vars`` then
    ``backward_layer/cell/vars`` (see ``variable_groups``).
    """
    paths = variable_groups(entry)
    if not paths or node is None:
        return read_vars(h5py, node, label, expected, file_size, optional=optional)
    arrays = []
    for path in paths:
        inner = hard_group(h5py, node, path.split("/"), label) if path else node
        part = read_vars(h5py, inner, f"{label} (its '{path}/vars')", None, file_size)
        arrays.extend(part)
    if expected is not None and len(expected) != len(arrays):
        raise ValueError(f"The weights file holds {len(arrays)} weights for {label}; "
                         f"its config implies {len(expected)}.")
    for i, (array, shape) in enumerate(zip(arrays, expected or [])):
        if tuple(array.shape) != tuple(shape):
            raise ValueError(f"Weight {i} of {label} has shape {tuple(array.shape)}, but the "
                             f"layer implies {tuple(shape)}.")
    return arrays


def read_tree(h5py, root, children, file_size, prefix="layers"):
    """The arrays of each child of a Keras plan, from ``<prefix>/<group>/vars`` (recursively).

    ``children`` are ``(Keras entry, None or (kind, grandchildren))``; the
    result holds, per child, a list of arrays or (nested) a list of lists.
    """
    groups = weight_group_names(entry["class_name"] if entry["class_name"] != "Model"
                                else "Functional" for entry, _ in children)
    out = []
    for (entry, sub), group in zip(children, groups):
        label = f"layer {entry['config'].get('name')!r} (group '{prefix}/{group}/vars')"
        node = hard_group(h5py, root, [*prefix.split("/"), group], label)
        if sub is not None:
            if node is None:
                raise ValueError(f"The weights file has no group for the nested model "
                                 f"{entry['config'].get('name')!r} ('{prefix}/{group}').")
            out.append(read_tree(h5py, node, sub[1], file_size, "layers"))
            continue
        out.append(read_layer_vars(h5py, node, entry, label, expected_shapes(entry),
                                   file_size, optional=not has_weights(entry)))
    parent = hard_group(h5py, root, prefix.split("/")[:-1], f"group '{prefix}'")
    extra = extra_weight_groups(h5py, parent, set(groups)) if parent is not None else []
    if extra:
        raise ValueError(f"The weights file holds weights for layers its config does not "
                         f"list ({', '.join(f'{prefix}/{e}' for e in extra[:5])}).")
    return out


def extra_weight_groups(h5py, root, expected):
    """The groups under ``root/layers`` that are not in ``expected`` and hold any dataset.

    A group for a layer without weights (``flatten``, ``dropout``) holds none
    and is harmless; one that holds weights is a layer the model lacks.
    """
    layers = root.get("layers") if isinstance(root.get("layers", getlink=True),
                                              h5py.HardLink) else None
    if not isinstance(layers, h5py.Group):
        return []
    return [name for name in layers.keys() if name not in expected and
            _holds_data(h5py, layers, name)]


def _holds_data(h5py, group, name):
    if not isinstance(group.get(name, getlink=True), h5py.HardLink):
        return True  # a link where a layer's weights would be: not written by Keras
    node = group[name]
    if not isinstance(node, h5py.Group):
        return True
    return any(_holds_data(h5py, node, child) for child in node.keys())


def read_legacy_layer(h5py, f, entry, sub, file_size, root="model_weights"):
    """One top-level layer's arrays from ``model_weights/<name>``, by ``weight_names``.

    For a nested model the result is ``{(leaf layer name, variable): array}``.
    """
    name = entry["config"].get("name")
    label = f"layer {name!r} (group '{root}/{name}')"
    group = hard_group(h5py, f, [root, name], label)
    if group is None:
        if sub is not None or has_weights(entry):
            raise ValueError(f"The weights file has no group for {label}.")
        return []
    names = group.attrs.get("weight_names", [])
    if isinstance(names, str):  # h5py gives a one-item list attribute as its item
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"The weight_names attribute of {label} is not a list of names "
                         f"({type(names).__name__}).")
    expected = None if sub is not None else expected_shapes(entry)
    if expected is not None and len(expected) != len(names):
        raise ValueError(f"The weights file holds {len(names)} weights for {label}; "
                         f"its config implies {len(expected)}.")
    arrays = []
    for i, weight in enumerate(names):
        parts = weight.split("/") if isinstance(weight, str) else []
        if not parts or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"Weight name {weight!r:.100} of {label} is not a plain path "
                             "inside its group; kerasite refuses it.")
        parent = hard_group(h5py, group, parts[:-1], label)
        if parent is None:
            raise ValueError(f"Weight {weight!r} of {label} is missing.")
        arrays.append(read_dataset(h5py, parent, parts[-1], label,
                                   None if expected is None else expected[i], file_size))
    if sub is None:
        return arrays
    by_name = {}
    for weight, value in zip(names, arrays):
        parts = weight.split("/")
        if len(parts) < 2:
            raise ValueError(f"Weight name {weight!r:.100} of {label} names no layer.")
        variable = parts[-1].split(":")[0]  # tf.keras 2 adds ":0"
        by_name[(parts[-2], variable)] = value
    return by_name


def assign(model, kind, children, values, path):
    """Copies read arrays into the kerasite ``model`` built from the same plan.

    Every array is matched to its weight and checked before any is written.
    """
    pending = []
    _match(model, kind, children, values, path, pending)
    for target, value in pending:
        target[...] = value


def _match(model, kind, children, values, path, pending):
    layers = model.layers if kind == "Sequential" else \
        [model.get_layer(entry["config"]["name"]) for entry, _ in children]
    if len(layers) != len(children):
        raise ValueError(f"Cannot load '{path}': model '{model.name}' has {len(layers)} layers "
                         f"but the file describes {len(children)}.")
    for layer, (entry, sub), value in zip(layers, children, values):
        if sub is not None:
            if isinstance(value, dict):
                _match_by_name(layer, value, path, pending)
            else:
                _match(layer, sub[0], sub[1], value, path, pending)
            continue
        keys = weight_keys(layer)
        if type(layer).__name__ == "Normalization" and len(value) == len(keys) + 1:
            value = value[:len(keys)]  # Keras's `count`
        if len(keys) != len(value):
            raise ValueError(f"Cannot load '{path}': layer '{layer.name}' has {len(keys)} "
                             f"weights but the file holds {len(value)}.")
        for key, array in zip(keys, value):
            _check_shape(layer, key, array, path)
            pending.append((layer.params[key], array))


def _match_by_name(model, by_name, path, pending):
    used = set()
    for leaf in model._leaf_layers():
        if type(leaf).__name__ not in WEIGHTED:
            continue
        for key in weight_keys(leaf):
            ref = (leaf.name, KERAS_VARIABLE.get(key, key))
            if ref not in by_name:
                raise ValueError(f"Cannot load '{path}': the file has no weight "
                                 f"'{ref[0]}/{ref[1]}' for the nested model '{model.name}'.")
            _check_shape(leaf, key, by_name[ref], path)
            pending.append((leaf.params[key], by_name[ref]))
            used.add(ref)
    extra = sorted(set(by_name) - used)
    if extra:
        raise ValueError(f"Cannot load '{path}': the file holds weights {extra[:3]} that the "
                         f"nested model '{model.name}' does not have.")


def _check_shape(layer, key, array, path):
    target = layer.params[key]
    if target.shape != array.shape:
        raise ValueError(
            f"Cannot load '{path}': weight {key!r} of layer '{layer.name}' has shape "
            f"{target.shape}, but the file holds shape {array.shape}.")


def check_sizes(children, values, path):
    """Units or filters asked for must agree with the kernels in the file before allocating.

    Keras's ``.h5`` configs carry no ``build_config`` to check shapes against,
    so a config asking for 10**12 units is caught here, not by ``build``.
    """
    for (entry, sub), value in zip(children, values):
        if sub is not None:
            if isinstance(value, dict):  # legacy .h5: the nested weights by name
                leaves = _leaf_entries(sub[1])
                value = [[v for (n, var), v in value.items()
                          if n == e["config"].get("name") and var in ("kernel", "embeddings")]
                         for e in leaves]
                check_sizes([(e, None) for e in leaves], value, path)
            else:
                check_sizes(sub[1], value, path)
            continue
        cfg, label = entry["config"], f"layer {entry['config'].get('name')!r}"
        # (the config's sizes, where they sit in the file's first weight)
        sizes = {"Dense": ((cfg.get("units"),), (-1,)),
                 "Conv2D": ((cfg.get("filters"),), (-1,)),
                 "Conv2DTranspose": ((cfg.get("filters"),), (-2,)),
                 "Conv1D": ((cfg.get("filters"),), (-1,)),
                 "Conv1DTranspose": ((cfg.get("filters"),), (-2,)),
                 "Embedding": ((cfg.get("input_dim"), cfg.get("output_dim")), (0, 1))}
        kernel_size = cfg.get("kernel_size")
        got = value[0].shape if value else None
        if kernel_size is not None and got is not None and len(got) >= 3:
            # A convolution's kernel starts with its window: (kh, kw, ...) or (k, ...).
            window = (kernel_size,) * (len(got) - 2) if isinstance(kernel_size, int) \
                else tuple(kernel_size) if isinstance(kernel_size, (list, tuple)) else None
            if window is None or tuple(got[:len(window)]) != window:
                raise ValueError(f"Cannot load '{path}': {label} asks for kernel_size "
                                 f"{kernel_size!r:.40}, but its kernel in the file has shape "
                                 f"{got}.")
        if entry["class_name"] not in sizes:
            continue
        size, axes = sizes[entry["class_name"]]
        # (axis -1 needs one dimension, axis 1 two)
        if got is None or len(got) < max(a + 1 if a >= 0 else -a for a in axes) or \
                tuple(got[a] for a in axes) != tuple(size):
            raise ValueError(f"Cannot load '{path}': {label} asks for "
                             f"{', '.join(f'{s!r:.30}' for s in size)} units, filters or "
                             f"entries, but its first weight in the file has shape {got}.")


def _leaf_entries(children):
    out = []
    for entry, sub in children:
        out.extend(_leaf_entries(sub[1]) if sub is not None else [entry])
    return out
