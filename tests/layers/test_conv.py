"""Tests of kerasite/layers/conv.py: Conv2D and Conv2DTranspose.

Forward values come from a hand computation, from a naive loop written here,
and from Keras 3 (values hard-coded below); every option gets a float64
finite-difference gradient check.
"""

import json

import numpy as np
import pytest

import kerasite
from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Conv2D, Conv2DTranspose

# Every test runs with the NumPy kernels and again with numba's twins (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("both_kernels")

TOL = 1e-6


def pattern(shape, mod=7, shift=3, div=2.0):
    """Deterministic small values, the same formula as the script that queried Keras."""
    return ((np.arange(np.prod(shape)) % mod - shift) / div).reshape(shape).astype("float32")


def naive_conv2d(x, W, b, strides, padding, dilation):
    """A loop over output pixels and kernel taps: slow, obviously right."""
    n, h, w, _ = x.shape
    kh, kw, _, f = W.shape
    (sh, sw), (dh, dw) = strides, dilation
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        ho, wo = -(-h // sh), -(-w // sw)
        th, tw = max((ho - 1) * sh + eh - h, 0), max((wo - 1) * sw + ew - w, 0)
        x = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    else:
        ho, wo = (h - eh) // sh + 1, (w - ew) // sw + 1
    out = np.zeros((n, ho, wo, f))
    for r in range(ho):
        for c in range(wo):
            for i in range(kh):
                for j in range(kw):
                    out[:, r, c, :] += x[:, r * sh + i * dh, c * sw + j * dw, :] @ W[i, j]
    return out + b


def naive_conv2d_transpose(x, W, b, strides):
    """Scatter: input pixel (r, c) adds value * kernel onto the patch at (r*sh, c*sw), "valid"."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = W.shape
    sh, sw = strides
    out = np.zeros((n, h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0), f))
    for r in range(h):
        for c in range(w):
            for i in range(kh):
                for j in range(kw):
                    out[:, r * sh + i, c * sw + j, :] += x[:, r, c, :] @ W[i, j].T
    return out + b


# ------------------------------------------------------------------ shapes, layout
def test_conv2d_weights_use_keras_layout_and_order():
    layer = Conv2D(4, (3, 2))
    out = layer.forward(np.zeros((2, 7, 6, 3), dtype="float32"))
    assert out.shape == (2, 5, 5, 4)
    assert list(layer.params) == ["W", "b"]
    assert layer.W.shape == (3, 2, 3, 4) and layer.b.shape == (4,)
    assert layer.dW.shape == layer.W.shape and layer.count_params() == 3 * 2 * 3 * 4 + 4


def test_conv2d_transpose_weights_use_keras_layout_filters_before_inputs():
    layer = Conv2DTranspose(4, (3, 2), strides=2)
    out = layer.forward(np.zeros((2, 5, 6, 3), dtype="float32"))
    assert layer.W.shape == (3, 2, 4, 3) and layer.b.shape == (4,)
    assert out.shape == (2, 11, 12, 4)  # 5*2 + max(3-2, 0), 6*2 + max(2-2, 0)


@pytest.mark.parametrize("layer, shape, expected", [
    (Conv2D(2, 3), (None, 28, 28, 1), (None, 26, 26, 2)),
    (Conv2D(2, 3, padding="same"), (None, 28, 28, 1), (None, 28, 28, 2)),
    (Conv2D(2, 3, strides=2, padding="same"), (None, 7, 8, 1), (None, 4, 4, 2)),
    (Conv2D(2, 3, strides=2), (None, 7, 8, 1), (None, 3, 3, 2)),
    (Conv2D(2, 3, dilation_rate=2), (None, 7, 8, 1), (None, 3, 4, 2)),
    (Conv2D(2, (1, 5), strides=(1, 3)), (None, 4, 11, 1), (None, 4, 3, 2)),
    (Conv2DTranspose(2, 3, strides=2, padding="same"), (None, 7, 4, 1), (None, 14, 8, 2)),
    (Conv2DTranspose(2, 3, strides=2), (None, 7, 4, 1), (None, 15, 9, 2)),
    (Conv2DTranspose(2, 2, strides=3), (None, 2, 3, 1), (None, 6, 9, 2)),
    (Conv2DTranspose(2, 3, dilation_rate=2), (None, 2, 3, 1), (None, 6, 7, 2)),
])
def test_compute_output_shape_matches_forward(layer, shape, expected):
    assert layer.compute_output_shape(shape) == expected
    out = layer.forward(np.zeros((3, *shape[1:]), dtype="float32"))
    assert out.shape == (3, *expected[1:])


# ------------------------------------------------------------------ forward values
def test_conv2d_by_hand():
    # x = [[0 1 2] [3 4 5] [6 7 8]], kernel of ones 2x2, bias 1: each output is
    # the sum of a 2x2 window plus 1, e.g. 0 + 1 + 3 + 4 + 1 = 9.
    layer = Conv2D(1, 2, kernel_initializer="ones", bias_initializer="ones")
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(layer.forward(x)[0, :, :, 0], [[9, 13], [21, 25]])


def test_conv2d_transpose_by_hand():
    # Stride 2, kernel [[1 2] [3 4]]: each input value stamps value * kernel on
    # its own 2x2 block; x = [1, 10] gives [[1 2 10 20] [3 4 30 40]].
    layer = Conv2DTranspose(1, 2, strides=2, use_bias=False)
    x = np.array([1.0, 10.0], dtype="float32").reshape(1, 1, 2, 1)
    layer.forward(x)
    layer.set_weights([np.array([[1, 2], [3, 4]], dtype="float32").reshape(2, 2, 1, 1)])
    np.testing.assert_array_equal(layer.forward(x)[0, :, :, 0], [[1, 2, 10, 20], [3, 4, 30, 40]])


CONV_CASES = {
    # name: (input (h, w), kernel, strides, padding, dilation)
    "valid": ((5, 6), (3, 3), (1, 1), "valid", (1, 1)),
    "same": ((5, 6), (3, 3), (1, 1), "same", (1, 1)),
    "non_square_kernel": ((5, 6), (3, 2), (1, 1), "valid", (1, 1)),
    "strides_same_odd": ((7, 5), (3, 3), (2, 2), "same", (1, 1)),
    "strides_valid_odd": ((7, 5), (3, 3), (2, 2), "valid", (1, 1)),
    "uneven_strides": ((7, 8), (2, 3), (3, 2), "same", (1, 1)),
    "stride_larger_than_kernel": ((9, 8), (2, 2), (3, 3), "valid", (1, 1)),
    "stride_larger_than_kernel_same": ((9, 8), (2, 1), (3, 3), "same", (1, 1)),
    "dilation_valid": ((7, 6), (3, 2), (1, 1), "valid", (2, 2)),
    "dilation_same": ((6, 7), (2, 3), (1, 1), "same", (2, 1)),
    "dilation_and_strides": ((9, 9), (2, 2), (2, 2), "valid", (2, 2)),
    "one_by_one": ((3, 4), (1, 1), (1, 1), "valid", (1, 1)),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d_matches_a_naive_loop(case, float64):
    hw, k, s, pad, d = CONV_CASES[case]
    layer = Conv2D(3, k, strides=s, padding=pad, dilation_rate=d,
                   bias_initializer="glorot_uniform")
    x = np.random.default_rng(0).normal(size=(2, *hw, 2))
    np.testing.assert_allclose(layer.forward(x), naive_conv2d(x, layer.W, layer.b, s, pad, d),
                               atol=1e-12)


@pytest.mark.parametrize("k, s", [((3, 3), (2, 2)), ((2, 2), (3, 3)), ((3, 2), (1, 2)),
                                  ((2, 3), (2, 2))])
def test_conv2d_transpose_valid_matches_a_naive_scatter(k, s, float64):
    layer = Conv2DTranspose(3, k, strides=s, bias_initializer="glorot_uniform")
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 2))
    np.testing.assert_allclose(layer.forward(x), naive_conv2d_transpose(x, layer.W, layer.b, s),
                               atol=1e-12)


def test_conv2d_transpose_is_the_adjoint_of_conv2d(float64):
    # <conv(u), v> = <u, conv_transpose(v)> for the same kernel and no bias.
    rng = np.random.default_rng(2)
    for padding in ("valid", "same"):
        conv = Conv2D(3, (3, 2), strides=2, padding=padding, use_bias=False)
        u = rng.normal(size=(2, 8, 7, 2))
        cu = conv.forward(u)
        tconv = Conv2DTranspose(2, (3, 2), strides=2, padding=padding, use_bias=False)
        v = rng.normal(size=cu.shape)
        tconv.forward(v)
        tconv.set_weights([conv.W])  # (kh, kw, in, out) of conv is (kh, kw, filters, in) here
        tv = tconv.forward(v)
        # "valid" skips u's last row and column (8 - 3 is odd): the transpose stops short of them.
        h, w = min(u.shape[1], tv.shape[1]), min(u.shape[2], tv.shape[2])
        np.testing.assert_allclose(np.sum(cu * v), np.sum(u[:, :h, :w] * tv[:, :h, :w]),
                                   rtol=1e-10)


# Values from Keras 3.15.1 (JAX backend): the layer called on pattern((1, h, w, 2)),
# kernel set to pattern(kernel_shape, 5, 2, 4.0), bias 0.5, output [0, :, :, 0].
KERAS_CONV = {
    "conv2d_same_strides": (
        lambda: Conv2D(1, (3, 2), strides=(2, 3), padding="same"), (5, 4),
        [[-0.25, 1.125], [0.25, 1.125], [0.125, 0.5]]),
    "conv2d_same_dilation": (
        lambda: Conv2D(1, (2, 2), dilation_rate=2, padding="same"), (5, 4),
        [[0.5, 0.0, 0.625, 0.25], [0.375, 1.125, 0.375, 1.5], [0.375, 1.625, 0.0, -0.625],
         [0.375, 0.375, 1.375, -0.125], [0.875, 0.125, -0.375, 1.5]]),
    "transpose_valid_stride_above_kernel": (
        lambda: Conv2DTranspose(1, 2, strides=3), (2, 3),
        [[1.5, 0.25, 0.5, 0.75, 0.5, 0.5, 0.0, 0.75, 0.5],
         [0.25, 0.875, 0.5, 0.25, 0.625, 0.5, 0.25, 0.375, 0.5],
         [0.5] * 9,
         [0.125, 0.125, 0.5, 1.125, 0.375, 0.5, 0.375, 0.625, 0.5],
         [2.0, 0.125, 0.5, 0.25, 0.75, 0.5, 0.25, 0.5, 0.5],
         [0.5] * 9]),
    "transpose_same_3x3_stride_2": (
        lambda: Conv2DTranspose(1, 3, strides=2, padding="same"), (3, 2),
        [[1.5, 0.25, 0.5, 0.5], [0.875, -0.375, 1.625, 0.375], [-0.25, 0.5, 0.25, -0.125],
         [0.375, 1.125, -0.375, 0.125], [1.375, 0.125, -0.375, 2.125],
         [0.75, 0.0, 1.125, 0.75]]),
    "transpose_same_4x3_strides_2_3": (
        lambda: Conv2DTranspose(1, (4, 3), strides=(2, 3), padding="same"), (2, 3),
        [[0.875, -0.375, 1.5, 0.625, 0.375, 0.75, 0.375, 1.125, 0.0],
         [-0.125, -0.125, 2.375, 1.125, 0.125, 0.375, 0.625, 0.375, 0.125],
         [-0.75, 1.125, -0.125, 0.625, 0.25, 1.125, 1.125, 0.25, 0.625],
         [0.125, 2.0, 0.125, 0.375, 0.25, 0.75, 0.625, 0.25, 0.5]]),
    "transpose_valid_3x2_strides_2_1": (
        lambda: Conv2DTranspose(1, (3, 2), strides=(2, 1)), (2, 2),
        [[1.5, 0.5, 0.5], [0.25, 0.625, 0.625], [-0.875, 1.25, 0.375], [0.25, 1.875, 0.125],
         [1.125, -0.375, 0.125]]),
}


@pytest.mark.parametrize("case", sorted(KERAS_CONV))
def test_forward_matches_keras(case):
    make, hw, expected = KERAS_CONV[case]
    layer = make()
    x = pattern((1, *hw, 2))
    layer.forward(x)
    layer.set_weights([pattern(layer.W.shape, 5, 2, 4.0), np.array([0.5], dtype="float32")])
    np.testing.assert_allclose(layer.forward(x)[0, :, :, 0], expected, atol=1e-6)


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("case", sorted(CONV_CASES))
@pytest.mark.parametrize("activation, use_bias", [(None, True), ("tanh", False)])
def test_conv2d_gradients(case, activation, use_bias, float64):
    hw, k, s, pad, d = CONV_CASES[case]
    layer = Conv2D(3, k, strides=s, padding=pad, dilation_rate=d, activation=activation,
                   use_bias=use_bias)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, *hw, 2))
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


TRANSPOSE_CASES = {
    "valid_stride_1": ((3, 4), (3, 3), (1, 1), "valid", (1, 1)),
    "valid_stride_2": ((3, 4), (3, 3), (2, 2), "valid", (1, 1)),
    "same_stride_2": ((3, 4), (3, 3), (2, 2), "same", (1, 1)),
    "same_non_square": ((3, 3), (4, 3), (2, 3), "same", (1, 1)),
    "stride_larger_than_kernel": ((3, 3), (2, 2), (3, 3), "valid", (1, 1)),
    "stride_larger_than_kernel_same": ((3, 2), (2, 1), (3, 3), "same", (1, 1)),
    "dilation": ((3, 3), (2, 3), (1, 1), "valid", (2, 1)),
    "dilation_same": ((3, 3), (3, 2), (1, 1), "same", (2, 2)),
}


@pytest.mark.parametrize("case", sorted(TRANSPOSE_CASES))
@pytest.mark.parametrize("activation, use_bias", [(None, True), ("sigmoid", False)])
def test_conv2d_transpose_gradients(case, activation, use_bias, float64):
    hw, k, s, pad, d = TRANSPOSE_CASES[case]
    layer = Conv2DTranspose(2, k, strides=s, padding=pad, dilation_rate=d,
                            activation=activation, use_bias=use_bias)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, *hw, 3))
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


def test_gradients_through_a_small_convnet(float64):
    # The first layer gets need_input_grad=False from the model: its weights must still be right.
    model = Sequential([Conv2D(3, 3, padding="same", activation="tanh"), layers.MaxPooling2D(),
                        Conv2DTranspose(2, 2, strides=2, activation="tanh"), layers.Flatten(),
                        layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 6, 5, 2))
    y = np.eye(3)[[0, 2, 1]]
    report = check_gradients(model, x, y, "categorical_crossentropy")
    assert report.max_rel_diff < TOL, report


def test_backward_without_input_gradient_still_fills_the_weight_gradients():
    layer = Conv2D(2, 3, padding="same")
    x = np.random.default_rng(0).random((2, 5, 5, 1), dtype=np.float32)
    layer.forward(x, training=True)
    g = np.ones((2, 5, 5, 2), dtype=np.float32)
    assert layer.backward(g, need_input_grad=False) is None
    np.testing.assert_allclose(layer.db, [50, 50])  # 2 samples * 25 pixels



@pytest.mark.parametrize("make", [
    lambda: Conv2D(3, 3, padding="same", activation="relu"),
    lambda: Conv2D(3, (2, 3), strides=2),
    lambda: Conv2DTranspose(3, 3, strides=2, padding="same"),
])
def test_a_second_backward_of_one_forward_gives_the_same_gradients(make):
    # Conv2D's input gradient overwrites its im2col copy, and Conv2DTranspose's
    # backward reuses the forward's scratch: a second backward of the same forward
    # (a persistent tape asked twice) must not see those buffers spent.
    layer = make()
    rng = np.random.default_rng(6)
    x = rng.random((2, 6, 7, 2), dtype=np.float32)
    y = layer.forward(x, training=True)
    g = rng.standard_normal(y.shape).astype(np.float32)
    first = layer.backward(g).copy()
    first_grads = [w._grad.copy() for w in layer.weights]
    second = layer.backward(g)
    np.testing.assert_array_equal(second, first)
    for w, expected in zip(layer.weights, first_grads):
        np.testing.assert_array_equal(w._grad, expected)


@pytest.fixture
def first_layer_kernel(monkeypatch):
    """The fused first-layer backward at every size; its calls are counted.

    The layer takes it for large gradients with the accelerator on only; here it
    takes it always, so that both_kernels runs it once as the NumPy reference and
    once as numba's twin.
    """
    from kerasite.layers import conv

    monkeypatch.setattr(conv, "conv2d_relu_backward_pays", lambda channels, size: True)
    calls = []
    original = conv.conv2d_relu_backward
    monkeypatch.setattr(conv, "conv2d_relu_backward",
                        lambda *args: calls.append("fused") or original(*args))
    return calls


@pytest.mark.parametrize("case", ["valid", "strides_same_odd", "dilation_same"])
def test_the_first_layer_relu_backward_gradients(case, first_layer_kernel, float64):
    # A model's first Conv2D gets need_input_grad=False; with a ReLU on 1 to 4
    # channels it takes the fused backward. Its weight gradients must equal the
    # im2col path's (need_input_grad=True), which the finite differences check.
    hw, k, s, pad, d = CONV_CASES[case]
    layer = Conv2D(3, k, strides=s, padding=pad, dilation_rate=d, activation="relu",
                   bias_initializer="ones")
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, *hw, 2))
    report = check_gradients(layer, x, rng.normal(size=layer.compute_output_shape(x.shape)),
                             "mse")
    assert report.max_rel_diff < TOL, report
    assert first_layer_kernel == []  # with an input gradient, the im2col path
    out = layer.forward(x, training=True)
    g = rng.normal(size=out.shape)
    layer.backward(g, need_input_grad=True)
    expected = [w._grad.copy() for w in layer.weights]
    assert layer.backward(g, need_input_grad=False) is None
    assert first_layer_kernel == ["fused"]
    for w, want in zip(layer.weights, expected):
        np.testing.assert_allclose(w._grad, want, rtol=1e-12, atol=1e-12)


def test_the_first_layer_relu_backward_is_not_taken_where_it_does_not_pay():
    from kerasite.backend import kernels

    assert not kernels.conv2d_relu_backward_pays(1, kernels.DIRECT_MIN_VALUES - 1)
    assert not kernels.conv2d_relu_backward_pays(kernels.DIRECT_MAX_CHANNELS + 1, 10 ** 9)

# ------------------------------------------------------------------ models, saving
def _convnet():
    return Sequential([
        kerasite.Input((8, 8, 1)),
        Conv2D(4, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        Conv2D(4, (2, 3), strides=(1, 2), dilation_rate=1),
        Conv2DTranspose(2, 3, strides=2, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((16, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 3, 16)
    model = _convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "convnet.kerasite")
    loaded = kerasite.models.load_model(tmp_path / "convnet.kerasite")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_predicting_one_row_at_a_time_matches_the_batch():
    x = np.random.default_rng(1).random((5, 8, 8, 1), dtype=np.float32)
    model = _convnet()
    batch = model.predict(x)
    rows = np.concatenate([model.predict(x[i:i + 1]) for i in range(5)])
    np.testing.assert_allclose(rows, batch, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [
    Conv2D(3, (2, 3), strides=2, padding="same", dilation_rate=1, activation="relu",
           use_bias=False, kernel_initializer="he_normal"),
    Conv2DTranspose(3, 3, strides=(2, 1), padding="valid", activation=layers.LeakyReLU(0.2)),
])
def test_config_is_json_and_rebuilds_the_same_layer(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_activation_instances_are_not_shared():
    act = layers.ReLU()
    a, b = Conv2D(1, 1, activation=act), Conv2D(1, 1, activation=act)
    assert a.activation is not b.activation


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make", [lambda: Conv2D(2, 3), lambda: Conv2DTranspose(2, 3)])
def test_wrong_rank_is_a_clear_error(make):
    with pytest.raises(ValueError, match=r"expects inputs of rank 4, \(batch, height, width, "
                                         r"channels\)\. Received an input of shape \(2, 28, 28\)"):
        make().forward(np.zeros((2, 28, 28), dtype="float32"))


def test_kernel_larger_than_the_padded_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"the kernel \(5, 5\) with dilation_rate=\(1, 1\) spans "
                                         r"\(5, 5\) pixels, larger than the padded input \(4, 6\)"):
        Conv2D(2, 5).forward(np.zeros((1, 4, 6, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"spans \(5, 3\) pixels"):
        Conv2D(2, 3, dilation_rate=(2, 1)).compute_output_shape((None, 4, 6, 1))


def test_same_padding_accepts_a_kernel_larger_than_the_input():
    assert Conv2D(2, 5, padding="same").forward(np.zeros((1, 3, 3, 1))).shape == (1, 3, 3, 2)


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "full"}, r'`padding` must be "valid" or "same"\. Received: padding=\'full\''),
    ({"padding": None}, r'`padding` must be "valid" or "same"\. Received: padding=None'),
    ({"filters": 0}, r"`filters` must be a positive integer\. Received: filters=0"),
    ({"filters": 2.5}, r"`filters` must be a positive integer\. Received: filters=2\.5"),
    ({"kernel_size": (3, 0)}, r"`kernel_size` must be a positive integer or a tuple of 2 "
                              r"positive integers\. Received: kernel_size=\(3, 0\)"),
    ({"kernel_size": (3, 3, 3)}, r"`kernel_size` must be .* Received: kernel_size=\(3, 3, 3\)"),
    ({"strides": 0}, r"`strides` must be a positive integer .* Received: strides=0"),
    ({"dilation_rate": "2"}, r"`dilation_rate` must be .* Received: dilation_rate='2'"),
    ({"activation": "swoosh"}, r"swoosh"),
])
@pytest.mark.parametrize("cls", [Conv2D, Conv2DTranspose])
def test_invalid_arguments_are_clear_errors(cls, kwargs, message):
    args = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        cls(**args)


def test_padding_is_case_insensitive_as_in_keras():
    assert Conv2D(1, 3, padding="SAME").padding == "same"


def test_conv_kernel_regularizer_and_constraint_reach_fit():
    # Issue 13: the penalty is added to the loss fit reports, as for Dense.
    from kerasite import Sequential, constraints, regularizers

    model = Sequential([kerasite.Input((3, 3, 1)),
                        layers.Conv2D(1, 2, use_bias=False, kernel_initializer="ones",
                                      kernel_regularizer=regularizers.l2(0.1),
                                      kernel_constraint=constraints.NonNeg()),
                        layers.Flatten()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((1, 3, 3, 1), dtype="float32")
    y = np.zeros((1, 4), dtype="float32")
    # outputs 0, mse 0; penalty 0.1 * 4 (four ones in the kernel)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.4, rel=1e-6)
    model.fit(x, np.full((1, 4), -100.0, dtype="float32"), epochs=1, verbose=0)
    assert (model.layers[0].W >= 0).all()
