"""Layer and model configs, translated between kerasite and Keras 3 (both ways).

One table, ``LAYERS``, says for each kerasite layer which Keras class it is,
which options share their name and meaning, which Keras options kerasite
fixes to one value, and its weights in Keras's order. Writing and reading
both go through it, so what is written is exactly what can be read back.

Nested models follow Keras: a ``Sequential`` (kerasite's ``Encoder`` and
``Decoder`` too) is a Keras ``Sequential``, and a functional ``Model`` (an
``Autoencoder`` too) is a Keras ``Functional``, inside another model's
``layers`` like any layer.
"""

from kerasite import _registry
from kerasite._validation import is_int

# Values in one input sample (a 2048 x 2048 RGB image is 12.6 million): layers size their
# weights from the input shape, so a larger one in a file is refused before building.
# Settable as kerasite.saving.keras.MAX_INPUT_FEATURES.
MAX_INPUT_FEATURES = 2**24

# The one value kerasite supports for a Keras option it has no argument for.
_NO_BN_REGULARIZERS = {"beta_regularizer": None, "gamma_regularizer": None,
                       "beta_constraint": None, "gamma_constraint": None}
_REGULARIZED = ("kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint")
_SEPARABLE = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "depth_multiplier",
              "activation", "use_bias", "depthwise_initializer", "pointwise_initializer",
              "bias_initializer", "depthwise_regularizer", "pointwise_regularizer",
              "bias_regularizer", "depthwise_constraint", "pointwise_constraint",
              "bias_constraint")

_RNN_LAYER = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
              "zero_output_for_mask")
_CELL = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
         "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
         "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
         "recurrent_dropout")
_RNN_WEIGHTS = ("kernel", "recurrent_kernel", "bias")
# Layers whose Keras dtype policy may name an integer type (their outputs are ids).
_INTEGER_OUTPUTS = {"Discretization", "CategoryEncoding", "Hashing", "StringLookup",
                    "IntegerLookup", "TextVectorization"}
_LOOKUP = ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
           "idf_weights", "invert", "output_mode", "pad_to_max_tokens", "sparse", "salt")

