"""The file handling both saving formats share: atomic writes, guarded reads, limits.

``kerasite.saving.native`` (``.kerasite``, ``.weights.npz``) and
``kerasite.saving.keras`` (Keras's ``.keras``, ``.h5``, ``.weights.h5``) are
built on these helpers, and on nothing of each other's:

* ``atomic_write``: a file holds the old bytes or the new, never a mix;
* ``read_file``: a regular file read whole, at most ``MAX_FILE_SIZE`` bytes;
* ``parse_npz`` and ``check_members``: an ``.npz`` (or zip) archive whose
  every member is checked by name, compression and declared size before it
  is read, so a hostile file cannot take more memory than a small multiple
  of its size, and no pickle is ever read;
* ``check_layer_count``: at most ``MAX_LAYERS`` layers in a config;
* ``content_errors`` and ``global_rng_untouched``: rebuilding a model from
  a file, with one error naming the file and the global random stream left
  as it was.

The limits are settings a user may raise through ``kerasite.saving``
(``kerasite.saving.MAX_LAYERS = 50_000``), which writes them here.
"""

import contextlib
import errno
import hashlib
import io
import math
import os
import re
import secrets
import stat
import types
import zipfile

import numpy as np

# The limits of what loading accepts (see docs/guarantees.md, "Limits").
MAX_FILE_SIZE = 2**31  # bytes: a file is read whole, so this bounds the memory of a load
MAX_LAYERS = 10_000  # layers in one file, nested models included

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip


class ForwardingModule(types.ModuleType):
    """A package whose settings live in a lower module, read and written through the package.

    ``kerasite.saving.MAX_LAYERS = 50_000`` must change the limit the readers
    check, and the readers sit below the package (which imports them). A
    package module takes this class, and its ``_forward`` table (setting name
    -> module holding it) routes reads and writes of those names to the
    module that uses them.
    """

    _forward = {}

    def __getattr__(self, name):
        owner = type(self)._forward.get(name)
        if owner is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(owner, name)

    def __setattr__(self, name, value):
        owner = type(self)._forward.get(name)
        if owner is None:
            super().__setattr__(name, value)
        else:
            setattr(owner, name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(type(self)._forward))


_TEMP_EXTRA = len(".") + len(".4294967295-") + 8 + len(".tmp")


def _temp_stem(path, directory):
    """The part of the temporary name taken from the target's name.

    The file name itself when the temporary name fits the file system's limit
    on name length; otherwise its start, then ``~`` and 8 hex digits of its
    hash, so that a target name at the limit can still be saved.
    """
    name = os.path.basename(path)
    try:
        limit = os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        limit = 255
    room = limit - _TEMP_EXTRA
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= room:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:8]
    head = encoded[:max(room - 9, 1)].decode("utf-8", "ignore")  # never cut a character
    return f"{head}~{digest}"


def _temp_pattern(path, directory):
    stem = _temp_stem(path, directory)
    return re.compile(r"\." + re.escape(stem) + r"\.(\d+)-[0-9a-f]{8}\.tmp\Z")


def _new_file_mode(path):
    """The permission bits the saved file will have, so its temporary file has them too.

    A file being replaced keeps its bits: a private (0o600) checkpoint must not
    be readable by others even while it is rewritten.
    ``None`` for a new file, which gets 0o666 minus the umask, as any new file
    does.
    """
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return None


