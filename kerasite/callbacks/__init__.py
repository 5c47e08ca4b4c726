"""Callbacks: objects that watch and steer training through Keras's hooks."""

from kerasite.callbacks.base import Callback, CallbackList
from kerasite.callbacks.history import History
from kerasite.callbacks.progress import ProgressBar

__all__ = ["Callback", "CallbackList", "History", "ProgressBar"]
