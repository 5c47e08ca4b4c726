"""The adaptive thread policy: ``fit``, ``evaluate`` and ``predict`` time their batches.

BLAS starts one thread per core. On a quiet machine that is the fastest; when
other processes hold cores, BLAS's threads wait for each other and one thread
is faster, often several times. Which one wins changes as the neighbours come
and go, so the batch loops measure it:

* a probe runs a few batches at 1 thread and at all of them, interleaved
  (``all, 1, all, 1, ...``: the count in use first), and keeps the count
  whose median batch time is lower. The count in use is replaced only when
  the other is faster by more than ``margin`` (10%), so that noise does not
  make it flap. A batch at the other count that takes 1.5 times as long as
  those at the count in use, or less than 1/1.5 of it, ends the probe at once;
* a probe runs at the start of every epoch (a short one: 2 batches at each
  count) and again after ``recheck_seconds`` of batches; each probe that keeps
  the count doubles that wait, up to ``max_recheck_seconds``; a switch resets it.
  A probe that kept the count also waits until the time it lost at the
  slower count is at most 2% of the time since (``budget``), so that a count
  many times slower is tried rarely. A new ``fit``, ``evaluate`` or
  ``predict`` starts from the last one's choice;
* per batch it costs two ``time.perf_counter`` calls and a few comparisons;
  the thread count is set (a call into BLAS) only when it changes;
* outside the batch loops BLAS keeps its own count: each pass gives it back
  at its end.

The policy is on unless the user fixed the count: ``config.set_num_threads(n)``
(``"adaptive"`` turns it back on), one of ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``BLIS_NUM_THREADS`` in the
environment, or ``KERASITE_THREADS=<n>`` / ``KERASITE_THREADS=auto``
(``KERASITE_THREADS=adaptive`` keeps it on whatever the BLAS variables say).
Without threadpoolctl there is no way to change BLAS's count from Python and
the policy is off.

``AdaptiveThreads`` is the decision alone (it is handed batch times and the
clock, and answers which count to use); ``Pacer`` runs it around the batches
of one ``EpochIterator``.
"""

import os
import statistics
import sys
import time

from kerasite.backend import threads

# Environment variables with which BLAS libraries take a fixed thread count.
FIXING_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS")
ENV_VARIABLE = "KERASITE_THREADS"

# The BLAS libraries' controllers and their starting count, found once; the
# count applied now (None: BLAS's own); the last pass's description for the log.
_BLAS = {"controllers": None, "modules": 0, "most": None}
# The policy of the last pass that ended, which a new iterator's starts from.
_STATE = {"applied": None, "note": None, "last": None}


