"""A custom layer, proved right by gradient checking, then trained and saved.

``Swish`` computes ``y = x * sigmoid(beta * x)`` with one trainable ``beta``
per feature. It is written the way every kerasite layer is: ``build`` makes
the weight, ``call`` caches what ``backward`` needs, and ``backward`` fills
``grads["beta"]`` and returns the input gradient. The maths, with
``s = sigmoid(beta x)`` and ``s' = s (1 - s)``:

    dy/dx    = s + beta x s'
    dy/dbeta = x**2 s'

The script (1) compares those gradients with central finite differences in
float64, (2) trains a digits classifier whose hidden layer uses Swish, and
(3) saves and reloads the model, which works because ``Swish`` is registered
with ``kerasite.layers.register``.

Run:  python examples/custom_layer.py [--epochs 30] [--out runs/swish]
"""

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np

import kerasite
from kerasite import datasets, layers, plotting
from kerasite.gradcheck import check_gradients
from kerasite.models import load_model


@layers.register
class Swish(layers.Layer):
    """``x * sigmoid(beta * x)`` with a trainable ``beta`` per feature.

    Args:
        beta: the initial value of every ``beta`` (1.0 gives the SiLU).

    Shapes:
        input and output ``(batch, features)``; ``beta`` is ``(features,)``.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise ValueError(f"`beta` must be a number. Received: beta={beta!r}.")
        self.beta = float(beta)

    def build(self, input_shape):
        self.add_weight("beta", (input_shape[-1],),
                        lambda shape, dtype: np.full(shape, self.beta, dtype=dtype))
        super().build(input_shape)

    def call(self, x, training=False):
        beta = self.params["beta"]
        # sigmoid(t) = (1 + tanh(t / 2)) / 2 never overflows, unlike 1 / (1 + exp(-t)).
        self.x, self.s = x, 0.5 * (1.0 + np.tanh(0.5 * beta * x))
        return x * self.s

    def backward(self, grad_output, need_input_grad=True):
        x, s, beta = self.x, self.s, self.params["beta"]
        ds = s * (1.0 - s)                                              # sigmoid'(beta x)
        np.sum(grad_output * x * x * ds, axis=0, out=self.grads["beta"])  # dL/dbeta
        if not need_input_grad:
            return None
        return grad_output * (s + beta * x * ds)                        # dL/dx

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


def gradient_check(seed):
    """Checks Swish alone and inside a small model, in float64; returns the reports."""
    kerasite.config.set_floatx("float64")  # before building: the weights take this dtype
    try:
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
        alone = check_gradients(Swish(beta=0.7, name="swish_alone"), x, y, "mse")
        model = kerasite.Sequential([
            kerasite.Input((5,)),
            layers.Dense(4, name="dense_in"),
            Swish(beta=1.3, name="swish_inside"),
            layers.Dense(3, activation="softmax", name="dense_out"),
        ])
        labels = np.eye(3)[rng.integers(0, 3, size=6)]
        inside = check_gradients(model, x, labels, "categorical_crossentropy")
    finally:
        kerasite.config.set_floatx("float32")
    return alone, inside


def plot_betas(betas, path):
    """The learned Swish curves: the smallest, median and largest beta, and their histogram."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    t = np.linspace(-5, 5, 201)
    for label, b in (("min", betas.min()), ("median", np.median(betas)), ("max", betas.max())):
        left.plot(t, t * 0.5 * (1 + np.tanh(0.5 * b * t)), label=f"{label} beta = {b:.2f}")
    left.plot(t, np.maximum(t, 0), color="grey", linestyle=":", label="ReLU")
    left.set_title("Learned Swish curves")
    left.set_xlabel("x")
    left.set_ylabel("x sigmoid(beta x)")
    left.grid(True, alpha=0.3)
    left.legend()
    right.hist(betas, bins=20, color="C0")
    right.axvline(1.0, color="grey", linestyle="--", label="initial beta")
    right.set_title(f"beta of the {len(betas)} hidden units after training")
    right.set_xlabel("beta")
    right.legend()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30,
                        help="epochs to train the Swish classifier (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=64,
                        help="units of the hidden Dense + Swish layer (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of weights, shuffling and the split (default: %(default)s)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder for the figures and the saved model "
                        "(default: runs/<timestamp>)")
    args = parser.parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)

    # ---- 1. gradient check --------------------------------------------------------
    alone, inside = gradient_check(args.seed)
    print("Gradient check of Swish alone (float64, mse):")
    print(alone)
    print("\nGradient check of Dense -> Swish -> Dense softmax (float64, cross-entropy):")
    print(inside)
    worst = max(alone.max_rel_diff, inside.max_rel_diff)
    print(f"\nmax relative difference: {worst:.2e} "
          f"({'passes' if worst < 1e-6 else 'FAILS'} the 1e-6 bar)")

    # ---- 2. train with it ------------------------------------------------------------
    (x_train, y_train), (x_test, y_test) = datasets.digits.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255
    model = kerasite.Sequential([
        kerasite.Input((64,)),
        layers.Dense(args.hidden),
        Swish(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32,
                        verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    betas = model.layers[1].params["beta"]
    print(f"\ndigits, Dense {args.hidden} -> Swish -> Dense 10 softmax, {args.epochs} epochs:")
    print(f"  test loss {loss:.4f}  test accuracy {accuracy:.4f}")
    print(f"  learned beta: min {betas.min():.3f}  median {np.median(betas):.3f}  "
          f"max {betas.max():.3f}  (all started at 1.0)")

    # ---- 3. save and load: the registry knows Swish -----------------------------------
    path = out / "swish_model.kerasite"
    model.save(path)
    reloaded = load_model(path)
    same = np.array_equal(reloaded.predict(x_test), model.predict(x_test))
    print(f"\nsaved to {path.name} and loaded back: {type(reloaded.layers[1]).__name__} layer, "
          f"predictions identical: {same}")

    plotting.plot_history(history, path=out / "history.png",
                          title=f"8x8 digits, MLP 64-{args.hidden}-Swish-10: training loss "
                                "and accuracy (no validation split)")
    plot_betas(betas, out / "swish_betas.png")
    print(f"figures are in {out}/")
    return {"max_rel_diff": worst, "test_accuracy": accuracy, "reload_identical": same}


if __name__ == "__main__":
    main()
