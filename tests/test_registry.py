"""The one registry shape: ``get``/``serialize``/``deserialize``/``register`` of every kind.

Covers ``kerasite/_registry.py`` through the nine kinds built on it (layers,
losses, optimizers, schedules, metrics, initializers, regularizers,
constraints, activations) and ``kerasite.saving.register_keras_serializable``
/ ``get_registered_object``. Each kind follows Keras 3's ``get``: a name, a
config dict, an instance, ``None``; an unknown name lists the valid ones.
"""

import json
import re

import numpy as np
import pytest

import kerasite
from kerasite import (
    _registry,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
    saving,
)
from kerasite.layers import activations
from kerasite.optimizers import schedules


# ==================================================================== user classes
# One class per kind, registered for the tests that need them and removed after.
class MyLayer(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x, training=False):
        return self.factor * x

    def backward(self, grad_output, need_input_grad=True):
        return self.factor * grad_output

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class MyLoss(losses.Loss):
    def __init__(self, power=4):
        self.power = power

    def forward(self, y_true, y_pred, sample_weight=None):
        self.diff = y_pred - y_true
        return float(np.mean(self.diff ** self.power))

    def backward(self):
        return self.power * self.diff ** (self.power - 1) / self.diff.size

    def get_config(self):
        return {"power": self.power}


class MySGD(optimizers.SGD):
    pass


