"""Writes tests/data/layer_options_keras_reference.json: Keras 3's outputs for the layer
options of tests/layers/test_layer_options.py. Run with Keras 3 on JAX, in float64:

    KERAS_BACKEND=jax python tests/layers/make_layer_options_reference.py

The tests only read the file; they never import keras.
"""

import json
import pathlib

import numpy as np


def val(x):
    return np.asarray(x, dtype=np.float64).tolist()


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras
    from keras import layers

    keras.config.set_floatx("float64")
    rng = np.random.default_rng(0)
    x2, y2 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x3, y3 = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    z3 = rng.normal(size=(2, 4, 5))
    ln = rng.normal(size=(2, 3, 6)) * 3 + 1
    img = rng.normal(size=(2, 3, 4, 2))
    cases = {"x2": val(x2), "y2": val(y2), "x3": val(x3), "y3": val(y3), "z3": val(z3),
             "ln": val(ln), "img": val(img)}
    cases["dot_1"] = val(layers.Dot(axes=1)([x2, y2]))
    cases["dot_1_normalize"] = val(layers.Dot(axes=1, normalize=True)([x2, y2]))
    cases["dot_2"] = val(layers.Dot(axes=2)([x3, y3]))
    cases["dot_2_1_normalize"] = val(layers.Dot(axes=(2, 1), normalize=True)([x3, z3]))
    cases["dot_config"] = layers.Dot(axes=(2, 1), normalize=True).get_config()["axes"]

    rms = layers.LayerNormalization(rms_scaling=True)
    rms.build(ln.shape)
    rms.gamma.assign(np.linspace(0.5, 1.5, 6))
    cases["rms"] = val(rms(ln))
    rms2 = layers.LayerNormalization(axis=[1, 2], rms_scaling=True, epsilon=1e-3)
    cases["rms_axes"] = val(rms2(ln))

    up = layers.UpSampling2D(size=(2, 3), interpolation="bilinear")
    cases["bilinear_2_3"] = val(up(img))
    cases["bilinear_2"] = val(layers.UpSampling2D(interpolation="bilinear")(img))

    path = pathlib.Path(__file__).parents[1] / "data" / "layer_options_keras_reference.json"
    payload = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "cases": cases}
    path.write_text(json.dumps(payload) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
