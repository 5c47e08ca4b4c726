"""Classify a folder of PNG images: image_dataset_from_directory and a small convnet.

keras.io's "Image classification from scratch" starts from a folder with one
subfolder of images per class. This example makes such a folder: it writes
Fashion-MNIST images as PNG files, one subfolder per class, named so that
sorting them gives the labels' order (``0_T-shirt_top``, ``1_Trouser``, ...).
``kerasite.utils.image_dataset_from_directory`` then reads it as Keras does:
the labels come from the subfolders, a fifth of the files is held out for
validation with a seed, and images are read batch by batch, only when the
loop asks for them. A small convnet (RandomFlip and RandomTranslation for
augmentation, active only while training, then Rescaling, two Conv2D +
MaxPooling2D blocks, Dropout and a softmax Dense layer) learns from the batches
with ``fit(train_ds, validation_data=val_ds)``, as keras.io's example does, and
the held-out files measure it.

Run:
    python examples/image_folder_classifier.py                    # 3,000 images, 4 epochs
    python examples/image_folder_classifier.py --images 1000 --epochs 2   # a quick look

Figures (the first batch with its class names, the training curves) go to
--out (default runs/<timestamp>); the PNG folder goes to --folder (default a
temporary folder, deleted at the end).
"""

import argparse
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import kerasite
from kerasite import datasets, layers, plotting
from kerasite.utils import image_dataset_from_directory, save_img


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000,
                        help="PNG files to write from the training set (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=4,
                        help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="images per batch (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=123,
                        help="seed of the split, the shuffling and the weights "
                        "(default: %(default)s)")
    parser.add_argument("--folder", default=None,
                        help="where to write the PNG folder (default: a temporary folder)")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                        help="fit's output: 0 silent, 1 progress bar, 2 one line per epoch "
                             "(default: %(default)s)")
    parser.add_argument("--out", default=None, help="figures folder (default: runs/<timestamp>)")
    return parser.parse_args(argv)


def write_png_folder(root, n_images, seed):
    """Writes the first ``n_images`` Fashion-MNIST training images as root/<class>/<i>.png."""
    (x_train, y_train), _ = datasets.fashion_mnist.load_data()
    names = [f"{i}_{name.replace('/', '_').replace(' ', '_')}"
             for i, name in enumerate(datasets.fashion_mnist.CLASS_NAMES)]
    for name in names:
        os.makedirs(os.path.join(root, name), exist_ok=True)
    for i in range(n_images):
        # (28, 28, 1) uint8 pixels, written as they are (scale=False keeps 0..255)
        save_img(os.path.join(root, names[y_train[i]], f"{i:05d}.png"), x_train[i][..., None],
                 scale=False)
    return names


def build_model(n_classes):
    return kerasite.Sequential([
        kerasite.Input((28, 28, 1)),
        layers.RandomFlip("horizontal"),  # clothes look the same mirrored
        layers.RandomTranslation(0.1, 0.1),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(n_classes, activation="softmax"),
    ])


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out or Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    kerasite.utils.set_random_seed(args.seed)
    folder = args.folder or tempfile.mkdtemp(prefix="fashion_png_")
    try:
        start = time.perf_counter()
        write_png_folder(folder, args.images, args.seed)
        print(f"wrote {args.images} PNG files to 10 class folders "
              f"in {time.perf_counter() - start:.1f} s")

        # ---- the folder as two lazy datasets ----------------------------------
        train_ds, val_ds = image_dataset_from_directory(
            folder, validation_split=0.2, subset="both", seed=args.seed,
            color_mode="grayscale", image_size=(28, 28), batch_size=args.batch_size)
        print(f"class_names: {train_ds.class_names}")
        print(f"{len(train_ds)} training and {len(val_ds)} validation batches "
              f"of up to {args.batch_size}")
        images, labels = next(iter(train_ds))
        print(f"one batch: images {images.shape} {images.dtype}, labels {labels.shape} "
              f"{labels.dtype}, pixel values {images.min():.0f}..{images.max():.0f}")
        plot_batch(images, labels, train_ds.class_names, out / "first_batch.png")

        # ---- a small convnet, trained on the datasets as keras.io's is --------------
        model = build_model(len(train_ds.class_names))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        start = time.perf_counter()
        history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs,
                            verbose=args.verbose).history
        seconds = time.perf_counter() - start
        print(f"{args.epochs} epochs in {seconds:.0f} s, reading every image from disk "
              "each epoch")
        print(f"validation accuracy {history['val_accuracy'][-1]:.4f}")
        plotting.plot_history(history, path=out / "history.png",
                              title=f"A folder of {args.images:,} Fashion-MNIST PNGs, small "
                                    "convnet: training and validation")
        print(f"\nfigures are in {out}/")
        return history
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


def plot_batch(images, labels, class_names, path, n=12):
    """The first ``n`` images of a batch with the class name read from their folder."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(n, len(images))
    fig, axes = plt.subplots(2, (n + 1) // 2, figsize=(1.6 * ((n + 1) // 2), 3.8))
    for ax, image, label in zip(axes.ravel(), images, labels):
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(class_names[label].split("_", 1)[1], fontsize=8)
        ax.axis("off")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle("A training batch from image_dataset_from_directory")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
