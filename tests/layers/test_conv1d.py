"""Tests of the 1D, depthwise and separable layers (layers/conv.py, separable.py, pooling.py,
reshaping.py, dropout.py) and of ``pad_sequences`` (utils/sequence_utils.py).

Outputs and input and weight gradients are compared with Keras 3's from the same
weights: tests/data/conv1d_keras_reference.json, computed with Keras 3.15.1 on JAX in
float64 by tests/layers/make_conv1d_keras_reference.py. Each option also gets a float64
finite-difference gradient check (more in tests/layers/test_layer_table.py).
"""

import json
import pathlib

import numpy as np
import pytest

import kerasite
from kerasite import Sequential, layers
from kerasite.gradcheck import check_gradients
from kerasite.layers import Conv1D, Conv1DTranspose
from kerasite.utils import pad_sequences

# Every test runs with the NumPy kernels and again with numba's twins (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("both_kernels")

REFERENCE = json.loads((pathlib.Path(__file__).resolve().parents[1] / "data" /
                        "conv1d_keras_reference.json").read_text())
TOL = 1e-6
# Keras's tanh and mean compute in float32 even under float64 (its result_type of float64
# and float32 is float32), so these two references hold float32 roundings.
_KERAS_FLOAT32_PATH = {"conv1d_causal_dilated", "global_average_pooling1d"}


# ------------------------------------------------------------ parity with Keras 3
@pytest.mark.parametrize("name", sorted(REFERENCE["layers"]))
def test_outputs_and_gradients_match_keras(name, float64):
    case = REFERENCE["layers"][name]
    layer = getattr(layers, case["class_name"])(**case["args"])
    x = np.array(case["x"])
    layer.ensure_built(x.shape)
    assert [w.name for w in layer.weights] == case["weight_names"]
    layer.set_weights([np.array(w) for w in case["weights"]])
    kwargs = {k: np.array(v) for k, v in case["call"].items()}
    y = layer.call(x, training=True, **kwargs) if kwargs else layer.forward(x, training=True)
    tol = {"rtol": 1e-6, "atol": 1e-7} if name in _KERAS_FLOAT32_PATH else \
        {"rtol": 1e-10, "atol": 1e-12}
    np.testing.assert_allclose(y, case["y"], **tol)
    dx = layer.backward(np.array(case["g"]))
    np.testing.assert_allclose(dx, case["dx"], **tol)
    for variable, want in zip(layer.weights, case["dweights"]):
        np.testing.assert_allclose(variable._grad, want, err_msg=variable.name, **tol)


@pytest.mark.parametrize("name", sorted(REFERENCE["pad_sequences"]))
def test_pad_sequences_matches_keras(name):
    case = REFERENCE["pad_sequences"][name]
    got = pad_sequences(case["sequences"], **case["kwargs"])
    assert str(got.dtype) == case["dtype"]
    np.testing.assert_array_equal(got, np.array(case["result"], dtype=case["dtype"]))


# ------------------------------------------------------------- hand-computed values
def test_causal_conv1d_sees_only_the_past():
    # Kernel [1, 10] over x = [1, 2, 3]: y[t] = x[t - 1] + 10 x[t], zero before the start.
    layer = Conv1D(1, 2, padding="causal", use_bias=False)
    layer.ensure_built((None, 3, 1))
    layer.set_weights([np.array([1.0, 10.0]).reshape(2, 1, 1)])
    y = layer.forward(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))
    np.testing.assert_allclose(y[0, :, 0], [10.0, 21.0, 32.0])


def test_dilated_causal_conv1d_skips_steps():
    # dilation 2: y[t] = x[t - 2] + 10 x[t]
    layer = Conv1D(1, 2, padding="causal", dilation_rate=2, use_bias=False)
    layer.ensure_built((None, 4, 1))
    layer.set_weights([np.array([1.0, 10.0]).reshape(2, 1, 1)])
    y = layer.forward(np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1))
    np.testing.assert_allclose(y[0, :, 0], [10.0, 20.0, 31.0, 42.0])


