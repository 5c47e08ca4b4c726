"""One contiguous buffer for a model's trained weights, and another for their gradients.

An optimizer step is a handful of elementwise passes per weight. Done weight
by weight that is a few dozen small NumPy calls per step; when the weights
are consecutive pieces of one 1-D array, the same passes run once over that
array instead (see ``Optimizer.apply_gradients``).

``pack`` moves a model's trained variables, and their gradient slots, into
two such buffers when training is set up: it tells each
:class:`~kerasite.Variable` to rebind its storage (``_rebind`` and
``_rebind_grad``), with the same values. Layers read ``variable.value`` on
every call, so nothing they hold goes stale. ``span`` finds the buffer again
from the views.

A variable can be trained by two models (a shared layer). ``pack`` returns a
``FlatBuffer`` that the trainer keeps; when another model's ``pack`` moves
one of its variables, the buffer is marked invalid, and the trainer, which
checks ``buffer.valid`` once per step, sets its training up again.
"""

import numpy as np


class FlatBuffer:
    """The trained variables of one model, and the buffers ``pack`` moved them into.

    Attributes:
        variables: the variables, in training order.
        params, grads: the 1-D buffers of their values and gradients, or
            ``None`` when they could not move (then the optimizer works
            weight by weight).
        valid: ``False`` once one of the variables has moved elsewhere (or
            the trainer released the buffer): the model must set up again.
    """

    def __init__(self, variables, params=None, grads=None):
        self.variables = variables
        self.params, self.grads = params, grads
        self.valid = True

    def release(self):
        """Marks the buffer unused (the trainer set up again, or forgot its state)."""
        self.valid = False

    def __getstate__(self):  # a copy (pickle, deepcopy) no longer holds the variables' storage
        return {**self.__dict__, "valid": False}


def _address(a):
    return a.__array_interface__["data"][0]


def span(arrays):
    """The 1-D array of which ``arrays`` are consecutive, contiguous pieces, or None.

    Args:
        arrays: a list of arrays, e.g. a model's weights in training order.

    Returns:
        A 1-D view covering exactly ``arrays``, in order, or ``None`` when they
        are not consecutive views of one buffer.

    Example:
        >>> import numpy as np
        >>> flat = np.arange(5.0)
        >>> span([flat[:2].reshape(2, 1), flat[2:]]).tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0]
        >>> span([np.zeros(2), np.zeros(3)]) is None
        True
    """
    if not arrays:
        return None
    base = arrays[0].base
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = address = _address(arrays[0])
    for a in arrays:
        if a.base is not base or a.dtype != base.dtype or not a.flags.c_contiguous \
                or _address(a) != address:
            return None
        address += a.nbytes
    first = (start - _address(base)) // base.itemsize
    return base[first:first + (address - start) // base.itemsize]


def pack(variables):
    """Moves the trained ``variables`` and their gradients into two buffers, if they can.

    Nothing moves when they already lie in one pair of buffers, in this
    order, or when their dtypes differ: the optimizer then works weight by
    weight, as before. Moving a variable invalidates every other
    ``FlatBuffer`` it was in.

    Args:
        variables: the trained variables (each with a gradient slot), in
            training order.

    Returns:
        A ``FlatBuffer`` of ``variables`` for the trainer to keep.
    """
    variables = list(variables)
    params = [v.value for v in variables]
    grads = [v._grad for v in variables]
    flat_params, flat_grads = span(params), span(grads)
    if params and (flat_params is None or flat_grads is None) \
            and len({a.dtype for a in params + grads}) == 1:
        total = sum(p.size for p in params)
        flat_params = np.empty(total, dtype=params[0].dtype)
        flat_grads = np.empty(total, dtype=params[0].dtype)
        start = 0
        for v, old_p, old_g in zip(variables, params, grads):
            stop = start + old_p.size
            new_p = flat_params[start:stop].reshape(old_p.shape)
            new_g = flat_grads[start:stop].reshape(old_p.shape)
            new_p[...] = old_p
            new_g[...] = old_g
            for other in v._buffers:  # the models that trained it from its old storage
                other.valid = False
            v._buffers = []
            v._rebind(new_p)
            v._rebind_grad(new_g)
            start = stop
    elif flat_params is None or flat_grads is None:
        flat_params = flat_grads = None
    buffer = FlatBuffer(variables, flat_params, flat_grads)
    for v in variables:
        v._buffers = [b for b in v._buffers if b.valid]
        v._buffers.append(buffer)
    return buffer
