"""The performance targets, and the results as Markdown and JSON.

``results`` is the plain dict that ``run.py`` fills in (and writes as
``results.json``); everything here only reads it.
"""

import json
import statistics

from benchmarks.peers import LABELS as LABEL

# Rows of the epoch table: the key in results["epochs"], and its label.
ROWS = (
    ("kerasite", "kerasite (verbose=0)"),
    ("kerasite_verbose_file", "kerasite verbose=1, stdout a file"),
    ("kerasite_verbose_tty", "kerasite verbose=1, stdout a terminal"),
    ("kerasite_numpy", "kerasite, accelerator off (NumPy only)"),
    ("blas_floor", "BLAS floor (the 11 matmuls alone)"),
    ("plain_loop", "plain NumPy loop (hand-written, same maths)"),
    ("torch", "PyTorch"),
    ("keras", "tf.keras"),
)

MEMORY_ALLOWANCE_MB = 150
# The convnet: its targets (issue 11) and what its table says differently.
CONVNET_MEMORY_ALLOWANCE_MB = 300
CONVNET_ACCURACY_GAP = 1.5  # percentage points of test accuracy: dropout makes runs differ
CONVNET_FLOOR_LABEL = "BLAS floor (the 8 im2col matmuls alone)"
QUIET_PCT = 10  # an epoch is quiet if other processes took less than this % of the CPUs
FLOOR_SPREAD = 0.15  # above this max/min - 1 of the BLAS floor, the report warns


def median(values):
    return statistics.median(values) if values else float("nan")


def is_quiet(others_pct):
    """Whether other processes left an epoch alone (None: not measurable, assumed quiet)."""
    return others_pct is None or others_pct < QUIET_PCT


def quiet_count(runs):
    return sum(map(is_quiet, runs["others_pct"]))


def quiet(runs, key):
    """``runs[key]`` (e.g. the epoch times) of the quiet epochs, or of all if none was quiet."""
    kept = [value for value, busy in zip(runs[key], runs["others_pct"]) if is_quiet(busy)]
    return kept or runs[key]


def epoch_median(results, row):
    """Median seconds per quiet timed epoch of ``row``, or None if it did not run."""
    runs = results["epochs"].get(row)
    return median(quiet(runs, "epoch_s")) if runs else None


def paired_ratio(results, numerator, denominator):
    """Median over rounds of ``numerator``'s epoch time / ``denominator``'s, or None.

    Both epochs of a pair ran in the same round, seconds apart, so a slow
    drift of the machine's speed cancels out. Only rounds where both were
    quiet count (all rounds, if there is no such round).
    """
    a, b = results["epochs"].get(numerator), results["epochs"].get(denominator)
    if not a or not b:
        return None
    pairs = list(zip(a["epoch_s"], b["epoch_s"], a["others_pct"], b["others_pct"]))
    ratios = [ta / tb for ta, tb, qa, qb in pairs if is_quiet(qa) and is_quiet(qb)]
    return median(ratios or [ta / tb for ta, tb, _, _ in pairs])


def is_convnet(results):
    """Whether the run is a classifier's (the convnet or the timeseries one): labels, accuracy."""
    return results.get("config", {}).get("model") in ("convnet", "timeseries")


def _classifier_name(results):
    if results.get("config", {}).get("model") == "timeseries":
        return "Conv1D timeseries classifier"
    return "convnet"


