"""``Variable``: a named, live weight, as Keras 3's ``keras.Variable``.

A variable wraps one NumPy array, its *value*. Layers read ``variable.value``
on every call, and the optimizer writes into it in place, so a variable taken
from ``model.weights`` before ``fit`` shows the trained values afterwards.
When training moves the array (the trainer puts a model's weights into one
flat buffer, see ``kerasite/optimizers/_flat.py``), the variable is told and
rebinds its own ``value``; nobody else holds the raw array for long.

A variable converts to an array wherever NumPy expects one
(``np.asarray(v)``, ``v.shape``, ``v[0]``, ``v * 2``), which returns plain
arrays.

Example:
    >>> import numpy as np
    >>> v = Variable(np.zeros(3), name="bias")
    >>> v.assign([1.0, 2.0, 3.0])
    >>> v.assign_add(np.ones(3))
    >>> v.numpy()
    array([2., 3., 4.])
    >>> (v * 2).tolist(), v.shape, v.name
    ([4.0, 6.0, 8.0], (3,), 'bias')
"""

import contextvars

import numpy as np

from kerasite.config import floatx

# While kerasite.saving builds a model described by a file: the budget each new weight is
# charged against before its array is allocated (kerasite/saving/_guards.py).
_ALLOCATION_BUDGET = contextvars.ContextVar("kerasite_allocation_budget", default=None)


class Variable:
    """A weight: a live array with a name, a path and a ``trainable`` flag.

    Args:
        initializer: the initial value (an array or a nested list), or a
            callable ``initializer(shape, dtype) -> array`` such as
            ``kerasite.initializers.GlorotUniform()``; with a callable,
            ``shape`` is required.
        shape: the shape, for a callable ``initializer``.
        dtype: the float type; the value's own float type, else ``floatx()``.
        trainable: whether optimizers update it.
        name: the name, e.g. ``"kernel"``; ``"variable"`` if omitted.

    Attributes:
        name: the variable's own name, e.g. ``"kernel"``.
        path: the name with its owner's in front, e.g. ``"dense/kernel"``,
            once a layer owns it; else the name.
        trainable: whether optimizers update it.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None,
                 **kwargs):
        unknown = set(kwargs) - {"autocast", "aggregation", "synchronization"}
        if unknown:
            raise TypeError(f"Variable() got unexpected arguments {sorted(unknown)}. It takes "
                            "initializer, shape, dtype, trainable and name, as Keras's.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}.")
        if callable(initializer):
            if shape is None:
                raise ValueError("Variable() with a callable `initializer` needs `shape`, e.g. "
                                 "Variable(initializers.Zeros(), shape=(3,)).")
            dtype = floatx() if dtype is None else np.dtype(dtype).name
            budget = _ALLOCATION_BUDGET.get()
            if budget is not None:
                budget.charge(shape)
            value = initializer(tuple(shape), dtype)
        else:
            value = np.asarray(initializer)
            if dtype is None:
                dtype = value.dtype.name if value.dtype.kind == "f" else floatx()
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(f"Variable() received a value of shape {value.shape} and "
                                 f"shape={tuple(shape)}. Give one or make them agree.")
        # A copy, as Keras makes: the variable's storage is its own.
        self._value = np.array(value, dtype=dtype, order="C", copy=True)
        self.name = name or "variable"
        self.path = self.name
        self.trainable = bool(trainable)
        # The gradient slot: an array like the value that the owning layer's backward
        # writes into, for a weight an optimizer trains; None otherwise.
        self._grad = None
        # The flat buffers (``_flat.FlatBuffer``) that hold this variable's storage,
        # or did when they were made: moving the variable invalidates them.
        self._buffers = []

    # ------------------------------------------------------------------ value
    @property
    def value(self):
        """The live array: it changes as the variable is trained or assigned."""
        return self._value

    def numpy(self):
        """A copy of the value, as a plain ``ndarray``."""
        return self._value.copy()

    def assign(self, value):
        """Writes ``value`` into the variable, in place; returns nothing.

        Raises:
            ValueError: if ``value`` does not have the variable's shape.
        """
        value = _plain(value)
        if value.shape != self._value.shape:
            raise ValueError(f"Variable '{self.path}' has shape {self._value.shape}; assign() "
                             f"received a value of shape {value.shape}.")
        self._value[...] = value

    def __setitem__(self, index, value):
        """Writes into part of the value, in place, as ``array[index] = value``."""
        self._value[index] = _plain(value)

    # An assignment changes state; like TensorFlow's, it is not differentiated, so a
    # value that a tape tracks is written as the plain array it holds.
    def assign_add(self, delta):
        """Adds ``delta`` to the value, in place (``delta`` may broadcast)."""
        self._value += _plain(delta)

    def assign_sub(self, delta):
        """Subtracts ``delta`` from the value, in place (``delta`` may broadcast)."""
        self._value -= _plain(delta)

    def _rebind(self, array):
        """Makes ``array`` (with the same shape and values) the variable's storage.

        Only the code that moves weights into a flat buffer calls it.
        """
        if array.shape != self._value.shape:
            raise ValueError(f"Variable '{self.path}': cannot move a value of shape "
                             f"{self._value.shape} into an array of shape {array.shape}.")
        self._value = array

    def _rebind_grad(self, array):
        """Makes ``array`` (with the same shape and values) the gradient slot's storage."""
        if self._grad is None or array.shape != self._grad.shape:
            raise ValueError(f"Variable '{self.path}': cannot move a gradient of shape "
                             f"{None if self._grad is None else self._grad.shape} into an "
                             f"array of shape {array.shape}.")
        self._grad = array

    def __getstate__(self):  # a copy (pickle, deepcopy) belongs to no flat buffer
        return {**self.__dict__, "_buffers": []}

    # ----------------------------------------------------------- array-like
    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    @property
    def nbytes(self):
        return self._value.nbytes

    def __len__(self):
        return len(self._value)

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __getitem__(self, index):
        return self._value[index]

    def __repr__(self):
        return (f"<Variable path={self.path!r} shape={self._value.shape} "
                f"dtype={self._value.dtype.name}, value={self._value!r}>")

    # Arithmetic (+ - * / ** @, unary -, abs) is kerasite.ops's: kerasite/ops/numpy.py
    # sets these operators when kerasite loads (ops imports this module, not the other
    # way round), and replaces __getitem__ above by ops.getitem. With no GradientTape
    # recording they give plain arrays, computed from the current value, as before;
    # while one records, the tape sees them. The priority makes
    # `ndarray * variable` call the variable's operator rather than NumPy's; it does so
    # for `ndarray == variable` too, which __eq__ keeps elementwise, as NumPy made it.
    __array_priority__ = 10

    def __eq__(self, other):
        return self._value == other if isinstance(other, np.ndarray) else NotImplemented

    def __ne__(self, other):
        return self._value != other if isinstance(other, np.ndarray) else NotImplemented

    def __lt__(self, other):
        return self._value < _raw(other)

    def __le__(self, other):
        return self._value <= _raw(other)

    def __gt__(self, other):
        return self._value > _raw(other)

    def __ge__(self, other):
        return self._value >= _raw(other)

    # A variable is identified by its object, as Keras's are: ``==`` compares
    # values elementwise only through ``v.value == other``.
    __hash__ = object.__hash__


def _raw(x):
    return x._value if isinstance(x, Variable) else x


def _plain(value):
    """``value`` as an array without a subclass (a tape's Tensor becomes its plain array)."""
    return value.view(np.ndarray) if isinstance(value, np.ndarray) else np.asarray(value)
