"""Joining and splitting (tinytensor/ops/join.py) against NumPy and itertools oracles, fast and
deterministic: every function's branches (0-d, 1-d and n-d inputs, empty dims, negative dims,
mixed dtypes), the gradients each input gets back, the views the splits return, and the errors
(class, the op's name, what was wrong). Written so that a one-line bug in join.py fails here
without PyTorch."""

import itertools

import numpy as np
import pytest

import tinytensor as tt

RNG = np.random.default_rng(8)


def _leaf(a):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _weights(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# --- cat / stack ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat_joins_and_gives_each_input_its_slice_of_the_gradient(dim):
    d = dim % 2
    shapes = [(2, 3), (2, 1), (2, 4)] if d == 1 else [(1, 3), (3, 3), (2, 3)]
    arrays = [RNG.standard_normal(s) for s in shapes]
    leaves = [_leaf(a) for a in arrays]
    out = tt.cat(leaves, dim)
    np.testing.assert_array_equal(out.detach().numpy(), np.concatenate(arrays, d))
    assert out.grad_fn.attrs == {"dim": d}
    w = _weights(out.shape)
    (out * tt.tensor(w)).sum().backward()
    for leaf, part in zip(leaves, np.split(w, np.cumsum([s[d] for s in shapes])[:-1], d)):
        np.testing.assert_array_equal(leaf.grad.numpy(), part)


def test_cat_promotes_dtypes_with_the_skipped_empty_tensors_taking_part():
    assert tt.cat([tt.tensor([1, 2]), tt.tensor([3.5])]).tolist() == [1.0, 2.0, 3.5]
    assert tt.cat([tt.tensor([1, 2]), tt.tensor([3.5])]).dtype == tt.float32
    assert tt.cat([tt.tensor([True]), tt.tensor([3])]).dtype == tt.int64
    out = tt.cat([tt.zeros(0), tt.tensor([[1, 2]])])
    assert out.dtype == tt.float32 and out.tolist() == [[1.0, 2.0]]
    out = tt.cat([tt.tensor([[1, 2]], dtype=tt.int32), tt.zeros(0, dtype=tt.int64)], 1)
    assert out.dtype == tt.int64 and out.shape == (1, 2)
    assert tt.cat([tt.ones(2, 3), tt.zeros(0)], 1).shape == (2, 3)  # 1-D empty beside anything
    assert tt.cat([tt.zeros(0), tt.zeros(0)]).shape == (0,)
    assert tt.cat([tt.zeros(0, dtype=tt.int64), tt.zeros(0)]).dtype == tt.float32


def test_cat_errors():
    with pytest.raises(RuntimeError, match=r"cat: zero-dimensional tensor \(at position 1\)"):
        tt.cat([tt.ones(3), tt.ones(())])
    with pytest.raises(
        RuntimeError, match=r"cat: sizes of tensors must match except in dimension 1; got shapes"
    ):
        tt.cat([tt.ones(2, 3), tt.zeros(3, 1)], 1)
    with pytest.raises(RuntimeError, match=r"cat: sizes .* \(2, 3\), \(3,\)"):
        tt.cat([tt.ones(2, 3), tt.zeros(3)], 0)
    with pytest.raises(ValueError, match="cat: expected a non-empty list"):
        tt.cat([])


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_adds_a_dim_anywhere_and_gives_each_input_its_slice(dim):
    arrays = [RNG.standard_normal((2, 3)) for _ in range(3)]
    leaves = [_leaf(a) for a in arrays]
    out = tt.stack(leaves, dim)
    np.testing.assert_array_equal(out.detach().numpy(), np.stack(arrays, dim))
    w = _weights(out.shape)
    (out * tt.tensor(w)).sum().backward()
    for k, leaf in enumerate(leaves):
        np.testing.assert_array_equal(leaf.grad.numpy(), np.take(w, k, axis=dim))


def test_stack_promotes_and_errors():
    assert tt.stack([tt.tensor([1, 2]), tt.tensor([3.5, 1])]).dtype == tt.float32
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size, got sh"):
        tt.stack([tt.ones(2, 3), tt.zeros(3, 2)])
    with pytest.raises(RuntimeError, match="stack: expected a non-empty list"):
        tt.stack([])
    with pytest.raises(IndexError):
        tt.stack([tt.ones(2), tt.ones(2)], 2)


# --- hstack / vstack / column_stack / dstack ----------------------------------------------------


STACKS = [
    ("hstack", np.hstack),
    ("vstack", np.vstack),
    ("row_stack", np.vstack),
    ("column_stack", np.column_stack),
    ("dstack", np.dstack),
]
INPUTS = {
    "0-d": [np.float64(1.5), np.float64(-2.0)],
    "1-d": [np.arange(3.0), -np.arange(3.0)],
    "2-d": [np.ones((2, 3)), np.arange(6.0).reshape(2, 3)],
    "3-d": [np.ones((2, 1, 2)), np.arange(4.0).reshape(2, 1, 2)],
}


@pytest.mark.parametrize(("name", "ref"), STACKS)
@pytest.mark.parametrize("kind", list(INPUTS))
def test_the_stacks_match_numpy_for_every_rank(name, ref, kind):
    arrays = INPUTS[kind]
    out = getattr(tt, name)([tt.tensor(a) for a in arrays])
    want = ref(arrays)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.numpy(), want)


