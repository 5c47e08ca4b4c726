"""Optimizers: update weights in place from their gradients.

An optimizer receives ``(gradient, parameter)`` pairs and changes each
parameter array in place (``-=``), so layers keep the same array objects.
Its state (momentum, moment estimates, the step count) is created lazily with
``zeros_like`` on the first step, and ``get_state``/``set_state`` expose it so
a saved run resumes exactly.

The update rules follow Keras's formulas, with ``g`` the gradient and ``lr``
the learning rate:

* SGD: ``p -= lr g``; with momentum ``v = m v - lr g; p += v``; Nesterov
  ``v = m v - lr g; p += m v - lr g``.
* RMSprop: ``s = rho s + (1 - rho) g**2; p -= lr g / sqrt(s + eps)``.
* Adam: ``t += 1; m += (1 - b1)(g - m); v += (1 - b2)(g**2 - v);
  p -= lr sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.
"""

import math

import numpy as np

from kerasite import _registry


class Optimizer:
    """Base class. Subclasses implement ``_update(i, p, g, lr)`` for one weight.

    Args:
        learning_rate: the step size, a positive number.
        clipnorm: if set, each gradient whose L2 norm exceeds it is rescaled to
            that norm before the update (per weight, as in Keras).

    Attributes:
        iterations: the number of steps taken so far.
    """

    _slot_names = ()

    def __init__(self, learning_rate=0.01, clipnorm=None):
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.clipnorm = None if clipnorm is None else _positive("clipnorm", clipnorm)
        self.iterations = 0
        self._slots = None  # {slot name: [array per weight]}, made on the first step
        self._scratch = None
        self._clipped = None

    # ----------------------------------------------------------------- stepping
    def apply_gradients(self, grads_and_vars):
        """Updates each ``var`` in place from its ``grad``.

        Args:
            grads_and_vars: iterable of ``(gradient, parameter)`` array pairs,
                the same parameters in the same order at every step.
        """
        pairs = list(grads_and_vars)
        if self._slots is None:
            self._build([p for _, p in pairs])
        elif len(pairs) != len(self._scratch):
            raise ValueError(
                f"This optimizer was built for {len(self._scratch)} weights and now "
                f"received {len(pairs)}. Use one optimizer per model, or a new one."
            )
        self.iterations += 1
        lr = self._step_learning_rate()
        for i, (g, p) in enumerate(pairs):
            if self.clipnorm is not None:
                g = self._clip(g, self._clipped[i])
            self._update(i, p, g, lr)

    def _build(self, params):
        self._scratch = [np.empty_like(p) for p in params]
        # The clipped gradient needs its own buffer: ``_update`` overwrites the scratch
        # array while it still reads ``g``.
        self._clipped = [np.empty_like(p) for p in params] if self.clipnorm is not None else None
        self._slots = {name: [np.zeros_like(p) for p in params] for name in self._slot_names}

    def _step_learning_rate(self):
        return self.learning_rate

    def _clip(self, g, out):
        norm = math.sqrt(float(np.vdot(g, g)))
        if norm <= self.clipnorm:
            return g
        return np.multiply(g, self.clipnorm / norm, out=out)

    def _update(self, i, p, g, lr):
        raise NotImplementedError

    # -------------------------------------------------------------------- state
    def get_state(self):
        """Everything a resume needs: the step count and the slot arrays.

        Returns:
            ``{"iterations": int, "<slot>/<i>": array, ...}``, copies (for
            Adam, ``"m/0"``, ``"v/0"``, ... one per weight).
        """
        state = {"iterations": self.iterations}
        for name, arrays in (self._slots or {}).items():
            for i, a in enumerate(arrays):
                state[f"{name}/{i}"] = a.copy()
        return state

    def set_state(self, state, params):
        """Restores ``get_state()``'s output for the weights ``params``.

        Args:
            state: a dict from ``get_state``.
            params: the weights the state belongs to, in ``apply_gradients`` order.

        Raises:
            ValueError: if a slot is missing or has the wrong shape.
        """
        self._build(params)
        self.iterations = int(state["iterations"])
        for name, arrays in self._slots.items():
            for i, a in enumerate(arrays):
                key = f"{name}/{i}"
                if key not in state:
                    raise ValueError(f"Optimizer state is missing '{key}'.")
                value = np.asarray(state[key])
                if value.shape != a.shape:
                    raise ValueError(
                        f"Optimizer state '{key}' has shape {value.shape}; the weight it "
                        f"belongs to has shape {a.shape}."
                    )
                a[...] = value

    # ------------------------------------------------------------------- config
    def get_config(self):
        return {"learning_rate": self.learning_rate, "clipnorm": self.clipnorm}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Args:
        learning_rate: step size (default 0.01).
        momentum: ``m`` in ``v = m v - lr g``; 0 means plain SGD.
        nesterov: use Nesterov momentum.
        clipnorm: see :class:`Optimizer`.

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> SGD(learning_rate=0.1).apply_gradients([(g, w)]); w
        array([0.95])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a number in [0, 1]. Received: momentum={momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

    def _update(self, i, p, g, lr):
        step = self._scratch[i]
        np.multiply(g, -lr, out=step)  # step = -lr g
        if self.momentum:
            v = self._slots["momentum"][i]
            v *= self.momentum
            v += step  # v = m v - lr g
            if self.nesterov:
                step += self.momentum * v
            else:
                step = v
        p += step

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides the step by a running root mean square of recent gradients.

    Args:
        learning_rate: step size (default 0.001).
        rho: decay of the running average of ``g**2`` (default 0.9).
        epsilon: added to the running average under the root, for stability
            (default 1e-7).
        clipnorm: see :class:`Optimizer`.

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> RMSprop(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.6838])
    """

    _slot_names = ("velocity",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        self.rho = _fraction("rho", rho)
        self.epsilon = _positive("epsilon", epsilon)

    def _update(self, i, p, g, lr):
        s, step = self._slots["velocity"][i], self._scratch[i]
        s *= self.rho
        np.multiply(g, g, out=step)
        step *= 1 - self.rho
        s += step  # s = rho s + (1 - rho) g^2
        np.add(s, self.epsilon, out=step)
        np.sqrt(step, out=step)  # sqrt(s + eps), as Keras does
        np.divide(g, step, out=step)
        step *= lr
        p -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    Args:
        learning_rate: step size (default 0.001).
        beta_1: decay of the first-moment estimate (default 0.9).
        beta_2: decay of the second-moment estimate (default 0.999).
        epsilon: added to the root for stability (default 1e-7).
        clipnorm: see :class:`Optimizer`.

    Example:
        >>> import numpy as np
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> Adam(learning_rate=0.1).apply_gradients([(g, w)]); w.round(4)
        array([0.9])
    """

    _slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        self.beta_1 = _fraction("beta_1", beta_1)
        self.beta_2 = _fraction("beta_2", beta_2)
        self.epsilon = _positive("epsilon", epsilon)

    def _step_learning_rate(self):
        t = self.iterations
        return self.learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def _update(self, i, p, g, lr):
        m, v, step = self._slots["m"][i], self._slots["v"][i], self._scratch[i]
        np.subtract(g, m, out=step)
        step *= 1 - self.beta_1
        m += step  # m += (1 - b1)(g - m)
        np.multiply(g, g, out=step)
        step -= v
        step *= 1 - self.beta_2
        v += step  # v += (1 - b2)(g^2 - v)
        np.sqrt(v, out=step)
        step += self.epsilon
        np.divide(m, step, out=step)
        step *= lr
        p -= step

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not value > 0 or not math.isfinite(value):
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}.")
    return float(value)


def _fraction(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}.")
    return float(value)


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """Returns an optimizer from a name, a config dict or an instance.

    Names give the Keras defaults: ``"sgd"`` (lr 0.01), ``"adam"`` and
    ``"rmsprop"`` (lr 0.001).

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("adam")
        Adam(learning_rate=0.001, clipnorm=None, beta_1=0.9, beta_2=0.999, epsilon=1e-07)
    """
    return _registry.lookup(identifier, Optimizer, _BY_NAME, "optimizer",
                            "pass an instance such as kerasite.optimizers.SGD(learning_rate=0.1)")


serialize = _registry.serialize
