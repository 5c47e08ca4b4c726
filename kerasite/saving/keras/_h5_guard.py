"""HDF5 files parsed in a worker process with a deadline, handed back as checked plain data.

libhdf5 trusts the file it walks: a single damaged byte can make it spin
without end (where Ctrl-C cannot reach it), and a dataset naming an unknown
filter makes it load a plugin, that is, run native code named by the file.
So kerasite never opens a file it loads with h5py in its own process.
``parse`` starts ``_h5_worker.py`` (the standard library, NumPy and h5py,
nothing of kerasite), sends it the file's bytes, and waits at most
``DEADLINE`` seconds. The worker switches plugin loading off, refuses filters,
external storage and the layouts kerasite does not write before reading any
data, and returns the tree of groups, attributes and datasets: JSON and raw
``.npy`` bytes, never a pickle, each array checked again here.

The result mimics the few parts of h5py's interface that ``_h5.py`` and
``_compile.py`` read (``Group``, ``Dataset``, ``HardLink``, ``get(...,
getlink=True)``, ``attrs.get``), so this module is passed where they take
``h5py``.

Cost: starting the worker (a Python process importing NumPy and h5py) adds
a fixed time to each HDF5 load; see docs/guarantees.md for the measurement.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

import kerasite.saving._archive as _archive

_ENV_DEADLINE = "KERASITE_H5_DEADLINE"


def _deadline_from_env():
    raw = os.environ.get(_ENV_DEADLINE)
    if raw is None:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"`{_ENV_DEADLINE}` must be a positive number of seconds. "
                         f"Received: {raw!r:.40}. Unset it for the default of 30 s.")
    return value


DEADLINE = _deadline_from_env()  # seconds one HDF5 file may take to parse
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_h5_worker.py")
_HEADER_SIZE = struct.Struct("<Q")


class HardLink:
    """A member that is the object itself (the only kind kerasite follows)."""


class SoftLink:
    """A member that names another path in the file."""


class ExternalLink:
    """A member that names an object in another file."""


class _OtherLink:
    """A user-defined link type."""


_LINKS = {"soft": SoftLink, "external": ExternalLink, "other": _OtherLink}


class _OtherType:
    """The type of a dataset that holds no numbers (strings, compounds, ...): never read."""

    itemsize = 0

    def __init__(self, kind):
        self.kind = str(kind)[:1] or "V"

    def __repr__(self):
        return f"a non-numeric HDF5 type (kind {self.kind!r})"


class Attributes:
    """A group's attributes; one the worker could not turn into text or numbers raises."""

    def __init__(self, values, where, source):
        self._values, self._where, self._source = values, where, source

    def get(self, key, default=None):
        value = self._values.get(key, default)
        if isinstance(value, dict):
            raise ValueError(f"Cannot load {self._source}: attribute {key!r} of {self._where} "
                             f"is {value.get('unreadable', 'not text or numbers')}; kerasite "
                             "reads attributes of text and numbers, as Keras writes them.")
        return value

    def keys(self):
        return self._values.keys()

    def __contains__(self, key):
        return key in self._values


class Dataset:
    """A dataset's shape and type, and its array, parsed from the worker's bytes when read."""

    external = False  # the worker refuses external storage and virtual datasets
    is_virtual = False

    def __init__(self, node, where, source, payload):
        shape = node.get("shape")
        self.shape = None if shape is None else tuple(int(n) for n in shape)
        dtype = node.get("dtype")
        self.dtype = np.dtype(dtype) if dtype else _OtherType(node.get("kind"))
        self._span, self._where, self._source, self._payload = \
            node.get("data"), where, source, payload
        self._unread = node.get("unread", "it holds no numbers kerasite can read")

    def __getitem__(self, key):
        if key != () or self._span is None:
            raise ValueError(f"Cannot load {self._source}: dataset {self._where} was not "
                             f"read: {self._unread}.")
        start, length = self._span
        array = _archive._parse_npy(self._payload[start:start + length], self._where,
                                    self._source)
        if array.shape != self.shape or array.dtype != self.dtype:
            raise OSError(f"Cannot load {self._source}: the HDF5 reader returned dataset "
                          f"{self._where} in another shape or type than it declared.")
        return array


