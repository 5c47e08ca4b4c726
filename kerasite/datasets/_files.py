"""Finding, verifying and downloading dataset files.

A dataset's files are looked for in this order, and the first place that holds
a complete set wins:

1. the ``path`` argument of ``load_data`` (a directory);
2. the directory named by the ``KERASITE_DATA_DIR`` environment variable,
   first its ``<name>/`` (or ``<hyphenated-name>/``) subdirectory, then the
   directory itself;
3. the cache, ``$KERASITE_HOME/datasets/<name>/`` (``KERASITE_HOME`` defaults
   to ``~/.kerasite``);
4. the system directory ``/usr/share/datasets/<hyphenated-name>/``, where
   Debian's ``dataset-*`` packages install data;
5. a download from the dataset's mirrors, tried in turn, into the cache.

Every file is checked before use. It is accepted if the SHA-256 of the file
equals the published one, or if the SHA-256 of its decompressed contents
equals a pinned content hash: Debian recompresses the ``.gz`` files, which
changes the file hash but not the data. A file is read once, into memory,
and the bytes that were hashed are the bytes that are parsed: a file
swapped on disk after its check cannot slip through. Before it is read, a
file must be a regular file (a FIFO would block for ever) no larger than
``RemoteFile.max_download_size`` (its published size plus a quarter, or
``MAX_DOWNLOAD_SIZE`` when the size is not pinned), so a huge or sparse
file is refused at once rather than hashed for hours. A download goes to a temporary file
in the cache directory, is checked, and only then is moved into place with
``os.replace``, which is atomic, so the cache never holds a partial or
corrupted file.

A download is bounded in time and size: each read waits at most ``TIMEOUT``
seconds, the whole file at most ``DEADLINE`` seconds (a watchdog thread shuts
the connection down when it passes, so a mirror trickling a byte at a time
cannot hold ``load_data`` forever), and a reply longer than the file's
published size plus a quarter is stopped there. A process killed mid-download
cannot remove its temporary file; the next ``load_data`` of that dataset
removes it once the process is gone.
"""

import gzip
import hashlib
import io
import os
import re
import socket
import stat
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from http.client import HTTPException

# Both are read at call time, so tests can point them at temporary directories.
SYSTEM_DIR = "/usr/share/datasets"
DATA_DIR_ENV = "KERASITE_DATA_DIR"
HOME_ENV = "KERASITE_HOME"

# Seconds to wait for a connection or for the next chunk of data. Short, so
# that a machine without network fails in seconds rather than minutes.
TIMEOUT = 5.0
# Seconds one file's download may take in all, from connecting to the last byte:
# a mirror that trickles a byte at a time never trips TIMEOUT, but trips this.
DEADLINE = 600.0
# Bytes a reply may have when the file's size is not known; a file whose size is
# known may exceed it by a quarter, plus 64 KiB (a mirror may recompress it).
MAX_DOWNLOAD_SIZE = 1 << 30
# A temporary file of a download killed before it could clean up; the next
# load removes it once its process is gone (or, for names without a process
# id, written by older versions, after an hour).
STALE_AFTER = 3600.0
_CHUNK = 1 << 20
_TMP_SUFFIX = ".kerasite.tmp"
_TMP_PATTERN = re.compile(r"\..+\.(?:(\d+)-)?[a-z0-9_]{8}" + re.escape(_TMP_SUFFIX) + r"\Z")
_USER_AGENT = "kerasite-datasets (Python urllib)"
_PATH_ARG = "`path` argument"


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset's files are nowhere to be found and cannot be downloaded.

    It is a ``FileNotFoundError``, hence an ``OSError``. The message lists every
    place that was searched and every download that failed, and says how to
    supply the files offline.
    """


class ChecksumError(ValueError):
    """Raised when a file's hashes match neither the published nor the pinned ones."""


class DataFileError(ValueError):
    """Raised for a data file that cannot be checked: too large, or not a regular file."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset and the hashes that identify it.

    Attributes:
        filename: the file's name, as on the mirrors, e.g.
            ``"train-images-idx3-ubyte.gz"``.
        sha256: the published SHA-256 of the file itself.
        content_sha256: the SHA-256 of the gzip-decompressed contents, or
            ``None`` when it is not pinned (the file hash is then the only one
            accepted).
        size: the published size in bytes, or ``None``. A download stops once
            it exceeds this by a quarter plus 64 KiB (``MAX_DOWNLOAD_SIZE``
            when unknown).
    """

    filename: str
    sha256: str
    content_sha256: str | None = None
    size: int | None = None

    @property
    def max_download_size(self):
        """The most bytes a download of this file may bring before it is refused."""
        if self.size is None:
            return MAX_DOWNLOAD_SIZE
        return self.size + self.size // 4 + (64 << 10)


