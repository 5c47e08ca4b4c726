"""Images: ``load_img`` and friends, Keras's resizing, and ``image_dataset_from_directory``.

Pillow decodes and encodes the files; it is the optional extra
in a kerasite clone ``python -m pip install -e ".[images]"``, imported only when an image is touched.

Resizing follows ``tf.image.resize`` with ``antialias=False``, which is what
Keras's ``image_dataset_from_directory`` calls: pixel centres at half-integer
positions, each output pixel a weighted sum of input pixels, the weights
renormalised where the kernel reaches past the image border. The weights are
separable, so a resize is one ``(out, in)`` matrix per axis, built once per
size and applied to the whole batch with two matrix products.
"""

import functools
import io
import os
import pathlib
import threading
import warnings

import numpy as np

from kerasite import _validation as V
import kerasite.utils.dataset_utils as dataset_utils
from kerasite.utils.dataset import Dataset

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

#: Pillow's filters for ``load_img(interpolation=...)``, as Keras names them.
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")

_DATA_FORMATS = ("channels_last", "channels_first")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _pil_image():
    """``PIL.Image``, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading and writing images needs Pillow, which is not installed. Install the "
            "extra: in your kerasite clone, python -m pip install -e '.[images]' "
            "(or pip install pillow)."
        ) from None
    return Image


def _data_format(data_format):
    if data_format is None:
        return "channels_last"
    return V.one_of(data_format, "data_format", _DATA_FORMATS)


# ------------------------------------------------------------------ PIL <-> arrays
def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Loads an image file into a PIL image, as ``keras.utils.load_img``.

    Args:
        path: a path (``str`` or ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or ``None``.
        interpolation: Pillow's filter for the resize: ``"nearest"``,
            ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"`` or
            ``"lanczos"``.
        keep_aspect_ratio: crop the centre to the target's aspect ratio
            before resizing, instead of stretching.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ImportError: if Pillow is not installed.
        TypeError: if ``path`` is not a path or a ``BytesIO``.
        ValueError: for an unknown ``color_mode`` or ``interpolation``.
    """
    Image = _pil_image()
    V.one_of(color_mode, "color_mode", tuple(_CHANNELS))
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(
            "`path` must be a file path or an io.BytesIO. Received an object of type "
            f"{type(path).__name__}."
        )
    img = _convert_mode(img, _CHANNELS[color_mode])
    if target_size is not None:
        height, width = _check_size(target_size, "target_size")
        if img.size != (width, height):
            V.one_of(interpolation, "interpolation", PIL_INTERPOLATIONS)
            resample = getattr(getattr(Image, "Resampling", Image), interpolation.upper())
            box = None
            if keep_aspect_ratio:
                w, h = img.size
                crop_h = min(h, (w * height) // width)
                crop_w = min(w, (h * width) // height)
                top, left = (h - crop_h) // 2, (w - crop_w) // 2
                box = (left, top, left + crop_w, top + crop_h)
            img = img.resize((width, height), resample, box=box)
    return img


def _convert_mode(img, num_channels):
    """``img`` in the mode of ``num_channels`` (16- and 32-bit grayscale kept as they are)."""
    if num_channels == 1:
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    mode = _PIL_MODES[num_channels]
    return img if img.mode == mode else img.convert(mode)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a NumPy array, as ``keras.utils.img_to_array``.

    Args:
        img: a PIL image (or anything ``np.asarray`` turns into a 2-D or 3-D
            array).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dtype: the array's dtype; ``floatx()`` by default.

    Returns:
        An array ``(height, width, channels)`` (``(channels, height, width)``
        for channels-first); a grayscale image gets a channel axis of 1.

    Raises:
        ValueError: if the image is not 2-D or 3-D.
    """
    from kerasite.config import floatx

    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(
            "`img` must be an image of shape (height, width) or (height, width, channels). "
            f"Received an array of shape {x.shape}."
        )
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a PIL image, as ``keras.utils.array_to_img``.

    Args:
        x: an array ``(height, width, channels)`` with 1, 3 or 4 channels
            (``(channels, height, width)`` for channels-first).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        scale: stretch the values to 0..255 (``x - min``, then ``/ max``,
            then ``* 255``); else they are cast to uint8 as they are.
        dtype: the dtype the values are computed in; ``floatx()`` by default.

    Returns:
        A ``PIL.Image.Image`` in mode ``"L"``, ``"RGB"`` or ``"RGBA"``
        (``"I"`` for one channel with values above 255 after scaling).

    Raises:
        ImportError: if Pillow is not installed.
        ValueError: if ``x`` is not 3-D or has another number of channels.
    """
    from kerasite.config import floatx

    Image = _pil_image()
    data_format = _data_format(data_format)
    x = np.array(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(
            "`x` must be one image of shape (height, width, channels). Received an array of "
            f"shape {x.shape}."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x -= np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype(np.uint8), _PIL_MODES[channels])
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return Image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ValueError(
        f"`x` must have 1, 3 or 4 channels. Received an array of shape {x.shape} "
        f"({channels} channels)."
    )


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an array as an image file, as ``keras.utils.save_img``.

    Args:
        path: a path or a file object.
        x: an array, as ``array_to_img`` takes it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        file_format: ``"png"``, ``"jpeg"``, ...; taken from the path's
            extension when ``None``.
        scale: as in ``array_to_img``.
        **kwargs: passed to ``PIL.Image.Image.save``.

    Raises:
        ImportError: if Pillow is not installed.
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


# ------------------------------------------------------------------ resizing
def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x, a=-0.5):
    # Keys' cubic convolution: (a+2)|x|^3 - (a+3)|x|^2 + 1 on [0, 1],
    # a|x|^3 - 5a|x|^2 + 8a|x| - 4a on [1, 2).
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _mitchell(x):
    # Mitchell-Netravali with B = C = 1/3.
    near = (7 / 6 * x - 2) * x * x + 8 / 9
    far = ((-7 / 18 * x + 2) * x - 10 / 3) * x + 16 / 9
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _lanczos(radius):
    def kernel(x):
        # radius * sin(pi x) sin(pi x / radius) / (pi x)^2, 1 at 0, 0 beyond the radius.
        safe = np.where(x < 1e-3, 1.0, x)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) \
            / (np.pi * safe) ** 2
        return np.where(x < 1e-3, 1.0, np.where(x < radius, value, 0.0))
    return kernel


def _gaussian(x):
    # radius 1.5, sigma = radius / 3
    return np.where(x < 1.5, np.exp(-x * x / (2 * 0.5 ** 2)), 0.0)


#: kernel, radius, and whether it leaves an image of the same size unchanged.
_KERNELS = {
    "bilinear": (_triangle, 1.0, True),
    "bicubic": (_keys_cubic, 2.0, True),
    "lanczos3": (_lanczos(3), 3.0, True),
    "lanczos5": (_lanczos(5), 5.0, True),
    "gaussian": (_gaussian, 1.5, False),
    "mitchellcubic": (_mitchell, 2.0, False),
}
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "gaussian", "mitchellcubic")


