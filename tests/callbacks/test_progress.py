"""The progress bar: every metric of every epoch visible at any width, like Keras's.

``fit(verbose=1)`` runs in a real pseudo-terminal of 80 and of 0 columns. What
it writes is replayed through a small terminal model (carriage return, line
feed, automatic wrap at the last column), and each epoch's text on screen
must contain every metric with its value.
"""

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.callbacks import CallbackList, ProgressBar
from kerasite.callbacks.progress import format_duration, format_logs, wrap_items

WORKER = Path(__file__).with_name("_progress_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def screen(text, width):
    """The rows a terminal of ``width`` columns shows for ``text`` (``None``: no wrap)."""
    rows, row, col = [[]], 0, 0
    for ch in text:
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row, col = row + 1, 0
            if row == len(rows):
                rows.append([])
        else:
            if width is not None and col >= width:  # the terminal wraps the line itself
                row, col = row + 1, 0
                if row == len(rows):
                    rows.append([])
            cells = rows[row]
            cells.extend(" " * (col + 1 - len(cells)))
            cells[col] = ch
            col += 1
    shown = ["".join(cells).rstrip() for cells in rows]
    return shown[:-1] if shown and not shown[-1] else shown  # the cursor's empty last row


def run_in_terminal(columns, epochs):
    import fcntl
    import pty  # noqa: F401  (POSIX only; the skip below covers other systems)
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, str(WORKER), str(epochs)], stdin=slave,
                            stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stderr = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 0, stderr
    history = json.loads(stderr.strip().splitlines()[-1])
    return b"".join(chunks).decode("utf-8", errors="replace"), history


def epoch_blocks(rows, epochs):
    """The rows from each ``Epoch k/N`` header to the next."""
    starts = [i for i, r in enumerate(rows) if r.startswith("Epoch ")]
    assert [rows[i] for i in starts] == [f"Epoch {e + 1}/{epochs}" for e in range(epochs)]
    return [rows[a + 1:b] for a, b in zip(starts, [*starts[1:], len(rows)])]


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("columns", [80, 0])
def test_every_metric_of_every_epoch_is_visible_in_a_terminal(columns):
    epochs = 3
    text, history = run_in_terminal(columns, epochs)
    assert "\r" in text  # it really drew a bar in place
    rows = screen(text, columns or None)
    blocks = epoch_blocks(rows, epochs)
    keys = ["loss", "accuracy", "mae", "mse", "val_loss", "val_accuracy", "val_mae", "val_mse"]
    assert sorted(history) == sorted(keys)
    for epoch, block in enumerate(blocks):
        shown = " ".join(block)
        assert block and all(r.strip() for r in block), f"blank line in epoch {epoch + 1}"
        assert shown.startswith("5/5 ") and "/step" in shown  # 80 training samples / 16
        for key in keys:
            value = history[key][epoch]
            assert abs(value) > 1e-3  # so Keras's format is four decimals
            assert f"{key}: {value:.4f}" in shown, (key, block)
        if columns:
            assert all(len(r) <= columns for r in block)
            assert len(block) > 1  # the 8 metrics do not fit in 80 columns: wrapped, not cut


# ------------------------------------------------------------------ formatting
def test_values_are_formatted_as_keras_formats_them():
    # Keras 3's Progbar: "%.4f" when |v| > 1e-3, else "%.4e"; seconds, ms or us per step.
    assert format_logs({"loss": 0.123456, "lr": 1e-4, "n": 3}) == \
        "loss: 0.1235 - lr: 1.0000e-04 - n: 3"
    assert format_logs({"loss": np.float32(0.5), "time": 1.0}) == "loss: 0.5000"
    assert [format_duration(s) for s in (2.4, 0.0153, 0.00084, 0.0)] == \
        ["2s", "15ms", "840us", "0s"]