def kerasite_home():
    """Returns the kerasite home directory: ``$KERASITE_HOME`` or ``~/.kerasite``."""
    home = os.environ.get(HOME_ENV)
    return home if home else os.path.join(os.path.expanduser("~"), ".kerasite")


def cache_dir(name):
    """Returns the cache directory of dataset ``name`` (it may not exist yet).

    Example:
        >>> import os
        >>> os.path.basename(cache_dir("mnist"))
        'mnist'
    """
    return os.path.join(kerasite_home(), "datasets", name)


def search_dirs(name, path=None):
    """Lists the directories searched for dataset ``name``, in order.

    Args:
        name: the dataset's name, e.g. ``"fashion_mnist"``.
        path: the ``path`` argument of ``load_data``, or ``None``.

    Returns:
        A list of ``(where, directory)`` pairs; ``where`` says why the
        directory is searched (``"`path` argument"``, ``"KERASITE_DATA_DIR"``,
        ``"cache"`` or ``"system directory"``). The download is not included.

    Example:
        >>> search_dirs("mnist", path="/data")[0]
        ('`path` argument', '/data')
    """
    return [(where, directory) for where, directory in _places(name, path) if directory is not None]


def _places(name, path):
    """Like ``search_dirs``, but keeps unset places as ``(where, None)`` for messages."""
    hyphenated = name.replace("_", "-")
    places = [(_PATH_ARG, None if path is None else os.fspath(path))]
    data_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir:
        for sub in dict.fromkeys([name, hyphenated]):
            places.append((DATA_DIR_ENV, os.path.join(data_dir, sub)))
        places.append((DATA_DIR_ENV, data_dir))
    else:
        places.append((DATA_DIR_ENV, None))
    places.append(("cache", cache_dir(name)))
    places.append(("system directory", os.path.join(SYSTEM_DIR, hyphenated)))
    return places


