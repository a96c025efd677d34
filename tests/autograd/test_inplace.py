"""Version counters and in-place safety: what backward detects, and what it refuses."""

import numpy as np
import pytest

import tinytensor as tt

INPLACE = [
    ("add_", lambda t: t.add_(1.0)),
    ("sub_", lambda t: t.sub_(1.0)),
    ("mul_", lambda t: t.mul_(2.0)),
    ("div_", lambda t: t.div_(2.0)),
    ("pow_", lambda t: t.pow_(2.0)),
    ("clamp_", lambda t: t.clamp_(-1.0, 1.0)),
    ("zero_", lambda t: t.zero_()),
    ("fill_", lambda t: t.fill_(3.0)),
    ("copy_", lambda t: t.copy_(tt.ones(2, 3))),
    ("uniform_", lambda t: t.uniform_()),
    ("normal_", lambda t: t.normal_()),
    ("masked_fill_", lambda t: t.masked_fill_(t > 0, 0.0)),
    ("setitem", lambda t: t.__setitem__((0, 1), 5.0)),
    ("iadd", lambda t: t.__iadd__(1.0)),
    ("isub", lambda t: t.__isub__(1.0)),
    ("imul", lambda t: t.__imul__(2.0)),
    ("itruediv", lambda t: t.__itruediv__(2.0)),
]
NAMES = [n for n, _ in INPLACE]


@pytest.mark.parametrize("name,op", INPLACE, ids=NAMES)
def test_every_in_place_change_bumps_the_version_once(name, op):
    t = tt.randn(2, 3)
    v0 = t._version
    op(t)
    assert t._version == v0 + 1


@pytest.mark.parametrize(
    "make_view",
    [
        lambda t: t[0],
        lambda t: t[:, 1:],
        lambda t: t.view(6),
        lambda t: t.reshape(3, 2),
        lambda t: t.transpose(0, 1),
        lambda t: t.detach(),
        lambda t: t.unsqueeze(0),
    ],
    ids=["int-index", "slice", "view", "reshape", "transpose", "detach", "unsqueeze"],
)
def test_views_share_the_version_counter_both_ways(make_view):
    base = tt.randn(2, 3)
    view = make_view(base)
    view.mul_(2.0)
    assert base._version == view._version == 1
    base.add_(1.0)
    assert view._version == 2


def test_copies_do_not_share_the_version_counter():
    base = tt.randn(2, 3)
    copies = [base[[0, 1]], base.clone(), base * 1, base[base > 0]]
    for c in copies:
        c.add_(1.0)
    assert base._version == 0


def test_dot_data_is_not_tracked_like_pytorch():
    base = tt.randn(3)
    base.data.add_(1.0)
    assert base._version == 0


# --- saved tensors modified in place ------------------------------------------------------------


def _nonleaf(seed=0, shape=(2, 3)):
    x = tt.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, shape), requires_grad=True)
    return x, x * 1.0


SAVERS = [
    ("Sin", lambda h, w: h.sin()),
    ("Log", lambda h, w: h.log()),
    ("Exp", lambda h, w: h.exp()),  # saves its output: change the output instead
    ("Mul", lambda h, w: h * h),  # h * w would not save h: d/dh needs only w
    ("Div", lambda h, w: w / h),
    ("Pow", lambda h, w: h**w),
    ("Mm", lambda h, w: h @ h.mT),  # h @ w.mT would not save h: w needs no gradient
]


@pytest.mark.parametrize("op,fn", SAVERS, ids=[o for o, _ in SAVERS])
def test_backward_names_the_op_and_shape_when_a_saved_tensor_changed(op, fn):
    x, h = _nonleaf()
    w = tt.tensor(np.random.default_rng(1).uniform(0.5, 1.5, (2, 3)))
    y = fn(h, w)
    (y if op == "Exp" else h).add_(1.0)
    x.grad = tt.full((2, 3), 7.0, dtype=tt.float64)
    with pytest.raises(
        RuntimeError, match=rf"(?s)modified by an inplace.*\(2, 3\).*<{op}Backward>"
    ):
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 7.0))