@functools.lru_cache(maxsize=64)
def _resize_weights(in_size, out_size, interpolation):
    """The ``(out_size, in_size)`` weights that resize one axis."""
    scale = in_size / out_size
    src = np.arange(in_size)
    if interpolation == "area":
        # Each output pixel averages the input span [o * scale, (o + 1) * scale).
        edges = np.arange(out_size + 1) * scale
        lo, hi = edges[:-1, None], edges[1:, None]
        return np.clip(np.minimum(src + 1, hi) - np.maximum(src, lo), 0, None) / scale
    kernel, radius, _ = _KERNELS[interpolation]
    centres = (np.arange(out_size) + 0.5) * scale  # sample positions, in input pixel units
    first = np.clip(np.ceil(centres - radius - 0.5), 0, in_size - 1)
    last = np.clip(np.floor(centres + radius - 0.5), 0, in_size - 1)
    inside = (src >= first[:, None]) & (src <= last[:, None])
    weights = np.where(inside, kernel(np.abs(src + 0.5 - centres[:, None])), 0.0)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=np.abs(total) > 0)


@functools.lru_cache(maxsize=64)
def _resize_taps(in_size, out_size, interpolation):
    """The resize of one axis as taps: input indices ``(out, taps)`` and float32 weights.

    Each output pixel reads only a few input pixels (2 for bilinear), so a
    gather and a multiply-add per tap costs far less than the dense matrix.
    """
    if interpolation == "nearest":
        index = np.minimum(np.floor((np.arange(out_size) + 0.5) * (in_size / out_size)),
                           in_size - 1).astype(np.intp)
        return index[:, None], None
    weights = _resize_weights(in_size, out_size, interpolation)
    taps = max(int((weights != 0).sum(axis=1).max()), 1)
    index = np.argsort(weights == 0, axis=1, kind="stable")[:, :taps]
    return index, np.take_along_axis(weights, index, axis=1).astype(np.float32)


