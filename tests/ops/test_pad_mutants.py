"""Padding (tinytensor/ops/pad.py) against a NumPy oracle, fast and deterministic: every mode
with different pads on each side of each dim (negative ones crop), the gradients, the limits
of each mode (one past fails, the limit itself works) and the errors. Written so that a one-line
bug in pad.py fails here without PyTorch.

The oracle pads an array of positions instead of values: ``out = x.flat[positions]`` gives the
forward, and adding the output gradient back at those positions gives the input gradient.
Reflection and replication pad first and crop after (an output position reads the reflected
input position); constant and circular padding crop first (PyTorch's order for those modes)."""

import numpy as np
import pytest

import tinytensor as tt

F = tt.nn.functional
RNG = np.random.default_rng(8)
X = RNG.standard_normal((2, 3, 4, 5))
NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _widths(ndim, pad):
    n = len(pad) // 2
    return [(0, 0)] * (ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]


def _crop(arr, widths):
    """arr without the first -lo and last -hi positions of each dim that has negative pads."""
    return arr[
        tuple(slice(max(-lo, 0), arr.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(widths))
    ]


def _positions(shape, pad, mode):
    """The flat input position each output element reads (-1: the constant)."""
    pos = np.arange(int(np.prod(shape))).reshape(shape)
    widths = _widths(len(shape), pad)
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode in ("reflect", "replicate"):
        return _crop(np.pad(pos, grow, mode=NP_MODE[mode]), widths)
    pos = _crop(pos, widths)
    if mode == "circular":
        return np.pad(pos, grow, mode="wrap")
    return np.pad(pos, grow, mode="constant", constant_values=-1)


def _np_pad(x, pad, mode, value=0.0):
    pos = _positions(x.shape, pad, mode)
    return np.where(pos >= 0, x.reshape(-1)[np.maximum(pos, 0)], value).astype(x.dtype)


def _np_pad_grad(shape, pad, mode, w):
    pos = _positions(shape, pad, mode).reshape(-1)
    keep = pos >= 0
    return np.bincount(pos[keep], w.reshape(-1)[keep], int(np.prod(shape))).reshape(shape)


CASES = [
    ("constant", (1, 2, 0, 3, 2, 0)),
    ("constant", (-1, 2, 3, -2, -1, -1)),
    ("constant", (-2, -3)),
    ("reflect", (1, 3, 2, 0)),
    ("reflect", (0, 4, 3, 1, 1, 2)),
    ("reflect", (-1, 3, 2, -1)),
    ("reflect", (-3, 2, 0, 0)),  # crops more than the left side holds: pad first, then crop
    ("replicate", (2, 0, 0, 3, 1, 1)),
    ("replicate", (-2, 4, 3, -1)),
    ("replicate", (-6, 2)),
    ("circular", (5, 1, 0, 4)),
    ("circular", (2, 3, 1, 2, 1, 0)),
    ("circular", (-1, 2, 2, -2)),
]


@pytest.mark.parametrize(("mode", "pad"), CASES)
def test_pad_forward_and_gradient_match_the_oracle(mode, pad):
    a = tt.tensor(X, requires_grad=True)
    out = tt.pad(a, pad, mode=mode)
    want = _np_pad(X, pad, mode)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.detach().numpy(), want)
    w = RNG.standard_normal(want.shape)
    (out * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), _np_pad_grad(X.shape, pad, mode, w), rtol=1e-13)


def test_pad_known_rows():
    x = tt.tensor([[0.0, 1.0, 2.0, 3.0]])
    assert tt.pad(x, (-3, 2), mode="reflect").tolist() == [[3.0, 2.0, 1.0]]
    assert tt.pad(x, (-1, 2), mode="replicate").tolist() == [[1.0, 2.0, 3.0, 3.0, 3.0]]
    assert tt.pad(x, (-1, 2), mode="circular").tolist() == [[1.0, 2.0, 3.0, 1.0, 2.0]]
    assert tt.pad(x, (2, -1), value=7.0).tolist() == [[7.0, 7.0, 0.0, 1.0, 2.0]]
    assert tt.pad(x, (1, 1, 1, 0), value=-1.0).tolist() == [[-1.0] * 6, [-1, 0, 1, 2, 3, -1]]
    assert tt.pad(x, (1, 0)).tolist() == [[0.0, 0.0, 1.0, 2.0, 3.0]]  # value defaults to 0


