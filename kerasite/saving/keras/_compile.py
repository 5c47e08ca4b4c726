"""The compile settings and the optimizer's variables, in Keras 3's layout.

A ``.keras`` file holds the compile arguments as ``compile_config`` in
``config.json`` and the optimizer's variables as ``optimizer/vars/<i>`` in
``model.weights.h5``, in the order of Keras's ``optimizer.variables``:
the step count, the learning rate, then the slots. Keras lists the slots of
each optimizer in one of two ways, which ``_KERAS_SLOTS`` records per class:
*interleaved* slots come weight by weight (Adam: ``m_0, v_0, m_1, v_1, ...``)
and *grouped* slots come one whole list after another (RMSprop: every
``velocity``, then every ``momentum``). Weights follow Keras's
``model.trainable_variables``, the trainable weights in Keras's layer order.
"""
import numpy as np

from kerasite.saving._guards import check_optimizer_slots, check_step_count
from kerasite.saving.keras._h5 import leaf_weights, read_dataset

# kerasite optimizer -> (slots interleaved per weight, slots grouped one list after another)
_KERAS_SLOTS = {
    "SGD": ((), ("momentum",)),
    "Adam": (("m", "v"), ("v_hat",)),
    "AdamW": (("m", "v"), ("v_hat",)),
    "Adamax": (("m", "u"), ()),
    "Nadam": (("m", "v"), ()),
    "Adagrad": ((), ("accumulator",)),
    "Adadelta": (("accumulated_grad", "accumulated_delta_var"), ()),
    "RMSprop": ((), ("velocity", "momentum", "average_gradient")),
    "Lamb": (("m", "v"), ()),
    "Lion": (("momentum",), ()),
    "Ftrl": (("accumulator", "linear"), ()),
    "Adafactor": (("r", "c", "velocity"), ()),
}
# Keras optimizer options kerasite has no argument for, and the one value it reads.
_KERAS_ONLY_OPTIONS = {}
_IGNORED_OPTIONS = {"jit_compile", "is_legacy_optimizer"}
# The slots of the common options, each one whole list before the rule's slots, as Keras.
_OPTION_SLOTS = (("use_ema", "average"), ("gradient_accumulation_steps", "gradient_accumulator"))
# Loss options Keras writes that kerasite has no argument for, at the value kerasite uses.
_KERAS_LOSS_DEFAULTS = {"axis": -1, "ignore_class": None}