def test_the_stacks_with_mixed_ranks():
    assert tt.hstack([tt.tensor([1.0, 2.0]), tt.tensor(3.0)]).tolist() == [1.0, 2.0, 3.0]
    out = tt.column_stack([tt.ones(2), tt.zeros(2, 3), tt.tensor([1.0, 2.0])])
    np.testing.assert_array_equal(
        out.numpy(), np.column_stack([np.ones(2), np.zeros((2, 3)), [1.0, 2.0]])
    )
    out = tt.vstack([tt.ones(3), tt.zeros(2, 3)])
    assert out.shape == (3, 3) and out.tolist()[0] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["hstack", "vstack", "column_stack", "dstack"])
def test_the_stacks_refuse_an_empty_list(name):
    with pytest.raises(RuntimeError, match=rf"{name}: expects a non-empty list of tensors"):
        getattr(tt, name)([])


# --- split / chunk / unbind ---------------------------------------------------------------------


def _pieces(out):
    return [p.detach().numpy().tolist() for p in out]


@pytest.mark.parametrize(
    ("n", "arg", "sizes"),
    [
        (5, 2, [2, 2, 1]),
        (6, 2, [2, 2, 2]),
        (5, 7, [5]),
        (5, 1, [1] * 5),
        (0, 2, [0]),  # an empty dim gives one empty piece
        (0, 0, [0]),
        (5, [1, 4], [1, 4]),
        (5, [0, 5, 0], [0, 5, 0]),
        (0, [0, 0], [0, 0]),
    ],
)
def test_split_sizes_match_numpy(n, arg, sizes):
    x = np.arange(float(n))
    out = tt.split(tt.tensor(x), arg)
    assert [p.shape[0] for p in out] == sizes
    assert _pieces(out) == [a.tolist() for a in np.split(x, np.cumsum(sizes)[:-1])]


def test_split_along_a_negative_dim_and_its_gradient_with_an_unused_piece():
    x = _leaf(RNG.standard_normal((2, 5)))
    pieces = tt.split(x, [2, 1, 2], -1)
    assert pieces[1].grad_fn.attrs == {"dim": 1, "split_sizes": (2, 1, 2), "squeeze": False}
    w0, w2 = _weights((2, 2)), _weights((2, 2), seed=2)
    ((pieces[0] * tt.tensor(w0)).sum() + (pieces[2] * tt.tensor(w2)).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.concatenate([w0, np.zeros((2, 1)), w2], 1))


def test_split_pieces_are_views_of_the_input():
    a = tt.arange(6.0)
    with tt.no_grad():
        tt.split(a, 2)[1].add_(10.0)
        tt.unbind(a)[5].add_(100.0)
    assert a.tolist() == [0.0, 1.0, 12.0, 13.0, 4.0, 105.0]
    b = tt.arange(6.0, requires_grad=True)
    piece = tt.chunk(b, 3)[0]
    with pytest.raises(RuntimeError, match="one of several views returned by one function"):
        piece.mul_(2.0)


def test_split_errors():
    x = tt.arange(5)
    with pytest.raises(RuntimeError, match="split: split_size must be positive .* got -1"):
        tt.split(x, -1)
    with pytest.raises(RuntimeError, match=r"split: split_size must be positive \(0 only for"):
        tt.split(x, 0)
    with pytest.raises(RuntimeError, match=r"split: split_sizes \[2, 2\] must sum to the size"):
        tt.split(x, [2, 2])
    with pytest.raises(RuntimeError, match=r"split: split_sizes \[-1, 6\] must all be non-neg"):
        tt.split(x, [-1, 6])


