"""Hostile Keras HDF5 files (``.h5``, ``.weights.h5``, the weights inside ``.keras``).

Each test builds its attack with h5py in ``tmp_path`` and checks that loading
refuses it with a ValueError or OSError naming the file, before any data is
read, and leaves the model as it was. Loading parses HDF5 in a worker
process (``kerasite/saving/keras/_h5_guard.py``), so the tests also check
that a worker that hangs is stopped at its deadline, and that Ctrl-C stops it.
"""
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Sequential, layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402
from kerasite.saving import _archive  # noqa: E402
from kerasite.saving.keras import _h5_guard  # noqa: E402


def _model(seed=0):
    # Named, so the groups are the same in every test whatever was built before.
    model = Sequential([layers.Conv2D(2, 3, input_shape=(6, 6, 1), name="conv2d"),
                        layers.Flatten(name="flatten"), layers.Dense(3, name="dense")])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for value in layer.params.values():
            value[...] = rng.normal(size=value.shape)
    return model


def _edited(source, target, edit):
    buffer = io.BytesIO(source.read_bytes())
    with h5py.File(buffer, "r+") as f:
        edit(f)
    target.write_bytes(buffer.getvalue())
    return target


def _edited_keras(source, target, edit):
    """A copy of a ``.keras`` file whose ``model.weights.h5`` went through ``edit``."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


@pytest.fixture
def files(tmp_path):
    """A model and its three HDF5 files: ``.h5``, ``.weights.h5`` and ``.keras``."""
    model = _model()
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.keras")
    return model, tmp_path


def _replace(path, data=None, **options):
    """An edit putting a new dataset at ``path`` (same values unless ``data`` is given)."""
    def edit(f):
        values = f[path][()] if data is None else data
        del f[path]
        f.create_dataset(path, data=values, **options)
    return edit


_KERNEL = {"h5": "model_weights/conv2d/conv2d/kernel", "weights.h5": "layers/conv2d/vars/0",
           "keras": "layers/conv2d/vars/0"}


def _attack(files, kind, edit_for_path):
    """(a loader, the hostile file) for one of the three formats."""
    model, tmp = files
    edit = edit_for_path(_KERNEL[kind])
    if kind == "h5":
        path = _edited(tmp / "m.h5", tmp / "bad.h5", edit)
        return lambda: load_model(path), path
    if kind == "keras":
        path = _edited_keras(tmp / "m.keras", tmp / "bad.keras", edit)
        return lambda: load_model(path), path
    path = _edited(tmp / "m.weights.h5", tmp / "bad.weights.h5", edit)
    return lambda: model.load_weights(path), path


def _refused(load, path, match, error=ValueError):
    with pytest.raises(error, match=match) as info:
        load()
    assert str(path) in str(info.value)


KINDS = ["h5", "weights.h5", "keras"]


# ===================================================================== 1. no code from a file
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("options, name", [
    ({"compression": "gzip"}, "deflate"),
    ({"compression": "lzf"}, "lzf"),
    ({"shuffle": True, "chunks": True}, "shuffle"),
    ({"fletcher32": True, "chunks": True}, "fletcher32"),
    ({"scaleoffset": 4, "dtype": "float32"}, "scaleoffset"),
])
def test_a_dataset_with_any_filter_is_refused_from_its_properties(files, kind, options, name):
    model, _ = files
    before = [w.copy() for w in model.get_weights()]
    load, path = _attack(files, kind, lambda p: _replace(p, **options))
    _refused(load, path, rf"uses the HDF5 filter {name}.*kerasite refuses it")
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def _external(tmp):
    def edit_for(p):
        def edit(f):
            shape = f[p].shape
            raw = tmp / "outside.bin"
            raw.write_bytes(np.zeros(shape, "float32").tobytes())
            del f[p]
            f.create_dataset(p, shape=shape, dtype="float32",
                             external=[(str(raw), 0, raw.stat().st_size)])
        return edit
    return edit_for


def _virtual(p):
    def edit(f):
        shape = f[p].shape
        source = f.create_dataset("source", data=np.zeros(shape, "float32"))
        layout = h5py.VirtualLayout(shape=shape, dtype="float32")
        layout[...] = h5py.VirtualSource(source)
        del f[p]
        f.create_virtual_dataset(p, layout)
    return edit


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("attack, match", [
    ("external", "keeps its data in external files"),
    ("virtual", "virtual storage layout"),
    ("chunked", "chunked storage layout"),
])
def test_external_storage_and_layouts_kerasite_never_writes_are_refused(files, kind, attack,
                                                                        match):
    edit = {"external": _external(files[1]), "virtual": _virtual,
            "chunked": lambda p: _replace(p, chunks=True)}[attack]
    load, path = _attack(files, kind, edit)
    _refused(load, path, match)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("link", ["external", "soft outside", "soft loop"])
def test_links_to_other_files_or_in_a_loop_are_refused(files, kind, link):
    def edit_for(p):
        def edit(f):
            del f[p]
            f[p] = {"external": h5py.ExternalLink("/etc/passwd", "/"),
                    "soft outside": h5py.SoftLink("/../../etc/passwd"),
                    "soft loop": h5py.SoftLink("/" + p)}[link]
        return edit
    load, path = _attack(files, kind, edit_for)
    _refused(load, path, "missing or a link|is missing")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hard_link_loop_is_refused(files, kind):
    def edit_for(p):
        def edit(f):
            f[p.rsplit("/", 1)[0] + "/loop"] = f["/"]
        return edit
    load, path = _attack(files, kind, edit_for)
    _refused(load, path, "links to an object the file already holds elsewhere")


_PLUGIN_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>

/* H5Z_class2_t, declared here so no HDF5 header is needed. */
typedef struct {
    int version; int id; unsigned encoder_present; unsigned decoder_present;
    const char *name; void *can_apply; void *set_local;
    size_t (*filter)(unsigned, size_t, const unsigned *, size_t, size_t *, void **);
} filter_class;

static size_t identity(unsigned flags, size_t n, const unsigned *values, size_t nbytes,
                       size_t *size, void **buffer) { return nbytes; }

static const filter_class cls = {1, 40000, 1, 1, "kerasite-test", NULL, NULL, identity};

/* Runs when the library is loaded: the proof that a file made native code run. */
__attribute__((constructor)) static void mark(void) {
    const char *path = getenv("KERASITE_TEST_PLUGIN_MARKER");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) { fprintf(f, "loaded in %d\n", (int)getpid()); fclose(f); }
}

int H5PLget_plugin_type(void) { return 0; }  /* H5PL_TYPE_FILTER */
const void *H5PLget_plugin_info(void) { return &cls; }
"""


