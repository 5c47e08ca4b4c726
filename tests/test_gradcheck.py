"""Float64 finite-difference checks of every backward pass: layer x activation x loss.

Each case builds ``Sequential([*body, head])``: the body is the layer under test
and the head is a ``Dense`` whose activation gives the loss a valid input
(sigmoid for binary cross-entropy on probabilities, softmax for categorical
cross-entropy on probabilities, raw outputs otherwise). ``check_gradients``
then compares every weight gradient and the input gradient with central
differences.
"""

import numpy as np
import pytest

from kerasite import Sequential, layers, losses
from kerasite.gradcheck import GradientReport, check_gradients

TOL = 1e-6
N_OUT = 3


def _away_from_zero(rng, shape, low=0.3, high=2.0):
    """Values with |v| in [low, high]: no ReLU kink within reach of the finite differences."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


# name -> (layers under test, input shape, training)
BODIES = {
    "dense": (lambda: [layers.Dense(3)], (4, 5), False),
    "dense_no_bias": (lambda: [layers.Dense(3, use_bias=False)], (4, 5), False),
    "dense_3d": (lambda: [layers.Dense(3)], (2, 3, 4), False),
    "dense_3d_no_bias": (lambda: [layers.Dense(3, use_bias=False)], (2, 3, 4), False),
    "flatten": (lambda: [layers.Flatten()], (3, 2, 2), False),
    "reshape": (lambda: [layers.Reshape((2, 2))], (3, 4), False),
    "reshape_inferred": (lambda: [layers.Reshape((-1, 3)), layers.Flatten()], (3, 6), False),
    "dropout_training": (lambda: [layers.Dropout(0.4)], (4, 5), True),
    "dropout_inference": (lambda: [layers.Dropout(0.4)], (4, 5), False),
    "relu": (lambda: [layers.ReLU()], (4, 5), False),
    "leaky_relu": (lambda: [layers.LeakyReLU(0.1)], (4, 5), False),
    "sigmoid": (lambda: [layers.Sigmoid()], (4, 5), False),
    "tanh": (lambda: [layers.Tanh()], (4, 5), False),
    "softmax": (lambda: [layers.Softmax()], (4, 5), False),
    "linear": (lambda: [layers.Linear()], (4, 5), False),
    "dense_relu": (lambda: [layers.Dense(4, activation="relu")], (4, 5), False),
    "dense_leaky_relu": (lambda: [layers.Dense(4, activation=layers.LeakyReLU(0.1))],
                         (4, 5), False),
    "dense_sigmoid": (lambda: [layers.Dense(4, activation="sigmoid")], (4, 5), False),
    "dense_tanh": (lambda: [layers.Dense(4, activation="tanh")], (4, 5), False),
    "dense_softmax": (lambda: [layers.Dense(4, activation="softmax")], (4, 5), False),
    "dense_linear": (lambda: [layers.Dense(4, activation="linear")], (4, 5), False),
}


def _one_hot(rng, shape):
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    return np.eye(shape[-1])[labels]


def _mae_targets(rng, pred):
    # |pred - y| >= 0.5 everywhere: far from the kink of |.| at 0.
    return pred + rng.choice([-1.0, 1.0], size=pred.shape) * rng.uniform(0.5, 1.0, pred.shape)


# name -> (loss, head activation, targets(rng, pred))
LOSSES = {
    "mse": (lambda: losses.MeanSquaredError(), None,
            lambda rng, pred: rng.normal(size=pred.shape)),
    "mae": (lambda: losses.MeanAbsoluteError(), None, _mae_targets),
    "bce": (lambda: losses.BinaryCrossentropy(), "sigmoid",
            lambda rng, pred: rng.integers(0, 2, size=pred.shape).astype(float)),
    "bce_logits": (lambda: losses.BinaryCrossentropy(from_logits=True), None,
                   lambda rng, pred: rng.integers(0, 2, size=pred.shape).astype(float)),
    "cce": (lambda: losses.CategoricalCrossentropy(), "softmax",
            lambda rng, pred: _one_hot(rng, pred.shape)),
    "cce_logits": (lambda: losses.CategoricalCrossentropy(from_logits=True), None,
                   lambda rng, pred: _one_hot(rng, pred.shape)),
    "scce": (lambda: losses.SparseCategoricalCrossentropy(), "softmax",
             lambda rng, pred: rng.integers(0, pred.shape[-1], size=pred.shape[:-1])),
    "scce_logits": (lambda: losses.SparseCategoricalCrossentropy(from_logits=True), None,
                    lambda rng, pred: rng.integers(0, pred.shape[-1], size=pred.shape[:-1])),
}


def _restart_masks(model):
    for layer in model.layers:
        if hasattr(layer, "set_epoch"):
            layer.set_epoch(0)


def _assert_no_kinks(model, x):
    """Pre-activations of every (leaky) ReLU in a Dense must be clear of 0."""
    for layer in model.layers:
        if isinstance(layer, layers.Dense) and isinstance(layer.activation,
                                                          (layers.ReLU, layers.LeakyReLU)):
            flat = x.reshape(-1, x.shape[-1])
            z = flat @ layer.W + (layer.b if layer.use_bias else 0.0)
            assert np.abs(z).min() > 1e-3, "test data sits on a ReLU kink; change the seed"
        x = layer.forward(x)


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("body_name", BODIES)
def test_backward_matches_finite_differences(float64, body_name, loss_name):
    make_body, in_shape, training = BODIES[body_name]
    make_loss, head_activation, make_targets = LOSSES[loss_name]
    rng = np.random.default_rng(0)
    model = Sequential([*make_body(), layers.Dense(N_OUT, activation=head_activation)])
    x = _away_from_zero(rng, in_shape)
    _restart_masks(model)
    pred = model.forward(x, training=training).copy()
    assert pred.dtype == np.float64
    _assert_no_kinks(model, x)
    y = make_targets(rng, pred)

    report = check_gradients(model, x, y, make_loss(), training=training)

    expected_rows = sum(len(layer.params) for layer in model.layers) + 1  # + the input
    assert len(report.rows) == expected_rows
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_dropout_case_really_drops_and_holds_its_mask(float64):
    """The ``dropout_training`` case above is only meaningful if the mask zeroes something."""
    layer = layers.Dropout(0.4)
    x = np.ones((4, 5))
    layer.set_epoch(0)
    first = layer.forward(x, training=True).copy()
    layer.set_epoch(0)
    second = layer.forward(x, training=True).copy()
    assert 0 < np.count_nonzero(first == 0) < first.size
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3)], ids=["2d", "3d"])
def test_loss_backward_matches_finite_differences(float64, loss_name, shape):
    """Each loss on its own: d loss / d y_pred against central differences."""
    make_loss, head_activation, make_targets = LOSSES[loss_name]
    rng = np.random.default_rng(1)
    raw = rng.normal(size=shape)
    if head_activation == "sigmoid":
        pred = 1 / (1 + np.exp(-raw))
    elif head_activation == "softmax":
        pred = np.exp(raw) * rng.uniform(0.5, 2.0, size=(*shape[:-1], 1))  # rows not summing to 1
    else:
        pred = raw
    y = make_targets(rng, pred)
    loss = make_loss()
    loss.forward(y, pred)
    analytic = loss.backward().copy()

    eps, numeric = 1e-6, np.zeros_like(pred)
    for i in np.ndindex(pred.shape):
        old = pred[i]
        pred[i] = old + eps
        plus = loss.forward(y, pred)
        pred[i] = old - eps
        minus = loss.forward(y, pred)
        pred[i] = old
        numeric[i] = (plus - minus) / (2 * eps)
    scale = np.abs(numeric).max()
    assert np.abs(analytic - numeric).max() / scale < TOL


def test_deep_model_with_every_kind_of_layer(float64):
    rng = np.random.default_rng(2)
    model = Sequential([
        layers.Reshape((6, 2)),
        layers.Flatten(),
        layers.Dense(5, activation="tanh"),
        layers.Dropout(0.3),
        layers.Dense(4, activation="sigmoid"),
        layers.LeakyReLU(0.1),
        layers.Dense(3, activation="softmax"),
    ])
    x = rng.normal(size=(3, 12))
    y = np.eye(3)[[0, 2, 1]]
    report = check_gradients(model, x, y, "categorical_crossentropy", training=True)
    assert len(report.rows) == 7
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_activation_instance_shared_by_two_dense_layers(float64):
    """Each Dense keeps its own cache, even when handed the same activation object."""
    rng = np.random.default_rng(3)
    act = layers.LeakyReLU(0.2)
    model = Sequential([layers.Dense(4, activation=act), layers.Dense(3, activation=act)])
    x = _away_from_zero(rng, (5, 2))
    report = check_gradients(model, x, rng.normal(size=(5, 3)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_check_gradients_on_a_single_layer(float64):
    rng = np.random.default_rng(4)
    layer = layers.Dense(3, activation="tanh", name="probe")
    report = check_gradients(layer, rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), "mse")
    assert [row[0] for row in report.rows] == ["probe/W", "probe/b", "input"]
    assert [row[1] for row in report.rows] == [(2, 3), (3,), (4, 2)]
    assert report.max_rel_diff < TOL
    text = str(report)
    assert "probe/W" in text and "max rel diff" in text


class _WrongReLU(layers.ReLU):
    """ReLU whose backward is off by a factor of 2."""

    def gradient(self, g, z, out):
        return super().gradient(2 * g, z, out)


class _ForgetfulDense(layers.Dense):
    """Dense that forgets to fill its bias gradient."""

    def backward(self, grad_output, need_input_grad=True):
        dx = super().backward(grad_output, need_input_grad)
        self.db[...] = 0
        return dx


def test_check_gradients_catches_a_wrong_input_gradient(float64):
    rng = np.random.default_rng(5)
    model = Sequential([_WrongReLU(), layers.Dense(2)])
    report = check_gradients(model, _away_from_zero(rng, (3, 4)), rng.normal(size=(3, 2)), "mse")
    rows = {row[0]: row for row in report.rows}
    assert rows["input"][3] > 0.1
    assert report.max_rel_diff > 0.1


def test_check_gradients_catches_a_wrong_weight_gradient(float64):
    rng = np.random.default_rng(6)
    layer = _ForgetfulDense(2, name="forgetful")
    report = check_gradients(layer, rng.normal(size=(3, 4)), rng.normal(size=(3, 2)), "mse")
    rows = {row[0]: row for row in report.rows}
    assert rows["forgetful/b"][3] == pytest.approx(1.0)  # |0 - g| / |g|
    assert rows["forgetful/W"][3] < TOL


def test_report_maxima():
    report = GradientReport([("a", (2,), 1e-3, 1e-5), ("b", (3,), 2e-4, 4e-5)])
    assert report.max_abs_diff == 1e-3
    assert report.max_rel_diff == 4e-5


def test_check_gradients_accepts_lists(float64):
    layer = layers.Dense(1, activation="sigmoid")
    report = check_gradients(layer, [[0.5, -1.0], [2.0, 0.3]], [[1.0], [0.0]],
                             "binary_crossentropy")
    assert report.max_rel_diff < TOL


def test_float32_inputs_are_checked_in_float64(float64):
    # float32 data used to stay float32, and rounding then swamped the 1e-5 step
    # (input rows around 1e-3). check_gradients now casts x and y to float64.
    rng = np.random.default_rng(3)
    layer = layers.Dense(3, activation="tanh")
    x = rng.normal(size=(4, 2)).astype("float32")
    y = rng.normal(size=(4, 3)).astype("float32")
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < 1e-6
