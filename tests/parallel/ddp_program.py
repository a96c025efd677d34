"""What each rank runs in the DDP tests (``mpiexec -n 2 python ddp_program.py CASE``): DDP on
2 ranks against one process training the same model on the concatenated batch, computed on
every rank in float64. Prints ``RANK r CASE OK maxdiff`` per case or raises."""

import copy
import sys

import numpy as np

import tinytensor as tt
import tinytensor.distributed as dist
import tinytensor.nn as nn
from tinytensor.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        if kind == "mlp":
            self.body = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
        elif kind == "cnn_bn":
            self.body = nn.Sequential(
                nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(4 * 3 * 3, 3),
            )  # fmt: skip
        elif kind == "lstm":
            self.rnn = nn.LSTM(4, 8, batch_first=True)
            self.head = nn.Linear(8, 3)
        elif kind == "unused":
            self.body = nn.Linear(6, 3)
            self.spare = nn.Linear(6, 3)

    def forward(self, x):
        if self.kind == "lstm":
            out, _ = self.rnn(x)
            return self.head(out[:, -1])
        return self.body(x)


def batch(kind, n, seed):
    rng = np.random.default_rng(seed)
    shape = {"mlp": (n, 6), "unused": (n, 6), "cnn_bn": (n, 2, 6, 6), "lstm": (n, 5, 4)}[kind]
    return tt.tensor(rng.normal(size=shape)), tt.tensor(rng.integers(0, 3, n))


def params_close(a, b, what):
    worst = 0.0
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        diff = float(np.max(np.abs(p.detach().numpy() - q.detach().numpy())))
        worst = max(worst, diff)
        if diff > 1e-12:
            raise AssertionError(f"{what}: {name} differs by {diff}")
    return worst


def train_case(kind, r, w, steps=3, n=8):
    sync = kind == "cnn_syncbn"  # SyncBatchNorm: the global batch's statistics
    kind = "cnn_bn" if sync else kind
    tt.manual_seed(0 if r == 0 else 123)  # rank 1 starts elsewhere: DDP copies rank 0's
    model = Net(kind).double()
    if sync:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    tt.manual_seed(0)
    ref = Net(kind).double()
    ddp = DDP(model, bucket_cap_mb=0.0005)  # tiny buckets: several reductions per backward
    assert all(k.startswith("module.") for k in ddp.state_dict())
    opt = tt.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = tt.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    events = []
    if kind == "mlp":  # record when reductions start against where backward is
        import tinytensor.nn.parallel.distributed as D

        real = D.dist.all_reduce
        D.dist.all_reduce = lambda *a, **k: (events.append("all_reduce"), real(*a, **k))[1]
        # the first layer's output gradient is among the last things backward computes
        model.body[0].register_forward_hook(
            lambda mod, inp, out: [out.register_hook(lambda g: events.append("first_layer"))]
            and None)
    for step in range(steps):
        x, y = batch(kind, n * w, seed=step)
        mine = slice(r * n, (r + 1) * n)
        opt.zero_grad()
        events.clear()
        loss_fn(ddp(x[mine]), y[mine]).backward()
        if kind == "mlp":  # overlap: the last layer's buckets went out before backward ended
            at = events.index("first_layer")
            assert "all_reduce" in events[:at] and "all_reduce" in events[at:], events
        opt.step()
        ref_opt.zero_grad()
        if kind == "cnn_bn" and not sync:  # BatchNorm: each rank's half with its own stats
            halves = [loss_fn(ref(x[k * n:(k + 1) * n]), y[k * n:(k + 1) * n]) for k in range(w)]
            (sum(halves) / w).backward()
        else:
            loss_fn(ref(x), y).backward()
        ref_opt.step()
    worst = params_close(model, ref, kind)
    if sync:  # running statistics too: the global batch's, as one process on all of it
        for (name, b), (_, c) in zip(model.named_buffers(), ref.named_buffers()):
            diff = float(np.max(np.abs(b.numpy() - c.numpy())))
            if diff > 1e-12:
                raise AssertionError(f"SyncBatchNorm buffer {name} differs by {diff}")
            worst = max(worst, diff)
    return worst


def no_sync_case(r, w, n=6):
    tt.manual_seed(0)
    model, ref = Net("mlp").double(), None
    ref = copy.deepcopy(model)
    ddp = DDP(model)
    loss_fn = nn.CrossEntropyLoss()
    x, y = batch("mlp", 2 * n * w, seed=7)
    micro = [slice((2 * r + m) * n, (2 * r + m + 1) * n) for m in range(2)]
    with ddp.no_sync():
        loss_fn(ddp(x[micro[0]]), y[micro[0]]).backward()
    local = [p.grad.numpy().copy() for p in model.parameters()]
    loss_fn(ddp(x[micro[1]]), y[micro[1]]).backward()
    for m in range(2):  # the reference: each micro-step over every rank's part of it
        parts = [slice((2 * k + m) * n, (2 * k + m + 1) * n) for k in range(w)]
        xs = tt.cat([x[s] for s in parts])
        ys = tt.cat([y[s] for s in parts])
        loss_fn(ref(xs), ys).backward()
    worst = 0.0
    for p, q in zip(model.parameters(), ref.parameters()):
        worst = max(worst, float(np.max(np.abs(p.grad.numpy() - q.grad.numpy()))))
    assert worst < 1e-12, worst
    assert any(np.abs(b - p.grad.numpy()).max() > 1e-6 for b, p in zip(local, model.parameters()))
    return worst


def unused_case(r, w):
    tt.manual_seed(0)
    ddp = DDP(Net("unused").double(), find_unused_parameters=True)
    x, y = batch("unused", 4, seed=r)
    for _ in range(2):
        nn.CrossEntropyLoss()(ddp(x), y).backward()
    assert ddp.module.spare.weight.grad is None and ddp.module.body.weight.grad is not None
    strict = DDP(Net("unused").double())
    strict(x)
    strict(x)  # forwards without a backward (validation in grad mode) are not an error
    nn.CrossEntropyLoss()(strict(x), y).backward()
    try:
        strict(x)
    except RuntimeError as e:
        assert "Expected to have finished reduction in the prior iteration" in str(e)
    else:
        raise AssertionError("an unused parameter without find_unused_parameters was not reported")
    return 0.0


if __name__ == "__main__":
    dist.init_process_group("mpi", timeout=60)  # ("gloo" runs in test_distributed)
    rank, world = dist.get_rank(), dist.get_world_size()
    for case in sys.argv[1:]:  # several cases share one launch (each launch costs seconds)
        if case in ("mlp", "cnn_bn", "cnn_syncbn", "lstm"):
            worst = train_case(case, rank, world)
        elif case == "no_sync":
            worst = no_sync_case(rank, world)
        else:
            worst = unused_case(rank, world)
        print(f"RANK {rank} {case} OK {worst:.3g}", flush=True)
    dist.destroy_process_group()
