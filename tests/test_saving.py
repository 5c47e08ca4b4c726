"""Saving and loading: the ``.kerasite`` format, round trips, bad files, and safety.

Covers ``kerasite/saving/`` (native.py, _archive.py) through ``model.save``, ``load_model``,
``save_weights`` and ``load_weights``.
"""

import functools
import io
import json
import os
import re
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasite
from kerasite import Sequential, layers, optimizers, saving, utils
from kerasite.models import Autoencoder, Decoder, Encoder, Model, load_model


# ==================================================================== helpers
def _data(n=40, features=4, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features), dtype=np.float32)
    y = np.stack([x.sum(axis=1), x[:, 0] - x[:, 1]], axis=1).astype(np.float32)
    return x, y


def _model(seed=0, optimizer="adam", dropout=0.25):
    utils.set_random_seed(seed)
    model = Sequential([
        layers.Dense(8, activation="relu", input_shape=(4,)),
        layers.Dropout(dropout),
        layers.Dense(6, activation=layers.LeakyReLU(0.2)),
        layers.Dense(2),
    ])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _trained(seed=0, epochs=2, **kwargs):
    model = _model(seed, **kwargs)
    x, y = _data()
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)
    return model


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_members(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _rewrite(path, **changes):
    """Rewrites the archive with members replaced (bytes) or dropped (None).

    Keyword names use ``_`` for ``.``: ``config_json=...``, ``weights_npz=...``.
    """
    members = _members(path)
    for key, data in changes.items():
        name = key.replace("_", ".")
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    _write_members(path, members)


def _config(path):
    return json.loads(_members(path)["config.json"])


def _npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npz_arrays(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


# ================================================================ the format
def test_save_writes_one_zip_with_config_weights_and_optimizer_state(tmp_path):
    model = _trained(epochs=3)
    path = tmp_path / "model.kerasite"
    model.save(path)

    members = _members(path)
    assert sorted(members) == ["config.json", "optimizer.npz", "weights.npz"]
    config = json.loads(members["config.json"])
    assert config["format_version"] == 1 == saving.FORMAT_VERSION
    assert config["kerasite_version"] == kerasite.__version__
    assert config["class_name"] == "Sequential"
    assert config["config"] == model.get_config()
    assert config["compile_config"] == model.get_compile_config()
    assert config["training_state"] == {
        "completed_epochs": 3, "seed": model._seed,
        "optimizer_iterations": 15, "learning_rate": 0.001, "epoch_in_progress": None,
    }
    assert config["floatx"] == "float32"
    assert model.optimizer.iterations == 15  # 3 epochs of 5 batches
    weights = _npz_arrays(members["weights.npz"])
    assert sorted(weights) == ["0/W", "0/b", "2/W", "2/b", "3/W", "3/b",
                               "__format_version__", "__input_shape__"]
    assert np.array_equal(weights["2/W"], model.layers[2].params["W"])
    assert weights["__input_shape__"].tolist() == [4]
    state = model.optimizer.get_state()
    optimizer_arrays = _npz_arrays(members["optimizer.npz"])
    assert sorted(optimizer_arrays) == sorted(k for k in state if k != "iterations")
    assert all(np.array_equal(optimizer_arrays[k], state[k]) for k in optimizer_arrays)


def test_save_weights_writes_a_plain_npz_readable_by_numpy(tmp_path):
    model = _trained()
    path = tmp_path / "model.weights.npz"
    model.save_weights(path)
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["0/W", "0/b", "2/W", "2/b", "3/W", "3/b",
                                     "__format_version__", "__input_shape__"]
        assert np.array_equal(npz["3/b"], model.layers[3].params["b"])


# ================================================================ round trips
def test_loaded_model_predicts_bit_identically(tmp_path):
    model = _trained()
    path = tmp_path / "model.kerasite"
    model.save(path)
    loaded = load_model(path)

    x = np.random.default_rng(7).random((33, 4), dtype=np.float32)
    assert type(loaded) is Sequential
    assert loaded.name == model.name
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.get_config() == model.get_config()
    assert _same_weights(loaded, model)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.completed_epochs == 2 and loaded._seed == model._seed
    assert loaded.evaluate(*_data(), verbose=0) == model.evaluate(*_data(), verbose=0)


def test_autoencoder_round_trips_and_encode_works_after_loading(tmp_path):
    utils.set_random_seed(3)
    ae = Autoencoder.dense(input_shape=(4, 4), hidden=(12,), latent_dim=3)
    ae.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((24, 4, 4), dtype=np.float32)
    ae.fit(x, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "ae.kerasite"
    ae.save(path)
    loaded = load_model(path)

    assert type(loaded) is Autoencoder
    assert type(loaded.encoder) is Encoder and type(loaded.decoder) is Decoder
    # The halves share their layers with the whole, as in a freshly built autoencoder.
    assert loaded.layers[1] is loaded.encoder and loaded.layers[-1] is loaded.decoder
    assert np.array_equal(loaded.encode(x), ae.encode(x))
    assert np.array_equal(loaded.decode(ae.encode(x)), ae.decode(ae.encode(x)))
    assert np.array_equal(loaded.predict(x), ae.predict(x))
    loaded.fit(x, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    ae.fit(x, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    assert _same_weights(loaded, ae)


@pytest.mark.parametrize("half", ["encoder", "decoder"])
def test_encoder_and_decoder_round_trip_on_their_own(tmp_path, half):
    utils.set_random_seed(4)
    ae = Autoencoder.dense(input_shape=(6,), hidden=(5,), latent_dim=2)
    part = getattr(ae, half)
    path = tmp_path / f"{half}.kerasite"
    part.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(part) and type(loaded).__name__ == half.capitalize()
    x = np.random.default_rng(1).random((5, part.input_shape[1]), dtype=np.float32)
    assert np.array_equal(loaded.predict(x), part.predict(x))


def test_plain_model_class_round_trips(tmp_path):
    utils.set_random_seed(5)
    inputs = kerasite.Input((2,))
    hidden = layers.Dense(3, activation="tanh")(inputs)
    model = Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))
    path = tmp_path / "plain.kerasite"
    model.save(path)
    loaded = load_model(path)
    x = np.random.default_rng(2).random((4, 2), dtype=np.float32)
    assert type(loaded) is Model
    assert np.array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("optimizer", [
    "adam", "rmsprop", optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    optimizers.Adam(learning_rate=0.01, clipnorm=0.5),
], ids=["adam", "rmsprop", "sgd-nesterov", "adam-clipnorm"])
def test_training_continues_with_the_saved_optimizer_state(tmp_path, optimizer):
    x, y = _data()
    fit = {"batch_size": 8, "shuffle": False, "verbose": 0}
    straight = _model(optimizer=optimizer if isinstance(optimizer, str) else
                      optimizers.get(optimizers.serialize(optimizer)), dropout=0.0)
    straight.fit(x, y, epochs=4, **fit)

    first = _model(optimizer=optimizer, dropout=0.0)
    first.fit(x, y, epochs=2, **fit)
    path = tmp_path / "half.kerasite"
    first.save(path)
    resumed = load_model(path)
    assert resumed.optimizer.get_config() == first.optimizer.get_config()
    assert resumed.optimizer.iterations == 10
    resumed.fit(x, y, epochs=2, **fit)
    assert _same_weights(resumed, straight)

    # The control: without the optimizer's state the same two epochs end elsewhere.
    fresh = load_model(path, compile=False)
    fresh.compile(optimizer=optimizers.get(optimizers.serialize(first.optimizer)), loss="mse")
    fresh.fit(x, y, epochs=2, **fit)
    assert not _same_weights(fresh, straight)


def test_learning_rate_changed_during_training_is_restored(tmp_path):
    model = _trained()
    model.optimizer.learning_rate = 0.000125  # as ReduceLROnPlateau would leave it
    path = tmp_path / "lr.kerasite"
    model.save(path)
    assert load_model(path).optimizer.learning_rate == 0.000125


def test_load_model_with_compile_false_returns_an_uncompiled_model(tmp_path):
    model = _trained()
    path = tmp_path / "model.kerasite"
    model.save(path)
    loaded = load_model(path, compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    assert loaded.completed_epochs == 2
    with pytest.raises(RuntimeError, match=r"call `compile\(\)`"):
        loaded.fit(*_data(), verbose=0)


def test_unbuilt_uncompiled_model_round_trips(tmp_path):
    model = Sequential([layers.Dense(3), layers.Dense(1)], name="lazy")
    path = tmp_path / "lazy.kerasite"
    model.save(path)
    loaded = load_model(path)
    assert loaded.name == "lazy" and not loaded.built and not loaded.compiled
    assert _config(path)["training_state"]["learning_rate"] is None
    assert loaded.predict(np.ones((2, 5))).shape == (2, 1)


def test_compiled_but_untrained_model_round_trips(tmp_path):
    model = _model()
    path = tmp_path / "fresh.kerasite"
    model.save(path)
    loaded = load_model(path)
    assert loaded.optimizer.iterations == 0 and loaded.completed_epochs == 0
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    loaded.fit(x, y, epochs=1, verbose=0)
    assert _same_weights(loaded, model)


def test_saving_again_replaces_the_file_and_leaves_nothing_else(tmp_path):
    model = _trained()
    path = tmp_path / "model.kerasite"
    for epochs in (2, 3):
        model.completed_epochs = epochs
        model.save(str(path))
    assert os.listdir(tmp_path) == ["model.kerasite"]
    assert load_model(path).completed_epochs == 3


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saved_file_gets_the_usual_permissions(tmp_path):
    path = tmp_path / "model.kerasite"
    _trained().save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600


def test_loading_does_not_consume_the_global_random_stream(tmp_path):
    path = tmp_path / "model.kerasite"
    _trained().save(path)
    utils.set_random_seed(11)
    expected = utils.get_rng().random(3)
    utils.set_random_seed(11)
    load_model(path)
    assert np.array_equal(utils.get_rng().random(3), expected)


# ============================================================ save_weights
def test_save_weights_and_load_weights_round_trip(tmp_path):
    model = _trained()
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    other = _model(seed=99)
    assert not _same_weights(other, model)
    other.load_weights(path)
    assert _same_weights(other, model)
    x = _data()[0]
    assert np.array_equal(other.predict(x), model.predict(x))


def test_load_weights_reads_the_weights_of_a_whole_model_file(tmp_path):
    model = _trained()
    path = tmp_path / "model.kerasite"
    model.save(path)
    other = _model(seed=42)
    other.load_weights(path)
    assert _same_weights(other, model)
    assert other.completed_epochs == 0 and other.optimizer.iterations == 0


def test_load_weights_builds_an_unbuilt_model_from_the_stored_shape(tmp_path):
    model = _trained()
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    unbuilt = Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.25),
                          layers.Dense(6, activation=layers.LeakyReLU(0.2)), layers.Dense(2)])
    assert not unbuilt.built
    unbuilt.load_weights(path)
    assert unbuilt.built and unbuilt.input_shape == (None, 4)
    x = _data()[0]
    assert np.array_equal(unbuilt.predict(x), model.predict(x))


def test_load_weights_into_unbuilt_model_without_a_stored_shape_says_to_build(tmp_path):
    path = tmp_path / "bare.weights.npz"
    path.write_bytes(_npz({"0/W": np.zeros((4, 1), np.float32), "0/b": np.zeros(1, np.float32)}))
    with pytest.raises(ValueError, match=r"not built .* does not record the input shape.*"
                                         r"model\.build"):
        Sequential([layers.Dense(1)]).load_weights(path)


@pytest.mark.parametrize("other, message", [
    (lambda: Sequential([layers.Dense(8, input_shape=(4,)), layers.Dropout(0.1),
                         layers.Dense(5), layers.Dense(2)]),
     (r"weight '2/W' \(layer 'wide', Dense\) has shape \(8, 6\) in the file, but the model "
      r"expects \(8, 5\)")),
    (lambda: Sequential([layers.Dense(8, input_shape=(4,)), layers.Dropout(0.1),
                         layers.Dense(6)]),
     r"weights the model lacks: '3/W', '3/b'"),
    (lambda: Sequential([layers.Dense(8, input_shape=(4,)), layers.Dropout(0.1),
                         layers.Dense(6), layers.Dense(2), layers.Dense(1)]),
     r"no weight '4/W' \(layer 'wide', Dense\) and 1 more"),
])
def test_load_weights_names_the_offending_weight_and_changes_nothing(tmp_path, other, message):
    path = tmp_path / "w.weights.npz"
    _trained().save_weights(path)
    target = other()
    target.layers[2 if "2/W" in message else -1].name = "wide"
    before = target.get_weights()
    with pytest.raises(ValueError, match=message):
        target.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))