def _resize_axis(x, axis, out_size, interpolation, channels=1):
    """``x`` resized along ``axis``: the sum over taps of gathered pixels times weights.

    ``x`` is 2-D or more; for the width of an image stored as ``(..., height,
    width * channels)`` pass ``channels``, and each tap gathers whole pixels.
    """
    index, weights = _resize_taps(x.shape[axis] // channels, out_size, interpolation)
    if channels > 1:
        # pixel index -> the indices of its channels, side by side
        index = (index[:, None, :] * channels + np.arange(channels)[None, :, None])
        index = index.reshape(out_size * channels, -1)
        weights = None if weights is None else np.repeat(weights, channels, axis=0)
    if weights is None:
        return np.take(x, index[:, 0], axis=axis)
    shape = [1] * x.ndim
    shape[axis] = len(index)
    acc = np.multiply(np.take(x, index[:, 0], axis=axis), weights[:, 0].reshape(shape),
                      dtype=np.float32)
    for k in range(1, index.shape[1]):
        acc += np.take(x, index[:, k], axis=axis) * weights[:, k].reshape(shape)
    return acc


def resize_images(images, size, interpolation="bilinear"):
    """Resizes images as ``tf.image.resize(..., antialias=False)``.

    Args:
        images: an array ``(height, width, channels)`` or ``(batch, height,
            width, channels)``.
        size: ``(new_height, new_width)``.
        interpolation: one of ``INTERPOLATIONS``.

    Returns:
        float32 images of the new size; with ``"nearest"``, the pixels
        picked, in ``images``' dtype (as ``tf.image.resize`` keeps the dtype
        for nearest).

    Example:
        >>> x = np.arange(4.0).reshape(1, 1, 4, 1)
        >>> resize_images(x, (1, 2))[0, 0, :, 0].tolist()
        [0.5, 2.5]
    """
    V.one_of(interpolation, "interpolation", INTERPOLATIONS)
    images = np.asarray(images)
    *lead, height, width, channels = images.shape
    identity = interpolation in ("nearest", "area") or _KERNELS[interpolation][2]
    # rows, then whole pixels along each row of a (..., height, width * channels) view
    x = images.reshape(*lead, height, width * channels)
    if size[0] != height or not identity:
        x = _resize_axis(x, x.ndim - 2, size[0], interpolation)
    if size[1] != width or not identity:
        x = _resize_axis(x, x.ndim - 1, size[1], interpolation, channels)
    x = x.reshape(*lead, size[0], size[1], channels)
    if interpolation == "nearest":
        return x
    return x.astype(np.float32, copy=False)


def _crop_box(height, width, target_h, target_w):
    """The centred crop with the target's aspect ratio, as Keras's ``smart_resize``."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top = int(float(height - crop_h) / 2)
    left = int(float(width - crop_w) / 2)
    return slice(top, top + crop_h), slice(left, left + crop_w)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resizes without distortion: the largest centred crop of the target's ratio, then a resize.

    As ``keras.preprocessing.image.smart_resize``.

    Args:
        x: one image ``(height, width, channels)`` or a batch ``(batch,
            height, width, channels)`` (channels first with that format).
        size: ``(height, width)``.
        interpolation: one of ``INTERPOLATIONS``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        float32 images of the target size (the input dtype for
        ``"nearest"``), as many as were given.
    """
    data_format = _data_format(data_format)
    size = _check_size(size, "size")
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            "`x` must be an image (height, width, channels) or a batch (batch, height, width, "
            f"channels). Received an array of shape {x.shape}."
        )
    batch = x if x.ndim == 4 else x[None]
    if data_format == "channels_first":
        batch = batch.transpose(0, 2, 3, 1)
    rows, cols = _crop_box(batch.shape[1], batch.shape[2], *size)
    out = resize_images(batch[:, rows, cols], size, interpolation)
    if data_format == "channels_first":
        out = out.transpose(0, 3, 1, 2)
    return out if x.ndim == 4 else out[0]


