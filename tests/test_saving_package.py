"""The layout of ``kerasite.saving``: its public names, its settings, and its imports.

``kerasite/saving/`` is a package: ``_archive.py`` (file handling both formats
share), ``native.py`` (``.kerasite``), ``keras/`` (Keras 3's files). It finds
the model classes through ``kerasite._registry`` and never imports
``kerasite.models``, so ``models -> saving`` is the only direction.
"""
import ast
import contextlib
import os
import pathlib
import threading

import numpy as np
import pytest

import kerasite
from kerasite import Sequential, _registry, layers, saving
from kerasite.models import Model, load_model
from kerasite.saving import _archive


@contextlib.contextmanager
def package_setting(package, name, value):
    """Sets a limit through its package and puts the old value back afterwards.

    Not monkeypatch: pytest 9.2 restores a name that is not in the module's
    ``__dict__`` by deleting it, and these limits live in the lower module
    that the package forwards to.
    """
    old = getattr(package, name)
    setattr(package, name, value)
    try:
        yield
    finally:
        setattr(package, name, old)

SAVING = pathlib.Path(kerasite.__file__).parent / "saving"


def _imported_modules(path):
    """Every module a file imports, at any depth (a function-level import too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_saving_never_imports_the_models():
    files = sorted(SAVING.rglob("*.py"))
    assert len(files) >= 7  # __init__, _archive, native, keras/{__init__,_compile,_h5,_layers}
    for path in files:
        bad = sorted(n for n in _imported_modules(path)
                     if n == "kerasite.models" or n.startswith("kerasite.models."))
        assert not bad, f"{path.relative_to(SAVING.parent)} imports {bad}"


def test_the_keras_formats_use_the_archive_helpers_not_the_native_format():
    for path in sorted((SAVING / "keras").glob("*.py")):
        assert not any(n.startswith("kerasite.saving.native") for n in _imported_modules(path))


def test_the_model_classes_are_registered_by_name():
    assert _registry.model_class("Model") is Model
    assert _registry.model_class("Sequential") is Sequential
    with pytest.raises(LookupError, match=r"No model class 'Nope' is registered"):
        _registry.model_class("Nope")


def test_the_public_names_and_the_keras_aliases():
    for name in ("save_model", "load_model", "save_weights", "load_weights",
                 "register_serializable", "register_keras_serializable",
                 "get_registered_object", "MAX_FILE_SIZE", "MAX_LAYERS"):
        assert hasattr(saving, name), name
    assert saving.load_model is load_model
    assert saving.register_keras_serializable is saving.register_serializable
    assert saving.get_registered_object("Dense") is layers.Dense
    assert saving.get_registered_object("Custom>Sequential") is Sequential  # Keras's key form
    assert saving.get_registered_object("NoSuchThing") is None
    marker = object()
    assert saving.get_registered_object("Dense", custom_objects={"Dense": marker}) is marker


def test_the_limits_set_on_the_package_are_the_ones_the_readers_check(tmp_path):
    assert saving.MAX_FILE_SIZE == 2**31 and saving.MAX_LAYERS == 10_000
    with package_setting(saving, "MAX_FILE_SIZE", 17):
        assert _archive.MAX_FILE_SIZE == 17 and saving.MAX_FILE_SIZE == 17
        assert "MAX_FILE_SIZE" not in vars(saving)  # one value, kept by _archive
        path = tmp_path / "w.weights.npz"
        path.write_bytes(b"x" * 18)
        with pytest.raises(ValueError, match=r"it is 18 bytes; kerasite loads files of at most 17"):
            _archive.read_file(str(path), "weights")
    assert _archive.MAX_FILE_SIZE == 2**31


def test_the_keras_input_size_limit_is_set_on_its_package():
    from kerasite.saving import keras as keras_files
    from kerasite.saving.keras import _layers

    assert keras_files.MAX_INPUT_FEATURES == 2**24
    with package_setting(keras_files, "MAX_INPUT_FEATURES", 5):
        assert _layers.MAX_INPUT_FEATURES == 5
        with pytest.raises(ValueError, match=r"has 6 values per sample, more than kerasite\.saving"
                                             r"\.keras\.MAX_INPUT_FEATURES=5"):
            _layers._feature_shape([None, 2, 3], "layer 'x'")
    assert _layers.MAX_INPUT_FEATURES == 2**24


def test_loading_a_directory_names_it(tmp_path):
    path = tmp_path / "d.kerasite"
    path.mkdir()
    with pytest.raises(IsADirectoryError, match=r"this is a directory, not a model file"):
        load_model(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_loading_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.kerasite"
    os.mkfifo(path)
    errors = []

    def load():
        try:
            load_model(path)
        except OSError as exc:
            errors.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "load_model blocked on a FIFO"
    assert len(errors) == 1 and "is not a regular file" in str(errors[0])


def test_a_round_trip_still_goes_through_the_package(tmp_path):
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    path = tmp_path / "m.kerasite"
    saving.save_model(model, path)
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_array_equal(saving.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))
