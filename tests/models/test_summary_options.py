"""summary()'s options (line_length, positions, show_trainable, layer_range) and its width
fitted to the terminal. The expected text is Keras 3.15.1's output on JAX, written to
tests/data/summary_keras_reference.json by tests/models/make_summary_reference.py."""

import json
import pathlib

import pytest

from kerasite import Input, Model, Sequential, layers

KERAS = json.loads((pathlib.Path(__file__).parents[1] / "data" /
                    "summary_keras_reference.json").read_text())["cases"]


def _text(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def _sequential():
    return Sequential([Input((784,)), layers.Dense(512, name="dense"),
                       layers.Dense(10, name="dense_1", trainable=False)], name="sequential")


def _functional():
    x = Input((8,), name="x")
    a, b = layers.Dense(4, name="a")(x), layers.Dense(4, name="b")(x)
    out = layers.Dense(2, name="bn", trainable=False)(layers.Add(name="add")([a, b]))
    return Model(x, out, name="fn")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # as the reference was made


@pytest.mark.parametrize("width", [80, 100])
def test_line_length_matches_keras(width):
    assert _text(_sequential(), line_length=width) == KERAS[f"sequential_{width}"]
    assert _text(_functional(), line_length=width) == KERAS[f"functional_{width}"]


def test_show_trainable_matches_keras():
    assert _text(_sequential(), show_trainable=True) == KERAS["sequential_trainable"]
    assert _text(_functional(), line_length=100, show_trainable=True) == \
        KERAS["functional_trainable_100"]


def test_positions_match_keras():
    assert _text(_sequential(), positions=[0.5, 0.7, 1.0]) == KERAS["sequential_positions"]


def test_layer_range_matches_keras():
    assert _text(_sequential(), layer_range=["dense_1", "dense_1"]) == KERAS["sequential_range"]
    assert _text(_functional(), layer_range=["a", "add"]) == KERAS["functional_range"]


def test_long_name_wraps_and_ends_in_ellipsis_as_keras():
    model = Sequential([Input((3,)), layers.Dense(2, name="a_rather_long_layer_name_for_wrapping")],
                       name="long")
    assert _text(model, line_length=60) == KERAS["long_60"]


def test_default_width_follows_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "84")  # Keras: min(88, columns - 4)
    assert _text(_sequential()) == KERAS["sequential_80"]
    monkeypatch.setenv("COLUMNS", "300")
    assert max(len(line) for line in _text(_sequential()).splitlines()) == 88


def test_bad_layer_range_and_width_raise():
    with pytest.raises(ValueError, match="`layer_range` names no layer"):
        _text(_sequential(), layer_range=["nothing", "dense"])
    with pytest.raises(ValueError, match="`layer_range` must be a list or tuple of two"):
        _text(_sequential(), layer_range=["dense"])
    with pytest.raises(ValueError, match="`line_length` is too narrow"):
        _text(_sequential(), line_length=8)
    with pytest.raises(ValueError, match="`positions` must hold 3 values"):
        _text(_sequential(), positions=[0.5, 1.0])
