"""The checks every op-table row goes through: forward vs NumPy, gradients vs gradcheck,
forward and gradients vs PyTorch, and the invariants (inputs unchanged, gradient shape and
dtype equal to the input's, gradient storage owned by nobody else)."""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from tinytensor.testing import gradcheck


def to_np(obj):
    """Tensors (also inside tuples/lists) become NumPy arrays (copies)."""
    if isinstance(obj, tt.Tensor):
        return obj.detach().numpy().copy()
    if isinstance(obj, tuple):
        return tuple(to_np(o) for o in obj)
    if isinstance(obj, list):
        return [to_np(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_np(v) for k, v in obj.items()}
    return obj


def to_torch(obj, requires_grad=False):
    """Tensors (also inside tuples/lists) become torch tensors; floating ones may require grad."""
    import torch

    if isinstance(obj, tt.Tensor):
        t = torch.from_numpy(obj.detach().numpy().copy())
        if requires_grad and t.is_floating_point():
            t.requires_grad_(True)
        return t
    if isinstance(obj, tuple):
        return tuple(to_torch(o, requires_grad) for o in obj)
    if isinstance(obj, list):
        return [to_torch(o, requires_grad) for o in obj]
    if isinstance(obj, dict):
        return {k: to_torch(v, requires_grad) for k, v in obj.items()}
    return obj


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _snapshot(args):
    return [a.detach().numpy().copy() if isinstance(a, tt.Tensor) else None for a in args]


def _assert_unchanged(args, before, when):
    for i, (a, b) in enumerate(zip(args, before)):
        if b is not None:
            assert a.shape == b.shape and np.array_equal(a.detach().numpy(), b, equal_nan=True), (
                f"input {i} was modified {when}"
            )


def _torch_dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def check_forward(case, sample):
    """tinytensor's forward equals NumPy's (values, shape, dtype); inputs are not modified."""
    before = _snapshot(sample.args)
    outs = as_tuple(case.fn(*sample.args, **sample.kwargs))
    refs = as_tuple(case.np_ref(*to_np(sample.args), **to_np(sample.kwargs)))
    assert len(outs) == len(refs), f"{case.name}: {len(outs)} outputs, NumPy gives {len(refs)}"
    for k, (o, r) in enumerate(zip(outs, refs)):
        r = np.asarray(r)
        assert isinstance(o, tt.Tensor), f"{case.name}: output {k} is {type(o).__name__}"
        assert o.shape == r.shape, f"{case.name}: output {k} shape {o.shape} != NumPy {r.shape}"
        assert o.dtype.np == r.dtype, f"{case.name}: output {k} dtype {o.dtype} != {r.dtype}"
        np.testing.assert_allclose(
            o.numpy(), r, rtol=case.rtol, atol=case.atol, err_msg=f"{case.name} output {k}"
        )
    _assert_unchanged(sample.args, before, "by the forward pass")


def _storage(obj):
    return [a.detach().numpy() for a in as_tuple(obj) if isinstance(a, tt.Tensor)]


def backward_with_seed(outs, seed=0):
    """Backpropagate a fixed random gradient from every floating output; return the seeds."""
    rng = np.random.default_rng(seed)
    roots, seeds = [], []
    for o in outs:
        if isinstance(o, tt.Tensor) and o.requires_grad:
            roots.append(o)
            seeds.append(tt.tensor(rng.standard_normal(o.shape), dtype=o.dtype))
    assert roots, "no output requires grad"
    tt.autograd.backward(roots, seeds)
    return seeds


def check_gradients(case, sample):
    """gradcheck in float64, then the invariants of a real backward pass."""
    leaves = sample.leaves()
    fn = sample.bind(case.fn)
    assert gradcheck(fn, leaves)

    before = _snapshot(leaves)
    outs = as_tuple(fn(*leaves))
    seeds = backward_with_seed(outs)
    _assert_unchanged(leaves, before, "by forward + backward")
    diff = [x for x in leaves if isinstance(x, tt.Tensor) and x.requires_grad]
    others = _storage(leaves) + _storage(outs) + [s.numpy() for s in seeds]
    grads = [x.grad for x in diff if x.grad is not None]
    for x in diff:
        g = x.grad
        if g is None:
            continue
        assert g.shape == x.shape, f"{case.name}: grad shape {g.shape} != input {x.shape}"
        assert g.dtype == x.dtype, f"{case.name}: grad dtype {g.dtype} != input {x.dtype}"
        assert not g.requires_grad and g.grad_fn is None
        for other in others + [h.numpy() for h in grads if h is not g]:
            assert not np.shares_memory(g.numpy(), other), (
                f"{case.name}: gradient shares memory with another array"
            )


def check_torch(case, sample):
    """Forward and (float64) gradients equal PyTorch's."""
    import torch

    leaves = sample.leaves()
    t_args = to_torch(leaves, requires_grad=case.differentiable)
    t_kwargs = to_torch(sample.kwargs)
    outs = as_tuple(case.fn(*leaves, **sample.kwargs))
    t_outs = as_tuple(case.torch_fn(*t_args, **t_kwargs))
    assert len(outs) == len(t_outs)
    for k, (o, r) in enumerate(zip(outs, t_outs)):
        assert tuple(o.shape) == tuple(r.shape), f"{case.name}: output {k} {o.shape} vs {r.shape}"
        assert o.dtype.name == _torch_dtype_name(r), f"{case.name}: {o.dtype} vs {r.dtype}"
        np.testing.assert_allclose(
            o.detach().numpy(), r.detach().numpy(), rtol=1e-7, atol=1e-9, err_msg=case.name
        )
    if not case.differentiable:
        return
    seeds = backward_with_seed(outs)
    t_roots = [r for o, r in zip(outs, t_outs) if isinstance(o, tt.Tensor) and o.requires_grad]
    torch.autograd.backward(t_roots, [torch.from_numpy(s.numpy().copy()) for s in seeds])
    for i, (x, tx) in enumerate(zip(leaves, t_args)):
        if not (isinstance(x, tt.Tensor) and x.requires_grad):
            continue
        g = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        tg = np.zeros(x.shape) if tx.grad is None else tx.grad.numpy()
        np.testing.assert_allclose(g, tg, rtol=1e-7, atol=1e-9, err_msg=f"{case.name} grad {i}")


def table_tests(cases):
    """The two property tests every op family runs over its table rows; a test module binds them
    with ``test_forward_and_gradient, test_matches_torch = table_tests(CASES)``."""
    import pytest
    from hypothesis import given
    from hypothesis import strategies as st

    @pytest.mark.parametrize("case", cases, ids=lambda c: c.name)
    @given(data=st.data())
    def test_forward_and_gradient(case, data):
        """Forward equals NumPy; gradient equals gradcheck's; inputs unchanged; gradient has the
        input's shape and dtype and owns its memory."""
        sample = data.draw(case.inputs, label="sample")
        check_forward(case, sample)
        if case.differentiable:
            check_gradients(case, sample)

    @pytest.mark.torch
    @pytest.mark.parametrize("case", [c for c in cases if c.torch_fn], ids=lambda c: c.name)
    @given(data=st.data())
    def test_matches_torch(case, data):
        """Forward and float64 gradients equal PyTorch's."""
        pytest.importorskip("torch")
        check_torch(case, data.draw(case.inputs, label="sample"))

    return test_forward_and_gradient, test_matches_torch


def second_order_test(cases, **hypothesis_settings):
    """gradgradcheck on every row that is differentiable twice (backward formulas are tinytensor
    ops, so they differentiate again, as in PyTorch); 5 examples a row unless told otherwise."""
    import pytest
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tinytensor.testing import gradgradcheck

    @pytest.mark.parametrize(
        "case",
        [c for c in cases if c.differentiable and c.double_differentiable],
        ids=lambda c: c.name,
    )
    @settings(**{"max_examples": 5, **hypothesis_settings})
    @given(data=st.data())
    def test_second_order(case, data):
        sample = data.draw(case.inputs, label="sample")
        assert gradgradcheck(sample.bind(case.fn), sample.leaves())

    return test_second_order


def _small_int_matrices():
    from hypothesis import strategies as st

    return st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda shape: st.lists(
            st.integers(-2, 2), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]
        ).map(lambda v: np.array(v, dtype=np.float64).reshape(shape))
    )


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def no_gradient_tests(table):
    """The two tests of the ops without a gradient: ``table`` maps a name to ``(f(m, x),
    numpy_ref(x))``, where ``m`` is tinytensor or torch and ``x`` a float64 matrix of small
    integers (so repeats, zeros and ties are common); ``f`` builds whatever else the op needs from
    ``x``. Outputs (values and dtypes) are compared with NumPy's and PyTorch's. A test module binds
    them with ``test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch = ...``."""
    import pytest
    from hypothesis import given, settings

    @pytest.mark.parametrize("name", sorted(table))
    @settings(max_examples=10)
    @given(x=_small_int_matrices())
    def test_no_gradient_ops_match_numpy(name, x):
        fn, np_ref = table[name]
        ours, refs = _outputs(fn(tt, x)), _outputs(np_ref(x))
        assert len(ours) == len(refs), f"{name}: {len(ours)} outputs, NumPy gives {len(refs)}"
        for k, (o, r) in enumerate(zip(ours, refs)):
            r = np.asarray(r)
            assert not o.requires_grad
            assert o.dtype.np == r.dtype, f"{name} output {k}: dtype {o.dtype} != NumPy {r.dtype}"
            np.testing.assert_array_equal(o.numpy(), r, err_msg=f"{name} output {k}")

    @pytest.mark.torch
    @pytest.mark.parametrize("name", sorted(table))
    @settings(max_examples=10)
    @given(x=_small_int_matrices())
    def test_no_gradient_ops_match_torch(name, x):
        torch = pytest.importorskip("torch")
        fn = table[name][0]
        ours, theirs = _outputs(fn(tt, x)), _outputs(fn(torch, x))
        assert len(ours) == len(theirs), f"{name}: {len(ours)} outputs, PyTorch gives {len(theirs)}"
        for k, (o, t) in enumerate(zip(ours, theirs)):
            assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (
                f"{name} output {k}: dtype {o.dtype} != PyTorch {t.dtype}"
            )
            np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=f"{name} output {k}")

    return test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch
