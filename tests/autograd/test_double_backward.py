"""Second derivatives of every differentiable op in the op table (tests/ops/optable):
gradgradcheck, and Hessian-vector products against PyTorch's."""

import numpy as np
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import gradgradcheck

optable = pytest.importorskip("ops.optable", reason="the op table (tests/ops/optable) is missing")

DIFFERENTIABLE = [c for c in optable.ALL_CASES if c.differentiable]
DOUBLE = [c for c in DIFFERENTIABLE if c.double_differentiable]
# Each example runs many backward passes, so fewer examples than the first-order tests.
FEW = settings(max_examples=4)


def _tensors(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, tt.Tensor) and o.is_floating_point()]


@pytest.mark.parametrize("case", DOUBLE, ids=lambda c: c.name)
@FEW
@given(data=st.data())
def test_gradgradcheck(case, data):
    sample = data.draw(case.inputs, label="sample")
    assert gradgradcheck(sample.bind(case.fn), sample.leaves())


def _second_order(lib, grad, fn, args, kwargs, seed):
    """d/dx <w, d/dx <v, fn(x)>> with seeded random v and w, for every float input x."""
    xs = [a for a in args if lib.is_tensor(a) and a.requires_grad]
    outs = [o for o in _tensors_any(lib, fn(*args, **kwargs)) if o.requires_grad]
    rng = np.random.default_rng(seed)
    vs = [lib.tensor(rng.standard_normal(tuple(o.shape))) for o in outs]
    gs = grad(outs, xs, vs, create_graph=True, allow_unused=True)
    pairs = [(g, lib.tensor(rng.standard_normal(tuple(g.shape)))) for g in gs if g is not None]
    pairs = [(g, w) for g, w in pairs if g.requires_grad]
    first = [np.zeros(tuple(x.shape)) if g is None else _np(g) for g, x in zip(gs, xs)]
    if not pairs:
        return first, [np.zeros(tuple(x.shape)) for x in xs]
    hs = grad([g for g, _ in pairs], xs, [w for _, w in pairs], allow_unused=True)
    second = [np.zeros(tuple(x.shape)) if h is None else _np(h) for h, x in zip(hs, xs)]
    return first, second


def _np(t):
    return t.detach().numpy(force=True)  # force: PyTorch may return a lazy ZeroTensor


def _tensors_any(lib, out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if lib.is_tensor(o) and o.is_floating_point()]


# Points where PyTorch's second derivative is not the true one (ours is; gradgradcheck checks
# it against finite differences): PyTorch masks the base's gradient of pow where the exponent
# is exactly 0, so its d2(a^b)/(da db) is 0 there instead of a^(b-1) * (1 + b*log(a)).
TORCH_DIFFERS = {"pow": lambda args, kwargs: bool(np.any(args[1].numpy() == 0))}


@pytest.mark.parametrize("case", [c for c in DOUBLE if c.torch_fn], ids=lambda c: c.name)
@FEW
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_hessian_vector_products_match_pytorch(case, data, seed):
    torch = pytest.importorskip("torch")
    from ops.harness import to_torch

    sample = data.draw(case.inputs, label="sample")
    assume(not TORCH_DIFFERS.get(case.name, lambda *a: False)(sample.args, sample.kwargs))
    leaves = sample.leaves()
    ours = _second_order(tt, tt.autograd.grad, case.fn, leaves, sample.kwargs, seed)
    t_args = to_torch(leaves, requires_grad=True)
    try:
        theirs = _second_order(
            torch, torch.autograd.grad, case.torch_fn, t_args, to_torch(sample.kwargs), seed
        )
    except RuntimeError:
        # PyTorch cannot do this one (e.g. clamp's double backward when the bounds broadcast
        # to a larger shape than the input); gradgradcheck still covers our side.
        reject()
    for order, (a_list, b_list) in enumerate(zip(ours, theirs), start=1):
        for i, (a, b) in enumerate(zip(a_list, b_list)):
            np.testing.assert_allclose(
                a, b, rtol=1e-7, atol=1e-9, err_msg=f"{case.name}: order {order}, input {i}"
            )
