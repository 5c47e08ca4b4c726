"""Merge layers: several inputs in, one output out.

They take a list of arrays (or symbolic tensors) and return one array;
``backward`` returns one gradient per input. With ``y`` the output and ``g``
= dL/dy:

===========  ==============================  ====================================
layer        forward                         dL/dx_i
===========  ==============================  ====================================
Add          ``x_0 + x_1 + ...``             ``g``
Subtract     ``x_0 - x_1``                   ``g``, ``-g``
Multiply     ``x_0 * x_1 * ...``             ``g * (product of the other inputs)``
Average      ``(x_0 + ... + x_{n-1}) / n``   ``g / n``
Maximum      elementwise max                 ``g`` where ``x_i`` is the max, else 0
Minimum      elementwise min                 ``g`` where ``x_i`` is the min, else 0
Concatenate  join along ``axis``             the slice of ``g`` that ``x_i`` filled
Dot          ``x_0 . x_1`` along ``axes``    ``g x_1^T``, ``x_0^T g`` (see ``Dot``)
===========  ==============================  ====================================

Maximum and Minimum send a tie's gradient to the first input that attains it.
"""

import numpy as np

from kerasite._validation import integer
from kerasite.layers.base import Layer, _fits
from kerasite.layers.symbolic import OPERATOR_LAYERS


class Merge(Layer):
    """Base of the merge layers: a list of same-shaped inputs, one output."""

    _cache_attrs = ("inputs",)
    _min_inputs = 2
    _max_inputs = None
    supports_masking = True

    # ------------------------------------------------------------ shape checks
    def ensure_built(self, input_shape):
        shapes = self._check_shapes(input_shape)
        if self.built:
            if [s[1:] for s in shapes] != [s[1:] for s in self.input_shape] and not all(
                    _fits(s, b) for s, b in zip(shapes, self.input_shape)):
                raise ValueError(
                    f"Input to layer '{self.name}' ({type(self).__name__}) has the wrong shapes: "
                    f"expected {self.input_shape} as the layer was built for, received "
                    f"{shapes}. Build a new layer for inputs of other shapes."
                )
            return
        self.build(shapes)
        self.input_shape = [(None, *s[1:]) for s in shapes]
        self.built = True

    def _check_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                f"inputs, such as {type(self).__name__}()([a, b]). Received one input of shape "
                f"{tuple(input_shape)}."
            )
        shapes = [tuple(s) for s in input_shape]
        n = len(shapes)
        if n < self._min_inputs or (self._max_inputs is not None and n > self._max_inputs):
            wanted = f"exactly {self._max_inputs}" if self._min_inputs == self._max_inputs \
                else f"at least {self._min_inputs}"
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) takes {wanted} inputs. "
                f"Received {n}."
            )
        self._check_compatible(shapes)
        return shapes

    def _check_compatible(self, shapes):
        features = {s[1:] for s in shapes}
        if len(features) > 1:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) combines its inputs element by "
                f"element, so they must have the same shape. Received shapes {shapes}. "
                "Reshape or project them (e.g. with a Dense layer) to one shape first."
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def compute_mask(self, inputs, mask=None):
        """A step is real where it is real in every input that has a mask (as Keras)."""
        masks = [m for m in (mask or []) if m is not None]
        if not masks:
            return None
        return np.logical_and.reduce(masks) if len(masks) > 1 else masks[0]

    # --------------------------------------------------------- forward, backward
    def forward(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)):
            self._check_shapes(getattr(inputs, "shape", ()))
        shapes = [np.shape(x) for x in inputs]
        if len({s[0] if s else None for s in shapes}) > 1:
            raise ValueError(
                f"Inputs to layer '{self.name}' ({type(self).__name__}) have different batch "
                f"sizes: {[s[0] for s in shapes]}. Every input must have one row per sample."
            )
        self.ensure_built(shapes)
        return self.call(list(inputs), training)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        return self.gradients(grad_output)

    def gradients(self, g):
        """The list of dL/dx_i for the last call's inputs."""
        raise NotImplementedError

    def _sum_into(self, inputs, training):
        out = self._out("out", inputs[0].shape, inputs[0].dtype, training)
        np.add(inputs[0], inputs[1], out=out)
        for x in inputs[2:]:
            out += x
        return out


class Add(Merge):
    """The elementwise sum of its inputs.

    Example:
        >>> import numpy as np
        >>> Add()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
        array([[11., 22.]])
    """

    _cache_attrs = ("n_inputs",)

    def call(self, inputs, training=False):
        self.n_inputs = len(inputs)
        return self._sum_into(inputs, training)

    def gradients(self, g):
        return [g] * self.n_inputs


