"""Output heads: each output's loss, paired with the activation that ends the output.

The trainer makes one head per model output when training is set up. A plain
head runs the output's loss: ``forward`` on the output, ``backward`` giving
d loss / d output. A *paired* head knows the output's last activation: the
graph hands it that output's pre-activation ``x`` (the logits) along with the
output ``z``, and its ``backward`` gives d loss / d ``x``, so back-propagation
starts below the activation. Three pairs are made (the first two as Keras computes them):

| last activation | loss | value | d loss / d x, per element |
|---|---|---|---|
| sigmoid | binary crossentropy | from the logits | ``(sigmoid(x) - y) / d`` |
| softmax | categorical, sparse categorical crossentropy | from the logits | ``softmax(x) - y`` |
| sigmoid | mean squared error | on ``z`` | ``2/d (z - y) z (1 - z)`` |

(times the sample weight over the number of per-sample losses; ``d`` is the
last axis.) From the logits, a crossentropy stays exact where the
probabilities saturate: a confidently wrong sigmoid output costs its logit
(``log(1 + e^20) = 20``), not the ``-log(1e-7) = 16.1`` that clipping the
probability gives, and it still learns where the clipped gradient would be 0.
The squared error keeps its value on ``z``; its head applies the sigmoid's
derivative itself, from ``z``.

Only the exact loss classes pair (a subclass may change the maths), with
``from_logits=False``, a softmax over the last axis, and an output whose
pre-activation the graph can give (``Graph.pre_activation_outputs``: its
layer offers ``call_with_pre_activation``, e.g. ``Dense``, ``Conv2D`` or an
activation layer; the tensor feeds nothing else). Anything else gets a plain
head, so the result is always right; pairing only makes it exact and lean.
Any rank works: the loss reduces the last axis of ``(batch, ..., d)``.
"""

import numpy as np

from kerasite import losses
from kerasite.layers import activations


class Head:
    """One output's loss, run on the output itself.

    Args:
        loss: the output's ``Loss``.
        activation: the output's last activation, for a paired head.

    Attributes:
        paired: whether ``forward`` reads the pre-activation and ``backward``
            gives the gradient with respect to it (False here).
    """

    paired = False

    def __init__(self, loss, activation=None):
        self.loss = loss
        self.activation = activation
        self._shape = None

    def forward(self, y_true, y_pred, pre_activation=None, sample_weight=None):
        """Returns the output's loss, a float; keeps what ``backward`` needs.

        Args:
            y_true: the targets, ``(batch, ...)`` (class indices
                ``(batch, ...)`` for the sparse crossentropy).
            y_pred: the output, ``(batch, ..., d)``: the activation's values.
            pre_activation: the output's pre-activation, shaped like
                ``y_pred``; read by paired heads only.
            sample_weight: ``None``, weights ``(batch,)``, or shaped like the
                per-sample losses ``(batch, ...)``.
        """
        self._shape = y_pred.shape
        if sample_weight is None:  # a custom forward(y_true, y_pred) without weights works too
            return self.loss.forward(y_true, y_pred)
        return self.loss.forward(y_true, y_pred, sample_weight)

    def backward(self):
        """d loss / d output (d loss / d pre-activation when paired), shaped like the output."""
        g = self.loss.backward()
        return g if g.shape == self._shape else g.reshape(self._shape)

    def __repr__(self):
        act = "" if self.activation is None else f", {type(self.activation).__name__}"
        return f"{type(self).__name__}({self.loss!r}{act})"


class _CrossentropyFromLogits(Head):
    """Sigmoid + binary crossentropy, softmax + (sparse) categorical crossentropy.

    The loss computes its value from the logits, stably, and its next
    ``backward`` is then d loss / d logits.
    """

    paired = True

    def forward(self, y_true, y_pred, pre_activation=None, sample_weight=None):
        self._shape = pre_activation.shape
        return self.loss.forward_from_logits(y_true, pre_activation, sample_weight)


class _SigmoidSquaredError(Head):
    """Sigmoid + mean squared error: ``2/d (z - y)`` times the sigmoid's ``z (1 - z)``.

    Without sample weights the head does the arithmetic itself, in two
    buffers it reuses: ``diff = z - y``, the value ``sum(diff^2) / n`` and the
    gradient ``2/n diff z (1 - z)`` (``n`` elements). With weights, the loss
    gives d loss / d z and the sigmoid's derivative multiplies it.
    """

    paired = True
    _diff = _out = None  # buffers, reused from batch to batch

    def forward(self, y_true, y_pred, pre_activation=None, sample_weight=None):
        self._z = y_pred
        if sample_weight is not None or type(y_true) is not np.ndarray or \
                y_true.shape != y_pred.shape or y_true.dtype != y_pred.dtype:
            self._diff_done = False
            return super().forward(y_true, y_pred, None, sample_weight)
        self._diff_done = True
        diff = self._diff = np.subtract(y_pred, y_true, out=_reuse(self._diff, y_pred))
        flat = diff.reshape(-1)
        return float(np.dot(flat, flat)) / flat.size  # the sum of squares through BLAS

    def backward(self):
        z = self._z
        out = self._out = _reuse(self._out, z)
        if not self._diff_done:  # d loss / d z from the loss, with the sample weights
            return self.activation.gradient(super().backward(), z, out)
        np.subtract(1.0, z, out=out)
        out *= z
        out *= self._diff
        out *= 2.0 / out.size
        return out


