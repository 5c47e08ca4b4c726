"""The graph engine: a model's layers run forward in topological order, backward in reverse.

A functional model is a set of ``Node`` s (one per layer call) between its
input and output tensors. ``Graph`` sorts them once. ``forward`` runs them in
that order; ``backward`` runs them in reverse, as micrograd does:

* a tensor used by several layers (fan-out) receives the *sum* of their
  gradients;
* a layer called several times in one model (a shared layer) keeps one
  cache per call, swapped in around each call, and the gradients of its
  weights from every call are added up;
* a node whose gradient nobody needs (everything before the first trainable
  layer, when the input gradient is not wanted) is skipped.

On request, ``forward`` also returns the *pre-activation* of some outputs
(the input of the output layer's final activation: the logits behind a
sigmoid or softmax), and ``backward`` then takes, for those outputs, the
gradient with respect to that pre-activation and starts below the activation.
The request is an argument of each call; nothing about it is stored on a layer.

The layers never learn that they are in a graph: they see ``forward`` and
``backward`` calls, as in a ``Sequential``. And a ``Sequential`` (or a
functional model that is a plain chain) takes a short path with no
bookkeeping at all, so it runs as fast as a list of layers.
"""

from collections import Counter

import numpy as np

from kerasite.layers import _tape
from kerasite.layers.base import Layer, _takes_training, _uses_tape
from kerasite.layers.input import InputLayer


class GraphError(ValueError):
    """A graph that cannot be run: disconnected, or its inputs are not ``Input`` s."""


