"""Checks both saving formats apply to what a file declares, before believing it.

* ``open_zip`` and ``read_member``: a zip archive (Keras's ``.keras``) whose
  every member is checked (name given once, not encrypted, a known
  compression, a declared size within its cap) before any is read, and read
  without ever inflating past that cap;
* ``loads_json``: JSON nested at most ``MAX_JSON_DEPTH`` deep, checked before
  it is parsed;
* ``allocation_budget``: while a model described by a file is built, no
  weight may take more values than the file could hold, so a small config
  declaring huge layers is refused before the memory is taken;
* ``check_intermediate_shapes``: every tensor of the built model holds at
  most ``MAX_ACTIVATION_VALUES`` values per sample;
* ``check_step_count`` and ``check_optimizer_slots``: an optimizer's state
  from either format, as strictly checked.
"""

import io
import math
import re
import zipfile
import zlib

import numpy as np

MAX_JSON_DEPTH = 128  # nested arrays and objects; a config of 32 nested models needs ~100
MAX_NESTED_MODELS = 32  # models inside models, in one file
MAX_ACTIVATION_VALUES = 2**28  # values per sample of any tensor of a loaded model
# Values a loaded model may allocate beyond those its file holds (a Normalization's mean
# and variance given in its config, a few scalars).
ALLOCATION_SLACK = 2**22

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate",
            zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


# ===================================================================== zip archives
def open_zip(data, source, what):
    """``(ZipFile, {name: ZipInfo})`` of ``data``, its directory checked.

    Args:
        data: the archive's bytes.
        source: the file, quoted, for messages.
        what: what the file should be (``"a .keras archive"``), for messages.

    Raises:
        OSError: for bytes that are not a zip archive, or whose directory is damaged.
        ValueError: for a member named twice, or encrypted.
    """
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise OSError(f"Cannot load {source}: it is not {what} (not a zip file).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # noqa: BLE001  (any failure to parse these bytes: a bad file)
        raise OSError(f"Cannot load {source}: it is truncated or corrupted "
                      f"({type(exc).__name__}: {exc}). Restore it or save it again.") from None
    members = {}
    for info in infos:
        if info.filename in members:
            raise ValueError(f"Refusing to load {source}: member {info.filename!r:.100} appears "
                             "twice, so which one is meant is unclear. The file was altered.")
        if info.flag_bits & 0x1:
            raise ValueError(f"Refusing to load {source}: member {info.filename!r:.100} is "
                             "encrypted; Keras and kerasite write no encrypted members.")
        members[info.filename] = info
    return archive, members


def read_member(archive, info, source, cap):
    """The bytes of one member, at most ``cap`` of them, checked against its CRC.

    A stored member must hold exactly what it declares; a compressed one
    (deflate, bzip2, lzma) is inflated by pieces and refused as soon as it
    passes ``cap``, whatever its header declares, so a zip bomb never takes
    more than ``cap`` bytes.

    Raises:
        ValueError: for a member larger than ``cap`` or of an unknown compression.
        OSError: for a member whose bytes are damaged (a bad CRC, a broken stream).
    """
    name = info.filename
    method = _METHODS.get(info.compress_type)
    if method is None:
        raise ValueError(f"Refusing to load {source}: member {name!r:.100} uses compression "
                         f"method {info.compress_type}, which kerasite does not read (it reads "
                         "stored, deflate, bzip2 and lzma members).")
    if info.file_size > cap:
        raise ValueError(f"Refusing to load {source}: member {name!r:.100} declares "
                         f"{info.file_size} bytes, more than the {cap} it may hold.")
    if method == "stored" and info.compress_size != info.file_size:
        raise OSError(f"Cannot load {source}: member {name!r:.100} declares {info.file_size} "
                      f"bytes but stores {info.compress_size}. The file is corrupted.")
    try:
        with archive.open(info) as f:
            data = f.read(cap + 1)
    except Exception as exc:  # noqa: BLE001  (zlib, bz2, lzma and zipfile errors alike)
        raise OSError(f"Cannot load {source}: member {name!r:.100} is corrupted "
                      f"({type(exc).__name__}: {exc}). Restore the file or save it again.") \
            from None
    if len(data) > cap:
        raise ValueError(f"Refusing to load {source}: member {name!r:.100} inflates to more "
                         f"than {cap} bytes (it declares {info.file_size}); a zip bomb?")
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise OSError(f"Cannot load {source}: member {name!r:.100} is truncated or corrupted "
                      "(its size or CRC-32 does not match). Restore the file or save it again.")
    return data


# ===================================================================== JSON
_BRACKET_STEP = np.zeros(256, dtype=np.int8)  # "[" and "{" open a level, "]" and "}" close one
_BRACKET_STEP[[0x5B, 0x7B]], _BRACKET_STEP[[0x5D, 0x7D]] = 1, -1
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: no per-byte branch


def json_depth(data):
    """How deeply the arrays and objects of JSON text ``data`` (bytes) nest.

    Strings are blanked first, so brackets inside them do not count; the rest
    is a running sum over the bytes, in NumPy.
    """
    code = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    return int(np.cumsum(_BRACKET_STEP[code], dtype=np.int64).max(initial=0))


def loads_json(data, source, what):
    """``json.loads`` of ``data`` (bytes), refusing nesting deeper than ``MAX_JSON_DEPTH``.

    Raises:
        ValueError: for text that is not UTF-8 JSON, or nested too deeply.
    """
    import json

    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"Refusing to load {source}: {what} nests {depth} levels deep; "
                         f"kerasite reads at most {MAX_JSON_DEPTH} "
                         "(kerasite.saving._guards.MAX_JSON_DEPTH).")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"Cannot load {source}: {what} is not valid JSON "
                         f"({type(exc).__name__}: {str(exc):.200}).") from None


