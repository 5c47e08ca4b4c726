"""``Model``: a stack of layers with Keras's compile/fit/evaluate/predict.

The engine part (``forward``, ``backward``) runs the layers in order and in
reverse, as the reports' ``Network`` did. The facade part turns that into the
API that tf.keras users write every day.
"""

import math
import warnings

import numpy as np

from kerasite import losses, metrics as metrics_module, optimizers, utils
from kerasite.callbacks.base import CallbackList
from kerasite.callbacks.history import History
from kerasite.callbacks.progress import ProgressBar, format_logs
from kerasite.layers.base import Layer, NotBuiltError, _auto_name
from kerasite.models import _inputs


class Model:
    """A stack of layers trained with a loss and an optimizer.

    ``Sequential`` and the autoencoder models derive from it. Layers run in
    order in ``forward`` and in reverse in ``backward``.

    Args:
        layers: list of ``Layer`` instances.
        name: a name for the model.

    Attributes:
        layers: the layers, in order.
        stop_training: set it to ``True`` (from a callback) to end ``fit``
            after the current epoch.
        history: the ``History`` of the last ``fit``.
    """

    # Autoencoders set this: when ``y`` is omitted, the input is its own target.
    _input_is_target = False

    def __init__(self, layers=None, name=None):
        self.name = name or _auto_name(type(self).__name__)
        self.layers = []
        self.built = False
        self.input_shape = None
        self.stop_training = False
        self.history = None
        self.completed_epochs = 0
        self.optimizer = self.loss = None
        self.compiled = False
        self._metric_specs = []
        self._seed = utils.draw_seed()
        for layer in layers or []:
            self._append(layer)

    def _append(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(
                "Model layers must be kerasite.layers.Layer instances. Received: "
                f"{layer!r} of type {type(layer).__name__}."
            )
        if any(layer is other for other in self.layers):
            raise ValueError(
                f"Layer '{layer.name}' is already in model '{self.name}'. A layer caches its "
                "inputs for backward, so one instance cannot be used twice: create a new layer."
            )
        if any(layer.name == other.name for other in self.layers):
            raise ValueError(
                f"Model '{self.name}' already has a layer named '{layer.name}'. Layer names must "
                "be unique within a model; pass another name=."
            )
        self.layers.append(layer)
        self.built = False
        self._first_trainable = None

    # ================================================================== engine
    def build(self, input_shape):
        """Builds every layer for inputs of ``input_shape``, creating their weights.

        Args:
            input_shape: ``(batch, *features)``; the batch size may be ``None``,
                e.g. ``(None, 28, 28)``.

        Raises:
            ValueError: if the model has no layers, or a layer cannot take the
                shape it receives (the message names the layer).

        Example:
            >>> from kerasite import Sequential, layers
            >>> model = Sequential([layers.Dense(3), layers.Dense(1)])
            >>> model.build((None, 5))
            >>> model.count_params()
            22
        """
        if not self.layers:
            raise ValueError(f"Model '{self.name}' has no layers. Add layers before building it.")
        shape = (None, *tuple(input_shape)[1:])
        self.input_shape = shape
        for layer in self.layers:
            layer.ensure_built(shape)
            shape = layer.compute_output_shape(shape)
        self.output_shape = shape
        self._first_trainable = next(
            (i for i, layer in enumerate(self.layers) if layer.trainable and layer.params), None)
        self._grads_and_vars = [
            (layer.grads[key], layer.params[key])
            for layer in self.layers if layer.trainable for key in layer.grads
        ]
        self._epoch_aware = [layer for layer in self.layers if hasattr(layer, "set_epoch")]
        self.built = True

    def forward(self, x, training=False):
        """Runs ``x`` through every layer, in order (the engine's forward pass).

        Unlike ``predict``, it does not check or cast ``x`` and it keeps what
        each layer needs for ``backward``.

        Args:
            x: an array ``(batch, *features)`` of ``floatx()``.
            training: ``True`` to run dropout as in training.

        Returns:
            The output array, ``(batch, *outputs)``.
        """
        if not self.built:
            self.build(x.shape)
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad, need_input_grad=True):
        """Back-propagates d loss / d output through the layers in reverse.

        Fills every layer's ``grads``. When ``need_input_grad`` is false, the
        layers before the first trainable one are skipped, and that one
        computes no input gradient.

        Args:
            grad: d loss / d output, shaped like the last ``forward``'s output.
            need_input_grad: whether to compute d loss / d input.

        Returns:
            d loss / d input, ``(batch, *features)``, or ``None``.

        Raises:
            NotBuiltError: before the model is built.
        """
        self._require_built("backward()")
        first = 0 if need_input_grad else self._first_trainable
        if first is None:  # nothing to train and no input gradient wanted
            return None
        for layer in reversed(self.layers[first + 1:]):
            grad = layer.backward(grad)
        return self.layers[first].backward(grad, need_input_grad=need_input_grad)

    def __call__(self, x, training=False):
        return self.forward(_inputs.as_array(x, "x"), training)

    # ================================================================= compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Chooses the loss, the optimizer and the metrics to report.

        Args:
            optimizer: ``"sgd"``, ``"adam"``, ``"rmsprop"`` or an optimizer
                instance (Keras's default is ``"rmsprop"``).
            loss: ``"mse"``, ``"mae"``, ``"binary_crossentropy"``,
                ``"categorical_crossentropy"``,
                ``"sparse_categorical_crossentropy"`` or a loss instance.
            metrics: list of ``"accuracy"``, ``"mae"``, ``"mse"``.

        Example:
            >>> from kerasite import Sequential, layers
            >>> model = Sequential([layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
        """
        if loss is None:
            raise ValueError("`loss` is required, e.g. model.compile(optimizer='adam', loss='mse').")
        if isinstance(optimizer, str) and isinstance(loss, str) and \
                optimizer.lower() in losses._BY_NAME and loss.lower() in optimizers._BY_NAME:
            raise ValueError(
                f"compile() received optimizer={optimizer!r} and loss={loss!r}: they look swapped. "
                "The order is compile(optimizer, loss, metrics); pass them by keyword."
            )
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
            raise TypeError(
                f"`metrics` must be a list, such as ['accuracy']. Received: metrics={metrics!r}."
            )
        for m in metrics:  # fail now on unknown names rather than at fit time
            metrics_module.get(m, self.loss, None)
        self._metric_specs = list(metrics)
        self.compiled = True

    def _require_compiled(self, what):
        if not self.compiled:
            raise NotCompiledError(
                f"Model '{self.name}' is not compiled, so `{what}()` has no loss or optimizer: "
                "call `compile()` first, e.g. model.compile(optimizer='adam', loss='mse')."
            )

    # ===================================================================== fit
    def fit(self, x, y=None, epochs=1, batch_size=32, validation_data=None,
            validation_split=0.0, shuffle=True, callbacks=None, verbose=1, initial_epoch=0):
        """Trains the model on ``(x, y)`` for a number of epochs.

        Each epoch visits every sample once, in mini-batches of ``batch_size``
        (the last may be smaller), in an order reshuffled every epoch from the
        model's seed and the epoch number. After each epoch the validation
        data, if any, is evaluated with dropout off and without touching the
        weights or the optimizer.

        Args:
            x: inputs, ``(samples, *features)``.
            y: targets, ``(samples, *outputs)``, or integer labels ``(samples,)``
                for ``sparse_categorical_crossentropy``.
            epochs: index of the last epoch to train (with ``initial_epoch``,
                as in Keras: epochs ``initial_epoch .. epochs - 1`` run).
            batch_size: samples per gradient step.
            validation_data: ``(x_val, y_val)`` evaluated after every epoch.
            validation_split: fraction in [0, 1) of the data held out for
                validation. As in Keras, it is the *last* fraction of ``x`` and
                ``y`` as given, taken before any shuffling: shuffle the data
                first if it is sorted.
            shuffle: reshuffle the batches every epoch.
            callbacks: list of ``Callback`` instances.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            initial_epoch: epoch to start from (to resume a run).

        Returns:
            A ``History`` whose ``history`` dict holds ``"loss"``, each metric,
            and their ``"val_"`` versions, one value per epoch.

        Raises:
            NotCompiledError: (a ValueError and RuntimeError) before ``compile``.
            ValueError, TypeError: for bad data or arguments; the message says
                what to fix.
        """
        self._require_compiled("fit")
        epochs = _inputs.check_positive_int(epochs, "epochs")
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        initial_epoch = _inputs.check_positive_int(initial_epoch, "initial_epoch", minimum=0)
        if verbose not in (0, 1, 2, True, False):
            raise ValueError(f"`verbose` must be 0, 1 or 2. Received: verbose={verbose!r}.")
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
                or not 0 <= validation_split < 1:
            raise ValueError(
                "`validation_split` must be a number in [0, 1), the fraction of the data to "
                f"hold out. Received: validation_split={validation_split!r}."
            )
        x, y = self._prepare_xy(x, y)
        if validation_split and validation_data is not None:
            raise ValueError("Pass either `validation_data` or `validation_split`, not both.")
        val = None
        if validation_split:
            split = int(len(x) * (1 - validation_split))
            if split == 0 or split == len(x):
                raise ValueError(
                    f"validation_split={validation_split} leaves "
                    f"{'no training' if split == 0 else 'no validation'} samples out of "
                    f"{len(x)}. Use more data or another fraction."
                )
            x, y, val = x[:split], y[:split], (x[split:], y[split:])
        elif validation_data is not None:
            val = self._prepare_validation(validation_data)

        n = len(x)
        steps = math.ceil(n / batch_size)
        metrics = self._make_metrics(y)
        history = History()
        user_callbacks = list(callbacks or [])
        cbs = [*user_callbacks, history]
        if verbose:
            cbs.append(ProgressBar(verbose=int(verbose)))
        params = {"epochs": epochs, "steps": steps, "verbose": int(verbose),
                  "batch_size": batch_size, "samples": n}
        callback_list = CallbackList(cbs, model=self, params=params)
        self.history = history
        self.stop_training = False

        # A diverging run overflows; fit reports that itself (a warning, or
        # TerminateOnNaN), so NumPy's per-operation warnings are silenced here.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            epoch_logs = self._fit_loop(x, y, val, epochs, initial_epoch, batch_size, steps,
                                        shuffle, metrics, callback_list)
        callback_list.on_train_end(epoch_logs)
        return history

    def _fit_loop(self, x, y, val, epochs, initial_epoch, batch_size, steps, shuffle, metrics,
                  callback_list):
        """The epochs and batches of ``fit``; returns the last epoch's logs."""
        n = len(x)
        # Batch buffers: each batch is gathered into the same array, not a new copy.
        gather_x = _Gather(x)
        gather_y = None if y is x else _Gather(y)  # an autoencoder's target is its input
        batch_logs = {}
        want_batch_hooks = callback_list.wants_batch_hooks
        epoch_logs = {}
        warned_nan = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            for layer in self._epoch_aware:
                layer.set_epoch(epoch)
            # One batch covers every sample, so its order would change nothing.
            order = utils.epoch_rng(self._seed, epoch).permutation(n) \
                if shuffle and steps > 1 else None
            callback_list.on_epoch_begin(epoch)
            for m in metrics:
                m.reset()
            loss_sum, seen = 0.0, 0
            for step in range(steps):
                start, stop = step * batch_size, min(n, (step + 1) * batch_size)
                if want_batch_hooks:
                    callback_list.on_train_batch_begin(step)
                if order is None:
                    xb, yb = x[start:stop], y[start:stop]
                else:
                    idx = order[start:stop]
                    xb = gather_x(idx)
                    yb = xb if gather_y is None else gather_y(idx)
                loss, y_pred = self._train_step(xb, yb)
                loss_sum += loss * (stop - start)
                seen = stop
                for m in metrics:
                    m.update(yb, y_pred)
                if want_batch_hooks:
                    batch_logs["loss"] = loss_sum / seen
                    for m in metrics:
                        batch_logs[m.name] = m.result()
                    callback_list.on_train_batch_end(step, batch_logs)
                    if self.stop_training:  # e.g. TerminateOnNaN: stop inside the epoch
                        break
            epoch_logs = {"loss": loss_sum / seen}
            for m in metrics:
                epoch_logs[m.name] = m.result()
            if not math.isfinite(epoch_logs["loss"]) and not warned_nan:
                warned_nan = True
                warnings.warn(
                    f"The training loss became {epoch_logs['loss']} in epoch {epoch + 1}; the "
                    "weights are no longer usable. Lower the learning rate, check the data, "
                    "or pass callbacks=[TerminateOnNaN()] to stop at the first bad batch.",
                    stacklevel=3,  # point at the user's call to fit
                )
            if val is not None:
                callback_list.on_test_begin()
                val_logs = self._evaluate_arrays(*val, batch_size, metrics)
                callback_list.on_test_end(val_logs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            if seen == n:  # an epoch cut short (e.g. by TerminateOnNaN) is not completed
                self.completed_epochs = epoch + 1  # saved by checkpoints; resume from here
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        return epoch_logs

    def _train_step(self, x, y):
        """One gradient step on a batch; returns the batch loss and predictions."""
        y_pred = self.forward(x, training=True)
        loss = self.loss.forward(y, y_pred)
        self.backward(self.loss.backward(), need_input_grad=False)
        self.optimizer.apply_gradients(self._grads_and_vars)
        return loss, y_pred

    # ============================================================ data checks
    def _prepare_xy(self, x, y, x_name="x", y_name="y"):
        x = _inputs.as_array(x, x_name)
        self._check_input_shape(x)
        if y is None:
            if self._input_is_target:
                return x, self._check_targets(x, x_name)
            raise ValueError(
                f"`{y_name}` is required for {type(self).__name__}.fit/evaluate: pass the "
                "targets. (Only autoencoders use the input as its own target.)"
            )
        y = _inputs.as_array(y, y_name)
        _inputs.check_lengths(x, y, x_name, y_name)
        y = self._check_targets(y, y_name)
        return x, y

    def _prepare_validation(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return self._prepare_xy(data[0], data[1], "validation_data[0]", "validation_data[1]")
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        if isinstance(data, (tuple, list)) or not self._input_is_target:
            raise ValueError(
                "`validation_data` must be a tuple (x_val, y_val). "
                f"Received: {type(data).__name__} of length "
                f"{len(data) if hasattr(data, '__len__') else '?'}."
            )
        return self._prepare_xy(data, None, "validation_data", "validation_data")

    def _check_input_shape(self, x):
        if not self.built:
            self.build(x.shape)
        elif x.shape[1:] != self.input_shape[1:]:
            # The first layer's own check names it and both shapes.
            self.layers[0]._raise_shape_mismatch(x.shape)

    def _check_targets(self, y, name):
        out = self.output_shape
        if isinstance(self.loss, losses.SparseCategoricalCrossentropy):
            expected = (len(y), *out[1:-1])
            if y.shape == (*expected, 1):
                y = y.reshape(expected)
            if y.shape != expected:
                raise ValueError(
                    f"`{name}` has shape {y.shape}, but sparse_categorical_crossentropy needs one "
                    f"integer class index per sample: shape {expected}. "
                    + losses._label_hint(self.loss, y, np.empty((len(y), *out[1:])))
                )
            if not np.array_equal(y, np.round(y)) or y.min() < 0 or y.max() >= out[-1]:
                raise ValueError(
                    f"`{name}` must hold integer class indices in [0, {out[-1]}) for a model with "
                    f"{out[-1]} outputs. Received values from {y.min():g} to {y.max():g}."
                )
            return y
        expected = (len(y), *out[1:])
        if y.shape != expected and y.size == math.prod(expected) and out[-1] == 1:
            y = y.reshape(expected)  # labels (n,) for a single output unit, as Keras allows
        if y.shape != expected:
            raise ValueError(
                f"`{name}` has shape {y.shape}, but the model's output has shape {expected} and "
                f"{type(self.loss).__name__} compares them element by element. "
                + losses._label_hint(self.loss, y, np.empty(expected))
            )
        return y

    def _make_metrics(self, y):
        metrics = [metrics_module.get(m, self.loss, self.output_shape, y.shape)
                   for m in self._metric_specs]
        for m in metrics:
            m.reset()
        return metrics

    # ====================================================== evaluate, predict
    def evaluate(self, x, y=None, batch_size=32, verbose=1, return_dict=False):
        """Returns the loss (and metrics) on ``(x, y)``, with dropout off.

        Args:
            x: inputs, ``(samples, *features)``.
            y: targets, as in ``fit``.
            batch_size: samples per forward pass.
            verbose: 0 silent, 1 or 2 print the result.
            return_dict: return ``{"loss": ..., metric: ...}`` instead.

        Returns:
            The loss as a float, or ``[loss, *metrics]`` when metrics were
            compiled (as Keras does), or a dict if ``return_dict``.
        """
        self._require_compiled("evaluate")
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        x, y = self._prepare_xy(x, y)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = self._evaluate_arrays(x, y, batch_size, self._make_metrics(y))
        if not math.isfinite(logs["loss"]):
            warnings.warn(
                f"The loss on this data is {logs['loss']}: values overflowed {x.dtype}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        if verbose:
            print(format_logs(logs), flush=True)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x, y, batch_size, metrics):
        for m in metrics:
            m.reset()
        loss_sum = 0.0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            y_pred = self.forward(xb, training=False)
            loss_sum += self.loss.forward(yb, y_pred) * len(xb)
            for m in metrics:
                m.update(yb, y_pred)
        logs = {"loss": loss_sum / len(x)}
        for m in metrics:
            logs[m.name] = m.result()
        self._clear_caches()
        return logs

    def predict(self, x, batch_size=32, verbose=0):
        """Returns the model's outputs for ``x``, computed batch by batch.

        Memory stays bounded by one batch of activations, and nothing is kept
        for a backward pass.

        Args:
            x: inputs, ``(samples, *features)``.
            batch_size: samples per forward pass.
            verbose: unused beyond Keras compatibility (predict is quiet).

        Returns:
            Array ``(samples, *outputs)`` in ``floatx()``.
        """
        batch_size = _inputs.check_positive_int(32 if batch_size is None else batch_size,
                                                "batch_size")
        x = _inputs.as_array(x, "x")
        self._check_input_shape(x)
        out = None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, len(x), batch_size):
                y = self.forward(x[start:start + batch_size], training=False)
                if out is None:
                    out = np.empty((len(x), *y.shape[1:]), dtype=y.dtype)
                out[start:start + len(y)] = y
        self._clear_caches()
        if not np.isfinite(out).all():
            warnings.warn(
                f"Some predictions are NaN or infinite: values overflowed {out.dtype}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        return out

    def _clear_caches(self):
        for layer in self.layers:
            layer.clear_cache()

    def train_on_batch(self, x, y=None):
        """Takes one gradient step on one batch.

        Args:
            x: inputs, ``(batch, *features)``.
            y: targets, as in ``fit`` (omitted for an autoencoder).

        Returns:
            The batch's loss, or ``[loss, *metrics]`` when metrics were compiled.
        """
        self._require_compiled("train_on_batch")
        x, y = self._prepare_xy(x, y)
        metrics = self._make_metrics(y)
        loss, y_pred = self._train_step(x, y)
        for m in metrics:
            m.update(y, y_pred)
        return loss if not metrics else [loss, *(m.result() for m in metrics)]

    def test_on_batch(self, x, y=None):
        """The loss (and metrics) on one batch, without updating anything.

        Args:
            x: inputs, ``(batch, *features)``.
            y: targets, as in ``fit`` (omitted for an autoencoder).

        Returns:
            The loss, or ``[loss, *metrics]`` when metrics were compiled.
        """
        self._require_compiled("test_on_batch")
        x, y = self._prepare_xy(x, y)
        logs = self._evaluate_arrays(x, y, len(x), self._make_metrics(y))
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ================================================================ weights
    def _require_built(self, what):
        if not self.built:
            raise NotBuiltError(
                f"Model '{self.name}' has not been built yet, so `{what}` is not available. "
                "Build it with model.build(input_shape), by passing an Input(shape) or "
                "input_shape= to the first layer, or by calling fit() or predict() once."
            )

    def count_params(self):
        """The number of weights (scalars) in the model.

        Raises:
            NotBuiltError: before the model is built.
        """
        self._require_built("count_params()")
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self):
        """Copies of all weights, layer by layer (``W`` then ``b`` for Dense).

        Returns:
            A list of arrays, e.g. ``[W0 (in, units), b0 (units,), W1, b1, ...]``.
        """
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Sets all weights from a list shaped like ``get_weights()``'s output.

        The values are copied into the existing arrays, so optimizers and
        layers keep referring to the same objects.

        Args:
            weights: list of arrays, one per weight, in ``get_weights()`` order.

        Raises:
            ValueError: if the number of arrays or a shape does not match.
        """
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"Model '{self.name}' has {expected} weight arrays; set_weights received "
                f"{len(weights)}. Pass a list shaped like get_weights()'s output."
            )
        i = 0
        for layer in self.layers:
            k = len(layer.params)
            layer.set_weights(weights[i:i + k])
            i += k

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights]

    def summary(self, print_fn=None):
        """Prints a table of the layers, their output shapes and parameter counts.

        Args:
            print_fn: function called with each line (default ``print``).

        Raises:
            NotBuiltError: before the model is built.

        Example:
            >>> from kerasite import Sequential, Input, layers
            >>> Sequential([Input((4,)), layers.Dense(2, name="out")], name="tiny").summary()
            Model: "tiny"
            +------------------------------+----------------------+------------+
            | Layer (type)                 | Output Shape         |    Param # |
            +==============================+======================+============+
            | out (Dense)                  | (None, 2)            |         10 |
            +------------------------------+----------------------+------------+
             Total params: 10
             Trainable params: 10
             Non-trainable params: 0
        """
        self._require_built("summary()")
        print_fn = print_fn or print
        rows = []
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            rows.append((f"{layer.name} ({type(layer).__name__})", _shape_str(shape),
                         f"{layer.count_params():,}"))
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in
                  enumerate(("Layer (type)", "Output Shape", "Param #"))]
        widths = [max(w, m) for w, m in zip(widths, (28, 20, 10))]
        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

        def line(cells):
            return "| " + cells[0].ljust(widths[0]) + " | " + cells[1].ljust(widths[1]) + \
                " | " + cells[2].rjust(widths[2]) + " |"

        total = self.count_params()
        trainable = sum(w.size for w in self.trainable_weights)
        print_fn(f'Model: "{self.name}"')
        print_fn(rule)
        print_fn(line(("Layer (type)", "Output Shape", "Param #")))
        print_fn(rule.replace("-", "="))
        for row in rows:
            print_fn(line(row))
        print_fn(rule)
        print_fn(f" Total params: {total:,}")
        print_fn(f" Trainable params: {trainable:,}")
        print_fn(f" Non-trainable params: {total - trainable:,}")

    # ================================================================= config
    def get_config(self):
        """The architecture as a JSON-safe dict: the name, input shape and layer configs.

        Returns:
            ``{"name", "input_shape", "layers"}``; ``from_config`` rebuilds
            the model (with new weights) from it.
        """
        from kerasite import layers as layers_module

        return {
            "name": self.name,
            "input_shape": None if self.input_shape is None else list(self.input_shape[1:]),
            "layers": [layers_module.serialize(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config):
        """A new model from ``get_config()``'s output (built if the input shape is known)."""
        from kerasite import layers as layers_module

        model = cls([layers_module.deserialize(c) for c in config["layers"]], name=config["name"])
        if config.get("input_shape") is not None:
            model.build((None, *config["input_shape"]))
        return model

    def get_compile_config(self):
        """The compile settings as a JSON-safe dict, or ``None`` before ``compile``."""
        if not self.compiled:
            return None
        return {"optimizer": optimizers.serialize(self.optimizer),
                "loss": losses.serialize(self.loss),
                "metrics": [m for m in self._metric_specs if isinstance(m, str)]}

    # ================================================================= saving
    def save(self, filepath):
        """Saves the architecture, weights, compile settings and training state.

        The file (``.kerasite``, a zip of JSON and ``.npz`` archives) is written
        atomically: a crash mid-save leaves any previous file intact. Reload it
        with ``kerasite.models.load_model``; see ``kerasite.saving.save_model``.

        Args:
            filepath: a path ending in ``.kerasite``.

        Raises:
            ValueError: for another extension.
            OSError: if the file cannot be written (a previous file is kept).
        """
        from kerasite import saving

        saving.save_model(self, filepath)

    def save_weights(self, filepath):
        """Saves only the weights, atomically; reload with ``load_weights``.

        Args:
            filepath: a path ending in ``.weights.npz``.

        Raises:
            ValueError: for another extension, or before the model is built.
            OSError: if the file cannot be written (a previous file is kept).
        """
        from kerasite import saving

        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Loads weights saved by ``save_weights`` (or ``save``) into this model.

        Args:
            filepath: a ``.weights.npz`` or ``.kerasite`` file.

        Raises:
            OSError: if the file is missing, truncated or corrupted.
            ValueError: if a weight is missing, extra or misshapen; the model
                is then left unchanged.
        """
        from kerasite import saving

        saving.load_weights(self, filepath)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} layers={len(self.layers)}>"


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


class NotCompiledError(ValueError, RuntimeError):
    """Raised by fit/evaluate before ``compile`` (a RuntimeError, as in Keras)."""


class _Gather:
    """Copies rows ``idx`` of ``data`` into a reused buffer: one per batch size."""

    def __init__(self, data):
        self.data = data
        self.buffers = {}

    def __call__(self, idx):
        buf = self.buffers.get(len(idx))
        if buf is None:
            buf = self.buffers[len(idx)] = np.empty((len(idx), *self.data.shape[1:]),
                                                    self.data.dtype)
        return np.take(self.data, idx, axis=0, out=buf)
