"""The fully connected layer: ``y = activation(x @ W + b)``."""

import numpy as np

import kerasite.layers.activations as activations
from kerasite import initializers, regularizers
from kerasite._validation import positive_int
from kerasite.layers.base import KernelAndBias, Layer


class Dense(KernelAndBias, Layer):
    """A fully connected layer, ``y = activation(x @ W + b)``.

    Args:
        units: number of outputs, a positive integer.
        activation: an activation name (``"relu"``, ``"tanh"``, ...), an
            activation layer, or ``None`` for linear.
        use_bias: whether to add the bias ``b``.
        kernel_initializer: initializer of ``W``; ``"glorot_uniform"``
            (Xavier) by default.
        bias_initializer: initializer of ``b``; zeros by default.
        kernel_regularizer: a penalty on ``W`` (``"l2"``,
            ``kerasite.regularizers.L2(1e-4)``, ...), or ``None``.
        bias_regularizer: a penalty on ``b``, or ``None``.
        activity_regularizer: a penalty on the layer's output, or ``None``.
        kernel_constraint: a projection applied to ``W`` after each update
            (``"max_norm"``, ``kerasite.constraints.MaxNorm(3)``, ...), or ``None``.
        bias_constraint: the same for ``b``, or ``None``.
        input_dim: Keras's older way to say ``input_shape=(input_dim,)``.

    Shapes:
        ``x`` is ``(batch, in)``, ``W`` is ``(in, units)``, ``b`` is
        ``(units,)`` and the output is ``(batch, units)``. Inputs with more
        axes are handled on the last one, as in Keras.

    Attributes:
        kernel, bias: the weights, :class:`~kerasite.Variable` s named
            ``"kernel"`` and ``"bias"`` (their arrays are ``params["W"]``,
            ``params["b"]``); ``W`` and ``b`` are the same variables.
        dW, db: their gradients (also ``grads["W"]``, ``grads["b"]``).

    Example:
        >>> import numpy as np
        >>> layer = Dense(2, kernel_initializer="ones")
        >>> layer.forward(np.array([[1.0, 2.0]], dtype="float32"))
        array([[3., 3.]], dtype=float32)
    """

    _cache_attrs = ("x",)
    supports_masking = True  # each step's output depends on that step only

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, input_dim=None, **kwargs):
        if input_dim is not None:
            input_dim = positive_int(input_dim, "input_dim")
            if kwargs.get("input_shape") not in (None, (input_dim,), [input_dim]):
                raise ValueError(
                    f"`input_dim`={input_dim} and `input_shape`={kwargs['input_shape']!r} "
                    "disagree. Pass only one of them.")
            kwargs["input_shape"] = (int(input_dim),)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(units, "units")
        if isinstance(activation, activations._Elementwise):
            # The activation caches this layer's output for backward, so each Dense
            # needs its own: one instance shared by two layers would mix their caches.
            activation = type(activation).from_config(activation.get_config())
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._kernel_and_bias_options(kernel_regularizer, bias_regularizer, kernel_constraint,
                                      bias_constraint)
        self.kernel = self.bias = None

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.kernel = self.add_weight((n_in, self.units), self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias")
        # Checks the activation's settings against the shape it will see (e.g. Softmax's axis).
        self.activation.ensure_built((None, self.units))
        super().build(input_shape)

    # Forward and backward, side by side. With z = x W + b and a = f(z):
    #   dL/dz = f'(z) * dL/da      (the activation's backward)
    #   dL/dW = x^T  dL/dz          dL/db = sum over the batch of dL/dz
    #   dL/dx = dL/dz W^T
    def call(self, x, training=False):
        z = self._affine(x, training)
        z = self.activation.call(z, training, out=z)  # in place: Dense keeps no z
        return z if x.ndim == 2 else z.reshape(*x.shape[:-1], self.units)

    def _affine(self, x, training):
        """``x W + b`` as rows ``(samples, units)``; caches ``x`` as rows for ``dW``."""
        # The usual input is 2-D; higher ranks are flattened to rows (a view).
        self.x = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        kernel = self.kernel.value  # the live array: training may have moved it
        z = self._out("z", (len(self.x), self.units), kernel.dtype, training)
        np.matmul(self.x, kernel, out=z)
        if self.use_bias:
            z += self.bias.value
        return z

    def backward(self, grad_output, need_input_grad=True):
        flat = grad_output.ndim == 2
        g = grad_output if flat else grad_output.reshape(-1, self.units)
        g = self.activation.backward(g)
        return self.backward_from_pre_activation(
            g if flat else g.reshape(grad_output.shape), need_input_grad)

    # The same two steps, for a caller that wants the activation's input ``z`` itself
    # (the values before the activation squashes them) and takes the gradient with
    # respect to it: the activation's own backward is then skipped.
    def call_with_pre_activation(self, x, training=False):
        """``call``, also returning the pre-activation ``z = x W + b``.

        Args:
            x: the input, ``(batch, ..., in)``.
            training: as for ``call``.

        Returns:
            ``(outputs, z)``, both ``(batch, ..., units)``: ``f(z)`` in the
            activation's own buffer, and ``z`` intact. ``backward`` works after
            it as after ``call``; so does ``backward_from_pre_activation``.
        """
        z = self._affine(x, training)
        a = self.activation.call(z, training)  # into the activation's buffer: z stays
        shape = (*x.shape[:-1], self.units)
        return (a, z) if x.ndim == 2 else (a.reshape(shape), z.reshape(shape))

    def backward_from_pre_activation(self, grad, need_input_grad=True):
        """Back-propagates d L / d ``z`` (not d L / d output): the activation is skipped.

        Args:
            grad: d L / d ``z``, ``(batch, ..., units)``.
            need_input_grad: as for ``backward``.

        Returns:
            d L / d ``x``, or ``None``; fills the kernel's and the bias's gradients.
        """
        flat = grad.ndim == 2
        g = grad if flat else grad.reshape(-1, self.units)
        np.matmul(self.x.T, g, out=self.kernel._grad)
        if self.use_bias:
            # Column sums of g, as ones @ g: BLAS does it about twice as fast as sum(axis=0).
            np.matmul(self._ones(len(g), g.dtype), g, out=self.bias._grad)
        if not need_input_grad:
            return None
        dx = self._workspace("dx", self.x.shape, g.dtype)
        kernel = self.kernel.value
        np.matmul(g, kernel.T, out=dx)
        return dx if flat else dx.reshape(*grad.shape[:-1], kernel.shape[0])

    def _ones(self, n, dtype):
        ones = self._workspace("ones", (n,), dtype)
        ones.fill(1)  # cheap, and safe even if someone wrote into the buffer
        return ones

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._kernel_and_bias_config(),
        }
