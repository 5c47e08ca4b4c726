"""kerasite's one random generator, and the seeds drawn from it.

Initializers draw weights from the generator and layers without their own seed
draw their seeds from it, so ``set_random_seed`` makes a whole run
reproducible. Randomness used *during* training (shuffling, dropout masks) is
derived from ``(seed, epoch)`` so that a run resumed at epoch ``k`` sees exactly
the batches and masks it would have seen.
"""

import numpy as np

_rng = np.random.default_rng()


def set_random_seed(seed):
    """Seeds every source of randomness kerasite uses.

    Call it before building a model: initial weights, the order of batches and
    dropout masks then repeat exactly from run to run.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.

    Example:
        >>> import kerasite
        >>> kerasite.utils.set_random_seed(0)
        >>> a = kerasite.utils.get_rng().integers(1000)
        >>> kerasite.utils.set_random_seed(0)
        >>> bool(a == kerasite.utils.get_rng().integers(1000))
        True
    """
    global _rng
    _rng = np.random.default_rng(check_seed(seed, "seed"))


def get_rng():
    """Returns the global ``numpy.random.Generator``.

    Initializers without their own seed draw from it. Keep no reference to it
    across ``set_random_seed`` calls, which replace it.
    """
    return _rng


def draw_seed():
    """Draws a fresh integer seed from the global generator.

    Returns:
        An int in ``[0, 2**31 - 1)``.
    """
    return int(_rng.integers(0, 2**31 - 1))


def check_seed(seed, name="seed"):
    """Validates a user-supplied seed and returns it as a Python int.

    Args:
        seed: the value to check.
        name: the argument's name, for the error message.

    Returns:
        ``int(seed)``.

    Raises:
        TypeError: if ``seed`` is not an integer (booleans included).
        ValueError: if it is negative.

    Example:
        >>> check_seed(7)
        7
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"`{name}` must be a non-negative integer. Received: {name}={seed!r} "
            f"of type {type(seed).__name__}."
        )
    if seed < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={seed}.")
    return int(seed)


def epoch_rng(seed, epoch):
    """A generator that depends only on ``(seed, epoch)``; used for shuffles and masks.

    Args:
        seed: a non-negative integer (a model's or a dropout layer's seed).
        epoch: the epoch, counted from 0.

    Returns:
        A new ``numpy.random.Generator``.

    Example:
        >>> a = epoch_rng(1, 3).permutation(5)
        >>> bool((a == epoch_rng(1, 3).permutation(5)).all())
        True
    """
    return np.random.default_rng([seed, epoch])