class MySchedule(schedules.LearningRateSchedule):
    def __init__(self, initial_learning_rate=0.1):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / (1 + step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


class MyMetric(metrics.MeanAbsoluteError):
    pass


class MyInitializer(initializers.Initializer):
    def __init__(self, value=3.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or "float32")

    def get_config(self):
        return {"value": self.value}


class MyRegularizer(regularizers.Regularizer):
    def __init__(self, factor=0.5):
        self.factor = factor

    def __call__(self, w):
        return self.factor * float(np.sum(w))

    def gradient(self, w):
        return np.full_like(w, self.factor)

    def get_config(self):
        return {"factor": self.factor}


class MyConstraint(constraints.Constraint):
    def __init__(self, cap=1.0):
        self.cap = cap

    def __call__(self, w):
        return np.minimum(w, self.cap)

    def get_config(self):
        return {"cap": self.cap}


class MyTanh(layers.Tanh):
    pass


# ==================================================================== the table
# kind: (module, a name, the class it gives, an instance, what get(None) gives,
#        the unknown-name message, the user class)
KINDS = {
    "layer": (layers, "Flatten", layers.Flatten, lambda: layers.Dense(3, name="d"), None,
              r"Unknown layer: 'nope'\. Valid names are \[.*'Dense'.*\], or a "
              r"\{'class_name': \.\.\., 'config': \.\.\.\} dict", MyLayer),
    "loss": (losses, "MSE", losses.MeanSquaredError, lambda: losses.Huber(delta=2.0),
             ValueError, r"Unknown loss: 'nope'\. Valid names are \[.*'mse'.*\], or pass an "
                         r"instance of kerasite\.losses\.Loss\.", MyLoss),
    "optimizer": (optimizers, "Adam", optimizers.Adam, lambda: optimizers.SGD(0.5, momentum=0.9),
                  ValueError, r"Unknown optimizer: 'nope'\. Valid names are \['adadelta', "
                              r"'adafactor', 'adagrad', 'adam', .*'sgd'\], or pass an "
                              r"instance", MySGD),
    "learning rate schedule": (
        schedules, "ExponentialDecay", schedules.ExponentialDecay,
        lambda: schedules.CosineDecay(0.1, 100, alpha=0.1), None,
        r"Unknown learning rate schedule: 'nope'\. Valid names are \['cosinedecay', ",
        MySchedule),
    "metric": (metrics, "mae", metrics.MeanAbsoluteError, lambda: metrics.AUC(curve="PR"), None,
               r"Unknown metric: 'nope'\. Valid names are \['accuracy', 'acc', .*\], a metric "
               r"class name such as 'AUC'", MyMetric),
    "initializer": (initializers, "HE_NORMAL", initializers.HeNormal,
                    lambda: initializers.RandomNormal(stddev=0.5, seed=3), ValueError,
                    r"Unknown initializer: 'nope'\. Valid names are \['constant', ", MyInitializer),
    "regularizer": (regularizers, "L2", regularizers.L2, lambda: regularizers.L1L2(0.1, 0.2), None,
                    r"Unknown regularizer: 'nope'\. Valid names are \['l1', 'l1_l2', 'l2'\]",
                    MyRegularizer),
    "constraint": (constraints, "Non_Neg", constraints.NonNeg, lambda: constraints.MaxNorm(3.0),
                   None, r"Unknown constraint: 'nope'\. Valid names are \['max_norm', "
                         r"'min_max_norm', 'non_neg', 'unit_norm'\]", MyConstraint),
    "activation": (activations, "ReLU", activations.ReLU, lambda: layers.LeakyReLU(0.3),
                   activations.Linear, r"Unknown activation: 'nope'\. Valid names are \['celu', "
                                       r"'elu', 'exponential', 'gelu', ", MyTanh),
}
IDS = list(KINDS)


def _config(obj):
    """What must survive a round trip: the config without the automatic name."""
    cfg = dict(obj.get_config())
    cfg.pop("name", None)
    return cfg


@pytest.fixture
def registered():
    """Registers every user class with register_keras_serializable; removes them after."""
    names = {}
    for kind, (*_, user) in KINDS.items():
        saving.register_keras_serializable(package="Tests")(user)
        names[kind] = user.__name__
    yield
    for registry in _registry._KINDS:
        for name in names.values():
            registry.classes.pop(name, None)


# ==================================================================== get
@pytest.mark.parametrize("kind", IDS)
def test_every_kind_is_one_registry(kind):
    module = KINDS[kind][0]
    registry = module._REGISTRY if kind != "layer" else layers._LAYERS
    assert isinstance(registry, _registry.Registry) and registry.kind == kind
    for name in ("get", "serialize", "deserialize", "register"):
        assert callable(getattr(module, name))


@pytest.mark.parametrize("kind", IDS)
def test_get_by_name_any_case(kind):
    module, name, cls, *_ = KINDS[kind]
    if kind == "learning rate schedule":  # schedules have no defaults to build one from
        assert module._REGISTRY.find(name) is cls is module._REGISTRY.find(name.lower())
        with pytest.raises(TypeError, match=r"initial_learning_rate"):
            module.get(name)
        return
    assert type(module.get(name)) is cls


@pytest.mark.parametrize("kind", IDS)
def test_get_by_config_dict(kind):
    module, _, _, make, *_ = KINDS[kind]
    obj = make()
    config = {"class_name": type(obj).__name__, "config": obj.get_config()}
    again = module.get(config)
    assert type(again) is type(obj) and again is not obj and _config(again) == _config(obj)


@pytest.mark.parametrize("kind", IDS)
def test_get_passes_an_instance_through(kind):
    module, _, _, make, *_ = KINDS[kind]
    obj = make()
    assert module.get(obj) is obj


@pytest.mark.parametrize("kind", IDS)
def test_get_none(kind):
    module, _, _, _, none, msg, _ = KINDS[kind]
    if none is None:
        assert module.get(None) is None
    elif none is ValueError:  # kinds a model cannot do without: compile needs a loss
        with pytest.raises(ValueError, match=msg.replace("'nope'", "None")):
            module.get(None)
    else:
        assert type(module.get(None)) is none


@pytest.mark.parametrize("kind", IDS)
def test_unknown_name_lists_the_valid_ones(kind):
    module, *_, msg, _ = KINDS[kind]
    with pytest.raises(ValueError, match=msg):
        module.get("nope")


@pytest.mark.parametrize("kind", IDS)
def test_unknown_class_in_a_config_lists_the_registered_ones(kind):
    module = KINDS[kind][0]
    msg = (r"Unknown layer type 'Nope'\. Known types are \[.*\]\. Register custom layers"
           if kind == "layer" else
           rf"Unknown {kind} class: 'Nope'\. Valid classes are \[.*\]\. Register a custom "
           r"class with @kerasite\.saving\.register_keras_serializable\(\)\.")
    with pytest.raises(ValueError, match=msg):
        module.deserialize({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize("kind", IDS)
def test_serialize_deserialize_round_trip(kind):
    module, _, _, make, *_ = KINDS[kind]
    obj = make()
    form = json.loads(json.dumps(module.serialize(obj)))
    again = module.deserialize(form)
    assert type(again) is type(obj) and _config(again) == _config(obj)
    if kind != "activation":  # activations.serialize(None) is None too, and gives Linear back
        assert module.serialize(None) is None and module.deserialize(None) is None


# ==================================================================== user classes
@pytest.mark.parametrize("kind", IDS)
def test_a_registered_user_class_is_found_by_get_and_deserialize(kind, registered):
    module, *_, user = KINDS[kind]
    assert type(module.get(user.__name__)) is user
    assert type(module.get(f"Tests>{user.__name__}")) is user  # a Keras registered key
    obj = user()
    form = json.loads(json.dumps(module.serialize(obj)))
    assert form["class_name"] == user.__name__
    again = module.deserialize(form)
    assert type(again) is user and _config(again) == _config(obj)
    assert saving.get_registered_object(user.__name__) is user
    assert saving.get_registered_object(f"Tests>{user.__name__}") is user


def test_an_activation_class_joins_the_layers_too(registered):
    assert layers.deserialize({"class_name": "MyTanh", "config": {}}).__class__ is MyTanh
    assert type(layers.Dense(2, activation="MyTanh").activation) is MyTanh


def test_a_registered_loss_and_layer_survive_save_and_load(tmp_path, registered):
    kerasite.utils.set_random_seed(0)
    model = kerasite.Sequential([layers.Dense(2, input_shape=(3,)), MyLayer(factor=0.5)])
    model.compile(optimizer=MySGD(0.05), loss=MyLoss(power=2))
    x = np.random.default_rng(0).random((8, 3), dtype=np.float32)
    model.fit(x, x[:, :2], epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.kerasite")
    loaded = kerasite.models.load_model(tmp_path / "m.kerasite")
    assert type(loaded.layers[-1]) is MyLayer and loaded.layers[-1].factor == 0.5
    assert type(loaded.loss) is MyLoss and loaded.loss.power == 2
    assert type(loaded.optimizer) is MySGD
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_only_classes_of_a_kind_can_be_registered():
    with pytest.raises(TypeError, match=r"subclasses none of \[.*'Layer'.*'Loss'.*\]"):
        saving.register_keras_serializable()(int)
    with pytest.raises(TypeError, match=r"Only Loss subclasses can be registered as a loss\. "
                                        r"Received: <class 'int'>"):
        losses.register(int)


def test_register_under_another_name(registered):
    losses.register(MyLoss, name="FourthPower")
    try:
        assert type(losses.get("FourthPower")) is MyLoss
    finally:
        losses._REGISTRY.classes.pop("FourthPower")


# ==================================================================== callables
def test_callables_where_the_kind_allows_them():
    assert type(metrics.get(metrics.mean_absolute_error)) is metrics.MeanAbsoluteError
    assert type(metrics.get(lambda y, p: abs(y - p))).__name__ == "MeanMetricWrapper"
    assert type(losses.get(losses.mae)) is losses.MeanAbsoluteError


def test_a_plain_function_is_differentiated_or_refused_by_kind():
    def f(y, p):
        return y

    assert type(losses.get(f)) is losses.LossFunctionWrapper  # differentiated by a tape
    with pytest.raises(TypeError, match=r"A plain function \('f'\) cannot be a regularizer"):
        regularizers.get(f)
    assert type(activations.get(f)).__name__ == "FunctionActivation"  # a tape too
    with pytest.raises(ValueError, match=r"Unknown optimizer: <function .*f"):
        optimizers.get(f)


def test_a_class_gives_a_default_instance():
    assert type(losses.get(losses.Hinge)) is losses.Hinge
    assert type(metrics.get(metrics.AUC)) is metrics.AUC


# ==================================================================== snake case
# The values Keras 3 gives: keras.src.utils.naming.to_snake_case, computed with
# Keras 3.15.1 (KERAS_BACKEND=jax).
KERAS_SNAKE = {
    "Dense": "dense", "ReLU": "re_lu", "LeakyReLU": "leaky_re_lu", "Conv2D": "conv2d",
    "BatchNormalization": "batch_normalization", "MaxPooling2D": "max_pooling2d",
    "GlobalAveragePooling2D": "global_average_pooling2d", "PReLU": "p_re_lu", "ELU": "elu",
    "SiLU": "si_lu", "AUC": "auc", "F1Score": "f1_score", "FBetaScore": "f_beta_score",
    "L1L2": "l1l2", "HeNormal": "he_normal", "TopKCategoricalAccuracy":
    "top_k_categorical_accuracy", "Conv2DTranspose": "conv2d_transpose",
    "UpSampling2D": "up_sampling2d", "InputLayer": "input_layer", "RMSprop": "rm_sprop",
    "AdamW": "adam_w", "KLDivergence": "kl_divergence", "HTTPServer": "http_server",
}


@pytest.mark.parametrize("name, snake", KERAS_SNAKE.items())
def test_snake_case_is_keras_rule(name, snake):
    assert _registry.snake_case(name) == snake


def test_layer_and_metric_names_and_weight_groups_use_the_one_rule():
    from kerasite.saving.keras import _layers

    assert _layers.snake_case is _registry.snake_case
    assert re.fullmatch(r"leaky_re_lu(_\d+)?", layers.LeakyReLU().name)
    assert re.fullmatch(r"conv2d(_\d+)?", layers.Conv2D(2, 3).name)
    assert metrics.F1Score().name == "f1_score"
    assert metrics.TopKCategoricalAccuracy().name == "top_k_categorical_accuracy"


# ================================================================ nearest names
@pytest.mark.parametrize("get, typo, meant", [
    (losses.get, "categorical_crossentropyy", "categorical_crossentropy"),
    (losses.get, "Mean_Squared_Eror", "mean_squared_error"),
    (optimizers.get, "adamm", "adam"),
    (optimizers.get, "RMSProp2", "rmsprop"),
    (initializers.get, "glorot_unifrom", "glorot_uniform"),
    (activations.get, "reluu", "relu"),
    (losses.get, {"class_name": "Hingee"}, "Hinge"),
])
def test_a_typo_gets_the_nearest_name(get, typo, meant):
    with pytest.raises(ValueError, match=rf"Did you mean '{meant}'\? Valid"):
        get(typo)


def test_a_typo_in_a_layer_class_gets_the_nearest_name():
    with pytest.raises(ValueError, match=r"Unknown layer type 'Dens'\..*before loading\. "
                                         r"Did you mean 'Dense'\?$"):
        layers.deserialize({"class_name": "Dens", "config": {}})


def test_a_name_far_from_every_valid_one_gets_no_guess():
    with pytest.raises(ValueError, match=r"Unknown loss: 'xyz'\. Valid names") as info:
        losses.get("xyz")
    assert "Did you mean" not in str(info.value)
