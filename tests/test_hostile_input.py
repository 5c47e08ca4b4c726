"""Hostile and broken input, thrown by hypothesis at the public entry points.

Every call must either work (right shape, right dtype) or raise a ValueError or
TypeError that kerasite itself raised, with a message, never a NumPy error
from deep inside, another exception type, or a hang.
"""

import traceback
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import kerasite
from kerasite import layers, losses
from kerasite.datasets import read_idx
from kerasite.models import Autoencoder

# derandomize: CI runs the same examples every time; explore with a random seed locally
# (pytest --hypothesis-seed=random) when changing the checks.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

DTYPES = st.sampled_from(["float32", "float64", "int64", "uint8", "bool", "complex128", "<U3",
                          "object"])


@st.composite
def arrays(draw, min_dims=0, max_dims=3):
    """Arrays of any dtype we may meet, any small shape, with NaN, inf, huge and empty cases."""
    dtype = np.dtype(draw(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=4))
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8)
    elif dtype.kind == "c":
        elements = st.complex_numbers(allow_nan=False, max_magnitude=10)
    elif dtype.kind == "U":
        elements = st.text(alphabet="ab01 .", max_size=3)
    elif dtype.kind == "O":
        elements = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none())
    else:
        elements = None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def near_valid(draw, features, n=None):
    """Arrays of the right shape: valid, one NaN/inf/huge value off, or of a wrong dtype."""
    n = draw(st.integers(1, 5)) if n is None else n
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "uint8", "bool",
                                  "complex128", "<U3"]))
    elements = st.complex_numbers(max_magnitude=5) if dtype == "complex128" else None
    a = draw(hnp.arrays(dtype, (n, features), elements=elements))
    if dtype.startswith("float"):
        a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0).clip(-1e3, 1e3).astype(dtype)
        spoil = draw(st.sampled_from([None, None, np.nan, np.inf, -np.inf, 1e300]))
        if spoil is not None and not (spoil == 1e300 and dtype == "float32"):
            a.flat[draw(st.integers(0, a.size - 1))] = spoil
    return a


def inputs(features):
    return st.one_of(near_valid(features), arrays())


def is_acceptable(a, features):
    """True when ``a`` is a legal input for ``features`` features: real, finite, right shape."""
    return (a.dtype.kind in "fiub" and a.ndim == 2 and a.shape[0] > 0 and a.shape[1] == features
            and bool(np.isfinite(a.astype(np.float64)).all())
            and float(np.abs(a.astype(np.float64)).max()) < float(np.finfo(np.float32).max))


def is_clean_input(a, features):
    """Legal and of moderate size, so the outputs must be finite too."""
    return is_acceptable(a, features) and float(np.abs(a.astype(np.float64)).max()) < 1e6


def assert_clean_error(exc):
    """The error is ours: a ValueError/TypeError raised by kerasite code, with a message."""
    assert isinstance(exc, (ValueError, TypeError)), f"unexpected {type(exc).__name__}: {exc}"
    innermost = traceback.extract_tb(exc.__traceback__)[-1]
    assert "kerasite" in innermost.filename, (
        f"raised from {innermost.filename}:{innermost.lineno}, not by kerasite's own checks: {exc}")
    assert len(str(exc)) > 30


