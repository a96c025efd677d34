"""A program fuzzer: random tensor programs run in tinytensor and in PyTorch (float64).

A *program* is a list of steps ``[op, [input indices], {params}]`` over a growing pool of
values; every parameter is a literal, so a failing program prints as a Python literal that
a regression test replays with ``run_program``. ``generate`` draws a program with hypothesis,
running each step in both libraries as it goes (guards need the values); ``Runner`` checks
each new value as it appears, every value again at the end, and then backpropagates a
weighted sum of all values and compares the gradient of every leaf and every intermediate.

Steps besides the op table (``progfuzz_table.OPS``):
``leaf``: a new float64 tensor, ``{"shape", "seed", "grad"}``, values uniform in [-2, 2);
``inplace``: under ``no_grad``, change a value (or a basic-index view of it) in place;
``grad_inplace``: ``y = x.clone()`` then an in-place op on ``y`` (or a view of it) with grad on.
In-place writes only go to storage no recorded op has read yet (so no saved tensor is
invalidated) and never to memory PyTorch leaves unspecified (reshape may or may not copy).
"""

from __future__ import annotations

import numpy as np
import progfuzz_ops as G
import torch
from hypothesis import event, note
from hypothesis import strategies as st
from progfuzz_table import OPS

import tinytensor as tt
from tinytensor.testing import strategies as tst

# float64 in both libraries: anything looser would hide float32 leaks (a 0-d Python-number
# tensor defaults to float32), which is how the c ** x gradient bug was found.
RTOL, ATOL = 1e-9, 1e-11
OP_NAMES = sorted(OPS)
# Ops whose node keeps its own output for backward (in both libraries): writing to that
# output in place would make the backward fail, which is not what the strict fuzzer tests.
SAVE_OUTPUT = {
    "exp",
    "sqrt",
    "rsqrt",
    "tanh",
    "sigmoid",
    "relu",
    "pow",
    "rpow",
    "norm",
    "amax",
    "amin",
    "all_max",
    "all_min",
    "logsumexp",
    "std",
    "prod",
    "reciprocal",
    "grad_inplace",
}
INPLACE_OPS = [
    "add_",
    "sub_",
    "mul_",
    "div_",
    "clamp_",
    "zero_",
    "fill_",
    "copy_",
    "setitem",
    "masked_fill_",
]


class Mismatch(AssertionError):
    pass


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def leaf_values(shape, seed):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, tuple(shape))


def _inplace(m, xs, p):
    """Apply in-place op ``p["op"]`` to ``xs[0]`` (or its ``p["via"]`` view)."""
    t = xs[0]
    if p.get("via") is not None:
        t = t[G.build_index(m, p["via"])]
    src = xs[1] if len(xs) > 1 else p.get("c")
    op = p["op"]
    if op == "add_":
        t.add_(src)
    elif op == "sub_":
        t.sub_(src, alpha=p.get("alpha", 1))
    elif op == "mul_":
        t.mul_(src)
    elif op == "div_":
        t.div_(src)
    elif op == "clamp_":
        t.clamp_(p["lo"], p["hi"])
    elif op == "zero_":
        t.zero_()
    elif op == "fill_":
        t.fill_(src)
    elif op == "copy_":
        t.copy_(src)
    elif op == "masked_fill_":
        t.masked_fill_(m.tensor(p["mask"], dtype=m.bool), p["c"])
    else:
        t[G.build_index(m, p["index"])] = src


def _apply(m, op, xs, p):
    if op == "leaf":
        arr = leaf_values(p["shape"], p["seed"])
        return m.tensor(arr, dtype=m.float64, requires_grad=p["grad"])
    if op == "inplace":
        with m.no_grad():
            _inplace(m, xs, p)
        return None
    if op == "grad_inplace":
        y = xs[0].clone()
        _inplace(m, (y, *xs[1:]), p)
        return y
    return OPS[op][1](m, xs, p)


