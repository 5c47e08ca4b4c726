"""The adaptive thread policy: its decisions on a fake clock, its switches, and a real fit.

The decision tests drive ``AdaptiveThreads`` with made-up batch times (a
"machine" that says how long a batch takes at each thread count), so they are
deterministic; the fit tests check that the policy changes the speed and not
the result, and that a count the user fixes turns it off.
"""

import importlib.util
import io
import sys

import numpy as np
import pytest

import kerasite
from kerasite import config, layers
from kerasite.backend import thread_policy, threads
from kerasite.backend.thread_policy import AdaptiveThreads, parse_env


def run(policy, machine, batches, now=0.0, epoch_every=None):
    """Runs ``batches`` batches on ``machine`` (count -> seconds, or a function of the step).

    Returns the clock at the end and the counts the batches ran at.
    """
    counts = []
    for step in range(batches):
        if epoch_every and step % epoch_every == 0:
            policy.epoch_begin(now)
        n = policy.count()
        seconds = machine(step, n) if callable(machine) else machine[n]
        now += seconds
        policy.record(seconds, now)
        counts.append(n)
    return now, counts


def started(policy, now=0.0):
    policy.epoch_begin(now)
    return policy


# ====================================================================== decisions
def test_one_thread_is_kept_when_its_batches_are_faster():
    # 2 threads 1.4 times slower: under the early stop, so the probe runs to its end.
    policy = started(AdaptiveThreads(most=2, warmup=0))
    _, counts = run(policy, {1: 0.010, 2: 0.014}, 20)
    assert counts[:6] == [2, 1, 2, 1, 2, 1]  # interleaved, the count in use first
    assert counts[6:] == [1] * 14
    assert policy.choice == 1 and policy.switches == 1
    assert policy.last_medians == {1: 0.010, 2: 0.014}


def test_all_threads_are_kept_when_their_batches_are_faster():
    policy = started(AdaptiveThreads(most=4, warmup=0))
    _, counts = run(policy, {1: 0.014, 4: 0.010}, 20)
    assert counts[:6] == [4, 1, 4, 1, 4, 1]
    assert counts[6:] == [4] * 14
    assert policy.choice == 4 and policy.switches == 0 and policy.probes == 1


def test_a_far_slower_count_ends_the_probe_at_its_first_batch():
    policy = started(AdaptiveThreads(most=2, warmup=0))
    _, counts = run(policy, {1: 0.030, 2: 0.010}, 10)  # 1 thread 3 times slower
    assert counts == [2, 1] + [2] * 8
    assert policy.choice == 2 and policy.probes == 1 and policy.last_medians == {1: 0.03, 2: 0.01}


def test_a_far_faster_count_is_taken_at_its_first_batch():
    policy = started(AdaptiveThreads(most=2, warmup=0))
    _, counts = run(policy, {1: 0.010, 2: 0.050}, 10)  # a busy machine: 2 threads 5 times slower
    assert counts == [2, 1] + [1] * 8
    assert policy.choice == 1 and policy.switches == 1


def test_the_medians_ignore_one_slow_batch():
    # The second batch at 1 thread is hit by a neighbour's burst: the median ignores it.
    times = iter([0.020, 0.012, 0.020, 0.050, 0.020, 0.012])
    policy = started(AdaptiveThreads(most=2, warmup=0, give_up=10.0))
    run(policy, lambda step, n: next(times), 6)
    assert policy.choice == 1 and policy.last_medians == {2: 0.020, 1: 0.012}


def test_the_warmup_batch_is_not_timed():
    first = [True]

    def machine(step, n):  # the very first batch makes the buffers: 100 times slower
        slow, first[0] = first[0], False
        return (0.010 if n == 1 else 0.012) * (100 if slow else 1)

    policy = started(AdaptiveThreads(most=2))  # warmup=1, the default
    _, counts = run(policy, machine, 8)
    assert counts[:7] == [2, 2, 1, 2, 1, 2, 1]  # the first 2 is the warm-up, then the probe
    assert policy.choice == 1 and policy.last_medians == {1: 0.010, 2: 0.012}