class AdaptiveThreads:
    """Chooses between 1 thread and ``most`` from the times of the batches.

    Call ``count()`` before each batch, run the batch with that many threads,
    and hand its time to ``record``; ``epoch_begin`` at the start of each
    pass. It keeps no clock of its own: it is given the time now.

    A probe runs the count in use and the other one in turn. It stops early
    when a batch at the other count takes ``give_up`` times the median at
    the count in use, or less than its ``1 / give_up`` (no need to finish:
    the answer is clear). The time a
    probe loses at the slower count sets how soon the next may run: at most
    ``budget`` of the training time goes to probing, so when one count is
    far slower (a busy machine) the probes space out.

    Args:
        most: all the threads (BLAS's own count); with 1 there is nothing to
            choose and no probe runs.
        probe_pairs: batches at each count in the first probe.
        recheck_pairs: batches at each count in later probes.
        margin: how much faster (a fraction) the other count must be to
            replace the one in use.
        give_up: the ratio to the count in use at which a batch at the other
            count ends the probe.
        budget: the largest share of the time that probes may lose.
        recheck_seconds: seconds of batches between the probes within an
            epoch, at first.
        max_recheck_seconds: the longest that wait grows to.
        warmup: batches not timed at the very start (buffers being made).

    Example:
        >>> policy = AdaptiveThreads(most=2)
        >>> policy.epoch_begin(now=0.0)
        >>> now = 0.0
        >>> for _ in range(8):  # a machine where 1 thread takes 1 s, 2 threads 3 s
        ...     seconds = 1.0 if policy.count() == 1 else 3.0
        ...     now += seconds
        ...     policy.record(seconds, now)
        >>> policy.choice
        1
    """

    def __init__(self, most, probe_pairs=3, recheck_pairs=2, margin=0.1, give_up=1.5,
                 budget=0.02, recheck_seconds=5.0, max_recheck_seconds=80.0, warmup=1):
        self.most = int(most)
        self.choice = self.most
        self.probe_pairs = probe_pairs
        self.recheck_pairs = recheck_pairs
        self.margin = margin
        self.give_up = give_up
        self.budget = budget
        self.recheck_seconds = recheck_seconds
        self.max_recheck_seconds = max_recheck_seconds
        self.probes = 0  # probes completed
        self.switches = 0  # probes that changed the count
        self.last_medians = None  # {count: median seconds} of the last probe
        self._warmup = warmup
        self._interval = recheck_seconds
        self._earliest = float("-inf")  # clock time before which no epoch starts a probe
        self._next_check = None  # clock time of the next probe within an epoch
        self._plan = []  # the counts of the probe's batches still to run
        self._samples = {}

    @property
    def probing(self):
        return bool(self._plan)

    def follow(self, other):
        """Starts from ``other``'s choice and waits (a new ``fit`` after an earlier one).

        Its first probe is then a short one, as at any later epoch.
        """
        if other is not None and other.most == self.most:
            self.choice, self.probes = other.choice, max(other.probes, self.probes)
            self._interval, self._earliest = other._interval, other._earliest
            self._next_check = other._next_check

    def epoch_begin(self, now):
        """Starts a probe, unless one is under way or the last lost too much too recently."""
        if not self._plan and now >= self._earliest:
            self._start_probe(self.probe_pairs if self.probes == 0 else self.recheck_pairs)

    def count(self):
        """The thread count for the next batch."""
        return self._plan[0] if self._plan else self.choice

    def record(self, seconds, now):
        """Takes the time of the batch just run at ``count()`` threads; ``now``: the clock."""
        if self._warmup:
            self._warmup -= 1
            return
        if self._plan:
            n = self._plan.pop(0)
            self._samples[n].append(seconds)
            in_use = self._samples[self.choice]
            if n != self.choice and in_use:
                ratio = seconds / max(statistics.median(in_use), 1e-12)
                if ratio > self.give_up or ratio * self.give_up < 1.0:
                    self._plan = []  # clearly slower or faster: the probe has its answer
            if not self._plan:
                self._decide(now)
        elif self._next_check is None:
            self._next_check = now + self._interval
        elif now >= self._next_check:
            self._start_probe(self.recheck_pairs)

    def _other(self):
        return 1 if self.choice == self.most else self.most

    def _start_probe(self, pairs):
        if self.most <= 1:
            return
        other = self._other()
        # Interleaved, so both meet the same load; the count in use first, to compare with.
        self._plan = [self.choice, other] * pairs
        self._samples = {self.choice: [], other: []}

    def _decide(self, now):
        other = self._other()
        medians = {n: statistics.median(times) for n, times in self._samples.items()}
        self.last_medians = medians
        self.probes += 1
        lost = 0.0
        if medians[other] < medians[self.choice] * (1.0 - self.margin):
            self.choice = other
            self.switches += 1
            self._interval = self.recheck_seconds
        else:
            self._interval = min(2.0 * self._interval, self.max_recheck_seconds)
            lost = sum(max(0.0, t - medians[self.choice]) for t in self._samples[other])
        wait = lost / self.budget  # the probes lose at most `budget` of the time
        self._earliest = now + wait
        self._next_check = now + max(self._interval, wait)


# ===================================================================== the mode
def parse_env(value):
    """Reads ``KERASITE_THREADS``: ``"adaptive"``, ``"auto"`` or a positive integer.

    Args:
        value: the variable's text.

    Returns:
        ``"adaptive"``, ``"auto"`` or an int.

    Raises:
        ValueError: for any other text.

    Example:
        >>> parse_env(" 2 "), parse_env("Adaptive")
        (2, 'adaptive')
    """
    text = value.strip().lower()
    if text in ("adaptive", "auto"):
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(
        f"`{ENV_VARIABLE}` must be 'adaptive', 'auto' or a positive integer. "
        f"Received: {ENV_VARIABLE}={value!r}. Set it to 'adaptive' (the default: fit, "
        "evaluate and predict choose), 'auto' (the free cores) or a count such as 1, "
        "or unset it."
    )


