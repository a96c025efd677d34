"""constraints: ``check`` on values inside and outside each region (NumPy expectations), the
event reduction, ``is_dependent``, and agreement with torch.distributions.constraints."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.distributions import Dirichlet, Uniform, constraints


def t(x):
    return tt.tensor(np.asarray(x, dtype=np.float64), dtype=tt.float64)


CASES = [
    (
        "real",
        constraints.real,
        [0.0, -1e300, float("nan"), float("inf")],
        [True, True, False, True],
    ),
    ("positive", constraints.positive, [1.0, 0.0, -1.0], [True, False, False]),
    ("nonnegative", constraints.nonnegative, [1.0, 0.0, -1e-9], [True, True, False]),
    ("unit_interval", constraints.unit_interval, [0.0, 1.0, 1.5, -0.1], [True, True, False, False]),
    ("interval", constraints.interval(-1.0, 2.0), [-1.0, 2.0, 2.1], [True, True, False]),
    (
        "half_open_interval",
        constraints.half_open_interval(-1.0, 2.0),
        [-1.0, 2.0, 1.9],
        [True, False, True],
    ),
    ("greater_than", constraints.greater_than(2.0), [2.0, 2.5], [False, True]),
    ("greater_than_eq", constraints.greater_than_eq(2.0), [2.0, 1.5], [True, False]),
    ("less_than", constraints.less_than(2.0), [2.0, 1.5], [False, True]),
    ("boolean", constraints.boolean, [0.0, 1.0, 0.5], [True, True, False]),
    (
        "nonnegative_integer",
        constraints.nonnegative_integer,
        [0.0, 3.0, 2.5, -1.0],
        [True, True, False, False],
    ),
    ("positive_integer", constraints.positive_integer, [0.0, 3.0], [False, True]),
    (
        "integer_interval",
        constraints.integer_interval(0, 4),
        [0.0, 4.0, 5.0, 1.5],
        [True, True, False, False],
    ),
    ("simplex", constraints.simplex, [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]], [True, False, False]),
    ("one_hot", constraints.one_hot, [[0.0, 1.0], [1.0, 1.0], [0.5, 0.5]], [True, False, False]),
    ("real_vector", constraints.real_vector, [[0.0, 1.0], [float("nan"), 0.0]], [True, False]),
    (
        "lower_cholesky",
        constraints.lower_cholesky,
        [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 0.5], [2.0, 3.0]], [[-1.0, 0.0], [2.0, 3.0]]],
        [True, False, False],
    ),
    (
        "positive_definite",
        constraints.positive_definite,
        [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]]],
        [True, False, False],
    ),
    (
        "lower_triangular",
        constraints.lower_triangular,
        [[[1.0, 0.0], [2.0, -3.0]], [[1.0, 1.0], [0.0, 1.0]]],
        [True, False],
    ),
]


@pytest.mark.parametrize("name, constraint, values, expected", CASES, ids=[c[0] for c in CASES])
def test_check(name, constraint, values, expected):
    result = constraint.check(t(values))
    assert result.dtype == tt.bool
    assert result.numpy().tolist() == expected


@pytest.mark.torch
@pytest.mark.parametrize("name, constraint, values, expected", CASES, ids=[c[0] for c in CASES])
def test_check_matches_torch(name, constraint, values, expected):
    torch = pytest.importorskip("torch")
    C = torch.distributions.constraints
    theirs = {
        "interval": C.interval(-1.0, 2.0),
        "half_open_interval": C.half_open_interval(-1.0, 2.0),
        "greater_than": C.greater_than(2.0),
        "greater_than_eq": C.greater_than_eq(2.0),
        "less_than": C.less_than(2.0),
        "integer_interval": C.integer_interval(0, 4),
    }.get(name) or getattr(C, name)
    if constraint.event_dim == 2:
        # One matrix at a time: torch 2.13's positive_definite returns only the symmetry check
        # for a whole batch when any matrix in it is not symmetric (calling an indefinite
        # symmetric matrix positive definite); tinytensor checks each matrix fully.
        got = [bool(theirs.check(torch.tensor(v, dtype=torch.float64))) for v in values]
        assert got == expected
    else:
        assert theirs.check(torch.tensor(values, dtype=torch.float64)).tolist() == expected
    assert theirs.event_dim == constraint.event_dim
    assert theirs.is_discrete == constraint.is_discrete


def test_independent_and_dependent():
    c = constraints.independent(constraints.positive, 1)
    assert c.event_dim == 1
    assert c.check(t([[1.0, 2.0], [1.0, -2.0]])).numpy().tolist() == [True, False]
    assert constraints.is_dependent(constraints.dependent)
    assert constraints.is_dependent(Uniform.support)
    assert not constraints.is_dependent(constraints.real)
    with pytest.raises(ValueError):
        constraints.dependent.check(t([1.0]))
    u = Uniform(t([0.0]), t([2.0]))
    assert u.support.check(t([1.0, 3.0])).numpy().tolist() == [True, False]


def test_support_checked_in_log_prob():
    d = Dirichlet(t([1.0, 2.0]))
    with pytest.raises(ValueError, match="support"):
        d.log_prob(t([0.5, 0.6]))
    with pytest.raises(ValueError, match="support"):
        Uniform(t([0.0]), t([1.0])).log_prob(t([1.5]))