def test_a_neighbour_arriving_is_seen_at_the_next_check():
    policy = started(AdaptiveThreads(most=2, warmup=0, recheck_seconds=1.0))
    now, _ = run(policy, {1: 0.02, 2: 0.01}, 50)  # quiet: 2 threads
    assert policy.choice == 2
    # A busy neighbour: 2 threads now take 5 times as long as 1. Within one
    # wait (the first probe kept the count, so 2 s) plus a probe, 1 is chosen.
    now, counts = run(policy, {1: 0.02, 2: 0.10}, 150, now)
    assert policy.choice == 1 and policy.switches == 1
    assert counts[-20:] == [1] * 20


def test_every_epoch_starts_with_a_short_probe():
    # (budget=1: the time lost does not delay the probes.)
    policy = AdaptiveThreads(most=2, warmup=0, recheck_seconds=1e9, give_up=10.0, budget=1.0)
    _, counts = run(policy, {1: 0.011, 2: 0.010}, 30, epoch_every=10)
    assert counts[:10] == [2, 1, 2, 1, 2, 1, 2, 2, 2, 2]  # the first probe: 3 pairs
    assert counts[10:20] == [2, 1, 2, 1] + [2] * 6  # later ones: 2 pairs
    assert counts[20:] == [2, 1, 2, 1] + [2] * 6
    assert policy.probes == 3 and policy.switches == 0


def test_probes_of_a_far_slower_count_space_out_to_the_budget():
    # 1 thread 11 times slower: each probe loses 0.1 s; at a 2% budget the
    # next may start 5 s later, so most epochs (0.1 s each) run without one.
    policy = AdaptiveThreads(most=2, warmup=0, recheck_seconds=1e9)
    _, counts = run(policy, {1: 0.11, 2: 0.01}, 1000, epoch_every=10)
    assert policy.choice == 2 and policy.switches == 0
    assert counts.count(1) == policy.probes
    lost = counts.count(1) * 0.10
    assert lost / (lost + 1000 * 0.01) <= 0.02 + 0.01


def test_a_probe_longer_than_an_epoch_goes_on_in_the_next():
    policy = AdaptiveThreads(most=2, warmup=0)
    _, counts = run(policy, {1: 0.010, 2: 0.012}, 8, epoch_every=4)
    assert counts == [2, 1, 2, 1, 2, 1, 1, 1]  # one probe of 3 pairs, over two epochs
    assert policy.probes == 1 and policy.choice == 1


def test_a_small_difference_does_not_switch():
    # 1 thread 5% faster: inside the 10% margin, so the count in use stays.
    policy = started(AdaptiveThreads(most=2, warmup=0, recheck_seconds=0.1))
    run(policy, {1: 0.0095, 2: 0.0100}, 500)
    assert policy.choice == 2 and policy.switches == 0 and policy.probes > 2


def test_noise_around_a_tie_does_not_make_it_flap():
    # Both counts equally fast, with +-4% noise from batch to batch.
    rng = np.random.default_rng(0)
    policy = started(AdaptiveThreads(most=2, warmup=0, recheck_seconds=0.05,
                                     max_recheck_seconds=0.05))
    run(policy, lambda step, n: 0.01 * (1 + rng.uniform(-0.04, 0.04)), 3000)
    assert policy.probes > 50 and policy.switches == 0


