"""Keras 3 files: kerasite models out to Keras, and Keras models in.

Three formats cross over:

* ``.keras`` (Keras 3's own): a zip of ``metadata.json``, ``config.json``
  (the architecture and, once compiled, ``compile_config``) and
  ``model.weights.h5`` (``layers/<group>/vars/<i>`` per layer in Keras's
  order, and ``optimizer/vars/<i>``, the optimizer's variables);
* ``.h5``, the legacy whole-model HDF5 file of Keras 3's ``model.save("m.h5")``
  and of tf.keras 2: a ``model_config`` attribute and ``model_weights/<layer>``
  groups listed by ``weight_names``;
* ``.weights.h5``, Keras 3's weights-only file: ``model.weights.h5`` alone.

``model.save``, ``model.save_weights``, ``model.load_weights`` and
``kerasite.models.load_model`` come here (through ``kerasite.saving``) for these
extensions.

Reading is as guarded as reading a ``.kerasite`` file (both use
``kerasite.saving._archive``): layers come only from
kerasite's registry, by a table from Keras's class names (``_layers.py``); a
``module`` or ``registered_name`` in the file is checked, never imported;
HDF5 datasets are read by name after their link, type, storage and shape are
checked, and no array larger than the file is allocated (``_h5.py``).
Whatever kerasite does not map is refused with an error that names it.

``h5py`` is needed only here: in a kerasite clone, ``python -m pip install -e ".[keras]"``.
"""
import contextlib
import io
import json
import os
import sys
import zipfile

import kerasite.saving._archive as _archive
import kerasite.saving._guards as _guards
from kerasite import _registry
from kerasite.saving.keras import _assets, _compile, _h5, _h5_guard, _layers
from kerasite.saving.keras._h5 import import_h5py

KERAS_EXTENSION = ".keras"
H5_EXTENSION = ".h5"
WEIGHTS_H5_EXTENSION = ".weights.h5"
_METADATA = "metadata.json"
_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"
MAX_CONFIG_SIZE = 16 * 2**20  # bytes of config.json; real configs are a few KB per layer
_KERAS_VERSION = "3.5.0"  # the oldest Keras 3 whose files kerasite's match (pyproject's extra)


def _describe(model):
    """(Keras config of the model, its children) with ``compile_config`` added, checked first."""
    config, children = _layers.model_to_keras(model)
    compile_config = _compile.compile_to_keras(model) if model.compiled else None
    optimizer = _compile.optimizer_variables(model, children) if compile_config else None
    return config, children, compile_config, optimizer


@contextlib.contextmanager
def _naming_the_file(path):
    """Reading an HDF5 tree: a ValueError that does not name the file gets its name first."""
    try:
        yield
    except ValueError as exc:
        if f"'{path}'" in str(exc):
            raise
        raise ValueError(f"Cannot load '{path}': {exc}") from None


# ===================================================================== .keras
def save_keras(model, filepath):
    """Writes ``model`` as a Keras 3 ``.keras`` file that ``keras.models.load_model`` reads.

    Everything is translated before the file is opened, so a model using a layer
    or option that Keras lacks (or that kerasite does not map yet) raises and
    leaves the disk untouched. A compiled model carries its compile settings
    and its optimizer's state, so training continues in Keras with the same
    next step.

    Args:
        model: a built ``Sequential`` or functional ``Model`` (nested models too).
        filepath: a path ending in ``.keras``.

    Raises:
        ValueError: naming the layer or option that cannot be written.
        ImportError: without h5py (in a kerasite clone, ``python -m pip install -e ".[keras]"``).
    """
    h5py = import_h5py("Saving a .keras file")
    path = os.fspath(filepath)
    config, children, compile_config, optimizer = _describe(model)
    config["compile_config"] = compile_config
    import kerasite

    metadata = {"keras_version": _KERAS_VERSION, "kerasite_version": kerasite.__version__}
    config_bytes = json.dumps(config, allow_nan=False).encode()
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        _h5.write_tree(f, children)
        if optimizer is not None:
            variables = f.create_group("optimizer").create_group("vars")
            for i, value in enumerate(optimizer):
                variables.create_dataset(str(i), data=value)

    def write(out):
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_METADATA, json.dumps(metadata))
            archive.writestr(_CONFIG, config_bytes)
            archive.writestr(_WEIGHTS, weights.getvalue())

    _archive.atomic_write(path, write)