@pytest.mark.parametrize(
    ("n", "chunks", "sizes"),
    [(5, 3, [2, 2, 1]), (6, 4, [2, 2, 2]), (3, 5, [1, 1, 1]), (6, 1, [6]), (0, 3, [0, 0, 0])],
)
def test_chunk_sizes(n, chunks, sizes):
    x = tt.zeros(2, n)
    out = tt.chunk(x, chunks, -1)
    assert [p.shape for p in out] == [(2, s) for s in sizes]


def test_chunk_errors():
    with pytest.raises(RuntimeError, match="chunk: chunks must be positive, got 0"):
        tt.chunk(tt.arange(3), 0)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_slices_and_gradient(dim):
    x = _leaf(RNG.standard_normal((2, 3)))
    out = tt.unbind(x, dim)
    want = np.moveaxis(x.detach().numpy(), dim, 0)
    assert len(out) == want.shape[0]
    for piece, ref in zip(out, want):
        np.testing.assert_array_equal(piece.detach().numpy(), ref)
    (out[-1] * 3.0).sum().backward()  # the other pieces get no gradient: zeros there
    g = np.zeros((2, 3))
    np.moveaxis(g, dim, 0)[-1] = 3.0
    np.testing.assert_array_equal(x.grad.numpy(), g)


def test_unbind_of_a_vector_and_of_an_empty_dim():
    a = _leaf([1.0, 2.0])
    first, second = tt.unbind(a)
    assert first.shape == () and second.item() == 2.0
    (first * 5.0 + second).backward()
    assert a.grad.tolist() == [5.0, 1.0]
    assert tt.unbind(tt.zeros(0, 3)) == ()


# --- tensor_split / hsplit / vsplit / dsplit ------------------------------------------------------


@pytest.mark.parametrize(
    "arg",
    [3, 7, 9, 1, [2, 5], [-2, 3, 10], [4, 2], [-9], [], [0, 0, 7]],
)
def test_tensor_split_matches_numpy_array_split(arg):
    x = np.arange(7.0)
    out = tt.tensor_split(tt.tensor(x), arg)
    assert _pieces(out) == [a.tolist() for a in np.array_split(x, arg)]


def test_tensor_split_along_a_dim_with_tensor_arguments():
    x = np.arange(12.0).reshape(3, 4)
    out = tt.tensor_split(tt.tensor(x), tt.tensor(3), -1)
    assert _pieces(out) == [a.tolist() for a in np.array_split(x, 3, 1)]
    out = tt.tensor_split(tt.tensor(x), tt.tensor([1, 3]), 1)
    assert _pieces(out) == [a.tolist() for a in np.split(x, [1, 3], 1)]
    a = tt.arange(6.0)
    tt.tensor_split(a, 3)[1].fill_(0.0)  # ordinary views: writable
    assert a.tolist() == [0.0, 1.0, 0.0, 0.0, 4.0, 5.0]


def test_tensor_split_errors():
    x = tt.arange(7)
    with pytest.raises(RuntimeError, match="tensor_split: number of sections must be > 0, got 0"):
        tt.tensor_split(x, 0)
    with pytest.raises(RuntimeError, match=r"tensor_split: .* 0-D or 1-D int64 tensor.*float"):
        tt.tensor_split(x, tt.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"tensor_split: .*shape \(1, 1\)"):
        tt.tensor_split(x, tt.tensor([[1]]))


def test_hsplit_vsplit_dsplit_match_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    for name, arg in [("hsplit", 3), ("vsplit", 2), ("dsplit", 2), ("dsplit", [1, 3])]:
        out = getattr(tt, name)(tt.tensor(x), arg)
        assert _pieces(out) == [a.tolist() for a in getattr(np, name)(x, arg)], name
    v = np.arange(6.0)
    assert _pieces(tt.hsplit(tt.tensor(v), 3)) == [a.tolist() for a in np.hsplit(v, 3)]


