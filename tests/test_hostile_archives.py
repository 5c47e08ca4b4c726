"""Hostile `.keras` and `.kerasite` files: the zip container, configs, optimizer state (issue 25).

Every reproducer is built here, in tmp_path, from a model kerasite saves and
then alters byte by byte or member by member. Each must be refused with a
ValueError or OSError naming the file, before it can take memory.
"""
import io
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasite
from kerasite import Model, Sequential, layers
from kerasite.models import load_model
from kerasite.saving import _guards

h5py = pytest.importorskip("h5py", reason="h5py is not installed: python -m pip install -e '.[keras]'")

X = np.random.default_rng(0).random((8, 3)).astype("float32")


def _small_model(optimizer="adam", fit=True):
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                        layers.Dense(1, name="out")], name="small")
    model.compile(optimizer=optimizer, loss="mse")
    if fit:
        model.fit(X, X[:, :1], epochs=1, verbose=0)
    return model


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _write(path, members, compression=zipfile.ZIP_STORED):
    """A zip holding ``members`` ``[(name, bytes)]``, in order (names may repeat)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a repeated name
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def _saved(tmp_path, name="m.keras", **kwargs):
    path = str(tmp_path / name)
    _small_model(**kwargs).save(path)
    return path


def _edit_config(path, edit):
    members = dict(_members(path))
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    return _write(path, list(members.items()))


def _refused(path, match, error=(ValueError, OSError)):
    with pytest.raises(error, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value)
    return info.value


# ============================================================== 1. the zip container
def test_a_kerasite_written_keras_file_loads_and_predicts_the_same(tmp_path):
    model = _small_model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0),
                                  model.predict(X, verbose=0))


def test_a_zip_bomb_in_the_weights_is_refused_before_it_inflates(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    # 64 MiB of zeros deflate to 64 KB: the member claims far more than the file holds.
    bomb = [(n, d if n != "model.weights.h5" else d + bytes(64 * 2**20)) for n, d in members]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in bomb:
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED
                             if name == "model.weights.h5" else zipfile.ZIP_STORED)
    assert (tmp_path / "m.keras").stat().st_size < 2**20
    tracemalloc.start()
    try:
        _refused(path, "compressed")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the file's size and a little more, never the 64 MiB


def test_a_deflated_config_is_read_but_never_past_its_cap(tmp_path, monkeypatch):
    path = _saved(tmp_path)
    members = _members(path)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED
                             if name.endswith(".json") else zipfile.ZIP_STORED)
    assert load_model(path).count_params() == 21  # deflated JSON members are fine
    from kerasite.saving import keras as keras_files

    monkeypatch.setattr(keras_files, "MAX_CONFIG_SIZE", 100)
    _refused(path, "more than the 100")


def test_a_member_inflating_past_what_it_declares_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * 10_000)
    archive = zipfile.ZipFile(io.BytesIO(data.getvalue()))
    info = archive.infolist()[0]
    info.file_size = 10  # the header lies: the stream holds 10,000 bytes
    with pytest.raises((ValueError, OSError), match="'f'"):
        _guards.read_member(archive, info, "'f'", 1000)
    assert _guards.read_member(zipfile.ZipFile(io.BytesIO(data.getvalue())),
                               zipfile.ZipFile(io.BytesIO(data.getvalue())).infolist()[0],
                               "'f'", 10_000) == b" " * 10_000
    with pytest.raises(ValueError, match="more than the 1000"):
        _guards.read_member(zipfile.ZipFile(io.BytesIO(data.getvalue())),
                            zipfile.ZipFile(io.BytesIO(data.getvalue())).infolist()[0], "'f'",
                            1000)


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5", "metadata.json"])
def test_a_member_given_twice_is_refused(tmp_path, member):
    path = _saved(tmp_path)
    members = _members(path)
    data = dict(members)[member]
    other = json.dumps({"class_name": "Sequential", "config": {}}).encode() \
        if member == "config.json" else data
    _write(path, members + [(member, other)])
    _refused(path, "appears twice")


def _patch_headers(path, name, offset, value, fmt):
    """Writes ``value`` at ``offset`` of the local and central headers of member ``name``."""
    raw = bytearray(open(path, "rb").read())
    encoded = name.encode()
    for signature, name_at in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46)):
        start = 0
        while True:
            start = raw.find(signature, start)
            assert start >= 0
            if raw[start + name_at:start + name_at + len(encoded)] == encoded:
                break
            start += 4
        field = offset[signature]
        struct.pack_into(fmt, raw, start + field, value)
    open(path, "wb").write(bytes(raw))


def test_a_bad_crc_names_the_file(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(open(path, "rb").read())
    at = raw.find(b'"class_name"')
    raw[at + 1] ^= 0x20  # one flipped bit inside the stored config.json
    open(path, "wb").write(bytes(raw))
    _refused(path, "corrupted", OSError)


def test_an_encrypted_member_is_refused(tmp_path):
    path = _saved(tmp_path)
    _patch_headers(path, "config.json", {b"PK\x03\x04": 6, b"PK\x01\x02": 8}, 1, "<H")
    _refused(path, "encrypted", ValueError)


@pytest.mark.parametrize("method", [1, 99])  # "shrunk" (PKZIP 1), and one never defined
def test_an_unknown_compression_method_is_refused(tmp_path, method):
    path = _saved(tmp_path)
    _patch_headers(path, "config.json", {b"PK\x03\x04": 8, b"PK\x01\x02": 10}, method, "<H")
    _refused(path, "compression method")


@pytest.mark.parametrize("seed", range(40))
def test_randomly_damaged_keras_files_give_clean_errors(tmp_path, seed):
    path = _saved(tmp_path)
    original = load_model(path).get_weights()
    good = open(path, "rb").read()
    rng = np.random.default_rng(seed)
    raw = bytearray(good)
    for at in rng.integers(0, len(raw), size=int(rng.integers(1, 5))):
        raw[at] = int(rng.integers(0, 256))
    if seed % 4 == 0:
        raw = raw[:int(rng.integers(0, len(raw)))]
    open(path, "wb").write(bytes(raw))
    try:
        model = load_model(path)
    except (ValueError, OSError) as exc:
        assert str(path) in str(exc)
    else:  # the damage fell where nothing is read (padding, a timestamp)
        for a, b in zip(model.get_weights(), original, strict=True):
            np.testing.assert_array_equal(a, b)


# ============================================================== 2. configs
def test_deeply_nested_json_is_refused_before_it_is_parsed(tmp_path):
    path = _saved(tmp_path)
    members = dict(_members(path))
    members["config.json"] = b"[" * 200_000 + b"]" * 200_000
    _write(path, list(members.items()))
    _refused(path, "nests 200000 levels", ValueError)


def test_json_depth_ignores_brackets_inside_strings():
    assert _guards.json_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert _guards.json_depth(b'["\\"[[[", []]') == 2


def test_deeply_nested_json_in_a_kerasite_file_is_refused(tmp_path):
    path = str(tmp_path / "m.kerasite")
    _small_model().save(path)
    members = dict(_members(path))
    members["config.json"] = b"[" * 100_000 + b"]" * 100_000
    _write(path, list(members.items()))
    _refused(path, "nests 100000 levels", ValueError)


@pytest.mark.parametrize("value", [["adam", "mse"], "adam", 3])
def test_a_compile_config_that_is_not_an_object_is_refused(tmp_path, value):
    path = _saved(tmp_path)
    _edit_config(path, lambda c: c.__setitem__("compile_config", value))
    _refused(path, "compile_config is", ValueError)
    assert load_model(path, compile=False).count_params() == 21


def _set_activation(value):
    def edit(config):
        config["config"]["layers"][1]["config"]["activation"] = value
    return edit


def test_an_activation_in_keras_serialized_form_is_read(tmp_path):
    # Keras 3.15.1's keras.saving.serialize_keras_object(keras.activations.relu).
    path = _saved(tmp_path)
    expected = load_model(path).predict(X, verbose=0)
    _edit_config(path, _set_activation({"module": "builtins", "class_name": "function",
                                        "config": "relu", "registered_name": "function"}))
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0), expected)


@pytest.mark.parametrize("value", [{"class_name": "ReLU", "config": {}}, {"a": [1]}, ["relu"],
                                   {"class_name": "function", "config": "os.system",
                                    "module": "builtins"},
                                   {"class_name": "function", "config": "relu",
                                    "module": "os"}])
def test_an_activation_of_another_form_is_refused_by_name(tmp_path, value):
    path = _saved(tmp_path)
    _edit_config(path, _set_activation(value))
    _refused(path, "activation", ValueError)


@pytest.mark.slow
def test_a_functional_config_listed_in_reverse_order_loads(tmp_path):
    x = kerasite.Input((3,))
    h = x
    for i in range(2000):
        h = layers.Activation("linear", name=f"step_{i}")(h)
    model = Model(x, layers.Dense(2, name="head")(h))
    path = str(tmp_path / "deep.keras")
    model.save(path)

    def reverse(config):
        entries = config["config"]["layers"]
        config["config"]["layers"] = entries[::-1]
    _edit_config(path, reverse)
    loaded = load_model(path)
    assert len(loaded.layers) == 2002
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_calls_are_replayed_once_each_whatever_the_order(monkeypatch):
    # Linear time: each call is replayed exactly once (the old loop retried every
    # pending call on each pass, n**2 / 2 attempts for a reversed chain).
    x = kerasite.Input((3,))
    h = x
    for i in range(50):
        h = layers.Activation("linear", name=f"a{i}")(h)
    config = Model(x, h).get_config()
    config["layers"] = config["layers"][:1] + config["layers"][1:][::-1]
    calls = []
    original = layers.Activation.__call__
    monkeypatch.setattr(layers.Activation, "__call__",
                        lambda self, *a, **k: calls.append(self.name) or original(self, *a, **k))
    Model.from_config(config)
    assert sorted(calls) == sorted(f"a{i}" for i in range(50))


def _shape_bomb_model(tmp_path, ext):
    model = Sequential([kerasite.Input((4, 4, 1)), layers.UpSampling2D(1, name="up"),
                        layers.Flatten(name="flat"), layers.Dense(2, name="dense")])
    path = str(tmp_path / f"bomb{ext}")
    model.save(path)
    return path


@pytest.mark.parametrize("ext", [".keras", ".kerasite"])
def test_an_upsampling_before_a_dense_is_refused_before_the_kernel_is_allocated(tmp_path, ext):
    path = _shape_bomb_model(tmp_path, ext)

    def bomb(config):
        body = config["config"]
        entries = body["layers"]
        for entry in entries:
            if entry.get("class_name") == "UpSampling2D" or \
                    (entry.get("config") or {}).get("name") == "up":
                entry["config"]["size"] = [3000, 3000]
    _edit_config(path, bomb)
    assert (tmp_path / f"bomb{ext}").stat().st_size < 20_000
    tracemalloc.start()
    try:
        # (in a .keras file the kernel's declared size is compared with the weights
        # member first: either refusal comes before any allocation)
        _refused(path, r"would exceed what the file can hold|asks for kernel_size \[12000, "
                       r"12000\], but its kernel in the file has shape", ValueError)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # the kernel would take 1.15 GB


@pytest.mark.parametrize("ext", [".keras", ".kerasite"])
def test_a_huge_conv_kernel_in_a_small_file_is_refused_unallocated(tmp_path, ext):
    model = Sequential([kerasite.Input((8, 8, 3)), layers.Conv2D(2, 3, name="conv")])
    path = str(tmp_path / f"conv{ext}")
    model.save(path)

    def bomb(config):
        for entry in config["config"]["layers"]:
            if (entry.get("config") or {}).get("name") == "conv":
                entry["config"]["kernel_size"] = [12000, 12000]
                entry["config"]["padding"] = "same"
                entry.pop("build_config", None)  # no build_config to compare the kernel with
    _edit_config(path, bomb)
    tracemalloc.start()
    try:
        # (in a .keras file the kernel's declared size is compared with the weights
        # member first: either refusal comes before any allocation)
        _refused(path, r"would exceed what the file can hold|asks for kernel_size \[12000, "
                       r"12000\], but its kernel in the file has shape", ValueError)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # 12000 * 12000 * 3 * 2 values: 3.5 GB


def test_an_intermediate_shape_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    path = _shape_bomb_model(tmp_path, ".kerasite")
    monkeypatch.setattr(_guards, "MAX_ACTIVATION_VALUES", 100)  # the upsampled 4 x 4 is fine
    assert load_model(path).count_params() == 34

    def bomb(config):
        for entry in config["config"]["layers"]:
            if entry["config"].get("name") == "up":
                entry["config"]["size"] = [3, 3]  # 144 values a sample, no weight behind
    _edit_config(path, bomb)
    with pytest.raises(ValueError, match="would exceed|values per sample"):
        load_model(path)


# ============================================================== a model inside itself
def test_a_sequential_cannot_be_added_to_itself():
    model = Sequential([layers.Dense(2, input_shape=(3,))], name="s")
    with pytest.raises(ValueError, match="Model 's' cannot contain itself"):
        model.add(model)
    assert len(model.layers) == 1


def test_a_cycle_of_two_models_is_refused_at_add():
    a = Sequential([layers.Dense(2, input_shape=(3,))], name="a")
    b = Sequential([a, layers.Dense(1)], name="b")
    with pytest.raises(ValueError, match="Model 'a' cannot contain layer 'b', which holds it"):
        a.add(b)
    assert len(a.layers) == 1
    c = Sequential([b], name="c")
    with pytest.raises(ValueError, match="cannot contain layer 'c'"):
        a.add(c)


def test_a_subclassed_model_cannot_hold_itself():
    class Holder(Model):
        def call(self, x):
            return x

    model = Holder(name="holder")
    with pytest.raises(ValueError, match="Model 'holder' cannot contain itself"):
        model.me = model
    with pytest.raises(ValueError, match="cannot contain itself"):
        model.blocks = [layers.Dense(2), model]


# ============================================================== 3. every file that saves loads
def _nested(depth):
    model = Sequential([layers.Dense(2, input_shape=(3,), name="d0")], name="m0")
    for i in range(1, depth):
        model = Sequential([model], name=f"m{i}")
    return model


@pytest.mark.parametrize("ext", [".kerasite", ".keras"])
def test_seventeen_nested_sequentials_load_back(tmp_path, ext):
    model = _nested(17)
    path = str(tmp_path / f"n{ext}")
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0),
                                  model.predict(X, verbose=0))


def test_models_nested_deeper_than_load_reads_are_refused_at_save(tmp_path):
    model = _nested(_guards.MAX_NESTED_MODELS + 1)
    path = tmp_path / "n.kerasite"
    with pytest.raises(ValueError, match="nest 33 deep"):
        model.save(str(path))
    assert not path.exists()
    model = _nested(_guards.MAX_NESTED_MODELS)
    model.save(str(path))
    assert load_model(str(path)).count_params() == 8


@kerasite.saving.register_serializable()
class NamedScale(layers.Layer):
    """A layer with one weight whose name the test chooses."""

    def __init__(self, weight_name="scale", **kwargs):
        super().__init__(**kwargs)
        self.weight_name = weight_name

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name=self.weight_name)

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "weight_name": self.weight_name}


def test_a_weight_named_scale_dash_zero_saves_and_loads(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(3,)), NamedScale("scale-0")])
    model.layers[1].scale.assign(np.array([1.5, 2.0, 0.5]))
    path = str(tmp_path / "m.kerasite")
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0),
                                  model.predict(X, verbose=0))


@pytest.mark.parametrize("name", ["a/b", "x y", "-lead", "é", "w.npy"])
def test_a_weight_name_that_would_not_load_is_refused_at_save(tmp_path, name):
    model = Sequential([layers.Dense(3, input_shape=(3,)), NamedScale(name)])
    path = tmp_path / "m.kerasite"
    with pytest.raises(ValueError, match="would not load back"):
        model.save(str(path))
    assert not path.exists()


_NAMES = st.text(alphabet="ab_-./ é0", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.sampled_from(["dense", "scale", "nest"]), _NAMES),
                     min_size=1, max_size=5),
       depth=st.integers(0, 3))
def test_a_model_either_saves_and_loads_back_equal_or_is_refused_at_save(tmp_path, plan,
                                                                         depth):
    stack = [layers.Dense(3, input_shape=(3,), name="first")]
    for k, (kind, name) in enumerate(plan):
        if kind == "dense":
            stack.append(layers.Dense(3, name=f"{name}{k}"))
        elif kind == "scale":
            stack.append(NamedScale(name, name=f"s{k}"))
        else:
            stack.append(Sequential([layers.Dense(3, input_shape=(3,), name=f"in{k}")],
                                    name=f"{name}{k}"))
    model = Sequential(stack, name="top")
    for _ in range(depth):
        model = Sequential([model])
    path = str(tmp_path / "p.kerasite")
    try:
        model.save(path)
    except ValueError as exc:
        assert "would not load back" in str(exc) or "nest" in str(exc)
        return
    loaded = load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ============================================================== 4. optimizer state
def _edit_optimizer(path, edit):
    members = dict(_members(path))
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f["optimizer"]["vars"])
    members["model.weights.h5"] = buffer.getvalue()
    _write(path, list(members.items()))


def _replace(group, key, value):
    del group[key]
    group.create_dataset(key, data=value)


@pytest.mark.parametrize("optimizer,index,slot", [("adam", 3, "v/"), ("rmsprop", 2, "velocity/")])
def test_a_negative_second_moment_in_a_keras_file_is_refused(tmp_path, optimizer, index, slot):
    path = _saved(tmp_path, optimizer=optimizer)
    # Keras's order: step, learning rate, then Adam's m_0, v_0, ... / RMSprop's velocities.
    _edit_optimizer(path, lambda g: _replace(g, str(index), -np.abs(g[str(index)][()]) - 1))
    error = _refused(path, "holds negative values", ValueError)
    assert slot in str(error) and f"variable {index}" in str(error)
    assert load_model(path, compile=False).count_params() == 21


@pytest.mark.parametrize("step", [np.uint64(2**63), np.float64(1e30), np.float64(np.nan),
                                  np.float64(np.inf), np.float64(2.5), np.float64(-1.0),
                                  np.int64(-3)])
def test_a_step_count_that_is_not_a_usable_integer_is_refused(tmp_path, step):
    path = _saved(tmp_path)
    _edit_optimizer(path, lambda g: _replace(g, "0", step))
    error = _refused(path, "step count", ValueError)
    assert "variable 0" in str(error)


def test_a_whole_float_step_count_is_read_as_that_integer(tmp_path):
    path = _saved(tmp_path)
    _edit_optimizer(path, lambda g: _replace(g, "0", np.float64(7.0)))
    assert load_model(path).optimizer.iterations == 7


def test_a_kerasite_file_refuses_a_negative_rmsprop_velocity(tmp_path):
    path = str(tmp_path / "m.kerasite")
    _small_model(optimizer="rmsprop").save(path)
    members = dict(_members(path))
    arrays = dict(np.load(io.BytesIO(members["optimizer.npz"])))
    arrays["velocity/0"] = arrays["velocity/0"] - 1.0
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    members["optimizer.npz"] = buffer.getvalue()
    _write(path, list(members.items()))
    _refused(path, "'velocity/0' holds negative values", ValueError)


@pytest.mark.parametrize("ext", [".kerasite", ".keras"])
def test_a_frozen_checkpoint_unfrozen_after_loading_trains_as_in_memory(tmp_path, ext):
    def frozen():
        kerasite.utils.set_random_seed(3)
        model = _small_model(fit=False)
        model.layers[0].trainable = False
        model.fit(X, X[:, :1], epochs=1, verbose=0, shuffle=False)
        return model

    in_memory = frozen()
    path = str(tmp_path / f"frozen{ext}")
    in_memory.save(path)
    loaded = load_model(path)
    for model in (in_memory, loaded):
        model.layers[0].trainable = True
        model.fit(X, X[:, :1], epochs=2, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), in_memory.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


_LAYER_NAMES = st.text(alphabet="ab_-./ é0:", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.sampled_from(["dense", "dropout", "nest"]), _LAYER_NAMES),
                     min_size=1, max_size=5),
       depth=st.integers(0, 3), compiled=st.booleans())
@pytest.mark.slow
def test_a_keras_file_either_saves_and_loads_back_equal_or_is_refused_at_save(
        tmp_path, plan, depth, compiled):
    stack = [layers.Dense(3, input_shape=(3,), name="first")]
    for k, (kind, name) in enumerate(plan):
        if kind == "dense":
            stack.append(layers.Dense(3, activation="tanh", name=f"{name}{k}"))
        elif kind == "dropout":
            stack.append(layers.Dropout(0.5, name=f"{name}{k}"))
        else:
            stack.append(Sequential([layers.Dense(3, input_shape=(3,), name=f"in{k}")],
                                    name=f"{name}{k}"))
    model = Sequential(stack, name="top")
    for level in range(depth):
        model = Sequential([model], name=f"outer{level}")
    if compiled:
        model.compile(optimizer="adam", loss="mse")
        model.fit(X, X, epochs=1, verbose=0)
    path = str(tmp_path / "p.keras")
    try:
        model.save(path)
    except ValueError:
        return
    loaded = load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    if compiled:
        assert loaded.optimizer.iterations == model.optimizer.iterations
