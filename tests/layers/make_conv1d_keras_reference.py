"""Writes tests/data/conv1d_keras_reference.json: Keras 3's outputs and gradients for the 1D,
depthwise and separable layers, and ``pad_sequences``'s results. Run with Keras 3 on JAX:

    KERAS_BACKEND=jax python tests/layers/make_conv1d_keras_reference.py

Every layer case is run in float64 on an input and weights drawn here; the upstream
gradient ``g`` is drawn too, and the gradients are those of ``sum(layer(x) * g)`` with
respect to the input and to each weight (``jax.grad`` through ``stateless_call``). The
tests read the file (tests/layers/test_conv1d.py); they never import keras.
"""

import json
import pathlib

import numpy as np

# name -> (Keras class, constructor arguments, input shape, call keyword arguments)
LAYER_CASES = {
    "conv1d_valid": ("Conv1D", {"filters": 3, "kernel_size": 3}, (2, 7, 2), {}),
    "conv1d_same_strided": ("Conv1D", {"filters": 2, "kernel_size": 4, "strides": 2,
                                       "padding": "same"}, (2, 7, 3), {}),
    "conv1d_causal_dilated": ("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal",
                                         "dilation_rate": 2, "activation": "tanh"},
                              (2, 8, 2), {}),
    "conv1d_causal_strided": ("Conv1D", {"filters": 2, "kernel_size": 2, "padding": "causal",
                                         "strides": 3}, (1, 8, 2), {}),
    "conv1d_groups": ("Conv1D", {"filters": 6, "kernel_size": 2, "groups": 3,
                                 "activation": "relu"}, (2, 5, 3), {}),
    "conv1d_groups_same_dilated": ("Conv1D", {"filters": 4, "kernel_size": 3, "groups": 2,
                                              "padding": "same", "dilation_rate": 2},
                                   (2, 6, 4), {}),
    "conv1d_transpose_valid": ("Conv1DTranspose", {"filters": 2, "kernel_size": 3,
                                                   "strides": 2}, (2, 4, 3), {}),
    "conv1d_transpose_same": ("Conv1DTranspose", {"filters": 3, "kernel_size": 4, "strides": 2,
                                                  "padding": "same"}, (2, 3, 2), {}),
    "conv1d_transpose_dilated": ("Conv1DTranspose", {"filters": 2, "kernel_size": 2,
                                                     "dilation_rate": 3}, (1, 4, 2), {}),
    "conv1d_transpose_stride_over_kernel": ("Conv1DTranspose", {"filters": 1, "kernel_size": 2,
                                                                "strides": 3}, (1, 3, 2), {}),
    "separable_conv1d": ("SeparableConv1D", {"filters": 3, "kernel_size": 3,
                                             "depth_multiplier": 2, "padding": "same"},
                         (2, 6, 2), {}),
    "separable_conv1d_strided": ("SeparableConv1D", {"filters": 2, "kernel_size": 2,
                                                     "strides": 2, "activation": "relu"},
                                 (2, 7, 3), {}),
    "separable_conv2d": ("SeparableConv2D", {"filters": 3, "kernel_size": 3,
                                             "depth_multiplier": 2}, (2, 5, 4, 2), {}),
    "separable_conv2d_same_strided": ("SeparableConv2D", {"filters": 2, "kernel_size": (3, 2),
                                                          "strides": 2, "padding": "same"},
                                      (1, 5, 5, 3), {}),
    "separable_conv2d_dilated": ("SeparableConv2D", {"filters": 2, "kernel_size": 2,
                                                     "dilation_rate": 2, "use_bias": False},
                                 (1, 5, 5, 2), {}),
    "depthwise_conv2d": ("DepthwiseConv2D", {"kernel_size": 3}, (2, 5, 4, 3), {}),
    "depthwise_conv2d_multiplier_same": ("DepthwiseConv2D", {"kernel_size": 2, "strides": 2,
                                                             "padding": "same",
                                                             "depth_multiplier": 3},
                                         (1, 5, 5, 2), {}),
    "depthwise_conv2d_dilated_relu": ("DepthwiseConv2D", {"kernel_size": 2, "dilation_rate": 2,
                                                          "activation": "relu"},
                                      (2, 5, 5, 2), {}),
    "max_pooling1d": ("MaxPooling1D", {}, (2, 7, 2), {}),
    "max_pooling1d_same_overlapping": ("MaxPooling1D", {"pool_size": 3, "strides": 2,
                                                        "padding": "same"}, (2, 8, 2), {}),
    "average_pooling1d": ("AveragePooling1D", {"pool_size": 3}, (2, 7, 2), {}),
    "average_pooling1d_same": ("AveragePooling1D", {"pool_size": 3, "strides": 2,
                                                    "padding": "same"}, (2, 8, 2), {}),
    "global_average_pooling1d": ("GlobalAveragePooling1D", {}, (2, 5, 3), {}),
    "global_average_pooling1d_masked": ("GlobalAveragePooling1D", {"keepdims": True},
                                        (2, 5, 3),
                                        {"mask": [[True, True, False, True, False],
                                                  [False, True, True, True, True]]}),
    "global_max_pooling1d": ("GlobalMaxPooling1D", {}, (2, 5, 3), {}),
    "up_sampling1d": ("UpSampling1D", {"size": 3}, (2, 3, 2), {}),
    "zero_padding1d": ("ZeroPadding1D", {"padding": (2, 1)}, (2, 3, 2), {}),
    "cropping1d": ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 2), {}),
}

