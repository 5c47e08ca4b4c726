"""Arrays and floats with ``.numpy()``, as TensorFlow's eager tensors have it."""

import numpy as np

class EagerArray(np.ndarray):
    """A NumPy array that also has ``.numpy()``, as a TensorFlow eager tensor has.

    Calling a model or a layer on data (``model(x)``, ``layer(x)``) returns
    one, and a loss called on data (``loss_fn(y, p)``) returns an
    ``EagerFloat``, so tutorials written for tf.keras that end in ``.numpy()``
    run unchanged. It is an ordinary ``ndarray`` in every other way (no copy
    is made); ``predict`` returns plain arrays, as Keras does.

    Example:
        >>> import numpy as np
        >>> from kerasite import layers, losses
        >>> layers.Flatten()(np.ones((1, 1, 2))).numpy()
        array([[1., 1.]])
        >>> losses.MeanSquaredError()(np.array([[1.0]]), np.array([[3.0]])).numpy()
        np.float64(4.0)
    """

    @classmethod
    def wrap(cls, value):
        """``value`` (an array, a float, or a list/dict of arrays) with ``.numpy()``."""
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        if isinstance(value, dict):
            return {k: cls.wrap(v) for k, v in value.items()}
        if isinstance(value, float):
            return EagerFloat(value)
        return np.asarray(value).view(cls)

    def numpy(self):
        """The value as a plain ``ndarray``."""
        return self.view(np.ndarray)

    def __getitem__(self, index):
        # t[i] of an eager tensor is a tensor, so t[i].numpy() works on a single element too
        item = super().__getitem__(index)
        return np.asarray(item).view(EagerArray) if isinstance(item, np.generic) else item

    def __repr__(self):  # shown as the plain array it is, so outputs read as NumPy's
        return repr(self.view(np.ndarray))


class EagerFloat(float):
    """A Python float with ``.numpy()``: what calling a loss on data returns."""

    def numpy(self):
        """The value as a NumPy scalar, as a scalar eager tensor gives it."""
        return np.float64(self)
