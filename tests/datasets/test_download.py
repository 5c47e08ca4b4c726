"""Tests for downloads in kerasite/datasets/_files.py, against HTTP servers on 127.0.0.1.

The real network is never touched: the mirror lists are patched to local
servers, or to a port nobody listens on.
"""

import gzip
import hashlib
import http.server
import os
import time

import numpy as np
import pytest

from kerasite.datasets import ChecksumError, DatasetNotFoundError, _files, fashion_mnist, mnist


def cache_of(isolated, name="fashion_mnist"):
    return isolated["home"] / "datasets" / name


def listing(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


@pytest.fixture
def mirror(tmp_path, monkeypatch, fakes, serve):
    """A local server holding a tiny Fashion-MNIST whose hashes are patched in."""
    arrays, specs = fakes.write_dataset(tmp_path / "served", seed=1)
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    return arrays, specs, serve(tmp_path / "served")


def test_download_falls_back_to_a_working_mirror_and_caches(
    monkeypatch, isolated, mirror, fakes, capsys
):
    arrays, specs, url = mirror
    dead = f"http://127.0.0.1:{fakes.closed_port()}/"
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [dead, url])

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()

    for got, want in zip((x_train, y_train, x_test, y_test), arrays, strict=True):
        np.testing.assert_array_equal(got, want)
    assert listing(cache_of(isolated)) == sorted(fakes.names)  # no temporary files left
    for spec in specs:
        path = cache_of(isolated) / spec.filename
        assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # the tqdm bar

    # Now cached: a second load needs no mirror at all.
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [dead])
    (x_again, _), _ = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_again, arrays[0])


def test_http_error_moves_on_to_next_mirror(tmp_path, monkeypatch, isolated, mirror, serve):
    arrays, _, url = mirror
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [serve(tmp_path / "empty"), url])  # 404 first
    (_, y_train), _ = fashion_mnist.load_data()
    np.testing.assert_array_equal(y_train, arrays[1])


def test_files_already_cached_are_kept_and_the_rest_downloaded(
    monkeypatch, isolated, mirror, fakes
):
    arrays, specs, url = mirror
    fakes.write_dataset(cache_of(isolated), seed=1)
    os.remove(cache_of(isolated) / "t10k-images-idx3-ubyte.gz")
    before = os.stat(cache_of(isolated) / "train-images-idx3-ubyte.gz").st_mtime_ns
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [url])
    _, (x_test, _) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_test, arrays[2])
    assert os.stat(cache_of(isolated) / "train-images-idx3-ubyte.gz").st_mtime_ns == before


def test_corrupted_download_is_refused_and_leaves_nothing(
    tmp_path, monkeypatch, isolated, mirror, fakes
):
    _, specs, url = mirror
    served = tmp_path / "served" / "train-images-idx3-ubyte.gz"
    served.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(50), mtime=0))
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [url])

    with pytest.raises(ChecksumError, match=r"failed its integrity check") as info:
        fashion_mnist.load_data()

    message = str(info.value)
    assert f"downloaded from {url}train-images-idx3-ubyte.gz" in message
    assert specs[0].sha256 in message and specs[0].content_sha256 in message
    assert hashlib.sha256(served.read_bytes()).hexdigest() in message
    assert not cache_of(isolated).exists()  # no file, no temporary file, no empty folder


def test_truncated_download_is_refused_and_leaves_nothing(monkeypatch, isolated, serve, fakes):
    class ShortBody(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b only part of it")
            self.close_connection = True

        def log_message(self, *args):
            pass

    _, specs = fakes.write_dataset(isolated["system"] / "unused")
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [serve(None, handler=ShortBody)])
    with pytest.raises(DatasetNotFoundError, match=r"IncompleteRead|closed after"):
        fashion_mnist.load_data()
    assert not cache_of(isolated).exists()


def test_interrupted_download_leaves_no_temporary_file(monkeypatch, isolated, mirror):
    import tqdm.auto

    class Interrupting(tqdm.auto.tqdm):
        def update(self, n=1):
            raise KeyboardInterrupt

    _, _, url = mirror
    monkeypatch.setattr(tqdm.auto, "tqdm", Interrupting)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [url])
    with pytest.raises(KeyboardInterrupt):
        fashion_mnist.load_data()
    assert not cache_of(isolated).exists()


def test_mnist_downloads_idx_files(monkeypatch, isolated, fakes, tmp_path, serve):
    arrays, specs = fakes.write_dataset(tmp_path / "served", seed=2)
    monkeypatch.setattr(mnist, "FILES", specs)
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "served")])
    (_, y_train), _ = mnist.load_data()
    np.testing.assert_array_equal(y_train, arrays[1])
    assert listing(cache_of(isolated, "mnist")) == sorted(fakes.names)