def check_targets(results):
    """Returns one dict per target: ``target``, ``measured``, ``goal``, ``status``.

    ``status`` is PASS, MISS, or "n/a" when what it needs did not run.
    """
    if is_convnet(results):
        return _check_convnet_targets(results)
    checks = []

    def add(target, value, limit, fmt, goal, detail=""):
        if value is None:
            checks.append({"target": target, "measured": "n/a", "goal": goal, "status": "n/a",
                           "detail": detail or "not measured"})
            return
        checks.append({"target": target, "measured": fmt.format(value), "goal": goal,
                       "status": "PASS" if value <= limit else "MISS", "value": value,
                       "detail": detail})

    # Issue 17's goals for the epoch time.
    names = {"blas_floor": "BLAS floor", "plain_loop": "plain NumPy loop"}
    for row, limit in (("keras", 0.6), ("torch", 0.8), ("blas_floor", 1.25),
                       ("plain_loop", 0.95)):
        add(f"epoch time vs {LABEL.get(row, names.get(row))}",
            paired_ratio(results, "kerasite", row), limit, "{:.2f}x", f"<= {limit:.2f}x")

    mse = results.get("test_mse", {})
    for peer in ("torch", "keras"):
        gap = None
        if "kerasite" in mse and peer in mse:
            gap = abs(mse["kerasite"] - mse[peer]) / mse[peer] * 100
        add(f"test MSE vs {LABEL[peer]}", gap, 2.0, "{:.2f} %", "within 2 %")

    xor = results.get("xor")
    xor_ratio = median(xor["fit_s"]) / median(xor["plain_s"]) if xor else None
    add("XOR fit() vs plain NumPy loop", xor_ratio, 3.0, "{:.2f}x", "<= 3.00x")

    for row, where in (("kerasite_verbose_file", "a file"), ("kerasite_verbose_tty", "a terminal")):
        ratio = paired_ratio(results, row, "kerasite")
        add(f"verbose=1 to {where} vs verbose=0", None if ratio is None else (ratio - 1) * 100,
            3.0, "{:+.1f} %", "<= +3 %")

    memory = results.get("memory", {}).get("kerasite")
    over = None
    if memory:
        over = memory["peak_mb"] - memory["framework_mb"] - memory["dataset_mb"]
    add("peak training memory over the float32 dataset", over, MEMORY_ALLOWANCE_MB,
        "{:+.0f} MB", f"<= +{MEMORY_ALLOWANCE_MB} MB",
        "peak RSS - RSS after import - training-set bytes")
    return checks


def _check_convnet_targets(results):
    """The convnet's targets: <= 1.0x tf.keras and PyTorch, the same accuracy, +300 MB.

    The timeseries classifier has the same targets (issue 23 asks <= 1.0x tf.keras).
    """
    checks = []
    name = _classifier_name(results)

    def add(target, value, limit, fmt, goal, detail=""):
        if value is None:
            checks.append({"target": target, "measured": "n/a", "goal": goal, "status": "n/a",
                           "detail": detail or "not measured"})
            return
        checks.append({"target": target, "measured": fmt.format(value), "goal": goal,
                       "status": "PASS" if value <= limit else "MISS", "value": value,
                       "detail": detail})

    for row, limit in (("keras", 1.0), ("torch", 1.0)):
        add(f"{name} epoch time vs {LABEL[row]}", paired_ratio(results, "kerasite", row),
            limit, "{:.2f}x", f"<= {limit:.2f}x")
    metrics = results.get("test_metrics", {})
    for peer in ("torch", "keras"):
        gap = None
        if "kerasite" in metrics and peer in metrics:
            gap = abs(metrics["kerasite"]["accuracy"] - metrics[peer]["accuracy"]) * 100
        add(f"{name} test accuracy vs {LABEL[peer]}", gap, CONVNET_ACCURACY_GAP,
            "{:.2f} points", f"within {CONVNET_ACCURACY_GAP} points")
    memory = results.get("memory", {}).get("kerasite")
    over = None
    if memory:
        over = memory["peak_mb"] - memory["framework_mb"] - memory["dataset_mb"]
    add(f"{name} peak training memory over the float32 dataset", over,
        CONVNET_MEMORY_ALLOWANCE_MB, "{:+.0f} MB", f"<= +{CONVNET_MEMORY_ALLOWANCE_MB} MB",
        "peak RSS - RSS after import - training-set bytes")
    return checks


