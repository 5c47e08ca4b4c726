"""Writes tests/data/summary_keras_reference.json: Keras 3's ``model.summary()`` text for
a few models and options. Run with Keras 3 on JAX:

    KERAS_BACKEND=jax COLUMNS=200 python tests/models/make_summary_reference.py

``COLUMNS`` is set so that Keras's default width is not cut down to a narrow terminal.
The tests only read the file; they never import keras.
"""

import json
import pathlib


def _text(model, **kwargs):
    chunks = []
    model.summary(print_fn=chunks.append, **kwargs)
    return "".join(chunks).rstrip("\n")


def main():
    import keras
    from keras import layers

    seq = keras.Sequential([keras.Input((784,)), layers.Dense(512, name="dense"),
                            layers.Dense(10, name="dense_1", trainable=False)],
                           name="sequential")
    x = keras.Input((8,), name="x")
    a, b = layers.Dense(4, name="a")(x), layers.Dense(4, name="b")(x)
    out = layers.Dense(2, name="bn", trainable=False)(layers.Add(name="add")([a, b]))
    fn = keras.Model(x, out, name="fn")
    long = keras.Sequential([keras.Input((3,)),
                             layers.Dense(2, name="a_rather_long_layer_name_for_wrapping")],
                            name="long")
    cases = {
        "sequential_80": _text(seq, line_length=80),
        "sequential_100": _text(seq, line_length=100),
        "sequential_trainable": _text(seq, show_trainable=True),
        "sequential_positions": _text(seq, positions=[0.5, 0.7, 1.0]),
        "sequential_range": _text(seq, layer_range=["dense_1", "dense_1"]),
        "functional_80": _text(fn, line_length=80),
        "functional_100": _text(fn, line_length=100),
        "functional_trainable_100": _text(fn, line_length=100, show_trainable=True),
        "functional_range": _text(fn, layer_range=["a", "add"]),
        "long_60": _text(long, line_length=60),
    }
    path = pathlib.Path(__file__).parents[1] / "data" / "summary_keras_reference.json"
    payload = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "cases": cases}
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
