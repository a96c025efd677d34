"""tt.compile's call, trace and API rules that mutmut's planted bugs in compiler/compiled.py,
compiler/trace.py and compiler/__init__.py slipped past (issue #25).

All NumPy-only. Results are compared bitwise with the eager call they must equal, or with
hand-derived constants (kernel counts, messages).
"""

from __future__ import annotations

import functools
import os
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.compiler import Unsupported
from tinytensor.compiler.guards import DynamicGuards
from tinytensor.compiler.trace import Break


def same(a, b):
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, tt.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def rows(n, width=3, start=0.0, dtype=tt.float32):
    return tt.arange(n * width, dtype=dtype).reshape(n, width) + start


def dynamic(f):
    """Whether ``f`` holds an entry made for every batch size (by ``generalize``)."""
    return any(isinstance(e.guards, DynamicGuards) for e in f.entries)


@pytest.fixture(autouse=True)
def _fresh():
    tt.compiler.reset()
    yield
    tt.compiler.reset()


# --- results: the structure the function returned, rebuilt on every replay ------------------


def test_a_replay_rebuilds_namedtuples_lists_dicts_sizes_and_python_values():
    def h(x):
        return {"m": x.max(0), "l": [x * 2, 3], "t": (x + 1,), "s": "k", "shape": x.shape}

    f = tt.compile(h)
    x = tt.tensor([[1.0, 5.0], [3.0, 2.0]])
    f(x)
    got, want = f(x), h(x)
    assert f.program is not None and f.traces == 1
    assert list(got) == ["m", "l", "t", "s", "shape"]
    assert type(got["m"]) is type(want["m"]) and got["m"]._fields == ("values", "indices")
    assert same(got["m"].values, np.float32([3, 5])) and same(got["m"].indices, np.array([1, 0]))
    assert type(got["l"]) is list and same(got["l"][0], want["l"][0]) and got["l"][1] == 3
    assert type(got["t"]) is tuple and len(got["t"]) == 1 and same(got["t"][0], want["t"][0])
    assert got["s"] == "k"
    assert type(got["shape"]) is type(x.shape) and tuple(got["shape"]) == (2, 2)


def test_a_returned_argument_or_parameter_is_that_very_tensor():
    w = nn.Parameter(tt.tensor([1.0, 2.0]))

    def h(x):
        return x, w, x * w

    f = tt.compile(h)
    x = tt.tensor([3.0, 4.0], requires_grad=True)
    f(x)
    a, b, c = f(x)
    assert f.program is not None
    assert a is x and b is w and same(c, np.float32([3, 8]))
    c.sum().backward()
    assert same(x.grad, np.float32([1, 2])) and same(w.grad, np.float32([3, 4]))


def test_each_output_gets_its_own_gradient_and_unused_ones_are_zero():
    # Two outputs of one node: a gradient for the first only, then for the second only, then
    # both, each equal to eager's.
    def h(x):
        return x * 2.0, tt.exp(x), x.detach() * 5.0

    f = tt.compile(h)
    x0 = tt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    f(x0)
    for pick in ((0,), (1,), (0, 1)):
        grads = []
        for fn in (f, h):
            x = tt.tensor([0.5, -1.0, 2.0], requires_grad=True)
            outs = fn(x)
            assert not outs[2].requires_grad
            sum(((k + 1) * outs[k]).sum() for k in pick).backward()
            grads.append(x.grad)
        assert same(grads[0], grads[1]), pick
    assert f.program is not None and f.traces == 1


def test_a_result_made_outside_any_kernel_is_a_graph_break_that_names_it():
    def h(x):
        return x * 2, tt.tensor(np.ones((2, 1), np.float64))

    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(2):
        assert all(same(a, b) for a, b in zip(f(x), h(x)))
    assert f.program is None
    reasons = [b.reason for b in f.entries[0].breaks]
    assert reasons == [
        "Tensor: an argument was computed outside a primitive's kernel (an op not yet "
        "declared as a primitive)",
        "a result (an op without grad, float64[2, 1]) was computed outside a primitive's "
        "kernel (an op not yet declared as a primitive)",
    ]


def test_an_alias_of_an_argument_that_requires_grad_is_a_graph_break():
    def h(x):
        return x.detach().requires_grad_()

    f = tt.compile(h)
    x = tt.ones(2)
    y = f(x)
    assert f.program is None and y.requires_grad
    assert f.entries[0].breaks[0].reason == (
        "a result shares an input's storage but is another tensor that requires grad (a "
        "replay could not give it its history)"
    )


