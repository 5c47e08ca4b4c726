"""The training facade: Keras's compile, fit, evaluate and predict for any graph.

``Trainer`` is mixed into ``Model``. It knows the model only through
``self._graph`` (forward and backward over the nodes), the input and output
names and shapes, and the leaf layers that hold weights; it never looks
inside a layer. Data for several inputs or outputs comes as lists or dicts
keyed by name and is turned into one array per input and per output, here,
once.
"""

import contextlib
import functools
import math
import warnings

import numpy as np

from kerasite import _keras2, backend, losses, optimizers, utils
from kerasite.callbacks.base import CallbackList
from kerasite.callbacks.history import History
from kerasite.callbacks.progress import ProgressBar
from kerasite.config import floatx
import kerasite.trainers.compile_utils as compile_utils
import kerasite.trainers.custom_steps as custom_steps
from kerasite.trainers.compile_utils import update_metrics
from kerasite.trainers.data_adapters import _inputs, array_data_adapter as arrays
from kerasite.trainers.data_adapters import get_data_adapter, reserve_outputs
import kerasite.trainers.masks as masks
from kerasite.trainers.data_adapters.data_adapter_utils import (
    as_list, as_lists, unpack_x_y_sample_weight)
from kerasite.trainers.data_adapters.array_data_adapter import ArrayDataAdapter, _first_batches
from kerasite.trainers.epoch_iterator import EpochIterator, check_validation_freq, should_validate
from kerasite.trainers.heads import OutputHeads


class NotCompiledError(ValueError, RuntimeError):
    """Raised by fit/evaluate before ``compile`` (a RuntimeError, as in Keras)."""


