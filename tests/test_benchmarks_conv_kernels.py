"""benchmarks/conv_kernels.py: both sides of each pair compute the same thing, and the table prints.

Speed is never asserted here; the script is run on a tiny batch.
"""

import numpy as np
import pytest

from kerasite import backend

pytestmark = pytest.mark.skipif(not backend.accelerator_available(),
                                reason="numba is not installed: python -m pip install -e '.[fast]'")


@pytest.fixture
def conv_kernels():
    from benchmarks import conv_kernels

    threads, accelerated = backend.get_num_threads(), backend.use_accelerator(True)
    yield conv_kernels
    backend.set_num_threads(threads)
    backend.use_accelerator(accelerated)


def test_the_direct_prototypes_compute_what_im2col_and_the_product_compute(conv_kernels):
    from kerasite.backend import kernels

    rng = np.random.default_rng(0)
    x = rng.random((2, 9, 8, 3), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 3, 5), dtype=np.float32)
    out = np.empty((2, 4, 3, 5), np.float32)  # stride 2, "valid"
    conv_kernels.direct_conv2d(x, kernel, 2, 2, out)
    cols = kernels.im2col.reference(x, 3, 3, (2, 2), (1, 1), (4, 3),
                                    np.empty((2, 4, 3, 3, 3, 3), np.float32)).reshape(24, -1)
    np.testing.assert_allclose(out.reshape(24, 5), cols @ kernel.reshape(-1, 5), rtol=1e-5,
                               atol=1e-5)
    g = rng.standard_normal((2, 4, 3, 5), dtype=np.float32)
    dk = np.empty_like(kernel)
    conv_kernels.direct_kernel_grad(x, g, 2, 2, dk)
    np.testing.assert_allclose(dk.reshape(-1, 5), cols.T @ g.reshape(24, 5), rtol=1e-5,
                               atol=1e-5)


def test_the_table_has_every_shape_and_pass(conv_kernels, capsys):
    conv_kernels.main(["--batch", "2", "--repeats", "1", "--threads", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = lines[2:]
    convs = [s for s in conv_kernels.SHAPES if s[1] == "conv"]
    assert len(rows) == 2 * len(convs) + (len(conv_kernels.SHAPES) - len(convs))
    for name, *_ in conv_kernels.SHAPES:
        assert any(row.startswith(name) for row in rows), name
    # Two images are far below DIRECT_MIN_VALUES: im2col everywhere.
    assert all(row.split()[-1] == "im2col" for row in rows)
