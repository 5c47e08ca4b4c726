"""Where layers meet the ``GradientTape``: a layer as one tape node, and layers without backward.

Two directions, both here so that ``base.py`` stays the layer contract:

* **A layer on the tape.** Called eagerly while a tape records
  (``layer(x)``, ``model(x, training=True)``), a layer with its own
  ``backward`` is recorded as *one* node (:func:`record_call`). The node's
  inputs are the layer's input arrays and its trainable variables; its VJP
  runs the layer's ``backward`` once per upstream gradient, and copies out
  the input gradient and each variable's gradient slot. A model is such a
  node over its whole graph. The forward's cache (what ``backward`` reads,
  and the reused buffers) is exported after the call and put back around the
  VJP, so a layer called twice under one tape keeps two caches.
* **A layer without backward.** A layer whose ``call`` is written with
  ``kerasite.ops`` and that defines no ``backward`` runs its ``call`` under an
  internal, persistent tape that watches its inputs and reads its variables
  (:func:`autodiff_forward`); its backward (:func:`autodiff_backward`) asks
  that tape for the gradients of the outputs, seeded with the output
  gradient, and of the layer's ``add_loss`` terms, seeded with their weight
  in the total loss (1 in ``fit``). Called directly under a user's tape, such
  a layer's ops are recorded one by one on that tape instead
  (:func:`call_recorded`).

This module imports no layer class: it reads layers through their contract
(``forward``, ``backward``, ``_export_cache``, ``trainable_weights``).
"""

import contextlib

import numpy as np

import kerasite.ops.core as core
import kerasite.ops.numpy as knp
from kerasite.ops.core import Tensor, _raw
from kerasite.ops.tape import GradientTape

# ------------------------------------------------------------------ structures
def flatten(x):
    """``(leaves, structure)`` of an array, or a list, tuple or dict of them (one level)."""
    if isinstance(x, dict):
        return list(x.values()), ("dict", list(x))
    if isinstance(x, (list, tuple)):
        return list(x), (type(x).__name__, len(x))
    return [x], None


def unflatten(structure, leaves):
    """The inverse of :func:`flatten`."""
    if structure is None:
        return leaves[0]
    kind, info = structure
    if kind == "dict":
        return dict(zip(info, leaves))
    return tuple(leaves) if kind == "tuple" else list(leaves)


def shape_tree(x):
    """The shapes of :func:`flatten`'s leaves, in the same structure."""
    leaves, structure = flatten(x)
    return unflatten(structure, [tuple(np.shape(v)) for v in leaves])


@contextlib.contextmanager
def _tapes_paused():
    saved = core._RECORDING[:]
    del core._RECORDING[:]
    try:
        yield
    finally:
        core._RECORDING[:] = saved


# --------------------------------------------------------------- add_loss terms
class LossTerm:
    """One ``add_loss(value)``: the value, and its weight in the loss being differentiated.

    ``seed`` is d total loss / d sum(value): 1 in ``fit`` (the terms are added
    to the compiled loss); a tape over a model sets it from the gradient that
    reaches the term, before the model's backward runs.
    """

    __slots__ = ("value", "seed")

    def __init__(self, value):
        self.value, self.seed = value, 1.0

    def total(self):
        return float(np.sum(_raw(self.value)))


def adopt_sublayer_weights(layer):
    """Lists the weights of the layers inside ``layer`` among its own, as Keras tracks them.

    A layer without backward may hold layers (``self.dense = Dense(4)``) that
    its ``call`` uses. Their variables join the outer layer's, keyed by the
    attribute that holds the layer (``"dense__kernel"``; ``"blocks_0__W"``
    for the first of a list ``self.blocks``), a name that saved files accept
    and that every instance of the class shares, so that ``weights``, ``fit``, ``get_weights`` and
    saving see them; they stay the same objects as the sublayer's.

    Returns:
        The ids of all the variables of ``layer`` and the layers inside it.
    """
    own = layer._variables
    ids = {id(v) for v in own.values()}
    stack, seen = [(layer, "")], {id(layer)}
    while stack:
        current, prefix = stack.pop()
        for attr, sub in _named_sublayers(current):
            if id(sub) in seen:
                continue
            seen.add(id(sub))
            path = f"{prefix}{attr}__"
            for key, v in sub.__dict__.get("_variables", {}).items():  # a model has none
                if id(v) not in ids:
                    ids.add(id(v))
                    own[path + key] = v
            stack.append((sub, path))
    return ids