def _check_size(size, name):
    if V.is_int(size):
        size = (size, size)
    if not isinstance(size, (tuple, list)) or len(size) != 2 \
            or not all(V.is_int(s) and s > 0 for s in size):
        raise ValueError(
            f"`{name}` must be (height, width), two positive integers. Received: "
            f"{name}={size!r}."
        )
    return int(size[0]), int(size[1])


# ------------------------------------------------------------------ reading a folder
_POOL = {}
_POOL_LOCK = threading.Lock()


def _decode_pool():
    """A thread pool for decoding (Pillow releases the GIL while it decodes)."""
    with _POOL_LOCK:
        if "pool" not in _POOL:
            from concurrent.futures import ThreadPoolExecutor

            workers = min(4, os.cpu_count() or 1)
            _POOL["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="kerasite-decode")
        return _POOL["pool"]


def _decode(path, num_channels):
    """The pixels of one file, uint8 ``(height, width, channels)``."""
    Image = _pil_image()
    with Image.open(path) as img:
        img = _convert_mode(img, num_channels)
        pixels = np.asarray(img)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return pixels


class _ImageLoader:
    """Reads, crops and resizes a batch of image files into one array."""

    def __init__(self, image_size, num_channels, interpolation, crop_to_aspect_ratio,
                 data_format):
        self.image_size = image_size
        self.num_channels = num_channels
        self.interpolation = interpolation
        self.crop = crop_to_aspect_ratio
        self.data_format = data_format

    def load_batch(self, paths):
        """``(len(paths), height, width, channels)`` float32 (uint8 for nearest)."""
        paths = [str(p) for p in paths]
        if len(paths) > 1:
            images = list(_decode_pool().map(self._load, paths))
        else:
            images = [self._load(p) for p in paths]
        out = np.stack(images)
        if self.data_format == "channels_first":
            out = out.transpose(0, 3, 1, 2)
        return out

    def load_one(self, path):
        return self.load_batch([path])[0]

    def _load(self, path):
        """One image, decoded, cropped and resized (run on a decoding thread)."""
        try:
            image = _decode(path, self.num_channels)
        except OSError as error:
            raise ValueError(f"Could not read the image file {path!r}: {error}") from error
        if self.crop:
            rows, cols = _crop_box(image.shape[0], image.shape[1], *self.image_size)
            image = image[rows, cols]
        return resize_images(image, self.image_size, self.interpolation)


def _files_dataset(paths, labels, label_mode, num_classes, shuffle, seed, batch_size,
                   load_batch, load_one):
    """The lazy pipeline Keras builds: (path, label) pairs, shuffled, batched, then loaded."""
    paths = np.asarray(paths, dtype=object)
    if label_mode:
        encoded = dataset_utils.encode_labels(labels, label_mode, num_classes)
        ds = Dataset.from_tensor_slices((paths, encoded))
    else:
        ds = Dataset.from_tensor_slices(paths)
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    load = load_one
    if batch_size is not None:
        ds = ds.batch(batch_size)
        load = load_batch
    if label_mode:
        return ds.map(lambda p, y: (load(p), y))
    return ds.map(load)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 data_format=None, verbose=True):
    """A lazy ``Dataset`` of a folder's images, as ``keras.utils.image_dataset_from_directory``.

    With ``labels="inferred"`` the folder holds one subfolder per class::

        directory/
            cats/  a.png  b.jpg ...
            dogs/  c.png ...

    The files (``.bmp``, ``.gif``, ``.jpeg``, ``.jpg``, ``.png``) are listed
    at once, in Keras's order and split (see ``kerasite.utils.dataset_utils``),
    so the same folder and ``seed`` give the same training and validation
    files as Keras. No image is read until the dataset is iterated; then each
    batch is decoded (on a few threads) and resized as ``tf.image.resize``
    does.

    Args:
        directory: the folder.
        labels: ``"inferred"`` (from the subfolders), ``None`` (images only),
            or a list of integer labels, one per file in sorted path order.
        label_mode: ``"int"`` (int32 ``(batch,)``), ``"categorical"``
            (float32 one-hot ``(batch, classes)``), ``"binary"`` (float32
            ``(batch, 1)``, two classes only) or ``None`` (images only).
        class_names: with inferred labels, the subfolders to use, in the
            order of their labels; sorted subfolders by default.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4
            channels).
        batch_size: images per batch, or ``None`` for single images.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: shuffle the files (a global shuffle with ``seed``, then a
            shuffle buffer of ``8 * batch_size`` each epoch); else sorted.
        seed: the shuffle's seed; needed with ``validation_split`` and
            ``shuffle``.
        validation_split: the fraction of files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns the
            pair).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``,
            ``"area"``, ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"`` or
            ``"mitchellcubic"``.
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: crop the centre to the aspect ratio of
            ``image_size`` before resizing, instead of stretching.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        verbose: print how many files were found and used.

    Returns:
        A ``Dataset`` of ``(images, labels)`` batches (``images`` alone
        without labels): images float32 ``(batch, height, width, channels)``
        with values in 0..255 (uint8 with ``interpolation="nearest"``, as in
        Keras). It has ``class_names`` and ``file_paths``. With
        ``subset="both"``, a ``(training, validation)`` pair.

    Raises:
        ValueError: for an argument out of its choices, a missing folder,
            no images, ``class_names`` that are not subfolders,
            ``label_mode="binary"`` without exactly two classes, or a
            validation split without a seed.
        ImportError: at iteration, if Pillow is not installed.
    """
    dataset_utils.check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    V.one_of(color_mode, "color_mode", tuple(_CHANNELS))
    num_channels = _CHANNELS[color_mode]
    image_size = _check_size(image_size, "image_size")
    if isinstance(interpolation, str):
        interpolation = interpolation.lower()
    V.one_of(interpolation, "interpolation", INTERPOLATIONS)
    batch_size = V.positive_int(batch_size, "batch_size", allow_none=True)
    shuffle = V.boolean(shuffle, "shuffle")
    crop_to_aspect_ratio = V.boolean(crop_to_aspect_ratio, "crop_to_aspect_ratio")
    data_format = _data_format(data_format)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            "label_mode='binary' needs exactly 2 classes. Received: class_names="
            f"{class_names!r}. Use label_mode='categorical' or 'int' for more classes."
        )
    loader = _ImageLoader(image_size, num_channels, interpolation, crop_to_aspect_ratio,
                          data_format)

    def build(subset_name, shuffle_files):
        subset_paths, subset_labels = dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, subset_name, verbose=verbose)
        if not subset_paths:
            raise ValueError(
                f"No {subset_name + ' ' if validation_split else ''}images found in directory "
                f"{directory!r}. Allowed formats: {ALLOWLIST_FORMATS}."
            )
        ds = _files_dataset(subset_paths, subset_labels, label_mode,
                            len(class_names) if class_names else 0, shuffle_files, seed,
                            batch_size, loader.load_batch, loader.load_one)
        ds.class_names = class_names
        ds.file_paths = list(subset_paths)
        return ds

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset, shuffle)
