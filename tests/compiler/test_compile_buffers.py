"""Buffers reused by compiled replays (compiler/buffers.py, issue #23): results bit for bit as
without them and as eager, leases that keep a graph's buffers until its backward is done,
sharing only between values whose lifetimes do not overlap, and no new arrays after warm-up.

"Unpooled" below is the same compiled function with its programs' pools removed, so its
replays take the plain programs (a new array per kernel call), as before buffers existed.
All NumPy-only.
"""

from __future__ import annotations

import sys
import threading
import tracemalloc

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.compiler.compiled import trace_call
from tinytensor.compiler.guards import DynamicGuards


def bits(a):
    """An array's dtype, shape and bytes: equal only if bit for bit equal (-0.0 != 0.0)."""
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def unpool(f):
    """Remove the pools of every program ``f`` holds: its replays run the plain programs."""
    for e in f.entries:
        if e.program is not None:
            e.program.pool = None


def pooled_programs(f):
    return [e.program for e in f.entries if e.program is not None and e.program.pool is not None]


def mlp():
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 5))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 16, 3),
    )  # fmt: skip


def encoder():
    return nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)


def _data(model_name, step):
    g = np.random.default_rng(100 + step)
    if model_name == "mlp":
        x = g.standard_normal((10, 12)).astype(np.float32)
        return tt.from_numpy(x), tt.from_numpy(g.integers(0, 5, 10))
    if model_name == "cnn":
        x = g.standard_normal((8, 1, 16, 16)).astype(np.float32)
        return tt.from_numpy(x), tt.from_numpy(g.integers(0, 3, 8))
    x = g.standard_normal((3, 7, 16)).astype(np.float32)
    return tt.from_numpy(x), tt.from_numpy(g.standard_normal((3, 7, 16)).astype(np.float32))


MODELS = {"mlp": mlp, "cnn": cnn, "encoder": encoder}


def _run(model_name, mode, opt_name, steps=4):
    """Losses and parameters after each step of training a fresh model: eagerly, compiled,
    or compiled with the pools removed after the trace."""
    tt.manual_seed(0)
    model = MODELS[model_name]()
    loss_fn = nn.MSELoss() if model_name == "encoder" else nn.CrossEntropyLoss()

    def loss_of(x, y):
        return loss_fn(model(x), y)

    f = loss_of if mode == "eager" else tt.compile(loss_of)
    opt = (tt.optim.SGD if opt_name == "sgd" else tt.optim.Adam)(model.parameters(), lr=0.05)
    trail = []
    for step in range(steps):
        x, y = _data(model_name, step % 2)  # shapes repeat: one program
        opt.zero_grad()
        loss = f(x, y)
        loss.backward()
        opt.step()
        if mode == "unpooled":
            unpool(f)
        trail.append([bits(loss)] + [bits(p) for p in model.parameters()])
    if mode == "pooled":
        assert pooled_programs(f), "nothing was pooled"
    return trail


@pytest.mark.parametrize("model_name", ["mlp", "cnn", "encoder"])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_pooled_replays_equal_unpooled_replays_and_eager_step_for_step(model_name, opt_name):
    pooled = _run(model_name, "pooled", opt_name)
    assert pooled == _run(model_name, "unpooled", opt_name)
    eager = _run(model_name, "eager", opt_name)
    for a, b in zip(pooled, eager):  # eager: equal numbers (a rewrite may flip a zero's sign)
        for (da, sa, ba), (db, sb, bb) in zip(a, b):
            x, y = np.frombuffer(ba, da).reshape(sa), np.frombuffer(bb, db).reshape(sb)
            assert np.array_equal(x, y, equal_nan=True)


def _net():
    tt.manual_seed(1)
    return mlp()


def _eager_grads(model, x):
    loss = (model(x) ** 2).mean()
    return bits(loss), [bits(g) for g in tt.autograd.grad(loss, list(model.parameters()))]


