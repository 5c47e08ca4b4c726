"""Tests for downloads in kerasite/datasets/_files.py, against HTTP servers on 127.0.0.1.

The real network is never touched: the mirror lists are patched to local
servers, or to a port nobody listens on.
"""

import gzip
import hashlib
import http.server
import os
import time
import urllib.request

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
    real_urlopen = urllib.request.urlopen

    def recording_urlopen(request, *args, timeout=None, **kwargs):
        attempts.append((getattr(request, "full_url", request), timeout))
        return real_urlopen(request, *args, timeout=timeout, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", recording_urlopen)
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