# --- methods, the cache limit, reset ---------------------------------------------------------


class _Scaled:
    def __init__(self, k):
        self.k = k

    @tt.compile
    def apply(self, x):
        return x * self.k


def test_a_compiled_function_on_a_class_is_a_method():
    assert isinstance(_Scaled.__dict__["apply"], tt.compiler.CompiledFunction)
    assert _Scaled.apply is _Scaled.__dict__["apply"]  # looked up on the class: itself
    objs = [_Scaled(k) for k in (2.0, 3.0)]  # kept alive: objects are guarded by identity
    for obj in (*objs, objs[0]):
        assert same(obj.apply(tt.ones(2)), tt.full((2,), obj.k))
    assert same(_Scaled.apply(objs[1], tt.ones(2)), tt.full((2,), 3.0))


def test_the_cache_limit_warns_once_naming_the_function_and_the_failed_guard(monkeypatch):
    monkeypatch.setattr(tt.compiler.config, "cache_size_limit", 2)

    def poly(x):
        return x * x + 1

    f = tt.compile(poly, dynamic=False)
    f(tt.ones(1)), f(tt.ones(2))
    with pytest.warns(UserWarning) as rec:
        y = f(tt.ones(3))
    (w,) = rec
    text = str(w.message)
    assert text.startswith(
        "tinytensor.compile: test_the_cache_limit_warns_once_naming_the_function_and_the_failed"
        "_guard.<locals>.poly was traced 2 times (config.cache_size_limit); the last guard "
        "failed because an argument's shape"
    )
    assert "It runs eagerly from now on" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: the next calls run eagerly, silently
        assert same(f(tt.ones(4)), tt.full((4,), 2.0))
    assert f.traces == 2 and same(y, tt.full((3,), 2.0))
    assert same(f(tt.ones(2)), tt.full((2,), 2.0))  # a traced shape still replays
    assert f.program is not None


def test_reset_forgets_the_program_and_the_entries():
    f = tt.compile(lambda x: x + 1)
    f(tt.ones(2)), f(tt.ones(2))
    assert f.program is not None and len(f.entries) == 1
    tt.compiler.reset()
    assert f.program is None and f.entries == []
    f(tt.ones(2))
    assert f.traces == 2


# --- graph breaks -----------------------------------------------------------------------------


def test_a_gradient_hook_on_an_argument_is_a_graph_break_and_runs_every_call():
    calls = []
    f = tt.compile(lambda x: (x * 3.0).sum())
    for n in range(3):
        x = tt.ones(2, requires_grad=True)
        x.register_hook(lambda g: calls.append(1) or g * 10)
        f(x).backward()
        assert same(x.grad, tt.full((2,), 30.0)) and len(calls) == n + 1
    assert f.program is None
    reason = f.entries[0].breaks[0].reason
    assert reason == "a tensor has a gradient hook (hooks run Python in backward)"


def test_a_module_attribute_set_by_the_call_is_named_in_the_break():
    class Keeps(nn.Module):
        def forward(self, x):
            self.first = x + 1
            self.second = x * 2
            return x

    report = tt.compiler.explain(Keeps())(tt.ones(2))
    assert report.graph_break_count == 1
    assert report.break_reasons[0].startswith(
        "the call sets the module attribute 'first' (a replay runs no Python, so it would not)"
    )


def test_a_module_attribute_replaced_in_a_nested_child_is_a_break():
    class Leaf(nn.Module):
        def forward(self, x):
            self.count = getattr(self, "count", 0) + 1
            return x * 2

    outer = nn.Sequential(nn.Identity(), nn.Sequential(Leaf()))
    f = tt.compile(outer)
    for n in (1, 2, 3):
        assert same(f(tt.ones(2)), tt.full((2,), 2.0))
        assert outer[1][0].count == n  # the Python ran every time
    assert f.program is None


def test_fullgraph_raises_on_a_branch_on_a_value():
    def h(x):
        return x + 1 if x.sum() > 0 else x - 1

    with pytest.raises(Unsupported, match=r"fullgraph=True.*bool\(\)"):
        tt.compile(h, fullgraph=True)(tt.ones(2))
    f = tt.compile(h)  # without fullgraph: a value guard, one program per path
    assert same(f(tt.ones(2)), tt.full((2,), 2.0))
    assert same(f(-tt.ones(2)), tt.full((2,), -2.0))
    assert same(f(tt.ones(2)), tt.full((2,), 2.0)) and f.traces == 2
    assert all(e.program is not None for e in f.entries)