def test_load_weights_refuses_integer_arrays(tmp_path):
    path = tmp_path / "ints.weights.npz"
    path.write_bytes(_npz({"0/W": np.zeros((4, 1), np.int64), "0/b": np.zeros(1, np.float32)}))
    with pytest.raises(ValueError, match=r"weight '0/W' has dtype int64; weights must be float"):
        Sequential([layers.Dense(1, input_shape=(4,))]).load_weights(path)


def test_save_weights_of_an_unbuilt_model_says_to_build_it(tmp_path):
    with pytest.raises(ValueError, match=r"has not been built yet, so `save_weights\(\)`"):
        Sequential([layers.Dense(1)]).save_weights(tmp_path / "w.weights.npz")
    assert os.listdir(tmp_path) == []


# ============================================================ bad arguments
# ".keras" and ".h5" are Keras's formats, written by kerasite/saving/keras/
# (tests/test_keras_format*.py).
@pytest.mark.parametrize("name", ["model", "model.weights.npz"])
def test_save_requires_the_kerasite_extension(tmp_path, name):
    with pytest.raises(ValueError, match=r"model\.save needs a file name ending in "
                                         r"'\.kerasite'\. Received: filepath=.*" + name):
        _trained().save(tmp_path / name)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["w.npz", "w.h5", "w.kerasite"])
