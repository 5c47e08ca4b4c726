"""Layers own their weights as Variables: live through training, with Keras's names and paths."""

import numpy as np
import pytest

from kerasite import Input, Model, Sequential, Variable, layers, optimizers
from kerasite.optimizers import _flat


def _data(n_in=4, n_out=2, n=16, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, n_in)).astype("float32"),
            rng.normal(size=(n, n_out)).astype("float32"))


def _mlp(name=None):
    model = Sequential([Input((4,)), layers.Dense(5, activation="relu"), layers.Dense(2)],
                       name=name)
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    return model


# ------------------------------------------------------------ live through fit
def test_weights_taken_before_fit_show_the_trained_values_after():
    x, y = _data()
    model = _mlp()
    w, k, W, b = (model.weights[0], model.layers[0].kernel, model.layers[0].W,
                  model.layers[1].bias)
    before = [w.numpy(), b.numpy()]
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    after = model.get_weights()
    assert not np.array_equal(before[0], after[0]) and not np.array_equal(before[1], after[3])
    np.testing.assert_array_equal(w.numpy(), after[0])  # before today's change: the old array
    np.testing.assert_array_equal(k.value, after[0])
    np.testing.assert_array_equal(np.asarray(W), after[0])
    np.testing.assert_array_equal(b.numpy(), after[3])
    assert w is k is W is model.layers[0].kernel  # one object, never replaced
    # params and grads read the variables, so they are live too
    assert model.layers[0].params["W"] is w.value and model.layers[0].grads["W"] is w._grad


def test_training_moves_the_variables_into_one_buffer_without_touching_the_layers():
    x, y = _data()
    model = _mlp()
    dense = model.layers[0]
    attrs = dict(vars(dense))
    model.fit(x, y, epochs=1, verbose=0)
    assert model.layers[0].kernel.value.base is model.layers[1].bias.value.base
    assert model._flat_buffer.params is model.layers[0].kernel.value.base
    for name in ("kernel", "bias", "params", "grads"):  # the same objects as before fit
        assert vars(dense)[name] is attrs[name]
    assert not hasattr(_flat, "generation")


def test_weights_are_variables_with_keras_names_and_paths():
    model = Sequential([Input((4,)), layers.Dense(3, name="dense"),
                        layers.BatchNormalization(name="batch_normalization"),
                        layers.Dense(2, use_bias=False, name="dense_1")], name="sequential")
    assert all(isinstance(w, Variable) for w in model.weights)
    # Computed with Keras 3.15.1 on JAX, for the same Sequential:
    #   keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
    #                     keras.layers.BatchNormalization(),
    #                     keras.layers.Dense(2, use_bias=False)])
    #   [w.path for w in m.weights], [w.name for w in m.weights]
    assert [w.path for w in model.weights] == [
        "sequential/dense/kernel", "sequential/dense/bias",
        "sequential/batch_normalization/gamma", "sequential/batch_normalization/beta",
        "sequential/batch_normalization/moving_mean",
        "sequential/batch_normalization/moving_variance", "sequential/dense_1/kernel"]
    assert [w.name for w in model.weights] == ["kernel", "bias", "gamma", "beta", "moving_mean",
                                               "moving_variance", "kernel"]
    assert [w.trainable for w in model.weights] == [True, True, True, True, False, False, True]
    bn = model.layers[1]
    assert [bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance] == model.weights[2:6]
    assert model.trainable_weights == [model.weights[i] for i in (0, 1, 2, 3, 6)]
    assert model.non_trainable_weights == model.weights[4:6]
    assert model.variables == model.weights and bn.variables == bn.weights
    assert model.trainable_variables == model.trainable_weights
    assert model.non_trainable_variables == model.non_trainable_weights
    assert model.layers[2].bias is None and model.layers[2].b is None


