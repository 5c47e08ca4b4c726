"""``GradientTape``: records the ops that run inside it, and replays their VJPs in reverse.

The tape keeps the nodes of the ops it recorded, in the order they ran (so
already in topological order) and the ids of the arrays it tracks.
``gradient`` seeds the target with ones and walks the nodes backwards, as
micrograd does: each node's output gradient goes through the op's VJPs to its
inputs, and gradients add up where an array fans out.

The tape keeps references to the arrays its ops read, not copies: an array
(or a variable) changed in place between the forward and ``gradient`` gives
gradients computed from its new values.
"""

import numpy as np

import kerasite.ops.core as core
import kerasite.ops.numpy as knp
from kerasite.variables import Variable


class GradientTape:
    """Records ops for automatic differentiation, as ``tf.GradientTape``.

    Args:
        persistent: whether ``gradient`` may be called more than once; a
            non-persistent tape frees what it recorded after its first call.
        watch_accessed_variables: whether a trainable ``Variable`` that an op
            reads inside the tape is watched automatically.

    Example:
        >>> import numpy as np
        >>> from kerasite import Variable, ops
        >>> w = Variable(np.array([1.0, 2.0]))
        >>> with GradientTape() as tape:
        ...     loss = ops.sum(ops.square(w * 3.0))
        >>> tape.gradient(loss, w)
        array([18., 36.])
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._nodes = []
        self._ids = set()     # id of every array or variable the tape tracks
        self._watched = []    # keeps watched objects alive, so their ids stay theirs
        self._used = False

    def __enter__(self):
        if self in core._RECORDING:
            raise RuntimeError("This GradientTape is already recording; a tape cannot be "
                               "entered twice at once. Use a second tape to nest.")
        core._RECORDING.append(self)
        return self

    def __exit__(self, *exc):
        core._RECORDING.remove(self)
        return False

    # ----------------------------------------------------------------- recording
    def watch(self, tensor):
        """Tracks ``tensor`` (an array, a Tensor, a Variable or a nested list of them).

        Ops on a watched plain ``ndarray`` are recorded, but its own Python
        operators are NumPy's: ``x * 2`` on a plain array is not recorded.
        Watch ``x = ops.convert_to_tensor(x)`` to use operators.
        """
        for x in _flatten(tensor):
            if not isinstance(x, (np.ndarray, Variable)):
                raise ValueError("`tensor` must be an array, a Tensor or a Variable (or a "
                                 f"list of them). Received: {type(x).__name__}. Convert it "
                                 "first with kerasite.ops.convert_to_tensor.")
            if id(x) not in self._ids:
                self._ids.add(id(x))
                self._watched.append(x)

    def _tracks(self, x):
        if id(x) in self._ids:
            return True
        if isinstance(x, Variable) and x.trainable and self.watch_accessed_variables:
            self.watch(x)
            return True
        return False

    def _record(self, node):
        self._nodes.append(node)
        self._ids.add(id(node.out))

    def stop_recording(self):
        """A context manager inside which this tape records nothing.

        Example:
            >>> from kerasite import ops
            >>> x = ops.convert_to_tensor(3.0)
            >>> with GradientTape() as tape:
            ...     tape.watch(x)
            ...     with tape.stop_recording():
            ...         c = x * x           # a constant to the tape
            ...     y = c * x
            >>> float(tape.gradient(y, x))
            9.0
        """
        return _Paused(self)

    def reset(self):
        """Forgets everything recorded so far."""
        self._nodes, self._ids, self._watched = [], set(), []

    def watched_variables(self):
        """The variables this tape watches, in the order it first watched them."""
        return tuple(x for x in self._watched if isinstance(x, Variable))

    # ------------------------------------------------------------------ gradient
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """The gradient of ``target`` with respect to each of ``sources``.

        Args:
            target: an array the tape computed (or a list of them, whose
                gradients add up).
            sources: a Variable, a Tensor, a watched array, or a nested
                list/tuple/dict of them.
            output_gradients: the gradient of some loss with respect to
                ``target`` (same structure and shapes); ones by default.
            unconnected_gradients: what a source ``target`` does not depend on
                gets: ``"none"`` (``None``) or ``"zero"`` (zeros of its shape).

        Returns:
            The gradients in the structure of ``sources``, each with its
            source's shape; ``None`` for a source ``target`` does not depend on.
            They are Tensors, tracked by any outer tape still recording (for
            second derivatives); plain arrays otherwise.

        Raises:
            RuntimeError: if a non-persistent tape is asked a second time.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only compute one set of gradients: "
                "`gradient` was already called on it. Create it with "
                "GradientTape(persistent=True) to call `gradient` several times.")
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("`unconnected_gradients` must be 'none' or 'zero'. Received: "
                             f"unconnected_gradients={unconnected_gradients!r}.")
        self._used = True
        flat_sources = _flatten(sources)
        with self.stop_recording():  # the tape does not record its own backward
            grads = self._backward(target, output_gradients, {id(s) for s in flat_sources})
        leaves = [grads.get(id(s)) for s in flat_sources]
        if unconnected_gradients == "zero":
            leaves = [knp.zeros_like(s) if g is None else g
                      for s, g in zip(flat_sources, leaves)]
        result = _unflatten(sources, leaves)
        if not self.persistent:
            self.reset()
        return result

    def _backward(self, target, output_gradients, wanted):
        targets = _flatten(target)
        seeds = (_flatten(output_gradients) if output_gradients is not None
                 else [None] * len(targets))
        if len(seeds) != len(targets):
            raise ValueError(f"`output_gradients` must have one array per target: "
                             f"{len(targets)} targets, {len(seeds)} output gradients.")
        grads = {}
        for t, seed in zip(targets, seeds):
            if id(t) in self._ids:
                seed = knp.ones_like(t) if seed is None else seed
                _accumulate(grads, t, seed)
        # Another tape still recording is differentiating this backward: then the VJPs
        # are given the tracked arrays, so that it records them; else the plain ones.
        higher = bool(core._RECORDING)
        for node in reversed(self._nodes):
            # Every use of node.out was recorded after it, so its gradient is complete;
            # unless it is a source, it is not needed any more.
            g = grads.get(id(node.out)) if id(node.out) in wanted else grads.pop(id(node.out), None)
            if g is None:
                continue
            args = node.args if higher else node.raw_args
            ans = node.out if higher else node.raw_out
            op = node.op
            n = len(node.args) if op.n_inputs is None else min(op.n_inputs, len(node.args))
            for i in range(n):
                x = node.args[i]
                if id(x) not in self._ids:
                    continue
                if op.n_inputs is None:
                    gx = op.vjps[0](i, g, ans, *args, **node.kwargs)
                else:
                    vjp = op.vjps[i]
                    if vjp is None:
                        continue
                    gx = vjp(g, ans, *args, **node.kwargs)
                if gx is not None:
                    _accumulate(grads, x, gx)
        return grads


def _accumulate(grads, x, g):
    prev = grads.get(id(x))
    grads[id(x)] = g if prev is None else knp.add(prev, g)


class _Paused:
    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        recording = core._RECORDING
        self.position = recording.index(self.tape) if self.tape in recording else None
        if self.position is not None:
            del recording[self.position]

    def __exit__(self, *exc):
        if self.position is not None:
            core._RECORDING.insert(self.position, self.tape)
        return False


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _flatten(v)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _flatten(x[k])]
    return [x]


def _unflatten(structure, leaves):
    """Rebuilds ``structure`` with ``leaves`` (in ``_flatten``'s order) in place of its leaves."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in s}
        return next(it)
    return build(structure)