def test_save_weights_requires_the_weights_npz_extension(tmp_path, name):
    with pytest.raises(ValueError, match=r"needs a file name ending in '\.weights\.npz'.*"
                                         r"model\.save\('name\.kerasite'\)"):
        _trained().save_weights(tmp_path / name)


def test_load_weights_rejects_other_extensions(tmp_path):
    with pytest.raises(ValueError, match=r"load_weights reads '\.weights\.npz' files .* and "
                                         r"'\.kerasite' files"):
        _trained().load_weights(tmp_path / "w.h5")


def test_save_refuses_a_model_class_it_could_not_load(tmp_path):
    class MyModel(Sequential):
        pass

    with pytest.raises(ValueError, match=r"Cannot save a model of class MyModel.*save_weights"):
        MyModel([layers.Dense(1)]).save(tmp_path / "m.kerasite")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"directory .*missing.* does not exist"):
        _trained().save(tmp_path / "missing" / "m.kerasite")


# ================================================================= bad files
def test_loading_a_nonexistent_path_names_it(tmp_path):
    path = tmp_path / "nowhere.kerasite"
    with pytest.raises(FileNotFoundError, match=r"No model file at this path.*nowhere\.kerasite"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match=r"No weights file.*nowhere\.weights\.npz"):
        _trained().load_weights(tmp_path / "nowhere.weights.npz")


@pytest.mark.parametrize("content", [b"", b"hello, I am not a zip", b"\x80\x04\x95pickle"])
def test_loading_a_file_that_is_not_a_zip_says_so(tmp_path, content):
    path = tmp_path / "junk.kerasite"
    path.write_bytes(content)
    with pytest.raises(OSError, match=r"junk\.kerasite'.*not a \.kerasite file \(not a zip"):
        load_model(path)


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_loading_a_truncated_file_says_it_is_truncated(tmp_path, keep):
    path = tmp_path / "cut.kerasite"
    _trained().save(path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(OSError, match=r"cut\.kerasite'.*truncated or corrupted.*save the model "
                                      r"again"):
        load_model(path)


def test_a_flipped_bit_in_the_weights_fails_the_crc_check(tmp_path):
    model = _trained()
    path = tmp_path / "flip.kerasite"
    model.save(path)
    data = bytearray(path.read_bytes())
    at = bytes(data).find(model.layers[0].params["W"].tobytes())
    assert at > 0
    data[at + 5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"flip\.kerasite'.*corrupted.*Bad CRC-32 for file "
                                      r"'weights\.npz'"):
        load_model(path)


def _central_directory(data):
    """Offset of the outer archive's central directory, from its end record."""
    return int.from_bytes(data[-6:-2], "little")


@pytest.mark.parametrize("damage, reason", [
    # The central directory entry of config.json: its flags (bit 0: encrypted) and method.
    (lambda data, cd: data.__setitem__(cd + 8, data[cd + 8] | 1), r"encrypted"),
    (lambda data, cd: data.__setitem__(cd + 10, 99), r"compression method"),
    (lambda data, cd: data.__setitem__(slice(cd, cd + 4), b"PK\x09\x09"), r"[Bb]ad magic"),
    # Appended bytes: kerasite writes no zip comment, so the end record must come last.
    (lambda data, cd: data.extend(b"trailing junk"), r"end of the archive is missing"),
])
def test_damaged_zip_structures_give_a_clear_error(tmp_path, damage, reason):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    data = bytearray(path.read_bytes())
    damage(data, _central_directory(data))
    path.write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"m\.kerasite': it is truncated or corrupted .*" + reason):
        load_model(path)


