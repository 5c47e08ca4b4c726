"""Messages that point at the cause: Keras 2 argument names get an error naming the Keras 3
argument (kerasite/_keras2.py), and data fit cannot read is told what fit takes.

Keras 3.15.1 on JAX, for comparison: ``Adam(lr=0.1)`` raises "Argument(s) not
recognized: {'lr': 0.1}", ``SGD(decay=0.1)`` warns and ignores it,
``Dense(3, init="x")`` raises "Unrecognized keyword arguments passed to Dense",
and ``fit(nb_epoch=2)`` Python's "unexpected keyword argument"; ``Dense(3,
input_dim=4)`` is accepted (so it is here).
"""

import numpy as np
import pytest

import kerasite
from kerasite import layers, optimizers


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.Adam(lr=0.1),
     r"Adam got `lr=0\.1`, a Keras 2 argument\. Keras 3 \(and kerasite\) call it "
     r"`learning_rate`: pass learning_rate=0\.1\."),
    (lambda: optimizers.RMSprop(0.01, lr=0.5), r"RMSprop got `lr=0\.5`.*`learning_rate`"),
    (lambda: optimizers.SGD(decay=1e-4),
     r"SGD got `decay=0\.0001`, a Keras 2 argument\. Keras 3 dropped it .* pass a schedule: "
     r"learning_rate=kerasite\.optimizers\.schedules\.InverseTimeDecay\(initial_learning_rate, "
     r"decay_steps=1, decay_rate=0\.0001\)"),
])
def test_optimizers(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_the_decay_advice_gives_keras_2s_decay():
    # Keras 2: lr_t = lr / (1 + decay * iterations), by hand for lr 0.1, decay 0.5, step 4.
    schedule = optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    assert float(schedule(4)) == pytest.approx(0.1 / (1 + 0.5 * 4))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Dense(3, init="glorot_uniform"),
     r"Dense got `init='glorot_uniform'`, a Keras 2 argument\. .* `kernel_initializer`: pass "
     r"kernel_initializer='glorot_uniform'\."),
    (lambda: layers.Dense(3, W_regularizer="l2"), r"`kernel_regularizer`"),
    (lambda: layers.Conv2D(4, 3, border_mode="same"),
     r"Conv2D got `border_mode='same'`.* pass padding='same'"),
    (lambda: layers.Dense(output_dim=3), r"Dense got `output_dim=3`.* pass units=3"),
])
def test_layers(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_names_a_layer_takes_itself_are_not_reported():
    assert layers.Embedding(input_dim=10, output_dim=3).output_dim == 3  # Keras 3's own name
    assert layers.Dense(3, input_dim=4).units == 3  # accepted, as in Keras 3

    class Scaled(layers.Layer):
        def __init__(self, init=1.0, **kwargs):
            super().__init__(**kwargs)
            self.init = init

    assert Scaled(init=2.0).init == 2.0


def test_fit():
    model = kerasite.Sequential([kerasite.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    with pytest.raises(TypeError, match=r"fit\(\) got `nb_epoch=2`, a Keras 2 argument\. .* "
                                        r"pass epochs=2\."):
        model.fit(x, y, nb_epoch=2, verbose=0)
    with pytest.raises(TypeError, match=r"samples_per_epoch=4.* Keras 3 counts batches instead: "
                                        r"pass steps_per_epoch=ceil\(4 / batch_size\)"):
        model.fit(x, y, samples_per_epoch=4, verbose=0)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'epoch'"):  # Python's
        model.fit(x, y, epoch=2, verbose=0)
    assert len(model.fit(x, y, epochs=2, verbose=0).epoch) == 2


def test_an_object_fit_cannot_read_is_told_what_fit_takes():
    model = kerasite.Sequential([kerasite.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")

    class Table:  # neither an array nor an iterable of batches
        pass

    with pytest.raises(TypeError, match=r"`x` must be data that fit, evaluate and predict can "
                                        r"read: a NumPy array .* a generator or other iterable "
                                        r"of \(x, y\) .* Received an object of type Table\."):
        model.fit(Table(), verbose=0)


def test_a_users_layer_that_takes_a_keras2_name_itself_is_left_alone():
    from kerasite import layers

    class Scaled(layers.Layer):
        def __init__(self, units, **kwargs):
            self.bias = kwargs.pop("bias", 0.0)  # its own argument, taken from **kwargs
            super().__init__(**kwargs)

    assert Scaled(3, bias=0.5).bias == 0.5
