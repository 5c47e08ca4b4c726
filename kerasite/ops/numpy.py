"""The array ops of ``keras.ops``, each a NumPy forward with its VJPs right below it.

Read ``kerasite/ops/core.py`` first for how an op is recorded. Here, each op
is its forward (NumPy, on plain arrays) and then ``defvjp`` with one line per
array input: the gradient of that input given the output's gradient ``g``,
the output ``ans`` and the op's arguments. The VJPs are written with these
same ops, so a tape can record a backward and differentiate it again.

Where broadcasting stretched an input, its gradient is summed back to its
shape by :func:`unbroadcast`, the one place that undoes broadcasting.

Ops without a gradient (``argmax``, ``sign``, ``one_hot``, the creation
functions) return plain arrays, which every tape treats as constants.
Types follow NumPy's promotion rules.
"""

import builtins
import math

import numpy as np

from kerasite.config import floatx
from kerasite.ops.core import Tensor, _raw, _raw_tree, defvjp, ndim, op, shape
from kerasite.variables import Variable


# ------------------------------------------------------------------ broadcasting
def unbroadcast(g, shape_):
    """Sums ``g`` over the axes broadcasting added or stretched, so it has ``shape_``.

    Args:
        g: a gradient, of the broadcast shape.
        shape_: the shape of the input it belongs to.

    Example:
        >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
        [[8.0], [8.0], [8.0]]
    """
    g_shape = shape(g)
    if g_shape == tuple(shape_):
        return g
    lead = len(g_shape) - len(shape_)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape_) if n == 1 and g_shape[lead + i] != 1)
    return reshape(sum(g, axis=axes), shape_)


def _axes(axis, nd, name="axis"):
    """``axis`` (None, an int or a sequence) as a sorted tuple of axes in ``range(nd)``."""
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -nd <= a < builtins.max(nd, 1):
            raise ValueError(f"`{name}` must be an integer in [{-nd}, {nd}) or a tuple of "
                             f"them, for an array of rank {nd}. Received: {name}={axis!r}.")
    return tuple(sorted(int(a) % builtins.max(nd, 1) for a in axes))


def _np_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _kept(g, x_shape, axis, keepdims):
    """The gradient of a reduction, reshaped with its reduced axes kept (length 1)."""
    if keepdims:
        return g
    axes = _axes(axis, len(x_shape))
    return reshape(g, tuple(1 if i in axes else n for i, n in enumerate(x_shape)))


def _spread(g, x, axis, keepdims):
    """The gradient of a reduction broadcast back to ``x``'s shape."""
    return broadcast_to(_kept(g, shape(x), axis, keepdims), shape(x))


# -------------------------------------------------------------------- arithmetic
@op(inputs=2)
def add(x1, x2):
    """``x1 + x2``, elementwise with broadcasting."""
    return np.add(x1, x2)


