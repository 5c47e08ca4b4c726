"""Turning names such as ``"adam"`` or ``"mse"`` into objects, and back.

Every kind of object a model is configured with (layers, losses, optimizers,
learning-rate schedules, metrics, initializers, regularizers, constraints and
activations) has one ``Registry`` here, made by its module, and the module's
``register``, ``get``, ``serialize`` and ``deserialize`` are that registry's.
``get`` follows Keras 3:

* ``None`` gives ``None`` (a kind may choose otherwise: ``activations.get(None)``
  is the linear activation);
* an instance of the kind is returned as is, a subclass is instantiated;
* a string is a name (``"mse"``, case-insensitive), a class name
  (``"MeanSquaredError"``) or a Keras key ``"Package>Name"``;
* a ``{"class_name": ..., "config": ...}`` dict, made by ``serialize``, is
  rebuilt with ``cls.from_config(config)``;
* a plain function, where the kind accepts one (metrics do, losses explain
  why they cannot).

An unknown name gets an error listing the valid ones. Only registered classes
are ever built, which is what makes loading a file safe; a user's class joins
with ``kerasite.saving.register_keras_serializable()`` (``register_class``
here), which files it under every kind whose base class it subclasses.

The model classes are recorded here too (``register_model_class``), so that
code below ``kerasite.models`` (saving, the Keras formats) can tell a
``Sequential`` from a functional ``Model`` without importing the models.

This module imports nothing from kerasite.
"""

import difflib
import re

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


