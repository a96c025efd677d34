"""One adapter module per library. Each defines ``NAME``, ``MODULE`` (what must be importable),
``configure(threads) -> dict`` and, for every case it supports, a function named as in
``Case.fn`` that builds a zero-argument ``step()``; ``NOT_SUPPORTED`` says why a case is missing.

The two floor adapters are not libraries: they run only the unavoidable part of a workload
(NumPy's forward pass, plain Python floats, the step's matrix products) to give a lower bound.
"""

PEERS = {
    "tinytensor": "benchmarks.peers.tinytensor_impl",
    "tinytensor compiled": "benchmarks.peers.tinytensor_compiled_impl",
    "pytorch": "benchmarks.peers.torch_impl",
    "mygrad": "benchmarks.peers.mygrad_impl",
    "micrograd": "benchmarks.peers.micrograd_impl",
    "autograd": "benchmarks.peers.autograd_impl",
    "numpy floor": "benchmarks.peers.numpy_floor",
    "python floor": "benchmarks.peers.python_floor",
}
FLOORS = ("numpy floor", "python floor")
# ``--baseline DIR``: tinytensor's adapter again, importing the tinytensor package in DIR (an older
# checkout), so before and after are timed in the same run, interleaved.
BASELINE = "tinytensor-before"
BASELINE_COMPILED = "tinytensor compiled-before"  # with "tinytensor compiled" among the peers
BEFORE = {BASELINE: "tinytensor", BASELINE_COMPILED: "tinytensor compiled"}  # -> the adapter
REFERENCE = "pytorch"

# ``--allocator``: each tinytensor row again in the allocator's other state, set the way a user
# can set it, from the environment: this checkout with its tuning at the first backward turned
# off, and --baseline's (which tuned only when asked) with glibc's thresholds set to the values
# ``tinytensor.allocator.tune_allocator`` sets (32 MiB mmap, 256 MiB trim). Name -> (the row it
# varies, extra environment).
KNOBS = {
    "tinytensor, TINYTENSOR_MALLOC_TUNING=0": ("tinytensor", {"TINYTENSOR_MALLOC_TUNING": "0"}),
    "tinytensor-before, MALLOC_*_THRESHOLD_ set": (
        BASELINE,
        {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)},
    ),
}