def sha256_of_file(path):
    """Returns the hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of_gzip_content(path):
    """Returns the hex SHA-256 of a gzip file's decompressed contents.

    Raises:
        ValueError: if the file is not valid gzip.
    """
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"not a valid gzip file: {exc}") from None
    return digest.hexdigest()


def read_file_bounded(path, spec, shown_as=None):
    """Reads a whole data file into memory, after checking its kind and size.

    The file is opened without blocking (so a FIFO cannot hang the call), its
    type and size are taken from the open descriptor, and at most
    ``spec.max_download_size`` bytes are read.

    Args:
        path: the file to read.
        spec: its ``RemoteFile``, whose ``max_download_size`` bounds the size.
        shown_as: how to name the file in messages; defaults to ``path``.

    Returns:
        The file's bytes.

    Raises:
        DataFileError: (a ``ValueError``) for a file that is not a regular
            file, or larger than its bound; nothing is read then.
        OSError: if the file cannot be opened.
    """
    shown = shown_as or os.fspath(path)
    limit = spec.max_download_size
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DataFileError(
                f"{shown} is not a regular file (a FIFO, a device or a directory), so it "
                f"cannot be the dataset file {spec.filename}. Replace it with the real file."
            )
        if info.st_size > limit:
            raise DataFileError(
                f"{shown} has {info.st_size} bytes, but the dataset file {spec.filename} "
                f"has {'at most ' + str(limit) if spec.size is None else spec.size} "
                f"(at most {limit} are accepted), so it is not that file and was not read. "
                "Delete it and load again to download a fresh copy, or replace it with a "
                "good one."
            )
        data = f.read(limit + 1)
    if len(data) > limit:  # the file grew after the size check
        raise DataFileError(f"{shown} grew past {limit} bytes while it was read; it is not "
                            f"the dataset file {spec.filename}.")
    return data


def _sha256_of_gzip_bytes(data):
    digest = hashlib.sha256()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"not a valid gzip file: {exc}") from None
    return digest.hexdigest()


def verify_file(path, spec, title, shown_as=None):
    """Reads a file once and checks those bytes against its published or content hash.

    Args:
        path: the file to check.
        spec: its ``RemoteFile``.
        title: the dataset's display name for the message, e.g. ``"MNIST"``.
        shown_as: how to name the file in the message (for example the URL a
            download came from); defaults to ``path``.

    Returns:
        The file's bytes, exactly those that were verified: parse these, not
        the file again, which may have changed since.

    Raises:
        ChecksumError: (a ``ValueError``) if neither hash matches. The message
            names the file and shows the expected and the actual hashes.
        DataFileError: (a ``ValueError``) for a file larger than its bound or
            not a regular file, refused before it is read.
    """
    data = read_file_bounded(path, spec, shown_as)
    file_hash = hashlib.sha256(data).hexdigest()
    if file_hash == spec.sha256:
        return data
    lines = [
        f"{shown_as or path} failed its integrity check: it is not the {title} file "
        f"{spec.filename}.",
        f"  expected SHA-256 of the file:              {spec.sha256}",
        f"  actual SHA-256 of the file:                {file_hash}",
    ]
    if spec.content_sha256 is not None:
        try:
            content_hash = _sha256_of_gzip_bytes(data)
        except ValueError as exc:
            content_hash = f"({exc})"
        if content_hash == spec.content_sha256:
            return data
        lines += [
            f"  expected SHA-256 of the decompressed data: {spec.content_sha256}",
            f"  actual SHA-256 of the decompressed data:   {content_hash}",
        ]
    lines.append(
        "The file is corrupted, truncated or a different file. Delete it and load "
        "again to download a fresh copy, or replace it with a good one."
    )
    raise ChecksumError("\n".join(lines))


def fetch_bytes(name, title, file_sets, mirrors, path=None, hint=""):
    """Finds, verifies and if need be downloads a dataset's files; returns their bytes.

    Args:
        name: the dataset's name, used for the cache and data subdirectories,
            e.g. ``"fashion_mnist"``.
        title: its display name, e.g. ``"Fashion-MNIST"``.
        file_sets: a list of alternative complete sets of files, each a list
            of ``RemoteFile``, best first. A place must hold every file of one
            set. Only the first set is ever downloaded.
        mirrors: base URLs tried in order; a file's URL is the base joined
            with its file name.
        path: a directory to search first, or ``None``.
        hint: an extra sentence for the not-found message.

    Returns:
        ``(paths, files, blobs)``: the file paths, the ``RemoteFile`` set
        they belong to and each file's verified bytes, in the same order.
        Parse the bytes: each file is read once, and only what was hashed is
        used.

    Raises:
        FileNotFoundError: if ``path`` is given but does not exist.
        NotADirectoryError: if ``path`` is given but is not a directory.
        ChecksumError: (a ``ValueError``) if a file found or downloaded fails
            its integrity check.
        DataFileError: (a ``ValueError``) if a file found is larger than the
            dataset's file can be, or is not a regular file.
        DatasetNotFoundError: (an ``OSError``) if no place holds the files and
            no mirror could deliver them.
    """
    if path is not None and not os.path.isdir(path):
        error = NotADirectoryError if os.path.exists(path) else FileNotFoundError
        raise error(
            f"`path` must be an existing directory holding the {title} files. "
            f"Received: path={os.fspath(path)!r}, which "
            f"{'is not a directory' if os.path.exists(path) else 'does not exist'}. "
            "Fix the path, or leave it out to use KERASITE_DATA_DIR, the cache or a download."
        )
    _remove_stale_temps(cache_dir(name))
    looked = []
    for where, directory in _places(name, path):
        if directory is None:
            looked.append(f"{where}: {'not given' if where == _PATH_ARG else 'not set'}")
            continue
        found = _complete_set(directory, file_sets)
        if found is not None:
            paths, files = found
            blobs = [verify_file(p, spec, title) for p, spec in zip(paths, files, strict=True)]
            return paths, files, blobs
        looked.append(f"{where}: {directory} ({_describe(directory, file_sets)})")
    paths, blobs, failures = _download_set(name, title, file_sets[0], mirrors)
    if paths is not None:
        return paths, file_sets[0], blobs
    raise DatasetNotFoundError(_not_found_message(name, title, file_sets, looked, failures, hint))


def fetch(name, title, file_sets, mirrors, path=None, hint=""):
    """Like ``fetch_bytes``, but returns only ``(paths, files)``.

    The files are verified all the same; to parse them, prefer
    ``fetch_bytes``, whose bytes cannot change after their check.
    """
    paths, files, _ = fetch_bytes(name, title, file_sets, mirrors, path=path, hint=hint)
    return paths, files


def _complete_set(directory, file_sets):
    for files in file_sets:
        paths = [os.path.join(directory, f.filename) for f in files]
        if all(os.path.isfile(p) for p in paths):
            return paths, files
    return None


def _describe(directory, file_sets):
    if not os.path.isdir(directory):
        return "does not exist"
    missing = [
        f.filename for f in file_sets[0] if not os.path.isfile(os.path.join(directory, f.filename))
    ]
    if len(missing) == len(file_sets[0]):
        return "no dataset files"
    return "incomplete, missing " + ", ".join(missing)


def _download_set(name, title, files, mirrors):
    """Downloads every file of ``files`` missing from the cache.

    Returns:
        ``(paths, blobs, [])`` on success (``blobs``: each file's verified
        bytes), or ``(None, None, failures)`` where ``failures`` lists one
        line per failed attempt. Raises ``ChecksumError`` if a
        mirror served a corrupted file and no mirror served a good one.
    """
    directory = cache_dir(name)
    created = not os.path.isdir(directory)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        return None, None, [
            f"cannot create the cache directory {directory}: {exc}; "
            f"set {HOME_ENV} to a writable directory"
        ]
    paths = None
    try:
        paths, blobs, failures = _download_files(directory, title, files, mirrors)
    finally:
        if paths is None and created:
            _remove_if_empty(directory)  # a failed download leaves no trace, not even a folder
    return paths, blobs, failures


def _download_files(directory, title, files, mirrors):
    paths, blobs, failures = [], [], []
    unreachable = set()  # hosts that failed to connect once are not retried for other files
    for spec in files:
        target = os.path.join(directory, spec.filename)
        if os.path.isfile(target):  # kept from an earlier, partly finished download
            blobs.append(verify_file(target, spec, title))
            paths.append(target)
            continue
        corrupt = None
        for base in mirrors:
            url = base.rstrip("/") + "/" + spec.filename
            host = urllib.parse.urlsplit(url).netloc
            if host in unreachable:
                failures.append(f"{url}: skipped, {host} was unreachable")
                continue
            try:
                data = _download_one(url, spec, title, target)
            except ChecksumError as exc:
                corrupt = corrupt or exc
                failures.append(f"{url}: the download failed its integrity check")
                continue
            except urllib.error.HTTPError as exc:
                failures.append(f"{url}: HTTP error {exc.code} {exc.reason}")
                continue
            except DownloadTooLargeError as exc:
                failures.append(f"{url}: {exc}")
                continue
            except (OSError, HTTPException) as exc:  # a timeout or the deadline, too
                unreachable.add(host)
                failures.append(f"{url}: {_reason(exc)}")
                continue
            break
        else:
            if corrupt is not None:
                raise corrupt
            return None, None, failures
        paths.append(target)
        blobs.append(data)
    return paths, blobs, failures


def _remove_if_empty(directory):
    try:
        os.rmdir(directory)
    except OSError:
        pass


def _reason(exc):
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


class DownloadTooLargeError(OSError):
    """A reply larger than the file it should be; the download was stopped there."""


class _Watchdog:
    """Shuts the sockets of one download down once its deadline passes.

    A per-read timeout cannot bound a download: a mirror that sends a byte
    every few seconds satisfies every read. The watchdog is a timer thread;
    when it fires, it shuts down each socket the download opened, so the read
    blocked in the main thread returns at once, and ``expired`` tells why.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)
        return sock

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def check(self):
        if self.expired:
            raise TimeoutError(
                f"the download took longer than {self.seconds:g} s (the deadline, "
                "kerasite.datasets._files.DEADLINE) and was stopped"
            )


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(connection_class, watchdog):
    """A factory of ``connection_class`` whose sockets the watchdog can shut down."""

    def make(*args, **kwargs):
        connection = connection_class(*args, **kwargs)
        create = connection._create_connection  # the raw socket, before any TLS
        connection._create_connection = lambda *a, **k: watchdog.watch(create(*a, **k))
        return connection

    return make


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog):
        super().__init__()
        self.watchdog = watchdog

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_watched(http_class, self.watchdog), req, **kwargs)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog):
        super().__init__()
        self.watchdog = watchdog

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_watched(http_class, self.watchdog), req, **kwargs)


