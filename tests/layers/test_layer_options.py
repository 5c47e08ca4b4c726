"""Layer options of issue 26: Dot(axes, normalize), LayerNormalization(rms_scaling), ...
Each checked against Keras 3.15.1 on JAX (float64), whose outputs
tests/layers/make_layer_options_reference.py wrote to
tests/data/layer_options_keras_reference.json, and by a float64 gradient check."""

import json
import pathlib

import numpy as np
import pytest

from kerasite import Input, Model, Sequential, constraints, layers, regularizers
from kerasite.gradcheck import check_gradients
from kerasite.models import load_model

KERAS = {k: np.array(v) if isinstance(v, list) and k != "dot_config" else v
         for k, v in json.loads((pathlib.Path(__file__).parents[1] / "data" /
                                 "layer_options_keras_reference.json").read_text())
         ["cases"].items()}
TOL = 1e-6


# ---------------------------------------------------------------------- Dot
@pytest.mark.parametrize("case,axes,normalize,x,y", [
    ("dot_1", 1, False, "x2", "y2"),
    ("dot_1_normalize", 1, True, "x2", "y2"),
    ("dot_2", 2, False, "x3", "y3"),
    ("dot_2_1_normalize", (2, 1), True, "x3", "z3"),
])
def test_dot_matches_keras_and_its_gradients_check(case, axes, normalize, x, y, float64):
    layer = layers.Dot(axes=axes, normalize=normalize)
    out = layer([KERAS[x], KERAS[y]])
    np.testing.assert_allclose(out, KERAS[case], rtol=1e-10, atol=1e-12)
    target = np.random.default_rng(1).normal(size=out.shape)
    report = check_gradients(layers.Dot(axes=axes, normalize=normalize),
                             [KERAS[x], KERAS[y]], target, "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_dot_config_shapes_and_errors():
    assert layers.Dot(axes=(2, 1), normalize=True).get_config()["axes"] == KERAS["dot_config"]
    a, b = Input((3, 4)), Input((5, 4))
    assert layers.Dot(axes=2)([a, b]).shape == (None, 3, 5)
    assert layers.dot([Input((4,)), Input((4,))], axes=1).shape == (None, 1)
    with pytest.raises(ValueError, match="`axes` may not be 0"):
        layers.Dot(axes=0)([Input((4,)), Input((4,))])
    with pytest.raises(ValueError, match="summed axes to have one size"):
        layers.Dot(axes=1)([Input((4,)), Input((3,))])
    with pytest.raises(ValueError, match="`axes` must be an int or a pair"):
        layers.Dot(axes=(1, 2, 3))


def test_dot_round_trips_through_keras_and_kerasite_files(tmp_path):
    a, b = Input((3, 4), name="a"), Input((5, 4), name="b")
    model = Model([a, b], layers.Dot(axes=2, normalize=True, name="dot")([a, b]))
    xs = [KERAS["x3"].astype("float32"), KERAS["y3"].astype("float32")]
    for name in ("m.keras", "m.kerasite"):
        model.save(tmp_path / name)
        loaded = load_model(tmp_path / name)
        assert loaded.get_layer("dot").get_config()["normalize"] is True
        np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0))


