"""Makes the Keras 3 fixture files that tests/test_keras_format.py reads.

Run with a Python that has Keras 3 (JAX backend) and h5py, from this folder:

    KERAS_BACKEND=jax /work/venvs/keras/bin/python make_fixtures.py

Each model gets seeded random weights (BatchNormalization's moving statistics
too, so they matter), is saved as ``<name>.keras``, and its predictions on a
fixed input are stored as ``<name>.inputs.npy`` and ``<name>.expected.npy``.
Two models are also saved as ``<name>.h5``, Keras's legacy HDF5 format.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# Keras is imported in main() only, so pytest's doctest collection can import this file
# in an environment without Keras.
keras = None
LEGACY_H5 = ("functional_concat", "conv_bn")


def sequential_dense():
    return keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3, activation="softmax"),
    ], name="sequential_dense")


def functional_concat():
    inputs = keras.Input((4,), name="features")
    left = keras.layers.Dense(6, activation="tanh", name="left")(inputs)
    right = keras.layers.Dense(3, name="right")(inputs)
    right = keras.layers.ReLU(name="right_relu")(right)
    merged = keras.layers.Concatenate(name="merged")([left, right])
    outputs = keras.layers.Dense(2, activation="sigmoid", name="head")(merged)
    return keras.Model(inputs, outputs, name="functional_concat")


def conv_bn():
    return keras.Sequential([
        keras.Input((8, 8, 2)),
        keras.layers.Conv2D(4, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
    ], name="conv_bn")


def functional_zoo():
    # Every activation and merge layer kerasite maps, on one input.
    inputs = keras.Input((6,), name="x")
    branches = [keras.layers.Dense(3, activation=name, name=f"dense_{name}")(inputs)
                for name in ("linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu",
                             "softplus", "softsign", "exponential", "silu")]
    a, b = branches[0], branches[1]
    merged = [keras.layers.Add()([a, b]), keras.layers.Subtract()([a, b]),
              keras.layers.Multiply()([a, b]), keras.layers.Average()([a, b]),
              keras.layers.Maximum()([a, b]), keras.layers.Minimum()([a, b]),
              keras.layers.LeakyReLU(negative_slope=0.2)(a),
              keras.layers.ReLU(max_value=0.5)(a),
              keras.layers.Activation("tanh")(b)]
    joined = keras.layers.Concatenate()(branches + merged)
    shaped = keras.layers.Reshape((20, 3))(joined)
    shaped = keras.layers.Softmax(axis=1)(shaped)
    outputs = keras.layers.Flatten()(shaped)
    return keras.Model(inputs, outputs, name="functional_zoo")


def main():
    global keras
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    rng = np.random.default_rng(14)
    for make in (sequential_dense, functional_concat, conv_bn, functional_zoo):
        model = make()
        # Moving variances must stay positive, so BatchNormalization gets its own draw.
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights([
                    rng.normal(1.0, 0.2, gamma.shape).astype("float32"),
                    rng.normal(0.0, 0.2, beta.shape).astype("float32"),
                    rng.normal(0.0, 0.5, mean.shape).astype("float32"),
                    rng.uniform(0.5, 2.0, var.shape).astype("float32"),
                ])
            elif layer.get_weights():
                layer.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32")
                                   for w in layer.get_weights()])
        x = rng.normal(size=(4, *model.input_shape[1:])).astype("float32")
        expected = np.asarray(model.predict(x, verbose=0))
        name = model.name
        model.save(os.path.join(HERE, f"{name}.keras"))
        if name in LEGACY_H5:  # Keras 3's legacy whole-model HDF5 format too
            model.save(os.path.join(HERE, f"{name}.h5"))
        np.save(os.path.join(HERE, f"{name}.inputs.npy"), x)
        np.save(os.path.join(HERE, f"{name}.expected.npy"), expected)
        print(name, expected.shape)


if __name__ == "__main__":
    main()
