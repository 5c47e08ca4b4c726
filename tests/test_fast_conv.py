"""The 2D layers' compiled twins (kerasite/backend/numba_kernels.py) against their references.

The references are the marked kernels of kerasite/backend/kernels.py. Each
twin must give its reference's result: bit for bit where both only move
or compare numbers (im2col, max pooling), within float32 rounding where the
order of additions differs (col2im, the bias sum).
"""

import numpy as np
import pytest

from kerasite import backend
from kerasite.backend import kernels

pytestmark = pytest.mark.skipif(not backend.accelerator_available(),
                                reason="numba is not installed: python -m pip install -e '.[fast]'")

# (batch, height, width, channels, kernel, strides, dilation)
GEOMETRIES = [
    (2, 7, 6, 1, (3, 3), (1, 1), (1, 1)),   # greyscale: the few-channels path
    (3, 9, 8, 3, (2, 3), (2, 1), (1, 2)),   # RGB, non-square kernel, dilation
    (2, 8, 8, 16, (3, 3), (1, 1), (1, 1)),  # many channels: the slice path
    (1, 11, 10, 9, (2, 2), (3, 3), (1, 1)), # stride larger than the kernel
    (2, 5, 5, 8, (5, 5), (1, 1), (1, 1)),   # a kernel as large as the image
]


@pytest.fixture(autouse=True)
def _accelerated():
    previous = backend.use_accelerator(True)
    yield
    backend.use_accelerator(previous)


def _windows(geometry, dtype, rng):
    n, h, w, c, (kh, kw), (sh, sw), (dh, dw) = geometry
    ho = (h - ((kh - 1) * dh + 1)) // sh + 1
    wo = (w - ((kw - 1) * dw + 1)) // sw + 1
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    return x, (kh, kw), (sh, sw), (dh, dw), (ho, wo)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_im2col_and_col2im_match_numpy(geometry, dtype):
    rng = np.random.default_rng(0)
    x, (kh, kw), strides, dilation, (ho, wo) = _windows(geometry, dtype, rng)
    shape = (len(x), ho, wo, kh, kw, x.shape[3])
    fast = kernels.im2col(x, kh, kw, strides, dilation, (ho, wo), np.empty(shape, dtype))
    ref = kernels.im2col.reference(x, kh, kw, strides, dilation, (ho, wo),
                                    np.empty(shape, dtype))
    np.testing.assert_array_equal(fast, ref)

    cols = rng.standard_normal(shape).astype(dtype)
    fast = kernels.col2im(cols, strides, dilation, np.full(x.shape, np.nan, dtype))
    ref = kernels.col2im.reference(cols, strides, dilation, np.empty(x.shape, dtype))
    np.testing.assert_allclose(fast, ref, rtol=1e-6 if dtype == "float32" else 1e-13, atol=1e-6)


def test_im2col_reads_a_non_contiguous_input():
    # The gradient a Cropping2D passes back, or a crop of the padded image, is a view.
    rng = np.random.default_rng(1)
    big = rng.standard_normal((2, 10, 10, 2)).astype("float32")
    x = big[:, 1:8, 2:9]
    shape = (2, 5, 5, 3, 3, 2)
    fast = kernels.im2col(x, 3, 3, (1, 1), (1, 1), (5, 5), np.empty(shape, "float32"))
    ref = kernels.im2col.reference(x, 3, 3, (1, 1), (1, 1), (5, 5), np.empty(shape, "float32"))
    np.testing.assert_array_equal(fast, ref)



