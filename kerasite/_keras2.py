"""Keras 2 argument names that Keras 3 renamed or dropped, and errors that name the new one.

Code written for Keras 2 (and many tutorials) passes ``Adam(lr=0.01)``,
``fit(nb_epoch=10)`` or ``Dense(64, init="uniform")``. Python would say only
"unexpected keyword argument"; these checks say what to pass instead.
"""

import functools
import inspect

# Optimizers: Keras 2 name -> Keras 3 name (None: dropped; see _ADVICE).
OPTIMIZER = {"lr": "learning_rate", "decay": None}

# Model.fit (Keras 2's fit and fit_generator).
FIT = {"nb_epoch": "epochs", "samples_per_epoch": "steps_per_epoch",
       "nb_val_samples": "validation_steps"}

# Layers (Keras 1 and 2).
LAYER = {"init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
         "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
         "b_constraint": "bias_constraint", "bias": "use_bias", "output_dim": "units",
         "nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
         "dim_ordering": "data_format"}

# Where the Keras 3 argument means something else than the Keras 2 one, or is gone.
_ADVICE = {
    "decay": ("Keras 3 dropped it (it ignores it, with a warning). For the same decay of "
              "the learning rate, lr / (1 + decay * step), pass a schedule: "
              "learning_rate=kerasite.optimizers.schedules.InverseTimeDecay("
              "initial_learning_rate, decay_steps=1, decay_rate={value!r})."),
    "samples_per_epoch": ("Keras 3 counts batches instead: pass steps_per_epoch="
                          "ceil({value!r} / batch_size)."),
    "nb_val_samples": ("Keras 3 counts batches instead: pass validation_steps="
                       "ceil({value!r} / batch_size)."),
    "dim_ordering": ("Keras 3 calls it `data_format`: pass data_format='channels_last' for "
                     "'tf' or data_format='channels_first' for 'th'."),
}

_ACCEPTED = {}  # class -> the names its __init__ takes


def check(owner, kwargs, table, accepted=()):
    """Raises a TypeError naming the Keras 3 argument for a Keras 2 name in ``kwargs``.

    Args:
        owner: what was called, for the message (``"Adam"``, ``"fit()"``).
        kwargs: the keyword arguments it was given.
        table: Keras 2 name -> Keras 3 name (or ``None`` when dropped).
            ``_ADVICE`` holds the message for names that are not a plain rename.
        accepted: names the callee takes itself (an ``Embedding`` does take
            ``output_dim``): never reported.
    """
    for old in kwargs.keys() & table.keys():
        if old in accepted:
            continue
        value, new = kwargs[old], table[old]
        if old in _ADVICE:
            how = _ADVICE[old].format(value=value)
        else:
            how = f"Keras 3 (and kerasite) call it `{new}`: pass {new}={value!r}."
        raise TypeError(f"{owner} got `{old}={value!r}`, a Keras 2 argument. {how}")


def check_init(cls, kwargs, table):
    """``check`` for a class constructor, skipping the names its ``__init__`` takes."""
    if not kwargs.keys() & table.keys():
        return
    accepted = _ACCEPTED.get(cls)
    if accepted is None:
        parameters = inspect.signature(cls.__init__).parameters
        accepted = frozenset(parameters)
        if not cls.__module__.startswith("kerasite.") and any(
                p.kind is p.VAR_KEYWORD for p in parameters.values()):
            # A user's class that takes **kwargs may take these names itself
            # (and pop them before calling the base class): never second-guess it.
            accepted = frozenset(table)
        _ACCEPTED[cls] = accepted
    check(cls.__name__, kwargs, table, accepted)


def checks_arguments(owner, table):
    """Decorates a method so that Keras 2 names in its keyword arguments get ``check``'s error."""

    def decorate(method):
        accepted = frozenset(inspect.signature(method).parameters)

        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            if kwargs.keys() & table.keys():
                check(owner, kwargs, table, accepted)
            return method(self, *args, **kwargs)

        return checked

    return decorate
