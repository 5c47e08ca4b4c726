"""Reads an HDF5 file in a process of its own and writes back its checked contents.

``kerasite.saving.keras._h5_guard`` runs this file as a script (never imported
by kerasite): the HDF5 file's bytes come on stdin, and stdout gets

* 8 bytes, the length of a JSON header (little-endian), then the header:
  ``{"tree": <root group>}`` or ``{"error": [kind, message]}``;
* the data of every dataset the tree lists, each as ``.npy`` bytes at the
  ``[offset, length]`` its entry gives, after the header.

A group is ``{"attrs": {name: value}, "members": {name: node}}``; a member is
``{"link": "soft" | "external" | "other"}`` or a group or a dataset
``{"shape": [...] or null, "dtype": "<f4" or null, "kind": "f", "data": [offset, length]}``
(``"data": null`` and an ``"unread"`` reason for one that was not read).
Attribute values are JSON (text, numbers, lists of them) or
``{"unreadable": reason}``.

Nothing from the file can run code here: no dataset with a filter (any
filter names a plugin libhdf5 would load), external storage, a virtual or a
chunked layout is read, and plugin loading is switched off before the file is
opened. Only this module's imports (the standard library, NumPy and h5py)
are loaded. The parent bounds the time this takes and kills the process at
its deadline: a damaged file can make libhdf5 spin, which no check here could
stop.
"""
import ctypes
import io
import json
import struct
import sys

import numpy as np

MAX_NODES = 200_000  # groups, datasets and links in one file
MAX_DEPTH = 64  # nested groups (Keras nests a group per nested model)
MAX_ATTR_ITEMS = 1_000_000  # entries in one list attribute (layer_names, weight_names)
EXTRA_MEMORY = 2**30  # bytes of address space libhdf5 may take beyond 4 times the file


class Refused(Exception):
    """The file holds something kerasite does not read (a ValueError in the parent)."""


def _libhdf5_path():
    """The file of the libhdf5 h5py loaded (Linux: from the process's memory map), or None."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                name = line.rsplit("/", 1)[-1]
                if name.startswith("libhdf5") and not name.startswith("libhdf5_hl"):
                    return line.split(None, 5)[-1].strip()
    except OSError:
        pass
    return None


def _disable_plugins(h5py):
    """No HDF5 plugin can load in this process: no search path, and loading switched off.

    The parent also starts this process with ``HDF5_PLUGIN_PRELOAD=::``, which
    libhdf5 reads as "load no plugin"; h5py does not wrap
    ``H5PLset_loading_state``, so it is called through ctypes where the
    library's file can be found.
    """
    while h5py.h5pl.size():
        h5py.h5pl.remove(0)
    path = _libhdf5_path()
    if path is None:
        return None
    lib = ctypes.CDLL(path)  # already loaded by h5py: the same library, not a second copy
    lib.H5PLset_loading_state(ctypes.c_uint(0))
    state = ctypes.c_uint(1)
    lib.H5PLget_loading_state(ctypes.byref(state))
    if state.value != 0:
        raise Refused("HDF5 plugin loading could not be switched off")
    return state.value


def _limit_memory(file_size):
    """Caps this process's address space: what it holds now, 4 times the file, and 1 GiB.

    The arrays read are bounded by the file's size; the cap bounds what
    libhdf5 may allocate for a damaged file's metadata. Past it, an allocation
    fails and the load is refused as damaged.
    """
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            size = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmSize:"))
        limit = size + 4 * file_size + EXTRA_MEMORY
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, StopIteration, ValueError):
        pass  # no /proc or no rlimits (not Linux): the parent's deadline still holds


def _check_name(name, where):
    # "." names the group itself in an HDF5 path (a loop); ".." is a plain name to HDF5.
    if not isinstance(name, str) or name in ("", ".") or "\0" in name or "/" in name:
        raise Refused(f"{where} has a member named {name!r:.80}, which is not a plain name")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"{where} has a member whose name is not UTF-8 ({name!r:.80})") from None


def _attr_value(value):
    """A JSON value for one attribute, or raises ``Refused`` with what is wrong with it."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("text that is not UTF-8") from None
    if isinstance(value, str):  # h5py decodes with surrogateescape: refuse what was not UTF-8
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused("text that is not UTF-8") from None
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.ndim > 1 or value.size > MAX_ATTR_ITEMS:
            raise Refused(f"an array of shape {value.shape}")
        if value.dtype.kind not in "SUObiuf":
            raise Refused(f"an array of {value.dtype}")
        return [_attr_value(item) for item in value.reshape(-1).tolist()] if value.ndim else \
            _attr_value(value.item())
    raise Refused(f"of type {type(value).__name__}")


def _attrs(h5py, obj, where):
    out = {}
    for name in list(obj.attrs.keys()):
        _check_name(name, f"the attributes of {where}")
        try:
            out[name] = _attr_value(obj.attrs[name])
        except Refused as exc:
            out[name] = {"unreadable": str(exc)}
        except Exception as exc:  # noqa: BLE001  (h5py cannot read it: the parent names it)
            out[name] = {"unreadable": f"unreadable ({type(exc).__name__})"}
    return out