def test_groups_keep_the_channels_apart():
    # Two groups of one channel: filter 0 sees only channel 0, filter 1 only channel 1.
    layer = Conv1D(2, 1, groups=2, use_bias=False)
    layer.ensure_built((None, 2, 2))
    layer.set_weights([np.array([[[2.0, 3.0]]])])  # (k=1, in/groups=1, filters=2)
    y = layer.forward(np.array([[[1.0, 10.0], [2.0, 20.0]]]))
    np.testing.assert_allclose(y[0], [[2.0, 30.0], [4.0, 60.0]])


def test_global_average_pooling1d_mask_excludes_masked_steps():
    x = np.array([[[1.0], [3.0], [100.0]]])
    layer = layers.GlobalAveragePooling1D()
    layer.ensure_built(x.shape)
    np.testing.assert_allclose(layer.call(x, mask=np.array([[1, 1, 0]])), [[2.0]])
    np.testing.assert_allclose(layer.backward(np.array([[1.0]])), [[[0.5], [0.5], [0.0]]])
    np.testing.assert_allclose(layer.call(x), [[104.0 / 3]])  # no mask: every step


def test_conv1d_equals_conv2d_on_an_image_one_pixel_high():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 9, 2)).astype("float32")
    one = Conv1D(4, 3, strides=2, padding="same", dilation_rate=1, activation="relu")
    two = layers.Conv2D(4, (1, 3), strides=(1, 2), padding="same", activation="relu")
    one.ensure_built(x.shape)
    two.ensure_built((None, 1, 9, 2))
    two.set_weights([one.get_weights()[0][None], one.get_weights()[1]])
    np.testing.assert_allclose(one.forward(x, training=True),
                               two.forward(x[:, None], training=True)[:, 0], rtol=1e-6)
    g = rng.normal(size=(3, 5, 4)).astype("float32")
    np.testing.assert_allclose(one.backward(g), two.backward(g[:, None])[:, 0], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(one.dW, two.dW[0], rtol=1e-5, atol=1e-6)


def test_predicting_one_row_at_a_time_equals_the_batch():
    model = Sequential([layers.Input((10, 2)), Conv1D(3, 3, padding="causal", activation="relu"),
                        layers.MaxPooling1D(), layers.SeparableConv1D(2, 2, padding="same"),
                        layers.GlobalAveragePooling1D()])
    x = np.random.default_rng(1).normal(size=(4, 10, 2)).astype("float32")
    whole = model.predict(x, verbose=0)
    rows = np.concatenate([model.predict(x[i:i + 1], verbose=0) for i in range(4)])
    np.testing.assert_allclose(rows, whole, rtol=1e-6, atol=1e-7)


# -------------------------------------------------------- float64 gradient checks
CONV1D_CASES = {
    "valid": {},
    "causal": {"padding": "causal"},
    "causal_dilated": {"padding": "causal", "dilation_rate": 2},
    "causal_strided_relu": {"padding": "causal", "strides": 2, "activation": "relu"},
    "same_dilated": {"padding": "same", "dilation_rate": 3},
    "groups": {"groups": 2},
    "groups_causal_dilated": {"groups": 2, "padding": "causal", "dilation_rate": 2,
                              "activation": "tanh"},
    "no_bias": {"use_bias": False, "strides": 3},
}


@pytest.mark.parametrize("kwargs", CONV1D_CASES.values(), ids=CONV1D_CASES.keys())
def test_conv1d_gradients(kwargs, float64):
    layer = Conv1D(4, 3, **kwargs)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 9, 4))
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


@pytest.mark.parametrize("kwargs", [{}, {"strides": 2, "padding": "same"},
                                    {"strides": 3, "dilation_rate": 2, "activation": "tanh"}])
