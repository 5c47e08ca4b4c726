"""Plots of training curves, reconstructions, confusion matrices, latent spaces,
convolution filters and feature maps, and ``plot_model``'s diagram of a model.

Every function makes its figure with ``pyplot`` and returns it, so the figure
is one of ``plt.get_fignums()``: ``plt.show()`` (or ``fig.show()``) shows it in
a script, and a notebook shows it below the cell. On a machine without a
display, matplotlib picks its non-interactive backend by itself and the
figures can still be saved.

Given ``path``, a function also saves its figure there, in the format its
extension names (``.png``, ``.pdf`` or ``.svg``), at ``dpi`` dots per inch
(150 by default, enough for print), creating missing parent directories. A
saved figure stays open, as after ``plt.savefig``: close it with
``plt.close(fig)`` when it is no longer needed, for instance in a loop that
saves many figures.

matplotlib is imported inside the functions, so ``import kerasite`` does not
need it.
"""

import numpy as np

from kerasite.plotting._figures import DEFAULT_DPI, check_path, new_figure, save, wrap_title
# What a model learned, and its diagram: in modules of their own, under the same names.
from kerasite.plotting.model_graph import model_to_dot, plot_model
from kerasite.plotting.representations import (plot_conv_filters, plot_feature_maps,
                                               plot_latent_space)
# Keys that History may hold but that are not metrics to compare across epochs.
# Keys that callbacks add to the logs but that are not model metrics.
_NOT_METRICS = ("lr", "learning_rate", "time")


# How each loss is named on a plot's axis.
_LOSS_NAMES = {
    "MeanSquaredError": "MSE",
    "MeanAbsoluteError": "MAE",
    "BinaryCrossentropy": "binary cross-entropy",
    "CategoricalCrossentropy": "cross-entropy",
    "SparseCategoricalCrossentropy": "cross-entropy",
}


