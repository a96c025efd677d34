"""Custom operations through tt.autograd.Function."""

import numpy as np
import pytest
from hypothesis import given

import tinytensor as tt
from tinytensor.testing import gradcheck, gradgradcheck
from tinytensor.testing import strategies as tst


class Exp(tt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MulAdd(tt.autograd.Function):
    """f(a, b, k, name) = a*b + k; the extra arguments are not tensors."""

    @staticmethod
    def forward(ctx, a, b, k, name):
        ctx.save_for_backward(a, b)
        ctx.name = name
        return a * b + k

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb, None, None


class SplitScale(tt.autograd.Function):
    """Two outputs: (2x, x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2 + g2 * 2 * x


def f64(shape, seed=0, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape)
    return tt.tensor(data, requires_grad=requires_grad)


def test_apply_records_one_node_named_after_the_class():
    x = f64((3,))
    y = Exp.apply(x)
    assert repr(y.grad_fn) == "<ExpBackward>" and y.grad_fn.parents == (x,)
    np.testing.assert_allclose(y.detach().numpy(), np.exp(x.detach().numpy()))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()))


def test_gradcheck_and_gradgradcheck_of_a_function_written_in_tinytensor_ops():
    x = f64((2, 3))
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))
    assert gradgradcheck(lambda a, b: MulAdd.apply(a, b, 2.0, "n"), (f64((3,)), f64((3,), 1)))


def test_second_derivative_through_saved_output():
    x = f64((4,))
    (g,) = tt.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    (gg,) = tt.autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(gg.numpy(), 2 * np.exp(2 * x.detach().numpy()))


@given(tst.mutually_broadcastable_shapes(num_shapes=2))
def test_broadcasting_gradients_are_reduced_by_the_engine(shapes):
    a = f64(shapes[0], 1)
    b = f64(shapes[1], 2)
    assert gradcheck(lambda p, q: MulAdd.apply(p, q, 1.0, "bcast"), (a, b))


def test_non_tensor_arguments_and_needs_input_grad():
    seen = {}

    class Probe(tt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["forward_grad_enabled"] = tt.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            return a * k + b

        @staticmethod
        def backward(ctx, g):
            return g * 3, None, None

    a, b = f64((2,)), f64((2,), requires_grad=False)
    Probe.apply(a, b, 3).sum().backward()
    assert seen == {"forward_grad_enabled": False, "needs": (True, False, False)}
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


def test_several_outputs_with_unused_ones_materialised_as_zeros():
    x = f64((3,))
    y1, y2 = SplitScale.apply(x)
    assert y1.grad_fn is y2.grad_fn
    (y2.sum()).backward()  # y1 unused: backward sees zeros for it
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    x.grad = None
    y1, y2 = SplitScale.apply(x)
    (y1 * 5 + y2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 10 + 2 * x.detach().numpy())


def test_several_outputs_double_backward_matches_the_formula():
    x = f64((3,))
    y1, y2 = SplitScale.apply(x)
    (g,) = tt.autograd.grad((y1 + y2 * y2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 + 4 * x.detach().numpy() ** 3)
    (gg,) = tt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 12 * x.detach().numpy() ** 2)


def test_set_materialize_grads_false_passes_none():
    got = []

    class Two(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 if g2 is None else g1 + 2 * g2 if g1 is not None else 2 * g2

    x = f64((2,))
    _, y2 = Two.apply(x)
    y2.sum().backward()
    assert got == [(True, False)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_none_gradient_leaves_the_input_without_grad():
    class StopGrad(tt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a, b = f64((2,)), f64((2,), 1)
    StopGrad.apply(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])
    assert b.grad is None


def test_mark_non_differentiable_outputs():
    class MaxWithIndex(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            i = int(np.argmax(x.detach().numpy()))
            index = tt.tensor(float(i), dtype=tt.float64)
            ctx.mark_non_differentiable(index)
            ctx.i, ctx.n = i, x.shape[0]
            return x[i], index

        @staticmethod
        def backward(ctx, g, g_index):
            assert float(g_index.abs().sum()) == 0.0  # materialised zeros
            onehot = np.zeros(ctx.n)
            onehot[ctx.i] = 1.0
            return g * tt.tensor(onehot)

    x = tt.tensor([1.0, 5.0, 2.0], dtype=tt.float64, requires_grad=True)
    value, index = MaxWithIndex.apply(x)
    assert value.requires_grad and not index.requires_grad and index.grad_fn is None
    value.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_integer_outputs_are_not_differentiable():
    class ArgSort(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return tt.tensor(np.argsort(x.detach().numpy()))

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("never called")

    out = ArgSort.apply(f64((3,)))
    assert not out.requires_grad


def test_returning_an_input_unchanged_does_not_rewire_it():
    class Identity(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = f64((2,))
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and x.grad_fn is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_the_same_tensor_returned_twice_gets_both_gradients():
    class Twice(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            return y, y

        @staticmethod
        def backward(ctx, g1, g2):
            return 2 * g1 + 2 * g2

    x = f64((2,))
    a, b = Twice.apply(x)
    assert a is not b
    (a * 3 + b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0])


def test_non_differentiable_input_returned_as_output():
    class PassThrough(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x, mask):
            ctx.mark_non_differentiable(mask)
            return x * 1, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            return g, None

    x = f64((2,))
    mask = tt.tensor([1.0, 0.0], dtype=tt.float64, requires_grad=True)
    y, m = PassThrough.apply(x, mask)
    assert y.requires_grad and not m.requires_grad and m is not mask


def test_function_inside_a_larger_graph_and_under_no_grad():
    x = f64((3,))
    y = (Exp.apply(x * 2) + 1).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()))
    with tt.no_grad():
        z = Exp.apply(x)
    assert not z.requires_grad and z.grad_fn is None


def test_setup_context_style():
    class Square(tt.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = f64((3,))
    assert gradcheck(Square.apply, (x,)) and gradgradcheck(Square.apply, (x,))


def test_saved_input_modified_in_place_is_detected():
    a = f64((2, 3))
    b = f64((2, 3), 1, requires_grad=False)
    y = MulAdd.apply(a, b, 0.0, "x")
    b.add_(1.0)
    with pytest.raises(RuntimeError, match=r"(?s)inplace.*\(2, 3\).*MulAddBackward"):
        y.sum().backward()
    assert a.grad is None


def test_saved_output_modified_in_place_is_detected():
    x = f64((3,))
    y = Exp.apply(x)
    with tt.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"(?s)modified by an inplace.*ExpBackward"):
        y.sum().backward()


def test_saved_tensors_after_the_graph_was_freed():
    ctxs = []

    class Keep(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctxs.append(ctx)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    Keep.apply(f64((2,))).sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ctxs[0].saved_tensors


@pytest.mark.parametrize(
    "bad,error,match",
    [
        (lambda ctx, g: (g, g), RuntimeError, "returned 2 gradient"),
        (lambda ctx, g: np.ones(3), TypeError, "expected a Tensor or None"),
        (lambda ctx, g: tt.ones(4, dtype=tt.float64), RuntimeError, r"shape \(4,\).*\(3,\)"),
    ],
    ids=["too-many", "not-a-tensor", "wrong-shape"],
)
def test_bad_backward_results_are_clear_errors(bad, error, match):
    bad_fn = type(
        "Bad",
        (tt.autograd.Function,),
        {"forward": staticmethod(lambda ctx, x: x * 1), "backward": staticmethod(bad)},
    )
    x = f64((3,))
    with pytest.raises(error, match=match):
        bad_fn.apply(x).sum().backward()
    assert x.grad is None


def test_extra_none_gradients_are_allowed():
    class Extra(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, None

    x = f64((2,))
    Extra.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_function_misuse():
    with pytest.raises(RuntimeError, match="apply"):
        Exp()
    with pytest.raises(NotImplementedError):
        tt.autograd.Function.apply(f64((1,)))
    with pytest.raises(TypeError, match="save"):

        class SavesNumber(tt.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3.0)
                return x

        SavesNumber.apply(f64((1,)))


@pytest.mark.torch
def test_matches_pytorch_custom_function_double_backward():
    torch = pytest.importorskip("torch")

    def make(lib, base):
        class Cube(base):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return x * x * x * w

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                return g * 3 * x * x * w, (g * x * x * x).sum(0)

        return Cube

    x0 = np.random.default_rng(3).standard_normal((3, 2))
    w0 = np.random.default_rng(4).standard_normal(2)

    def run(lib, base, grad):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        y = make(lib, base).apply(x, w)
        gx, gw = grad(y.sum(), (x, w), create_graph=True)
        h = grad((gx * gx).sum() + gw.sum(), (x, w))
        return [t.detach().numpy() for t in (gx, gw, *h)]

    ours = run(tt, tt.autograd.Function, tt.autograd.grad)
    theirs = run(torch, torch.autograd.Function, torch.autograd.grad)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10)
