"""Shared helpers of the 1D and 2D layers: argument checks and output sizes.

Images are channels-last, ``(batch, height, width, channels)``, as in Keras, and
sequences are ``(batch, steps, channels)``.
A window of ``k`` taps spaced ``d`` apart (the dilation) covers
``k_eff = (k - 1) * d + 1`` pixels. With ``padding="valid"`` it only visits
positions where it fits entirely; with ``"same"`` the input is zero-padded so
that the output has ``ceil(size / stride)`` positions, the extra row or column
going to the bottom and right, as in TensorFlow and Keras.

The window gather ``im2col`` and its adjoint ``col2im`` are kernels: they
live in :mod:`kerasite.backend.kernels`.
"""

import numpy as np

from kerasite._validation import is_int

def pair(value, arg, allow_zero=False):
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else is a ValueError naming ``arg``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    low = 0 if allow_zero else 1
    if len(items) != 2 or not all(is_int(v) and v >= low for v in items):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"`{arg}` must be a {kind} integer or a tuple of 2 {kind} integers. "
            f"Received: {arg}={value!r}."
        )
    return int(items[0]), int(items[1])


def single(value, arg):
    """``3`` -> ``(3,)``; ``(3,)`` stays; anything else is a ValueError naming ``arg``."""
    items = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 1 or not (is_int(items[0]) and items[0] >= 1):
        raise ValueError(
            f"`{arg}` must be a positive integer or a tuple of 1 positive integer. "
            f"Received: {arg}={value!r}."
        )
    return (int(items[0]),)


def padding_arg(padding, modes=("valid", "same")):
    """Checks ``padding`` and returns it lower-cased, one of ``modes``."""
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in modes:
        quoted = [f'"{m}"' for m in modes]
        listed = ", ".join(quoted[:-1]) + " or " + quoted[-1]
        raise ValueError(
            f"`padding` must be {listed}. Received: padding={padding!r}."
        )
    return mode


def data_format_arg(data_format):
    """Accepts Keras's ``data_format`` only as ``None`` or ``"channels_last"``."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            '`data_format` must be "channels_last" (or None): kerasite\'s layers are '
            f"channels-last. Received: data_format={data_format!r}. Move the channel axis "
            "last, e.g. with Permute."
        )


def check_rank4(layer, input_shape):
    """Raises a ValueError unless ``input_shape`` is ``(batch, height, width, channels)``."""
    if len(input_shape) != 4:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of rank 4, "
            f"(batch, height, width, channels). Received an input of shape {tuple(input_shape)}. "
            "Add a channel axis with Reshape((height, width, 1)) for greyscale images."
        )


def check_rank3(layer, input_shape):
    """Raises a ValueError unless ``input_shape`` is ``(batch, steps, channels)``."""
    if len(input_shape) != 3:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of rank 3, "
            f"(batch, steps, channels). Received an input of shape {tuple(input_shape)}. "
            "Add a channel axis with Reshape((steps, 1)) for a single series."
        )


def out_size(size, k_eff, stride, padding):
    """Number of output positions along one axis, and the zero padding before and after.

    Args:
        size: input length along the axis (``None`` if unknown).
        k_eff: the window's extent, ``(k - 1) * dilation + 1``.
        stride: step between windows.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        ``(out, pad_before, pad_after)``; ``out`` may be ``<= 0`` when the
        window does not fit (the caller raises).
    """
    if size is None:
        return None, 0, 0
    if padding == "valid":
        return (size - k_eff) // stride + 1, 0, 0
    out = -(-size // stride)  # ceil
    total = max((out - 1) * stride + k_eff - size, 0)
    return out, total // 2, total - total // 2

