"""What a model has learned: its latent space, its convolution filters, its feature maps."""

import numpy as np

from kerasite.plotting._figures import DEFAULT_DPI, check_path, new_figure, save, wrap_title


def plot_latent_space(encoder, x, y, class_names=None, path=None, title=None, batch_size=256,
                      dpi=DEFAULT_DPI):
    """Scatters the codes an encoder gives ``x``, one colour per class of ``y``.

    A 2-D latent is drawn as it is. A latent with more dimensions is projected
    onto its first two principal components (PCA by a NumPy SVD of the
    centred codes), and each axis says how much of the variance it holds.
    The colour bar names the classes, one band each, with its tick at the
    band's centre.

    Args:
        encoder: anything with ``predict(x)``, such as the encoder half of an
            autoencoder. When it returns several arrays (a VAE's encoder gives
            ``[z_mean, z_log_var, z]``), the first one is used.
        x: the inputs, ``(n, ...)``.
        y: their classes, ``(n,)`` integers ``0..k-1``, or one-hot ``(n, k)``.
        class_names: ``class_names[i]`` names class ``i``; by default the
            classes are named by their numbers.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: what the figure shows, for example the dataset and the model;
            by default it says whether these are the codes or their PCA.
        batch_size: passed to ``encoder.predict``.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``: the scatter's axes, then the colour
        bar's.

    Raises:
        TypeError: if ``encoder`` has no ``predict`` method.
        ValueError: if the codes have fewer than 2 dimensions, ``y`` does not
            give one class per input, ``class_names`` misses a class, or
            ``path`` (its extension chooses the format) or ``dpi`` is not usable.

    Example:
        >>> import numpy as np
        >>> class Encoder:
        ...     def predict(self, x, batch_size=None):
        ...         return x[:, :3]
        >>> x = np.random.default_rng(0).normal(size=(30, 5))
        >>> fig = plot_latent_space(Encoder(), x, np.arange(30) % 3, class_names=["a", "b", "c"])
        >>> fig.axes[0].get_xlabel()[:4], [t.get_text() for t in fig.axes[1].get_yticklabels()]
        ('PC 1', ['a', 'b', 'c'])
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    if not callable(getattr(encoder, "predict", None)):
        raise TypeError(
            "`encoder` must have a predict(x) method, such as the encoder of an autoencoder. "
            f"Received: encoder of type {type(encoder).__name__}."
        )
    codes = _predict(encoder, x, batch_size)
    if isinstance(codes, (list, tuple)):
        codes = codes[0]
    codes = np.asarray(codes, dtype=float)
    codes = codes.reshape(len(codes), -1)
    if codes.shape[1] < 2:
        raise ValueError(
            "`encoder` must give codes of at least 2 dimensions to be drawn in a plane. "
            f"Received codes of shape {codes.shape}."
        )
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
    if len(labels) != len(codes):
        raise ValueError(
            f"`y` must give one class per input: {len(codes)} codes. Received: y of shape "
            f"{y.shape}."
        )
    labels = labels.astype(np.intp)
    k = int(labels.max()) + 1 if class_names is None else len(class_names)
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(
            f"The classes in `y` must be the integers 0..{k - 1}, one per name of "
            f"`class_names`. Received classes from {labels.min()} to {labels.max()}."
        )
    names = [str(c) for c in range(k)] if class_names is None else [str(c) for c in class_names]

    if codes.shape[1] == 2:
        points, axis_names, shown = codes, ["z[0]", "z[1]"], "codes"
    else:
        # PCA: the right singular vectors of the centred codes are the principal axes.
        centred = codes - codes.mean(axis=0)
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        points = centred @ vt[:2].T
        share = singular ** 2 / max(float((singular ** 2).sum()), 1e-300)
        axis_names = [f"PC {i + 1} ({100 * share[i]:.0f}% of the variance)" for i in range(2)]
        shown = f"PCA of the {codes.shape[1]}-D codes"

    import matplotlib.colors as mcolors

    cmap = mcolors.ListedColormap(_class_colours(k))
    # One band per class, from i - 0.5 to i + 0.5: its tick sits at the band's centre, i.
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)
    fig = new_figure((7.0, 5.6))
    ax = fig.subplots()
    size = 14 if len(points) <= 2000 else 4  # large dots while they do not hide each other
    scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=cmap, norm=norm, s=size,
                         alpha=0.8, linewidths=0)
    bar = fig.colorbar(scatter, ax=ax, ticks=np.arange(k), label="class")
    bar.ax.set_yticklabels(names)
    bar.ax.minorticks_off()
    bar.ax.tick_params(length=0)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(wrap_title(title or f"Latent space: {shown} of {len(codes):,} inputs, by class",
                            6.0))
    ax.grid(True, alpha=0.3)
    save(fig, path, dpi)
    return fig


def _predict(model, x, batch_size):
    """``model.predict(x)`` without a progress bar, when the model has one to silence."""
    import inspect

    try:
        parameters = inspect.signature(model.predict).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "verbose" in parameters:
        return model.predict(x, batch_size=batch_size, verbose=0)
    return model.predict(x, batch_size=batch_size)


def _class_colours(k):
    """``k`` distinct colours: tab10 up to 10 classes, tab20 up to 20, else a hue sweep."""
    import matplotlib

    if k <= 10:
        return [matplotlib.colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [matplotlib.colormaps["tab20"](i) for i in range(k)]
    return [matplotlib.colormaps["hsv"](i / k) for i in range(k)]


def plot_conv_filters(layer, channel=None, max_filters=64, path=None, title=None,
                      dpi=DEFAULT_DPI):
    """Draws the kernels of a ``Conv2D`` layer, one small image per filter.

    A kernel on 3 input channels is drawn in colour (its weights scaled to
    ``[0, 1]`` over all filters together); otherwise each filter shows one
    input channel (``channel``) or, by default, the mean over them, all on one
    diverging colour scale centred on 0 (red positive, blue negative).

    Args:
        layer: a built ``Conv2D`` layer (its kernel ``W`` of shape
            ``(rows, cols, in_channels, filters)``).
        channel: which input channel to draw, or ``None`` for RGB with 3
            input channels and the mean over the channels otherwise.
        max_filters: draw at most the first this many filters.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: the figure's title; by default the layer's name and kernel shape.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``: a grid of axes, up to 8 a row, the
        first holding one image per filter drawn and the rest hidden (then the
        colour bar's, unless RGB).

    Raises:
        ValueError: if ``layer`` has no 4-D kernel (not a built Conv2D), or
            ``channel`` is out of range.

    Example:
        >>> import kerasite
        >>> conv = kerasite.layers.Conv2D(6, 3)
        >>> conv.build((None, 8, 8, 1))
        >>> fig = plot_conv_filters(conv)
        >>> sum(len(ax.images) for ax in fig.axes)
        6
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    kernel = getattr(layer, "W", None)
    if kernel is None or np.ndim(kernel) != 4:
        raise ValueError(
            "`layer` must be a built Conv2D layer, with a kernel of shape (rows, cols, "
            f"in_channels, filters). Received: {type(layer).__name__} "
            f"{getattr(layer, 'name', '')!r} with kernel "
            f"{None if kernel is None else np.shape(kernel)}. Build it first (call the model "
            "on data, or start it with kerasite.Input)."
        )
    kernel = np.asarray(kernel, dtype=float)
    rows, cols, channels, filters = kernel.shape
    if channel is not None and not 0 <= channel < channels:
        raise ValueError(
            f"`channel` must be between 0 and {channels - 1}, the input channels of "
            f"{layer.name!r}. Received: channel={channel}."
        )
    n = min(filters, max_filters)
    rgb = channel is None and channels == 3
    if rgb:
        images = kernel[..., :n].transpose(3, 0, 1, 2)
        low, high = images.min(), images.max()
        images = (images - low) / (high - low if high > low else 1.0)
    else:
        images = kernel[:, :, channel, :n] if channel is not None else kernel[..., :n].mean(2)
        images = images.transpose(2, 0, 1)
    what = "RGB" if rgb else (f"input channel {channel}" if channel is not None
                              else f"mean over {channels} input channels")
    default_title = (f"{layer.name}: {n} of {filters} filters, {rows}x{cols}, {what}")
    return _image_grid(images, [f"{i}" for i in range(n)], title or default_title,
                       diverging=not rgb, colourbar_label="weight", path=path, dpi=dpi)


def plot_feature_maps(model, layer_name, image, max_maps=32, path=None, title=None,
                      dpi=DEFAULT_DPI):
    """Draws what a ``Conv2D`` layer (or any layer with a 4-D output) makes of one image.

    The model is cut at ``layer_name`` (``kerasite.Model(model.inputs,
    layer.output)``), the image goes through it, and each channel of the
    output is drawn as a grey image, all on one scale; the input image is
    drawn first.

    Args:
        model: a functional model or a ``Sequential`` built with an ``Input``
            (one input).
        layer_name: the name of the layer, as in ``model.summary()``.
        image: one input, ``(rows, cols, channels)`` or ``(rows, cols)``, or a
            batch of one.
        max_maps: draw at most the first this many channels.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: the figure's title; by default the layer's name and output shape.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``: a grid of axes, up to 8 a row, the
        input's first, then one per map drawn, the rest hidden; then the
        colour bar's.

    Raises:
        ValueError: if the layer is not found or its output is not
            ``(batch, rows, cols, channels)``, or the model has no ``inputs``.

    Example:
        >>> import numpy as np, kerasite
        >>> model = kerasite.Sequential([kerasite.Input((8, 8, 1)),
        ...                              kerasite.layers.Conv2D(4, 3, name="conv")])
        >>> fig = plot_feature_maps(model, "conv", np.ones((8, 8, 1)))
        >>> fig.axes[1].images[0].get_array().shape
        (6, 6)
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    from kerasite.models import Model

    layer = model.get_layer(layer_name)
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"`model` must have symbolic inputs to be cut at layer {layer_name!r}: a "
            "functional model, or a Sequential that starts with kerasite.Input(...). "
            f"Received: {type(model).__name__} {model.name!r} without inputs."
        )
    output = layer.output
    if len(output.shape) != 4:
        raise ValueError(
            f"Layer {layer_name!r} must give maps of shape (batch, rows, cols, channels) to "
            f"be drawn. Received its output shape {output.shape}; pick a Conv2D or pooling "
            "layer."
        )
    image = np.asarray(image, dtype="float32")
    expected = tuple(inputs[0].shape[1:])
    if image.shape == expected[:2] and len(expected) == 3 and expected[2] == 1:
        image = image[..., None]
    if image.shape == expected:
        image = image[None]
    if image.shape[1:] != expected or len(image) != 1:
        raise ValueError(
            f"`image` must be one input of shape {expected} (or a batch of one). Received: "
            f"image of shape {image.shape}."
        )
    maps = np.asarray(Model(inputs, output).predict(image, verbose=0))[0]
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        maps = maps.transpose(1, 2, 0)
    n = min(maps.shape[-1], max_maps)
    first = image[0, ..., 0] if image.shape[-1] == 1 else image[0]
    default_title = (f"{layer.name} ({type(layer).__name__}) of model {model.name!r}: "
                     f"{n} of {maps.shape[-1]} feature maps, {maps.shape[0]}x{maps.shape[1]}")
    return _image_grid(maps[..., :n].transpose(2, 0, 1), [f"{i}" for i in range(n)],
                       title or default_title, diverging=False, colourbar_label="activation",
                       path=path, dpi=dpi, first=first)


def _image_grid(images, names, title, diverging, colourbar_label, path, dpi, first=None):
    """A grid of small images on one colour scale, optionally after an input image."""
    tiles = len(images) + (first is not None)
    cols = min(8, tiles)
    rows = -(-tiles // cols)
    fig = new_figure((1.3 * cols + 1.2, 1.3 * rows + 0.7))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    if diverging:
        limit = float(np.abs(images).max()) or 1.0
        scale = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    elif images.ndim == 4:  # RGB
        scale = {}
    else:
        scale = {"cmap": "gray", "vmin": float(images.min()), "vmax": float(images.max())}
    start = 0
    if first is not None:
        axes[0].imshow(first, cmap="gray" if first.ndim == 2 else None, interpolation="nearest")
        axes[0].set_title("input", fontsize=9)
        start = 1
    shown = None
    for ax, image, name in zip(axes[start:], images, names):
        shown = ax.imshow(image, interpolation="nearest", **scale)
        ax.set_title(name, fontsize=9)
    if scale:
        fig.colorbar(shown, ax=list(axes), shrink=0.8, label=colourbar_label)
    fig.suptitle(wrap_title(title, 1.3 * cols + 1.2))
    save(fig, path, dpi)
    return fig
