"""Layers: the building blocks of a model.

Every layer follows the contract of :class:`~kerasite.layers.Layer`:
``build`` makes the weights, ``forward`` computes and caches, ``backward``
fills ``grads`` and returns the input gradient.
"""

from kerasite import _registry
from kerasite.layers.activations import (
    ELU,
    GELU,
    SELU,
    Activation,
    Exponential,
    HardSigmoid,
    LeakyReLU,
    Linear,
    Mish,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Swish,
    Tanh,
)
from kerasite.layers.base import Layer, NotBuiltError
from kerasite.layers.conv import Conv2D, Conv2DTranspose
from kerasite.layers.dense import Dense
from kerasite.layers.dropout import Dropout
from kerasite.layers.input import Input, InputLayer
from kerasite.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from kerasite.layers.embedding import Embedding
from kerasite.layers.lambda_layer import Lambda
from kerasite.layers.preprocessing import Normalization, Rescaling
from kerasite.layers.preprocessing import (
    Discretization,
    CategoryEncoding,
    Hashing,
    StringLookup,
    IntegerLookup,
    TextVectorization,
    Resizing,
    CenterCrop,
    RandomFlip,
    RandomRotation,
    RandomZoom,
    RandomTranslation,
    RandomContrast,
    RandomBrightness,
    RandomCrop,
)
from kerasite.layers.regularization import ActivityRegularization, GaussianDropout, GaussianNoise
from kerasite.layers.reordering import Permute, RepeatVector
from kerasite.layers.normalization import BatchNormalization, LayerNormalization
from kerasite.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from kerasite.layers.reshaping import Cropping2D, Flatten, Reshape, UpSampling2D, ZeroPadding2D
from kerasite.layers.op_layer import OpLayer
from kerasite.layers.conv import Conv1D, Conv1DTranspose
from kerasite.layers.pooling import (
    AveragePooling1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    MaxPooling1D,
)
from kerasite.layers.reshaping import Cropping1D, UpSampling1D, ZeroPadding1D
from kerasite.layers.dropout import SpatialDropout1D, SpatialDropout2D
from kerasite.layers.separable import DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from kerasite.layers import rnn as _rnn
from kerasite.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    RNNCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from kerasite.layers.masking import Masking

def _unknown_layer(class_name, known):
    return (f"Unknown layer type {class_name!r}. Known types are {known}. Register custom "
            "layers with kerasite.layers.register before loading.")


# Lambda is left out on purpose: it holds code, which loading never builds.
_LAYERS = _registry.Registry(
    "layer", Layer,
    classes=(Dense, Dropout, Flatten, Reshape, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, Linear,
             InputLayer, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
             ELU, SELU, GELU, SiLU, Softplus, Softsign, HardSigmoid, Exponential, Mish,
             PReLU, Activation, GaussianNoise, GaussianDropout, ActivityRegularization,
             Rescaling, Normalization, Embedding, RepeatVector, Permute,
             Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
             GlobalMaxPooling2D, UpSampling2D, ZeroPadding2D, Cropping2D, BatchNormalization,
             LayerNormalization, OpLayer,
             Conv1D, Conv1DTranspose, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D,
             GlobalMaxPooling1D, UpSampling1D, ZeroPadding1D, Cropping1D, SpatialDropout1D,
             SpatialDropout2D, SeparableConv1D, SeparableConv2D, DepthwiseConv2D,
             SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell, RNN, StackedRNNCells,
             Bidirectional, TimeDistributed, Masking,
             Discretization, CategoryEncoding, Hashing, StringLookup, IntegerLookup,
             TextVectorization, Resizing, CenterCrop, RandomFlip, RandomRotation,
             RandomZoom, RandomTranslation, RandomContrast, RandomBrightness, RandomCrop,
             Dot),
    hint="or a {'class_name': ..., 'config': ...} dict, or a Layer instance",
    unknown_class=_unknown_layer)
_REGISTRY = _LAYERS.classes  # class name -> class, what loading may build


def register(cls, name=None):
    """Adds a custom layer class to the registry that ``deserialize`` (and loading) use.

    Loading a model builds layers only from registered classes, never from code
    named in the file. Use it as a class decorator.

    Example:
        >>> @register
        ... class Double(Layer):
        ...     def call(self, x, training=False):
        ...         return 2 * x
        ...     def backward(self, grad_output, need_input_grad=True):
        ...         return 2 * grad_output
        >>> deserialize({"class_name": "Double", "config": {}}).__class__.__name__
        'Double'
    """
    return _LAYERS.register(cls, name)


def get(identifier):
    """Returns a layer from a config dict or an instance (``None`` gives ``None``).

    Raises:
        ValueError: for an unregistered class, listing the known ones.

    Example:
        >>> get({"class_name": "Dense", "config": {"units": 4}}).units
        4
    """
    return _LAYERS.get(identifier)


def serialize(layer):
    """Describes a layer as a JSON-safe dict.

    Args:
        layer: a ``Layer``.

    Returns:
        ``{"class_name": ..., "config": layer.get_config()}``.

    Example:
        >>> serialize(Dropout(0.5, seed=1, name="drop"))
        {'class_name': 'Dropout', 'config': {'name': 'drop', 'trainable': True, 'rate': 0.5, 'noise_shape': None, 'seed': 1}}
    """
    return _LAYERS.serialize(layer)


def deserialize(config):
    """Builds a new, unbuilt layer from ``serialize``'s output, using registered classes only.

    Args:
        config: ``{"class_name": ..., "config": {...}}``, or ``None``.

    Returns:
        The layer (``None`` for ``None``).

    Raises:
        ValueError: for an unknown ``class_name``, listing the known ones.

    Example:
        >>> deserialize({"class_name": "Dense", "config": {"units": 4}}).units
        4
    """
    if config is not None and (not isinstance(config, dict) or "class_name" not in config):
        raise ValueError(
            "A layer config must be a dict with 'class_name' and 'config'. "
            f"Received: {config!r}."
        )
    return _LAYERS.deserialize(config)


_rnn.base.DESERIALIZE.append(deserialize)  # the recurrent wrappers rebuild their inner layers


__all__ = [
    "Layer", "NotBuiltError", "Dense", "Dropout", "Flatten", "Reshape", "Activation",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Linear",
    "Input", "InputLayer", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum",
    "concatenate",
    "ELU", "SELU", "GELU", "SiLU", "Swish", "Softplus", "Softsign", "HardSigmoid",
    "Exponential", "Mish", "PReLU",
    "GaussianNoise", "GaussianDropout", "ActivityRegularization", "Rescaling", "Normalization",
    "Embedding", "RepeatVector", "Permute", "Lambda",
    "Conv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
    "BatchNormalization", "LayerNormalization",
    "register", "get", "serialize", "deserialize",
    "OpLayer",
    "Conv1D", "Conv1DTranspose", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D",
    "GlobalMaxPooling1D", "UpSampling1D", "ZeroPadding1D", "Cropping1D", "SpatialDropout1D",
    "SpatialDropout2D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D",
    "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "RNN", "RNNCell",
    "StackedRNNCells", "Bidirectional", "TimeDistributed", "Masking",
    "Discretization",
    "CategoryEncoding",
    "Hashing",
    "StringLookup",
    "IntegerLookup",
    "TextVectorization",
    "Resizing",
    "CenterCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "RandomBrightness",
    "RandomCrop",
    "Dot",
    "dot",
]
