"""A bridge to scikit-learn: autoencoder features as a transformer.

``AutoencoderFeatures`` trains an autoencoder in ``fit`` and returns the
encoder's latent features in ``transform``, so it slots into a ``Pipeline``
before any classical model::

    Pipeline([("ae", AutoencoderFeatures(latent_dim=64)),
              ("scale", StandardScaler()),
              ("svm", SVC(kernel="rbf", C=10, gamma="scale"))])

scikit-learn is imported here only, so ``import kerasite`` does not need it.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from kerasite import optimizers, utils
from kerasite.config import floatx
from kerasite.models.autoencoder import Autoencoder


class AutoencoderFeatures(TransformerMixin, BaseEstimator):
    """Learns a dense autoencoder on ``X`` and encodes ``X`` into its latent space.

    Following scikit-learn's conventions, the constructor only stores its
    arguments; ``fit`` builds and trains the model.

    Inputs should lie in [0, 1] for the default sigmoid output (divide pixel
    values by 255, or put a ``MinMaxScaler`` first).

    Args:
        latent_dim: number of latent features (the output of ``transform``).
        hidden: sizes of the encoder's hidden layers, mirrored in the decoder:
            a sequence of positive integers, or one integer for one layer (as
            scikit-learn's ``hidden_layer_sizes`` accepts).
        activation: activation of the hidden layers.
        latent_activation: activation of the latent layer.
        output_activation: activation of the reconstruction.
        epochs: training epochs.
        batch_size: samples per gradient step.
        optimizer: ``"adam"``, ``"sgd"`` or ``"rmsprop"``.
        learning_rate: the optimizer's learning rate.
        validation_split: fraction of ``X`` held out to report ``val_loss``.
        random_state: seed for weights, shuffling and dropout (sets kerasite's
            global seed when given).
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.

    Attributes:
        autoencoder_: the trained ``kerasite.models.Autoencoder``.
        history_: its training history (``History.history``, a dict of lists).
        n_features_in_: number of input features.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((50, 16))
        >>> features = AutoencoderFeatures(latent_dim=3, hidden=(8,), epochs=2, random_state=0)
        >>> features.fit_transform(X).shape
        (50, 3)
    """

    def __init__(self, latent_dim=64, hidden=(256,), activation="relu", latent_activation="tanh",
                 output_activation="sigmoid", epochs=20, batch_size=128, optimizer="adam",
                 learning_rate=0.001, validation_split=0.0, random_state=None, verbose=0):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.activation = activation
        self.latent_activation = latent_activation
        self.output_activation = output_activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.validation_split = validation_split
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Trains the autoencoder to reconstruct ``X`` (``y`` is ignored).

        Args:
            X: array ``(samples, features)``.
            y: ignored; present for the Pipeline API.

        Returns:
            self.

        Raises:
            TypeError: for a ``hidden`` that is not an integer or a sequence
                of integers.
            ValueError: for a size below 1, or for ``X`` with values too large
                for float32 (say how to scale them) or NaN/infinite values.
        """
        hidden = _hidden_sizes(self.hidden)
        X = self._validate(X, reset=True)
        if self.random_state is not None:
            utils.set_random_seed(self.random_state)
        self.autoencoder_ = Autoencoder.dense(
            input_shape=(X.shape[1],), hidden=hidden, latent_dim=self.latent_dim,
            activation=self.activation, latent_activation=self.latent_activation,
            output_activation=self.output_activation)
        optimizer = optimizers.get(self.optimizer)
        optimizer = type(optimizer)(**{**optimizer.get_config(), "learning_rate": self.learning_rate})
        self.autoencoder_.compile(optimizer=optimizer, loss="mse")
        history = self.autoencoder_.fit(X, epochs=self.epochs, batch_size=self.batch_size,
                                        validation_split=self.validation_split,
                                        verbose=self.verbose)
        self.history_ = history.history
        return self

    def transform(self, X):
        """Encodes ``X``.

        Args:
            X: array ``(samples, n_features_in_)``.

        Returns:
            Latent features ``(samples, latent_dim)``.

        Raises:
            NotFittedError: before ``fit``.
        """
        check_is_fitted(self, "autoencoder_")
        return self.autoencoder_.encode(self._validate(X, reset=False), batch_size=1024)

    def inverse_transform(self, Z):
        """Decodes latent features back to input space.

        Args:
            Z: latent features, ``(samples, latent_dim)``, as ``transform`` returns.

        Returns:
            The reconstructions, ``(samples, n_features_in_)``.
        """
        check_is_fitted(self, "autoencoder_")
        Z = check_array(Z, dtype=[np.float32, np.float64])
        return self.autoencoder_.decode(Z, batch_size=1024)

    def get_feature_names_out(self, input_features=None):
        """Names of the latent features: ``latent0``, ``latent1``, ...

        Args:
            input_features: ignored; accepted for scikit-learn's API, since the
                latent features do not map to input columns.

        Returns:
            An object array of ``latent_dim`` strings.
        """
        check_is_fitted(self, "autoencoder_")
        return np.asarray([f"latent{i}" for i in range(self.latent_dim)], dtype=object)

    def _validate(self, X, reset):
        X = check_array(X, dtype=[np.float32, np.float64])
        dtype = np.dtype(floatx())
        if X.dtype.itemsize > dtype.itemsize and X.size:
            largest, limit = float(np.max(np.abs(X))), float(np.finfo(dtype).max)
            if largest > limit:
                raise ValueError(
                    f"X holds finite values up to {largest:.3g}, which overflow {dtype.name} "
                    f"(the largest {dtype.name} is {limit:.3g}), the precision "
                    "kerasite trains in. Scale the data first: put a StandardScaler or "
                    "MinMaxScaler before AutoencoderFeatures in the Pipeline, or divide X by "
                    "its largest absolute value."
                )
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but AutoencoderFeatures was fitted with "
                f"{self.n_features_in_} features. Pass data shaped like the training data."
            )
        return X.astype(floatx(), copy=False)


def _hidden_sizes(hidden):
    """``hidden`` as a tuple of positive ints; one int means one hidden layer."""
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, (bool, np.bool_)):
        hidden = (hidden,)
    try:
        if isinstance(hidden, (str, bytes)):
            raise TypeError
        sizes = tuple(hidden)
    except TypeError:
        raise TypeError(
            "`hidden` must be an integer (one hidden layer) or a sequence of integers, one "
            f"per hidden layer, e.g. hidden=(256, 64). Received: hidden={hidden!r} of type "
            f"{type(hidden).__name__}."
        ) from None
    for size in sizes:
        if not isinstance(size, (int, np.integer)) or isinstance(size, (bool, np.bool_)):
            raise TypeError(
                "`hidden` must hold integers, one size per hidden layer. Received: "
                f"hidden={hidden!r}, whose item {size!r} is a {type(size).__name__}."
            )
        if size < 1:
            raise ValueError(
                "`hidden` must hold sizes of at least 1. Received: "
                f"hidden={hidden!r}. Drop the layer or give it 1 unit or more."
            )
    return tuple(int(size) for size in sizes)
