"""The benchmark models in kerasite, tf.keras and PyTorch, behind one interface.

Three models: the reports' autoencoder (``MODELS["autoencoder"]``, the
default), keras.io's simple convnet (``"convnet"``) and keras.io's Conv1D
timeseries classifier (``"timeseries"``). This docstring describes the
autoencoder; the other trainers follow the same interface and are described
at ``CONVNET`` and ``TIMESERIES`` below.

Every trainer is built from the same initial weights (kerasite's, copied into
the others) and trains the same way: MSE loss, plain SGD with learning rate
0.5, batches of 128, float32, a new shuffle every epoch. Each offers:

* ``train_epoch(x)``: one full epoch on ``x`` (the target is ``x`` itself);
  returns ``{"epoch_s", "call_s", "loss"}``. ``epoch_s`` is the time inside
  the epoch, as an epoch of ``fit(epochs=N)`` costs; ``call_s`` is the whole
  call, including the per-call set-up that ``fit(epochs=1)`` repeats.
* ``predict(x)``: the reconstructions, as a float32 NumPy array.
* ``versions``: what ran, for the report.

The frameworks are imported inside the trainers, so a missing one only
fails when it is asked for.
"""

import contextlib
import io
import os
import time

import numpy as np

# (units, activation) of each Dense layer; the input has 784 features.
AUTOENCODER = ((256, "relu"), (64, "tanh"), (256, "relu"), (784, "sigmoid"))
N_INPUTS = 784
LEARNING_RATE = 0.5
FRAMEWORKS = ("kerasite", "torch", "keras")
LABELS = {"kerasite": "kerasite", "torch": "PyTorch", "keras": "tf.keras"}


def build_kerasite_autoencoder(seed):
    """The autoencoder as a kerasite ``Sequential``, with seeded initial weights."""
    import kerasite
    from kerasite import layers

    kerasite.utils.set_random_seed(seed)
    first, *rest = AUTOENCODER
    return kerasite.Sequential(
        [layers.Dense(first[0], activation=first[1], input_shape=(N_INPUTS,))]
        + [layers.Dense(units, activation=act) for units, act in rest]
    )


def initial_weights(seed):
    """``[W1, b1, ..., W4, b4]`` with ``W`` of shape ``(in, out)``, from kerasite's initializers."""
    return build_kerasite_autoencoder(seed).get_weights()


def make_trainer(framework, weights, batch_size, seed, threads, model="autoencoder", **options):
    """Returns the trainer for ``framework`` (``"kerasite"``, ``"torch"`` or ``"keras"``).

    ``model`` is ``"autoencoder"``, ``"convnet"`` or ``"timeseries"``.
    """
    if model in ("bilstm", "bigru"):  # benchmarks/rnn.py's bidirectional model
        from benchmarks import rnn

        return rnn.make_trainer(framework, weights, batch_size, seed, threads, cell=model[2:])
    if model == "convnet":
        classes = {"kerasite": KerasiteConvnetTrainer, "torch": TorchConvnetTrainer,
                   "keras": KerasConvnetTrainer}
    elif model == "timeseries":
        classes = {"kerasite": KerasiteTimeseriesTrainer, "torch": TorchTimeseriesTrainer,
                   "keras": KerasTimeseriesTrainer}
    else:
        classes = {"kerasite": KerasiteTrainer, "torch": TorchTrainer, "keras": KerasTrainer}
    return classes[framework](weights, batch_size, seed, threads, **options)


def _epoch_timer(callback_base):
    """A callback (of kerasite's or Keras's base class) that times each epoch.

    It overrides only the epoch hooks, so it adds no work per batch.
    """

    class EpochTimer(callback_base):
        seconds = float("nan")

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self._start

    return EpochTimer()


class _FakeTerminal(io.StringIO):
    """A text buffer that claims to be a terminal, so progress bars draw as in one."""

    def isatty(self):
        return True