class Graph:
    """The nodes between ``inputs`` and ``outputs``, sorted, with forward and backward.

    Args:
        inputs: list of ``SymbolicTensor`` made by ``kerasite.Input``.
        outputs: list of ``SymbolicTensor`` computed from them.
        owner: the model's name, for error messages.

    Attributes:
        nodes: the nodes to run, in topological order (input nodes excluded).
        layers: the layers, each once, in Keras's order: the input layers,
            then the others in the order they first run.
    """

    def __init__(self, inputs, outputs, owner="model"):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.owner = owner
        for t in self.inputs:
            if t.node is None or not isinstance(t.node.layer, InputLayer):
                raise GraphError(
                    f"Model '{owner}': every input must come from kerasite.Input(...). "
                    f"Received tensor '{t.name}', made by layer "
                    f"'{t.node.layer.name if t.node else '?'}'."
                )
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise GraphError(f"Model '{owner}': the same Input is listed twice in `inputs`.")
        self.nodes = self._sort()
        layers = [t.node.layer for t in self.inputs]
        seen = {id(layer) for layer in layers}
        for node in self.nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        self.layers = layers
        self._check_unique_names()
        self._shared = self._find_shared()
        # Layers with an activity regularizer add a penalty on their output at each call;
        # layers without backward may add_loss terms, which count as such penalties.
        self._activity = {id(node) for node in self.nodes
                          if getattr(node.layer, "activity_regularizer", None) is not None
                          or _uses_tape(type(node.layer)) or _has_activity(node.layer)}
        self.activity_loss = 0.0   # the last forward's activity penalty and add_loss terms
        self.loss_terms = []       # the last forward's add_loss terms (kerasite.layers._tape)
        self._outputs_kept = {}    # node -> its output, for the activity gradient
        # A layer that starts a mask (Masking, Embedding(mask_zero=True)): the masks then
        # travel beside the data, on the general path.
        self._masked = any(getattr(node.layer, "makes_mask", False) for node in self.nodes)
        self.output_masks = [None] * len(self.outputs)  # the last forward's, one per output
        self._chain = None if self._activity or self._masked else self._as_chain()
        # A layer that keeps Layer.forward runs its ``call`` directly in a chain; a model or
        # a merge layer has a forward of its own.
        self._chain_calls = [
            (layer.call if _takes_training(type(layer)) else _without_training(layer.call))
            if type(layer).forward is Layer.forward else layer.forward
            for layer in self._chain or []]
        self._node_state = {}   # node -> the cache a shared layer left on that call
        self._acc = {}          # id(weight gradient) -> buffer where calls add up
        self._plans = {}        # need_input_grad -> backward plan
        self._pre_nodes = {}    # requested output indices -> ids of the nodes making them

    # -------------------------------------------------------------- structure
    def _sort(self):
        """Depth-first from the outputs back to the inputs: a topological order.

        Iterative, with an explicit stack, so a model thousands of layers deep
        does not hit Python's recursion limit.
        """
        is_input = {id(t) for t in self.inputs}
        order, done, active = [], set(), set()
        for out in self.outputs:
            stack = [(out, False)]
            while stack:
                tensor, expanded = stack.pop()
                if id(tensor) in is_input:
                    continue
                node = tensor.node
                if expanded:  # all of the node's inputs are placed: place the node
                    active.discard(id(node))
                    if id(node) not in done:
                        done.add(id(node))
                        order.append(node)
                    continue
                if node is None or isinstance(node.layer, InputLayer):
                    raise GraphError(
                        f"Model '{self.owner}': the graph is disconnected. Output "
                        f"'{out.name}' depends on input '{tensor.name}', which is not among "
                        f"the model's inputs {[t.name for t in self.inputs]}. Pass every Input "
                        "the outputs are computed from."
                    )
                if id(node) in done:
                    continue
                if id(node) in active:  # cannot happen with Input-built graphs; be safe
                    raise GraphError(f"Model '{self.owner}': the graph has a cycle at "
                                     f"layer '{node.layer.name}'.")
                active.add(id(node))
                stack.append((tensor, True))
                for t in reversed(node.inputs):  # the first input is visited first
                    stack.append((t, False))
        return order

    def _check_unique_names(self):
        names = Counter(layer.name for layer in self.layers)
        clash = [name for name, count in names.items() if count > 1]
        if clash:
            raise GraphError(
                f"Model '{self.owner}' has several layers named '{clash[0]}'. Layer names must be "
                "unique within a model (they key get_layer and the saved weights): pass another "
                "name= to one of them."
            )

    def _find_shared(self):
        """Nodes whose layer (or a layer inside it) also runs in another node."""
        uses = Counter(id(leaf) for node in self.nodes for leaf in _leaves(node.layer))
        return {id(node) for node in self.nodes
                if any(uses[id(leaf)] > 1 for leaf in _leaves(node.layer))}

    def _as_chain(self):
        """The layers in order if the graph is a plain chain (one path, no sharing), else None."""
        if len(self.inputs) != 1 or len(self.outputs) != 1 or self._shared:
            return None
        tensor = self.inputs[0]
        for node in self.nodes:
            if node.multi_input or len(node.inputs) != 1 or len(node.outputs) != 1 \
                    or node.inputs[0] is not tensor:
                return None
            tensor = node.outputs[0]
        if tensor is not self.outputs[0]:
            return None
        return [node.layer for node in self.nodes]

    # ----------------------------------------------------------------- forward
    def forward(self, values, training=False, pre_activation=None):
        """Runs the graph on one array per input; returns one array per output.

        Args:
            values: one array per input.
            training: ``True`` while fitting.
            pre_activation: ``None``, or indices of outputs (among
                ``pre_activation_outputs()``) whose pre-activation to return too.

        Returns:
            The list of outputs; with ``pre_activation``, ``(outputs,
            pre_activations)``, the second list holding each requested output's
            pre-activation (shaped like the output) and ``None`` elsewhere.
        """
        if self._chain is not None:
            # Each layer's ``call`` directly: the shapes were checked when the graph was
            # made (and the data's at the model's door), so ``forward``'s check is redundant.
            x = values[0]
            if pre_activation:
                self._requested_nodes(pre_activation)  # checks the request (cached)
                for run in self._chain_calls[:-1]:
                    x = run(x, training)
                x, pre = self._chain[-1].call_with_pre_activation(x, training)
                return [x], [pre]
            for run in self._chain_calls:
                x = run(x, training)
            return [x]
        env = {id(t): v for t, v in zip(self.inputs, values)}
        shared, state, activity = self._shared, self._node_state, self._activity
        pre_nodes, kept = self._requested_nodes(pre_activation), {}
        masks = {} if self._masked else None
        self.activity_loss = 0.0
        if activity:
            self.loss_terms = []
        for node in self.nodes:
            layer = node.layer
            args = [env[id(t)] for t in node.inputs]
            arg = args if node.multi_input else args[0]
            if node.input_keys is not None:
                arg = dict(zip(node.input_keys, args))
            if id(node) in shared:
                layer._import_cache(state.get(id(node)))
            if id(node) in pre_nodes:
                out, kept[id(node)] = layer.call_with_pre_activation(arg, training)
            elif masks is not None:
                out = _forward_with_masks(node, arg, training, masks)
            else:
                out = layer.forward(arg, training)
            if id(node) in shared:
                state[id(node)] = layer._export_cache()
            if id(node) in activity:
                self._add_activity(node, out)
            if len(node.outputs) == 1:
                env[id(node.outputs[0])] = out if not isinstance(out, (tuple, dict)) \
                    else _tape.flatten(out)[0][0]
            else:
                for t, v in zip(node.outputs, _tape.flatten(out)[0]):
                    env[id(t)] = v
        outs = [env[id(t)] for t in self.outputs]
        if masks is not None:
            self.output_masks = [masks.get(id(t)) for t in self.outputs]
        if not pre_activation:
            return outs
        return outs, [kept[id(t.node)] if i in pre_activation else None
                      for i, t in enumerate(self.outputs)]

    def pre_activation_outputs(self):
        """Indices of the outputs whose pre-activation ``forward`` can return.

        An output qualifies when its layer offers ``call_with_pre_activation``
        and ``backward_from_pre_activation``, and the tensor feeds no other
        layer, is listed once among the outputs and carries no activity
        penalty: then the only gradient it receives is the caller's, which
        ``backward`` can take with respect to the pre-activation instead.
        """
        consumed = Counter(id(t) for node in self.nodes for t in node.inputs)
        listed = Counter(id(t) for t in self.outputs)
        return tuple(
            i for i, t in enumerate(self.outputs)
            if hasattr(t.node.layer, "call_with_pre_activation")
            and hasattr(t.node.layer, "backward_from_pre_activation")
            and len(t.node.outputs) == 1 and not consumed[id(t)] and listed[id(t)] == 1
            and id(t.node) not in self._activity and not isinstance(t.node.layer, InputLayer))

    def _requested_nodes(self, pre_activation):
        """The ids of the nodes making the outputs ``pre_activation`` lists."""
        if not pre_activation:
            return ()
        key = tuple(pre_activation)
        nodes = self._pre_nodes.get(key)
        if nodes is None:
            allowed = self.pre_activation_outputs()
            wrong = [i for i in key if i not in allowed]
            if wrong:
                raise ValueError(
                    f"Model '{self.owner}': `pre_activation` lists output(s) {wrong}, whose "
                    "pre-activation the graph cannot give: their layer has no "
                    "`call_with_pre_activation`, or the output also feeds another layer, is "
                    "listed twice or has an activity regularizer. Pass indices from "
                    f"pre_activation_outputs(), here {list(allowed)}."
                )
            nodes = self._pre_nodes[key] = frozenset(id(self.outputs[i].node) for i in key)
        return nodes

    # ---------------------------------------------------------------- backward
    def backward(self, output_grads, need_input_grad=True, pre_activation=None):
        """Back-propagates one gradient per output; returns one per input, or ``None``.

        Fills the ``grads`` of every trainable layer that the outputs depend on.

        Args:
            output_grads: d L / d output, one per output.
            need_input_grad: whether to compute d L / d input.
            pre_activation: ``None``, or the indices passed to the last
                ``forward``: for those outputs ``output_grads`` holds d L / d
                pre-activation, and back-propagation starts below the activation.
        """
        plan = self._plans.get(need_input_grad)
        if plan is None:
            plan = self._plans[need_input_grad] = self._make_plan(need_input_grad)
        if self._chain is not None:
            first, grad = plan, output_grads[0]
            if first is None:
                return None
            chain, stop = self._chain, len(self._chain)  # chain[first + 1:stop]: plain backward
            if pre_activation:  # the output layer starts below its activation
                if first == stop - 1:
                    grad = chain[first].backward_from_pre_activation(grad, need_input_grad)
                    return [grad] if need_input_grad else None
                grad = chain[-1].backward_from_pre_activation(grad)
                stop -= 1
            for layer in reversed(chain[first + 1:stop]):
                grad = layer.backward(grad)
            grad = chain[first].backward(grad, need_input_grad=need_input_grad)
            return [grad] if need_input_grad else None

        grads = {id(t): g for t, g in zip(self.outputs, output_grads)}
        owned = set()  # tensors whose gradient buffer is ours to add into

        def add(tensor, g):
            key = id(tensor)
            prev = grads.get(key)
            if prev is None:
                grads[key] = g
            elif key in owned:
                prev += g
            else:  # never add into a buffer a layer owns: make our own
                grads[key] = prev + g
                owned.add(key)

        shared, state, acc_used = self._shared, self._node_state, []
        pre_nodes = self._requested_nodes(pre_activation)
        for node, need_in, wanted in plan:
            layer = node.layer
            gs = [grads.pop(id(t), None) for t in node.outputs]
            for i, g in enumerate(gs):
                if g is None:  # an output nobody downstream uses: its gradient is 0
                    gs[i] = np.zeros((len(output_grads[0]), *node.outputs[i].shape[1:]),
                                     dtype=node.outputs[i].dtype)
            g = gs[0] if len(gs) == 1 else gs
            if id(node) in self._activity and getattr(layer, "activity_regularizer", None):
                g = layer.activity_gradient(self._outputs_kept[id(node)], g)
            backward = layer.backward_from_pre_activation if id(node) in pre_nodes \
                else layer.backward
            if id(node) in shared:
                layer._import_cache(state[id(node)])
                g_in = backward(g, need_input_grad=need_in)
                self._accumulate(layer, acc_used)
                state[id(node)] = layer._export_cache()
            else:
                g_in = backward(g, need_input_grad=need_in)
            if need_in:
                if node.input_keys is not None:
                    g_in = [g_in[k] for k in node.input_keys]
                g_in = g_in if node.multi_input else [g_in]
                for t, gi, want in zip(node.inputs, g_in, wanted):
                    if want:
                        add(t, gi)
        for target, total in acc_used:  # the shared layers' summed weight gradients
            np.copyto(target, total)
        if not need_input_grad:
            return None
        return [grads.get(id(t)) for t in self.inputs]

    def _add_activity(self, node, out):
        layer = node.layer
        if getattr(layer, "activity_regularizer", None) is not None:
            self._outputs_kept[id(node)] = out
            self.activity_loss += layer.activity_penalty(out)
        state = layer.__dict__.get("_tape_state") if _uses_tape(type(layer)) else None
        terms = state.terms if state is not None else None
        if terms:  # the add_loss terms of a layer without backward, and of those it holds
            self.loss_terms.extend(terms)
            self.activity_loss += sum(term.total() for term in terms)
        inner = getattr(layer, "_last_graph", None)
        if inner is not None:  # a nested model: its own layers' penalties
            self.activity_loss += inner.activity_loss
            self.loss_terms.extend(inner.loss_terms)

    def _accumulate(self, layer, acc_used):
        """Adds a shared layer's fresh weight gradients into the running sums."""
        for leaf in _leaves(layer):
            for g in leaf.grads.values():
                key = id(g)
                buf = self._acc.get(key)
                if buf is None or buf.shape != g.shape:
                    buf = self._acc[key] = np.empty_like(g)
                if any(target is g for target, _ in acc_used):
                    buf += g
                else:
                    np.copyto(buf, g)
                    acc_used.append((g, buf))

    def _make_plan(self, need_input_grad):
        """Which nodes need a backward call, and which of their input gradients are wanted.

        A tensor wants a gradient if a trainable weight lies upstream of it, or
        it depends on an input and the input gradient was asked for.
        """
        wants = {id(t): need_input_grad for t in self.inputs}
        for node in self.nodes:
            trainable = any(leaf.trainable_weights for leaf in _leaves(node.layer))
            upstream = any(wants.get(id(t), False) for t in node.inputs)
            for t in node.outputs:
                wants[id(t)] = trainable or upstream
        if self._chain is not None:
            if need_input_grad:
                return 0
            return next((i for i, node in enumerate(self.nodes)
                         if wants[id(node.outputs[0])]), None)
        plan = []
        for node in reversed(self.nodes):
            if not any(wants[id(t)] for t in node.outputs):
                continue
            wanted = [wants.get(id(t), False) for t in node.inputs]
            plan.append((node, any(wanted), wanted))
        return plan

    def reset_plans(self):
        """Forgets the backward plans; call it when a layer's ``trainable`` changes."""
        self._plans = {}
        for layer in self.layers:
            if hasattr(layer, "_reset_plans"):
                layer._reset_plans()