class Runner:
    """Runs steps in both libraries, keeps the pool, checks values and gradients."""

    def __init__(self):
        self.tts, self.ths, self.group = [], [], []
        self.tainted, self.consumed = set(), set()
        self.steps = []
        self.loose = set()
        self.written = set()  # groups changed in place under no_grad

    # --- running ---------------------------------------------------------------------------

    def step(self, op, inputs, params, replay=False):
        """Run one step in both libraries; returns False if PyTorch refused it (not recorded).

        While generating, a step whose result is huge or not finite is dropped too: such
        values are not what this fuzzer is about, and an out-of-place step has no effect
        on the rest of the program.
        """
        th_in = [self.ths[i] for i in inputs]
        try:
            th_out = _apply(torch, op, th_in, params)
        except Exception as e:  # the generator drew something PyTorch rejects: not a test
            if replay:
                raise
            event(f"torch refused {op}: {type(e).__name__}")
            return False
        if not replay and th_out is not None and not self._sane(th_out):
            return False
        tt_in = [self.tts[i] for i in inputs]
        self.steps.append([op, list(inputs), params])
        try:
            tt_out = _apply(tt, op, tt_in, params)
        except Exception as e:
            raise Mismatch(f"tinytensor raised where PyTorch did not: {e!r}\n{self}") from e
        self._track(op, inputs, tt_out is None)
        if th_out is None:
            for k in range(len(self.tts)):
                self._compare(
                    self.tts[k],
                    self.ths[k],
                    f"value {k} after in-place step",
                    leafness=k not in self.loose,
                )
        else:
            self._check_aliasing(op, tt_in, tt_out)
            self.tts.append(tt_out)
            self.ths.append(th_out)
            # Either library may hand a no-op back as the input itself (PyTorch: flatten of
            # 1-D; tinytensor: contiguous() of a transposed tensor): then is_leaf and the
            # retained grad of that value may differ, which no user relies on.
            same = any(th_out is t for t in th_in) or any(tt_out is t for t in tt_in)
            if same:
                self.loose.add(len(self.tts) - 1)
                # and it shares the input's storage, which tinytensor's copy does not
                self.tainted.update((self.group[-1], *(self.group[i] for i in inputs)))
            self._compare(tt_out, th_out, f"value {len(self.tts) - 1} ({op})", leafness=not same)
        return True

    def _check_aliasing(self, op, tt_in, out):
        """A result that shares memory with an input must share its version counter too,
        or an in-place change through it would silently corrupt what backward saved."""
        for t in tt_in:
            if out is t or out._data.size == 0:
                continue
            if np.may_share_memory(out._data, t._data) and (
                out._vc is None or out._vc is not t._vc
            ):
                raise Mismatch(
                    f"{op}: the result shares memory with an input but not its version counter\n"
                    f"{self}"
                )

    @staticmethod
    def _sane(t):
        a = t.detach().numpy()
        return a.size <= 4 * G.MAX_NUMEL and (
            a.dtype.kind != "f" or (np.all(np.isfinite(a)) and np.abs(a).max(initial=0) < 1e6)
        )

    def _track(self, op, inputs, inplace):
        kind = "new" if op in ("leaf", "grad_inplace", "inplace") else OPS[op][2]
        if kind == "index":
            adv = any(p[0] in ("array", "mask") for p in self.steps[-1][2]["index"])
            kind = "new" if adv else "view"
        if op == "inplace":
            for i in inputs[1:]:
                self.consumed.add(self.group[i])
            self.written.add(self.group[inputs[0]])
            return
        if kind in ("view", "maybe"):
            g = self.group[inputs[0]]
            # PyTorch forbids writing to the views split/chunk/unbind return, or to their base.
            if kind == "maybe" or op in ("split", "chunk", "unbind"):
                self.tainted.add(g)
            self.group.append(g)
        else:
            for i in inputs:
                self.consumed.add(self.group[i])
            self.group.append(len(self.group) + 1000)
            if op in SAVE_OUTPUT:
                self.tainted.update((self.group[-1], *(self.group[i] for i in inputs)))
        for i in inputs[1:] if kind in ("view", "maybe") else ():
            self.consumed.add(self.group[i])

    def writable(self, i):
        g = self.group[i]
        return g not in self.tainted and g not in self.consumed

    # --- checking --------------------------------------------------------------------------

    def _compare(self, a, b, what, leafness=True):
        if tuple(a.shape) != tuple(b.shape):
            raise Mismatch(f"{what}: shape {tuple(a.shape)} vs torch {tuple(b.shape)}\n{self}")
        x, y = _np(a), _np(b)
        if x.dtype != y.dtype:
            raise Mismatch(f"{what}: dtype {x.dtype} vs torch {y.dtype}\n{self}")
        if not np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True):
            raise Mismatch(f"{what}: values differ\n{x}\nvs torch\n{y}\n{self}")
        if a.requires_grad != b.requires_grad or (leafness and a.is_leaf != b.is_leaf):
            raise Mismatch(
                f"{what}: requires_grad/is_leaf {a.requires_grad}/{a.is_leaf} vs torch "
                f"{b.requires_grad}/{b.is_leaf}\n{self}"
            )

    def finish(self):
        """Compare every value, then backpropagate sum(w_k * value_k) and compare every grad."""
        for k, (a, b) in enumerate(zip(self.tts, self.ths)):
            self._compare(a, b, f"value {k} at the end", leafness=k not in self.loose)
        for a, b in zip(self.tts, self.ths):
            for t in (a, b):
                if t.requires_grad and not t.is_leaf:
                    t.retain_grad()
        loss_tt, loss_th = 0.0, 0.0
        for k, (a, b) in enumerate(zip(self.tts, self.ths)):
            w = np.random.default_rng(10_000 + k).uniform(0.5, 1.5, tuple(b.shape))
            loss_tt = loss_tt + (a * tt.tensor(w)).sum()
            loss_th = loss_th + (b * torch.tensor(w)).sum()
        if not getattr(loss_th, "requires_grad", False):
            return
        try:
            loss_th.backward()
        except RuntimeError as e:
            raise Mismatch(
                f"the generator built a program PyTorch cannot backprop: {e}\n{self}"
            ) from None
        try:
            loss_tt.backward()
        except Exception as e:
            raise Mismatch(f"tinytensor backward raised: {e!r}\n{self}") from e
        for k, (a, b) in enumerate(zip(self.tts, self.ths)):
            if k in self.loose:  # PyTorch's value is its input itself, whose grad is checked
                continue
            if not b.is_leaf and self.group[k] in self.written:
                # PyTorch regenerates the grad_fn of views of a base changed in place (as an
                # AsStrided of the base), so gradients reach the base by another path and a
                # retained grad on the view in between differs; leaves still agree.
                continue
            ga, gb = a.grad, b.grad
            if (ga is None) != (gb is None):
                raise Mismatch(f"grad of value {k}: {ga} vs torch {gb}\n{self}")
            if ga is not None:
                if tuple(ga.shape) != tuple(gb.shape) or not np.allclose(
                    _np(ga), _np(gb), rtol=RTOL, atol=ATOL
                ):
                    raise Mismatch(f"grad of value {k}:\n{_np(ga)}\nvs torch\n{_np(gb)}\n{self}")

    def __str__(self):
        lines = ",\n".join(f"    {s!r}" for s in self.steps)
        return f"program = [\n{lines},\n]"