def _reuse(buffer, like):
    """``buffer`` if it fits ``like`` (shape and dtype), else a new one."""
    if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
        return np.empty_like(like)
    return buffer


# loss class -> (the activation class it pairs with, the head)
_PAIRS = {
    losses.BinaryCrossentropy: (activations.Sigmoid, _CrossentropyFromLogits),
    losses.CategoricalCrossentropy: (activations.Softmax, _CrossentropyFromLogits),
    losses.SparseCategoricalCrossentropy: (activations.Softmax, _CrossentropyFromLogits),
    losses.MeanSquaredError: (activations.Sigmoid, _SigmoidSquaredError),
}


class OutputHeads:
    """The heads of a graph's outputs, in output order.

    Args:
        graph: the model's ``Graph``.
        output_losses: one ``Loss`` per output of ``graph``.

    Attributes:
        graph: that graph.
        paired: the indices of the paired outputs, a tuple, or ``None``: what
            ``forward`` asks the graph's pre-activations of, and what
            ``graph.backward`` must be told.

    Example:
        >>> from kerasite import Sequential, Input, layers, losses
        >>> model = Sequential([Input((3,)), layers.Dense(2, activation="sigmoid")])
        >>> OutputHeads(model._graph, [losses.get("binary_crossentropy")]).paired
        (0,)
    """

    def __init__(self, graph, output_losses):
        self.graph = graph
        self._losses = list(output_losses)
        possible = graph.pre_activation_outputs()
        self.heads = [_make_head(tensor, loss, i in possible)
                      for i, (tensor, loss) in enumerate(zip(graph.outputs, self._losses))]
        self.paired = tuple(i for i, h in enumerate(self.heads) if h.paired) or None
        self._siblings = {}

    def __getitem__(self, i):
        return self.heads[i]

    def __len__(self):
        return len(self.heads)

    def __iter__(self):
        return iter(self.heads)

    def of(self, graph):
        """The heads for another graph of the model (its inference graph), made once."""
        if graph is self.graph:
            return self
        other = self._siblings.get(id(graph))
        if other is None:
            other = self._siblings[id(graph)] = OutputHeads(graph, self._losses)
        return other

    def forward(self, xs, training=False):
        """Runs the graph, with the pre-activations the paired heads read.

        Returns:
            ``(outputs, pre_activations)``: the graph's outputs, and a list with
            each paired output's pre-activation (``None`` elsewhere), or
            ``None`` when no head is paired.
        """
        if self.paired is None:
            return self.graph.forward(xs, training), None
        return self.graph.forward(xs, training, pre_activation=self.paired)


def _make_head(tensor, loss, has_pre_activation):
    """The head for output ``tensor``: paired if its loss and last activation allow."""
    pair = _PAIRS.get(type(loss))
    if pair is None or not has_pre_activation or getattr(loss, "from_logits", False):
        return Head(loss)
    wanted, head = pair
    act = final_activation(tensor.node.layer)
    if type(act) is not wanted or getattr(act, "axis", -1) not in (-1, len(tensor.shape) - 1):
        return Head(loss)
    return head(loss, act)


def final_activation(layer):
    """The elementwise activation that ends ``layer``'s output, or ``None``.

    An activation layer is its own (``Activation("softmax")``'s is the softmax
    it wraps); a layer such as ``Dense`` has its ``activation``. A subclass
    that redefines ``call`` or ``backward`` but not the pre-activation pair
    has none: the pair would no longer describe what it computes.
    """
    if isinstance(layer, activations._Elementwise):
        act = layer  # its pre-activation is its input, whatever its call does
    else:
        cls = type(layer)
        if not hasattr(cls, "call_with_pre_activation") or \
                _owner(cls, "call") is not _owner(cls, "call_with_pre_activation") or \
                _owner(cls, "backward") is not _owner(cls, "backward_from_pre_activation"):
            return None
        act = getattr(layer, "activation", None)
    if isinstance(act, activations.Activation):
        act = act.activation
    return act if isinstance(act, activations._Elementwise) else None


def _owner(cls, name):
    """The class in ``cls``'s MRO that defines ``name``."""
    return next((k for k in cls.__mro__ if name in k.__dict__), None)
