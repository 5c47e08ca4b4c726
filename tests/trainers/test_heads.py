"""Output heads: each output's loss, taken from the logits of its last activation.

The checks: a head's value and its gradient with respect to the logits against
NumPy references and float64 finite differences, for outputs of rank 2 to 4
(a ``Conv2D`` sigmoid image, a ``(batch, steps, classes)`` softmax), with
sample weights; a model step through the heads against finite differences of
the loss on ``predict``'s output; which outputs pair and which fall back; and
the pairing being per call, so that a layer shared by two models never sees
the other model's training. Keras values: Keras 3.15.1 on JAX, float32.
"""

import numpy as np
import pytest

import kerasite
from kerasite import Input, Model, Sequential, layers, losses, optimizers
from kerasite.trainers import heads


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _bce(y, x):  # from the logits, per element
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def _numeric(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        up = f(x)
        x[i] = saved - eps
        down = f(x)
        x[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


# ------------------------------------------------------- the heads on their own
_RNG = np.random.default_rng(0)
_CASES = {
    # name: (loss, activation, logits shape, labels maker)
    "bce-2d": (losses.BinaryCrossentropy, layers.Sigmoid, (4, 3), "binary"),
    "bce-image": (losses.BinaryCrossentropy, layers.Sigmoid, (2, 3, 3, 2), "binary"),
    "bce-smoothing": (lambda: losses.BinaryCrossentropy(label_smoothing=0.2), layers.Sigmoid,
                      (2, 3, 3, 1), "binary"),
    "mse-2d": (losses.MeanSquaredError, layers.Sigmoid, (4, 3), "uniform"),
    "mse-image": (losses.MeanSquaredError, layers.Sigmoid, (2, 3, 3, 2), "uniform"),
    "cce-steps": (losses.CategoricalCrossentropy, layers.Softmax, (3, 4, 5), "one_hot"),
    "cce-smoothing": (lambda: losses.CategoricalCrossentropy(label_smoothing=0.1),
                      layers.Softmax, (3, 4, 5), "one_hot"),
    "scce-steps": (losses.SparseCategoricalCrossentropy, layers.Softmax, (3, 4, 5), "sparse"),
}


def _labels(kind, shape, rng):
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(float)
    if kind == "uniform":
        return rng.uniform(size=shape)
    classes = rng.integers(0, shape[-1], shape[:-1])
    return classes if kind == "sparse" else np.eye(shape[-1])[classes]


def _head(name):
    make, act, shape, kind = _CASES[name]
    loss = make()
    wanted, cls = heads._PAIRS[type(loss)]
    assert wanted is act
    return cls(loss, act()), act(), shape, kind


def _reference(name, y, x, w):
    """The loss of ``activation(x)`` in float64 NumPy, with Keras's reduction."""
    make, _, shape, kind = _CASES[name]
    loss = make()
    if isinstance(loss, losses.MeanSquaredError):
        per = ((_sigmoid(x) - y) ** 2).mean(-1)
    elif isinstance(loss, losses.BinaryCrossentropy):
        y = y * (1 - loss.label_smoothing) + 0.5 * loss.label_smoothing
        per = _bce(y, x).mean(-1)
    else:
        y = np.eye(shape[-1])[y] if kind == "sparse" else y
        if not isinstance(loss, losses.SparseCategoricalCrossentropy):
            y = y * (1 - loss.label_smoothing) + loss.label_smoothing / shape[-1]
        log_p = x - x.max(-1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
        per = -(y * log_p).sum(-1)
    if w is not None:
        per = per * (w.reshape(w.shape + (1,) * (per.ndim - w.ndim)))
    return per.sum() / per.size


@pytest.mark.parametrize("name", list(_CASES))
@pytest.mark.parametrize("weights", [None, "batch", "per_sample"])
def test_head_value_and_logit_gradient_match_float64_finite_differences(name, weights):
    head, act, shape, kind = _head(name)
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * 2
    y = _labels(kind, shape, rng)
    w = None if weights is None else rng.uniform(0.2, 2.0, shape[:1] if weights == "batch"
                                                 else shape[:-1])

    def value(logits):
        fresh, a, _, _ = _head(name)
        return fresh.forward(y, a.forward(logits.copy()), logits, w)

    got = head.forward(y, act.forward(x.copy()), x, w)
    assert got == pytest.approx(_reference(name, y, x, w), rel=1e-12)
    grad = head.backward()
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, _numeric(value, x.copy()), rtol=1e-6, atol=1e-9)


def test_head_values_match_keras_on_saturated_sequence_and_image_logits():
    # Keras 3.15.1 on JAX, from_logits=True on these float32 logits:
    # cce 16.626554489135742, weighted (batch, steps) 22.55095100402832; bce on the
    # (1, 2, 2, 1) image 12.575251579284668 (8.165370941 from the clipped probabilities).
    x = np.array([[[30.0, -10.0, 0.0], [1.0, 2.0, 3.0]],
                  [[-5.0, 20.0, 0.5], [0.0, 0.0, 0.0]]], "float32")
    labels = np.array([[1, 2], [0, 1]])
    w2 = np.array([[1.0, 0.5], [2.0, 0.0]], "float32")
    for loss, y in ((losses.CategoricalCrossentropy(), np.eye(3, dtype="float32")[labels]),
                    (losses.SparseCategoricalCrossentropy(), labels)):
        head = heads._CrossentropyFromLogits(loss, layers.Softmax())
        z = layers.Softmax().forward(x)
        assert head.forward(y, z, x) == pytest.approx(16.626554489135742, rel=1e-6)
        assert head.forward(y, z, x, w2) == pytest.approx(22.55095100402832, rel=1e-6)
    xb = np.array([[[[19.7], [-2.0]], [[0.5], [-30.0]]]], "float32")
    yb = np.array([[[[0.0], [0.0]], [[1.0], [1.0]]]], "float32")
    head = heads._CrossentropyFromLogits(losses.BinaryCrossentropy(), layers.Sigmoid())
    assert head.forward(yb, layers.Sigmoid().forward(xb), xb) == pytest.approx(
        12.575251579284668, rel=1e-6)
    grad = head.backward()  # (p - y) / 4: the confidently wrong pixels get the full gradient
    np.testing.assert_allclose(grad.ravel(), (_sigmoid(xb.astype(float)) - yb).ravel() / 4,
                               rtol=1e-5, atol=1e-8)


# ------------------------------------------------------ a model step through the heads
def _step_grads(model, xs, ys, ws=None):
    """One forward and backward through the heads; the loss values and the weight gradients."""
    model._training_setup()
    ws = ws or [None] * len(ys)
    outs, logits = model._heads.forward(xs, training=True)
    values, grads = model._losses_and_grads(ys, outs, ws, logits)
    model._graph.backward(grads, need_input_grad=False, pre_activation=model._heads.paired)
    return values, [(leaf, k, leaf.grads[k].copy()) for leaf in model._leaf_layers()
                    for k in leaf.params]


def _check_weight_grads(found, loss_of_predictions):
    for leaf, key, grad in found:
        p = leaf.params[key]
        np.testing.assert_allclose(grad, _numeric(lambda _: loss_of_predictions(), p),
                                   rtol=1e-5, atol=1e-9, err_msg=f"{leaf.name}/{key}")


def _conv_model(loss):
    kerasite.utils.set_random_seed(3)
    model = Sequential([Input((5, 5, 2)),
                        layers.Conv2D(3, 3, padding="same", activation="relu"),
                        layers.Conv2D(1, 3, padding="same", activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(0.1), loss=loss)
    return model


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_a_conv2d_sigmoid_output_trains_through_its_head(float64, loss):
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(3, 5, 5, 2))
    y = rng.uniform(size=(3, 5, 5, 1)) if loss == "mse" else \
        (rng.uniform(size=(3, 5, 5, 1)) > 0.5).astype(float)
    w = np.array([0.5, 1.0, 2.0])
    model = _conv_model(loss)
    model._training_setup()
    assert model._heads.paired == (0,)
    (value,), found = _step_grads(model, [x], [y], [w])
    # The logits the head saw, and its value, against NumPy on predict's output.
    z = model.predict(x, verbose=0)
    _, logits = model._heads.forward([x], training=False)
    np.testing.assert_allclose(_sigmoid(logits[0]), z, rtol=1e-12)
    per = ((z - y) ** 2).mean(-1) if loss == "mse" else _bce(y, logits[0]).mean(-1)
    assert value == pytest.approx((per * w[:, None, None]).sum() / per.size, rel=1e-12)
    reference = losses.get(loss)
    _check_weight_grads(found, lambda: reference.forward(y, model.predict(x, verbose=0), w))
    # evaluate reports the step's loss, and fit runs and learns.
    before = model.get_weights()
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(value, rel=1e-12)
    assert model.train_on_batch(x, y, sample_weight=w) == pytest.approx(value, rel=1e-12)
    model.set_weights(before)
    history = model.fit(x, y, epochs=5, batch_size=3, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_a_confidently_wrong_conv2d_sigmoid_pixel_reports_its_logit_and_learns():
    # A 1x1 convolution with kernel 1 and bias 0: the logits are the pixels themselves.
    model = Sequential([Input((1, 2, 1)), layers.Conv2D(1, 1, activation="sigmoid",
                                                        kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(0.1), loss="binary_crossentropy")
    x = np.array([[[[19.7], [-2.0]]]], "float32")
    y = np.array([[[[0.0], [1.0]]]], "float32")
    # mean of log(1 + e^19.7) = 19.7 and log(1 + e^2) = 2.1269; clipping p = 1 at 1 - 1e-7
    # would give (15.94 + 2.1269) / 2 = 9.03 instead of 10.91.
    exact = (np.logaddexp(0, 19.7) + np.logaddexp(0, 2.0)) / 2
    assert model.evaluate(x, y, verbose=0) == pytest.approx(exact, rel=1e-6)
    # In float32 sigmoid(19.7) rounds to 1; from the logits the kernel still gets
    # d loss / d w = mean((p - y) x) = (19.7 + (sigmoid(-2) - 1) (-2)) / 2.
    before = model.get_weights()[0].item()
    model.train_on_batch(x, y)
    step = (19.7 * (1 - 0.0) + (_sigmoid(-2.0) - 1) * -2.0) / 2
    assert model.get_weights()[0].item() == pytest.approx(before - 0.1 * step, rel=1e-5)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
@pytest.mark.parametrize("weights", [None, "batch", "steps"])
def test_a_softmax_sequence_output_trains_through_its_head(float64, loss, weights):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 6, 3))
    classes = rng.integers(0, 5, (4, 6))
    y = classes if loss.startswith("sparse") else np.eye(5)[classes]
    w = None if weights is None else rng.uniform(0.1, 2.0, (4,) if weights == "batch"
                                                 else (4, 6))
    kerasite.utils.set_random_seed(0)
    model = Sequential([Input((6, 3)), layers.Dense(4, activation="tanh"),
                        layers.Dense(5, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(0.5), loss=loss)
    (value,), found = _step_grads(model, [x], [y], [w])
    assert model._heads.paired == (0,)
    _, logits = model._heads.forward([x], training=False)
    assert logits[0].shape == (4, 6, 5)
    log_p = np.log(_softmax(logits[0]))
    per = -log_p[np.arange(4)[:, None], np.arange(6), classes]
    scale = 1.0 if w is None else (w if w.ndim == 2 else w[:, None])
    assert value == pytest.approx((per * scale).sum() / per.size, rel=1e-10)
    reference = losses.get(loss)
    _check_weight_grads(found, lambda: reference.forward(y, model.predict(x, verbose=0), w))
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(value, rel=1e-12)
    history = model.fit(x, y, sample_weight=w, epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]


@pytest.mark.parametrize("last, loss, logits_loss, labels", [
    (lambda: layers.Softmax(), "categorical_crossentropy",
     losses.CategoricalCrossentropy(from_logits=True), "one_hot"),
    (lambda: layers.Activation("softmax"), "sparse_categorical_crossentropy",
     losses.SparseCategoricalCrossentropy(from_logits=True), "sparse"),
    (lambda: layers.Activation("sigmoid"), "binary_crossentropy",
     losses.BinaryCrossentropy(from_logits=True), "binary"),
], ids=["Softmax", "Activation-softmax", "Activation-sigmoid"])
def test_an_activation_layer_at_the_end_pairs_like_a_dense_activation(last, loss, logits_loss,
                                                                       labels):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(12, 2, 4)).astype("float32") * 3
    shape = (12, 2, 3)
    y = _labels(labels, shape, rng).astype("float32")
    models = []
    for tail, lo in (([last()], loss), ([], logits_loss)):
        kerasite.utils.set_random_seed(0)
        m = Sequential([Input((2, 4)), layers.Dense(5, activation="tanh"), layers.Dense(3),
                        *tail])
        m.compile(optimizer=optimizers.SGD(0.3), loss=lo)
        models.append(m)
    paired, reference = models
    paired._training_setup()
    assert paired._heads.paired == (0,)
    for _ in range(3):
        assert paired.train_on_batch(x, y) == pytest.approx(reference.train_on_batch(x, y),
                                                            rel=1e-5)
    for w1, w2 in zip(paired.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_several_outputs_with_loss_weights_and_a_shared_output_layer(float64):
    # One sigmoid Dense called on two inputs: both calls are outputs, each with its head.
    a, b = Input((3,)), Input((3,))
    shared = layers.Dense(2, activation="sigmoid")
    other = layers.Dense(4, activation="softmax")
    model = Model([a, b], [shared(a), shared(b), other(b)])
    model.compile(optimizer=optimizers.SGD(0.1),
                  loss=["binary_crossentropy", "mse", "categorical_crossentropy"],
                  loss_weights=[1.0, 0.5, 2.0])
    rng = np.random.default_rng(5)
    xs = [rng.normal(size=(6, 3)), rng.normal(size=(6, 3))]
    ys = [(rng.uniform(size=(6, 2)) > 0.5).astype(float), rng.uniform(size=(6, 2)),
          np.eye(4)[rng.integers(0, 4, 6)]]
    w = rng.uniform(0.5, 1.5, 6)
    values, found = _step_grads(model, xs, ys, [w, w, w])
    assert model._heads.paired == (0, 1, 2)
    refs = [losses.get(name) for name in
            ("binary_crossentropy", "mse", "categorical_crossentropy")]

    def total():
        outs = model.predict(xs, verbose=0)
        return sum(k * r.forward(t, o, w) for k, r, t, o in zip((1.0, 0.5, 2.0), refs, ys, outs))

    assert values[0] == pytest.approx(total(), rel=1e-10)
    _check_weight_grads(found, total)
    logs = model.evaluate(xs, ys, sample_weight=[w, w, w], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(values[0], rel=1e-12)


def test_outputs_that_cannot_pair_fall_back_to_the_plain_loss(float64):
    inp = Input((3,))
    h = layers.Dense(2, activation="sigmoid", name="h")(inp)       # also feeds `out`
    out = layers.Dense(2, activation="sigmoid", activity_regularizer="l2", name="out")(h)
    axis1 = layers.Softmax(axis=1)(layers.Reshape((2, 2))(layers.Dense(4)(inp)))
    tanh = layers.Dense(2, activation="tanh")(inp)
    model = Model(inp, [h, out, axis1, tanh])
    model.compile(optimizer="sgd", loss=["binary_crossentropy", "binary_crossentropy",
                                         "categorical_crossentropy", "mse"])
    model._training_setup()
    assert model._heads.paired is None
    assert all(type(head) is heads.Head for head in model._heads)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 3))
    ys = [rng.uniform(size=(5, 2)) > 0.5, rng.uniform(size=(5, 2)) > 0.5,
          np.eye(2)[rng.integers(0, 2, (5, 2))], rng.uniform(size=(5, 2)) > 0.5]
    ys = [np.asarray(v, float) for v in ys]
    values, found = _step_grads(model, [x], ys)
    refs = [losses.get(v) for v in ("binary_crossentropy", "binary_crossentropy",
                                    "categorical_crossentropy", "mse")]

    def total():
        outs = model.predict(x, verbose=0)
        model.forward(x)
        penalty = model._last_graph.activity_loss  # the l2 on `out`'s output
        assert penalty > 0
        return sum(r.forward(t, o) for r, t, o in zip(refs, ys, outs)) + penalty

    _check_weight_grads(found, total)


def test_the_graph_refuses_a_pre_activation_it_cannot_give():
    inp = Input((3,))
    h = layers.Dense(2, activation="sigmoid")(inp)
    model = Model(inp, [h, layers.Dense(1)(h)])
    assert model._graph.pre_activation_outputs() == (1,)
    with pytest.raises(ValueError, match=r"`pre_activation` lists output\(s\) \[0\]"):
        model._graph.forward([np.ones((1, 3), "float32")], pre_activation=(0,))


def test_a_subclass_that_changes_call_does_not_pair():
    class Doubled(layers.Dense):
        def call(self, x, training=False):
            return 2 * super().call(x, training)

    model = Sequential([Input((3,)), Doubled(2, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model._training_setup()
    assert model._heads.paired is None
    assert heads.final_activation(layers.Dense(2, activation="sigmoid")).__class__ is \
        layers.Sigmoid
    assert heads.final_activation(layers.Activation("softmax")).__class__ is layers.Softmax


# ------------------------------------------------------- per call, never per layer
def test_a_layer_shared_by_two_models_trains_in_one_while_the_other_predicts():
    # `auto` pairs the shared sigmoid with its crossentropy; `decoder` trains it with MAE,
    # unpaired, from inside auto's validation (callbacks run while auto evaluates) and
    # predicts with it between auto's steps. Each must see the plain sigmoid.
    inp = Input((3,))
    out_layer = layers.Dense(2, activation="sigmoid", kernel_initializer="ones", name="out")
    auto = Model(inp, out_layer(layers.Dense(3, kernel_initializer="identity")(inp)))
    code = Input((3,))
    decoder = Model(code, out_layer(code))
    auto.compile(optimizer=optimizers.SGD(0.0), loss="binary_crossentropy")
    decoder.compile(optimizer=optimizers.SGD(1.0), loss="mae")
    x = np.array([[0.5, -0.5, 1.0]], "float32")
    y = np.zeros((1, 2), "float32")
    seen = {"expected": [], "updated": [], "predicted": []}

    class DecoderWork(kerasite.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            w, b = out_layer.get_weights()
            seen["predicted"].append((decoder.predict(x, verbose=0), _sigmoid(x @ w + b)))

        def on_test_batch_end(self, batch, logs=None):
            w, b = (a.copy() for a in out_layer.get_weights())
            p = _sigmoid(x @ w + b)
            # mae: d loss / d p = sign(p - y) / 2; through the sigmoid: * p (1 - p)
            seen["expected"].append(w - x.T @ (np.sign(p - y) / 2 * p * (1 - p)))
            decoder.train_on_batch(x, y)
            seen["updated"].append(out_layer.get_weights()[0].copy())

    auto.fit(x, np.ones((1, 2), "float32"), epochs=2, verbose=0, validation_data=(x, y),
             callbacks=[DecoderWork()])
    assert len(seen["updated"]) == 2 and len(seen["predicted"]) == 2
    for expected, updated in zip(seen["expected"], seen["updated"]):
        np.testing.assert_allclose(updated, expected, rtol=1e-5)
    for predicted, reference in seen["predicted"]:
        np.testing.assert_allclose(predicted, reference, rtol=1e-5)


# ------------------------------------------------------------- the layers' pair
@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Dense(3, activation="sigmoid"), (4, 2)),
    (lambda: layers.Dense(3, activation="softmax"), (2, 4, 2)),
    (lambda: layers.Conv2D(2, 3, padding="same", activation="sigmoid"), (2, 4, 4, 1)),
    (lambda: layers.Conv2D(2, 3, activation="relu"), (2, 4, 4, 1)),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, activation="tanh"), (2, 3, 3, 1)),
    (lambda: layers.Activation("softmax"), (2, 3, 4)),
])
def test_backward_from_the_pre_activation_matches_backward_through_the_activation(
        float64, make, shape):
    layer = make()
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape)
    plain = layer.forward(x, training=True).copy()
    out, z = layer.call_with_pre_activation(x, training=True)
    np.testing.assert_allclose(out, plain, rtol=1e-12)
    act = heads.final_activation(layer)
    np.testing.assert_allclose(act.apply(z.copy(), np.empty_like(z)), out, rtol=1e-12)
    g = rng.normal(size=out.shape)
    # d L / d z from d L / d output through (a copy of) the activation.
    act_copy = type(act).from_config(act.get_config())
    act_copy.forward(z.copy(), training=True)
    dz = act_copy.backward(g.copy())
    grads = {}
    for name, run in (("pre", lambda: layer.backward_from_pre_activation(dz.copy())),
                      ("plain", lambda: layer.backward(g.copy()))):
        layer.call_with_pre_activation(x, training=True) if name == "pre" else \
            layer.forward(x, training=True)
        dx = run()
        grads[name] = [np.array(dx)] + [layer.grads[k].copy() for k in layer.grads]
    for a, b in zip(grads["pre"], grads["plain"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
