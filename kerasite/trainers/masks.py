"""The loss and the metrics honour the outputs' masks, as Keras 3's do.

An output that carries a mask (a sequence from a recurrent layer fed by
``Masking`` or ``Embedding(mask_zero=True)``) is scored only at its real
steps. As in Keras, the mask becomes part of the sample weights: each real
step weighs ``total / valid`` (the number of steps over the number of real
ones) times its sample weight, each padded step 0, so the "sum over batch
size" mean of the loss is the mean over the real steps.
"""

import numpy as np


def masked_weights(graph, ws):
    """The sample weights of a batch, one per output, with the last forward's masks in them.

    Args:
        graph: the model's graph, after its ``forward`` on the batch.
        ws: one sample-weight array (or ``None``) per output.

    Returns:
        A new list: ``ws[i]`` unchanged where output ``i`` has no mask, else
        ``mask * weight * total / valid``, shaped like the mask ``(batch, timesteps)``.
    """
    out = list(ws)
    for i, mask in enumerate(graph.output_masks):
        if mask is None:
            continue
        w = mask.astype(np.float64)
        if out[i] is not None:
            given = np.asarray(out[i], dtype=np.float64)
            w = w * given.reshape(given.shape + (1,) * (w.ndim - given.ndim))
        w *= mask.size / max(float(mask.sum()), 1e-7)
        out[i] = w
    return out


def as_sample_weight(weights):
    """The per-output list of ``masked_weights`` in the form ``sample_weight`` takes."""
    return weights[0] if len(weights) == 1 else weights


def update_metrics(metrics, ys, outs, ws, graph):
    """Updates the metrics with a batch whose outputs may carry masks (as Keras 3).

    A metric in ``weighted_metrics`` gets the sample weights with the mask in
    them; any other metric gets the mask alone: the padded steps count for none.
    """
    plain = masked_weights(graph, [None] * len(outs))
    weighted = masked_weights(graph, ws or [None] * len(outs))
    for m in metrics:
        i = m.output_index
        m.update(ys[i], outs[i], weighted[i] if m.weighted else plain[i])
