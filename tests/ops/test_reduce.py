"""Reductions (tinytensor/ops/reduce.py): the table-driven properties of every row in
ops/optable/reduce.py, then semantics the table cannot express."""

import pytest

from ops.harness import table_tests
from ops.optable import REDUCE as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)


# --- semantics ----------------------------------------------------------------------------------

import numpy as np  # noqa: E402

import tinytensor as tt  # noqa: E402


def _grad_of(fn, values):
    x = tt.tensor(values, dtype=tt.float64, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


TIES = np.array([[3.0, 3.0, 1.0], [1.0, 1.0, 3.0]])


@pytest.mark.parametrize(
    "fn, axes, extreme",
    [
        (lambda x: x.max(), None, np.max),
        (lambda x: x.min(), None, np.min),
        (lambda x: x.amax(1), 1, np.max),
        (lambda x: x.amin((0, 1)), (0, 1), np.min),
        (lambda x: tt.norm(x, float("inf"), 1), 1, np.max),
    ],
    ids=["max", "min", "amax_dim", "amin_dims", "norm_inf"],
)
def test_ties_share_the_gradient_evenly(fn, axes, extreme):
    # Documented rule (ops/reduce.py), PyTorch's: a reduction that returns no index gives
    # every tied extreme an equal share.
    mask = TIES == extreme(TIES, axis=axes, keepdims=True)
    expected = mask / mask.sum(axis=axes, keepdims=True)
    np.testing.assert_allclose(_grad_of(fn, TIES.tolist()), expected)


def test_max_tie_values():
    x = tt.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    y = tt.tensor([[2.0, 2.0], [1.0, 5.0]], requires_grad=True)
    values, indices = y.max(1)
    assert indices.tolist() == [0, 1]  # the first of tied elements, like NumPy and PyTorch
    values.sum().backward()
    assert y.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]  # all of it to the returned index


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_dim_route_the_gradient_to_the_returned_index(name, keepdim, dim):
    # PyTorch's rule for reductions that return indices: g goes to that one index only.
    data = np.array([[3.0, 3.0, 1.0, 3.0], [1.0, 1.0, 1.0, 2.0], [3.0, 0.0, 1.0, 3.0]])
    x = tt.tensor(data, dtype=tt.float64, requires_grad=True)
    values, indices = getattr(x, name)(dim, keepdim=keepdim)
    pick = np.argmax if name == "max" else np.argmin
    idx = pick(data, axis=dim)
    np.testing.assert_array_equal(indices.numpy(), idx if not keepdim else np.expand_dims(idx, dim))
    weights = np.arange(1.0, values.numel() + 1).reshape(values.shape)
    (values * tt.tensor(weights, dtype=tt.float64)).sum().backward()
    expected = np.zeros_like(data)
    where = np.expand_dims(idx, dim)
    np.put_along_axis(expected, where, weights.reshape(where.shape), dim)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert (x.grad.numpy() != 0).sum() == values.numel()  # one element per row, ties or not