@pytest.fixture
def plugin(tmp_path):
    """A directory holding a filter plugin (id 40000) that marks a file when it loads."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc to build a dummy HDF5 plugin")
    directory = tmp_path / "plugins"
    directory.mkdir()
    source = tmp_path / "plugin.c"
    source.write_text(_PLUGIN_C.replace("#include <stddef.h>",
                                        "#include <stddef.h>\n#include <unistd.h>"))
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(directory / "libkerasite_test.so"),
                    str(source)], check=True, capture_output=True)
    return directory


def _run_with_plugin(code, plugin, marker, **env):
    env = dict(os.environ, HDF5_PLUGIN_PATH=str(plugin), KERASITE_TEST_PLUGIN_MARKER=str(marker),
               **env)
    env.pop("HDF5_PLUGIN_PRELOAD", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_filter_plugin_named_by_a_file_is_never_loaded(files, plugin, monkeypatch):
    model, tmp = files
    hostile = tmp / "plugin.weights.h5"
    # The attacker's side: a weights file whose kernel goes through filter 40000.
    written = _run_with_plugin(f"""
        import shutil, h5py
        shutil.copy({str(tmp / "m.weights.h5")!r}, {str(hostile)!r})
        with h5py.File({str(hostile)!r}, "r+") as f:
            values = f["layers/conv2d/vars/0"][()]
            del f["layers/conv2d/vars/0"]
            f.create_dataset("layers/conv2d/vars/0", data=values, compression=40000)
        """, plugin, tmp / "writer.marker")
    assert written.returncode == 0, written.stderr
    # The payload is live: plain h5py reading the file loads the plugin.
    live = _run_with_plugin(f"""
        import h5py
        h5py.File({str(hostile)!r}, "r")["layers/conv2d/vars/0"][()]
        """, plugin, tmp / "live.marker")
    assert live.returncode == 0, live.stderr
    assert (tmp / "live.marker").exists()

    # kerasite, with the plugin on the search path of its environment, loads nothing.
    marker = tmp / "kerasite.marker"
    monkeypatch.setenv("HDF5_PLUGIN_PATH", str(plugin))
    monkeypatch.setenv("KERASITE_TEST_PLUGIN_MARKER", str(marker))
    before = [w.copy() for w in model.get_weights()]
    _refused(lambda: model.load_weights(hostile), hostile, r"HDF5 filter .*\(id 40000\)")
    assert not marker.exists()
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)

    # The worker's own defences, without the environment the parent gives it: run it
    # directly, then read the filtered data after switching plugins off as it does.
    direct = _run_with_plugin(f"""
        import subprocess, sys
        data = open({str(hostile)!r}, "rb").read()
        out = subprocess.run([sys.executable, {_h5_guard.WORKER!r}], input=data,
                             capture_output=True).stdout
        assert b"uses the HDF5 filter" in out, out[:300]
        import importlib.util, h5py
        spec = importlib.util.spec_from_file_location("worker", {_h5_guard.WORKER!r})
        worker = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(worker)
        assert worker._disable_plugins(h5py) in (0, None)
        try:
            h5py.File({str(hostile)!r}, "r")["layers/conv2d/vars/0"][()]
        except OSError:
            print("refused")
        """, plugin, marker)
    assert direct.returncode == 0, direct.stderr
    assert "refused" in direct.stdout
    assert not marker.exists()


def test_the_worker_reads_with_plugin_loading_switched_off(files):
    tmp = files[1]
    out = subprocess.run([sys.executable, _h5_guard.WORKER],
                         input=(tmp / "m.weights.h5").read_bytes(), capture_output=True).stdout
    size = int.from_bytes(out[:8], "little")
    header = json.loads(out[8:8 + size])
    if not sys.platform.startswith("linux"):
        pytest.skip("the loading state is read through /proc/self/maps")
    assert header["plugin_loading"] == 0


# ===================================================================== 2. never hang
_HANGING_WORKER = """
import os, sys, time
open(sys.argv[0] + ".pid", "w").write(str(os.getpid()))
sys.stdin.buffer.read()
while True:
    time.sleep(0.05)
