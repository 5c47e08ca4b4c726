"""Keras 3 ``.keras`` files: kerasite models out to Keras, and Keras models in.

A ``.keras`` file is a zip of three members: ``metadata.json``,
``config.json`` (the architecture, as Keras's serialized objects) and
``model.weights.h5`` (an HDF5 file with one group per layer,
``layers/<snake_case class name>[_k]/vars/<i>``, the layer's weights in
Keras's order). ``model.save("m.keras")`` and
``kerasite.models.load_model("m.keras")`` come here, and so does
``load_model("m.h5")`` for the whole-model HDF5 files Keras 3 writes.

Reading is as guarded as reading a ``.kerasite`` file: layers come only from
kerasite's registry, by a table from Keras's class names; a ``module`` or
``registered_name`` in the file is checked, never imported; HDF5 datasets are
read by name after their shape and type are checked; links and external
storage are refused. Whatever kerasite does not map yet is refused with an
error that names it.

``h5py`` is needed only here: ``pip install kerasite[keras]``.
"""
import io
import json
import os
import re
import zipfile

import numpy as np

KERAS_EXTENSION = ".keras"
_METADATA = "metadata.json"
_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"
MAX_CONFIG_SIZE = 16 * 2**20  # bytes of config.json; real configs are a few KB per layer

# The one value kerasite supports for a Keras option it has no argument for.
_NO_REGULARIZERS = {"kernel_regularizer": None, "bias_regularizer": None,
                    "activity_regularizer": None, "kernel_constraint": None,
                    "bias_constraint": None}

# kerasite class -> (Keras class, options with the same name and meaning in both,
#                    Keras options kerasite fixes to one value, weights in Keras's order)
_LAYERS = {
    "InputLayer": ("InputLayer", (), {}, ()),
    "Dense": ("Dense", ("units", "activation", "use_bias", "kernel_initializer",
                        "bias_initializer"),
              {**_NO_REGULARIZERS, "lora_rank": None, "quantization_config": None},
              ("W", "b")),
    "Dropout": ("Dropout", ("rate", "seed"), {"noise_shape": None}, ()),
    "Flatten": ("Flatten", (), {"data_format": "channels_last"}, ()),
    "Reshape": ("Reshape", ("target_shape",), {}, ()),
    "Activation": ("Activation", ("activation",), {}, ()),
    "ReLU": ("ReLU", ("max_value", "negative_slope", "threshold"), {}, ()),
    "LeakyReLU": ("LeakyReLU", ("negative_slope",), {}, ()),
    "Softmax": ("Softmax", ("axis",), {}, ()),
    "Concatenate": ("Concatenate", ("axis",), {}, ()),
    "Add": ("Add", (), {}, ()),
    "Subtract": ("Subtract", (), {}, ()),
    "Multiply": ("Multiply", (), {}, ()),
    "Average": ("Average", (), {}, ()),
    "Maximum": ("Maximum", (), {}, ()),
    "Minimum": ("Minimum", (), {}, ()),
    "Conv2D": ("Conv2D", ("filters", "kernel_size", "strides", "padding", "dilation_rate",
                          "activation", "use_bias", "kernel_initializer", "bias_initializer"),
               {**_NO_REGULARIZERS, "data_format": "channels_last", "groups": 1,
                "lora_rank": None}, ("W", "b")),
    "MaxPooling2D": ("MaxPooling2D", ("pool_size", "strides", "padding"),
                     {"data_format": "channels_last"}, ()),
    "BatchNormalization": ("BatchNormalization",
                           ("axis", "momentum", "epsilon", "center", "scale",
                            "beta_initializer", "gamma_initializer",
                            "moving_mean_initializer", "moving_variance_initializer"),
                           {"beta_regularizer": None, "gamma_regularizer": None,
                            "beta_constraint": None, "gamma_constraint": None,
                            "synchronized": False, "renorm": False, "renorm_clipping": None},
                           ("gamma", "beta", "moving_mean", "moving_variance")),
}
_FROM_KERAS = {keras_name: name for name, (keras_name, *_rest) in _LAYERS.items()}
_INITIALIZER_OPTIONS = {"kernel_initializer", "bias_initializer", "beta_initializer",
                        "gamma_initializer", "moving_mean_initializer",
                        "moving_variance_initializer"}