def test_hsplit_vsplit_dsplit_errors():
    with pytest.raises(
        RuntimeError,
        match=r"torch.hsplit attempted to split along dimension 1, but the size of the dimension"
        r" 4 is not divisible by the split_size 3!",
    ):
        tt.hsplit(tt.zeros(3, 4), 3)
    with pytest.raises(RuntimeError, match=r"torch.vsplit .* dimension 0, .* size of the dim"):
        tt.vsplit(tt.zeros(3, 4), 2)
    with pytest.raises(RuntimeError, match=r"torch.vsplit .* split_size 0!"):
        tt.vsplit(tt.zeros(4, 3), 0)
    with pytest.raises(RuntimeError, match=r"torch.dsplit .* dimension 2, .* size of the dim"):
        tt.dsplit(tt.zeros(1, 3, 4), 3)
    with pytest.raises(
        RuntimeError, match=r"torch.vsplit requires a tensor with at least 2 dimension\(s\), bu"
    ):
        tt.vsplit(tt.zeros(6), 3)
    with pytest.raises(RuntimeError, match=r"torch.dsplit requires .* at least 3 dim.* got a t"):
        tt.dsplit(tt.zeros(3, 4), 2)
    with pytest.raises(RuntimeError, match=r"torch.hsplit requires .* at least 1 dim"):
        tt.hsplit(tt.tensor(1.0), 1)


# --- meshgrid / atleast ----------------------------------------------------------------------


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_numpy(indexing):
    vecs = [np.array([1.0]), np.array([2.0, 3.0]), np.array([4.0, 5.0, 6.0])]
    for k in (1, 2, 3):
        out = tt.meshgrid(*[tt.tensor(v) for v in vecs[:k]], indexing=indexing)
        want = np.meshgrid(*vecs[:k], indexing=indexing)
        assert len(out) == k
        for o, w in zip(out, want):
            assert o.shape == w.shape
            np.testing.assert_array_equal(o.numpy(), w)
    out = tt.meshgrid([tt.tensor(2.0), tt.tensor([1.0, 2.0])], indexing=indexing)  # a list, 0-d
    want = np.meshgrid(np.array([2.0]), np.array([1.0, 2.0]), indexing=indexing)
    assert [o.numpy().tolist() for o in out] == [w.tolist() for w in want]


def test_meshgrid_default_is_ij_and_its_gradient_sums_over_the_grid():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0, 5.0])
    ga, gb = tt.meshgrid(a, b)
    assert ga.shape == (2, 3)
    w = _weights((2, 3))
    ((ga * tt.tensor(w)).sum() + (gb * tt.tensor(w)).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), w.sum(1))
    np.testing.assert_allclose(b.grad.numpy(), w.sum(0))


def test_meshgrid_errors():
    with pytest.raises(RuntimeError, match="meshgrid: indexing must be 'ij' or 'xy', got 'ji'"):
        tt.meshgrid(tt.ones(2), indexing="ji")
    with pytest.raises(RuntimeError, match=r"meshgrid: expects 0D or 1D tensors, .*\(2, 1\)"):
        tt.meshgrid(tt.ones(2), tt.ones(2, 1), indexing="ij")
    with pytest.raises(RuntimeError, match="meshgrid: expects all tensors to have the same dtype"):
        tt.meshgrid(tt.tensor([1]), tt.tensor([1.0]), indexing="ij")


@pytest.mark.parametrize(
    ("name", "ref"),
    [("atleast_1d", np.atleast_1d), ("atleast_2d", np.atleast_2d), ("atleast_3d", np.atleast_3d)],
)
def test_atleast_matches_numpy_for_one_several_and_a_list(name, ref):
    fn = getattr(tt, name)
    arrays = [np.float64(2.0), np.arange(3.0), np.arange(6.0).reshape(2, 3), np.ones((1, 2, 3, 4))]
    for a in arrays:
        out = fn(tt.tensor(a))
        assert isinstance(out, tt.Tensor) and out.shape == ref(a).shape
        np.testing.assert_array_equal(out.numpy(), ref(a))
    for outs in (fn(*[tt.tensor(a) for a in arrays]), fn([tt.tensor(a) for a in arrays])):
        assert isinstance(outs, tuple)
        assert [o.shape for o in outs] == [ref(a).shape for a in arrays]
    one = fn([tt.tensor(1.0)])
    assert isinstance(one, tuple) and len(one) == 1


# --- cartesian_prod / block_diag / combinations -------------------------------------------------


def test_cartesian_prod_matches_itertools_and_its_gradient_counts_each_use():
    vecs = [[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]]
    for k in (1, 2, 3):
        out = tt.cartesian_prod(*[tt.tensor(v) for v in vecs[:k]])
        want = np.array(list(itertools.product(*vecs[:k])))
        assert out.tolist() == (want[:, 0] if k == 1 else want).tolist()
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0, 5.0])
    out = tt.cartesian_prod(a, b)
    w = _weights(out.shape)
    (out * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), w[:, 0].reshape(2, 3).sum(1))
    np.testing.assert_allclose(b.grad.numpy(), w[:, 1].reshape(2, 3).sum(0))


