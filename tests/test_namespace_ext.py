"""The torch-namespace additions of issue #11: keyword forms, out=, the random samplers,
windows, index_put/as_strided, and the small switches. NumPy oracles first, PyTorch behind the
``torch`` marker."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck
from tinytensor.utils.checkpoint import checkpoint, checkpoint_sequential


def test_keyword_names_and_numpy_aliases():
    a = tt.tensor(np.arange(6.0).reshape(2, 3))
    assert tt.matmul(input=a, other=a.T).shape == (2, 2)
    assert tt.add(x1=a, x2=a).tolist() == (2 * a).tolist()
    s = tt.sum(a, axis=0, keepdims=True)
    np.testing.assert_allclose(s.numpy(), a.numpy().sum(0, keepdims=True))
    assert tt.max(a, axis=1).indices.tolist() == [2, 2]
    with pytest.raises(TypeError, match="alias"):
        tt.sum(a, dim=0, axis=0)


def test_out_writes_resizes_and_refuses():
    a = tt.ones(2, 3)
    out = tt.empty(0)
    assert tt.add(a, a, out=out) is out and out.tolist() == [[2.0] * 3] * 2
    big = tt.zeros(5)
    with pytest.warns(UserWarning, match="resized"):
        tt.mul(a, a, out=big)
    assert big.shape == (2, 3)
    with pytest.raises(RuntimeError, match="can't be cast"):
        tt.add(a, a, out=tt.empty(0, dtype=tt.int64))
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        tt.add(a.requires_grad_(), 1.0, out=tt.empty(0))
    v, i = tt.empty(0), tt.empty(0, dtype=tt.int64)
    tt.max(tt.tensor([[1.0, 5.0]]), 1, out=(v, i))
    assert v.tolist() == [5.0] and i.tolist() == [1]


def test_random_samplers_seeded_and_in_range():
    tt.manual_seed(0)
    b = tt.bernoulli(tt.full((1000,), 0.3))
    assert set(b.unique().tolist()) <= {0.0, 1.0} and 0.2 < b.mean().item() < 0.4
    m = tt.multinomial(tt.tensor([0.0, 1.0, 3.0]), 50, replacement=True)
    assert m.dtype == tt.int64 and 0 not in m.tolist()
    assert sorted(tt.multinomial(tt.ones(2, 4), 4)[0].tolist()) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError):
        tt.multinomial(tt.tensor([1.0, 0.0]), 2)
    assert (tt.poisson(tt.full((10,), 2.0)) >= 0).all()
    x = tt.empty(100)
    assert ((x.random_(3, 7) >= 3) & (x < 7)).all()
    assert (x.exponential_() > 0).all() and (x.geometric_(0.5) >= 1).all()
    assert (x.log_normal_() > 0).all() and x.cauchy_().isfinite().all()
    assert set(x.bernoulli_(0.5).tolist()) <= {0.0, 1.0}
    tt.manual_seed(1)
    r1 = tt.rand_like(x)
    tt.manual_seed(1)
    assert tt.rand_like(x).equal(r1)
    assert tt.randint_like(x, 5).max() < 5 and tt.randn_like(x).shape == x.shape


def test_index_put_accumulate_and_gradient():
    x = tt.zeros(3, dtype=tt.float64, requires_grad=True)
    v = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    idx = (tt.tensor([0, 0, 2]),)
    assert tt.index_put(x, idx, v, accumulate=True).tolist() == [3.0, 0.0, 3.0]
    assert gradcheck(lambda a, b: tt.index_put(a, idx, b, accumulate=True), (x, v))


def test_as_strided_matches_numpy_strides_and_differentiates():
    base = np.arange(12.0)
    want = np.lib.stride_tricks.as_strided(base, (3, 2), (base.itemsize * 4, base.itemsize))
    x = tt.tensor(base, requires_grad=True)
    assert tt.as_strided(x, (3, 2), (4, 1)).tolist() == want.tolist()
    assert gradcheck(lambda a: tt.as_strided(a, (2, 2), (1, 1), 3), (x,))
    with pytest.raises(RuntimeError):
        tt.as_strided(x, (3,), (10,))


def test_small_namespace_pieces():
    assert tt.pi == np.pi and tt.inf == np.inf and np.isnan(tt.nan) and tt.newaxis is None
    assert tt.typename(tt.ones(1)) == "tinytensor.FloatTensor"
    assert tt.promote_types(tt.int64, tt.float16) is tt.float16
    assert tt.can_cast(tt.int32, tt.float32) and not tt.can_cast(tt.float32, tt.int32)
    assert tt.result_type(tt.tensor([1]), 2.0) is tt.float32
    tt.use_deterministic_algorithms(True)
    assert tt.are_deterministic_algorithms_enabled() and tt.get_deterministic_debug_mode() == 2
    tt.use_deterministic_algorithms(False)
    assert tt.scalar_tensor(3).dtype is tt.float32
    assert tt.frombuffer(bytearray(b"\x01\x02"), dtype=tt.uint8).tolist() == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tt.range(1, 3).tolist() == [1.0, 2.0, 3.0]
    a = np.ones(3, np.float32)
    assert tt.asarray(a).numpy() is not None and np.shares_memory(tt.asarray(a).numpy(), a)
    assert tt.rsub(tt.ones(2), 3.0).tolist() == [2.0, 2.0]
    assert np.allclose(tt.hann_window(4, periodic=False).numpy(), np.hanning(4))


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", ["hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window"]
)
def test_windows_match_torch(name):
    torch = pytest.importorskip("torch")
    for n in (0, 1, 5, 8):
        for periodic in (True, False):
            ours = getattr(tt, name)(n, periodic).numpy()
            theirs = getattr(torch, name)(n, periodic).numpy()
            np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.torch
def test_index_put_and_as_strided_match_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(12.0).reshape(3, 4)
    i = ([0, 0, 2], [1, 1, 3])
    ours = tt.index_put(
        tt.tensor(a), tuple(tt.tensor(k) for k in i), tt.tensor(5.0, dtype=tt.float64), True
    )
    theirs = torch.index_put(
        torch.tensor(a),
        tuple(torch.tensor(k) for k in i),
        torch.tensor(5.0, dtype=torch.float64),
        True,
    )
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(
        tt.as_strided(tt.tensor(a), (2, 3), (3, 2), 1).numpy(),
        torch.as_strided(torch.tensor(a), (2, 3), (3, 2), 1).numpy(),
    )
    assert tt.result_type(tt.tensor([1], dtype=tt.uint8), tt.tensor(1)) is tt.uint8
    assert torch.result_type(torch.tensor([1], dtype=torch.uint8), torch.tensor(1)) is torch.uint8


# --- gaps found by the program tests (tests/programs/GAPS.md) ---------------------------------


def test_grad_takes_only_inputs_in_pytorchs_position():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = tt.tensor([3.0], requires_grad=True)
    (g,) = tt.autograd.grad((x * x).sum(), x, only_inputs=True)
    assert g.tolist() == [2.0, 4.0]
    # positionally: outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
    # allow_unused
    gx, gy = tt.autograd.grad((x * 3).sum(), [x, y], None, None, False, True, True)
    assert gx.tolist() == [3.0, 3.0] and gy is None


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_creation_takes_size_keyword(name):
    fn = getattr(tt, name)
    assert fn(size=(2, 1)).shape == (2, 1)
    assert fn(size=[3]).shape == (3,) and fn(size=4).shape == (4,)
    assert fn(2, 3).shape == (2, 3) and fn((2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match=f"{name}: the size was given twice"):
        fn(2, size=(2,))


def test_range_and_inner_tuple_index_like_a_list():
    a = np.arange(12.0).reshape(3, 4)
    x, y = tt.tensor(a), tt.tensor([0, 3, 1])
    assert x[range(3), y].tolist() == a[np.arange(3), [0, 3, 1]].tolist()
    assert x[(0, 2), 1].tolist() == [1.0, 9.0]
    assert x[range(0)].shape == (0, 4) and x[[]].shape == (0, 4)
    x[range(3), y] = -1.0
    assert (x.numpy() == -1).sum() == 3
    # the d2l cross-entropy: gradients flow through the range index
    p = tt.tensor(a / 12, requires_grad=True)
    (-tt.log(p[range(3), y] + 1)).sum().backward()
    assert p.grad.shape == (3, 4) and (p.grad.numpy() != 0).sum() == 3


@pytest.mark.parametrize(
    "method",
    ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "argmax", "argmin",
     "max", "min", "any", "all", "cumsum", "softmax", "median", "nansum"],
)  # fmt: skip
def test_tensor_methods_take_axis_and_keepdims(method):
    a = np.arange(1.0, 13.0).reshape(3, 4)
    x = tt.tensor(a)
    got, want = getattr(x, method)(axis=1), getattr(x, method)(dim=1)
    got, want = (got[0], want[0]) if isinstance(got, tuple) else (got, want)
    np.testing.assert_allclose(got.numpy(), want.numpy())
    if method not in ("cumsum", "softmax"):
        kept = getattr(x, method)(axis=1, keepdims=True)
        kept = kept[0] if isinstance(kept, tuple) else kept
        assert kept.shape == (3, 1)
    with pytest.raises(TypeError, match="alias"):
        getattr(x, method)(dim=1, axis=1)


def test_squeeze_unsqueeze_gather_take_axis():
    x = tt.zeros(1, 3)
    assert x.squeeze(axis=0).shape == (3,) and x.unsqueeze(axis=0).shape == (1, 1, 3)
    idx = tt.tensor([[0, 0]])
    assert tt.arange(3.0).reshape(1, 3).gather(axis=1, index=idx).tolist() == [[0.0, 0.0]]


def test_type_takes_legacy_classes_and_names_them():
    x = tt.tensor([1, 2])
    assert x.type() == "tinytensor.LongTensor"
    assert x.float().type() == "tinytensor.FloatTensor"
    assert x.type(tt.FloatTensor).dtype is tt.float32
    assert x.type(tt.DoubleTensor).dtype is tt.float64
    assert x.type("torch.FloatTensor").dtype is tt.float32
    assert x.type(tt.float16).dtype is tt.float16
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_checkpoint_calls_the_function():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda a, b: a * b, x, x, use_reentrant=False)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    net = tt.nn.Sequential(tt.nn.Linear(2, 3), tt.nn.ReLU(), tt.nn.Linear(3, 1))
    z = tt.ones(4, 2)
    np.testing.assert_allclose(
        checkpoint_sequential(net, 2, z).detach().numpy(), net(z).detach().numpy()
    )
    assert tt.utils.checkpoint.checkpoint is checkpoint


def test_top_level_inplace_forms_call_the_methods():
    x = tt.tensor([-1.0, 4.0])
    assert tt.abs_(x) is x and x.tolist() == [1.0, 4.0]
    assert tt.sqrt_(x).tolist() == [1.0, 2.0] and tt.clamp_min_(x, 1.5).tolist() == [1.5, 2.0]
    a = tt.tensor([4, 6])
    assert tt.gcd_(a, tt.tensor([6, 4])) is a and a.tolist() == [2, 2]
    with pytest.raises(TypeError, match="abs_"):
        tt.abs_([1.0])


def test_small_functions_against_numpy():
    x = np.array([-1.5, 0.0, 2.0, 3.0])
    assert tt.ravel(tt.tensor(x.reshape(2, 2))).tolist() == x.tolist()
    assert tt.angle(tt.tensor(x)).tolist() == [np.pi, 0.0, 0.0, 0.0]
    m, e = tt.frexp(tt.tensor(x))
    np.testing.assert_array_equal(m.numpy(), np.frexp(x)[0])
    np.testing.assert_array_equal(e.numpy(), np.frexp(x)[1])
    assert tt.lcm(tt.tensor([4, 6]), tt.tensor([6, 4])).tolist() == [12, 12]
    np.testing.assert_allclose(tt.vander(tt.tensor(x), N=3).numpy(), np.vander(x, 3))
    assert [t.tolist() for t in tt.unravel_index(tt.tensor([5]), (2, 4))] == [[1], [1]]
    c = tt.cartesian_prod(tt.tensor([1.0, 2.0]), tt.tensor([3.0, 4.0, 5.0]))
    assert c.shape == (6, 2) and c[1].tolist() == [1.0, 4.0]


def test_special_polynomials_against_numpy():
    x = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(
        tt.special.chebyshev_polynomial_t(tt.tensor(x), 3).numpy(),
        np.polynomial.chebyshev.chebval(x, [0, 0, 0, 1]),
    )
    np.testing.assert_allclose(
        tt.special.legendre_polynomial_p(tt.tensor(x), 4).numpy(),
        np.polynomial.legendre.legval(x, [0, 0, 0, 0, 1]),
    )
    np.testing.assert_allclose(
        tt.special.hermite_polynomial_h(tt.tensor(x), 3).numpy(),
        np.polynomial.hermite.hermval(x, [0, 0, 0, 1]),
    )
    np.testing.assert_allclose(
        tt.special.laguerre_polynomial_l(tt.tensor(x), 2).numpy(),
        np.polynomial.laguerre.lagval(x, [0, 0, 1]),
    )
    np.testing.assert_allclose(
        tt.special.i0e(tt.tensor(x)).numpy(), np.i0(x) * np.exp(-np.abs(x)), rtol=1e-12
    )


# --- randint/normal/broadcast_to argument forms (found while writing the docs) ----------------


def test_randint_takes_high_and_size_positionally():
    tt.manual_seed(0)
    k = tt.randint(5, (2000,))
    assert k.shape == (2000,) and k.dtype == tt.int64
    assert set(k.tolist()) == {0, 1, 2, 3, 4}
    k = tt.randint(3, 6, [10, 20])
    assert k.shape == (10, 20) and set(k.unique().tolist()) <= {3, 4, 5}
    assert tt.randint(high=4, size=(3,)).max() < 4
    assert tt.randint(5, size=(2, 2)).shape == (2, 2)
    assert tt.randint(tt.tensor(5), ()).shape == ()
    f = tt.randint(1, 5, (4,), dtype=tt.float32, requires_grad=True)
    assert f.dtype == tt.float32 and f.requires_grad and f.is_leaf
    g1, g2 = tt.Generator().manual_seed(3), tt.Generator().manual_seed(3)
    assert (
        tt.randint(9, (6,), generator=g1).tolist() == tt.randint(0, 9, (6,), generator=g2).tolist()
    )
    with pytest.raises(TypeError, match="randint: size is required"):
        tt.randint(5)
    with pytest.raises(TypeError, match="randint: argument 'high' must be an int"):
        tt.randint(5.5, (2,))
    with pytest.raises(RuntimeError, match="randint: expected low < high"):
        tt.randint(5, 2, (2,))


def test_normal_tensor_forms_broadcast_and_draw_from_the_global_generator():
    mean = tt.tensor([[-10.0], [0.0], [10.0]])  # (3, 1)
    std = tt.tensor(np.full(4000, 0.5, dtype=np.float32))  # (4000,)
    tt.manual_seed(0)
    x = tt.normal(mean, std)
    assert x.shape == (3, 4000) and x.dtype == tt.float32 and not x.requires_grad
    np.testing.assert_allclose(x.numpy().mean(1), [-10.0, 0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(x.numpy().std(1), [0.5] * 3, atol=0.03)
    tt.manual_seed(0)
    assert tt.normal(mean, std).tolist() == x.tolist()  # the global generator, reseeded
    g1, g2 = tt.Generator().manual_seed(1), tt.Generator().manual_seed(1)
    assert (
        tt.normal(mean, 2.0, generator=g1).tolist() == tt.normal(mean, 2.0, generator=g2).tolist()
    )
    y = tt.normal(tt.zeros(5000, dtype=tt.float64))  # std defaults to 1
    assert y.dtype == tt.float64 and abs(float(y.numpy().std()) - 1.0) < 0.05
    z = tt.normal(3.0, tt.full((5000,), 0.1, dtype=tt.float16))
    assert z.dtype == tt.float16 and abs(float(z.numpy().astype(np.float64).mean()) - 3.0) < 0.01
    assert tt.normal(2.0, 0.5, (2, 3)).shape == (2, 3)
    assert tt.normal(0.0, 1.0, size=(2,), dtype=tt.float64).dtype == tt.float64
    assert tt.normal(tt.zeros(0), tt.ones(0)).shape == (0,)
    with pytest.raises(RuntimeError, match="std >= 0"):
        tt.normal(tt.zeros(3), tt.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(RuntimeError, match="normal: mean of shape \\(2,\\) and std of shape"):
        tt.normal(tt.zeros(2), tt.ones(3))
    with pytest.raises(TypeError, match="normal: size is required"):
        tt.normal(2.0, 0.5)
    with pytest.raises(TypeError, match="normal: size="):
        tt.normal(tt.zeros(2), 1.0, (2,))
    with pytest.raises(RuntimeError, match="floating-point mean"):
        tt.normal(tt.zeros(2, dtype=tt.int64), 1.0)


def test_normal_gives_mean_and_std_a_zero_gradient():
    mean = tt.zeros(2, 3, requires_grad=True)
    std = tt.ones(3, requires_grad=True)
    x = tt.normal(mean, std)
    assert x.requires_grad and x.grad_fn is not None
    x.sum().backward()
    assert mean.grad.tolist() == [[0.0] * 3] * 2 and std.grad.tolist() == [0.0] * 3
    with tt.no_grad():
        assert not tt.normal(mean, 1.0).requires_grad


def test_broadcast_to_and_expand_keep_a_dim_for_minus_one():
    a = tt.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    b = tt.broadcast_to(a, (2, -1, 4))
    np.testing.assert_array_equal(
        b.detach().numpy(), np.broadcast_to(a.detach().numpy(), (2, 3, 4))
    )
    assert a.broadcast_to((-1, 5)).shape == (3, 5) and a.expand(2, -1, -1).shape == (2, 3, 1)
    assert tt.broadcast_to(tt.tensor([1, 2]), (2, -1)).tolist() == [[1, 2], [1, 2]]
    b.sum().backward()
    assert a.grad.tolist() == [[8.0]] * 3
    with pytest.raises(RuntimeError, match="-1 isn't allowed in a leading"):
        tt.broadcast_to(a, (-1, 3, 1))
    with pytest.raises(RuntimeError, match="number of sizes"):
        tt.broadcast_to(a, (-1,))


def _raises(call, module):
    try:
        eval(call, {"T": module})
    except Exception as e:  # noqa: BLE001 - which class is what is compared
        return type(e)
    return None


@pytest.mark.torch
def test_randint_normal_broadcast_to_forms_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        "T.randint(5, (2,))",
        "T.randint(2, 5, (2, 3))",
        "T.randint(5, size=(2,))",
        "T.randint(high=5, size=(3,))",
        "T.randint(5, [2, 3])",
        "T.randint(1, 5, (2,), dtype=T.float32)",
        "T.normal(T.zeros(2, 1), T.ones(3))",
        "T.normal(T.zeros(2, 3), 2.0)",
        "T.normal(T.zeros(3, dtype=T.float64))",
        "T.normal(1.0, T.ones(3))",
        "T.normal(T.ones(3), T.ones(3, dtype=T.float64))",
        "T.normal(2.0, 0.5, (2, 3))",
        "T.normal(mean=T.zeros(2), std=T.ones(2))",
        "T.broadcast_to(T.ones(3, 1), (2, -1, 4))",
        "T.ones(3, 1).expand(-1, 5)",
        "T.ones(3, 1).broadcast_to((2, -1, -1))",
    ]
    for call in calls:
        ours, theirs = eval(call, {"T": tt}), eval(call, {"T": torch})
        assert tuple(ours.shape) == tuple(theirs.shape), call
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], call
    refused = [
        "T.randint(5)",
        "T.randint(5.5, (2,))",
        "T.randint(5, 2, (2,))",
        "T.normal(2.0, 0.5)",
        "T.normal(T.zeros(2), T.ones(3))",
        "T.normal(T.zeros(3), -T.ones(3))",
        "T.normal(0.0, -1.0, (2,))",
        "T.normal(T.zeros(2), T.ones(2), (2,))",
        "T.broadcast_to(T.ones(3, 1), (-1, 3, 1))",
    ]
    for call in refused:
        ours, theirs = _raises(call, tt), _raises(call, torch)
        assert theirs is not None and ours is not None, call
        assert issubclass(ours, TypeError) == issubclass(theirs, TypeError), call
    m = torch.zeros(3, requires_grad=True)
    ours_m = tt.zeros(3, requires_grad=True)
    torch.normal(m, 1.0).sum().backward()
    tt.normal(ours_m, 1.0).sum().backward()
    assert ours_m.grad.tolist() == m.grad.tolist()
