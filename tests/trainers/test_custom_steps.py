"""Custom training as in Keras 3: overridden steps, trackers, compile without a loss.

Expected values are worked out by hand in each test (no reference run is
needed: the numbers are counts and means of small known sequences).
"""

import warnings

import numpy as np
import pytest

import kerasite
from kerasite import GradientTape, Input, Sequential, layers, losses, metrics, ops, optimizers


X = np.arange(8, dtype=np.float64).reshape(4, 2) / 8
Y = np.array([[0.5], [0.0], [1.0], [0.25]])


def _dense(seed=0, units=1):
    kerasite.utils.set_random_seed(seed)
    return Sequential([Input((2,)), layers.Dense(units)])


# ============================================================ trackers and logs
class CountingModel(kerasite.Model):
    """A train_step that logs a tracker of the running step number and a constant."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.step_tracker = metrics.Mean(name="step")
        self.calls = 0

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        self.calls += 1
        self.step_tracker.update_state(float(self.calls))
        return {"step": self.step_tracker.result(), "constant": np.float64(7.0)}


def test_a_custom_train_step_is_logged_and_its_tracker_reset_each_epoch():
    model = CountingModel()
    model.compile(optimizer="sgd")  # no loss: the step computes none
    history = model.fit(X, Y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    # Two batches per epoch: steps (1, 2), (3, 4), (5, 6); the tracker starts afresh each
    # epoch, so the epoch's value is the mean of its own two steps. Without the reset
    # epoch 2 would log (1+2+3+4)/4 = 2.5.
    assert history.history["step"] == [1.5, 3.5, 5.5]
    assert history.history["constant"] == [7.0, 7.0, 7.0]
    assert all(type(v) is float for v in history.history["step"])


def test_the_metrics_property_lists_the_loss_compiled_metrics_then_the_trackers():
    model = CountingModel()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, verbose=0)
    # Keras 3 lists the loss tracker first when compiled with a loss (and then keeps the
    # compiled metrics in one container; kerasite lists them one by one).
    assert model.metrics_names == ["loss", "mae", "step"]
    assert model.metrics[2] is model.step_tracker
    model.reset_metrics()
    assert model.step_tracker.result() == 0.0


class OverriddenMetrics(CountingModel):
    def __init__(self):
        super().__init__()
        self.other = metrics.Mean(name="other")

    @property
    def metrics(self):
        return [self.step_tracker]  # as Keras's guides list their trackers


def test_an_overridden_metrics_property_is_what_fit_resets():
    model = OverriddenMetrics()
    model.other.update_state(5.0)
    model.compile(optimizer="sgd")
    history = model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    assert history.history["step"] == [1.5, 3.5]
    assert model.other.result() == 5.0  # not listed, so never reset


class TrackerTestStep(CountingModel):
    def test_step(self, data):
        x, y = data
        self.step_tracker.update_state(float(np.sum(x)))
        return {"sum": self.step_tracker.result()}


def test_a_custom_test_step_in_evaluate_and_validation():
    model = TrackerTestStep()
    model.compile(optimizer="sgd")
    # Batches of 2 rows: sums 0.75 and 2.75 (X / 8 holds 0..7 / 8); their mean is 1.75.
    assert model.evaluate(X, Y, batch_size=2, verbose=0, return_dict=True) == {"sum": 1.75}
    history = model.fit(X, Y, batch_size=4, epochs=1, validation_data=(X, Y),
                        validation_batch_size=2, verbose=0)
    # evaluate resets every tracker first (as Keras), so the validation mean is its own
    assert history.history["val_sum"] == [1.75]
    assert history.history["step"] == [1.0]  # taken before the validation pass reset it


class NoTargets(kerasite.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.seen = []

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        self.seen.append(data)
        return {"rows": float(len(data))}


def test_fit_without_targets_gives_the_step_x_alone_as_keras_does():
    model = NoTargets()
    model.compile(optimizer="adam")
    history = model.fit(X, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert all(isinstance(d, np.ndarray) for d in model.seen)
    np.testing.assert_array_equal(model.seen[0], X[:3].astype("float32"))
    assert history.history["rows"] == [1.0]  # the last batch's logs: one row


def test_a_step_that_returns_no_dict_is_refused():
    class Bad(NoTargets):
        def train_step(self, data):
            return 1.0

    model = Bad()
    model.compile(optimizer="sgd")
    with pytest.raises(TypeError, match=r"must return a dict of logs.*Received: float"):
        model.fit(X, epochs=1, verbose=0)


# ===================================================== compile without a loss
def test_compile_without_a_loss_and_the_built_in_steps_ask_for_one():
    model = _dense()
    model.compile(optimizer="sgd")
    message = r"compiled without a `loss`.*Pass one to compile\(\).*override train_step"
    with pytest.raises(ValueError, match=message):
        model.fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.evaluate(X, Y, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.train_on_batch(X, Y)
    with pytest.raises(ValueError, match=r"`compute_loss\(\)` has no loss to compute"):
        model.compute_loss(X, Y, model.predict(X))
    assert model.get_compile_config()["loss"] is None


def test_super_train_step_without_a_loss_asks_for_one():
    class Delegates(NoTargets):
        def train_step(self, data):
            return super(NoTargets, self).train_step(data)

    model = Delegates()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"compiled without a `loss`"):
        model.fit(X, Y, epochs=1, verbose=0)


# ====================================== a custom step written with the engine
class ExplicitStep(kerasite.Model):
    """Keras's custom train_step, with kerasite's explicit forward and backward."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.loss_tracker = metrics.Mean(name="loss")

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        y_pred = self.forward(x, training=True)
        loss = self.compute_loss(x, y, y_pred)
        self.backward(self.loss.backward(), need_input_grad=False)
        variables = self.trainable_variables
        self.optimizer.apply([v._grad for v in variables], variables)
        self.loss_tracker.update_state(loss, sample_weight=len(x))
        return {"loss": self.loss_tracker.result()}