def test_other_layers_name_their_variables_as_keras():
    # Keras 3.15.1 on JAX: Sequential([Input((6,), dtype="int32"), Embedding(10, 4),
    # LayerNormalization()]) -> embedding/embeddings, layer_normalization/gamma, .../beta;
    # Sequential([Input((5, 5, 1)), Conv2D(2, 3), Conv2DTranspose(1, 2)]) ->
    # conv2d/kernel, conv2d/bias, conv2d_transpose/kernel, conv2d_transpose/bias.
    seq = Sequential([Input((6,)), layers.Embedding(10, 4, name="embedding"),
                      layers.LayerNormalization(name="layer_normalization")], name="sequential_1")
    assert [w.path for w in seq.weights] == [
        "sequential_1/embedding/embeddings", "sequential_1/layer_normalization/gamma",
        "sequential_1/layer_normalization/beta"]
    assert seq.layers[0].embeddings is seq.weights[0]
    conv = Sequential([Input((5, 5, 1)), layers.Conv2D(2, 3, name="conv2d"),
                       layers.Conv2DTranspose(1, 2, name="conv2d_transpose")], name="sequential_2")
    assert [w.path for w in conv.weights] == [
        "sequential_2/conv2d/kernel", "sequential_2/conv2d/bias",
        "sequential_2/conv2d_transpose/kernel", "sequential_2/conv2d_transpose/bias"]
    assert conv.layers[0].W is conv.layers[0].kernel and conv.layers[0].b is conv.layers[0].bias
    # A layer built on its own (or in a functional model) has no model in its paths.
    dense = layers.Dense(2, name="solo")
    dense.ensure_built((None, 3))
    assert [w.path for w in dense.weights] == ["solo/kernel", "solo/bias"]
    # The older keys stay, for saved files and existing code.
    assert list(dense.params) == ["W", "b"] and list(dense.grads) == ["W", "b"]


def test_a_frozen_variable_is_left_alone_after_compile():
    x, y = _data()
    model = _mlp()
    bias = model.layers[0].bias
    bias.trainable = False  # as in Keras: the variable leaves trainable_weights
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    assert bias not in model.trainable_weights and model.non_trainable_weights == [bias]
    before, kernel = bias.numpy(), model.layers[0].kernel.numpy()
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(bias.numpy(), before)
    assert not np.array_equal(model.layers[0].kernel.numpy(), kernel)


def test_get_and_set_weights_work_with_arrays():
    model = _mlp()
    values = [np.full(w.shape, i, dtype="float32") for i, w in enumerate(model.weights)]
    model.set_weights(values)
    out = model.get_weights()
    assert all(type(a) is np.ndarray for a in out)
    for a, b in zip(out, values):
        np.testing.assert_array_equal(a, b)
    out[0][...] = 99  # copies
    assert model.weights[0].numpy()[0, 0] == 0


# ------------------------------------------------------------ shared layers
def test_two_models_sharing_a_layer_trained_alternately_stay_correct():
    """Each model's setup moves the shared variables into its buffer; the other follows."""
    x, y = _data(n_out=3)
    rng = np.random.default_rng(1)
    init = [rng.normal(size=(4, 3)).astype("float32"), np.zeros(3, "float32")]
    head = [rng.normal(size=(3, 3)).astype("float32"), np.zeros(3, "float32")]

    def build(shared):
        inp = Input((4,))
        a = Model(inp, shared(inp))
        inp2 = Input((4,))
        top = layers.Dense(3)
        b = Model(inp2, top(shared(inp2)))
        top.set_weights(head)
        for m in (a, b):
            m.compile(optimizer=optimizers.SGD(0.1, momentum=0.5), loss="mse")
        return a, b

    shared = layers.Dense(3)
    shared.ensure_built((None, 4))
    shared.set_weights(init)
    a, b = build(shared)
    # The reference: the same two models on separate layers, the shared weights copied
    # across by hand before each step.
    ref_a_layer, ref_b_layer = layers.Dense(3), layers.Dense(3)
    for layer in (ref_a_layer, ref_b_layer):
        layer.ensure_built((None, 4))
        layer.set_weights(init)
    ref_a, _ = build(ref_a_layer)
    _, ref_b = build(ref_b_layer)
    buffers = []
    for step in range(4):
        for model, ref, src, dst in ((a, ref_a, ref_b_layer, ref_a_layer),
                                     (b, ref_b, ref_a_layer, ref_b_layer)):
            dst.set_weights(src.get_weights())
            model.train_on_batch(x, y)
            buffers.append(model._flat_buffer)
            ref.train_on_batch(x, y)
            np.testing.assert_allclose(shared.kernel.numpy(), ref.layers[1].kernel.numpy(),
                                       rtol=1e-6, atol=1e-7)
    # b's first set-up moved the shared variables into its buffer: a's first buffer was
    # invalidated and a set up again on its next step; the shared variables now lie at the
    # start of b's buffer, so a trains them there, in one pass too, and nothing moves again.
    assert not buffers[0].valid and buffers[2] is not buffers[0]
    assert buffers[2:] == [buffers[2], buffers[1]] * 3 and a._flat_buffer.valid
    assert np.shares_memory(a._flat_buffer.params, b._flat_buffer.params)
    assert a.optimizer._flat is not None and b.optimizer._flat is not None


