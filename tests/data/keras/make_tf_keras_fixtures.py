"""Makes the tf.keras 2 fixture that tests/test_keras_format_legacy.py reads.

Run with a Python that has TensorFlow 2 and ``tf_keras`` (Keras 2), from this folder:

    TF_USE_LEGACY_KERAS=1 /work/venvs/tf/bin/python make_tf_keras_fixtures.py

It writes ``tf_keras2_<name>.h5`` (Keras 2's whole-model HDF5 file:
``model_config`` with ``batch_input_shape`` and initializers without
``module``, ``model_weights/<layer>/<layer>/kernel:0``), with seeded weights,
and Keras 2's predictions on a fixed input as ``tf_keras2_<name>.inputs.npy``
and ``tf_keras2_<name>.expected.npy``.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
keras = None  # tf_keras, imported in main() so pytest can import this file without it


def sequential():
    return keras.Sequential([
        keras.layers.Dense(8, activation="relu", input_shape=(5,),
                           kernel_regularizer=keras.regularizers.l2(0.01)),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3, activation="softmax"),
    ], name="sequential")


def functional_conv():
    inputs = keras.Input((8, 8, 2), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    left = keras.layers.Dense(4, activation="tanh", name="left")(x)
    right = keras.layers.Dense(4, name="right")(x)
    outputs = keras.layers.Dense(2, name="head")(keras.layers.Add(name="sum")([left, right]))
    return keras.Model(inputs, outputs, name="functional_conv")


def main():
    global keras
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tf_keras

    keras = tf_keras
    rng = np.random.default_rng(2)
    for make in (sequential, functional_conv):
        model = make()
        for layer in model.layers:
            weights = layer.get_weights()
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, var = weights
                layer.set_weights([rng.normal(1.0, 0.2, gamma.shape), rng.normal(0, 0.2, beta.shape),
                                   rng.normal(0, 0.5, mean.shape), rng.uniform(0.5, 2, var.shape)])
            elif weights:
                layer.set_weights([rng.normal(0.0, 0.5, w.shape) for w in weights])
        model.compile(optimizer="adam", loss="mse")
        x = rng.normal(size=(4, *model.input_shape[1:])).astype("float32")
        stem = os.path.join(HERE, f"tf_keras2_{make.__name__}")
        model.save(stem + ".h5")
        np.save(stem + ".inputs.npy", x)
        np.save(stem + ".expected.npy", model.predict(x, verbose=0))
        print(stem, keras.__version__)


if __name__ == "__main__":
    main()
