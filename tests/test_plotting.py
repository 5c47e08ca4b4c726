"""Tests for kerasite/plotting/ (but plot_model: test_plot_model.py), mostly with fake
models and fake histories; the conv plots use small real layers."""

import os
import subprocess
import sys

from pathlib import Path

import numpy as np
import pytest

from kerasite import plotting

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    """The plots' figures live in pyplot until closed: close them after each test."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


class HalfModel:
    """Reconstructs every input at half brightness and records what it was given."""

    def __init__(self):
        self.seen = None

    def predict(self, x):
        self.seen = np.array(x)
        return np.asarray(x, dtype=float) * 0.5


class FakeHistory:
    def __init__(self, history, epoch):
        self.history = history
        self.epoch = epoch


def assert_png(path):
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_SIGNATURE


# ---------------------------------------------------------------- plot_history


def test_history_loss_only_one_panel(tmp_path):
    fig = plotting.plot_history({"loss": [1.0, 0.6, 0.4]}, path=tmp_path / "h.png")
    assert len(fig.axes) == 1
    (line,) = fig.axes[0].lines
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.6, 0.4])
    assert_png(tmp_path / "h.png")


def test_history_object_with_metrics_two_panels(tmp_path):
    history = FakeHistory(
        {
            "loss": [0.9, 0.5],
            "val_loss": [1.0, 0.7],
            "accuracy": [0.6, 0.8],
            "val_accuracy": [0.5, 0.7],
            "learning_rate": [0.01, 0.01],
            "time": [0.2, 0.3],  # added by the Timer callback: not a metric
        },
        epoch=[3, 4],  # e.g. fit(initial_epoch=3)
    )
    path = tmp_path / "deep" / "dir" / "history.png"
    fig = plotting.plot_history(history, path=path)
    assert len(fig.axes) == 2
    loss_ax, metric_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train loss", "validation loss"]
    assert [line.get_label() for line in metric_ax.lines] == [
        "train accuracy",
        "validation accuracy",
    ]
    np.testing.assert_array_equal(loss_ax.lines[1].get_xdata(), [4, 5])
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), [1.0, 0.7])
    assert_png(path)


def test_history_errors():
    with pytest.raises(
        ValueError, match=r'must have a "loss" key .* Received the keys \[\'accuracy\'\]'
    ):
        plotting.plot_history({"accuracy": [0.5]})
    with pytest.raises(ValueError, match=r'`history\["loss"\]` is empty'):
        plotting.plot_history({"loss": []})
    with pytest.raises(
        ValueError,
        match=r"one value per epoch, like \"loss\" \(3\)\. Received lengths \{'val_loss': 2\}",
    ):
        plotting.plot_history({"loss": [1, 2, 3], "val_loss": [1, 2]})
    with pytest.raises(
        TypeError, match=r"`history` must be the History returned by fit\(\) or a dict"
    ):
        plotting.plot_history([1.0, 0.5])


# -------------------------------------------------------- plot_reconstructions


@pytest.mark.parametrize("shape", [(30, 28, 28), (30, 784), (30, 8, 8), (30, 64), (30, 8, 8, 1)])
def test_reconstructions_layout(tmp_path, shape):
    x = np.random.default_rng(0).random(shape)
    model = HalfModel()
    path = (
        tmp_path / "r.png" if x.ndim == 3 and x.shape[1] == 28 else None
    )  # saving is slow; once is enough
    fig = plotting.plot_reconstructions(model, x, n=6, seed=1, path=path)
    assert len(fig.axes) == 12
    assert all(len(ax.images) == 1 for ax in fig.axes)
    side = 28 if 784 in shape or 28 in shape else 8
    idx = np.random.default_rng(1).choice(len(x), 6, replace=False)
    np.testing.assert_array_equal(model.seen, x[idx])
    for col in range(6):
        top, bottom = fig.axes[col].images[0], fig.axes[6 + col].images[0]
        np.testing.assert_allclose(top.get_array(), x[idx[col]].reshape(side, side))
        np.testing.assert_allclose(bottom.get_array(), 0.5 * x[idx[col]].reshape(side, side))
    if path is not None:
        assert_png(path)


def test_reconstructions_same_seed_same_images():
    x = np.random.default_rng(0).random((40, 64))
    a, b = HalfModel(), HalfModel()
    plotting.plot_reconstructions(a, x, n=5, seed=7)
    plotting.plot_reconstructions(b, x, n=5, seed=7)
    np.testing.assert_array_equal(a.seen, b.seen)
    assert len({row.tobytes() for row in a.seen}) == 5  # drawn without replacement


def test_reconstructions_errors():
    x = np.zeros((5, 64))
    with pytest.raises(
        ValueError, match=r"`n` must be between 1 and len\(x\)=5, .* Received: n=6\."
    ):
        plotting.plot_reconstructions(HalfModel(), x, n=6)
    with pytest.raises(ValueError, match=r"Received: n=0"):
        plotting.plot_reconstructions(HalfModel(), x, n=0)
    with pytest.raises(TypeError, match=r"`n` must be an integer\. Received: n=2\.0"):
        plotting.plot_reconstructions(HalfModel(), x, n=2.0)
    with pytest.raises(TypeError, match=r"`model` must have a predict\(x\) method"):
        plotting.plot_reconstructions(object(), x, n=2)
    with pytest.raises(ValueError, match=r"square number of pixels .* Received 10 values"):
        plotting.plot_reconstructions(HalfModel(), np.zeros((5, 10)), n=2)

    class Classifier:
        def predict(self, x):
            return np.zeros((len(x), 10))

    with pytest.raises(
        ValueError, match=r"one reconstruction per image, each with 64 values .* \(2, 10\)"
    ):
        plotting.plot_reconstructions(Classifier(), x, n=2)


# ------------------------------------------------------- plot_confusion_matrix


def cell_texts(ax):
    """The numbers written in the cells, as a matrix indexed [row, col]."""
    k = len(ax.get_xticks())
    counts = np.zeros((k, k), dtype=int)
    for text in ax.texts:
        col, row = (int(round(v)) for v in text.get_position())
        counts[row, col] = int(text.get_text())
    return counts


def test_confusion_matrix_counts_by_hand(tmp_path):
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 2, 2, 2, 0, 2]
    # Rows: true class; columns: predicted class.
    expected = np.array(
        [
            [2, 1, 0],  # class 0: two right, one taken for 1
            [0, 1, 1],  # class 1: one right, one taken for 2
            [1, 0, 3],  # class 2: three right, one taken for 0
        ]
    )
    fig = plotting.plot_confusion_matrix(
        y_true, y_pred, labels=["cat", "dog", "owl"], path=tmp_path / "cm.png"
    )
    assert len(fig.axes) == 1
    (ax,) = fig.axes
    assert len(ax.images) == 1 and len(ax.texts) == 9
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    np.testing.assert_array_equal(cell_texts(ax), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "owl"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "owl"]
    assert_png(tmp_path / "cm.png")


def test_confusion_matrix_from_scores_and_without_labels():
    y_true = np.eye(4)[[0, 1, 3, 3]]  # one-hot; class 2 never occurs but still gets a row
    scores = np.array([[0.9, 0.1, 0, 0], [0.2, 0.7, 0.1, 0], [0, 0, 0.6, 0.4], [0, 0, 0, 1]])
    fig = plotting.plot_confusion_matrix(y_true, scores)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3"]
    assert ax.images[0].get_array()[3].tolist() == [0, 0, 1, 1]


def test_confusion_matrix_string_classes():
    fig = plotting.plot_confusion_matrix(["b", "a", "b"], ["b", "b", "b"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.images[0].get_array().tolist() == [[0, 1], [0, 2]]


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"Received: 3 true and 2 predicted"):
        plotting.plot_confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(
        ValueError, match=r"must be the integers 0\.\.1\. Received the classes \[2\]"
    ):
        plotting.plot_confusion_matrix([0, 1, 2], [0, 1, 1], labels=["no", "yes"])
    with pytest.raises(ValueError, match=r"are empty"):
        plotting.plot_confusion_matrix([], [])


# ---------------------------------------------------------------------- general


def test_figures_are_managed_by_pyplot_without_a_display(tmp_path):
    # On a machine without a display pyplot picks a non-interactive backend by itself:
    # the figure is among plt.get_fignums(), fig.show() and plt.show() do not raise.
    code = (
        "import sys, warnings\n"
        "from kerasite import plotting\n"
        "assert 'matplotlib' not in sys.modules\n"
        "import matplotlib.pyplot as plt\n"
        "fig = plotting.plot_confusion_matrix([0, 1], [1, 1], path='cm.png')\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')  # 'non-interactive, cannot be shown'\n"
        "    fig.show(); plt.show()\n"
        "print(plt.get_fignums() == [fig.number])\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "True"


def test_a_saved_figure_stays_open_until_closed(tmp_path):
    import matplotlib.pyplot as plt

    fig = plotting.plot_history({"loss": [1.0, 0.5]}, path=tmp_path / "h.png")
    assert fig.number in plt.get_fignums()
    plt.close(fig)
    assert fig.number not in plt.get_fignums()


@pytest.mark.parametrize("name, magic", [("curve.pdf", b"%PDF"), ("curve.svg", b"<?xml"),
                                         ("curve.PNG", PNG_SIGNATURE)])
def test_the_extension_chooses_the_format(tmp_path, name, magic):
    plotting.plot_history({"loss": [1.0, 0.5]}, path=tmp_path / name)
    data = (tmp_path / name).read_bytes()
    assert data.startswith(magic)
    if name.endswith(".svg"):
        assert b"<svg" in data[:1000]


def test_dpi_sets_the_resolution_of_a_png(tmp_path):
    from PIL import Image

    fig = plotting.plot_confusion_matrix([0, 1], [1, 1], path=tmp_path / "a.png", dpi=50)
    plotting.plot_confusion_matrix([0, 1], [1, 1], path=tmp_path / "b.png")  # default: 150
    width, height = fig.get_size_inches()
    assert Image.open(tmp_path / "a.png").size == (round(width * 50), round(height * 50))
    assert Image.open(tmp_path / "b.png").size == (round(width * 150), round(height * 150))
    assert plotting.DEFAULT_DPI >= 150


@pytest.mark.parametrize("call", [
    lambda **kw: plotting.plot_history({"loss": [1.0]}, **kw),
    lambda **kw: plotting.plot_reconstructions(HalfModel(), np.zeros((2, 4)), n=1, **kw),
    lambda **kw: plotting.plot_confusion_matrix([0], [0], **kw),
    lambda **kw: plotting.plot_latent_space(HalfModel(), np.zeros((2, 2)), [0, 1], **kw),
])
def test_a_path_without_a_known_extension_or_a_bad_dpi_fails_before_plotting(tmp_path, call):
    import matplotlib.pyplot as plt

    with pytest.raises(ValueError, match=r"`path` must end in one of \.png, \.pdf, \.svg.*"
                                         r"Received: path='.*curve\.jpeg'"):
        call(path=tmp_path / "curve.jpeg")
    with pytest.raises(ValueError, match=r"`path` must end in one of .*Received: path='.*curve'"
                                         r"\. Add the extension, for example '.*curve\.png'"):
        call(path=tmp_path / "curve")
    with pytest.raises(ValueError, match=r"`dpi` must be a positive number .* Received: dpi=0"):
        call(dpi=0)
    assert plt.get_fignums() == [] and not list(tmp_path.iterdir())


# ------------------------------------------------------- what each figure says it shows
def test_history_titles_names_the_loss_and_colours_validation_apart():
    fig = plotting.plot_history({"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]},
                                title="digits, autoencoder 64-128-32-128-64", loss_name="MSE")
    ax = fig.axes[0]
    assert fig.get_suptitle() == "digits, autoencoder 64-128-32-128-64"
    assert ax.get_ylabel() == "MSE" and ax.get_title() == "Loss (MSE)"
    train, val = ax.get_lines()
    assert train.get_label() == "train MSE" and val.get_label() == "validation MSE"
    assert train.get_color() != val.get_color() and val.get_linestyle() == "--"


def test_history_reads_the_loss_name_from_the_model():
    class MeanSquaredError:
        pass

    history = FakeHistory({"loss": [1.0, 0.5]}, [0, 1])
    history.model = type("M", (), {"loss": MeanSquaredError()})()
    assert plotting.plot_history(history).axes[0].get_ylabel() == "MSE"
    assert plotting.plot_history({"loss": [1.0, 0.5]}).axes[0].get_ylabel() == "loss"


@pytest.mark.parametrize("losses, scale", [
    ([1.0, 0.2, 0.11], "linear"),       # spans less than a decade
    ([1.0, 0.2, 0.09], "log"),          # spans more than a decade
    ([1.0, 0.0, 0.001], "linear"),      # a zero cannot go on a log axis
])
def test_history_log_scale_when_the_loss_spans_more_than_a_decade(losses, scale):
    ax = plotting.plot_history({"loss": losses}).axes[0]
    assert ax.get_yscale() == scale
    assert ax.get_ylabel().endswith("(log scale)") == (scale == "log")


def test_history_log_scale_can_be_forced_and_is_checked():
    assert plotting.plot_history({"loss": [1.0, 0.9]}, log_scale=True).axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match=r"`log_scale` must be True, False or 'auto'\. Received"):
        plotting.plot_history({"loss": [1.0]}, log_scale="yes")


def test_reconstruction_rows_are_labelled_horizontally_and_titled():
    x = np.random.default_rng(0).random((6, 64))
    fig = plotting.plot_reconstructions(HalfModel(), x, n=3, seed=0, title="digits, 64-32-64")
    assert fig.get_suptitle() == "digits, 64-32-64"
    labels = [fig.axes[0].yaxis.label, fig.axes[3].yaxis.label]
    assert [label.get_text() for label in labels] == ["original", "reconstructed"]
    assert all(label.get_rotation() == 0 and label.get_fontsize() >= 12 for label in labels)


def test_confusion_matrix_title_and_class_names():
    names = ["T-shirt/top", "Trouser", "Pullover"]
    fig = plotting.plot_confusion_matrix([0, 1, 2, 2], [0, 1, 1, 2], labels=names,
                                         title="Fashion-MNIST, SVM")
    ax = fig.axes[0]
    assert ax.get_title() == "Fashion-MNIST, SVM\n(3 of 4 correct)"
    assert [t.get_text() for t in ax.get_yticklabels()] == names


# ----------------------------------------------------------- plot_latent_space
class CodesModel:
    """An 'encoder' that returns fixed codes, optionally as a VAE's [z_mean, z_log_var, z]."""

    def __init__(self, codes, as_list=False):
        self.codes, self.as_list = np.asarray(codes, dtype=float), as_list

    def predict(self, x, batch_size=None):
        assert len(x) == len(self.codes)
        return [self.codes, -self.codes, 2 * self.codes] if self.as_list else self.codes