# kerasite class -> (Keras class, options with the same name and meaning in both,
#                    Keras options kerasite fixes to one value, weights in Keras's order)
LAYERS = {
    "InputLayer": ("InputLayer", (), {}, ()),
    "Dense": ("Dense", ("units", "activation", "use_bias", "kernel_initializer",
                        "bias_initializer", *_REGULARIZED),
              {"lora_rank": None, "quantization_config": None}, ("W", "b")),
    "Dropout": ("Dropout", ("rate", "noise_shape", "seed"), {}, ()),
    "Flatten": ("Flatten", (), {"data_format": "channels_last"}, ()),
    "Reshape": ("Reshape", ("target_shape",), {}, ()),
    "Activation": ("Activation", ("activation",), {}, ()),
    "ReLU": ("ReLU", ("max_value", "negative_slope", "threshold"), {}, ()),
    "LeakyReLU": ("LeakyReLU", ("negative_slope",), {}, ()),
    "Softmax": ("Softmax", ("axis",), {}, ()),
    "Concatenate": ("Concatenate", ("axis",), {}, ()),
    "Add": ("Add", (), {}, ()),
    "Subtract": ("Subtract", (), {}, ()),
    "Multiply": ("Multiply", (), {}, ()),
    "Average": ("Average", (), {}, ()),
    "Maximum": ("Maximum", (), {}, ()),
    "Minimum": ("Minimum", (), {}, ()),
    "Conv2D": ("Conv2D", ("filters", "kernel_size", "strides", "padding", "dilation_rate",
                          "activation", "use_bias", "kernel_initializer", "bias_initializer",
                          *_REGULARIZED),
               {"data_format": "channels_last", "groups": 1, "lora_rank": None}, ("W", "b")),
    # Keras's kernel layout for Conv2DTranspose is kerasite's: (kh, kw, filters, in).
    "Conv2DTranspose": ("Conv2DTranspose", ("filters", "kernel_size", "strides", "padding",
                                            "dilation_rate", "activation", "use_bias",
                                            "kernel_initializer", "bias_initializer",
                                            *_REGULARIZED),
                        {"data_format": "channels_last", "output_padding": None}, ("W", "b")),
    # Keras casts float indices to integers, as kerasite does.
    "Embedding": ("Embedding", ("input_dim", "output_dim", "embeddings_initializer",
                                "embeddings_regularizer", "embeddings_constraint", "mask_zero"),
                  {"lora_rank": None, "input_length": None},
                  ("embeddings",)),
    "MaxPooling2D": ("MaxPooling2D", ("pool_size", "strides", "padding"),
                     {"data_format": "channels_last"}, ()),
    "AveragePooling2D": ("AveragePooling2D", ("pool_size", "strides", "padding"),
                         {"data_format": "channels_last"}, ()),
    "UpSampling2D": ("UpSampling2D", ("size", "interpolation"),
                     {"data_format": "channels_last"}, ()),
    "ZeroPadding2D": ("ZeroPadding2D", ("padding",), {"data_format": "channels_last"}, ()),
    "Cropping2D": ("Cropping2D", ("cropping",), {"data_format": "channels_last"}, ()),
    "GlobalAveragePooling2D": ("GlobalAveragePooling2D", ("keepdims",),
                               {"data_format": "channels_last"}, ()),
    "GlobalMaxPooling2D": ("GlobalMaxPooling2D", ("keepdims",),
                           {"data_format": "channels_last"}, ()),
    "Rescaling": ("Rescaling", ("scale", "offset"), {}, ()),
    "RepeatVector": ("RepeatVector", ("n",), {}, ()),
    "Permute": ("Permute", ("dims",), {}, ()),
    "GaussianNoise": ("GaussianNoise", ("stddev", "seed"), {}, ()),
    "GaussianDropout": ("GaussianDropout", ("rate", "seed"), {}, ()),
    "ActivityRegularization": ("ActivityRegularization", ("l1", "l2"), {}, ()),
    "ELU": ("ELU", ("alpha",), {}, ()),
    "PReLU": ("PReLU", ("alpha_initializer", "alpha_regularizer", "alpha_constraint",
                        "shared_axes"), {}, ("alpha",)),
    "LayerNormalization": ("LayerNormalization",
                           ("axis", "epsilon", "center", "scale", "beta_initializer",
                            "gamma_initializer", "rms_scaling"),
                           {**_NO_BN_REGULARIZERS},
                           ("gamma", "beta")),
    "BatchNormalization": ("BatchNormalization",
                           ("axis", "momentum", "epsilon", "center", "scale",
                            "beta_initializer", "gamma_initializer",
                            "moving_mean_initializer", "moving_variance_initializer",
                            *_NO_BN_REGULARIZERS),
                           {"synchronized": False, "renorm": False,
                            "renorm_clipping": None},
                           ("gamma", "beta", "moving_mean", "moving_variance")),
    "Conv1D": ("Conv1D", ("filters", "kernel_size", "strides", "padding", "dilation_rate",
                          "groups", "activation", "use_bias", "kernel_initializer",
                          "bias_initializer", *_REGULARIZED),
               {"data_format": "channels_last"}, ("W", "b")),
    # Keras's kernel layout for Conv1DTranspose is kerasite's: (k, filters, in).
    "Conv1DTranspose": ("Conv1DTranspose", ("filters", "kernel_size", "strides", "padding",
                                            "dilation_rate", "activation", "use_bias",
                                            "kernel_initializer", "bias_initializer",
                                            *_REGULARIZED),
                        {"data_format": "channels_last", "output_padding": None}, ("W", "b")),
    "MaxPooling1D": ("MaxPooling1D", ("pool_size", "strides", "padding"),
                     {"data_format": "channels_last"}, ()),
    "AveragePooling1D": ("AveragePooling1D", ("pool_size", "strides", "padding"),
                         {"data_format": "channels_last"}, ()),
    "GlobalAveragePooling1D": ("GlobalAveragePooling1D", ("keepdims",),
                               {"data_format": "channels_last"}, ()),
    "GlobalMaxPooling1D": ("GlobalMaxPooling1D", ("keepdims",),
                           {"data_format": "channels_last"}, ()),
    "UpSampling1D": ("UpSampling1D", ("size",), {}, ()),
    "ZeroPadding1D": ("ZeroPadding1D", ("padding",), {"data_format": "channels_last"}, ()),
    "Cropping1D": ("Cropping1D", ("cropping",), {}, ()),
    "SpatialDropout1D": ("SpatialDropout1D", ("rate", "seed"), {}, ()),
    "SpatialDropout2D": ("SpatialDropout2D", ("rate", "seed"), {"data_format": "channels_last"},
                         ()),
    "SeparableConv1D": ("SeparableConv1D", _SEPARABLE, {"data_format": "channels_last"},
                        ("depthwise_kernel", "pointwise_kernel", "b")),
    "SeparableConv2D": ("SeparableConv2D", _SEPARABLE, {"data_format": "channels_last"},
                        ("depthwise_kernel", "pointwise_kernel", "b")),
    # Keras names DepthwiseConv2D's weights kernel (kh, kw, in, m) and bias, as kerasite does.
    "DepthwiseConv2D": ("DepthwiseConv2D", ("kernel_size", "strides", "padding",
                                            "depth_multiplier", "dilation_rate", "activation",
                                            "use_bias", "depthwise_initializer",
                                            "bias_initializer", "depthwise_regularizer",
                                            "bias_regularizer", "depthwise_constraint",
                                            "bias_constraint"),
                        {"data_format": "channels_last"}, ("W", "b")),
    # The recurrent layers: a Keras RNN's weights are its cell's (see RNN_VARIABLES below).
    "SimpleRNN": ("SimpleRNN", (*_RNN_LAYER, *_CELL), {}, _RNN_WEIGHTS),
    "LSTM": ("LSTM", (*_RNN_LAYER, *_CELL, "seed", "recurrent_activation",
                      "unit_forget_bias"), {}, _RNN_WEIGHTS),
    "GRU": ("GRU", (*_RNN_LAYER, *_CELL, "seed", "recurrent_activation", "reset_after"), {},
            _RNN_WEIGHTS),
    "SimpleRNNCell": ("SimpleRNNCell", (*_CELL, "seed"), {}, _RNN_WEIGHTS),
    "LSTMCell": ("LSTMCell", (*_CELL, "seed", "recurrent_activation", "unit_forget_bias"), {},
                 _RNN_WEIGHTS),
    "GRUCell": ("GRUCell", (*_CELL, "seed", "recurrent_activation", "reset_after"), {},
                _RNN_WEIGHTS),
    "Masking": ("Masking", ("mask_value",), {}, ()),
    # Preprocessing layers: their state is data in the config (vocabularies inline, which
    # Keras reads too; Keras's own vocabulary.txt assets are read by _assets.py).
    "Normalization": ("Normalization", ("axis", "mean", "variance", "invert"), {},
                      ("mean", "variance")),
    "Discretization": ("Discretization", ("bin_boundaries", "num_bins", "epsilon",
                                          "output_mode", "sparse"), {}, ()),
    "CategoryEncoding": ("CategoryEncoding", ("num_tokens", "output_mode", "sparse"), {}, ()),
    "Hashing": ("Hashing", ("num_bins", "mask_value", "salt", "output_mode", "sparse"), {}, ()),
    "StringLookup": ("StringLookup", _LOOKUP + ("encoding",), {"oov_method": "floormod"}, ()),
    "IntegerLookup": ("IntegerLookup", _LOOKUP + ("vocabulary_dtype",),
                      {"oov_method": "floormod"}, ()),
    "TextVectorization": ("TextVectorization",
                          ("max_tokens", "standardize", "split", "ngrams", "output_mode",
                           "output_sequence_length", "pad_to_max_tokens", "vocabulary",
                           "idf_weights", "sparse", "ragged", "encoding"), {}, ()),
    "Resizing": ("Resizing", ("height", "width", "interpolation", "crop_to_aspect_ratio",
                              "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias",
                              "data_format"), {}, ()),
    "CenterCrop": ("CenterCrop", ("height", "width", "data_format"), {}, ()),
    "RandomFlip": ("RandomFlip", ("mode", "seed"), {}, ()),
    "RandomRotation": ("RandomRotation", ("factor", "fill_mode", "interpolation", "seed",
                                          "fill_value", "value_range"), {}, ()),
    "RandomZoom": ("RandomZoom", ("height_factor", "width_factor", "fill_mode", "interpolation",
                                  "seed", "fill_value"), {}, ()),
    "RandomTranslation": ("RandomTranslation", ("height_factor", "width_factor", "fill_mode",
                                                "interpolation", "seed", "fill_value"), {}, ()),
    "RandomContrast": ("RandomContrast", ("factor", "value_range", "seed"), {}, ()),
    "RandomBrightness": ("RandomBrightness", ("factor", "value_range", "seed"), {}, ()),
    "RandomCrop": ("RandomCrop", ("height", "width", "seed"), {}, ()),
    "Dot": ("Dot", ("axes", "normalize"), {}, ()),
}
# kerasite's activation layers are Keras's Activation layer with the activation fixed;
# they are written that way, and a Keras Activation is read as kerasite's Activation.
for _name, _activation in (("Sigmoid", "sigmoid"), ("Tanh", "tanh"), ("Softplus", "softplus"),
                           ("Softsign", "softsign"), ("Linear", "linear"), ("SELU", "selu"),
                           ("SiLU", "silu"), ("GELU", "gelu"), ("HardSigmoid", "hard_sigmoid"),
                           ("Exponential", "exponential"), ("Mish", "mish")):
    LAYERS[_name] = ("Activation", (), {"activation": _activation}, ())