def test_a_custom_step_trains_to_the_weights_of_the_built_in_fit(float64):
    kerasite.utils.set_random_seed(3)
    custom = ExplicitStep()
    custom.build((None, 2))
    builtin = Sequential([Input((2,)), layers.Dense(1)])
    builtin.set_weights(custom.get_weights())
    for model in (custom, builtin):
        model.compile(optimizer=optimizers.Adam(0.1), loss="mse")
    h1 = custom.fit(X, Y, batch_size=3, epochs=4, shuffle=False, verbose=0)
    h2 = builtin.fit(X, Y, batch_size=3, epochs=4, shuffle=False, verbose=0)
    for a, b in zip(custom.get_weights(), builtin.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-12)



def test_a_tape_train_step_trains_to_the_weights_of_the_built_in_fit(float64):
    class TapeStep(kerasite.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data
            with GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
            variables = self.trainable_variables
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return {"loss": loss}

    kerasite.utils.set_random_seed(3)
    custom = TapeStep()
    custom.build((None, 2))
    builtin = Sequential([Input((2,)), layers.Dense(1)])
    builtin.set_weights(custom.get_weights())
    for model in (custom, builtin):
        model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    custom.fit(X, Y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    builtin.fit(X, Y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(custom.get_weights(), builtin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_compute_loss_is_differentiable_under_a_tape(float64):
    model = _dense()
    model.compile(optimizer="sgd", loss="mse")
    y_pred = ops.convert_to_tensor(model.predict(X))
    with GradientTape() as tape:
        tape.watch(y_pred)
        loss = model.compute_loss(X, Y, y_pred)
    assert isinstance(loss, ops.Tensor)
    # d mean((p - y)^2) / dp = 2 (p - y) / 4 samples
    np.testing.assert_allclose(tape.gradient(loss, y_pred), (y_pred - Y) / 2, rtol=1e-12)
    assert isinstance(model.compute_loss(X, Y, model.predict(X)), float)


# ================================================== function losses, metrics
def mse_with_ops(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@pytest.mark.parametrize("weighted", [False, True])
def test_a_function_loss_trains_as_the_built_in_one(float64, weighted):
    w = np.array([1.0, 0.0, 2.0, 0.5]) if weighted else None
    results = []
    for loss in (mse_with_ops, "mse"):
        model = _dense(seed=5, units=2)
        model.compile(optimizer=optimizers.SGD(0.3), loss=loss)
        y = np.concatenate([Y, 1 - Y], axis=1)
        history = model.fit(X, y, sample_weight=w, batch_size=3, epochs=3, shuffle=False,
                            verbose=0)
        results.append((model.get_weights(), history.history["loss"]))
    (w1, l1), (w2, l2) = results
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(l1, l2, rtol=1e-13)


def test_a_function_loss_reductions_and_scalar_values(float64):
    y, p = np.zeros((2, 2)), np.array([[1.0, 3.0], [2.0, 0.0]])
    w = np.array([1.0, 3.0])
    # per-sample values: mean |e| = 2 and 1; weighted: 2 and 3
    assert losses.LossFunctionWrapper(_mae_ops).forward(y, p, w) == 2.5  # 5 / 2 samples
    assert losses.LossFunctionWrapper(_mae_ops, reduction="sum").forward(y, p, w) == 5.0
    wrapper = losses.LossFunctionWrapper(_mae_ops, reduction="mean_with_sample_weight")
    assert wrapper.forward(y, p, w) == 1.25  # 5 / (1 + 3)
    np.testing.assert_allclose(wrapper.backward(), [[0.125, 0.125], [0.375, 0.0]])
    scalar = losses.LossFunctionWrapper(lambda t, q: ops.sum(ops.square(q - t)))
    assert scalar.forward(y, p) == 14.0  # a scalar is not reduced further
    np.testing.assert_allclose(scalar.backward(), 2 * p)
    with pytest.raises(ValueError, match=r"`reduction` must be one of .*Received: "
                                         r"reduction='none'"):
        losses.LossFunctionWrapper(_mae_ops, reduction="none")
    with pytest.raises(TypeError, match=r"`fn` must be a function"):
        losses.LossFunctionWrapper(3)


def _mae_ops(y_true, y_pred):
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def test_a_function_loss_gradient_checks(float64):
    from kerasite.gradcheck import check_gradients

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))

    def log_cosh(y_true, y_pred):
        return ops.mean(ops.log((ops.exp(y_pred - y_true) + ops.exp(y_true - y_pred)) / 2),
                        axis=-1)

    report = check_gradients(layers.Dense(2), x, y, losses.get(log_cosh))
    assert report.max_rel_diff < 1e-6


def test_a_function_metric_is_averaged_over_samples(float64):
    def within_half(y_true, y_pred):
        return ops.cast(ops.abs(y_true - y_pred) < 0.5, "float64")

    model = _dense()
    model.compile(optimizer="sgd", loss="mse", metrics=[within_half])
    kernel, bias = model.get_weights()
    pred = X @ kernel + bias
    expected = float(np.mean(np.abs(Y - pred) < 0.5))
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs["within_half"] == expected


# ======================================================= Metric with add_weight
class SumOfPredictions(metrics.Metric):
    """Keras 3's pattern: state from add_weight after super().__init__, assign_add."""

    def __init__(self, name="sum_of_predictions", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", initializer="zeros", dtype="float64")
        self.batches = self.add_weight(shape=(2,), initializer="ones", name="batches")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(y_pred))
        self.batches.assign_add(np.array([1.0, 0.0]))

    def result(self):
        return self.total / 1.0


def test_a_metric_made_with_add_weight(float64):
    m = SumOfPredictions()
    assert [v.name for v in m.variables] == ["total", "batches"]
    assert not any(v.trainable for v in m.variables)
    np.testing.assert_array_equal(m.batches.numpy(), [1.0, 1.0])  # its initializer
    m.update_state(None, np.array([[1.0], [2.0]]))
    assert float(m.result()) == 3.0
    m.reset_state()  # as Keras 3's default: every variable back to zeros
    assert float(m.result()) == 0.0
    np.testing.assert_array_equal(m.batches.numpy(), [0.0, 0.0])


def test_an_add_weight_metric_in_fit_is_reset_each_epoch(float64):
    model = _dense()
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=[SumOfPredictions()])
    kernel, bias = model.get_weights()
    history = model.fit(X, Y, batch_size=2, epochs=2, verbose=0)
    expected = float(np.sum(X @ kernel + bias))  # lr 0: the same predictions every epoch
    np.testing.assert_allclose(history.history["sum_of_predictions"], [expected] * 2,
                               rtol=1e-12)
    assert all(type(v) is float for v in history.history["sum_of_predictions"])


# ============================================================== optimizers
def _grads_of(model, x, y):
    """The weight gradients of the compiled loss, from the layers' own backward."""
    model.loss.forward(y, model.forward(x, training=True))
    model.backward(model.loss.backward(), need_input_grad=False)
    return [np.array(v._grad) for v in model.trainable_variables]


@pytest.mark.parametrize("how", ["apply", "apply_gradients"])
def test_apply_equals_the_built_in_optimizer_step(float64, how):
    a, b = _dense(seed=1, units=2), _dense(seed=2, units=2)
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile(optimizer=optimizers.Adam(0.05), loss="mse")
    y = np.concatenate([Y, Y], axis=1)
    for _ in range(3):
        a.train_on_batch(X, y)  # the built-in step: one pass over the flat buffers
        grads = _grads_of(b, X.astype("float64"), y)
        variables = b.trainable_variables
        if how == "apply":
            b.optimizer.apply(grads, variables)
        else:
            b.optimizer.apply_gradients(zip(grads, variables))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.optimizer.iterations == b.optimizer.iterations == 3


def test_apply_takes_tensors_and_builds_lazily():
    w = kerasite.Variable(np.array([1.0, 2.0]), name="w")
    opt = optimizers.SGD(0.5)
    with GradientTape() as tape:
        loss = ops.sum(w * w)
    grad = tape.gradient(loss, w)
    assert not opt.built
    opt.apply([grad], [w])  # d sum(w^2) = 2 w: w - 0.5 * 2 w = 0
    assert opt.built and opt.iterations == 1
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])
    opt.apply([np.ones(2)])  # the variables it was built for
    np.testing.assert_array_equal(w.numpy(), [-0.5, -0.5])