def test_the_wait_doubles_while_the_count_holds_and_resets_on_a_switch():
    policy = started(AdaptiveThreads(most=2, warmup=0, recheck_seconds=1.0,
                                     max_recheck_seconds=4.0))
    run(policy, {1: 0.012, 2: 0.01}, 6)
    assert policy._interval == 2.0
    policy._start_probe(2)
    run(policy, {1: 0.012, 2: 0.01}, 4)
    assert policy._interval == 4.0
    policy._start_probe(2)
    run(policy, {1: 0.012, 2: 0.01}, 4)
    assert policy._interval == 4.0  # the longest wait
    policy._start_probe(2)
    now, _ = run(policy, {1: 0.01, 2: 0.05}, 2, now=100.0)  # switched at its first batch at 1
    assert policy.choice == 1 and policy._interval == 1.0 and policy._next_check == now + 1.0


def test_a_new_fit_starts_from_the_last_choice_with_a_short_probe():
    earlier = started(AdaptiveThreads(most=2, warmup=0))
    now, _ = run(earlier, {1: 0.010, 2: 0.012}, 10)
    policy = AdaptiveThreads(most=2, warmup=0)
    policy.follow(earlier)
    _, counts = run(policy, {1: 0.010, 2: 0.012}, 8, now=now + 1.0, epoch_every=8)
    assert counts == [1, 2, 1, 2, 1, 1, 1, 1]  # 2 pairs, the count in use first
    assert policy.choice == 1 and policy.switches == 0


def test_one_core_has_nothing_to_choose():
    policy = AdaptiveThreads(most=1, warmup=0)
    _, counts = run(policy, {1: 0.01}, 20, epoch_every=5)
    assert counts == [1] * 20 and policy.probes == 0


# ============================================================= the environment
@pytest.mark.parametrize("text, expected", [
    ("adaptive", "adaptive"), (" Adaptive ", "adaptive"), ("auto", "auto"), ("AUTO", "auto"),
    ("1", 1), ("12", 12),
])
def test_kerasite_threads_is_read(text, expected):
    assert parse_env(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "two", "", "fixed"])
def test_a_bad_kerasite_threads_is_refused(text):
    with pytest.raises(ValueError, match=r"`KERASITE_THREADS` must be 'adaptive', 'auto' or a "
                                         r"positive integer\. Received: KERASITE_THREADS="):
        parse_env(text)


HAS_THREADPOOLCTL = importlib.util.find_spec("threadpoolctl") is not None
needs_threadpoolctl = pytest.mark.skipif(not HAS_THREADPOOLCTL, reason="needs threadpoolctl")


