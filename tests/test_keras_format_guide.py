"""The guide "When one CPU is not enough" (docs/guides/one-cpu.md) runs, end to end.

Its ``python`` blocks are kerasite code (tests/test_docs.py runs them too, on
their own); its ``py`` blocks marked ``<!-- keras: run -->`` are Keras 3 code.
Here they run in the page's order in one folder: kerasite trains and saves,
Keras on JAX (in a subprocess) continues the run, kerasite loads the result.
The several-device block is shown, not run: it is not marked.
"""
import os
import re

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite.models import load_model  # noqa: E402
from tests.test_keras_format import needs_keras, run_keras  # noqa: E402

GUIDE = os.path.join(os.path.dirname(__file__), "..", "docs", "guides", "one-cpu.md")
_BLOCK = re.compile(r"(?P<marker><!-- keras: run -->\n)?```(?P<lang>python|py)\n(?P<code>.*?)```",
                    re.S)


def _blocks():
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    return [("kerasite" if m["lang"] == "python" else "keras", m["code"])
            for m in _BLOCK.finditer(text) if m["lang"] == "python" or m["marker"]]


def test_the_guide_has_the_blocks_it_describes():
    kinds = [kind for kind, _ in _blocks()]
    assert kinds == ["kerasite", "keras", "keras", "kerasite"]
    # The several-device block is on the page, unmarked, so it is not run.
    with open(GUIDE, encoding="utf-8") as f:
        assert "DataParallel(devices=devices)" in f.read()


@pytest.mark.slow
@needs_keras
def test_the_guide_runs_from_kerasite_to_keras_and_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace, printed = {"__name__": "__guide__"}, []
    for kind, code in _blocks():
        if kind == "kerasite":
            exec(compile(code, GUIDE, "exec"), namespace)  # noqa: S102  (the page's own code)
        else:
            printed.append(run_keras(code, cwd=tmp_path))
    # Keras continued kerasite's run: 3 epochs of 32 batches were already counted.
    assert "optimizer steps so far: 96" in printed[1]
    x = np.load(tmp_path / "x.npy")
    np.testing.assert_allclose(load_model("classifier.keras").predict(x, verbose=0),
                               np.load(tmp_path / "keras_predictions.npy"),
                               rtol=2e-5, atol=2e-6)