def test_conv1d_transpose_gradients(kwargs, float64):
    layer = Conv1DTranspose(3, 3, **kwargs)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 2))
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", strides=2), (2, 5, 5, 2)),
    (lambda: layers.DepthwiseConv2D((2, 3), dilation_rate=(2, 1), activation="relu"),
     (2, 5, 5, 3)),
    (lambda: layers.SeparableConv2D(3, 2, depth_multiplier=2, activation="tanh"), (2, 4, 5, 2)),
    (lambda: layers.SeparableConv1D(3, 3, strides=2, padding="same"), (2, 7, 2)),
    (lambda: layers.SeparableConv1D(2, 2, dilation_rate=2, use_bias=False), (2, 7, 3)),
], ids=["depthwise_same_strided", "depthwise_dilated_relu", "separable2d", "separable1d",
        "separable1d_dilated"])
def test_depthwise_and_separable_gradients(make, shape, float64):
    layer = make()
    rng = np.random.default_rng(4)
    x = rng.normal(size=shape)
    y = rng.normal(size=layer.compute_output_shape(x.shape))
    report = check_gradients(layer, x, y, "mse")
    assert report.max_rel_diff < TOL, report


def test_spatial_dropout_gradients_hold_the_mask(float64):
    model = Sequential([layers.Input((6, 3)), Conv1D(4, 2), layers.SpatialDropout1D(0.5, seed=3),
                        layers.GlobalMaxPooling1D()])
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3, 6, 3)), rng.normal(size=(3, 4))
    report = check_gradients(model, x, y, "mse", training=True)
    assert report.max_rel_diff < TOL, report


def test_a_small_1d_convnet_gradients(float64):
    # The first layer gets need_input_grad=False from the model: its weights must still be right.
    model = Sequential([layers.Input((12, 2)), Conv1D(3, 3, padding="causal", activation="relu"),
                        layers.AveragePooling1D(2), layers.UpSampling1D(2),
                        layers.ZeroPadding1D(1), layers.Cropping1D((0, 2)),
                        Conv1DTranspose(2, 2, strides=2, activation="tanh"),
                        layers.GlobalAveragePooling1D(), layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(3, 12, 2)), np.eye(3)[[0, 2, 1]]
    report = check_gradients(model, x, y, "categorical_crossentropy")
    assert report.max_rel_diff < TOL, report


# ----------------------------------------------------------- pre-activation hooks
def test_pre_activation_hooks_match_call_and_backward(float64):
    layer = Conv1D(3, 3, padding="causal", activation="tanh", groups=1)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 6, 2))
    out = layer.forward(x, training=True).copy()
    g = rng.normal(size=out.shape)
    dx = layer.backward(g).copy()
    dW = layer.dW.copy()
    a, z = layer.call_with_pre_activation(x, training=True)
    np.testing.assert_allclose(a, out)
    np.testing.assert_allclose(np.tanh(z), out)
    np.testing.assert_allclose(layer.backward_from_pre_activation(g * (1 - out ** 2)), dx)
    np.testing.assert_allclose(layer.dW, dW)


# -------------------------------------------------------------- spatial dropout
def test_spatial_dropout1d_drops_whole_channels_and_scales_the_rest():
    layer = layers.SpatialDropout1D(0.5, seed=0)
    y = layer.forward(np.ones((8, 5, 6), dtype="float32"), training=True)
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))  # same at every step
    g = layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(g, y)
    np.testing.assert_array_equal(layer.forward(np.ones((2, 5, 6)), training=False), 1.0)