# Initializers with the same class name and config keys in Keras 3.
_INITIALIZERS = {"Zeros", "Ones", "Constant", "GlorotUniform", "GlorotNormal", "HeNormal",
                 "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "RandomNormal",
                 "RandomUniform", "TruncatedNormal", "VarianceScaling"}
# Activations whose Keras 3 definition kerasite's matches; others are refused until checked.
_ACTIVATIONS = {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
                "softsign", "exponential", "silu", "swish"}
# Keras options that carry nothing for inference or training here.
_IGNORED_KERAS_OPTIONS = {"name", "trainable", "dtype", "renorm_momentum", "lora_alpha"}


def _snake_case(name):
    # Keras names a layer's group in the weights file after its class: "MaxPooling2D"
    # -> "max_pooling2d", and "dense", "dense_1", ... for repeats.
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _weight_group_names(keras_class_names):
    seen, names = {}, []
    for class_name in keras_class_names:
        base = _snake_case(class_name)
        k = seen.get(base, -1) + 1
        seen[base] = k
        names.append(base if k == 0 else f"{base}_{k}")
    return names


def _import_h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{what} needs h5py, which kerasite installs only with the 'keras' extra: "
            "pip install 'kerasite[keras]'. kerasite's own .kerasite files never need it."
        ) from None
    return h5py


# ===================================================================== export
def save_keras(model, filepath):
    """Writes ``model`` as a Keras 3 ``.keras`` file that ``keras.models.load_model`` reads.

    Everything is translated before the file is opened, so a model using a layer
    or option that Keras lacks (or that kerasite does not map yet) raises and
    leaves the disk untouched. The compile settings and optimizer state are not
    written yet: compile the model again in Keras.

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        filepath: a path ending in ``.keras``.

    Raises:
        ValueError: naming the layer or option that cannot be written.
        ImportError: without h5py (``pip install 'kerasite[keras]'``).
    """
    from kerasite import saving
    from kerasite.models import Model, Sequential

    h5py = _import_h5py("Saving a .keras file")
    path = os.fspath(filepath)
    if type(model) is Sequential:
        config, layers = _sequential_to_keras(model)
    elif type(model) is Model and not model._is_subclassed():
        config, layers = _functional_to_keras(model)
    else:
        raise ValueError(
            f"Cannot write a {type(model).__name__} as a .keras file: kerasite writes "
            "Sequential and functional Model only. Save it as '.kerasite' instead."
        )
    import kerasite

    metadata = {"keras_version": "3.0.0", "kerasite_version": kerasite.__version__}
    config_bytes = json.dumps(config, allow_nan=False).encode()
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        group = f.create_group("layers")
        names = _weight_group_names(_LAYERS[type(layer).__name__][0] for layer in layers)
        for layer, name in zip(layers, names):
            variables = group.create_group(name).create_group("vars")
            for i, key in enumerate(_LAYERS[type(layer).__name__][3]):
                if key in layer.params:
                    variables.create_dataset(str(len(variables)),
                                             data=layer.params[key].astype(np.float32))
        f.create_group("vars")

    def write(out):
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_METADATA, json.dumps(metadata))
            archive.writestr(_CONFIG, config_bytes)
            archive.writestr(_WEIGHTS, weights.getvalue())

    saving._atomic_write(path, write)