def test_latent_space_2d_codes_as_they_are_with_ticks_at_band_centres(tmp_path):
    codes = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])
    names = ["cat", "dog", "owl"]
    fig = plotting.plot_latent_space(CodesModel(codes, as_list=True), np.zeros((4, 3)),
                                     np.array([0, 1, 2, 1]), class_names=names,
                                     path=tmp_path / "latent.png")
    ax, bar_ax = fig.axes
    (scatter,) = ax.collections
    np.testing.assert_array_equal(scatter.get_offsets(), codes)  # z_mean, the first output
    np.testing.assert_array_equal(scatter.get_array(), [0, 1, 2, 1])
    # Class i's band spans i - 0.5 .. i + 0.5: its tick is at i, its centre.
    np.testing.assert_array_equal(scatter.norm.boundaries, [-0.5, 0.5, 1.5, 2.5])
    np.testing.assert_array_equal(bar_ax.get_yticks(), [0, 1, 2])
    assert [t.get_text() for t in bar_ax.get_yticklabels()] == names
    assert ax.get_xlabel() == "z[0]" and "codes of 4 inputs" in ax.get_title()
    assert_png(tmp_path / "latent.png")


def test_latent_space_projects_wider_codes_on_their_principal_components():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(50, 5)) * [5.0, 2.0, 1.0, 0.5, 0.1]
    y = np.eye(4)[rng.integers(0, 4, 50)]  # one-hot labels
    fig = plotting.plot_latent_space(CodesModel(codes), np.zeros((50, 1)), y, title="t")
    points = fig.axes[0].collections[0].get_offsets()
    # Reference: scikit-learn's PCA; each component is defined up to its sign.
    from sklearn.decomposition import PCA

    pca = PCA(2).fit(codes)
    expected = pca.transform(codes)
    signs = np.sign(np.sum(points * expected, axis=0))
    np.testing.assert_allclose(points * signs, expected, atol=1e-9)
    share = pca.explained_variance_ratio_
    assert fig.axes[0].get_xlabel() == f"PC 1 ({100 * share[0]:.0f}% of the variance)"
    assert fig.axes[0].get_title() == "t"
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_array(), y.argmax(1))
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["0", "1", "2", "3"]