"""


@pytest.fixture
def hanging_worker(tmp_path, monkeypatch):
    """A worker that never answers, as libhdf5 spinning on a damaged file; its pid file."""
    script = tmp_path / "hang.py"
    script.write_text(_HANGING_WORKER)
    monkeypatch.setattr(_h5_guard, "WORKER", str(script))
    return tmp_path / "hang.py.pid"


def _gone(pid):
    for _ in range(100):
        if not _archive.process_running(pid) or _zombie(pid):
            return True
        time.sleep(0.05)
    return False


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_a_parse_that_hangs_is_stopped_at_the_deadline(files, kind, hanging_worker,
                                                       monkeypatch):
    model, tmp = files
    monkeypatch.setattr(_h5_guard, "DEADLINE", 1.0)
    path = {"h5": tmp / "m.h5", "weights.h5": tmp / "m.weights.h5", "keras": tmp / "m.keras"}
    load = (lambda: model.load_weights(path[kind])) if kind == "weights.h5" else \
        (lambda: load_model(path[kind]))
    start = time.monotonic()
    _refused(load, path[kind], r"took longer than 1 s, so it was stopped", OSError)
    assert time.monotonic() - start < 30
    assert _gone(int(hanging_worker.read_text()))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
@pytest.mark.slow
def test_ctrl_c_stops_a_parse_that_hangs_and_its_worker(files, hanging_worker):
    tmp = files[1]

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            load_model(tmp / "m.h5")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _gone(int(hanging_worker.read_text()))


@pytest.mark.slow
def test_the_deadline_can_be_set_from_the_environment():
    code = "from kerasite.saving.keras import _h5_guard; print(_h5_guard.DEADLINE)"
    for value, expected in (("2.5", "2.5"), (None, "30.0")):
        env = dict(os.environ)
        env.pop("KERASITE_H5_DEADLINE", None)
        if value is not None:
            env["KERASITE_H5_DEADLINE"] = value
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
        assert run.stdout.strip() == expected, run.stderr
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, KERASITE_H5_DEADLINE="soon"),
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert "`KERASITE_H5_DEADLINE` must be a positive number of seconds" in bad.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
@pytest.mark.parametrize("name", ["pipe.kerasite", "pipe.keras", "pipe.h5", "pipe.weights.h5",
                                  "pipe.weights.npz"])
def test_a_fifo_is_refused_at_once_by_every_loader(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    model = _model()
    errors = []

    def load():
        try:
            if ".weights." in name:
                model.load_weights(path)
            else:
                load_model(path)
        except OSError as exc:
            errors.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # unblock the reader before failing
        with open(path, "wb"):
            pass
        pytest.fail(f"loading {name} blocked on a FIFO")
    assert len(errors) == 1 and "is not a regular file" in str(errors[0])
    assert str(path) in str(errors[0])


def test_require_regular_file_never_opens_what_it_refuses(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file at this path"):
        _archive.require_regular_file(tmp_path / "missing.h5", "model")
    with pytest.raises(IsADirectoryError, match="this is a directory"):
        _archive.require_regular_file(tmp_path, "backup")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(OSError, match="not a regular file .* saved weights"):
            _archive.require_regular_file(tmp_path / "pipe", "weights")
    (tmp_path / "plain").write_bytes(b"")
    _archive.require_regular_file(tmp_path / "plain", "model")


@pytest.mark.parametrize("kind", KINDS)
def test_a_shape_bomb_is_refused_before_anything_is_allocated(files, kind):
    def bomb(p):
        def edit(f):
            del f[p]
            # A 12000 x 12000 kernel declared in a few KB (the data was never written).
            f.create_dataset(p, shape=(12000, 12000, 1, 2), dtype="float32")
        return edit

    load, path = _attack(files, kind, bomb)
    assert path.stat().st_size < 64 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"\(12000, 12000, 1, 2\)") as info:
            load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 32 * 2**20  # the kernel alone would be 1.15 GB


def test_a_kernel_size_in_the_config_must_match_the_file_before_building(files):
    tmp = files[1]

    def edit(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["kernel_size"] = [12000, 12000]
        f.attrs["model_config"] = json.dumps(config)

    path = _edited(tmp / "m.h5", tmp / "bad.h5", edit)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"kernel_size \[12000, 12000\]"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20


# ===================================================================== 3. clean errors
def _set_attr(where, key, value):
    def edit(f):
        f[where].attrs[key] = value
    return edit


@pytest.mark.parametrize("value, match", [
    (5, "model_config is not text"),
    (np.array([1.5, 2.0]), "model_config is not text"),
    (np.bytes_(b"\xff\xfe{"), "attribute 'model_config' of group '/' is text that is not UTF-8"),
    (np.void(b"\x00\x01\x02"), "attribute 'model_config' of group '/' is"),
    (np.array((1, 2.0), dtype=[("a", "i4"), ("b", "f8")]), "attribute 'model_config'"),
    (np.zeros((2, 2), "S3"), "an array of shape \\(2, 2\\)"),
])
def test_odd_attribute_types_give_a_clean_error(files, value, match):
    tmp = files[1]
    path = _edited(tmp / "m.h5", tmp / "bad.h5", _set_attr("/", "model_config", value))
    _refused(lambda: load_model(path), path, match)


@pytest.mark.parametrize("value, match", [
    (7, "weight_names attribute of layer 'conv2d'.* is not a list of names"),
    (np.array([1, 2]), "is not a list of names"),
    (np.array([b"\xff\xfe"]), "text that is not UTF-8"),
    (h5py.Empty("f4"), "is not a list of names|of type Empty"),
])
def test_odd_weight_names_give_a_clean_error(files, value, match):
    tmp = files[1]
    path = _edited(tmp / "m.h5", tmp / "bad.h5",
                   _set_attr("model_weights/conv2d", "weight_names", value))
    _refused(lambda: load_model(path), path, match)


def test_an_object_reference_attribute_gives_a_clean_error(files):
    tmp = files[1]
    path = _edited(tmp / "m.h5", tmp / "bad.h5",
                   lambda f: f["model_weights/conv2d"].attrs.__setitem__("weight_names", f.ref))
    _refused(lambda: load_model(path), path, "of type Reference")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data, match", [
    (np.float32(1.0), r"has shape \(\)|implies|first weight in the file has shape \(\)"),
    (h5py.Empty("f4"), "empty dataspace"),
    (np.array(["a"], dtype="S1"), "is not a float array"),
    (np.zeros((3, 3, 1, 2), "complex64"), "is not a float array"),
])
def test_a_scalar_empty_or_non_numeric_kernel_gives_a_clean_error(files, kind, data, match):
    load, path = _attack(files, kind, lambda p: _replace(p, data=data))
    _refused(load, path, match)


@pytest.mark.parametrize("name", [".", "..", "top_level_model_weights", "a\0b", ""])
def test_a_hostile_layer_name_in_the_config_gives_a_clean_error(files, name):
    tmp = files[1]

    def edit(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["name"] = name
        f.attrs["model_config"] = json.dumps(config)

    path = _edited(tmp / "m.h5", tmp / "bad.h5", edit)
    # ('top_level_model_weights' is the writer's own, empty group: no kernel in it)
    _refused(lambda: load_model(path), path, "no group for layer|its first weight in the file "
             "has shape None")


def test_a_nul_in_a_weight_name_gives_a_clean_error(files):
    tmp = files[1]
    names = [b"conv2d/ker\0nel", b"conv2d/bias"]
    path = _edited(tmp / "m.h5", tmp / "bad.h5", lambda f: f["model_weights/conv2d"].attrs
                   .__setitem__("weight_names", np.array(names)))  # fixed-length: NUL kept
    _refused(lambda: load_model(path), path, "is missing|not a plain path|not text|UTF-8")


@pytest.mark.parametrize("name", [".", "..", "top_level_model_weights", "a/b"])
def test_a_layer_name_an_h5_file_cannot_hold_is_refused_at_save_time(tmp_path, name):
    model = Sequential([layers.Dense(2, input_shape=(3,), name=name)])
    with pytest.raises(ValueError, match=rf"Cannot save layer {name!r}".replace(".", r"\.")
                       .replace("/", r"\/")):
        model.save(tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()


@pytest.mark.parametrize("name", ["..", "."])
def test_a_layer_named_dots_reads_back_from_the_other_formats(tmp_path, name):
    model = Sequential([layers.Dense(2, input_shape=(3,), name=name)])
    x = np.ones((1, 3), "float32")
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(load_model(tmp_path / "m.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    model.save_weights(tmp_path / "m.weights.h5")
    other = Sequential([layers.Dense(2, input_shape=(3,), name=name)])
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(other.layers[0].params["W"], model.layers[0].params["W"])


def test_weights_of_a_model_with_an_extra_layer_are_refused(tmp_path):
    bigger = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(4), layers.Dense(4)])
    bigger.save_weights(tmp_path / "big.weights.h5")
    smaller = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(4)])
    before = [w.copy() for w in smaller.get_weights()]
    path = tmp_path / "big.weights.h5"
    _refused(lambda: smaller.load_weights(path), path,
             r"holds weights for layers the model does not have \(layers/dense_2\)")
    for a, b in zip(smaller.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    # A group the model lacks that holds no weights (a Flatten, a Dropout) is harmless.
    with_dropout = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(4),
                               layers.Dropout(0.5)])
    with_dropout.save_weights(tmp_path / "d.weights.h5")
    smaller.load_weights(tmp_path / "d.weights.h5")
    np.testing.assert_array_equal(smaller.layers[1].params["W"],
                                  with_dropout.layers[1].params["W"])


def test_a_keras_file_with_weights_its_config_does_not_list_is_refused(files):
    tmp = files[1]

    def edit(f):
        f.create_dataset("layers/dense_7/vars/0", data=np.zeros(3, "float32"))

    path = _edited_keras(tmp / "m.keras", tmp / "bad.keras", edit)
    _refused(lambda: load_model(path), path, r"its config does not list \(layers/dense_7\)")


def test_a_file_that_is_not_hdf5_gives_a_clean_error(tmp_path):
    for name in ("junk.h5", "junk.weights.h5"):
        path = tmp_path / name
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 200)
        load = (lambda p=path: _model().load_weights(p)) if "weights" in name else \
            (lambda p=path: load_model(p))
        _refused(load, path, "not a readable HDF5 file", OSError)


def test_the_files_load_with_their_values_through_the_worker(files):
    model, tmp = files
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 1)).astype("float32")
    for name in ("m.h5", "m.keras"):
        np.testing.assert_array_equal(load_model(tmp / name).predict(x, verbose=0),
                                      model.predict(x, verbose=0))
    other = _model(seed=5)
    other.load_weights(tmp / "m.weights.h5")
    for a, b in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_groups_nested_past_the_limit_are_refused(files):
    tmp = files[1]

    def edit(f):
        f.create_group("model_weights/deep/" + "/".join(["g"] * 70))

    path = _edited(tmp / "m.h5", tmp / "bad.h5", edit)
    _refused(lambda: load_model(path), path, "groups nest deeper than 64 levels")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_the_worker_caps_its_own_memory():
    code = textwrap.dedent(f"""
        import importlib.util, numpy as np
        spec = importlib.util.spec_from_file_location("worker", {_h5_guard.WORKER!r})
        worker = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(worker)
        worker._limit_memory(10_000)
        np.ones(2**20)  # a small array still fits
        try:
            np.ones(2 * 2**30 // 8)  # 2 GiB: past the cap of what it holds plus 1 GiB
        except MemoryError:
            print("capped")
        """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "capped", run.stderr