def test_a_branch_on_a_one_element_argument_is_a_value_guard():
    def h(x, flag):
        return x * 2 if flag else x * 3

    f = tt.compile(h)
    for v in (True, False, True, False):
        assert same(f(tt.ones(2), tt.tensor(v)), h(tt.ones(2), tt.tensor(v)))
    assert f.traces == 2 and all(e.program is not None for e in f.entries)
    assert f.program is not None


def test_a_second_break_is_recorded_and_numbered():
    def h(x):
        a = x.sum().item()
        b = x.max().item()
        return x * (a + b)

    report = tt.compiler.explain(h)(tt.ones(2))
    assert report.graph_break_count == len(report.break_reasons) >= 2
    assert report.graph_count == 0 and report.op_count == 0
    text = str(report)
    assert "Break Reasons:\n  1. a tensor's values reach Python through item()" in text
    assert "\n  2. a tensor's values reach Python through item()" in text
    assert report.program is None and repr(report) == text


def test_a_break_names_its_reason_and_then_the_line():
    assert str(Break("item()", "f.py:3: y = x.item()")) == "item() (at f.py:3: y = x.item())"
    assert str(Break("item()", "")) == "item()"


# --- what the tracer takes as a constant -----------------------------------------------------


def test_slices_ellipsis_dtypes_and_index_lists_are_constants_of_one_program():
    def h(x):
        a = x[..., ::2].to(tt.float64)
        b = x.sum(dim=(0, 1), keepdim=True)
        c = x[[0, 1]][:, [2, 0]]
        return a, b, c

    f = tt.compile(h)
    for k in range(3):
        x = rows(2, 4, start=float(k))
        assert all(same(a, b) for a, b in zip(f(x), h(x)))
    assert f.program is not None and f.traces == 1


def test_an_index_tensor_argument_is_read_on_every_replay():
    f = tt.compile(lambda x, i: x[i] * 2)
    x = rows(4)
    for idx in ([0, 3], [2, 1], [3, 3]):
        i = tt.tensor(idx)
        assert same(f(x, i), x[i] * 2)
    assert f.program is not None and f.traces == 1


# --- the compile() API ------------------------------------------------------------------------


def test_compile_as_a_decorator_passes_every_setting_on():
    def h(x):
        return x * 2

    assert tt.compile(dynamic=False)(h).dynamic is False
    assert tt.compile(dynamic=True)(h).dynamic is True
    assert tt.compile(fullgraph=True)(h).fullgraph is True
    assert tt.compile(h).fullgraph is False and tt.compile(h).dynamic is None
    assert tt.compile(disable=True)(h) is h
    assert tt.compile(backend="eager")(h) is h
    with pytest.raises(RuntimeError, match="mode"):
        tt.compile(mode="fastest")(h)
    with pytest.raises(RuntimeError, match="either mode or options"):
        tt.compile(mode="default", options={})(h)


