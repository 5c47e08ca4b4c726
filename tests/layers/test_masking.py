"""Masking, Embedding(mask_zero=True) and the mask's way through a model."""

import numpy as np
import pytest

import kerasite
from kerasite import layers
from kerasite.gradcheck import check_gradients


def test_masking_zeroes_the_padded_steps_and_makes_the_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    layer = layers.Masking()
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    np.testing.assert_array_equal(layer.forward(x), x)
    y = layers.Masking(mask_value=3.0).forward(np.full((1, 2, 2), 3.0))
    np.testing.assert_array_equal(y, np.zeros((1, 2, 2)))


def test_masking_gradient(float64):
    # Away from the padding the layer is the identity (finite differences cannot cross
    # the padding: nudging one feature of a padded step makes it a real one).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 3))
    layer = layers.Masking(mask_value=0.5)
    assert check_gradients(layer, x, rng.normal(size=x.shape), "mse").max_rel_diff < 1e-7
    x[0, 2:] = 0.5
    layer.forward(x)
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx[0, 2:], 0)
    np.testing.assert_array_equal(dx[1], 1)


def test_embedding_mask_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    np.testing.assert_array_equal(layer.compute_mask(np.array([[3, 0, 1]])),
                                  [[True, False, True]])
    assert layers.Embedding(5, 2).compute_mask(np.array([[0]])) is None
    assert layer.get_config()["mask_zero"] is True


@pytest.mark.parametrize("rnn", [lambda: layers.LSTM(3), lambda: layers.GRU(3),
                                 lambda: layers.Bidirectional(layers.SimpleRNN(2))])
def test_a_padded_batch_predicts_what_the_unpadded_sequences_do(rnn):
    inputs = kerasite.Input((None,), dtype="int32")
    hidden = layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = kerasite.Model(inputs, layers.Dense(1)(rnn()(hidden)))
    padded = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    out = model.predict(padded, verbose=0)
    np.testing.assert_allclose(out[0], model.predict(padded[:1, :3], verbose=0)[0], rtol=1e-5)


def test_the_mask_goes_through_dense_time_distributed_and_merge_layers():
    inputs = kerasite.Input((None, 2))
    masked = layers.Masking()(inputs)
    a = layers.Dense(3, activation="tanh")(masked)
    b = layers.TimeDistributed(layers.Dense(3))(masked)
    merged = layers.Add()([a, layers.Dropout(0.1)(b)])
    model = kerasite.Model(inputs, layers.SimpleRNN(2)(merged))
    x = np.random.default_rng(0).normal(size=(1, 3, 2))
    padded = np.concatenate([x, np.zeros((1, 2, 2))], axis=1)
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    assert model._infer_graph.output_masks == [None]  # the last RNN returns no sequence


def test_a_layer_without_masking_support_drops_the_mask():
    inputs = kerasite.Input((3, 2))
    flat = layers.Flatten()(layers.Masking()(inputs))
    model = kerasite.Model(inputs, layers.Reshape((3, 2))(flat))
    model.predict(np.zeros((1, 3, 2)), verbose=0)
    assert model._infer_graph.output_masks == [None]


def test_a_sequence_output_keeps_its_mask():
    inputs = kerasite.Input((None, 2))
    out = layers.LSTM(2, return_sequences=True)(layers.Masking()(inputs))
    model = kerasite.Model(inputs, out)
    x = np.ones((2, 3, 2))
    x[0, 2] = 0
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(model._infer_graph.output_masks[0],
                                  [[True, True, False], [True, True, True]])


def test_a_masked_model_trains_and_its_gradients_check(float64):
    inputs = kerasite.Input((None,), dtype="int32")
    hidden = layers.Embedding(6, 3, mask_zero=True)(inputs)
    hidden = layers.Bidirectional(layers.LSTM(2, return_sequences=True))(hidden)
    model = kerasite.Model(inputs, layers.GRU(2)(hidden))
    x = np.array([[1, 2, 0, 0], [3, 4, 5, 1]])
    y = np.random.default_rng(0).normal(size=(2, 2))
    model.forward(x)
    from kerasite import losses
    loss = losses.get("mse")

    def evaluate():
        return loss.forward(y, model.forward(x))

    evaluate()
    model.backward(loss.backward(), need_input_grad=False)
    for leaf in model._leaf_layers():
        for key in leaf.grads:
            param, grad = leaf.params[key], leaf.grads[key].copy()
            numeric = np.zeros_like(param)
            for i in np.ndindex(param.shape):
                old = param[i]
                param[i] = old + 1e-6
                plus = evaluate()
                param[i] = old - 1e-6
                minus = evaluate()
                param[i] = old
                numeric[i] = (plus - minus) / 2e-6
            np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9,
                                       err_msg=f"{leaf.name}/{key}")
    # Padding rows of the embedding get no gradient: the masked steps are skipped.
    emb = next(leaf for leaf in model._leaf_layers() if isinstance(leaf, layers.Embedding))
    assert emb.grads["embeddings"][0].tolist() == [0.0, 0.0, 0.0]
