"""Graph breaks in pieces: where a compiled call breaks, its own Python runs eagerly and each
module it calls is a compiled piece of its own (traced once, replayed behind its own guards),
with results and gradients bitwise equal to eager."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.compiler import Unsupported, pieces


def same(a, b):
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, tt.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def net(seed=0):
    tt.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


@pytest.fixture(autouse=True)
def _fresh():
    tt.compiler.reset()
    yield
    tt.compiler.reset()


def test_a_step_that_logs_item_compiles_the_modules_it_calls():
    body, head = net(), nn.Linear(2, 1)
    log = []

    def step(x):
        h = body(x)
        log.append(h.sum().item())  # a graph break, and a global that changes every call
        return head(h).sum()

    c = tt.compile(step)
    params = [*body.parameters(), *head.parameters()]
    for i in range(4):
        x = tt.tensor(np.linspace(-1, 1, 12).reshape(3, 4) * (i + 1), dtype=tt.float32)
        got = c(x)
        got.backward()
        grads = [p.grad.clone() for p in params]
        for p in params:
            p.grad = None
        want = step(x)
        want.backward()
        assert same(got, want)
        assert all(same(g, p.grad) for g, p in zip(grads, params))
        for p in params:
            p.grad = None
    assert c.program is None and c.traces == 1  # the call itself: traced once, then Python
    assert set(pieces.of) == {body, head}
    for piece in pieces.of.values():
        assert piece.traces == 1 and piece.program is not None  # replayed since


def test_a_module_whose_forward_breaks_has_compiled_children_and_trains_like_eager():
    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = net(1), nn.Linear(2, 2)
            self.seen = []

        def forward(self, x):
            y = self.a(x)
            if y.mean().item() > 1e9:  # value read in Python: a break in the forward itself
                y = y * 0
            return self.b(y)

    def train(model, steps=4):
        opt = tt.optim.SGD(model.parameters(), lr=0.1)
        out = []
        for i in range(steps):
            x = tt.tensor(np.cos(np.arange(8.0) + i).reshape(2, 4), dtype=tt.float32)
            loss = (model(x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
        return out, [p.detach().numpy().copy() for p in model.parameters()]

    eager, compiled = Noisy(), Noisy()
    compiled.load_state_dict(eager.state_dict())
    cm = tt.compile(compiled)
    (l1, p1), (l2, p2) = train(eager), train(cm)
    assert l1 == l2 and all(np.array_equal(u, v) for u, v in zip(p1, p2))
    assert set(pieces.of) == {compiled.a, compiled.b}
    # the optimizer changes the parameters in place every step: the pieces replay, not retrace
    assert all(p.traces == 1 and p.program is not None for p in pieces.of.values())


def test_a_piece_that_breaks_has_pieces_of_its_own():
    inner = net(2)

    class Breaks(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            y = self.inner(x)
            return y * float(y.abs().max().item() > 0)

    outer = Breaks()
    seen = []

    def f(x):
        seen.append(x.sum().item())
        return outer(x).sum()

    c = tt.compile(f)
    x = tt.ones(2, 4)
    for _ in range(3):
        assert same(c(x), f(x))
    assert pieces.of[outer].program is None  # it broke too: Python runs it...
    assert pieces.of[inner].program is not None  # ...and its child is compiled


def test_pieces_keep_their_guards():
    body = net(3)
    log = []

    def step(x):
        log.append(x.sum().item())
        return body(x)

    c = tt.compile(step)
    x = tt.ones(5, 4)
    c(x), c(x)
    piece = pieces.of[body]
    assert piece.traces == 1
    body.eval()  # the training flag is guarded
    assert same(c(x), step(x)) and piece.traces == 2
    with tt.no_grad():  # so is a parameter's shape
        body[0].weight = nn.Parameter(tt.ones(8, 4))
    assert same(c(x), step(x)) and piece.traces == 3
    assert same(c(tt.ones(2, 4)), step(tt.ones(2, 4)))  # another batch size


def test_fullgraph_still_raises_and_reset_forgets_the_pieces():
    body = net(4)

    def step(x):
        return body(x) * x.sum().item()

    with pytest.raises(Unsupported, match="item"):
        tt.compile(step, fullgraph=True)(tt.ones(1, 4))
    c = tt.compile(step)
    c(tt.ones(1, 4)), c(tt.ones(1, 4))
    assert body in pieces.of
    tt.compiler.reset()
    assert not pieces.of
    assert pieces.parent is None


def test_outside_a_broken_call_modules_run_as_usual():
    body = net(5)
    c = tt.compile(lambda x: body(x).sum())  # one program, no break: no pieces
    c(tt.ones(1, 4)), c(tt.ones(1, 4))
    assert c.program is not None and not pieces.of
    body(tt.ones(1, 4))
    assert not pieces.of and pieces.parent is None