def snake_case(name):
    """Keras's snake case of a class name, as ``keras.src.utils.naming.to_snake_case``.

    Layers are named after it (``dense``, ``dense_1``), and Keras's files name
    their weight groups with it.

    Example:
        >>> [snake_case(n) for n in ("Dense", "ReLU", "LeakyReLU", "Conv2D", "F1Score")]
        ['dense', 're_lu', 'leaky_re_lu', 'conv2d', 'f1_score']
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_KINDS = []  # every Registry, in the order their modules made them
_FUNCTIONS = {}  # name -> a user's function registered for saving (a loss or a metric)
_CUSTOM_OBJECTS = {}  # kerasite.saving.get_custom_objects(): a live dict, as Keras's
_SCOPES = []  # the dicts of the open custom_object_scope blocks, innermost last


def custom_object(name):
    """The object an open ``custom_object_scope`` or ``get_custom_objects()`` holds as ``name``.

    The innermost scope wins, then the global dict; a key ``"Package>Name"``
    also answers to ``Name``. ``None`` if none holds it.
    """
    if not isinstance(name, str):
        return None
    short = name.rsplit(">", 1)[-1]
    for table in [*reversed(_SCOPES), _CUSTOM_OBJECTS]:
        for key in (name, short):
            if key in table:
                return table[key]
        for key, obj in table.items():
            if isinstance(key, str) and key.rsplit(">", 1)[-1] == short:
                return obj
    return None


class Registry:
    """The objects of one kind, by name and by class name.

    Args:
        kind: what is registered, for messages (``"loss"``).
        base: the base class of the kind; instances pass through ``get``.
        classes: the built-in classes, found by class name.
        names: lower-case name -> factory (a class, or a function of no
            arguments returning an instance), e.g. ``{"mse": MeanSquaredError}``.
            The error for an unknown name lists these.
        aliases: other spellings -> a key of ``names`` (``"uniform"`` ->
            ``"random_uniform"``), accepted but not listed.
        hint: how else to pass one, ending the unknown-name error
            (``"or pass an instance of kerasite.losses.Loss"``).
        sort_names: ``False`` to list ``names`` in their own order (the most
            common first) rather than sorted.
        from_callable: ``fn -> instance`` for a callable that is not of the
            kind (a metric function); it may raise to explain a refusal. By
            default a callable is an unknown identifier.
        from_none: a factory for ``get(None)``; ``None`` gives ``None``.
        accepts_none: ``False`` to make ``get(None)`` the unknown-name error
            (a kind whose users have nothing to fall back on, such as the
            initializer a layer builds its weights with).
        unknown_class: ``(class_name, known) -> message`` for a config whose
            class is not registered; by default "Unknown {kind} class: ...".
    """

    def __init__(self, kind, base, classes=(), names=None, aliases=None, hint=None,
                 from_callable=None, from_none=None, accepts_none=True, unknown_class=None,
                 sort_names=True):
        self.kind = kind
        self.base = base
        self.classes = {cls.__name__: cls for cls in classes}
        self.names = names if names is not None else {}
        self.aliases = aliases or {}
        self.hint = hint
        self.from_callable = from_callable
        self.from_none = from_none
        self.accepts_none = accepts_none
        self.unknown_class = unknown_class
        self.sort_names = sort_names
        _KINDS.append(self)

    def register(self, cls, name=None):
        """Adds ``cls`` (a subclass of ``base``), found by its class name and ``name``.

        Returns ``cls``, so it can be used as a class decorator.

        Raises:
            TypeError: if ``cls`` is not a subclass of ``base``.
        """
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"Only {self.base.__name__} subclasses can be registered as a "
                            f"{self.kind}. Received: {cls!r}.")
        self.classes[cls.__name__] = cls
        if name is not None:
            self.classes[name] = cls
        return cls

    def find(self, name):
        """The factory for the string ``name``, or ``None``.

        Tried in turn: a class name (``"MeanSquaredError"``, also the ``Name`` of
        a Keras key ``"Package>Name"``), a name in any case (``"MSE"``), an
        alias, and the snake case of the string (``"HeNormal"`` -> ``"he_normal"``).
        """
        short = name.rsplit(">", 1)[-1]
        custom = self._custom(name)
        if custom is not None:
            return custom
        if short in self.classes:
            return self.classes[short]
        for key in (name.lower(), snake_case(name)):
            key = self.aliases.get(key, key)
            if key in self.names:
                return self.names[key]
        fn = _FUNCTIONS.get(short)  # a function registered by name, where the kind takes one
        if fn is not None and self.from_callable is not None:
            return lambda: self.from_callable(fn)
        return None

    def _custom(self, name):
        """A factory for a custom object named ``name`` that is of this kind, or ``None``."""
        obj = custom_object(name)
        if isinstance(obj, type) and issubclass(obj, self.base):
            return obj
        if obj is not None and not isinstance(obj, type) and callable(obj) and \
                self.from_callable is not None and not isinstance(obj, self.base):
            return lambda: self.from_callable(obj)
        return None

    def get(self, identifier):
        """The object ``identifier`` stands for, following Keras 3 (see the module).

        Raises:
            ValueError: for an unknown name, listing the valid ones, or an
                identifier of another type.
        """
        if identifier is None and self.accepts_none:
            return None if self.from_none is None else self.from_none()
        if identifier is not None and isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if isinstance(identifier, str):
            factory = self.find(identifier)
            if factory is not None:
                return factory()
        elif callable(identifier) and self.from_callable is not None:
            return self.from_callable(identifier)
        raise ValueError(self.unknown_name(identifier))

    def unknown_name(self, identifier):
        """The message for an identifier ``get`` cannot resolve."""
        hint = f", {self.hint}" if self.hint else ""
        names = list(self.names) or list(self.classes)  # layers have only class names
        names = sorted(names) if self.sort_names else names
        guess = nearest_name(identifier, sorted(self.classes) + names)  # names win ties
        guess = f" Did you mean {guess!r}?" if guess else ""
        return f"Unknown {self.kind}: {identifier!r}.{guess} Valid names are {names}{hint}."

    def serialize(self, obj):
        """``{"class_name": ..., "config": obj.get_config()}``; ``None`` for ``None``."""
        if obj is None:
            return None
        return {"class_name": type(obj).__name__, "config": obj.get_config()}

    def deserialize(self, config):
        """Inverse of ``serialize``, building only registered classes.

        A name or an instance goes through ``get``; ``None`` gives ``None``.

        Raises:
            ValueError: for a class that is not registered, listing those that are.
        """
        if config is None:
            return None
        if not isinstance(config, dict):
            return self.get(config)
        name = config.get("class_name")
        cls = self._custom(name)
        cls = cls if isinstance(cls, type) else None
        cls = cls or self.classes.get(name.rsplit(">", 1)[-1] if isinstance(name, str) else None)
        if cls is None:
            known = sorted(self.classes)
            guess = nearest_name(name, known)
            guess = f" Did you mean {guess!r}?" if guess else ""
            if self.unknown_class is not None:
                raise ValueError(self.unknown_class(name, known) + guess)
            raise ValueError(
                f"Unknown {self.kind} class: {name!r}.{guess} Valid classes are {known}. "
                "Register a custom class with @kerasite.saving.register_keras_serializable().")
        return cls.from_config(dict(config.get("config") or {}))


def nearest_name(name, names):
    """The name in ``names`` closest to a mistyped ``name`` (case aside), or None.

    Example:
        >>> nearest_name("categorical_crossentropyy", ["mse", "categorical_crossentropy"])
        'categorical_crossentropy'
        >>> nearest_name("adam", ["sgd", "rmsprop"]) is None
        True
    """
    if not isinstance(name, str):
        return None
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.75)
    return by_lower[close[0]] if close else None


def register_class(cls, name=None):
    """Registers ``cls`` under every kind whose base class it subclasses.

    What ``kerasite.saving.register_keras_serializable`` does: a ``Loss``
    subclass joins the losses, a ``Layer`` subclass the layers (a ``Model``
    is a ``Layer``), an activation layer both the layers and the activations.

    A plain function (a loss or metric ``fn(y_true, y_pred)``) is filed by
    its name among the functions, which a saved ``compile`` refers to by name.

    Raises:
        TypeError: if ``cls`` is of no registered kind.
    """
    if callable(cls) and not isinstance(cls, type):
        _FUNCTIONS[name or getattr(cls, "__name__", type(cls).__name__)] = cls
        return cls
    kinds = [kind for kind in _KINDS if isinstance(cls, type) and issubclass(cls, kind.base)]
    if not kinds:
        raise TypeError(
            f"{cls!r} cannot be registered: it subclasses none of "
            f"{sorted({kind.base.__name__ for kind in _KINDS})}. Subclass one, e.g. "
            "kerasite.layers.Layer or kerasite.losses.Loss.")
    for kind in kinds:
        kind.register(cls, name)
    return cls


def registered_function(name):
    """The function registered under ``name`` (or a Keras key ``"Package>Name"``), or ``None``.

    A function in an open ``custom_object_scope`` or in ``get_custom_objects()`` comes first.
    """
    custom = custom_object(name)
    if custom is not None and not isinstance(custom, type) and callable(custom):
        return custom
    return _FUNCTIONS.get(name.rsplit(">", 1)[-1]) if isinstance(name, str) else None


def registered_class(name):
    """The class registered under ``name`` (or a Keras key ``"Package>Name"``) in any kind.

    ``None`` if none is; the layers' registry is searched first.
    """
    custom = custom_object(name)
    if isinstance(custom, type):
        return custom
    short = name.rsplit(">", 1)[-1] if isinstance(name, str) else name
    for kind in sorted(_KINDS, key=lambda kind: kind.kind != "layer"):
        if short in kind.classes:
            return kind.classes[short]
    return None
