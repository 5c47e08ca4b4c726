"""One table of cases over the layer registry, each case run through the same checks.

Every class in ``kerasite.layers._REGISTRY`` that kerasite itself defines (layers and
the model classes, which register themselves) needs at least one ``Case`` below:
``test_every_registered_class_has_a_case`` fails and names the ones without.

Each case is run through, in this order:

1. a float64 gradient check (``kerasite.gradcheck``) of the inputs and every
   trainable weight, through a one-layer functional model so that activity
   penalties count as they do in training;
2. ``get_config`` / ``from_config``: the same config after a JSON round trip, and
   the same outputs once the weights are copied with ``set_weights``;
3. a shared call: the layer called on two inputs in one model gives the outputs
   and the input gradients of two separate copies with the same weights, and
   the sum of their weight gradients (a cache attribute missing from
   ``_cache_attrs`` makes the second call overwrite the first's);
4. ``.kerasite`` and ``.keras`` round trips of a model holding the layer.

Random layers (Dropout, GaussianNoise, GaussianDropout) are checked in inference
mode (``training=False``), where they are the identity; their training-mode
gradients are checked in tests/test_gradcheck.py and
tests/layers/test_regularization.py. BatchNormalization has a case in
each mode.
"""

import json
import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest

from kerasite import Input, Model, Sequential, config, initializers, layers, ops
from kerasite.layers.op_layer import _Slot
from kerasite.gradcheck import check_gradients
from kerasite.models import Autoencoder, Decoder, Encoder, load_model
from kerasite.saving.keras._layers import LAYERS as KERAS_LAYERS


@dataclass
class Case:
    """One row of the table.

    Attributes:
        id: the test id.
        make: builds a fresh, unbuilt layer (or model) with the case's settings.
        shape: the input batch shape, ``(batch, *features)``; a list of them for
            merge layers.
        training: the forward mode of the gradient and shared-call checks.
        data: ``data(rng, shape) -> array`` for inputs that are not standard normal.
        skip: check name -> why this case does not support it.
        xfail: check name -> the bug that makes it fail (strict xfail).
    """

    id: str
    make: object
    shape: object
    training: bool = False
    data: object = None
    skip: dict = field(default_factory=dict)
    xfail: dict = field(default_factory=dict)


def _indices(high):
    return lambda rng, shape: rng.integers(0, high, size=shape).astype(float)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


_INPUT_SOURCE = "InputLayer is a graph's source: it is never called on a tensor"
_NOT_IN_KERAS = "kerasite does not map {} to Keras"
_NO_GRADIENT = "maps numbers to ids or codes, which have no input gradient"
_STRINGS = "takes strings; tests/layers/preprocessing/ covers it"


def _sequential():
    return Sequential([layers.Dense(3, activation="tanh"), layers.Dense(2)])


def _functional():
    inputs = Input((3,))
    hidden = layers.Dense(4, activation="tanh")(inputs)
    return Model(inputs, layers.Add()([layers.Dense(2)(hidden), layers.Dense(2)(hidden)]))


def _autoencoder():
    encoder = Encoder([Input((4,)), layers.Dense(2, activation="tanh")])
    decoder = Decoder([Input((2,)), layers.Dense(4)])
    return Autoencoder(encoder, decoder)


F2 = (2, 3)          # a (batch, features) input
F3 = (2, 2, 3)       # a (batch, steps, features) input
IMG = (2, 4, 4, 2)   # a (batch, height, width, channels) input
PAIR = [(2, 3), (2, 3)]
SEQ = (2, 6, 2)      # a (batch, steps, channels) input
RSEQ = (2, 4, 3)     # a (batch, timesteps, features) sequence, for the recurrent layers
_IN_RNN = "a cell runs one step inside RNN: the RNN cases check it"

CHECKS = ("grad", "config", "shared", "native", "keras")

