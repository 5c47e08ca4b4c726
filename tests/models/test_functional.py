"""The graph engine: functional, nested, shared and subclassed models.

Gradients are checked in float64 against central finite differences
(kerasite.gradcheck); forward values against hand computations.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, config, layers, utils
from kerasite.gradcheck import check_gradients
from kerasite.models import load_model

TOL = 1e-6


@pytest.fixture
def float64():
    config.set_floatx("float64")
    utils.set_random_seed(0)
    yield
    config.set_floatx("float32")


def _data(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(5, *s)) for s in shapes]


# ------------------------------------------------------------------ gradients
def test_fan_out_gradients_add_up(float64):
    x = Input((3,))
    h = layers.Dense(4, activation="tanh")(x)
    a = layers.Dense(2, activation="sigmoid")(h)  # h feeds two layers
    b = layers.Dense(2)(h)
    out = layers.Add()([a, b])
    model = Model(x, out)
    xd, yd = _data((3,), (2,))
    report = check_gradients(model, xd, yd, "mse")
    assert report.max_rel_diff < TOL, report


def test_a_tensor_used_twice_by_one_merge_layer(float64):
    x = Input((3,))
    h = layers.Dense(3, activation="tanh")(x)
    model = Model(x, layers.Multiply()([h, h]))  # h * h: both gradients land on h
    xd, yd = _data((3,), (3,))
    assert check_gradients(model, xd, yd, "mse").max_rel_diff < TOL


@pytest.mark.parametrize("merge", [layers.Add, layers.Subtract, layers.Multiply, layers.Average,
                                   layers.Maximum, layers.Minimum, layers.Concatenate])
def test_every_merge_layer_in_a_two_branch_model(float64, merge):
    a_in, b_in = Input((4,), name="a"), Input((4,), name="b")
    a = layers.Dense(3, activation="tanh")(a_in)
    b = layers.Dense(3, activation="tanh")(b_in)
    merged = merge()([a, b])
    model = Model([a_in, b_in], layers.Dense(2)(merged))
    xa, xb, y = _data((4,), (4,), (2,))
    report = check_gradients(model, [xa, xb], y, "mse")
    assert report.max_rel_diff < TOL, report


@pytest.mark.parametrize("merge", [layers.Add, layers.Multiply, layers.Average, layers.Maximum,
                                   layers.Minimum])
def test_merge_layers_with_three_inputs_alone(float64, merge):
    xs = _data((3,), (3,), (3,), seed=3)
    y = _data((3,), seed=4)[0]
    report = check_gradients(merge(), xs, y, "mse")
    assert report.max_rel_diff < TOL, report


def test_concatenate_on_another_axis(float64):
    xs = _data((2, 3), (4, 3), seed=5)
    y = _data((6, 3), seed=6)[0]
    layer = layers.Concatenate(axis=1)
    assert layer(xs).shape == (5, 6, 3)
    assert check_gradients(layer, xs, y, "mse").max_rel_diff < TOL


def test_merge_forward_values_by_hand():
    a, b = np.array([[1.0, -2.0]]), np.array([[3.0, 5.0]])
    assert np.array_equal(layers.Add()([a, b]), [[4.0, 3.0]])
    assert np.array_equal(layers.Subtract()([a, b]), [[-2.0, -7.0]])
    assert np.array_equal(layers.Multiply()([a, b]), [[3.0, -10.0]])
    assert np.array_equal(layers.Average()([a, b]), [[2.0, 1.5]])
    assert np.array_equal(layers.Maximum()([a, b]), [[3.0, 5.0]])
    assert np.array_equal(layers.Minimum()([a, b]), [[1.0, -2.0]])
    assert np.array_equal(layers.Concatenate()([a, b]), [[1.0, -2.0, 3.0, 5.0]])


def test_a_layer_called_twice_in_one_model(float64):
    shared = layers.Dense(3, activation="tanh")
    x = Input((3,))
    y = shared(shared(x))  # the same weights, two caches
    model = Model(x, layers.Dense(1)(y))
    xd, yd = _data((3,), (1,))
    report = check_gradients(model, xd, yd, "mse")
    assert report.max_rel_diff < TOL, report
    assert model.count_params() == 12 + 4  # shared weights counted once


def test_siamese_towers_share_weights(float64):
    tower = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)], name="tower")
    a, b = Input((5,)), Input((5,))
    distance = layers.Subtract()([tower(a), tower(b)])
    model = Model([a, b], layers.Dense(1, activation="sigmoid")(distance))
    xa, xb = _data((5,), (5,), seed=1)
    y = (np.arange(5) % 2).reshape(5, 1).astype(float)
    report = check_gradients(model, [xa, xb], y, "binary_crossentropy")
    assert report.max_rel_diff < TOL, report
    assert model.layers[2] is tower and len(model.weights) == 4 + 2


def test_nested_model_with_a_shared_layer_called_twice_by_the_parent(float64):
    inner_shared = layers.Dense(3, activation="tanh")
    i = Input((3,))
    inner = Model(i, inner_shared(inner_shared(i)), name="inner")
    x = Input((3,))
    model = Model(x, layers.Dense(2)(inner(inner(x))))
    xd, yd = _data((3,), (2,), seed=2)
    report = check_gradients(model, xd, yd, "mse")
    assert report.max_rel_diff < TOL, report


def test_multi_input_multi_output_gradients(float64):
    a_in, b_in = Input((3,), name="a"), Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="tanh")(a_in), b_in])
    out1 = layers.Dense(1, name="score")(h)
    out2 = layers.Dense(3, activation="softmax", name="kind")(h)
    model = Model([a_in, b_in], [out1, out2])
    xa, xb, y1 = _data((3,), (2,), (1,))
    y2 = np.eye(3)[[0, 1, 2, 0, 1]]
    report = check_gradients(model, [xa, xb], [y1, y2], ["mse", "categorical_crossentropy"])
    assert report.max_rel_diff < TOL, report


def test_symbolic_arithmetic_becomes_merge_layers(float64):
    x = Input((3,))
    a = layers.Dense(3, activation="tanh")(x)
    b = layers.Dense(3)(x)
    model = Model(x, a * b - a + b)
    assert [type(layer).__name__ for layer in model.layers[-3:]] == ["Multiply", "Subtract", "Add"]
    xd, yd = _data((3,), (3,))
    assert check_gradients(model, xd, yd, "mse").max_rel_diff < TOL


# ----------------------------------------------------------------- subclassed
class TwoTower(Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.towers = [layers.Dense(units, activation="tanh"), layers.Dense(units)]
        self.head = layers.Dense(1)
        self.dropout = layers.Dropout(0.5, seed=1)

    def call(self, inputs, training=False):
        h = self.towers[0](inputs) + self.towers[1](inputs)
        if training:
            h = self.dropout(h)
        return self.head(h)


def test_subclassed_model_gradients(float64):
    model = TwoTower()
    xd, yd = _data((3,), (1,))
    model.build((None, 3))
    assert check_gradients(model, xd, yd, "mse").max_rel_diff < TOL
    # Training traces call(training=True) too: its dropout is in that graph only.
    assert check_gradients(model, xd, yd, "mse", training=True).max_rel_diff < TOL
    assert [layer.name for layer in model.layers] == [layer.name for layer in
                                                      (*model.towers, model.head, model.dropout)]


def test_subclassed_model_trains_and_saves_weights(tmp_path):
    utils.set_random_seed(1)
    x = np.random.default_rng(0).random((32, 3), dtype=np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = TwoTower()
    model.compile(optimizer="adam", loss="mse")
    first = model.fit(x, y, epochs=20, verbose=0).history["loss"]
    assert first[-1] < first[0]
    path = tmp_path / "two.weights.npz"
    model.save_weights(path)
    other = TwoTower()
    other.load_weights(path)
    assert np.array_equal(other.predict(x), model.predict(x))


def test_subclassed_whole_model_save_needs_registration(tmp_path):
    model = TwoTower(units=2)
    model.build((None, 3))
    with pytest.raises(ValueError, match="register_serializable"):
        model.save(tmp_path / "m.kerasite")

    @kerasite.saving.register_serializable()
    class RegisteredTower(TwoTower):
        pass

    model = RegisteredTower(units=2)
    model.build((None, 3))
    model.save(tmp_path / "m.kerasite")
    loaded = load_model(tmp_path / "m.kerasite")
    x = np.random.default_rng(0).random((4, 3), dtype=np.float32)
    assert type(loaded) is RegisteredTower and loaded.towers[0].units == 2
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_numpy_inside_call_is_explained():
    class Bad(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return np.tanh(self.dense(inputs))

    with pytest.raises(TypeError, match="np.tanh was called on symbolic tensor.*kerasite layers"):
        Bad().predict(np.zeros((2, 3)))


def test_python_branching_on_data_is_explained():
    class Branchy(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            h = self.dense(inputs)
            return h if h else -h

    with pytest.raises(TypeError, match="truth value of symbolic tensor.*Branch on Python"):
        Branchy().predict(np.zeros((2, 3)))


def test_a_layer_with_weights_made_inside_call_is_refused():
    class Sloppy(Model):
        def call(self, inputs):
            return layers.Dense(2)(inputs)

    with pytest.raises(ValueError, match="was created inside Sloppy.call.*in __init__"):
        Sloppy().predict(np.zeros((2, 3)))


# ---------------------------------------------------- the Keras blog autoencoder
def _blog_autoencoder():
    input_img = Input((16,))
    encoded = layers.Dense(4, activation="relu")(input_img)
    decoded = layers.Dense(16, activation="sigmoid")(encoded)
    autoencoder = Model(input_img, decoded)
    encoder = Model(input_img, encoded)
    encoded_input = Input((4,))
    decoder = Model(encoded_input, autoencoder.layers[-1](encoded_input))
    return autoencoder, encoder, decoder


def test_keras_blog_autoencoder_shares_one_graph():
    utils.set_random_seed(2)
    autoencoder, encoder, decoder = _blog_autoencoder()
    x = np.random.default_rng(0).random((64, 16), dtype=np.float32)
    before = encoder.predict(x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.fit(x, x, epochs=3, batch_size=16, shuffle=True, validation_data=(x, x),
                    verbose=0)
    assert not np.array_equal(encoder.predict(x), before)  # training one trained the other
    np.testing.assert_allclose(decoder.predict(encoder.predict(x)), autoencoder.predict(x),
                               rtol=1e-6, atol=1e-7)


def test_layer_graph_attributes():
    x = Input((3,), name="pixels")
    dense = layers.Dense(2, name="proj")
    y = dense(x)
    assert dense.input is x and dense.output is y
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    model = Model(x, y)
    assert model.inputs == [x] and model.outputs == [y]
    assert model.get_layer("proj") is dense and model.get_layer(index=0).name == "pixels"
    assert model.input_names == ["pixels"] and model.output_names == ["proj"]


# ------------------------------------------------------------- model as layer
def test_sequential_of_a_functional_encoder_and_a_softmax():
    utils.set_random_seed(3)
    i = Input((6,))
    encoder = Model(i, layers.Dense(3)(i), name="enc")
    classifier = Sequential([encoder, layers.Softmax()])
    x = np.random.default_rng(1).random((4, 6), dtype=np.float32)
    probs = classifier.predict(x)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    lines = []
    classifier.summary(print_fn=lines.append, expand_nested=True)
    table = "\n".join(lines)
    assert "enc (Model)" in table and "   └ dense" in table  # Keras 3 indents so


def test_nested_sequential_in_a_functional_graph_trains():
    utils.set_random_seed(4)
    block = Sequential([layers.Dense(8, activation="relu"), layers.Dense(8)], name="block")
    x = Input((4,))
    model = Model(x, layers.Dense(1)(block(x)))
    data = np.random.default_rng(2).random((64, 4), dtype=np.float32)
    target = data @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype=np.float32)
    model.compile(optimizer="adam", loss="mse")
    losses = model.fit(data, target, epochs=30, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


# ----------------------------------------------------- multi-input/output fit
def _two_in_two_out():
    a_in, b_in = Input((3,), name="a"), Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="relu")(a_in), b_in])
    score = layers.Dense(1, name="score")(h)
    kind = layers.Dense(3, activation="softmax", name="kind")(h)
    return Model([a_in, b_in], [score, kind])


def test_fit_with_lists_and_dicts_names_history_as_keras():
    utils.set_random_seed(5)
    rng = np.random.default_rng(3)
    xa, xb = rng.random((40, 3), dtype=np.float32), rng.random((40, 2), dtype=np.float32)
    score, kind = rng.random((40, 1), dtype=np.float32), rng.integers(0, 3, 40)
    model = _two_in_two_out()
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[1.0, 0.5], metrics=[[], ["accuracy"]])
    history = model.fit([xa, xb], [score, kind], epochs=2, validation_split=0.25, verbose=0)
    assert sorted(history.history) == sorted([
        "loss", "score_loss", "kind_loss", "kind_accuracy",
        "val_loss", "val_score_loss", "val_kind_loss", "val_kind_accuracy"])
    logs = model.evaluate({"a": xa, "b": xb}, {"score": score, "kind": kind}, verbose=0,
                          return_dict=True)
    # The total is the weighted sum of the outputs' losses.
    assert logs["loss"] == pytest.approx(logs["score_loss"] + 0.5 * logs["kind_loss"], rel=1e-6)
    preds = model.predict([xa, xb])
    assert [p.shape for p in preds] == [(40, 1), (40, 3)]


def test_dict_outputs_take_dict_losses():
    x = Input((3,))
    h = layers.Dense(2)(x)
    model = Model(x, {"left": layers.Dense(1)(h), "right": layers.Dense(1)(h)})
    model.compile(optimizer="sgd", loss={"left": "mse", "right": "mae"})
    data = np.ones((8, 3), dtype=np.float32)
    history = model.fit(data, {"left": np.zeros((8, 1)), "right": np.ones((8, 1))}, verbose=0)
    assert {"left_loss", "right_loss"} <= set(history.history)
    assert set(model.predict(data)) == {"left", "right"}


# -------------------------------------------------------------------- freezing
def test_freezing_after_build_then_compile_freezes_and_thawing_unfreezes():
    utils.set_random_seed(6)
    i = Input((4,))
    base = Model(i, layers.Dense(4, activation="relu")(i), name="base")
    x = Input((4,))
    model = Model(x, layers.Dense(1, name="head")(base(x)))
    data = np.random.default_rng(4).random((32, 4), dtype=np.float32)
    target = data.sum(axis=1, keepdims=True)

    base.trainable = False
    model.compile(optimizer="adam", loss="mse")
    frozen = base.get_weights()
    head = model.get_layer("head").get_weights()
    model.fit(data, target, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), frozen))
    assert not np.array_equal(model.get_layer("head").get_weights()[0], head[0])
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert base.layers[1].trainable is False

    base.trainable = True
    model.compile(optimizer="adam", loss="mse")
    model.fit(data, target, epochs=2, verbose=0)
    assert not np.array_equal(base.get_weights()[0], frozen[0])
    assert len(model.trainable_weights) == 4


def test_a_frozen_run_saves_loads_and_resumes_exactly(tmp_path):
    utils.set_random_seed(7)
    model = Sequential([Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="mse")
    data = np.random.default_rng(5).random((24, 3), dtype=np.float32)
    target = data[:, :1]
    model.fit(data, target, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "frozen.kerasite"
    model.save(path)
    loaded = load_model(path)
    assert loaded.layers[0].trainable is False
    model.fit(data, target, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    loaded.fit(data, target, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))


# ---------------------------------------------------------------- save / load
def test_functional_multi_io_shared_and_nested_round_trip(tmp_path):
    utils.set_random_seed(8)
    tower = Sequential([layers.Dense(3, activation="tanh")], name="tower")
    shared = layers.Dense(3, name="shared")
    a, b = Input((3,), name="a"), Input((3,), name="b")
    merged = layers.Concatenate()([shared(tower(a)), shared(tower(b))])
    model = Model({"a": a, "b": b}, [layers.Dense(1, name="y1")(merged),
                                     layers.Dense(2, name="y2")(merged)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(6)
    xs = {"a": rng.random((8, 3), dtype=np.float32), "b": rng.random((8, 3), dtype=np.float32)}
    model.fit(xs, [rng.random((8, 1)), rng.random((8, 2))], verbose=0)
    path = tmp_path / "graph.kerasite"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is Model and loaded.input_names == ["a", "b"]
    for p, q in zip(loaded.predict(xs), model.predict(xs)):
        assert np.array_equal(p, q)
    assert loaded.get_layer("tower").layers[0].units == 3


def test_sequential_pop_and_weights():
    model = Sequential([Input((3,)), layers.Dense(4), layers.Dense(2)])
    assert len(model.weights) == 4 and model.layers[0].weights[0].shape == (3, 4)
    popped = model.pop()
    assert popped.units == 2 and model.output_shape == (None, 4)
    assert model.predict(np.zeros((1, 3))).shape == (1, 4)
    model.pop()
    with pytest.raises(ValueError, match="has no layers to pop"):
        model.pop()


# --------------------------------------------------------------------- errors
def test_a_shape_that_does_not_fit_raises_at_the_call_naming_the_layer():
    dense = layers.Dense(2, name="d")
    dense(Input((3,)))
    with pytest.raises(ValueError, match="Input to layer 'd' .*expected \\(batch, 3\\)"):
        dense(Input((5,)))
    with pytest.raises(ValueError, match="'add' .*same shape"):
        layers.Add(name="add")([Input((2,)), Input((3,))])


def test_graph_errors():
    a, b = Input((2,)), Input((2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="disconnected.*Pass every Input"):
        Model(a, out)
    with pytest.raises(ValueError, match="must come from kerasite.Input"):
        Model(out, layers.Dense(1)(out))
    with pytest.raises(ValueError, match="needs both `inputs` and `outputs`"):
        Model(inputs=a)
    with pytest.raises(TypeError, match="`outputs` must hold symbolic tensors"):
        Model(a, np.zeros(2))
    with pytest.raises(TypeError, match="mix of symbolic tensors"):
        layers.Add()([a, np.zeros((1, 2))])
    with pytest.raises(ValueError, match="takes exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    assert type((a + 1.0).node.layer).__name__ == "OpLayer"  # a constant: an op node


def test_data_and_compile_errors_for_several_inputs_and_outputs():
    model = _two_in_two_out()
    with pytest.raises(ValueError, match="`loss` has 3 entries but the model has 2 outputs"):
        model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="has 2 inputs .*pass `x` as a list"):
        model.fit(np.zeros((4, 3)), [np.zeros((4, 1)), np.zeros((4, 3))], verbose=0)
    with pytest.raises(ValueError, match="keys must be the model's input names.*Missing: \\['b'\\]"):
        model.predict({"a": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="exactly one of `name` and `index`"):
        model.get_layer()
    with pytest.raises(ValueError, match="No layer named 'nope'"):
        model.get_layer("nope")


def test_keras_functional_merge_forms():
    a, b, c = Input((2,)), Input((2,)), Input((2,))
    model = Model([a, b, c], layers.concatenate([layers.average([a, b, c]),
                                                 layers.add([a, b])]))
    x = [np.full((1, 2), v, dtype=np.float32) for v in (1.0, 2.0, 6.0)]
    assert np.array_equal(model.predict(x), [[3.0, 3.0, 3.0, 3.0]])


@pytest.mark.slow
def test_a_model_thousands_of_layers_deep_builds_and_runs():
    # Issue 15, item 12: building a Sequential rebuilt its graph after every layer
    # (quadratic), and sorting a deep graph recursed past Python's limit.
    depth = 3000
    chain = Sequential([Input((2,)), *[layers.Dense(2, kernel_initializer="identity")
                                        for _ in range(depth)]])
    x = np.ones((1, 2), dtype=np.float32)
    assert np.array_equal(chain.predict(x), x)
    again = Sequential.from_config(chain.get_config())
    assert len(again.layers) == depth and again.built
    inp = Input((2,))
    h = inp
    for _ in range(depth):
        h = layers.Dense(2, kernel_initializer="identity")(h)
    graph = Model(inp, layers.Add()([h, inp]))  # not a chain: the general path
    assert np.array_equal(graph.predict(x), 2 * x)


def test_a_multi_output_model_reloads_with_its_losses_weights_and_metrics(tmp_path):
    utils.set_random_seed(9)
    model = _two_in_two_out()
    model.compile(optimizer="adam", loss={"score": "mse", "kind": "sparse_categorical_crossentropy"},
                  loss_weights={"score": 1.0, "kind": 0.25},
                  metrics={"score": ["mae"], "kind": ["accuracy"]})
    rng = np.random.default_rng(8)
    xs = [rng.random((16, 3), dtype=np.float32), rng.random((16, 2), dtype=np.float32)]
    ys = [rng.random((16, 1), dtype=np.float32), rng.integers(0, 3, 16)]
    model.fit(xs, ys, epochs=1, verbose=0)
    model.save(tmp_path / "two.kerasite")
    loaded = load_model(tmp_path / "two.kerasite")
    expected = model.evaluate(xs, ys, verbose=0, return_dict=True)
    got = loaded.evaluate(xs, ys, verbose=0, return_dict=True)
    assert got.keys() == expected.keys() and "kind_accuracy" in got
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-6), key