# (batch, height, width, channels, filters, kernel, strides, dilation)
FIRST_LAYERS = [
    (3, 9, 8, 1, 32, (3, 3), (1, 1), (1, 1)),  # keras.io's convnet's first layer, small
    (2, 9, 9, 3, 5, (3, 2), (2, 1), (1, 2)),   # RGB, non-square, strided, dilated
    (17, 6, 6, 4, 3, (2, 2), (1, 1), (1, 1)),  # more images than the twin's 16 chunks
    (1, 5, 5, 2, 1, (5, 5), (1, 1), (1, 1)),   # one image, one filter, the whole image
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("geometry", FIRST_LAYERS)
def test_conv2d_relu_backward_matches_numpy(geometry, dtype):
    n, h, w, c, f, (kh, kw), strides, dilation = geometry
    ho = (h - ((kh - 1) * dilation[0] + 1)) // strides[0] + 1
    wo = (w - ((kw - 1) * dilation[1] + 1)) // strides[1] + 1
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    g = rng.standard_normal((n, ho, wo, f)).astype(dtype)
    a = np.maximum(rng.standard_normal((n, ho, wo, f)), 0).astype(dtype)  # a ReLU's output
    fast = np.full((kh, kw, c, f), np.nan, dtype), np.full(f, np.nan, dtype)
    ref = np.empty((kh, kw, c, f), dtype), np.empty(f, dtype)
    kernels.conv2d_relu_backward(x, g, a, strides, dilation, *fast)
    kernels.conv2d_relu_backward.reference(x, g, a, strides, dilation, *ref)
    # The twin sums in float64, the reference's products in the data's type.
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, expected in zip(fast, ref):
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * np.sqrt(n * ho * wo))


def test_conv2d_relu_backward_equals_the_relu_pass_and_the_im2col_product():
    # The reference against the path it replaces, in float64: dz = g * (a > 0),
    # db = sum of dz, dK = cols^T dz.
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 7, 6, 3))
    g, a = rng.standard_normal((2, 5, 4, 4)), np.maximum(rng.standard_normal((2, 5, 4, 4)), 0)
    dk, db = np.empty((3, 3, 3, 4)), np.empty(4)
    kernels.conv2d_relu_backward.reference(x, g, a, (1, 1), (1, 1), dk, db)
    cols = kernels.im2col.reference(x, 3, 3, (1, 1), (1, 1), (5, 4), np.empty((2, 5, 4, 3, 3, 3)))
    dz = (g * (a > 0)).reshape(-1, 4)
    np.testing.assert_allclose(dk.reshape(-1, 4), cols.reshape(len(dz), -1).T @ dz, rtol=1e-12)
    np.testing.assert_allclose(db, dz.sum(axis=0), rtol=1e-12)


def test_conv2d_relu_backward_leaves_a_non_contiguous_input_to_the_reference():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 9, 9, 1)).astype("float32")[:, 1:8, 1:8]  # a view
    g = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    a = np.ones_like(g)
    fast, ref = (np.empty((3, 3, 1, 2), "float32"), np.empty(2, "float32")), \
        (np.empty((3, 3, 1, 2), "float32"), np.empty(2, "float32"))
    kernels.conv2d_relu_backward(x, g, a, (1, 1), (1, 1), *fast)
    kernels.conv2d_relu_backward.reference(x, g, a, (1, 1), (1, 1), *ref)
    np.testing.assert_array_equal(fast[0], ref[0])


def test_the_first_layer_dispatch_follows_the_shape_and_the_switch(monkeypatch):
    big = kernels.DIRECT_MIN_VALUES
    assert not kernels.conv2d_relu_backward_pays(1, big)  # off by default: it lost, measured
    monkeypatch.setattr(kernels, "FUSED_FIRST_CONV", True)
    assert kernels.conv2d_relu_backward_pays(1, big)
    assert kernels.conv2d_relu_backward_pays(kernels.DIRECT_MAX_CHANNELS, big)
    assert not kernels.conv2d_relu_backward_pays(kernels.DIRECT_MAX_CHANNELS + 1, big)
    assert not kernels.conv2d_relu_backward_pays(1, big - 1)  # the VAE's 0.8 M values
    backend.use_accelerator(False)
    assert not kernels.conv2d_relu_backward_pays(1, big)

