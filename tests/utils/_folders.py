"""The small folders of images and texts that the tests and the Keras reference script share.

Both build them the same way from fixed seeds, so the file names, sizes and
pixels the tests see are those Keras saw when the reference was made.
"""

import os

import numpy as np

# (class folder, relative file name, (height, width), Pillow mode)
IMAGE_FILES = [
    ("cats", "b.png", (6, 9), "RGB"),
    ("cats", "a.png", (6, 9), "RGB"),
    ("cats", "C.PNG", (11, 4), "RGB"),
    ("cats", "sub/z.png", (6, 9), "L"),
    ("cats", "notes.txt", None, None),
    ("dogs", "d1.png", (8, 8), "RGBA"),
    ("dogs", "d0.bmp", (6, 9), "RGB"),
    ("dogs", "d2.png", (3, 13), "RGB"),
    ("Birds", "x.png", (6, 9), "RGB"),
    ("Birds", "y.png", (10, 10), "L"),
    ("Birds", "w.gif", (6, 9), "P"),
    (".hidden", "h.png", (6, 9), "RGB"),
]


def make_image_folder(root):
    """Writes IMAGE_FILES under ``root`` with seeded random pixels; returns ``root``."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls, name, size, mode in IMAGE_FILES:
        path = os.path.join(root, cls, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if size is None:
            with open(path, "w") as f:
                f.write("not an image")
            continue
        channels = {"RGB": 3, "RGBA": 4, "L": 1, "P": 1}[mode]
        pixels = rng.integers(0, 256, (*size, channels), dtype=np.uint8)
        if mode == "P":
            img = Image.fromarray(pixels[..., 0] % 16, "L").convert("P")
            img.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tolist())
        elif channels == 1:
            img = Image.fromarray(pixels[..., 0], "L")
        else:
            img = Image.fromarray(pixels, mode)
        img.save(path)
    return root


TEXT_FILES = [
    ("neg", "2.txt", "bad movie"),
    ("neg", "10.txt", "awful, really awful"),
    ("neg", "1.txt", "not good at all"),
    ("pos", "a.txt", "great film"),
    ("pos", "b.txt", "loved it ✓"),
    ("pos", "c.md", "ignored"),
    ("pos", "B.TXT", "upper-case extension"),
]


def make_text_folder(root):
    """Writes TEXT_FILES under ``root``; returns ``root``."""
    for cls, name, text in TEXT_FILES:
        path = os.path.join(root, cls, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def many_files_folder(root, per_class=20):
    """Three classes of ``per_class`` tiny PNGs each, for the split tests."""
    from PIL import Image

    for c in range(3):
        os.makedirs(os.path.join(root, f"class_{c}"), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(np.full((2, 2), c * 50 + i, np.uint8), "L").save(
                os.path.join(root, f"class_{c}", f"img_{i:03d}.png"))
    return root