def test_a_changed_tensor_that_does_not_require_grad_is_detected_too():
    x = tt.randn(3, dtype=tt.float64, requires_grad=True)
    w = tt.randn(3, dtype=tt.float64)
    y = (x * w).sum()
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match="MulBackward"):
        y.backward()


def test_changing_a_tensor_nobody_saved_is_fine():
    x = tt.randn(3, dtype=tt.float64, requires_grad=True)
    h = x * 2
    y = (h + 1.0).sum()  # add saves nothing
    with tt.no_grad():
        h.mul_(100.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_failed_backward_leaves_every_leaf_grad_as_it_was():
    a, b = (tt.randn(3, dtype=tt.float64, requires_grad=True) for _ in range(2))
    a.grad = tt.ones(3, dtype=tt.float64)
    hb = b * 1.0
    y = (a * 3).sum() + hb.sin().sum()  # a's gradient is found before SinBackward fails
    hb.add_(1.0)
    with pytest.raises(RuntimeError, match="SinBackward"):
        y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(3))
    assert b.grad is None


def test_the_graph_survives_a_failed_backward():
    x = tt.randn(3, dtype=tt.float64, requires_grad=True)
    w = tt.randn(3, dtype=tt.float64)
    y = (x * w).sum()
    before = w.detach().numpy().copy()
    w.add_(1.0)
    with pytest.raises(RuntimeError):
        y.backward()
    with tt.no_grad():
        w.copy_(tt.tensor(before))
    w._vc[0] -= 2  # only to prove nothing was freed: put the counter back
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), before)


# --- in-place on leaves, and correct gradients through in-place ops ------------------------------


@pytest.mark.parametrize("name,op", INPLACE, ids=NAMES)
def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad(name, op):
    x = tt.randn(2, 3, requires_grad=True)
    before = x.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"leaf.*requires grad.*no_grad"):
        op(x)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x._version == 0
    with tt.no_grad():
        op(x)
    assert x._version == 1 and x.is_leaf and x.requires_grad


def test_gradient_through_a_chain_of_in_place_ops_on_a_non_leaf():
    x = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    y = x * 2
    y.add_(1.0)
    y.mul_(3.0)
    y.pow_(2.0)
    y.sum().backward()
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * (3 * (2 * xv + 1)) * 2)


def test_setitem_is_differentiable_in_both_the_target_and_the_value():
    x = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    v = tt.tensor(5.0, dtype=tt.float64, requires_grad=True)
    y = x * 1.0
    y[1] = v * v
    (y * tt.tensor([1.0, 10.0, 100.0], dtype=tt.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 100.0])
    assert v.grad.item() == pytest.approx(10.0 * 2 * 5.0)


@pytest.mark.torch
def test_in_place_ops_match_pytorch_gradients():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4))

    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        y = x.exp()
        y = y * 1.0  # exp saved its output; modify a copy
        y.mul_(2.0).add_(x)
        y[0] = y[1].clone() * 3
        y.clamp_(0.0, 6.0)
        y.sub_(x * x)
        y.sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run(tt), run(torch), rtol=1e-12)


# --- in-place changes through a view ----------------------------------------------------------
# A view shares its base's storage and version counter; changing it in place rewrites the base's
# history (PyTorch's CopySlices), and a view of a leaf that requires grad is refused.


def test_in_place_on_a_view_changes_the_bases_gradient():
    x = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    y = x * 2
    y[0:2].mul_(3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 2.0])  # PyTorch's answer


def test_in_place_on_a_view_of_a_leaf_that_requires_grad_raises():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0:1].mul_(3.0)


def test_changing_a_tensor_that_backward_does_not_need_is_fine():
    x = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    y = x * 2
    z = y * 3.0  # d/dy needs only the 3.0: PyTorch does not save y here
    y.add_(1.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
