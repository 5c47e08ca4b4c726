"""kerasite's own format: one ``.kerasite`` file, written atomically, read safely.

``kerasite.saving`` exposes the public functions of this module; the file
handling it shares with Keras's formats is in ``kerasite.saving._archive``.

The file format
---------------

A ``.kerasite`` file is a zip archive (members stored uncompressed, each
checked by its CRC-32) holding three members:

* ``config.json``: ``{"class_name", "config", "compile_config",
  "training_state", "kerasite_version", "format_version", "floatx"}``. ``class_name``
  is one of ``Sequential``, ``Model``, ``Encoder``, ``Decoder``,
  ``Autoencoder``; ``config`` is ``model.get_config()``;
  ``compile_config`` is ``model.get_compile_config()`` (``null`` before
  ``compile``); ``training_state`` holds ``completed_epochs``, the model's
  ``seed``, the ``optimizer_iterations``, the ``learning_rate`` and
  ``epoch_in_progress`` (``null``, or the 0-based epoch a save made between
  batches cut short: ``fit`` then warns that a resume will not be exact);
  ``floatx`` is the float type of the weights (``"float32"`` or
  ``"float64"``): loading in a process that uses the other one warns.
* ``weights.npz``: one array per weight, keyed ``"<layer index>/<param
  name>"`` (``"0/W"``, ``"0/b"``, ...), plus ``"__format_version__"`` and,
  for a built model, ``"__input_shape__"`` (the shape of one sample).
* ``optimizer.npz``: the arrays of ``optimizer.get_state()`` (``"m/0"``,
  ``"v/0"``, ... for Adam).

``save_weights`` writes a ``.weights.npz`` file: exactly the ``weights.npz``
member above, on its own, readable with ``numpy.load``.

Guarantees
----------

* **Atomic writes.** The bytes go to a temporary file in the target's
  directory, named ``.<file name>.<pid>-<8 hex digits>.tmp`` (a name too
  long for the file system is shortened, with a hash), created with the
  permission bits of the file it replaces; it is flushed
  and ``fsync``-ed, then ``os.replace``-d over the target. If anything fails,
  the temporary file is removed and the error re-raised, so the target is
  either the old file or the new one, never a mix. A process killed during a
  save cannot clean up after itself: its temporary file stays behind, and the
  next save to the same path removes it (on POSIX, once the process that
  wrote it is gone).
* **No code runs on load.** Arrays are read with ``allow_pickle=False``,
  JSON with ``json.loads``, model classes come from a fixed table and layers
  only from the registry of ``kerasite.layers``. Nothing named in a file is
  imported or evaluated.
* **Bounded memory on hostile files.** Every member of the archive and of
  its ``.npz`` members is checked before it is read: its name must be one
  kerasite writes, it must be stored uncompressed (a deflate or bzip2 member
  could expand a few KB into GiB), and each ``.npy`` header must declare
  exactly the bytes the member holds. Reading a file therefore takes a small
  multiple of its size, whatever it claims.
* **Clear errors.** A missing, truncated or corrupted file raises
  ``OSError``; a well-formed file that does not fit (unknown layer, newer
  format, missing or misshapen weights) raises ``ValueError``. Every message
  names the file.
"""

import io
import json
import math
import os
import re
import zipfile

import numpy as np

from kerasite import _registry
from kerasite._validation import is_int, is_number
import kerasite.saving._guards as _guards
from kerasite.saving._archive import (
    NPY_HEADER_MAX,
    ZIP_MAGIC,
    atomic_write,
    check_layer_count,
    check_members,
    content_errors,
    global_rng_untouched,
    parse_npz,
    read_file,
)
from kerasite.saving._guards import check_optimizer_slots
from kerasite.saving.keras import (
    load_keras,
    load_legacy_h5,
    load_weights_h5,
    save_keras,
    save_legacy_h5,
    save_weights_h5,
)

FORMAT_VERSION = 1
MODEL_EXTENSION = ".kerasite"
WEIGHTS_EXTENSION = ".weights.npz"

_CONFIG = "config.json"
_WEIGHTS = "weights.npz"
_OPTIMIZER = "optimizer.npz"
_META_VERSION = "__format_version__"
_META_INPUT_SHAPE = "__input_shape__"