def _named_sublayers(layer):
    """``(attribute path, layer)`` for each layer ``layer`` holds, as ``_sublayers`` finds them."""
    found = []
    for attr, v in layer.__dict__.items():
        if isinstance(v, (list, tuple)):
            items = [(f"{attr}_{i}", x) for i, x in enumerate(v)]
        elif isinstance(v, dict):
            items = [(f"{attr}_{k}", x) for k, x in v.items()]
        else:
            items = [(attr, v)]
        found.extend((name.lstrip("_"), x) for name, x in items
                     if hasattr(type(x), "_sublayers") and hasattr(type(x), "_export_cache"))
    return found


# ------------------------------------------------------- layers without backward
class _TapeState:
    """What an autodiff layer's forward keeps for its backward (one per call)."""

    __slots__ = ("tape", "inputs", "input_structure", "outputs", "variables", "terms")

    def __init__(self, tape, inputs, input_structure, outputs, variables, terms):
        self.tape, self.inputs, self.input_structure = tape, inputs, input_structure
        self.outputs, self.variables, self.terms = outputs, variables, terms


def _run_call(layer, x, training):
    return layer._call(x, training)


def _build(layer, x):
    shapes = shape_tree(x)
    if not layer.built:
        layer.ensure_built(shapes)
    elif not isinstance(shapes, (list, tuple, dict)) and layer.input_shape is not None \
            and not isinstance(layer.input_shape, (list, dict)) \
            and tuple(shapes)[1:] != tuple(layer.input_shape)[1:]:
        layer._raise_shape_mismatch(shapes)


def autodiff_forward(layer, x, training):
    """Runs ``layer.call`` on ``x`` under an internal tape, kept for the backward.

    Returns plain arrays in the structure ``call`` returned. As every
    layer's forward, it keeps what a backward needs in inference mode too.
    """
    _build(layer, x)
    layer._loss_terms = []
    leaves, in_structure = flatten(x)
    inputs = [np.asarray(_raw(v)).view(Tensor) for v in leaves]
    tape = GradientTape(persistent=True)
    with _tapes_paused(), tape:
        tape.watch(inputs)
        out = _run_call(layer, unflatten(in_structure, inputs), training)
    outs, structure = flatten(out)
    owned = adopt_sublayer_weights(layer)
    variables = [v for v in tape.watched_variables() if id(v) in owned and v._grad is not None]
    layer._tape_state = _TapeState(tape, inputs, in_structure, outs, variables,
                                   loss_terms_within(layer))
    return unflatten(structure, [np.asarray(_raw(v)).view(np.ndarray) for v in outs])


def loss_terms_within(layer):
    """The ``add_loss`` terms of ``layer``'s last call and of the layers it holds, each once."""
    terms, seen, todo = [], set(), [layer]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        terms += current.__dict__.get("_loss_terms") or []
        todo += [sub for sub in current._sublayers() if hasattr(sub, "_sublayers")]
    return terms


def autodiff_backward(layer, grad_output, need_input_grad=True):
    """Replays the last forward's tape: d loss / d input, and the variables' ``_grad`` slots."""
    state = layer.__dict__.get("_tape_state")
    if state is None:
        raise RuntimeError(f"Layer '{layer.name}': backward() was called before forward(); "
                           "there is nothing to back-propagate through.")
    grads, _ = flatten(grad_output)
    if len(grads) != len(state.outputs):
        raise ValueError(f"Layer '{layer.name}' has {len(state.outputs)} outputs; backward "
                         f"received {len(grads)} gradients.")
    terms = state.terms
    targets = [*state.outputs, *[t.value for t in terms]]
    seeds = [np.asarray(_raw(g)) for g in grads]
    seeds += [np.full(np.shape(_raw(t.value)), t.seed, dtype=np.result_type(_raw(t.value)))
              for t in terms]
    sources = [*(state.inputs if need_input_grad else []), *state.variables]
    result = state.tape.gradient(targets, sources, output_gradients=seeds)
    n = len(state.inputs) if need_input_grad else 0
    for v, g in zip(state.variables, result[n:]):
        if g is None:
            v._grad[...] = 0
        else:
            np.copyto(v._grad, _raw(g), casting="unsafe")
    if not need_input_grad:
        return None
    g_in = [np.zeros_like(x.view(np.ndarray)) if g is None else np.asarray(_raw(g))
            for x, g in zip(state.inputs, result[:n])]
    return unflatten(state.input_structure, g_in)