def load_keras(filepath, compile=True):
    """Reads a Keras 3 ``.keras`` file into a kerasite model with the same predictions.

    Every error about the file, from the zip container to the HDF5 weights,
    is a ValueError or an OSError whose message names it.

    Never imports or runs anything named in the file. A file saved compiled
    comes back compiled, with its optimizer's state, so ``fit`` continues
    where Keras stopped.

    Args:
        filepath: a ``.keras`` file written by Keras 3 (or by kerasite).
        compile: restore the loss, metrics and optimizer (the default), if
            the file has them.

    Returns:
        A ``Sequential`` or functional ``Model`` holding the file's weights.

    Raises:
        ValueError: for a layer type, option or object kerasite does not read
            (named in the message), or weights of the wrong name, shape or type.
        OSError: if the file is missing or not a zip archive.
        ImportError: without h5py (in a kerasite clone, ``python -m pip install -e ".[keras]"``).
    """
    import_h5py("Loading a .keras file")
    path = os.fspath(filepath)
    with _file_named(path):
        return _load_keras(path, compile)


def _load_keras(path, compile):
    data = _archive.read_file(path, "model")
    source = f"'{path}'"
    archive, infos = _guards.open_zip(data, source, "a .keras archive")
    extra = sorted(set(infos) - {_METADATA, _CONFIG, _WEIGHTS} - set(filter(_assets.is_asset,
                                                                            infos)))
    if extra:
        raise ValueError(f"Cannot load '{path}': unexpected member(s) {extra[:5]}; kerasite reads "
                         f"only {_CONFIG}, {_WEIGHTS} and the lookups' vocabulary.txt assets.")
    for member in (_CONFIG, _WEIGHTS):
        if member not in infos:
            raise ValueError(f"Cannot load '{path}': the archive has no {member}.")
    if infos[_WEIGHTS].compress_type != zipfile.ZIP_STORED:
        # Keras writes it stored; inflated, a few KB could claim GiB before any check.
        raise ValueError(f"Refusing to load '{path}': {_WEIGHTS} is compressed (method "
                         f"{infos[_WEIGHTS].compress_type}); Keras and kerasite store it "
                         "uncompressed. Save the model again, or re-zip it with -0 (stored).")
    if _METADATA in infos:  # read for its CRC: a damaged member means a damaged file
        _guards.read_member(archive, infos[_METADATA], source, MAX_CONFIG_SIZE)
    config = _guards.loads_json(_guards.read_member(archive, infos[_CONFIG], source,
                                                    MAX_CONFIG_SIZE), source, _CONFIG)
    with _named_errors(path, _CONFIG):
        if not isinstance(config, dict):
            raise ValueError(f"{_CONFIG} holds {type(config).__name__}, not an object.")
        _guards.check_nesting(config, source)
        kind, kerasite_config, children = _layers.model_from_keras(config)
        _archive.check_layer_count(kerasite_config, path)
        _assets.add_vocabularies(kerasite_config, children, lambda name: _read_asset(
            archive, infos, name, path), path)
        compile_config = config.get("compile_config") if compile else None
        if compile_config is not None and not isinstance(compile_config, dict):
            raise ValueError(f"its compile_config is {type(compile_config).__name__}, not an "
                             "object. Load it with compile=False to keep only the weights.")
        compile_args = _compile.compile_from_keras(compile_config, path) if compile_config \
            else None

    raw = _guards.read_member(archive, infos[_WEIGHTS], source, _archive.MAX_FILE_SIZE)
    # Parsed in a worker process with a deadline; `h5` mimics the parts of h5py read here.
    h5 = _h5_guard
    f = _h5_guard.parse(raw, f"'{path}' (member '{_WEIGHTS}')")
    with _naming_the_file(path):
        # Shapes are checked against build_config before a layer allocates anything.
        values = _h5.read_tree(h5, f, children, len(raw))
        model = _build_with_weights(kind, kerasite_config, children, values, path)
        if compile_args is not None:
            model.compile(**compile_args)
            group = _h5.hard_group(h5, f, ["optimizer", "vars"], "the optimizer")
            if group is not None and len(group):
                # The rebuilt model's layers in Keras's order give Keras's variable order.
                _config, ours = _layers.model_to_keras(model)
                _compile.restore_optimizer(h5, model, ours, group, len(raw), path)
    return model


