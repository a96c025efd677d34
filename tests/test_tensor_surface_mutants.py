"""NumPy-only checks of ``tinytensor/tensor.py``, one per rule, written so a one-line bug there
fails: every operator and its reflected form with operands whose order matters, the in-place
operators (same tensor, same storage), ``to()``'s argument forms and flags, ``clone``'s memory
formats, the ``Tensor(...)`` constructor, the attribute answers, and the autograd doors."""

import copy
import operator

import numpy as np
import pytest

import tinytensor as tt

A = np.array([[7.0, -3.0, 2.5], [1.0, 4.0, -6.0]])
I_A = np.array([[7, -3, 12], [1, 4, -6]])
I_B = np.array([[2, 5, 3], [3, 2, 4]])


def _eq(t, expected, dtype=None):
    np.testing.assert_array_equal(t.detach().numpy(), expected)
    assert tuple(t.shape) == np.shape(expected)
    if dtype is not None:
        assert t.dtype is dtype


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.floordiv, operator.mod, operator.pow])  # fmt: skip
def test_float_operators_and_reflected_forms_keep_operand_order(op):
    x = tt.tensor(A)
    b = np.array([2.0, -5.0, 3.0])
    s = 3.0
    with np.errstate(all="ignore"):
        _eq(op(x, s), op(A, s))
        _eq(op(s, x), op(s, A))  # reflected: the scalar is the LEFT operand
        _eq(op(x, tt.tensor(b)), op(A, b))
        _eq(op(tt.tensor(b), x), op(b, A))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift, operator.floordiv, operator.mod])  # fmt: skip
def test_integer_operators_and_reflected_forms(op):
    x = tt.tensor(I_A)
    _eq(op(x, tt.tensor(I_B)), op(I_A, I_B), tt.int64)
    _eq(op(tt.tensor(I_B), x), op(I_B, I_A), tt.int64)
    _eq(op(x, 3), op(I_A, 3), tt.int64)
    _eq(op(3, x), op(3, I_A), tt.int64)


def test_matmul_and_rmatmul_order():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4) - 5
    _eq(tt.tensor(a) @ tt.tensor(b), a @ b)
    _eq(tt.tensor(a.T).__rmatmul__(tt.tensor(b.T)), b.T @ a.T)
    _eq(tt.tensor(b).__rmatmul__(a), a @ b)
    _eq(tt.tensor(a).__rmatmul__(np.ones((1, 2))), np.ones((1, 2)) @ a)


def test_unary_operators():
    x = tt.tensor(A)
    _eq(-x, -A)
    assert +x is x
    _eq(abs(x), np.abs(A))
    _eq(~tt.tensor([True, False]), np.array([False, True]), tt.bool)
    _eq(~tt.tensor(I_A), ~I_A, tt.int64)
    _eq(~tt.tensor(np.array([0, 5], np.uint8)), np.array([255, 250], np.uint8), tt.uint8)


def test_comparisons_and_identity_fallback():
    x = tt.tensor([1.0, 2.0, 3.0])
    y = tt.tensor([3.0, 2.0, 1.0])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    for op in (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
        _eq(op(x, y), op(a, b), tt.bool)
        _eq(op(x, 2.0), op(a, 2.0), tt.bool)
        _eq(op(2.0, x), op(2.0, a), tt.bool)  # reflected through the mirrored comparison
    assert (x == None) is False and (x != None) is True  # noqa: E711
    assert (x == "a") is False and (x != "a") is True
    assert x in [x] and hash(x) == hash(x) and len({x, y}) == 2


def test_augmented_assignment_is_in_place():
    for op, npop in [(operator.iadd, np.add), (operator.isub, np.subtract),
                     (operator.imul, np.multiply), (operator.itruediv, np.divide)]:  # fmt: skip
        x = tt.tensor(A.copy())
        ptr = x.data_ptr()
        y = op(x, tt.tensor([2.0, -4.0, 0.5]))
        assert y is x and x.data_ptr() == ptr
        _eq(x, npop(A, [2.0, -4.0, 0.5]))
    for op in (operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift):
        x = tt.tensor(I_A.copy())
        ptr = x.data_ptr()
        y = op(x, tt.tensor(I_B))
        assert y is x and x.data_ptr() == ptr
        _eq(x, op(I_A.copy(), I_B), tt.int64)
    b = tt.tensor([True, False, True])
    b &= tt.tensor([True, True, False])
    _eq(b, np.array([True, False, False]), tt.bool)
    b |= tt.tensor([False, True, False])
    _eq(b, np.array([True, True, False]), tt.bool)
    b ^= tt.tensor([True, True, True])
    _eq(b, np.array([False, False, True]), tt.bool)


def test_indexing_get_and_set():
    x = tt.tensor(A.copy())
    _eq(x[1], A[1])
    _eq(x[:, 1:], A[:, 1:])
    x[0, 1] = 9.0
    assert float(x[0, 1]) == 9.0
    x[1] = tt.tensor([1.0, 1.0, 1.0])
    _eq(x[1], np.ones(3))
    rows = list(x)
    assert len(rows) == 2
    _eq(rows[0], np.array([7.0, 9.0, 2.5]))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tt.tensor(1.0))