# ===================================================================== export
def compile_to_keras(model):
    """The model's ``compile_config`` as Keras writes it, or None before ``compile``."""
    from kerasite.optimizers import schedules

    config = model.get_compile_config()
    if config is None:
        return None
    optimizer = model.optimizer
    name = type(optimizer).__name__
    if name not in _KERAS_SLOTS:
        raise ValueError(f"The model is compiled with the optimizer {name}, which kerasite does "
                         f"not map to Keras. Mapped: {', '.join(sorted(_KERAS_SLOTS))}. "
                         "Save it uncompiled (compile again in Keras) or as '.kerasite'.")

    def loss(value):
        if value is None or isinstance(value, dict) and value.get("class_name") == "function":
            return value  # no loss, or a user's function: already as Keras writes them
        if isinstance(value, dict) and "class_name" in value:
            return _object(value, "keras.losses")
        if isinstance(value, dict):
            return {key: loss(v) for key, v in value.items()}
        if isinstance(value, list):
            return [loss(v) for v in value]
        raise ValueError(f"The loss {value!r:.100} cannot be written to a Keras file.")

    opt_config = optimizer.get_config()
    if isinstance(optimizer._learning_rate, schedules.LearningRateSchedule):
        # Keras's schedules have kerasite's class names and config keys.
        opt_config["learning_rate"] = _object(opt_config["learning_rate"],
                                              "keras.optimizers.schedules")
    return {"optimizer": _object({"class_name": name, "config": opt_config},
                                 "keras.optimizers"),
            "loss": loss(config["loss"]), "loss_weights": config.get("loss_weights"),
            "metrics": _metrics_to_keras(config.get("metrics")) or None,
            "weighted_metrics": _metrics_to_keras(config.get("weighted_metrics")) or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": "auto"}


def _metrics_to_keras(value):
    """Names and functions as they are; a metric object's config as Keras writes objects."""
    if isinstance(value, list):
        return [_metrics_to_keras(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _metrics_to_keras(v) for k, v in value.items()}
    if isinstance(value, dict) and value["class_name"] != "function":
        return _object(value, "keras.metrics")
    return value


def _object(value, module):
    return {"module": module, "class_name": value["class_name"],
            "config": dict(value.get("config") or {}), "registered_name": None}


def keras_order(model, children):
    """For each of Keras's trainable variables, the index of that weight in kerasite's list."""
    index = {id(w): i for i, w in enumerate(model.trainable_weights)}
    order = [index[id(layer._variables[key])] for layer, key in leaf_weights(children)
             if id(layer._variables[key]) in index]
    if sorted(order) != list(range(len(index))):
        raise ValueError("The model's trainable weights do not map one to one onto Keras's "
                         "(a weight shared between layers?), so the optimizer state cannot be "
                         "written. Save it uncompiled, or as '.kerasite'.")
    return order


def optimizer_variables(model, children):
    """The arrays of Keras's ``optimizer.variables`` for the model's optimizer, in order."""
    optimizer = model.optimizer
    order = keras_order(model, children)
    interleaved, grouped = _slots(optimizer)
    state = optimizer.get_state()
    params = model.trainable_weights

    def slot(name, i):
        if f"{name}/{i}" in state:
            return state[f"{name}/{i}"]
        # Not stepped yet: the optimizer makes its slots on the first step, as these values.
        fill = getattr(optimizer, "initial_accumulator_value", 0.0) \
            if name == "accumulator" else 0.0
        return np.full(_slot_shape(optimizer, name, params[i].shape), fill, params[i].dtype)

    # Keras counts every call, those that only accumulated gradients too.
    steps = optimizer.gradient_accumulation_steps
    calls = state["iterations"] * steps + int(state["accumulated_steps"]) if steps \
        else state["iterations"]
    out = [np.array(calls, dtype=np.int64)]
    if not _has_schedule(optimizer):  # a schedule is no variable in Keras: its config says it
        out.append(np.array(optimizer.learning_rate, dtype=np.float32))
    out += [slot(name, i) for name, i in _keras_slots(optimizer, order)]
    if type(optimizer).__name__ == "Nadam":  # its running product of momentum factors
        out.append(np.array(state.get("u_product", 1.0), dtype=np.float32))
    return [np.asarray(v, dtype=v.dtype if v.dtype.kind == "i" else np.float32) for v in out]


def _has_schedule(optimizer):
    from kerasite.optimizers import schedules

    return isinstance(optimizer._learning_rate, schedules.LearningRateSchedule)


def _slots(optimizer):
    interleaved, grouped = _KERAS_SLOTS[type(optimizer).__name__]
    used = set(optimizer._slot_names) | ({"r", "c"} if type(optimizer).__name__ == "Adafactor"
                                          else set())
    return [s for s in interleaved if s in used], [s for s in grouped if s in used]


def _keras_slots(optimizer, order):
    """``(slot name, weight index)`` of each of Keras's slot variables, in Keras's order."""
    interleaved, grouped = _slots(optimizer)
    options = [name for option, name in _OPTION_SLOTS if getattr(optimizer, option)]
    return [(name, i) for name in options for i in order] + \
        [(name, i) for i in order for name in interleaved] + \
        [(name, i) for name in grouped for i in order]


def _slot_shape(optimizer, name, shape):
    """The shape of a slot of a weight of ``shape`` (Adafactor's factored ``r`` and ``c``)."""
    if name in ("r", "c") and type(optimizer).__name__ == "Adafactor":
        if len(shape) < 2:
            return ()  # Keras's 0-d placeholder
        return tuple(shape[:-1]) if name == "r" else tuple(shape[:-2]) + tuple(shape[-1:])
    return tuple(shape)


# ===================================================================== import
def compile_from_keras(config, path):
    """Keyword arguments for ``model.compile`` from Keras's ``compile_config``."""
    from kerasite import losses, optimizers
    from kerasite import metrics as metrics_module

    label = f"Cannot load '{path}' compiled"
    opt = config.get("optimizer")
    if isinstance(opt, str):
        optimizer = opt
    elif isinstance(opt, dict):
        from kerasite.saving.keras._layers import check_module

        check_module(opt, "The optimizer")
        class_name = opt.get("class_name", "")
        class_name = class_name.split(">")[-1]  # tf.keras 2 writes "Custom>Adam"
        if class_name not in _KERAS_SLOTS:
            raise ValueError(f"{label}: optimizer {opt.get('class_name')!r:.60} is not "
                             f"supported (kerasite reads {', '.join(sorted(_KERAS_SLOTS))}). "
                             "Load it with compile=False and compile it in kerasite.")
        cfg = dict(opt.get("config") or {})
        for key, value in _KERAS_ONLY_OPTIONS.items():
            if cfg.pop(key, value) != value:
                raise ValueError(f"{label}: optimizer option `{key}` is not supported. Load "
                                 "it with compile=False and compile it in kerasite.")
        if isinstance(cfg.get("learning_rate"), dict):
            cfg["learning_rate"] = _schedule_from_keras(cfg["learning_rate"], label)
        for key in _IGNORED_OPTIONS:
            cfg.pop(key, None)
        optimizer = {"class_name": class_name, "config": cfg}
    else:
        raise ValueError(f"{label}: the compile config has no optimizer.")
    try:
        optimizer = optimizers.get(optimizer)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label}: optimizer {opt!r:.200} is not supported ({exc}).") from None

    def loss(value):
        if value is None:
            return None
        if isinstance(value, str) or isinstance(value, dict) and \
                value.get("class_name") == "function":  # a registered function, by name
            return losses.get(value)
        if isinstance(value, dict) and "class_name" in value:
            from kerasite.saving.keras._layers import check_module

            check_module(value, "The loss")
            cfg = {k: v for k, v in (value.get("config") or {}).items()
                   if k not in ("name", "dtype")}
            if cfg.pop("reduction", "sum_over_batch_size") not in ("sum_over_batch_size",
                                                                    "auto", None):
                raise ValueError(f"{label}: loss {value['class_name']!r} uses a reduction "
                                 "other than the mean, which kerasite does not read.")
            for key, default in _KERAS_LOSS_DEFAULTS.items():
                if key in cfg and cfg[key] == default:
                    del cfg[key]  # Keras's default, which is kerasite's fixed behaviour
            return losses.get({"class_name": value["class_name"], "config": cfg})
        if isinstance(value, dict):
            return {k: loss(v) for k, v in value.items()}
        if isinstance(value, list):
            return [loss(v) for v in value]
        raise ValueError(f"{label}: loss {value!r:.100} is not supported.")

    def metrics(value):
        if value is None:
            return None
        if isinstance(value, list):
            return [metrics(v) for v in value]
        if isinstance(value, dict) and "class_name" not in value:
            return {k: metrics(v) for k, v in value.items()}
        if isinstance(value, str) or isinstance(value, dict) and \
                value.get("class_name") == "function":
            return value
        if isinstance(value, dict) and isinstance(value.get("class_name"), str):
            # a metric object: only a class of kerasite.metrics' registry is built
            from kerasite.saving.keras._layers import check_module

            check_module(value, "The metric")
            cfg = dict(value.get("config") or {})
            try:
                return metrics_module.deserialize({"class_name": value["class_name"],
                                                   "config": cfg})
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{label}: metric {value['class_name']!r} with config "
                                 f"{cfg!r:.200} cannot be built ({exc}). Load it with "
                                 "compile=False.") from None
        raise ValueError(f"{label}: metric {value!r:.100} is not supported. Load it with "
                         "compile=False.")

    try:
        return {"optimizer": optimizer, "loss": loss(config.get("loss")),
                "metrics": metrics(config.get("metrics")) or None,
                "loss_weights": config.get("loss_weights"),
                "weighted_metrics": metrics(config.get("weighted_metrics")) or None}
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(label):
            raise
        raise ValueError(f"{label}: {exc}") from None