def _read_asset(archive, infos, name, path):
    """An asset member's bytes (None if absent), its declared size checked first."""
    if name not in infos:
        return None
    return _guards.read_member(archive, infos[name], f"'{path}'", MAX_CONFIG_SIZE)


@contextlib.contextmanager
def _file_named(path):
    """Errors of reading a damaged file, named by it: libhdf5's and h5py's raw ones too."""
    try:
        yield
    except (ValueError, OSError) as exc:
        if f"'{path}'" in str(exc) or isinstance(exc, (FileNotFoundError, IsADirectoryError)):
            raise
        kind = ValueError if isinstance(exc, ValueError) else OSError
        raise kind(f"Cannot load '{path}': {exc}") from None
    except (KeyError, IndexError, TypeError, AttributeError, RuntimeError, OverflowError,
            RecursionError, UnicodeError) as exc:
        raise OSError(f"Cannot load '{path}': it is damaged ({type(exc).__name__}: "
                      f"{str(exc):.300}). Restore it or save it again.") from None


@contextlib.contextmanager
def _named_errors(path, what):
    """Any error of translating a bad config becomes one ValueError naming the file."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        if f"'{path}'" in detail:
            raise ValueError(detail) from None
        raise ValueError(f"Cannot load '{path}': invalid {what}: {detail}") from None


def _build_with_weights(kind, kerasite_config, children, values, path):
    """The kerasite model of a translated config, holding ``values`` (checked per weight)."""
    _h5.check_sizes(children, values, path)
    cls = _registry.model_class("Sequential" if kind == "Sequential" else "Model")
    # No weight may be larger than the file's values could fill: a config declaring huge
    # layers is refused before their memory is taken.
    budget = _guards.allocation_budget(_value_count(values) + _guards.ALLOCATION_SLACK,
                                       f"'{path}'")
    with _archive.global_rng_untouched(), _archive.content_errors(path, "architecture"), \
            budget:
        model = cls.from_config(kerasite_config)
    _guards.check_intermediate_shapes(model, f"'{path}'")
    _h5.assign(model, kind, children, values, path)
    return model


def _value_count(values):
    """The number of values in the arrays of a nested list or dict (as ``read_tree`` gives)."""
    count, stack = 0, [values]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is not None:
            count += int(getattr(item, "size", 1))
    return count


# ===================================================================== .h5
def save_legacy_h5(model, filepath):
    """Writes ``model`` as the legacy whole-model ``.h5`` file of Keras 3's ``model.save("m.h5")``.

    ``keras.models.load_model("m.h5")`` reads it. A compiled model carries its
    compile settings (``training_config``); kerasite writes the optimizer's
    state only to ``.keras`` files, so in Keras it starts afresh.

    Args:
        model: a built ``Sequential`` or functional ``Model`` (nested models too).
        filepath: a path ending in ``.h5``.

    Raises:
        ValueError: naming the layer or option that cannot be written.
        ImportError: without h5py (in a kerasite clone, ``python -m pip install -e ".[keras]"``).
    """
    h5py = import_h5py("Saving an .h5 file")
    path = os.fspath(filepath)
    config, children, compile_config, _optimizer = _describe(model)
    _h5.check_legacy_names(children)
    legacy = {"class_name": config["class_name"], "config": config["config"]}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["backend"] = "numpy"
        f.attrs["keras_version"] = _KERAS_VERSION
        f.attrs["model_config"] = json.dumps(legacy, allow_nan=False)
        if compile_config is not None:
            training = {k: compile_config[k] for k in
                        ("loss", "metrics", "weighted_metrics", "loss_weights")}
            opt = compile_config["optimizer"]
            training["optimizer_config"] = {"class_name": opt["class_name"],
                                            "config": opt["config"]}
            f.attrs["training_config"] = json.dumps(training, allow_nan=False)
        group = f.create_group("model_weights")
        group.attrs["backend"] = "numpy"
        group.attrs["keras_version"] = _KERAS_VERSION
        _h5.write_legacy_weights(group, children)
    data = buffer.getvalue()
    _archive.atomic_write(path, lambda out: out.write(data))


def load_legacy_h5(filepath, compile=True):
    """Reads a whole-model HDF5 file written by Keras 3's or tf.keras 2's ``model.save("m.h5")``.

    The architecture is the ``model_config`` attribute and each layer's
    weights sit under ``model_weights/<layer name>``, listed by its
    ``weight_names`` attribute. tf.keras 2 wrote an older config dialect
    (``batch_input_shape``, dtype strings, calls as nested lists) which is
    read too. With ``compile``, a ``training_config`` compiles the model
    (the optimizer starts afresh: an ``.h5`` file holds no state kerasite reads).

    Args:
        filepath: an ``.h5`` file.
        compile: compile the model from the file's ``training_config``, if any.

    Returns:
        A ``Sequential`` or functional ``Model`` holding the file's weights.

    Raises:
        ValueError: as ``load_keras``, and for a file without a model config.
        ImportError: without h5py (in a kerasite clone, ``python -m pip install -e ".[keras]"``).
    """
    import_h5py("Loading an .h5 file")
    path = os.fspath(filepath)
    _archive.require_regular_file(path, "model")
    data = _archive.read_file(path, "model")
    h5py = _h5_guard  # the file is parsed in a worker process; this mimics h5py's groups
    f = _h5_guard.parse(data, f"'{path}'")
    raw = _text_attr(f, "model_config", path)
    if raw is None:
        raise ValueError(f"Cannot load '{path}': it holds no model_config, so it is not a "
                         "whole-model .h5 file. For a weights-only file, build the model "
                         "and call model.load_weights (it reads '.weights.h5').")
    version = f.attrs.get("keras_version")
    version = version if isinstance(version, str) else repr(version)
    if not version.split(".")[0] in ("2", "3"):
        raise ValueError(f"Cannot load '{path}': it was written by Keras {version:.20}; "
                         "kerasite reads .h5 files from tf.keras 2 and Keras 3.")
    config = _parse_json(raw, path, "model_config")
    with _naming_the_file(path):
        kind, kerasite_config, children = _layers.model_from_keras(config)
    _archive.check_layer_count(kerasite_config, path)
    training = _text_attr(f, "training_config", path) if compile else None
    compile_args = None
    if training is not None:
        training = _parse_json(training, path, "training_config")
        if not isinstance(training, dict):
            raise ValueError(f"Cannot load '{path}': training_config is not an object.")
        compile_args = _compile.compile_from_keras(
            {**training, "optimizer": training.get("optimizer_config")}, path)
    with _naming_the_file(path):
        values = [_h5.read_legacy_layer(h5py, f, entry, sub, len(data))
                  for entry, sub in children]
    model = _build_with_weights(kind, kerasite_config, children, values, path)
    if compile_args is not None:
        model.compile(**compile_args)
    return model


def _text_attr(f, key, path):
    raw = f.attrs.get(key)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if raw is not None and not isinstance(raw, str):
        raise ValueError(f"Cannot load '{path}': its {key} is not text.")
    if raw is not None and len(raw) > MAX_CONFIG_SIZE:
        raise ValueError(f"Cannot load '{path}': its {key} has {len(raw)} characters, "
                         f"more than MAX_CONFIG_SIZE={MAX_CONFIG_SIZE}.")
    return raw


def _parse_json(raw, path, what):
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError(f"Cannot load '{path}': {what} nests too deeply to be a model's "
                         "config.") from None
    except ValueError as exc:
        raise ValueError(f"Cannot load '{path}': {what} is not valid JSON ({exc}).") from None


# ===================================================================== .weights.h5
def save_weights_h5(model, filepath):
    """Writes the weights in Keras 3's ``.weights.h5`` layout (``model.save_weights``).

    Keras's ``model.load_weights("m.weights.h5")`` reads it into the same
    architecture built in Keras.

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        filepath: a path ending in ``.weights.h5``.
    """
    h5py = import_h5py("Saving a .weights.h5 file")
    path = os.fspath(filepath)
    model._require_built("save_weights()")
    _config, children = _layers.model_to_keras(model)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _h5.write_tree(f, children)
    data = buffer.getvalue()
    _archive.atomic_write(path, lambda out: out.write(data))


def load_weights_h5(model, filepath):
    """Loads a Keras 3 ``.weights.h5`` file into ``model`` (``model.load_weights``).

    The model must have the architecture the weights were saved from: the
    groups are found by Keras's naming of the model's layers, and every
    weight is checked (link, type, shape) before any is written, so a
    refused file leaves the model unchanged. An ``optimizer`` group in the
    file is ignored, as Keras does for an uncompiled model.

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        filepath: a ``.weights.h5`` file (from Keras's or kerasite's ``save_weights``).

    Raises:
        ValueError: if a weight is missing, extra or misshapen.
    """
    import_h5py("Loading a .weights.h5 file")
    path = os.fspath(filepath)
    _archive.require_regular_file(path, "weights")
    model._require_built("load_weights() of a .weights.h5 file")
    data = _archive.read_file(path, "weights")
    _config, children = _layers.model_to_keras(model)
    # Parsed in a worker process with a deadline; `_h5_guard` mimics h5py's groups.
    f = _h5_guard.parse(data, f"'{path}'")
    pending = []
    with _naming_the_file(path):
        _match_weights(_h5_guard, f, children, "layers", len(data), path, pending)
    for target, value in pending:
        target[...] = value


def _match_weights(h5py, root, children, prefix, file_size, path, pending):
    groups = _layers.weight_group_names(_layers.keras_class(layer) for layer, _ in children)
    for (layer, sub), group in zip(children, groups):
        label = f"layer '{layer.name}' (group '{prefix}/{group}')"
        node = _h5.hard_group(h5py, root, ["layers", group], label)
        if sub is not None:
            if node is None:
                raise ValueError(f"Cannot load '{path}': the file has no group for {label}.")
            _match_weights(h5py, node, sub, f"{prefix}/{group}/layers", file_size, path,
                           pending)
            continue
        keys = _h5.weight_keys(layer)
        values = _h5.read_layer_vars(h5py, node, _layers.layer_to_keras(layer), label,
                                     [layer.params[k].shape for k in keys], file_size,
                                     optional=not keys)
        pending.extend((layer.params[k], v.astype(layer.params[k].dtype))
                       for k, v in zip(keys, values))
    extra = _h5.extra_weight_groups(h5py, root, set(groups))
    if extra:
        raise ValueError(f"Cannot load '{path}': the file holds weights for layers the model "
                         f"does not have ({', '.join(f'{prefix}/{e}' for e in extra[:5])}). It was "
                         "saved from another architecture; build that one to load it.")


class _KerasFilesModule(_archive.ForwardingModule):
    # MAX_INPUT_FEATURES is checked in _layers.py; set here, it changes there.
    _forward = {"MAX_INPUT_FEATURES": _layers}


sys.modules[__name__].__class__ = _KerasFilesModule

__all__ = ["save_keras", "load_keras", "save_legacy_h5", "load_legacy_h5", "save_weights_h5",
           "load_weights_h5"]