def test_a_buffer_is_invalidated_only_when_its_variables_move():
    x, y = _data()
    model = _mlp()
    model.fit(x, y, epochs=1, verbose=0)
    buffer = model._flat_buffer
    model.train_on_batch(x, y)
    assert model._flat_buffer is buffer and buffer.valid  # no set-up per step
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert model._flat_buffer is not buffer and not buffer.valid  # released by the new set-up
    assert np.shares_memory(model._flat_buffer.params, buffer.params)  # nothing moved


# ------------------------------------------------------------ Variable itself
def test_assign_checks_the_shape_and_names_the_variable():
    layer = layers.Dense(2, name="d")
    layer.ensure_built((None, 3))
    with pytest.raises(ValueError, match=r"Variable 'd/kernel' has shape \(3, 2\); assign\(\) "
                                         r"received a value of shape \(2, 3\)\."):
        layer.kernel.assign(np.zeros((2, 3)))
    layer.kernel.assign(np.ones((3, 2)))
    np.testing.assert_array_equal(layer.params["W"], np.ones((3, 2)))
    layer.bias.assign_add(np.ones(2))
    layer.bias.assign_sub(0.5)
    np.testing.assert_array_equal(layer.b.numpy(), [0.5, 0.5])


def test_rebind_refuses_another_shape():
    v = Variable(np.zeros((2, 2)), name="v")
    with pytest.raises(ValueError, match=r"Variable 'v': cannot move a value of shape \(2, 2\) "
                                         r"into an array of shape \(4,\)"):
        v._rebind(np.zeros(4))
    with pytest.raises(ValueError, match=r"Variable 'v': cannot move a gradient of shape None"):
        v._rebind_grad(np.zeros((2, 2)))


def test_a_variable_copies_its_initial_value():
    a = np.zeros(3)
    v = Variable(a)
    v.assign_add(1.0)
    assert a.tolist() == [0.0, 0.0, 0.0]


def test_params_mapping_writes_into_the_variables():
    layer = layers.Dense(2)
    layer.ensure_built((None, 3))
    kernel = layer.kernel.value
    layer.params["W"] = np.full((3, 2), 2.0)
    assert layer.kernel.value is kernel and kernel[0, 0] == 2.0
    layer.grads["W"] += 1.0
    np.testing.assert_array_equal(layer.dW, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"Weight 'W' has shape \(3, 2\)\. Received an array of "
                                         r"shape \(2,\)"):
        layer.params["W"] = np.zeros(2)
    with pytest.raises(KeyError):
        layer.params["kernel"]


def test_assigning_a_recorded_tensor_writes_its_value_and_is_not_differentiated():
    # The subclassing guide's ComputeSum: a layer's call updates a non-trainable state
    # with ops on its (tracked) input; the state takes the values, the tape goes on.
    from kerasite import GradientTape, ops

    total = Variable(np.zeros(2))
    x = ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with GradientTape() as tape:
        tape.watch(x)
        total.assign_add(ops.sum(x, axis=0))
        total.assign_sub(ops.ones(2))
        total[0] = ops.sum(x)
        y = ops.sum(x * 2.0)
    assert total.numpy().tolist() == [10.0, 5.0]
    assert tape.gradient(y, x).tolist() == [[2.0, 2.0], [2.0, 2.0]]
