"""Writes tests/data/optimizers_keras_reference.json: optimizer steps computed by Keras 3.

Run from the repository's top folder (needs keras 3 and jax; the tests only
read the JSON):

    KERAS_BACKEND=jax JAX_ENABLE_X64=1 python tests/make_keras_optimizer_reference.py

Each case builds a Keras optimizer, applies the same gradients to the same
float64 weights for a few calls with ``optimizer.apply``, and records the
weights after every call and the optimizer's variables at the end.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_ENABLE_X64", "1")

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")

W0 = [[0.5, -1.0, 0.3], [2.0, 0.25, -0.6]]  # a (2, 3) kernel
B0 = [0.1, -0.2, 0.05]  # a (3,) bias
T0 = [[[0.2, -0.4], [0.7, 1.1]], [[-0.3, 0.9], [0.05, -1.2]]]  # a (2, 2, 2) weight
GRADS = [
    ([[0.3, -0.2, 0.1], [0.05, 0.4, -0.25]], [0.2, -0.1, 0.3],
     [[[0.1, 0.2], [-0.3, 0.05]], [[0.4, -0.1], [0.2, 0.3]]]),
    ([[-0.1, 0.25, 0.3], [0.2, -0.35, 0.15]], [-0.05, 0.2, 0.1],
     [[[-0.2, 0.1], [0.3, -0.15]], [[0.05, 0.25], [-0.1, 0.2]]]),
    ([[0.2, 0.1, -0.4], [-0.3, 0.05, 0.2]], [0.15, 0.05, -0.2],
     [[[0.3, -0.25], [0.1, 0.2]], [[-0.2, 0.15], [0.35, -0.05]]]),
    ([[0.05, -0.3, 0.2], [0.1, 0.2, -0.1]], [-0.1, -0.15, 0.25],
     [[[0.05, 0.3], [-0.2, 0.1]], [[0.2, -0.3], [0.1, 0.15]]]),
]

CASES = {
    "lion": ("Lion", {"learning_rate": 0.01}),
    "lion_betas_decay": ("Lion", {"learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.9,
                                  "weight_decay": 0.1}),
    "ftrl": ("Ftrl", {"learning_rate": 0.1}),
    "ftrl_regularized": ("Ftrl", {"learning_rate": 0.2, "learning_rate_power": -0.7,
                                  "initial_accumulator_value": 0.3,
                                  "l1_regularization_strength": 0.05,
                                  "l2_regularization_strength": 0.1,
                                  "l2_shrinkage_regularization_strength": 0.02,
                                  "beta": 0.5}),
    "ftrl_fixed_rate": ("Ftrl", {"learning_rate": 0.05, "learning_rate_power": 0.0,
                                 "l1_regularization_strength": 0.01}),
    "adafactor": ("Adafactor", {}),
    "adafactor_options": ("Adafactor", {"learning_rate": 0.3, "beta_2_decay": -0.5,
                                        "epsilon_2": 0.01, "clip_threshold": 0.5}),
    "adam_ema": ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8}),
    "adam_ema_overwrite": ("Adam", {"learning_rate": 0.05, "use_ema": True,
                                    "ema_momentum": 0.7, "ema_overwrite_frequency": 2}),
    "adam_accumulation": ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 2}),
    "sgd_accumulation_clip_decay": ("SGD", {"learning_rate": 0.1, "momentum": 0.9,
                                            "gradient_accumulation_steps": 3,
                                            "clipnorm": 0.3, "weight_decay": 0.05}),
    "rmsprop_accumulation_ema": ("RMSprop", {"learning_rate": 0.01,
                                             "gradient_accumulation_steps": 2,
                                             "use_ema": True, "ema_momentum": 0.5}),
    "sgd_loss_scale": ("SGD", {"learning_rate": 0.1, "loss_scale_factor": 4.0}),
    "adam_loss_scale_accumulation": ("Adam", {"learning_rate": 0.05, "loss_scale_factor": 8.0,
                                              "gradient_accumulation_steps": 2}),
}


def run(class_name, kwargs, steps=4):
    opt = getattr(keras.optimizers, class_name)(**kwargs)
    variables = [keras.Variable(np.array(W0), name="w"), keras.Variable(np.array(B0), name="b"),
                 keras.Variable(np.array(T0), name="t")]
    after = []
    for grads in GRADS[:steps]:
        opt.apply([np.array(g) for g in grads], variables)
        after.append([np.asarray(v.numpy()).tolist() for v in variables])
    config = opt.get_config()
    config["learning_rate"] = float(config["learning_rate"])
    return {"class_name": class_name, "kwargs": kwargs, "after": after,
            "optimizer_variables": [[v.path, np.asarray(v.numpy()).tolist()]
                                    for v in opt.variables],
            "iterations": int(opt.iterations), "config": config}


def main():
    out = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
           "w0": W0, "b0": B0, "t0": T0, "grads": GRADS,
           "cases": {name: run(*case) for name, case in CASES.items()}}
    path = os.path.join(os.path.dirname(__file__), "data", "optimizers_keras_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path} with Keras {keras.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