def test_spatial_dropout2d_drops_whole_feature_maps():
    y = layers.SpatialDropout2D(0.5, seed=1).forward(np.ones((4, 3, 3, 5)), training=True)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :1], y.shape))
    assert 0 < (y == 0).mean() < 1


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, message", [
    (lambda: Conv1D(3, 2, groups=2), r"`filters` must be a multiple of `groups`\. Received: "
                                      r"filters=3, groups=2"),
    (lambda: Conv1D(2, 2, padding="full"),
     r'`padding` must be "valid", "same" or "causal"\. Received: padding=\'full\''),
    (lambda: Conv1D(2, (2, 2)), r"`kernel_size` must be a positive integer or a tuple of 1 "
                                r"positive integer\. Received: kernel_size=\(2, 2\)"),
    (lambda: Conv1D(2, 2, data_format="channels_first"),
     r'`data_format` must be "channels_last" \(or None\)'),
    (lambda: Conv1DTranspose(2, 2, padding="causal"),
     r'`padding` must be "valid" or "same"\. Received: padding=\'causal\''),
    (lambda: Conv1DTranspose(2, 2, output_padding=1), r"`output_padding` must be None"),
    (lambda: layers.DepthwiseConv2D(2, depth_multiplier=0), r"`depth_multiplier` must be"),
    (lambda: layers.MaxPooling1D(0), r"`pool_size` must be a positive integer"),
    (lambda: layers.UpSampling1D(0), r"`size` must be a positive integer\. Received: size=0"),
    (lambda: layers.ZeroPadding1D(-1), r"`padding` must be a non-negative integer or a tuple"),
    (lambda: layers.Cropping1D((1, 2, 3)), r"`cropping` must be a non-negative integer"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_input_channels_must_split_into_the_groups():
    with pytest.raises(ValueError, match=r"the input's 3 channels do not split into groups=2"):
        Conv1D(4, 2, groups=2).ensure_built((None, 5, 3))


@pytest.mark.parametrize("layer", [Conv1D(2, 2), layers.MaxPooling1D(), layers.UpSampling1D(),
                                   layers.GlobalAveragePooling1D(), layers.SeparableConv1D(2, 2)],
                         ids=lambda layer: type(layer).__name__)
def test_a_2d_input_to_a_1d_layer_says_how_to_reshape(layer):
    with pytest.raises(ValueError, match=r"expects inputs of rank 3, \(batch, steps, channels\)\. "
                                         r"Received an input of shape \(4, 10\)\. Add a channel "
                                         r"axis with Reshape\(\(steps, 1\)\)"):
        layer.forward(np.zeros((4, 10)))


def test_a_kernel_longer_than_the_input_is_refused():
    with pytest.raises(ValueError, match=r"spans 5 steps, more than the input's 4"):
        Conv1D(2, 3, dilation_rate=2).ensure_built((None, 4, 1))
    with pytest.raises(ValueError, match=r"pool_size=\(3,\) is longer than the input's 2 steps"):
        layers.MaxPooling1D(3).ensure_built((None, 2, 1))


def test_a_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"the mask must have the shape \(batch, steps\) = "
                                         r"\(2, 3\) of its input\. Received a mask of shape \(2, 4\)"):
        layers.GlobalAveragePooling1D().call(np.ones((2, 3, 1)), mask=np.ones((2, 4)))


def test_cropping_everything_is_refused():
    with pytest.raises(ValueError, match=r"removes all of an input of 3 steps"):
        layers.Cropping1D((2, 1)).ensure_built((None, 3, 1))


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "middle"}, r'`padding` must be "pre" or "post"\. Received: padding=\'middle\''),
    ({"truncating": "both"},
     r'`truncating` must be "pre" or "post"\. Received: truncating=\'both\''),
    ({"maxlen": -1}, r"`maxlen` must be a non-negative integer or None\. Received: maxlen=-1"),
    ({"maxlen": 2.5}, r"`maxlen` must be a non-negative integer or None"),
    ({"value": "x"}, r"`value` is the string 'x', which the numeric `dtype` 'int32' cannot hold"),
])
def test_pad_sequences_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1, 2], [3]], **kwargs)


def test_pad_sequences_refuses_bad_sequences():
    with pytest.raises(ValueError, match=r"the one at position 1 is 5\. Wrap single values"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"`sequences` must be a list of sequences, such as"):
        pad_sequences(7)
    with pytest.raises(ValueError, match=r"The steps of the sequence at position 1 have shape "
                                         r"\(3,\), but those of the first non-empty sequence "
                                         r"have shape \(2,\)"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


def test_pad_sequences_pads_strings_with_object_dtype():
    got = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert got.tolist() == [["<pad>", "a"], ["b", "c"]]


def test_pad_sequences_has_keras_older_path():
    from kerasite.preprocessing.sequence import pad_sequences as old

    assert old is pad_sequences
    assert kerasite.preprocessing.sequence.pad_sequences is pad_sequences
    assert kerasite.utils.pad_sequences is pad_sequences
