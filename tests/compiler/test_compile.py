"""tt.compile: replays equal eager, guards retrace, graph breaks fall back, randomness stays random.

Every comparison is bitwise (``np.array_equal``): a replay runs the same NumPy kernels on the
same arrays in the same order as the eager call it was traced from.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.compiler import Unsupported


def same(a, b):
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, tt.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def chain(x, n=9):
    for i in range(n):
        x = x * 0.9 if i % 3 == 0 else x + 0.1 if i % 3 == 1 else tt.tanh(x)
    return x


def mlp(seed=0):
    tt.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def test_a_replay_equals_eager_values_and_gradients():
    x = tt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    f = tt.compile(chain)
    for _ in range(3):  # trace, then two replays
        y = f(x)
        y.sum().backward()
        got = x.grad.clone()
        x.grad = None
        ye = chain(x)
        ye.sum().backward()
        assert same(y, ye) and same(got, x.grad)
        x.grad = None
    assert f.program is not None and f.program.n_forward == 9
    assert f.traces == 1


def test_the_replayed_output_has_one_compiled_node():
    x = tt.tensor([0.5], requires_grad=True)
    f = tt.compile(chain)
    f(x)
    y = f(x)
    assert y.grad_fn.name() == "CompiledFunctionBackward"
    assert y.grad_fn.next_functions[0][0] is x


def test_a_module_compiled_trains_like_eager_with_sgd_adam_and_a_scheduler():
    x = tt.tensor(np.random.default_rng(0).normal(size=(8, 6)), dtype=tt.float32)
    target = tt.tensor(np.random.default_rng(1).integers(0, 3, 8))
    runs = []
    for compiled in (False, True):
        model = mlp()
        step_fn = tt.compile(model) if compiled else model
        sgd = tt.optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
        adam = tt.optim.Adam(model[2].parameters(), lr=0.01)
        sched = tt.optim.lr_scheduler.StepLR(sgd, step_size=2, gamma=0.5)
        losses = []
        for _ in range(6):
            loss = nn.functional.cross_entropy(step_fn(x), target)
            sgd.zero_grad()
            adam.zero_grad()
            loss.backward()
            sgd.step()
            adam.step()
            sched.step()
            losses.append(loss.detach().numpy().copy())
        runs.append((losses, [p.detach().numpy().copy() for p in model.parameters()]))
    (l0, p0), (l1, p1) = runs
    assert all(np.array_equal(a, b) for a, b in zip(l0, l1))
    assert all(np.array_equal(a, b) for a, b in zip(p0, p1))


def test_module_compile_in_place():
    model = mlp()
    x = tt.randn(4, 6)
    want = model(x)
    assert model.compile() is None
    model(x)
    got = model(x)
    assert same(got, want)
    assert model._compiled_call_impl.program is not None


def test_a_compiled_module_is_a_module_with_the_original_inside():
    model = mlp()
    cm = tt.compile(model)
    assert isinstance(cm, nn.Module) and cm._orig_mod is model
    assert list(cm.state_dict()) == ["_orig_mod." + k for k in model.state_dict()]
    assert [p for p in cm.parameters()] == [p for p in model.parameters()]
    assert tt.compile(nn.Linear(2, 3)).out_features == 3  # other attributes: the original's
    cm.eval()
    assert not model.training


# --- guards ----------------------------------------------------------------------------------


def test_a_new_shape_dtype_or_requires_grad_traces_again():
    f = tt.compile(chain)
    xs = [
        tt.ones(3),
        tt.ones(3),
        tt.ones(4),
        tt.ones(4, dtype=tt.float64),
        tt.ones(4, dtype=tt.float64, requires_grad=True),
    ]
    for x in xs:
        assert same(f(x), chain(x))
    assert f.traces == 4
    y = f(xs[-1])
    assert y.requires_grad


def test_grad_mode_is_guarded():
    x = tt.ones(3, requires_grad=True)
    f = tt.compile(chain)
    f(x)
    with tt.no_grad():
        y = f(x)
        assert not y.requires_grad
    assert f.traces == 2
    assert f(x).requires_grad


def test_training_flag_is_guarded_dropout_is_identity_in_eval():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5))
    f = tt.compile(model)
    x = tt.ones(2, 5)
    f(x)
    model.eval()
    assert same(f(x), model(x))
    model.train()
    tt.manual_seed(3)
    a = f(x)
    tt.manual_seed(3)
    assert same(a, model(x))


def test_parameter_values_are_read_live_optimizer_data_and_load_state_dict():
    model = mlp()
    f = tt.compile(model)
    x = tt.randn(3, 6)
    f(x)
    f(x)
    with tt.no_grad():
        model[0].weight.mul_(2)  # an in-place optimizer-like step
    assert same(f(x), model(x))
    model[2].bias.data = tt.full((3,), 7.0)  # a .data write
    assert same(f(x), model(x))
    other = mlp(seed=5)
    model.load_state_dict(other.state_dict())
    assert same(f(x), other(x))


def test_a_replaced_parameter_traces_again():
    model = mlp()
    f = tt.compile(model)
    x = tt.randn(3, 6)
    f(x)
    model[0].weight = nn.Parameter(tt.zeros(16, 6))
    assert same(f(x), model(x))
    assert f._compiled.traces == 2


SCALE = 2.0


def scaled(x):
    return x * SCALE


def test_globals_and_closures_and_module_attributes_are_guarded():
    global SCALE
    f = tt.compile(scaled)
    x = tt.ones(2)
    assert same(f(x), x * 2.0)
    SCALE = 3.0
    try:
        assert same(f(x), x * 3.0)
    finally:
        SCALE = 2.0
    k = 4.0

    def closed(x):
        return x * k

    g = tt.compile(closed)
    assert same(g(x), x * 4.0)
    k = 5.0
    assert same(g(x), x * 5.0)

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.factor = 2.0

        def forward(self, x):
            return x * self.factor

    m = Scale()
    h = tt.compile(m)
    assert same(h(x), x * 2.0)
    m.factor = 6.0
    assert same(h(x), x * 6.0)


def test_non_tensor_arguments_are_guarded():
    f = tt.compile(lambda x, n: chain(x, n))
    x = tt.ones(2)
    assert same(f(x, 3), chain(x, 3))
    assert same(f(x, 4), chain(x, 4))
    assert f.traces == 2


def test_cache_size_limit_warns_and_runs_eagerly(monkeypatch):
    monkeypatch.setattr(tt.compiler.config, "cache_size_limit", 2)
    f = tt.compile(chain, dynamic=False)  # no batch-size generalisation: one trace per shape
    for n in (1, 2):
        f(tt.ones(n))
    with pytest.warns(UserWarning, match="cache_size_limit"):
        y = f(tt.ones(3))
    assert same(y, chain(tt.ones(3)))
    assert f.traces == 2


# --- graph breaks ----------------------------------------------------------------------------


def branchy(x):
    y = x * 2
    if y.sum() > 0:  # bool(tensor): a value-dependent decision
        return y + 1
    return y - 1


def test_a_branch_on_a_value_compiles_each_path_behind_a_value_guard():
    f = tt.compile(branchy)
    for v in (1.0, 2.0, -1.0, -3.0, 4.0, -5.0):
        x = tt.tensor([v, 1.0], requires_grad=True)
        y = f(x)
        y.sum().backward()
        got = x.grad.clone()
        x.grad = None
        branchy(x).sum().backward()
        assert same(y, branchy(x)) and same(got, x.grad)
        assert f.program is not None
    assert f.traces == 2  # one program per branch taken; the others replay
    assert "ExpectBool" in str(f.program)
    report = tt.compiler.explain(branchy)(tt.ones(2))
    assert report.graph_count == 1 and report.graph_break_count == 0


def nested_bool(x):
    if (x.sum() > 0).item():  # a Python value read by item(): a graph break
        return x
    return -x


@pytest.mark.parametrize(
    "fn, reason",
    [
        (nested_bool, "item()"),
        (lambda x: x * x.sum().item(), "item()"),
        (lambda x: x * len([v for v in x.tolist() if v > 0]), "tolist()"),
        (lambda x: tt.tensor(x.detach().numpy() * 2) + x, "numpy()"),
        (lambda x: x * float(np.asarray(x).sum()), "numpy()"),  # NumPy reading the data
        (lambda x: x.detach().mul_(1) + x, "in place"),  # writes the argument's storage
    ],
)
def test_graph_breaks_run_eagerly_with_the_same_results_and_are_explained(fn, reason):
    for sign in (1.0, -1.0, 1.0):
        x = tt.tensor([sign, 2 * sign, 0.5])
        f = tt.compile(fn)
        assert same(f(x), fn(x)) and same(f(x), fn(x))
        assert f.program is None
    report = tt.compiler.explain(fn)(x)
    assert report.graph_break_count >= 1 and reason in report.break_reasons[0]
    assert "test_compile.py" in report.break_reasons[0]  # names the user's line
    assert "Graph Break Count" in str(report)


def test_fullgraph_raises_at_the_first_break_naming_the_line():
    f = tt.compile(branchy, fullgraph=True)
    with pytest.raises(Unsupported, match=r"bool\(\).*test_compile.py"):
        f(tt.ones(3))
    g = tt.compile(chain, fullgraph=True)
    assert same(g(tt.ones(3)), chain(tt.ones(3)))


def test_reset_disable_and_is_compiling():
    seen = []

    def probe(x):
        seen.append(tt.compiler.is_compiling())
        return x + 1

    f = tt.compile(probe)
    f(tt.ones(1))
    f(tt.ones(1))  # a replay runs no Python
    assert seen == [True]
    assert not tt.compiler.is_compiling()
    tt.compiler.reset()
    f(tt.ones(1))
    assert seen == [True, True] and f.traces == 2

    @tt.compiler.disable
    def eager_part(x):
        return x * 3

    g = tt.compile(lambda x: eager_part(x) + 1)
    assert same(g(tt.ones(2)), tt.full((2,), 4.0))
    assert g.program is None
    report = tt.compiler.explain(lambda x: eager_part(x) + 1)(tt.ones(2))
    assert "disable" in report.break_reasons[0]


def test_arguments_are_checked_like_pytorch():
    with pytest.raises(RuntimeError, match="mode"):
        tt.compile(chain, mode="fastest")
    with pytest.raises(RuntimeError, match="either mode or options"):
        tt.compile(chain, mode="default", options={})
    with pytest.raises(RuntimeError, match="backend"):
        tt.compile(chain, backend="tensorrt")
    assert tt.compile(chain, disable=True) is chain
    assert tt.compile(chain, backend="eager") is chain
    deco = tt.compile(fullgraph=True)
    assert isinstance(deco(chain), tt.compiler.CompiledFunction)

    @tt.compile
    def h(x):
        return x * 2

    assert same(h(tt.ones(2)), tt.full((2,), 2.0))


# --- autograd safety -------------------------------------------------------------------------


def test_changing_a_saved_input_in_place_before_backward_raises_as_eager():
    w = tt.ones(3, requires_grad=True)
    f = tt.compile(lambda x: (x * w).sum())
    x = tt.ones(3, requires_grad=True)
    f(x)
    y = f(x)
    with tt.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_double_backward_through_a_compiled_call_is_refused_with_the_reason():
    f = tt.compile(lambda x: tt.tanh(x).sum())
    x = tt.ones(2, requires_grad=True)
    f(x)
    y = f(x)
    with pytest.raises(RuntimeError, match="create_graph"):
        tt.autograd.grad(y, x, create_graph=True)


def test_gradients_reach_parameters_and_accumulate():
    model = mlp()
    f = tt.compile(model)
    x = tt.randn(2, 6)
    f(x)
    f(x).sum().backward()
    f(x).sum().backward()
    got = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    model(x).sum().backward()
    assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(got, model.parameters()))


# --- randomness ------------------------------------------------------------------------------


def test_dropout_draws_a_fresh_mask_per_call_and_backward_uses_it():
    x = tt.ones(64, requires_grad=True)
    f = tt.compile(lambda x: nn.functional.dropout(x, 0.5, training=True))
    f(x)
    tt.manual_seed(1)
    a = f(x)
    b = f(x)
    assert not same(a, b)  # fresh numbers from the global generator
    a.sum().backward()
    assert same(x.grad, a.detach())  # d(dropout(x))/dx = mask * 2, and x = 1
    tt.manual_seed(1)
    assert same(nn.functional.dropout(x, 0.5, training=True), a)


def test_show_prints_the_forward_and_backward_program(capsys):
    x = tt.ones(3, requires_grad=True)
    prog = tt.compiler.show(lambda x: tt.tanh(x * 2.0).sum(), x)
    text = capsys.readouterr().out
    assert "forward(x0):" in text and "backward(" in text
    assert "Tanh(" in text and "TanhBackward(" in text and "float32[3]" in text
    assert str(prog) == text.rstrip("\n")
    with pytest.raises(Unsupported, match="item"):
        tt.compiler.show(nested_bool, x)


def test_constants_returned_are_fresh_arrays():
    f = tt.compile(lambda x: (x + 1, tt.ones(2) * 3))
    x = tt.ones(2)
    f(x)
    _, c = f(x)
    c.add_(1)
    _, c2 = f(x)
    assert same(c2, tt.full((2,), 3.0))


def test_a_compiled_loss_of_a_scalar_program_equals_eager():
    params = [tt.tensor(v, requires_grad=True) for v in (0.3, -0.2, 0.5)]

    def loss():
        total = 0.0
        for i, p in enumerate(params):
            total = total + (p * (i + 1) - 0.1).relu() * math.pi
        return total

    f = tt.compile(loss)
    f()
    y = f()
    y.backward()
    got = [p.grad.numpy().copy() for p in params]
    for p in params:
        p.grad = None
    loss().backward()
    assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(got, params))
    warnings.simplefilter("default")


CALLS = 0


def counting(x):
    global CALLS
    CALLS += 1
    return x * 2


def test_python_side_effects_are_graph_breaks_not_skipped():
    global CALLS
    CALLS = 0  # the test may run twice in one process (mutmut does)
    f = tt.compile(counting)
    for _ in range(3):
        f(tt.ones(2))
    assert CALLS == 3 and f.program is None
    assert "global 'CALLS'" in tt.compiler.explain(counting)(tt.ones(2)).break_reasons[0]

    class Keeps(nn.Module):
        def forward(self, x):
            self.last = x * 3
            return self.last + 1

    m = Keeps()
    g = tt.compile(m)
    for v in (1.0, 2.0):
        g(tt.full((2,), v))
        assert same(m.last, tt.full((2,), 3 * v))
    n = 0

    def bump(x):
        nonlocal n
        n += 1
        return x + n

    h = tt.compile(bump)
    h(tt.ones(1))
    assert same(h(tt.ones(1)), tt.full((1,), 3.0)) and n == 2


def test_batch_norm_running_statistics_update_on_every_replay():
    x = tt.tensor(np.random.default_rng(0).normal(size=(8, 3)), dtype=tt.float32)
    runs = []
    for compiled in (False, True):
        rm, rv = tt.zeros(3), tt.ones(3)

        def f(x, rm=rm, rv=rv):
            return nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.5)

        g = tt.compile(f) if compiled else f
        for _ in range(3):
            y = g(x)
        if compiled:
            assert g.program is not None, g.entries[0].breaks
        runs.append((y.numpy().copy(), rm.numpy().copy(), rv.numpy().copy()))
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
    assert not np.array_equal(runs[1][1], np.zeros(3))


def test_in_place_ops_on_tensors_the_call_made_compile():
    def f(x):
        y = x * 2
        y[0] = 5.0
        y.relu_()
        return (y * x).sum()

    c = tt.compile(f)
    for v in ([1.0, -2.0, 3.0], [2.0, 1.0, -1.0], [-1.0, 4.0, 0.5]):
        x = tt.tensor(v, requires_grad=True)
        a = c(x)
        a.backward()
        got = x.grad.clone()
        x.grad = None
        b = f(x)
        b.backward()
        assert same(a, b) and same(got, x.grad)
    assert c.program is not None and "CopyInto" in str(c.program)


def test_in_place_on_a_zero_dim_intermediate_compiles():
    # A 0-d kernel result may be a NumPy scalar; the in-place write must still land in it.
    def f(a, b):
        e = b.abs()
        e.add_(-1.5)
        return (a**-1.5) / b, e

    c = tt.compile(f)
    for v in (0.9, -2.0, 0.25):
        a = tt.tensor([0.7, 1.3], dtype=tt.float64, requires_grad=True)
        b = tt.tensor(v, dtype=tt.float64, requires_grad=True)
        (d1, e1), (d2, e2) = c(a, b), f(a, b)
        assert same(d1, d2) and same(e1, e2)
        (d1.sum() + e1).backward()
        got = (a.grad.clone(), b.grad.clone())
        a.grad = b.grad = None
        (d2.sum() + e2).backward()
        assert same(got[0], a.grad) and same(got[1], b.grad)
    assert c.program is not None


def test_kernels_after_a_zero_dim_result_get_arrays():
    # b + 1.5 on 0-d arrays gives a NumPy scalar; the setitem kernel after it copies and
    # indexes it, which only an array allows (eager's wrap makes it one; so must the program).
    def f(b):
        y = b + 1.5
        y[()] = 0.0
        return (y + b).abs()

    c = tt.compile(f)
    for v in (0.9, -2.0):
        b = tt.tensor(v, dtype=tt.float64, requires_grad=True)
        a1, a2 = c(b), f(b)
        assert same(a1, a2)
        a1.backward()
        got = b.grad.clone()
        b.grad = None
        a2.backward()
        assert same(got, b.grad)
    assert c.program is not None and "_array(" in c.program.forward_source


def test_detach_of_an_argument_is_a_new_tensor_without_grad_on_its_storage():
    c = tt.compile(lambda a: a.detach())
    for _ in range(3):  # the trace, then replays
        a = tt.tensor([1.0, 2.0], requires_grad=True)
        d = c(a)
        assert d is not a and not d.requires_grad and d.grad_fn is None
        with tt.no_grad():
            d.add_(1.0)  # the storage (and version counter) is a's
        assert a.tolist() == [2.0, 3.0] and a._version == d._version == 1


def test_in_place_writes_to_the_users_tensors_stay_eager():
    def through_a_view(x):
        v = x.view(3)
        v.add_(1)  # changes the argument's storage: its version must move
        return x * 2

    c = tt.compile(through_a_view)
    x = tt.zeros(3)
    c(x)
    c(x)
    assert same(x, tt.full((3,), 2.0)) and x._version == 2
    assert c.program is None


def test_dynamic_true_makes_the_batch_dimension_symbolic():
    model = mlp()
    f = tt.compile(model, dynamic=True)
    rng = np.random.default_rng(0)
    for n in (4, 7, 4, 9, 1, 12):
        x = tt.tensor(rng.normal(size=(n, 6)), dtype=tt.float32)
        y = f(x)
        y.sum().backward()
        got = [p.grad.numpy().copy() for p in model.parameters()]
        model.zero_grad()
        want = model(x)
        want.sum().backward()
        assert same(y, want)
        assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(got, model.parameters()))
        model.zero_grad()
    assert f._compiled.traces == 2  # two batch sizes traced, then one program for all

    def h(x):
        return x.reshape(-1, 3).sum(0) * x.reshape(x.shape[0], 6).mean()

    g = tt.compile(h, dynamic=True)
    for n in (2, 5, 3, 8):
        x = tt.arange(n * 6, dtype=tt.float32).reshape(n, 6)
        assert same(g(x), h(x))
    assert g.traces == 2
    assert "B = x0.shape[0]" in str(g.program) and "[B, 6]" in str(g.program)


def test_dynamic_keeps_other_dimensions_fixed():
    f = tt.compile(lambda x: x * 2, dynamic=True)
    for shape in ((2, 3), (4, 3), (4, 5), (6, 5), (9, 5), (1, 3)):
        x = tt.ones(shape)
        assert same(f(x), x * 2)
    assert f.traces == 4  # (4, 5) differs beyond the batch dimension: a family of its own


def test_a_constant_written_in_place_starts_fresh_on_every_replay():
    # tt.ones(...) is folded into a constant, unless an in-place write reaches it (directly or
    # through a view): then each replay makes it again, as eager does.
    def direct(x):
        c = tt.ones(2)
        c.add_(x)
        return c * 2

    def through_a_view(x):
        c = tt.ones(2, 2)
        c[0].add_(x)
        return c * 2

    for fn in (direct, through_a_view):
        f = tt.compile(fn)
        x = tt.ones(2)
        for _ in range(3):
            assert same(f(x), fn(x))
        assert f.program is not None


def test_a_replay_frees_each_value_after_its_last_read():
    # The program drops an intermediate once nothing later reads it (a del in the generated
    # code), as eager frees a tensor no one holds: its peak memory is not above eager's.
    import tracemalloc

    tt.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(256, 256), nn.Tanh())])
    x = tt.randn(512, 256)

    def loss(x):  # mul/add/relu save little: eager frees most of these as it goes
        h = model(x)
        for _ in range(6):
            h = (h * 1.5 + 0.5).relu()
        return h.square().mean()

    def peak(fn):
        for _ in range(3):
            fn(x).backward()
        tracemalloc.start()
        for _ in range(2):
            fn(x).backward()
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    c = tt.compile(loss)
    eager_peak, compiled_peak = peak(loss), peak(c)
    assert c.program is not None and "del " in c.program.forward_source
    assert compiled_peak <= eager_peak * 1.05, (compiled_peak, eager_peak)