# ==================================================================== public API
def save_model(model, filepath):
    """Saves a model to one ``.kerasite`` file, atomically.

    The file holds the architecture, the weights, the compile settings, the
    optimizer's state, the number of completed epochs and the model's seed:
    everything ``load_model`` needs to predict bit for bit as ``model`` does
    and to resume training exactly where it stopped.

    Args:
        model: a ``Sequential``, ``Model``, ``Encoder``, ``Decoder`` or
            ``Autoencoder``.
        filepath: a path ending in ``.kerasite``; or ``.keras`` (or ``.h5``) to
            write Keras 3's format (legacy HDF5 format) instead, see
            ``kerasite.saving.keras``.

    Raises:
        ValueError: for another extension, or a model class that cannot be
            loaded back.
        OSError: if the file cannot be written; any previous file at
            ``filepath`` is then left as it was.

    Example:
        >>> import os, tempfile
        >>> from kerasite import Sequential, layers
        >>> from kerasite.models import load_model
        >>> model = Sequential([layers.Dense(2, input_shape=(3,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.kerasite")
        >>> model.save(path)
        >>> load_model(path).count_params()
        8
    """
    if os.fspath(filepath).endswith((".keras", ".h5")):  # Keras's formats: saving/keras/
        if os.fspath(filepath).endswith(".h5"):
            return save_legacy_h5(model, filepath)
        return save_keras(model, filepath)
    path = _check_extension(filepath, MODEL_EXTENSION, "model.save",
                            "'model.keras' or 'model.h5' for Keras's formats, or "
                            "model.save_weights('name.weights.npz') to keep only the weights")
    class_name = type(model).__name__
    if _model_classes().get(class_name) is not type(model):
        raise ValueError(
            f"Cannot save a model of class {class_name}: load_model rebuilds only "
            f"{', '.join(_model_classes())}, and would not know this class. Register it with "
            "@kerasite.saving.register_serializable() (and give it get_config() if its "
            "constructor takes arguments that are not plain values), or save the weights with "
            "model.save_weights('name.weights.npz'), rebuild the model in code and call "
            "load_weights."
        )
    import kerasite

    optimizer_state = model.optimizer.get_state() if model.compiled else {"iterations": 0}
    config = {
        "format_version": FORMAT_VERSION,
        "kerasite_version": kerasite.__version__,
        "floatx": _weights_floatx(model),
        "class_name": class_name,
        "config": model.get_config(),
        "compile_config": model.get_compile_config(),
        "training_state": {
            "completed_epochs": int(model.completed_epochs),
            "seed": int(model._seed),
            "optimizer_iterations": int(optimizer_state.pop("iterations")),
            "learning_rate": float(model.optimizer.learning_rate) if model.compiled else None,
            "epoch_in_progress": getattr(model, "_epoch_in_progress", None),
        },
    }
    # Everything is serialised before the temporary file exists, so a bad config
    # fails without touching the disk; and what load_model would refuse is refused here.
    _check_nesting_for_save(config["config"], model)
    config_bytes = _json_bytes(config, class_name)
    weights = _weight_arrays(model)
    _check_member_names(weights, _WEIGHT_MEMBERS, "weight", model)
    _check_member_names(optimizer_state, _OPTIMIZER_MEMBERS, "optimizer slot", model)
    weights_bytes = _npz_bytes(weights)
    optimizer_bytes = _npz_bytes(optimizer_state)

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_CONFIG, config_bytes)
            archive.writestr(_WEIGHTS, weights_bytes)
            archive.writestr(_OPTIMIZER, optimizer_bytes)

    atomic_write(path, write)