def test_cartesian_prod_errors():
    with pytest.raises(RuntimeError, match=r"cartesian_prod: expected 1-D tensors, .*\[\(1, 2\)\]"):
        tt.cartesian_prod(tt.tensor([[1, 2]]))
    with pytest.raises(
        RuntimeError, match=r"cartesian_prod: expected 1-D tensors, got shapes \[\]"
    ):
        tt.cartesian_prod()
    with pytest.raises(RuntimeError, match="cartesian_prod: expects all tensors to have the same"):
        tt.cartesian_prod(tt.tensor([1, 2]), tt.tensor([1.5]))


def test_block_diag_places_each_block_and_gives_each_its_gradient():
    blocks = [np.float64(1.5), np.array([2.0, 3.0]), np.arange(6.0).reshape(3, 2), np.ones((0, 2))]
    leaves = [_leaf(b) for b in blocks]
    out = tt.block_diag(*leaves)
    want = np.zeros((5, 5))
    want[0, 0] = 1.5
    want[1, 1:3] = [2.0, 3.0]
    want[2:5, 3:5] = blocks[2]
    assert out.shape == (5, 7)
    np.testing.assert_array_equal(out.detach().numpy()[:, :5], want)
    np.testing.assert_array_equal(out.detach().numpy()[:, 5:], 0.0)
    w = _weights(out.shape)
    (out * tt.tensor(w)).sum().backward()
    assert leaves[0].grad.item() == w[0, 0]
    np.testing.assert_array_equal(leaves[1].grad.numpy(), w[1, 1:3])
    np.testing.assert_array_equal(leaves[2].grad.numpy(), w[2:5, 3:5])
    assert leaves[3].grad.shape == (0, 2)


def test_block_diag_dtype_empty_and_errors():
    out = tt.block_diag(tt.tensor([[1, 2]]), tt.tensor([[1.5]]))
    assert out.dtype == tt.float32 and out.tolist() == [[1.0, 2.0, 0.0], [0.0, 0.0, 1.5]]
    out = tt.block_diag(tt.tensor([[True]]), tt.tensor([[2]], dtype=tt.int32))
    assert out.dtype == tt.int32 and out.tolist() == [[1, 0], [0, 2]]
    empty = tt.block_diag()
    assert empty.shape == (1, 0) and empty.dtype == tt.get_default_dtype()
    with pytest.raises(RuntimeError, match=r"block_diag: input tensors must have 2 or fewer dim"):
        tt.block_diag(tt.ones(2), tt.ones(1, 1, 1))


