"""Randomly damaged ``.h5`` and ``.weights.h5`` files: a clean error or the original weights.

Seeded byte flips, truncations and inserted bytes at random offsets of a
small model's files. Each damaged file is loaded with the loader's own
deadline (the HDF5 worker process is killed when it passes); each must
either load, or raise a ValueError or OSError whose message names the file,
within the deadline, and a refused load must leave the model as it was.

What "load" may give: HDF5 keeps no checksum of a dataset's bytes, so damage
inside a weight's stored bytes (or bytes inserted before them, which shift
them) loads as other numbers, in Keras as in kerasite. Such a weight may
differ; every other weight must come back bit for bit.
(``.kerasite`` files have CRC-32s and refuse that damage: see docs/guarantees.md.)
"""
import time

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

from kerasite import Sequential, layers  # noqa: E402
from kerasite.models import load_model  # noqa: E402
from kerasite.saving.keras import _h5_guard  # noqa: E402

FILES_PER_FORMAT = 90  # about 30 s a format on a quiet 2-core machine
DEADLINE = 20.0  # seconds per file: generous, so a busy machine does not fail the test

# (dataset in each format) -> (layer, kerasite weight key)
_DATASETS = {
    "h5": {"model_weights/conv2d/conv2d/kernel": ("conv2d", "W"),
           "model_weights/conv2d/conv2d/bias": ("conv2d", "b"),
           "model_weights/dense/dense/kernel": ("dense", "W"),
           "model_weights/dense/dense/bias": ("dense", "b")},
    "weights.h5": {"layers/conv2d/vars/0": ("conv2d", "W"), "layers/conv2d/vars/1": ("conv2d", "b"),
                   "layers/dense/vars/0": ("dense", "W"), "layers/dense/vars/1": ("dense", "b")},
}


def _model(seed):
    model = Sequential([layers.Conv2D(2, 3, input_shape=(6, 6, 1), name="conv2d"),
                        layers.Flatten(name="flatten"), layers.Dense(3, name="dense")])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for value in layer.params.values():
            value[...] = rng.normal(size=value.shape)
    return model


def _regions(path, kind):
    """(start, end, (layer, key)) of each weight's stored bytes in the undamaged file."""
    out = []
    with h5py.File(path, "r") as f:
        for name, weight in _DATASETS[kind].items():
            start = f[name].id.get_offset()
            out.append((start, start + f[name].id.get_storage_size(), weight))
    return out


def _damage(data, rng):
    """(damaged bytes, the first offset whose bytes changed or moved, how)."""
    how = rng.choice(["flip", "flip", "truncate", "insert"])
    if how == "truncate":
        cut = int(rng.integers(0, len(data)))
        return data[:cut], cut, f"truncated to {cut} bytes"
    if how == "insert":
        at = int(rng.integers(0, len(data)))
        extra = rng.integers(0, 256, size=int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
        return data[:at] + extra + data[at:], at, f"{len(extra)} bytes inserted at {at}"
    damaged = bytearray(data)
    offsets = sorted(int(o) for o in rng.choice(len(data), size=int(rng.integers(1, 5)),
                                                replace=False))
    for o in offsets:
        damaged[o] ^= int(rng.integers(1, 256))
    return bytes(damaged), offsets, f"bytes flipped at {offsets}"


def _changed(regions, where):
    """The weights whose stored bytes the damage touched (or moved)."""
    if isinstance(where, list):  # flips: only the regions holding one
        return {w for start, end, w in regions if any(start <= o < end for o in where)}
    return {w for start, end, w in regions if end > where}  # a cut or a shift from `where` on


def _weights(model):
    return {(layer.name, key): value.copy() for layer in model.layers
            for key, value in layer.params.items()}


@pytest.mark.parametrize("kind", ["h5", "weights.h5"])
@pytest.mark.slow
def test_damaged_hdf5_files_load_the_original_weights_or_fail_cleanly(tmp_path, kind,
                                                                      monkeypatch):
    monkeypatch.setattr(_h5_guard, "DEADLINE", DEADLINE)
    original = _model(seed=1)
    source = tmp_path / f"model.{kind}"
    if kind == "h5":
        original.save(source)
    else:
        original.save_weights(source)
    expected = _weights(original)
    regions = _regions(source, kind)
    data = source.read_bytes()
    rng = np.random.default_rng(20261207 + len(kind))
    target = _model(seed=2)  # .weights.h5 loads into it; a refused load must not touch it
    untouched = _weights(target)
    failures, outcomes = [], {"loaded": 0, "ValueError": 0, "OSError": 0}
    for i in range(FILES_PER_FORMAT):
        damaged, where, how = _damage(data, rng)
        path = tmp_path / f"damaged{i}.{kind}"
        path.write_bytes(damaged)
        start = time.monotonic()
        try:
            if kind == "h5":
                got = _weights(load_model(path, compile=False))
            else:
                target.load_weights(path)
                got = _weights(target)
        except (ValueError, OSError) as exc:
            outcomes[type(exc).__name__ if type(exc) in (ValueError,) else "OSError"] += 1
            if str(path) not in str(exc):
                failures.append(f"{how}: {type(exc).__name__} without the file's name: {exc}")
            if kind == "weights.h5" and any(not np.array_equal(untouched[k], v)
                                            for k, v in _weights(target).items()):
                failures.append(f"{how}: a refused load changed the model")
        except Exception as exc:  # noqa: BLE001  (the test's point: no other error type)
            failures.append(f"{how}: raw {type(exc).__name__}: {exc!s:.200}")
        else:
            outcomes["loaded"] += 1
            may_differ = _changed(regions, where)
            wrong = sorted(k for k, v in expected.items()
                           if k not in may_differ and not np.array_equal(got.get(k), v))
            if set(got) != set(expected) or wrong:
                failures.append(f"{how}: loaded with other weights {wrong}")
            if kind == "weights.h5":  # put the model back for the next file
                for (name, key), value in untouched.items():
                    target.get_layer(name).params[key][...] = value
        elapsed = time.monotonic() - start
        if elapsed > DEADLINE + 10:  # the deadline, plus building the model in the parent
            failures.append(f"{how}: took {elapsed:.1f} s")
        path.unlink()
    assert failures == []
    assert outcomes["ValueError"] + outcomes["OSError"] > FILES_PER_FORMAT // 3, outcomes