CASES = [
    # ------------------------------------------------------------------ core
    Case("Dense", lambda: layers.Dense(2), F2),
    Case("Dense-tanh-3d", lambda: layers.Dense(2, activation="tanh",
                                               bias_initializer=initializers.RandomNormal(seed=1)),
         F3),
    Case("Dense-regularized", lambda: layers.Dense(2, kernel_regularizer="l2",
                                                   activity_regularizer="l1"), F2),
    Case("Dropout-inference", lambda: layers.Dropout(0.5, seed=1), F2),
    Case("Flatten", lambda: layers.Flatten(), F3),
    Case("Reshape", lambda: layers.Reshape((3, 2)), F3),
    Case("InputLayer", lambda: layers.InputLayer((3,)), F2,
         skip={"shared": _INPUT_SOURCE}),
    # ----------------------------------------------------------- activations
    Case("ReLU", lambda: layers.ReLU(), F2),
    Case("ReLU-options", lambda: layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
         F2),
    Case("LeakyReLU", lambda: layers.LeakyReLU(0.2), F2),
    Case("Sigmoid", lambda: layers.Sigmoid(), F2),
    Case("Tanh", lambda: layers.Tanh(), F2),
    Case("Softmax", lambda: layers.Softmax(), F2),
    Case("Softmax-axis1", lambda: layers.Softmax(axis=1), F3),
    Case("Linear", lambda: layers.Linear(), F2),
    Case("ELU", lambda: layers.ELU(0.5), F2),
    Case("SELU", lambda: layers.SELU(), F2),
    Case("GELU", lambda: layers.GELU(), F2),
    Case("GELU-approximate", lambda: layers.GELU(approximate=True), F2,
         skip={"keras": "GELU(approximate=True) is not mapped to Keras"}),
    Case("SiLU", lambda: layers.SiLU(), F2),
    Case("Softplus", lambda: layers.Softplus(), F2),
    Case("Softsign", lambda: layers.Softsign(), F2),
    Case("HardSigmoid", lambda: layers.HardSigmoid(), F2),
    Case("Exponential", lambda: layers.Exponential(), F2),
    Case("Mish", lambda: layers.Mish(), F2),
    Case("PReLU", lambda: layers.PReLU(initializers.RandomUniform(0.1, 0.5, seed=2)), F2),
    Case("PReLU-shared-axes", lambda: layers.PReLU(initializers.RandomUniform(0.1, 0.5, seed=2),
                                                   shared_axes=[1]), F3),
    Case("Activation", lambda: layers.Activation("swish"), F2),
    # --------------------------------------------------------------- merging
    Case("Add", lambda: layers.Add(), PAIR),
    Case("Subtract", lambda: layers.Subtract(), PAIR),
    Case("Multiply", lambda: layers.Multiply(), PAIR),
    Case("Average", lambda: layers.Average(), [(2, 3)] * 3),
    Case("Maximum", lambda: layers.Maximum(), PAIR),
    Case("Minimum", lambda: layers.Minimum(), [(2, 3)] * 3),
    Case("Concatenate", lambda: layers.Concatenate(), [(2, 3), (2, 2)]),
    Case("Concatenate-axis1", lambda: layers.Concatenate(axis=1), [(2, 1, 3), (2, 2, 3)]),
    # -------------------------------------------------------- regularization
    Case("GaussianNoise-inference", lambda: layers.GaussianNoise(0.3, seed=1), F2),
    Case("GaussianDropout-inference", lambda: layers.GaussianDropout(0.3, seed=1), F2),
    Case("ActivityRegularization", lambda: layers.ActivityRegularization(0.1, 0.2), F2),
    # --------------------------------------------------------- preprocessing
    Case("Rescaling", lambda: layers.Rescaling([0.5, 2.0, 1.0], offset=-1.0), F2),
    Case("Normalization", lambda: layers.Normalization(mean=[1.0, 2.0, 3.0],
                                                       variance=[1.0, 4.0, 9.0]), F2),
    Case("Normalization-invert", lambda: layers.Normalization(mean=[1.0, 2.0, 3.0],
                                                              variance=[1.0, 4.0, 9.0],
                                                              invert=True), F2),
    Case("Discretization", lambda: layers.Discretization(bin_boundaries=[-0.5, 0.0, 0.5]), F2,
         skip={"grad": _NO_GRADIENT, "shared": _NO_GRADIENT}),
    Case("CategoryEncoding", lambda: layers.CategoryEncoding(4, output_mode="count"), F2,
         data=_indices(4), skip={"grad": _NO_GRADIENT, "shared": _NO_GRADIENT}),
    Case("Hashing", lambda: layers.Hashing(5, salt=3), F2, data=_indices(100),
         skip={"grad": _NO_GRADIENT, "shared": _NO_GRADIENT}),
    Case("IntegerLookup", lambda: layers.IntegerLookup(vocabulary=[3, 1, 0], output_mode="multi_hot"),
         F2, data=_indices(5), skip={"grad": _NO_GRADIENT, "shared": _NO_GRADIENT}),
    Case("StringLookup", lambda: layers.StringLookup(vocabulary=["a", "b"]), F2,
         skip={check: _STRINGS for check in ("grad", "config", "shared", "native", "keras")}),
    Case("TextVectorization", lambda: layers.TextVectorization(vocabulary=["a", "b"]), F2,
         skip={check: _STRINGS for check in ("grad", "config", "shared", "native", "keras")}),
    Case("Resizing", lambda: layers.Resizing(3, 5), IMG),
    Case("Resizing-bicubic-crop", lambda: layers.Resizing(2, 3, "bicubic",
                                                          crop_to_aspect_ratio=True), IMG),
    Case("CenterCrop", lambda: layers.CenterCrop(2, 3), IMG),
    Case("CenterCrop-upscaled", lambda: layers.CenterCrop(5, 3), IMG),
    *[Case(f"{make().__class__.__name__}-inference", make, IMG)
      for make in (lambda: layers.RandomFlip(seed=1), lambda: layers.RandomRotation(0.2, seed=1),
                   lambda: layers.RandomZoom(0.2, seed=1),
                   lambda: layers.RandomTranslation(0.2, 0.1, seed=1),
                   lambda: layers.RandomContrast(0.3, seed=1),
                   lambda: layers.RandomBrightness(0.3, seed=1),
                   lambda: layers.RandomCrop(3, 2, seed=1))],
    Case("Embedding", lambda: layers.Embedding(5, 2, initializers.RandomUniform(seed=3)), (2, 3),
         data=_indices(5)),
    # ------------------------------------------------------------ reordering
    Case("RepeatVector", lambda: layers.RepeatVector(2), F2),
    Case("Permute", lambda: layers.Permute((2, 1)), F3),
    # ------------------------------------------------------------ convolution
    Case("Conv2D", lambda: layers.Conv2D(2, 3), IMG),
    Case("Conv2D-same-strided", lambda: layers.Conv2D(2, 3, strides=2, padding="same",
                                                      activation="tanh"), IMG),
    Case("Conv2D-dilated", lambda: layers.Conv2D(1, 2, dilation_rate=2, use_bias=False), IMG),
    Case("Conv2DTranspose", lambda: layers.Conv2DTranspose(2, 2, strides=2), (2, 2, 2, 2)),
    Case("Conv2DTranspose-same", lambda: layers.Conv2DTranspose(1, 3, padding="same"),
         (2, 3, 3, 2)),
    # ---------------------------------------------------------------- pooling
    Case("MaxPooling2D", lambda: layers.MaxPooling2D(), IMG),
    Case("MaxPooling2D-same", lambda: layers.MaxPooling2D(3, strides=2, padding="same"), IMG),
    Case("AveragePooling2D", lambda: layers.AveragePooling2D(2), IMG),
    Case("AveragePooling2D-same", lambda: layers.AveragePooling2D(3, strides=2, padding="same"),
         IMG),
    Case("GlobalAveragePooling2D", lambda: layers.GlobalAveragePooling2D(), IMG),
    Case("GlobalMaxPooling2D-keepdims", lambda: layers.GlobalMaxPooling2D(keepdims=True), IMG),
    # -------------------------------------------------------------- reshaping
    Case("UpSampling2D", lambda: layers.UpSampling2D(), (2, 2, 2, 1)),
    Case("UpSampling2D-3x1", lambda: layers.UpSampling2D((3, 1)), (2, 2, 2, 1)),
    Case("ZeroPadding2D", lambda: layers.ZeroPadding2D(((1, 0), (0, 2))), (2, 2, 2, 1)),
    Case("Cropping2D", lambda: layers.Cropping2D(((1, 0), (0, 1))), (2, 3, 3, 1)),
    # ---------------------------------------------------------- normalization
    Case("BatchNormalization-training",
         lambda: layers.BatchNormalization(beta_initializer=initializers.RandomNormal(seed=4)),
         F2, training=True),
    Case("BatchNormalization-inference",
         lambda: layers.BatchNormalization(moving_mean_initializer=initializers.RandomNormal(seed=4),
                                           moving_variance_initializer="ones"), IMG),
    Case("LayerNormalization", lambda: layers.LayerNormalization(
        gamma_initializer=initializers.RandomUniform(0.5, 1.5, seed=5)), F2),
    Case("LayerNormalization-axes", lambda: layers.LayerNormalization(axis=(1, 2)), F3),
    # ------------------------------------------------ models, which are layers
    Case("Sequential", _sequential, F2),
    Case("Model", _functional, F2),
    Case("Encoder", lambda: Encoder([layers.Dense(2, activation="tanh")]), F2),
    Case("Decoder", lambda: Decoder([layers.Dense(3, activation="sigmoid")]), F2),
    Case("Autoencoder", _autoencoder, (2, 4)),
    # ------------------------------------- an op on symbolic tensors (functional API)
    Case("OpLayer", lambda: layers.OpLayer(ops.multiply, (_Slot(0), _Slot(1))), PAIR,
         skip={"keras": _NOT_IN_KERAS.format("op nodes")}),
    Case("OpLayer-constants", lambda: layers.OpLayer(ops.mean, (_Slot(0),),
                                                     {"axis": -1, "keepdims": True}), F3,
         skip={"keras": _NOT_IN_KERAS.format("op nodes")}),
    # ------------------------------------ 1D, depthwise and separable convolutions
    Case("Conv1D", lambda: layers.Conv1D(2, 2), SEQ),
    Case("Conv1D-causal-dilated", lambda: layers.Conv1D(2, 2, padding="causal", dilation_rate=2,
                                                        activation="tanh"), SEQ),
    Case("Conv1D-same-strided-groups", lambda: layers.Conv1D(4, 3, strides=2, padding="same",
                                                             groups=2), SEQ),
    Case("Conv1DTranspose", lambda: layers.Conv1DTranspose(2, 3, strides=2), SEQ),
    Case("Conv1DTranspose-same", lambda: layers.Conv1DTranspose(3, 2, strides=2, padding="same",
                                                                dilation_rate=1), SEQ),
    Case("MaxPooling1D", lambda: layers.MaxPooling1D(), SEQ),
    Case("MaxPooling1D-same", lambda: layers.MaxPooling1D(3, strides=2, padding="same"), SEQ),
    Case("AveragePooling1D", lambda: layers.AveragePooling1D(2), SEQ),
    Case("AveragePooling1D-same", lambda: layers.AveragePooling1D(3, strides=2, padding="same"),
         SEQ),
    Case("GlobalAveragePooling1D", lambda: layers.GlobalAveragePooling1D(), SEQ),
    Case("GlobalMaxPooling1D-keepdims", lambda: layers.GlobalMaxPooling1D(keepdims=True), SEQ),
    Case("UpSampling1D", lambda: layers.UpSampling1D(3), SEQ),
    Case("ZeroPadding1D", lambda: layers.ZeroPadding1D((2, 1)), SEQ),
    Case("Cropping1D", lambda: layers.Cropping1D((1, 2)), SEQ),
    Case("SpatialDropout1D-inference", lambda: layers.SpatialDropout1D(0.5, seed=1), SEQ),
    Case("SpatialDropout2D-inference", lambda: layers.SpatialDropout2D(0.5, seed=1), IMG),
    Case("SeparableConv1D", lambda: layers.SeparableConv1D(3, 2, depth_multiplier=2,
                                                           padding="same"), SEQ),
    Case("SeparableConv2D", lambda: layers.SeparableConv2D(
        2, 3, strides=2, padding="same", activation="tanh", depthwise_regularizer="l2",
        bias_initializer=initializers.RandomNormal(seed=6)), IMG),
    Case("DepthwiseConv2D", lambda: layers.DepthwiseConv2D(2, depth_multiplier=2,
                                                           dilation_rate=2), IMG),
    # ------------------------------------------------------------- recurrent
    Case("SimpleRNN", lambda: layers.SimpleRNN(3, return_sequences=True), RSEQ),
    Case("LSTM", lambda: layers.LSTM(3, recurrent_regularizer="l2"), RSEQ),
    Case("LSTM-backwards", lambda: layers.LSTM(2, go_backwards=True, return_sequences=True,
                                               unit_forget_bias=False), RSEQ),
    Case("GRU", lambda: layers.GRU(3), RSEQ),
    Case("GRU-reset-before", lambda: layers.GRU(2, reset_after=False, return_sequences=True),
         RSEQ),
    Case("RNN-stacked", lambda: layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)]), RSEQ),
    Case("Bidirectional", lambda: layers.Bidirectional(layers.LSTM(2)), RSEQ),
    Case("Bidirectional-sum", lambda: layers.Bidirectional(
        layers.GRU(2, return_sequences=True), merge_mode="sum"), RSEQ),
    Case("TimeDistributed", lambda: layers.TimeDistributed(layers.Dense(2, activation="tanh")),
         RSEQ),
    Case("Masking", lambda: layers.Masking(), RSEQ),
    *[Case(name, make, RSEQ, skip={check: _IN_RNN for check in CHECKS})
      for name, make in (("SimpleRNNCell", lambda: layers.SimpleRNNCell(2)),
                         ("LSTMCell", lambda: layers.LSTMCell(2)),
                         ("GRUCell", lambda: layers.GRUCell(2)),
                         ("StackedRNNCells", lambda: layers.StackedRNNCells(
                             [layers.GRUCell(2)])))],
    Case("Dot", lambda: layers.Dot(axes=2), [(2, 3, 4), (2, 5, 4)]),
    Case("Dot-normalize", lambda: layers.Dot(axes=(1, 2), normalize=True),
         [(2, 4, 3), (2, 3, 4)]),
    Case("LayerNormalization-rms", lambda: layers.LayerNormalization(rms_scaling=True), F3),
    Case("BatchNormalization-options", lambda: layers.BatchNormalization(
        gamma_regularizer="l2", beta_regularizer="l1", gamma_constraint="non_neg",
        beta_constraint="max_norm"), F2),
    Case("UpSampling2D-bilinear", lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"),
         (2, 3, 4, 2)),
]