def test_a_cut_right_after_the_last_member_is_caught(tmp_path):
    # The last member is itself a stored zip (optimizer.npz), so the cut file ends with an
    # end record, the member's: a naive reader would take the member for the archive.
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    data = path.read_bytes()
    cut = data[:_central_directory(data)]
    assert cut[-22:-18] == b"PK\x05\x06"
    path.write_bytes(cut)
    with pytest.raises(OSError, match=r"m\.kerasite': it is truncated or corrupted .*directory "
                                      r"is missing"):
        load_model(path)


def test_invalid_json_is_reported_as_a_corrupted_file(tmp_path):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    _rewrite(path, config_json=b'{"format_version": 1, "class_name": ')
    with pytest.raises(OSError, match=r"m\.kerasite'.*config\.json is not valid JSON"):
        load_model(path)


@pytest.mark.parametrize("member", ["config.json", "weights.npz", "optimizer.npz"])
def test_a_missing_member_is_named(tmp_path, member):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    members = _members(path)
    del members[member]
    _write_members(path, members)
    with pytest.raises(OSError, match=rf"m\.kerasite'.*has no '{member}'.*incomplete"):
        load_model(path)


def test_a_member_that_is_not_an_npz_is_refused(tmp_path):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    _rewrite(path, weights_npz=b"just some bytes")
    with pytest.raises(OSError, match=r"m\.kerasite' \(member weights\.npz\).*not an \.npz"):
        load_model(path)


def test_a_weights_only_file_passed_to_load_model_says_what_to_do(tmp_path):
    model = _trained()
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    renamed = tmp_path / "w.kerasite"
    path.rename(renamed)
    with pytest.raises(ValueError, match=r"holds weights only .*model\.load_weights"):
        load_model(renamed)


@pytest.mark.parametrize("version", [2, 17])
def test_a_newer_format_version_asks_to_upgrade(tmp_path, version):
    path = tmp_path / "future.kerasite"
    _trained().save(path)
    config = _config(path)
    config["format_version"] = version
    config["config"]["layers"][0]["class_name"] = "LayerFromTheFuture"
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=rf"future\.kerasite': it was saved by a newer kerasite "
                                         rf"\(format {version}\).*Update kerasite: in your clone, git pull, "
                                         r"then python -m pip install -e \."):
        load_model(path)


@pytest.mark.parametrize("version", [None, "1", 0, 1.0, True])
def test_a_missing_or_invalid_format_version_is_refused(tmp_path, version):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["format_version"] = version
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(OSError, match=r"no valid format_version"):
        load_model(path)


@pytest.mark.parametrize("key, value, message", [
    ("completed_epochs", -1, r"training_state\.completed_epochs must be an integer from 0 to"),
    ("seed", "0", r"training_state\.seed must be an integer from 0 to"),
    ("learning_rate", -0.1, r"training_state\.learning_rate must be a number >= 0"),
])
def test_an_invalid_training_state_is_refused(tmp_path, key, value, message):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["training_state"][key] = value
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_missing_extra_and_misshapen_weights_in_a_model_file_are_named(tmp_path):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    good = _npz_arrays(_members(path)["weights.npz"])

    missing = {k: v for k, v in good.items() if k != "3/b"}
    _rewrite(path, weights_npz=_npz(missing))
    with pytest.raises(ValueError, match=r"m\.kerasite'.*no weight '3/b' \(layer 'dense_\d+', "
                                         r"Dense\)"):
        load_model(path)

    _rewrite(path, weights_npz=_npz({**good, "7/W": np.zeros(3, np.float32)}))
    with pytest.raises(ValueError, match=r"weights the model lacks: '7/W'"):
        load_model(path)

    _rewrite(path, weights_npz=_npz({**good, "0/b": np.zeros(9, np.float32)}))
    with pytest.raises(ValueError, match=r"weight '0/b' .* has shape \(9,\) in the file, but the "
                                         r"model expects \(8,\)"):
        load_model(path)


def test_optimizer_state_that_does_not_fit_is_refused(tmp_path):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    state = _npz_arrays(_members(path)["optimizer.npz"])
    _rewrite(path, optimizer_npz=_npz({**state, "m/0": np.zeros((3, 3), np.float32)}))
    with pytest.raises(ValueError, match=r"optimizer state in optimizer\.npz does not fit.*"
                                         r"'m/0' has shape \(3, 3\)"):
        load_model(path)
    _rewrite(path, optimizer_npz=_npz({k: v for k, v in state.items() if k != "v/5"}))
    with pytest.raises(ValueError, match=r"missing 'v/5'"):
        load_model(path)


