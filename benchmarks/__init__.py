"""tinytensor's benchmark suite: ``python -m benchmarks --help``; results in RESULTS.md."""