def _params(check):
    """``CASES`` as pytest params for one check, with its skips and strict xfails."""
    out = []
    for case in CASES:
        marks = []
        if check in case.skip:
            marks.append(pytest.mark.skip(reason=case.skip[check]))
        if check in case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail[check]))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


# ------------------------------------------------------------------ helpers
def _rng(case, salt=""):
    return np.random.default_rng(zlib.crc32((case.id + salt).encode()))


def _shapes(case):
    return list(case.shape) if isinstance(case.shape, list) else [case.shape]


def _inputs(case, salt=""):
    """The case's input batch: one array, or a list for a merge layer, in floatx."""
    rng = _rng(case, salt)
    make = case.data or (lambda r, s: r.normal(size=s))
    xs = [make(rng, s).astype(config.floatx()) for s in _shapes(case)]
    return xs if isinstance(case.shape, list) else xs[0]


def _symbolic(case, name=""):
    ins = [Input(s[1:], name=f"{name}{i}" if name else None)
           for i, s in enumerate(_shapes(case))]
    return ins if isinstance(case.shape, list) else ins[0]


def _wrap(case, layer):
    """A functional model whose only job is to call ``layer`` once."""
    if isinstance(layer, layers.InputLayer):
        tensor = layer.output
        return Model(tensor, layers.Linear()(tensor))
    inputs = _symbolic(case)
    return Model(inputs, layer(inputs))


