"""Keras 2's ``keras.preprocessing.image`` path: the image helpers of ``kerasite.utils``.

Scripts written for tf.keras 2 import ``load_img`` and friends from here; they
are the same functions as ``kerasite.utils.load_img`` etc.
"""

from kerasite.utils.image_utils import (array_to_img, img_to_array, load_img, save_img,
                                        smart_resize)

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
