"""``keras.preprocessing.sequence``'s old path to ``pad_sequences``."""

from kerasite.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