# Keras classes whose constructor takes no `trainable` (so their configs must not hold it).
_NO_TRAINABLE_OPTION = {"SpatialDropout1D", "SpatialDropout2D"}
# Layers holding other layers (written through WRAPPERS below); their weights are the
# inner layers', in Keras's order.
for _name in ("RNN", "Bidirectional", "TimeDistributed"):
    LAYERS[_name] = (_name, (), {}, ("*",))
FROM_KERAS = {}
for _name, (_keras_name, *_rest) in LAYERS.items():
    FROM_KERAS.setdefault(_keras_name, _name)
# kerasite's weight key -> Keras's variable name (the last part of an .h5 weight name).
KERAS_VARIABLE = {"W": "kernel", "b": "bias"}
WEIGHTED = {name for name, spec in LAYERS.items() if spec[3]}
MODEL_CLASSES = ("Sequential", "Functional", "Model")

_INITIALIZER_OPTIONS = {"kernel_initializer", "bias_initializer", "beta_initializer",
                        "recurrent_initializer",
                        "gamma_initializer", "moving_mean_initializer",
                        "moving_variance_initializer", "alpha_initializer",
                        "embeddings_initializer", "depthwise_initializer",
                        "pointwise_initializer"}
_REGULARIZER_OPTIONS = {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                        "recurrent_regularizer", "alpha_regularizer", "embeddings_regularizer",
                        "depthwise_regularizer", "pointwise_regularizer",
                        "beta_regularizer", "gamma_regularizer"}
_CONSTRAINT_OPTIONS = {"kernel_constraint", "bias_constraint", "alpha_constraint",
                       "recurrent_constraint", "embeddings_constraint", "depthwise_constraint",
                       "pointwise_constraint",
                       "beta_constraint", "gamma_constraint"}
# Objects with the same class name and config keys in Keras 3 and kerasite.
_INITIALIZERS = {"Zeros", "Ones", "Constant", "GlorotUniform", "GlorotNormal", "HeNormal",
                 "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "RandomNormal",
                 "RandomUniform", "TruncatedNormal", "VarianceScaling"}
_REGULARIZERS = {"L1", "L2", "L1L2"}
_CONSTRAINTS = {"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"}
# Keras 2 also wrote lower-case aliases for them.
_OBJECT_ALIASES = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2", "max_norm": "MaxNorm",
                   "non_neg": "NonNeg", "unit_norm": "UnitNorm", "min_max_norm": "MinMaxNorm"}
# Activations whose Keras 3 definition kerasite's matches; others are refused until checked.
ACTIVATIONS = {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
               "softsign", "exponential", "silu", "swish", "gelu", "hard_sigmoid", "mish",
               "relu6", "leaky_relu", "celu", "hard_shrink", "hard_silu", "hard_swish",
               "hard_tanh", "log_sigmoid", "log_softmax", "soft_shrink", "sparse_plus",
               "sparse_sigmoid", "squareplus", "tanh_shrink"}
# (not "sparsemax": Keras 3.15.1's rows do not sum to 1, see "Coming from Keras";
# not "glu", which halves the layer's output)
# Keras options that carry nothing for inference or training here.
_IGNORED_KERAS_OPTIONS = {"name", "trainable", "dtype", "renorm_momentum", "lora_alpha",
                          "batch_input_shape", "batch_size",
                          "vocabulary_size"}  # the lookups': it follows from the vocabulary


# Keras names a layer's group in the weights file after its class: "MaxPooling2D"
# -> "max_pooling2d", and "dense", "dense_1", ... for repeats.
snake_case = _registry.snake_case


def weight_group_names(keras_class_names):
    seen, names = {}, []
    for class_name in keras_class_names:
        base = snake_case(class_name)
        k = seen.get(base, -1) + 1
        seen[base] = k
        names.append(base if k == 0 else f"{base}_{k}")
    return names


def keras_object(class_name, config, module):
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": None}


def is_model(layer):
    return isinstance(layer, _registry.model_class("Model"))


def keras_class(layer):
    """The Keras class name a kerasite layer or nested model is written as."""
    if isinstance(layer, _registry.model_class("Sequential")):
        return "Sequential"
    if is_model(layer):
        return "Functional"
    return LAYERS[type(layer).__name__][0]


# ===================================================================== export
def model_to_keras(model):
    """(Keras config of ``model``, its children in Keras's order).

    Each child is ``(kerasite layer, grandchildren or None)``: the tree the
    weights file follows, ``layers/<group>[/layers/<group>...]/vars``.
    """
    if isinstance(model, _registry.model_class("Sequential")):
        return _sequential_to_keras(model)
    if is_model(model) and not model._is_subclassed():
        return _functional_to_keras(model)
    raise ValueError(
        f"Cannot write a {type(model).__name__} as a Keras file: kerasite writes "
        "Sequential and functional Model (nested ones too). Save it as '.kerasite' instead.")