def run_program(steps):
    """Replay a recorded program in both libraries and check everything (regression tests)."""
    r = Runner()
    for op, inputs, params in steps:
        r.step(op, inputs, params, replay=True)
    r.finish()
    return r


# --- generation --------------------------------------------------------------------------------


class _Ctx:
    """What the op generators see: the pool and a way to add fresh operands."""

    def __init__(self, data, runner):
        self.draw = data.draw
        self.r = runner
        self.op_name = ""

    def shape(self, i):
        return tuple(self.r.tts[i].shape)

    def tt(self, i):
        return _np(self.r.tts[i])

    def th(self, i):
        return _np(self.r.ths[i])

    def th_tensor(self, i):
        return self.r.ths[i]

    def fresh(self, shape):
        p = {
            "shape": list(shape),
            "seed": self.draw(st.integers(0, 2**16)),
            "grad": self.draw(st.sampled_from([True, True, False])),
        }
        self.r.step("leaf", [], p)
        return len(self.r.tts) - 1

    def _pick(self, ok):
        cands = [k for k in range(len(self.r.tts)) if ok(self.shape(k))]
        if cands and self.draw(st.booleans()):
            return self.draw(st.sampled_from(cands))
        return None

    def partner(self, i):
        s = self.shape(i)

        def ok(t):
            try:
                return int(np.prod(np.broadcast_shapes(s, t))) <= G.MAX_NUMEL
            except ValueError:
                return False

        j = self._pick(ok)
        if j is None:
            shape = self.draw(tst.broadcastable_shapes(s, max_dims=4, max_side=4))
            j = self.fresh(shape if ok(shape) else s)
        return j

    def same_shape(self, shape, i):
        j = self._pick(lambda t: t == tuple(shape))
        return self.fresh(shape) if j is None else j

    def fitting(self, region):
        """An operand whose shape broadcasts to ``region`` without growing it."""
        j = self._pick(lambda t: _fits(t, region))
        if j is None:
            shape = self.draw(tst.broadcastable_shapes(region, max_dims=len(region), max_side=4))
            j = self.fresh(shape if _fits(shape, region) else region)
        return j