def _schedule_from_keras(value, label):
    from kerasite.saving.keras._layers import check_module
    from kerasite.optimizers import schedules

    check_module(value, "The learning-rate schedule")
    try:
        return schedules.deserialize({"class_name": value.get("class_name"),
                                      "config": dict(value.get("config") or {})})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label}: learning-rate schedule {value.get('class_name')!r:.60} is "
                         f"not supported ({exc}). Load it with compile=False.") from None


def restore_optimizer(h5py, model, children, group, file_size, path):
    """Loads ``optimizer/vars/<i>`` into the compiled model's optimizer."""
    optimizer = model.optimizer
    label = "the optimizer (group 'optimizer/vars')"
    names = sorted(group.keys(), key=lambda s: (len(s), s))
    if names != [str(i) for i in range(len(names))]:
        raise ValueError(f"Cannot load '{path}': unexpected entries {names[:5]} for {label}.")
    order = keras_order(model, children)
    params = model.trainable_weights
    slots = _keras_slots(optimizer, order)
    nadam = type(optimizer).__name__ == "Nadam"
    first = 1 if _has_schedule(optimizer) else 2  # the step count, and a float learning rate
    expected = first + len(slots) + int(nadam)
    if len(names) != expected:
        raise ValueError(
            f"Cannot load '{path}': {label} holds {len(names)} variables, but "
            f"{type(optimizer).__name__} for this model has {expected} in Keras (step count, "
            "learning rate unless a schedule sets it, slots). Load it with compile=False to keep "
            "only the weights.")
    step = group["0"] if isinstance(group.get("0", getlink=True), h5py.HardLink) else None
    if step is None or not isinstance(step, h5py.Dataset) or step.shape != () or \
            step.dtype.kind not in "iuf" or step.dtype.itemsize > 8:
        raise ValueError(f"Cannot load '{path}': the step count in {label} (variable 0) is "
                         "not a number.")
    iterations = check_step_count(step[()], f"'{path}'", f"{label}, variable 0")
    lr = None if first == 1 else float(read_dataset(h5py, group, "1", label, (), file_size))
    if lr is not None and not (np.isfinite(lr) and lr >= 0):
        raise ValueError(f"Cannot load '{path}': the learning rate in {label} (variable 1) is "
                         f"{lr}; it must be a finite number >= 0.")
    state, where = {"iterations": iterations}, {}
    steps = optimizer.gradient_accumulation_steps
    if steps:  # Keras counts every call; kerasite the updates, and the calls since the last
        state = {"iterations": iterations // steps,
                 "accumulated_steps": np.array(float(iterations % steps))}
    for k, (name, i) in enumerate(slots, start=first):
        shape = _slot_shape(optimizer, name, params[i].shape)
        state[f"{name}/{i}"] = read_dataset(h5py, group, str(k), label, shape,
                                            file_size).astype(params[i].dtype)
        where[f"{name}/{i}"] = f"{label}, variable {k}"
    if nadam:
        state["u_product"] = read_dataset(h5py, group, str(expected - 1), label, (), file_size)
        where["u_product"] = f"{label}, variable {expected - 1}"
    check_optimizer_slots(optimizer, {k: v for k, v in state.items()
                                      if k not in ("iterations", "accumulated_steps")},
                          f"'{path}'", where.__getitem__)
    optimizer.set_state(state, params)
    if lr is not None:
        optimizer.learning_rate = lr
