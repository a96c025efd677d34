"""The in-place table: every op-table row and every ``nn.functional`` row, with each tensor it
takes or returns changed in place after the forward pass, then backward. PyTorch decides: where
it raises, tinytensor raises the same error class; where it does not, the float64 gradients
agree. Ids read ``[gather-index]``, ``[cross_entropy-target]``, ``[max_dim-indices]``.

Inputs are fixed: each op-table row's samples are drawn once, derandomized, at collection.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from inplace_rows import (
    FUNCTIONAL_NOT_COVERED,
    FUNCTIONAL_ROWS,
    as_tuple,
    locate,
    run_program,
    seeds_for,
    slot_name,
    torch_lib,
    tt_lib,
)
from ops.optable import ALL_CASES

import tinytensor as tt

pytestmark = pytest.mark.torch

SAMPLES_PER_ROW = 3

#: Op-table rows without an in-place row, and why.
NOT_COVERED = {
    "getitem_negative_steps": "PyTorch has no negative slice steps, so no oracle",
    "linalg_slogdet": "the sign output has no gradient; PyTorch's backward refuses the seeds",
    # issue #11, misc_ext2:
    "as_strided_scatter": "PyTorch 2.13's input gradient is wrong (its own gradcheck fails), "
    "no oracle; tests/ops/test_scatter.py compares the forward and src's gradient",
    "combinations": "a gather that needs no input values; PyTorch builds it from views whose "
    "backward keeps the input, so it alone refuses a change to the input",
    "triangular_solve": "over linalg.solve_triangular, which saves A and the solution; "
    "PyTorch's node also keeps b, so it alone refuses a change to b",
    "sgn": "torch.sgn's gradient is a ZeroTensor .numpy() refuses; tests/ops/test_unary.py "
    "checks that a change to its saved input or output raises, as in torch",
    **{
        c.name: "no gradient: the op's outputs are integer or bool"
        for c in ALL_CASES
        if not c.differentiable
    },
    **{f"F.{k}": v for k, v in FUNCTIONAL_NOT_COVERED.items()},
}


def _draw_samples(strategy, n):
    """``n`` samples of ``strategy``, the same on every run."""
    out = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(sample):
        out.append(sample)

    collect()
    return out[:n]


def _fresh(sample):
    """A sample's leaves (floating args require grad) and fresh copies of its keyword tensors."""
    lib = tt_lib()
    return lib.convert(sample.leaves()), lib.convert(sample.kwargs)


def _slots(case, samples):
    """(slot, name) for every tensor argument, keyword tensor and output the samples have."""
    slots = {}
    for s in samples:
        args, kwargs = _fresh(s)
        try:
            outs = as_tuple(case.fn(*args, **kwargs))
        except Exception:  # noqa: BLE001 - a broken forward fails in the test, not collection
            outs = ()
        keys = [("arg", i) for i, a in enumerate(args) if isinstance(a, tt.Tensor)]
        keys += [("kw", k) for k, v in kwargs.items() if _has_tensor(v)]
        keys += [("out", i) for i, o in enumerate(outs) if isinstance(o, tt.Tensor)]
        for key in keys:
            slots.setdefault(key, slot_name(key, args, outs))
    names = list(slots.values())
    return [
        (key, name if names.count(name) == 1 else f"{name}{key[1]}") for key, name in slots.items()
    ]


def _has_tensor(v):
    if isinstance(v, tt.Tensor):
        return True
    return isinstance(v, (tuple, list)) and any(_has_tensor(x) for x in v)


def _op_params():
    params = []
    for case in ALL_CASES:
        if case.name in NOT_COVERED:
            continue
        samples = _draw_samples(case.inputs, SAMPLES_PER_ROW)
        for slot, name in _slots(case, samples):
            params.append(pytest.param(case, samples, slot, id=f"{case.name}-{name}"))
    return params


def _functional_params():
    params = []
    for row in FUNCTIONAL_ROWS:
        args = row.args()
        try:
            outs = as_tuple(row.call(tt_lib().F, *args))
        except Exception:  # noqa: BLE001 - a broken forward fails in the test, not collection
            outs = ()
        names = list(row.inputs)
        for i in range(len(args)):
            params.append(pytest.param(row, ("arg", i), id=f"{row.name}-{names[i]}"))
        for i in range(len(outs)):
            params.append(
                pytest.param(row, ("out", i), id=f"{row.name}-{slot_name(('out', i), args, outs)}")
            )
    return params