# ================================================================== security
class _Payload:
    """Unpickling this runs ``exec``, which creates ``marker``: what an attacker would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


def _pickled_npz(marker, arrays=None, key="0/W"):
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    buffer = io.BytesIO()
    np.savez(buffer, **{**(arrays or {}), key: payload})  # savez pickles object arrays
    return buffer.getvalue()


def test_the_pickle_payload_is_live(tmp_path):
    # The control for the tests below: loading it *with* pickles runs its code.
    marker = tmp_path / "control-marker"
    with np.load(io.BytesIO(_pickled_npz(marker)), allow_pickle=True) as npz:
        npz["0/W"]
    assert marker.exists()


@pytest.mark.parametrize("member, key", [("weights.npz", "0/W"), ("optimizer.npz", "m/0")])
def test_a_pickle_hidden_in_a_model_file_is_refused_and_never_runs(tmp_path, member, key):
    path = tmp_path / "evil.kerasite"
    _trained().save(path)
    marker = tmp_path / "pwned"
    good = _npz_arrays(_members(path)[member])
    _rewrite(path, **{member.replace(".", "_"): _pickled_npz(marker, good, key)})
    with pytest.raises(ValueError, match=rf"Refusing to load .*evil\.kerasite' \(member "
                                         rf"{member}\): array '{key}' holds pickled Python "
                                         r"objects"):
        load_model(path)
    assert not marker.exists()


def test_a_pickle_in_a_weights_file_is_refused_and_never_runs(tmp_path):
    path = tmp_path / "evil.weights.npz"
    marker = tmp_path / "pwned"
    path.write_bytes(_pickled_npz(marker))
    with pytest.raises(ValueError, match=r"Refusing to load .*evil\.weights\.npz'.*pickled"):
        _trained().load_weights(path)
    assert not marker.exists()


@pytest.mark.parametrize("class_name", ["os.system", "__import__", "eval", "Lambda",
                                        "builtins.exec"])
def test_a_layer_class_that_is_not_registered_is_refused(tmp_path, class_name):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["config"]["layers"][1] = {"class_name": class_name, "config": {"command": "touch x"}}
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"m\.kerasite': invalid architecture in config\.json: "
                                         r"Unknown layer type " + re.escape(repr(class_name))
                                         + r"\. Known types are"):
        load_model(path)


@pytest.mark.parametrize("class_name", ["os.system", "__import__", "MyModel", None])
def test_a_model_class_that_is_not_known_is_refused(tmp_path, class_name):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["class_name"] = class_name
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"unknown model class .*kerasite loads only "
                                         r".*Sequential"):
        load_model(path)


@pytest.mark.parametrize("part, value, message", [
    ("optimizer", {"class_name": "os.system", "config": {}}, r"Unknown optimizer"),
    ("loss", {"class_name": "__import__", "config": {}}, r"Unknown loss"),
    ("optimizer", {"class_name": "Adam", "config": {"learning_rate": 0.1, "evil": 1}},
     r"unexpected keyword argument 'evil'"),
])
def test_unknown_compile_settings_are_refused(tmp_path, part, value, message):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["compile_config"][part] = value
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"m\.kerasite': invalid compile settings in "
                                         r"config\.json: .*" + message):
        load_model(path)


def test_a_layer_config_with_bad_arguments_is_a_clear_error(tmp_path):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["config"]["layers"][0]["config"]["units"] = -3
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"invalid architecture in config\.json: "
                                         r"`units` must be a positive integer"):
        load_model(path)


# ============================================================ corruption fuzz
@functools.lru_cache(maxsize=1)
def _reference_file():
    """A saved model whose bytes never change (fixed names and seeds), and its outputs."""
    utils.set_random_seed(0)
    model = Sequential([layers.Dense(5, activation="relu", input_shape=(4,), name="d0"),
                        layers.Dropout(0.2, seed=1, name="drop"), layers.Dense(2, name="d1")],
                       name="fuzzed")
    model.compile(optimizer="adam", loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "m.kerasite")
        model.save(path)
        with open(path, "rb") as f:
            data = f.read()
    return data, model.get_weights(), model.predict(x)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_damage_gives_a_clear_error_or_the_same_model(tmp_path, data):
    """Truncations and flipped bytes anywhere: OSError/ValueError, or an intact load."""
    original, weights, predictions = _reference_file()
    damaged = bytearray(original)
    if data.draw(st.booleans(), label="truncate"):
        del damaged[data.draw(st.integers(0, len(original) - 1), label="keep"):]
    else:
        for at in data.draw(st.lists(st.integers(0, len(original) - 1), min_size=1,
                                     max_size=4), label="positions"):
            damaged[at] ^= data.draw(st.integers(1, 255), label="xor")
    path = tmp_path / "m.kerasite"
    path.write_bytes(bytes(damaged))
    try:
        loaded = load_model(path)
    except (OSError, ValueError) as exc:
        assert "m.kerasite" in str(exc)
        return
    # Only bytes that no reader checks (time stamps, attributes) may change without an error.
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), weights))
    assert np.array_equal(loaded.predict(_data()[0]), predictions)


# ======================================================= issue 15: hostile files, leaks
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("kind, name", [("save", "m.kerasite"), ("save_weights", "m.weights.npz")])
def test_a_private_file_is_never_readable_by_others_while_it_is_rewritten(
        tmp_path, monkeypatch, kind, name):
    # Issue 15, item 3: the temporary file must have the target's mode from the
    # moment it exists, not only after its bytes are written.
    model = _trained()
    path = tmp_path / name
    getattr(model, kind)(path)
    os.chmod(path, 0o600)
    modes = []
    real_fsync = os.fsync

    def spying_fsync(fd):  # the first fsync is the temporary file's, before any chmod
        modes.append(os.fstat(fd).st_mode & 0o777)
        return real_fsync(fd)

    monkeypatch.setattr(saving._archive.os, "fsync", spying_fsync)
    getattr(model, kind)(path)
    assert modes and modes[0] == 0o600, [oct(m) for m in modes]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_file_name_at_the_file_system_limit_can_be_saved(tmp_path):
    # Issue 15, item 15: the temporary name must not be longer than the limit.
    limit = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    model = _trained()
    path = tmp_path / ("m" * (limit - len(".kerasite")) + ".kerasite")
    model.save(path)
    model.save(path)  # and again, over the first
    assert os.listdir(tmp_path) == [path.name]
    assert _same_weights(load_model(path), model)
    weights = tmp_path / ("w" * (limit - len(".weights.npz")) + ".weights.npz")
    model.save_weights(weights)
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, weights.name])


def _write_zeros_npy(f, size):
    """Writes a valid ``.npy`` of ``size`` bytes of float32 zeros, 1 MiB at a time."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (size // 4,)})
    f.write(header.getvalue())
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        f.write(chunk)