def _built(case, layer):
    """``layer`` built on the case's input shape."""
    if not layer.built:
        shapes = [(None, *s[1:]) for s in _shapes(case)]
        layer.ensure_built(shapes if isinstance(case.shape, list) else shapes[0])
    return layer


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _leaves(layer):
    """The weight-holding layers inside ``layer`` (itself, unless it is a model)."""
    return layer._leaf_layers() if isinstance(layer, Model) else [layer]


def _trainable_grads(layer):
    return {f"{leaf.name}/{k}": leaf.grads[k].copy()
            for leaf in _leaves(layer) for k in leaf.grads}


# ----------------------------------------------------------- the registry
def test_every_registered_class_has_a_case():
    covered = {type(case.make()).__name__ for case in CASES}
    ours = {name for name, cls in layers._REGISTRY.items()
            if cls.__module__.startswith("kerasite.")}  # tests register classes of their own
    missing = sorted(ours - covered)
    assert not missing, (
        f"Registered classes without a case in tests/layers/test_layer_table.py: {missing}. "
        "Add a Case(...) for each to CASES (a constructor with settings, an input shape, "
        "and skip= reasons for the checks it does not support).")


def test_case_ids_are_unique_and_skips_name_known_checks():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert set(case.skip) | set(case.xfail) <= set(CHECKS), case.id