def test_wrapping_breaks_only_between_items():
    items = ["loss: 0.1234", "accuracy: 0.9000", "val_loss: 0.2000", "val_accuracy: 0.8000"]
    lines = wrap_items("10/10 ━━ 0s 1ms/step", items, 40)
    assert lines == ["10/10 ━━ 0s 1ms/step - loss: 0.1234",
                     "  - accuracy: 0.9000 - val_loss: 0.2000",
                     "  - val_accuracy: 0.8000"]
    # Narrower than one item: each item on its own line, none cut.
    assert wrap_items("h", items[:2], 5) == ["h", "  - loss: 0.1234", "  - accuracy: 0.9000"]


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([kerasite.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model, x, x.sum(axis=1, keepdims=True)


def test_not_a_terminal_gives_one_clean_line_per_epoch(capsys):
    model, x, y = _data()
    history = model.fit(x, y, epochs=3, batch_size=16, validation_data=(x, y), verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines):
        assert line.startswith(f"Epoch {epoch + 1}/3 - 3/3 - ") and "/step - loss: " in line
        for key, values in history.history.items():
            assert f"{key}: {values[epoch]:.4f}" in line
    assert "\r" not in "".join(lines) and "━" not in "".join(lines)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_bar_redrawn_sparingly_and_a_final_line():
    model, x, y = _data(n=2000)
    terminal = FakeTerminal()
    model.fit(x, y, epochs=1, batch_size=1, verbose=0, callbacks=[ProgressBar(file=terminal)])
    out = terminal.getvalue()
    rows = screen(out, 80)
    assert rows[0] == "Epoch 1/1"
    assert rows[1].startswith("2000/2000 " + "━" * 20 + " ") and "/step - loss: " in rows[1]
    # 2,000 batches but only a handful of redraws: one per refresh interval at most.
    assert out.count("\r") < 2000 / 10


def test_evaluate_and_predict_progress_with_the_sample_count():
    # The callback-level contract the engine's evaluate/predict use: params carry
    # the steps and samples; outside fit, the on_test_* hooks draw a bar.
    out = io.StringIO()
    bar = ProgressBar(verbose=1, file=out)
    hooks = CallbackList([bar], params={"steps": 3, "samples": 70, "verbose": 1})
    hooks.on_test_begin()
    for step in range(3):
        hooks.on_test_batch_begin(step)
        hooks.on_test_batch_end(step, {"loss": 0.5, "accuracy": 0.25})
    hooks.on_test_end({"loss": 0.5, "accuracy": 0.25})
    line, = out.getvalue().splitlines()
    assert line.startswith("Evaluate on 70 samples - 3/3 - 0s - ")
    assert line.endswith("/step - loss: 0.5000 - accuracy: 0.2500")

    terminal = FakeTerminal()
    hooks = CallbackList([ProgressBar(file=terminal)], params={"steps": 2, "samples": 50})
    hooks.on_predict_begin()
    for step in range(2):
        hooks.on_predict_batch_end(step, {"outputs": np.zeros((25, 1))})
    hooks.on_predict_end()
    rows = screen(terminal.getvalue(), 80)
    assert rows[0] == "Predict on 50 samples" and rows[1].startswith("2/2 " + "━" * 20)


def test_validation_inside_fit_draws_no_evaluate_bar(capsys):
    model, x, y = _data()
    model.fit(x, y, epochs=1, validation_data=(x, y), verbose=2)
    assert "Evaluate" not in capsys.readouterr().out


def test_an_ascii_terminal_gets_an_ascii_bar():
    class AsciiTerminal(FakeTerminal):
        encoding = "ascii"

    terminal = AsciiTerminal()
    hooks = CallbackList([ProgressBar(file=terminal)], params={"epochs": 1, "steps": 2})
    hooks.on_train_begin()
    hooks.on_epoch_begin(0)
    hooks.on_train_batch_end(0, {"loss": 1.0})
    hooks.on_train_batch_end(1, {"loss": 1.0})
    hooks.on_epoch_end(0, {"loss": 1.0})
    terminal.getvalue().encode("ascii")  # no UnicodeEncodeError
    assert "2/2 " + "=" * 20 in terminal.getvalue()