def _has_activity(layer):
    """Whether a layer inside ``layer`` (a nested model) has an activity regularizer,
    or no backward (it may add_loss)."""
    inner = getattr(layer, "_leaf_layers", None)
    return inner is not None and any(
        getattr(leaf, "activity_regularizer", None) is not None or _uses_tape(type(leaf))
        for leaf in inner())


def _leaves(layer):
    """The layers with weights of their own inside ``layer`` (itself, unless it is a model)."""
    inner = getattr(layer, "_leaf_layers", None)
    return inner() if inner is not None else [layer]


def _without_training(call):
    """``call(x, training)`` for a custom ``call(self, inputs)`` that takes no ``training``."""
    return lambda x, training: call(x)


# ------------------------------------------------------------------------ masks
# A mask, booleans (batch, timesteps), marks the real steps of padded sequences. It
# starts at a layer with ``makes_mask`` and follows the data: a layer whose ``forward``
# takes ``mask`` receives its input's, and ``compute_mask`` gives its output's (None
# at a layer that does not support masking). Backward needs nothing more: each layer
# keeps the mask it used.
def _forward_with_masks(node, arg, training, masks):
    """Runs ``node`` with the masks of its inputs, and records the masks of its outputs."""
    layer = node.layer
    in_masks = [masks.get(id(t)) for t in node.inputs]
    mask = in_masks if node.multi_input else in_masks[0]
    if not any(m is not None for m in in_masks):
        mask = None
    if mask is not None and _takes_mask(type(layer)):
        out = layer.forward(arg, training, mask=mask)
    else:
        out = layer.forward(arg, training)
    out_masks = layer.compute_mask(arg, mask)
    if len(node.outputs) == 1:
        out_masks = [out_masks]
    elif not isinstance(out_masks, (list, tuple)):
        out_masks = [out_masks] * len(node.outputs)
    for t, m in zip(node.outputs, out_masks):
        if m is not None:
            masks[id(t)] = m
    return out


def _takes_mask(cls):
    """Whether ``cls.forward`` has a ``mask`` argument; decided once per class."""
    cached = cls.__dict__.get("_forward_takes_mask")
    if cached is None:
        import inspect

        cached = "mask" in inspect.signature(cls.forward).parameters
        cls._forward_takes_mask = cached
    return cached
