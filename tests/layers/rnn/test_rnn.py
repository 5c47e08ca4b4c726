"""Recurrent layers: shapes, semantics, float64 gradient checks through time, errors.

Values against Keras live in test_keras_parity.py; here the layers are checked
against finite differences (kerasite.gradcheck) and against hand-made cases.
"""

import numpy as np
import pytest

import kerasite
from kerasite import initializers, layers, regularizers
from kerasite.gradcheck import check_gradients

RNNS = [layers.SimpleRNN, layers.LSTM, layers.GRU]
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0]], dtype=bool)


class Masked:
    """A layer called with a fixed mask, in the shape gradcheck expects of a model."""

    def __init__(self, layer, mask):
        self.layer, self.mask, self.layers = layer, mask, [layer]

    def forward(self, x, training=False):
        return self.layer.forward(x, training, mask=self.mask)

    def backward(self, grad):
        return self.layer.backward(grad)


def _randomize(layer, x, seed=0, scale=0.5):
    """Builds ``layer`` on ``x`` and draws all its weights from N(0, scale)."""
    layer.forward(x)
    rng = np.random.default_rng(seed)
    for v in layer.weights:
        v.value[...] = rng.normal(scale=scale, size=v.shape)
    return layer


def _target(layer, x, seed=1):
    out = layer.forward(x)
    rng = np.random.default_rng(seed)
    if isinstance(out, list):
        return [rng.normal(size=o.shape) for o in out]
    return rng.normal(size=out.shape)


# ------------------------------------------------------------------------ shapes
@pytest.mark.parametrize("cls", RNNS)
def test_output_shapes(cls):
    x = np.zeros((2, 7, 3), dtype="float32")
    assert cls(4).forward(x).shape == (2, 4)
    assert cls(4, return_sequences=True).forward(x).shape == (2, 7, 4)
    out = cls(4, return_state=True).forward(x)
    assert [o.shape for o in out] == [(2, 4)] * (3 if cls is layers.LSTM else 2)


def test_symbolic_shapes_with_state_and_variable_length():
    inp = kerasite.Input((None, 3))
    out, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(inp)
    assert (out.shape, h.shape, c.shape) == ((None, None, 4), (None, 4), (None, 4))
    assert layers.Bidirectional(layers.GRU(2))(inp).shape == (None, 4)
    assert layers.TimeDistributed(layers.Dense(5))(inp).shape == (None, None, 5)


def test_default_initializers_are_keras_s():
    layer = layers.LSTM(3)
    layer.ensure_built((None, 4, 2))
    assert isinstance(layer.kernel_initializer, initializers.GlorotUniform)
    assert isinstance(layer.recurrent_initializer, initializers.Orthogonal)
    u = layer.params["recurrent_kernel"]  # (3, 12): orthonormal rows
    np.testing.assert_allclose(u @ u.T, np.eye(3), atol=1e-5)
    # unit_forget_bias: the forget quarter of the bias starts at one, the rest at zero.
    np.testing.assert_array_equal(layer.params["bias"], [0] * 3 + [1] * 3 + [0] * 6)
    no_forget = layers.LSTM(3, unit_forget_bias=False)
    no_forget.ensure_built((None, 4, 2))
    np.testing.assert_array_equal(no_forget.params["bias"], np.zeros(12))


def test_simple_rnn_by_hand():
    # h1 = tanh(x1 w + 0 u) and h2 = tanh(x2 w + h1 u), one unit, no bias.
    layer = layers.SimpleRNN(1, use_bias=False, return_sequences=True)
    layer.ensure_built((None, 2, 1))
    layer.set_weights([np.array([[0.5]]), np.array([[2.0]])])
    out = layer.forward(np.array([[[1.0], [-1.0]]]))
    h1 = np.tanh(0.5)
    np.testing.assert_allclose(out[0, :, 0], [h1, np.tanh(-0.5 + 2 * h1)], rtol=1e-6)


def test_lstm_one_step_by_hand():
    # One unit, one step, all weights 1, zero state: z = x for every gate.
    layer = layers.LSTM(1, kernel_initializer="ones", recurrent_initializer="ones",
                        unit_forget_bias=False)
    x = np.array([[[0.3]]])
    sig = 1 / (1 + np.exp(-0.3))
    c = sig * np.tanh(0.3)  # f * 0 + i * g
    np.testing.assert_allclose(layer.forward(x), [[sig * np.tanh(c)]], rtol=1e-6)


