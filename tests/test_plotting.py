"""Tests for kerasite/plotting.py, with a fake model and fake histories (no engine needed)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from kerasite import plotting

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


def test_plotting_does_not_need_pyplot_or_a_display():
    code = (
        "import sys, numpy as np\n"
        "assert 'matplotlib' not in sys.modules\n"
        "from kerasite import plotting\n"
        "assert 'matplotlib' not in sys.modules\n"
        "plotting.plot_confusion_matrix([0, 1], [1, 1])\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"


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