def layer_to_keras(layer):
    """One (non-model) layer's Keras config, from its kerasite config."""
    name = type(layer).__name__
    if name not in LAYERS:
        raise ValueError(
            f"Layer '{layer.name}' ({name}) cannot be written to a Keras file: kerasite does "
            f"not map {name} to Keras yet. Layers it writes: {', '.join(sorted(LAYERS))}. "
            "Save the model as '.kerasite' instead.")
    keras_name, shared, fixed, _weights = LAYERS[name]
    cfg = dict(layer.get_config())
    label = f"Layer '{layer.name}' ({name})"
    if keras_name == "Activation" and name != "Activation":
        cfg.setdefault("activation", fixed["activation"])  # Sigmoid() is Activation("sigmoid")
        if cfg.pop("approximate", False):  # Keras's "gelu" is the exact, erf-based one
            raise ValueError(f"{label}: GELU(approximate=True) is not mapped to Keras yet; "
                             "a Keras file can be written only with approximate=False.")
    out = {"name": cfg.pop("name"), "trainable": cfg.pop("trainable", True), "dtype": "float32"}
    if keras_name in _NO_TRAINABLE_OPTION:
        del out["trainable"]
    cfg.pop("input_shape", None)
    if name != "Embedding":  # elsewhere the Keras 2 way of giving the input shape
        cfg.pop("input_dim", None)
    if name == "InputLayer":
        return keras_object(keras_name, {
            "batch_shape": [cfg.get("batch_size"), *cfg["shape"]],
            "dtype": "string" if cfg.get("dtype") == "string" else "float32", "sparse": False,
            "ragged": False, "name": out["name"], "optional": False}, "keras.layers")
    activity = cfg.pop("activity_regularizer", None)
    if activity is not None:  # Keras's base Layer takes it, though Dense omits it by default
        out["activity_regularizer"] = _object_to_keras("activity_regularizer", activity, label)
    if name in WRAPPERS:
        return _wrapper_to_keras(layer, cfg, out)
    if name == "SimpleRNN":
        cfg.pop("seed", None)  # Keras's SimpleRNN has no seed argument
    for key in shared:
        value = cfg.pop(key)
        if key in ("activation", "recurrent_activation"):
            value = "linear" if value is None else value
            if value not in ACTIVATIONS:
                raise ValueError(
                    f"{label}: activation {value!r} is not mapped to Keras yet. "
                    f"Mapped: {', '.join(sorted(ACTIVATIONS))}.")
        elif value is not None and key in _OBJECT_KINDS:
            value = _object_to_keras(key, value, label)
        out[key] = value
    for key, required in fixed.items():
        value = cfg.pop(key, required)
        if value != required:
            raise ValueError(
                f"{label}: option `{key}`={value!r} is not mapped to Keras yet; a Keras file "
                f"can be written only with {key}={required!r}.")
        out[key] = required
    if cfg:
        raise ValueError(
            f"{label}: option(s) {sorted(cfg)} have no Keras equivalent that kerasite maps. "
            "Save the model as '.kerasite' instead.")
    return keras_object(keras_name, out, "keras.layers")


def _object_to_keras(option, value, label):
    kind, known, module = _OBJECT_KINDS[option]
    class_name = value["class_name"]
    if class_name not in known:
        raise ValueError(f"{label}: `{option}` {class_name} is not mapped to Keras yet. "
                         f"Mapped {kind}s: {', '.join(sorted(known))}.")
    return keras_object(class_name, dict(value.get("config", {})), module)


def _sequential_to_keras(model):
    config = model.get_config()
    if config.get("input_shape") is None:
        raise ValueError(
            f"Cannot write the unbuilt Sequential '{model.name}' to a Keras file: give its first "
            "layer an `input_shape` (or call model.build((None, ...))) first.")
    shape = [None, *config["input_shape"]]
    input_layer = keras_object("InputLayer", {
        "batch_shape": shape, "dtype": "float32", "sparse": False, "ragged": False,
        "name": f"{model.name}_input", "optional": False}, "keras.layers")
    children = [_child(layer) for layer in model.layers]
    body = {"name": model.name, "trainable": model.trainable, "dtype": "float32",
            "layers": [input_layer] + [obj for obj, _ in children], "build_input_shape": shape}
    top = {**keras_object("Sequential", body, "keras"), "build_config": {"input_shape": shape}}
    return top, [(layer, sub) for layer, (_, sub) in zip(model.layers, children)]


def _child(layer):
    """(Keras config, grandchildren or None) of one layer of a model."""
    if is_model(layer):
        return model_to_keras(layer)
    return layer_to_keras(layer), None


def _functional_to_keras(model):
    config = _registry.model_class("Model").get_config(model)  # the graph, also for an Autoencoder
    by_name = {layer.name: layer for layer in model._graph.layers}
    # (layer name, call index) -> node, counted as Model.get_config counts them.
    nodes, per_layer = {}, {}
    for node in [t.node for t in model._graph.inputs] + model._graph.nodes:
        k = per_layer.get(id(node.layer), 0)
        per_layer[id(node.layer)] = k + 1
        nodes[(node.layer.name, k)] = node

    def keras_ref(ref):
        # Keras counts a nested functional model's own graph as its call 0.
        layer = by_name[ref[0]]
        offset = 1 if is_model(layer) and keras_class(layer) == "Functional" else 0
        return [ref[0], ref[1] + offset, ref[2]]

    def tensor(ref):
        shape = nodes[(ref[0], ref[1])].outputs[ref[2]].shape
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(shape), "dtype": "float32",
                           "keras_history": keras_ref(ref)}}

    keras_layers, children = [], []
    for entry in config["layers"]:
        layer = by_name[entry["name"]]
        obj, sub = _child(layer)
        calls = []
        for call in entry["inbound_nodes"]:
            args = [tensor(r) for r in call["args"]]
            calls.append({"args": [args] if call["multi_input"] else args, "kwargs": {}})
        keras_layers.append({**obj, "name": layer.name, "inbound_nodes": calls})
        children.append((layer, sub))

    order = keras_layer_order(keras_layers, [keras_ref(r) for r in config["input_layers"]],
                              [keras_ref(r) for r in config["output_layers"]])
    keras_layers = [keras_layers[i] for i in order]
    children = [children[i] for i in order]

    def refs(items, keys):
        if keys:  # dict inputs or outputs: Keras keys the references by name
            return dict(zip(keys, items))
        return items[0] if len(items) == 1 else items

    outputs_by_key = config.get("output_keys") if config.get("output_structure") == "dict" \
        else None
    body = {"name": model.name, "trainable": model.trainable, "layers": keras_layers,
            "input_layers": refs([keras_ref(r) for r in config["input_layers"]],
                                 config.get("input_keys")),
            "output_layers": refs([keras_ref(r) for r in config["output_layers"]],
                                  outputs_by_key)}
    top = {"module": "keras.src.models.functional", "class_name": "Functional",
           "config": body, "registered_name": "Functional", "build_config": {"input_shape": None}}
    return top, children