def load_model(filepath, compile=True):
    """Loads a model saved by ``model.save``; never runs code from the file.

    Args:
        filepath: a ``.kerasite`` file; or a Keras 3 ``.keras`` file, or an
            ``.h5`` file written by Keras 3 or tf.keras 2 (read by
            ``kerasite.saving.keras``).
        compile: restore the loss, the metrics and the optimizer with its state
            (the default). With ``False`` the model comes back uncompiled.

    Returns:
        A model of the saved class, with the saved weights, ``completed_epochs``
        and seed, so that ``fit(..., initial_epoch=model.completed_epochs)``
        continues the saved run exactly.

    Raises:
        OSError: if the file is missing, truncated, corrupted or not a
            ``.kerasite`` archive.
        ValueError: if its content cannot be used: a newer format, an unknown
            model or layer class, pickled arrays, missing, extra or misshapen
            weights.
    """
    path = os.fspath(filepath)
    if path.endswith((".keras", ".h5")):  # Keras 3's formats: saving/keras/
        if path.endswith(".h5"):
            return load_legacy_h5(path, compile=compile)
        return load_keras(path, compile=compile)
    members = _read_archive(path, "model")
    config = _parse_json(members[_CONFIG], path)
    _check_format_version(config.get("format_version"), path, _CONFIG)

    class_name = config.get("class_name")
    classes = _model_classes()
    if not isinstance(class_name, str) or class_name not in classes:
        raise ValueError(
            f"Cannot load '{path}': unknown model class {class_name!r}. kerasite loads only "
            f"{', '.join(classes)}."
        )
    state = _training_state(config.get("training_state"), path)
    _warn_on_precision_change(_saved_floatx(config, path), path)
    check_layer_count(config.get("config"), path)
    _guards.check_nesting(config.get("config"), f"'{path}'")
    # No weight may take more values than weights.npz could hold (2 bytes a value at the
    # least): a config declaring huge layers is refused before their memory is taken.
    budget = _guards.allocation_budget(len(members[_WEIGHTS]) // 2 + _guards.ALLOCATION_SLACK,
                                       f"'{path}'")
    with global_rng_untouched(), content_errors(path, "architecture in config.json"), budget:
        model = classes[class_name].from_config(config["config"])
    _guards.check_intermediate_shapes(model, f"'{path}'")
    _load_weight_arrays(model, parse_npz(members[_WEIGHTS], f"'{path}' (member {_WEIGHTS})",
                                          *_weight_members(model)), path)
    model.completed_epochs = state["completed_epochs"]
    model._seed = state["seed"]
    model._epoch_in_progress = state["epoch_in_progress"]

    compile_config = config.get("compile_config")
    if compile and compile_config is not None:
        with content_errors(path, "compile settings in config.json"):
            from kerasite import losses, optimizers

            loss = compile_config["loss"]
            if isinstance(loss, dict) and "class_name" not in loss:  # one per output, by name
                loss = {key: losses.get(value) for key, value in loss.items()}
            elif isinstance(loss, list):  # one per output, in order
                loss = [losses.get(value) for value in loss]
            else:
                loss = losses.get(loss)
            model.compile(optimizer=optimizers.get(compile_config["optimizer"]), loss=loss,
                          metrics=compile_config.get("metrics") or [],
                          loss_weights=compile_config.get("loss_weights"),
                          weighted_metrics=compile_config.get("weighted_metrics"))
        arrays = parse_npz(members[_OPTIMIZER], f"'{path}' (member {_OPTIMIZER})",
                            _OPTIMIZER_MEMBERS, _MEMBER_KINDS[_OPTIMIZER_MEMBERS])
        _restore_optimizer(model, state, arrays, path)
    return model


def save_weights(model, filepath):
    """Saves only the weights to a ``.weights.npz`` file, atomically.

    The file is a plain ``.npz`` archive with one array per weight, keyed
    ``"<layer index>/<param name>"``, plus ``"__format_version__"`` and
    ``"__input_shape__"``.

    Args:
        model: a built model.
        filepath: a path ending in ``.weights.npz`` (or ``.weights.h5``, Keras 3's
            layout, written by ``kerasite.saving.keras.save_weights_h5``).

    Raises:
        ValueError: for another extension, or an unbuilt model (the error is
            also an ``AttributeError``).
        OSError: if the file cannot be written; a previous file is then kept.
    """
    if os.fspath(filepath).endswith(".weights.h5"):  # Keras 3's layout: saving/keras/
        return save_weights_h5(model, filepath)
    path = _check_extension(filepath, WEIGHTS_EXTENSION, "model.save_weights",
                            "or model.save('name.kerasite') for the whole model")
    model._require_built("save_weights()")
    _check_nesting_for_save(model.get_config(), model)
    weights = _weight_arrays(model)
    _check_member_names(weights, _WEIGHT_MEMBERS, "weight", model)
    data = _npz_bytes(weights)
    atomic_write(path, lambda f: f.write(data))