def plot_history(history, path=None, title=None, loss_name=None, log_scale="auto",
                 dpi=DEFAULT_DPI):
    """Plots the loss, and the metrics if any, per epoch of training.

    The left panel shows ``loss`` and, if recorded, ``val_loss``. When the
    history holds metrics (any other key, such as ``accuracy``), a right
    panel shows each with its ``val_`` counterpart. Learning rates (``lr``,
    ``learning_rate``, and the ``time`` that ``Timer`` adds) are left out.
    Training curves are solid, validation curves dashed and in another
    colour.

    Args:
        history: the ``History`` returned by ``fit`` (with ``.history``, a
            dict of per-epoch lists, and ``.epoch``, a list of epoch
            indices counted from 0), or a plain dict of per-epoch lists. It
            must have a non-empty ``"loss"`` list, and every list the same
            length.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: the figure's title, for example the dataset and model
            (``"Fashion-MNIST, autoencoder 784-256-64-256-784"``), or
            ``None`` for none.
        loss_name: what the loss is, shown on the y axis (``"MSE"``). By
            default it is read from the model of a ``History`` (``"MSE"`` for
            ``MeanSquaredError``), else the axis says ``loss``.
        log_scale: ``True``, ``False``, or ``"auto"`` for a log-scale loss
            axis when the loss spans more than a factor of 10.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``, with one axes, or two when there are
        metrics. Epochs are numbered from 1 on the x axis.

    Raises:
        TypeError: if ``history`` is neither a History nor a dict.
        ValueError: if ``"loss"`` is missing or empty, or the lists differ in
            length, or ``log_scale`` is not one of its values, or ``path`` has
            an extension other than ``.png``, ``.pdf`` and ``.svg``.

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, loss_name="MSE")
        >>> len(fig.axes), fig.axes[0].get_ylabel(), fig.axes[0].get_yscale()
        (1, 'MSE', 'linear')
        >>> import matplotlib.pyplot as plt
        >>> fig.number in plt.get_fignums()  # plt.show() would show it
        True
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    if log_scale not in (True, False, "auto"):
        raise ValueError(
            f"`log_scale` must be True, False or 'auto'. Received: log_scale={log_scale!r}."
        )
    logs, epochs = _history_logs(history)
    metrics = [
        k for k in logs if k != "loss" and not k.startswith("val_") and k not in _NOT_METRICS
    ]
    # A val_ metric whose training counterpart was not recorded still gets shown.
    metrics += [k for k in logs if k.startswith("val_") and k != "val_loss" and k[4:] not in logs]
    if loss_name is None:
        loss = getattr(getattr(history, "model", None), "loss", None)
        loss_name = _LOSS_NAMES.get(type(loss).__name__, "loss")
    losses = np.concatenate([logs["loss"], logs.get("val_loss", [])])
    positive = losses[np.isfinite(losses) & (losses > 0)]
    if log_scale == "auto":
        log_scale = len(positive) == len(losses) and positive.max() > 10 * positive.min()

    n_panels = 2 if metrics else 1
    fig = new_figure((5.5 * n_panels, 4.2))
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    marker = "o" if len(epochs) <= 30 else None
    _plot_curves(axes[0], epochs, logs, ["loss"], marker, names={"loss": loss_name})
    axes[0].set_ylabel(loss_name + (" (log scale)" if log_scale else ""))
    if log_scale:
        axes[0].set_yscale("log")
    axes[0].set_title(f"Loss ({loss_name})" if loss_name != "loss" else "Loss")
    if metrics:
        _plot_curves(axes[1], epochs, logs, metrics, marker)
        axes[1].set_ylabel(metrics[0] if len(metrics) == 1 else "value")
        axes[1].set_title("Metrics")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(wrap_title(title, 5.5 * n_panels))
    save(fig, path, dpi)
    return fig


def _history_logs(history):
    """Returns ``(logs, epochs)``: a dict of float arrays and the epochs counted from 1."""
    if isinstance(history, dict):
        logs, epochs = history, None
    elif isinstance(getattr(history, "history", None), dict):
        logs, epochs = history.history, getattr(history, "epoch", None)
    else:
        raise TypeError(
            "`history` must be the History returned by fit() or a dict of per-epoch lists. "
            f"Received: history of type {type(history).__name__}."
        )
    if "loss" not in logs:
        raise ValueError(
            '`history` must have a "loss" key with the loss of each epoch. Received the keys '
            f"{sorted(logs)}. Pass the History returned by fit(), or a dict such as "
            '{"loss": [...], "val_loss": [...]}.'
        )
    logs = {key: np.asarray(values, dtype=float).ravel() for key, values in logs.items()}
    n = len(logs["loss"])
    if n == 0:
        raise ValueError(
            '`history["loss"]` is empty: there is nothing to plot. Train for at least one epoch.'
        )
    uneven = {key: len(values) for key, values in logs.items() if len(values) != n}
    if uneven:
        raise ValueError(
            f'Every list in `history` must have one value per epoch, like "loss" ({n}). '
            f"Received lengths {uneven}."
        )
    if epochs is None or len(epochs) != n:
        return logs, np.arange(1, n + 1)
    return logs, np.asarray(epochs) + 1


def _plot_curves(ax, epochs, logs, keys, marker, names=None):
    """Plots each key solid and its ``val_`` counterpart dashed, each pair in two colours."""
    names = names or {}
    for i, key in enumerate(keys):
        train_color, val_color = f"C{2 * i}", f"C{2 * i + 1}"
        if key.startswith("val_"):  # a validation metric without a training one
            ax.plot(epochs, logs[key], linestyle="--", color=val_color, marker=marker,
                    label=f"validation {key[4:]}")
            continue
        name = names.get(key, key)
        ax.plot(epochs, logs[key], color=train_color, marker=marker, label=f"train {name}")
        if f"val_{key}" in logs:
            ax.plot(epochs, logs[f"val_{key}"], linestyle="--", color=val_color, marker=marker,
                    label=f"validation {name}")
    ax.legend()


def plot_reconstructions(model, x, n=10, seed=None, path=None, title=None, dpi=DEFAULT_DPI):
    """Shows random images above the model's reconstructions of them.

    ``n`` images are drawn from ``x`` without replacement, with
    ``np.random.default_rng(seed).choice(len(x), n, replace=False)``. The top
    row shows them, the bottom row ``model.predict(x[idx])``. Both rows share
    one grey scale, so a faint reconstruction looks faint.

    Args:
        model: anything with ``predict(x)`` returning one output per input,
            with as many values as an image (an autoencoder).
        x: images of shape ``(N, rows, cols)``, ``(N, rows, cols, 1)`` or flat
            ``(N, d)`` with ``d`` a square such as 784 or 64.
        n: how many images to show, from 1 to ``len(x)``.
        seed: seed of the random choice, for a reproducible figure.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: the figure's title, for example the dataset and model, or
            ``None`` for none.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``: ``2 * n`` axes, one image each;
        the first ``n`` are the originals.

    Raises:
        TypeError: if ``model`` has no ``predict`` method or ``n`` is not an
            integer.
        ValueError: if ``n`` is out of range, the images have an unusable
            shape, the predictions do not match the images in size, or
            ``path`` or ``dpi`` is not usable.

    Example:
        >>> import numpy as np
        >>> class Identity:
        ...     def predict(self, x):
        ...         return x
        >>> x = np.random.default_rng(0).random((20, 64))
        >>> fig = plot_reconstructions(Identity(), x, n=4, seed=0)
        >>> len(fig.axes)
        8
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            "`model` must have a predict(x) method, such as a trained autoencoder. "
            f"Received: model of type {type(model).__name__}."
        )
    x = np.asarray(x)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"`n` must be an integer. Received: n={n!r} of type {type(n).__name__}.")
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(
            "`x` must be a non-empty batch of images, of shape (N, rows, cols) or (N, d). "
            f"Received: x of shape {x.shape}."
        )
    if not 1 <= n <= len(x):
        raise ValueError(
            f"`n` must be between 1 and len(x)={len(x)}, since images are drawn without "
            f"replacement. Received: n={n}. Pass a smaller n or more images."
        )
    image_shape = _image_shape(x.shape[1:], "x")
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    originals = x[idx].reshape((n, *image_shape))
    predicted = np.asarray(model.predict(x[idx]))
    if len(predicted) != n or predicted.size != originals.size:
        raise ValueError(
            f"`model.predict` must return one reconstruction per image, each with "
            f"{int(np.prod(image_shape))} values like the images of shape {image_shape}. "
            f"Received: predictions of shape {predicted.shape} for {n} images."
        )
    predicted = predicted.reshape(originals.shape)

    both = np.concatenate([originals.ravel(), predicted.ravel()]).astype(float)
    vmin, vmax = np.nanmin(both), np.nanmax(both)
    # Room on the left for horizontal row labels, readable at any n.
    fig = new_figure((1.2 * n + 1.4, 2.6 + (0.4 if title else 0)))
    axes = fig.subplots(2, n, squeeze=False)
    for row, images, label in ((0, originals, "original"), (1, predicted, "reconstructed")):
        for col in range(n):
            ax = axes[row, col]
            ax.imshow(images[col], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=12,
                                labelpad=8)
    if title:
        fig.suptitle(wrap_title(title, 1.2 * n + 1.4), fontsize=12)
    save(fig, path, dpi)
    return fig


