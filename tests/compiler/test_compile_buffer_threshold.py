"""Which values a replay pools by size: those of at least ``buffers.MIN_BYTES`` (small arrays
cost NumPy less to make than a pooled step costs to run), whatever the rest of the plan."""

from __future__ import annotations

import re

import numpy as np

import tinytensor as tt
from tinytensor.compiler import buffers

DEFAULT = buffers.MIN_BYTES  # read at import, before the directory's fixture pools everything


def _pooled_sizes(f):
    """{value name: bytes} of the values ``f``'s one program keeps in buffers."""
    (entry,) = [e for e in f.entries if e.program is not None]
    listing = str(entry.program)
    if "# buffers" not in listing:
        return {}
    names = set(re.findall(r"\bv\d+\b", listing[listing.index("# buffers") :]))
    sizes = {}
    for line in listing.splitlines():
        m = re.match(r"\s+(v\d+)(?:, (v\d+))* = .*# (.*)$", line)
        if m:
            outs = re.findall(r"v\d+", line.split("=")[0])
            for name, shape in zip(outs, m.group(3).split("], ")):
                dtype, dims = shape.rstrip("]").split("[")
                n = int(np.prod([int(d) for d in dims.split(", ") if d] or [1]))
                sizes[name] = n * np.dtype(dtype).itemsize
    return {v: sizes[v] for v in names}


def _mlp_step(batch, width, monkeypatch, threshold):
    monkeypatch.setattr(buffers, "MIN_BYTES", threshold)
    tt.manual_seed(0)
    lin1, lin2 = tt.nn.Linear(8, width), tt.nn.Linear(width, 3)
    x = tt.randn(batch, 8)

    def loss(x):
        return lin2(tt.relu(lin1(x))).square().mean()

    f = tt.compile(loss)
    for _ in range(2):
        f(x).backward()
    return f


def test_the_default_threshold_is_64_kib():
    assert DEFAULT == 1 << 16


def test_small_values_are_left_to_numpy(monkeypatch):
    f = _mlp_step(4, 16, monkeypatch, DEFAULT)  # every value is a few hundred bytes
    assert _pooled_sizes(f) == {}


def test_values_of_the_threshold_and_more_are_pooled(monkeypatch):
    f = _mlp_step(256, 64, monkeypatch, DEFAULT)  # the hidden layer: 256 x 64 float32 = 64 KiB
    sizes = _pooled_sizes(f)
    assert sizes and min(sizes.values()) >= DEFAULT
    assert DEFAULT in sizes.values()


def test_a_threshold_between_sizes_splits_them(monkeypatch):
    everything = _pooled_sizes(_mlp_step(64, 32, monkeypatch, 0))
    cut = sorted(set(everything.values()))[len(set(everything.values())) // 2]
    some = _pooled_sizes(_mlp_step(64, 32, monkeypatch, cut))
    assert some and set(some) < set(everything)
    assert all(everything[v] >= cut for v in some)
    assert all(everything[v] < cut for v in set(everything) - set(some))