def test_compile_accepts_pytorchs_modes_backends_and_options():
    def h(x):
        return x * 2

    for mode in (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        assert isinstance(tt.compile(h, mode=mode), tt.compiler.CompiledFunction)
    for backend in (None, "inductor", "aot_eager", "tinytensor"):
        f = tt.compile(h, backend=backend)
        assert isinstance(f, tt.compiler.CompiledFunction)
        f(tt.ones(2))
        assert same(f(tt.ones(2)), tt.full((2,), 2.0)) and f.program is not None
    assert isinstance(tt.compile(h, options={"epilogue_fusion": True}),
                      tt.compiler.CompiledFunction)  # fmt: skip


def test_compile_refuses_custom_backends_and_non_callables():
    def h(x):
        return x * 2

    with pytest.raises(RuntimeError, match="custom backend"):
        tt.compile(h, backend=lambda gm, inputs: gm)
    with pytest.raises(RuntimeError, match="expected a function or a Module, got int"):
        tt.compile(3)
    with pytest.raises(RuntimeError, match="unknown backend 'tensorrt'"):
        tt.compile(h, backend="tensorrt")


def test_compile_of_a_module_passes_fullgraph_and_dynamic_on():
    m = nn.Linear(2, 2)
    c = tt.compile(m, fullgraph=True, dynamic=False)
    assert isinstance(c, nn.Module) and c._orig_mod is m
    assert c._compiled.fullgraph is True and c._compiled.dynamic is False
    d = tt.compile(m)
    assert d._compiled.fullgraph is False and d._compiled.dynamic is None


# --- disable, explain, show, is_compiling ----------------------------------------------------


def test_disable_names_its_reason_or_the_function_in_the_break():
    @tt.compiler.disable(reason="writes a log")
    def logged(x):
        return x * 3

    @tt.compiler.disable
    def plain(x):
        return x + 1

    r1 = tt.compiler.explain(lambda x: logged(x) + 1)(tt.ones(2)).break_reasons[0]
    r2 = tt.compiler.explain(lambda x: plain(x) * 2)(tt.ones(2)).break_reasons[0]
    assert "tt.compiler.disable (writes a log)" in r1
    assert "plain" in r2 and "writes a log" not in r2
    assert logged.__name__ == "logged"  # functools.wraps
    assert same(logged(tt.ones(2)), tt.full((2,), 3.0))


def test_compiled_calls_inside_disabled_code_run_eagerly_until_it_returns():
    seen = []

    def probe(x):
        seen.append(tt.compiler.is_compiling())
        return x * 2

    inner = tt.compile(probe)

    @tt.compiler.disable
    def outer(x, fail=False):
        y = inner(x)
        if fail:
            raise ValueError("boom")
        return y

    for _ in range(2):
        assert same(outer(tt.ones(2)), tt.full((2,), 2.0))
    assert inner.traces == 0 and seen == [False, False]
    with pytest.raises(ValueError, match="boom"):
        outer(tt.ones(2), fail=True)
    inner(tt.ones(2))  # the disabled region ended, even by an exception: this call traces
    assert inner.traces == 1 and seen[-1] is True


def test_disable_of_a_compiled_function_runs_the_original():
    seen = []

    def probe(x):
        seen.append(tt.compiler.is_compiling())
        return x - 1

    g = tt.compiler.disable(tt.compile(probe))
    for _ in range(2):
        assert same(g(tt.ones(2)), tt.zeros(2))
    assert seen == [False, False]
    assert g.__wrapped__ is probe


def test_explain_counts_forward_and_backward_kernels():
    report = tt.compiler.explain(lambda x: tt.tanh(x * 2.0).sum())(tt.ones(3, requires_grad=True))
    prog = report.program
    assert report.graph_count == 1 and report.graph_break_count == 0
    assert prog.n_forward == 3  # Mul, Tanh, Sum
    assert prog.n_backward >= 1 and report.op_count == prog.n_forward + prog.n_backward
    assert str(report).splitlines() == [
        "Graph Count: 1",
        "Graph Break Count: 0",
        f"Op Count: {report.op_count}",
    ]
    no_grad = tt.compiler.explain(lambda x: tt.tanh(x * 2.0).sum())(tt.ones(3))
    assert no_grad.op_count == 3 and no_grad.program.n_backward == 0


def test_explain_and_show_of_a_module_and_of_a_compiled_function():
    m = nn.Linear(2, 3)

    class SetsAttr(nn.Module):
        def forward(self, x):
            self.seen = x
            return x * 2

    assert tt.compiler.explain(m)(tt.ones(1, 2)).graph_count == 1
    report = tt.compiler.explain(SetsAttr())(tt.ones(2))
    assert report.graph_count == 0 and "module attribute 'seen'" in report.break_reasons[0]
    c = tt.compile(lambda x: x * 2)
    assert tt.compiler.explain(c)(tt.ones(2)).graph_count == 1
    assert c.entries == [] and c.traces == 0  # explain keeps nothing
    prog = tt.compiler.show(m, tt.ones(1, 2))
    assert prog.n_forward >= 1 and "forward(" in str(prog)
    assert tt.compiler.show(c, tt.ones(2)).n_forward == 1
    with pytest.raises(Unsupported, match="module attribute 'seen'"):
        tt.compiler.show(SetsAttr(), tt.ones(2))


def test_show_names_every_break():
    def h(x):
        return x * (x.sum().item() + x.max().item())

    with pytest.raises(Unsupported, match=r"not one program: .*item\(\).*; .*item\(\)"):
        tt.compiler.show(h, tt.ones(2))


# --- dynamic: only traces that differ in the batch size alone are generalised ----------------


@pytest.mark.parametrize(
    "second",
    [
        lambda: (rows(3, dtype=tt.float64),),  # another dtype
        lambda: (rows(3, 4),),  # another trailing size
        lambda: (rows(3).requires_grad_(),),  # another requires_grad
        lambda: (rows(3).reshape(3, 3, 1),),  # another rank
    ],
    ids=["dtype", "trailing", "requires_grad", "rank"],
)
def test_traces_that_differ_beyond_the_batch_size_are_not_generalised(second):
    def h(x):
        return x * 2

    f = tt.compile(h)
    f(rows(2))
    (x,) = second()
    assert same(f(x), h(x))
    assert not dynamic(f) and f.traces == 2


def test_two_batched_arguments_of_different_size_pairs_are_not_generalised():
    def h(x, y):
        return x.sum() + y.sum()

    f = tt.compile(h)
    f(rows(2), rows(5))
    f(rows(3), rows(7))  # B 2 -> 3 for x, 5 -> 7 for y: no single batch size
    assert not dynamic(f)
    f(rows(4), rows(4))
    f(rows(6), rows(6))  # both 4 -> 6: one batch size
    assert dynamic(f)


def test_a_zero_batch_is_not_generalised():
    def h(x):
        return x * 2

    f = tt.compile(h)
    f(rows(0))
    f(rows(3))
    assert not dynamic(f)


def test_a_zero_dim_argument_beside_a_batched_one_is_not_batched():
    def h(x, s):
        return x * s

    f = tt.compile(h)
    s = tt.tensor(2.0)
    for n in (2, 3, 5, 6):
        assert same(f(rows(n), s), h(rows(n), s))
    assert dynamic(f) and f.traces == 2


def test_traces_returning_other_structures_are_not_generalised():
    def h(x, as_list):
        return [x * 2] if as_list else (x * 2,)

    f = tt.compile(h)
    f(rows(2), True)
    f(rows(3), False)
    assert not dynamic(f)
    out = f(rows(4), False)
    assert type(out) is tuple and same(out[0], rows(4) * 2)


# --- the tracer: constants, captured tensors, in-place writes ---------------------------------


def test_numpy_scalars_are_constants_of_the_program():
    f = tt.compile(lambda x: x * np.float32(2.0) + np.float64(1.0))
    for v in (1.0, -2.0):
        x = tt.full((2,), v)
        assert same(f(x), x * np.float32(2.0) + np.float64(1.0))
    assert f.program is not None and f.traces == 1


def test_a_captured_tensor_read_twice_is_one_input():
    w = tt.tensor([1.0, 2.0, 3.0])
    f = tt.compile(lambda x: x * w + w)
    f(tt.ones(3))
    assert len(f.entries[0].externals) == 1 and f.entries[0].externals[0] is w
    text = str(f.program)
    assert "x1: parameter or captured tensor float32[3]" in text and "x2" not in text
    with tt.no_grad():
        w.mul_(2)  # read live on every replay
    assert same(f(tt.ones(3)), np.float32([4, 8, 12]))


def test_an_in_place_write_through_a_view_of_a_captured_tensor_stays_eager():
    w = tt.zeros(3)

    def h(x):
        w[0:2].add_(x)
        return w * 2

    f = tt.compile(h)
    for n in (1, 2, 3):
        assert same(f(tt.ones(2)), np.float32([2 * n, 2 * n, 0]))
        assert same(w, np.float32([n, n, 0])) and w._version == n
    assert f.program is None
    assert f.entries[0].breaks[0].reason == "a tensor is changed in place"


def test_an_in_place_write_on_a_fresh_result_is_replayed_in_order():
    def h(x):
        y = x * 2
        y.mul_(3)
        return y + x

    f = tt.compile(h)
    for v in (1.0, 2.0, -1.0):
        x = tt.full((2,), v)
        assert same(f(x), h(x))
    assert f.program is not None and f.traces == 1


# --- keyword arguments through a call that broke and through its pieces ----------------------


class _Shift(nn.Module):
    def forward(self, x, *, shift=0.0, scale=1.0):
        return x * scale + shift


def test_keyword_arguments_reach_a_broken_call_and_its_pieces():
    mod = _Shift()

    def step(x, *, shift, scale=1.0):
        y = mod(x, shift=shift, scale=scale)
        if y.sum().item() > 1e9:  # a break: the call runs in pieces from now on
            y = y * 0
        return y - shift

    c = tt.compile(step)
    x = tt.ones(2)
    for shift, scale in ((1.0, 2.0), (1.0, 2.0), (1.0, 2.0), (3.0, 2.0), (3.0, 2.0)):
        assert same(c(x, shift=shift, scale=scale), step(x, shift=shift, scale=scale))
    assert same(c(x, shift=1.0), tt.ones(2))  # scale's default
    assert c.program is None and mod in tt.compiler.pieces.of


# --- the backward node ------------------------------------------------------------------------


def test_an_output_without_grad_that_the_backward_reads_is_kept():
    # y needs no gradient, but d(x * y)/dx reads it: a residual that is an output outside the
    # backward node's own outputs.
    def h(x):
        y = tt.exp(x.detach())
        return x * y, y

    f = tt.compile(h)
    f(tt.tensor([0.5, 1.0], requires_grad=True))
    for _ in range(2):
        x = tt.tensor([0.5, 1.0], requires_grad=True)
        z, y = f(x)
        assert not y.requires_grad
        z.sum().backward()
        assert same(x.grad, tt.exp(tt.tensor([0.5, 1.0])))
    assert f.program is not None and f.traces == 1


def test_a_second_derivative_through_a_replay_is_refused_with_the_reason():
    f = tt.compile(lambda x: (x * x).sum())
    x = tt.ones(2, requires_grad=True)
    f(x)
    y = f(x)
    with pytest.raises(RuntimeError) as err:
        tt.autograd.grad(y, x, create_graph=True)
    assert str(err.value) == (
        "backward through a tinytensor.compile'd function with create_graph=True: the compiled "
        "backward program is NumPy kernels, not differentiable again; call the function "
        "without compile (or inside tt.compiler.disable) for higher derivatives"
    )


# --- dynamic: more of generalize's rules -----------------------------------------------------


@pytest.mark.parametrize("sizes", [(1, 3, 5), (3, 1, 5)])
def test_a_batch_of_one_generalises_like_any_other(sizes):
    def h(x):
        return (x * 2).reshape(x.shape[0] * 3)

    f = tt.compile(h)
    for n in sizes:
        assert same(f(rows(n)), h(rows(n)))
    assert dynamic(f) and f.traces == 2


def test_a_dynamic_entry_and_a_trace_with_another_python_argument_are_not_compared():
    def h(x, k):
        return x * k

    f = tt.compile(h)
    f(rows(2), 1.0)
    f(rows(3), 1.0)
    assert dynamic(f)
    for n, k in ((4, 2.0), (5, 2.0), (6, 1.0)):  # k = 2.0: the dynamic entry's guard fails
        assert same(f(rows(n), k), h(rows(n), k))


def test_a_backward_that_cannot_be_traced_is_a_break_naming_the_error():
    class NoBackward(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise NotImplementedError("no backward here")

    f = tt.compile(lambda x: NoBackward.apply(x).sum())
    x = tt.ones(2, requires_grad=True)
    for _ in range(2):
        assert same(f(x), np.float32(4.0))
    assert f.program is None
    assert [b.reason for b in f.entries[0].breaks] == [
        "its backward cannot be traced: NotImplementedError: no backward here"
    ]
    with pytest.raises(NotImplementedError, match="no backward here"):
        f(x).backward()  # eager's own backward raises it


def test_a_broken_entry_counts_its_hits_and_guards_keyword_arguments():
    def h(x, *, log):
        if log:
            float(x.sum().item())  # a graph break for log=True only
        return x * 2

    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x, log=True), h(x, log=True))
    assert f.program is None and len(f.entries) == 1 and f.entries[0].hits == 2
    f(x, log=False)  # another keyword value: a trace of its own, not the broken entry
    assert f.program is not None and f.traces == 2
    assert same(f(x, log=False), h(x, log=False)) and f.program is not None
    assert f.entries[0].hits == 2 and f.entries[1].hits == 1