def _layer_to_keras(layer, config):
    """One layer's Keras config, from kerasite's ``layers.serialize`` output."""
    name = type(layer).__name__
    if name not in _LAYERS:
        raise ValueError(
            f"Layer '{layer.name}' ({name}) cannot be written to a .keras file: kerasite does "
            f"not map {name} to Keras yet. Layers it writes: {', '.join(sorted(_LAYERS))}. "
            "Save the model as '.kerasite' instead."
        )
    keras_name, shared, fixed, _weights = _LAYERS[name]
    cfg = dict(config)
    out = {"name": cfg.pop("name"), "trainable": cfg.pop("trainable", True), "dtype": "float32"}
    cfg.pop("input_shape", None)
    cfg.pop("input_dim", None)
    if name == "InputLayer":
        return _keras_object(keras_name, {
            "batch_shape": [None, *cfg["shape"]], "dtype": "float32", "sparse": False,
            "ragged": False, "name": out["name"], "optional": False}, "keras.layers")
    for key in shared:
        value = cfg.pop(key)
        if key == "activation":
            value = "linear" if value is None else value
            if value not in _ACTIVATIONS:
                raise ValueError(
                    f"Layer '{layer.name}' ({name}): activation {value!r} is not mapped to "
                    f"Keras yet. Mapped: {', '.join(sorted(_ACTIVATIONS))}.")
        elif key in _INITIALIZER_OPTIONS:
            if value["class_name"] not in _INITIALIZERS:
                raise ValueError(
                    f"Layer '{layer.name}' ({name}): `{key}` {value['class_name']} is not "
                    f"mapped to Keras yet. Mapped: {', '.join(sorted(_INITIALIZERS))}.")
            value = _keras_object(value["class_name"], value.get("config", {}),
                                  "keras.initializers")
        out[key] = value
    for key, required in fixed.items():
        value = cfg.pop(key, required)
        if value != required:
            raise ValueError(
                f"Layer '{layer.name}' ({name}): option `{key}`={value!r} is not mapped to "
                f"Keras yet; a .keras file can be written only with {key}={required!r}.")
        out[key] = required
    if cfg:
        raise ValueError(
            f"Layer '{layer.name}' ({name}): option(s) {sorted(cfg)} have no Keras "
            "equivalent that kerasite maps. Save the model as '.kerasite' instead.")
    return _keras_object(keras_name, out, "keras.layers")


def _keras_object(class_name, config, module):
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": None}


def _sequential_to_keras(model):
    from kerasite import layers as layers_module

    config = model.get_config()
    if config.get("input_shape") is None:
        raise ValueError(
            "Cannot write an unbuilt Sequential to a .keras file: give its first layer an "
            "`input_shape` (or call model.build((None, ...))) first.")
    shape = [None, *config["input_shape"]]
    input_layer = _keras_object("InputLayer", {
        "batch_shape": shape, "dtype": "float32", "sparse": False, "ragged": False,
        "name": f"{model.name}_input", "optional": False}, "keras.layers")
    keras_layers = [input_layer] + [_layer_to_keras(layer, layers_module.serialize(layer)["config"])
                                    for layer in model.layers]
    body = {"name": model.name, "trainable": model.trainable, "dtype": "float32",
            "layers": keras_layers, "build_input_shape": shape}
    top = {**_keras_object("Sequential", body, "keras"),
           "build_config": {"input_shape": shape}, "compile_config": None}
    return top, list(model.layers)


def _functional_to_keras(model):
    config = model.get_config()
    if config.get("input_keys") or config.get("output_structure", "single") == "dict":
        raise ValueError("Cannot write a model with dict inputs or outputs to a .keras file "
                         "yet: use lists, or save as '.kerasite'.")
    by_name = {layer.name: layer for layer in model._graph.layers}
    # (layer name, call index) -> node, counted as Model.get_config counts them.
    nodes, per_layer = {}, {}
    for node in [t.node for t in model._graph.inputs] + model._graph.nodes:
        k = per_layer.get(id(node.layer), 0)
        per_layer[id(node.layer)] = k + 1
        nodes[(node.layer.name, k)] = node

    def tensor(ref):
        shape = nodes[(ref[0], ref[1])].outputs[ref[2]].shape
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(shape), "dtype": "float32",
                           "keras_history": list(ref)}}

    keras_layers, layers = [], []
    for entry in config["layers"]:
        layer = by_name[entry["name"]]
        if type(layer).__name__ in ("Model", "Sequential", "Encoder", "Decoder"):
            raise ValueError(f"Layer '{layer.name}' is a nested model, which kerasite cannot "
                             "write to a .keras file yet. Save as '.kerasite' instead.")
        obj = _layer_to_keras(layer, entry["config"])
        calls = []
        for call in entry["inbound_nodes"]:
            args = [tensor(r) for r in call["args"]]
            calls.append({"args": [args] if call["multi_input"] else args, "kwargs": {}})
        keras_layers.append({**obj, "name": layer.name, "inbound_nodes": calls})
        layers.append(layer)

    order = _keras_layer_order(keras_layers, config["input_layers"], config["output_layers"])
    keras_layers = [keras_layers[i] for i in order]
    layers = [layers[i] for i in order]

    def refs(items):
        return items[0] if len(items) == 1 else items

    body = {"name": model.name, "trainable": model.trainable, "layers": keras_layers,
            "input_layers": refs(config["input_layers"]),
            "output_layers": refs(config["output_layers"])}
    top = {"module": "keras.src.models.functional", "class_name": "Functional",
           "config": body, "registered_name": "Functional",
           "build_config": {"input_shape": None}, "compile_config": None}
    return top, layers