def test_max_dim_gradient_goes_to_the_nan_and_differentiates_again():
    x = tt.tensor([[1.0, float("nan"), float("nan")], [2.0, 5.0, 5.0]], requires_grad=True)
    values, indices = tt.max(x, 1)
    assert indices.tolist() == [1, 1]
    values.sum().backward()
    assert np.array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    x = tt.tensor([[1.0, -3.0, 3.0], [2.0, 5.0, 5.0]], requires_grad=True)
    (g,) = tt.autograd.grad(tt.max(x * x, 1).values.sum(), x, create_graph=True)
    assert g.tolist() == [[0.0, -6.0, 0.0], [0.0, 10.0, 0.0]]  # 2x at the first of ties
    (gg,) = tt.autograd.grad(g.sum(), x)
    assert gg.tolist() == [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]]
    s = tt.tensor(7.0, requires_grad=True)  # a 0-d input: dim 0 is the tensor itself
    tt.min(s, 0).values.backward()
    assert s.grad.item() == 1.0


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_ties_match_torch(name, keepdim):
    torch = pytest.importorskip("torch")
    data = np.array([[[3.0, 3.0], [3.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]], [[2.0, 5.0], [5.0, 5.0]]])
    for dim in (0, 1, 2):
        x = tt.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        v, i = getattr(x, name)(dim, keepdim)
        tv, ti = getattr(tx, name)(dim, keepdim)
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        w = np.random.default_rng(dim).standard_normal(tuple(tv.shape))
        (v * tt.tensor(w)).sum().backward()
        (tv * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        x.grad = None
        # and the full reduction still splits the gradient evenly, as PyTorch's
        getattr(x, name)().backward()
        tx.grad = None
        getattr(tx, name)().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize(
    "values",
    [[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [[1.0, 0.0], [2.0, 3.0]], [[0.0, 0.0], [0.0, 4.0]]],
    ids=["one_zero", "two_zeros", "zero_in_one_row", "zeros_in_rows"],
)
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_prod_gradient_with_zeros_matches_torch(values, dim):
    torch = pytest.importorskip("torch")
    x = tt.tensor(values, dtype=tt.float64, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out = x.prod() if dim is None else x.prod(dim)
    tout = tx.prod() if dim is None else tx.prod(dim)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy())
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_prod_gradient_with_one_zero_is_product_of_the_others():
    assert _grad_of(lambda x: x.prod(), [2.0, 0.0, 3.0]).tolist() == [0.0, 6.0, 0.0]
    assert _grad_of(lambda x: x.prod(), [2.0, 0.0, 0.0]).tolist() == [0.0, 0.0, 0.0]


def test_integer_sums_and_cumsums_are_int64_and_mean_needs_float():
    assert tt.tensor([1, 2], dtype=tt.int32).sum().dtype is tt.int64
    assert tt.tensor([True, True, False]).sum().item() == 2
    assert tt.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert tt.tensor([1, 2]).sum(dtype=tt.float64).dtype is tt.float64
    with pytest.raises(RuntimeError, match="mean"):
        tt.tensor([1, 2]).mean()
    assert tt.tensor([1, 2]).mean(dtype=tt.float32).item() == 1.5


def test_var_and_std_defaults_are_unbiased_like_torch():
    x = tt.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert x.var(unbiased=False).item() == pytest.approx(np.var([1, 2, 3, 4]))
    assert x.std(correction=0).item() == pytest.approx(np.std([1, 2, 3, 4]))
    assert tt.tensor([[1.0, 3.0]]).var(1).tolist() == [2.0]


def test_logsumexp_is_stable_and_handles_minus_infinity():
    x = tt.tensor([[1000.0, 1000.0], [-float("inf"), -float("inf")]], dtype=tt.float64)
    with np.errstate(divide="ignore"):
        out = x.logsumexp(1)
    assert out[0].item() == pytest.approx(1000.0 + np.log(2.0))
    assert out[1].item() == -float("inf")


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, 0.5])
def test_norm_gradient_at_zero_is_zero(p):
    x = tt.zeros(3, dtype=tt.float64, requires_grad=True)
    x.norm(p).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = tt.tensor([0.0, 3.0, -4.0], dtype=tt.float64, requires_grad=True)
    y.norm(p).backward()
    assert y.grad[0].item() == 0.0 and np.all(np.isfinite(y.grad.numpy()))


def test_norm_zero_counts_nonzeros():
    assert tt.tensor([0.0, 2.0, -1.0]).norm(0).item() == 2.0


def test_empty_reductions():
    with pytest.raises(RuntimeError, match="max.*empty"):
        tt.zeros(0).max()
    with pytest.raises(IndexError, match="argmax.*empty"):  # PyTorch's class for argmax
        tt.zeros(0).argmax()
    assert tt.zeros(0).sum().item() == 0.0
    assert tt.zeros(2, 0).sum(1).tolist() == [0.0, 0.0]
    assert np.isnan(tt.zeros(0).mean().item())


def test_argmax_without_dim_indexes_the_flattened_tensor():
    x = tt.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.argmax().item() == 2
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert x.argmin(0).tolist() == [0, 1]