def _xs(n=3):
    g = np.random.default_rng(7)
    return [tt.from_numpy(g.standard_normal((10, 12)).astype(np.float32)) for _ in range(n)]


def test_two_forwards_before_one_backward_each_keep_their_own_buffers():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    a, b, c = _xs()
    f(c).backward()  # trace
    model.zero_grad()
    l1, l2 = f(a), f(b)  # two graphs alive at once: two buffer sets
    (prog,) = pooled_programs(f)
    assert prog.pool.made == 2 and prog.pool.free == []
    (l1 + l2).backward()
    got = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    ((model(a) ** 2).mean() + (model(b) ** 2).mean()).backward()
    assert got == [bits(p.grad) for p in model.parameters()]
    assert len(prog.pool.free) == 2  # both sets back once the graph is freed


def test_retain_graph_twice_gives_the_same_gradients_and_keeps_the_lease():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    a, b, _ = _xs()
    f(b)
    loss = f(a)
    (prog,) = pooled_programs(f)
    params = list(model.parameters())
    first = tt.autograd.grad(loss, params, retain_graph=True)
    f(b)  # another call meanwhile takes another set, not this graph's
    second = tt.autograd.grad(loss, params, retain_graph=True)
    assert [bits(g) for g in first] == [bits(g) for g in second]
    assert [bits(g) for g in first] == _eager_grads(model, a)[1]
    free = len(prog.pool.free)
    tt.autograd.grad(loss, params)  # frees the graph: its set goes back
    assert len(prog.pool.free) == free + 1


def test_losses_kept_in_a_list_keep_their_values_and_graphs_while_later_steps_run():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    xs = _xs(4)
    kept = [f(x) for x in xs]  # four graphs alive, none run backward yet
    params = list(model.parameters())
    for x, loss in reversed(list(zip(xs, kept))):
        want_loss, want_grads = _eager_grads(model, x)
        assert bits(loss) == want_loss
        assert [bits(g) for g in tt.autograd.grad(loss, params)] == want_grads
        f(xs[0]).backward()  # later calls meanwhile reuse only the freed sets
        model.zero_grad()


def test_an_output_that_is_a_view_of_an_intermediate_is_never_overwritten():
    tt.manual_seed(2)
    w = tt.randn(12, 12, requires_grad=True)

    def fn(x):
        h = (x @ w) * 2.0 + 1.0
        return h[0], h.view(-1)[3:9], h.relu().sum()

    f = tt.compile(fn)
    a, b, c = _xs()
    f(c)
    first = f(a)
    snapshot = [bits(t) for t in first]
    for x in (b, c, a, b):
        f(x)[2].backward()
    assert [bits(t) for t in first] == snapshot
    assert snapshot == [bits(t) for t in fn(a)]
    w.grad = None
    first[2].backward()  # its graph is intact too; now freed, its lease is over
    got = bits(w.grad)
    w.grad = None
    fn(a)[2].backward()
    assert got == bits(w.grad)
    for x in (b, c):  # the views outlive their graph: still nobody's buffer but theirs
        f(x)[2].backward()
        with tt.no_grad():
            f(x)
    assert [bits(t) for t in first] == snapshot


def test_a_returned_intermediate_that_backward_saves_stays_the_callers():
    model = _net()

    def fn(x):
        h = model[1](model[0](x))  # relu saves its output for backward, and it is returned
        return h, (h * h).sum()

    f = tt.compile(fn)
    a, b, c = _xs()
    f(c)
    h1, l1 = f(a)
    keep = bits(h1)
    h2, l2 = f(b)
    l2.backward()
    assert bits(h1) == keep == bits(fn(a)[0])
    params = list(model.parameters())[:2]
    got = [bits(g) for g in tt.autograd.grad(l1, params)]
    want = [bits(g) for g in tt.autograd.grad(fn(a)[1], params)]
    assert got == want