# ------------------------------------------------- LayerNormalization(rms_scaling)
def test_rms_scaling_matches_keras_and_learns_gamma_only(float64):
    layer = layers.LayerNormalization(rms_scaling=True)
    layer.build(KERAS["ln"].shape)
    assert [w.name for w in layer.weights] == ["gamma"]  # as Keras 3.15.1
    layer.gamma.assign(np.linspace(0.5, 1.5, 6))
    # Keras computes this one in float32 (its gamma variable), hence rtol 1e-6.
    np.testing.assert_allclose(layer(KERAS["ln"]), KERAS["rms"], rtol=1e-6, atol=1e-7)
    wide = layers.LayerNormalization(axis=[1, 2], rms_scaling=True, epsilon=1e-3)
    np.testing.assert_allclose(wide(KERAS["ln"]), KERAS["rms_axes"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_rms_scaling_gradients_check(axis, float64):
    rng = np.random.default_rng(2)
    layer = layers.LayerNormalization(axis=axis, rms_scaling=True,
                                      gamma_initializer="random_normal")
    report = check_gradients(layer, KERAS["ln"], rng.normal(size=(2, 3, 6)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_rms_scaling_round_trips_through_keras_files(tmp_path):
    model = Sequential([Input((6,)), layers.LayerNormalization(rms_scaling=True, name="ln")])
    model.layers[0].gamma.assign(np.linspace(0.5, 1.5, 6).astype("float32"))
    x = KERAS["ln"][0].astype("float32")
    for name in ("m.keras", "m.kerasite"):
        model.save(tmp_path / name)
        loaded = load_model(tmp_path / name)
        assert loaded.get_layer("ln").rms_scaling is True
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------- BatchNormalization regularizers and constraints
def _bn(**options):
    layer = layers.BatchNormalization(**options)
    layer.build((None, 3))
    layer.gamma.assign(np.array([0.5, -1.0, 2.0]))
    layer.beta.assign(np.array([-0.3, 0.2, 0.1]))
    return layer


def test_batchnorm_regularizers_add_keras_penalties_with_checked_gradients(float64):
    layer = _bn(gamma_regularizer="l2", beta_regularizer=regularizers.L1(0.1))
    # Keras 3: L2 default 0.01 * sum(gamma^2) + 0.1 * sum(|beta|), by hand:
    expected = 0.01 * (0.25 + 1.0 + 4.0) + 0.1 * (0.3 + 0.2 + 0.1)
    assert layer.regularization_penalty() == pytest.approx(expected, rel=1e-12)
    for grad in layer.grads.values():
        grad[...] = 0.0
    layer.add_regularization_gradients()
    for key in ("gamma", "beta"):  # central differences of the penalty
        value, numeric = layer.params[key], np.zeros(3)
        for i in range(3):
            old = value[i]
            value[i] = old + 1e-6
            up = layer.regularization_penalty()
            value[i] = old - 1e-6
            down = layer.regularization_penalty()
            value[i] = old
            numeric[i] = (up - down) / 2e-6
        np.testing.assert_allclose(layer.grads[key], numeric, rtol=1e-6)


def test_batchnorm_constraints_project_after_each_update(float64):
    model = Sequential([Input((3,)), _bn_in_model(beta_constraint="non_neg",
                                                  gamma_constraint=constraints.MaxNorm(1.0))])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(3)
    model.fit(rng.normal(size=(16, 3)), rng.normal(size=(16, 3)) - 2.0, epochs=2, verbose=0)
    bn = model.layers[0]
    assert (bn.params["beta"] >= 0).all()
    assert np.linalg.norm(bn.params["gamma"]) <= 1.0 + 1e-9


def _bn_in_model(**options):
    return layers.BatchNormalization(name="bn", **options)


def test_batchnorm_options_round_trip_through_keras_and_kerasite_files(tmp_path):
    model = Sequential([Input((3,)), _bn_in_model(gamma_regularizer=regularizers.L2(0.05),
                                                  beta_regularizer="l1",
                                                  gamma_constraint="non_neg",
                                                  beta_constraint=constraints.MaxNorm(2.0))])
    for name in ("m.keras", "m.kerasite"):
        model.save(tmp_path / name)
        config = load_model(tmp_path / name).get_layer("bn").get_config()
        assert config["gamma_regularizer"]["config"]["l2"] == pytest.approx(0.05)
        assert config["beta_regularizer"]["class_name"] == "L1"
        assert config["gamma_constraint"]["class_name"] == "NonNeg"
        assert config["beta_constraint"]["config"]["max_value"] == 2.0


# ------------------------------------------------------------ Lambda(arguments, mask)
def test_lambda_arguments_reach_the_function_and_the_gradient(float64):
    def scale(x, factor, shift=0.0):
        return x * factor + shift

    def scale_gradient(x, g, factor, shift=0.0):
        return g * factor

    layer = layers.Lambda(scale, arguments={"factor": 3.0, "shift": 1.0},
                          gradient=scale_gradient)
    x = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(layer(x), [[4.0, -5.0]])  # 3 x + 1, by hand
    assert layer.compute_output_shape((None, 2)) == (None, 2)
    rng = np.random.default_rng(4)
    model = Sequential([Input((2,)), layers.Dense(3), layers.Lambda(
        scale, arguments={"factor": -2.0}, gradient=scale_gradient), layers.Dense(1)])
    report = check_gradients(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"
    with pytest.raises(TypeError, match="`arguments` must be a dict"):
        layers.Lambda(scale, arguments=[3.0])


def test_lambda_mask_as_keras():
    fixed = np.array([[True, False, True]])
    layer = layers.Lambda(lambda x: x, mask=fixed)
    np.testing.assert_array_equal(layer.compute_mask(np.zeros((1, 3))), fixed)
    drop_last = layers.Lambda(lambda x: x[:, :-1], mask=lambda inputs, mask: mask[:, :-1])
    np.testing.assert_array_equal(
        drop_last.compute_mask(np.zeros((1, 3)), np.array([[True, True, False]])),
        [[True, True]])
    assert layers.Lambda(lambda x: x).compute_mask(np.zeros((1, 3)), fixed) is None  # as Keras


# ------------------------------------------------------------- Embedding(weights=)
def test_embedding_weights_give_the_table_as_keras(float64):
    table = np.arange(8.0).reshape(4, 2)
    layer = layers.Embedding(4, 2, weights=[table])
    assert layer.built  # Keras 3.15.1 builds it in the constructor too
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    np.testing.assert_array_equal(layer(np.array([[3, 0]])), [[[6.0, 7.0], [0.0, 1.0]]])
    np.testing.assert_array_equal(layers.Embedding(4, 2, weights=table).get_weights()[0], table)
    # The table's gradient (the input is discrete): dL/dE[i] sums g where x == i, by hand.
    x, g = np.array([[0, 1, 3], [2, 2, 1]]), np.arange(12.0).reshape(2, 3, 2)
    layer.forward(x, training=True)
    layer.backward(g, need_input_grad=False)
    np.testing.assert_array_equal(layer.grads["embeddings"],
                                  [[0, 1], [2 + 10, 3 + 11], [6 + 8, 7 + 9], [4, 5]])
    with pytest.raises(ValueError, match=r"must be one numeric matrix of shape \(input_dim"):
        layers.Embedding(4, 3, weights=[table])


# ------------------------------------------------- UpSampling2D(interpolation="bilinear")
@pytest.mark.parametrize("case,size", [("bilinear_2_3", (2, 3)), ("bilinear_2", 2)])
def test_bilinear_upsampling_matches_keras_and_its_gradients_check(case, size, float64):
    layer = layers.UpSampling2D(size=size, interpolation="bilinear")
    np.testing.assert_allclose(layer(KERAS["img"]), KERAS[case], rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(6)
    report = check_gradients(layers.UpSampling2D(size=size, interpolation="bilinear"),
                             KERAS["img"], rng.normal(size=KERAS[case].shape), "mse")
    assert report.max_rel_diff < TOL, f"\n{report}"


def test_bilinear_upsampling_round_trips_and_refuses_other_modes(tmp_path):
    model = Sequential([Input((3, 4, 2)), layers.UpSampling2D(interpolation="bilinear",
                                                              name="up")])
    x = KERAS["img"].astype("float32")
    for name in ("m.keras", "m.kerasite"):
        model.save(tmp_path / name)
        loaded = load_model(tmp_path / name)
        assert loaded.get_layer("up").interpolation == "bilinear"
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match='`interpolation` must be "nearest" or "bilinear"'):
        layers.UpSampling2D(interpolation="bicubic")


def test_average_pooling_2d_requires_pool_size_as_keras():
    with pytest.raises(TypeError, match="pool_size"):
        layers.AveragePooling2D()
    assert layers.AveragePooling2D(3).pool_size == (3, 3)
    assert layers.MaxPooling2D().pool_size == (2, 2)  # Keras's default stays for max pooling