class KerasiteTrainer:
    """kerasite: ``model.fit(x, x, epochs=e + 1, initial_epoch=e)`` once per epoch.

    ``initial_epoch`` makes fit shuffle with that epoch's permutation, as one
    ``fit(epochs=N)`` call would.

    Args:
        verbose: passed to ``fit``.
        stdout: where ``verbose=1`` output goes: ``"file"`` (``os.devnull``,
            which is not a terminal, so one line per epoch) or ``"tty"`` (a
            buffer whose ``isatty()`` is true, so the full progress bar draws).
    """

    def __init__(self, weights, batch_size, seed, threads, verbose=0, stdout=None):
        import kerasite

        self.model = build_kerasite_autoencoder(seed)
        self.model.set_weights(weights)
        self.model.compile(optimizer=kerasite.optimizers.SGD(learning_rate=LEARNING_RATE),
                           loss="mse")
        self.batch_size = batch_size
        self.verbose = verbose
        self.stdout = stdout
        self.epoch = 0
        self.timer = _epoch_timer(kerasite.callbacks.Callback)
        self.versions = {"kerasite": kerasite.__version__, "numpy": np.__version__}

    def _output(self):
        if self.stdout == "file":
            return open(os.devnull, "w")
        if self.stdout == "tty":
            return _FakeTerminal()
        return contextlib.nullcontext()

    def train_epoch(self, x):
        with self._output() as out, contextlib.redirect_stdout(out):
            start = time.perf_counter()
            history = self.model.fit(x, x, batch_size=self.batch_size, epochs=self.epoch + 1,
                                     initial_epoch=self.epoch, shuffle=True,
                                     verbose=self.verbose, callbacks=[self.timer])
            call_s = time.perf_counter() - start
        self.epoch += 1
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}

    def predict(self, x):
        return self.model.predict(x, batch_size=1000)


class KerasTrainer:
    """tf.keras: ``model.fit(x, x, epochs=1, shuffle=True, verbose=0)`` once per epoch.

    TensorFlow is limited to ``threads`` threads, set before its runtime starts.
    """

    def __init__(self, weights, batch_size, seed, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TF's start-up chatter
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        keras = tf.keras
        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential(
            [keras.Input((N_INPUTS,))]
            + [keras.layers.Dense(units, activation=act) for units, act in AUTOENCODER]
        )
        self.model.set_weights(weights)  # Keras kernels are (in, out), as kerasite's W
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
                           loss="mse")
        self.batch_size = batch_size
        self.timer = _epoch_timer(keras.callbacks.Callback)
        self.versions = {"tensorflow": tf.__version__, "keras": keras.__version__,
                         "numpy": np.__version__}

    def train_epoch(self, x):
        start = time.perf_counter()
        history = self.model.fit(x, x, batch_size=self.batch_size, epochs=1, shuffle=True,
                                 verbose=0, callbacks=[self.timer])
        call_s = time.perf_counter() - start
        self.versions["jit_compile"] = bool(self.model.jit_compile)
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}

    def predict(self, x):
        return self.model.predict(x, batch_size=1000, verbose=0)


class TorchTrainer:
    """PyTorch on the CPU: the usual hand-written loop over shuffled index batches.

    A ``DataLoader`` over a ``TensorDataset`` would collate 128 single rows
    per batch, which is much slower; indexing with a batch of indices is what
    fast PyTorch code does, and is the same gather the other two do.
    """

    def __init__(self, weights, batch_size, seed, threads):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
        modules = []
        for (units, act), W, b in zip(AUTOENCODER, weights[0::2], weights[1::2]):
            linear = torch.nn.Linear(W.shape[0], units)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T))  # torch stores (out, in)
                linear.bias.copy_(torch.from_numpy(b))
            modules += [linear, activations[act]()]
        self.torch = torch
        self.model = torch.nn.Sequential(*modules)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch_size = batch_size
        self.versions = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                         "numpy": np.__version__}

    def train_epoch(self, x):
        torch = self.torch
        data = torch.from_numpy(x)  # shares x's memory, no copy
        n = len(data)
        total = 0.0
        start = time.perf_counter()
        order = torch.randperm(n, generator=self.generator)
        for first in range(0, n, self.batch_size):
            xb = data[order[first:first + self.batch_size]]
            loss = torch.nn.functional.mse_loss(self.model(xb), xb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(xb)
        seconds = time.perf_counter() - start
        return {"epoch_s": seconds, "call_s": seconds, "loss": total / n}

    def predict(self, x):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x)).numpy()


