"""What each rank runs in ``test_distributed_defaults.py`` (``mpiexec -n 2 python
dist_defaults_program.py``): the collectives called with their root left out (``src``/``dst``
None) must use rank 0, as PyTorch's do. Every rank computes the expected values with NumPy and
prints ``RANK r OK n`` (n checks) at the end, or the error."""

import sys

import numpy as np

import tinytensor as tt
import tinytensor.distributed as dist

checks = [0]


def data(rank, salt=0):
    return np.random.default_rng(100 * salt + rank).uniform(-2, 2, (2, 3))


def expect(got, want, what):
    got = got.numpy()
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=0):
        raise AssertionError(f"{what}: got {got!r}, NumPy says {want!r}")
    checks[0] += 1


def defaults(r, w):
    # gather: only rank 0 (the default dst) passes a list; the others must pass None.
    glist = [tt.tensor(np.zeros((2, 3))) for _ in range(w)] if r == 0 else None
    dist.gather(tt.tensor(data(r)), glist)
    if r == 0:
        for k in range(w):
            expect(glist[k], data(k), f"gather default dst, slot {k}")
    # reduce: the sum lands on rank 0; every other rank keeps its own input.
    t = tt.tensor(data(r, salt=1))
    dist.reduce(t)
    want = sum(data(k, salt=1) for k in range(w)) if r == 0 else data(r, salt=1)
    expect(t, want, "reduce default dst")
    # broadcast: rank 0's values everywhere.
    t = tt.tensor(data(r, salt=2))
    dist.broadcast(t)
    expect(t, data(0, salt=2), "broadcast default src")
    # scatter: rank 0 supplies the list; rank i receives its i-th entry.
    parts = [tt.tensor(data(k, salt=3)) for k in range(w)] if r == 0 else None
    t = tt.tensor(np.zeros((2, 3)))
    dist.scatter(t, parts)
    expect(t, data(r, salt=3), "scatter default src")
    # the object forms default to rank 0 too
    objs = [{"from": r}] if r == 0 else [None]
    dist.broadcast_object_list(objs)
    assert objs == [{"from": 0}], objs
    checks[0] += 1


if __name__ == "__main__":
    dist.init_process_group("gloo", init_method="env://", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    assert world == 2, world
    defaults(rank, world)
    dist.destroy_process_group()
    # one write, newline included: print() writes its end separately, and mpiexec can put the
    # other rank's line between the two writes
    print(f"RANK {rank} OK {checks[0]}\n", end="", flush=True)
    sys.exit(0)
