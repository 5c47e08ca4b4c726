"""Callbacks: objects that watch and steer training through Keras's hooks."""

from kerasite.callbacks.backup import BackupAndRestore
from kerasite.callbacks.base import Callback, CallbackList
from kerasite.callbacks.checkpoint import ModelCheckpoint
from kerasite.callbacks.history import History
from kerasite.callbacks.lambda_callback import LambdaCallback
from kerasite.callbacks.logging import CSVLogger, LossLogger, Timer
from kerasite.callbacks.monitoring import EarlyStopping, ReduceLROnPlateau, TerminateOnNaN
from kerasite.callbacks.progress import ProgressBar
from kerasite.callbacks.scheduling import LearningRateScheduler
from kerasite.callbacks.tensorboard import TensorBoard

__all__ = [
    "Callback", "CallbackList", "History", "ProgressBar", "LossLogger", "Timer", "CSVLogger",
    "EarlyStopping", "ReduceLROnPlateau", "TerminateOnNaN", "LearningRateScheduler",
    "ModelCheckpoint", "LambdaCallback", "BackupAndRestore", "TensorBoard",
]
