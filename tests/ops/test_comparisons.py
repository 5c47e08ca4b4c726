"""Comparisons and logic in kerasite.ops: NumPy's values, plain arrays, symbolic nodes.

There is nothing to differentiate: under a tape they return plain arrays, and
a ``where`` that selects with them still passes the gradient of the branch taken.
"""

import numpy as np
import pytest

import kerasite
from kerasite import GradientTape, ops

A = np.array([[0.0, 1.5, -2.0], [np.nan, 3.0, np.inf]])
B = np.array([[0.0, 1.0, -2.0], [1.0, 4.0, 2.0]])

BINARY = [("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
          ("greater_equal", np.greater_equal), ("less", np.less), ("less_equal", np.less_equal),
          ("logical_and", np.logical_and), ("logical_or", np.logical_or)]
UNARY = [("logical_not", np.logical_not), ("isnan", np.isnan), ("isfinite", np.isfinite),
         ("floor", np.floor), ("ceil", np.ceil), ("round", np.round)]


@pytest.mark.parametrize("name, reference", BINARY, ids=[n for n, _ in BINARY])
def test_binary_comparisons_equal_numpys(name, reference):
    np.testing.assert_array_equal(getattr(ops, name)(A, B), reference(A, B))


@pytest.mark.parametrize("name, reference", UNARY, ids=[n for n, _ in UNARY])
def test_unary_ops_equal_numpys(name, reference):
    np.testing.assert_array_equal(getattr(ops, name)(A), reference(A))


def test_any_and_all_over_axes():
    x = np.array([[True, False], [False, False]])
    assert ops.any(x) and not ops.all(x)
    assert ops.any(x, axis=1).tolist() == [True, False]
    assert ops.all(~x, axis=0, keepdims=True).tolist() == [[False, True]]


def test_under_a_tape_they_give_plain_arrays_and_where_keeps_the_gradient():
    x = ops.convert_to_tensor(np.array([-1.0, 2.0, 3.0]))
    with GradientTape() as tape:
        tape.watch(x)
        mask = ops.greater(x, 0.0)
        y = ops.sum(ops.where(mask, x * x, 0.0))
    assert type(mask) is np.ndarray and mask.dtype == bool
    assert float(y) == 13.0
    assert tape.gradient(y, x).tolist() == [0.0, 4.0, 6.0]  # 2x where x > 0


def test_on_symbolic_tensors_they_are_graph_nodes():
    # The masking guide's compute_mask: ops.not_equal(inputs, 0) on an Input.
    inp = kerasite.Input((4,))
    model = kerasite.Model(inp, ops.cast(ops.not_equal(inp, 0), "float32"))
    out = model.predict(np.array([[0.0, 5.0, 0.0, -1.0]]), verbose=0)
    assert out.tolist() == [[0.0, 1.0, 0.0, 1.0]]