def test_a_pool_keeps_at_most_two_free_sets():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    xs = _xs(3)
    f(xs[0])
    alive = [f(x) for x in xs * 2]  # six graphs: six sets leased
    (prog,) = pooled_programs(f)
    assert prog.pool.made == 6 and prog.pool.free == []
    del alive  # all six graphs freed: two sets kept, four dropped
    assert len(prog.pool.free) == 2
    f(xs[1]).backward()
    assert prog.pool.made == 6


def test_no_grad_calls_return_their_set_at_once_and_equal_eager():
    model = _net()
    f = tt.compile(lambda x: model(x).relu() * 3.0)
    a, b, _ = _xs()
    with tt.no_grad():
        f(b)
        outs = [f(a) for _ in range(4)]
        (prog,) = pooled_programs(f)
        assert prog.pool.made == 1 and len(prog.pool.free) == 1
        want = bits(model(a).relu() * 3.0)
    assert all(bits(o) == want for o in outs)


def test_an_exception_in_a_replay_returns_the_set_and_the_next_call_is_right():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    a, b, _ = _xs()
    f(b).backward()
    f(b).backward()
    (prog,) = pooled_programs(f)
    space = prog.forward_pooled.__globals__
    name = next(k for k in space if k.startswith("i"))
    into = space[name]

    def broken(*args, **kwargs):
        raise MemoryError("planted")

    space[name] = broken
    try:
        with pytest.raises(MemoryError, match="planted"):
            f(a)
    finally:
        space[name] = into
    assert prog.pool.made == 1 and len(prog.pool.free) == 1
    model.zero_grad()
    loss = f(a)
    loss.backward()
    got = [bits(p.grad) for p in model.parameters()]
    assert (bits(loss), got) == _eager_grads(model, a)


