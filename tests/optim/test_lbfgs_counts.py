"""L-BFGS on fixed problems: closure evaluations, iterations, losses and the final point, as
PyTorch 2.13's ``torch.optim.LBFGS`` gives them. The strong-Wolfe line search decides how many
evaluations each iteration costs, so a change to one of its tests (the sufficient-decrease or
the curvature condition, a bracket update) changes these counts even where the optimizer still
converges.

The constants in ``EXPECTED`` were taken once from PyTorch 2.13.0 (CPU, float64) by running
this file as a script (``python tests/optim/test_lbfgs_counts.py`` prints them), which runs
``_trace`` below with ``torch``; ``test_constants_are_pytorchs`` re-derives them with torch
whenever it is installed. The NumPy-only test compares tinytensor to the written constants.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def _rosenbrock(lib, x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _quartic(lib, x):
    """A convex but not quadratic bowl with coupled coordinates."""
    a = lib.tensor(np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 3.0]]))
    return (x @ a @ x) + (x**4).sum() - x.sum()


def _wiggle(lib, x):
    """A bowl with ripples: along the search line the loss rises and falls again, so the line
    search's "no longer decreasing" test (from the third trial on) decides the bracket."""
    return ((x - 3) ** 2).sum() + 0.5 * (3 * x).sin().sum()


PROBLEMS = {
    "rosenbrock2": (_rosenbrock, [-1.5, 2.0]),
    "rosenbrock4": (_rosenbrock, [-1.2, 1.0, -0.5, 0.8]),
    "quartic3": (_quartic, [2.0, -1.0, 1.5]),
    "wiggle1": (_wiggle, [0.0]),
}

CONFIGS = {
    "wolfe": (dict(line_search_fn="strong_wolfe"), 2),
    "wolfe-short-history": (dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7), 3),
    "wolfe-lr-half": (dict(line_search_fn="strong_wolfe", lr=0.5, max_iter=6, max_eval=9), 3),
    "fixed-step": (dict(lr=0.2, max_iter=8), 3),
}


def _trace(lib, problem, config):
    """Per ``step``: (returned loss, total closure evaluations, total iterations); then the
    final point. ``lib`` is tinytensor or torch."""
    fn, x0 = PROBLEMS[problem]
    kwargs, steps = CONFIGS[config]
    x = lib.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = lib.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(lib, x)
        loss.backward()
        return loss

    rows = []
    for _ in range(steps):
        loss = opt.step(closure).item()
        state = opt.state[x]
        rows.append((round(loss, 9), int(state["func_evals"]), int(state["n_iter"])))
    return rows, [round(float(v), 9) for v in x.detach().numpy()]