def load_weights(model, filepath):
    """Loads weights into ``model`` from a ``.weights.npz`` or ``.kerasite`` file.

    Every weight is checked (names, count, shape, dtype) before any is
    written, so a mismatch leaves the model unchanged. An unbuilt model is
    built for the input shape stored in the file, once the weights are known
    to fit it: a refused file leaves it unbuilt. From a ``.kerasite``
    file only the weights are taken: the optimizer state and the epoch count
    stay as they are (use ``load_model`` to resume training).

    Args:
        model: the model to fill; its layers must match the saved ones.
        filepath: a ``.weights.npz`` or ``.kerasite`` file (or a Keras 3
            ``.weights.h5`` file, read by ``kerasite.saving.keras.load_weights_h5``).

    Raises:
        OSError: if the file is missing, truncated or corrupted.
        ValueError: if a weight is missing, extra, misshapen, or not a plain
            float array; the message names the weight and its layer.
    """
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):  # Keras 3's layout: saving/keras/
        return load_weights_h5(model, path)
    if path.endswith(MODEL_EXTENSION):
        members = _read_archive(path, "model")
        _check_format_version(_parse_json(members[_CONFIG], path).get("format_version"),
                              path, _CONFIG)
        data, source = members[_WEIGHTS], f"'{path}' (member {_WEIGHTS})"
    elif path.endswith(WEIGHTS_EXTENSION):
        data, source = read_file(path, "weights"), f"'{path}'"
    else:
        raise ValueError(
            f"load_weights reads '{WEIGHTS_EXTENSION}' files (from save_weights) and "
            f"'{MODEL_EXTENSION}' files (from save). Received: filepath={path!r}."
        )
    arrays = parse_npz(data, source, *_weight_members(model))
    _warn_on_weight_dtype(model, arrays, path)
    _rehearse_on_a_copy(model, arrays, path)
    _load_weight_arrays(model, arrays, path)


def _rehearse_on_a_copy(model, arrays, path):
    """Loads ``arrays`` into a copy of an unbuilt ``model`` first.

    An unbuilt model is built for the file's input shape before its weights
    can be checked. Doing that on a copy first means a file that does not fit
    raises before ``model`` is touched; the model is built only once the copy
    took every weight. A model class that cannot be copied from its config is
    built in place, as before.
    """
    if model.built or not set(arrays) - {_META_VERSION, _META_INPUT_SHAPE}:
        return
    try:
        with global_rng_untouched():
            copy = type(model).from_config(model.get_config())
    except Exception:  # noqa: BLE001  (a custom model class: no rehearsal possible)
        return
    _load_weight_arrays(copy, dict(arrays), path)


# ============================================== precision
def _weights_floatx(model):
    """The float type of the model's weights (``floatx()`` when it has none yet)."""
    from kerasite.config import floatx

    for layer in model.layers:
        for value in layer.params.values():
            return value.dtype.name
    return floatx()


def _saved_floatx(config, path):
    if "floatx" not in config:
        return None  # written before the precision was recorded
    value = config["floatx"]
    if value not in ("float32", "float64"):
        raise ValueError(f"Cannot load '{path}': config.json's floatx must be 'float32' or "
                         f"'float64'. Found {_short_repr(value)}.")
    return value


def _warn_on_precision_change(saved, path):
    """Warns when a model saved in one float type is loaded in a process using another."""
    import warnings

    from kerasite.config import floatx

    if saved is not None and saved != floatx():
        warnings.warn(
            f"'{path}' was saved in {saved}, but this process uses {floatx()} "
            f"(kerasite.config.floatx()): its weights are cast to {floatx()}, and its "
            f"predictions differ from the saved model's. To restore it exactly, call "
            f"kerasite.config.set_floatx({saved!r}) before loading.",
            UserWarning, stacklevel=3)


def _warn_on_weight_dtype(model, arrays, path):
    """Warns when ``load_weights`` casts the file's weights to another float type."""
    import warnings

    if not model.built:
        from kerasite.config import floatx

        target = floatx()
    else:
        target = _weights_floatx(model)
    saved = {a.dtype.name for key, a in arrays.items()
             if not key.startswith("__") and a.dtype.kind == "f"}
    saved.discard(target)
    if saved:
        kind = sorted(saved)[0]
        warnings.warn(
            f"'{path}' holds {kind} weights, but this model's are {target}: they are cast "
            f"to {target}, and predictions differ from the saved model's. To keep them "
            f"exactly, call kerasite.config.set_floatx({kind!r}) before building the model.",
            UserWarning, stacklevel=3)


