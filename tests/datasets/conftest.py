"""Fixtures for the dataset tests: isolated places, small IDX files, a local HTTP server.

No test here may reach the real network, so every test starts with the
mirror lists pointing at a closed port on 127.0.0.1, the cache and system
directories inside ``tmp_path`` and ``KERASITE_DATA_DIR`` unset.
"""

import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from kerasite.datasets import _files, fashion_mnist, mnist

FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
IDX_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def closed_port():
    """Returns a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def idx_bytes(array, magic=None):
    """Encodes a uint8 array as an IDX file; ``magic`` overrides the magic number."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x0800 | array.ndim if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_fake_dataset(directory, seed=0, n_train=6, n_test=4, image_shape=(28, 28)):
    """Writes the four gzipped IDX files of a tiny MNIST-like dataset.

    Returns:
        ``(arrays, specs)``: the four arrays written, in ``IDX_NAMES`` order,
        and a ``RemoteFile`` for each with its file and content hashes.
    """
    rng = np.random.default_rng(seed)
    arrays = [
        rng.integers(0, 256, (n_train, *image_shape), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, *image_shape), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    ]
    os.makedirs(directory, exist_ok=True)
    specs = []
    for name, array in zip(IDX_NAMES, arrays, strict=True):
        raw = idx_bytes(array)
        packed = gzip.compress(raw, mtime=0)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(packed)
        specs.append(
            _files.RemoteFile(
                name, hashlib.sha256(packed).hexdigest(), hashlib.sha256(raw).hexdigest()
            )
        )
    return arrays, specs


@pytest.fixture
def fakes():
    """The helpers above, for tests to build files with (conftest is not importable)."""
    return SimpleNamespace(
        idx_bytes=idx_bytes,
        write_dataset=write_fake_dataset,
        closed_port=closed_port,
        names=IDX_NAMES,
        fashion_system_dir=FASHION_SYSTEM_DIR,
    )


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Points every place the loaders look at inside ``tmp_path``; returns their paths."""
    places = {"home": tmp_path / "home", "system": tmp_path / "system"}
    monkeypatch.setenv("KERASITE_HOME", str(places["home"]))
    monkeypatch.delenv("KERASITE_DATA_DIR", raising=False)
    monkeypatch.setattr(_files, "SYSTEM_DIR", str(places["system"]))
    dead = f"http://127.0.0.1:{closed_port()}/"
    for module in (mnist, fashion_mnist):
        monkeypatch.setattr(module, "MIRRORS", [dead])
    return places


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Starts an HTTP server on 127.0.0.1 serving a directory; returns its base URL.

    ``serve(directory, handler=None)`` may be called several times; every
    server is shut down after the test.
    """
    servers = []

    def start(directory, handler=None):
        handler = handler or functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
