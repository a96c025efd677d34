"""LBFGS's state as PyTorch 2.13 keeps it: ``optimizer.state[first parameter]`` holds
func_evals and n_iter (ints), d and prev_flat_grad (flat tensors), t (a float, or a 0-d tensor
after a first iteration whose step 1/|g|_1 is below 1), old_dirs/old_stps (lists of flat
tensors), ro and al (lists of 0-d tensors, al padded with None to history_size), H_diag (a 0-d
tensor once a pair is kept) and prev_loss (a float); the scalars are computed in the
parameters' dtype. state_dict() round-trips: a reloaded optimizer goes on exactly as one that
never stopped."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinytensor as tt

KEYS = ["func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
        "prev_flat_grad", "prev_loss"]  # fmt: skip


def _kind(v):
    """A value's type as a string both libraries give alike ('T(4,):float32', 'list[3]<...>')."""
    if isinstance(v, (list, tuple)):
        return f"list[{len(v)}]<{','.join(sorted({_kind(e) for e in v}))}>"
    if hasattr(v, "dtype") and hasattr(v, "shape"):
        return f"T{tuple(v.shape)}:{str(v.dtype).split('.')[-1]}"
    return type(v).__name__


def _problem(lib, dtype="float64", scale=3.0, **kw):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 4)) * scale, rng.standard_normal(6) * scale
    dt = getattr(lib, dtype)
    w = lib.tensor(np.zeros(4), dtype=dt, requires_grad=True)
    v = lib.tensor(np.zeros(2), dtype=dt, requires_grad=True)
    at, bt = lib.tensor(a, dtype=dt), lib.tensor(b, dtype=dt)
    opt = lib.optim.LBFGS([w, v], lr=0.5, **kw)

    def closure():
        opt.zero_grad()
        loss = ((at @ w - bt) ** 2).sum() + (w**4).sum() + ((v - 1) ** 2).sum()
        loss.backward()
        return loss

    return opt, (w, v), closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_keys_and_types(line_search_fn, dtype):
    opt, (w, v), closure = _problem(
        tt, dtype, max_iter=4, history_size=3, line_search_fn=line_search_fn
    )
    for _ in range(3):
        opt.step(closure)
    assert list(opt.state) == [w]  # the first parameter's state only
    state = opt.state[w]
    assert list(state) == KEYS
    kinds = {k: _kind(x) for k, x in state.items()}
    scalar = f"T():{dtype}"
    assert kinds["func_evals"] == kinds["n_iter"] == "int"
    assert kinds["d"] == kinds["prev_flat_grad"] == f"T(6,):{dtype}"
    assert kinds["old_dirs"] == kinds["old_stps"] == f"list[3]<T(6,):{dtype}>"
    assert kinds["ro"] == f"list[3]<{scalar}>" and kinds["al"] == f"list[3]<{scalar}>"
    assert kinds["H_diag"] == scalar and kinds["prev_loss"] == "float"
    if line_search_fn is None:  # later iterations step by lr itself
        assert kinds["t"] == "float" and state["t"] == 0.5
    else:  # the step the line search found
        assert kinds["t"] == scalar and float(state["t"]) > 0


def test_the_first_step_size_is_a_tensor_below_one():
    opt, (w, _), closure = _problem(tt, "float32", max_iter=1)
    opt.step(closure)  # |g|_1 > 1: t = (1/|g|_1) * lr, a 0-d tensor
    state = opt.state[w]
    assert _kind(state["t"]) == "T():float32" and float(state["t"]) < 0.5
    assert state["H_diag"] == 1 and state["old_dirs"] == [] and "al" not in state
    w = tt.zeros(2, dtype=tt.float64, requires_grad=True)
    opt = tt.optim.LBFGS([w], lr=0.5, max_iter=1)

    def small():
        opt.zero_grad()
        loss = 0.01 * ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(small)  # |g|_1 = 0.04 < 1: t = 1 * lr, a float
    assert opt.state[w]["t"] == 0.5 and isinstance(opt.state[w]["t"], float)


def test_al_is_padded_to_the_history_size():
    opt, (w, _), closure = _problem(tt, max_iter=3, history_size=5)
    opt.step(closure)  # the second of 3 iterations makes al
    al = opt.state[w]["al"]
    assert len(al) == 5 and _kind(al[0]) == "T():float64" and al[1:] == [None] * 4


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_goes_on_as_if_never_stopped(line_search_fn):
    kw = dict(max_iter=3, history_size=4, line_search_fn=line_search_fn)
    opt, params, closure = _problem(tt, **kw)
    for _ in range(2):
        opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    weights = [p.detach().clone() for p in params]
    for _ in range(2):
        opt.step(closure)

    opt2, params2, closure2 = _problem(tt, **kw)
    with tt.no_grad():
        for p, x in zip(params2, weights):
            p.copy_(x)
    opt2.load_state_dict(saved)
    state = opt2.state[params2[0]]
    assert list(state) == KEYS and state["n_iter"] == saved["state"][0]["n_iter"]
    assert state["old_dirs"][0] is not saved["state"][0]["old_dirs"][0]  # copies
    for _ in range(2):
        opt2.step(closure2)
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert opt.state[params[0]]["func_evals"] == opt2.state[params2[0]]["func_evals"]


@pytest.mark.torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("steps, max_iter", [(1, 1), (1, 5), (3, 4), (4, 2)])
def test_state_matches_torch(line_search_fn, steps, max_iter):
    torch = pytest.importorskip("torch")
    got = {}
    for lib in (torch, tt):
        for dtype in ("float32", "float64"):
            kw = dict(max_iter=max_iter, history_size=3, line_search_fn=line_search_fn)
            opt, params, closure = _problem(lib, dtype, **kw)
            for _ in range(steps):
                opt.step(closure)
            state = opt.state[params[0]]
            got[lib.__name__, dtype] = (
                list(state),
                {k: _kind(x) for k, x in state.items()},
                {k: state[k] for k in ("func_evals", "n_iter")},
                [p.detach().numpy().copy() for p in params],
            )
    for dtype in ("float32", "float64"):
        ours, theirs = got["tinytensor", dtype], got["torch", dtype]
        assert ours[:3] == theirs[:3], dtype
        # float32: the model's own rounding (matmul sums) differs a little and L-BFGS's
        # curvature pairs amplify it over the steps; the types above are exact
        tol = 1e-3 if dtype == "float32" else 1e-12
        for a, b in zip(ours[3], theirs[3]):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.torch
def test_state_dict_round_trip_matches_torch():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, tt):
        opt, params, closure = _problem(lib, max_iter=3, history_size=4)
        opt.step(closure)
        sd = opt.state_dict()
        kinds = {k: _kind(x) for k, x in sd["state"][0].items()}
        groups = sd["param_groups"]
        opt2, params2, closure2 = _problem(lib, max_iter=3, history_size=4)
        with lib.no_grad():
            for p, q in zip(params2, params):
                p.copy_(q)
        opt2.load_state_dict(copy.deepcopy(sd))
        opt2.step(closure2)
        out.append((list(sd["state"]), kinds, groups, [p.detach().numpy() for p in params2]))
    assert out[0][:3] == out[1][:3]
    for a, b in zip(out[0][3], out[1][3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