def _keras_layer_order(entries, input_refs, output_refs):
    """The order Keras 3 gives a functional model's layers (indices into ``entries``).

    Keras names the groups of the weights file after that order, so the writer
    must use it too. Keras sorts layers by depth (the longest path from the
    layer to an output, deepest first); layers at one depth keep the order in
    which a depth-first walk from the outputs first meets them. Inputs that no
    output depends on come last.
    """
    index = {entry["name"]: i for i, entry in enumerate(entries)}
    parents = {}  # (layer name, call) -> the calls producing its inputs
    for entry in entries:
        for k, call in enumerate(entry["inbound_nodes"]):
            args = call["args"][0] if len(call["args"]) == 1 and \
                isinstance(call["args"][0], list) else call["args"]
            parents[(entry["name"], k)] = [tuple(t["config"]["keras_history"][:2])
                                           for t in args]
    # InputLayer's own node is call 0 and has no parents.
    visit_order, finished, first_seen = [], set(), {}

    def visit(node):  # iterative depth-first walk: children pushed in reverse
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in finished:
                continue
            if expanded:
                finished.add(current)
                visit_order.append(current)
                continue
            first_seen.setdefault(current[0], len(first_seen))
            stack.append((current, True))
            for parent in reversed(parents.get(current, [])):
                if parent not in finished:
                    stack.append((parent, False))

    for ref in output_refs:
        visit(tuple(ref[:2]))
    node_depth, layer_depth = {}, {}
    for node in reversed(visit_order):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node[0], 0))
        layer_depth[node[0]] = node_depth[node] = depth
        for parent in parents.get(node, []):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for ref in input_refs:
        if ref[0] not in layer_depth:
            layer_depth[ref[0]], first_seen[ref[0]] = 0, -1
    ordered = sorted(layer_depth, key=lambda name: (-layer_depth[name], first_seen[name]))
    missing = set(index) - set(ordered)
    if missing:
        raise ValueError(f"Layer(s) {sorted(missing)} do not lead to an output, so Keras would "
                         "drop them: remove them before writing a .keras file.")
    return [index[name] for name in ordered]