def trace_output_shape(layer, input_shape):
    """The output shape(s) of ``layer.call``, found by running it on a batch of two ones.

    ``call`` runs with ``training=False`` and no tape; the ``add_loss`` terms
    it adds are dropped. The batch axis of each output becomes ``None``.

    Returns:
        ``(shapes, dtypes, structure)``: one shape and one dtype per output,
        and the structure of ``call``'s result (see :func:`flatten`).
    """
    one = not isinstance(input_shape, dict) and not (
        isinstance(input_shape, (list, tuple)) and input_shape
        and all(isinstance(s, (list, tuple)) for s in input_shape))
    shapes, structure = ([input_shape], None) if one else flatten(input_shape)
    dtype = layer.__dict__.get("_trace_dtype") or np.float32
    dummies = [np.ones((2, *[1 if d is None else d for d in tuple(s)[1:]]), dtype=dtype)
               for s in shapes]
    saved_terms = layer.__dict__.get("_loss_terms")
    try:
        with _tapes_paused(), np.errstate(all="ignore"):
            out = _run_call(layer, unflatten(structure, dummies), False)
    finally:
        layer._loss_terms = saved_terms if saved_terms is not None else []
    outs, out_structure = flatten(out)
    out_shapes = [(None, *np.shape(_raw(v))[1:]) if np.ndim(_raw(v)) else () for v in outs]
    dtypes = [str(np.result_type(_raw(v))) for v in outs]
    return out_shapes, dtypes, out_structure


# ----------------------------------------------------------- a layer on the tape
def call_recorded(layer, inputs, training, run=None):
    """``layer(inputs)`` while a tape records: one coarse node, or the ops of ``call``."""
    if layer._uses_tape():
        # A layer without backward: its ops go on the recording tapes one by one.
        _build(layer, _raw_leaves(inputs))
        layer._loss_terms = []
        out = _run_call(layer, inputs, training)
        adopt_sublayer_weights(layer)  # the layers it holds, built by this first call
        return out
    return record_call(layer, inputs, training, run)


def _raw_leaves(x):
    leaves, structure = flatten(x)
    return unflatten(structure, [_raw(v) for v in leaves])


def _trainable_variables(layer):
    seen, out = set(), []
    for v in layer.trainable_weights:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _save(layer):
    return layer._export_cache(), layer.__dict__.get("_last_graph")


def _restore(layer, saved):
    layer._import_cache(saved[0])
    if saved[1] is not None:
        layer._last_graph = saved[1]