def test_none_gradients_are_skipped_with_a_warning_as_keras_does():
    w, b = kerasite.Variable(np.ones(2), name="w"), kerasite.Variable(np.ones(2), name="b")
    opt = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b'\]"):
        opt.apply_gradients([(np.ones(2), w), (None, b)])
    np.testing.assert_allclose(w.numpy(), 0.9, rtol=1e-6)  # Adam's first step is lr * sign(g)
    np.testing.assert_array_equal(b.numpy(), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([(np.ones(2), w), (np.ones(2), b)])  # both: no warning
    # b's first step: its moments were never touched, so it steps as from scratch but with
    # the bias correction of step 2: lr sqrt(1 - b2^2) / (1 - b1^2) m / sqrt(v)
    m, v = 0.1, 0.001
    step = 0.1 * np.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(b.numpy(), 1.0 - step, rtol=1e-6)
    with pytest.raises(ValueError, match=r"No gradients provided for any variable"):
        opt.apply([None, None], [w, b])
    with pytest.raises(ValueError, match=r"`grads` and `trainable_variables` must have the "
                                         r"same length\. Received: 1 gradients for 2"):
        opt.apply([np.ones(2)], [w, b])
    other = kerasite.Variable(np.ones(2), name="other")
    with pytest.raises(ValueError, match=r"built for other variables: weight 0 is 'w', and it "
                                         r"now received 'other'"):
        opt.apply([np.ones(2)], [other])


def test_apply_before_build_needs_the_variables():
    with pytest.raises(ValueError, match=r"`trainable_variables` is required before the "
                                         r"optimizer is built"):
        optimizers.SGD().apply([np.ones(2)])


def test_apply_follows_the_learning_rate_schedule():
    w = kerasite.Variable(np.zeros(1), name="w")
    schedule = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(schedule)
    for _ in range(3):
        opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-(1.0 + 0.5 + 0.25)])  # lr at steps 0, 1, 2
    assert opt.iterations == 3


