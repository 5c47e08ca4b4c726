"""Shared helpers of the 2D layers: argument checks, output sizes, im2col and col2im.

Images are channels-last, ``(batch, height, width, channels)``, as in Keras.
A window of ``k`` taps spaced ``d`` apart (the dilation) covers
``k_eff = (k - 1) * d + 1`` pixels. With ``padding="valid"`` it only visits
positions where it fits entirely; with ``"same"`` the input is zero-padded so
that the output has ``ceil(size / stride)`` positions, the extra row or column
going to the bottom and right, as in TensorFlow and Keras.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kerasite.backend import kernel


def pair(value, arg, allow_zero=False):
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else is a ValueError naming ``arg``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    low = 0 if allow_zero else 1
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  and v >= low for v in items):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"`{arg}` must be a {kind} integer or a tuple of 2 {kind} integers. "
            f"Received: {arg}={value!r}."
        )
    return int(items[0]), int(items[1])


def padding_arg(padding):
    """Checks ``padding`` and returns it lower-cased: ``"valid"`` or ``"same"``."""
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in ("valid", "same"):
        raise ValueError(
            f'`padding` must be "valid" or "same". Received: padding={padding!r}.'
        )
    return mode


def check_rank4(layer, input_shape):
    """Raises a ValueError unless ``input_shape`` is ``(batch, height, width, channels)``."""
    if len(input_shape) != 4:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of rank 4, "
            f"(batch, height, width, channels). Received an input of shape {tuple(input_shape)}. "
            "Add a channel axis with Reshape((height, width, 1)) for greyscale images."
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


@kernel
def im2col(xp, kh, kw, stride, dilation, out_hw, out):
    """Copies every window of ``xp`` into ``out``, one row per output pixel.

    Args:
        xp: padded input, ``(batch, Hp, Wp, C)``.
        kh, kw: kernel taps; ``stride`` and ``dilation`` are ``(sh, sw)``, ``(dh, dw)``.
        out_hw: ``(Ho, Wo)``.
        out: buffer ``(batch, Ho, Wo, kh, kw, C)``, written and returned.

    The windows are a strided *view* of ``xp`` (no copy); one ``copyto``
    gathers them, so the matmul that follows reads contiguous rows. A marked
    kernel: ``kerasite/_fast/conv.py`` has its compiled twin.
    """
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    windows = as_strided(
        xp, shape=(n, out_hw[0], out_hw[1], kh, kw, c),
        strides=(s0, s1 * stride[0], s2 * stride[1], s1 * dilation[0], s2 * dilation[1], s3),
        writeable=False)
    np.copyto(out, windows)
    return out


@kernel
def col2im(cols, stride, dilation, out):
    """The adjoint of ``im2col``: adds every window row back onto the image.

    Args:
        cols: ``(batch, Ho, Wo, kh, kw, C)``.
        out: ``(batch, Hp, Wp, C)``, zeroed here, then accumulated and returned.

    One loop over the kh * kw kernel offsets; each adds a strided slice, so
    positions shared by overlapping windows add up. A marked kernel, like
    ``im2col``.
    """
    _, ho, wo, kh, kw, _ = cols.shape
    out.fill(0)
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (ho - 1) * sh + 1, sh)
            columns = slice(j * dw, j * dw + (wo - 1) * sw + 1, sw)
            out[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return out