class Group:
    """A group: its attributes and its members by name, links kept as links."""

    def __init__(self, node, where, source, payload):
        self.name = where
        self.attrs = Attributes(node.get("attrs", {}), f"group '{where}'", source)
        self._members = node.get("members", {})
        self._source, self._payload = source, payload

    def keys(self):
        return list(self._members)

    def __iter__(self):
        return iter(list(self._members))

    def __len__(self):
        return len(self._members)

    def __contains__(self, key):
        return key in self._members

    def get(self, key, default=None, getlink=False):
        node = self._members.get(key) if isinstance(key, str) else None
        if node is None:
            return default
        if getlink:
            return _LINKS.get(node.get("link"), HardLink)()
        return self[key] if "link" not in node else default

    def __getitem__(self, key):
        node = self._members.get(key) if isinstance(key, str) else None
        if node is None or "link" in node:
            raise ValueError(f"Cannot load {self._source}: {self.name.rstrip('/')}/{key!s:.80} "
                             "is missing or a link.")
        where = f"{self.name.rstrip('/')}/{key}"
        cls = Group if "members" in node else Dataset
        return cls(node, where, self._source, self._payload)


def parse(data, source):
    """The root ``Group`` of the HDF5 file whose bytes are ``data``.

    ``source`` names the file in messages: ``"'m.h5'"``, or
    ``"'m.keras' (member 'model.weights.h5')"``.

    Raises:
        ValueError: for content kerasite refuses (a filter, external storage,
            a layout it does not write, a loop, names that are not plain).
        OSError: for a damaged file, or one that takes longer than
            ``DEADLINE`` seconds to parse (the worker is then killed).
    """
    env = dict(os.environ)
    env.pop("HDF5_PLUGIN_PATH", None)
    env.update(HDF5_PLUGIN_PRELOAD="::",  # libhdf5's "load no plugin at all"
               # (h5py and NumPy from where this process found them)
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        proc = subprocess.Popen([sys.executable, WORKER], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        raise OSError(f"Cannot load {source}: the HDF5 reader process could not start "
                      f"({exc}).") from None
    try:
        out, err = proc.communicate(data, timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise OSError(
            f"Cannot load {source}: reading it as HDF5 took longer than {DEADLINE:g} s, so "
            "it was stopped; the file is damaged or hostile. (The limit is the environment "
            f"variable {_ENV_DEADLINE}, or kerasite.saving.keras._h5_guard.DEADLINE.)"
        ) from None
    except BaseException:  # Ctrl-C included: the worker must not outlive the load
        proc.kill()
        proc.wait()
        raise
    return _parse_reply(out, err, proc.returncode, source)


def _parse_reply(out, err, returncode, source):
    try:
        (size,) = _HEADER_SIZE.unpack_from(out)
        header = json.loads(out[_HEADER_SIZE.size:_HEADER_SIZE.size + size])
    except (struct.error, ValueError):
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or \
            [f"exit code {returncode}"]
        raise OSError(f"Cannot load {source}: the HDF5 reader failed on it ({detail[0]:.200}); "
                      "the file is damaged.") from None
    if "error" in header:
        kind, message = header["error"]
        if kind == "refused":
            raise ValueError(f"Cannot load {source}: {message}. kerasite refuses it.")
        raise OSError(f"Cannot load {source}: it is not a readable HDF5 file ({message}); "
                      "the file is damaged or was not written by Keras or kerasite.")
    payload = memoryview(out)[_HEADER_SIZE.size + size:]
    return Group(header["tree"], "/", source, payload)
