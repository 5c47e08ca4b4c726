"""The batches of each epoch: their order, shuffling and ``steps_per_epoch``.

``EpochIterator`` walks a ``DataAdapter``: by position when the adapter's
size is known (the arrays of ``ArrayDataAdapter``, sliced in order or
gathered in a shuffled order), else through the adapter's own batches (a
generator, an iterable of batches or a ``PyDataset``, see ``BatchAdapter``).

Used as a context manager around a loop over its batches, it stops the
adapter's workers when the loop ends, however it ends, and notes on an
exception which batch was in use.
"""

import warnings

import numpy as np

from kerasite import utils
from kerasite.backend import thread_policy
from kerasite.trainers.data_adapters.data_adapter import DataAdapter


class EpochIterator:
    """The batches of each epoch of ``fit``, or of one pass of ``evaluate``/``predict``.

    Args:
        adapter: the data, a ``DataAdapter``.
        batch_size: samples per batch; the last batch of a pass may be smaller.
        steps_per_epoch: batches per epoch, or None for one whole pass. As in
            Keras for arrays, the epochs then walk through the data in turn,
            each continuing where the previous one stopped; an epoch that
            reaches the end of the data stops there (with a warning when it
            had steps left), and the next starts a new, reshuffled pass.
        shuffle: False; True for a new order of the samples every pass; or
            ``"batch"``, as in Keras, to shuffle the rows inside each batch
            while the batches keep their order. A pass of one batch is never
            shuffled (the batch holds every sample either way).

    Attributes:
        num_batches: the batches of an epoch (``steps_per_epoch`` when given),
            or None when the adapter's size is unknown.

    Example:
        >>> import numpy as np
        >>> from kerasite.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
        >>> x = np.arange(5.0)[:, None]
        >>> it = EpochIterator(ArrayDataAdapter([x], [x], [None]), batch_size=2)
        >>> [(step, size) for step, size, _ in it.enumerate_epoch()]
        [(0, 2), (1, 2), (2, 1)]
    """

    def __init__(self, adapter, batch_size, steps_per_epoch=None, shuffle=False):
        self.adapter = adapter
        self.batch_size = batch_size
        self.steps_per_epoch = steps_per_epoch
        self.shuffle = shuffle
        self.batches_per_pass = adapter.num_batches(batch_size)
        self.num_batches = steps_per_epoch or self.batches_per_pass
        self._shuffles = bool(shuffle) and self.batches_per_pass != 1
        self._position = 0  # the next batch of the current pass (with steps_per_epoch)
        self._order = None
        self._source = None  # an unknown-size adapter's running batches
        self._in_use = None  # (epoch, step) of the batch in use, or being read when _reading
        self._reading = False  # inside the adapter, making that batch
        self._warned_empty = False
        self._on_epoch_end = None if type(adapter).on_epoch_end is DataAdapter.on_epoch_end \
            else adapter.on_epoch_end
        self._pacer = thread_policy.Pacer()

    def enumerate_epoch(self, epoch=0, seed=0):
        """Yields ``(step, batch size, (xs, ys, ws))`` for each batch of the epoch.

        Args:
            epoch: the epoch, counted from 0; with ``seed``, it fixes the order
                of a pass that starts in it.
            seed: the model's seed.
        """
        if self.adapter.num_samples is None:
            batches = self._enumerate_source(epoch, seed)
        elif self.steps_per_epoch is not None:
            batches = self._enumerate_steps(epoch, seed)
        else:
            batches = self._enumerate_pass(epoch, seed)
        pacer = self._pacer  # the adaptive thread policy: 1 or all BLAS threads per batch
        if not pacer.begin():
            yield from batches
            return
        try:
            for batch in batches:
                pacer.before(batch[1])
                yield batch
                pacer.after()
        finally:
            pacer.end()

    def _enumerate_pass(self, epoch, seed):
        """One pass over the data, in order or shuffled."""
        n = self.adapter.num_samples
        order = self._draw_order(epoch, seed) if self._shuffles else None
        get_batch, batch_size = self.adapter.get_batch, self.batch_size
        for step in range(self.batches_per_pass):
            start = step * batch_size
            stop = min(n, start + batch_size)
            yield step, stop - start, get_batch(start, stop, order)
        if self._on_epoch_end is not None:
            self._on_epoch_end()

    def _enumerate_steps(self, epoch, seed):
        """``steps_per_epoch`` batches, continuing the current pass (a new one at its end)."""
        position, per_pass = self._position, self.batches_per_pass
        if position == 0:
            self._order = self._draw_order(epoch, seed) if self._shuffles else None
        order, get_batch = self._order, self.adapter.get_batch
        n, batch_size = self.adapter.num_samples, self.batch_size
        for step in range(self.steps_per_epoch):
            if position == per_pass:  # Keras: the data ran out before steps_per_epoch
                warnings.warn(
                    f"The data ran out after {step} of steps_per_epoch={self.steps_per_epoch} "
                    f"batches in epoch {epoch + 1}: {self.adapter.num_samples} samples make "
                    f"{per_pass} batches of {self.batch_size}. The next epoch starts a new "
                    "pass over the data. Lower `steps_per_epoch` (or leave it None) to avoid "
                    "short epochs.",
                    stacklevel=5,  # point at the user's call to fit
                )
                break
            start = position * batch_size
            stop = min(n, start + batch_size)
            position += 1
            self._position = position
            yield step, stop - start, get_batch(start, stop, order)
        if position == per_pass:
            self._position = 0
            if self._on_epoch_end is not None:
                self._on_epoch_end()

    def _enumerate_source(self, epoch, seed):
        """The batches of an adapter of unknown size; ``steps_per_epoch`` may span passes."""
        steps = self.steps_per_epoch
        if self._source is None or steps is None:
            self._close_source()
            self._source = iter(self.adapter.iter_batches(epoch, seed))
        step = 0
        while steps is None or step < steps:
            self._in_use, self._reading = (epoch, step), True
            batch = next(self._source, None)
            self._reading = False
            if batch is None:  # the pass is over
                self._source = None
                if self._on_epoch_end is not None:
                    self._on_epoch_end()
                if steps is not None:
                    one_shot = getattr(self.adapter, "one_shot", False)
                    again = "The next epoch starts a new pass over the data"
                    if one_shot:
                        fitting = getattr(self.adapter, "mode", "fit") == "fit"
                        again = ("Training stops here" if fitting else "Nothing later reads "
                                 "it") + ": a generator cannot be read again"
                    self._warned_empty = one_shot
                    warnings.warn(
                        f"The data ran out after {step} of steps_per_epoch={steps} batches in "
                        f"epoch {epoch + 1}. {again}. "
                        "Make sure that the data can give at least `steps_per_epoch * epochs` "
                        "batches (an endless generator, for one).",
                        stacklevel=5,
                    )
                return
            yield step, len(batch[0][0]), batch
            step += 1

    def exhausted(self, epoch=0):
        """Whether a one-shot source (a generator) has no batch left; warns once, as Keras.

        ``fit`` asks before each epoch, and stops when it is so.
        """
        exhausted = getattr(self.adapter, "exhausted", None)
        if exhausted is None or not exhausted():
            return False
        if not self._warned_empty:
            self._warned_empty = True
            what = getattr(self.adapter, "what", "the data")
            stop = f"interrupting training before epoch {epoch + 1}: {what} was used up by " \
                "the epochs before" if getattr(self.adapter, "mode", "fit") == "fit" else \
                f"epoch {epoch + 1} and those after are not validated: {what} was used up " \
                "by the validation before"
            warnings.warn(
                f"Your input ran out of data; {stop}. A generator can be read only once: "
                "give an endless generator with `steps_per_epoch` (and `validation_steps`), or "
                "a PyDataset or a list of batches, which are read again every epoch.",
                stacklevel=4,  # point at the user's call to fit
            )
        return True

    def _close_source(self):
        source, self._source = self._source, None
        if source is not None and hasattr(source, "close"):
            source.close()

    def close(self):
        """Stops the adapter's workers, if any; the iterator may be used again afterwards."""
        self._close_source()
        close = getattr(self.adapter, "close", None)
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        self.close()
        # The adapter notes its own errors (naming the batch); others get the batch in use.
        if exc is not None and self._in_use is not None and self.adapter.num_samples is None \
                and not (self._reading and getattr(exc, "__notes__", None)):
            epoch, step = self._in_use
            during = f"batch {step} of epoch {epoch + 1}" if \
                getattr(self.adapter, "mode", "fit") == "fit" else f"batch {step}"
            what = getattr(self.adapter, "what", "the data")
            verb = "while reading" if self._reading else "during"
            exc.add_note(f"Raised {verb} {during} (counted from 0 within the epoch) from "
                         f"{what}.")
        return False

    def _draw_order(self, epoch, seed):
        """The order of the samples for a pass, drawn from ``(seed, epoch)`` only."""
        n = self.adapter.num_samples
        rng = utils.epoch_rng(seed, epoch)
        if self.shuffle == "batch":
            # Sorting (batch index + a uniform [0, 1) draw) keeps the batches in order
            # and shuffles the rows inside each.
            return np.argsort(np.arange(n) // self.batch_size + rng.random(n), kind="stable")
        return rng.permutation(n)


def check_validation_freq(freq):
    """Refuses a ``validation_freq`` that is neither a positive int nor a list of epochs."""
    ok = (isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1) or \
        (isinstance(freq, (list, tuple)) and all(
            isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in freq))
    if not ok:
        raise ValueError(
            "`validation_freq` must be a positive integer (validate every that many epochs) "
            f"or a list of 1-based epoch numbers. Received: validation_freq={freq!r}."
        )


def should_validate(epoch, freq):
    """Keras counts epochs from 1 here: validation_freq=2 validates after epochs 2, 4, ..."""
    if isinstance(freq, (list, tuple)):
        return epoch + 1 in freq
    return (epoch + 1) % freq == 0