def atomic_write(path, write):
    """Writes ``path`` through ``write(fileobj)`` so it holds the old bytes or the new, never a mix.

    The temporary file is opened with ``O_CREAT | O_EXCL`` and, for a new
    target, mode 0o666, so the umask applies as for any new file (``mkstemp``
    would force 0o600). When a file is replaced, the temporary file is created
    with that file's permission bits, so its contents are never more readable
    than the old file's were.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"Cannot save: the directory {directory!r} does not exist. Create it "
            "first, e.g. os.makedirs(directory, exist_ok=True)", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "Cannot save: a directory has this name", path)
    _remove_stale_temps(path, directory)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    stem = _temp_stem(path, directory)
    mode = _new_file_mode(path)
    while True:
        tmp = os.path.join(directory, f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            # Created with the final mode (less the umask, which can only remove bits),
            # never wider than the file it replaces.
            fd = os.open(tmp, flags, 0o666 if mode is None else mode)
            break
        except FileExistsError:  # 2**32 names: a clash is all but impossible
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None and hasattr(os, "fchmod"):  # bits the umask removed
                with contextlib.suppress(OSError):
                    os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    # The rename is durable only once the directory entry is on disk (POSIX).
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_temps(path, directory):
    """Removes temporary files left by killed saves to ``path`` (POSIX only).

    A temporary file is stale once the process whose id is in its name is
    gone; files of running processes (another save in progress) are kept.
    """
    if os.name != "posix":
        return
    pattern = _temp_pattern(path, directory)
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            match = pattern.match(entry)
            if match and not process_running(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, entry))


def process_running(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # it exists under another user, or we cannot tell: keep its file
    return True


def require_regular_file(path, what):
    """Refuses, at once, a ``path`` that is not a regular file (a FIFO, socket, device, directory).

    ``os.stat`` never blocks, whereas opening a FIFO that nobody writes blocks
    until someone does. ``what`` names the file in the message (``"model"``,
    ``"weights"``, ``"backup"``).

    Raises:
        FileNotFoundError: nothing is at ``path``.
        IsADirectoryError: ``path`` is a directory.
        OSError: ``path`` is a FIFO, a socket or a device.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            errno.ENOENT, f"No {what} file at this path (working directory: {os.getcwd()}). "
            "Check the name, or save the model there first", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"Cannot load: this is a directory, not a "
                                f"{what} file", path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"Cannot load '{path}': it is not a regular file (a FIFO, socket or "
                      f"device), so it cannot hold a saved {what}. Pass the path of a file "
                      "written by save.")


