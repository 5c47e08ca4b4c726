"""Turning names such as ``"adam"`` or ``"mse"`` into objects, and back.

Losses and optimizers share one rule, as in Keras: ``get`` accepts an
instance (returned as is), a registry name (a new instance with default
settings), or a ``{"class_name", "config"}`` dict made by ``serialize``. An
unknown name gets an error listing the valid ones. Only classes in the
registry can ever be built, which is what makes loading a file safe.

The model classes are recorded here too (``register_model_class``), so that
code below ``kerasite.models`` (saving, the Keras formats) can tell a
``Sequential`` from a functional ``Model`` without importing the models.
"""

_MODEL_CLASSES = {}  # class name -> model class, filled by kerasite.models


def register_model_class(cls):
    """Records a model class (``Model``, ``Sequential``, ...) under its class name.

    Returns ``cls``, so it can be used as a class decorator.
    """
    _MODEL_CLASSES[cls.__name__] = cls
    return cls


def model_class(name):
    """The model class registered as ``name`` (``"Model"``, ``"Sequential"``, ...).

    Raises:
        LookupError: if no model class of that name is registered.
    """
    try:
        return _MODEL_CLASSES[name]
    except KeyError:
        raise LookupError(
            f"No model class {name!r} is registered. Registered: {sorted(_MODEL_CLASSES)}. "
            "Import kerasite (which registers its models) first."
        ) from None


def lookup(identifier, base, by_name, kind, hint):
    """Resolves ``identifier`` against ``by_name`` (lower-case name -> class).

    Args:
        identifier: an instance of ``base``, a name, or a serialized dict.
        base: the base class of valid instances.
        by_name: the registry.
        kind: what is looked up, for the error message (``"loss"``).
        hint: how else to pass one, for the error message.

    Raises:
        ValueError: for anything else, listing the valid names.
    """
    if isinstance(identifier, base):
        return identifier
    classes = {cls.__name__: cls for cls in by_name.values()}
    if isinstance(identifier, dict) and identifier.get("class_name") in classes:
        return classes[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str) and identifier.lower() in by_name:
        return by_name[identifier.lower()]()
    raise ValueError(
        f"Unknown {kind}: {identifier!r}. Valid names are {sorted(by_name)}, or {hint}."
    )


def serialize(obj):
    """``{"class_name": ..., "config": obj.get_config()}``, the form ``lookup`` reads back."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def serialize_optional(obj):
    """``serialize(obj)``, or ``None`` for ``None`` (no regularizer, no constraint)."""
    return None if obj is None else serialize(obj)


def deserialize_optional(config, classes, kind, get):
    """Inverse of ``serialize_optional``, building only ``classes`` (name -> class).

    A name or an instance goes through ``get``, the module's own lookup.
    """
    if config is None:
        return None
    if not isinstance(config, dict):
        return get(config)
    cls = classes.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown {kind} class: {config.get('class_name')!r}. "
                         f"Valid classes are {sorted(classes)}.")
    return cls.from_config(dict(config.get("config", {})))

