"""The machinery under every op: the ``Tensor`` a tape tracks, and how an op is recorded.

An op is a forward written in NumPy on plain arrays, plus one vector-Jacobian
product (VJP) per array input, written with ``kerasite.ops`` itself::

    @op(inputs=2)
    def multiply(x1, x2):
        return np.multiply(x1, x2)

    defvjp(multiply,
           lambda g, ans, x1, x2: unbroadcast(multiply(g, x2), shape(x1)),
           lambda g, ans, x1, x2: unbroadcast(multiply(g, x1), shape(x2)))

A VJP receives the gradient ``g`` of the output, the output ``ans`` and the
op's own arguments, and returns the gradient of one input.

**What an op returns.** With no tape recording, an op is its NumPy call and
one check (``if not _RECORDING``), and returns what NumPy returns: a plain
``ndarray``. While a tape records and one of the op's array inputs is tracked
by it (watched, a variable it reads, or the output of an op it recorded), the
op returns a :class:`Tensor`: a view of the same result, whose Python
operators (``+ - * / ** @``, unary ``-``, ``[...]``) are ops too, so
``loss = ops.mean(ops.square(y - pred))`` records every step.

**How recording works.** The tapes that record sit in ``_RECORDING``. A
recorded op appends one :class:`_Node` (the op, its arguments, as given and as
plain arrays, and its output) to each recording tape that tracks one of its
inputs. ``tape.gradient`` walks its nodes in reverse, calling the VJPs.
While it does, the other tapes still record: the VJPs are ops, so an outer
tape records the inner tape's backward, and its own ``gradient`` gives second
derivatives. With no other tape recording, the VJPs get the plain arrays the
forward saw, so a first-order backward runs at NumPy speed.
"""

import functools
import linecache
import os
import sys

import numpy as np

from kerasite.variables import Variable

_RECORDING = []  # the GradientTapes now recording, outermost first

_OPS = {}  # name -> op: a ufunc of the same name runs as this op on a Tensor
_PUBLIC_NAMES = set()  # kerasite.ops's functions, named in error messages (set by its __init__)
# Builds the graph node of an op called on symbolic tensors (the functional API):
# ``SYMBOLIC_OP[0](op, args, kwargs)``, set by kerasite/layers/op_layer.py when it loads.
SYMBOLIC_OP = [None]


