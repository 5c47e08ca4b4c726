"""Reading a folder of PNGs: kerasite's image_dataset_from_directory against tf.keras's.

Writes a folder of ``--images`` random PNGs (``--size`` pixels square, in 10
class folders) once, then times full passes over it, batch 32, resized to
``--target``: kerasite's ``image_dataset_from_directory`` and, when
TensorFlow is installed, ``tf.keras.utils.image_dataset_from_directory``
in the same run, alternating, ``--rounds`` passes each after a warm-up pass.
The median images per second are printed; issue 24 asks kerasite to be at
least as fast as tf.keras.

    python benchmarks/image_folder.py --images 10000          # the issue's setting
    python benchmarks/image_folder.py --images 500 --rounds 1 # a quick look

Run it on a quiet machine: decoding uses every core.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_folder(root, images, size, seed=0):
    """``images`` random RGB PNGs of ``size`` x ``size`` in 10 class folders (kept if present)."""
    from PIL import Image

    marker = os.path.join(root, f".done_{images}_{size}")
    if os.path.exists(marker):
        return root
    rng = np.random.default_rng(seed)
    for i in range(images):
        folder = os.path.join(root, f"class_{i % 10}")
        os.makedirs(folder, exist_ok=True)
        # smooth images compress as photos do; pure noise would make zlib the whole story
        base = rng.integers(0, 256, (size // 8 + 1, size // 8 + 1, 3), dtype=np.uint8)
        pixels = np.kron(base, np.ones((8, 8, 1), np.uint8))[:size, :size]
        Image.fromarray(pixels, "RGB").save(os.path.join(folder, f"img_{i:06d}.png"))
    open(marker, "w").close()
    return root


def kerasite_pass(root, target):
    from kerasite.utils import image_dataset_from_directory

    ds = image_dataset_from_directory(root, image_size=(target, target), batch_size=32,
                                      seed=0, verbose=False)
    n = 0
    for x, _ in ds:
        n += len(x)
    return n


def tf_pass(root, target):
    import tensorflow as tf

    ds = tf.keras.utils.image_dataset_from_directory(root, image_size=(target, target),
                                                     batch_size=32, seed=0, verbose=False)
    n = 0
    for x, _ in ds:
        n += int(x.shape[0])
    return n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=128, help="side of the PNGs written")
    parser.add_argument("--target", type=int, default=96, help="side they are resized to")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", default=None,
                        help="where to write the PNGs (default: a folder in the temp dir)")
    args = parser.parse_args(argv)
    root = args.folder or os.path.join(tempfile.gettempdir(),
                                       f"kerasite_png_bench_{args.images}_{args.size}")
    t = time.perf_counter()
    write_folder(root, args.images, args.size)
    print(f"folder: {root} ({args.images} PNGs of {args.size}x{args.size}, "
          f"{time.perf_counter() - t:.1f} s to prepare)")
    runners = {"kerasite": kerasite_pass}
    try:
        import tensorflow  # noqa: F401

        runners["tf.keras"] = tf_pass
    except ImportError:
        print("TensorFlow is not installed: timing kerasite alone.")
    times = {name: [] for name in runners}
    for rnd in range(args.rounds + 1):  # round 0 warms the page cache and the imports
        for name, run in (runners.items() if rnd % 2 == 0 else reversed(runners.items())):
            t = time.perf_counter()
            n = run(root, args.target)
            elapsed = time.perf_counter() - t
            if rnd:
                times[name].append(elapsed)
            assert n == args.images, (name, n)
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name:>9}: {args.images / median:8.0f} images/s  (median of {len(ts)} passes, "
              f"{median:.2f} s each)")
    if len(times) == 2:
        ratio = statistics.median(times["kerasite"]) / statistics.median(times["tf.keras"])
        verdict = "PASS" if ratio <= 1.0 else "MISS"
        print(f"kerasite / tf.keras time: {ratio:.2f}x  [{verdict}: target <= 1.0x]")


if __name__ == "__main__":
    main()
