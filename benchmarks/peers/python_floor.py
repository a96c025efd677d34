"""Lower bound for W1: the chain's forward pass on plain Python floats."""

from __future__ import annotations

import math
import platform

from benchmarks import workloads as W

NAME = "python floor"
MODULE = "math"
NOT_SUPPORTED = {
    fn: "floor defined for W1/W5 only" for fn in ("w2_scalar", "w2_vector", "w3_mlp", "w4_cnn")
}


def configure(threads):
    return {"version": platform.python_version()}


def w1_chain(n):
    def step():
        W.chain(W.CHAIN_START, n, math.tanh)

    return step