def _open(request, timeout, watchdog):
    """``urlopen`` whose connections (redirects included) ``watchdog`` can cut."""
    opener = urllib.request.build_opener(_WatchedHTTPHandler(watchdog),
                                         _WatchedHTTPSHandler(watchdog))
    return opener.open(request, timeout=timeout)


def _download_one(url, spec, title, target):
    """Downloads ``url`` into a temporary file, verifies it, then moves it to ``target``.

    Bounded three ways: each read waits at most ``TIMEOUT`` seconds, the whole
    download at most ``DEADLINE`` seconds, and at most
    ``spec.max_download_size`` bytes are written.

    Returns:
        The downloaded bytes, as verified.
    """
    with _Watchdog(DEADLINE) as watchdog:
        try:
            data = _download_within(url, spec, title, target, watchdog)
        except (OSError, HTTPException, ValueError):
            watchdog.check()  # the deadline, rather than the error it caused
            raise
        watchdog.check()
    return data


def _download_within(url, spec, title, target, watchdog):
    from tqdm.auto import tqdm

    limit = spec.max_download_size
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with _open(request, TIMEOUT, watchdog) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > limit:
            raise DownloadTooLargeError(
                f"the reply declares {total} bytes, more than the {limit} this file can have; "
                "nothing was downloaded"
            )
        # The process id in the name tells a later load whether this file is stale.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target),
                                   prefix=f".{spec.filename}.{os.getpid()}-",
                                   suffix=_TMP_SUFFIX)
        try:
            received = 0
            with (
                os.fdopen(fd, "wb") as out,
                tqdm(
                    total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=spec.filename
                ) as bar,
            ):
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    received += len(chunk)
                    if received > limit:
                        raise DownloadTooLargeError(
                            f"the reply went on past {limit} bytes, more than this file can "
                            "have; the download was stopped there"
                        )
                    out.write(chunk)
                    bar.update(len(chunk))
                watchdog.check()
                out.flush()
                os.fsync(out.fileno())
            if total is not None and received != total:
                raise ConnectionError(f"the connection closed after {received} of {total} bytes")
            data = verify_file(tmp, spec, title,
                               shown_as=f"{spec.filename} downloaded from {url}")
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; cached data need not be private
            os.replace(tmp, target)
        except BaseException:
            # Also on KeyboardInterrupt: never leave a partial file behind.
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    return data