def read_file(path, kind):
    """The bytes of the regular file at ``path``, read whole (at most ``MAX_FILE_SIZE``).

    The file is opened without blocking and checked to be a regular file before
    a byte is read: a FIFO or a device would otherwise block the load, or feed
    it without end.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(
            errno.ENOENT, f"No {kind} file at this path (working directory: {os.getcwd()}). "
            "Check the name, or save the model there first", path) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"Cannot load: this is a directory, not a "
                                    f"{kind} file", path)
        raise OSError(f"Cannot load '{path}': it is not a regular file (a FIFO, socket or "
                      f"device), so it cannot hold a saved {kind}. Pass the path of a file "
                      "written by save.")
    with open(fd, "rb") as f:
        size = info.st_size
        if size > MAX_FILE_SIZE:
            raise ValueError(
                f"Cannot load '{path}': it is {size} bytes; kerasite loads files of "
                f"at most {MAX_FILE_SIZE} bytes (kerasite.saving.MAX_FILE_SIZE), since it "
                "reads a file whole. If you trust this file, raise the limit first."
            )
        # Saves replace files whole, so a file does not grow while open; one that
        # does (written in place by another program) reads as truncated.
        return f.read(size)


def parse_npz(data, source, allowed, described, limits=None):
    """The arrays of an ``.npz`` archive given as bytes, each checked before it is read.

    Only members named by the regular expression ``allowed``, stored
    uncompressed, whose ``.npy`` header declares exactly the bytes the member
    holds, are read; pickled (object) arrays are refused. So the memory used
    never exceeds a small multiple of ``len(data)``, whatever the file claims.
    ``limits`` maps member names to ``(weight key, shape, most bytes)``: a
    member larger than the weight it is for can need is refused unread.
    """
    if not data.startswith(ZIP_MAGIC):
        raise OSError(f"Cannot load {source}: it is not an .npz archive. The file is "
                      "corrupted; save it again.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # noqa: BLE001  (any failure to parse these bytes: a bad file)
        raise OSError(f"Cannot load {source}: it is truncated or corrupted "
                      f"({type(exc).__name__}: {exc}). Save it again.") from None
    with archive:
        check_members(infos, allowed, described, len(data), source, limits)
        arrays = {}
        for info in infos:
            key = info.filename[:-len(".npy")]
            try:
                raw = archive.read(info)  # checks the CRC; at most info.file_size bytes
            except Exception as exc:  # noqa: BLE001
                raise OSError(f"Cannot load {source}: it is corrupted ({type(exc).__name__}: "
                              f"{exc}). Save it again.") from None
            arrays[key] = _parse_npy(raw, key, source)
    return arrays


_METHODS = {zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}


NPY_HEADER_MAX = 4096  # NumPy writes 128 bytes for a weight's header; 4 KiB is generous


def check_members(infos, allowed, described, archive_size, source, limits=None):
    """Checks every member's name, compression and declared size before any is read.

    kerasite writes stored (uncompressed) members, so a stored member's size is
    its size on disk, and the sizes add up to no more than the archive's. A
    compressed member could expand a few KB into GiB, so it is refused unread.
    """
    seen = set()
    total = 0
    for info in infos:
        name = info.filename
        if not allowed.match(name):
            raise ValueError(
                f"Refusing to load {source}: unknown member {name!r}. kerasite writes only "
                f"{described}; this file was altered or not written by kerasite."
            )
        if name in seen:
            raise ValueError(f"Refusing to load {source}: member {name!r} appears twice. The "
                             "file was altered or not written by kerasite.")
        seen.add(name)
        if info.compress_type != zipfile.ZIP_STORED and info.compress_type not in _METHODS:
            raise OSError(f"Cannot load {source}: it is truncated or corrupted (member {name!r} "
                          f"has unknown compression method {info.compress_type}). Restore it "
                          "from a backup or save the model again.")
        if info.compress_type != zipfile.ZIP_STORED:
            method = _METHODS[info.compress_type]
            raise ValueError(
                f"Refusing to load {source}: member {name!r} is compressed ({method}), and "
                "decompressing it could take unbounded memory. kerasite writes stored "
                "(uncompressed) members only: save the model again with kerasite."
            )
        if info.file_size != info.compress_size:
            raise OSError(f"Cannot load {source}: member {name!r} declares {info.file_size} "
                          f"bytes but stores {info.compress_size}. The file is corrupted; "
                          "save it again.")
        limit = (limits or {}).get(name)
        if limit is not None and info.file_size > limit[2]:
            key, shape, most = limit
            raise ValueError(
                f"Refusing to load {source}: member {name!r} declares {info.file_size} bytes, "
                f"more than weight {key!r} of shape {shape} can need (at most {most}, as "
                "float64). The file was saved from a different architecture, or altered."
            )
        total += info.file_size
    if total > archive_size:
        raise OSError(f"Cannot load {source}: its members declare {total} bytes, more than the "
                      f"archive's {archive_size}. The file is corrupted; save it again.")


def _parse_npy(raw, key, source):
    """One ``.npy`` member as an array, after checking its header against its size."""
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f".npy format version {version[0]}.{version[1]} is not one "
                             "kerasite writes")
    except ValueError as exc:
        raise OSError(f"Cannot load {source}: array {key!r} has no valid .npy header ({exc}). "
                      "The file is corrupted; save it again.") from None
    if dtype.hasobject:
        raise ValueError(
            f"Refusing to load {source}: array {key!r} holds pickled Python objects, and "
            "unpickling can run any code. kerasite reads plain numeric arrays only; do not "
            "trust this file."
        )
    count = math.prod(shape)  # Python integers: no overflow, whatever the header says
    held = len(raw) - f.tell()
    # A zero dimension makes any other one "fit"; (0, 2**62) still cannot be made.
    span = math.prod(max(d, 1) for d in shape) * dtype.itemsize
    if count * dtype.itemsize != held or span > max(held, 1 << 20):
        raise OSError(
            f"Cannot load {source}: array {key!r} declares shape {shape} of {dtype} "
            f"({count * dtype.itemsize} bytes), but the archive holds {held} bytes for it. "
            "The file is truncated or corrupted; save it again."
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=f.tell())
    return array.reshape(shape, order="F" if fortran else "C").copy()


@contextlib.contextmanager
def content_errors(path, what):
    """Turns the errors of rebuilding from a bad config into one ValueError naming the file."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(f"Cannot load '{path}': invalid {what}: {detail}") from None


@contextlib.contextmanager
def global_rng_untouched():
    """Rebuilding a model draws initial weights and seeds; put the global stream back after.

    The loaded weights replace the drawn ones anyway, and this keeps
    ``set_random_seed(s); load_model(...); Sequential(...)`` building the same
    model as it would without the load.
    """
    from kerasite import utils

    rng = utils.get_rng()
    state = rng.bit_generator.state
    try:
        yield
    finally:
        rng.bit_generator.state = state


def check_layer_count(architecture, path):
    """Refuses a config describing more than ``MAX_LAYERS`` layers.

    Counted on the JSON, before any layer is made: every entry of every
    ``"layers"`` list, at any depth, so nested models count in full.
    """
    count = 0
    stack = [architecture]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            layers = node.get("layers")
            if isinstance(layers, list):
                count += len(layers)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if count > MAX_LAYERS:
        raise ValueError(
            f"Cannot load '{path}': it describes {count} layers; kerasite loads at most "
            f"{MAX_LAYERS} (kerasite.saving.MAX_LAYERS). If you trust this file, raise the "
            "limit first."
        )
