"""Clear errors (SPEC section 10) from the Tensor and the core ops: the type, a message that
names the op, the shapes/dtypes and the fix, and a failed call that changes no tensor."""

import re

import numpy as np
import pytest

import tinytensor as tt


class Env:
    """Fresh tensors for each case; ``snapshot`` records everything a failed call must keep."""

    def __init__(self):
        self.a = tt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        self.a.grad = tt.ones(2, 3, dtype=tt.float64)
        self.h = self.a * 1.0  # a non-leaf
        self.b = tt.ones(4)
        self.i = tt.tensor([1, 2, 3])
        self.m = tt.tensor([True, False])

    def tensors(self):
        return [self.a, self.h, self.b, self.i, self.m]

    def snapshot(self):
        return [
            (
                t.detach().numpy().copy(),
                t._version,
                t.requires_grad,
                t.grad_fn,
                None if t.grad is None else t.grad.numpy().copy(),
            )
            for t in self.tensors()
        ]


BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "lt", "remainder"]

CASES = [
    *[
        (
            f"{op}-broadcast",
            lambda e, op=op: getattr(tt, op)(e.h, e.b),
            RuntimeError,
            [op, r"\(2, 3\)", r"\(4,\)", "broadcast"],
        )
        for op in BINARY
    ],
    ("operator-broadcast", lambda e: e.h + e.b, RuntimeError, ["add", r"\(2, 3\)", r"\(4,\)"]),
    (
        "where-broadcast",
        lambda e: tt.where(e.m, e.h, 0.0),
        RuntimeError,
        ["where", r"\(2,\)", r"\(2, 3\)"],
    ),
    (
        "matmul-shapes",
        lambda e: e.h @ e.b,
        RuntimeError,
        ["matmul", r"\(2, 3\)", r"\(4,\)", "cannot be multiplied"],
    ),
    ("matmul-0d", lambda e: tt.tensor(1.0) @ e.h, RuntimeError, ["matmul", "1 dimension"]),
    (
        "requires-grad-int",
        lambda e: e.i.requires_grad_(),
        RuntimeError,
        ["floating point", "int64"],
    ),
    (
        "tensor-int-requires-grad",
        lambda e: tt.tensor([1], requires_grad=True),
        RuntimeError,
        ["floating point"],
    ),
    ("bool-multi", lambda e: bool(e.h), RuntimeError, ["ambiguous", r"\(2, 3\)", "any"]),
    ("item-multi", lambda e: e.h.item(), RuntimeError, ["6 elements", "tolist"]),
    ("numpy-requires-grad", lambda e: e.a.numpy(), RuntimeError, [r"detach\(\)"]),
    ("sum-dim", lambda e: e.h.sum(2), IndexError, ["sum", "dim 2", r"\[-2, 1\]"]),
    ("logsumexp-dim", lambda e: e.h.logsumexp(-3), IndexError, ["logsumexp", "dim -3"]),
    ("max-dim", lambda e: e.h.max(5), IndexError, ["max", "dim 5"]),
    ("transpose-dim", lambda e: e.h.transpose(0, 3), IndexError, ["transpose", "dim 3"]),
    ("index-out-of-range", lambda e: e.h[2], IndexError, [r"\(2, 3\)", "index 2"]),
    ("index-float", lambda e: e.h[0.5], IndexError, ["float"]),
    ("index-too-many", lambda e: e.h[0, 0, 0], IndexError, [r"\(2, 3\)"]),
    ("setitem-out-of-range", lambda e: e.h.__setitem__((0, 7), 1.0), IndexError, [r"\(2, 3\)"]),
    ("setitem-leaf", lambda e: e.a.__setitem__(0, 1.0), RuntimeError, ["leaf", "no_grad"]),
    ("inplace-leaf", lambda e: e.a.mul_(2), RuntimeError, ["mul_", "leaf", "no_grad"]),
    ("inplace-view-of-leaf", lambda e: e.a[0].mul_(2), RuntimeError, ["view of a leaf"]),
    ("inplace-cast", lambda e: e.i.add_(0.5), RuntimeError, ["add_", "float32", "int64"]),
    (
        "inplace-shape",
        lambda e: e.b.add_(tt.ones(2, 4)),
        RuntimeError,
        ["add_", r"\(2, 4\)", r"\(4,\)"],
    ),
    ("inplace-expanded", lambda e: e.b.expand(3, 4).add_(1.0), RuntimeError, ["expanded", "clone"]),
    ("reshape", lambda e: e.h.reshape(4, 2), RuntimeError, ["reshape", "size 6"]),
    ("mean-int", lambda e: e.i.mean(), RuntimeError, ["mean", "int64", "float"]),
    ("neg-bool", lambda e: -e.m, RuntimeError, ["neg", "logical_not"]),
    ("int-div-zero", lambda e: e.i // 0, ZeroDivisionError, ["floor_divide"]),
    ("bad-operand", lambda e: e.h + "x", TypeError, ["add", "str"]),
    (
        "grad-shape",
        lambda e: setattr(e.a, "grad", tt.ones(3)),
        RuntimeError,
        [r"\(3,\)", r"\(2, 3\)"],
    ),
    ("cat-0d", lambda e: tt.cat([tt.tensor(1.0)]), RuntimeError, ["cat", "zero-dimensional"]),
    ("gather-range", lambda e: e.h.gather(1, tt.tensor([[3]])), RuntimeError, ["gather", "3"]),
    ("backward-non-scalar", lambda e: e.h.backward(), RuntimeError, ["scalar", r"\(2, 3\)"]),
]


@pytest.mark.parametrize("call, error, parts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_clear_error_and_nothing_changes(call, error, parts):
    env = Env()
    before = env.snapshot()
    with pytest.raises(error) as info:
        call(env)
    message = str(info.value)
    for part in parts:
        assert re.search(part, message), f"{part!r} not in: {message}"
    assert "Traceback" not in message
    for (data, version, rg, fn, grad), t in zip(before, env.tensors()):
        assert np.array_equal(t.detach().numpy(), data)
        assert t._version == version and t.requires_grad == rg and t.grad_fn is fn
        assert (grad is None) == (t.grad is None)
        if grad is not None:
            assert np.array_equal(t.grad.numpy(), grad)


def test_errors_come_from_tinytensor_not_from_inside_numpy():
    # NumPy's own messages ("operands could not be broadcast together with shapes") must not
    # reach the user unchanged.
    with pytest.raises(RuntimeError) as info:
        tt.ones(2, 3) * tt.ones(2)
    assert "operands could not be broadcast" not in str(info.value)
    assert "tinytensor" in str(info.traceback[-1].path)  # raised by tinytensor itself