def keras_layer_order(entries, input_refs, output_refs):
    """The order Keras 3 gives a functional model's layers (indices into ``entries``).

    Keras names the groups of the weights file after that order, so the writer
    must use it too. Keras sorts layers by depth (the longest path from the
    layer to an output, deepest first); layers at one depth keep the order in
    which a depth-first walk from the outputs first meets them. Inputs that no
    output depends on come last.
    """
    index = {entry["name"]: i for i, entry in enumerate(entries)}
    parents = {}  # (layer name, Keras call index) -> the calls producing its inputs
    for entry in entries:
        offset = 1 if entry["class_name"] == "Functional" else 0
        for k, call in enumerate(entry["inbound_nodes"]):
            args = call["args"][0] if len(call["args"]) == 1 and \
                isinstance(call["args"][0], list) else call["args"]
            parents[(entry["name"], k + offset)] = [tuple(t["config"]["keras_history"][:2])
                                                    for t in args]
    # InputLayer's own node is call 0 and has no parents.
    visit_order, finished, first_seen = [], set(), {}

    def visit(node):  # iterative depth-first walk: children pushed in reverse
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in finished:
                continue
            if expanded:
                finished.add(current)
                visit_order.append(current)
                continue
            first_seen.setdefault(current[0], len(first_seen))
            stack.append((current, True))
            for parent in reversed(parents.get(current, [])):
                if parent not in finished:
                    stack.append((parent, False))

    for ref in output_refs:
        visit(tuple(ref[:2]))
    node_depth, layer_depth = {}, {}
    for node in reversed(visit_order):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node[0], 0))
        layer_depth[node[0]] = node_depth[node] = depth
        for parent in parents.get(node, []):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for ref in input_refs:
        if ref[0] not in layer_depth:
            layer_depth[ref[0]], first_seen[ref[0]] = 0, -1
    ordered = sorted(layer_depth, key=lambda name: (-layer_depth[name], first_seen[name]))
    missing = set(index) - set(ordered)
    if missing:
        raise ValueError(f"Layer(s) {sorted(missing)} do not lead to an output, so Keras would "
                         "drop them: remove them before writing a Keras file.")
    return [index[name] for name in ordered]


# ===================================================================== import
def check_module(obj, where):
    """Refuses an object whose ``module``/``registered_name`` points outside Keras."""
    module = obj.get("module")
    if module is not None and (not isinstance(module, str)
                               or not (module == "keras" or module.startswith("keras."))):
        raise ValueError(
            f"{where} names module {module!r}. kerasite never imports code named in a file and "
            "reads only Keras's own classes, so it refuses this object.")
    registered = obj.get("registered_name")
    if registered is not None and registered != obj.get("class_name") and \
            registered != "Functional":
        raise ValueError(
            f"{where} is a custom object registered as {registered!r}; kerasite reads only "
            "Keras's own classes.")


def model_from_keras(config, where="The model"):
    """(kind, kerasite model config, children in weights-file order).

    ``kind`` is "Sequential" or "Functional"; each child is ``(Keras layer
    entry, None)`` or, for a nested model, ``(entry, (kind, children))``.
    Reads Keras 3 configs and tf.keras 2's older dialect (``batch_input_shape``,
    dtype strings, calls as ``[[name, call, tensor, kwargs], ...]``).
    """
    if not isinstance(config, dict):
        raise ValueError("The model config must be an object with 'class_name' and 'config'.")
    check_module(config, where)
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in MODEL_CLASSES or not isinstance(body, dict):
        raise ValueError(f"model type {kind!r} is not supported: kerasite reads Sequential and "
                         "functional models.")
    entries = body.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{where}'s config has no 'layers' list.")
    if kind == "Sequential":
        layers, children, input_shape = [], [], None
        for entry in entries:
            class_name, cfg, sub = _entry_from_keras(entry)
            if class_name == "InputLayer":
                input_shape = cfg["shape"]
                continue
            if input_shape is None and isinstance(entry.get("config"), dict):
                shape = entry["config"].get("batch_input_shape")  # tf.keras 2: on the layer
                if isinstance(shape, list) and len(shape) > 1:
                    input_shape = _feature_shape(shape, f"Layer {cfg['name']!r}")
            layers.append({"class_name": class_name, "config": cfg})
            children.append((entry, sub))
        if input_shape is None:
            shape = body.get("build_input_shape")
            if isinstance(shape, list) and len(shape) > 1:
                input_shape = _feature_shape(shape, where)
        return "Sequential", {"name": body.get("name"), "input_shape": input_shape,
                              "layers": layers}, children
    functional = {e.get("name") for e in entries if isinstance(e, dict)
                  and e.get("class_name") in ("Functional", "Model")}
    out, children = [], []
    for entry in entries:
        if _is_mask_op(entry):
            continue
        class_name, cfg, sub = _entry_from_keras(entry)
        calls = [_call_from_keras(call, cfg["name"], functional)
                 for call in entry.get("inbound_nodes") or []]
        out.append({"class_name": class_name, "config": cfg, "name": cfg["name"],
                    "inbound_nodes": calls})
        children.append((entry, sub))
    input_keys, input_refs = _keyed(body.get("input_layers"))
    output_keys, output_refs = _keyed(body.get("output_layers"))
    config = {"name": body.get("name"), "trainable": body.get("trainable", True),
              "layers": out, "input_layers": _refs(input_refs, functional),
              "output_layers": _refs(output_refs, functional)}
    if input_keys:
        config["input_keys"] = input_keys
    if output_keys:
        config["output_keys"], config["output_structure"] = output_keys, "dict"
    return "Functional", config, children


def _keyed(value):
    """(keys or None, references) of Keras's input_layers/output_layers (a dict for dicts)."""
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) for k in value):
            raise ValueError(f"Malformed input_layers/output_layers {value!r:.200}.")
        return list(value), list(value.values())
    return None, value


