"""Shared fixtures: every test starts and ends with the default float type and a fixed seed."""

import pytest

from kerasite import config, utils

SEED = 1234

# The scripts that compute reference values with Keras (tests/**/make_*.py) run Keras
# when started by hand; --doctest-modules must not import them into the test process.
collect_ignore_glob = ["make_*.py", "*/make_*.py"]


@pytest.fixture(autouse=True)
def _reset_numeric_globals():
    """Restores ``floatx`` to float32 and reseeds kerasite's generator around each test.

    Tests that switch to float64 (gradient checks) cannot leak it into the next
    test, and weights drawn without an explicit seed repeat from run to run.
    """
    config.set_floatx("float32")
    utils.set_random_seed(SEED)
    yield
    config.set_floatx("float32")
    utils.set_random_seed(SEED)


@pytest.fixture
def float64():
    """Builds layers in float64 for the duration of the test (for gradient checks)."""
    config.set_floatx("float64")
    yield


@pytest.fixture(params=["numpy", "accelerated"])
def both_kernels(request):
    """Runs a test twice: with the NumPy reference kernels, then with numba's twins.

    The references are ``kerasite/backend/kernels.py``, the twins
    ``kerasite/backend/numba_kernels.py``; ``kerasite.backend`` switches between them.

    A test module opts in with ``pytestmark = pytest.mark.usefixtures("both_kernels")``.
    The accelerated run is skipped when numba is not installed.
    """
    from kerasite import backend

    if request.param == "accelerated" and not backend.accelerator_available():
        pytest.skip("numba is not installed: python -m pip install -e '.[fast]'")
    previous = backend.use_accelerator(request.param == "accelerated")
    yield request.param
    backend.use_accelerator(previous)
