"""tensor_methods/index.py: each indexing/scattering method forwards every argument to its
function (non-default values chosen so that a dropped, swapped or defaulted argument changes the
result), each in-place form writes the same values into the tensor itself, and
``fill_diagonal_``/``as_strided`` follow NumPy's and PyTorch's rules (mutmut survivors of
issue #25). NumPy only."""

# ruff: noqa: E501 - one row of the table per method, its call beside the function's

import numpy as np
import pytest

import tinytensor as tt

A = np.arange(12.0).reshape(3, 4)


def _x():
    return tt.tensor(A.copy())


def _i(*v):
    return tt.tensor(np.array(v, np.int64))


def _f(*v):
    return tt.tensor(np.array(v, np.float64))


def _same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
        return
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


IDX = _i(2, 0, 2, 1).reshape(1, 4)
SRC = tt.tensor(np.array([[10.0, 20.0, 30.0, 40.0]]))
ROWS = _i(2, 0)
SLAB = tt.tensor(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]))
COLS = _i(3, 1)
COLSRC = tt.tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
MASK = tt.tensor(A % 3 == 0)

# (method call, function call, in-place method or None)
CASES = {
    "index_add": (lambda x: x.index_add(0, ROWS, SLAB, alpha=3), lambda x: tt.index_add(x, 0, ROWS, SLAB, alpha=3), lambda x: x.index_add_(0, ROWS, SLAB, alpha=3)),
    "index_add_cols": (lambda x: x.index_add(1, COLS, COLSRC), lambda x: tt.index_add(x, 1, COLS, COLSRC), lambda x: x.index_add_(1, COLS, COLSRC)),
    "index_put": (lambda x: x.index_put((_i(0, 0), _i(1, 1)), _f(1.0, 2.0), True), lambda x: tt.index_put(x, (_i(0, 0), _i(1, 1)), _f(1.0, 2.0), True), lambda x: x.index_put_((_i(0, 0), _i(1, 1)), _f(1.0, 2.0), True)),
    "index_put_set": (lambda x: x.index_put((_i(2),), _f(-1.0)), lambda x: tt.index_put(x, (_i(2),), _f(-1.0)), lambda x: x.index_put_((_i(2),), _f(-1.0))),
    "scatter": (lambda x: x.scatter(1, IDX, SRC), lambda x: tt.scatter(x, 1, IDX, SRC), lambda x: x.scatter_(1, IDX, SRC)),
    "scatter_value": (lambda x: x.scatter(0, IDX, value=7.0), lambda x: tt.scatter(x, 0, IDX, 7.0), lambda x: x.scatter_(0, IDX, value=7.0)),
    "scatter_reduce_kw": (lambda x: x.scatter(1, IDX, SRC, reduce="multiply"), lambda x: tt.scatter(x, 1, IDX, SRC, reduce="multiply"), lambda x: x.scatter_(1, IDX, SRC, reduce="multiply")),
    "scatter_add": (lambda x: x.scatter_add(1, IDX, SRC), lambda x: tt.scatter_add(x, 1, IDX, SRC), lambda x: x.scatter_add_(1, IDX, SRC)),
    "scatter_reduce": (lambda x: x.scatter_reduce(1, IDX, SRC, "amin", include_self=False), lambda x: tt.scatter_reduce(x, 1, IDX, SRC, "amin", include_self=False), lambda x: x.scatter_reduce_(1, IDX, SRC, "amin", include_self=False)),
    "scatter_reduce_mean": (lambda x: x.scatter_reduce(1, IDX, SRC, "mean"), lambda x: tt.scatter_reduce(x, 1, IDX, SRC, "mean"), lambda x: x.scatter_reduce_(1, IDX, SRC, "mean")),
    "index_fill": (lambda x: x.index_fill(1, COLS, -2.0), lambda x: tt.index_fill(x, 1, COLS, -2.0), lambda x: x.index_fill_(1, COLS, -2.0)),
    "index_copy": (lambda x: x.index_copy(1, COLS, COLSRC), lambda x: tt.index_copy(x, 1, COLS, COLSRC), lambda x: x.index_copy_(1, COLS, COLSRC)),
    "put": (lambda x: x.put(_i(5, -1), _f(1.0, 2.0)), lambda x: tt.put(x, _i(5, -1), _f(1.0, 2.0)), lambda x: x.put_(_i(5, -1), _f(1.0, 2.0))),
    "put_acc": (lambda x: x.put(_i(5, 5), _f(1.0, 2.0), True), lambda x: tt.put(x, _i(5, 5), _f(1.0, 2.0), True), lambda x: x.put_(_i(5, 5), _f(1.0, 2.0), True)),
    "index_reduce": (lambda x: x.index_reduce(1, COLS, COLSRC, "amin", include_self=False), lambda x: tt.index_reduce(x, 1, COLS, COLSRC, "amin", include_self=False), lambda x: x.index_reduce_(1, COLS, COLSRC, "amin", include_self=False)),
    "index_reduce_prod": (lambda x: x.index_reduce(0, ROWS, SLAB, "prod"), lambda x: tt.index_reduce(x, 0, ROWS, SLAB, "prod"), lambda x: x.index_reduce_(0, ROWS, SLAB, "prod")),
    "masked_scatter": (lambda x: x.masked_scatter(MASK, -tt.tensor(A)), lambda x: tt.masked_scatter(x, MASK, -tt.tensor(A)), lambda x: x.masked_scatter_(MASK, -tt.tensor(A))),
    "take": (lambda x: x.take(_i(1, -1, 4)), lambda x: tt.take(x, _i(1, -1, 4)), None),
    "as_strided": (lambda x: x.as_strided((2, 2), (1, 3), 1), lambda x: tt.as_strided(x, (2, 2), (1, 3), 1), None),
    "as_strided_default": (lambda x: x.as_strided((2, 2), (4, 1)), lambda x: tt.as_strided(x, (2, 2), (4, 1), 0), None),
    "select_scatter": (lambda x: x.select_scatter(_f(1.0, 2.0, 3.0), 1, 2), lambda x: tt.select_scatter(x, _f(1.0, 2.0, 3.0), 1, 2), None),
    "slice_scatter": (lambda x: x.slice_scatter(COLSRC, 1, 1, 4, 2), lambda x: tt.slice_scatter(x, COLSRC, 1, 1, 4, 2), None),
    "slice_scatter_default": (lambda x: x.slice_scatter(-tt.tensor(A)), lambda x: tt.slice_scatter(x, -tt.tensor(A)), None),
    "diagonal_scatter": (lambda x: x.diagonal_scatter(_f(1.0, 2.0), 2, 0, 1), lambda x: tt.diagonal_scatter(x, _f(1.0, 2.0), 2, 0, 1), None),
    "diagonal_scatter_swapped": (lambda x: x.diagonal_scatter(_f(1.0), 2, 1, 0), lambda x: tt.diagonal_scatter(x, _f(1.0), 2, 1, 0), None),
    "diagonal_scatter_default": (lambda x: x.diagonal_scatter(_f(1.0, 2.0, 3.0)), lambda x: tt.diagonal_scatter(x, _f(1.0, 2.0, 3.0)), None),
    "as_strided_scatter": (lambda x: x.as_strided_scatter(_f(1.0, 2.0), (2,), (5,), 1), lambda x: tt.as_strided_scatter(x, _f(1.0, 2.0), (2,), (5,), 1), None),
    "as_strided_scatter_default": (lambda x: x.as_strided_scatter(_f(1.0, 2.0), (2,), (5,)), lambda x: tt.as_strided_scatter(x, _f(1.0, 2.0), (2,), (5,), 0), None),
    "nonzero_static": (lambda x: x.nonzero_static(size=20, fill_value=-7), lambda x: tt.nonzero_static(x, size=20, fill_value=-7), None),
    "nonzero_static_default": (lambda x: x.nonzero_static(size=20), lambda x: tt.nonzero_static(x, size=20), None),
    "gather": (lambda x: x.gather(1, IDX.expand(3, 4)), lambda x: tt.gather(x, 1, IDX.expand(3, 4)), None),
    "index_select": (lambda x: x.index_select(1, COLS), lambda x: tt.index_select(x, 1, COLS), None),
    "masked_fill": (lambda x: x.masked_fill(MASK, 0.5), lambda x: tt.masked_fill(x, MASK, 0.5), None),
    "nonzero": (lambda x: x.nonzero(), lambda x: tt.nonzero(x), None),
    "nonzero_tuple": (lambda x: x.nonzero(as_tuple=True), lambda x: tt.nonzero(x, as_tuple=True), None),
    "argwhere": (lambda x: x.argwhere(), lambda x: tt.argwhere(x), None),
    "masked_select": (lambda x: x.masked_select(MASK), lambda x: tt.masked_select(x, MASK), None),
    "take_along_dim": (lambda x: x.take_along_dim(IDX, 1), lambda x: tt.take_along_dim(x, IDX, 1), None),
    "take_along_dim_flat": (lambda x: x.take_along_dim(_i(11, 0)), lambda x: tt.take_along_dim(x, _i(11, 0)), None),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_method_forwards_every_argument(name):
    method, function, inplace = CASES[name]
    want = function(_x())
    _same(method(_x()), want)
    if inplace is not None:
        x = _x()
        out = inplace(x)
        assert out is x
        _same(x, want)


def test_forwarded_arguments_change_the_result():
    """The non-default arguments above matter (so the comparisons can catch a dropped one)."""
    x = _x()
    d = lambda a, b: not np.array_equal(a.numpy(), b.numpy())  # noqa: E731
    assert d(x.index_add(0, ROWS, SLAB, alpha=3), x.index_add(0, ROWS, SLAB))
    assert d(
        x.index_put((_i(0, 0), _i(1, 1)), _f(1.0, 2.0), True),
        x.index_put((_i(0, 0), _i(1, 1)), _f(1.0, 2.0)),
    )
    assert d(x.scatter(1, IDX, SRC, reduce="multiply"), x.scatter(1, IDX, SRC))
    assert d(
        x.scatter_reduce(1, IDX, SRC, "amin", include_self=False),
        x.scatter_reduce(1, IDX, SRC, "amax"),
    )
    assert d(
        x.index_reduce(1, COLS, COLSRC, "amin", include_self=False),
        x.index_reduce(1, COLS, COLSRC, "amin"),
    )
    assert d(x.put(_i(5, 5), _f(1.0, 2.0), True), x.put(_i(5, 5), _f(2.0, 2.0)))
    assert d(x.as_strided((2, 2), (1, 3), 1), x.as_strided((2, 2), (1, 3)))
    assert d(x.slice_scatter(COLSRC, 1, 1, 4, 2), x.slice_scatter(COLSRC, 1, 0, 4, 2))
    assert d(x.diagonal_scatter(_f(1.0, 2.0), 2), x.diagonal_scatter(_f(1.0, 2.0), -1))
    assert d(
        x.as_strided_scatter(_f(1.0, 2.0), (2,), (5,), 1),
        x.as_strided_scatter(_f(1.0, 2.0), (2,), (5,)),
    )
    assert d(x.nonzero_static(size=20, fill_value=-7), x.nonzero_static(size=20))


def test_fill_diagonal_():
    x = tt.zeros(3, 3)
    assert x.fill_diagonal_(5.0) is x
    np.testing.assert_array_equal(x.numpy(), np.diag([5.0, 5.0, 5.0]))
    tall = tt.zeros(7, 3)
    tall.fill_diagonal_(1.0)
    ref = np.zeros((7, 3))
    np.fill_diagonal(ref, 1.0)
    np.testing.assert_array_equal(tall.numpy(), ref)  # no wrap: only the top square
    tall = tt.zeros(7, 3)
    tall.fill_diagonal_(1.0, wrap=True)
    ref = np.zeros((7, 3))
    np.fill_diagonal(ref, 1.0, wrap=True)  # restarts after a gap row: rows 4, 5, 6
    np.testing.assert_array_equal(tall.numpy(), ref)
    assert tall.numpy()[4, 0] == 1.0 and tall.numpy()[3].sum() == 0.0
    cube = tt.zeros(2, 2, 2)
    cube.fill_diagonal_(3.0)
    assert (
        cube.numpy()[1, 1, 1] == 3.0 and cube.numpy()[0, 0, 0] == 3.0 and cube.numpy().sum() == 6.0
    )
    wide = tt.zeros(2, 4)
    wide.fill_diagonal_(2.0)
    np.testing.assert_array_equal(wide.numpy(), [[2, 0, 0, 0], [0, 2, 0, 0]])
    for bad in (tt.zeros(3), tt.zeros(2, 2, 3)):
        with pytest.raises(
            RuntimeError, match=r"^fill_diagonal_: dimensions must be >= 2 and all of equal length$"
        ):
            bad.fill_diagonal_(1.0)
    x = tt.zeros(2, 2, requires_grad=True)
    y = x * 1.0
    y.fill_diagonal_(4.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0], [1.0, 0.0]])
