"""Checking constructor arguments, with errors a user can act on.

Every layer, loss, metric, optimizer and callback checks its settings in
``__init__`` with these functions, so that the same mistake gets the same
message everywhere::

    `units` must be a positive integer. Received: units=0.
    `rate` must be a number in [0, 1). Received: rate=True. A bool is not a number
    here: pass a number such as 0.5.

A bool is refused wherever a number is wanted (``True`` is an ``int`` to
Python, and ``Dense(True)`` is always a mistake), and so is a NumPy bool.
NumPy integers and floats are accepted and returned as Python ``int`` and
``float``.

A value of the wrong type raises ``ArgumentTypeError``, which is both a
``TypeError`` and a ``ValueError``; a value out of range raises
``ValueError``.

This module imports only NumPy, so that any module of kerasite may use it.
"""

import math

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a ``TypeError``, and a ``ValueError`` as it always was)."""


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def is_int(value):
    """``True`` for a Python or NumPy integer that is not a bool."""
    return isinstance(value, (int, np.integer)) and not _is_bool(value)


def is_number(value):
    """``True`` for a Python or NumPy real number that is not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not _is_bool(value)


def _fail(error, name, value, expected, fix=None, wanted="a number"):
    received = f"Received: {name}={value!r}."
    if fix is None and _is_bool(value):
        fix = f"A bool is not a number here: pass {wanted}, not True or False."
    elif fix is None and error is ArgumentTypeError:
        fix = f"Pass {wanted}, not a {type(value).__name__}."
    raise error(f"`{name}` must be {expected}. {received}" + (f" {fix}" if fix else ""))


def integer(value, name, minimum=None, allow_none=False, expected=None, fix=None):
    """``int(value)`` for an integer (not a bool), ``>= minimum`` if given.

    Args:
        value: the argument.
        name: its name, for the message.
        minimum: the smallest valid value; ``None`` for any integer.
        allow_none: pass ``None`` through.
        expected: the wording of what is valid, when the default ("an
            integer", "a positive integer", "a non-negative integer", "an
            integer >= 3") would say less, e.g. ``"a positive number of steps"``.
        fix: a sentence on how to fix it, appended to the message.

    Raises:
        ArgumentTypeError: for a non-integer (a float, a bool, a string).
        ValueError: for an integer below ``minimum``.

    Example:
        >>> integer(np.int64(-1), "axis")
        -1
    """
    if value is None and allow_none:
        return None
    if expected is None:
        expected = {1: "a positive integer", 0: "a non-negative integer",
                    None: "an integer"}.get(minimum, f"an integer >= {minimum}")
        if allow_none:
            expected += " or None"
    if not is_int(value):
        _fail(ArgumentTypeError, name, value, expected, fix, wanted="an integer")
    if minimum is not None and value < minimum:
        _fail(ValueError, name, value, expected, fix)
    return int(value)


def positive_int(value, name, minimum=1, allow_none=False, expected=None, fix=None):
    """``int(value)`` for an integer ``>= minimum`` (1 by default), not a bool.

    ``integer`` with another default; the arguments are the same.

    Example:
        >>> positive_int(np.int64(3), "units")
        3
        >>> positive_int(0, "units")
        Traceback (most recent call last):
        ...
        ValueError: `units` must be a positive integer. Received: units=0.
    """
    return integer(value, name, minimum, allow_none, expected, fix)


def _bounds(low, high, inclusive):
    """The wording of a range: "a finite number > 0", "a number in [0, 1)", ..."""
    low_in, high_in = inclusive
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a finite number {'>=' if low_in else '>'} {low}"
    if low is None:
        return f"a finite number {'<=' if high_in else '<'} {high}"
    return f"a number in {'[' if low_in else '('}{low}, {high}{']' if high_in else ')'}"


def number(value, name, low=None, high=None, inclusive=(True, True), allow_none=False,
           expected=None, fix=None):
    """``float(value)`` for a finite real number in the range given (not a bool).

    Args:
        value: the argument.
        name: its name, for the message.
        low, high: the bounds, or ``None`` for none.
        inclusive: whether ``(low, high)`` themselves are valid; ``(False,
            True)`` is ``low < value <= high``.
        allow_none: pass ``None`` through.
        expected: the wording of what is valid, when the default would say
            less.
        fix: a sentence on how to fix it, appended to the message.

    Raises:
        ArgumentTypeError: for a non-number (a string, a bool, an array).
        ValueError: for a number out of range, NaN or infinite.

    Example:
        >>> number(np.float32(0.5), "rate", 0, 1, inclusive=(True, False))
        0.5
        >>> number(1.0, "rate", 0, 1, inclusive=(True, False))
        Traceback (most recent call last):
        ...
        ValueError: `rate` must be a number in [0, 1). Received: rate=1.0.
    """
    if value is None and allow_none:
        return None
    if expected is None:
        expected = _bounds(low, high, inclusive) + (" or None" if allow_none else "")
    if not is_number(value):
        _fail(ArgumentTypeError, name, value, expected, fix)
    low_in, high_in = inclusive
    ok = math.isfinite(value) and (
        low is None or (value >= low if low_in else value > low)) and (
        high is None or (value <= high if high_in else value < high))
    if not ok:
        _fail(ValueError, name, value, expected, fix)
    return float(value)


def one_of(value, name, choices):
    """``value`` if it is one of ``choices`` (compared with ``==``, bools never match numbers).

    Raises:
        ValueError: otherwise, listing the choices.

    Example:
        >>> one_of("max", "mode", ("auto", "min", "max"))
        'max'
        >>> one_of("maximum", "mode", ("auto", "min", "max"))
        Traceback (most recent call last):
        ...
        ValueError: `mode` must be one of ['auto', 'min', 'max']. Received: mode='maximum'.
    """
    if not isinstance(value, np.ndarray):
        for choice in choices:
            if choice == value and _is_bool(choice) == _is_bool(value):
                return value
    close = [c for c in choices if isinstance(c, str) and isinstance(value, str)
             and c.lower() == value.lower()]
    fix = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"`{name}` must be one of {list(choices)!r}. Received: {name}={value!r}.{fix}")


def boolean(value, name):
    """``bool(value)`` for ``True``/``False`` (or a NumPy bool); an int such as 1 is refused.

    Raises:
        ArgumentTypeError: for anything else.

    Example:
        >>> boolean(np.True_, "center")
        True
    """
    if not _is_bool(value):
        raise ArgumentTypeError(f"`{name}` must be True or False. Received: {name}={value!r}.")
    return bool(value)


def float_dtype(value, name, choices=("float32", "float64")):
    """The name of a floating-point dtype among ``choices`` (``"float32"``, ``np.float64``, ...).

    Raises:
        ValueError: for another dtype or a value that is not one.

    Example:
        >>> float_dtype(np.float64, "dtype")
        'float64'
    """
    try:
        dtype = None if value is None else np.dtype(value).name  # np.dtype(None) is float64
    except TypeError:
        dtype = None
    if dtype not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)!r}. Received: {name}={value!r}.")
    return dtype