defvjp(add,
       lambda g, ans, x1, x2: unbroadcast(g, shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(g, shape(x2)))


@op(inputs=2)
def subtract(x1, x2):
    """``x1 - x2``, elementwise with broadcasting."""
    return np.subtract(x1, x2)


defvjp(subtract,
       lambda g, ans, x1, x2: unbroadcast(g, shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(negative(g), shape(x2)))


@op(inputs=2)
def multiply(x1, x2):
    """``x1 * x2``, elementwise with broadcasting."""
    return np.multiply(x1, x2)


defvjp(multiply,
       lambda g, ans, x1, x2: unbroadcast(multiply(g, x2), shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(multiply(g, x1), shape(x2)))


@op(inputs=2)
def divide(x1, x2):
    """``x1 / x2``, elementwise with broadcasting."""
    return np.divide(x1, x2)


defvjp(divide,   # d(a/b)/db = -a/b^2 = -ans/b
       lambda g, ans, x1, x2: unbroadcast(divide(g, x2), shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(negative(multiply(g, divide(ans, x2))), shape(x2)))

true_divide = divide


@op(inputs=2)
def power(x1, x2):
    """``x1 ** x2``, elementwise with broadcasting."""
    return np.power(x1, x2)


defvjp(power,    # d/da a^b = b a^(b-1);  d/db a^b = a^b log a  (taken as 0 where a <= 0)
       lambda g, ans, x1, x2: unbroadcast(
           multiply(g, multiply(x2, power(x1, subtract(x2, 1)))), shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(
           multiply(g, multiply(ans, log(where(_raw(x1) > 0, x1, 1)))), shape(x2)))


@op()
def negative(x):
    """``-x``."""
    return np.negative(x)


defvjp(negative, lambda g, ans, x: negative(g))


@op(inputs=2)
def matmul(x1, x2):
    """The matrix product ``x1 @ x2``, with NumPy's rules for 1-D and batched inputs."""
    return np.matmul(x1, x2)


def _mT(x):
    return swapaxes(x, -1, -2)


def _matmul_vjp_x1(g, ans, x1, x2):
    if ndim(x2) == 1:                      # (..., k) @ (k,) -> (...,)
        return unbroadcast(multiply(expand_dims(g, -1), x2), shape(x1))
    if ndim(x1) == 1:                      # (k,) @ (..., k, n) -> (..., n)
        return unbroadcast(squeeze(matmul(x2, expand_dims(g, -1)), -1), shape(x1))
    return unbroadcast(matmul(g, _mT(x2)), shape(x1))


def _matmul_vjp_x2(g, ans, x1, x2):
    if ndim(x1) == 1:
        if ndim(x2) == 1:                  # (k,) @ (k,) -> ()
            return multiply(g, x1)
        return unbroadcast(multiply(expand_dims(x1, -1), expand_dims(g, -2)), shape(x2))
    if ndim(x2) == 1:                      # (..., m, k) @ (k,) -> (..., m)
        return unbroadcast(squeeze(matmul(_mT(x1), expand_dims(g, -1)), -1), shape(x2))
    return unbroadcast(matmul(_mT(x1), g), shape(x2))


defvjp(matmul, _matmul_vjp_x1, _matmul_vjp_x2)


# -------------------------------------------------------------------- elementwise
@op()
def exp(x):
    """``e ** x``, elementwise."""
    return np.exp(x)


defvjp(exp, lambda g, ans, x: multiply(g, ans))


@op()
def log(x):
    """The natural logarithm, elementwise."""
    return np.log(x)


defvjp(log, lambda g, ans, x: divide(g, x))


@op()
def log1p(x):
    """``log(1 + x)``, accurate for small ``x``."""
    return np.log1p(x)


defvjp(log1p, lambda g, ans, x: divide(g, add(x, 1)))


@op()
def sqrt(x):
    """The square root, elementwise."""
    return np.sqrt(x)


defvjp(sqrt, lambda g, ans, x: divide(g, multiply(ans, 2)))


@op()
def square(x):
    """``x * x``, elementwise."""
    return np.square(x)


defvjp(square, lambda g, ans, x: multiply(g, multiply(x, 2)))


@op()
def absolute(x):
    """``|x|``, elementwise (its gradient at 0 is 0)."""
    return np.absolute(x)


defvjp(absolute, lambda g, ans, x: multiply(g, np.sign(_raw(x))))

abs = absolute


def sign(x):
    """-1, 0 or 1 by the sign of ``x``; a constant to the tape (its derivative is 0)."""
    return np.sign(_raw(x))


@op(inputs=2)
def maximum(x1, x2):
    """The larger of ``x1`` and ``x2``, elementwise; a tie's gradient goes to ``x1``."""
    return np.maximum(x1, x2)


defvjp(maximum,
       lambda g, ans, x1, x2: unbroadcast(multiply(g, _raw(x1) >= _raw(x2)), shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(multiply(g, _raw(x1) < _raw(x2)), shape(x2)))


@op(inputs=2)
def minimum(x1, x2):
    """The smaller of ``x1`` and ``x2``, elementwise; a tie's gradient goes to ``x1``."""
    return np.minimum(x1, x2)


defvjp(minimum,
       lambda g, ans, x1, x2: unbroadcast(multiply(g, _raw(x1) <= _raw(x2)), shape(x1)),
       lambda g, ans, x1, x2: unbroadcast(multiply(g, _raw(x1) > _raw(x2)), shape(x2)))


@op()
def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``; the gradient is 0 where it was clipped."""
    return np.clip(x, _raw(x_min), _raw(x_max))


defvjp(clip, lambda g, ans, x, x_min, x_max: multiply(
    g, (_raw(x) >= _raw(x_min)) & (_raw(x) <= _raw(x_max))))


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together).

    With ``x1`` and ``x2`` both omitted, the indices where ``condition`` is
    true, as ``np.nonzero``.
    """
    if x1 is None and x2 is None:
        return np.nonzero(_raw(condition))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` must be given together (or both omitted). "
                         f"Received: x1={x1!r}, x2={x2!r}.")
    return _where(_raw(condition), x1, x2)


@op(inputs=3)
def _where(condition, x1, x2):
    return np.where(condition, x1, x2)


defvjp(_where,
       None,
       lambda g, ans, c, x1, x2: unbroadcast(_where(_raw(c), g, 0), shape(x1)),
       lambda g, ans, c, x1, x2: unbroadcast(_where(_raw(c), 0, g), shape(x2)))

_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; math.erf, element by element


@op()
def erf(x):
    """The error function, ``2/sqrt(pi) * integral of exp(-t^2) from 0 to x``."""
    x = np.asarray(x)
    return np.asarray(_erf(x), dtype=x.dtype if x.dtype.kind == "f" else floatx())


defvjp(erf,      # d erf / dx = 2/sqrt(pi) e^(-x^2)
       lambda g, ans, x: multiply(g, multiply(2 / math.sqrt(math.pi), exp(negative(square(x))))))


@op()
def cos(x):
    """The cosine, elementwise."""
    return np.cos(x)


defvjp(cos, lambda g, ans, x: negative(multiply(g, sin(x))))


@op()
def sin(x):
    """The sine, elementwise."""
    return np.sin(x)


defvjp(sin, lambda g, ans, x: multiply(g, cos(x)))


@op()
def tanh(x):
    """The hyperbolic tangent, elementwise."""
    return np.tanh(x)


defvjp(tanh, lambda g, ans, x: multiply(g, subtract(1, square(ans))))


# --------------------------------------------------------------------- reductions
@op()
def sum(x, axis=None, keepdims=False):
    """The sum over ``axis`` (an int, a tuple, or ``None`` for all axes)."""
    return np.sum(x, axis=_np_axis(axis), keepdims=keepdims)


defvjp(sum, lambda g, ans, x, axis=None, keepdims=False: _spread(g, x, axis, keepdims))


@op()
def mean(x, axis=None, keepdims=False):
    """The mean over ``axis`` (an int, a tuple, or ``None`` for all axes)."""
    return np.mean(x, axis=_np_axis(axis), keepdims=keepdims)


def _count(x, axis):
    """How many elements a reduction over ``axis`` combines into each result."""
    s = shape(x)
    return math.prod(s[a] for a in _axes(axis, len(s)))


defvjp(mean, lambda g, ans, x, axis=None, keepdims=False: divide(
    _spread(g, x, axis, keepdims), _count(x, axis)))


def _initial(initial):
    return {} if initial is None else {"initial": initial}


def _extreme_vjp(g, ans, x, axis=None, keepdims=False, initial=None):
    # The gradient goes to the elements equal to the extreme, shared equally by ties.
    hit = _raw(x) == _raw(_kept(ans, shape(x), axis, keepdims))
    share = hit / np.maximum(np.sum(hit, axis=_np_axis(axis), keepdims=True), 1)
    return multiply(_spread(g, x, axis, keepdims), share)


@op()
def max(x, axis=None, keepdims=False, initial=None):
    """The largest element over ``axis``; ties share the gradient equally."""
    return np.max(x, axis=_np_axis(axis), keepdims=keepdims, **_initial(initial))


defvjp(max, _extreme_vjp)


@op()
def min(x, axis=None, keepdims=False, initial=None):
    """The smallest element over ``axis``; ties share the gradient equally."""
    return np.min(x, axis=_np_axis(axis), keepdims=keepdims, **_initial(initial))


defvjp(min, _extreme_vjp)



# ------------------------------------------------------------ comparisons and logic
# Their results are booleans (or integers): there is nothing to differentiate, so each
# works on the plain arrays and returns a plain array.
def _plain_op(np_fn, doc):
    def fn(*args, **kwargs):
        return np_fn(*[_raw(a) for a in args], **kwargs)
    fn.__name__ = np_fn.__name__
    fn.__qualname__ = np_fn.__name__
    fn.__doc__ = doc
    return fn


equal = _plain_op(np.equal, "``x1 == x2`` elementwise, as booleans.")
not_equal = _plain_op(np.not_equal, "``x1 != x2`` elementwise, as booleans.")
greater = _plain_op(np.greater, "``x1 > x2`` elementwise, as booleans.")
greater_equal = _plain_op(np.greater_equal, "``x1 >= x2`` elementwise, as booleans.")
less = _plain_op(np.less, "``x1 < x2`` elementwise, as booleans.")
less_equal = _plain_op(np.less_equal, "``x1 <= x2`` elementwise, as booleans.")
logical_and = _plain_op(np.logical_and, "``x1 and x2`` elementwise.")
logical_or = _plain_op(np.logical_or, "``x1 or x2`` elementwise.")
logical_not = _plain_op(np.logical_not, "``not x`` elementwise.")
isnan = _plain_op(np.isnan, "Whether each element is NaN.")
isfinite = _plain_op(np.isfinite, "Whether each element is finite (not NaN or infinite).")
floor = _plain_op(np.floor, "The largest integer not above each element (gradient zero).")
ceil = _plain_op(np.ceil, "The smallest integer not below each element (gradient zero).")
round = _plain_op(np.round, "Each element rounded to ``decimals`` places (gradient zero).")


def any(x, axis=None, keepdims=False):
    """Whether any element over ``axis`` is true."""
    return np.any(_raw(x), axis=_np_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every element over ``axis`` is true."""
    return np.all(_raw(x), axis=_np_axis(axis), keepdims=keepdims)

def argmax(x, axis=None, keepdims=False):
    """The index of the largest element (over the flattened array if ``axis=None``)."""
    return np.argmax(_raw(x), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element (over the flattened array if ``axis=None``)."""
    return np.argmin(_raw(x), axis=axis, keepdims=keepdims)


@op()
def var(x, axis=None, keepdims=False):
    """The population variance (divides by ``n``) over ``axis``, as Keras's."""
    return np.var(x, axis=_np_axis(axis), keepdims=keepdims)


defvjp(var,      # d var / dx = 2 (x - mean) / n
       lambda g, ans, x, axis=None, keepdims=False: multiply(
           _spread(g, x, axis, keepdims),
           divide(multiply(subtract(x, mean(x, axis, keepdims=True)), 2), _count(x, axis))))


@op()
def std(x, axis=None, keepdims=False):
    """The population standard deviation over ``axis``, as Keras's."""
    return np.std(x, axis=_np_axis(axis), keepdims=keepdims)


defvjp(std,      # d std / dx = (x - mean) / (n std)
       lambda g, ans, x, axis=None, keepdims=False: multiply(
           _spread(g, x, axis, keepdims),
           divide(subtract(x, mean(x, axis, keepdims=True)),
                  multiply(_kept(ans, shape(x), axis, keepdims), _count(x, axis)))))


@op()
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow."""
    x = np.asarray(x)
    axis = _np_axis(axis)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # log(sum(exp(x - m))) + m, for any m
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=_axes(axis, x.ndim))


defvjp(logsumexp,  # d/dx log sum e^x = e^(x - lse)
       lambda g, ans, x, axis=None, keepdims=False: multiply(
           _spread(g, x, axis, keepdims), exp(subtract(x, _kept(ans, shape(x), axis, keepdims)))))


def norm(x, ord=None, axis=None, keepdims=False):
    """A vector norm over one axis (or the flattened array), or the Frobenius norm.

    Args:
        x: an array.
        ord: for a vector norm, ``None`` or 2 (Euclidean), 1, ``inf``,
            ``-inf``, 0 (the count of non-zeros) or any other number ``p``
            (``sum(|x|^p)^(1/p)``); over two axes, ``None`` or ``"fro"``.
        axis: ``None`` (all axes, flattened), an int, or a pair of ints.
        keepdims: keep the reduced axes, with length 1.

    It is built from the ops above, so its gradient (and its second) needs no
    VJP of its own; at ``x = 0`` the Euclidean norm's gradient is ``nan``.
    """
    nd = ndim(x)
    axes = _axes(axis, nd)
    if axis is None or len(axes) == 1:
        vector = axis is not None or nd == 1
        if not vector and ord not in (None, "fro", 2):
            raise ValueError(f"`ord`={ord!r} needs `axis` (one axis, or two for a matrix "
                             f"norm) on an array of rank {nd}.")
        if ord in (None, 2, "fro"):
            return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
        if not isinstance(ord, (int, float, np.number)):
            raise ValueError(f"`ord` must be a number for a vector norm. Received: ord={ord!r}.")
        if ord == np.inf:
            return max(absolute(x), axis=axis, keepdims=keepdims)
        if ord == -np.inf:
            return min(absolute(x), axis=axis, keepdims=keepdims)
        if ord == 0:
            return np.sum(_raw(x) != 0, axis=axis, keepdims=keepdims).astype(
                _raw(x).dtype if _raw(x).dtype.kind == "f" else floatx())
        if ord == 1:
            return sum(absolute(x), axis=axis, keepdims=keepdims)
        return power(sum(power(absolute(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)
    if len(axes) == 2 and ord in (None, "fro"):
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    raise ValueError(f"`ord`={ord!r} over axes {axis!r} is not supported: over two axes "
                     "only the Frobenius norm (ord=None or 'fro') is.")


@op()
def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (of the flattened array if ``axis=None``)."""
    return np.cumsum(x, axis=axis, dtype=dtype)


def _cumsum_vjp(g, ans, x, axis=None, dtype=None):
    # Each x[i] adds to every running sum from i on: the gradient is g's reversed running sum.
    if axis is None:
        return reshape(flip(cumsum(flip(g))), shape(x))
    return flip(cumsum(flip(g, axis), axis), axis)


defvjp(cumsum, _cumsum_vjp)


@op()
def flip(x, axis=None):
    """``x`` with the order of its elements along ``axis`` (all axes if None) reversed."""
    return np.flip(x, axis=_np_axis(axis))


defvjp(flip, lambda g, ans, x, axis=None: flip(g, axis))


# ------------------------------------------------------------------------- shapes
@op()
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be -1)."""
    return np.reshape(x, newshape)


defvjp(reshape, lambda g, ans, x, newshape: reshape(g, shape(x)))


@op()
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed if ``axes=None``)."""
    return np.transpose(x, axes)


def _transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return transpose(g)
    return transpose(g, tuple(np.argsort([a % ndim(x) for a in axes])))


defvjp(transpose, _transpose_vjp)


@op()
def swapaxes(x, axis1, axis2):
    """``x`` with axes ``axis1`` and ``axis2`` exchanged."""
    return np.swapaxes(x, axis1, axis2)


defvjp(swapaxes, lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))


@op()
def expand_dims(x, axis):
    """``x`` with a new axis of length 1 at ``axis`` (an int or a tuple)."""
    return np.expand_dims(x, _np_axis(axis))


defvjp(expand_dims, lambda g, ans, x, axis: reshape(g, shape(x)))


@op()
def squeeze(x, axis=None):
    """``x`` without its axes of length 1 (only ``axis`` if given)."""
    return np.squeeze(x, _np_axis(axis))


defvjp(squeeze, lambda g, ans, x, axis=None: reshape(g, shape(x)))


@op()
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return np.broadcast_to(x, shape)


defvjp(broadcast_to, lambda g, ans, x, *settings, **kw: unbroadcast(g, shape(x)))


def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along an existing ``axis``."""
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError("`xs` must be a non-empty list or tuple of arrays. "
                         f"Received: xs={xs!r}.")
    return _concatenate(*xs, axis=axis)


@op(inputs=None)
def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(i, g, ans, *xs, axis=0):
    axis = axis % ndim(ans)
    start = builtins.sum(shape(x)[axis] for x in xs[:i])
    index = (slice(None),) * axis + (slice(start, start + shape(xs[i])[axis]),)
    return getitem(g, index)


defvjp(_concatenate, _concatenate_vjp)


def stack(x, axis=0):
    """The arrays in ``x`` (all of one shape) joined along a new ``axis``."""
    if not isinstance(x, (list, tuple)) or not x:
        raise ValueError(f"`x` must be a non-empty list or tuple of arrays. Received: x={x!r}.")
    shapes = {shape(v) for v in x}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs arrays of one shape. Received shapes {sorted(shapes)}.")
    return _concatenate(*[expand_dims(v, axis) for v in x], axis=axis)


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into equal sections, or at the given indices.

    Returns:
        A list of arrays, each a slice of ``x``.
    """
    n = shape(x)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections < 1 or n % sections:
            raise ValueError(f"`indices_or_sections`={sections} must divide the length "
                             f"{n} of axis {axis} into equal sections.")
        cuts = list(range(0, n + 1, n // sections))
    else:
        cuts = [0, *[int(i) for i in indices_or_sections], n]
    lead = (slice(None),) * (axis % ndim(x))
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(cuts[:-1], cuts[1:])]


@op()
def tile(x, repeats):
    """``x`` repeated ``repeats[i]`` times along each axis ``i``, as ``np.tile``."""
    return np.tile(x, repeats)


def _tile_vjp(g, ans, x, repeats):
    reps = (repeats,) if isinstance(repeats, (int, np.integer)) else tuple(repeats)
    d = builtins.max(ndim(x), len(reps))
    x_shape = (1,) * (d - ndim(x)) + shape(x)
    reps = (1,) * (d - len(reps)) + reps
    # The output's axis i is (reps[i], x_shape[i]) flattened: sum over each reps part.
    g = reshape(g, [n for pair in zip(reps, x_shape) for n in pair])
    return reshape(sum(g, axis=tuple(range(0, 2 * d, 2))), shape(x))


defvjp(tile, _tile_vjp)


def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (flattened if None).

    ``repeats`` may be an int or one count per element along ``axis``. It is
    a ``take`` with each index repeated, so ``take``'s VJP sums the copies back.
    """
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    n = shape(x)[axis]
    return take(x, np.repeat(np.arange(n), repeats), axis=axis)


@op()
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded with ``constant_values`` (0 by default) on each side of each axis.

    Args:
        pad_width: an int, a pair ``(before, after)``, or one pair per axis.
        mode: ``"constant"``, the only mode with a gradient here.
    """
    if mode != "constant":
        raise ValueError(f"`mode` must be 'constant' (the only mode kerasite.ops.pad "
                         f"differentiates). Received: mode={mode!r}.")
    return np.pad(x, pad_width, mode="constant",
                  constant_values=0 if constant_values is None else constant_values)


def _pad_vjp(g, ans, x, pad_width, mode="constant", constant_values=None):
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim(x), 2))
    return getitem(g, tuple(slice(int(b), n - int(a))
                            for (b, a), n in zip(widths, shape(ans))))


defvjp(pad, _pad_vjp)


# ------------------------------------------------------------------------ gathers
@op()
def getitem(x, index):
    """``x[index]``, for any NumPy index (the ``[]`` of a Tensor)."""
    return np.asarray(x)[_raw_tree(index)]


@op()
def _scatter_add(g, index, shape_):
    """Zeros of ``shape_`` with ``g`` added at ``index`` (repeated indices add up)."""
    out = np.zeros(shape_, dtype=np.result_type(g))
    index = _raw_tree(index)
    parts = index if isinstance(index, tuple) else (index,)
    if builtins.any(isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype.kind in "iu"
           for p in parts):
        np.add.at(out, index, g)  # integer indices may repeat: their gradients add up
    else:
        out[index] = g            # slices, ints and masks pick each element once
    return out


defvjp(getitem, lambda g, ans, x, index: _scatter_add(g, index, shape(x)))
defvjp(_scatter_add, lambda g, ans, gx, index, shape_: getitem(g, index))


def take(x, indices, axis=None):
    """The elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None)."""
    indices = np.asarray(_raw(indices))
    if indices.dtype.kind not in "iu":
        raise ValueError(f"`indices` must be integers. Received dtype {indices.dtype}.")
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    return getitem(x, (slice(None),) * (axis % ndim(x)) + (indices,))


def take_along_axis(x, indices, axis=None):
    """``x`` gathered at ``indices`` along ``axis``, as ``np.take_along_axis``.

    ``indices`` has ``x``'s rank; its other axes broadcast against ``x``'s.
    """
    indices = np.asarray(_raw(indices))
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    nd = ndim(x)
    if indices.ndim != nd:
        raise ValueError(f"`indices` must have the rank of `x` ({nd}). Received "
                         f"indices.shape={indices.shape}.")
    axis %= nd
    shp = np.broadcast_shapes(tuple(1 if i == axis else n for i, n in enumerate(shape(x))),
                              tuple(1 if i == axis else n for i, n in enumerate(indices.shape)))
    index = tuple(indices if i == axis else
                  np.arange(n).reshape((-1,) + (1,) * (nd - i - 1)) for i, n in enumerate(shp))
    return getitem(x, index)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels ``x`` as one-hot rows of length ``num_classes``, on ``axis``.

    A label outside ``[0, num_classes)`` gives a row of zeros, as Keras's.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported: kerasite's arrays are dense.")
    x = np.asarray(_raw(x))
    out = (x[..., None] == np.arange(num_classes)).astype(dtype or floatx())
    return np.moveaxis(out, -1, axis)


# ------------------------------------------------------ conversion and creation
@op()
def cast(x, dtype):
    """``x`` as type ``dtype``; the gradient flows only between float types."""
    return np.asarray(x).astype(dtype)


defvjp(cast, lambda g, ans, x, dtype: cast(g, np.result_type(_raw(x)))
       if np.result_type(_raw(x)).kind == "f" and np.dtype(dtype).kind == "f" else None)


@op()
def _identity(x):
    return np.asarray(x)


defvjp(_identity, lambda g, ans, x: g)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a :class:`~kerasite.ops.core.Tensor`, whose operators a tape records.

    An array, a number or a nested list becomes a Tensor viewing it (no copy
    unless ``dtype`` asks for one); a Tensor is returned as is. A Variable
    read while a tape records is recorded as read, so gradients reach it, and
    a list of Tensors or Variables is stacked with :func:`stack`.

    Example:
        >>> x = convert_to_tensor([1.0, 2.0])
        >>> type(x).__name__, x.shape
        ('Tensor', (2,))
    """
    if sparse or ragged:
        raise ValueError("`sparse` and `ragged` tensors are not supported: kerasite's "
                         "arrays are dense.")
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(v, (Tensor, Variable)) for v in x):
        x = stack(x)  # NumPy would build the array out of the tape's sight
    elif isinstance(x, Variable):
        x = _identity(x)  # a recorded read, while a tape records
    if isinstance(x, Tensor):
        if dtype is None or x.dtype == dtype:
            return x
        x = cast(x, dtype)  # a Tensor if a tape records x, else a plain array
        return x if isinstance(x, Tensor) else x.view(Tensor)
    return np.asarray(x, dtype=dtype).view(Tensor)


def convert_to_numpy(x):
    """A plain ``ndarray`` copy of ``x`` (a Tensor, a Variable, an array or a list)."""
    return np.array(_raw(x))


def stop_gradient(variable):
    """The value of ``variable`` as a plain array: a constant to every tape."""
    return np.asarray(_raw(variable))


def is_tensor(x):
    """Whether ``x`` is a kerasite Tensor or a NumPy array."""
    return isinstance(x, np.ndarray)


def zeros(shape, dtype=None):
    """An array of zeros; ``floatx()`` unless ``dtype`` is given."""
    return np.zeros(shape, dtype=dtype or floatx())


def ones(shape, dtype=None):
    """An array of ones; ``floatx()`` unless ``dtype`` is given."""
    return np.ones(shape, dtype=dtype or floatx())


def full(shape, fill_value, dtype=None):
    """An array filled with ``fill_value``; ``floatx()`` unless ``dtype`` is given."""
    return np.full(shape, _raw(fill_value), dtype=dtype or floatx())


def zeros_like(x, dtype=None):
    """Zeros with ``x``'s shape (and type, unless ``dtype`` is given)."""
    return np.zeros_like(_raw(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones with ``x``'s shape (and type, unless ``dtype`` is given)."""
    return np.ones_like(_raw(x), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` with ``x``'s shape (and type, unless ``dtype`` is given)."""
    return np.full_like(_raw(x), _raw(fill_value), dtype=dtype)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``, as ``np.arange``."""
    return np.arange(start, stop, 1 if step is None else step, dtype=dtype)


# ----------------------------------------------- Tensor's and Variable's operators
# A Tensor's Python operators, and a Variable's arithmetic, are the ops above, so a
# recording tape sees them; with no tape recording they are plain NumPy.
def _operators():
    def reflected(fn):
        return lambda self, other: fn(other, self)

    table = {"add": add, "sub": subtract, "mul": multiply, "truediv": divide,
             "pow": power, "matmul": matmul}
    for cls in (Tensor, Variable):
        for name, fn in table.items():
            setattr(cls, f"__{name}__", fn)  # a plain function: self is its first input
            setattr(cls, f"__r{name}__", reflected(fn))
        cls.__neg__ = negative
        cls.__abs__ = absolute
    for name, fn in table.items():  # t += 1 binds t to a new Tensor, as in TensorFlow
        setattr(Tensor, f"__i{name}__", getattr(Tensor, f"__{name}__"))
    Tensor.__pos__ = lambda self: self
    # v[0] too: a variable indexed under a tape must be recorded, or its gradient would
    # silently miss that use. With no tape recording it is the same view as before.
    Tensor.__getitem__ = Variable.__getitem__ = getitem
    Tensor.T = property(lambda self: transpose(self))
    Tensor.mT = property(_mT)
    Tensor.reshape = lambda self, *shape_: reshape(
        self, shape_[0] if len(shape_) == 1 else shape_)
    Tensor.transpose = lambda self, *axes: transpose(
        self, (axes[0] if len(axes) == 1 else axes) or None)
    Tensor.astype = lambda self, dtype, **kwargs: cast(self, dtype)
    Tensor.sum = lambda self, axis=None, keepdims=False: sum(self, axis, keepdims)
    Tensor.mean = lambda self, axis=None, keepdims=False: mean(self, axis, keepdims)
    Tensor.max = lambda self, axis=None, keepdims=False: max(self, axis, keepdims)
    Tensor.min = lambda self, axis=None, keepdims=False: min(self, axis, keepdims)
    Tensor.squeeze = lambda self, axis=None: squeeze(self, axis)
    Tensor.flatten = Tensor.ravel = lambda self: reshape(self, (-1,))


_operators()