def _compare(name, ours, theirs):
    """PyTorch's outcome decides what tinytensor's must be."""
    if theirs.error is not None:
        assert ours.error is not None, (
            f"{name}: PyTorch raises {theirs.describe()}, tinytensor gives a gradient"
        )
        assert isinstance(ours.error, type(theirs.error)), (
            f"{name}: PyTorch raises {theirs.describe()}, tinytensor raises {ours.describe()}"
        )
        return
    assert ours.error is None, (
        f"{name}: PyTorch gives a gradient, tinytensor raises {ours.describe()}"
    )
    assert len(ours.grads) == len(theirs.grads)
    for i, (g, tg) in enumerate(zip(ours.grads, theirs.grads)):
        assert (g is None) == (tg is None) or np.allclose(
            g if g is not None else 0, tg if tg is not None else 0
        ), f"{name}: gradient {i} is {g}, PyTorch's is {tg}"
        if g is not None and tg is not None:
            np.testing.assert_allclose(g, tg, rtol=1e-7, atol=1e-9, err_msg=f"{name} grad {i}")


@pytest.mark.parametrize(("case", "samples", "slot"), _op_params())
def test_op_table_row(case, samples, slot, request):
    """Each op-table row, with one of its tensors changed in place after the forward pass."""
    pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    ran = 0
    torch = torch_lib()
    for sample in samples:
        args, kwargs = _fresh(sample)
        if slot[0] != "out" and not locate(slot, args, kwargs, ()):
            continue  # this sample has no tensor there (a variable-length argument list)
        seeds = seeds_for(case.fn(*args, **kwargs))
        ours = run_program(tt_lib(), case.fn, *_fresh(sample), slot, seeds)
        t_args, t_kwargs = (torch.convert(x) for x in _fresh(sample))
        theirs = run_program(torch, case.torch_fn, t_args, t_kwargs, slot, seeds)
        if theirs.error is not None and theirs.stage == "forward":
            continue
        _compare(request.node.callspec.id, ours, theirs)
        ran += 1
    assert ran, "no sample exercised this slot"


@pytest.mark.parametrize(("row", "slot"), _functional_params())
def test_functional_row(row, slot, request):
    """Each ``nn.functional`` row, with one of its tensors changed in place after the forward."""
    pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    name = request.node.callspec.id
    call_tt = lambda *a: row.call(tt_lib().F, *a)
    tt.manual_seed(0)
    seeds = seeds_for(call_tt(*row.args()))
    tt.manual_seed(1)
    ours = run_program(tt_lib(), call_tt, row.args(), {}, slot, seeds)
    torch = torch_lib()
    torch.mod.manual_seed(1)
    t_args = torch.convert(row.args())
    theirs = run_program(torch, lambda *a: row.call(torch.F, *a), t_args, {}, slot, seeds)
    if row.random and theirs.error is None:
        # the dropout mask is random: the reference gradient is tinytensor's, unchanged input
        tt.manual_seed(1)
        theirs = run_program(tt_lib(), call_tt, row.args(), {}, slot, seeds, mutate_it=False)
    _compare(name, ours, theirs)


def test_every_row_is_covered_or_listed():
    """Every op-table row and every public ``nn.functional`` function has an in-place row or a
    reason in NOT_COVERED."""
    import inspect

    import tinytensor.nn.functional as F

    covered = {c.name for c in ALL_CASES} - set(NOT_COVERED)
    assert covered | set(NOT_COVERED) >= {c.name for c in ALL_CASES}
    functions = {
        n
        for n, f in vars(F).items()
        if not n.startswith("_") and callable(f) and not inspect.ismodule(f)
    }
    rows = {r.name for r in FUNCTIONAL_ROWS}
    missing = {
        n
        for n in functions
        if f"F.{n}" not in NOT_COVERED and not any(r == n or r.startswith(n + "_") for r in rows)
    }
    assert not missing, f"nn.functional functions with no in-place row: {sorted(missing)}"