class Trainer:
    """The training methods of ``Model`` and ``Sequential``: compile, fit, evaluate, predict.

    ``Model`` derives from ``Trainer`` and ``Layer``; a model is never made
    from ``Trainer`` alone. The methods work on any graph of layers (the
    model's ``_graph``) and are documented on the page "Model training APIs".
    """

    # Autoencoders set this: when ``y`` is omitted, the input is its own target.
    _input_is_target = False

    def __init__(self):
        self.stop_training = False
        self.history = None
        self.completed_epochs = 0
        self.optimizer = self.loss = None
        self.compiled = False
        self._metric_specs = []
        self._loss_weights = None
        self._compile_loss = self._compile_metrics = None
        self._grads_and_vars = None
        self._flat_buffer = None  # _flat.FlatBuffer of the trained variables, once set up

    def _invalidate_training_state(self):
        self._grads_and_vars = None
        if self._flat_buffer is not None:
            self._flat_buffer.release()

    # ================================================================ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None):
        """Chooses the loss(es), the optimizer and the metrics to report.

        Call it again after changing a layer's ``trainable``: as in Keras, the
        weights to train are collected here.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``) or an
                optimizer instance (Keras's default is ``"rmsprop"``).
            loss: a loss name or instance, or a function ``fn(y_true, y_pred)``
                written with ``kerasite.ops`` returning per-sample values; for
                several outputs, one loss for all, a list with one per output,
                or a dict keyed by output name. ``None`` (as in Keras) when an
                overridden ``train_step`` computes the loss itself.
            loss_weights: for several outputs, a list or dict of numbers: the
                total loss is the weighted sum of the outputs' losses.
            metrics: a list of metric names (``"accuracy"``, ``"mae"``,
                ``"mse"``), metric objects or functions ``fn(y_true, y_pred)``,
                applied to every output, or a list of lists / a dict with one
                list per output. They ignore sample weights.
            weighted_metrics: metrics, given as ``metrics`` is, that take the
                ``sample_weight`` (or ``class_weight``) of ``fit`` and
                ``evaluate`` into account: ``sum(w * value) / sum(w)``. One
                named like an unweighted metric is logged as ``weighted_<name>``.

        Example:
            >>> from kerasite import Sequential, layers
            >>> model = Sequential([layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
        """
        compile_utils.check_compile_args(optimizer, loss)
        self.optimizer = optimizers.get(optimizer)
        self._compile_loss = compile_utils.CompileLoss(loss, loss_weights)
        self._compile_metrics = compile_utils.CompileMetrics(metrics, weighted_metrics)
        self.compiled = True
        self._grads_and_vars = None
        backend.accelerator_enabled()  # loads the optional accelerator now, not mid-epoch
        if self.built:
            self._resolve_compile()
        else:  # fail now on unknown names rather than at fit time
            self.loss = self._compile_loss.check()
            self._compile_metrics.check(self.loss)

    def _resolve_compile(self):
        """Matches losses, weights and metrics to the outputs (needs the graph)."""
        names = self.output_names
        self._compile_loss.build(names)
        self._losses, self._loss_weights = self._compile_loss.losses, self._compile_loss.weights
        self.loss = self._losses[0] if len(names) == 1 else self._losses
        self._compile_metrics.build(names, self._losses)
        self._metric_specs = self._compile_metrics.per_output

    def _require_compiled(self, what):
        if not self.compiled:
            raise NotCompiledError(
                f"Model '{self.name}' is not compiled, so `{what}()` has no loss or optimizer: "
                "call `compile()` first, e.g. model.compile(optimizer='adam', loss='mse')."
            )

    def _require_loss(self, custom):
        """Refuses the built-in step (``custom`` False) on a model compiled without a loss."""
        if not custom and not self._compile_loss.has_loss and \
                not compile_utils.may_add_losses(self):  # add_loss terms alone, as in Keras
            raise ValueError(compile_utils.NO_LOSS)

    def _training_setup(self):
        """Collects the weights to train (after ``trainable`` changes) and the graph plans."""
        if not self.built:  # a model without a graph, trained by its own train_step
            self._epoch_aware = []
            return
        if self._metric_specs is None or not hasattr(self, "_losses"):
            self._resolve_compile()
        self._reset_plans()
        leaves = self._leaf_layers()
        trained = [v for leaf in leaves for v in leaf.trainable_weights]
        optimizer = self.optimizer
        if optimizer.built and not optimizer._built_for(trained):
            # The trained set changed (a layer was frozen or thawed): the optimizer's
            # per-weight state no longer lines up, so it starts afresh, as a new one would.
            optimizer._unbuild()
        # The trained weights and their gradients move into two buffers, so that each
        # optimizer step is one pass over each (same values, same per-weight state).
        if self._flat_buffer is not None:
            self._flat_buffer.release()
        self._flat_buffer = optimizers._flat.pack(trained)
        self._grads_and_vars = [(v._grad, v) for v in trained]
        self._epoch_aware = [leaf for leaf in leaves if hasattr(leaf, "set_epoch")]
        # Weight penalties are added once per layer and step (a shared layer's too), and
        # constraints applied after each step, as Keras does.
        self._regularized = [leaf for leaf in leaves if leaf.trainable and leaf.regularizers]
        self._constrained = [leaf for leaf in leaves if leaf.trainable and leaf.constraints]
        self._heads = OutputHeads(self._graph, self._losses)  # each output's loss and activation
        self._no_weights = [None] * len(self._graph.outputs)
        self._plain_step = not (self._regularized or self._constrained or self._graph._activity
                                or self._heads.paired)

    # ===================================================================== fit
    @_keras2.checks_arguments("fit()", _keras2.FIT)
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model on ``(x, y)`` for a number of epochs.

        Each epoch visits every sample once, in mini-batches of ``batch_size``
        (the last may be smaller), in an order reshuffled every epoch from the
        model's seed and the epoch number. After each epoch the validation
        data, if any, is evaluated with dropout off and without touching the
        weights or the optimizer.

        The logged ``loss`` is, as in Keras, the mean of the batch losses
        weighted by the batch sizes (the last, smaller batch counts for
        less); each batch loss is ``sum(w * per_sample_loss) / batch_size``.

        Args:
            x: inputs, ``(samples, *features)``; for several inputs a list of
                arrays or a dict keyed by input name. Or batches made already
                (``y``, ``batch_size`` and ``validation_split`` are then not
                given): a ``kerasite.utils.PyDataset``, a generator, or an
                iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches
                (see the guide "Training on data that does not fit in memory").
            y: targets, ``(samples, *outputs)``, or integer labels
                ``(samples,)`` for ``sparse_categorical_crossentropy``; for
                several outputs a list or a dict keyed by output name.
            batch_size: samples per gradient step (32 by default).
            epochs: index of the last epoch to train (with ``initial_epoch``,
                as in Keras: epochs ``initial_epoch .. epochs - 1`` run; none
                when ``epochs <= initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch;
                ``"auto"`` (the default, as in Keras) means 1.
            callbacks: list of ``Callback`` instances.
            validation_split: fraction in [0, 1) of the data held out for
                validation. As in Keras, it is the *last* fraction of ``x`` and
                ``y`` (and ``sample_weight``) as given, taken before any
                shuffling: shuffle the data first if it is sorted. Ignored when
                ``validation_data`` is given, as in Keras.
            validation_data: ``(x_val, y_val)`` or
                ``(x_val, y_val, val_sample_weight)``; or batches, as ``x``.
            shuffle: reshuffle the batches every epoch.
            class_weight: dict mapping a class index to a weight for its
                samples' loss (for a single output, with integer labels or
                one-hot rows); classes not listed weigh 1.
            sample_weight: weights ``(samples,)`` for the samples' losses (and
                ``weighted_metrics``); for several outputs one array for all,
                or a list or dict with one per output.
            initial_epoch: epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch. As in Keras for arrays, the
                epochs then walk through the data in turn, continuing where
                the previous one stopped; an epoch that reaches the end of the
                data stops there (with a warning when it had steps left), and
                the next starts a new, reshuffled pass.
            validation_steps: validate on the first ``validation_steps``
                batches of the validation data only (all by default).
            validation_batch_size: batch size for the validation data
                (``batch_size`` by default).
            validation_freq: validate every ``validation_freq`` epochs (an
                int, counted from 1), or after the epochs (1-based) in a list.

        Returns:
            A ``History`` whose ``history`` dict holds ``"loss"``, each metric,
            and their ``"val_"`` versions, one value per epoch. With several
            outputs it also holds ``"<output>_loss"`` and
            ``"<output>_<metric>"``, as Keras names them.

        Raises:
            NotCompiledError: (a ValueError and RuntimeError) before ``compile``.
            ValueError, TypeError: for bad data or arguments; the message says
                what to fix.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> history = model.fit(x, y, epochs=3, batch_size=20, validation_split=0.2,
            ...                     verbose=0)
            >>> sorted(history.history)
            ['loss', 'mae', 'val_loss', 'val_mae']
            >>> len(history.history["loss"])  # one value per epoch
            3
        """
        self._require_compiled("fit")
        custom = type(self).train_step is not Trainer.train_step
        self._require_loss(custom)
        # A generator, PyDataset or iterable of batches gets its adapter; arrays get None.
        source = get_data_adapter(x, y, sample_weight, batch_size,
                                  prepare=functools.partial(self._prepare_data, custom=custom),
                                  class_weight=class_weight, shuffle=shuffle,
                                  validation_split=validation_split)
        epochs = _inputs.check_positive_int(epochs, "epochs", minimum=0)
        batch_size = _batch_size(batch_size)
        initial_epoch = _inputs.check_positive_int(initial_epoch, "initial_epoch", minimum=0)
        if steps_per_epoch is not None:
            steps_per_epoch = _inputs.check_positive_int(steps_per_epoch, "steps_per_epoch")
        val_batch_size = _batch_size(validation_batch_size, "validation_batch_size", batch_size)
        check_validation_freq(validation_freq)
        verbose = _check_verbose(verbose)
        arrays.check_validation_split(validation_split)
        data = self._prepare_data(x, y, sample_weight, class_weight, custom=custom) \
            if source is None else source.first_data
        from kerasite import saving

        saving._warn_if_resuming_mid_epoch(self, initial_epoch)
        self._training_setup()
        val = None
        custom_test = type(self).test_step is not Trainer.test_step
        val_source = get_data_adapter(validation_data, batch_size=validation_batch_size,
                                      prepare=functools.partial(self._prepare_data,
                                                                custom=custom_test),
                                      mode="evaluate", name="validation_data")
        if val_source is not None:
            val_source.first_data  # checked now, before training starts
        elif validation_data is not None:  # it wins over validation_split, as in Keras
            x_val, y_val, w_val, names = arrays.unpack_validation(validation_data,
                                                                  self._input_is_target)
            val = self._prepare_data(x_val, y_val, w_val, names=names, custom=custom_test)
        elif validation_split:
            data, val = arrays.split_validation(data, validation_split,
                                                class_weighted=class_weight is not None)
        if val is not None:
            val = _first_batches(val, validation_steps, val_batch_size, "validation_steps")
            val = EpochIterator(ArrayDataAdapter(*val), val_batch_size)
        elif val_source is not None:
            val = EpochIterator(val_source, None, validation_steps)
        iterator = EpochIterator(source or ArrayDataAdapter(*data), batch_size, steps_per_epoch,
                                 shuffle)
        metrics = self._make_metrics(data[1])
        # The keys every epoch's logs will hold: ModelCheckpoint checks its path against them.
        log_keys = [*(self._compile_loss.log_names or ()), *(m.name for m in metrics)]
        self._epoch_log_keys = log_keys + ["val_" + k for k in log_keys if val is not None]
        history = History()
        cbs = [*list(callbacks or []), history]
        if verbose:
            cbs.append(ProgressBar(verbose=int(verbose)))
        params = {"epochs": epochs, "steps": iterator.num_batches, "verbose": int(verbose),
                  "batch_size": batch_size, "samples": iterator.adapter.num_samples}
        callback_list = CallbackList(cbs, model=self, params=params)
        self.history = history
        self.stop_training = False

        # A diverging run overflows; fit reports that itself (a warning, or
        # TerminateOnNaN), so NumPy's per-operation warnings are silenced here.
        # The iterators stop their adapters' workers however the loop ends.
        with iterator, val or contextlib.nullcontext(), \
                np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            epoch_logs = self._fit_loop(iterator, val, epochs, initial_epoch, metrics,
                                        callback_list, validation_freq)
        self.optimizer.finalize_variable_values(self.trainable_weights)  # use_ema, as Keras
        callback_list.on_train_end(epoch_logs)
        return history

    def _fit_loop(self, iterator, val, epochs, initial_epoch, metrics, callback_list,
                  validation_freq):
        """The epochs of ``fit`` over ``iterator``'s batches; returns the last epoch's logs."""
        batch_logs = {}
        want_batch_hooks = callback_list.wants_batch_hooks
        epoch_logs = {}
        warned_nan = False
        callback_list.on_train_begin()
        train_step = self._train_step
        loss_logs = self._compile_loss.logs
        # A subclass's own train_step gets each batch as (x, y, sample_weight) and its
        # returned dict is logged as is (Keras 3); the built-in step stays the lean path.
        custom = type(self).train_step is not Trainer.train_step
        self._step_metrics = metrics
        trackers = custom_steps.trackers(self, metrics)  # reset each epoch too, as in Keras
        # BackupAndRestore may move the start to the epoch after its backup (as in Keras).
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        for epoch in range(initial_epoch, epochs):
            if iterator.exhausted(epoch):  # a generator used up by the epochs before
                break
            for layer in self._epoch_aware:
                layer.set_epoch(epoch)
            batches = iterator.enumerate_epoch(epoch, self._seed)
            callback_list.on_epoch_begin(epoch)
            # Plain attributes, set through __dict__: Model.__setattr__ (which finds a
            # subclassed model's layers) costs a call per epoch here for nothing.
            state = self.__dict__
            state["_epoch_in_progress"] = epoch  # a save now is marked mid-epoch
            for m in metrics:
                m.reset()
            for m in trackers:
                m.reset_state()
            state["_loss_sums"] = None
            sums, seen, stopped = None, 0, False
            for step, k, (xb, yb, wb) in batches:
                if want_batch_hooks:
                    callback_list.on_train_batch_begin(step)
                if custom:
                    epoch_logs = custom_steps.plain_logs(
                        self.train_step(custom_steps.data_for_step(xb, yb, wb)))
                    if want_batch_hooks:
                        callback_list.on_train_batch_end(step, dict(epoch_logs))
                        if self.stop_training:
                            stopped = True
                            break
                    continue
                values, outs = train_step(xb, yb, wb)
                if sums is None:
                    sums = [v * k for v in values]
                else:
                    for j, v in enumerate(values):
                        sums[j] += v * k
                seen += k
                if metrics and self._graph._masked:
                    masks.update_metrics(metrics, yb, outs, wb, self._graph)
                elif metrics:
                    update_metrics(metrics, yb, outs, wb)
                if want_batch_hooks:
                    batch_logs.update(loss_logs([s / seen for s in sums]))
                    for m in metrics:
                        batch_logs[m.name] = custom_steps.result_of(m)
                    callback_list.on_train_batch_end(step, batch_logs)
                    if self.stop_training:  # e.g. TerminateOnNaN: stop inside the epoch
                        stopped = True
                        break
            if not custom:
                epoch_logs = loss_logs([s / seen for s in sums])
                for m in metrics:
                    epoch_logs[m.name] = custom_steps.result_of(m)
            loss = epoch_logs.get("loss", 0.0)
            if isinstance(loss, (float, np.floating)) and not math.isfinite(loss) \
                    and not warned_nan:
                warned_nan = True
                warnings.warn(
                    f"The training loss became {epoch_logs['loss']} in epoch {epoch + 1}; the "
                    "weights are no longer usable. Lower the learning rate, check the data, "
                    "or pass callbacks=[TerminateOnNaN()] to stop at the first bad batch.",
                    stacklevel=3,  # point at the user's call to fit
                )
            if val is not None and should_validate(epoch, validation_freq) \
                    and not val.exhausted(epoch):
                callback_list.on_test_begin()
                val_logs = self._evaluate_arrays(val, metrics, callback_list)
                callback_list.on_test_end(val_logs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            if not stopped:  # an epoch cut short (e.g. by TerminateOnNaN) is not completed
                state["completed_epochs"] = epoch + 1  # saved by checkpoints; resume here
                state["_epoch_in_progress"] = None
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        return epoch_logs

    # ======================================================= the public steps
    def train_step(self, data):
        """One gradient step on one batch; ``fit`` calls it for every batch.

        Override it in a subclass to change what a step does (``super().train_step(data)``
        still takes the built-in step). As in Keras 3, ``fit`` logs the returned
        dict as is, in ``History`` and the progress bar; the last batch's dict
        is the epoch's logs. The built-in step returns running means over the
        epoch so far: the loss weighted by batch size, and the compiled metrics.

        Args:
            data: the batch ``(x, y, sample_weight)``, each as the model takes
                it: one array for a single input or output, a list for
                several (``sample_weight`` may be None).

        Returns:
            A dict of logs, ``{"loss": ..., <metric name>: ...}``.

        Example:
            A step that also logs the batch size; ``fit`` shows the extra key:

            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> class LoggedModel(Sequential):
            ...     def train_step(self, data):
            ...         logs = super().train_step(data)
            ...         logs["batch_size"] = len(data[0])
            ...         return logs
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> model = LoggedModel([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.fit(x, x[:, :1], epochs=2, batch_size=50, verbose=0).history["batch_size"]
            [50, 50]
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._require_loss(False)
        xs, ys, ws = self._step_lists(x, y, sample_weight)
        if self._grads_and_vars is None:
            self._training_setup()
        values, outs = self._train_step(xs, ys, ws)
        self._track_loss(values, len(xs[0]))
        return self.compute_metrics(x, y, self._pack_step_outputs(outs), sample_weight)

    def test_step(self, data):
        """The loss and metrics on one batch, dropout off; ``evaluate`` calls it per batch.

        Args:
            data: the batch ``(x, y, sample_weight)``, as in ``train_step``.

        Returns:
            A dict of logs; the built-in step's are running means, as in ``train_step``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> sorted(model.test_step((x[:32], y[:32])))
            ['loss', 'mae']
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        xs, ys, ws = self._step_lists(x, y, sample_weight)
        outs = self._infer_graph.forward(xs, training=False)
        y_pred = self._pack_step_outputs(outs)
        if self._infer_graph._masked:  # the loss and metrics skip the padded steps
            sample_weight = masks.as_sample_weight(
                masks.masked_weights(self._infer_graph, ws or [None] * len(outs)))
        self._track_loss([self.compute_loss(x, y, y_pred, sample_weight)], len(xs[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch; ``predict`` calls it per batch.

        Args:
            data: the batch's ``x`` (or a tuple whose first item is ``x``).

        Returns:
            An array ``(batch, *outputs)``, or a list with one per output.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> model.predict_step(x[:4]).shape
            (4, 1)
        """
        x = data[0] if isinstance(data, tuple) else data
        outs = self._infer_graph.forward(self._prepare_x(x), training=False)
        return self._pack_step_outputs([np.array(o) for o in outs])

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the weighted sum over the outputs, with the penalties.

        Keras 3's signature. Called while a ``GradientTape`` records (in a
        custom ``train_step``), each compiled loss is one op of ``y_pred`` on
        that tape, so ``tape.gradient(loss, ...)`` flows through it.

        Args:
            x: the batch's inputs (unused by the built-in loss; kept for Keras's signature).
            y: the targets, as the model takes them.
            y_pred: the predictions, one array or a list with one per output.
            sample_weight: weights per sample (or a list per output), or None.
            training: unused (Keras's signature).

        Returns:
            The loss as a float; a Tensor while a tape records.

        Without a compiled loss it is the sum of the model's ``add_loss`` terms
        (``model.losses``) and penalties, as in Keras 3.

        Raises:
            ValueError: if the model was compiled without a loss and added none.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> loss = model.compute_loss(y=y, y_pred=model.predict(x))
            >>> bool(np.isclose(loss, model.evaluate(x, y, verbose=0)[0]))
            True
        """
        if not self._compile_loss.has_loss:  # Keras 3: the add_loss terms and penalties
            return compile_utils.added_losses(self)
        if not hasattr(self, "_losses"):
            self._resolve_compile()
        _, ys, ws = self._step_lists(None, y, sample_weight)
        total = self._compile_loss(ys, as_list(y_pred, len(self._graph.outputs)), ws)
        if self._graph._activity or any(leaf.regularizers for leaf in self._leaf_layers()):
            total = total + self._penalty(self._graph)
        return total if isinstance(total, np.ndarray) else float(total)

    @property
    def metrics(self):
        """The model's metrics, as Keras 3 lists them; ``fit`` and ``evaluate`` reset them.

        The compiled metrics (those made for the last ``fit`` or ``evaluate``),
        then every ``Metric`` set as an attribute of the model, such as a
        tracker ``self.kl_loss_tracker = kerasite.metrics.Mean(name="kl_loss")``.
        A subclass may override this property to list its trackers, as Keras's
        guides do. Each is reset at the start of every epoch.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> history = model.fit(x, y, epochs=1, verbose=0)
            >>> [m.name for m in model.metrics]
            ['loss', 'mae']
        """
        return custom_steps.model_metrics(self)

    @property
    def metrics_names(self):
        """The names of ``metrics``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> loss, mae = model.evaluate(x, y, verbose=0)
            >>> model.metrics_names
            ['loss', 'mae']
        """
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Resets every metric in ``metrics``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> history = model.fit(x, y, epochs=1, verbose=0)
            >>> model.reset_metrics()
            >>> [m.name for m in model.metrics]
            ['loss', 'mae']
        """
        for m in self.metrics:
            m.reset_state()

    def compute_metrics(self, x, y, y_pred, sample_weight):
        """Updates the compiled metrics with a batch and returns the logs.

        Args:
            x: the batch's inputs (unused; kept for Keras's signature).
            y: the targets, as the model takes them.
            y_pred: the predictions, one array or a list with one per output.
            sample_weight: weights per sample (or a list per output), or None.

        Returns:
            ``{"loss": <running mean of the loss>, <metric name>: <result>}``;
            the loss is there once a step has tracked it.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> logs = model.compute_metrics(x, y, model.predict(x), None)
            >>> "mae" in logs
            True
        """
        _, ys, ws = self._step_lists(None, y, sample_weight)
        outs = as_list(y_pred, len(self._graph.outputs))
        metrics = getattr(self, "_step_metrics", None)
        if metrics is None:
            metrics = self._step_metrics = self._make_metrics(ys)
        update_metrics(metrics, ys, outs, ws)
        sums = getattr(self, "_loss_sums", None)
        logs = self._loss_logs([v / self._loss_seen for v in sums]) if sums else {}
        for m in metrics:
            logs[m.name] = custom_steps.result_of(m)
        return logs

    def _track_loss(self, values, k):
        """Adds a batch's loss values to the running sums that the logs average."""
        sums = getattr(self, "_loss_sums", None)
        if sums is None:
            self._loss_sums, self._loss_seen = [v * k for v in values], k
        else:
            self._loss_sums = [s + v * k for s, v in zip(sums, values)]
            self._loss_seen += k

    def _step_lists(self, x, y, sample_weight):
        return as_lists(x, y, sample_weight, len(self._graph.inputs), len(self._graph.outputs))

    def _pack_step_outputs(self, outs):
        return outs[0] if len(outs) == 1 else list(outs)

    def _train_step(self, xs, ys, ws=None):
        """One gradient step on a batch; returns (the loss values, the predictions).

        ``ws`` holds one sample-weight array (or None) per output.
        """
        if not self._flat_buffer.valid:
            self._training_setup()  # another model moved weights this one trains
        graph = self._graph
        ws = ws or self._no_weights
        if self._plain_step:  # no paired head, penalty or constraint: the lean path
            outs = graph.forward(xs, training=True)
            if graph._masked:
                ws = self._masked_ws = masks.masked_weights(graph, ws)
            values, grads = self._losses_and_grads(ys, outs, ws)
            graph.backward(grads, need_input_grad=False)
            self.optimizer._scale_gradients(self._grads_and_vars)  # loss_scale_factor
            self.optimizer.apply_gradients(self._grads_and_vars)
            return values, outs
        # The paired heads take their outputs' logits, and give the gradients with respect
        # to them: the graph's backward starts below those outputs' activations.
        outs, logits = self._heads.forward(xs, training=True)
        if graph._masked:
            ws = self._masked_ws = masks.masked_weights(graph, ws)
        values, grads = self._losses_and_grads(ys, outs, ws, logits)
        graph.backward(grads, need_input_grad=False, pre_activation=self._heads.paired)
        if self._regularized or graph._activity:
            # The loss Keras reports includes the regularization penalties.
            penalty = graph.activity_loss
            for layer in self._regularized:
                penalty += layer.regularization_penalty()
                layer.add_regularization_gradients()
            values = [values[0] + penalty, *values[1:]]
        self.optimizer._scale_gradients(self._grads_and_vars)  # loss_scale_factor
        self.optimizer.apply_gradients(self._grads_and_vars)
        for layer in self._constrained:
            layer.apply_constraints()
        return values, outs

    def _penalty(self, graph):
        """The regularization penalties for ``evaluate``'s loss (included, as in Keras)."""
        penalty = graph.activity_loss
        for leaf in self._leaf_layers():
            if leaf.regularizers:
                penalty += leaf.regularization_penalty()
        return penalty

    def _losses_and_grads(self, ys, outs, ws, logits=None):
        """[total, per-output losses...] and d total / d output for each output.

        For a paired output (see ``kerasite.trainers.heads``) the loss comes
        from its logits (``logits[i]``, from the graph's forward) and its
        gradient is with respect to them. ``ws`` holds the batch's sample
        weights per output (or None).
        """
        if not self._compile_loss.has_loss:  # add_loss terms alone: added by the caller
            return compile_utils.no_output_loss(self, self._graph, outs)
        if len(outs) == 1 and self._loss_weights[0] == 1.0:  # the common case, kept lean
            if ws[0] is None and logits is None:
                loss = self._losses[0]
                return [loss.forward(ys[0], outs[0])], [loss.backward()]
            head = self._heads[0]
            value = head.forward(ys[0], outs[0], None if logits is None else logits[0], ws[0])
            return [value], [head.backward()]
        values, grads, total = [], [], 0.0
        for i, (w, y, out, sw) in enumerate(zip(self._loss_weights, ys, outs, ws)):
            head = self._heads[i]
            v = head.forward(y, out, None if logits is None else logits[i], sw)
            g = head.backward()
            values.append(v)
            total += w * v
            grads.append(g if w == 1.0 else g * w)
        return [total, *values], grads

    def _loss_logs(self, values):
        return self._compile_loss.logs(values)

    # ============================================================ data checks
    def _prepare_x(self, x, name="x", lazy=False):
        """One checked array per input (see ``standardize_inputs``); builds an unbuilt model."""
        built = self.built
        xs = arrays.standardize_inputs(x, self.input_names if built else None,
                                       built and self._single_input, self.name, name, lazy)
        if built:
            expected = [self.input_shape] if self._single_input else self.input_shape
            arrays.check_input_shapes(xs, expected, self._graph, self.name)
            _inputs.check_text(xs, self._graph, name)
        else:
            self.build(xs[0].shape if len(xs) == 1 else [a.shape for a in xs])
            if self.compiled:
                self._resolve_compile()
        return xs

    def _prepare_data(self, x, y, sample_weight=None, class_weight=None,
                      names=("x", "y", "sample_weight"), lazy=False, custom=False):
        """``(xs, ys, ws)``: one checked array per input, output and sample weight.

        ``names`` are the arguments' names for messages; with ``lazy`` the
        inputs are checked but not cast (see ``standardize_inputs``). For a
        ``custom`` step, targets may be absent or unchecked: see
        ``custom_steps.loose_data``.
        """
        if custom and custom_steps.has_no_graph(self):
            return custom_steps.loose_data(custom_steps.inputs(x, names[0], lazy), y,
                                           sample_weight, names[1])
        xs = self._prepare_x(x, names[0], lazy)
        no_loss = self.compiled and not self._compile_loss.has_loss  # add_loss terms alone
        if (custom or no_loss) and class_weight is None and (
                no_loss or y is None and not self._input_is_target):
            return custom_steps.loose_data(xs, y, sample_weight, names[1])
        if self.compiled and getattr(self, "_losses", None) is None:
            self._resolve_compile()
        out_names, out_losses = self.output_names, self._losses
        ys = arrays.standardize_targets(
            y, xs, out_names, [t.shape for t in self._graph.outputs], out_losses,
            model_name=self.name, model_kind=type(self).__name__,
            input_is_target=self._input_is_target, x_name=names[0], y_name=names[1], lazy=lazy)
        ws = arrays.standardize_weights(sample_weight, class_weight, ys, out_names, out_losses,
                                        self.name, names[2])
        return xs, ys, ws

    def _make_metrics(self, ys):
        """New metric objects for this call's targets (see ``CompileMetrics.make_metrics``)."""
        if not self.built:  # no outputs to compute metrics of (see custom_steps.has_no_graph)
            return []
        return self._compile_metrics.make_metrics(ys, [t.shape for t in self._graph.outputs])

    # ====================================================== evaluate, predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Returns the loss (and metrics) on ``(x, y)``, with dropout off.

        Args:
            x: inputs, as in ``fit``.
            y: targets, as in ``fit``.
            batch_size: samples per forward pass (32 by default).
            verbose: 0 silent; 1 a progress bar with the sample count (one
                line when output is not a terminal), 2 one line.
            sample_weight: weights ``(samples,)`` for the loss and the
                ``weighted_metrics``, as in ``fit``.
            steps: evaluate only the first ``steps`` batches (all by default).
            callbacks: callbacks whose ``on_test_*`` hooks run, batch hooks
                included.
            return_dict: return ``{"loss": ..., metric: ...}`` instead.

        Returns:
            The loss as a float, or ``[loss, *metrics]`` when metrics were
            compiled (as Keras does), or a dict if ``return_dict``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> loss, mae = model.evaluate(x, y, verbose=0)
            >>> sorted(model.evaluate(x, y, verbose=0, return_dict=True))
            ['loss', 'mae']
        """
        self._require_compiled("evaluate")
        custom = type(self).test_step is not Trainer.test_step
        self._require_loss(custom)
        source = get_data_adapter(x, y, sample_weight, batch_size,
                                  prepare=functools.partial(self._prepare_data, custom=custom),
                                  mode="evaluate")
        batch_size = _batch_size(batch_size)
        verbose = _check_verbose(verbose)
        if source is not None:
            data = source.first_data
            iterator = EpochIterator(source, None, steps)
        else:
            # x is cast batch by batch (a uint8 memmap is never copied whole).
            data = self._prepare_data(x, y, sample_weight, lazy=True, custom=custom)
            data = _first_batches(data, steps, batch_size, "steps")
            iterator = EpochIterator(ArrayDataAdapter(*data, cast_x=True), batch_size)
        cbs = list(callbacks or []) + ([ProgressBar(verbose=verbose)] if verbose else [])
        callback_list = CallbackList(cbs, model=self, params={
            "steps": iterator.num_batches, "samples": iterator.adapter.num_samples,
            "verbose": verbose, "batch_size": batch_size})
        callback_list.on_test_begin()
        with iterator, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = self._evaluate_arrays(iterator, self._make_metrics(data[1]), callback_list)
        callback_list.on_test_end(logs)
        if isinstance(logs.get("loss"), float) and not math.isfinite(logs["loss"]):
            warnings.warn(
                f"The loss on this data is {logs['loss']}: values overflowed {floatx()}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        return _batch_result(self, logs, return_dict)

    def _evaluate_arrays(self, iterator, metrics, callback_list=None):
        """Loss and metrics over one pass of ``iterator``'s batches."""
        for m in metrics:
            m.reset()
        for m in custom_steps.trackers(self, metrics):  # Keras resets them all
            m.reset_state()
        if type(self).test_step is not Trainer.test_step:
            return self._evaluate_custom(iterator, metrics, callback_list)
        graph = self._infer_graph
        regularized = any(leaf.regularizers for leaf in self._leaf_layers())
        hooks = callback_list is not None and callback_list.wants_test_batch_hooks
        if self._grads_and_vars is None:
            self._training_setup()  # the output heads, and the penalties
        logs = self._evaluate_batches(iterator, metrics, callback_list, hooks, graph,
                                      regularized)
        self.clear_cache()
        return logs

    def _evaluate_custom(self, iterator, metrics, callback_list):
        """A subclass's ``test_step`` per batch; its last returned dict is the result."""
        hooks = callback_list is not None and callback_list.wants_test_batch_hooks
        saved = (getattr(self, "_step_metrics", None), getattr(self, "_loss_sums", None),
                 getattr(self, "_loss_seen", 0))
        self._step_metrics, self._loss_sums = metrics, None
        logs = {}
        try:
            for step, _, (xb, yb, wb) in iterator.enumerate_epoch():
                if hooks:
                    callback_list.on_test_batch_begin(step)
                logs = custom_steps.plain_logs(
                    self.test_step(custom_steps.data_for_step(xb, yb, wb)))
                if hooks:
                    callback_list.on_test_batch_end(step, dict(logs))
        finally:
            self._step_metrics, self._loss_sums, self._loss_seen = saved
        self.clear_cache()
        return logs

    def _evaluate_batches(self, iterator, metrics, callback_list, hooks, graph, regularized):
        sums, seen = None, 0
        heads = self._heads.of(graph)
        for step, k, (xb, yb, wb) in iterator.enumerate_epoch():
            if hooks:
                callback_list.on_test_batch_begin(step)
            outs, logits = heads.forward(xb, training=False)
            masked = masks.masked_weights(graph, wb or [None] * len(outs)) \
                if graph._masked else wb  # the loss skips the padded steps, as Keras's
            values = self._loss_values(yb, outs, masked, logits, heads)
            if regularized or graph._activity:
                values = [values[0] + self._penalty(graph), *values[1:]]
            sums = [v * k for v in values] if sums is None else \
                [s + v * k for s, v in zip(sums, values)]
            seen += k
            if graph._masked:
                masks.update_metrics(metrics, yb, outs, wb, graph)
            else:
                update_metrics(metrics, yb, outs, wb)
            if hooks:
                batch_logs = self._loss_logs([s / seen for s in sums])
                for m in metrics:
                    batch_logs[m.name] = custom_steps.result_of(m)
                callback_list.on_test_batch_end(step, batch_logs)
        logs = self._loss_logs([s / seen for s in sums])
        for m in metrics:
            logs[m.name] = custom_steps.result_of(m)
        return logs

    def _loss_values(self, ys, outs, ws, logits=None, heads=None):
        """[total, per-output losses...] (just [loss] for one output), through the heads."""
        heads = self._heads if heads is None else heads
        if not self._compile_loss.has_loss:  # add_loss terms alone: added by the caller
            return compile_utils.no_output_loss(self, heads.graph, outs)[0]
        values = [heads[i].forward(y, out, None if logits is None else logits[i], w)
                  for i, (y, out, w) in enumerate(zip(ys, outs, ws))]
        if len(outs) == 1:
            return [values[0] * self._loss_weights[0]]
        return [sum(w * v for w, v in zip(self._loss_weights, values)), *values]

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Returns the model's outputs for ``x``, computed batch by batch.

        Memory stays bounded by one batch of activations, and nothing is kept
        for a backward pass.

        Args:
            x: inputs, as in ``fit``.
            batch_size: samples per forward pass (32 by default).
            verbose: 0 (the default: quiet, see "Coming from Keras") or 1/2
                for a progress bar with the sample count.
            steps: predict only the first ``steps`` batches (all by default).
            callbacks: callbacks whose ``on_predict_*`` hooks run, batch
                hooks included (``logs["outputs"]`` holds the batch's outputs).

        Returns:
            Array ``(samples, *outputs)`` in ``floatx()``; a list (or dict) of
            arrays for a model with several outputs.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> model.predict(x, batch_size=50).shape
            (100, 1)
        """
        source = get_data_adapter(x, batch_size=batch_size, prepare=self._prepare_x,
                                  mode="predict")
        batch_size = _batch_size(batch_size)
        verbose = _check_verbose(verbose)
        if source is not None:
            source.first_data  # builds an unbuilt model
            n, iterator = None, EpochIterator(source, None, steps)  # n: unknown, outputs grow
        else:
            xs = self._prepare_x(x, lazy=True)  # cast batch by batch: no whole float copy
            xs = _first_batches((xs,), steps, batch_size, "steps")[0]
            n = len(xs[0])
            iterator = EpochIterator(ArrayDataAdapter(xs, [], [], cast_x=True), batch_size)
        cbs = list(callbacks or []) + ([ProgressBar(verbose=verbose)] if verbose else [])
        callback_list = CallbackList(cbs, model=self, params={
            "steps": iterator.num_batches, "samples": n, "verbose": verbose,
            "batch_size": batch_size})
        hooks = callback_list.wants_predict_batch_hooks
        results = None
        graph = self._infer_graph
        custom = type(self).predict_step is not Trainer.predict_step
        callback_list.on_predict_begin()
        with iterator, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            start = 0
            for step, k, (xb, _, _) in iterator.enumerate_epoch():
                if hooks:
                    callback_list.on_predict_batch_begin(step)
                if custom:
                    outs = as_list(self.predict_step(xb[0] if len(xb) == 1 else xb),
                                   len(results or graph.outputs))
                else:
                    outs = graph.forward(xb, training=False)
                if n is None:  # a source of unknown length: the arrays grow as needed
                    results = reserve_outputs(results, outs, start)
                elif results is None:
                    results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
                for r, o in zip(results, outs):
                    r[start:start + len(o)] = o
                if hooks:
                    batch = [r[start:start + len(outs[0])] for r in results]
                    callback_list.on_predict_batch_end(
                        step, {"outputs": batch[0] if len(batch) == 1 else batch})
                start += k
        if n is None:
            results = [r[:start] for r in results]
        self.clear_cache()
        callback_list.on_predict_end()
        if not all(np.isfinite(r).all() for r in results):
            warnings.warn(
                f"Some predictions are NaN or infinite: values overflowed {results[0].dtype}. "
                "Rescale the inputs (for example to [0, 1]) or check the weights.",
                stacklevel=2,
            )
        return self._pack_outputs(results)

    def __call__(self, inputs, training=False, **kwargs):
        from kerasite.layers.symbolic import is_symbolic

        if is_symbolic(inputs):
            return self._call_symbolic(inputs)
        if isinstance(inputs, (list, tuple)) and self.built and not self._single_input:
            out = self.forward(self._prepare_x(inputs), bool(training))
        else:
            out = self.forward(_inputs.as_array(inputs, "inputs"), bool(training))
        return utils.EagerArray.wrap(out)  # an array with .numpy(), as tf's eager tensors

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """Takes one gradient step on one batch.

        As in Keras 3, the metrics cover this batch only.

        Args:
            x: inputs, ``(batch, *features)`` (or a list/dict for several).
            y: targets, as in ``fit`` (omitted for an autoencoder).
            sample_weight: weights ``(batch,)``, as in ``fit``.
            class_weight: dict class index -> weight, as in ``fit``.
            return_dict: return ``{"loss": ..., metric: ...}`` instead.

        Returns:
            The batch's loss, or ``[loss, *metrics]`` when metrics were
            compiled, or a dict if ``return_dict``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> loss, mae = model.train_on_batch(x[:32], y[:32])
            >>> sorted(model.train_on_batch(x[:32], y[:32], return_dict=True))
            ['loss', 'mae']
        """
        self._require_compiled("train_on_batch")
        self._require_loss(False)
        xs, ys, ws = self._prepare_data(x, y, sample_weight, class_weight)
        if self._grads_and_vars is None:
            self._training_setup()
        metrics = self._make_metrics(ys)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values, outs = self._train_step(xs, ys, ws)
        update_metrics(metrics, ys, outs, ws)
        logs = self._loss_logs(values)
        logs.update((m.name, custom_steps.result_of(m)) for m in metrics)
        return _batch_result(self, logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) on one batch, without updating anything.

        Args:
            x: inputs, ``(batch, *features)`` (or a list/dict for several).
            y: targets, as in ``fit`` (omitted for an autoencoder).
            sample_weight: weights ``(batch,)``, as in ``evaluate``.
            return_dict: return ``{"loss": ..., metric: ...}`` instead.

        Returns:
            The loss, or ``[loss, *metrics]`` when metrics were compiled, or a
            dict if ``return_dict``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> loss, mae = model.test_on_batch(x[:32], y[:32])
        """
        self._require_compiled("test_on_batch")
        custom = type(self).test_step is not Trainer.test_step
        self._require_loss(custom)
        data = self._prepare_data(x, y, sample_weight, custom=custom)
        iterator = EpochIterator(ArrayDataAdapter(*data), len(data[0][0]))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = self._evaluate_arrays(iterator, self._make_metrics(data[1]))
        return _batch_result(self, logs, return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, in one forward pass (dropout off).

        Args:
            x: inputs, ``(batch, *features)`` (or a list/dict for several).

        Returns:
            A plain array ``(batch, *outputs)`` (a list or dict of arrays for
            several outputs), as ``predict`` returns.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> model.predict_on_batch(x[:8]).shape
            (8, 1)
        """
        xs = self._prepare_x(x)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            outs = self._infer_graph.forward(xs, training=False)
        outs = [np.array(o) for o in outs]  # the graph's buffers are reused by the next call
        self.clear_cache()
        return self._pack_outputs(outs)

    # ========================================================== compile config
    def get_compile_config(self):
        """The compile settings as a JSON-safe dict, or ``None`` before ``compile``.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> config = model.get_compile_config()
            >>> config["optimizer"]["class_name"], config["metrics"]
            ('Adam', ['mae'])
        """
        if not self.compiled:
            return None
        if self.built and getattr(self, "_losses", None) is None:
            self._resolve_compile()
        return compile_utils.get_compile_config(self.optimizer, self._compile_loss,
                                                self._compile_metrics)

    # ================================================================= saving
    def save(self, filepath):
        """Saves the architecture, weights, compile settings and training state.

        The file (``.kerasite``, a zip of JSON and ``.npz`` archives) is written
        atomically: a crash mid-save leaves any previous file intact. Reload it
        with ``kerasite.models.load_model``; see ``kerasite.saving.save_model``.

        Args:
            filepath: a path ending in ``.kerasite``; ``.keras`` or ``.h5`` write
                Keras's formats instead (see ``kerasite.saving.keras``).

        Raises:
            ValueError: for another extension.
            OSError: if the file cannot be written (a previous file is kept).

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> model.save(os.path.join(folder, "model.kerasite"))
            >>> import kerasite
            >>> restored = kerasite.models.load_model(os.path.join(folder, "model.kerasite"))
            >>> bool(np.allclose(restored.predict(x), model.predict(x)))
            True
        """
        from kerasite import saving

        saving.save_model(self, filepath)

    def save_weights(self, filepath):
        """Saves only the weights, atomically; reload with ``load_weights``.

        Args:
            filepath: a path ending in ``.weights.npz``, or ``.weights.h5`` for
                Keras 3's layout.

        Raises:
            ValueError: for another extension, or before the model is built.
            OSError: if the file cannot be written (a previous file is kept).

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> model.save_weights(os.path.join(folder, "model.weights.npz"))
            >>> sorted(os.listdir(folder))
            ['model.weights.npz']
        """
        from kerasite import saving

        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Loads weights saved by ``save_weights`` (or ``save``) into this model.

        Args:
            filepath: a ``.weights.npz`` or ``.kerasite`` file, or a Keras 3
                ``.weights.h5`` file.

        Raises:
            OSError: if the file is missing, truncated or corrupted.
            ValueError: if a weight is missing, extra or misshapen; the model
                is then left unchanged.

        Example:
            >>> import numpy as np
            >>> from kerasite import Sequential, Input, layers
            >>> x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
            >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
            >>> model = Sequential([Input((3,)), layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> model.save_weights(os.path.join(folder, "model.weights.npz"))
            >>> twin = Sequential([Input((3,)), layers.Dense(1)])
            >>> twin.load_weights(os.path.join(folder, "model.weights.npz"))
            >>> bool(np.array_equal(twin.predict(x), model.predict(x)))
            True
        """
        from kerasite import saving

        saving.load_weights(self, filepath)


# ===================================================================== helpers
def _check_verbose(verbose):
    """0, 1 or 2; Keras's ``"auto"`` (its default) means 1."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}.")
    return int(verbose)


def _batch_size(value, name="batch_size", default=32):
    return default if value is None else _inputs.check_positive_int(value, name)


def _batch_result(model, logs, return_dict):
    """``logs`` as ``evaluate`` and the ``*_on_batch`` methods return them.

    The list is in Keras 3's order, so ``loss, acc = model.evaluate(...)``
    reads the same numbers in both libraries: the names ``model.metrics``
    leads with (the loss; a single output's compiled metrics in the order
    they were compiled; then the trackers), with each output's loss after the
    total; every other entry follows, sorted by name. On a model with several
    outputs the compiled metrics are among those sorted (``cls_accuracy``
    before ``reg_mae``), as Keras sorts them.
    """
    if return_dict:
        return dict(logs)
    outputs = list(getattr(model, "output_names", None) or [])
    compiled = getattr(model, "_compile_metrics", None)
    compiled_ids = {id(m) for m in compiled.metrics} if compiled is not None else set()
    leading = ["loss"] + [f"{name}_loss" for name in outputs if len(outputs) > 1]
    leading += [m.name for m in model.metrics
                if len(outputs) <= 1 or id(m) not in compiled_ids]
    order = [name for name in dict.fromkeys(leading) if name in logs]
    order += sorted(name for name in logs if name not in order)
    values = [logs[name] for name in order]
    return values[0] if len(values) == 1 else values