def test_pad_keeps_the_dtype_and_casts_the_value():
    x = tt.tensor([[1, 2]], dtype=tt.int64)
    out = tt.pad(x, (1, 1), value=5)
    assert out.dtype == tt.int64 and out.tolist() == [[5, 1, 2, 5]]
    assert tt.pad(x, (1, 0), mode="replicate").tolist() == [[1, 1, 2]]
    y = tt.pad(tt.ones(1, 2, dtype=tt.float32), (0, 1), mode="reflect")
    assert y.dtype == tt.float32


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(0, 0), (-1, 0), (0, 0, 0, -1)])
def test_pad_of_nothing_or_a_crop_alone_is_a_copy(mode, pad):
    x = tt.tensor(np.arange(6.0).reshape(1, 2, 3), requires_grad=True)
    out = tt.pad(x, pad, mode=mode)
    np.testing.assert_array_equal(out.detach().numpy(), _np_pad(x.detach().numpy(), pad, mode))
    out.sum().backward()
    np.testing.assert_array_equal(
        x.grad.numpy(), _np_pad_grad((1, 2, 3), pad, mode, np.ones(out.shape))
    )
    out = out.detach()
    out.fill_(-1.0)
    assert x.tolist() == [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]


def test_pad_length_must_be_even_and_at_most_twice_the_dims():
    x = tt.zeros(2, 3)
    assert tt.pad(x, (1, 1, 1, 1)).shape == (4, 5)
    with pytest.raises(RuntimeError, match=r"pad: padding length must be even .*\(4\), got 6"):
        tt.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"pad: padding length must be even .*got 3"):
        tt.pad(x, (1, 1, 1))


def test_pad_mode_and_value_errors():
    x = tt.zeros(1, 2, 3)
    with pytest.raises(RuntimeError, match='pad: padding mode "reflect" doesn\'t take in value'):
        tt.pad(x, (1, 1), mode="reflect", value=1.0)
    assert tt.pad(x, (1, 1), mode="reflect", value=0).shape == (1, 2, 5)  # 0 is accepted
    with pytest.raises(NotImplementedError, match="pad: unrecognised padding mode 'wrap'"):
        tt.pad(x, (1, 1), mode="wrap")


def test_reflect_and_circular_limits():
    x = tt.tensor(np.arange(3.0).reshape(1, 1, 3))
    assert tt.pad(x, (2, 2), mode="reflect").tolist() == [[[2.0, 1.0, 0, 1, 2, 1.0, 0.0]]]
    with pytest.raises(
        RuntimeError, match=r"reflect padding \(3, 0\) must be smaller .* 3 of dim 2"
    ):
        tt.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match=r"reflect padding \(0, 3\) must be smaller"):
        tt.pad(x, (0, 3), mode="reflect")
    assert tt.pad(x, (3, 3), mode="circular").tolist() == [[[0.0, 1, 2] * 3]]
    with pytest.raises(RuntimeError, match=r"circular padding \(4, 0\) wraps around more than on"):
        tt.pad(x, (4, 0), mode="circular")
    with pytest.raises(RuntimeError, match=r"circular padding \(0, 4\) wraps around"):
        tt.pad(x, (0, 4), mode="circular")


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_reflect_and_replicate_may_crop_to_one_element_but_not_to_none(mode):
    x = tt.tensor(np.arange(4.0).reshape(1, 1, 4))
    assert tt.pad(x, (-2, -1), mode=mode).tolist() == [[[2.0]]]
    with pytest.raises(
        RuntimeError, match=rf"pad: input \(size 4 in dim 2\) is too small for {mode} padding"
    ):
        tt.pad(x, (-2, -2), mode=mode)


def test_constant_may_crop_to_nothing_and_circular_to_one_element():
    x = tt.tensor(np.arange(4.0).reshape(1, 1, 4))
    assert tt.pad(x, (-2, -2)).shape == (1, 1, 0)
    assert tt.pad(x, (-2, -2), value=1.0).tolist() == [[[]]]
    with pytest.raises(RuntimeError, match=r"pad: padding \(-3, -2\) of dim 2 crops more than"):
        tt.pad(x, (-3, -2))
    assert tt.pad(x, (-2, -1), mode="circular").tolist() == [[[2.0]]]
    with pytest.raises(RuntimeError, match=r"pad: padding \(-2, -2\) of dim 2 crops more"):
        tt.pad(x, (-2, -2), mode="circular")