def mode():
    """``"adaptive"``, ``"fixed"`` or ``"off"`` (no threadpoolctl); reads the environment once.

    Raises:
        ValueError: if ``KERASITE_THREADS`` holds something else than
            ``adaptive``, ``auto`` or a positive integer.
    """
    policy = threads._POLICY
    if policy["mode"] is None:
        try:
            import threadpoolctl  # noqa: F401
        except ImportError:
            policy["mode"] = "off"
            return "off"
        value = os.environ.get(ENV_VARIABLE)
        setting = parse_env(value) if value is not None else None
        if setting == "adaptive":
            policy["mode"] = "adaptive"
        elif setting is not None:
            threads.set_num_threads(setting)  # "auto" or a count: fixed from now on
        elif any(os.environ.get(v) for v in FIXING_VARIABLES):
            variable = next(v for v in FIXING_VARIABLES if os.environ.get(v))
            count = os.environ[variable].strip()
            policy.update(mode="fixed", count=int(count) if count.isdigit() else count)
        else:
            policy["mode"] = "adaptive"
    return policy["mode"]


def note():
    """What the last batch loop did with the threads, for the log: ``"threads 1 (adaptive)"``."""
    current = mode()
    if current == "fixed":
        return f"threads {threads._POLICY['count']} (fixed)"
    if current == "off":
        return "threads: BLAS's own (no threadpoolctl)"
    return _STATE["note"]


# ============================================================ the thread count
def _controllers():
    """BLAS's thread controllers, found again after new imports (which may load another BLAS).

    The starting count is read at the first search, before any change.
    """
    if _BLAS["controllers"] is None or _BLAS["modules"] != len(sys.modules):
        import threadpoolctl

        blas = threadpoolctl.ThreadpoolController().select(user_api="blas")
        _BLAS["controllers"] = list(blas.lib_controllers)
        _BLAS["modules"] = len(sys.modules)
        if _BLAS["most"] is None:
            _BLAS["most"] = max((c.num_threads for c in _BLAS["controllers"]), default=1)
    return _BLAS["controllers"]


def most_threads():
    """BLAS's own thread count (all cores, unless its environment said otherwise)."""
    _controllers()
    return _BLAS["most"]


def _apply(n):
    """Sets BLAS's threads (and numba's, when the twins are loaded) to ``n``; cheap."""
    for controller in _controllers():
        controller.set_num_threads(n)
    if "kerasite.backend.numba_kernels" in sys.modules:
        import numba

        numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    _STATE["applied"] = n


class Pacer:
    """Runs the policy around one ``EpochIterator``'s batches.

    Each pass calls ``begin()``; when it returns True, ``before(k)`` and
    ``after()`` go around each batch of ``k`` samples, and ``end()`` comes
    last. Only full batches (the size of the pass's first) are timed.
    """

    def __init__(self):
        self.policy = None
        self._full = None
        self._k = None
        self._t0 = 0.0

    def begin(self):
        """At a pass's start; True when the policy is on for it."""
        if mode() != "adaptive":
            return False
        if self.policy is None:
            self.policy = AdaptiveThreads(most_threads())
            self.policy.follow(_STATE["last"])  # what the last fit, evaluate or predict found
        self.policy.epoch_begin(time.perf_counter())
        self._full = None
        _STATE["applied"] = None  # unknown (a set_num_threads since?): set at the first batch
        return True

    def before(self, k):
        """Before a batch of ``k`` samples: sets the count it runs at, starts its clock."""
        if self._full is None:
            self._full = k
        self._k = k
        n = self.policy.count()
        if n != _STATE["applied"] and threads._POLICY["mode"] == "adaptive":
            _apply(n)
        self._t0 = time.perf_counter()

    def after(self):
        """After the batch: hands its time to the policy."""
        now = time.perf_counter()
        if self._k == self._full:
            self.policy.record(now - self._t0, now)

    def end(self):
        """At the pass's end: BLAS gets its own count back; the log's note is kept."""
        policy = _STATE["last"] = self.policy
        _STATE["note"] = f"threads {policy.choice} (adaptive{', probing' if policy.probing else ''})"
        if threads._POLICY["mode"] == "adaptive" and _STATE["applied"] not in (None, policy.most):
            _apply(policy.most)