def _storage(h5py, ds, where):
    """Refuses a dataset whose storage kerasite does not write, from its properties alone."""
    plist = ds.id.get_create_plist()
    filters = plist.get_nfilters()
    if filters:
        names = []
        for i in range(filters):
            code, _flags, _values, name = plist.get_filter(i)
            names.append(f"{name.decode('utf-8', 'replace') or 'unnamed'} (id {code})")
        raise Refused(f"dataset {where} uses the HDF5 filter {', '.join(names)}; kerasite "
                      "and Keras write no filters, and an unknown one would load a plugin")
    if plist.get_external_count():
        raise Refused(f"dataset {where} keeps its data in external files")
    layout = plist.get_layout()
    if layout not in (h5py.h5d.CONTIGUOUS, h5py.h5d.COMPACT):
        kind = {h5py.h5d.CHUNKED: "chunked", h5py.h5d.VIRTUAL: "virtual"}.get(layout, layout)
        raise Refused(f"dataset {where} has a {kind} storage layout; kerasite reads the "
                      "contiguous and compact layouts that Keras and kerasite write")


class _Walker:
    def __init__(self, h5py, file_size):
        self.h5py = h5py
        self.file_size = file_size
        self.nodes = 0
        self.seen = set()
        self.data = []  # .npy bytes, in the order of the tree's offsets
        self.offset = 0
        self.declared = 0

    def group(self, group, where, depth):
        if depth > MAX_DEPTH:
            raise Refused(f"groups nest deeper than {MAX_DEPTH} levels at {where}")
        node = {"attrs": _attrs(self.h5py, group, where), "members": {}}
        for name in list(group.keys()):
            _check_name(name, f"group {where}")
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise Refused(f"the file holds more than {MAX_NODES} groups and datasets")
            child = f"{where.rstrip('/')}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, self.h5py.SoftLink):
                node["members"][name] = {"link": "soft"}
                continue
            if isinstance(link, self.h5py.ExternalLink):
                node["members"][name] = {"link": "external"}
                continue
            if not isinstance(link, self.h5py.HardLink):
                node["members"][name] = {"link": "other"}
                continue
            obj = group[name]
            key = (obj.id.fileno, self.h5py.h5o.get_info(obj.id).addr)
            if key in self.seen:
                raise Refused(f"{child} links to an object the file already holds elsewhere "
                              "(a loop or a shared object; kerasite and Keras write neither)")
            self.seen.add(key)
            if isinstance(obj, self.h5py.Group):
                node["members"][name] = self.group(obj, child, depth + 1)
            elif isinstance(obj, self.h5py.Dataset):
                node["members"][name] = self.dataset(obj, child)
            else:
                node["members"][name] = {"link": "other"}
        return node

    def dataset(self, ds, where):
        _storage(self.h5py, ds, where)
        shape = ds.shape
        dtype = ds.dtype
        entry = {"shape": None if shape is None else list(shape), "dtype": None,
                 "kind": dtype.kind, "data": None}
        if dtype.kind not in "biuf" or dtype.itemsize > 8 or shape is None:
            return entry  # the parent names the type (or the empty dataspace) if it needs it
        native = dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype
        entry["dtype"] = native.str
        count = 1
        for n in shape:
            count *= n
        if self.declared + count * dtype.itemsize > self.file_size:
            # Not read: the parent compares the shape with the config's, then refuses it.
            entry["unread"] = (f"it declares shape {tuple(shape)} of {dtype} "
                               f"({count * dtype.itemsize} bytes), which with the datasets "
                               f"before it is more than the whole file holds "
                               f"({self.file_size} bytes)")
            return entry
        self.declared += count * dtype.itemsize
        array = np.empty(shape, dtype=native)
        if count:
            ds.read_direct(array)
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        raw = buffer.getvalue()
        entry["data"] = [self.offset, len(raw)]
        self.offset += len(raw)
        self.data.append(raw)
        return entry


def main():
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    try:
        import h5py

        plugins = _disable_plugins(h5py)
        _limit_memory(len(data))
        try:
            f = h5py.File(io.BytesIO(data), "r")
        except Exception as exc:  # noqa: BLE001
            raise OSError(f"it is not an HDF5 file, or a damaged one ({type(exc).__name__})") \
                from None
        with f:
            walker = _Walker(h5py, len(data))
            # (the loading state as libhdf5 reports it while the file is read: 0, none)
            header = {"tree": walker.group(f, "/", 0), "plugin_loading": plugins}
    except Refused as exc:
        header, walker = {"error": ["refused", str(exc)]}, None
    except RecursionError:
        header, walker = {"error": ["damaged", "its structure nests without end"]}, None
    except MemoryError:
        header, walker = {"error": ["damaged", "it needs more memory than its size allows"]}, \
            None
    except Exception as exc:  # noqa: BLE001  (a damaged file: libhdf5's errors are many)
        header, walker = {"error": ["damaged", f"{type(exc).__name__}: {exc}"[:300]]}, None
    raw = json.dumps(header).encode()
    out.write(struct.pack("<Q", len(raw)))
    out.write(raw)
    for chunk in walker.data if walker is not None else ():
        out.write(chunk)
    out.flush()


if __name__ == "__main__":
    main()
