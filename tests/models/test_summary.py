"""summary() prints Keras 3's table; the expected text is Keras 3.15.1's output (JAX backend)
for the same models, captured with ``model.summary(print_fn=print)``."""

import pytest

from kerasite import Input, Model, Sequential, layers


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # Keras narrows the table to a smaller terminal

KERAS_SEQUENTIAL = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ dense (Dense)                        │ (None, 512)                 │         401,920 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │           5,130 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 407,050 (1.55 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)"""

# Keras: x = Input((8,), name="x"); a = Dense(4, name="a")(x); b = Dense(4, name="b")(x);
# Model(x, Dense(2, name="bn", trainable=False)(Add(name="add")([a, b])), name="fn")
KERAS_FUNCTIONAL = """\
Model: "fn"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)                │ (None, 8)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ a (Dense)                     │ (None, 4)                 │              36 │ x[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ b (Dense)                     │ (None, 4)                 │              36 │ x[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ add (Add)                     │ (None, 4)                 │               0 │ a[0][0], b[0][0]           │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ bn (Dense)                    │ (None, 2)                 │              10 │ add[0][0]                  │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 82 (328.00 B)
 Trainable params: 72 (288.00 B)
 Non-trainable params: 10 (40.00 B)"""

KERAS_NESTED = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ tiny (Sequential)                    │ (None, 2)                   │              10 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│    └ out (Dense)                     │ (None, 2)                   │              10 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_2 (Dense)                      │ (None, 1)                   │               3 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 13 (52.00 B)
 Trainable params: 13 (52.00 B)
 Non-trainable params: 0 (0.00 B)"""


def _text(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_sequential_matches_keras():
    model = Sequential([Input((784,)), layers.Dense(512, name="dense"),
                        layers.Dense(10, name="dense_1")], name="sequential")
    assert _text(model) == KERAS_SEQUENTIAL


def test_branching_functional_model_has_connected_to_as_keras():
    x = Input((8,), name="x")
    a, b = layers.Dense(4, name="a")(x), layers.Dense(4, name="b")(x)
    out = layers.Dense(2, name="bn", trainable=False)(layers.Add(name="add")([a, b]))
    assert _text(Model(x, out, name="fn")) == KERAS_FUNCTIONAL


def test_expand_nested_matches_keras():
    inner = Sequential([Input((4,)), layers.Dense(2, name="out")], name="tiny")
    outer = Sequential([Input((4,)), inner, layers.Dense(1, name="dense_2")], name="outer")
    assert _text(outer, expand_nested=True) == KERAS_NESTED
    assert "└ out" not in _text(outer)


def test_shared_layer_node_indices():
    x = Input((3,), name="x")
    shared = layers.Dense(3, name="shared")
    out = shared(shared(x))  # the second call is node 1 of "shared"
    text = _text(Model(x, out, name="twice"))
    assert "shared[0][0]" in text and "x[0][0]" in text


# Keras 3.15.1 on JAX, for Sequential([Dense(4, name="hidden"), Dense(1, name="out")],
# name="later") with no Input and never called: it prints the table, it does not raise.
KERAS_UNBUILT = """\
Model: "later"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ hidden (Dense)                       │ ?                           │     0 (unbuilt) │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ out (Dense)                          │ ?                           │     0 (unbuilt) │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)"""


def test_an_unbuilt_sequential_prints_keras_unbuilt_table_then_the_built_one():
    model = Sequential([layers.Dense(4, name="hidden"), layers.Dense(1, name="out")],
                       name="later")
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines) == KERAS_UNBUILT
    model.build((None, 3))
    lines = []
    model.summary(print_fn=lines.append)
    assert "│ hidden (Dense)                       │ (None, 4)" in "\n".join(lines)
    assert lines[-3] == " Total params: 21 (84.00 B)"  # 3*4 + 4 + 4*1 + 1


def test_an_unbuilt_nested_sequential_shows_question_marks_too():
    model = Sequential([layers.Dense(4, name="a"), Sequential([layers.Dense(3, name="b")],
                                                               name="inner")], name="outer")
    lines = []
    model.summary(print_fn=lines.append, expand_nested=True)
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[2:4] for row in rows] == [[" ? ".ljust(29), "     0 (unbuilt) "]] * 3