class Subtract(Merge):
    """``x_0 - x_1``, for exactly two inputs.

    Example:
        >>> import numpy as np
        >>> Subtract()([np.array([[5.0]]), np.array([[3.0]])])
        array([[2.]])
    """

    _cache_attrs = ()
    _max_inputs = 2

    def call(self, inputs, training=False):
        out = self._out("out", inputs[0].shape, inputs[0].dtype, training)
        return np.subtract(inputs[0], inputs[1], out=out)

    def gradients(self, g):
        return [g, np.negative(g, out=self._workspace("neg", g.shape, g.dtype))]


class Multiply(Merge):
    """The elementwise product of its inputs.

    Example:
        >>> import numpy as np
        >>> Multiply()([np.array([[2.0, 3.0]]), np.array([[4.0, 5.0]])])
        array([[ 8., 15.]])
    """

    def call(self, inputs, training=False):
        self.inputs = inputs
        out = self._out("out", inputs[0].shape, inputs[0].dtype, training)
        np.multiply(inputs[0], inputs[1], out=out)
        for x in inputs[2:]:
            out *= x
        return out

    def gradients(self, g):
        grads = []
        for i in range(len(self.inputs)):
            # d(x_0 x_1 ... x_n)/dx_i is the product of the others (no division: x_i may be 0)
            dx = self._workspace(("dx", i), g.shape, g.dtype)
            np.copyto(dx, g)
            for j, x in enumerate(self.inputs):
                if j != i:
                    dx *= x
            grads.append(dx)
        return grads


class Average(Merge):
    """The elementwise mean of its inputs.

    Example:
        >>> import numpy as np
        >>> Average()([np.array([[1.0]]), np.array([[3.0]])])
        array([[2.]])
    """

    _cache_attrs = ("n_inputs",)

    def call(self, inputs, training=False):
        self.n_inputs = len(inputs)
        out = self._sum_into(inputs, training)
        out *= 1.0 / len(inputs)
        return out

    def gradients(self, g):
        dx = np.multiply(g, 1.0 / self.n_inputs, out=self._workspace("dx", g.shape, g.dtype))
        return [dx] * self.n_inputs


class Maximum(Merge):
    """The elementwise maximum of its inputs.

    Example:
        >>> import numpy as np
        >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
        array([[3., 5.]])
    """

    _cache_attrs = ("winner",)
    _reduce = staticmethod(np.argmax)

    def call(self, inputs, training=False):
        stacked = np.stack(inputs)
        # which input gave each output element; ties go to the first one
        self.winner = self._reduce(stacked, axis=0)
        out = self._out("out", inputs[0].shape, inputs[0].dtype, training)
        np.copyto(out, np.take_along_axis(stacked, self.winner[None], axis=0)[0])
        return out

    def gradients(self, g):
        grads = []
        for i in range(len(self.input_shape)):
            dx = self._workspace(("dx", i), g.shape, g.dtype)
            np.multiply(g, self.winner == i, out=dx)
            grads.append(dx)
        return grads


class Minimum(Maximum):
    """The elementwise minimum of its inputs.

    Example:
        >>> import numpy as np
        >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
        array([[1., 2.]])
    """

    _reduce = staticmethod(np.argmin)


