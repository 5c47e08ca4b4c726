"""kerasite's performance benchmark against tf.keras, PyTorch and the BLAS floor.

Run ``python benchmarks/run.py`` (see ``benchmarks/README.md``). The modules:

* ``run.py``: the command line; orchestrates the measurements and reports.
* ``data.py``: Fashion-MNIST (or a fallback), scaled to [0, 1] float32.
* ``peers.py``: one trainer per framework, all with the same interface.
* ``floors.py``: the BLAS floor and the hand-written NumPy XOR loop.
* ``worker.py``: the subprocess each framework runs in.
* ``machine.py``: what the machine and its BLAS are.
* ``report.py``: the targets, and the Markdown and JSON output.
* ``profile_epoch.py``: where kerasite's epoch time goes, phase by phase.
"""
