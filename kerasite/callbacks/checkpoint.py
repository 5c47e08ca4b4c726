"""``ModelCheckpoint``: saves the model (or its weights) during training."""

import math
import os
import re
import string
import warnings

import numpy as np

import kerasite.callbacks._paths as _paths
from kerasite.callbacks.base import Callback
from kerasite._validation import positive_int
from kerasite.callbacks.monitoring import _direction

_INTEGER_FIELDS = ("epoch", "batch")  # formatted as integers; every other field is a float
# The widest field (and the longest precision) a template may ask for: a file name
# holds at most 255 bytes, and a width of 10**10 would try to build a 10 GB string.
MAX_FIELD_WIDTH = 255
# The extensions model.save and model.save_weights accept.
_MODEL_EXTENSIONS = (".kerasite", ".keras", ".h5")
_WEIGHTS_EXTENSIONS = (".weights.npz", ".weights.h5")
# A format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?"
                   r"[a-zA-Z%]?", re.DOTALL)


class ModelCheckpoint(Callback):
    """Saves the model at the end of every epoch (or every N batches), or when it improves.

    A full save (``model.save``) holds the weights, the optimizer state, the
    number of completed epochs and the model's seed: everything needed to
    resume with ``load_model(path)`` and
    ``fit(..., initial_epoch=model.completed_epochs)`` and end with the same
    weights as an uninterrupted run. Every write is atomic, so a crash during
    a save leaves the previous checkpoint intact.

    A save is skipped, with a warning, when the weights hold NaN or infinite
    values, or when a loss in the logs (``loss``, ``val_loss``, ...) or the
    monitored value is not finite: the last good checkpoint is never replaced
    by an unusable one.

    ``filepath`` is checked when the callback is made (its fields must be
    names with valid format specs, at most ``MAX_FIELD_WIDTH`` = 255
    characters wide) and again when training begins, against the keys ``fit``
    will log, so a typo fails before the first epoch trains. Training's
    start also checks the extension (``.kerasite``, ``.keras`` or ``.h5``;
    ``.weights.npz`` or ``.weights.h5`` with ``save_weights_only``), the
    length of the file name, and that the path is not a directory, a FIFO or
    inside a file; a missing directory is created, as Keras does.

    Args:
        filepath: where to save; may hold ``{epoch}`` (counted from 1),
            ``{batch}`` (counted from 1, with an integer ``save_freq``) and
            logs keys, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.kerasite"``.
        monitor: the logs key compared when ``save_best_only``.
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
            If ``monitor`` is not in the logs, it warns and saves, as Keras
            does.
        save_weights_only: save the weights alone (``model.save_weights``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name).
        save_freq: ``"epoch"`` to save after every epoch, or an integer N to
            save after every N training batches, counted across epochs (as in
            Keras). A save between batches is marked as made mid-epoch, and
            ``fit`` warns that resuming from it is not exact.
        initial_value_threshold: the value to beat before the first save.

    Raises:
        ValueError: for a malformed ``filepath`` template, a bad ``mode`` or
            ``save_freq``; at the start of ``fit``, for a ``filepath`` field
            that ``fit`` will not log, a wrong extension, a name that is too
            long, or a path that cannot be a file.

    Example:
        >>> checkpoint = ModelCheckpoint("best.kerasite", save_best_only=True)
        >>> every_100 = ModelCheckpoint("ckpt-{epoch}-{batch}.kerasite", save_freq=100)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = mode
        if mode != "auto":
            _direction(monitor, mode, "ModelCheckpoint")
        if save_freq != "epoch":
            positive_int(save_freq, "save_freq", expected="'epoch' or a positive integer (save "
                         "every that many batches)")
        self.save_freq = save_freq
        self._fields = _template_fields(self.filepath)
        self.best = initial_value_threshold
        self._batches_since_save = 0
        self._epoch = 0

    # -------------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._batches_since_save = 0
        self._check_fields_against(getattr(self.model, "_epoch_log_keys", None))
        self._check_path()

    def _check_path(self):
        """Checks what can be checked of ``filepath`` before an epoch trains."""
        extensions = _WEIGHTS_EXTENSIONS if self.save_weights_only else _MODEL_EXTENSIONS
        if not self.filepath.endswith(extensions):
            what = "weights (save_weights_only=True)" if self.save_weights_only else "the model"
            raise ValueError(
                f"ModelCheckpoint's `filepath` {self.filepath!r} must end in "
                f"{' or '.join(extensions)} to save {what}. Change the extension"
                + ("." if self.save_weights_only else
                   ", or pass save_weights_only=True for a .weights.npz or .weights.h5 file.")
            )
        sample = {name: 1 if name in _INTEGER_FIELDS else 0.5 for name in self._fields}
        path = self.filepath.format(**sample)
        _paths.require_name_length(path, "filepath", "ModelCheckpoint")
        directory = os.path.dirname(self.filepath)
        if "{" not in directory and "}" not in directory:  # else made at each save
            _paths.require_parent_directory(path, "filepath", "ModelCheckpoint")
            if not self._fields:
                _paths.require_regular_file(path, "filepath", "ModelCheckpoint")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    # ------------------------------------------------------------------- saving
    def _save(self, epoch, batch, logs):
        when = f"epoch {epoch + 1}" + ("" if batch is None else f", batch {batch + 1}")
        problem = self._unusable(logs)
        if problem:
            # Saving now would replace the last good checkpoint with unusable weights.
            warnings.warn(f"ModelCheckpoint did not save {when}: {problem}. The previous "
                          "checkpoint is kept.", stacklevel=3)
            return
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint(save_best_only=True) monitors `{self.monitor}`, which is "
                    f"not in the logs (keys: {', '.join(logs) or 'none'}), so it saves every "
                    f"{'epoch' if batch is None else 'time'}, as Keras does. Pass validation "
                    "data for a 'val_' quantity, or monitor another key.", stacklevel=3)
            else:
                sense = _direction(self.monitor, self.mode, "ModelCheckpoint")
                if self.best is not None and not (current < self.best if sense == "min"
                                                  else current > self.best):
                    return
                self.best = current
        path = self._format(epoch, batch, logs)
        _paths.require_parent_directory(path, "filepath", "ModelCheckpoint")
        _paths.require_regular_file(path, "filepath", "ModelCheckpoint")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"{when[0].upper()}{when[1:]}: saved the model to {path}")

    def _unusable(self, logs):
        """Why the model should not be saved now, or ``None``."""
        for key, value in logs.items():
            if (key == self.monitor or key.endswith("loss")) and \
                    isinstance(value, (int, float)) and not math.isfinite(value):
                return f"{key} is {value}, so the weights are not usable"
        for layer in self.model.layers:
            for value in layer.params.values():
                if not np.isfinite(value).all():
                    return (f"the weights hold NaN or infinite values (layer '{layer.name}'), "
                            "so they are not usable")
        return None

    def _format(self, epoch, batch, logs):
        values = {**logs, "epoch": epoch + 1}
        if batch is not None:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as exc:
            raise ValueError(
                f"ModelCheckpoint's `filepath` {self.filepath!r} needs {{{exc.args[0]}}}, "
                f"which is not in the logs at epoch {epoch + 1}. Available: "
                f"{', '.join(values)}."
            ) from None

    def _check_fields_against(self, log_keys):
        """Checks the template's fields against the keys ``fit`` will log.

        ``log_keys`` lists the epoch-end logs keys, ``val_`` ones included when
        there is validation data, as ``fit`` sets them on the model. Without
        them (a custom training loop), the keys are checked at each save.
        """
        if log_keys is None:
            return
        by_batch = self.save_freq != "epoch"
        available = ["epoch", *(["batch"] if by_batch else []), *log_keys]
        if by_batch:  # batch logs have no validation values
            available = [k for k in available if not k.startswith("val_")]
        for name in self._fields:
            if name in available or name == "learning_rate":  # logged by LR callbacks
                continue
            if name.startswith("val_") and name in log_keys:
                why = (f"logs at the end of a batch (save_freq={self.save_freq}: a save every "
                       f"{self.save_freq} batches) have no validation values")
            elif name.startswith("val_"):
                why = "fit was given no validation data (validation_data or validation_split)"
            elif name == "batch":
                why = "there is a batch number only with an integer save_freq"
            else:
                why = "fit will not log it"
            raise ValueError(
                f"ModelCheckpoint's `filepath` {self.filepath!r} uses {{{name}}}, but {why}. "
                f"Available: {', '.join(available)}."
            )


def _template_fields(filepath):
    """The field names of a ``str.format`` template, after checking its syntax.

    Raises:
        ValueError: naming the offending field, for positional fields, attribute
            or index access, nested specs, bad conversions, format specs that do
            not apply to the value (``{epoch:s}``) and unbalanced braces.
    """
    def fail(reason):
        return ValueError(
            f"ModelCheckpoint's `filepath` {filepath!r} is not a valid template: {reason}. "
            "Use named fields such as {epoch:03d} or {val_loss:.3f}, and double a brace "
            "('{{', '}}') to keep it in the name."
        )

    try:
        parts = list(string.Formatter().parse(filepath))
    except ValueError as exc:
        raise fail(f"unbalanced braces ({exc})") from None
    names = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + \
            (f":{spec}" if spec else "") + "}"
        if field == "" or field.isdigit():
            raise fail(f"positional field {shown} (fields must be named)")
        if not field.isidentifier():
            raise fail(f"{shown} uses attribute or index access")
        if conversion not in (None, "r", "s", "a"):
            raise fail(f"{shown} has the unknown conversion !{conversion}")
        if "{" in spec or "}" in spec:
            raise fail(f"{shown} has a nested field in its format spec")
        sizes = _SPEC.fullmatch(spec)
        for part in ("width", "precision"):
            digits = sizes.group(part) if sizes else None
            if digits and (len(digits) > 3 or int(digits) > MAX_FIELD_WIDTH):
                raise fail(f"{shown} asks for a {part} of {digits} characters, more than "
                           f"the {MAX_FIELD_WIDTH} a file name can hold")
        sample = 1 if field in _INTEGER_FIELDS else 0.5
        if conversion:
            sample = repr(sample) if conversion == "r" else str(sample)
        try:
            format(sample, spec)
        except ValueError as exc:
            kind = "integer" if field in _INTEGER_FIELDS else "number"
            raise fail(f"{shown} does not format a {kind} ({exc})") from None
        names.append(field)
    return names