def test_two_threads_calling_one_compiled_function_each_get_their_own_set():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    xs = _xs(2)
    f(xs[0])
    params = list(model.parameters())
    want = [_eager_grads(model, x) for x in xs]
    results = [[], []]
    barrier = threading.Barrier(2)

    def work(k):
        barrier.wait()
        for _ in range(30):
            loss = f(xs[k])
            results[k].append((bits(loss), [bits(g) for g in tt.autograd.grad(loss, params)]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between kernel calls, not per call
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    for k in range(2):
        assert results[k] == [want[k]] * 30


def test_a_view_of_a_pooled_value_keeps_its_buffer_alive_until_the_view_is_read():
    # h's only direct reader is the reshape; the view r is read after y is made. Were the
    # view's reads not counted as h's, y would take h's buffer and overwrite r's values.
    def fn(x):
        h = x * 2.0
        r = h.reshape(-1)
        y = x + 1.0
        return r.sum() + (y * r.reshape(x.shape)).sum()

    f = tt.compile(fn)
    a, b, _ = _xs()
    f(b)
    assert bits(f(a)) == bits(fn(a))
    prog = f.program
    assert prog.pool is not None and len(set(prog.buffers.values())) >= 2


def _intervals(prog, tracer):
    """Each pooled value's lifetime, computed apart from the planner: from its step to the
    last read of any value that shares its memory (np.shares_memory), or to the end where the
    backward reads one of them from the forward."""
    names = {f"v{s}": s for s in range(len(tracer.arrays))}
    steps = prog.steps
    saved = set(prog.backward_source.splitlines()[0].split("(", 1)[1].rstrip("):").split(", "))
    made, last = {}, {}
    for p, (_phase, _name, writes, reads, _shapes) in enumerate(steps):
        for n in reads:
            last[n] = p
        for n in writes:
            made[n] = p
    out = {}
    for n in prog.buffers:
        a = tracer.arrays[names[n]]
        stop = made[n]
        for m, p in made.items():
            if np.shares_memory(tracer.arrays[names[m]], a):
                stop = max(stop, p, last.get(m, p))
                if m in saved:
                    stop = len(steps)
        out[n] = (made[n], stop)
    return out


@pytest.mark.parametrize("model_name", ["mlp", "cnn", "encoder"])
def test_values_sharing_a_buffer_are_never_alive_at_once(model_name):
    tt.manual_seed(0)
    model = MODELS[model_name]()
    x, y = _data(model_name, 0)
    loss_fn = nn.MSELoss() if model_name == "encoder" else nn.CrossEntropyLoss()
    _, entry = trace_call(lambda x, y: loss_fn(model(x), y), (x, y), {})
    prog, tracer = entry.program, entry.build_args[0]
    assert prog.pool is not None
    spans = _intervals(prog, tracer)
    by_buffer = {}
    for n, k in prog.buffers.items():
        by_buffer.setdefault(k, []).append(spans[n])
    shared = 0
    for held in by_buffer.values():
        held.sort()
        shared += len(held) - 1
        for (_s0, e0), (s1, _e1) in zip(held, held[1:]):
            assert e0 < s1, (model_name, held)
    if model_name != "cnn":  # (the CNN's pooled values all differ in shape)
        assert shared > 0  # some buffer does serve several values


def _step_peak(step):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_after_warm_up_a_step_allocates_no_new_buffers_and_peaks_lower(kind):
    tt.manual_seed(0)
    g = np.random.default_rng(3)
    if kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                              nn.Linear(8 * 8 * 8, 4))  # fmt: skip
        x = tt.from_numpy(g.standard_normal((32, 1, 16, 16)).astype(np.float32))
    else:
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 4))  # fmt: skip
        x = tt.from_numpy(g.standard_normal((128, 64)).astype(np.float32))
    f = tt.compile(lambda x: (model(x) ** 2).mean())

    def step():
        model.zero_grad()
        f(x).backward()

    for _ in range(3):
        step()
    (prog,) = pooled_programs(f)
    assert prog.pool.made == 1 and len(prog.pool.free) == 1
    held = prog.pool.free[0]
    assert len(held) > 0 and len(prog.buffers) >= len(held)
    pooled_peak = _step_peak(step)
    step()
    assert prog.pool.made == 1 and prog.pool.free[0] is held  # the very same arrays again
    unpool(f)
    step()
    unpooled_peak = _step_peak(step)
    # (the CNN's peak is mostly its convolutions' own arrays: kernels without an into)
    assert pooled_peak < 0.95 * unpooled_peak, (pooled_peak, unpooled_peak)


def test_inputs_with_other_strides_take_the_plain_program():
    tt.manual_seed(0)
    w = tt.randn(12, 12, requires_grad=True)

    def fn(x):
        return ((x @ w) * 2.0).relu().sum()

    f = tt.compile(fn)
    a = _xs(1)[0]
    f(a)
    prog = f.program
    assert prog.pool is not None
    made = prog.pool.made
    at = tt.from_numpy(np.asfortranarray(a.numpy()))  # same shape and dtype, other strides
    loss = f(at)
    loss.backward()
    assert prog.pool.made == made and bits(loss) == bits(fn(at))


def test_the_listing_names_each_buffer_and_the_values_it_holds():
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    a = _xs(1)[0]
    f(a)
    text = str(f.program).splitlines()
    at = text.index("# buffers reused by every call (values whose lifetimes do not overlap):")
    held = {}
    for n, k in f.program.buffers.items():
        held.setdefault(k, []).append(n)
    assert text[at + 1 :] == [f"#   b{k}: {', '.join(v)}" for k, v in sorted(held.items())]


def test_a_dynamic_program_pools_nothing():
    f = tt.compile(lambda x: (x * 2.0).relu() + 1.0, dynamic=True)
    for n in (3, 4, 5):
        x = tt.ones(n, 4)
        assert bits(f(x)) == bits((x * 2.0).relu() + 1.0)
    dyn = [e.program for e in f.entries if isinstance(e.guards, DynamicGuards)]
    assert dyn and all(p.pool is None and p.forward_pooled is None for p in dyn)


