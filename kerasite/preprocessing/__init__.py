"""Keras's older ``keras.preprocessing`` paths, for scripts written against them.

``kerasite.preprocessing.sequence.pad_sequences`` is
:func:`kerasite.utils.pad_sequences`.
"""

from kerasite.preprocessing import sequence  # noqa: F401