# -------------------------------------------------- 1. gradient check, float64
@pytest.mark.parametrize("case", _params("grad"))
def test_gradients_match_finite_differences(case, float64):
    layer = case.make()
    x = _inputs(case)
    model = _wrap(case, layer)
    out = model.forward(x, training=case.training)
    y = _rng(case, "target").normal(size=out.shape)
    if case.data is not None:  # integer inputs: only the weights are differentiable
        report = _weight_check(model, x, y, case.training)
    else:
        report = check_gradients(model, x, y, "mse", training=case.training)
    # Every trainable weight was checked (a nested model names its weights by position).
    checked = [row for row in report.rows if not row[0].startswith("input")]
    assert len(checked) == sum(len(leaf.grads) for leaf in _leaves(layer)), f"\n{report}"
    assert report.max_rel_diff < 1e-6, f"\n{report}"


def _weight_check(model, x, y, training):
    """check_gradients for the weights only (it perturbs every input, integers too)."""
    from kerasite import gradcheck, losses

    loss = losses.get("mse")

    def evaluate(_):
        return loss.forward(y, model.forward(x, training=training))

    evaluate(None)
    model.backward(loss.backward(), need_input_grad=False)
    rows = []
    for leaf in model._leaf_layers():
        for k in leaf.grads:
            analytic = leaf.grads[k].copy()
            rows.append(gradcheck._compare(f"{leaf.name}/{k}", analytic,
                                           gradcheck._numerical(evaluate, None, leaf.params[k],
                                                                1e-5)))
    return gradcheck.GradientReport(rows)