# ===================================================================== import
def load_keras(filepath):
    """Reads a Keras 3 ``.keras`` file into a kerasite model with the same predictions.

    Never imports or runs anything named in the file. The model comes back
    uncompiled; compile it to train on.

    Args:
        filepath: a ``.keras`` file written by Keras 3 (or by kerasite).

    Returns:
        A ``Sequential`` or functional ``Model`` holding the file's weights.

    Raises:
        ValueError: for a layer type, option or object kerasite does not read
            (named in the message), or weights of the wrong name, shape or type.
        OSError: if the file is missing or not a zip archive.
        ImportError: without h5py (``pip install 'kerasite[keras]'``).
    """
    from kerasite import saving

    h5py = _import_h5py("Loading a .keras file")
    path = os.fspath(filepath)
    data = saving._read_file(path, "model")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = {info.filename: info for info in archive.infolist()}
    except zipfile.BadZipFile:
        raise OSError(f"Cannot load '{path}': it is not a .keras archive (not a zip file).") \
            from None
    extra = sorted(set(infos) - {_METADATA, _CONFIG, _WEIGHTS})
    if extra:
        raise ValueError(f"Cannot load '{path}': unexpected member(s) {extra[:5]}; kerasite reads "
                         f"only {_CONFIG} and {_WEIGHTS} (assets are not supported).")
    for member in (_CONFIG, _WEIGHTS):
        if member not in infos:
            raise ValueError(f"Cannot load '{path}': the archive has no {member}.")
    if infos[_CONFIG].file_size > MAX_CONFIG_SIZE:
        raise ValueError(f"Cannot load '{path}': {_CONFIG} declares {infos[_CONFIG].file_size} "
                         f"bytes, more than MAX_CONFIG_SIZE={MAX_CONFIG_SIZE}.")
    # The whole file is at most saving.MAX_FILE_SIZE, and a member may not declare more than
    # that once decompressed, so a zip bomb cannot expand past it.
    if infos[_WEIGHTS].file_size > saving.MAX_FILE_SIZE:
        raise ValueError(f"Cannot load '{path}': {_WEIGHTS} declares "
                         f"{infos[_WEIGHTS].file_size} bytes, more than "
                         f"kerasite.saving.MAX_FILE_SIZE={saving.MAX_FILE_SIZE}.")
    try:
        config = json.loads(archive.read(_CONFIG))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Cannot load '{path}': {_CONFIG} is not valid JSON ({exc}).") from None
    kind, kerasite_config, keras_layers = _model_from_keras(config)
    saving._check_layer_count(kerasite_config, path)

    raw = archive.read(_WEIGHTS)
    with h5py.File(io.BytesIO(raw), "r") as f:
        groups = _weight_group_names(entry["class_name"] for entry in keras_layers)
        # Shapes are checked against build_config before a layer allocates anything.
        arrays = [_read_layer_weights(h5py, f, group, entry, len(raw))
                  for group, entry in zip(groups, keras_layers)]
    return _build_with_weights(kind, kerasite_config, keras_layers, arrays, path)


def _build_with_weights(kind, kerasite_config, keras_layers, arrays, path):
    """The kerasite model of a translated config, holding ``arrays`` (checked per weight)."""
    from kerasite import saving
    from kerasite.models import Model, Sequential

    # The sizes the config asks for must agree with the weights the file holds before
    # any layer allocates (Keras's .h5 configs carry no build_config to check against).
    for entry, values in zip(keras_layers, arrays):
        cfg, label = entry["config"], f"layer {entry['config'].get('name')!r}"
        size = cfg.get("units", cfg.get("filters"))
        if entry["class_name"] in ("Dense", "Conv2D") and \
                (not values or values[0].shape[-1] != size):
            raise ValueError(f"Cannot load '{path}': {label} asks for {size!r:.30} units or "
                             f"filters, but its kernel in the file has shape "
                             f"{values[0].shape if values else None}.")
    cls = Sequential if kind == "Sequential" else Model
    with saving._global_rng_untouched():
        model = cls.from_config(kerasite_config)
    layers = model.layers if kind == "Sequential" else \
        [model.get_layer(entry["config"]["name"]) for entry in keras_layers]
    for layer, entry, values in zip(layers, keras_layers, arrays):
        keys = [k for k in _LAYERS[type(layer).__name__][3] if k in layer.params]
        if len(keys) != len(values):
            raise ValueError(f"Cannot load '{path}': layer '{layer.name}' has {len(keys)} "
                             f"weights but the file holds {len(values)}.")
        for key, value in zip(keys, values):
            target = layer.params[key]
            if target.shape != value.shape:
                raise ValueError(
                    f"Cannot load '{path}': weight {key!r} of layer '{layer.name}' has shape "
                    f"{target.shape}, but the file holds shape {value.shape}.")
            target[...] = value
    return model


