"""What each rank runs in the distributed tests (``mpiexec -n 2 python dist_program.py CASE``).

Every rank derives every rank's inputs from seeds, computes the expected result with NumPy,
and checks tinytensor.distributed's answer against it; it prints ``RANK r OK n`` (n checks)
at the end, or the error."""

import os
import signal
import sys
import time

import numpy as np

import tinytensor as tt
import tinytensor.distributed as dist

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int32", "int64", "bool"]
NP_REDUCE = {
    "SUM": lambda xs: np.sum(xs, axis=0), "PRODUCT": lambda xs: np.prod(xs, axis=0),
    "MIN": lambda xs: np.min(xs, axis=0), "MAX": lambda xs: np.max(xs, axis=0),
    "AVG": lambda xs: np.mean(xs, axis=0), "BAND": lambda xs: np.bitwise_and.reduce(xs),
    "BOR": lambda xs: np.bitwise_or.reduce(xs), "BXOR": lambda xs: np.bitwise_xor.reduce(xs),
}  # fmt: skip
checks = [0]


def data(rank, dtype, shape=(3, 4), salt=0):
    rng = np.random.default_rng(1000 * salt + rank)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return rng.uniform(-2, 2, shape).astype(dtype)
    hi = 3 if dtype in ("int8", "uint8") else 50
    lo = 0 if dtype == "uint8" else -hi
    return rng.integers(lo, hi, shape).astype(dtype)


def ops_for(dtype):
    if dtype.startswith("float"):
        return ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]
    if dtype == "bool":
        return ["SUM", "MIN", "MAX", "BAND", "BOR", "BXOR", "PRODUCT"]
    return ["SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"]


def expect(got, want, what):
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    want = np.asarray(want)
    if want.dtype == bool or got.dtype == bool:
        ok = np.array_equal(got.astype(bool), want.astype(bool))
    else:
        want = want.astype(got.dtype)
        ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=0, equal_nan=True)
    if not ok:
        raise AssertionError(f"{what}: got {got!r}, NumPy says {want!r}")
    checks[0] += 1


def np_reduce(op, xs, dtype):
    if dtype == "bool":
        xs = xs.astype(np.uint8)
        out = NP_REDUCE[op](xs)
        return out != 0
    out = NP_REDUCE[op](xs)
    return out.astype(dtype)


