"""``Model``: a graph of layers, itself usable as a layer.

There are three ways to make one, as in Keras:

* **functional**: ``Model(inputs, outputs)`` over layers called on
  ``kerasite.Input`` tensors; any DAG (several inputs and outputs, fan-out,
  shared layers, merge layers, nested models);
* **Sequential**: a chain of layers (``kerasite.Sequential``), which is a
  graph that happens to be a line;
* **subclassing**: ``class MyModel(Model)`` whose ``__init__`` makes layers
  and whose ``call(inputs, training=False)`` composes them. On first use
  kerasite *traces* ``call`` with symbolic inputs into a graph, so backward is
  the graph's: no autodiff, every gradient still a layer's own ``backward``.

This module holds the network (structure, weights, config, saving); the
training API (compile, fit, evaluate, predict) is in ``kerasite/trainers/trainer.py``, and the
forward and backward passes over the nodes in ``graph.py``.
"""

import inspect
from collections import deque

import numpy as np

from kerasite import utils
from kerasite._validation import is_int
from kerasite.layers import _tape
from kerasite.layers.base import Layer, NotBuiltError, _auto_name
from kerasite.layers.input import Input, InputLayer
from kerasite.layers.symbolic import SymbolicTensor, is_symbolic
from kerasite.ops import core as _ops_core
from kerasite.models.graph import Graph
from kerasite.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A graph of layers with Keras's training API; a ``Model`` is also a ``Layer``.

    Args:
        inputs: the model's input tensor(s) from ``kerasite.Input``: one
            tensor, a list, or a dict keyed by name.
        outputs: the output tensor(s) computed from them: one tensor, a list
            or a dict keyed by name (``fit``'s targets and ``predict``'s
            results then take the same form).
        name: a name for the model.

    Attributes:
        layers: the layers, each once, in Keras's order (the input layers
            first for a functional model).
        inputs, outputs: lists of the symbolic input and output tensors.
        input_names, output_names: their names, which key dict data.

    Example:
        >>> import numpy as np
        >>> import kerasite
        >>> from kerasite import layers
        >>> inputs = kerasite.Input((784,))
        >>> encoded = layers.Dense(32, activation="relu")(inputs)
        >>> decoded = layers.Dense(784, activation="sigmoid")(encoded)
        >>> autoencoder = kerasite.Model(inputs, decoded)
        >>> encoder = kerasite.Model(inputs, encoded)  # the same layers and weights
        >>> autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
        >>> x = np.random.default_rng(0).random((64, 784), dtype="float32")
        >>> history = autoencoder.fit(x, x, epochs=1, verbose=0)
        >>> encoder.predict(x).shape
        (64, 32)
    """

    output_shape = None  # set when the graph is made (Layer computes it; a model knows it)

    def __new__(cls, *args, **kwargs):
        # Kept so a subclassed model's default get_config can return its constructor
        # arguments, as Keras 3 does.
        model = super().__new__(cls)
        object.__setattr__(model, "_init_args", (args, kwargs))
        return model

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"Model() got unexpected arguments: {sorted(kwargs)}. It takes "
                            "inputs, outputs, name and trainable.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}.")
        object.__setattr__(self, "_tracked", [])
        self.name = name or _auto_name(type(self).__name__)
        self._trainable = bool(trainable)
        self.declared_input_shape = None
        self.built = False
        self.input_shape = self.output_shape = None
        self._workspaces = {}
        self._inbound_nodes = []
        self._graph = self._infer_graph = None
        self.layers, self._untracked = [], []
        self.inputs = self.outputs = None
        self._seed = utils.draw_seed()
        Trainer.__init__(self)
        if inputs is None and outputs is None:
            return  # a subclassed model (traced on first use) or a Sequential
        if inputs is None or outputs is None:
            raise ValueError(
                "A functional Model needs both `inputs` and `outputs`, e.g. "
                "Model(inputs=kerasite.Input((784,)), outputs=x). Received "
                f"{'inputs' if inputs is None else 'outputs'}=None."
            )
        self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ graph
    def _init_graph(self, inputs, outputs, infer_outputs=None):
        ins, self._input_keys = _flatten(inputs, "inputs")
        outs, self._output_keys = _flatten(outputs, "outputs")
        self._single_input = not isinstance(inputs, (list, tuple, dict))
        self._output_structure = "dict" if isinstance(outputs, dict) else \
            "list" if isinstance(outputs, (list, tuple)) else "single"
        self._graph = Graph(ins, outs, self.name)
        self._infer_graph = self._graph if infer_outputs is None else \
            Graph(ins, _flatten(infer_outputs, "outputs")[0], self.name)
        if self._is_subclassed():
            self.layers, self._untracked = self._traced_layers()
        else:
            self.layers, self._untracked = list(self._graph.layers), []
        self.inputs, self.outputs = ins, outs
        self.input_names = self._input_keys or [t.node.layer.name for t in ins]
        self.output_names = self._output_keys or _output_names(outs)
        shapes = [t.shape for t in ins]
        self.input_shape = shapes[0] if self._single_input else shapes
        out_shapes = [t.shape for t in outs]
        self.output_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        self.built = True
        self._on_structure_change()

    def _on_structure_change(self):
        """Hook for the training facade: the graph was (re)made."""
        self._invalidate_training_state()

    def _reset_plans(self):
        for graph in {id(g): g for g in (self._graph, self._infer_graph) if g}.values():
            graph.reset_plans()

    # --------------------------------------------------------- as a layer
    def build(self, input_shape):
        """Builds the model for inputs of ``input_shape`` (batch axis included).

        A functional model is built when it is made; a ``Sequential`` or a
        subclassed model is built here, or by its first ``fit``/``predict``.

        Example:
            >>> from kerasite import Sequential, layers
            >>> model = Sequential([layers.Dense(3), layers.Dense(1)])
            >>> model.build((None, 5))
            >>> model.count_params()
            22
        """
        if self.built:
            self._check_input_shapes(input_shape)
            return
        if not self._is_subclassed():
            raise ValueError(f"Model '{self.name}' has no layers. Add layers before building it.")
        self._trace(input_shape)

    def ensure_built(self, input_shape):
        self.build(input_shape)

    def forward(self, x, training=False):
        """Runs the graph on ``x`` (one array, or one per input); the engine's forward pass.

        Unlike ``predict`` it neither checks nor casts ``x``, and it keeps what
        each layer needs for ``backward``.

        Args:
            x: an array ``(batch, *features)`` of ``floatx()``, or a list of
                them for a model with several inputs.
            training: ``True`` to run dropout as in training.

        Returns:
            The output array, or a list (or dict) of them for several outputs.
        """
        if not self.built:
            self.build(_shapes_of(x))
        values = [x] if self._single_input or (  # a one-item inputs list takes the bare array
            len(self.input_names) == 1 and not isinstance(x, (list, tuple, dict))) \
            else _as_list(x, self.input_names, "x")
        graph = self._graph if training else self._infer_graph
        self._last_graph = graph  # backward goes through the graph that ran
        self.__dict__["_recorded_losses"] = None
        outs = graph.forward(values, training)
        return self._pack_outputs(outs)

    def backward(self, grad, need_input_grad=True):
        """Back-propagates d loss / d output; fills the weights' ``grads``.

        Args:
            grad: d loss / d output, shaped like the last ``forward``'s output
                (a list for several outputs).
            need_input_grad: whether to compute d loss / d input. When false,
                everything before the first trainable layer is skipped.

        Returns:
            d loss / d input (a list for several inputs), or ``None``.
        """
        self._require_built("backward()")
        grads = [grad] if self._output_structure == "single" else \
            _as_list(grad, self.output_names, "grad")
        result = getattr(self, "_last_graph", self._graph).backward(grads, need_input_grad)
        if result is None:
            return None
        return result[0] if self._single_input else result

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        return self.output_shape

    def __call__(self, inputs, training=False, **kwargs):
        # While a GradientTape records, the whole model is one node of it: its VJP is the
        # graph's backward (kerasite/layers/_tape.py).
        if _ops_core._RECORDING and not is_symbolic(inputs):
            return _tape.record_call(self, inputs, bool(training))
        return Trainer.__call__(self, inputs, training, **kwargs)

    @property
    def losses(self):
        """The ``add_loss`` values of the last call, from every layer inside, as Keras's.

        After a call under a ``GradientTape`` they are Tensors the tape
        tracks, so ``loss + sum(model.losses)`` differentiates them too.
        """
        recorded = self.__dict__.get("_recorded_losses")
        if recorded is not None:
            return list(recorded)
        graph = self.__dict__.get("_last_graph")
        return [term.value for term in graph.loss_terms] if graph is not None else []

    def _pack_outputs(self, outs):
        if self._output_structure == "single":
            return outs[0]
        if self._output_structure == "dict":
            return dict(zip(self.output_names, outs))
        return list(outs)

    def _check_input_shapes(self, input_shape):
        shapes = [input_shape] if self._single_input else list(input_shape)
        expected = [self.input_shape] if self._single_input else self.input_shape
        if len(shapes) != len(expected) or any(
                tuple(s)[1:] != tuple(e)[1:] for s, e in zip(shapes, expected)):
            raise ValueError(
                f"Input to model '{self.name}' has the wrong shape: expected "
                f"{_shape_list(expected)}, received {_shape_list(shapes)}."
            )

    # ----------------------------------------------- layers inside, recursively
    def _sublayers(self):
        return [*self.layers, *self._untracked]

    def _leaf_layers(self):
        """Every layer with weights of its own, inside nested models too, each once."""
        leaves, seen = [], set()
        for layer in self.layers:
            inner = layer._leaf_layers() if isinstance(layer, Model) else [layer]
            for leaf in inner:
                if id(leaf) not in seen:
                    seen.add(id(leaf))
                    leaves.append(leaf)
        return leaves

    def _export_cache(self):
        graphs = [g for g in (self._graph, self._infer_graph) if g is not None]
        return Layer._export_cache(self), [dict(g._node_state) for g in graphs]

    def _import_cache(self, state):
        graphs = [g for g in (self._graph, self._infer_graph) if g is not None]
        if state is None:
            Layer._import_cache(self, None)
            for g in graphs:
                g._node_state = {}
            return
        Layer._import_cache(self, state[0])
        for g, node_state in zip(graphs, state[1]):
            g._node_state = dict(node_state)

    def clear_cache(self):
        for layer in self._sublayers():
            layer.clear_cache()

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # As in Keras, freezing a model freezes every layer in it (and thawing thaws them).
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    def set_epoch(self, epoch):
        """Passes the epoch to the layers whose randomness follows it (Dropout)."""
        for layer in self._leaf_layers():
            if hasattr(layer, "set_epoch"):
                layer.set_epoch(epoch)

    # ---------------------------------------------------------------- weights
    @property
    def params(self):
        """All weights, keyed ``"<layer index>/<name>"`` (nested: ``"2/0/W"``)."""
        return {f"{i}/{key}": value for i, layer in enumerate(self.layers)
                for key, value in layer.params.items()}

    @property
    def grads(self):
        return {f"{i}/{key}": value for i, layer in enumerate(self.layers)
                for key, value in layer.grads.items()}

    @property
    def weights(self):
        """Every weight, a live :class:`~kerasite.Variable`, layer by layer, as Keras's."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        """The weights an optimizer updates, following each layer's ``trainable``."""
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints Keras 3's table of the layers, their output shapes and parameter counts.

        A model whose layers form one chain gets the columns ``Layer (type)``,
        ``Output Shape`` and ``Param #``; any other functional model also gets
        ``Connected to`` (``name[node][tensor]`` of each input, as Keras writes
        it). The totals follow, with the weights' size in memory.

        As Keras 3 does, the table is 88 characters wide (108 with ``Connected
        to``, 12 more with ``show_trainable``), narrowed to the terminal's width
        less 4; text longer than its cell wraps at spaces, and a word that still
        does not fit ends in "…".

        Args:
            line_length: the table's total width in characters (default: as above).
            positions: where each column ends, as fractions of ``line_length``
                (default ``[0.45, 0.8, 1.0]``, or ``[0.3, 0.56, 0.74, 1.0]`` with
                ``Connected to``), one per column before ``Trainable``.
            print_fn: function called with each line (default ``print``).
            expand_nested: also list the layers inside nested models, indented.
            show_trainable: add a ``Trainable`` column: ``Y``, ``N``, or ``-`` for a
                layer without weights.
            layer_range: two layer names or regular expressions: the table starts at
                the first layer matching the first and ends at the last layer
                matching the second (both included).

        Raises:
            NotBuiltError: before the model is built.
            ValueError: a ``layer_range`` that names no layer, or a ``line_length``
                too narrow for a column of 4 characters.

        Example:
            >>> from kerasite import Sequential, Input, layers
            >>> model = Sequential([Input((4,)), layers.Dense(2, name="out")], name="tiny")
            >>> model.summary(line_length=88)  # the default, unless the terminal is narrower
            Model: "tiny"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
            │ out (Dense)                          │ (None, 2)                   │              10 │
            └──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
             Total params: 10 (40.00 B)
             Trainable params: 10 (40.00 B)
             Non-trainable params: 0 (0.00 B)
        """
        self._require_built("summary()")
        import kerasite.models.summary as summary

        summary.print_summary(self, print_fn or print, expand_nested, line_length, positions,
                              show_trainable, layer_range)

    def get_layer(self, name=None, index=None):
        """A layer by name or by its index in ``layers``.

        Raises:
            ValueError: if neither or both are given, or there is no such layer.

        Example:
            >>> import kerasite
            >>> from kerasite import layers
            >>> x = kerasite.Input((3,))
            >>> model = kerasite.Model(x, layers.Dense(2, name="head")(x))
            >>> model.get_layer("head").units
            2
        """
        if (name is None) == (index is None):
            raise ValueError("Pass exactly one of `name` and `index` to get_layer(). Received "
                             f"name={name!r}, index={index!r}.")
        if index is not None:
            if not is_int(index) or not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"`index` must be an integer in [0, {len(self.layers)}): model "
                                 f"'{self.name}' has {len(self.layers)} layers. Received: "
                                 f"index={index!r}.")
            return self.layers[index]
        # A look-up table, checked on each use and made anew once it is stale, keeps a load
        # that finds each of n layers by name linear rather than quadratic.
        layers = self.layers
        for attempt in range(2):
            table = self.__dict__.get("_layers_by_name")
            if attempt or table is None or table[0] is not layers or table[1] != len(layers):
                positions = {}
                for i, layer in enumerate(layers):
                    positions.setdefault(layer.name, i)
                table = self._layers_by_name = (layers, len(layers), positions)
            i = table[2].get(name)
            if i is not None and layers[i].name == name:
                return layers[i]
        raise ValueError(f"No layer named {name!r} in model '{self.name}'. Its layers are "
                         f"{[layer.name for layer in self.layers]}.")

    def count_params(self):
        """The number of scalars in the model's weights (shared layers counted once).

        Example:
            >>> from kerasite import Sequential, Input, layers
            >>> Sequential([Input((4,)), layers.Dense(2)]).count_params()  # 4 * 2 + 2
            10
        """
        self._require_built("count_params()")
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        """Copies of all weights' values, as arrays, layer by layer (kernel, then bias).

        Example:
            >>> from kerasite import Sequential, Input, layers
            >>> model = Sequential([Input((4,)), layers.Dense(2)])
            >>> [w.shape for w in model.get_weights()]
            [(4, 2), (2,)]
        """
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets all weights from a list shaped like ``get_weights()``'s output.

        The values are copied into the existing arrays, so optimizers and
        other models sharing the layers see them. Every array is checked
        before any is written: a refused list leaves the model unchanged.

        Raises:
            ValueError: if the number of arrays, a shape or a dtype does not
                match; no weight has changed.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> model = Sequential([Input((4,)), layers.Dense(2)])
            >>> model.set_weights([np.ones((4, 2)), np.zeros(2)])
            >>> model.predict(np.ones((1, 4)))
            array([[4., 4.]], dtype=float32)
        """
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"Model '{self.name}' has {expected} weight arrays; set_weights received "
                f"{len(weights)}. Pass a list shaped like get_weights()'s output."
            )
        pairs, i = [], 0
        for layer in self.layers:
            k = len(layer.params)
            pairs += layer._checked_weights(weights[i:i + k], f"Layer '{layer.name}'")
            i += k
        self._assign_checked(pairs)

    def _require_built(self, what):
        if not self.built:
            raise NotBuiltError(
                f"Model '{self.name}' has not been built yet, so `{what}` is not available. "
                "Build it with model.build(input_shape), by passing an Input(shape) or "
                "input_shape= to the first layer, or by calling fit() or predict() once."
            )

    # ------------------------------------------------------------ subclassing
    def __setattr__(self, name, value):
        # A subclassed model finds its layers through its attributes, as Keras does.
        if name[0] != "_" and isinstance(value, (Layer, list, tuple, dict)) and \
                _holds_layers(value):
            tracked = self.__dict__.get("_tracked")
            if tracked is not None and name not in ("layers", "inputs", "outputs"):
                for layer in _layers_in(value):
                    check_not_inside(self, layer)
                tracked.append(value)
        object.__setattr__(self, name, value)

    def _is_subclassed(self):
        return type(self).call is not Model.call

    def call(self, inputs, training=False):
        """A subclassed model's forward computation, written with layers.

        Override it (with ``__init__`` making the layers). kerasite traces it
        once with symbolic tensors into a graph; Python code runs at trace
        time only, so branch on Python values (``training``), never on data.
        """
        raise NotImplementedError(
            f"Model '{self.name}' has no graph: make it with Model(inputs, outputs), or "
            "subclass Model and define call(self, inputs, training=False)."
        )

    def _trace(self, input_shape):
        """Runs ``call`` on symbolic inputs, once with ``training=True`` and once without."""
        multi = isinstance(input_shape, (list, tuple)) and input_shape \
            and isinstance(input_shape[0], (list, tuple))
        shapes = list(input_shape) if multi else [input_shape]
        inputs = [Input(tuple(s)[1:], name=f"{self.name}_input_{i}" if multi else
                        f"{self.name}_input") for i, s in enumerate(shapes)]
        arg = inputs if multi else inputs[0]
        takes_training = "training" in inspect.signature(self.call).parameters
        try:
            if takes_training:
                train_out = self.call(arg, training=True)
                infer_out = self.call(arg, training=False)
            else:
                train_out = infer_out = self.call(arg)
        except TypeError as exc:
            raise TypeError(
                f"kerasite could not trace {type(self).__name__}.call(): {exc}\nA subclassed "
                "model's call() runs once with symbolic tensors to record its graph, so it may "
                "use only kerasite layers (and +, -, * between their outputs) on its inputs."
            ) from None
        self._init_graph(arg, train_out, infer_outputs=infer_out)

    def _traced_layers(self):
        tracked, seen = [], set()
        for value in self._tracked:
            for layer in _layers_in(value):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    tracked.append(layer)
        extra = []
        for graph in (self._graph, self._infer_graph):
            for layer in graph.layers:
                if id(layer) in seen or isinstance(layer, InputLayer):
                    continue
                if layer.params:
                    raise ValueError(
                        f"Layer '{layer.name}' ({type(layer).__name__}) was created inside "
                        f"{type(self).__name__}.call(). Layers with weights must be made once, "
                        "in __init__ (self.dense = layers.Dense(...)), and only used in call()."
                    )
                seen.add(id(layer))
                extra.append(layer)
        # Weightless layers made while tracing (Add from ``+``) run in the graph but, as
        # Keras's ops, are not listed among the model's layers.
        return tracked, extra

    # ----------------------------------------------------------------- config
    def get_config(self):
        """The graph as data: each layer's config and which tensors feed its calls.

        The format follows Keras's functional config: ``layers`` (each with
        ``inbound_nodes``, a list of calls, each a list of
        ``[layer name, call index, tensor index]``), ``input_layers`` and
        ``output_layers``. ``from_config`` rebuilds the model (new weights).
        """
        if self._is_subclassed():
            return self._constructor_config()
        from kerasite import layers as layers_module

        if self._graph is None:
            raise NotBuiltError(f"Model '{self.name}' has no graph yet: nothing to describe.")
        graph = self._graph
        calls = {}  # id(node) -> (layer name, index of that call within this model)
        per_layer = {}
        for node in [t.node for t in graph.inputs] + graph.nodes:
            k = per_layer.get(id(node.layer), 0)
            per_layer[id(node.layer)] = k + 1
            calls[id(node)] = (node.layer.name, k)

        def ref(tensor):
            name, k = calls[id(tensor.node)]
            return [name, k, tensor.node.outputs.index(tensor)]

        by_layer = {}  # id(layer) -> its nodes, in call order (one pass: linear time)
        for node in [t.node for t in graph.inputs] + graph.nodes:
            by_layer.setdefault(id(node.layer), []).append(node)
        layer_configs = []
        for layer in graph.layers:
            nodes = by_layer.get(id(layer), [])
            layer_configs.append({
                **layers_module.serialize(layer),
                "name": layer.name,
                "inbound_nodes": [{"args": [ref(t) for t in n.inputs],
                                   "multi_input": n.multi_input,
                                   **({"input_keys": n.input_keys} if n.input_keys else {})}
                                  for n in nodes if n.inputs],
            })
        config = {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                  "input_layers": [ref(t) for t in graph.inputs],
                  "output_layers": [ref(t) for t in graph.outputs]}
        if self._input_keys:
            config["input_keys"] = self._input_keys
        if self._output_keys or self._output_structure != "single":
            config["output_keys"] = self._output_keys
            config["output_structure"] = self._output_structure
        return config

    def _constructor_config(self):
        """A subclassed model's constructor arguments, if they are plain JSON values."""
        import json

        args, kwargs = self._init_args
        signature = inspect.signature(type(self).__init__)
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            bound = None
        config = {}
        if bound is not None:
            for key, value in list(bound.arguments.items())[1:]:
                kind = signature.parameters[key].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    config.update(value)
                elif kind is not inspect.Parameter.VAR_POSITIONAL:
                    config[key] = value
        try:
            json.dumps(config, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(
                f"{type(self).__name__}'s constructor arguments are not plain values "
                f"({sorted(config)}), so kerasite cannot describe the model for saving. Define "
                f"{type(self).__name__}.get_config() returning the arguments from_config needs, "
                "or save only the weights with save_weights()."
            ) from None
        accepts_name = "name" in signature.parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
        if accepts_name:
            config.setdefault("name", self.name)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds a model from ``get_config()``'s output, with layers from the registry only."""
        if "layers" not in config or "input_layers" not in config:
            if cls.call is Model.call:
                raise ValueError(
                    f"This config describes no graph (keys {sorted(config)}). A subclassed "
                    "model is rebuilt by its own class: register it with "
                    "kerasite.saving.register_serializable and give it get_config()."
                )
            return cls(**config)
        return _functional_from_config(cls, config)

    def to_json(self, **kwargs):
        """The architecture as JSON (kerasite's config format), which
        ``kerasite.models.model_from_json`` reads back with new weights.

        Args:
            **kwargs: passed to ``json.dumps`` (``indent=2``, ...).
        """
        import json

        import kerasite
        from kerasite.saving.native import _json_bytes

        payload = {"class_name": type(self).__name__, "config": self.get_config(),
                   "kerasite_version": kerasite.__version__}
        # _json_bytes refuses values JSON cannot hold, naming them.
        return json.dumps(json.loads(_json_bytes(payload, type(self).__name__)), **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} layers={len(self.layers)}>"


# ===================================================================== helpers
def _flatten(structure, what):
    """(list of tensors, keys or None) for one tensor, a list or a dict."""
    if isinstance(structure, dict):
        keys, tensors = list(structure), list(structure.values())
    elif isinstance(structure, (list, tuple)):
        keys, tensors = None, list(structure)
    else:
        keys, tensors = None, [structure]
    if not tensors:
        raise ValueError(f"`{what}` is empty: a model needs at least one input and one output.")
    for t in tensors:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(
                f"`{what}` must hold symbolic tensors (from kerasite.Input and layer calls). "
                f"Received {type(t).__name__}: {t!r}. Build the graph first: "
                "x = kerasite.Input((784,)); y = layers.Dense(10)(x); Model(x, y)."
            )
    return tensors, keys


def _output_names(outputs):
    names, seen = [], {}
    for t in outputs:
        name = t.node.layer.name
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
    return names


def _as_list(x, names, what):
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"`{what}` is a dict without the key(s) {missing}; the model's "
                             f"names are {names}.")
        return [x[n] for n in names]
    if not isinstance(x, (list, tuple)) or len(x) != len(names):
        raise ValueError(
            f"`{what}` must be a list of {len(names)} arrays (one per {names}) or a dict keyed "
            f"by those names. Received {type(x).__name__}"
            f"{f' of length {len(x)}' if isinstance(x, (list, tuple)) else ''}."
        )
    return list(x)