@pytest.fixture(autouse=True)
def fresh_policy(monkeypatch):
    """Each test starts as a new process would: policy unresolved, no fixing variables."""
    for variable in (*thread_policy.FIXING_VARIABLES, thread_policy.ENV_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    saved = dict(threads._POLICY)
    monkeypatch.setitem(thread_policy._STATE, "last", None)  # no earlier fit to start from
    if HAS_THREADPOOLCTL:
        config.set_num_threads("adaptive")  # BLAS's own count, no limiter
    threads._POLICY.update(mode=None, count=None)
    yield
    if HAS_THREADPOOLCTL:
        config.set_num_threads("adaptive")
    threads._POLICY.update(saved)


@needs_threadpoolctl
def test_the_policy_is_on_by_default():
    assert thread_policy.mode() == "adaptive"


@needs_threadpoolctl
def test_a_blas_variable_fixes_the_count(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert thread_policy.mode() == "fixed"
    assert thread_policy.note() == "threads 1 (fixed)"


@needs_threadpoolctl
def test_kerasite_threads_adaptive_wins_over_a_blas_variable(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("KERASITE_THREADS", "adaptive")
    assert thread_policy.mode() == "adaptive"


@needs_threadpoolctl
def test_kerasite_threads_with_a_count_sets_it(monkeypatch):
    monkeypatch.setenv("KERASITE_THREADS", "1")
    assert thread_policy.mode() == "fixed"
    assert config.get_num_threads() == 1 and threads._POLICY["count"] == 1


@needs_threadpoolctl
def test_a_bad_kerasite_threads_stops_fit_with_the_message(monkeypatch):
    monkeypatch.setenv("KERASITE_THREADS", "many")
    model, x, y = model_and_data()
    with pytest.raises(ValueError, match=r"Received: KERASITE_THREADS='many'"):
        model.fit(x, y, epochs=1, verbose=0)


def test_without_threadpoolctl_the_policy_is_off_and_fit_runs(monkeypatch, recwarn):
    with monkeypatch.context() as patch:  # undone before the fixture's clean-up
        patch.setitem(sys.modules, "threadpoolctl", None)
        assert thread_policy.mode() == "off"
        model, x, y = model_and_data()
        model.fit(x, y, epochs=1, verbose=0)
        assert not [w for w in recwarn if "thread" in str(w.message).lower()]  # nothing said
        assert thread_policy.note() == "threads: BLAS's own (no threadpoolctl)"


# ==================================================================== real fits
def model_and_data(seed=0):
    kerasite.utils.set_random_seed(seed)
    model = kerasite.Sequential([layers.Input((32,)), layers.Dense(64, activation="relu"),
                                 layers.Dense(8)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(640, 32)).astype("float32")
    y = rng.normal(size=(640, 8)).astype("float32")
    return model, x, y


class CountsSeen(kerasite.callbacks.Callback):
    """Records BLAS's thread count during every training batch."""

    def __init__(self):
        super().__init__()
        self.counts = []

    def on_train_batch_begin(self, batch, logs=None):
        self.counts.append(config.get_num_threads())


@needs_threadpoolctl
def test_the_policy_changes_the_speed_not_the_weights():
    most = thread_policy.most_threads()
    model, x, y = model_and_data()
    seen = CountsSeen()
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[seen])
    adaptive = model.get_weights()
    if most > 1:  # the probes ran batches at 1 thread and at all of them
        assert set(seen.counts) == {1, most}
    assert config.get_num_threads() == most  # outside the loop BLAS has its own count again

    config.set_num_threads(most)  # fixed: the policy is off
    model, x, y = model_and_data()
    seen = CountsSeen()
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[seen])
    assert set(seen.counts) == {most}
    for a, b in zip(adaptive, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@needs_threadpoolctl
def test_a_count_set_by_the_user_holds_in_fit_evaluate_and_predict():
    config.set_num_threads(1)
    model, x, y = model_and_data()
    seen = CountsSeen()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[seen])
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert set(seen.counts) == {1} and config.get_num_threads() == 1
    assert config.set_num_threads("adaptive") == thread_policy.most_threads()
    assert thread_policy.mode() == "adaptive"


@needs_threadpoolctl
def test_set_num_threads_inside_fit_stops_the_policy_at_once():
    class FixAtThree(CountsSeen):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                config.set_num_threads(1)

    model, x, y = model_and_data()
    seen = FixAtThree()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[seen])
    assert seen.counts[3:] == [1] * (len(seen.counts) - 3)
    assert config.get_num_threads() == 1  # the user's count outlives the loop


@needs_threadpoolctl
def test_evaluate_and_predict_give_blas_its_count_back():
    model, x, y = model_and_data()
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    assert config.get_num_threads() == thread_policy.most_threads()


@needs_threadpoolctl
def test_verbose_2_ends_the_epoch_line_with_the_thread_count(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, epochs=2, validation_split=0.25, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("Epoch ") and " - val_loss: " in line
        assert line.endswith(" (adaptive)") and " - threads " in line
    config.set_num_threads(1)
    model.fit(x, y, epochs=1, verbose=2)
    assert capsys.readouterr().out.strip().endswith(" - threads 1 (fixed)")


@needs_threadpoolctl
def test_verbose_1_says_nothing_about_threads():
    out = io.StringIO()  # not a terminal: one line per epoch, as at verbose=2
    model, x, y = model_and_data()
    bar = kerasite.callbacks.ProgressBar(verbose=1, file=out)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[bar])
    assert out.getvalue().startswith("Epoch 1/1") and "threads" not in out.getvalue()