def load_legacy_h5(filepath):
    """Reads a whole-model HDF5 file written by Keras 3's ``model.save("m.h5")``.

    The architecture is the ``model_config`` attribute (the same JSON as a
    ``.keras`` file's ``config.json``) and each layer's weights sit under
    ``model_weights/<layer name>``, listed by its ``weight_names`` attribute.
    Files from tf.keras 2 use an older config dialect that kerasite does not
    read yet; they are refused with a message saying so.

    Args:
        filepath: an ``.h5`` file.

    Returns:
        A ``Sequential`` or functional ``Model`` holding the file's weights.

    Raises:
        ValueError: as ``load_keras``, and for a file without a model config.
        ImportError: without h5py (``pip install 'kerasite[keras]'``).
    """
    from kerasite import saving

    h5py = _import_h5py("Loading an .h5 file")
    path = os.fspath(filepath)
    data = saving._read_file(path, "model")
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError:
        raise OSError(f"Cannot load '{path}': it is not an HDF5 file.") from None
    with f:
        raw = f.attrs.get("model_config")
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if not isinstance(raw, str):
            raise ValueError(f"Cannot load '{path}': it holds no model_config, so it is not a "
                             "whole-model .h5 file (weights alone are not supported yet).")
        if len(raw) > MAX_CONFIG_SIZE:
            raise ValueError(f"Cannot load '{path}': its model_config has {len(raw)} characters, "
                             f"more than MAX_CONFIG_SIZE={MAX_CONFIG_SIZE}.")
        version = f.attrs.get("keras_version")
        version = version.decode() if isinstance(version, bytes) else str(version)
        if not version.startswith("3."):
            raise ValueError(f"Cannot load '{path}': it was written by Keras {version}; kerasite "
                             "reads .h5 files written by Keras 3 only, so far. Load it in Keras "
                             "3 and save it as '.keras'.")
        try:
            config = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"Cannot load '{path}': model_config is not valid JSON ({exc}).") \
                from None
        kind, kerasite_config, keras_layers = _model_from_keras(config)
        saving._check_layer_count(kerasite_config, path)
        arrays = [_read_legacy_layer(h5py, f, entry, len(data)) for entry in keras_layers]
    return _build_with_weights(kind, kerasite_config, keras_layers, arrays, path)


def _read_legacy_layer(h5py, f, entry, file_size):
    """One layer's arrays from ``model_weights/<name>``, in its ``weight_names`` order."""
    name = entry["config"].get("name")
    label = f"layer {name!r} (group 'model_weights/{name}')"
    group = _hard_group(h5py, f, ["model_weights", name], label)
    if group is None:
        if entry["class_name"] in ("Dense", "Conv2D", "BatchNormalization"):
            raise ValueError(f"The weights file has no group for {label}.")
        return []
    names = group.attrs.get("weight_names", [])
    names = [n.decode() if isinstance(n, bytes) else n for n in np.asarray(names).tolist()]
    expected = _expected_shapes(entry)
    if expected is not None and len(expected) != len(names):
        raise ValueError(f"The weights file holds {len(names)} weights for {label}; "
                         f"its config implies {len(expected)}.")
    arrays = []
    for i, weight in enumerate(names):
        parts = weight.split("/") if isinstance(weight, str) else []
        if not parts or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"Weight name {weight!r:.100} of {label} is not a plain path "
                             "inside its group; kerasite refuses it.")
        parent = _hard_group(h5py, group, parts[:-1], label)
        if parent is None:
            raise ValueError(f"Weight {weight!r} of {label} is missing.")
        arrays.append(_read_dataset(h5py, parent, parts[-1], label,
                                    None if expected is None else expected[i], file_size))
    return arrays


def _hard_group(h5py, root, parts, label):
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


def _read_dataset(h5py, group, key, label, expected, file_size):
    """``group[key]`` as an array, once its link, type, storage and shape are checked."""
    if not isinstance(group.get(key, getlink=True), h5py.HardLink):
        raise ValueError(f"Weight {key} of {label} is missing or a link; kerasite reads plain "
                         "datasets.")
    ds = group[key]
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind != "f" or ds.dtype.itemsize > 8:
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


def _check_module(obj, where):
    """Refuses an object whose ``module``/``registered_name`` points outside Keras."""
    module = obj.get("module")
    if module is not None and (not isinstance(module, str)
                               or not (module == "keras" or module.startswith("keras."))):
        raise ValueError(
            f"{where} names module {module!r}. kerasite never imports code named in a file and "
            "reads only Keras's own classes, so it refuses this object.")
    registered = obj.get("registered_name")
    if registered is not None and registered != obj.get("class_name") and \
            registered != "Functional":
        raise ValueError(
            f"{where} is a custom object registered as {registered!r}; kerasite reads only "
            "Keras's own classes.")