def test_the_cache_limit_warning_names_the_last_entrys_guard(monkeypatch):
    monkeypatch.setattr(tt.compiler.config, "cache_size_limit", 3)

    def poly(x, k=1.0):
        return x * k

    f = tt.compile(poly, dynamic=False)
    assert f.program is None  # nothing ran yet
    for n, k in ((3, 3.0), (1, 2.0), (2, 1.0)):
        f(tt.ones(n), k=k)
    # the last entry (ones(2), k=1) fails on the keyword; the one before it on the shape
    with pytest.warns(UserWarning, match="the last guard failed because a keyword argument"):
        assert same(f(tt.ones(2), k=4.0), tt.full((2,), 4.0))


def test_the_cache_limit_warning_names_a_callable_without_a_qualname(monkeypatch):
    monkeypatch.setattr(tt.compiler.config, "cache_size_limit", 1)

    def poly(x, k):
        return x * k

    p = tt.compile(functools.partial(poly, k=2.0))
    p(tt.ones(1))
    with pytest.warns(UserWarning, match=r"^tinytensor.compile: functools.partial\(<function"):
        assert same(p(tt.ones(2)), tt.full((2,), 2.0))


def test_after_a_second_batch_size_the_dynamic_program_serves_the_first_too():
    def h(x):
        return (x * 2).reshape(x.shape[0] * 3)

    f = tt.compile(h)
    f(rows(2)), f(rows(3))
    assert f.entries[0].program.dynamic
    for n in (2, 3, 7):
        assert same(f(rows(n)), h(rows(n)))
        assert f.program is f.entries[0].program  # the dynamic one, first in line
    assert f.traces == 2


