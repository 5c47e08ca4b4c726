"""``clone_model``, ``model.to_json()`` and ``model_from_json``: a model's architecture
copied, or written as JSON and read back, with new weights.

The JSON is kerasite's own config format (what a ``.kerasite`` file keeps in
its ``config.json``). Reading it builds classes only from kerasite's
registries, by name (plus ``custom_objects``); nothing it names is imported.
"""

import json

from kerasite import _registry
from kerasite import layers as layers_module
from kerasite.layers.input import InputLayer
from kerasite.models.model import Model, _functional_from_config
from kerasite.models.sequential import Sequential
from kerasite.saving.native import _model_classes
from kerasite.saving.object_registration import custom_object_scope


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with ``model``'s architecture and new weights, as Keras's ``clone_model``.

    Each layer is rebuilt from its config (``clone_function`` may do otherwise,
    e.g. ``lambda layer: layer`` shares a layer and its weights). Copy the
    weights with ``clone.set_weights(model.get_weights())`` if wanted.

    Args:
        model: a ``Sequential`` or a functional ``Model`` (a subclassed model is
            rebuilt with ``from_config(get_config())``, without options).
        input_tensors: tensors from ``kerasite.Input``, one per model input (a
            list, or one tensor), that the clone starts from instead of new ones.
        clone_function: ``layer -> layer`` called on every layer but the
            inputs; by default ``layers.deserialize(layers.serialize(layer))``.

    Returns:
        A model of the same class, not compiled.

    Raises:
        ValueError: for options on a subclassed model, or input tensors that do not
            come from ``kerasite.Input`` or do not match the model's inputs in number.

    Example:
        >>> from kerasite import Input, Sequential, layers
        >>> from kerasite.models import clone_model
        >>> model = Sequential([Input((3,)), layers.Dense(2, name="out")])
        >>> copy = clone_model(model)
        >>> copy.layers[0].name, copy.layers[0] is model.layers[0]
        ('out', False)
    """
    if not isinstance(model, Model):
        raise TypeError(f"`model` must be a kerasite Model or Sequential. Received: "
                        f"{type(model).__name__} {model!r:.80}")
    clone_function = clone_function or _clone_layer
    if not callable(clone_function):
        raise TypeError("`clone_function` must be a function layer -> layer. Received: "
                        f"{clone_function!r:.80}")
    tensors = _input_list(input_tensors)
    if isinstance(model, Sequential):
        return _clone_sequential(model, tensors, clone_function)
    if model._is_subclassed():
        if input_tensors is not None or clone_function is not _clone_layer:
            raise ValueError(
                f"clone_model cannot use `input_tensors` or `clone_function` on the subclassed "
                f"model {type(model).__name__}: it has no graph of layers to rebuild. Call "
                "clone_model(model) alone, which uses from_config(get_config()).")
        return type(model).from_config(model.get_config())
    config = model.get_config()
    originals = {layer.name: layer for layer in model._graph.layers}
    input_names = [ref[0] for ref in config["input_layers"]]
    if tensors is not None and len(tensors) != len(input_names):
        raise ValueError(f"`input_tensors` must hold one tensor per model input "
                         f"({len(input_names)}: {input_names}). Received {len(tensors)}.")
    replacements = dict(zip(input_names, tensors or []))

    def make_layer(entry):
        layer = originals[entry["name"]]
        if entry["name"] in replacements:
            return replacements[entry["name"]].node.layer
        if isinstance(layer, InputLayer):
            return layers_module.deserialize(entry)
        return clone_function(layer)

    return _functional_from_config(type(model), config, make_layer)


def model_from_json(json_string, custom_objects=None):
    """The model ``model.to_json()`` described, with new weights (not compiled).

    Args:
        json_string: the text of ``model.to_json()``.
        custom_objects: dict ``name -> class or function`` for the user's
            layers (and models) the JSON names, besides the registered ones.

    Raises:
        ValueError: for text that is not such JSON, or a class that is neither
            kerasite's, registered nor in ``custom_objects``.

    Example:
        >>> from kerasite import Input, Sequential, layers
        >>> from kerasite.models import model_from_json
        >>> model = Sequential([Input((3,)), layers.Dense(2)])
        >>> model_from_json(model.to_json()).count_params()
        8
    """
    try:
        payload = json.loads(json_string)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`json_string` is not JSON ({exc}). Pass the text of "
                         "model.to_json().") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("config"), dict):
        raise ValueError("`json_string` must hold {\"class_name\": ..., \"config\": {...}}, "
                         f"as model.to_json() writes. Received: {json_string!r:.120}")
    name = payload.get("class_name")
    with custom_object_scope(custom_objects):
        cls = _registry.custom_object(name)
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            cls = _model_classes().get(name)
        if cls is None:
            raise ValueError(f"Unknown model class {name!r} in `json_string`. kerasite builds "
                             f"{sorted(_model_classes())}, classes registered with "
                             "@kerasite.saving.register_keras_serializable(), and those in "
                             "`custom_objects`.")
        return cls.from_config(payload["config"])


def _clone_layer(layer):
    return layers_module.deserialize(layers_module.serialize(layer))


def _input_list(input_tensors):
    if input_tensors is None:
        return None
    tensors = list(input_tensors) if isinstance(input_tensors, (list, tuple)) \
        else [input_tensors]
    for t in tensors:
        node = getattr(t, "node", None)
        if node is None or not isinstance(node.layer, InputLayer):
            raise ValueError("`input_tensors` must be tensors made by kerasite.Input. Received: "
                             f"{t!r:.80}")
    return tensors


def _clone_sequential(model, tensors, clone_function):
    if tensors is not None and len(tensors) != 1:
        raise ValueError(f"A Sequential has one input: `input_tensors` must hold one tensor. "
                         f"Received {len(tensors)}.")
    new_layers = [clone_function(layer) for layer in model.layers]
    start = tensors if tensors is not None else []
    clone = Sequential(start + new_layers, name=model.name, trainable=model.trainable)
    if tensors is None and model._input_spec is not None and not clone.built:
        clone.build((None, *model._input_spec[1:]))
    return clone