def nested_model_depth(config):
    """How many models nest inside each other in a model config (1 for a flat model).

    A model's config holds a ``"layers"`` list; a nested model is an entry of
    that list whose own ``config`` holds one (at the top, the config may be
    the model's own or ``{"class_name": ..., "config": ...}`` around it).
    """
    if isinstance(config, dict) and not isinstance(config.get("layers"), list):
        config = config.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return 0
    deepest, stack = 1, [(config, 1)]
    while stack:
        body, depth = stack.pop()
        deepest = max(deepest, depth)
        for entry in body["layers"]:
            inner = entry.get("config") if isinstance(entry, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
                stack.append((inner, depth + 1))
    return deepest


def check_nesting(config, source):
    depth = nested_model_depth(config)
    if depth > MAX_NESTED_MODELS:
        raise ValueError(f"Refusing to load {source}: its models nest {depth} deep; kerasite "
                         f"reads at most {MAX_NESTED_MODELS} models inside each other.")


# ===================================================================== memory
class allocation_budget:
    """Bounds the values the weights built inside the ``with`` may take, together.

    ``Variable`` charges each weight's value count before allocating it; past
    ``values`` it raises a ValueError naming ``source``, so a config declaring
    a 12000 x 12000 kernel in a 10 KB file is refused before the memory is
    taken.
    """

    def __init__(self, values, source):
        self.remaining = int(values)
        self.total = int(values)
        self.source = source
        self._token = None

    def charge(self, shape):
        count = math.prod(int(d) for d in shape)
        if count > self.remaining:
            raise ValueError(
                f"Refusing to load {self.source}: a weight of shape {tuple(shape)} "
                f"({count} values) would exceed what the file can hold "
                f"({self.total} values in all). The config declares layers larger than its "
                "weights: it was altered, or saved from another architecture.")
        self.remaining -= count

    def __enter__(self):
        from kerasite import variables

        self._token = variables._ALLOCATION_BUDGET.set(self)
        return self

    def __exit__(self, *exc):
        from kerasite import variables

        variables._ALLOCATION_BUDGET.reset(self._token)
        return False


def check_intermediate_shapes(model, source):
    """Refuses a model whose tensors hold more than ``MAX_ACTIVATION_VALUES`` per sample."""
    stack = [model]
    while stack:
        current = stack.pop()
        graph = getattr(current, "_graph", None)
        if graph is None:
            continue
        for node in graph.nodes:
            for tensor in node.outputs:
                shape = getattr(tensor, "shape", None) or ()
                count = math.prod(d for d in shape[1:] if d is not None)
                if count > MAX_ACTIVATION_VALUES:
                    raise ValueError(
                        f"Refusing to load {source}: layer {node.layer.name!r:.100} outputs "
                        f"shape {tuple(shape)}, {count} values per sample, more than "
                        f"kerasite loads ({MAX_ACTIVATION_VALUES}, "
                        "kerasite.saving._guards.MAX_ACTIVATION_VALUES).")
            if getattr(node.layer, "_graph", None) is not None:
                stack.append(node.layer)


# ===================================================================== optimizer state
MAX_COUNT = 2**63 - 1
# Slots that hold running averages of squares: negative values would give NaN.
NONNEGATIVE_SLOTS = {"Adam": ("v", "v_hat"), "AdamW": ("v", "v_hat"), "Nadam": ("v",),
                     "RMSprop": ("velocity",), "Adagrad": ("accumulator",),
                     "Adadelta": ("accumulated_grad", "accumulated_delta_var"),
                     "Adamax": ("u",), "Lamb": ("v",)}


def check_step_count(value, source, where):
    """An optimizer's step count as an int, refusing what is not an integer in [0, 2**63)."""
    try:
        number = value.item() if isinstance(value, np.ndarray | np.generic) else value
    except (ValueError, TypeError):
        number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        problem = f"is not a number ({type(number).__name__})"
    elif isinstance(number, float) and not math.isfinite(number):
        problem = f"is {number}"
    elif isinstance(number, float) and not number.is_integer():
        problem = f"is {number}, not a whole number"
    elif number < 0:
        problem = f"is negative ({number:.6g})"
    elif number > MAX_COUNT:
        problem = f"is {number:.6g}, beyond {MAX_COUNT}, the most kerasite can count to"
    else:
        return int(number)
    raise ValueError(f"Cannot load {source}: the step count in {where} {problem}. Load it "
                     "with compile=False to keep only the weights.")


def check_optimizer_slots(optimizer, arrays, source, where):
    """Refuses slot arrays the optimizer could not step with.

    As strict as the weights: real floating-point arrays only, and finite; the
    second-moment slots (Adam's ``v``, RMSprop's ``velocity``, ...) also
    non-negative. ``where(key)`` says where slot ``key`` sits in the file.
    """
    nonnegative = getattr(optimizer, "_nonnegative_slots",
                          NONNEGATIVE_SLOTS.get(type(optimizer).__name__, ()))
    for key, value in arrays.items():
        value = np.asarray(value)
        problem = None
        if value.dtype.kind != "f":
            problem = f"has dtype {value.dtype}; optimizer state must be float arrays"
        elif not np.isfinite(value).all():
            problem = ("holds NaN or infinite values, so training had diverged when it was "
                       "saved. Load it with compile=False to keep only the weights")
        elif key.split("/", 1)[0] in nonnegative and (value < 0).any():
            problem = ("holds negative values, but it is a running mean of squared gradients, "
                       "which cannot be negative")
        if problem:
            raise ValueError(f"Cannot load {source}: the optimizer state in {where(key)} is "
                             f"not usable: optimizer variable '{key}' {problem}.")
