"""AutoencoderFeatures follows scikit-learn's transformer conventions."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from kerasite.sklearn import AutoencoderFeatures


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_pipeline_with_an_svm_trains_and_scores(digits):
    X, y = digits
    pipe = Pipeline([
        ("ae", AutoencoderFeatures(latent_dim=16, hidden=(64,), epochs=15, batch_size=32,
                                   random_state=0)),
        ("scale", StandardScaler()),
        ("svm", SVC(kernel="rbf", C=10, gamma="scale")),
    ])
    pipe.fit(X[:1200], y[:1200])
    # Ten classes: chance is 0.1. Learned features must do far better.
    assert pipe.score(X[1200:], y[1200:]) > 0.85
    assert pipe.named_steps["ae"].transform(X[:5]).shape == (5, 16)


def test_fit_returns_self_and_sets_fitted_attributes(digits):
    X, _ = digits
    features = AutoencoderFeatures(latent_dim=4, hidden=(8,), epochs=2, random_state=0)
    assert features.fit(X[:100]) is features
    assert features.n_features_in_ == 64
    assert len(features.history_["loss"]) == 2
    assert features.autoencoder_.latent_dim == 4


def test_constructor_only_stores_and_clone_copies_params():
    features = AutoencoderFeatures(latent_dim=7, hidden=(9, 5), epochs=3)
    assert not hasattr(features, "autoencoder_")
    copy = clone(features)
    assert copy.get_params() == features.get_params()
    assert copy.set_params(latent_dim=2).latent_dim == 2 and features.latent_dim == 7


def test_same_random_state_gives_the_same_features(digits):
    X, _ = digits
    a = AutoencoderFeatures(latent_dim=3, hidden=(8,), epochs=2, random_state=5).fit_transform(X[:64])
    b = AutoencoderFeatures(latent_dim=3, hidden=(8,), epochs=2, random_state=5).fit_transform(X[:64])
    assert np.array_equal(a, b)


def test_transform_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        AutoencoderFeatures().transform(np.zeros((2, 4)))


def test_transform_with_the_wrong_number_of_features(digits):
    X, _ = digits
    features = AutoencoderFeatures(latent_dim=2, hidden=(4,), epochs=1, random_state=0).fit(X[:32])
    with pytest.raises(ValueError, match="X has 10 features, but AutoencoderFeatures was fitted with 64"):
        features.transform(np.zeros((3, 10)))


def test_inverse_transform_decodes_to_input_space(digits):
    X, _ = digits
    features = AutoencoderFeatures(latent_dim=8, hidden=(32,), epochs=5, random_state=0).fit(X[:200])
    restored = features.inverse_transform(features.transform(X[:10]))
    assert restored.shape == (10, 64)
    assert np.all((restored >= 0) & (restored <= 1))  # sigmoid outputs
    assert list(features.get_feature_names_out()[:2]) == ["latent0", "latent1"]


def test_hidden_as_one_int_is_one_layer_as_in_sklearn():
    # sklearn's MLPRegressor(hidden_layer_sizes=5) is one hidden layer of 5 units; before
    # the fix, hidden=5 failed with "'int' object is not iterable".
    X = np.random.default_rng(0).random((30, 6))
    features = AutoencoderFeatures(latent_dim=2, hidden=5, epochs=1, random_state=0).fit(X)
    assert [layer.units for layer in features.autoencoder_.encoder.layers] == [5, 2]
    assert features.get_params()["hidden"] == 5  # the constructor argument is kept as given


@pytest.mark.parametrize("hidden, error, match", [
    (None, TypeError, r"`hidden` must be an integer \(one hidden layer\) or a sequence of "
                      r"integers.*Received: hidden=None of type NoneType"),
    ("64", TypeError, r"Received: hidden='64' of type str"),
    ((8, 2.5), TypeError, r"`hidden` must hold integers.*item 2.5 is a float"),
    ((8, 0), ValueError, r"`hidden` must hold sizes of at least 1\. Received: hidden=\(8, 0\)"),
    (True, TypeError, r"Received: hidden=True of type bool"),
])
def test_bad_hidden_is_a_clear_error(hidden, error, match):
    X = np.random.default_rng(0).random((10, 4))
    with pytest.raises(error, match=match):
        AutoencoderFeatures(latent_dim=2, hidden=hidden, epochs=1).fit(X)


def test_finite_data_too_large_for_float32_says_so_and_how_to_scale():
    # Before the fix 1e300 was cast to inf and reported as "NaN or infinite".
    X = np.random.default_rng(0).random((10, 4)) * 1e300
    with pytest.raises(ValueError, match=r"X holds finite values up to 9.97e\+299, which overflow "
                                         r"float32 \(the largest float32 is 3.4e\+38\).*"
                                         r"StandardScaler or MinMaxScaler"):
        AutoencoderFeatures(latent_dim=2, hidden=(3,), epochs=1).fit(X)
    features = AutoencoderFeatures(latent_dim=2, hidden=(3,), epochs=1).fit(X / 1e300)
    with pytest.raises(ValueError, match=r"overflow float32"):
        features.transform(X)