def _fits(shape, region):
    try:
        return np.broadcast_shapes(tuple(shape), tuple(region)) == tuple(region)
    except ValueError:
        return False


def _gen_inplace(ctx, r, with_grad, allow_view):
    cands = (
        list(range(len(r.tts))) if with_grad else [k for k in range(len(r.tts)) if r.writable(k)]
    )
    if not cands:
        return None
    i = ctx.draw(st.sampled_from(cands))
    shape = ctx.shape(i)
    via = None
    if (allow_view or not with_grad) and shape and ctx.draw(st.booleans()):
        via = G.index_for(ctx, shape, basic_only=True)
    region = np.zeros(shape)[G.build_index(np, via)].shape if via is not None else shape
    op = ctx.draw(st.sampled_from(INPLACE_OPS))
    p = {"op": op, "via": via}
    inputs = [i]
    if op in ("add_", "sub_", "mul_", "copy_") and ctx.draw(st.booleans()):
        j = ctx.fitting(region)
        if not with_grad and r.group[j] == r.group[i]:
            return None
        inputs.append(j)
    elif op == "setitem":
        p["index"] = G.index_for(ctx, region, unique=True)
        sub = np.zeros(region)[G.build_index(np, p["index"])].shape
        if ctx.draw(st.booleans()):
            j = ctx.fitting(sub)
            if not with_grad and r.group[j] == r.group[i]:
                return None
            inputs.append(j)
        else:
            p["c"] = -0.75
    elif op == "clamp_":
        p["lo"], p["hi"] = -1.0, 1.25
        x = ctx.tt(i)[G.build_index(np, via)] if via is not None else ctx.tt(i)
        if not (G.clear(x + 1.0, x + 1.0) and G.clear(x - 1.25, x - 1.25)):
            return None
    elif op == "masked_fill_":
        n = int(np.prod(region))
        p["mask"] = (
            np.asarray(ctx.draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
            .reshape(region)
            .tolist()
        )
        p["c"] = 1.5
    if op in ("add_", "sub_", "mul_", "div_", "fill_", "copy_") and len(inputs) == 1:
        p["c"] = ctx.draw(st.sampled_from([-1.5, 0.5, 2.0]))
    if op == "sub_":
        p["alpha"] = ctx.draw(st.sampled_from([1, 0.5]))
    return inputs, p


def generate(data, max_steps=20, allow_view_grad_inplace=True):
    """Draw and run a random program; raises ``Mismatch`` with the program on a difference."""
    r = Runner()
    ctx = _Ctx(data, r)
    for _ in range(data.draw(st.integers(1, 3))):
        ctx.fresh(data.draw(tst.shapes(min_dims=0, max_dims=3, max_side=4)))
    n = data.draw(st.integers(1, max_steps))
    for _ in range(n):
        kind = data.draw(st.sampled_from(["op"] * 10 + ["inplace", "grad_inplace"]))
        if kind == "op":
            name = data.draw(st.sampled_from(OP_NAMES))
            i = data.draw(st.integers(0, len(r.tts) - 1))
            ctx.op_name = name
            got = OPS[name][0](ctx, i)
            if got is None:
                event("guard refused a step")
                continue
            inputs, params = got[:2]
            name = got[2] if len(got) > 2 else name  # a generator may pick a sibling op
            r.step(name, list(inputs), params)
            event(f"op {name}")
        else:
            got = _gen_inplace(ctx, r, kind == "grad_inplace", allow_view_grad_inplace)
            if got is None:
                continue
            inputs, params = got
            r.step(kind, inputs, params)
            event(kind)
    note(str(r))
    r.finish()
    return r