def call(fn, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            # Legal but huge values may overflow; kerasite then warns in its own words.
            warnings.filterwarnings("ignore", message=".*(overflowed|became|NaN or infinite)",
                                    category=UserWarning)
            result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point is to inspect every failure
        event(f"{getattr(fn, '__name__', 'loss')}: {type(exc).__name__}")
        return None, exc
    event(f"{getattr(fn, '__name__', 'loss')}: accepted")
    return result, None


@pytest.fixture(scope="module")
def model():
    kerasite.utils.set_random_seed(0)
    m = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(4, activation="tanh"),
                             layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    return m


@SETTINGS
@given(x=inputs(3))
def test_predict(model, x):
    out, exc = call(model.predict, x)
    if is_clean_input(x, 3):
        assert exc is None, exc
        assert out.shape == (len(x), 2) and out.dtype == np.float32 and np.isfinite(out).all()
    elif exc is not None:
        assert_clean_error(exc)
    else:  # accepted although not clean: only legal input, e.g. huge but finite floats
        assert is_acceptable(x, 3), f"accepted an illegal input: {x!r}"
        assert out.shape == (len(x), 2)


@SETTINGS
@given(data=st.data())
def test_fit_and_evaluate(model, data):
    x = data.draw(inputs(3))
    y = data.draw(st.one_of(near_valid(2, n=len(x)) if x.ndim and len(x) else arrays(),
                            arrays()))
    weights = model.get_weights()
    for method in (model.evaluate, model.fit):
        result, exc = call(method, x, y, verbose=0)
        valid = is_clean_input(x, 3) and is_clean_input(y, 2) and len(x) == len(y)
        if valid:
            assert exc is None, exc
        elif exc is not None:
            assert_clean_error(exc)
        else:
            assert is_acceptable(x, 3) and is_acceptable(y, 2) and len(x) == len(y)
    model.set_weights(weights)


@SETTINGS
@given(y=st.one_of(near_valid(2), arrays()))
def test_fit_rejects_mismatched_targets_before_training(model, y):
    weights = model.get_weights()
    _, exc = call(model.fit, np.zeros((4, 3)), y, verbose=0)
    if not (is_acceptable(y, 2) and len(y) == 4):
        assert exc is not None
        assert_clean_error(exc)
        assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    model.set_weights(weights)


@pytest.fixture(scope="module")
def autoencoder():
    kerasite.utils.set_random_seed(0)
    ae = Autoencoder.dense(input_shape=(4,), hidden=(3,), latent_dim=2)
    ae.compile(optimizer="adam", loss="mse")
    return ae


@SETTINGS
@given(x=inputs(4))
def test_encode(autoencoder, x):
    out, exc = call(autoencoder.encode, x)
    if is_clean_input(x, 4):
        assert exc is None, exc
        assert out.shape == (len(x), 2)
    elif exc is not None:
        assert_clean_error(exc)
    else:
        assert is_acceptable(x, 4), f"accepted an illegal input: {x!r}"


LOSSES = [losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.BinaryCrossentropy(),
          losses.BinaryCrossentropy(from_logits=True), losses.CategoricalCrossentropy(),
          losses.CategoricalCrossentropy(from_logits=True),
          losses.SparseCategoricalCrossentropy(from_logits=True)]


@SETTINGS
@given(loss=st.sampled_from(LOSSES), data=st.data())
def test_losses(loss, data):
    y_pred = data.draw(st.one_of(near_valid(3), arrays()))
    y_true = data.draw(st.one_of(
        near_valid(3, n=len(y_pred)) if y_pred.ndim == 2 and len(y_pred) else arrays(),
        st.just(np.arange(len(y_pred)) % 3) if y_pred.ndim == 2 else arrays(),
        arrays()))
    with np.errstate(all="ignore"):  # NaN in, NaN out is allowed; errors are the question
        value, exc = call(loss, y_true, y_pred)
        if exc is None:
            assert isinstance(value, float)
            grad = loss.backward()
            assert grad.shape == np.asarray(y_pred).shape
        else:
            assert_clean_error(exc)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_idx_reader_on_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("idx") / "random-idx1-ubyte"
    path.write_bytes(data)
    result, exc = call(read_idx, path)
    if exc is not None:
        assert isinstance(exc, ValueError), exc
        assert str(path.name) in str(exc) or "IDX" in str(exc)
    else:  # random bytes that happen to form a valid IDX file
        assert isinstance(result, np.ndarray)


# Sizes an attacker picks: small, at the edges of int32/int64 products, and the largest
# a 4-byte IDX dimension can hold.
IDX_DIMS = st.one_of(st.integers(0, 40), st.sampled_from([2**16, 2**21, 2**22, 2**31 - 1,
                                                           2**31, 2**32 - 1]))


@SETTINGS
@given(ndim=st.sampled_from([1, 3]), dims=st.lists(IDX_DIMS, min_size=3, max_size=3),
       n_data=st.integers(0, 64), packed=st.booleans())
@example(ndim=3, dims=[2**22, 2**21, 2**21], n_data=0, packed=False)  # 2**64: wrapped to 0
@example(ndim=3, dims=[2**32 - 1, 2**32 - 1, 2**32 - 1], n_data=7, packed=True)
def test_idx_reader_on_headers_that_lie(tmp_path_factory, ndim, dims, n_data, packed):
    # Issue 15, item 11: any declared shape, honest or not, gives a clean error or the
    # right array, and the reader never allocates for data the file does not hold.
    import gzip
    import math
    import tracemalloc

    shape = dims[:ndim]
    raw = b"".join(d.to_bytes(4, "big") for d in (0x800 | ndim, *shape)) + bytes(n_data)
    path = tmp_path_factory.mktemp("idx") / "lying-idx-ubyte"
    path.write_bytes(gzip.compress(raw) if packed else raw)
    tracemalloc.start()
    try:
        result, exc = call(read_idx, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak / 2**20:.0f} MiB for a {len(raw)}-byte file"
    if exc is not None:
        assert_clean_error(exc)
        assert path.name in str(exc), exc  # kerasite's messages name the file; NumPy's do not
    else:
        assert math.prod(shape) == n_data and result.shape == tuple(shape)


def test_a_value_too_large_for_float32_is_named_even_beside_a_nan(model):
    # Found by test_fit_and_evaluate: NaN made min/max NaN, which hid 3.4028236e38
    # (above float32's largest) from the check, and the cast overflowed.
    x = np.array([3.40282357e+38, np.nan])
    for method in (model.evaluate, model.fit):
        with pytest.raises(ValueError, match=r"`x` has 1 values too large for float32"):
            method(x, np.zeros((2, 2), np.float32), verbose=0)
