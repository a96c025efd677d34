"""In-place methods (SPEC section 2): results, gradients through them, version counters, the
leaf rule, and that a failed in-place call changes nothing."""

import numpy as np
import pytest

import tinytensor as tt

INPLACE = {
    "add_": (lambda t: t.add_(2.0), lambda a: a + 2.0),
    "add_alpha": (lambda t: t.add_(tt.ones(3), alpha=-2), lambda a: a - 2.0),
    "sub_": (lambda t: t.sub_(0.5), lambda a: a - 0.5),
    "mul_": (lambda t: t.mul_(tt.tensor([1.0, 2.0, 3.0])), lambda a: a * [1.0, 2.0, 3.0]),
    "div_": (lambda t: t.div_(4.0), lambda a: a / 4.0),
    "clamp_": (lambda t: t.clamp_(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    "zero_": (lambda t: t.zero_(), lambda a: 0 * a),
    "fill_": (lambda t: t.fill_(7.0), lambda a: 0 * a + 7.0),
    "fill_tensor": (lambda t: t.fill_(tt.tensor(2.0)), lambda a: 0 * a + 2.0),
    "copy_": (lambda t: t.copy_(tt.tensor([9.0])), lambda a: 0 * a + 9.0),
    "iadd": (lambda t: t.__iadd__(1.0), lambda a: a + 1.0),
    "isub": (lambda t: t.__isub__(tt.tensor(1.0)), lambda a: a - 1.0),
    "imul": (lambda t: t.__imul__(3), lambda a: a * 3),
    "itruediv": (lambda t: t.__itruediv__(2.0), lambda a: a / 2.0),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_result_identity_and_version(name):
    op, ref = INPLACE[name]
    values = np.array([-1.0, 0.25, 2.0], dtype=np.float32)
    t = tt.tensor(values)
    out = op(t)
    assert out is t
    np.testing.assert_allclose(t.numpy(), ref(values), rtol=1e-6)
    assert t._version == 1 and t.dtype is tt.float32


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_on_a_leaf_that_requires_grad_raises_and_changes_nothing(name):
    op, _ = INPLACE[name]
    t = tt.tensor([-1.0, 0.25, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        op(t)
    assert t.tolist() == [-1.0, 0.25, 2.0] and t._version == 0


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_under_no_grad_keeps_the_leaf(name):
    op, ref = INPLACE[name]
    t = tt.tensor([-1.0, 0.25, 2.0], requires_grad=True)
    with tt.no_grad():
        op(t)
    assert t.is_leaf and t.requires_grad and t.grad_fn is None
    np.testing.assert_allclose(t.detach().numpy(), ref(np.array([-1.0, 0.25, 2.0])), rtol=1e-6)


def test_random_fills_respect_the_leaf_rule_and_the_seed():
    t = tt.zeros(1000)
    t.uniform_(2.0, 3.0)
    assert 2.0 <= t.min().item() and t.max().item() < 3.0
    t.normal_(5.0, 0.1)
    assert abs(t.mean().item() - 5.0) < 0.05 and t._version == 2
    p = tt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="uniform_"):
        p.uniform_()
    with tt.no_grad():
        tt.manual_seed(3)
        p.normal_()
        first = p.tolist()
        tt.manual_seed(3)
        p.normal_()
    assert p.tolist() == first


@pytest.mark.torch
def test_gradient_flows_through_in_place_ops_like_torch():
    torch = pytest.importorskip("torch")

    def run(lib, x):
        y = x * 2
        y += 1
        y.mul_(x)
        y.sub_(x, alpha=0.5)
        y /= 3
        y.clamp_(max=4.0)
        return y.sum()

    x = tt.tensor([0.5, 1.0, 2.0], dtype=tt.float64, requires_grad=True)
    tx = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    run(tt, x).backward()
    run(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_in_place_on_a_tensor_saved_for_backward_raises_in_backward():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    z = (y * y).sum()
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward"):
        z.backward()
    assert x.grad is None  # a failed backward leaves .grad as it was


def test_in_place_with_an_incompatible_result_changes_nothing():
    t = tt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="add_: result type tinytensor.float32 can't be cast"):
        t.add_(1.5)
    u = tt.ones(2)
    with pytest.raises(RuntimeError, match="add_: the result has shape \\(2, 2\\)"):
        u.add_(tt.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"add: shapes \(2,\) and \(3,\) cannot be broadcast"):
        u.add_(tt.ones(3))
    assert t.tolist() == [1, 2] and u.tolist() == [1.0, 1.0]
    assert t._version == 0 and u._version == 0


def test_copy_broadcasts_casts_and_is_differentiable_in_the_source():
    dst = tt.zeros(2, 3, dtype=tt.float64)
    src = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    dst.copy_(src)
    assert dst.tolist() == [[1.0, 2.0, 3.0]] * 2 and dst.dtype is tt.float64
    assert dst.requires_grad and not dst.is_leaf
    (dst * tt.tensor([[1.0], [10.0]], dtype=tt.float64)).sum().backward()
    assert src.grad.tolist() == [11.0, 11.0, 11.0] and src.grad.dtype is tt.float32
    with pytest.raises(RuntimeError, match="copy_: source of shape \\(4,\\) cannot be broadcast"):
        tt.zeros(3).copy_(tt.ones(4))


def test_in_place_on_a_view_changes_the_base():
    base = tt.zeros(2, 3)
    base[0].fill_(1.0)
    base[:, 2].add_(5.0)
    assert base.tolist() == [[1.0, 1.0, 6.0], [0.0, 0.0, 5.0]]