def markdown(results):
    """The whole report as Markdown text."""
    cfg = results["config"]
    lines = [f"# kerasite benchmark, {results['timestamp']}", ""]
    lines += ["## Machine", ""] + [f"- {line}" for line in results["machine_lines"]] + [""]
    lines += ["## Set-up", ""]
    if cfg.get("model") == "timeseries":
        model_line = ("- keras.io's Conv1D timeseries classifier: three blocks of Conv1D 64 "
                      "k=3 same, BatchNormalization, ReLU; GlobalAveragePooling1D, Dense 2 "
                      "softmax; sparse categorical cross-entropy, Adam (lr 1e-3, epsilon "
                      f"1e-7), batch {cfg['batch_size']} ({cfg['steps']} batches per epoch), "
                      "series (500, 1) channels-last (PyTorch: channels-first, transposed "
                      "once), shuffled every epoch, the same initial weights everywhere.")
    elif is_convnet(results):
        model_line = ("- keras.io's simple convnet: Conv2D 32 3x3 ReLU, MaxPooling2D 2, Conv2D "
                      "64 3x3 ReLU, MaxPooling2D 2, Flatten, Dropout 0.5, Dense 10 softmax; "
                      "sparse categorical cross-entropy, Adam (lr 1e-3, epsilon 1e-7), "
                      f"batch {cfg['batch_size']} ({cfg['steps']} batches per epoch), images "
                      "(28, 28, 1) channels-last (PyTorch: channels-first, transposed once), "
                      "shuffled every epoch, the same initial weights in every framework "
                      "(dropout masks differ).")
    else:
        model_line = ("- Autoencoder 784-256-64-256-784 (ReLU, tanh, ReLU, sigmoid), MSE, SGD "
                      f"lr 0.5, batch {cfg['batch_size']} ({cfg['steps']} batches per epoch), "
                      "shuffled every epoch, the same initial weights in every framework.")
    lines += [(f"- Data: {cfg['data_source']}; {cfg['n_train']:,} training and "
              f"{cfg['n_test']:,} test images, float32 in [0, 1]."),
              model_line,
              (f"- Round-robin, one epoch of every run per round, the order rotating every "
              f"round; {cfg['warmup']} warm-up round(s), then medians of at least "
              f"{cfg['epochs']} quiet timed epochs per run; {cfg['threads']} threads "
              "everywhere.")]
    busy = [pct for runs in results["epochs"].values() for pct in runs["others_pct"]
            if pct is not None]
    if busy:
        noisy = sum(not is_quiet(pct) for pct in busy)
        lines.append(f"- Noise: other processes took a median {median(busy):.0f} % of the CPUs "
                     f"during the timed epochs (max {max(busy):.0f} %). The {noisy} of "
                     f"{len(busy)} epochs where they took {QUIET_PCT} % or more are left out "
                     "of the medians (they stay in results.json).")
    floor = results["epochs"].get("blas_floor")
    if floor:
        # The floor is a fixed workload: when it varies, the machine's own speed did.
        used = quiet(floor, "epoch_s")
        spread = max(used) / min(used) - 1
        if spread > FLOOR_SPREAD:
            lines.append(f"- **The machine's speed varied during the run**: the BLAS floor, a "
                         f"fixed workload, took from {min(used):.3f} to {max(used):.3f} s "
                         f"(+{spread:.0%}). Noise from outside this virtual machine does not "
                         "show in /proc/stat; trust the paired ratios more than the absolute "
                         "times, or run again.")
    short = [row for row, runs in results["epochs"].items()
             if quiet_count(runs) < cfg["epochs"]]
    if short:
        lines.insert(2, f"> **Warning: the machine was busy.** {', '.join(short)} got fewer "
                        f"than {cfg['epochs']} quiet epochs in {cfg['max_rounds']} rounds; "
                        "their times are inflated and unreliable (multithreaded BLAS most "
                        "of all). Run again when the machine is quiet.\n")
    for name, info in results["frameworks"].items():
        versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        lines.append(f"- {LABEL[name]}: {versions} (interpreter {info['python']})")
    for name, reason in results["skipped"].items():
        lines.append(f"- **{LABEL[name]} skipped**: {reason}")
    lines.append("")

    lines += _epoch_table(results)
    lines += _xor_table(results)
    lines += _memory_table(results)

    lines += ["## Targets", "", "| target | measured | goal | result |", "|---|---|---|---|"]
    for check in results["targets"]:
        lines.append(f"| {check['target']} | {check['measured']} | {check['goal']} | "
                     f"**{check['status']}** |")
    lines.append("")
    return "\n".join(lines)


