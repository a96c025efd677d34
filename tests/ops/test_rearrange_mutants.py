"""Rearranging elements (tinytensor/ops/rearrange.py) against NumPy oracles, fast and
deterministic: flip/flipud/fliplr, roll (flattened and along dims), rot90 for every k and dim
order, repeat/tile, repeat_interleave (int, tensor and counts-only forms, output_size),
tril/triu and their index functions, unfold (its windows, the view it is, the gradient of
overlapping windows); the gradients and the errors. Written so that a one-line bug in
rearrange.py fails here without PyTorch."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.ops import rearrange as R

RNG = np.random.default_rng(8)
X = RNG.standard_normal((2, 3, 4))


def _leaf(a):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _grad(fn, x, seed=1):
    """d/dx sum(fn(x) * w) for a fixed random w, and w."""
    a = _leaf(x)
    out = fn(a)
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (out * tt.tensor(w)).sum().backward()
    return a.grad.numpy(), w


# --- flip ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [(0,), (2,), (0, 2), (-1,), (-3, -2), 1, (), (0, 1, 2)])
def test_flip_and_its_gradient(dims):
    out = tt.flip(tt.tensor(X), dims)
    np.testing.assert_array_equal(out.numpy(), np.flip(X, dims))
    g, w = _grad(lambda a: tt.flip(a, dims), X)
    np.testing.assert_array_equal(g, np.flip(w, dims))


def test_flip_is_a_copy_and_flipud_fliplr():
    x = tt.tensor(X)
    y = tt.flip(x, 0)
    y.fill_(0.0)
    np.testing.assert_array_equal(x.numpy(), X)
    np.testing.assert_array_equal(tt.flipud(x).numpy(), X[::-1])
    np.testing.assert_array_equal(tt.fliplr(x).numpy(), X[:, ::-1])
    assert tt.flipud(tt.tensor([1.0, 2.0])).tolist() == [2.0, 1.0]
    with pytest.raises(RuntimeError, match="flipud: input must be >= 1-d, got a 0-d tensor"):
        tt.flipud(tt.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"fliplr: input must be >= 2-d, got shape \(2,\)"):
        tt.fliplr(tt.tensor([1.0, 2.0]))
    assert tt.flip(x, (0,)).grad_fn is None
    assert tt.flip(_leaf(X), (-1,)).grad_fn.attrs == {"dims": (2,)}


# --- roll ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shifts", "dims"),
    [(5, None), ((5,), None), (-7, None), (2, -1), (7, 1), ((1, -2), (0, 2)), ((1, 1), (1, 1))],
)
def test_roll_and_its_gradient(shifts, dims):
    want = np.roll(X, shifts, dims)
    np.testing.assert_array_equal(tt.roll(tt.tensor(X), shifts, dims).numpy(), want)
    g, w = _grad(lambda a: tt.roll(a, shifts, dims), X)
    back = np.roll(w, -np.asarray(shifts), dims) if dims is not None else None
    if dims is None:
        back = np.roll(w.reshape(-1), -np.asarray(shifts).reshape(-1)[0]).reshape(X.shape)
    np.testing.assert_array_equal(g, back)


def test_roll_errors():
    with pytest.raises(RuntimeError, match=r"roll: with dims=None pass one shift, got shifts=\(1"):
        tt.roll(tt.tensor(X), (1, 2))
    with pytest.raises(RuntimeError, match=r"roll: shifts \(1, 2\) and dims \(0,\) must have the"):
        tt.roll(tt.tensor(X), (1, 2), (0,))
    with pytest.raises(IndexError):
        tt.roll(tt.tensor(X), 1, 3)


# --- rot90 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (2, 1), (-1, -2)])
def test_rot90_matches_numpy_and_its_gradient_rotates_back(k, dims):
    out = tt.rot90(tt.tensor(X), k, dims)
    want = np.rot90(X, k, dims)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.numpy(), want)
    g, w = _grad(lambda a: tt.rot90(a, k, dims), X)
    np.testing.assert_array_equal(g, np.rot90(w, -k, dims))


def test_rot90_default_is_one_turn_in_the_first_two_dims_and_k0_is_a_copy():
    np.testing.assert_array_equal(tt.rot90(tt.tensor(X)).numpy(), np.rot90(X))
    x = tt.tensor(X)
    y = tt.rot90(x, 0)
    y.fill_(0.0)
    np.testing.assert_array_equal(x.numpy(), X)
    g, w = _grad(lambda a: tt.rot90(a, 4), X)
    np.testing.assert_array_equal(g, w)


def test_rot90_errors():
    x = tt.tensor(X)
    with pytest.raises(RuntimeError, match=r"rot90: expected two dims .* dims=\(0, 1, 2\)"):
        tt.rot90(x, 1, (0, 1, 2))
    with pytest.raises(RuntimeError, match=r"rot90: expected two dims .* shape \(2,\)"):
        tt.rot90(tt.tensor([1.0, 2.0]), 1, (0, 1))
    with pytest.raises(RuntimeError, match=r"rot90: the two dims must differ, got dims=\(1, -2\)"):
        tt.rot90(x, 1, (1, -2))


# --- repeat / tile -------------------------------------------------------------------------------


@pytest.mark.parametrize("reps", [(2, 1, 3), (1, 1, 1), (2, 1, 1, 2), (0, 1, 1), (3, 2, 1, 1, 1)])
def test_repeat_matches_np_tile_and_its_gradient_sums_the_tiles(reps):
    out = tt.tensor(X).repeat(*reps)
    np.testing.assert_array_equal(out.numpy(), np.tile(X, reps))
    g, w = _grad(lambda a: a.repeat(reps), X)
    lead = len(reps) - X.ndim
    split = [v for r, s in zip(reps, (1,) * lead + X.shape) for v in (r, s)]
    want = w.reshape(split).sum(tuple(range(0, 2 * len(reps), 2))).reshape(X.shape)
    np.testing.assert_allclose(g, want, rtol=1e-14)
    assert out.grad_fn is None


def test_repeat_of_a_0d_tensor_and_the_recorded_repeats():
    assert tt.tensor(3.0).repeat(2, 2).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert tt.tensor(3.0).repeat(()).shape == ()
    assert _leaf(X).repeat(1, 2, 1).grad_fn.attrs == {"repeats": (1, 2, 1)}


def test_repeat_errors():
    with pytest.raises(RuntimeError, match=r"repeat: number of repeat dims \(2\) can not be smal"):
        tt.tensor(X).repeat(2, 1)
    with pytest.raises(RuntimeError, match=r"repeat: repeats must be non-negative, got \(-1, 1, 1"):
        tt.tensor(X).repeat(-1, 1, 1)


@pytest.mark.parametrize("dims", [(2,), 2, (2, 1, 1, 2), (), (1, 3), (3, 1, 2)])
def test_tile_matches_numpy(dims):
    np.testing.assert_array_equal(tt.tile(tt.tensor(X), dims).numpy(), np.tile(X, dims))
    assert tt.tile(tt.tensor(3.0), (2,)).tolist() == [3.0, 3.0]


# --- repeat_interleave ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repeats", "dim"),
    [(2, None), (2, 1), (3, -1), ([1, 0, 2], 1), ([2], -1), ([0, 3], 0), (0, 2)],
)
def test_repeat_interleave_matches_np_repeat_and_its_gradient(repeats, dim):
    r = tt.tensor(repeats) if isinstance(repeats, list) else repeats
    out = tt.repeat_interleave(tt.tensor(X), r, dim)
    want = np.repeat(X, repeats, axis=dim)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.numpy(), want)
    g, w = _grad(lambda a: tt.repeat_interleave(a, r, dim), X)
    if dim is None:
        idx = np.repeat(np.arange(X.size), repeats)
        want_g = np.bincount(idx, w, X.size).reshape(X.shape)
    else:
        d = dim % X.ndim
        idx = np.repeat(np.arange(X.shape[d]), repeats)
        want_g = np.zeros_like(X)
        np.add.at(want_g, (slice(None),) * d + (idx,), w)
    np.testing.assert_allclose(g, want_g, rtol=1e-14)


def test_repeat_interleave_of_a_0d_tensor_and_a_0d_tensor_of_repeats():
    assert tt.repeat_interleave(tt.tensor(5.0), 3).tolist() == [5.0, 5.0, 5.0]
    out = tt.repeat_interleave(tt.tensor(X), tt.tensor(2), 0)
    np.testing.assert_array_equal(out.numpy(), np.repeat(X, 2, 0))


def test_repeat_interleave_counts_alone_give_each_index_its_count():
    assert tt.repeat_interleave(tt.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    out = tt.repeat_interleave(tt.tensor([2, 0, 1]), output_size=3)
    assert out.tolist() == [0, 0, 2] and out.dtype == tt.int64
    assert tt.repeat_interleave(tt.tensor([0, 0])).shape == (0,)
    with pytest.raises(RuntimeError, match=r"repeat_interleave: repeats given alone must be a 1-D"):
        tt.repeat_interleave(tt.tensor(3))
    with pytest.raises(RuntimeError, match=r"repeat_interleave: repeats given alone .*\(1, 2\)"):
        tt.repeat_interleave(tt.tensor([[1, 2]]))
    with pytest.raises(NotImplementedError, match="repeat_interleave: repeats must be integers"):
        tt.repeat_interleave(tt.tensor([2.0]))


def test_repeat_interleave_output_size():
    x = tt.tensor(X)
    np.testing.assert_array_equal(
        tt.repeat_interleave(x, 2, dim=1, output_size=6).numpy(), np.repeat(X, 2, 1)
    )
    with pytest.raises(RuntimeError, match="Invalid output_size, expected 6 but got 5"):
        tt.repeat_interleave(x, 2, dim=1, output_size=5)
    r = tt.tensor([1, 0, 2])
    np.testing.assert_array_equal(
        tt.repeat_interleave(x, r, dim=1, output_size=3).numpy(), np.repeat(X, [1, 0, 2], 1)
    )
    with pytest.raises(RuntimeError, match=r"output_size 4, but the repeats add up to 3"):
        tt.repeat_interleave(x, r, dim=1, output_size=4)
    # one repeat for every slice: the total is the count times the size of the dim
    np.testing.assert_array_equal(
        tt.repeat_interleave(x, tt.tensor([2]), dim=1, output_size=6).numpy(), np.repeat(X, 2, 1)
    )
    with pytest.raises(RuntimeError, match=r"output_size 2, but the repeats add up to 6"):
        tt.repeat_interleave(x, tt.tensor([2]), dim=1, output_size=2)


def test_repeat_interleave_errors():
    x = tt.tensor(X)
    with pytest.raises(RuntimeError, match="repeat_interleave: repeats must be non-negative ints"):
        tt.repeat_interleave(x, -1)
    with pytest.raises(RuntimeError, match="repeat_interleave: repeats must be non-negative"):
        tt.repeat_interleave(x, tt.tensor([1, -1, 1]), 1)
    with pytest.raises(NotImplementedError, match="repeat_interleave: repeats must be integers"):
        tt.repeat_interleave(x, tt.tensor([1.0, 1.0, 1.0]), 1)
    with pytest.raises(
        RuntimeError, match=r"repeats must have the same size as input along dim \(3\), got 2"
    ):
        tt.repeat_interleave(x, tt.tensor([1, 1]), 1)


# --- tril / triu and their indices ------------------------------------------------------------


@pytest.mark.parametrize("diagonal", [-5, -2, -1, 0, 1, 3, 5])
@pytest.mark.parametrize(("name", "ref"), [("tril", np.tril), ("triu", np.triu)])
def test_triangles_and_their_gradients(name, ref, diagonal):
    fn = getattr(tt, name)
    np.testing.assert_array_equal(fn(tt.tensor(X), diagonal).numpy(), ref(X, diagonal))
    g, w = _grad(lambda a: fn(a, diagonal), X)
    np.testing.assert_array_equal(g, ref(w, diagonal))


def test_triangles_default_diagonal_dtype_and_errors():
    ones = tt.ones(3, 3, dtype=tt.int64)
    assert tt.tril(ones).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert tt.triu(ones).tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    assert tt.tril(ones).dtype == tt.int64
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions, g"):
        tt.tril(tt.ones(3))
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 dimensions, g"):
        tt.triu(tt.ones(3))


@pytest.mark.parametrize(("row", "col", "offset"), [(3, 4, 0), (3, 4, 1), (4, 3, -1), (0, 4, 0),
                                                    (3, 3, 5), (3, 3, -5), (1, 1, 0)])  # fmt: skip
def test_triangle_indices_match_numpy(row, col, offset):
    lo = tt.tril_indices(row, col, offset)
    hi = tt.triu_indices(row, col, offset)
    assert lo.dtype == tt.int64 and lo.shape[0] == 2 and hi.shape[0] == 2
    assert lo.tolist() == np.stack(np.tril_indices(row, offset, col)).reshape(2, -1).tolist()
    assert hi.tolist() == np.stack(np.triu_indices(row, offset, col)).reshape(2, -1).tolist()


def test_triangle_indices_defaults_dtype_and_errors():
    assert tt.tril_indices(2, 2).tolist() == [[0, 1, 1], [0, 0, 1]]
    assert tt.triu_indices(2, 2).tolist() == [[0, 0, 1], [0, 1, 1]]
    assert tt.tril_indices(3, 3, dtype=tt.int32).dtype == tt.int32
    with pytest.raises(RuntimeError, match="tril_indices: row and col must be non-negative ints"):
        tt.tril_indices(-1, 3)
    with pytest.raises(RuntimeError, match="triu_indices: row and col must be non-negative ints"):
        tt.triu_indices(3, -1)
    with pytest.raises(RuntimeError, match="triu_indices: row and col must be non-negative ints"):
        tt.triu_indices(3, 2.0)


# --- unfold --------------------------------------------------------------------------------------


def _np_unfold(x, d, size, step):
    n = (x.shape[d] - size) // step + 1
    wins = [np.take(x, range(i * step, i * step + size), axis=d) for i in range(n)]
    return np.moveaxis(np.stack(wins, axis=d), d + 1, -1)


@pytest.mark.parametrize(
    ("dim", "size", "step"),
    [(2, 2, 1), (2, 2, 3), (-2, 3, 1), (1, 3, 2), (2, 4, 1), (0, 1, 1), (2, 1, 2), (2, 0, 1)],
)
def test_unfold_windows_and_the_gradient_of_overlaps(dim, size, step):
    out = tt.tensor(X).unfold(dim, size, step)
    want = _np_unfold(X, dim % 3, size, step)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.numpy(), want)
    g, w = _grad(lambda a: a.unfold(dim, size, step), X)
    d = dim % 3
    want_g = np.zeros_like(X)
    for i in range(want.shape[d]):
        for j in range(size):
            src = [slice(None)] * 3
            src[d] = i * step + j
            win = np.take(np.take(w, i, axis=d), j, axis=-1)
            want_g[tuple(src)] += win
    np.testing.assert_allclose(g, want_g, rtol=1e-14)


def test_unfold_of_a_0d_tensor_and_errors():
    out = tt.tensor(5.0).unfold(0, 1, 1)
    assert out.shape == (1,) and out.item() == 5.0
    a = _leaf(5.0)
    a.unfold(0, 1, 1).sum().backward()
    assert a.grad.shape == () and a.grad.item() == 1.0
    x = tt.tensor(X)
    with pytest.raises(RuntimeError, match=r"unfold: maximum size for tensor at dimension 2 is 4 "):
        x.unfold(2, 5, 1)
    with pytest.raises(RuntimeError, match=r"unfold: .*step \(0\) must be > 0"):
        x.unfold(2, 2, 0)
    with pytest.raises(RuntimeError, match=r"unfold: .*size is -1"):
        x.unfold(2, -1, 1)
    with pytest.raises(RuntimeError, match=r"unfold: maximum size .* dimension 0 is 1 "):
        tt.tensor(5.0).unfold(0, 2, 1)


def test_unfold_is_a_view_writable_only_without_overlap():
    base = tt.arange(6.0)
    win = base.unfold(0, 2, 2)  # no overlap: writes reach the base
    win[1, 0] = 100.0
    assert base.tolist() == [0.0, 1.0, 100.0, 3.0, 4.0, 5.0]
    base.add_(1.0)  # and the base's changes show in the view
    assert win.tolist() == [[1.0, 2.0], [101.0, 4.0], [5.0, 6.0]]
    over = tt.arange(4.0).unfold(0, 3, 1)
    with pytest.raises((RuntimeError, ValueError)):
        over[0, 0] = 1.0


def test_unfold_view_in_the_graph_carries_the_write_back_to_the_base():
    a = _leaf(np.arange(6.0))
    b = a * 1.0
    win = b.unfold(0, 2, 2)
    win.mul_(tt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=tt.float64))
    assert b.tolist() == [0.0, 2.0, 6.0, 12.0, 20.0, 30.0]
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_unfold_view_of_a_matrix_changed_in_place_in_the_graph():
    a = _leaf(np.arange(12.0))
    b = (a * 1.0).reshape(3, 4)
    b.unfold(1, 2, 2).mul_(2.0)
    np.testing.assert_array_equal(b.detach().numpy(), 2.0 * np.arange(12.0).reshape(3, 4))
    (b * tt.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2.0 * np.arange(12.0))


def test_numpy_integers_count_as_ints():
    x = tt.tensor(X)
    np.testing.assert_array_equal(tt.roll(x, np.int64(2), np.int64(1)).numpy(), np.roll(X, 2, 1))
    np.testing.assert_array_equal(tt.roll(x, np.int64(5)).numpy(), np.roll(X, 5))
    np.testing.assert_array_equal(tt.tile(x, np.int64(2)).numpy(), np.tile(X, 2))


def test_compiled_repeat_interleave_follows_the_repeats_values():
    def f(x, r):
        return tt.repeat_interleave(x, r, dim=1)

    compiled = tt.compile(f)
    x = tt.tensor(X)
    for reps in ([1, 0, 2], [3, 1, 1], [0, 0, 1], [2, 2, 2]):
        out = compiled(x, tt.tensor(reps))
        np.testing.assert_array_equal(out.numpy(), np.repeat(X, reps, 1))
    counts = tt.compile(lambda c: tt.repeat_interleave(c))
    for c in ([2, 0, 1], [1, 1, 4]):
        assert counts(tt.tensor(c)).tolist() == np.repeat(np.arange(3), c).tolist()


NON_TENSOR_CALLS = {
    "flip": lambda b: tt.flip(b, 0),
    "repeat": lambda b: R.repeat(b, 2),
    "tril": lambda b: tt.tril(b),
    "triu": lambda b: tt.triu(b),
    "flipud": lambda b: tt.flipud(b),
    "fliplr": lambda b: tt.fliplr(b),
    "roll": lambda b: tt.roll(b, 1),
    "rot90": lambda b: tt.rot90(b),
    "tile": lambda b: tt.tile(b, (2,)),
    "repeat_interleave": lambda b: tt.repeat_interleave(b, 2),
    "unfold": lambda b: R.unfold(b, 0, 1, 1),
}


@pytest.mark.parametrize("name", list(NON_TENSOR_CALLS))
def test_a_non_tensor_argument_is_named_in_the_ops_error(name):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object"):
        NON_TENSOR_CALLS[name](object())
    with pytest.raises(TypeError, match=r"^repeat_interleave: expected a Tensor"):
        tt.repeat_interleave(object())


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: tt.flip(x, 2), "flip"),
        (lambda x: tt.roll(x, 1, 2), "roll"),
        (lambda x: tt.rot90(x, 1, (0, 2)), "rot90"),
        (lambda x: tt.rot90(x, 1, (2, 0)), "rot90"),
        (lambda x: tt.repeat_interleave(x, 2, 2), "repeat_interleave"),
        (lambda x: x.unfold(2, 1, 1), "unfold"),
    ],
)
def test_a_bad_dim_is_named_with_the_op(call, name):
    with pytest.raises(IndexError, match=rf"^{name}: dim .* out of range"):
        call(tt.ones(2, 3))


def test_float32_gradients_stay_float32():
    a = tt.tensor(X.astype(np.float32), requires_grad=True)
    out = (
        a.unfold(2, 2, 1).sum()
        + a.repeat(1, 2, 1).sum()
        + tt.repeat_interleave(a, 2, 1).sum()
        + tt.roll(a, 1, 0).sum()
        + tt.tril(a).sum()
        + tt.rot90(a).sum()
    )
    out.backward()
    assert a.grad.dtype == tt.float32


def test_an_unfold_view_follows_its_base_changed_in_place():
    a = _leaf(np.arange(6.0))
    b = a * 1.0
    win = b.unfold(0, 2, 2)
    b.mul_(tt.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=tt.float64))
    assert win.tolist() == [[0.0, 2.0], [6.0, 12.0], [20.0, 30.0]]
    (win * tt.tensor([[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]], dtype=tt.float64)).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 0.0, 0.0, 10.0, 12.0]


def test_more_messages_and_defaults():
    with pytest.raises(RuntimeError, match=r"^flipud: input must be >= 1-d, got a 0-d tensor$"):
        tt.flipud(tt.tensor(1.0))
    with pytest.raises(
        NotImplementedError,
        match=r"^repeat_interleave: repeats must be integers, got dtype float32; convert them "
        r"with \.long\(\)$",
    ):
        tt.repeat_interleave(tt.tensor([2.0]))
    with pytest.raises(RuntimeError, match=r"output_size 4, but the repeats add up to 3"):
        tt.repeat_interleave(tt.tensor([2, 0, 1]), output_size=4)
    assert tt.triu_indices(3, 3, dtype=tt.int32).dtype == tt.int32
    with pytest.raises(TypeError, match=r"^repeat\b"):
        tt.ones(2).repeat("x")