def record_call(layer, inputs, training, run=None):
    """Runs ``layer`` on ``inputs`` and records it as one node of the recording tapes.

    Args:
        layer: a layer (or model) with its own ``backward``.
        inputs: an array or Tensor, or a list/tuple/dict of them.
        training: passed to the forward.
        run: ``run(raw_inputs) -> outputs``; ``layer.forward`` by default.

    Returns:
        The outputs, in the structure the forward returned: Tensors tracked by
        the tapes (copies, so later calls cannot overwrite them); a model's
        ``add_loss`` terms are extra outputs of the node, kept in
        ``model.losses``.
    """
    leaves, in_structure = flatten(inputs)
    raw = [np.asarray(_raw(v)) for v in leaves]
    run = run or (lambda x: layer.forward(x, training))
    with _tapes_paused():
        out = run(unflatten(in_structure, raw))
        saved = _save(layer)
        layer._import_cache(None)  # the next call gets fresh buffers: this node keeps these
    outs, out_structure = flatten(out)
    outs = [np.array(o) for o in outs]  # out of the reused buffers
    graph = layer.__dict__.get("_last_graph")
    terms = list(graph.loss_terms) if graph is not None else []
    variables = _trainable_variables(layer)
    pieces = [*outs, *[np.asarray(_raw(t.value), dtype=float) for t in terms]]
    flat = pieces[0] if len(pieces) == 1 else np.concatenate([p.ravel() for p in pieces])
    # An input needs its gradient when a tape tracks it: a Tensor, or a variable
    # handed straight to the layer (which a tape watches once it sees it).
    need_in = any(isinstance(x, Tensor) or t._tracks(x) for x in leaves
                  for t in core._RECORDING)
    node_op = _LayerOp(layer, saved, [o.shape for o in outs], out_structure, in_structure,
                       terms, variables, len(leaves), need_in)
    recorded = core._record(node_op, lambda *a: flat, (*leaves, *variables), {})
    if not isinstance(recorded, Tensor):  # no tape tracks anything here
        layer.__dict__["_recorded_losses"] = [t.value for t in terms]
        return unflatten(out_structure, outs)
    if len(pieces) == 1:
        results = [recorded]
    else:
        results, start = [], 0
        for p in pieces:
            part = knp.getitem(recorded, slice(start, start + p.size))
            results.append(knp.reshape(part, p.shape))
            start += p.size
    layer.__dict__["_recorded_losses"] = results[len(outs):]
    return unflatten(out_structure, results[:len(outs)])


class _LayerOp:
    """The op of one recorded layer call: its VJP runs the layer's backward once per gradient."""

    n_inputs = None

    def __init__(self, layer, saved, shapes, out_structure, in_structure, terms, variables,
                 n_leaves, need_in):
        self.__name__ = f"{layer.name} ({type(layer).__name__})"
        self.layer, self.saved, self.shapes = layer, saved, shapes
        self.out_structure, self.in_structure = out_structure, in_structure
        self.terms, self.variables = terms, variables
        self.n_leaves, self.need_in = n_leaves, need_in
        self.cache = (None, None)
        self.vjps = (self.vjp,)

    def vjp(self, i, g, ans, *args):
        if self.cache[0] is not g:
            self.cache = (g, self._backward(np.asarray(_raw(g))))
        return self.cache[1][i]

    def _backward(self, g):
        layer, sizes = self.layer, [int(np.prod(s)) for s in self.shapes]
        if len(self.shapes) == 1 and not self.terms:
            grads = [g]
        else:
            grads, start = [], 0
            for s, n in zip(self.shapes, sizes):
                grads.append(g[start:start + n].reshape(s))
                start += n
            for t in self.terms:
                n = np.size(_raw(t.value))
                t.seed = float(g[start]) if n == 1 else float(np.mean(g[start:start + n]))
                start += n
        now = _save(layer)
        _restore(layer, self.saved)
        try:
            with _tapes_paused():
                grad = unflatten(self.out_structure, [np.asarray(x) for x in grads])
                if self.out_structure is not None and self.out_structure[0] != "dict":
                    grad = list(grad)
                g_in = layer.backward(grad, need_input_grad=self.need_in)
                weight_grads = [v._grad.copy() for v in self.variables]
        finally:
            self.saved = _save(layer)
            _restore(layer, now)
            for t in self.terms:
                t.seed = 1.0
        if self.need_in and g_in is not None:
            if self.in_structure is None:
                leaves = [g_in]
            elif isinstance(g_in, dict):
                leaves = [g_in[k] for k in self.in_structure[1]]
            elif self.in_structure[0] == "dict":  # a model's gradients, in its input order
                by_name = dict(zip(layer.input_names, g_in))
                leaves = [by_name[k] for k in self.in_structure[1]]
            else:
                leaves = list(g_in)
            input_grads = [None if x is None else np.array(x) for x in leaves]
        else:
            input_grads = [None] * self.n_leaves
        return [*input_grads, *weight_grads]