def test_to_forms():
    x = tt.tensor([1.5, -2.0])
    assert x.to() is x and x.to(None) is x and x.to("cpu") is x
    assert x.to(tt.device("cpu")) is x and x.to(device="cpu") is x
    assert x.to(tt.float32) is x and x.to(dtype=tt.float32) is x
    _eq(x.to(tt.float64), np.array([1.5, -2.0]), tt.float64)
    _eq(x.to(tt.int64), np.array([1, -2]), tt.int64)
    _eq(x.to("cpu", tt.float16), np.array([1.5, -2.0], np.float16), tt.float16)
    _eq(x.to(tt.tensor([1])), np.array([1, -2]), tt.int64)  # to(other): other's dtype
    _eq(x.to(device="cpu", dtype=tt.float64), np.array([1.5, -2.0]), tt.float64)
    # the flags positionally: to(dtype, non_blocking, copy)
    assert x.to(tt.float32, True) is x
    c = x.to(tt.float32, False, True)
    assert c is not x and c.data_ptr() != x.data_ptr()
    _eq(c, x.detach().numpy())
    c2 = x.to(copy=True)
    assert c2 is not x and c2.data_ptr() != x.data_ptr()
    assert x.to(tt.float32, non_blocking=True) is x
    with pytest.raises(RuntimeError, match=r"^to\(\): device 'cuda' is not available"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match=r"^to\(\): device 'cuda'"):
        x.to(tt.float64, device="cuda")
    with pytest.raises(RuntimeError, match="ordinal"):
        x.to(0)
    g = tt.tensor([1.0, 2.0], requires_grad=True)
    (g.to(tt.float64) * tt.tensor([3.0, 4.0], dtype=tt.float64)).sum().backward()
    _eq(g.grad, np.array([3.0, 4.0], np.float32), tt.float32)


def test_to_memory_format():
    x = tt.tensor(np.arange(120.0).reshape(2, 3, 4, 5))
    cl = x.to(memory_format=tt.channels_last)
    assert cl is not x and cl.stride() == (60, 1, 15, 3)
    _eq(cl, x.detach().numpy())
    assert cl.to(memory_format=tt.channels_last) is cl
    assert x.to(memory_format=tt.preserve_format) is x
    assert x.to(memory_format=tt.contiguous_format) is x
    cl32 = x.to(tt.float32, memory_format=tt.channels_last)
    assert cl32.dtype is tt.float32 and cl32.stride() == (60, 1, 15, 3)
    with pytest.raises(TypeError, match=r"^to\(\): memory_format must be"):
        x.to(memory_format="channels_last")
    with pytest.raises(RuntimeError, match=r"^to: required rank 4"):
        tt.zeros(2, 3).to(memory_format=tt.channels_last)
    c = cl.to(copy=True)
    assert c is not cl


def test_clone_memory_formats():
    x = tt.tensor(np.arange(120.0).reshape(2, 3, 4, 5))
    for c in (x.clone(), x.clone(memory_format=tt.preserve_format),
              x.clone(memory_format=tt.contiguous_format)):  # fmt: skip
        assert c is not x and c.data_ptr() != x.data_ptr() and c.stride() == (60, 20, 5, 1)
        _eq(c, x.detach().numpy())
    cl = x.clone(memory_format=tt.channels_last)
    assert cl.stride() == (60, 1, 15, 3)
    _eq(cl, x.detach().numpy())
    kept = cl.clone()  # preserve: a channels-last tensor stays channels-last
    assert kept is not cl and kept.data_ptr() != cl.data_ptr() and kept.stride() == (60, 1, 15, 3)
    assert cl.clone(memory_format=tt.contiguous_format).stride() == (60, 20, 5, 1)
    t = x.permute(0, 1, 3, 2)
    assert t.clone().stride() == (60, 20, 1, 5)  # its own stride order, as PyTorch's
    with pytest.raises(TypeError, match=r"^clone\(\): memory_format must be"):
        x.clone(memory_format="x")
    with pytest.raises(RuntimeError, match=r"^clone: required rank 5"):
        x.clone(memory_format=tt.channels_last_3d)
    g = tt.tensor(np.ones((1, 2, 2, 2)), requires_grad=True)
    (g.clone(memory_format=tt.channels_last) * 2.0).sum().backward()
    _eq(g.grad, np.full((1, 2, 2, 2), 2.0))