def _model_from_keras(config):
    """(kind, kerasite model config, Keras layer entries in weights-file order)."""
    if not isinstance(config, dict):
        raise ValueError("config.json must hold an object with 'class_name' and 'config'.")
    _check_module(config, "The model")
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict):
        raise ValueError(f"model type {kind!r} is not supported: kerasite reads Sequential and "
                         "functional models.")
    entries = body.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError("The model config has no 'layers' list.")
    if kind == "Sequential":
        layers, input_shape = [], None
        for entry in entries:
            class_name, cfg = _layer_from_keras(entry)
            if class_name == "InputLayer":
                input_shape = cfg["shape"]
            else:
                layers.append({"class_name": class_name, "config": cfg})
        weighted = [e for e in entries if e.get("class_name") != "InputLayer"]
        return kind, {"name": body.get("name"), "input_shape": input_shape,
                      "layers": layers}, weighted
    out = []
    for entry in entries:
        class_name, cfg = _layer_from_keras(entry)
        calls = []
        for call in entry.get("inbound_nodes") or []:
            calls.append(_call_from_keras(call, cfg["name"]))
        out.append({"class_name": class_name, "config": cfg, "name": cfg["name"],
                    "inbound_nodes": calls})
    return kind, {"name": body.get("name"), "trainable": body.get("trainable", True),
                  "layers": out, "input_layers": _refs(body.get("input_layers")),
                  "output_layers": _refs(body.get("output_layers"))}, entries


def _refs(value):
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, list) for v in value):
        return value
    raise ValueError(f"Malformed input_layers/output_layers {value!r:.200} in the model config "
                     "(dict inputs and outputs are not supported yet).")


def _call_from_keras(call, layer_name):
    if not isinstance(call, dict) or not isinstance(call.get("args"), list):
        raise ValueError(f"Malformed call {call!r:.200} of layer {layer_name!r}.")
    kwargs = {k: v for k, v in (call.get("kwargs") or {}).items() if v is not None}
    if kwargs:
        raise ValueError(f"Layer {layer_name!r} is called with {sorted(kwargs)}, which kerasite "
                         "does not read yet.")
    args = call["args"]
    multi = len(args) == 1 and isinstance(args[0], list)
    tensors = args[0] if multi else args
    refs = []
    for t in tensors:
        history = t.get("config", {}).get("keras_history") if isinstance(t, dict) else None
        if not (isinstance(t, dict) and t.get("class_name") == "__keras_tensor__"
                and isinstance(history, list) and len(history) == 3):
            raise ValueError(f"Layer {layer_name!r} takes an argument kerasite cannot read: "
                             f"{t!r:.200}.")
        refs.append(list(history))
    if len(refs) != 1 and not multi:
        raise ValueError(f"Layer {layer_name!r} is called with several positional arguments, "
                         "which kerasite does not read.")
    return {"args": refs, "multi_input": multi}