def _entry_from_keras(entry):
    """(kerasite class name, kerasite config, nested plan or None) of one layer entry."""
    if isinstance(entry, dict) and entry.get("class_name") in MODEL_CLASSES:
        name = (entry.get("config") or {}).get("name") if isinstance(entry.get("config"),
                                                                     dict) else None
        kind, cfg, children = model_from_keras(entry, f"Nested model {name!r}")
        if not isinstance(cfg.get("name"), str):
            raise ValueError("A nested model in the config has no name.")
        return ("Sequential" if kind == "Sequential" else "Model"), cfg, (kind, children)
    class_name, cfg = layer_from_keras(entry)
    return class_name, cfg, None


def _refs(value, functional):
    if isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str):
        value = [value]
    if isinstance(value, list) and value and all(
            isinstance(v, list) and len(v) in (3, 4) and isinstance(v[0], str)
            and isinstance(v[1], int) and isinstance(v[2], int) for v in value):
        return [_kerasite_ref(v, functional) for v in value]
    raise ValueError(f"Malformed input_layers/output_layers {value!r:.200} in the model "
                     "config.")


def _kerasite_ref(history, functional):
    # Keras counts a nested functional model's own graph as its call 0; kerasite does not.
    name, call, index = history[0], history[1], history[2]
    if name in functional:
        if call < 1:
            raise ValueError(f"A tensor refers to call {call} of the nested model {name!r}, "
                             "its own graph; kerasite reads only calls made in the outer model.")
        call -= 1
    return [name, call, index]


def _call_from_keras(call, layer_name, functional):
    if isinstance(call, list):  # tf.keras 2: [[name, call, tensor, kwargs], ...]
        if not call or not all(isinstance(t, list) and len(t) in (3, 4) for t in call):
            raise ValueError(f"Malformed call {call!r:.200} of layer {layer_name!r}.")
        for t in call:
            kwargs = _call_kwargs(t[3] if len(t) == 4 else {}, layer_name)
            if kwargs:
                raise ValueError(f"Layer {layer_name!r} is called with {sorted(kwargs)}, which "
                                 "kerasite does not read yet.")
        refs = [_kerasite_ref(t[:3], functional) for t in call]
        return {"args": refs, "multi_input": len(refs) > 1}
    if not isinstance(call, dict) or not isinstance(call.get("args"), list):
        raise ValueError(f"Malformed call {call!r:.200} of layer {layer_name!r}.")
    kwargs = _call_kwargs(call.get("kwargs") or {}, layer_name)
    initial = kwargs.pop("initial_state", None)  # a recurrent layer's: more inputs
    if kwargs:
        raise ValueError(f"Layer {layer_name!r} is called with {sorted(kwargs)}, which kerasite "
                         "does not read yet.")
    args = call["args"]
    multi = len(args) == 1 and isinstance(args[0], list)
    tensors = args[0] if multi else args
    if initial is not None:
        tensors = [*tensors, *(initial if isinstance(initial, list) else [initial])]
        multi = True
    refs = []
    for t in tensors:
        history = t.get("config", {}).get("keras_history") if isinstance(t, dict) else None
        if not (isinstance(t, dict) and t.get("class_name") == "__keras_tensor__"
                and isinstance(history, list) and len(history) == 3
                and isinstance(history[0], str)):
            raise ValueError(f"Layer {layer_name!r} takes an argument kerasite cannot read: "
                             f"{t!r:.200}.")
        refs.append(_kerasite_ref(history, functional))
    if len(refs) != 1 and not multi:
        raise ValueError(f"Layer {layer_name!r} is called with several positional arguments, "
                         "which kerasite does not read.")
    return {"args": refs, "multi_input": multi}


# The operations Keras 3 traces to compute Masking's and Embedding's masks.
_MASK_OPS = ("NotEqual", "Any")


def _is_mask_op(entry):
    # Keras has no layer of these names; legacy .h5 configs omit the module.
    return isinstance(entry, dict) and entry.get("class_name") in _MASK_OPS and \
        str(entry.get("module") or "keras.src.ops").startswith("keras.src.ops")


def _call_kwargs(kwargs, layer_name):
    """The keyword arguments of a recorded call that change what it computes.

    Keras records ``training=False`` for layers called without it (Dropout,
    GaussianNoise); the model's own ``training`` flag overrides it at every
    call, as in kerasite, so it changes nothing. ``mask=None`` neither.
    """
    if not isinstance(kwargs, dict):
        raise ValueError(f"Malformed keyword arguments {kwargs!r:.100} of layer {layer_name!r}.")
    # Keras 3 records the masks it propagates (from Masking, Embedding(mask_zero=True)) as
    # tensors of NotEqual/Any operations; kerasite's graph propagates the same masks itself.
    kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
    return {k: v for k, v in kwargs.items()
            if v is not None and not (k == "training" and v is False)}


def _feature_shape(shape, label, allow_scalar=False):
    if allow_scalar and shape == [None]:  # a batch of strings: Input(shape=(), dtype="string")
        return []
    if not isinstance(shape, list) or len(shape) < 2 or \
            not all(d is None or is_int(d) and d > 0 for d in shape[1:]):
        raise ValueError(f"{label}: input shape {shape!r:.100} is not supported; kerasite needs "
                         "positive dimensions (None for an axis of varying size).")
    # Layers size their weights from the input before the file's weights are compared with
    # them, so an absurd input shape is refused before anything is allocated.
    features = 1
    for d in shape[1:]:
        features *= 1 if d is None else d
    if features > MAX_INPUT_FEATURES:
        raise ValueError(f"{label}: input shape {shape!r:.100} has {features} values per sample, "
                         "more than kerasite.saving.keras.MAX_INPUT_FEATURES="
                         f"{MAX_INPUT_FEATURES}; raise it to load this model.")
    return list(shape[1:])