# ----------------------------------------------------------------- offline error


@pytest.mark.parametrize("loader", [fashion_mnist, mnist], ids=["fashion_mnist", "mnist"])
def test_offline_error_lists_every_place_and_is_fast(
    tmp_path, monkeypatch, isolated, loader, fakes
):
    dead = f"http://127.0.0.1:{fakes.closed_port()}/"
    monkeypatch.setattr(loader, "MIRRORS", [dead, dead.replace("127.0.0.1", "localhost")])
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    given = tmp_path / "given"
    given.mkdir()
    monkeypatch.setenv("KERASITE_DATA_DIR", str(data_dir))

    # "Fast" is checked by behaviour, not by a clock: every connection attempt
    # carries the short timeout, and a host that refused is never tried again
    # (so four files and two dead mirrors mean two attempts, not eight).
    attempts = []
    real_open = _files._open

    def recording_open(request, timeout, watchdog):
        attempts.append((getattr(request, "full_url", request), timeout))
        return real_open(request, timeout, watchdog)

    monkeypatch.setattr(_files, "_open", recording_open)
    with pytest.raises(DatasetNotFoundError) as info:
        loader.load_data(path=given)

    assert len(attempts) == 2, attempts
    assert all(timeout is not None and timeout <= 5 for _, timeout in attempts)
    assert isinstance(info.value, OSError)
    message = str(info.value)
    for place in (
        f"`path` argument: {given}",
        f"KERASITE_DATA_DIR: {data_dir / loader.NAME}",
        f"KERASITE_DATA_DIR: {data_dir} (no dataset files)",
        f"cache: {cache_of(isolated, loader.NAME)} (does not exist)",
        f"system directory: {isolated['system'] / loader.NAME.replace('_', '-')}",
        f"{dead}train-images-idx3-ubyte.gz",
        "download into the cache",
    ):
        assert place in message
    assert "KERASITE_DATA_DIR=DIR" in message and "load_data(path=DIR)" in message
    assert "Connection refused" in message or "ConnectionRefused" in message
    assert not cache_of(isolated, loader.NAME).exists()


def test_offline_error_without_path_or_env(monkeypatch):
    with pytest.raises(
        OSError, match=r"`path` argument: not given\n  2\. KERASITE_DATA_DIR: not set"
    ):
        fashion_mnist.load_data()


def test_unreachable_host_is_not_retried_for_later_files(monkeypatch, mirror, fakes):
    _, _, url = mirror
    dead = f"http://127.0.0.1:{fakes.closed_port()}/"
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [dead, url])
    tried = []
    real = _files._download_one
    monkeypatch.setattr(_files, "_download_one", lambda *a: tried.append(a[0]) or real(*a))
    fashion_mnist.load_data()
    # The dead host is tried once; the other three files go straight to the live one.
    assert [u.startswith(dead) for u in tried] == [True, False, False, False, False]


# ====================================================== issue 15, item 5: bounded downloads
class _Trickle(http.server.BaseHTTPRequestHandler):
    """Sends a byte every 0.05 s, 200 bytes at most: each read succeeds, the whole never ends.

    ``in_headers`` trickles the status line and headers too. Bounded, so that
    even a kerasite without a deadline finishes the test (with the wrong error).
    """

    in_headers = False
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        head = b"HTTP/1.0 200 OK\r\nContent-Length: 5000\r\n\r\n"
        body = head if self.in_headers else b"\x1f\x8b" + bytes(198)
        if not self.in_headers:
            self.wfile.write(head)
            self.wfile.flush()
        for i in range(len(body)):
            try:
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            time.sleep(0.05)
        self.close_connection = True

    def log_message(self, *args):
        pass


class _TrickleHeaders(_Trickle):
    in_headers = True


class _LongTrickle(_Trickle):
    """Trickles for up to a minute: long enough for a loaded machine to start a process."""

    def do_GET(self):
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 5000\r\n\r\n\x1f\x8b")
        for _ in range(1200):
            try:
                self.wfile.write(b"\x00")
                self.wfile.flush()
            except OSError:  # the client was killed
                return
            time.sleep(0.05)


@pytest.mark.parametrize("handler", [_Trickle, _TrickleHeaders], ids=["body", "headers"])
def test_a_mirror_that_trickles_is_cut_off_at_the_deadline(monkeypatch, isolated, serve, fakes,
                                                           handler):
    _, specs = fakes.write_dataset(isolated["system"] / "unused")
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [serve(None, handler=handler)])
    monkeypatch.setattr(_files, "DEADLINE", 0.5)
    with pytest.raises(DatasetNotFoundError, match=r"took longer than 0\.5 s \(the deadline"):
        fashion_mnist.load_data()
    assert not cache_of(isolated).exists()


