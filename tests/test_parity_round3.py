"""Small API parities with Keras 3.15.1, each checked against what Keras gives."""

import inspect

import pytest

import kerasite


def test_input_signature_is_kerases():
    # inspect.signature(keras.Input) in Keras 3.15.1
    assert list(inspect.signature(kerasite.Input).parameters) == [
        "shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "name", "tensor",
        "optional"]
    assert kerasite.Input((3,), 8, "float64").shape == (8, 3)   # positional, as in Keras


@pytest.mark.parametrize("kwargs, match", [
    ({"sparse": True}, r"`sparse=True` is not supported.*dense arrays"),
    ({"ragged": True}, r"`ragged=True` is not supported.*pad_sequences"),
    ({"optional": True}, r"`optional=True` is not supported"),
    ({"tensor": [1.0]}, r"`tensor=` is not supported"),
])
def test_input_options_kerasite_lacks_are_refused_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kerasite.Input((3,), **kwargs)


def test_dropout_rate_one_drops_everything_while_training():
    # Keras 3.15.1: Dropout(1.0) is accepted; training output all zeros, inference the identity.
    import numpy as np
    from kerasite import layers

    d = layers.Dropout(1.0)
    x = np.ones((2, 3))
    assert (d.forward(x, training=True) == 0).all() and (d.backward(np.ones((2, 3))) == 0).all()
    assert (layers.Dropout(1.0).forward(x) == 1).all()


def test_dropout_noise_shape_shares_the_mask_along_the_one_axes(float64):
    import numpy as np
    from kerasite import layers
    from kerasite.gradcheck import check_gradients

    d = layers.Dropout(0.5, noise_shape=(None, 1, None), seed=3)
    y = d.forward(np.ones((4, 5, 6)), training=True)
    assert (y == y[:, :1]).all() and {0.0, 2.0} == set(np.unique(y))
    assert d.get_config()["noise_shape"] == [None, 1, None]
    rng = np.random.default_rng(0)
    report = check_gradients(layers.Dropout(0.5, noise_shape=(None, 1, 6), seed=1),
                             rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 4, 6)), "mse",
                             training=True)
    assert report.max_rel_diff < 1e-7, f"\n{report}"
    with pytest.raises(ValueError, match=r"`noise_shape=\(None, 2, None\)`.*must broadcast"):
        layers.Dropout(0.5, noise_shape=(None, 2, None)).forward(np.ones((2, 3, 4)),
                                                                  training=True)
    with pytest.raises(ValueError, match=r"`noise_shape` must be a tuple"):
        layers.Dropout(0.5, noise_shape=5)


def test_reduce_lr_on_plateau_takes_factor_zero_as_keras():
    from kerasite import callbacks

    assert callbacks.ReduceLROnPlateau(factor=0).factor == 0.0
    with pytest.raises(ValueError, match=r"`factor` must be in \[0, 1\)"):
        callbacks.ReduceLROnPlateau(factor=1)


def test_learning_rate_scheduler_refuses_an_int_as_keras():
    # Keras 3.15.1 raises "The output of the `schedule` function should be a float".
    import numpy as np
    from kerasite import Sequential, callbacks, layers

    model = Sequential([kerasite.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=r"must return a float.*returned 1 of type int.*float\(1\)"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 1)])


def test_configs_write_what_keras_writes():
    # Keras 3.15.1: Dense(3).get_config()["activation"] == "linear";
    # Normalization().get_config()["axis"] == (-1,), and () for axis=None.
    from kerasite import layers

    assert layers.Dense(3).get_config()["activation"] == "linear"
    assert layers.Dense.from_config(layers.Dense(3).get_config()).activation.__class__.__name__ \
        == "Linear"
    assert layers.Normalization().get_config()["axis"] == [-1]
    assert layers.Normalization(axis=None).get_config()["axis"] == []
    assert layers.Normalization.from_config(layers.Normalization(axis=None).get_config()).axis \
        == ()