# ---------------------------------------------------- 2. config round trip
@pytest.mark.parametrize("case", _params("config"))
def test_config_round_trip_gives_the_same_layer(case):
    layer = case.make()
    x = _inputs(case)
    expected = np.asarray(_built(case, layer).forward(x)).copy()
    cfg = json.loads(json.dumps(layer.get_config()))
    again = type(layer).from_config(json.loads(json.dumps(cfg)))
    assert json.loads(json.dumps(again.get_config())) == cfg
    _built(case, again).set_weights(layer.get_weights())
    np.testing.assert_allclose(again.forward(x), expected, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------- 3. shared call
@pytest.mark.parametrize("case", _params("shared"))
def test_a_shared_call_equals_two_copies(case, float64):
    shared = case.make()
    a, b = _symbolic(case, "a"), _symbolic(case, "b")
    y1, y2 = shared(a), shared(b)
    both = Model([*_as_list(a), *_as_list(b)], [y1, y2])

    copies = [case.make(), case.make()]
    for copy in copies:
        _built(case, copy).set_weights(shared.get_weights())
    alone = [_wrap(case, copy) for copy in copies]

    xa, xb = _inputs(case, "a"), _inputs(case, "b")
    outs = both.forward([*_as_list(xa), *_as_list(xb)], training=case.training)
    out_a = alone[0].forward(xa, training=case.training)
    out_b = alone[1].forward(xb, training=case.training)
    np.testing.assert_allclose(outs[0], out_a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(outs[1], out_b, rtol=1e-12, atol=1e-12)

    ga = _rng(case, "ga").normal(size=np.shape(out_a))
    gb = _rng(case, "gb").normal(size=np.shape(out_b))
    dx = both.backward([ga, gb])
    n = len(_as_list(xa))
    dx_a = alone[0].backward(ga)
    grads_a = _trainable_grads(copies[0])
    dx_b = alone[1].backward(gb)
    grads_b = _trainable_grads(copies[1])
    for got, want in zip(dx[:n] + dx[n:], _as_list(dx_a) + _as_list(dx_b)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    grads = _trainable_grads(shared)
    # The copies' layers have their own names: compare weight by weight, in order.
    assert len(grads) == len(grads_a) == len(grads_b)
    for (key, got), want_a, want_b in zip(grads.items(), grads_a.values(), grads_b.values()):
        np.testing.assert_allclose(got, want_a + want_b, rtol=1e-12, atol=1e-12, err_msg=key)


# --------------------------------------------------- 4. file round trips
def _file_round_trip(case, tmp_path, suffix):
    model = _wrap(case, case.make())
    x = _inputs(case)
    expected = model.predict(x, verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = load_model(path)
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", _params("native"))
def test_kerasite_file_round_trip(case, tmp_path):
    _file_round_trip(case, tmp_path, ".kerasite")


@pytest.mark.parametrize("case", _params("keras"))
def test_keras_file_round_trip(case, tmp_path):
    cls = type(case.make())
    name = cls.__name__
    assert name in KERAS_LAYERS or issubclass(cls, Model), (
        f"{name} is not mapped to Keras: give its case skip={{'keras': reason}}")
    _file_round_trip(case, tmp_path, ".keras")