class _Flood(http.server.BaseHTTPRequestHandler):
    """Replies with 64 MiB (or declares it), counting what the client accepted."""

    sent = []
    declare = False
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        if self.declare:
            self.send_header("Content-Length", str(64 << 20))
        self.end_headers()
        chunk, sent = bytes(64 << 10), 0
        try:
            for _ in range(1024):
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        type(self).sent.append(sent)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("declare", [False, True], ids=["undeclared", "declared"])
def test_a_reply_far_larger_than_the_file_is_stopped_at_the_size_limit(
        monkeypatch, isolated, serve, fakes, declare):
    _, specs = fakes.write_dataset(isolated["system"] / "unused")
    specs = [_files.RemoteFile(s.filename, s.sha256, s.content_sha256,
                               size=(isolated["system"] / "unused" / s.filename).stat().st_size)
             for s in specs]
    handler = type("Flood", (_Flood,), {"sent": [], "declare": declare})
    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [serve(None, handler=handler)])
    expected = r"declares 67108864 bytes, more than the \d+" if declare \
        else r"went on past \d+ bytes, more than this file can have"
    with pytest.raises(DatasetNotFoundError, match=expected):
        fashion_mnist.load_data()
    assert not cache_of(isolated).exists()
    # The client stopped reading near the limit (~70 KB here), not at 64 MiB.
    for _ in range(100):  # the handler thread records its count once the client is gone
        if handler.sent:
            break
        time.sleep(0.05)
    assert handler.sent and handler.sent[0] < 16 << 20, handler.sent


def test_published_sizes_are_pinned_and_match_the_debian_files():
    # Debian's recompressed files drop the file name from the gzip header: the same
    # data, a few bytes shorter, well within the margin.
    for spec in fashion_mnist.FILES + mnist.FILES:
        assert spec.size is not None and spec.max_download_size > spec.size
    debian = "/usr/share/datasets/fashion-mnist"
    if os.path.isdir(debian):
        for spec in fashion_mnist.FILES:
            local = os.path.getsize(os.path.join(debian, spec.filename))
            assert spec.size - 64 <= local <= spec.max_download_size


def _dead_pid():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")
def test_temporary_files_of_killed_downloads_are_removed(monkeypatch, isolated, mirror):
    arrays, _, url = mirror
    cache = cache_of(isolated)
    cache.mkdir(parents=True)
    dead = cache / f".train-images-idx3-ubyte.gz.{_dead_pid()}-abcd1234.kerasite.tmp"
    legacy_old = cache / ".t10k-images-idx3-ubyte.gz.q1w2e3r4.kerasite.tmp"  # no process id
    legacy_new = cache / ".t10k-labels-idx1-ubyte.gz.z9x8c7v6.kerasite.tmp"
    running = cache / f".train-labels-idx1-ubyte.gz.{os.getpid()}-0a1b2c3d.kerasite.tmp"
    other = cache / "notes.txt"
    for path in (dead, legacy_old, legacy_new, running, other):
        path.write_bytes(b"partial")
    old = time.time() - 2 * _files.STALE_AFTER
    os.utime(legacy_old, (old, old))
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [url])
    fashion_mnist.load_data()
    assert not dead.exists() and not legacy_old.exists()
    assert legacy_new.exists() and running.exists() and other.exists()


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_a_download_killed_midway_leaves_a_file_the_next_load_removes(
        tmp_path, monkeypatch, isolated, fakes, serve):
    # Fault injection: a real process downloading from a trickling mirror is killed
    # with SIGKILL once its temporary file exists; the next load cleans up after it.
    import signal
    import subprocess
    import sys

    _, specs = fakes.write_dataset(tmp_path / "served", seed=3)
    url = serve(None, handler=_LongTrickle)
    script = (
        "import sys; from kerasite.datasets import _files, fashion_mnist\n"
        "fashion_mnist.FILES = [_files.RemoteFile(*a) for a in "
        f"{[(s.filename, s.sha256, s.content_sha256) for s in specs]!r}]\n"
        f"fashion_mnist.MIRRORS = [{url!r}]\n"
        f"_files.SYSTEM_DIR = {str(isolated['system'])!r}\n"
        "fashion_mnist.load_data()\n"
    )
    env = {**os.environ, "KERASITE_HOME": str(isolated["home"]),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = cache_of(isolated)
    try:
        for _ in range(1000):  # up to 50 s for the interpreter to start and connect
            if listing(cache):
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    (leftover,) = listing(cache)
    assert leftover.startswith(".train-images-idx3-ubyte.gz.") and f".{proc.pid}-" in leftover

    monkeypatch.setattr(fashion_mnist, "FILES", specs)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [serve(tmp_path / "served")])
    fashion_mnist.load_data()
    assert listing(cache) == sorted(fakes.names)