class Concatenate(Merge):
    """Joins its inputs along ``axis``; the other axes must match.

    Args:
        axis: the axis to join along; ``-1`` (the features) by default.

    Example:
        >>> import numpy as np
        >>> Concatenate()([np.array([[1.0, 2.0]]), np.array([[3.0]])])
        array([[1., 2., 3.]])
    """

    _cache_attrs = ("sizes",)

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = integer(axis, "axis")

    def _check_compatible(self, shapes):
        rank = len(shapes[0])
        axis = self.axis if self.axis >= 0 else rank + self.axis
        if {len(s) for s in shapes} != {rank} or not 1 <= axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) needs inputs of one rank and an axis other "
                f"than the batch axis. Received shapes {shapes} with axis={self.axis}."
            )
        others = {s[1:axis] + s[axis + 1:] for s in shapes}
        if len(others) > 1:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) joins along axis {self.axis}, so all other "
                f"axes must match. Received shapes {shapes}."
            )

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        axis = self.axis % rank
        sizes = [s[axis] for s in shapes]
        total = None if None in sizes else sum(sizes)
        return (*shapes[0][:axis], total, *shapes[0][axis + 1:])

    def call(self, inputs, training=False):
        self.sizes = [x.shape[self.axis] for x in inputs]
        shape = self.compute_output_shape([x.shape for x in inputs])
        out = self._out("out", shape, inputs[0].dtype, training)
        return np.concatenate(inputs, axis=self.axis, out=out)

    def gradients(self, g):
        cuts = np.cumsum(self.sizes)[:-1]
        return np.split(g, cuts, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """The dot product of two inputs along ``axes``, per sample (Keras's ``batch_dot``).

    With ``x`` of shape ``(batch, *a, k)`` and ``y`` of shape ``(batch, k, *b)``
    once the summed axes are moved there, the output is ``(batch, *a, *b)``;
    ``(batch, 1)`` when both are vectors. With ``normalize=True`` each input is
    first divided by its L2 norm along its axis (``max(sum x^2, 1e-12)`` under
    the root, as Keras), so the output is the cosine similarity.

    Backward, with ``g`` = dL/dout: ``dx = g y^T`` and ``dy = x^T g``; through the
    normalisation ``u = x / n``: ``dx = (du - u * sum(du * u)) / n``.

    Args:
        axes: the axis summed over, one int for both inputs or a pair
            ``(axis of x, axis of y)``; never the batch axis 0.
        normalize: L2-normalise both inputs along ``axes`` first.

    Example:
        >>> import numpy as np
        >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
        array([[11.]])
    """

    _cache_attrs = ("mats", "norms", "units")
    _max_inputs = 2
    _min_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2:
            raise ValueError(f"`axes` must be an int or a pair of ints (one per input). "
                             f"Received: axes={axes!r}")
        self.axes = tuple(integer(a, "axes") for a in pair)
        self.normalize = bool(normalize)

    def _resolved(self, shapes):
        return [a % len(s) for a, s in zip(self.axes, shapes)]

    def _check_compatible(self, shapes):
        ax, ay = self._resolved(shapes)
        if ax == 0 or ay == 0 or min(len(s) for s in shapes) < 2:
            raise ValueError(
                f"Layer '{self.name}' (Dot) sums over a feature axis of inputs with a batch "
                f"axis: `axes` may not be 0 (the batch). Received shapes {shapes} with "
                f"axes={self.axes}.")
        if None not in (shapes[0][ax], shapes[1][ay]) and shapes[0][ax] != shapes[1][ay]:
            raise ValueError(
                f"Layer '{self.name}' (Dot) needs the summed axes to have one size. Received "
                f"shapes {shapes} with axes={self.axes}: {shapes[0][ax]} != {shapes[1][ay]}.")

    def compute_output_shape(self, input_shape):
        (sx, sy), (ax, ay) = input_shape, self._resolved(input_shape)
        rest = (*sx[1:ax], *sx[ax + 1:], *sy[1:ay], *sy[ay + 1:])
        return (sx[0], *rest) if rest else (sx[0], 1)

    def call(self, inputs, training=False):
        (x, y), (ax, ay) = inputs, self._resolved([np.shape(v) for v in inputs])
        if self.normalize:
            self.norms = [np.sqrt(np.maximum(np.sum(v * v, axis=a, keepdims=True), 1e-12))
                          for v, a in ((x, ax), (y, ay))]
            self.units = [x / self.norms[0], y / self.norms[1]]
            x, y = self.units
        xm = np.moveaxis(x, ax, -1)  # (batch, *a, k)
        ym = np.moveaxis(y, ay, 1)  # (batch, k, *b)
        batch, k = xm.shape[0], xm.shape[-1]
        xf, yf = xm.reshape(batch, -1, k), ym.reshape(batch, k, -1)
        self.mats = (xf, yf, xm.shape, ym.shape)
        out = self._out("out", (batch, xf.shape[1], yf.shape[2]), xf.dtype, training)
        np.matmul(xf, yf, out=out)
        return out.reshape(self.compute_output_shape([x.shape, y.shape]))

    def gradients(self, g):
        xf, yf, xshape, yshape = self.mats
        g3 = g.reshape(xf.shape[0], xf.shape[1], yf.shape[2])
        ax, ay = self._resolved(self.input_shape)
        dx = np.moveaxis((g3 @ yf.transpose(0, 2, 1)).reshape(xshape), -1, ax)
        dy = np.moveaxis((xf.transpose(0, 2, 1) @ g3).reshape(yshape), 1, ay)
        if self.normalize:
            dx, dy = [(d - u * np.sum(d * u, axis=a, keepdims=True)) / n
                      for d, u, n, a in zip((dx, dy), self.units, self.norms, (ax, ay))]
        return [dx, dy]

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes) if self.axes[0] != self.axes[1]
                else self.axes[0], "normalize": self.normalize}


# Keras's functional forms: ``layers.add([a, b])`` is ``layers.Add()([a, b])``.
# What ``a + b``, ``a - b`` and ``a * b`` build between symbolic tensors.
OPERATOR_LAYERS.update({"+": Add, "-": Subtract, "*": Multiply})


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