def _bomb_zip(name, size, compression, extra=None):
    """A zip whose member ``name`` holds ``size`` bytes of zeros, compressed: KB on disk.

    A member named ``*.npy`` is a valid array; one named ``*.npz`` a valid stored
    archive holding ``0/W.npy``: both would load if their size were not checked.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for other, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(other), data)  # ZipInfo: stored
        with archive.open(name, "w", force_zip64=True) as member:
            if name.endswith(".npz"):
                with zipfile.ZipFile(member, "w") as inner, \
                        inner.open("0/W.npy", "w", force_zip64=True) as npy:
                    _write_zeros_npy(npy, size)
            else:
                _write_zeros_npy(member, size)
    return buffer.getvalue()


def _peak_memory(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


BOMB = 256 << 20  # 256 MiB of zeros: a few hundred KB compressed


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2],
                         ids=["deflate", "bzip2"])
@pytest.mark.parametrize("where", ["model member", "npy inside a model", "weights file"])
@pytest.mark.slow
def test_compressed_members_are_refused_before_they_are_decompressed(
        tmp_path, compression, where):
    # Issue 15, item 4: kerasite writes stored members only; anything compressed
    # could expand without bound, so it is refused before a byte is inflated.
    model = _trained()
    good = tmp_path / "good.kerasite"
    model.save(good)
    members = _members(good)
    if where == "model member":
        path = tmp_path / "bomb.kerasite"
        path.write_bytes(_bomb_zip("weights.npz", BOMB, compression,
                                   {"config.json": members["config.json"],
                                    "optimizer.npz": members["optimizer.npz"]}))
        load = functools.partial(load_model, path)
    else:
        inner = _bomb_zip("0/W.npy", BOMB, compression)
        if where == "npy inside a model":
            path = tmp_path / "bomb.kerasite"
            _write_members(path, {**members, "weights.npz": inner})
            load = functools.partial(load_model, path)
        else:
            path = tmp_path / "bomb.weights.npz"
            path.write_bytes(inner)
            load = functools.partial(model.load_weights, path)
    assert path.stat().st_size < 2 << 20
    errors = []

    def attempt():
        try:
            load()
        except (OSError, ValueError) as exc:
            errors.append(exc)

    peak = _peak_memory(attempt)
    assert errors and re.search(r"compressed \((deflate|bzip2)\).*kerasite writes stored",
                                str(errors[0])), errors
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB"


def _npy_with_header(shape, dtype="<f4", data=b""):
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


@pytest.mark.parametrize("shape", [(10**9,), (2**31, 2**31), (8, 6)])
def test_an_npy_header_declaring_more_data_than_the_member_holds_is_refused(tmp_path, shape):
    # Issue 15, item 4: each member's declared size is checked against its real size
    # before its data is read, so a 100-byte header cannot make the loader allocate GiB.
    model = _trained()
    path = tmp_path / "m.weights.npz"
    model.save_weights(path)
    members = _members(path)
    members["0/W.npy"] = _npy_with_header(shape, data=bytes(64))
    _write_members(path, members)
    before = model.get_weights()
    peak = _peak_memory(lambda: pytest.raises(OSError, model.load_weights, path))
    with pytest.raises(OSError, match=r"'0/W' declares shape .* but the archive holds"):
        model.load_weights(path)
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB"
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("name, data", [
    ("0/W", np.zeros((4, 8), np.float32).tobytes()),
    ("__format_version__", b"1"),
    ("notes.txt", b"hello"),
    ("../escape.npy", b""),
    ("0/W.npy.npy", b""),
], ids=["no suffix", "meta without suffix", "text", "traversal", "double suffix"])
def test_unknown_archive_members_are_refused_by_name(tmp_path, name, data):
    # Issue 15, item 10: members kerasite never writes were returned as bytes and
    # crashed the loader with a raw AttributeError.
    model = _trained()
    weights = tmp_path / "m.weights.npz"
    model.save_weights(weights)
    _write_members(weights, {**_members(weights), name: data})
    with pytest.raises(ValueError, match=rf"unknown member {re.escape(repr(name))}.*kerasite "
                                         r"writes only"):
        model.load_weights(weights)
    path = tmp_path / "m.kerasite"
    for member in ("weights.npz", "optimizer.npz"):
        model.save(path)
        _rewrite(path, **{member.replace(".", "_"): _with_member(_members(path)[member],
                                                                 name, data)})
        with pytest.raises(ValueError, match=rf"unknown member {re.escape(repr(name))}"):
            load_model(path)
    model.save(path)
    _write_members(path, {**_members(path), "extra.py": b"import os"})
    with pytest.raises(ValueError, match=r"unknown member 'extra\.py'"):
        load_model(path)


def _with_member(npz_bytes, name, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz_bytes)) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        new.writestr(name, data)
    return buffer.getvalue()


def test_an_iterations_array_cannot_override_the_validated_step_count(tmp_path):
    # Issue 15, item 8: an extra 'iterations' array used to win over training_state;
    # -1 loaded, then fit raised ZeroDivisionError.
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    state = _npz_arrays(_members(path)["optimizer.npz"])
    _rewrite(path, optimizer_npz=_npz({**state, "iterations": np.array(-1)}))
    with pytest.raises(ValueError, match=r"unknown member 'iterations\.npy'"):
        load_model(path)


@pytest.mark.parametrize("optimizer, slot, value, message", [
    ("adam", "m/0", lambda a: a.astype(np.complex64), r"'m/0' has dtype complex64"),
    ("adam", "m/0", lambda a: a.astype("U3"), r"'m/0' has dtype <U3"),
    ("adam", "m/0", lambda a: a > 0, r"'m/0' has dtype bool"),
    ("adam", "m/0", lambda a: a.astype(np.int32), r"'m/0' has dtype int32"),
    ("adam", "v/2", lambda a: a - 1.0, r"'v/2' holds negative values"),
    ("rmsprop", "velocity/0", lambda a: -a - 1.0, r"'velocity/0' holds negative values"),
    ("adam", "m/1", lambda a: np.full_like(a, np.nan), r"'m/1' holds NaN or infinite"),
    ("sgd_momentum", "momentum/0", lambda a: np.full_like(a, np.inf),
     r"'momentum/0' holds NaN or infinite"),
])
def test_optimizer_slots_are_checked_as_strictly_as_weights(
        tmp_path, optimizer, slot, value, message):
    # Issue 15, item 8: a negative second moment gave NaN on the next step; wrong dtypes
    # loaded and were cast silently.
    if optimizer == "sgd_momentum":
        optimizer = optimizers.SGD(0.01, momentum=0.9)
    path = tmp_path / "m.kerasite"
    _trained(optimizer=optimizer).save(path)
    state = _npz_arrays(_members(path)["optimizer.npz"])
    state[slot] = value(state[slot])
    _rewrite(path, optimizer_npz=_npz(state))
    with pytest.raises(ValueError, match=r"Cannot load .*m\.kerasite'.*optimizer.*" + message):
        load_model(path)


@pytest.mark.parametrize("value", [2**63, 10**400])
def test_a_step_count_too_large_to_compute_with_is_refused(tmp_path, value):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["training_state"]["optimizer_iterations"] = value
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"training_state\.optimizer_iterations must be an "
                                         r"integer from 0 to"):
        load_model(path)


@pytest.mark.parametrize("other", [
    lambda: Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.25),
                        layers.Dense(6), layers.Dense(3)]),
    lambda: Sequential([layers.Dense(8), layers.Dense(2)]),
    lambda: Sequential([layers.Reshape((3,)), layers.Dense(2)]),
], ids=["misshapen", "fewer layers", "cannot take the shape"])
def test_a_refused_load_weights_leaves_an_unbuilt_model_unbuilt(tmp_path, other):
    # Issue 15, item 9: the model used to be built for the file's input shape before
    # the checks failed. A failure must leave the model as it was.
    path = tmp_path / "w.weights.npz"
    _trained().save_weights(path)
    model = other()
    config = model.get_config()
    with pytest.raises(ValueError, match=r"Cannot load"):
        model.load_weights(path)
    assert not model.built and model.input_shape is None
    assert not any(layer.built for layer in model.layers)
    assert model.get_config() == config
    model.build((None, 3))  # and it can still be built for another shape


@pytest.fixture
def float64_model_file(tmp_path):
    from kerasite import config

    config.set_floatx("float64")
    try:
        model = _trained()
        path = tmp_path / "m64.kerasite"
        model.save(path)
        model.save_weights(tmp_path / "m64.weights.npz")
        x = _data()[0].astype(np.float64)
        expected = model.predict(x)
    finally:
        config.set_floatx("float32")
    return path, x, expected


def test_a_float64_model_loaded_at_float32_warns_and_says_how_to_restore_it(
        float64_model_file):
    # Issue 15, item 6: it used to load as float32, predict differently, and say nothing.
    from kerasite import config

    path, x, expected = float64_model_file
    assert _config(path)["floatx"] == "float64"
    with pytest.warns(UserWarning, match=r"m64\.kerasite' was saved in float64, but this "
                                         r"process uses float32.*set_floatx\('float64'\)"):
        loaded = load_model(path)
    assert loaded.get_weights()[0].dtype == np.float32
    config.set_floatx("float64")
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            restored = load_model(path)
        assert np.array_equal(restored.predict(x), expected)  # bit for bit, once restored
    finally:
        config.set_floatx("float32")


def test_float64_weights_loaded_into_a_float32_model_warn(float64_model_file):
    path, _, _ = float64_model_file
    model = _model()
    with pytest.warns(UserWarning, match=r"m64\.weights\.npz' holds float64 weights, but "
                                         r"this model's are float32"):
        model.load_weights(path.with_name("m64.weights.npz"))


@pytest.mark.parametrize("value", ["float16", 64, None])
def test_an_invalid_floatx_in_the_file_is_refused(tmp_path, value):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    config = _config(path)
    config["floatx"] = value
    _rewrite(path, config_json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"config\.json's floatx must be 'float32' or "
                                         r"'float64'"):
        load_model(path)


def _with_extra_layers(path, n):
    config = _config(path)
    config["config"]["layers"] += [
        {"class_name": "Dropout", "config": {"rate": 0.0, "name": f"extra_{i}"}}
        for i in range(n)]
    _rewrite(path, config_json=json.dumps(config).encode())


def test_the_layer_count_is_capped_before_any_layer_is_made(tmp_path, monkeypatch):
    # Issue 15, item 12: a 100 KB config with 40,000 layers took minutes to load.
    # The cap is checked on the JSON, before a single layer is made.
    monkeypatch.setattr(saving._archive, "MAX_LAYERS", 10)
    path = tmp_path / "m.kerasite"
    _trained().save(path)  # 4 layers
    _with_extra_layers(path, 6)
    assert len(load_model(path).layers) == 10  # at the cap: loads
    _with_extra_layers(path, 1)
    made = []
    real = layers.deserialize
    monkeypatch.setattr(layers, "deserialize", lambda c: made.append(c) or real(c))
    with pytest.raises(ValueError, match=r"m\.kerasite': it describes 11 layers; kerasite "
                                         r"loads at most 10 \(kerasite\.saving\.MAX_LAYERS\)"):
        load_model(path)
    assert made == []


def test_the_layer_cap_counts_nested_models(tmp_path, monkeypatch):
    monkeypatch.setattr(saving._archive, "MAX_LAYERS", 3)
    encoder = Encoder([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    decoder = Decoder([layers.Dense(3), layers.Dense(4)])
    model = Autoencoder(encoder, decoder)
    model.build((None, 4))
    path = tmp_path / "ae.kerasite"
    model.save(path)
    with pytest.raises(ValueError, match=r"describes 4 layers"):
        load_model(path)


def test_a_file_larger_than_the_cap_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "m.kerasite"
    _trained().save(path)
    monkeypatch.setattr(saving._archive, "MAX_FILE_SIZE", path.stat().st_size - 1)
    with pytest.raises(ValueError, match=r"m\.kerasite': it is \d+ bytes; kerasite loads "
                                         r"files of at most \d+ bytes \(kerasite\.saving\."
                                         r"MAX_FILE_SIZE\)"):
        load_model(path)
    with pytest.raises(ValueError, match=r"MAX_FILE_SIZE"):
        _trained().load_weights(path)


# ========================== issue 15, item 13: activation arguments checked on load
def _with_layer_config(path, index, **changes):
    config = _config(path)
    config["config"]["layers"][index]["config"].update(changes)
    _rewrite(path, config_json=json.dumps(config).encode())


def _refuses(make):
    try:
        make()
    except (ValueError, TypeError):
        return True
    return False


# The constructors belong to the activations owner, who adds these checks (issue 15,
# item 13); until then these cases are expected failures, and real tests once they land.
_OWNER = "the constructor check is the activations owner's part of issue 15, item 13"
_pending_slope = pytest.mark.xfail(
    not _refuses(lambda: layers.LeakyReLU(negative_slope=float("inf"))), reason=_OWNER,
    strict=True)
_pending_axis = pytest.mark.xfail(
    not _refuses(lambda: Sequential([layers.Dense(3, input_shape=(2,)), layers.Softmax(axis=7)])),
    reason=_OWNER, strict=True)


@pytest.mark.parametrize("slope", [pytest.param(float("inf"), marks=_pending_slope), -1.0,
                                   "0.2"], ids=["inf", "negative", "string"])
def test_a_leaky_relu_with_an_invalid_slope_is_refused_on_load(tmp_path, slope):
    # JSON cannot hold infinity, but Python's json writes and reads it as 'Infinity'.
    path = tmp_path / "m.kerasite"
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.LeakyReLU(0.3)])
    model.save(path)
    _with_layer_config(path, 1, negative_slope=slope)
    with pytest.raises(ValueError, match=r"Cannot load .*negative_slope"):
        load_model(path)


@pytest.mark.parametrize("axis", [pytest.param(7, marks=_pending_axis),
                                  pytest.param(-3, marks=_pending_axis), 1.0],
                         ids=["7", "-3", "float"])
def test_a_softmax_with_an_axis_the_input_lacks_is_refused_on_load(tmp_path, axis):
    path = tmp_path / "m.kerasite"
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Softmax()])
    model.save(path)
    _with_layer_config(path, 1, axis=axis)
    with pytest.raises(ValueError, match=r"Cannot load .*axis"):
        load_model(path)


@functools.lru_cache(maxsize=1)
def _weights_reference():
    model = _trained()
    path = os.path.join(tempfile.mkdtemp(), "ref.weights.npz")
    model.save_weights(path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.one_of(st.integers(0, 9), st.sampled_from([2**20, 2**31, 2**40,
                                                                      2**62])), max_size=4),
       dtype=st.sampled_from(["<f4", ">f8", "<f2", "<i8", "|b1", "<c16", "<U3", "|V8"]),
       n_data=st.integers(0, 200))
def test_any_npy_header_gives_a_clear_error_or_the_array_it_holds(tmp_path, shape, dtype,
                                                                   n_data):
    # Issue 15, item 4 as a property: whatever shape and dtype a member's header claims,
    # loading reads no more than the member holds and fails cleanly, or (when the claim is
    # honest) refuses it as a misshapen or non-float weight, leaving the model unchanged.
    import tracemalloc

    members = dict(_weights_reference())
    members["0/W.npy"] = _npy_with_header(tuple(shape), dtype, bytes(n_data))
    path = tmp_path / f"h{abs(hash((tuple(shape), dtype, n_data)))}.weights.npz"
    _write_members(path, members)
    model = _trained()
    before = model.get_weights()
    tracemalloc.start()
    try:
        with pytest.raises((OSError, ValueError)) as info:
            model.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak / 2**20:.0f} MiB"
    assert path.name in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("kind", ["model", "weights"])
def test_a_weight_member_larger_than_its_weight_needs_is_refused_unread(tmp_path, kind):
    # Issue 15, item 4: each member's declared size is checked against the size the
    # model's config implies for that weight, before the member is read.
    model = _trained()
    path = tmp_path / ("m.kerasite" if kind == "model" else "m.weights.npz")
    getattr(model, "save" if kind == "model" else "save_weights")(path)
    big = io.BytesIO()
    np.save(big, np.zeros((4000, 8), np.float64))  # '0/W' is (4, 8)
    if kind == "model":
        weights = _members(path)["weights.npz"]
        _rewrite(path, weights_npz=_with_member_replaced(weights, "0/W.npy", big.getvalue()))
        load = functools.partial(load_model, path)
    else:
        _write_members(path, {**_members(path), "0/W.npy": big.getvalue()})
        load = functools.partial(model.load_weights, path)
    with pytest.raises(ValueError, match=r"member '0/W\.npy' declares 256128 bytes, more than "
                                         r"weight '0/W' of shape \(4, 8\) can need"):
        load()


def _with_member_replaced(npz_bytes, name, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz_bytes)) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, data if info.filename == name else old.read(info))
    return buffer.getvalue()