def _shapes_of(x):
    if isinstance(x, (list, tuple)):
        return [tuple(np.shape(v)) for v in x]
    return tuple(np.shape(x))


def _shape_list(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


def _holds_layers(value):
    if isinstance(value, Layer):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Layer) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, Layer) for v in value.values())
    return False


def check_not_inside(model, layer):
    """Refuses to put ``layer`` into ``model`` when ``layer`` is ``model`` or holds it.

    A model inside itself (``s.add(s)``, or a holding b holding a) would call
    itself without end. The layers inside ``layer`` are walked with an
    explicit stack, each once.

    Raises:
        ValueError: naming both, if ``model`` is ``layer`` or lies inside it.
    """
    stack, seen = [layer], set()
    while stack:
        current = stack.pop()
        if current is model:
            where = "itself" if layer is model else f"layer '{layer.name}', which holds it"
            raise ValueError(
                f"Model '{model.name}' cannot contain {where}: a model inside itself would "
                "call itself without end. Use a new model, or another instance of the layers."
            )
        if id(current) in seen:
            continue
        seen.add(id(current))
        inner = current.__dict__.get("layers") if isinstance(current, Model) else None
        stack.extend(inner or [])
        stack.extend(current._sublayers())


def _layers_in(value):
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [v for v in value if isinstance(v, Layer)]