# ================================================================== saving
def test_a_registered_function_loss_saves_and_loads(tmp_path):
    @kerasite.saving.register_keras_serializable()
    def registered_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    model = _dense()
    model.compile(optimizer="sgd", loss=registered_mse, metrics=[registered_mse])
    model.fit(X, Y, epochs=1, verbose=0)
    config = model.get_compile_config()
    assert config["loss"]["class_name"] == "function"
    assert config["loss"]["config"] == "Custom>registered_mse"  # as Keras 3 names it
    path = str(tmp_path / "m.kerasite")
    model.save(path)
    loaded = kerasite.models.load_model(path)
    assert isinstance(loaded.loss, losses.LossFunctionWrapper)
    assert loaded.loss.fn is registered_mse
    np.testing.assert_allclose(loaded.evaluate(X, Y, verbose=0),
                               model.evaluate(X, Y, verbose=0), rtol=1e-6)


def test_an_unregistered_function_saves_but_loading_it_compiled_says_to_register(tmp_path):
    def not_registered(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    model = _dense()
    model.compile(optimizer="sgd", loss=not_registered)
    path = str(tmp_path / "m.kerasite")
    model.save(path)  # as Keras 3: saving names the function
    with pytest.raises(ValueError, match=r"Could not locate the loss function "
                                         r"'not_registered'.*register_keras_serializable"):
        kerasite.models.load_model(path)
    loaded = kerasite.models.load_model(path, compile=False)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


# ================================================= a model without a graph
class TwoVariables(kerasite.Model):
    """Keras's GAN shape: no layers, no call; the step trains the variables it holds."""

    def __init__(self):
        super().__init__()
        self.w = kerasite.Variable(np.zeros(2), name="w")
        self.tracker = metrics.Mean(name="distance")

    def train_step(self, data):
        with GradientTape() as tape:
            loss = ops.mean(ops.sum(ops.square(data - self.w), axis=-1))
        self.optimizer.apply([tape.gradient(loss, self.w)], [self.w])
        self.tracker.update_state(loss)
        return {"distance": self.tracker.result()}

    def test_step(self, data):
        return {"mean_row": float(np.mean(data))}


def test_a_model_without_layers_or_call_trains_by_its_own_step(float64):
    model = TwoVariables()
    model.compile(optimizer=optimizers.SGD(0.25))
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    history = model.fit(data, batch_size=2, epochs=2, verbose=0)
    # d loss / d w = -2 (mean row - w) = -2 ([2, 3] - w); SGD 0.25 moves w halfway there.
    np.testing.assert_allclose(model.w.numpy(), [1.5, 2.25])
    # loss at w = 0: (1 + 4 + 9 + 16) / 2 = 15; at w = [1, 1.5]: (0 + 0.25 + 4 + 6.25) / 2
    np.testing.assert_allclose(history.history["distance"], [15.0, 5.25])
    assert model.evaluate(data, verbose=0, return_dict=True) == {"mean_row": 2.5}
    assert not model.built


def test_function_losses_and_no_loss_round_trip_through_the_keras_format(tmp_path):
    # Keras 3.15.1 writes a function registered in its default package as
    # {"module": "builtins", "class_name": "function", "config": "Custom>name"} (checked by
    # saving a model there); kerasite writes the same, so either loads the other's file.
    @kerasite.saving.register_keras_serializable()
    def keras_format_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    model = _dense()
    model.compile(optimizer="sgd", loss=keras_format_mse, metrics=[keras_format_mse])
    model.save(str(tmp_path / "f.keras"))
    loaded = kerasite.models.load_model(str(tmp_path / "f.keras"))
    assert loaded.loss.fn is keras_format_mse
    assert loaded.evaluate(X, Y, verbose=0, return_dict=True)["keras_format_mse"] == \
        pytest.approx(model.evaluate(X, Y, verbose=0)[1], rel=1e-6)
    bare = _dense()
    bare.compile(optimizer="adam")
    bare.save(str(tmp_path / "n.keras"))
    reloaded = kerasite.models.load_model(str(tmp_path / "n.keras"))
    assert reloaded.compiled and reloaded.get_compile_config()["loss"] is None


def test_the_guides_loop_over_self_metrics_updates_a_loss_tracker_and_the_compiled_ones():
    # keras.io "Customizing what happens in fit()": compiled with a loss, model.metrics
    # starts with a "loss" Mean, so `if metric.name == "loss"` finds it (Keras 3 does so).
    seen = []

    class CustomModel(kerasite.Sequential):
        def train_step(self, data):
            x, y = data
            with kerasite.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            seen.append(float(loss))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 3)), rng.standard_normal((32, 1))
    model = CustomModel([kerasite.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    assert [m.name for m in model.metrics][0] == "loss"
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    # Reset each epoch: the second epoch's value is the mean of its own four batches.
    np.testing.assert_allclose(history.history["loss"], [np.mean(seen[:4]), np.mean(seen[4:])],
                               rtol=1e-6)
