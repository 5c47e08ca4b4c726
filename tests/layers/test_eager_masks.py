"""A masking layer called on data returns an array carrying its mask as ``._keras_mask``.

The snippets are those of keras.io's guide "Masking and padding"; the masks
they print were computed with Keras 3.15.1 on JAX (and match the guide).
"""

import numpy as np
import pytest

import kerasite
from kerasite import layers, ops

RAW_INPUTS = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
# keras.utils.pad_sequences(RAW_INPUTS, padding="post") != 0, from Keras 3.15.1 on JAX
GUIDE_MASK = np.array([[True, True, True, False, False, False],
                       [True, True, True, True, True, False],
                       [True, True, True, True, True, True]])


def test_the_guides_embedding_and_masking_snippets_print_keras_masks():
    padded_inputs = kerasite.utils.pad_sequences(RAW_INPUTS, padding="post")
    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)
    np.testing.assert_array_equal(masked_output._keras_mask, GUIDE_MASK)
    assert masked_output._keras_mask.dtype == bool
    assert str(masked_output._keras_mask) == str(GUIDE_MASK)  # printed as JAX prints it

    masking_layer = layers.Masking()
    unmasked_embedding = ops.cast(
        ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), dtype="float32")
    masked_embedding = masking_layer(unmasked_embedding)
    np.testing.assert_array_equal(masked_embedding._keras_mask, GUIDE_MASK)


def _masked_batch():
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    x[0, 3:] = 0.0  # the first sequence has 3 real steps
    return x


def test_the_mask_travels_on_to_the_next_layer_as_in_keras():
    x = _masked_batch()
    masked = layers.Masking()(x)
    # Keras 3.15.1 on JAX: Dense and LSTM(return_sequences=True) pass the mask on,
    # LSTM returning its last output and Flatten end it.
    expected = np.array([[True, True, True, False, False], [True] * 5])
    np.testing.assert_array_equal(layers.Dense(2)(masked)._keras_mask, expected)
    seq = layers.LSTM(4, return_sequences=True)(masked)
    np.testing.assert_array_equal(seq._keras_mask, expected)
    assert not hasattr(layers.LSTM(4)(masked), "_keras_mask")
    assert not hasattr(layers.Flatten()(masked), "_keras_mask")
    assert not hasattr(layers.Embedding(10, 3)(np.array([[1, 0]])), "_keras_mask")


def test_an_lstm_skips_the_steps_the_carried_mask_marks():
    kerasite.utils.set_random_seed(0)
    x = _masked_batch()
    lstm = layers.LSTM(4)
    alone = np.asarray(lstm(x[:1, :3]))  # the first sequence without its padding
    np.testing.assert_allclose(np.asarray(lstm(layers.Masking()(x)))[:1], alone, atol=1e-7)
    mask = np.array([[True, True, True, False, False], [True] * 5])
    np.testing.assert_allclose(np.asarray(lstm(x, mask=mask))[:1], alone, atol=1e-7)
    # without a mask the padding steps count, and the output differs
    assert np.abs(np.asarray(lstm(x))[:1] - alone).max() > 1e-3


@pytest.mark.parametrize("watch_input", [False, True])
def test_under_a_tape_the_carried_mask_gives_the_unpadded_gradients(watch_input):
    kerasite.config.set_floatx("float64")
    try:
        kerasite.utils.set_random_seed(0)
        x = _masked_batch()
        lstm = layers.LSTM(4)
        with kerasite.GradientTape() as tape:
            loss = ops.sum(lstm(x[:1, :3]))
        alone = tape.gradient(loss, lstm.trainable_weights)
        source = kerasite.Variable(x)
        with kerasite.GradientTape() as tape:
            inputs = source * 1.0 if watch_input else x
            loss = ops.sum(lstm(layers.Masking()(inputs))[:1])
        masked = tape.gradient(loss, lstm.trainable_weights)
        for a, b in zip(masked, alone):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)
    finally:
        kerasite.config.set_floatx("float32")


@pytest.mark.parametrize("make", [lambda: layers.LSTM(4), lambda: layers.Bidirectional(
    layers.GRU(3))], ids=["lstm", "bidirectional_gru"])
def test_an_explicit_mask_under_a_tape_gives_the_unpadded_gradients(make, float64):
    # `rnn(x, mask=m)` inside a GradientTape: the masked steps neither add to the
    # output nor to the weights' gradients, exactly as the unpadded sequences.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = make()
    with kerasite.GradientTape() as tape:
        total = ops.sum(layer(kerasite.Variable(x), mask=mask))
    masked = tape.gradient(total, layer.trainable_weights)
    with kerasite.GradientTape() as tape:
        parts = ops.sum(layer(kerasite.Variable(x[:1, :3]))) + ops.sum(
            layer(kerasite.Variable(x[1:])))
    unpadded = tape.gradient(parts, layer.trainable_weights)
    assert float(total) == pytest.approx(float(parts), abs=1e-12)
    for a, b in zip(masked, unpadded):
        np.testing.assert_allclose(a, b, atol=1e-12)