def collectives(r, w):
    R = dist.ReduceOp
    for dt in DTYPES:
        allx = np.stack([data(k, dt) for k in range(w)])
        for op in ops_for(dt):
            t = tt.tensor(data(r, dt))
            dist.all_reduce(t, op=getattr(R, op))
            expect(t, np_reduce(op, allx, dt), f"all_reduce {op} {dt}")
            t = tt.tensor(data(r, dt))
            dist.reduce(t, dst=1, op=getattr(R, op))
            expect(t, np_reduce(op, allx, dt) if r == 1 else data(r, dt), f"reduce {op} {dt}")
            outs = [tt.tensor(data(k, dt, salt=3)) for k in range(w)]
            out = tt.tensor(data(r, dt, salt=4))
            dist.reduce_scatter(out, outs, op=getattr(R, op))
            every = np.stack([np.stack([data(k, dt, salt=3) for k in range(w)])
                              for _ in range(w)])  # fmt: skip
            expect(out, np_reduce(op, every[:, r], dt), f"reduce_scatter {op} {dt}")
        t = tt.tensor(data(r, dt))
        dist.broadcast(t, src=1)
        expect(t, data(1, dt), f"broadcast {dt}")
        lst = [tt.tensor(data(9, dt)) for _ in range(w)]
        dist.all_gather(lst, tt.tensor(data(r, dt)))
        for k in range(w):
            expect(lst[k], data(k, dt), f"all_gather {dt}")
        big = tt.tensor(np.zeros((w * 3, 4), dt))
        dist.all_gather_into_tensor(big, tt.tensor(data(r, dt)))
        expect(big, np.concatenate([data(k, dt) for k in range(w)]), f"all_gather_into {dt}")
        glist = [tt.tensor(data(9, dt)) for _ in range(w)] if r == 0 else None
        dist.gather(tt.tensor(data(r, dt)), glist, dst=0)
        if r == 0:
            for k in range(w):
                expect(glist[k], data(k, dt), f"gather {dt}")
        t = tt.tensor(data(9, dt))
        dist.scatter(t, [tt.tensor(data(k, dt, salt=5)) for k in range(w)] if r == 1 else None,
                     src=1)  # fmt: skip
        expect(t, data(r, dt, salt=5), f"scatter {dt}")
        big = tt.tensor(np.stack([data(k, dt, salt=6) for k in range(w)]).reshape(w * 3, 4))
        out = tt.tensor(data(9, dt))
        dist.reduce_scatter_tensor(out, big, op=R.MAX)
        expect(out, np_reduce("MAX", np.stack([data(k, dt, salt=6) for k in range(w)])[None]
                              .repeat(w, 0)[:, r], dt), f"reduce_scatter_tensor {dt}")  # fmt: skip
        # point to point, blocking and not
        if r == 0:
            dist.send(tt.tensor(data(0, dt, salt=7)), dst=1)
            work = dist.irecv(t := tt.tensor(data(9, dt)), src=1, tag=3)
            assert work.wait() and work.is_completed()
            expect(t, data(1, dt, salt=8), f"irecv {dt}")
        else:
            t = tt.tensor(data(9, dt))
            assert dist.recv(t) == 0
            expect(t, data(0, dt, salt=7), f"recv {dt}")
            dist.isend(tt.tensor(data(1, dt, salt=8)), dst=0, tag=3).wait()
    # async collectives
    t = tt.ones(5) * (r + 1)
    work = dist.all_reduce(t, async_op=True)
    assert work.wait()
    expect(t, np.full(5, w * (w + 1) / 2), "all_reduce async")
    # objects
    objs = [None] * w
    dist.all_gather_object(objs, {"rank": r, "t": tt.arange(3.0) * r})
    for k in range(w):
        assert objs[k]["rank"] == k
        expect(objs[k]["t"], np.arange(3.0) * k, "all_gather_object tensor")
    lst = ["a", 1, None] if r == 0 else [None, None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == ["a", 1, None], lst
    checks[0] += 1
    # groups
    g = dist.new_group([1])
    if r == 1:
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
        t = tt.ones(2)
        dist.all_reduce(t, group=g)
        expect(t, np.ones(2), "group of one")
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
        assert dist.all_reduce(tt.ones(2), group=g) is None
    g2 = dist.new_group([0, 1])
    t = tt.ones(2) * r
    dist.broadcast(t, src=1, group=g2)
    expect(t, np.ones(2), "broadcast in new_group")
    dist.barrier()


def mismatch(r, w):
    try:
        dist.all_reduce(tt.ones(3 + r))
    except dist.DistError as e:
        print(f"RANK {r} MISMATCH {e}", flush=True)
    try:
        if r == 0:
            dist.broadcast(tt.ones(2), src=0)
        else:
            dist.all_reduce(tt.ones(2))
    except dist.DistError as e:
        print(f"RANK {r} MISMATCH2 {e}", flush=True)
    if r == 0:
        dist.send(tt.ones(4), dst=1)
    else:
        try:
            dist.recv(tt.zeros(3), src=0)
        except dist.DistError as e:
            print(f"RANK {r} MISMATCH3 {e}", flush=True)
    dist.barrier()


def timeout(r, w):
    if r == 1:
        time.sleep(4)  # never joins the barrier
        os._exit(0)
    start = time.monotonic()
    try:
        dist.all_reduce(tt.ones(2), group=GROUP)
    except dist.DistError as e:
        print(f"RANK 0 TIMEOUT {time.monotonic() - start:.1f} {e}", flush=True)
        os._exit(0)


def raises(r, w):
    if r == 1:
        time.sleep(0.5)
        raise ValueError("rank one gave up")
    dist.all_reduce(tt.ones(2))  # waits for rank 1, which fails instead


def killed(r, w):
    if r == 1:
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    dist.all_reduce(tt.ones(2))


def refusals(r, w):
    for backend in ("nccl", "cuda:nccl", "NCCL"):
        try:
            dist.init_process_group(backend)
        except RuntimeError as e:
            print(f"RANK {r} NCCL {e}", flush=True)
    os.environ["WORLD_SIZE"] = "5"
    try:
        dist.init_process_group("gloo", init_method="env://")
    except ValueError as e:
        print(f"RANK {r} ENV {e}", flush=True)
    del os.environ["WORLD_SIZE"]
    try:
        dist.get_rank()
    except ValueError as e:
        print(f"RANK {r} UNINIT {e}", flush=True)


GROUP = None

if __name__ == "__main__":
    case = sys.argv[1]
    if case == "refusals":
        refusals(int(os.environ.get("PMI_RANK", 0)), 1)
        sys.exit(0)
    dist.init_process_group("gloo" if case != "mpi" else "mpi", init_method="env://",
                            timeout=60)  # fmt: skip
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and world == 2
    if case == "timeout":
        GROUP = dist.new_group([0, 1], timeout=1.5)
    {"collectives": collectives, "mpi": collectives, "mismatch": mismatch, "timeout": timeout,
     "raises": raises, "killed": killed}[case](rank, world)  # fmt: skip
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"RANK {rank} OK {checks[0]}", flush=True)