def _image_shape(sample_shape, arg):
    """Returns ``(rows, cols)`` for one sample's shape, unflattening square vectors."""
    if len(sample_shape) == 3 and sample_shape[-1] == 1:
        sample_shape = sample_shape[:2]
    if len(sample_shape) == 2:
        return tuple(sample_shape)
    if len(sample_shape) == 1:
        side = int(round(np.sqrt(sample_shape[0])))
        if side * side == sample_shape[0]:
            return (side, side)
        raise ValueError(
            f"Flat images in `{arg}` must have a square number of pixels (such as 784 = 28x28 "
            f"or 64 = 8x8) to be shown. Received {sample_shape[0]} values per image; reshape "
            f"`{arg}` to (N, rows, cols) first."
        )
    raise ValueError(
        f"`{arg}` must hold grey images of shape (N, rows, cols), (N, rows, cols, 1) or flat "
        f"(N, d). Received one image of shape {tuple(sample_shape)}."
    )


def plot_confusion_matrix(y_true, y_pred, labels=None, path=None, title=None,
                          dpi=DEFAULT_DPI):
    """Draws the confusion matrix as a heatmap with the count in each cell.

    Rows are the true classes, columns the predicted ones, so the diagonal
    holds the correct predictions and cell ``(i, j)`` counts class ``i``
    predicted as ``j``.

    Args:
        y_true: true classes, shape ``(n,)``; or one-hot / probabilities of
            shape ``(n, classes)``, reduced with ``argmax``.
        y_pred: predicted classes, in the same forms (for example the output
            of ``model.predict``).
        labels: optional display names, ``labels[i]`` naming class ``i``; the
            classes must then be integers ``0..len(labels) - 1``. Without it
            the classes are ``0..max`` for integers, or the sorted distinct
            values otherwise, named by their values. For Fashion-MNIST pass
            ``kerasite.datasets.fashion_mnist.CLASS_NAMES``.
        path: where to save the figure (``.png``, ``.pdf`` or ``.svg``), or ``None``.
        title: what was classified, for example the dataset and model; the
            count of correct predictions is added after it.
        dpi: dots per inch of the saved figure.

    Returns:
        The ``matplotlib.figure.Figure``: one axes holding one image, the
        integer matrix of shape ``(classes, classes)``, and one text per cell.

    Raises:
        ValueError: if the inputs are empty, differ in length, or hold a class
            outside ``labels``; or ``path`` or ``dpi`` is not usable.

    Example:
        >>> fig = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], labels=["a", "b", "c"])
        >>> fig.axes[0].images[0].get_array().tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    check_path(path, dpi)
    y_true = _as_classes(y_true, "y_true")
    y_pred = _as_classes(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            "`y_true` and `y_pred` must have one entry per sample, the same number. "
            f"Received: {len(y_true)} true and {len(y_pred)} predicted."
        )
    if len(y_true) == 0:
        raise ValueError("`y_true` and `y_pred` are empty: there is nothing to count.")
    matrix, names = _confusion(y_true, y_pred, labels)

    k = len(names)
    side = max(4.0, 0.55 * k + 2.0)
    fig = new_figure((side, side))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues", vmin=0, interpolation="nearest")
    threshold = matrix.max() / 2
    for i in range(k):
        for j in range(k):
            color = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color, fontsize=9)
    long_names = max(map(len, names)) > 2
    ax.set_xticks(
        range(k), names, rotation=45 if long_names else 0, ha="right" if long_names else "center"
    )
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    correct = f"{matrix.trace()} of {matrix.sum()} correct"
    if title:
        title = wrap_title(title, side)
    ax.set_title(f"{title}\n({correct})" if title else f"Confusion matrix ({correct})")
    save(fig, path, dpi)
    return fig


def _as_classes(y, arg):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"`{arg}` must be classes of shape (n,) or scores of shape (n, classes). "
            f"Received: {arg} of shape {y.shape}."
        )
    return y


def _confusion(y_true, y_pred, labels):
    """Returns the count matrix ``(classes, classes)`` and the class names."""
    both = np.concatenate([y_true, y_pred])
    is_int = np.issubdtype(both.dtype, np.integer) or (
        np.issubdtype(both.dtype, np.floating) and np.all(both == np.round(both))
    )
    if labels is not None:
        names = [str(name) for name in labels]
        bad = both if not is_int else both[(both < 0) | (both >= len(names))]
        if len(bad):
            raise ValueError(
                f"With `labels` of length {len(names)}, the classes must be the integers "
                f"0..{len(names) - 1}. Received the classes {np.unique(bad)[:5].tolist()}. "
                "Pass one label per class, or leave `labels` out."
            )
        true_idx, pred_idx = y_true.astype(np.intp), y_pred.astype(np.intp)
    elif is_int and both.min() >= 0:
        k = int(both.max()) + 1
        names = [str(c) for c in range(k)]
        true_idx, pred_idx = y_true.astype(np.intp), y_pred.astype(np.intp)
    else:
        classes, inverse = np.unique(both, return_inverse=True)
        names = [str(c) for c in classes]
        true_idx, pred_idx = inverse[: len(y_true)], inverse[len(y_true) :]
    matrix = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(matrix, (true_idx, pred_idx), 1)
    return matrix, names
