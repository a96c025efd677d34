"""tinytensor.func against torch.func: the same functions, the same numbers."""

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.func as ttf

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:There is a performance drop")]


def _pair(seed, *shape):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(seed).standard_normal(shape)
    return tt.tensor(a), torch.tensor(a)


def test_per_sample_gradients_match_the_tutorial():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as tF

    tt.manual_seed(0)
    net = tt.nn.Sequential(tt.nn.Linear(4, 8), tt.nn.Tanh(), tt.nn.Linear(8, 3)).double()
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    tnet = tnet.double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(net.named_parameters(), tnet.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    x, tx = _pair(1, 6, 4)
    y = tt.tensor([0, 2, 1, 1, 0, 2])
    ty = torch.tensor([0, 2, 1, 1, 0, 2])

    def loss(p, b, xi, yi):
        out = ttf.functional_call(net, (p, b), (xi.unsqueeze(0),))
        return tt.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    def tloss(p, b, xi, yi):
        out = torch.func.functional_call(tnet, (p, b), (xi.unsqueeze(0),))
        return tF.cross_entropy(out, yi.unsqueeze(0))

    params = {k: v.detach() for k, v in net.named_parameters()}
    tparams = {k: v.detach() for k, v in tnet.named_parameters()}
    got = ttf.vmap(ttf.grad(loss), in_dims=(None, None, 0, 0))(params, {}, x, y)
    want = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, None, 0, 0))(
        tparams, {}, tx, ty
    )
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k].numpy(), want[k].numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["jacrev", "jacfwd", "hessian"])
def test_jacobians_and_hessian_match_torch_func(kind):
    torch = pytest.importorskip("torch")
    x, tx = _pair(2, 3)
    w, tw = _pair(3, 2, 3)
    f = lambda a, m: tt.tanh(m @ a).sum() * a.exp().mean()  # noqa: E731
    tf = lambda a, m: torch.tanh(m @ a).sum() * a.exp().mean()  # noqa: E731
    if kind != "hessian":
        f2 = lambda a, m: tt.sin(m @ a) * a[0]  # noqa: E731
        tf2 = lambda a, m: torch.sin(m @ a) * a[0]  # noqa: E731
        got = getattr(ttf, kind)(f2, argnums=(0, 1))(x, w)
        want = getattr(torch.func, kind)(tf2, argnums=(0, 1))(tx, tw)
    else:
        got = ttf.hessian(f, argnums=(0, 1))(x, w)
        want = torch.func.hessian(tf, argnums=(0, 1))(tx, tw)
    flat_g = [got] if not isinstance(got, tuple) else list(got)
    flat_w = [want] if not isinstance(want, tuple) else list(want)
    while any(isinstance(v, tuple) for v in flat_g):
        flat_g = [u for v in flat_g for u in (v if isinstance(v, tuple) else (v,))]
        flat_w = [u for v in flat_w for u in (v if isinstance(v, tuple) else (v,))]
    assert len(flat_g) == len(flat_w)
    for g, v in zip(flat_g, flat_w):
        assert tuple(g.shape) == tuple(v.shape)
        np.testing.assert_allclose(g.numpy(), v.numpy(), rtol=1e-10, atol=1e-12)


