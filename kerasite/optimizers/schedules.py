"""Learning-rate schedules: the learning rate as a function of the step count.

Pass one as an optimizer's ``learning_rate``; the optimizer evaluates it at
its ``iterations`` (the number of steps taken so far, 0 for the first step),
as Keras does, and ``optimizer.learning_rate`` returns the current value. A
schedule is part of the optimizer's config, so a saved and resumed run
continues on the same curve.

The formulas, with ``step`` the optimizer's iteration count:

* ``ExponentialDecay``: ``lr0 * rate ** (step / decay_steps)`` (floored with
  ``staircase``).
* ``PiecewiseConstantDecay``: ``values[i]`` for ``boundaries[i-1] < step <=
  boundaries[i]``.
* ``InverseTimeDecay``: ``lr0 / (1 + rate * step / decay_steps)``.
* ``PolynomialDecay``: ``(lr0 - end) * (1 - step / decay_steps) ** power + end``.
* ``CosineDecay``: an optional linear warmup to ``warmup_target``, then
  ``lr * ((1 - alpha) * (1 + cos(pi * step / decay_steps)) / 2 + alpha)``.
* ``CosineDecayRestarts``: cosine decay that restarts, each period ``t_mul``
  times longer and ``m_mul`` times lower than the previous one.
"""

import math

from kerasite import _registry
from kerasite._validation import number


class LearningRateSchedule:
    """Base class: ``schedule(step) -> float``; subclasses set ``get_config``.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / 2 ** step
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> Halving(0.1)(3)
        0.0125
    """

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must override get_config() to be "
            "saved.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _number(name, value, minimum=None, positive=False):
    return number(value, name, 0 if positive else minimum, inclusive=(not positive, True))


def _steps(name, value):
    number(value, name, 0, inclusive=(False, True), expected="a positive number of steps")
    return value  # as given: 10 stays 10 in the config


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps over which the rate is multiplied by
            ``decay_rate`` once.
        decay_rate: the factor per ``decay_steps``.
        staircase: floor ``step / decay_steps``, so the rate drops in steps.
        name: the schedule's name.

    Example:
        >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
        0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate, 0)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]``, ``values[1]`` up to ``boundaries[1]``, ...

    Args:
        boundaries: increasing step numbers, one fewer than ``values``.
        values: the rate on each interval: ``values[i]`` for
            ``boundaries[i-1] < step <= boundaries[i]``.
        name: the schedule's name.

    Example:
        >>> s = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
        >>> s(100), s(101), s(500)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "`boundaries` must have one element fewer than `values`. Received: "
                f"boundaries={boundaries} (length {len(boundaries)}) and values={values} "
                f"(length {len(values)})."
            )
        numbers = [_number("boundaries", b) for b in boundaries]
        if any(later <= earlier for earlier, later in zip(numbers, numbers[1:])):
            raise ValueError(f"`boundaries` must be increasing. Received: boundaries={boundaries}.")
        self.boundaries = [int(b) if b.is_integer() else b for b in numbers]
        self.values = [_number("values", v, 0) for v in values]
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step unit of the decay.
        decay_rate: how fast the rate falls.
        staircase: floor ``step / decay_steps``.
        name: the schedule's name.

    Example:
        >>> InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)(30)
        0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate, 0)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(lr0 - end) * (1 - step / decay_steps) ** power + end``, then ``end``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step at which ``end_learning_rate`` is reached.
        end_learning_rate: the final rate (default 1e-4).
        power: the polynomial's power (1 is linear).
        cycle: instead of staying at the end, restart with a ``decay_steps``
            stretched to the next multiple above ``step``.
        name: the schedule's name.

    Example:
        >>> PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)(5)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.end_learning_rate = _number("end_learning_rate", end_learning_rate, 0)
        self.power = _number("power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power \
            + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then a half cosine from the peak down to ``alpha * peak``.

    Without warmup: ``lr0 * ((1 - alpha) (1 + cos(pi * min(step, decay_steps)
    / decay_steps)) / 2 + alpha)``. With ``warmup_target``, the rate first
    goes linearly from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, and the cosine then decays from ``warmup_target``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the length of the cosine part.
        alpha: the final rate, as a fraction of the peak.
        name: the schedule's name.
        warmup_target: the peak rate after the warmup; ``None`` for no warmup.
        warmup_steps: the length of the warmup.

    Example:
        >>> CosineDecay(1.0, decay_steps=10)(5)
        0.5
        >>> CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)(2)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.alpha = _number("alpha", alpha, 0)
        self.name = name
        self.warmup_target = None if warmup_target is None else _number(
            "warmup_target", warmup_target, 0)
        self.warmup_steps = _number("warmup_steps", warmup_steps, 0)
        if self.warmup_steps.is_integer():
            self.warmup_steps = int(self.warmup_steps)

    def _decay(self, step, peak):
        cosine = 0.5 * (1 + math.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            lr0 = self.initial_learning_rate
            return (self.warmup_target - lr0) * step / self.warmup_steps + lr0
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The first period lasts ``first_decay_steps``; each next one is ``t_mul``
    times longer and starts ``m_mul`` times lower. Within period ``i``, at a
    fraction ``f`` of it: ``lr0 * ((1 - alpha) * m_mul**i * (1 + cos(pi f)) / 2
    + alpha)``.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period.
        t_mul: how much longer each period is than the previous one.
        m_mul: how much lower each restart is than the previous one.
        alpha: the floor, as a fraction of ``initial_learning_rate``.
        name: the schedule's name.

    Example:
        >>> s = CosineDecayRestarts(1.0, first_decay_steps=10)
        >>> s(5), s(10), s(20)
        (0.5, 1.0, 0.5)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate, 0)
        self.first_decay_steps = _steps("first_decay_steps", first_decay_steps)
        self.t_mul = _number("t_mul", t_mul, positive=True)
        self.m_mul = _number("m_mul", m_mul, 0)
        self.alpha = _number("alpha", alpha, 0)
        self.name = name

    def __call__(self, step):
        fraction = step / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # periods 1, t, t^2, ...: restart i begins at (1 - t^i) / (1 - t)
            restart = math.floor(math.log(1 - fraction * (1 - self.t_mul)) / math.log(self.t_mul))
            begun = (1 - self.t_mul ** restart) / (1 - self.t_mul)
            fraction = (fraction - begun) / self.t_mul ** restart
        cosine = 0.5 * self.m_mul ** restart * (1 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_BY_NAME = {cls.__name__.lower(): cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay, PolynomialDecay, CosineDecay,
    CosineDecayRestarts)}
_REGISTRY = _registry.Registry(
    "learning rate schedule", LearningRateSchedule, classes=_BY_NAME.values(), names=_BY_NAME,
    hint="or pass an instance of kerasite.optimizers.schedules.LearningRateSchedule")
register = _REGISTRY.register


def get(identifier):
    """Returns a schedule from a name, a config dict, an instance or ``None``.

    Example:
        >>> get({"class_name": "ExponentialDecay", "config": {
        ...     "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}})(10)
        0.05
    """
    return _REGISTRY.get(identifier)


def serialize(schedule):
    """``{"class_name": ..., "config": ...}`` for a schedule.

    Example:
        >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
        'InverseTimeDecay'
    """
    return _REGISTRY.serialize(schedule)


def deserialize(config):
    """Rebuilds a schedule from ``serialize``'s output; only registered classes.

    Raises:
        ValueError: for any other class name, listing the valid ones.
    """
    return _REGISTRY.deserialize(config)