@pytest.mark.parametrize("pool, strides, size", [
    ((2, 2), (2, 2), (8, 8)),  # tiled: each input cell in one window
    ((2, 2), (2, 2), (9, 7)),  # the last row and column in no window
    ((3, 3), (2, 2), (9, 9)),  # overlapping windows
    ((2, 3), (3, 4), (8, 11)), # gaps between windows
])
def test_max_pool_and_its_gradient_match_numpy(pool, strides, size):
    rng = np.random.default_rng(2)
    # Rounded values make ties, which must go to the first cell in both.
    x = np.round(rng.standard_normal((3, *size, 5)), 1).astype("float32")
    ho, wo = ((s - p) // st + 1 for s, p, st in zip(size, pool, strides))
    y_fast, y_ref = np.empty((3, ho, wo, 5), "float32"), np.empty((3, ho, wo, 5), "float32")
    a_fast = kernels.max_pool(x, pool, strides, y_fast, np.empty(y_fast.shape, np.uint8))
    a_ref = kernels.max_pool.reference(x, pool, strides, y_ref, np.empty(y_ref.shape, np.uint8))
    np.testing.assert_array_equal(y_fast, y_ref)
    np.testing.assert_array_equal(a_fast, a_ref)

    g = rng.standard_normal(y_fast.shape).astype("float32")
    fast = kernels.max_pool_backward(g, a_ref, pool, strides, np.full(x.shape, np.nan, "float32"))
    ref = kernels.max_pool_backward.reference(g, a_ref, pool, strides, np.empty(x.shape, "float32"))
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-7)


def test_max_pool_keeps_a_nan_as_numpy_maximum_does():
    x = np.zeros((1, 2, 2, 1), "float32")
    x[0, 1, 0, 0] = np.nan
    y = np.empty((1, 1, 1, 1), "float32")
    kernels.max_pool(x, (2, 2), (2, 2), y, np.empty(y.shape, np.uint8))
    assert np.isnan(y[0, 0, 0, 0])


@pytest.mark.parametrize("rows, filters", [(1, 1), (37, 5), (5000, 32)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_relu_epilogue_matches_numpy(rows, filters, dtype):
    rng = np.random.default_rng(3)
    z = rng.standard_normal((rows, filters)).astype(dtype)
    b = rng.standard_normal(filters).astype(dtype)
    a_fast = kernels.bias_relu(z.copy(), b)
    a_ref = kernels.bias_relu.reference(z.copy(), b)
    np.testing.assert_array_equal(a_fast, a_ref)

    g = rng.standard_normal((rows, filters)).astype(dtype)
    db_fast, db_ref = np.empty(filters, dtype), np.empty(filters, dtype)
    out_fast = kernels.relu_grad_and_bias_sum(g, a_ref, np.empty_like(g), db_fast)
    out_ref = kernels.relu_grad_and_bias_sum.reference(g, a_ref, np.empty_like(g), db_ref)
    np.testing.assert_array_equal(out_fast, out_ref)
    # The twin sums in float64; the reference's BLAS sums in the data's type.
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(db_fast, db_ref, rtol=tol, atol=tol * np.sqrt(rows))


def test_the_switch_turns_the_twins_off():
    calls = []
    marked = kernels.bias_relu
    original = backend._FAST[marked.key]
    backend._FAST[marked.key] = lambda z, b: calls.append("twin") or original(z, b)
    try:
        z, b = np.ones((2, 3), "float32"), np.zeros(3, "float32")
        marked(z, b)
        backend.use_accelerator(False)
        marked(z, b)
    finally:
        backend._FAST[marked.key] = original
    assert calls == ["twin"]


def test_use_accelerator_checks_its_argument():
    with pytest.raises(TypeError, match=r"`enabled` must be True or False. Received: enabled='on'"):
        backend.use_accelerator("on")


def test_the_accelerator_threads_follow_set_num_threads():
    pytest.importorskip("threadpoolctl")
    import numba

    from kerasite import config

    before = config.get_num_threads()
    try:
        config.set_num_threads(1)
        assert numba.get_num_threads() == 1
        config.set_num_threads(2)
        assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
    finally:
        config.set_num_threads(before)