def _convnet_epoch_table(results):
    metrics = results.get("test_metrics", {})
    unit = "series" if results["config"].get("model") == "timeseries" else "images"
    lines = [f"## One epoch of the {_classifier_name(results)} "
             f"({results['config']['n_train']:,} {unit})", "",
             ("| run | median s/epoch | min - max | epochs used | fit() call s | "
              "kerasite / this | test accuracy | test loss | final train loss |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    labels = dict(ROWS, blas_floor=CONVNET_FLOOR_LABEL)
    for row, label in labels.items():
        runs = results["epochs"].get(row)
        if not runs:
            continue
        used = quiet(runs, "epoch_s")
        ratio = paired_ratio(results, "kerasite", row)
        test = metrics.get(row)
        acc = f"{test['accuracy']:.4f}" if test else ""
        loss = f"{test['loss']:.4f}" if test else ""
        train = f"{runs['loss'][-1]:.4f}" if runs["loss"][-1] is not None else ""
        lines.append(f"| {label} | {median(used):.3f} | {min(used):.3f} - {max(used):.3f} | "
                     f"{quiet_count(runs)} of {len(runs['epoch_s'])} | "
                     f"{median(quiet(runs, 'call_s')):.3f} | {ratio:.2f}x | {acc} | {loss} | "
                     f"{train} |")
    total = results["config"]["warmup"] + len(results["epochs"]["kerasite"]["epoch_s"])
    lines += ["", ("*s/epoch*, *fit() call*, *epochs used* and *kerasite / this* as in the "
                   f"autoencoder's report. Every model trained {total} epochs, then predicted "
                   "the test images; accuracy and cross-entropy are computed the same way for "
                   "all, in float64 NumPy."), ""]
    return lines


def _epoch_table(results):
    if is_convnet(results):
        return _convnet_epoch_table(results)
    ours = epoch_median(results, "kerasite")
    mse = results.get("test_mse", {})
    lines = [f"## One epoch of the autoencoder ({results['config']['n_train']:,} images)", "",
             ("| run | median s/epoch | min - max | epochs used | fit() call s | "
             "kerasite / this | test MSE | final train loss |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row, label in ROWS:
        runs = results["epochs"].get(row)
        if not runs:
            continue
        used = quiet(runs, "epoch_s")
        mid = median(used)
        ratio = paired_ratio(results, "kerasite", row)
        test = f"{mse[row]:.5f}" if row in mse else ""
        loss = f"{runs['loss'][-1]:.5f}" if runs["loss"][-1] is not None else ""
        lines.append(f"| {label} | {mid:.3f} | {min(used):.3f} - {max(used):.3f} | "
                     f"{quiet_count(runs)} of {len(runs['epoch_s'])} | "
                     f"{median(quiet(runs, 'call_s')):.3f} | {ratio:.2f}x | {test} | {loss} |")
    total = results["config"]["warmup"] + len(results["epochs"]["kerasite"]["epoch_s"])
    lines += ["",
              ("*s/epoch* is measured inside the epoch (from the first batch to the end of the "
              "last), as an epoch of `fit(epochs=N)` costs. *fit() call* also includes what a "
              "`fit(epochs=1)` call repeats each time: argument checks and, for tf.keras, "
              "building its tf.data pipeline. *epochs used*: the quiet epochs, out of all timed "
              "ones. *kerasite / this*: the median over rounds of kerasite's epoch time "
              "divided by this run's in the same round (the targets use it too). "
              f"Test MSE: every model trained {total} epochs, then reconstructed the test "
              "images; the MSE is computed the same way for all, in float64 NumPy."), ""]
    hooks = results.get("bar_hook_cost")
    if hooks and ours:
        lines += [(f"The progress bar's batch hook alone (driven without training, "
                  f"{results['config']['steps']} calls) costs {hooks['file'] * 1e3:.2f} ms per "
                  f"epoch writing to a file and {hooks['tty'] * 1e3:.2f} ms drawing to a "
                  f"terminal: {hooks['file'] / ours * 100:.2f} % and "
                  f"{hooks['tty'] / ours * 100:.2f} % of a verbose=0 epoch."), ""]
    return lines


def _xor_table(results):
    xor = results.get("xor")
    if not xor:
        return []
    fit, plain = median(xor["fit_s"]), median(xor["plain_s"])
    n = xor["epochs"]
    return [f"## XOR, {n:,} full-batch epochs (2-4-1, tanh/sigmoid, SGD 0.5, MSE)", "",
            "| run | median s | us/epoch | final loss |", "|---|---:|---:|---:|",
            f"| kerasite fit(verbose=0) | {fit:.3f} | {fit / n * 1e6:.1f} | {xor['fit_loss']:.6f} |",
            (f"| plain NumPy loop | {plain:.3f} | {plain / n * 1e6:.1f} | "
            f"{xor['plain_loss']:.6f} |"), "",
            (f"Both start from the same weights; their final weights differ by at most "
            f"{xor['max_weight_difference']:.2e}, so they do the same steps. "
            f"{len(xor['fit_s'])} trials each, alternating which runs first."), ""]


def _memory_table(results):
    memory = results.get("memory", {})
    if not memory:
        return []
    lines = ["## Peak memory while training (each framework in a fresh process)", "",
             ("| framework | RSS after import | + training set | peak in training | "
             "above baseline | over import + dataset |"),
             "|---|---:|---:|---:|---:|---:|"]
    for name, m in memory.items():
        lines.append(
            f"| {LABEL[name]} | {m['framework_mb']:.0f} MB | {m['baseline_mb']:.0f} MB | "
            f"{m['peak_mb']:.0f} MB | {m['peak_mb'] - m['baseline_mb']:+.0f} MB | "
            f"{m['peak_mb'] - m['framework_mb'] - m['dataset_mb']:+.0f} MB |")
    first = next(iter(memory.values()))
    lines += ["",
              (f"Method: build the model (importing the framework) and read VmRSS; load the "
              f"training set ({first['dataset_mb']:.0f} MB of float32) and read it again, the "
              f"*baseline*; reset the kernel's peak mark (write 5 to /proc/self/clear_refs); "
              f"train {first['epochs']} epoch(s); read the peak (VmHWM). Method used: "
              f"{first['method']}. ru_maxrss is not used: it cannot be reset, and a child "
              "process inherits its parent's value through fork.")]
    if "kerasite" in memory and "tracemalloc_peak_mb" in memory["kerasite"]:
        lines.append(f"tracemalloc, which sees every NumPy allocation, puts kerasite's own "
                     f"peak during one more epoch at "
                     f"{memory['kerasite']['tracemalloc_peak_mb']:.1f} MB above its start.")
    lines.append("")
    return lines


def write(results, out_dir):
    """Writes ``results.json`` and ``results.md`` into ``out_dir``; returns the Markdown."""
    text = markdown(results)
    (out_dir / "results.md").write_text(text)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return text
