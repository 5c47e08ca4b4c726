"""``Lambda``: a stateless function, with the derivative you give it, as a layer."""

import numpy as np

from kerasite.layers.base import Layer


class Lambda(Layer):
    """Wraps ``y = function(x)`` and its derivative as a layer.

    kerasite back-propagates with explicit derivatives, not by tracing code,
    so a ``Lambda`` that has to pass gradients on needs ``gradient``: a
    function ``gradient(x, grad_output) -> grad_input`` giving
    ``d loss / d x`` from the input and ``d loss / d y``. Without it the layer
    still runs forward (``predict``, or preprocessing before the first
    trainable layer, whose input gradient nobody needs); a backward pass
    through it raises an error saying so.

    A ``Lambda`` holds Python code, which kerasite never writes to or runs
    from a file, so a model containing one cannot be saved with
    ``model.save`` (``get_config`` raises). Save the weights with
    ``save_weights``, or write the function as a registered ``Layer`` subclass.

    Args:
        function: ``function(x) -> y`` on a batch; no weights, no state.
        output_shape: the shape of one output sample, without the batch axis;
            found by calling ``function`` on one zero sample when omitted.
        mask: as Keras's: the output's mask, either fixed (an array) or
            ``mask(inputs, previous_mask) -> mask``; ``None`` passes no mask on.
        arguments: a dict of keyword arguments for ``function`` (and
            ``gradient``): ``function(x, **arguments)``.
        gradient: ``gradient(x, grad_output) -> grad_input``, or ``None``.

    Example:
        >>> import numpy as np
        >>> square = Lambda(lambda x: x ** 2, gradient=lambda x, g: 2 * x * g)
        >>> square.forward(np.array([[3.0]]), training=True)
        array([[9.]])
        >>> square.backward(np.array([[1.0]]))
        array([[6.]])
    """

    _cache_attrs = ("x",)

    def __init__(self, function, output_shape=None, mask=None, arguments=None, gradient=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"`function` must be callable, e.g. lambda x: x * 2. Received: "
                            f"function={function!r}.")
        if gradient is not None and not callable(gradient):
            raise TypeError("`gradient` must be callable, gradient(x, grad_output) -> "
                            f"grad_input, or None. Received: gradient={gradient!r}.")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError("`arguments` must be a dict of keyword arguments for `function`, "
                            f"or None. Received: arguments={arguments!r:.80}.")
        self.function, self.gradient = function, gradient
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.makes_mask = mask is not None  # the base class then asks compute_mask
        self.sample_output_shape = None if output_shape is None else tuple(output_shape)

    def call(self, x, training=False):
        self.x = x
        return np.asarray(self.function(x, **self.arguments))

    def compute_mask(self, inputs, mask=None):
        """The ``mask`` argument's mask: called on the inputs and their mask, or as given."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self.gradient is None:
            raise ValueError(
                f"Layer '{self.name}' (Lambda) has no `gradient`, and training needs its "
                "derivative: kerasite back-propagates with explicit derivatives, not by tracing "
                "code. Pass Lambda(fn, gradient=lambda x, grad_output: ...), returning d loss / "
                "d x, or move the function before the first layer with weights.")
        dx = np.asarray(self.gradient(self.x, grad_output, **self.arguments))
        if dx.shape != self.x.shape:
            raise ValueError(
                f"The `gradient` of layer '{self.name}' (Lambda) returned shape {dx.shape}; it "
                f"must return d loss / d x, shaped like the input {self.x.shape}.")
        return dx

    def compute_output_shape(self, input_shape):
        if self.sample_output_shape is not None:
            return (input_shape[0], *self.sample_output_shape)
        probe = np.zeros((1, *tuple(input_shape)[1:]))
        return (input_shape[0], *np.shape(self.function(probe, **self.arguments))[1:])

    def get_config(self):
        raise TypeError(
            f"Layer '{self.name}' (Lambda) cannot be saved: it holds Python code, and kerasite "
            "never stores or loads code. Save the weights with model.save_weights(path), or "
            "write the function as a Layer subclass and register it with "
            "kerasite.layers.register.")