def _functional_from_config(cls, config, make_layer=None):
    """The model ``config`` describes; ``make_layer(entry)`` gives each layer (by default
    ``layers.deserialize(entry)``: ``clone_model`` passes its own)."""
    from kerasite import layers as layers_module

    make_layer = make_layer or layers_module.deserialize

    entries = config["layers"]
    if not isinstance(entries, list):
        raise ValueError("A model config's 'layers' must be a list.")
    layers, outputs = {}, {}  # name -> layer; (name, call) -> output tensors
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ValueError(f"Malformed layer entry in a model config: {entry!r:.200}.")
        layer = make_layer(entry)
        if entry["name"] in layers:
            raise ValueError(f"The model config names layer {entry['name']!r} twice.")
        layers[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            outputs[(entry["name"], 0)] = [layer.output]
    # Calls are replayed in an order where every input already exists: Kahn's algorithm,
    # each call waiting for the calls that make its inputs, so linear in the number of calls
    # whatever order the file lists them in.
    pending = [(entry["name"], k, call) for entry in entries
               for k, call in enumerate(entry.get("inbound_nodes", []))]
    waiting, missing, ready = {}, [], deque()  # (name, call) -> calls waiting for its outputs
    for i, (name, k, call) in enumerate(pending):
        refs = call.get("args") if isinstance(call, dict) else None
        if not isinstance(refs, list) or not refs:
            raise ValueError(f"Malformed call {call!r:.200} of layer {name!r}.")
        for r in refs:
            if not (isinstance(r, (list, tuple)) and len(r) >= 3 and isinstance(r[0], str)
                    and is_int(r[1]) and is_int(r[2])):
                raise ValueError(f"Malformed tensor reference in call {call!r:.200} of layer "
                                 f"{name!r}.")
        needed = {(r[0], r[1]) for r in refs} - set(outputs)
        for key in needed:
            waiting.setdefault(key, []).append(i)
        missing.append(len(needed))
        if not needed:
            ready.append(i)
    done = 0
    while ready:
        name, k, call = pending[ready.popleft()]
        refs = call["args"]
        try:
            args = [outputs[(r[0], r[1])][r[2]] for r in refs]
        except IndexError:
            raise ValueError(f"Malformed tensor reference in call {call!r:.200} of layer "
                             f"{name!r}.") from None
        if call.get("input_keys"):
            args = dict(zip(call["input_keys"], args))
        out = layers[name](args if call.get("multi_input") else args[0])
        offset = 1 if isinstance(layers[name], InputLayer) else 0
        key = (name, k + offset)
        outputs[key] = _tape.flatten(out)[0] if isinstance(out, (list, tuple, dict)) else [out]
        done += 1
        for j in waiting.pop(key, ()):
            missing[j] -= 1
            if not missing[j]:
                ready.append(j)
    if done < len(pending):
        rest = [(n, c) for (n, c, _), left in zip(pending, missing) if left][:3]
        raise ValueError("The model config's calls refer to tensors no layer produces: "
                         f"{rest!r:.300}.")

    def tensor(ref):
        try:
            return outputs[(ref[0], ref[1])][ref[2]]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"The model config refers to an unknown tensor {ref!r}.") from None

    ins = [tensor(r) for r in config["input_layers"]]
    outs = [tensor(r) for r in config["output_layers"]]
    if config.get("input_keys"):
        ins = dict(zip(config["input_keys"], ins))
    elif len(ins) == 1:
        ins = ins[0]
    structure = config.get("output_structure", "single" if len(outs) == 1 else "list")
    if structure == "dict":
        outs = dict(zip(config["output_keys"], outs))
    elif structure == "single":
        outs = outs[0]
    model = cls(ins, outs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model