@pytest.mark.parametrize("cls", RNNS)
def test_one_sample_at_a_time_equals_the_batch(cls):
    x = np.random.default_rng(0).normal(size=(4, 6, 3)).astype("float32")
    layer = cls(5, return_sequences=True)
    whole = layer.forward(x)
    rows = np.concatenate([layer.forward(x[i:i + 1]) for i in range(4)])
    np.testing.assert_allclose(rows, whole, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", RNNS)
def test_post_padded_steps_change_nothing_under_a_mask(cls):
    # A masked step keeps the states: the last output equals that of the unpadded sequence.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 6, 3))
    layer = cls(4)
    full = layer.forward(x[:, :4])
    padded = np.concatenate([x[:, :4], rng.normal(size=(1, 2, 3))], axis=1)
    masked = layer.forward(padded, mask=np.array([[1, 1, 1, 1, 0, 0]], bool))
    np.testing.assert_allclose(masked, full, rtol=1e-5, atol=1e-6)


def test_masked_sequences_repeat_the_previous_output_or_give_zeros():
    x = np.random.default_rng(0).normal(size=(1, 4, 2))
    mask = np.array([[1, 1, 0, 1]], bool)
    layer = layers.GRU(3, return_sequences=True)
    out = layer.forward(x, mask=mask)
    np.testing.assert_array_equal(out[0, 2], out[0, 1])
    layer.zero_output_for_mask = True
    np.testing.assert_array_equal(layer.forward(x, mask=mask)[0, 2], np.zeros(3))


def test_go_backwards_reads_the_reversed_sequence():
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    fwd = layers.LSTM(4, return_sequences=True)
    bwd = layers.LSTM(4, return_sequences=True, go_backwards=True)
    fwd.forward(x)
    bwd.forward(x)
    bwd.set_weights(fwd.get_weights())
    # As in Keras, the outputs stay in the order they were computed: reversed.
    np.testing.assert_allclose(bwd.forward(x), fwd.forward(x[:, ::-1]), rtol=1e-6)


def test_initial_state_starts_the_loop():
    x = np.random.default_rng(0).normal(size=(2, 3, 2))
    layer = layers.LSTM(2, return_state=True)
    out, h, c = layer.forward(x)
    # Running the last two steps from the state after the first gives the same result.
    _, h1, c1 = layer.forward(x[:, :1])
    out2, h2, c2 = layer.forward([x[:, 1:], h1, c1])
    np.testing.assert_allclose(out2, out, rtol=1e-6)
    np.testing.assert_allclose(c2, c, rtol=1e-6)


def test_a_functional_model_with_initial_state_from_an_encoder():
    enc_in, dec_in = kerasite.Input((None, 3)), kerasite.Input((None, 2))
    _, h, c = layers.LSTM(4, return_state=True)(enc_in)
    dec = layers.LSTM(4, return_sequences=True)(dec_in, initial_state=[h, c])
    model = kerasite.Model([enc_in, dec_in], layers.Dense(1)(dec))
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 6, 2))]
    history = model.fit(xs, rng.normal(size=(4, 6, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_stateful_layer_carries_the_states_over_and_resets():
    x = np.random.default_rng(0).normal(size=(2, 6, 3))
    layer = layers.GRU(4, stateful=True)
    whole = layers.GRU(4)
    whole.forward(x)
    layer.forward(x[:, :1])
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    layer.forward(x[:, :3])
    np.testing.assert_allclose(layer.forward(x[:, 3:]), whole.forward(x), rtol=1e-5)
    layer.reset_states()
    np.testing.assert_allclose(layer.forward(x[:, :3]), whole.forward(x[:, :3]), rtol=1e-5)


def test_stateful_in_a_model_with_a_fixed_batch_size():
    inp = kerasite.Input((None, 3), batch_size=2)
    model = kerasite.Model(inp, layers.LSTM(2, stateful=True)(inp))
    x = np.ones((2, 4, 3), dtype="float32")
    first = model.predict(x, verbose=0)
    assert not np.allclose(model.predict(x, verbose=0), first)  # it went on from the states
    model.layers[1].reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)


def test_unroll_is_accepted_and_changes_nothing():
    x = np.random.default_rng(0).normal(size=(2, 4, 3))
    a, b = layers.SimpleRNN(3, unroll=True), layers.SimpleRNN(3)
    a.forward(x)
    b.forward(x)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a.forward(x), b.forward(x))


def test_dropout_only_while_training_and_same_mask_at_every_step():
    x = np.ones((3, 5, 4))
    layer = layers.SimpleRNN(2, dropout=0.5, recurrent_dropout=0.5, seed=3)
    np.testing.assert_array_equal(layer.forward(x), layer.forward(x))
    assert not np.allclose(layer.forward(x, training=True), layer.forward(x))
    cell = layer.cell
    dropped = cell._xs  # the inputs the kernel saw: one mask for all the steps
    np.testing.assert_array_equal(dropped[0], dropped[-1])


def test_weight_regularizers_and_constraints_reach_the_layer():
    layer = layers.LSTM(2, kernel_regularizer=regularizers.L2(0.1),
                        recurrent_regularizer="l1", recurrent_constraint="non_neg")
    layer.ensure_built((None, 3, 2))
    kernel, rec = layer.params["kernel"], layer.params["recurrent_kernel"]
    expected = 0.1 * np.sum(kernel ** 2) + 0.01 * np.sum(np.abs(rec))
    assert layer.regularization_penalty() == pytest.approx(expected, rel=1e-5)
    layer.apply_constraints()
    assert np.all(layer.params["recurrent_kernel"] >= 0)


@pytest.mark.parametrize("make", [
    lambda: layers.SimpleRNN(3, activation="relu", return_sequences=True),
    lambda: layers.LSTM(3, go_backwards=True, stateful=False, return_state=True),
    lambda: layers.GRU(3, reset_after=False),
    lambda: layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)]),
    lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode="mul"),
    lambda: layers.TimeDistributed(layers.Dense(2, activation="relu")),
])
def test_config_round_trip(make):
    layer = make()
    config = layers.serialize(layer)
    clone = layers.deserialize(config)
    assert layers.serialize(clone)["config"] == config["config"]
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    layer.forward(x)
    clone.forward(x)
    clone.set_weights(layer.get_weights())
    a, b = layer.forward(x), clone.forward(x)
    for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        np.testing.assert_allclose(u, v)