@pytest.mark.parametrize("r", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_match_itertools(r, with_replacement):
    values = [1.0, 2.0, 4.0]
    out = tt.combinations(tt.tensor(values), r, with_replacement)
    if r == 0:
        assert out.shape == (0,) and out.dtype == tt.float32
        return
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    want = [list(c) for c in pick(values, r)]
    assert out.shape == (len(want), r) and out.tolist() == want


def test_combinations_gradient_counts_each_use_and_the_errors():
    a = _leaf([1.0, 2.0, 3.0])
    tt.combinations(a, 2).sum().backward()  # each element is in 2 of the 3 pairs
    assert a.grad.tolist() == [2.0, 2.0, 2.0]
    assert tt.combinations(tt.tensor([1, 2])).tolist() == [[1, 2]]  # r defaults to 2
    with pytest.raises(RuntimeError, match=r"combinations: expect a 1-D vector, got shape \(1, 3"):
        tt.combinations(tt.ones(1, 3))
    with pytest.raises(RuntimeError, match="combinations: r must be a non-negative int, got -1"):
        tt.combinations(tt.ones(3), -1)
    with pytest.raises(TypeError, match="combinations: r must be an int, got bool True"):
        tt.combinations(tt.ones(3), True)
    with pytest.raises(TypeError, match="combinations: r must be an int, got float"):
        tt.combinations(tt.ones(3), 1.5)


@pytest.mark.parametrize(
    ("first", "second", "want"),
    [
        (tt.float64, tt.float32, tt.float64),
        (tt.float32, tt.float64, tt.float64),
        (tt.int32, tt.int64, tt.int64),
        (tt.int64, tt.float32, tt.float32),
        (tt.bool, tt.int32, tt.int32),
    ],
)
def test_cat_and_block_diag_promote_as_dimensioned_tensors(first, second, want):
    a, b = tt.ones(1, 2, dtype=first), tt.ones(1, 2, dtype=second)
    assert tt.cat([a, b]).dtype == want
    assert tt.cat([b, a]).dtype == want
    assert tt.block_diag(a, b).dtype == want
    assert tt.stack([a, b]).dtype == want


def test_split_pieces_without_grad_mode_record_nothing_and_unbind_records_squeeze():
    a = tt.arange(4.0, requires_grad=True)
    with tt.no_grad():
        assert all(p.grad_fn is None for p in tt.split(a, 2))
    assert tt.unbind(a)[0].grad_fn.attrs == {"dim": 0, "split_sizes": (1, 1, 1, 1), "squeeze": True}
    assert tt.split(tt.zeros(0), []) == ()


def test_split_pieces_share_the_inputs_version():
    a = _leaf([1.0, 2.0, 3.0, 4.0]) * 1.0
    first, _ = tt.split(a, 2)
    loss = (first * first).sum()  # mul saves the piece
    a.add_(1.0)
    assert first._version == a._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


NON_TENSOR_CALLS = {
    "cat": lambda b: tt.cat([b]),
    "stack": lambda b: tt.stack([b]),
    "split": lambda b: tt.split(b, 1),
    "chunk": lambda b: tt.chunk(b, 1),
    "unbind": lambda b: tt.unbind(b),
    "meshgrid": lambda b: tt.meshgrid(b, indexing="ij"),
    "atleast_1d": lambda b: tt.atleast_1d(b),
    "atleast_2d": lambda b: tt.atleast_2d(b),
    "atleast_3d": lambda b: tt.atleast_3d(b),
    "column_stack": lambda b: tt.column_stack([b]),
    "hstack": lambda b: tt.hstack([b]),
    "vstack": lambda b: tt.vstack([b]),
    "dstack": lambda b: tt.dstack([b]),
    "tensor_split": lambda b: tt.tensor_split(b, 2),
    "hsplit": lambda b: tt.hsplit(b, 2),
    "vsplit": lambda b: tt.vsplit(b, 2),
    "dsplit": lambda b: tt.dsplit(b, 2),
    "cartesian_prod": lambda b: tt.cartesian_prod(b),
    "block_diag": lambda b: tt.block_diag(b),
    "combinations": lambda b: tt.combinations(b),
}


@pytest.mark.parametrize("name", list(NON_TENSOR_CALLS))
def test_a_non_tensor_argument_is_named_in_the_ops_error(name):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object"):
        NON_TENSOR_CALLS[name](object())


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: tt.cat([x, x], 2), "cat"),
        (lambda x: tt.stack([x, x], 3), "stack"),
        (lambda x: tt.split(x, 1, 2), "split"),
        (lambda x: tt.chunk(x, 1, -3), "chunk"),
        (lambda x: tt.unbind(x, 2), "unbind"),
        (lambda x: tt.tensor_split(x, 2, 2), "tensor_split"),
    ],
)
def test_a_bad_dim_is_named_with_the_op(call, name):
    with pytest.raises(IndexError, match=rf"^{name}: dim .* out of range"):
        call(tt.ones(2, 3))


def test_join_messages_defaults_and_node_names():
    with pytest.raises(ValueError, match=r"^cat: expected a non-empty list of tensors$"):
        tt.cat([])
    with pytest.raises(RuntimeError, match=r"^stack: expected a non-empty list of tensors$"):
        tt.stack([])
    with pytest.raises(
        RuntimeError,
        match=r"^cat: zero-dimensional tensor \(at position 0\) cannot be concatenated; use "
        r"stack, or unsqueeze it first$",
    ):
        tt.cat([tt.ones(())])
    assert tt.stack([tt.ones(2), tt.zeros(2)]).tolist() == [[1.0, 1.0], [0.0, 0.0]]  # dim=0
    assert tt.hstack([tt.ones(2, 1)]).shape == (2, 1)
    assert tt.hstack([tt.tensor([1.0, 2.0])]).tolist() == [1.0, 2.0]
    a = tt.ones(2, 3, requires_grad=True)
    assert tt.split(a, 1)[0].grad_fn.name() == "SplitBackward"
    assert tt.chunk(a, 2)[0].grad_fn.name() == "SplitBackward"
    assert tt.unbind(a)[0].grad_fn.name() == "UnbindBackward"


def test_chunks_of_an_empty_dim_get_empty_gradients():
    x = tt.zeros(2, 0, requires_grad=True)
    pieces = tt.chunk(x, 3, 1)
    assert [p.shape for p in pieces] == [(2, 0)] * 3
    (pieces[1].sum() + 1.0).backward()
    assert x.grad.shape == (2, 0)