class Tensor(np.ndarray):
    """An ``ndarray`` that a ``GradientTape`` tracks: its operators are recorded.

    Ops return Tensors only while a tape records and tracks their inputs; a
    Tensor is then a view of the result, not a copy. Everything an ndarray
    reads (``shape``, ``dtype``, ``float(t)``, ``len(t)``) works as usual.

    While a tape records, a NumPy function or ufunc given a Tensor raises a
    ``TypeError`` naming the ``kerasite.ops`` function to use instead, since
    the tape cannot see it (the ufuncs that are ops, such as ``np.exp``, run as
    those ops; comparisons such as ``t > 0`` give plain boolean arrays). With
    no tape recording, NumPy treats a Tensor as a plain array.
    """

    __array_priority__ = 20  # above a Variable's, so `tensor op variable` is the Tensor's

    _derived = False

    def __array_finalize__(self, obj):
        # An ndarray method that makes a new array from a Tensor (e.g. ``t.swapaxes(0, 1)``)
        # gives a Tensor no tape knows; it is marked so that an op refuses it.
        if isinstance(obj, Tensor):
            self._derived = True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _RECORDING and ufunc not in _CONSTANT_UFUNCS:
            twin = _OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
            if twin is not None:
                return twin(*inputs)
            if method == "__call__":
                raise TypeError(_numpy_error(f"np.{ufunc.__name__}", ufunc.__name__))
            raise TypeError(_numpy_error(f"np.{ufunc.__name__}.{method}", None))
        inputs = [_raw(x) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_raw(x) for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if _RECORDING and func not in _HARMLESS_FUNCTIONS:
            raise TypeError(_numpy_error(f"np.{func.__name__}", func.__name__))
        return func._implementation(*_raw_tree(args), **_raw_tree(kwargs))

    def __setitem__(self, index, value):
        if _RECORDING:
            raise TypeError("A Tensor cannot be written into while a GradientTape records "
                            "(the tape would miss the change). Build a new array with "
                            "kerasite.ops.where, ops.concatenate or ops.pad instead.")
        np.ndarray.__setitem__(self.view(np.ndarray), index, _raw(value))

    def __repr__(self):
        return "Tensor(" + repr(self.view(np.ndarray))[len("array("):]

    def __str__(self):
        return str(self.view(np.ndarray))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __reduce__(self):  # pickles (and deep-copies) as the plain array it holds
        return self.view(np.ndarray).__reduce__()


# Ufuncs whose result carries no gradient (comparisons, tests, rounding): on a
# Tensor they just run, and give plain arrays.
_CONSTANT_UFUNCS = frozenset((
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isfinite, np.isnan,
    np.isinf, np.signbit, np.floor, np.ceil, np.rint, np.trunc, np.sign,
))

# NumPy functions that only read a Tensor's shape or type.
_HARMLESS_FUNCTIONS = frozenset((
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
    np.may_share_memory, np.shares_memory, np.array_repr, np.array_str, np.array2string,
))


def _numpy_error(name, short):
    twin = f"`kerasite.ops.{short}`" if short in _PUBLIC_NAMES else "the `kerasite.ops` function"
    where = user_line()
    return (f"`{name}` was given a Tensor while a GradientTape records"
            f"{f' (at {where})' if where else ''}: the tape cannot "
            f"differentiate NumPy functions, so no gradient would flow through it. Use "
            f"{twin} instead (or `ops.stop_gradient(x)` to use the value as a constant).")


# The folders whose frames are not the user's code, for the line an error names.
_LIBRARY_DIRS = (os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
                 os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)


def user_line():
    """``"file.py:12: <the code>"`` of the innermost frame outside kerasite and NumPy, or ``""``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_LIBRARY_DIRS):
            code = linecache.getline(filename, frame.f_lineno).strip()
            return f"{frame.f_code.co_filename}:{frame.f_lineno}" + (f": {code}" if code else "")
        frame = frame.f_back
    return ""


def _raw(x):
    """The plain array behind a Tensor or a Variable; anything else unchanged."""
    if isinstance(x, Tensor):
        return x.view(np.ndarray)
    if isinstance(x, Variable):
        return x.value
    return x


def _raw_tree(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_raw_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _raw_tree(v) for k, v in x.items()}
    return _raw(x)


class _Node:
    """One recorded op call: what ``tape.gradient`` needs to call its VJPs."""

    __slots__ = ("op", "args", "raw_args", "kwargs", "out", "raw_out")

    def __init__(self, op, args, raw_args, kwargs, out, raw_out):
        self.op, self.args, self.raw_args, self.kwargs = op, args, raw_args, kwargs
        self.out, self.raw_out = out, raw_out  # the Tensor, and the array it views


def op(inputs=1):
    """Makes a NumPy forward into an op that a recording tape records.

    Args:
        inputs: how many leading positional arguments are arrays a gradient
            can flow to (the rest are settings such as ``axis``), or ``None``
            for every positional argument (``concatenate``'s arrays).

    The VJPs are set afterwards with :func:`defvjp`.
    """
    def make(forward):
        @functools.wraps(forward)
        def call(*args, **kwargs):
            if not _RECORDING:
                try:
                    return forward(*args, **kwargs)
                except Exception:
                    if SYMBOLIC_OP[0] is not None and _has_symbolic((args, kwargs)):
                        return SYMBOLIC_OP[0](call, args, kwargs)  # a node of the graph
                    raise
            return _record(call, forward, args, kwargs)

        call.n_inputs = inputs
        call.vjps = ()
        _OPS[forward.__name__] = call
        return call
    return make


def defvjp(fn, *vjps):
    """Sets the VJP of each array input of op ``fn``, in order (``None``: no gradient).

    For a variadic op (``inputs=None``), give one function
    ``vjp(i, g, ans, *args, **kwargs)`` for the ``i``-th input.
    """
    fn.vjps = vjps


def symbolic_aware(fn):
    """``fn`` (an op built of other ops) as one graph node when given symbolic tensors.

    With data it is ``fn``; only when ``fn`` fails on an argument holding a
    symbolic tensor does the call become one node running ``fn``.
    """
    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            if SYMBOLIC_OP[0] is not None and _has_symbolic((args, kwargs)):
                return SYMBOLIC_OP[0](fn, args, kwargs)
            raise
    return call


def _has_symbolic(x):
    """Whether ``x`` holds a symbolic tensor (``kerasite.Input`` and layers' outputs)."""
    if isinstance(x, (list, tuple)):
        return any(_has_symbolic(v) for v in x)
    if isinstance(x, dict):
        return any(_has_symbolic(v) for v in x.values())
    return getattr(type(x), "_kerasite_symbolic", False)


def _record(fn, forward, args, kwargs):
    if SYMBOLIC_OP[0] is not None and _has_symbolic((args, kwargs)):
        return SYMBOLIC_OP[0](fn, args, kwargs)
    n = len(args) if fn.n_inputs is None else min(fn.n_inputs, len(args))
    raw_args = list(args)
    for i in range(n):
        x = args[i]
        if isinstance(x, Tensor) and x._derived:
            raise TypeError(
                f"`{fn.__name__}` was given a Tensor made from another one by an ndarray "
                "method (such as `.swapaxes()`, `.copy()` or `.repeat()`), which the tape "
                "cannot see. Use the kerasite.ops function instead (ops.swapaxes, "
                "ops.repeat, ...).")
        raw_args[i] = _raw(x)
    out = forward(*raw_args, **kwargs)
    # Every input is offered to every tape (not just until one is tracked): a tape
    # watches each trainable variable it sees.
    tapes = [t for t in _RECORDING if any([t._tracks(args[i]) for i in range(n)])]
    if not tapes:
        return out
    out = np.asarray(out)  # a NumPy scalar becomes a 0-d array, which a Tensor can view
    tensor = out.view(Tensor)
    node = _Node(fn, args, raw_args, kwargs, tensor, out)
    for tape in tapes:
        tape._record(node)
    return tensor


def shape(x):
    """The shape of an array, a Tensor, a Variable or a number, as a tuple of ints.

    Example:
        >>> import numpy as np
        >>> shape(np.zeros((2, 3)))
        (2, 3)
    """
    s = getattr(x, "shape", None)
    return tuple(s) if s is not None else np.shape(x)


def ndim(x):
    """The number of axes of ``x``."""
    return len(shape(x))


def custom_gradient(f):
    """Makes ``f`` one op whose backward is the function it returns, as Keras's.

    ``f(*args)`` returns ``(y, grad_fn)``, and ``grad_fn(upstream)`` returns
    the gradient of each argument (a tuple if there are several; ``None`` for
    one that has none). ``f`` runs on the plain arrays behind its arguments,
    with every tape paused: the tape records one node, not what ``f`` does
    inside. This is how a layer with its own ``backward`` becomes one coarse
    node of a tape (the ``upstream`` of its output in, the gradients of its
    input and weights out).

    A second derivative goes through ``grad_fn`` only as far as it is written
    with ops on ``upstream``; what it reads from ``f``'s closure is a constant.

    Example:
        >>> import numpy as np
        >>> from kerasite import GradientTape, ops
        >>> @custom_gradient
        ... def double(x):
        ...     return 2 * x, lambda upstream: 2 * upstream
        >>> x = ops.convert_to_tensor(np.array([1.0, 3.0]))
        >>> with GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = ops.sum(double(x) ** 2)
        >>> tape.gradient(y, x).tolist()
        [8.0, 24.0]
    """
    @functools.wraps(f)
    def call(*args):
        saved = _RECORDING[:]
        del _RECORDING[:]
        try:
            out, grad_fn = f(*[_raw(a) for a in args])
        finally:
            _RECORDING[:] = saved
        if not _RECORDING:
            return out
        node_op = _CustomOp(f.__name__, grad_fn, len(args))
        return _record(node_op, lambda *a: out, args, {})
    return call


class _CustomOp:
    """The op of one ``custom_gradient`` call: ``grad_fn`` runs once per upstream gradient."""

    n_inputs = None

    def __init__(self, name, grad_fn, n):
        self.__name__, self.grad_fn, self.n = name, grad_fn, n
        self.cache = (None, None)
        self.vjps = (self.vjp,)

    def vjp(self, i, g, ans, *args):
        if self.cache[0] is not g:
            grads = self.grad_fn(g)
            self.cache = (g, grads if isinstance(grads, (tuple, list)) else (grads,))
        grads = self.cache[1]
        if len(grads) != self.n:
            raise ValueError(f"The gradient function of `{self.__name__}` returned "
                             f"{len(grads)} gradients for {self.n} arguments; it must "
                             "return one per argument (None for one without).")
        return grads[i]