def _remove_stale_temps(directory):
    """Removes the temporary files of downloads killed before they could clean up.

    A file named with a process id is stale once that process is gone (POSIX);
    one without (written by older kerasite versions) once it is older than
    ``STALE_AFTER`` seconds. Files of downloads still running are kept.
    """
    from kerasite.saving._archive import process_running

    try:
        entries = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = _TMP_PATTERN.match(entry)
        if not match:
            continue
        path = os.path.join(directory, entry)
        pid = match.group(1)
        try:
            if pid is not None:
                stale = os.name == "posix" and not process_running(int(pid))
            else:
                stale = now - os.stat(path).st_mtime > STALE_AFTER
            if stale:
                os.unlink(path)
        except (OSError, ValueError):
            pass


def _not_found_message(name, title, file_sets, looked, failures, hint):
    sets = " or ".join(", ".join(f.filename for f in files) for files in file_sets)
    lines = [f"Could not find or download the {title} files ({sets}).", "Looked in, in this order:"]
    lines += [f"  {i}. {entry}" for i, entry in enumerate(looked, 1)]
    lines.append(f"  {len(looked) + 1}. download into the cache {cache_dir(name)}:")
    lines += [f"       {failure}" for failure in failures] or ["       no mirrors are configured"]
    lines.append(
        "To work offline, copy the files into a directory DIR and either call "
        f"`kerasite.datasets.{name}.load_data(path=DIR)` or set the environment variable "
        f"{DATA_DIR_ENV}=DIR (the files may sit in DIR itself or in DIR/{name}/)."
    )
    if hint:
        lines.append(hint)
    return "\n".join(lines)
