"""A stand-in for ``tf.data``: ``kerasite.data.Dataset`` and ``kerasite.data.AUTOTUNE``.

``from kerasite import data`` lets a script written with ``tf.data.Dataset``
and ``tf.data.AUTOTUNE`` keep its lines with ``tf.`` dropped. The objects are
those of ``kerasite.utils.dataset``.
"""

from kerasite.utils.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset

#: tf.data's names for the two special cardinalities.
INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

__all__ = ["AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]