def test_values_of_one_size_in_other_shapes_and_dtypes_share_a_buffer():
    def fn(x, y):
        s = (x * 2.0).relu().sum()  # float32 (4, 6): dead once summed
        z = (y + 1.0) * 3.0  # float32 (6, 4): 96 bytes again
        return s + z.sum()

    f = tt.compile(fn)
    g = np.random.default_rng(5)
    x, y = (tt.from_numpy(g.standard_normal(s).astype(np.float32)) for s in ((4, 6), (6, 4)))
    f(x, y)
    assert bits(f(x, y)) == bits(fn(x, y))
    prog = f.program
    shape = {}  # value name -> its shape, from the listing
    for line in str(prog).splitlines():
        if " = " in line and "#" in line:
            shape[line.split(" = ")[0].strip()] = line.rsplit("# ", 1)[1]
    held = {}
    for n, k in prog.buffers.items():
        held.setdefault(k, set()).add(shape[n])
    assert len(prog.buffers) == 4 and len(held) == 2  # v2, v3, v5, v6 in two buffers
    assert all(shapes == {"float32[4, 6]", "float32[6, 4]"} for shapes in held.values())


def test_two_threads_running_backward_of_one_retained_graph_get_its_gradients():
    # The second backward to start while the first runs in the graph's buffer set takes the
    # plain program (the set's lock), so neither overwrites the other's intermediate values.
    model = _net()
    f = tt.compile(lambda x: (model(x) ** 2).mean())
    a, b, _ = _xs()
    f(b)
    loss = f(a)
    params = list(model.parameters())
    seeds = [tt.tensor(1.0), tt.tensor(-3.0)]  # each thread its own values in the buffers
    eager = (model(a) ** 2).mean()
    want = [[bits(g) for g in tt.autograd.grad(eager, params, s, retain_graph=True)] for s in seeds]
    results = [[], []]
    barrier = threading.Barrier(2)

    def work(k):
        barrier.wait()
        for _ in range(40):
            grads = tt.autograd.grad(loss, params, seeds[k], retain_graph=True)
            results[k].append([bits(g) for g in grads])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between kernel calls, not per backward
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert results == [[want[0]] * 40, [want[1]] * 40]


@pytest.mark.torch
def test_a_pooled_training_loop_follows_pytorch():
    torch = pytest.importorskip("torch")
    tt.manual_seed(0)
    model = encoder()
    ref = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    with torch.no_grad():
        ours, theirs = dict(model.named_parameters()), dict(ref.named_parameters())
        assert ours.keys() == theirs.keys()
        for name, q in theirs.items():
            q.copy_(torch.from_numpy(ours[name].detach().numpy().copy()))
    f = tt.compile(lambda x, y: nn.functional.mse_loss(model(x), y))
    # SGD: Adam would turn the rounding noise of the key bias's gradient (zero in exact
    # arithmetic: softmax ignores it) into steps of +-lr in either library
    opt = tt.optim.SGD(model.parameters(), lr=0.05)
    ropt = torch.optim.SGD(ref.parameters(), lr=0.05)
    for step in range(4):
        x, y = _data("encoder", step % 2)
        opt.zero_grad()
        loss = f(x, y)
        loss.backward()
        opt.step()
        ropt.zero_grad()
        rx, ry = (torch.from_numpy(t.numpy().copy()) for t in (x, y))
        rloss = torch.nn.functional.mse_loss(ref(rx), ry)
        rloss.backward()
        ropt.step()
        assert np.allclose(loss.item(), rloss.item(), rtol=1e-5, atol=1e-6)
    assert pooled_programs(f)
    for name, q in ref.named_parameters():
        p = dict(model.named_parameters())[name].detach().numpy()
        assert np.allclose(p, q.detach().numpy(), rtol=1e-4, atol=1e-5), name