def test_latent_space_errors():
    with pytest.raises(TypeError, match=r"`encoder` must have a predict\(x\) method"):
        plotting.plot_latent_space(object(), np.zeros((2, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"at least 2 dimensions .* Received codes of shape "
                                         r"\(3, 1\)"):
        plotting.plot_latent_space(CodesModel(np.zeros((3, 1))), np.zeros((3, 1)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"`y` must give one class per input: 3 codes\. "
                                         r"Received: y of shape \(2,\)"):
        plotting.plot_latent_space(CodesModel(np.zeros((3, 2))), np.zeros((3, 1)), [0, 1])
    with pytest.raises(ValueError, match=r"integers 0\.\.1, one per name of `class_names`\. "
                                         r"Received classes from 0 to 2"):
        plotting.plot_latent_space(CodesModel(np.zeros((3, 2))), np.zeros((3, 1)), [0, 1, 2],
                                   class_names=["a", "b"])


# ------------------------------------------------ plot_conv_filters, plot_feature_maps
def _conv(filters, channels, name="conv"):
    from kerasite import layers

    conv = layers.Conv2D(filters, 3, name=name)
    conv.build((None, 8, 8, channels))
    return conv


def test_conv_filters_one_image_per_filter_on_one_diverging_scale(tmp_path):
    conv = _conv(5, 2)
    conv.W[...] = np.arange(conv.W.size, dtype=conv.W.dtype).reshape(conv.W.shape) - 40
    fig = plotting.plot_conv_filters(conv, path=tmp_path / "f.svg")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5
    limit = float(np.abs(np.asarray(conv.W).mean(axis=2)).max())  # of what is drawn: the means
    for i, image in enumerate(images):
        np.testing.assert_allclose(image.get_array(), conv.W[:, :, :, i].mean(axis=2))
        assert image.get_clim() == (-limit, limit)
    assert "conv: 5 of 5 filters, 3x3, mean over 2 input channels" in " ".join(
        fig.get_suptitle().splitlines())
    one = plotting.plot_conv_filters(conv, channel=1, max_filters=2)
    shown = [ax.images[0].get_array() for ax in one.axes if ax.images]
    assert len(shown) == 2
    np.testing.assert_allclose(shown[1], conv.W[:, :, 1, 1])
    assert (tmp_path / "f.svg").read_bytes().startswith(b"<?xml")


def test_conv_filters_on_three_channels_are_rgb_scaled_to_0_1():
    conv = _conv(4, 3)
    fig = plotting.plot_conv_filters(conv)
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    w = np.asarray(conv.W, dtype=float)
    scaled = (w - w.min()) / (w.max() - w.min())
    assert images[2].shape == (3, 3, 3)
    np.testing.assert_allclose(images[2], scaled[..., 2], rtol=1e-6)


def test_conv_filters_errors():
    from kerasite import layers

    dense = layers.Dense(3, name="dense_x")
    dense.build((None, 4))
    with pytest.raises(ValueError, match=r"`layer` must be a built Conv2D layer.* Dense "
                                         r"'dense_x' with kernel \(4, 3\)"):
        plotting.plot_conv_filters(dense)
    with pytest.raises(ValueError, match=r"`channel` must be between 0 and 1.* channel=2"):
        plotting.plot_conv_filters(_conv(2, 2), channel=2)


def _feature_model():
    import kerasite
    from kerasite import layers

    model = kerasite.Sequential([kerasite.Input((5, 5, 1)), layers.Conv2D(2, 3, name="conv"),
                                 layers.Flatten(), layers.Dense(2, name="head")], name="tiny")
    conv = model.get_layer("conv")
    conv.W[...] = 0.0
    conv.W[..., 0, 0] = 1.0   # filter 0 sums its 3x3 window
    conv.W[..., 0, 1] = 2.0   # filter 1 doubles that
    conv.b[...] = [0.0, -1.0]
    return model


def test_feature_maps_by_hand(tmp_path):
    image = np.ones((5, 5))  # (rows, cols): the channel axis is added
    fig = plotting.plot_feature_maps(_feature_model(), "conv", image, path=tmp_path / "m.pdf")
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(shown) == 3  # the input, then 2 maps
    np.testing.assert_array_equal(shown[0], np.ones((5, 5)))
    np.testing.assert_allclose(shown[1], np.full((3, 3), 9.0))    # 9 ones
    np.testing.assert_allclose(shown[2], np.full((3, 3), 17.0))   # 2 * 9 - 1
    title = " ".join(fig.get_suptitle().splitlines())  # wrapped to the figure's width
    assert title.startswith("conv (Conv2D) of model 'tiny': 2 of 2 feature maps")
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")


def test_feature_maps_errors():
    model = _feature_model()
    with pytest.raises(ValueError, match=r"Layer 'head' must give maps of shape \(batch, rows, "
                                         r"cols, channels\).* \(None, 2\)"):
        plotting.plot_feature_maps(model, "head", np.ones((5, 5, 1)))
    with pytest.raises(ValueError, match=r"`image` must be one input of shape \(5, 5, 1\) .* "
                                         r"Received: image of shape \(2, 5, 5, 1\)"):
        plotting.plot_feature_maps(model, "conv", np.ones((2, 5, 5, 1)))


def test_a_long_confusion_matrix_title_wraps_to_the_figure():
    title = ("8x8 digits test set: RBF SVM on the codes of the dense autoencoder "
             "64-128-32-128-64")
    fig = plotting.plot_confusion_matrix(np.arange(10), np.arange(10), title=title)
    lines = fig.axes[0].get_title().splitlines()
    assert len(lines) == 3 and lines[-1] == "(10 of 10 correct)"
    assert " ".join(lines[:-1]) == title and all(len(line) <= 52 for line in lines)
