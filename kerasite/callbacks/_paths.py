"""Checks of the paths callbacks write to, made when training starts.

A callback that writes a file (a checkpoint, a CSV log, a backup, event
files) would otherwise meet a bad path only after the first epoch has
trained, or hang on a FIFO that nobody writes to. These checks run in
``on_train_begin`` and refuse, at once and with the argument's name, a path
that is not a regular file, a directory that is a file, and a file name
longer than the file system allows. A missing directory is created, as
Keras does.
"""

import os
import stat

# The longest file name (one path component) most file systems accept, in bytes.
NAME_MAX = 255


def _kind(mode):
    """A few words for a file that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), which would block until something writes to it"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def require_regular_file(path, argument, owner):
    """Refuses ``path`` if it exists and is not a regular file (a FIFO, a device, a directory).

    Symbolic links are followed: a link to a regular file is accepted.

    Args:
        path: the file the callback reads or writes.
        argument: the argument that gave it, e.g. ``"filename"``.
        owner: the callback's name for the message, e.g. ``"CSVLogger"``.

    Returns:
        True when the file exists, False when it does not.

    Raises:
        ValueError: naming ``argument``, if ``path`` is not a regular file.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ValueError(f"{owner}'s `{argument}` {path!r} cannot be used: {exc}.") from None
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{owner}'s `{argument}` {path!r} is {_kind(mode)}, not a regular file. Pass the "
            "path of a regular file (or of one that does not exist yet)."
        )
    return True


def require_directory(path, argument, owner, create=True):
    """Creates the directory ``path`` if it is missing; refuses it if it is a file.

    With ``create=False`` a missing directory is left for the writer to make.

    Raises:
        ValueError: naming ``argument``, if ``path`` (or one of its parents)
            exists and is not a directory, or cannot be created.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ValueError(f"{owner}'s `{argument}` {path!r} cannot be used: {exc}.") from None
    if mode is not None and not stat.S_ISDIR(mode):
        what = "a file" if stat.S_ISREG(mode) else _kind(mode)
        raise ValueError(
            f"{owner}'s `{argument}` {path!r} is {what}, not a directory. Pass a directory "
            "(it is created when missing), or move the file away."
        )
    if mode is None and create:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"{owner}'s `{argument}` {path!r} is a directory that does not exist and "
                f"cannot be created: {exc.strerror or exc}. Pass a directory you can write to."
            ) from None


def require_name_length(path, argument, owner):
    """Refuses a file name (the last component of ``path``) longer than the file system allows.

    Raises:
        ValueError: naming ``argument``, with the name's length in bytes.
    """
    name = os.path.basename(os.fspath(path))
    size = len(os.fsencode(name))
    limit = NAME_MAX
    try:
        limit = os.pathconf(os.path.dirname(path) or ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        pass
    if size > limit:
        raise ValueError(
            f"{owner}'s `{argument}` names a file of {size} bytes ({name[:40]!r}...), longer "
            f"than the {limit} bytes the file system allows in one name "
            "(NAME_MAX). Use a shorter name."
        )


def require_parent_directory(path, argument, owner):
    """Creates the directory ``path`` lives in if it is missing (Keras does too)."""
    parent = os.path.dirname(os.fspath(path))
    if parent:
        require_directory(parent, argument, owner)
