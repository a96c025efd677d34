"""swa_utils: AveragedModel (SWA and EMA), update_bn and their PyTorch counterparts."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.optim import swa_utils


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 1))


def _snapshots(seed=0, n=4):
    r = np.random.default_rng(seed)
    model = _model(tt)
    shapes = [tuple(p.shape) for p in model.parameters()]
    return [[r.standard_normal(s) for s in shapes] for _ in range(n)]


def _load(model, arrays):
    with tt.no_grad():
        for p, a in zip(model.parameters(), arrays):
            p.copy_(tt.tensor(a, dtype=p.dtype))


def test_swa_average_is_the_mean_of_the_snapshots():
    model = _model(tt)
    swa = swa_utils.AveragedModel(model)
    snaps = _snapshots()
    for arrays in snaps:
        _load(model, arrays)
        swa.update_parameters(model)
    assert swa.n_averaged.item() == len(snaps)
    for i, p in enumerate(swa.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([s[i] for s in snaps], 0), rtol=1e-5)
    assert swa.state_dict().keys() >= {"n_averaged", "module.0.weight", "module.1.running_mean"}


@pytest.mark.parametrize("kind", ["avg-fn", "multi-avg-fn"])
def test_ema_average_follows_the_recurrence(kind):
    model = _model(tt)
    if kind == "avg-fn":
        ema = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.7))
    else:
        ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.7))
    snaps = _snapshots(1)  # decay 0.7, not 0.5: a decay used as 1 - decay must show
    expected = None
    for arrays in snaps:
        _load(model, arrays)
        ema.update_parameters(model)
        expected = (
            arrays if expected is None else [0.7 * e + 0.3 * a for e, a in zip(expected, arrays)]
        )
    for p, e in zip(ema.module.parameters(), expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-5, atol=1e-6)


def test_averaged_model_forwards_to_its_copy_and_checks_arguments():
    model = _model(tt).eval()
    swa = swa_utils.AveragedModel(model).eval()
    x = tt.randn(5, 3)
    np.testing.assert_allclose(swa(x).detach().numpy(), model(x).detach().numpy())
    assert swa.module is not model
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())  # fmt: skip
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_avg_fn(1.5)


def test_update_bn_recomputes_running_statistics_as_a_plain_mean():
    model = _model(tt)
    data = [tt.randn(6, 3) for _ in range(3)]
    model.eval()
    swa_utils.update_bn([(x, 0) for x in data], model)
    assert not model.training
    hidden = [model[0](x).detach().numpy() for x in data]
    want = np.mean([h.mean(0) for h in hidden], 0)
    np.testing.assert_allclose(model[1].running_mean.numpy(), want, rtol=1e-5)
    assert model[1].momentum == 0.1


@pytest.mark.torch
def test_swa_and_update_bn_match_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _model(tt).double(), _model(torch).double()
    with torch.no_grad():
        for p, q in zip(ref.parameters(), ours.parameters()):
            p.copy_(torch.tensor(q.detach().numpy()))
    avg_ours, avg_ref = swa_utils.AveragedModel(ours), torch.optim.swa_utils.AveragedModel(ref)
    r = np.random.default_rng(2)
    for _ in range(3):
        with torch.no_grad():
            for p, q in zip(ours.parameters(), ref.parameters()):
                a = r.standard_normal(tuple(p.shape))
                with tt.no_grad():
                    p.copy_(tt.tensor(a))
                q.copy_(torch.tensor(a))
        avg_ours.update_parameters(ours)
        avg_ref.update_parameters(ref)
    xs = [r.standard_normal((5, 3)) for _ in range(2)]
    swa_utils.update_bn([tt.tensor(x) for x in xs], avg_ours)
    torch.optim.swa_utils.update_bn([torch.tensor(x) for x in xs], avg_ref)
    for (k, v), (k2, w) in zip(avg_ours.state_dict().items(), avg_ref.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(v.numpy(), w.numpy(), rtol=1e-12, err_msg=k)