def _layer_from_keras(entry):
    """A Keras layer entry -> (kerasite class name, kerasite config)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(f"Malformed layer entry {entry!r:.200} in the model config.")
    keras_name = entry.get("class_name")
    cfg = dict(entry["config"])
    label = f"Layer {cfg.get('name')!r} ({keras_name})"
    _check_module(entry, label)
    if keras_name == "Lambda":
        raise ValueError(f"{label}: layer type 'Lambda' is not supported: it holds code, and "
                         "kerasite never turns a file into code. Rebuild that part in code.")
    if keras_name not in _FROM_KERAS:
        raise ValueError(f"layer type {keras_name!r} is not supported (layer {cfg.get('name')!r})."
                         f" kerasite reads: {', '.join(sorted(_FROM_KERAS))}.")
    name = _FROM_KERAS[keras_name]
    _check_dtype(cfg.pop("dtype", None), label)
    _shared, shared, fixed, _weights = _LAYERS[name]
    out = {"name": cfg.pop("name", None), "trainable": bool(cfg.pop("trainable", True))}
    if not isinstance(out["name"], str):
        raise ValueError(f"{label} has no name.")
    if name == "InputLayer":
        shape = cfg.pop("batch_shape", None) or [None, *(cfg.pop("shape", None) or [])]
        if not isinstance(shape, list) or len(shape) < 2 or \
                not all(isinstance(d, int) and d > 0 for d in shape[1:]):
            raise ValueError(f"{label}: input shape {shape!r} is not supported; kerasite needs "
                             "every feature dimension known.")
        for key in ("sparse", "ragged", "optional"):
            if cfg.get(key):
                raise ValueError(f"{label}: option `{key}`=True is not supported.")
        return name, {**out, "shape": list(shape[1:])}
    for key in shared:
        if key not in cfg:
            continue
        value = cfg.pop(key)
        if key == "activation":
            if value not in _ACTIVATIONS:
                raise ValueError(f"{label}: activation {value!r:.100} is not supported. "
                                 f"kerasite reads: {', '.join(sorted(_ACTIVATIONS))}.")
        elif key in _INITIALIZER_OPTIONS:
            value = _initializer_from_keras(value, f"{label}, option `{key}`")
        out[key] = value
    for key, required in fixed.items():
        value = cfg.pop(key, required)
        if value != required:
            raise ValueError(f"{label}: option `{key}`={value!r:.100} is not supported; "
                             f"kerasite reads only {key}={required!r}.")
    for key, value in cfg.items():
        if key not in _IGNORED_KERAS_OPTIONS and value not in (None, False):
            raise ValueError(f"{label}: option `{key}`={value!r:.100} is not supported.")
    return name, out


def _check_dtype(dtype, label):
    if isinstance(dtype, dict):
        _check_module(dtype, f"{label}'s dtype policy")
        dtype = (dtype.get("config") or {}).get("name")
    if dtype not in (None, "float32", "float64"):
        raise ValueError(f"{label}: dtype policy {dtype!r:.50} is not supported; kerasite reads "
                         "float32 and float64 models.")


def _initializer_from_keras(value, label):
    from kerasite import initializers

    if isinstance(value, str):
        spec = value
    elif isinstance(value, dict):
        _check_module(value, label)
        spec = {"class_name": value.get("class_name"),
                "config": {k: v for k, v in (value.get("config") or {}).items()
                           if v is not None}}
    else:
        raise ValueError(f"{label}: initializer {value!r:.100} is not supported.")
    try:
        return initializers.serialize(initializers.get(spec))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label}: initializer {value!r:.100} is not supported ({exc}).") \
            from None


def _expected_shapes(entry):
    """The Keras weight shapes a layer entry implies, from its config and build_config."""
    cfg = entry["config"]
    build = entry.get("build_config") or {}
    shape = build.get("input_shape")
    name = entry["class_name"]
    if name not in ("Dense", "Conv2D", "BatchNormalization"):
        return []
    if not (isinstance(shape, list) and shape and isinstance(shape[-1], int)):
        return None  # checked after the model is built
    n_in = shape[-1]
    if name == "Dense":
        out = [(n_in, cfg["units"])]
        return out + [(cfg["units"],)] if cfg.get("use_bias", True) else out
    if name == "Conv2D":
        out = [(*cfg["kernel_size"], n_in, cfg["filters"])]
        return out + [(cfg["filters"],)] if cfg.get("use_bias", True) else out
    n = (int(cfg.get("scale", True)) + int(cfg.get("center", True)) + 2)
    return [(n_in,)] * n


def _read_layer_weights(h5py, f, group, entry, file_size):
    """The arrays under ``layers/<group>/vars``, checked by name, link type, shape and type."""
    label = f"layer {entry['config'].get('name')!r} (group 'layers/{group}/vars')"
    node = _hard_group(h5py, f, ["layers", group, "vars"], label)
    if node is None:
        if entry["class_name"] in ("Dense", "Conv2D", "BatchNormalization"):
            raise ValueError(f"The weights file has no group for {label}.")
        return []
    names = sorted(node.keys(), key=lambda s: (len(s), s))
    if names != [str(i) for i in range(len(names))]:
        raise ValueError(f"The weights file has unexpected entries {names[:5]} for {label}.")
    expected = _expected_shapes(entry)
    if expected is not None and len(expected) != len(names):
        raise ValueError(f"The weights file holds {len(names)} weights for {label}; "
                         f"its config implies {len(expected)}.")
    return [_read_dataset(h5py, node, key, label, None if expected is None else expected[i],
                          file_size) for i, key in enumerate(names)]
