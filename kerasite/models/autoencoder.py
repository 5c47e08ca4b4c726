"""Autoencoders: an ``Encoder`` and a ``Decoder`` trained as one model.

The reports' experiment: an encoder squeezes an image into a short code (the
*latent* features), a decoder rebuilds the image from it, and training
minimises the reconstruction error. The encoder then serves as a feature
extractor for classical models (see ``kerasite.sklearn``).
"""

from kerasite._validation import is_int, positive_int
from kerasite.layers import (
    Conv2D,
    Cropping2D,
    Dense,
    Flatten,
    MaxPooling2D,
    Reshape,
    UpSampling2D,
)
from kerasite.layers.input import Input
from kerasite.models.model import Model
from kerasite.models.sequential import Sequential


class Encoder(Sequential):
    """The first half of an autoencoder: input ``(batch, *image)`` -> code ``(batch, latent_dim)``.

    A ``Sequential`` model; its own ``predict`` is the encoding.
    """


class Decoder(Sequential):
    """The second half of an autoencoder: code ``(batch, latent_dim)`` -> reconstruction.

    A ``Sequential`` model; its own ``predict`` is the decoding.
    """


class Autoencoder(Model):
    """An encoder followed by a decoder, trained to reproduce its input.

    It is the graph ``decoder(encoder(inputs))``: the two halves are nested
    models sharing their layers (and weights) with ``encoder`` and
    ``decoder``, so one optimizer trains both, and after training each half
    works alone. ``fit(x)`` uses ``x`` as its own target, and
    ``validation_data`` may be a bare array for the same reason.

    Args:
        encoder: any kerasite model (an ``Encoder``, a ``Sequential`` or a
            functional ``Model``) from inputs to codes.
        decoder: any kerasite model from codes back to the input space.
        name: a name for the model.

    Example:
        >>> import numpy as np
        >>> from kerasite.models import Autoencoder
        >>> ae = Autoencoder.dense(input_shape=(8, 8), hidden=(32,), latent_dim=4)
        >>> ae.compile(optimizer="adam", loss="mse")
        >>> x = np.random.rand(16, 8, 8).astype("float32")
        >>> history = ae.fit(x, epochs=2, verbose=0)
        >>> ae.encode(x).shape, ae.reconstruct(x).shape
        ((16, 4), (16, 8, 8))
    """

    _input_is_target = True

    def __init__(self, encoder, decoder, name=None):
        for arg, value in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(value, Model):
                raise TypeError(
                    f"`{arg}` must be a kerasite model (an {arg.capitalize()}, a Sequential or a "
                    f"functional Model). Received: {value!r} of type {type(value).__name__}."
                )
        super().__init__(name=name)
        self.encoder, self.decoder = encoder, decoder
        if encoder.built:
            self.build(encoder.input_shape)

    def _is_subclassed(self):
        return False

    def build(self, input_shape):
        if self.built:
            self._check_input_shapes(input_shape)
            return
        inputs = Input(tuple(input_shape)[1:], name=f"{self.name}_input")
        self._init_graph(inputs, self.decoder(self.encoder(inputs)))

    @classmethod
    def dense(cls, input_shape=(28, 28), hidden=(256,), latent_dim=64, activation="relu",
              latent_activation="tanh", output_activation="sigmoid", name=None):
        """The reports' architecture: a dense encoder and its mirror image.

        With the defaults: Flatten, Dense 256 ReLU, Dense 64 tanh | Dense 256
        ReLU, Dense 784 sigmoid, Reshape (28, 28). Several ``hidden`` sizes give
        a deeper network, mirrored in the decoder.

        Args:
            input_shape: shape of one sample, e.g. ``(28, 28)`` or ``(784,)``.
            hidden: sizes of the encoder's hidden layers, outermost first.
            latent_dim: size of the code.
            activation: activation of the hidden layers.
            latent_activation: activation of the code layer.
            output_activation: activation of the reconstruction (``"sigmoid"``
                suits pixels scaled to [0, 1]).

        Returns:
            A built ``Autoencoder``.
        """
        input_shape = _shape_arg(input_shape)
        hidden = _sizes_arg(hidden)
        latent_dim = positive_int(latent_dim, "latent_dim")
        n_inputs = 1
        for d in input_shape:
            n_inputs *= d
        encoder = Encoder(name="encoder")
        if len(input_shape) > 1:
            encoder.add(Flatten())
        for units in hidden:
            encoder.add(Dense(units, activation=activation))
        encoder.add(Dense(latent_dim, activation=latent_activation))
        decoder = Decoder(name="decoder")
        for units in reversed(hidden):
            decoder.add(Dense(units, activation=activation))
        decoder.add(Dense(n_inputs, activation=output_activation))
        if len(input_shape) > 1:
            decoder.add(Reshape(input_shape))
        encoder.build((None, *input_shape))
        decoder.build((None, latent_dim))
        return cls(encoder, decoder, name=name)

    @classmethod
    def conv(cls, input_shape=(28, 28), filters=(16, 8), latent_dim=64, kernel_size=3,
             activation="relu", latent_activation="tanh", output_activation="sigmoid",
             name=None):
        """A convolutional autoencoder, in the layout of the Keras blog's.

        The encoder repeats Conv2D (``"same"`` padding) and MaxPooling2D (2x2,
        ``"same"``, so odd sizes round up) once per entry of ``filters``, then
        flattens; with a ``latent_dim`` a Dense layer makes the code. The
        decoder mirrors it with UpSampling2D and Conv2D, ends with a Conv2D to
        the input's channels, and crops what the rounding up added. For 8x8
        digits and ``filters=(16, 8)``: 8x8 -> 4x4x16 -> 2x2x8 -> code.

        Args:
            input_shape: one sample, ``(height, width)`` for greyscale images or
                ``(height, width, channels)``.
            filters: the encoder's Conv2D filter counts, outermost first.
            latent_dim: size of the Dense code, or ``None`` to use the
                flattened feature maps of the last pooling as the code.
            kernel_size: of every Conv2D.
            activation: of the hidden Conv2D layers.
            latent_activation: of the Dense code layer.
            output_activation: of the last Conv2D (``"sigmoid"`` suits pixels
                in [0, 1]).
            name: a name for the model.

        Returns:
            A built ``Autoencoder``.

        Example:
            >>> ae = Autoencoder.conv(input_shape=(8, 8), filters=(4, 2), latent_dim=6)
            >>> ae.encoder.output_shape, ae.decoder.output_shape
            ((None, 6), (None, 8, 8))
        """
        input_shape = _shape_arg(input_shape)
        sizes = _sizes_arg(filters, "filters", "(16, 8) or (32,)")
        if not sizes:  # at least one Conv2D
            raise ValueError("`filters` must hold at least one filter count, such as (16, 8). "
                             f"Received: filters={filters!r}.")
        filters = sizes
        latent_dim = positive_int(latent_dim, "latent_dim", allow_none=True)
        if len(input_shape) not in (2, 3):
            raise ValueError(
                "`input_shape` must be (height, width) or (height, width, channels) for a "
                f"convolutional autoencoder. Received: input_shape={input_shape!r}."
            )
        image = input_shape if len(input_shape) == 3 else (*input_shape, 1)
        encoder = Encoder(name="encoder")
        if len(input_shape) == 2:
            encoder.add(Reshape(image))
        spatial = image[:2]
        for f in filters:
            encoder.add(Conv2D(f, kernel_size, padding="same", activation=activation))
            encoder.add(MaxPooling2D(2, padding="same"))
            spatial = tuple(-(-d // 2) for d in spatial)  # "same" pooling rounds up
        encoder.add(Flatten())
        maps = (*spatial, filters[-1])
        if latent_dim is not None:
            encoder.add(Dense(latent_dim, activation=latent_activation))
        decoder = Decoder(name="decoder")
        if latent_dim is not None:
            decoder.add(Dense(maps[0] * maps[1] * maps[2], activation=activation))
        decoder.add(Reshape(maps))
        for f in reversed(filters):
            decoder.add(UpSampling2D(2))
            decoder.add(Conv2D(f, kernel_size, padding="same", activation=activation))
        decoder.add(Conv2D(image[2], kernel_size, padding="same", activation=output_activation))
        extra = [d * 2 ** len(filters) - want for d, want in zip(spatial, image[:2])]
        if any(extra):  # odd sizes were rounded up by the pooling: crop the excess
            decoder.add(Cropping2D(((0, extra[0]), (0, extra[1]))))
        if len(input_shape) == 2:
            decoder.add(Reshape(input_shape))
        encoder.build((None, *input_shape))
        decoder.build(encoder.output_shape)
        return cls(encoder, decoder, name=name)

    def get_config(self):
        from kerasite import layers

        return {"name": self.name, "encoder": layers.serialize(self.encoder),
                "decoder": layers.serialize(self.decoder)}

    @classmethod
    def from_config(cls, config):
        from kerasite import layers

        halves = []
        for key, default in (("encoder", Encoder), ("decoder", Decoder)):
            half = config[key]
            # Files from kerasite 0.1 hold the halves' Sequential configs directly.
            halves.append(layers.deserialize(half) if "class_name" in half
                          else default.from_config(half))
        return cls(*halves, name=config["name"])

    @property
    def latent_dim(self):
        """The size of the code (``None`` before the encoder is built)."""
        return self.encoder.output_shape[-1] if self.encoder.built else None

    def encode(self, x, batch_size=32):
        """Encodes ``x`` into its latent features.

        Args:
            x: inputs, ``(samples, *input_shape)``.
            batch_size: samples per forward pass.

        Returns:
            The codes, ``(samples, latent_dim)``.
        """
        return self.encoder.predict(x, batch_size=batch_size)

    def decode(self, z, batch_size=32):
        """Decodes latent codes back to the input space.

        Args:
            z: codes, ``(samples, latent_dim)``.
            batch_size: samples per forward pass.

        Returns:
            Reconstructions, ``(samples, *input_shape)``.
        """
        return self.decoder.predict(z, batch_size=batch_size)

    def reconstruct(self, x, batch_size=32):
        """``decode(encode(x))``, computed in one pass; the same as ``predict``.

        Args:
            x: inputs, ``(samples, *input_shape)``.
            batch_size: samples per forward pass.

        Returns:
            Reconstructions, shaped like ``x``.
        """
        return self.predict(x, batch_size=batch_size)


def _shape_arg(shape):
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise ValueError(
            "`input_shape` must be a tuple of positive integers, the shape of one sample, "
            f"such as (28, 28). Received: input_shape={shape!r}."
        )
    return shape


def _sizes_arg(hidden, arg="hidden", example="(256,) or (512, 128)"):
    if isinstance(hidden, int):
        hidden = (hidden,)
    try:
        sizes = tuple(hidden)
        valid = all(is_int(h) and h > 0 for h in sizes)
    except TypeError:
        valid = False
    if not valid:
        raise ValueError(
            f"`{arg}` must be a tuple of positive integers, such as {example}. "
            f"Received: {arg}={hidden!r}."
        )
    return sizes