def test_settings_read_through_the_layer():
    layer = layers.GRU(5, dropout=0.25, reset_after=False)
    assert (layer.units, layer.dropout, layer.reset_after) == (5, 0.25, False)
    assert layer.cell.units == 5


# --------------------------------------------------------- float64 gradient checks
GRADCHECK_LAYERS = {
    "simple_rnn": lambda: layers.SimpleRNN(3, return_sequences=True),
    "simple_rnn_relu_backwards": lambda: layers.SimpleRNN(3, activation="relu",
                                                          go_backwards=True),
    "lstm": lambda: layers.LSTM(3),
    "lstm_sequences_backwards": lambda: layers.LSTM(3, return_sequences=True,
                                                    go_backwards=True),
    "lstm_no_bias": lambda: layers.LSTM(2, use_bias=False, recurrent_activation="hard_sigmoid"),
    "gru": lambda: layers.GRU(3, return_sequences=True),
    "gru_reset_before": lambda: layers.GRU(3, reset_after=False),
    "stacked": lambda: layers.RNN([layers.GRUCell(3), layers.LSTMCell(2)],
                                  return_sequences=True),
    "time_distributed": lambda: layers.TimeDistributed(layers.Dense(2, activation="tanh")),
    **{f"bidirectional_{mode}": (lambda mode=mode: layers.Bidirectional(
        layers.LSTM(2, return_sequences=True), merge_mode=mode))
       for mode in ("concat", "sum", "mul", "ave", None)},
    "bidirectional_backward_gru": lambda: layers.Bidirectional(
        layers.LSTM(2), backward_layer=layers.GRU(3, go_backwards=True)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_LAYERS))
def test_gradients_through_time(name, float64):
    x = np.random.default_rng(2).normal(size=(2, 4, 3))
    layer = _randomize(GRADCHECK_LAYERS[name](), x)
    y = _target(layer, x)
    loss = ["mse"] * len(y) if isinstance(y, list) else "mse"
    report = check_gradients(layer, x, y, loss)
    assert report.max_rel_diff < 1e-6, str(report)


@pytest.mark.parametrize("make", [
    lambda: layers.SimpleRNN(3, return_sequences=True),
    lambda: layers.LSTM(3),
    lambda: layers.LSTM(3, return_sequences=True, go_backwards=True),
    lambda: layers.GRU(3, return_sequences=True, zero_output_for_mask=True),
    lambda: layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_sequences=True),
    lambda: layers.Bidirectional(layers.GRU(2, return_sequences=True)),
])
def test_gradients_through_time_with_a_mask(make, float64):
    x = np.random.default_rng(3).normal(size=(3, 5, 4))
    layer = _randomize(make(), x)
    masked = Masked(layer, MASK)
    y = np.random.default_rng(4).normal(size=masked.forward(x).shape)
    report = check_gradients(masked, x, y, "mse")
    assert report.max_rel_diff < 1e-6, str(report)


@pytest.mark.parametrize("cls", RNNS)
def test_gradients_with_return_state_and_initial_state(cls, float64):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 3))
    layer = _randomize(cls(3, return_state=True, return_sequences=True), x)
    states = [rng.normal(size=(2, 3)) for _ in layer.cell.state_size]
    y = _target(layer, [x, *states])
    report = check_gradients(layer, [x, *states], y, ["mse"] * len(y))
    assert report.max_rel_diff < 1e-6, str(report)
    assert len(report.rows) == 3 + 1 + len(states)  # weights, the input, each initial state


