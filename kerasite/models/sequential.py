"""``Sequential``: a plain stack of layers.

It is a graph that happens to be a chain: once the input shape is known, the
layers are called one after the other on a symbolic input, and the graph
engine runs them with no bookkeeping beyond a loop.
"""

from kerasite.layers.base import Layer, _name_scope
from kerasite.layers.input import Input, InputLayer
from kerasite.layers.symbolic import SymbolicTensor
from kerasite.models.model import Model, check_not_inside


class Sequential(Model):
    """A model whose layers run one after the other.

    Args:
        layers: list of layers (or models); an ``Input(shape)`` first fixes
            the input shape and builds the model at once.
        name: a name for the model.

    Example:
        >>> import numpy as np
        >>> from kerasite import Sequential, layers
        >>> model = Sequential([layers.Dense(4, activation="tanh"),
        ...                     layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.predict(np.zeros((3, 2))).shape
        (3, 1)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_spec = None  # (None, *shape) once known
        self._input_dtype = None
        # The graph is made once at the end, not after every layer: linear, not quadratic.
        self._defer_rebuild = True
        try:
            for layer in layers or []:
                self.add(layer)
        finally:
            self._defer_rebuild = False
        self._check_all_layers()
        self._rebuild()

    def _is_subclassed(self):
        return False

    def add(self, layer):
        """Appends a layer; an ``Input`` (or ``input_shape=`` on the first layer) builds the model.

        Raises:
            TypeError: for something that is not a layer.
            ValueError: for a layer already in the model, a repeated name, an
                ``Input`` that is not first, or a layer that cannot take the
                previous layer's output shape (the message names the layer).
        """
        if isinstance(layer, SymbolicTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self.layers:
                raise ValueError("An Input must come first in a Sequential model.")
            self._input_spec = (None, *layer.shape)
            self._input_dtype = layer.dtype
            if not self._defer_rebuild:
                self._rebuild()
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential layers must be kerasite.layers.Layer instances (or models). "
                f"Received: {layer!r} of type {type(layer).__name__}."
            )
        check_not_inside(self, layer)
        if not self._defer_rebuild:
            self._check_new_layer(layer)
        self.layers.append(layer)
        if self._input_spec is None and len(self.layers) == 1:
            if layer.declared_input_shape:
                self._input_spec = (None, *layer.declared_input_shape)
            elif isinstance(layer, Model) and layer.built and layer._single_input:
                self._input_spec = tuple(layer.input_shape)  # a built model brings its input
        if self._defer_rebuild:
            return
        try:
            self._rebuild()
        except Exception:
            self.layers.pop()
            self._rebuild()
            raise

    def _check_new_layer(self, layer):
        """A layer may appear once, and names must be unique (they key the saved weights)."""
        if any(layer is other for other in self.layers):
            raise ValueError(
                f"Layer '{layer.name}' is already in model '{self.name}'. To apply one layer "
                "twice, use the functional API: y = layer(layer(x)) in kerasite.Model."
            )
        if any(layer.name == other.name for other in self.layers):
            raise ValueError(
                f"Model '{self.name}' already has a layer named '{layer.name}'. Layer names must "
                "be unique within a model; pass another name=."
            )

    def _check_all_layers(self):
        """The same checks for a whole list at once, in linear time."""
        seen, names = set(), set()
        for i, layer in enumerate(self.layers):
            if id(layer) in seen or layer.name in names:
                self.layers = self.layers[:i]  # the constructor fails: keep what was valid
                self._check_new_layer(layer)  # raises, with the message add() gives
            seen.add(id(layer))
            names.add(layer.name)

    def pop(self):
        """Removes the last layer and returns it, as Keras's ``Sequential.pop``.

        Raises:
            ValueError: if the model has no layers.
        """
        if not self.layers:
            raise ValueError(f"Model '{self.name}' has no layers to pop.")
        layer = self.layers.pop()
        self._rebuild()
        return layer

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_spec is None:
                raise ValueError(f"Model '{self.name}' needs an input shape to build: "
                                 "model.build((None, *sample_shape)).")
            input_shape = self._input_spec
        if self.built:
            self._check_input_shapes(input_shape)
            return
        if not self.layers:
            raise ValueError(f"Model '{self.name}' has no layers. Add layers before building it.")
        self._input_spec = (None, *tuple(input_shape)[1:])
        self._rebuild()

    def _rebuild(self):
        """Calls the layers in turn on a symbolic input: the chain becomes the graph."""
        if self._input_spec is None or not self.layers:
            self.built = False
            self._graph = self._infer_graph = None
            return
        inputs = Input(self._input_spec[1:], dtype=self._input_dtype,
                       name=f"{self.name}_input")
        x = inputs
        with _name_scope(self.name):  # weight paths "sequential/dense/kernel", as in Keras
            for layer in self.layers:
                x = layer(x)
        layers = self.layers
        self._init_graph(inputs, x)
        self.layers = layers  # Keras's Sequential lists no InputLayer

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the table of ``Model.summary``; also before the model is built.

        As Keras 3 does, an unbuilt model (no ``Input``, never called) lists its
        layers with the output shape ``?`` and ``0 (unbuilt)`` parameters.

        Example:
            >>> from kerasite import Sequential, layers
            >>> Sequential([layers.Dense(2, name="out")], name="later").summary(line_length=88)
            Model: "later"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
            │ out (Dense)                          │ ?                           │     0 (unbuilt) │
            └──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
             Total params: 0 (0.00 B)
             Trainable params: 0 (0.00 B)
             Non-trainable params: 0 (0.00 B)
        """
        if self.built:
            return super().summary(line_length, positions, print_fn, expand_nested,
                                   show_trainable, layer_range)
        import kerasite.models.summary as summary

        summary.print_summary(self, print_fn or print, expand_nested, line_length, positions,
                              show_trainable, layer_range)

    def get_config(self):
        """The name, input shape and layer configs; ``from_config`` rebuilds the model."""
        from kerasite import layers as layers_module

        return {
            "name": self.name,
            "input_shape": None if self._input_spec is None else list(self._input_spec[1:]),
            "layers": [layers_module.serialize(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config):
        """A new model from ``get_config()``'s output (built if the input shape is known)."""
        from kerasite import layers as layers_module

        model = cls([layers_module.deserialize(c) for c in config["layers"]], name=config["name"])
        if config.get("input_shape") is not None and not model.built:
            model.build((None, *config["input_shape"]))
        return model
