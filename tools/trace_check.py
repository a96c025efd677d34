"""Which op-table rows the compiler can trace: forward, and backward (the joint graph).

    python tools/trace_check.py [NAME_SUBSTRING ...]

For each row of ``tests/ops/optable`` (those whose name contains one of the substrings, or all)
one sample is drawn with a fixed seed, the op runs under ``tinytensor.compiler``'s tracer, and
then its gradient (``autograd.grad`` with ``create_graph=True``, as the compiler traces the
backward program). A row is traceable when no graph break happened; the others are printed
with the first break's reason. Exit status 1 if any row broke.
"""

from __future__ import annotations

import os
import sys
import warnings

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(_ROOT, "tests"))

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

import tinytensor as tt  # noqa: E402
from tinytensor.autograd.primitive import set_tracer  # noqa: E402
from tinytensor.compiler.trace import Tracer  # noqa: E402
from tinytensor.core import set_watcher  # noqa: E402


def draw(case):
    found = []

    @settings(max_examples=1, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case.inputs)
    def pick(sample):
        found.append(sample)

    pick()
    return found[0]


def check(case):
    sample = draw(case)
    args = sample.leaves()
    tr = Tracer()
    for i, a in enumerate(args):
        if isinstance(a, tt.Tensor):
            tr.add_argument(a, i)
    prev = set_tracer(tr)
    prevw = set_watcher(tr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = case.fn(*args, **sample.kwargs)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            outs = [o for o in outs if isinstance(o, tt.Tensor)]
            for o in outs:
                tr.output_slot(o)
            diff = [o for o in outs if o.requires_grad]
            wrt = [a for a in args if isinstance(a, tt.Tensor) and a.requires_grad]
            if diff and wrt and not tr.breaks:
                tr.phase = "backward"
                gs = [tt.ones_like(o) for o in diff]
                for i, g in enumerate(gs):
                    g._data = np.ones(g.shape, g._data.dtype)
                    tr.add_grad_input(g, i)
                grads = tt.autograd.grad(diff, wrt, gs, create_graph=True, allow_unused=True)
                for g in grads:
                    if g is not None:
                        tr.output_slot(g)
    finally:
        set_tracer(prev)
        set_watcher(prevw)
    return tr


def main(argv):
    from ops.optable import ALL_CASES

    picked = [c for c in ALL_CASES if not argv or any(s in c.name for s in argv)]
    bad = 0
    for case in picked:
        try:
            tr = check(case)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{case.name:32s} ERROR {type(e).__name__}: {e}")
            bad += 1
            continue
        if tr.breaks:
            bad += 1
            print(f"{case.name:32s} BREAK [{tr.phase}] {tr.breaks[0].reason}")
    print(f"{len(picked) - bad}/{len(picked)} rows traceable")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