PAD_CASES = {
    "default": ([[1], [2, 3], [4, 5, 6]], {}),
    "maxlen_pre": ([[1, 2, 3, 4], [5], [6, 7]], {"maxlen": 3}),
    "maxlen_post_truncating_post": ([[1, 2, 3, 4], [5], [6, 7]],
                                    {"maxlen": 3, "padding": "post", "truncating": "post"}),
    "value_float": ([[1.5, 2.5], [3.25]], {"dtype": "float32", "value": -1.0,
                                           "padding": "post"}),
    "longer_maxlen": ([[1], [2, 3]], {"maxlen": 4, "value": 9}),
    "empty_sequence": ([[], [1, 2]], {}),
    "step_vectors": ([[[1, 2], [3, 4]], [[5, 6]]], {"dtype": "float64"}),
    "int_truncates_floats": ([[1.7, -2.7]], {}),
}


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    keras.config.set_floatx("float64")
    rng = np.random.default_rng(0)
    out = {"layers": {}, "pad_sequences": {}}
    for name, (class_name, args, shape, call_kwargs) in LAYER_CASES.items():
        layer = getattr(keras.layers, class_name)(**args)
        x = rng.normal(size=shape)
        layer.build(shape)
        weights = [rng.normal(0, 0.5, w.shape) for w in layer.weights]
        layer.set_weights(weights)
        kwargs = {k: np.array(v) for k, v in call_kwargs.items()}
        y = np.asarray(layer(x, **kwargs))
        g = rng.normal(size=y.shape)

        def objective(variables, inputs):
            outputs, _ = layer.stateless_call(variables, [], inputs, **kwargs)
            return (outputs * g).sum()

        dw, dx = jax.grad(objective, argnums=(0, 1))(
            [jax.numpy.asarray(w) for w in weights], jax.numpy.asarray(x))
        out["layers"][name] = {
            "class_name": class_name, "args": args, "call": call_kwargs, "x": x.tolist(),
            "weights": [w.tolist() for w in weights],
            "weight_names": [w.name for w in layer.weights], "y": y.tolist(),
            "g": g.tolist(), "dx": np.asarray(dx).tolist(),
            "dweights": [np.asarray(d).tolist() for d in dw]}
    for name, (sequences, kwargs) in PAD_CASES.items():
        padded = keras.utils.pad_sequences(sequences, **kwargs)
        out["pad_sequences"][name] = {"sequences": sequences, "kwargs": kwargs,
                                      "result": padded.tolist(), "dtype": str(padded.dtype)}
    out["keras_version"] = keras.__version__
    path = pathlib.Path(__file__).resolve().parents[1] / "data" / "conv1d_keras_reference.json"
    path.write_text(json.dumps(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
