"""Writes tests/data/keras_activations_round3.json: Keras 3's newer activations on fixed inputs.

Run with Keras 3 on JAX (``KERAS_BACKEND=jax python tests/layers/make_keras_activation_reference.py``);
the tests read the JSON and never import Keras. Each entry holds the
outputs and the gradient of ``sum(f(x) * w)`` with respect to ``x``, in float64.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

X = np.array([[-3.2, -1.0, -0.6, -0.2, 0.0, 0.3, 0.5, 0.9, 1.7, 4.0],
              [2.5, -2.5, 0.1, -0.1, 1.2, -1.2, 0.7, -0.7, 3.3, -3.3]])
W = np.linspace(-1.0, 1.3, X.size).reshape(X.shape)

CASES = {
    "celu": {}, "celu_alpha2": {"alpha": 2.0},
    "glu": {}, "hard_shrink": {}, "hard_shrink_t1": {"threshold": 1.0},
    "hard_silu": {}, "hard_tanh": {}, "log_sigmoid": {}, "log_softmax": {},
    "soft_shrink": {}, "soft_shrink_t1": {"threshold": 1.0}, "sparse_plus": {},
    "sparse_sigmoid": {}, "sparsemax": {}, "squareplus": {}, "squareplus_b1": {"b": 1.0},
    "tanh_shrink": {},
}


def main():
    out = {"keras": keras.__version__, "backend": keras.backend.backend(), "x": X.tolist(),
           "w": W.tolist(), "cases": {}}
    for case, kwargs in CASES.items():
        name = case.split("_t1")[0].split("_alpha2")[0].split("_b1")[0]
        fn = getattr(keras.activations, name)

        def f(x):
            return fn(x, **kwargs)

        y = np.asarray(f(jax.numpy.asarray(X)))
        w = W[:, : y.shape[1]]
        grad = np.asarray(jax.grad(lambda x: (f(x) * w).sum())(jax.numpy.asarray(X)))
        out["cases"][case] = {"name": name, "kwargs": kwargs, "y": y.tolist(),
                              "grad": grad.tolist()}
    path = Path(__file__).resolve().parents[1] / "data" / "keras_activations_round3.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
