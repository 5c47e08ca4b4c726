"""What every plot shares: a pyplot figure, and saving it in the format its path names."""

import os
import textwrap

#: Dots per inch of a saved figure: sharp in print and on a high-density screen.
DEFAULT_DPI = 150

#: The formats a figure is saved in, by the extension of its path.
FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


def check_path(path, dpi):
    """Checks ``path`` and ``dpi`` before any work, so a typo fails at once.

    Returns:
        The format named by the extension of ``path`` (``"png"``, ``"pdf"``
        or ``"svg"``), or ``None`` when ``path`` is ``None``.

    Raises:
        ValueError: if the extension is not one of ``FORMATS``, or ``dpi`` is
            not a positive number.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(
            f"`dpi` must be a positive number of dots per inch, such as {DEFAULT_DPI}. "
            f"Received: dpi={dpi!r}."
        )
    if path is None:
        return None
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in FORMATS:
        raise ValueError(
            f"`path` must end in one of {', '.join(FORMATS)}: the extension chooses the "
            f"format. Received: path={os.fspath(path)!r}. Add the extension, for example "
            f"{os.path.splitext(os.fspath(path))[0] + '.png'!r}."
        )
    return FORMATS[extension]


def wrap_title(title, width_inches):
    """``title`` broken into lines that fit a figure this wide (about 7 characters an inch)."""
    return "\n".join(textwrap.wrap(title, width=max(20, int(7 * width_inches))))


def new_figure(figsize):
    """A new figure managed by pyplot, laid out by matplotlib's constrained layout."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")


def save(fig, path, dpi):
    """Saves ``fig`` to ``path`` (if not ``None``) in the format of its extension."""
    fmt = check_path(path, dpi)
    if fmt is None:
        return
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=dpi)