def test_gradients_of_a_bidirectional_layer_with_states(float64):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 3))
    layer = _randomize(layers.Bidirectional(layers.LSTM(2, return_state=True)), x)
    states = [rng.normal(size=(2, 2)) for _ in range(4)]
    y = _target(layer, [x, *states])
    report = check_gradients(layer, [x, *states], y, ["mse"] * len(y))
    assert report.max_rel_diff < 1e-6, str(report)


@pytest.mark.parametrize("cls", RNNS)
def test_gradients_with_dropout_held_fixed(cls, float64):
    x = np.random.default_rng(7).normal(size=(2, 4, 3))
    layer = _randomize(cls(3, dropout=0.3, recurrent_dropout=0.4, seed=1), x)
    y = np.random.default_rng(8).normal(size=(2, 3))
    report = check_gradients(layer, x, y, "mse", training=True)
    assert report.max_rel_diff < 1e-6, str(report)


@pytest.mark.parametrize("cls", RNNS)
def test_gradients_of_a_stateful_layer_on_the_second_batch(cls, float64):
    # The states carried from batch 1 are constants of batch 2 (truncated BPTT).
    rng = np.random.default_rng(9)
    x1, x2, y = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))
    layer = _randomize(cls(3, stateful=True), x1)
    layer.reset_states()
    layer.forward(x1)
    carried = [s.copy() for s in layer.states]
    assert not np.allclose(carried[0], 0)

    def loss():
        layer.reset_states(carried)
        return 0.5 * np.sum((layer.forward(x2) - y) ** 2)

    layer.reset_states(carried)
    dx = layer.backward(layer.forward(x2) - y)  # d loss / d output of the loss above
    for key in layer.params:
        param, grad = layer.params[key], layer.grads[key].copy()
        numeric = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            old = param[i]
            param[i] = old + 1e-6
            plus = loss()
            param[i] = old - 1e-6
            minus = loss()
            param[i] = old
            numeric[i] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8, err_msg=key)
    assert dx.shape == x2.shape


# ----------------------------------------------------------------------- errors
@pytest.mark.parametrize("cls", RNNS)
def test_a_2d_input_says_what_shape_is_needed_and_how_to_reshape(cls):
    with pytest.raises(ValueError, match=r"needs sequences, 3-D inputs \(batch, timesteps, "
                                         r"features\).*\(4, 10\).*reshape"):
        cls(3).forward(np.zeros((4, 10)))
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\).*Reshape"):
        cls(3)(kerasite.Input((10,)))


def test_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"mask of shape \(2, 4\).*must be \(batch, "
                                         r"timesteps\) = \(2, 5\)"):
        layers.LSTM(3).forward(np.zeros((2, 5, 3)), mask=np.ones((2, 4), bool))


def test_stateful_without_a_fixed_batch_size():
    with pytest.raises(ValueError, match=r"stateful, so it needs to know its batch size.*"
                                         r"batch_size=32"):
        layers.LSTM(3, stateful=True)(kerasite.Input((None, 4)))


def test_a_stateful_layer_refuses_another_batch_size():
    layer = layers.SimpleRNN(2, stateful=True)
    layer.forward(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match=r"batches of 4 samples. Received a batch of 3"):
        layer.forward(np.zeros((3, 3, 2)))


def test_reset_states_on_a_layer_that_is_not_stateful():
    with pytest.raises(ValueError, match="is not stateful"):
        layers.GRU(2).reset_states()


def test_an_activation_whose_derivative_needs_its_input_is_refused():
    with pytest.raises(ValueError, match=r"`activation`='gelu' cannot be used in a recurrent "
                                         "cell.*'tanh'"):
        layers.SimpleRNN(2, activation="gelu")


def test_initial_states_of_the_wrong_number_or_shape():
    layer = layers.LSTM(3)
    x = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match=r"has 2 states.*Received 1"):
        layer.forward([x, np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"\(batch, size\) = \(2, 3\). Received an array of "
                                         r"shape \(2, 4\)"):
        layer.forward([x, np.zeros((2, 4)), np.zeros((2, 3))])


def test_bidirectional_checks_its_arguments():
    with pytest.raises(TypeError, match="must be a recurrent layer"):
        layers.Bidirectional(layers.Dense(3))
    with pytest.raises(ValueError, match="`merge_mode`"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards=True"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))


def test_a_cell_list_must_hold_cells():
    with pytest.raises(TypeError, match="non-empty list of recurrent cells"):
        layers.RNN([layers.Dense(3)])
