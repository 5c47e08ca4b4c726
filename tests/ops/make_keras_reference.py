"""Writes tests/data/ops_keras_reference.json: Keras 3's values for the ops whose semantics
differ from NumPy's (or that NumPy lacks). Run with Keras 3 on JAX, in float64:

    KERAS_BACKEND=jax python tests/ops/make_keras_reference.py

The tests only read the file; they never import keras.
"""

import json
import pathlib

import numpy as np


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras
    from keras import ops

    keras.config.set_floatx("float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5)) * 2
    p = rng.uniform(0.05, 0.95, (3, 5))
    t = (rng.uniform(size=(3, 5)) > 0.5).astype(float)
    soft = rng.uniform(size=(3, 5))
    labels = np.array([1, 4, 0])
    onehot = np.eye(5)[labels]
    big = np.array([[1000.0, -1000.0, 0.0], [-5.0, 3.0, 700.0]])


    cases = {
        "x": val(x), "p": val(p), "t": val(t), "soft": val(soft), "labels": labels.tolist(),
        "big": val(big),
        "softmax": val(ops.nn.softmax(x)), "softmax_axis0": val(ops.nn.softmax(x, axis=0)),
        "log_softmax": val(ops.nn.log_softmax(x)), "log_softmax_big": val(ops.nn.log_softmax(big)),
        "softmax_big": val(ops.nn.softmax(big)),
        "gelu": val(ops.nn.gelu(x)), "gelu_exact": val(ops.nn.gelu(x, approximate=False)),
        "softplus": val(ops.nn.softplus(x)), "softplus_big": val(ops.nn.softplus(big)),
        "silu": val(ops.nn.silu(x)), "sigmoid": val(ops.nn.sigmoid(x)),
        "sigmoid_big": val(ops.nn.sigmoid(big)), "relu": val(ops.nn.relu(x)),
        "bce": val(ops.nn.binary_crossentropy(t, p)),
        "bce_logits": val(ops.nn.binary_crossentropy(t, x, from_logits=True)),
        "bce_logits_big": val(ops.nn.binary_crossentropy(np.ones_like(big), big, from_logits=True)),
        "cce": val(ops.nn.categorical_crossentropy(onehot, soft)),
        "cce_soft_target": val(ops.nn.categorical_crossentropy(p, soft)),
        "cce_logits": val(ops.nn.categorical_crossentropy(onehot, x, from_logits=True)),
        "cce_axis0": val(ops.nn.categorical_crossentropy(p, soft, axis=0)),
        "scce": val(ops.nn.sparse_categorical_crossentropy(labels, soft)),
        "scce_logits": val(ops.nn.sparse_categorical_crossentropy(labels, x, from_logits=True)),
        "scce_logits_col": val(ops.nn.sparse_categorical_crossentropy(labels[:, None], x,
                                                                       from_logits=True)),
        "var": val(ops.var(x)), "var_axis1": val(ops.var(x, axis=1)),
        "std_axis0_keep": val(ops.std(x, axis=0, keepdims=True)),
        "norm": val(ops.norm(x)), "norm_axis1": val(ops.norm(x, axis=1)),
        "norm_ord1_axis0": val(ops.norm(x, ord=1, axis=0)),
        "norm_inf_axis1": val(ops.norm(x, ord=np.inf, axis=1)),
        "norm_ord3_axis1": val(ops.norm(x, ord=3, axis=1)),
        "norm_fro": val(ops.norm(x, ord="fro", axis=(0, 1))),
        "norm_vector": val(ops.norm(x[0])),
        "logsumexp": val(ops.logsumexp(x)), "logsumexp_axis1": val(ops.logsumexp(x, axis=1)),
        "logsumexp_big": val(ops.logsumexp(big, axis=1)),
        "erf": val(ops.erf(x)),
        "one_hot": val(ops.one_hot(np.array([0, 2, -1, 5]), 4)),
        "one_hot_axis0": val(ops.one_hot(np.array([0, 2]), 3, axis=0)),
        "cumsum": val(ops.cumsum(x, axis=1)),
        "keras_version": keras.__version__,
    }
    out = pathlib.Path(__file__).resolve().parents[1] / "data" / "ops_keras_reference.json"
    out.write_text(json.dumps(cases, indent=1) + "\n")
    print("wrote", out)


def val(a):
    return np.asarray(a, dtype=float).tolist()


if __name__ == "__main__":
    main()