def test_vjp_grad_and_value_and_vmap_rules_match_torch():
    torch = pytest.importorskip("torch")
    x, tx = _pair(4, 3)
    out, fn = ttf.vjp(lambda a: a.sin() * a, x)
    tout, tfn = torch.func.vjp(lambda a: a.sin() * a, tx)
    np.testing.assert_allclose(fn(tt.ones(3, dtype=tt.float64))[0].numpy(),
                               tfn(torch.ones(3, dtype=torch.float64))[0].numpy())  # fmt: skip
    g, v = ttf.grad_and_value(lambda a: (a**3).sum())(x)
    tg, tv = torch.func.grad_and_value(lambda a: (a**3).sum())(tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy())
    np.testing.assert_allclose(v.item(), tv.item())
    a, ta = _pair(5, 4, 2, 3)
    b, tb = _pair(6, 3)
    np.testing.assert_allclose(
        ttf.vmap(tt.matmul, in_dims=(0, None))(a, b).numpy(),
        torch.func.vmap(torch.matmul, in_dims=(0, None))(ta, tb).numpy(), rtol=1e-12,
    )
    np.testing.assert_allclose(
        ttf.vmap(tt.sum, in_dims=(1, None), out_dims=0)(a, 1).numpy(),
        torch.func.vmap(torch.sum, in_dims=(1, None), out_dims=0)(ta, 1).numpy(), rtol=1e-12,
    )
    nested = ttf.vmap(ttf.vmap(lambda u, v: (u * v).sum(), in_dims=(0, None)), in_dims=(None, 0))
    tnested = torch.func.vmap(torch.func.vmap(lambda u, v: (u * v).sum(), in_dims=(0, None)),
                              in_dims=(None, 0))  # fmt: skip
    np.testing.assert_allclose(nested(a[0], a[1]).numpy(), tnested(ta[0], ta[1]).numpy())


def test_jvp_and_linearize_match_torch_func():
    torch = pytest.importorskip("torch")
    x, tx = _pair(8, 3)
    m, tm = _pair(9, 2, 3)
    v, tv = _pair(10, 3)
    f = lambda a, b: tt.tanh(b @ a) * a.sum()  # noqa: E731
    tf = lambda a, b: torch.tanh(b @ a) * a.sum()  # noqa: E731
    zeros, tzeros = tt.zeros(2, 3, dtype=tt.float64), torch.zeros(2, 3, dtype=torch.float64)
    out, j = ttf.jvp(f, (x, m), (v, zeros))
    tout, tj = torch.func.jvp(tf, (tx, tm), (tv, tzeros))
    np.testing.assert_allclose(j.numpy(), tj.numpy(), rtol=1e-12)
    _, fn = ttf.linearize(lambda a: f(a, m), x)
    _, tfn = torch.func.linearize(lambda a: tf(a, tm), tx)
    np.testing.assert_allclose(fn(v).numpy(), tfn(tv).detach().numpy(), rtol=1e-12)


def test_error_texts_follow_torch():
    torch = pytest.importorskip("torch")
    x, tx = _pair(7, 3, 2)
    for lib, t in ((ttf, x), (torch.func, tx)):
        with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
            lib.vmap(lambda a, n: a * n)(t, 2)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            mod = tt if lib is ttf else torch
            lib.vmap(lambda a, mod=mod: a + mod.rand(2))(t)
        with pytest.raises(RuntimeError, match="to return a scalar Tensor, got tensor with 2 dims"):
            lib.grad(lambda a: a * 2)(t)


def test_ensemble_with_stack_module_state_matches_torch():
    torch = pytest.importorskip("torch")
    tt.manual_seed(3)
    models = [tt.nn.Linear(3, 2).double() for _ in range(4)]
    tmodels = [torch.nn.Linear(3, 2).double() for _ in range(4)]
    with torch.no_grad():
        for m, tm in zip(models, tmodels):
            tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
            tm.bias.copy_(torch.tensor(m.bias.detach().numpy()))
    params, buffers = ttf.stack_module_state(models)
    tparams, tbuffers = torch.func.stack_module_state(tmodels)
    assert sorted(params) == sorted(tparams) and sorted(buffers) == sorted(tbuffers)
    x, tx = _pair(11, 5, 3)
    run = lambda p, b, xb: ttf.functional_call(models[0], (p, b), (xb,))  # noqa: E731
    trun = lambda p, b, xb: torch.func.functional_call(tmodels[0], (p, b), (xb,))  # noqa: E731
    out = ttf.vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    tout = torch.func.vmap(trun, in_dims=(0, 0, None))(tparams, tbuffers, tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(params["weight"].grad.numpy(), tparams["weight"].grad.numpy())