# ============================================================================ convnet
# keras.io's "Simple MNIST convnet": (filters or units, activation) per layer, with
# MaxPooling2D(2) after each Conv2D (3x3, "valid"), then Flatten, Dropout(0.5) and the
# softmax Dense layer. Trained with Adam (Keras's defaults: lr 1e-3, epsilon 1e-7) on
# the sparse categorical cross-entropy, batches of 128, on (28, 28, 1) images. The
# dropout masks differ between frameworks, so losses agree only statistically.
CONVNET = {"conv": ((32, "relu"), (64, "relu")), "dropout": 0.5, "classes": 10,
           "input": (28, 28, 1)}


def build_kerasite_convnet(seed):
    """keras.io's convnet as a kerasite ``Sequential``, with seeded initial weights."""
    import kerasite
    from kerasite import layers

    kerasite.utils.set_random_seed(seed)
    body = []
    for filters, act in CONVNET["conv"]:
        body += [layers.Conv2D(filters, 3, activation=act), layers.MaxPooling2D(2)]
    return kerasite.Sequential([
        kerasite.Input(CONVNET["input"]), *body, layers.Flatten(),
        layers.Dropout(CONVNET["dropout"], seed=seed),
        layers.Dense(CONVNET["classes"], activation="softmax")])


def initial_convnet_weights(seed):
    """``[K1, b1, K2, b2, W, b]`` in Keras's layouts (kernels ``(kh, kw, in, out)``)."""
    return build_kerasite_convnet(seed).get_weights()


class KerasiteConvnetTrainer(KerasiteTrainer):
    """kerasite's convnet: ``fit(x, y, epochs=e + 1, initial_epoch=e)`` once per epoch."""

    def __init__(self, weights, batch_size, seed, threads, verbose=0, stdout=None):
        import kerasite

        self.model = build_kerasite_convnet(seed)
        self.model.set_weights(weights)
        self.model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="sparse_categorical_crossentropy")
        self.batch_size, self.verbose, self.stdout, self.epoch = batch_size, verbose, stdout, 0
        self.timer = _epoch_timer(kerasite.callbacks.Callback)
        self.versions = {"kerasite": kerasite.__version__, "numpy": np.__version__}

    def train_epoch(self, x, y):
        start = time.perf_counter()
        history = self.model.fit(x, y, batch_size=self.batch_size, epochs=self.epoch + 1,
                                 initial_epoch=self.epoch, shuffle=True, verbose=0,
                                 callbacks=[self.timer])
        call_s = time.perf_counter() - start
        self.epoch += 1
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}


class KerasConvnetTrainer(KerasTrainer):
    """tf.keras: keras.io's convnet, ``fit(x, y, epochs=1)`` once per epoch."""

    def __init__(self, weights, batch_size, seed, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        keras = tf.keras
        keras.utils.set_random_seed(seed)
        body = []
        for filters, act in CONVNET["conv"]:
            body += [keras.layers.Conv2D(filters, (3, 3), activation=act),
                     keras.layers.MaxPooling2D((2, 2))]
        self.model = keras.Sequential([
            keras.Input(CONVNET["input"]), *body, keras.layers.Flatten(),
            keras.layers.Dropout(CONVNET["dropout"]),
            keras.layers.Dense(CONVNET["classes"], activation="softmax")])
        self.model.set_weights(weights)  # the same layouts as kerasite's
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="sparse_categorical_crossentropy")
        self.batch_size = batch_size
        self.timer = _epoch_timer(keras.callbacks.Callback)
        self.versions = {"tensorflow": tf.__version__, "keras": keras.__version__,
                         "numpy": np.__version__}

    def train_epoch(self, x, y):
        start = time.perf_counter()
        history = self.model.fit(x, y, batch_size=self.batch_size, epochs=1, shuffle=True,
                                 verbose=0, callbacks=[self.timer])
        call_s = time.perf_counter() - start
        self.versions["jit_compile"] = bool(self.model.jit_compile)
        return {"epoch_s": self.timer.seconds, "call_s": call_s,
                "loss": float(history.history["loss"][-1])}


