"""One contiguous buffer for a model's trained weights, and another for their gradients.

An optimizer step is a handful of elementwise passes per weight. Done weight
by weight that is a few dozen small NumPy calls per step; when the weights
are consecutive pieces of one 1-D array, the same passes run once over that
array instead (see ``Optimizer.apply_gradients``).

``pack`` moves a model's trained weights, and their gradients, into two such
buffers when training is set up: each layer's ``params[key]`` and
``grads[key]`` (and attributes such as ``Dense.W`` that name the same array)
become views into them, with the same values. From then on the arrays stay
put, as every array a layer holds does while it trains. ``span`` finds the
buffer again from the views.
"""

import numpy as np

# Incremented by every ``pack``: a model whose list of (gradient, weight) pairs
# is older than the last pack collects it again (another model may have moved
# weights they share).
generation = 0


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


def _owned(layer, key):
    """Whether ``layer``'s weight ``key`` and its gradient can move into a buffer safely.

    Both must be arrays of their own (not views into something else, e.g. a
    buffer another model packed), and the layer must keep no view of them,
    which would go on pointing at the old memory.
    """
    p, g = layer.params[key], layer.grads[key]
    if p.base is not None or g.base is not None or not p.flags.c_contiguous \
            or not g.flags.c_contiguous or p.dtype != g.dtype:
        return False
    for name, value in vars(layer).items():
        if isinstance(value, np.ndarray) and value.base is not None \
                and (value.base is p or value.base is g):
            return False  # a view, e.g. a reshaped kernel kept from build
        if name in ("params", "grads"):
            continue
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)) and any(v is p or v is g for v in value):
            return False  # the array kept in a container that pack would not update
    return True


def pack(weights):
    """Moves the weights ``[(layer, key), ...]`` and their gradients into two buffers.

    Nothing moves when the weights already lie in one buffer, in this order,
    or when one of them cannot move (see ``_owned``), or when their dtypes
    differ: the optimizer then works weight by weight, as before.

    Args:
        weights: ``(layer, key)`` for each trained weight, in training order.

    Returns:
        True if the arrays moved.
    """
    global generation
    params = [layer.params[key] for layer, key in weights]
    if not params or span(params) is not None:
        return False
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1 or not all(_owned(layer, key) for layer, key in weights):
        return False
    total = sum(p.size for p in params)
    flat_params = np.empty(total, dtype=params[0].dtype)
    flat_grads = np.zeros(total, dtype=params[0].dtype)
    start = 0
    for layer, key in weights:
        old_p, old_g = layer.params[key], layer.grads[key]
        stop = start + old_p.size
        new_p = flat_params[start:stop].reshape(old_p.shape)
        new_g = flat_grads[start:stop].reshape(old_p.shape)
        new_p[...] = old_p
        new_g[...] = old_g
        layer.params[key], layer.grads[key] = new_p, new_g
        for name, value in list(vars(layer).items()):  # aliases such as Dense.W, Dense.dW
            if value is old_p:
                setattr(layer, name, new_p)
            elif value is old_g:
                setattr(layer, name, new_g)
        start = stop
    generation += 1
    return True
