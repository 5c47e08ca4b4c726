"""Custom objects by name: Keras 3's ``custom_object_scope``, ``get_custom_objects``,
``serialize_keras_object`` and ``deserialize_keras_object``.

All lookups go through kerasite's registries (``kerasite._registry``): a name
in a config is matched against the objects a user registered, put in
``get_custom_objects()`` or passed in a ``custom_object_scope``, and
kerasite's own classes. Nothing named by a config is ever imported.
"""

from kerasite import _registry

_PLAIN = (str, int, float, bool, type(None))


class custom_object_scope:  # Keras spells it in lower case
    """A ``with`` block in which loading also finds the given classes and functions by name.

    Args:
        custom_objects: dicts ``name -> class or function`` (several may be
            given; later ones win). ``None`` counts as an empty dict.

    Example:
        >>> import kerasite
        >>> class Twice(kerasite.layers.Layer):
        ...     def call(self, x):
        ...         return x * 2
        >>> with custom_object_scope({"Twice": Twice}):
        ...     layer = kerasite.layers.deserialize({"class_name": "Twice", "config": {}})
        >>> type(layer).__name__
        'Twice'
    """

    def __init__(self, *custom_objects):
        table = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError("`custom_objects` must be dicts mapping names to classes or "
                                f"functions. Received: {type(objects).__name__} {objects!r:.80}")
            table.update(objects)
        self.custom_objects = table

    def __enter__(self):
        _registry._SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _registry._SCOPES.remove(self.custom_objects)


CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The live global dict ``name -> class or function`` that loading also searches.

    As Keras's: ``register_keras_serializable`` files each object here as
    ``"Package>Name"``, and an entry added by hand is found by name too.

    Example:
        >>> def halve(x):
        ...     return x / 2
        >>> get_custom_objects()["halve"] = halve
        >>> deserialize_keras_object({"class_name": "function", "config": "halve"}) is halve
        True
        >>> del get_custom_objects()["halve"]
    """
    return _registry._CUSTOM_OBJECTS


def serialize_keras_object(obj):
    """Keras 3's dict for ``obj``: ``module``, ``class_name``, ``config``, ``registered_name``.

    Plain values (``None``, numbers, strings) come back as they are, lists and
    dicts item by item; a function is written by its name (a registered one
    as ``"Package>Name"`` of its registration).

    Raises:
        TypeError: for an object with neither ``get_config`` nor a name.
    """
    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "get_config"):
        name = getattr(obj, "__name__", None)
        if name is None:
            raise TypeError(f"Cannot serialize {obj!r}: a function needs a __name__.")
        registered = _registered_key(obj) or name
        return {"module": "builtins", "class_name": "function", "config": registered,
                "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {type(obj).__name__} {obj!r:.80}: it has no "
                        "get_config(). Give the class get_config() and register it with "
                        "@kerasite.saving.register_keras_serializable().")
    cls = type(obj)
    config = obj.get_config()
    return {"module": cls.__module__, "class_name": cls.__name__,
            "config": config, "registered_name": _registered_key(cls) or cls.__name__}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object ``serialize_keras_object`` described, built from the registries only.

    Args:
        config: a dict from ``serialize_keras_object`` (or a plain value,
            returned as is).
        custom_objects: dict ``name -> class or function`` searched first.
        safe_mode: accepted for Keras compatibility; kerasite never runs code
            from a config (it has no lambdas to load).

    Raises:
        TypeError: if the class or function named is not registered.
    """
    del safe_mode, kwargs
    if isinstance(config, _PLAIN):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects) for x in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: expected a dict, received "
                        f"{type(config).__name__} {config!r:.80}.")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects)
                for key, value in config.items()}
    with custom_object_scope(custom_objects):
        if config["class_name"] == "function":
            return _function(config["config"])
        name = config.get("registered_name") or config["class_name"]
        cls = _registry.registered_class(name) or _registry.registered_class(config["class_name"])
        if cls is None:
            raise TypeError(
                f"Could not locate class {config['class_name']!r}. Register it with "
                "@kerasite.saving.register_keras_serializable(), or pass it in "
                "`custom_objects` (or a custom_object_scope).")
        return cls.from_config(dict(config["config"] or {}))


def _function(name):
    fn = _registry.registered_function(name)
    if fn is None:
        from kerasite import activations, losses

        short = name.rsplit(">", 1)[-1] if isinstance(name, str) else None
        for module in (activations, losses):  # kerasite's own functions, by public name
            if short in getattr(module, "__all__", ()) and callable(getattr(module, short)):
                return getattr(module, short)
        raise TypeError(
            f"Could not locate function {name!r}. Register it with "
            "@kerasite.saving.register_keras_serializable(), or pass it in `custom_objects` "
            "(or a custom_object_scope).")
    return fn


def _registered_key(obj):
    """``"Package>Name"`` under which ``obj`` sits in ``get_custom_objects()``, or ``None``."""
    for key, value in _registry._CUSTOM_OBJECTS.items():
        if value is obj:
            return key
    return None