class TorchConvnetTrainer:
    """PyTorch: the same convnet, channels-first as PyTorch wants, the usual loop.

    The images are transposed to ``(n, 1, 28, 28)`` once, outside the timed
    epoch. The kernels go from Keras's ``(kh, kw, in, out)`` to PyTorch's
    ``(out, in, kh, kw)``, and the Dense rows are permuted from kerasite's
    (h, w, c) flatten order to PyTorch's (c, h, w). The softmax is folded into
    ``cross_entropy`` (the same maths, done stably).
    """

    def __init__(self, weights, batch_size, seed, threads):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        nn = torch.nn
        modules, channels, side = [], CONVNET["input"][2], CONVNET["input"][0]
        for (filters, _), K, b in zip(CONVNET["conv"], weights[0:4:2], weights[1:4:2]):
            conv = nn.Conv2d(channels, filters, 3)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(K.transpose(3, 2, 0, 1))))
                conv.bias.copy_(torch.from_numpy(b))
            modules += [conv, nn.ReLU(), nn.MaxPool2d(2)]
            channels, side = filters, (side - 2) // 2
        W, b = weights[4], weights[5]
        dense = nn.Linear(W.shape[0], W.shape[1])
        W_chw = W.reshape(side, side, channels, -1).transpose(2, 0, 1, 3).reshape(W.shape)
        with torch.no_grad():
            dense.weight.copy_(torch.from_numpy(np.ascontiguousarray(W_chw.T)))
            dense.bias.copy_(torch.from_numpy(b))
        modules += [nn.Flatten(), nn.Dropout(CONVNET["dropout"]), dense]
        self.torch = torch
        self.model = nn.Sequential(*modules)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch_size = batch_size
        self._nchw = {}
        self.versions = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                         "numpy": np.__version__}

    def _channels_first(self, x):
        key = id(x)
        if key not in self._nchw:
            self._nchw[key] = self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        return self._nchw[key]

    def train_epoch(self, x, y):
        torch = self.torch
        data, labels = self._channels_first(x), torch.from_numpy(y)
        n = len(data)
        total = 0.0
        self.model.train()
        start = time.perf_counter()
        order = torch.randperm(n, generator=self.generator)
        for first in range(0, n, self.batch_size):
            idx = order[first:first + self.batch_size]
            loss = torch.nn.functional.cross_entropy(self.model(data[idx]), labels[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        return {"epoch_s": seconds, "call_s": seconds, "loss": total / n}

    def predict(self, x):
        self.model.eval()
        with self.torch.inference_mode():
            logits = self.model(self._channels_first(x))
            return self.torch.softmax(logits, dim=1).numpy()


# ========================================================================= timeseries
# keras.io's "Timeseries classification from scratch" (FordA): three blocks of Conv1D
# (64 filters, kernel 3, "same"), BatchNormalization and ReLU, then
# GlobalAveragePooling1D and a softmax Dense layer. Trained with Adam (lr 1e-3, epsilon
# 1e-7) on the sparse categorical cross-entropy, batches of 32, series of (500, 1).
TIMESERIES = {"filters": 64, "kernel_size": 3, "blocks": 3, "classes": 2, "input": (500, 1),
              "batch_size": 32}
# The models whose workers train on (x, labels) and report a test accuracy.
LABELED_MODELS = ("convnet", "timeseries", "bilstm", "bigru")


def build_kerasite_timeseries(seed):
    """keras.io's Conv1D timeseries classifier as a kerasite ``Sequential``."""
    import kerasite
    from kerasite import layers

    kerasite.utils.set_random_seed(seed)
    body = []
    for _ in range(TIMESERIES["blocks"]):
        body += [layers.Conv1D(TIMESERIES["filters"], TIMESERIES["kernel_size"], padding="same"),
                 layers.BatchNormalization(), layers.ReLU()]
    return kerasite.Sequential([
        kerasite.Input(TIMESERIES["input"]), *body, layers.GlobalAveragePooling1D(),
        layers.Dense(TIMESERIES["classes"], activation="softmax")])


def initial_timeseries_weights(seed):
    """Per block ``[K (3, in, 64), b, gamma, beta, moving mean, moving variance]``, then the Dense."""
    return build_kerasite_timeseries(seed).get_weights()


class KerasiteTimeseriesTrainer(KerasiteConvnetTrainer):
    """kerasite's timeseries classifier: ``fit(x, y, epochs=e + 1, initial_epoch=e)``."""

    def __init__(self, weights, batch_size, seed, threads, verbose=0, stdout=None):
        import kerasite

        self.model = build_kerasite_timeseries(seed)
        self.model.set_weights(weights)
        self.model.compile(optimizer=kerasite.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="sparse_categorical_crossentropy")
        self.batch_size, self.verbose, self.stdout, self.epoch = batch_size, verbose, stdout, 0
        self.timer = _epoch_timer(kerasite.callbacks.Callback)
        self.versions = {"kerasite": kerasite.__version__, "numpy": np.__version__}


class KerasTimeseriesTrainer(KerasConvnetTrainer):
    """tf.keras: keras.io's timeseries classifier, ``fit(x, y, epochs=1)`` once per epoch."""

    def __init__(self, weights, batch_size, seed, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        keras = tf.keras
        keras.utils.set_random_seed(seed)
        body = []
        for _ in range(TIMESERIES["blocks"]):
            body += [keras.layers.Conv1D(TIMESERIES["filters"], TIMESERIES["kernel_size"],
                                         padding="same"),
                     keras.layers.BatchNormalization(), keras.layers.ReLU()]
        self.model = keras.Sequential([
            keras.Input(TIMESERIES["input"]), *body, keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(TIMESERIES["classes"], activation="softmax")])
        self.model.set_weights(weights)  # the same layouts as kerasite's
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="sparse_categorical_crossentropy")
        self.batch_size = batch_size
        self.timer = _epoch_timer(keras.callbacks.Callback)
        self.versions = {"tensorflow": tf.__version__, "keras": keras.__version__,
                         "numpy": np.__version__}


class TorchTimeseriesTrainer(TorchConvnetTrainer):
    """PyTorch: the same classifier, channels-first ``(n, 1, 500)``, the usual loop.

    The kernels go from Keras's ``(k, in, out)`` to PyTorch's ``(out, in, k)``;
    BatchNorm1d gets Keras's epsilon (1e-3) and momentum (PyTorch's 0.01 is
    Keras's 0.99). The softmax is folded into ``cross_entropy``.
    """

    def __init__(self, weights, batch_size, seed, threads):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        nn = torch.nn

        class MeanOverTime(nn.Module):
            def forward(self, x):
                return x.mean(dim=2)

        modules, channels = [], TIMESERIES["input"][1]
        per_block = 6  # K, b, gamma, beta, moving mean, moving variance
        for i in range(TIMESERIES["blocks"]):
            K, b, gamma, beta, mean, var = weights[i * per_block:(i + 1) * per_block]
            conv = nn.Conv1d(channels, TIMESERIES["filters"], TIMESERIES["kernel_size"],
                             padding="same")
            norm = nn.BatchNorm1d(TIMESERIES["filters"], eps=1e-3, momentum=0.01)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(K.transpose(2, 1, 0))))
                conv.bias.copy_(torch.from_numpy(b))
                norm.weight.copy_(torch.from_numpy(gamma))
                norm.bias.copy_(torch.from_numpy(beta))
                norm.running_mean.copy_(torch.from_numpy(mean))
                norm.running_var.copy_(torch.from_numpy(var))
            modules += [conv, norm, nn.ReLU()]
            channels = TIMESERIES["filters"]
        W, b = weights[-2:]
        dense = nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            dense.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            dense.bias.copy_(torch.from_numpy(b))
        self.torch = torch
        self.model = nn.Sequential(*modules, MeanOverTime(), dense)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch_size = batch_size
        self._nchw = {}
        self.versions = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                         "numpy": np.__version__}

    def _channels_first(self, x):
        key = id(x)
        if key not in self._nchw:
            self._nchw[key] = self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1)))
        return self._nchw[key]
