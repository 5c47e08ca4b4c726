"""Run by test_data_adapters_sigint.py: fit on a slow PyDataset until the test sends SIGINT.

    python -m tests.trainers._sigint_worker threads|processes

It prints "started" once training is under way, then, after Ctrl-C, one line
"interrupted <notes>" and one "alive <worker threads and processes left>".
"""

import faulthandler
import multiprocessing
import signal
import sys
import threading


def main(kind):
    faulthandler.dump_traceback_later(40, exit=True)  # a hang shows every thread's stack
    # A shell starts background jobs with SIGINT ignored, and Python keeps that: restore
    # Ctrl-C's KeyboardInterrupt, which the test is about.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from kerasite import Sequential, callbacks, layers
    from tests.trainers._py_datasets import Slow, regression_data

    x, y = regression_data(400, dtype="float32")
    data = Slow(x, y, delay=0.05, batch_size=4, workers=2,
                use_multiprocessing=kind == "processes")
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    class Started(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1 and self.model.completed_epochs == 0:
                print("started", flush=True)

    try:
        model.fit(data, epochs=100, shuffle=False, verbose=0, callbacks=[Started()])
        print("finished without interruption", flush=True)
    except KeyboardInterrupt as exc:
        print("interrupted", getattr(exc, "__notes__", []), flush=True)
    alive = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    alive += [p.name for p in multiprocessing.active_children()]
    print("alive", alive, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