_BUMPS = [0]


def _bump(x):
    global _BUMPS
    _BUMPS = [_BUMPS[0] + 1]
    return x * 2


def test_explain_and_show_of_a_compiled_function_look_at_the_function_itself():
    c = tt.compile(_bump)
    report = tt.compiler.explain(c)(tt.ones(1))
    assert report.graph_count == 0
    assert report.break_reasons[0].startswith("the function assigns a global '_BUMPS'")
    with pytest.raises(Unsupported, match="assigns a global '_BUMPS'"):
        tt.compiler.show(c, tt.ones(1))
    assert c.entries == [] and c.traces == 0


def test_nested_disabled_regions_stay_eager_until_the_outermost_returns():
    inner_calls = []
    probe = tt.compile(lambda x: x + 1)

    @tt.compiler.disable
    def inner(x):
        inner_calls.append(1)
        return x * 2

    @tt.compiler.disable
    def outer(x):
        y = inner(x)
        return probe(y)  # still inside outer's disabled region: eager

    for _ in range(2):
        assert same(outer(tt.ones(2)), tt.full((2,), 3.0))
    assert probe.traces == 0 and len(inner_calls) == 2
    probe(tt.ones(2))
    assert probe.traces == 1


class _CountsGlobally(nn.Module):
    def forward(self, x):
        global _BUMPS
        _BUMPS = [_BUMPS[0] + 1]
        return x * 2