def test_pad_records_what_an_exporter_reads():
    a = tt.tensor(X, requires_grad=True)
    node = tt.pad(a, (-1, 2, 3, 0), value=2.5).grad_fn
    assert node.attrs["value"] == 2.5
    assert tuple(node.attrs["pads"]) == ((0, 0), (0, 0), (3, 0), (0, 2))
    node = tt.pad(a, (1, 2), mode="reflect").grad_fn
    assert tuple(node.attrs["pads"]) == ((0, 0), (0, 0), (0, 0), (1, 2))
    assert node.attrs["mode"] == "reflect"
    maps = node.attrs["maps"]
    assert maps[:3] == (None, None, None) and maps[3].tolist() == [1, 0, 1, 2, 3, 4, 3, 2]
    assert tt.pad(a, (1, 0), mode="replicate").grad_fn.attrs["mode"] == "replicate"


def test_pad_through_the_functional_namespace():
    np.testing.assert_array_equal(
        F.pad(tt.tensor(X), (1, 2, 0, 1), mode="replicate").numpy(),
        _np_pad(X, (1, 2, 0, 1), "replicate"),
    )


def test_each_mode_records_its_own_node():
    a = tt.tensor(X, requires_grad=True)
    names = {m: tt.pad(a, (1, 1), mode=m).grad_fn.name() for m in ("constant", "reflect",
                                                                    "replicate")}  # fmt: skip
    assert names == {
        "constant": "ConstantPadBackward",
        "reflect": "ReflectionPadBackward",
        "replicate": "ReplicationPadBackward",
    }


def test_a_crop_past_one_side_is_refused_even_when_the_other_side_pads():
    x = tt.tensor(np.arange(4.0).reshape(1, 1, 4))
    with pytest.raises(RuntimeError, match=r"pad: padding \(-5, 2\) of dim 2 crops more than"):
        tt.pad(x, (-5, 2))
    with pytest.raises(RuntimeError, match=r"pad: padding \(2, -5\) of dim 2 crops more than"):
        tt.pad(x, (2, -5))
    with pytest.raises(RuntimeError, match=r"pad: padding \(-4, 1\) of dim 2 crops more than"):
        tt.pad(x, (-4, 1), mode="circular")
    with pytest.raises(RuntimeError, match=r"pad: padding \(1, -4\) of dim 2 crops more than"):
        tt.pad(x, (1, -4), mode="circular")
    assert tt.pad(x, (-4, 2), value=3.0).tolist() == [[[3.0, 3.0]]]


def test_pad_messages_say_the_fix_and_name_the_op():
    x = tt.tensor(np.arange(4.0).reshape(1, 1, 4))
    with pytest.raises(
        NotImplementedError,
        match=r"^pad: unrecognised padding mode 'wrap'; use 'constant', 'reflect', 'replicate' "
        r"or 'circular'$",
    ):
        tt.pad(x, (1, 1), mode="wrap")
    with pytest.raises(
        RuntimeError,
        match=r"^pad: input \(size 4 in dim 2\) is too small for reflect padding \(-3, -2\): "
        r"calculated output size -1$",
    ):
        tt.pad(x, (-3, -2), mode="reflect")
    with pytest.raises(
        RuntimeError,
        match=r"^pad: padding \(-3, -2\) of dim 2 crops more than its size 4; use smaller "
        r"negative pads$",
    ):
        tt.pad(x, (-3, -2))
    with pytest.raises(TypeError, match=r"^pad\b.*object"):
        tt.pad(object(), (1, 1))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
def test_float32_gradients_stay_float32(mode):
    a = tt.tensor(X.astype(np.float32), requires_grad=True)
    tt.pad(a, (1, 2, 2, 1), mode=mode).sum().backward()
    assert a.grad.dtype == tt.float32


def test_circular_padding_saves_no_input_but_reflection_does():
    a = tt.tensor(X, requires_grad=True)
    b = a * 1.0
    out = tt.pad(b, (1, 1), mode="circular")
    b.add_(1.0)  # circular padding is built of index_select, which saves no input
    out.sum().backward()
    assert a.grad.shape == X.shape
    b = a * 1.0
    out = tt.pad(b, (1, 1), mode="reflect")
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