# ================================================================ atomic writing
def _check_extension(filepath, extension, caller, alternative):
    path = os.fspath(filepath)
    if not isinstance(path, str) or not path.endswith(extension):
        raise ValueError(
            f"{caller} needs a file name ending in '{extension}'. Received: filepath={path!r}. "
            f"Use e.g. 'model{extension}', {alternative}."
        )
    return path


# ".<stem>.<pid>-<8 hex digits>.tmp": at most this many bytes besides the stem.
# ===================================================================== encoding
def _json_bytes(config, class_name):
    def plain(value):
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(
            f"The config of this {class_name} holds {value!r} of type {type(value).__name__}, "
            "which JSON cannot store. Make every get_config() return plain Python values."
        )

    try:
        return json.dumps(config, default=plain, allow_nan=False, indent=1).encode("utf-8")
    except ValueError as exc:  # NaN or infinity in a config
        raise ValueError(f"Cannot save this {class_name}: its config holds NaN or infinity "
                         f"({exc}), which JSON cannot store.") from None


def _weight_arrays(model):
    arrays = {_META_VERSION: np.array(FORMAT_VERSION, dtype=np.int64)}
    if model.built and isinstance(model.input_shape, tuple):  # one input
        arrays[_META_INPUT_SHAPE] = np.array(model.input_shape[1:], dtype=np.int64)
    for i, layer in enumerate(model.layers):
        for name, value in layer.params.items():
            arrays[f"{i}/{name}"] = value
    return arrays


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ===================================================================== decoding
def _read_archive(path, kind):
    """The members of a ``.kerasite`` archive, as bytes, each checked against its CRC."""
    data = read_file(path, kind)
    if not data.startswith(ZIP_MAGIC):
        raise OSError(
            f"Cannot load '{path}': it is not a {MODEL_EXTENSION} file (not a zip archive"
            f"{', it is empty' if not data else ''}). Pass the path of a file written by "
            "model.save."
        )
    # kerasite writes no zip comment, so the end record is the last 22 bytes. Checking it
    # matters: the members are stored .npz archives, and a reader searching a truncated
    # file for an end record would find a member's and read that member as the archive.
    if data[-22:-18] != b"PK\x05\x06":
        raise _corrupted(path, EOFError("the end of the archive is missing"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception as exc:  # noqa: BLE001  (any failure to parse these bytes: a bad file)
        raise _corrupted(path, exc) from None
    names = {info.filename for info in infos}
    if _CONFIG not in names and data[26:28] == len(_CONFIG).to_bytes(2, "little") \
            and data[30:30 + len(_CONFIG)] == _CONFIG.encode():
        # The first member is config.json, yet the directory lacks it: the end record read
        # was a member's, left at the end by a cut exactly after that member.
        raise _corrupted(path, EOFError("the archive's directory is missing"))
    if _CONFIG not in names and any(name.endswith(".npy") for name in names):
        raise ValueError(
            f"'{path}' holds weights only (a save_weights file), not a whole model. Build the "
            "model in code, then call model.load_weights(path)."
        )
    check_members(infos, _MODEL_MEMBERS, _MEMBER_KINDS[_MODEL_MEMBERS], len(data), f"'{path}'")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {name: archive.read(name) for name in (_CONFIG, _WEIGHTS, _OPTIMIZER)
                       if name in names}
    except Exception as exc:  # noqa: BLE001  (any failure to parse these bytes: a bad file)
        raise _corrupted(path, exc) from None
    for name in (_CONFIG, _WEIGHTS, _OPTIMIZER):
        if name not in members:
            raise OSError(
                f"Cannot load '{path}': the archive has no '{name}', so it is incomplete or was "
                "not written by kerasite. Save the model again with model.save."
            )
    return members


def _corrupted(path, exc):
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        what = f"its contents are corrupted ({exc})"
    else:
        what = f"it is truncated or corrupted ({type(exc).__name__}: {exc})"
    return OSError(f"Cannot load '{path}': {what}. Restore it from a backup or save the "
                   "model again.")


def _parse_json(data, path):
    depth = _guards.json_depth(data)
    if depth > _guards.MAX_JSON_DEPTH:
        raise ValueError(f"Refusing to load '{path}': {_CONFIG} nests {depth} levels deep; "
                         f"kerasite reads at most {_guards.MAX_JSON_DEPTH}.")
    try:
        config = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise OSError(
            f"Cannot load '{path}': {_CONFIG} is not valid JSON ({exc}). The file is corrupted; "
            "save the model again."
        ) from None
    if not isinstance(config, dict):
        raise OSError(
            f"Cannot load '{path}': {_CONFIG} must hold a JSON object, not "
            f"{type(config).__name__}. The file is corrupted; save the model again."
        )
    return config


# ============================================== archive checks
# kerasite writes exactly these members; anything else is refused by name.
_MODEL_MEMBERS = re.compile(r"(config\.json|weights\.npz|optimizer\.npz)\Z")
# A nested model's weights are keyed by the path of layer indices: "2/0/W".
_WEIGHT_MEMBERS = re.compile(
    r"(__format_version__|__input_shape__|(\d{1,9}/){1,%d}[A-Za-z0-9_][A-Za-z0-9_\-]{0,99})"
    r"\.npy\Z" % _guards.MAX_NESTED_MODELS)
# Per-weight slots "<slot>/<i>", and an optimizer's scalars (Nadam's "u_product").
# The step count is never an array: it comes from the validated training_state.
_OPTIMIZER_MEMBERS = re.compile(r"(?!iterations\.npy)[A-Za-z_][A-Za-z0-9_]{0,99}(/\d{1,9})?\.npy\Z")
_MEMBER_KINDS = {
    _MODEL_MEMBERS: "config.json, weights.npz and optimizer.npz",
    _WEIGHT_MEMBERS: "'<layer index>/<weight name>.npy' (nested: '<i>/<j>/<name>.npy'), "
                     "'__format_version__.npy' and '__input_shape__.npy'",
    _OPTIMIZER_MEMBERS: "'<slot>/<weight index>.npy' and '<scalar>.npy'",
}


def _check_member_names(arrays, pattern, kind, model):
    """Refuses, at save time, an array key ``load`` would not accept as a member name."""
    for key in arrays:
        if not pattern.match(f"{key}.npy"):
            raise ValueError(
                f"Cannot save model '{model.name}': {kind} {key!r:.120} would not load back. "
                "kerasite stores a weight under its layer's index and its name, which may hold "
                "only letters, digits, '_' and '-' (at most 100, not starting with '-'); "
                "rename the weight (add_weight(name=...)).")


def _check_nesting_for_save(config, model):
    depth = _guards.nested_model_depth(config)
    if depth > _guards.MAX_NESTED_MODELS:
        raise ValueError(
            f"Cannot save model '{model.name}': its models nest {depth} deep, and load_model "
            f"reads at most {_guards.MAX_NESTED_MODELS} models inside each other. Flatten "
            "some of the nesting.")


def _weight_members(model):
    """``parse_npz``'s checks for a weights archive loaded into ``model``."""
    return _WEIGHT_MEMBERS, _MEMBER_KINDS[_WEIGHT_MEMBERS], _weight_size_limits(model)


def _weight_size_limits(model):
    """For a built model: the most bytes each weight's ``.npy`` member can need.

    A weight is at most float64 (8 bytes a value), plus its ``.npy`` header, so
    a larger member cannot be that weight, whatever it holds. Keyed as
    ``_weight_arrays`` keys the weights. ``None`` for an unbuilt model.
    """
    if not model.built:
        return None
    return {f"{i}/{name}.npy": (f"{i}/{name}", param.shape, 8 * param.size + NPY_HEADER_MAX)
            for i, layer in enumerate(model.layers) for name, param in layer.params.items()}


def _check_format_version(version, path, member):
    if not is_int(version) or version < 1:
        raise OSError(
            f"Cannot load '{path}': {member} has no valid format_version "
            f"(found {version!r}). The file is corrupted or was not written by kerasite."
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"Cannot load '{path}': it was saved by a newer kerasite (format {version}); this "
            f"kerasite reads format {FORMAT_VERSION} and older. Update kerasite: in "
            "your clone, git pull, then python -m pip install -e ."
        )


_MAX_COUNT = 2**63 - 1


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _training_state(state, path):
    if not isinstance(state, dict):
        raise ValueError(f"Cannot load '{path}': config.json has no training_state.")
    checked = {}
    for key in ("completed_epochs", "seed", "optimizer_iterations"):
        value = state.get(key)
        # Bounded so that every later use (a seed, beta ** iterations) stays computable.
        if not is_int(value) or not 0 <= value <= _MAX_COUNT:
            raise ValueError(
                f"Cannot load '{path}': training_state.{key} must be an integer from 0 to "
                f"{_MAX_COUNT}. Found {_short_repr(value)}."
            )
        checked[key] = value
    lr = state.get("learning_rate")
    if lr is not None and (not is_number(lr) or not math.isfinite(lr) or lr < 0):
        raise ValueError(
            f"Cannot load '{path}': training_state.learning_rate must be a number >= 0. "
            f"Found {lr!r}."
        )
    checked["learning_rate"] = lr
    in_progress = state.get("epoch_in_progress")  # absent from older files: a boundary
    if in_progress is not None and (not is_int(in_progress)
                                    or not 0 <= in_progress <= _MAX_COUNT):
        raise ValueError(
            f"Cannot load '{path}': training_state.epoch_in_progress must be null or an "
            f"integer from 0 to {_MAX_COUNT}. Found {_short_repr(in_progress)}."
        )
    checked["epoch_in_progress"] = in_progress
    return checked


def _warn_if_resuming_mid_epoch(model, initial_epoch):
    """Called by ``fit``: warns when the model stopped inside an epoch.

    After ``except KeyboardInterrupt: model.save(...)``, or a checkpoint saved
    every N batches, the weights and the optimizer hold part of an epoch that
    ``completed_epochs`` does not count. Training from there works, but repeats
    those steps, so it cannot match a run that was never interrupted.
    """
    import warnings

    epoch = getattr(model, "_epoch_in_progress", None)
    if epoch is None:
        return
    warnings.warn(
        f"Model '{model.name}' stopped in the middle of epoch {epoch + 1} (interrupted, or "
        "saved between batches): its weights and optimizer already hold part of that epoch, "
        f"which completed_epochs={model.completed_epochs} does not count. Training from "
        f"initial_epoch={initial_epoch} repeats those steps, so the result will not match an "
        "uninterrupted run. For an exact resume, load a checkpoint saved at the end of an "
        "epoch (ModelCheckpoint with save_freq='epoch').",
        UserWarning, stacklevel=3)


def _model_classes():
    """The model classes ``load_model`` may build: kerasite's, and subclasses registered by name."""
    from kerasite.layers import _REGISTRY

    model = _registry.model_class("Model")
    return {name: cls for name, cls in _REGISTRY.items()
            if isinstance(cls, type) and issubclass(cls, model)}


def register_serializable(package="Custom", name=None):
    """Registers a custom class (a ``Layer``, ``Model``, ``Loss``, ``Metric``, ...) for loading.

    The counterpart of Keras's ``register_keras_serializable``. The class joins
    the registry of every kind it subclasses (a ``Loss`` the losses, so that
    ``kerasite.losses.get("MyLoss")`` finds it). Loading builds classes only
    from these registries, by name; nothing named in a file is imported.
    A plain function (a loss, metric or activation ``fn``) is registered by
    its name: ``compile(loss="fn")`` and ``Dense(2, activation="fn")`` then find
    it. As in Keras, the object also joins ``get_custom_objects()`` as
    ``"package>name"``; kerasite looks names up without the package, so names
    must be unique across packages.

    Args:
        package: the package part of the ``get_custom_objects()`` key.
        name: the name to register under; the class name by default.

    Returns:
        A class decorator.

    Example:
        >>> import kerasite
        >>> @register_serializable()
        ... class Tiny(kerasite.Model):
        ...     def __init__(self, units=2, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...         self.dense = kerasite.layers.Dense(units)
        ...     def call(self, inputs):
        ...         return self.dense(inputs)
        >>> Tiny(units=3).get_config()["units"]
        3
    """
    def decorator(cls):
        # As Keras, the object also joins get_custom_objects() as "Package>Name".
        key = name or getattr(cls, "__name__", type(cls).__name__)
        _registry._CUSTOM_OBJECTS[f"{package}>{key}"] = cls
        return _registry.register_class(cls, name)

    return decorator


register_keras_serializable = register_serializable


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class registered for loading under ``name`` in any kind, or ``None``; as Keras's.

    ``custom_objects`` and ``module_objects`` (dicts name -> object) are
    searched first. A Keras key ``"Package>Name"`` is looked up by ``Name``,
    since kerasite registers by name alone.

    Example:
        >>> get_registered_object("Dense").__name__
        'Dense'
        >>> get_registered_object("Custom>Nothing") is None
        True
    """
    for table in (custom_objects, module_objects):
        if table and name in table:
            return table[name]
    return _registry.registered_class(name)


# ================================================================ weights, state
def _load_weight_arrays(model, arrays, path):
    """Checks every array against ``model``'s weights, then writes them all."""
    source = f"'{path}'"
    version = arrays.pop(_META_VERSION, None)
    if version is not None:
        _check_format_version(int(version) if version.shape == () and version.dtype.kind in "iu"
                              else None, path, _META_VERSION)
    input_shape = arrays.pop(_META_INPUT_SHAPE, None)
    if not model.built and arrays:
        if input_shape is None or input_shape.ndim != 1 or input_shape.dtype.kind not in "iu" \
                or (input_shape < 1).any():
            raise ValueError(
                f"Model '{model.name}' is not built and {source} does not record the input "
                "shape. Build the model first with model.build((None, *sample_shape))."
            )
        with global_rng_untouched(), content_errors(path, "input shape stored in the file"):
            model.build((None, *(int(d) for d in input_shape)))

    expected = {f"{i}/{name}": (layer, name, param)
                for i, layer in enumerate(model.layers) for name, param in layer.params.items()}
    missing = [key for key in expected if key not in arrays]
    if missing:
        key = missing[0]
        layer = expected[key][0]
        raise ValueError(
            f"Cannot load weights from {source}: it has no weight '{key}' (layer '{layer.name}', "
            f"{type(layer).__name__}){f' and {len(missing) - 1} more' if len(missing) > 1 else ''}"
            f". The model has {len(expected)} weight arrays and the file {len(arrays)}: it was "
            "saved from a different architecture."
        )
    extra = sorted(key for key in arrays if key not in expected)
    if extra:
        raise ValueError(
            f"Cannot load weights from {source}: it has weights the model lacks: "
            f"{', '.join(repr(k) for k in extra[:5])}{' ...' if len(extra) > 5 else ''}. The "
            f"model has {len(expected)} weight arrays and the file {len(arrays)}: it was saved "
            "from a different architecture."
        )
    for key, (layer, name, param) in expected.items():
        value = arrays[key]
        if value.shape != param.shape:
            raise ValueError(
                f"Cannot load weights from {source}: weight '{key}' (layer '{layer.name}', "
                f"{type(layer).__name__}) has shape {value.shape} in the file, but the model "
                f"expects {param.shape}. The file was saved from a different architecture."
            )
        if value.dtype.kind != "f":
            raise ValueError(
                f"Cannot load weights from {source}: weight '{key}' has dtype {value.dtype}; "
                "weights must be float arrays."
            )
    for key, (layer, name, param) in expected.items():
        param[...] = arrays[key]


def _restore_optimizer(model, state, arrays, path):
    optimizer = model.optimizer
    from kerasite.optimizers import schedules

    # A schedule's rate follows the restored step count; only a plain rate is stored.
    if state["learning_rate"] is not None and \
            not isinstance(optimizer._learning_rate, schedules.LearningRateSchedule):
        optimizer.learning_rate = float(state["learning_rate"])
    iterations = state["optimizer_iterations"]
    if not iterations and not arrays:
        return  # never stepped: its state is still made lazily on the first step
    if not model.built:
        raise ValueError(
            f"Cannot load '{path}': it holds optimizer state but no weights for it. The file is "
            "inconsistent; save the model again."
        )
    check_optimizer_slots(optimizer, arrays, f"'{path}'", lambda key: _OPTIMIZER)
    try:
        # The validated step count comes last, so no array in the file can replace it.
        optimizer.set_state({**arrays, "iterations": iterations}, model.trainable_weights)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"Cannot load '{path}': the optimizer state in {_OPTIMIZER} does not "
                         f"fit the model: {exc}") from None
    extra = sorted(set(arrays) - set(optimizer.get_state()))
    if extra:
        raise ValueError(
            f"Cannot load '{path}': {_OPTIMIZER} holds arrays that a "
            f"{type(optimizer).__name__} does not use: {', '.join(map(repr, extra[:5]))}. The "
            "file is inconsistent; save the model again."
        )