def test_a_global_written_by_a_modules_forward_is_a_break():
    m = _CountsGlobally()
    c = tt.compile(lambda x: m(x) + 1)
    start = _BUMPS[0]
    for n in (1, 2, 3):
        assert same(c(tt.ones(2)), tt.full((2,), 3.0))
        assert _BUMPS[0] == start + n  # the forward's Python ran every call
    assert c.program is None
    assert "assigns a global '_BUMPS'" in c.entries[0].breaks[0].reason


def test_a_compiled_function_wraps_the_function_and_keeps_its_own_state():
    def h(x):
        """Doubles."""
        return x * 2

    h.entries = ["the function's own attribute"]
    c = tt.compile(h)
    assert c.__wrapped__ is h and c.__name__ == "h" and c.__doc__ == "Doubles."
    c(tt.ones(2)), c(tt.ones(2))
    assert c.program is not None and c.traces == 1 and len(c.entries) == 1


def test_a_detached_captured_tensor_returned_is_a_new_tensor_on_its_storage():
    w = nn.Parameter(tt.tensor([1.0, 2.0]))
    f = tt.compile(lambda x: (x * w, w.detach()))
    f(tt.ones(2))
    for _ in range(2):
        y, d = f(tt.ones(2))
        assert d is not w and not d.requires_grad and d.grad_fn is None
        assert np.shares_memory(d.numpy(), w.detach().numpy())
    assert f.program is not None and f.traces == 1


class _Records(nn.Module):
    def forward(self, x):
        self.last = x * 1
        return x + 1