def test_tensor_constructor():
    e = tt.Tensor()
    assert e.shape == (0,) and e.dtype is tt.float32
    z = tt.Tensor(2, 3)
    _eq(z, np.zeros((2, 3), np.float32), tt.float32)
    _eq(tt.Tensor(np.int64(2)), np.zeros(2, np.float32), tt.float32)
    d = tt.Tensor([1, 2])
    _eq(d, np.array([1.0, 2.0], np.float32), tt.float32)
    b = tt.Tensor(True)  # a bool is data, not a size
    assert b.shape == () and b.dtype is tt.float32 and float(b) == 1.0
    assert tt.Tensor(2, 2, dtype=tt.float64).dtype is tt.float64
    r = tt.Tensor([1.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf
    assert not tt.Tensor([1.0]).requires_grad
    src = np.array([1.0, 2.0], np.float32)
    cp = tt.Tensor(src)
    cp.add_(1.0)
    np.testing.assert_array_equal(src, [1.0, 2.0])  # copied
    with pytest.raises(TypeError, match=r"Tensor\(\): expected data .* got 2 arguments of types "
                                        r"\['list', 'list'\]"):  # fmt: skip
        tt.Tensor([1], [2])


def test_attributes_and_casts():
    x = tt.tensor([[1.7, -2.2, 3.0]])
    assert x.device == tt.device("cpu") and x.is_cpu is True
    for attr in ("is_cuda", "is_xpu", "is_sparse", "is_quantized", "is_meta"):
        assert getattr(x, attr) is False
    assert x.layout == "strided" and x.get_device() == -1
    assert x.pin_memory() is x and x.is_pinned() is False
    _eq(x.T, x.detach().numpy().T)
    _eq(tt.tensor(np.arange(24.0).reshape(2, 3, 4)).T, np.arange(24.0).reshape(2, 3, 4).T)
    _eq(tt.tensor(np.arange(24.0).reshape(2, 3, 4)).mT,
        np.arange(24.0).reshape(2, 3, 4).transpose(0, 2, 1))  # fmt: skip
    with pytest.raises(RuntimeError, match=r"mT: expected a tensor with 2 or more dimensions, "
                                           r"got 1"):  # fmt: skip
        tt.tensor([1.0]).mT
    assert x.size() == (1, 3) and x.size(1) == 3 and x.size(-2) == 1 and x.size(dim=0) == 1
    with pytest.raises(IndexError, match="size"):
        x.size(2)
    with pytest.raises(RuntimeError, match=r"^cuda\(\): device 'cuda'"):
        x.cuda()
    with pytest.raises(RuntimeError, match=r"^cuda\(\): device 'cuda:1'"):
        x.cuda("cuda:1")
    assert x.type() == "tinytensor.FloatTensor"
    assert tt.tensor([1]).type() == "tinytensor.LongTensor"
    assert x.type(tt.float64).dtype is tt.float64
    assert x.type("tinytensor.IntTensor").dtype is tt.int32
    assert x.type_as(tt.tensor([True])).dtype is tt.bool
    for meth, dt, exp in [("float", tt.float32, [[1.7, -2.2, 3.0]]),
                          ("double", tt.float64, [[1.7, -2.2, 3.0]]),
                          ("half", tt.float16, [[1.7, -2.2, 3.0]]),
                          ("long", tt.int64, [[1, -2, 3]]), ("int", tt.int32, [[1, -2, 3]]),
                          ("bool", tt.bool, [[True, True, True]])]:  # fmt: skip
        out = getattr(x, meth)()
        assert out.dtype is dt
        src = x.detach().numpy() if dt.is_floating_point else np.array(exp)
        np.testing.assert_array_equal(out.detach().numpy(), src.astype(dt.np))


def test_format_and_repr():
    assert format(tt.tensor(2.5), ".2f") == "2.50"
    x = tt.tensor([1.0, 2.0])
    assert format(x, "") == repr(x) == str(x)
    assert format(x, ">40") == format(repr(x), ">40") and len(format(x, ">40")) == 40
    assert format(tt.tensor(3.0), "") == repr(tt.tensor(3.0))


def test_deepcopy():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    d = copy.deepcopy(x)
    assert d is not x and d.requires_grad and d.is_leaf
    assert d.data_ptr() != x.data_ptr()
    _eq(d, np.array([1.0, 2.0], np.float32))
    _eq(d.grad, np.array([3.0, 3.0], np.float32))
    assert d.grad.data_ptr() != x.grad.data_ptr()
    y = x * 2.0  # not a leaf: its copy does not require grad
    assert not copy.deepcopy(y).requires_grad
    plain = copy.deepcopy(tt.tensor([1.0]))
    assert not plain.requires_grad and plain.grad is None
    lst = copy.deepcopy([x, x])
    assert lst[0] is lst[1]  # the memo holds the copy


def test_detach_and_requires_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.data_ptr() == y.data_ptr()
    v = y._version
    d.add_(1.0)
    assert y._version > v  # the version is shared
    assert y.detach_() is y
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    z = tt.tensor([1.0])
    assert z.requires_grad_() is z and z.requires_grad
    assert z.requires_grad_(False) is z and not z.requires_grad
    parts = tt.arange(4.0).reshape(2, 2).requires_grad_().unbind(0)
    p = parts[1]
    assert p.output_nr == 1
    p.detach_()
    assert p.output_nr == 0


def test_retain_grad_and_hooks():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    assert not y.retains_grad
    y.retain_grad()
    y.retain_grad()  # twice: still one entry
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    _eq(y.grad, np.array([6.0, 12.0], np.float32))
    _eq(x.grad, np.array([18.0, 36.0], np.float32))
    x.retain_grad()  # a leaf: nothing to do
    with pytest.raises(RuntimeError, match="retain_grad\\(\\) called on a tensor that does not"):
        tt.tensor([1.0]).retain_grad()
    w = tt.tensor([1.0, 2.0], requires_grad=True)
    parts = (w * 1.0).unbind(0)
    parts[1].retain_grad()
    (parts[0] * 5.0 + parts[1] * 7.0).backward()
    assert float(parts[1].grad) == 7.0
    seen = []
    h = tt.tensor([1.0, 2.0], requires_grad=True)
    handle = h.register_hook(lambda g: seen.append(g.detach().numpy().copy()) or g * 10.0)
    (h * 2.0).sum().backward()
    _eq(h.grad, np.array([20.0, 20.0], np.float32))
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    handle.remove()
    h.grad = None
    (h * 2.0).sum().backward()
    _eq(h.grad, np.array([2.0, 2.0], np.float32))
    m = tt.tensor([1.0, 2.0], requires_grad=True)
    q = (m * 1.0).unbind(0)
    q[1].register_hook(lambda g: g * 100.0)
    (q[0] + q[1]).backward()
    _eq(m.grad, np.array([1.0, 100.0], np.float32))
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        tt.tensor([1.0]).register_hook(lambda g: g)


def test_backward_arguments():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(tt.tensor([1.0, 10.0]), retain_graph=True)
    _eq(x.grad, np.array([2.0, 40.0], np.float32))
    y.backward(gradient=tt.tensor([1.0, 0.0]))
    _eq(x.grad, np.array([4.0, 40.0], np.float32))
    a = tt.tensor(3.0, requires_grad=True)
    b = tt.tensor(4.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert float(a.grad) == 4.0 and b.grad is None
    c = tt.tensor(2.0, requires_grad=True)
    (c ** 3).backward(create_graph=True)
    assert c.grad.requires_grad and float(c.grad) == 12.0


def test_error_messages_exact():
    with pytest.raises(RuntimeError, match=r"^retain_grad\(\) called on a tensor that does not "
                                           r"require grad$"):  # fmt: skip
        tt.tensor([1.0]).retain_grad()
    with pytest.raises(RuntimeError, match=r"^cannot register a hook on a tensor that doesn't "
                                           r"require gradient$"):  # fmt: skip
        tt.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match=r"^iteration over a 0-d tensor$"):
        iter(tt.tensor(1.0))


@pytest.mark.parametrize("name, op", [("__iand__", operator.iand), ("__ior__", operator.ior),
                                      ("__ixor__", operator.ixor),
                                      ("__ilshift__", operator.ilshift),
                                      ("__irshift__", operator.irshift)])  # fmt: skip
def test_in_place_bitwise_errors_name_the_operator(name, op):
    y = tt.tensor([1, 2]).expand(2, 2)
    with pytest.raises(RuntimeError, match=rf"^{name}: more than one element of this tensor"):
        op(y, 1)
    b = tt.tensor([True, False])
    if name in ("__iand__", "__ior__", "__ixor__"):
        want = rf"^{name}: result type tinytensor.int64 can't be cast to the tensor's dtype"
        with pytest.raises(RuntimeError, match=want):
            op(b, tt.tensor([3, 1]))
        _eq(b, np.array([True, False]))


def test_detach_in_place_and_clone_legacy_format():
    y = tt.tensor([1.0], requires_grad=True) * 2.0
    y.detach_()
    assert y.requires_grad is False
    cl = tt.tensor(np.arange(120.0).reshape(2, 3, 4, 5)).contiguous(memory_format=tt.channels_last)
    lc = cl.clone(memory_format=tt.legacy_contiguous_format)
    assert lc.stride() == (60, 20, 5, 1) and lc.data_ptr() != cl.data_ptr()
    _eq(lc, np.arange(120.0).reshape(2, 3, 4, 5))
