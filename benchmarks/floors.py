"""Lower bounds to compare kerasite against: lean code doing only the necessary work.

* ``BlasFloor``: the matrix products of one autoencoder epoch and nothing
  else. No framework can train faster on the same BLAS, so it measures how
  much time goes to everything else.
* ``plain_xor``: full-batch SGD on XOR written as a bare NumPy loop, the
  yardstick for kerasite's per-step overhead when the arrays are tiny.
* ``PlainAutoencoder``: the benchmark's autoencoder trained by a lean,
  hand-written NumPy loop, the yardstick for what NumPy alone can do.
"""

import itertools
import time

import numpy as np

AUTOENCODER_SIZES = (784, 256, 64, 256, 784)


def batch_sizes(n_samples, batch_size):
    """The size of every batch in an epoch: full batches, then the remainder."""
    return [min(batch_size, n_samples - start) for start in range(0, n_samples, batch_size)]


class BlasFloor:
    """The matrix products of one training epoch, preallocated, and nothing else.

    For each batch of ``b`` samples and each layer ``i`` with weights ``W[i]``
    of shape ``(n_i, n_i+1)``:

    * forward:          ``a[i+1] = a[i] @ W[i]``    (4 products)
    * weight gradient:  ``dW[i] = a[i].T @ g[i+1]``  (4 products)
    * input gradient:   ``g[i] = g[i+1] @ W[i].T``   (3 products: layer 0's
      input is the data, which needs no gradient)

    All float32, written into preallocated arrays with ``np.matmul(..., out=)``.

    Args:
        n_samples: samples per epoch (60,000 for Fashion-MNIST).
        batch_size: samples per batch (the last batch may be smaller).
        sizes: the layer widths, input first.
        seed: seed of the random contents (their values do not matter).
    """

    def __init__(self, n_samples, batch_size, sizes=AUTOENCODER_SIZES, seed=0):
        rng = np.random.default_rng(seed)
        pairs = list(itertools.pairwise(sizes))
        self.W = [(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
                  for n_in, n_out in pairs]
        self.dW = [np.empty_like(w) for w in self.W]
        self.batch_sizes = batch_sizes(n_samples, batch_size)
        # Activations a[i] and gradients g[i], shape (b, sizes[i]), per batch size.
        self.buffers = {
            b: ([rng.random((b, n), dtype=np.float32) for n in sizes],
                [rng.standard_normal((b, n), dtype=np.float32) for n in sizes])
            for b in set(self.batch_sizes)
        }

    def run_epoch(self):
        """Runs one epoch of products; returns its duration in seconds."""
        W, dW = self.W, self.dW
        layers = range(len(W))
        start = time.perf_counter()
        for b in self.batch_sizes:
            a, g = self.buffers[b]
            for i in layers:
                np.matmul(a[i], W[i], out=a[i + 1])
            for i in reversed(layers):
                np.matmul(a[i].T, g[i + 1], out=dW[i])
                if i > 0:
                    np.matmul(g[i + 1], W[i].T, out=g[i])
        return time.perf_counter() - start


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def plain_xor(weights, epochs, learning_rate=0.5):
    """Trains a 2-4-1 tanh/sigmoid network on XOR with a bare NumPy loop.

    It does what ``fit`` does per epoch on one full batch: forward pass, MSE
    loss (as a float, like the loss ``fit`` logs), backward pass, SGD update,
    with every array allocated once, before the loop.

    Args:
        weights: ``[W1 (2, 4), b1 (4,), W2 (4, 1), b2 (1,)]``, copied first.
        epochs: number of full-batch steps.
        learning_rate: the SGD step size.

    Returns:
        ``(loss, weights)``: the loss of the last step (before its update)
        and the trained weights.
    """
    W1, b1, W2, b2 = (np.array(w, dtype=np.float32) for w in weights)
    x, y = XOR_X, XOR_Y
    n = y.size
    h, t_h, d_h = (np.empty((4, 4), np.float32) for _ in range(3))
    o, t_o, d_o = (np.empty((4, 1), np.float32) for _ in range(3))
    dW1, db1 = np.empty_like(W1), np.empty_like(b1)
    dW2, db2 = np.empty_like(W2), np.empty_like(b2)
    flat = d_o.reshape(-1)
    loss = float("nan")
    for _ in range(epochs):
        # Forward: h = tanh(x W1 + b1); o = sigmoid(h W2 + b2) = (1 + tanh(z / 2)) / 2.
        np.matmul(x, W1, out=h)
        h += b1
        np.tanh(h, out=h)
        np.matmul(h, W2, out=o)
        o += b2
        o *= 0.5
        np.tanh(o, out=o)
        o += 1.0
        o *= 0.5
        # Loss = mean((o - y)^2); its gradient is 2 (o - y) / n.
        np.subtract(o, y, out=d_o)
        loss = float(np.dot(flat, flat)) / n
        d_o *= 2.0 / n
        # Backward through the sigmoid (* o (1 - o)) and the second layer.
        np.subtract(1.0, o, out=t_o)
        t_o *= o
        d_o *= t_o
        np.matmul(h.T, d_o, out=dW2)
        np.sum(d_o, axis=0, out=db2)
        np.matmul(d_o, W2.T, out=d_h)
        # Backward through the tanh (* (1 - h^2)) and the first layer.
        np.multiply(h, h, out=t_h)
        np.subtract(1.0, t_h, out=t_h)
        d_h *= t_h
        np.matmul(x.T, d_h, out=dW1)
        np.sum(d_h, axis=0, out=db1)
        # SGD: p -= lr * g, in place.
        dW1 *= learning_rate
        W1 -= dW1
        db1 *= learning_rate
        b1 -= db1
        dW2 *= learning_rate
        W2 -= dW2
        db2 *= learning_rate
        b2 -= db2
    return loss, [W1, b1, W2, b2]


class ConvnetBlasFloor:
    """The matrix products of one epoch of keras.io's convnet, as im2col does them.

    Per batch of ``b`` images, with the convolutions as im2col products
    (``cols`` has one row per output pixel, ``kh * kw * in`` columns):

    * conv 1 (26x26 outputs, 9 -> 32): forward and weight gradient (the data
      needs no input gradient);
    * conv 2 (11x11 outputs, 288 -> 64): forward, weight gradient and the
      input-gradient product ``g @ K^T``;
    * Dense (1600 -> 10): forward, weight and input gradients.

    Eight products, float32, into preallocated arrays. Everything else a
    framework does (im2col and col2im copies, pooling, activations, Adam) is
    on top of this.
    """

    # (output pixels per image, im2col columns, filters) per conv; then the Dense sizes.
    CONVS = ((26 * 26, 9, 32), (11 * 11, 288, 64))
    DENSE = (1600, 10)

    def __init__(self, n_samples, batch_size, seed=0):
        rng = np.random.default_rng(seed)
        shapes = [(k, f) for _, k, f in self.CONVS] + [self.DENSE]
        # float32 throughout: a NumPy float64 scalar would promote the weights to float64.
        self.W = [(rng.standard_normal(s) / np.sqrt(s[0])).astype(np.float32) for s in shapes]
        self.dW = [np.empty_like(w) for w in self.W]
        self.batch_sizes = batch_sizes(n_samples, batch_size)
        self.buffers = {}
        for b in set(self.batch_sizes):
            rows = [b * p for p, _, _ in self.CONVS] + [b]
            self.buffers[b] = [
                (rng.random((r, w.shape[0]), dtype=np.float32),  # layer input (cols)
                 np.empty((r, w.shape[1]), dtype=np.float32),     # output
                 rng.standard_normal((r, w.shape[1]), dtype=np.float32),  # output gradient
                 np.empty((r, w.shape[0]), dtype=np.float32))     # input gradient
                for r, w in zip(rows, self.W)]

    def run_epoch(self):
        """Runs one epoch of products; returns its duration in seconds."""
        start = time.perf_counter()
        for b in self.batch_sizes:
            layers = self.buffers[b]
            for (x, z, _, _), W in zip(layers, self.W):
                np.matmul(x, W, out=z)
            for i in reversed(range(len(layers))):
                x, _, g, dx = layers[i]
                np.matmul(x.T, g, out=self.dW[i])
                if i > 0:
                    np.matmul(g, self.W[i].T, out=dx)
        return time.perf_counter() - start


class PlainAutoencoder:
    """The benchmark autoencoder trained by a lean, hand-written NumPy loop.

    What a careful NumPy programmer would write for this one network, with
    nothing general about it: every array allocated once; each shuffled batch
    gathered with ``np.take(..., out=)``; per layer ``z = a W`` into a buffer,
    ``z += b``, the activation in place (ReLU, tanh, ReLU, sigmoid as
    ``1 / (1 + exp(-z))``); the MSE and its gradient; the derivatives from the
    outputs (``z > 0``, ``1 - z^2``, ``z (1 - z)``); bias gradients as
    ``ones @ g``; plain SGD in place. Its epoch is a bound for NumPy on one
    core for the elementwise work, as ``BlasFloor`` is for the products.

    Args:
        weights: ``[W1, b1, ..., W4, b4]`` (kerasite's layout), copied.
        batch_size: samples per batch.
        seed: the seed of the shuffling.
        learning_rate: the SGD step size.
    """

    def __init__(self, weights, batch_size, seed=0, learning_rate=0.5):
        arrays = [np.array(w, dtype=np.float32) for w in weights]
        self.W, self.b = arrays[0::2], arrays[1::2]
        self.dW = [np.empty_like(w) for w in self.W]
        self.db = [np.empty_like(b) for b in self.b]
        self.batch_size, self.learning_rate = batch_size, learning_rate
        self.rng = np.random.default_rng(seed)
        self._buffers = {}

    def _batch_buffers(self, n, features):
        if n not in self._buffers:
            widths = [features] + [w.shape[1] for w in self.W]
            self._buffers[n] = {
                "a": [np.empty((n, k), np.float32) for k in widths],  # a[0] is the batch
                "g": [np.empty((n, k), np.float32) for k in widths],
                "t": [np.empty((n, k), np.float32) for k in widths],  # derivative scratch
                "ones": np.ones(n, np.float32),
            }
        return self._buffers[n]

    def run_epoch(self, x):
        """Trains one epoch on ``x`` (its own target); returns ``(seconds, mean loss)``."""
        start = time.perf_counter()
        order = self.rng.permutation(len(x))
        W, b, dW, db, lr = self.W, self.b, self.dW, self.db, self.learning_rate
        total = 0.0
        for first in range(0, len(x), self.batch_size):
            idx = order[first:first + self.batch_size]
            buf = self._batch_buffers(len(idx), x.shape[1])
            a, g, t, ones = buf["a"], buf["g"], buf["t"], buf["ones"]
            np.take(x, idx, axis=0, out=a[0])
            for i in range(4):  # forward
                np.matmul(a[i], W[i], out=a[i + 1])
                a[i + 1] += b[i]
                if i in (0, 2):
                    np.maximum(a[i + 1], 0, out=a[i + 1])
                elif i == 1:
                    np.tanh(a[i + 1], out=a[i + 1])
                else:
                    np.negative(a[4], out=a[4])
                    np.exp(a[4], out=a[4])
                    a[4] += 1.0
                    np.reciprocal(a[4], out=a[4])
            out, diff = a[4], g[4]
            np.subtract(out, a[0], out=diff)  # the input is the target
            flat = diff.reshape(-1)
            total += float(np.dot(flat, flat)) / diff.size * len(idx)
            diff *= 2.0 / diff.size  # d mean((o - x)^2) / d o
            np.subtract(1.0, out, out=t[4])  # through the sigmoid: * o (1 - o)
            t[4] *= out
            diff *= t[4]
            for i in reversed(range(4)):  # backward: g[i + 1] is d loss / d z of layer i
                np.matmul(a[i].T, g[i + 1], out=dW[i])
                np.matmul(ones, g[i + 1], out=db[i])
                if i == 0:
                    break
                np.matmul(g[i + 1], W[i].T, out=g[i])
                if i == 2:  # tanh: * (1 - a^2)
                    np.multiply(a[i], a[i], out=t[i])
                    np.subtract(1.0, t[i], out=t[i])
                    g[i] *= t[i]
                else:  # ReLU: * (a > 0)
                    np.multiply(g[i], a[i] > 0, out=g[i])
            for p, d in zip(W + b, dW + db):  # SGD in place
                d *= lr
                p -= d
        return time.perf_counter() - start, total / len(x)