def layer_from_keras(entry):
    """A Keras layer entry -> (kerasite class name, kerasite config)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(f"Malformed layer entry {entry!r:.200} in the model config.")
    keras_name = entry.get("class_name")
    cfg = dict(entry["config"])
    label = f"Layer {cfg.get('name')!r} ({keras_name})"
    check_module(entry, label)
    if keras_name == "Lambda":
        raise ValueError(f"{label}: layer type 'Lambda' is not supported: it holds code, and "
                         "kerasite never turns a file into code. Rebuild that part in code.")
    if keras_name not in FROM_KERAS:
        raise ValueError(f"layer type {keras_name!r:.100} is not supported (layer "
                         f"{cfg.get('name')!r:.100}). kerasite reads: "
                         f"{', '.join(sorted(FROM_KERAS))}, and nested Sequential and "
                         "functional models.")
    name = FROM_KERAS[keras_name]
    dtype = cfg.pop("dtype", None)
    if not (name == "InputLayer" and dtype in ("int32", "int64", "string")) and \
            name not in _INTEGER_OUTPUTS:  # ids, text; the lookups' policies are int64
        _check_dtype(dtype, label)
    _shared, shared, fixed, _weights = LAYERS[name]
    out = {"name": cfg.pop("name", None), "trainable": bool(cfg.pop("trainable", True))}
    if not isinstance(out["name"], str):
        raise ValueError(f"{label} has no name.")
    if name == "InputLayer":
        shape = cfg.pop("batch_shape", None) or cfg.pop("batch_input_shape", None) or \
            [None, *(cfg.pop("shape", None) or [])]
        for key in ("sparse", "ragged", "optional"):
            if cfg.get(key):
                raise ValueError(f"{label}: option `{key}`=True is not supported.")
        batch = {"batch_size": shape[0]} if isinstance(shape, list) and shape \
            and is_int(shape[0]) else {}
        text = {"dtype": "string"} if dtype == "string" else {}
        return name, {**out, "shape": _feature_shape(shape, label, allow_scalar=bool(text)),
                      **batch, **text}
    if name == "BatchNormalization" and isinstance(cfg.get("axis"), list) \
            and len(cfg["axis"]) == 1:
        cfg["axis"] = cfg["axis"][0]  # tf.keras 2 writes the resolved axis as a list: [3]
    for key in ("activity_regularizer",):
        value = cfg.pop(key, None)
        if value is not None:
            out[key] = _object_from_keras(key, value, f"{label}, option `{key}`")
    if name in WRAPPERS:
        return name, _wrapper_from_keras(name, cfg, out, label)
    for key in shared:
        if key not in cfg:
            continue
        value = cfg.pop(key)
        if key in ("activation", "recurrent_activation"):
            value = _activation_from_keras(value, label)
        elif value is not None and key in _OBJECT_KINDS:
            value = _object_from_keras(key, value, f"{label}, option `{key}`")
        out[key] = value
    for key, required in fixed.items():
        value = cfg.pop(key, required)
        if value != required:
            raise ValueError(f"{label}: option `{key}`={value!r:.100} is not supported; "
                             f"kerasite reads only {key}={required!r}.")
    for key, value in cfg.items():
        if key not in _IGNORED_KERAS_OPTIONS and value not in (None, False):
            raise ValueError(f"{label}: option `{key}`={value!r:.100} is not supported.")
    return name, out


def _activation_from_keras(value, label):
    """An activation's name, from a name or Keras's serialized function.

    Keras writes a layer's activation as its name (``"relu"``); its
    ``serialize_keras_object`` gives a built-in activation as
    ``{"module": "builtins", "class_name": "function", "config": "relu",
    "registered_name": "function"}``, which ``keras.activations.get`` reads too.
    """
    if value is None:
        return "linear"
    if isinstance(value, dict):
        module = value.get("module")
        if value.get("class_name") == "function" and isinstance(value.get("config"), str) \
                and value.get("registered_name") in (None, "function") and \
                (module in (None, "builtins") or isinstance(module, str)
                 and module.startswith(("keras.activations", "keras.src.activations"))):
            value = value["config"]
        else:
            raise ValueError(f"{label}: activation {value!r:.100} is not supported; kerasite "
                             "reads activations by name, or as Keras's serialized built-in "
                             "function ({'class_name': 'function', 'config': 'relu', ...}).")
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise ValueError(f"{label}: activation {value!r:.100} is not supported. "
                         f"kerasite reads: {', '.join(sorted(ACTIVATIONS))}.")
    return value


def _check_dtype(dtype, label):
    if isinstance(dtype, dict):
        check_module(dtype, f"{label}'s dtype policy")
        dtype = (dtype.get("config") or {}).get("name")
    if dtype not in (None, "float32", "float64"):
        raise ValueError(f"{label}: dtype policy {dtype!r:.50} is not supported; kerasite reads "
                         "float32 and float64 models.")


def _object_from_keras(option, value, label):
    """An initializer, regularizer or constraint from Keras, as kerasite's serialized form."""
    import importlib

    kind, known, _module = _OBJECT_KINDS[option]
    registry = importlib.import_module(f"kerasite.{kind}s")
    if isinstance(value, str):
        spec = value
    elif isinstance(value, dict):
        check_module(value, label)
        class_name = _OBJECT_ALIASES.get(value.get("class_name"), value.get("class_name"))
        if class_name not in known:
            raise ValueError(f"{label}: {kind} {value.get('class_name')!r:.100} is not "
                             f"supported. kerasite reads: {', '.join(sorted(known))}.")
        config = {k: v for k, v in (value.get("config") or {}).items() if v is not None}
        spec = {"class_name": class_name, "config": config}
    else:
        raise ValueError(f"{label}: {kind} {value!r:.100} is not supported.")
    try:
        return registry.serialize(registry.get(spec))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label}: {kind} {value!r:.100} is not supported ({exc}).") from None


# option -> (kind, the classes mapped, Keras module)
_OBJECT_KINDS = {
    **{key: ("initializer", _INITIALIZERS, "keras.initializers") for key in _INITIALIZER_OPTIONS},
    **{key: ("regularizer", _REGULARIZERS, "keras.regularizers") for key in _REGULARIZER_OPTIONS},
    **{key: ("constraint", _CONSTRAINTS, "keras.constraints") for key in _CONSTRAINT_OPTIONS},
}


def has_weights(entry):
    return bool(LAYERS[FROM_KERAS[entry["class_name"]]][3])


