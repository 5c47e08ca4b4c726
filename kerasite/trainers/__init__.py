"""Training: compile, fit, evaluate and predict, mixed into ``Model`` as ``Trainer``."""

from kerasite.trainers.trainer import NotCompiledError, Trainer

__all__ = ["NotCompiledError", "Trainer"]