def test_a_module_attribute_set_beyond_a_shared_child_is_a_break():
    # The child modules are walked once each; a shared child met twice must not end the
    # walk before the module that sets an attribute.
    shared = nn.Identity()
    rec = _Records()
    seq = nn.Sequential(rec, shared, shared)
    f = tt.compile(seq)
    for v in (1.0, 2.0, 3.0):
        assert same(f(tt.full((2,), v)), tt.full((2,), v + 1))
        assert same(rec.last, tt.full((2,), v))  # the Python ran: the attribute moved
    assert f.program is None


def test_keyword_arguments_reach_a_compiled_call_inside_disabled_code():
    inner = tt.compile(lambda x, *, k: x * k)

    @tt.compiler.disable
    def outer(x):
        return inner(x, k=3.0)

    assert same(outer(tt.ones(2)), tt.full((2,), 3.0)) and inner.traces == 0
    traced = tt.compile(lambda x: inner(x, k=5.0) + 1)  # inside another trace: eager too
    assert same(traced(tt.ones(2)), tt.full((2,), 6.0)) and inner.traces == 0


# --- value reads and where a break is ---------------------------------------------------------


def test_a_value_dependent_shape_is_a_break_naming_the_op():
    f = tt.compile(lambda x: x[x > 0] * 2)
    for v in ([1.0, -1.0], [2.0, 3.0]):
        x = tt.tensor(v)
        assert same(f(x), x[x > 0] * 2)
    assert f.program is None
    assert f.entries[0].breaks[0].reason == "Index: its output's shape depends on the values"


def test_a_branch_on_a_captured_flag_is_a_break_that_follows_its_value():
    flag = tt.tensor([1.0])

    def h(x):
        return x * 2 if flag else x * 3

    f = tt.compile(h)
    assert same(f(tt.ones(2)), tt.full((2,), 2.0))
    flag.zero_()
    assert same(f(tt.ones(2)), tt.full((2,), 3.0))
    assert f.program is None
    assert f.entries[0].breaks[0].reason == "a tensor's values reach Python through bool()"


def test_bool_of_a_tensor_of_several_values_raises_as_eager_when_traced():
    def h(x):
        return x * 2 if x * 1 else x

    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        tt.compile(h)(tt.ones(2))


def test_a_break_records_the_line_outside_the_package():
    package = os.path.dirname(os.path.abspath(tt.__file__)) + os.sep
    report = tt.compiler.explain(lambda x: x * x.sum().item())(tt.ones(2))
    for where in report.break_reasons:
        assert "(at " in where
    f = tt.compile(lambda x: x * x.sum().item())
    f(tt.ones(2))
    for b in f.entries[0].breaks:
        assert b.where and not b.where.startswith(package)
        assert b.where.split(": ", 1)[1].strip()  # the line's code follows its number


def test_a_tensor_on_an_array_made_outside_any_kernel_is_a_break_not_a_captured_tensor():
    # from_numpy's tensor is an op's result whose array no kernel made: reading it live as a
    # captured tensor on every replay would be wrong (a new array each call), so it breaks.
    def h(x):
        return x * tt.from_numpy(np.full(2, 3.0, np.float32))

    f = tt.compile(h)
    for _ in range(2):
        assert same(f(tt.ones(2)), tt.full((2,), 3.0))
    assert f.program is None and f.entries[0].externals == ()
    assert f.entries[0].breaks[0].reason == (
        "Mul: an argument was computed outside a primitive's kernel (an op not yet declared "
        "as a primitive)"
    )


def test_compile_and_show_messages_in_full(capsys):
    def h(x):
        return x * 2

    with pytest.raises(RuntimeError) as err:
        tt.compile(h, mode="default", options={})
    assert str(err.value) == "tinytensor.compile: either mode or options can be specified, not both"
    with pytest.raises(RuntimeError) as err:
        tt.compile(h, backend=lambda gm, inputs: gm)
    assert str(err.value) == (
        "tinytensor.compile: a custom backend function receives an FX graph in PyTorch; "
        "tinytensor has no FX graphs. Use backend='inductor' (the default)"
    )
    with pytest.raises(Unsupported) as err:
        tt.compiler.show(lambda x: x * (x.sum().item() + x.max().item()), tt.ones(2))
    text = str(err.value)
    assert text.startswith("tinytensor.compiler.show: the call is not one program: a tensor's")
    assert "); a tensor's values reach Python through item()" in text
    capsys.readouterr()
    prog = tt.compiler.show(h, tt.ones(2))
    assert capsys.readouterr().out == str(prog) + "\n"