def expected_shapes(entry):
    """The Keras weight shapes a layer entry implies, from its config and build_config.

    ``[]`` for a layer without weights; None where they are checked only after
    the model is built (no build_config, as in ``.h5`` files, or a layer whose
    weights follow its input shape in a way not worked out here).
    """
    cfg = entry["config"]
    build = entry.get("build_config") or {}
    shape = build.get("input_shape")
    name = entry["class_name"]
    if not has_weights(entry):
        return []
    if name not in ("Dense", "Conv2D", "BatchNormalization") or \
            not (isinstance(shape, list) and shape and isinstance(shape[-1], int)):
        return None  # checked after the model is built
    n_in = shape[-1]
    if name == "Dense":
        out = [(n_in, cfg["units"])]
        return out + [(cfg["units"],)] if cfg.get("use_bias", True) else out
    if name == "Conv2D":
        out = [(*cfg["kernel_size"], n_in, cfg["filters"])]
        return out + [(cfg["filters"],)] if cfg.get("use_bias", True) else out
    n = (int(cfg.get("scale", True)) + int(cfg.get("center", True)) + 2)
    return [(n_in,)] * n


# ============================================================ recurrent wrappers
# RNN (a cell or StackedRNNCells), Bidirectional and TimeDistributed hold layers; their
# configs nest the inner layers' Keras configs, and a Keras weights file keeps the
# variables in the inner layers' groups: "lstm/cell/vars", "bidirectional/forward_layer/
# cell/vars", "rnn/cell/cells/lstm_cell/vars", "time_distributed/layer/vars".
WRAPPERS = ("RNN", "Bidirectional", "TimeDistributed")
_CELL_LAYERS = ("SimpleRNN", "LSTM", "GRU")


def _inner_to_keras(layer):
    if is_model(layer):
        raise ValueError(f"Layer '{layer.name}': a model inside a recurrent wrapper is not "
                         "mapped to Keras yet. Save as '.kerasite' instead.")
    return layer_to_keras(layer)


def _wrapper_to_keras(layer, cfg, out):
    name = type(layer).__name__
    if name == "TimeDistributed":
        return keras_object(name, {**out, "layer": _inner_to_keras(layer.layer)},
                            "keras.layers")
    if name == "Bidirectional":
        body = {**out, "merge_mode": cfg["merge_mode"]}
        for key, inner in (("layer", layer.forward_layer),
                           ("backward_layer", layer.backward_layer)):
            body[key] = _inner_to_keras(inner)
            # Bidirectional sets it for sequences, on reading as on building.
            body[key]["config"]["zero_output_for_mask"] = False
        return keras_object(name, body, "keras.layers")
    cell = layer.cell
    if type(cell).__name__ == "StackedRNNCells":
        cell_cfg = keras_object("StackedRNNCells", {
            "name": cell.name, "trainable": True, "dtype": "float32",
            "cells": [layer_to_keras(c) for c in cell.cells]}, "keras.layers")
    else:
        cell_cfg = layer_to_keras(cell)
    return keras_object(name, {**out, **{k: cfg[k] for k in _RNN_LAYER}, "cell": cell_cfg},
                        "keras.layers")


def _inner_from_keras(entry, label):
    inner_name, inner_cfg = layer_from_keras(entry)
    return {"class_name": inner_name, "config": inner_cfg}


def _wrapper_from_keras(name, cfg, out, label):
    if name == "TimeDistributed":
        return {**out, "layer": _inner_from_keras(cfg.get("layer"), label)}
    if name == "Bidirectional":
        merge = cfg.get("merge_mode", "concat")
        body = {**out, "merge_mode": merge, "layer": _inner_from_keras(cfg.get("layer"), label)}
        if cfg.get("backward_layer") is not None:
            body["backward_layer"] = _inner_from_keras(cfg["backward_layer"], label)
        return body
    cell = cfg.get("cell")
    if not isinstance(cell, dict):
        raise ValueError(f"{label} has no cell.")
    if cell.get("class_name") == "StackedRNNCells":
        cells = (cell.get("config") or {}).get("cells")
        if not isinstance(cells, list) or not cells:
            raise ValueError(f"{label}: StackedRNNCells without cells.")
        cell_cfg = {"class_name": "StackedRNNCells",
                    "config": {"cells": [_inner_from_keras(c, label) for c in cells]}}
    else:
        cell_cfg = _inner_from_keras(cell, label)
    return {**out, **{k: bool(cfg.get(k, False)) for k in _RNN_LAYER}, "cell": cell_cfg}


def variable_groups(entry):
    """Where a layer's variables sit inside its group of a Keras 3 weights file.

    Args:
        entry: the layer's Keras config, ``{"class_name": ..., "config": ...}``.

    Returns:
        ``None`` for a layer whose variables are in its own ``vars``; else the
        paths, relative to the layer's group, of the groups whose ``vars`` hold
        them, in Keras's weight order (e.g. ``["cell"]`` for an LSTM).
    """
    name, cfg = entry.get("class_name"), entry.get("config") or {}
    if name in _CELL_LAYERS:
        return ["cell"]
    if name == "TimeDistributed":
        inner = variable_groups(cfg.get("layer") or {})
        return ["layer"] if inner is None else [f"layer/{p}" for p in inner]
    if name == "Bidirectional":
        return [f"{side}/{p}" for side, key in (("forward_layer", "layer"),
                                                ("backward_layer", "backward_layer"))
                for p in (variable_groups(cfg.get(key) or cfg.get("layer") or {}) or [""])]
    if name == "RNN":
        cell = cfg.get("cell") or {}
        if cell.get("class_name") == "StackedRNNCells":
            cells = (cell.get("config") or {}).get("cells") or []
            names = weight_group_names(c.get("class_name") for c in cells)
            return [f"cell/cells/{n}" for n in names]
        return ["cell"]
    return None


def legacy_weight_name(layer, key):
    """A weight's name in a legacy ``.h5`` file, after the layer's name (as Keras writes it)."""
    name = type(layer).__name__
    cell_names = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}
    if name in cell_names:
        return f"{layer.cell.name}/{key}"
    if name == "TimeDistributed":
        inner = layer.layer
        return f"{inner.name}/{KERAS_VARIABLE.get(key, key)}"
    if name == "Bidirectional":
        side, _, rest = key.partition("_")
        rnn = layer.forward_layer if side == "forward" else layer.backward_layer
        return f"{rnn.name}/{legacy_weight_name(rnn, rest)}"
    if name == "RNN":
        if key.startswith("cell_"):
            index, _, rest = key[5:].partition("_")
            cell = layer.cell.cells[int(index)]
            return f"{layer.cell.name}/{cell.name}/{rest}"
        return f"{layer.cell.name}/{key}"
    return KERAS_VARIABLE.get(key, key)