# Generated with PyTorch 2.13.0 by `python tests/optim/test_lbfgs_counts.py` (see the docstring).
EXPECTED = {
    ("rosenbrock2", "wolfe"): ([(12.5, 25, 19), (1.307098315, 50, 38)], [0.999583547, 0.999155032]),
    ("rosenbrock2", "wolfe-short-history"): (
        [(12.5, 8, 6), (5.749041473, 16, 11), (3.148673761, 24, 17)],
        [-0.061386934, -0.022935334],
    ),
    ("rosenbrock2", "wolfe-lr-half"): (
        [(12.5, 8, 6), (5.807247242, 15, 12), (5.029886151, 22, 18)],
        [-0.575041728, 0.298273497],
    ),
    ("rosenbrock2", "fixed-step"): (
        [(12.5, 8, 8), (6.063372315, 16, 16), (5.853788101, 24, 24)],
        [-1.413899278, 1.999068936],
    ),
    ("rosenbrock4", "wolfe"): (
        [(281.7, 25, 18), (3.100378717, 48, 38)],
        [0.975642698, 0.953387504, 0.906512142, 0.819228128],
    ),
    ("rosenbrock4", "wolfe-short-history"): (
        [(281.7, 8, 7), (3.637039683, 16, 10), (3.470537295, 24, 13)],
        [0.336180984, 0.107696306, -0.025631754, 0.007568349],
    ),
    ("rosenbrock4", "wolfe-lr-half"): (
        [(281.7, 7, 6), (3.899151396, 14, 12), (3.705399762, 21, 18)],
        [-0.608223419, 0.383448331, 0.155632568, 0.023485489],
    ),
    ("rosenbrock4", "fixed-step"): (
        [(281.7, 8, 8), (14.052600537, 16, 16), (3.85370279, 24, 24)],
        [-0.754193948, 0.578192876, 0.334931168, 0.113395899],
    ),
    ("quartic3", "wolfe"): (
        [(32.4125, 13, 12), (-0.318253601, 14, 13)],
        [0.166766871, 0.314381346, 0.133637402],
    ),
    ("quartic3", "wolfe-short-history"): (
        [(32.4125, 8, 7), (-0.314700798, 15, 13), (-0.318253601, 16, 14)],
        [0.166766522, 0.314379879, 0.133637962],
    ),
    ("quartic3", "wolfe-lr-half"): (
        [(32.4125, 7, 6), (0.650340115, 14, 12), (-0.317340609, 21, 18)],
        [0.167071925, 0.31417658, 0.133742173],
    ),
    ("quartic3", "fixed-step"): (
        [(32.4125, 8, 8), (4.25832764, 16, 16), (0.157434857, 24, 24)],
        [0.250600595, 0.254449041, 0.165930066],
    ),
    ("wiggle1", "wolfe"): ([(9.0, 9, 8), (-0.196877739, 10, 9)], [3.450437303]),
    ("wiggle1", "wolfe-short-history"): (
        [(9.0, 8, 6), (-0.196875099, 10, 8), (-0.196877739, 11, 9)],
        [3.450437303],
    ),
    ("wiggle1", "wolfe-lr-half"): (
        [(9.0, 9, 6), (-0.196871341, 16, 12), (-0.196877738, 18, 14)],
        [3.450432444],
    ),
    ("wiggle1", "fixed-step"): (
        [(9.0, 8, 8), (0.361116984, 16, 16), (-0.194795557, 24, 24)],
        [3.455099878],
    ),
}


CASES = [(p, c) for p in PROBLEMS for c in CONFIGS]


@pytest.mark.parametrize("problem,config", CASES, ids=[f"{p}-{c}" for p, c in CASES])
def test_lbfgs_counts_losses_and_point_match_pytorchs_constants(problem, config):
    rows, point = _trace(tt, problem, config)
    want_rows, want_point = EXPECTED[(problem, config)]
    assert [r[1:] for r in rows] == [w[1:] for w in want_rows], "evaluations, iterations"
    np.testing.assert_allclose([r[0] for r in rows], [w[0] for w in want_rows], rtol=1e-7,
                               atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(point, want_point, rtol=1e-6, atol=1e-8)


@pytest.mark.torch
@pytest.mark.parametrize("problem,config", CASES, ids=[f"{p}-{c}" for p, c in CASES])
def test_constants_are_pytorchs(problem, config):
    torch = pytest.importorskip("torch")
    rows, point = _trace(torch, problem, config)
    want_rows, want_point = EXPECTED[(problem, config)]
    assert [r[1:] for r in rows] == [w[1:] for w in want_rows]
    np.testing.assert_allclose([r[0] for r in rows], [w[0] for w in want_rows], rtol=1e-7,
                               atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(point, want_point, rtol=1e-6, atol=1e-8)


def _print_expected():
    """The script that wrote EXPECTED: the same traces, run with PyTorch."""
    import torch

    print(f"# PyTorch {torch.__version__}")
    print("EXPECTED = {")
    for p, c in CASES:
        print(f"    {(p, c)!r}: {_trace(torch, p, c)!r},")
    print("}")


if __name__ == "__main__":
    _print_expected()
