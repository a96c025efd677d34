"""swa_utils rule by rule, without PyTorch: SWALR's lrs by hand (anneal_epochs 0, 1, 2 and
linear), its state dict, the decay bounds of the EMA helpers, the running mean through
``get_swa_multi_avg_fn``, buffers averaged with ``use_buffers`` and copied without it,
update_bn restoring train mode and reading plain tensors, and the exact messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.optim import swa_utils


def _opt():
    groups = [
        {"params": [tt.zeros(1, requires_grad=True)], "lr": 1.0},
        {"params": [tt.zeros(1, requires_grad=True)], "lr": 0.5},
    ]
    return tt.optim.SGD(groups, lr=1.0)


def _lrs(sched, opt, n=4):
    out = [sched.get_last_lr()]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out


@pytest.mark.parametrize(
    "kwargs,anneal",
    [
        (dict(anneal_epochs=0), None),
        (dict(anneal_epochs=1), lambda t: (1 - math.cos(math.pi * t)) / 2),
        (dict(anneal_epochs=2), lambda t: (1 - math.cos(math.pi * t)) / 2),
        (dict(anneal_epochs=3, anneal_strategy="linear"), lambda t: t),
    ],
)
def test_swalr_anneals_each_group_to_swa_lr(kwargs, anneal):
    opt = _opt()
    got = _lrs(swa_utils.SWALR(opt, 0.25, **kwargs), opt)
    n = kwargs["anneal_epochs"]
    for e, lrs in enumerate(got):
        for lr0, lr in zip((1.0, 0.5), lrs):
            a = 1.0 if n == 0 else anneal(min(1.0, e / n))
            assert lr == pytest.approx(0.25 * a + lr0 * (1 - a), rel=1e-12, abs=1e-15), (e, lr0)


def test_swalr_state_dict_and_arguments():
    opt = _opt()
    sched = swa_utils.SWALR(opt, [0.25, 0.125], anneal_epochs=3, anneal_strategy="linear")
    assert [g["swa_lr"] for g in opt.param_groups] == [0.25, 0.125]
    opt.step()
    sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and "anneal_func" not in sd
    assert sd["_anneal_strategy"] == "linear" and sd["anneal_epochs"] == 3
    other = swa_utils.SWALR(_opt(), 0.5, anneal_epochs=7)
    other.load_state_dict(sd)
    assert other.anneal_func(0.25) == 0.25 and other.anneal_epochs == 3
    for make, message in [
        (lambda: swa_utils.SWALR(_opt(), 0.1, anneal_strategy="exp"),
         "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
        (lambda: swa_utils.SWALR(_opt(), 0.1, anneal_epochs=1.5),
         "anneal_epochs must be equal or greater than 0, got 1.5"),
        (lambda: swa_utils.SWALR(_opt(), 0.1, anneal_epochs=-1),
         "anneal_epochs must be equal or greater than 0, got -1"),
    ]:  # fmt: skip
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == message


@pytest.mark.parametrize("make", [swa_utils.get_ema_avg_fn, swa_utils.get_ema_multi_avg_fn])
def test_ema_decay_bounds(make):
    make(0.0)
    make(1.0)
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError) as info:
            make(bad)
        assert str(info.value) == (
            f"Invalid decay value {bad} provided. Please provide a value in [0,1] range."
        )


def test_ema_helpers_weight_the_average_by_decay():
    avg, cur = tt.tensor([1.0, 2.0], dtype=tt.float64), tt.tensor([3.0, -2.0], dtype=tt.float64)
    out = swa_utils.get_ema_avg_fn(0.75)(avg, cur, tt.tensor(3))
    np.testing.assert_allclose(out.numpy(), [1.5, 1.0], rtol=1e-15)
    swa_utils.get_ema_multi_avg_fn(0.75)([avg], [cur], tt.tensor(3))
    np.testing.assert_allclose(avg.numpy(), [1.5, 1.0], rtol=1e-15)
    out = swa_utils.get_swa_avg_fn()(avg, cur, tt.tensor(3))
    np.testing.assert_allclose(out.numpy(), [1.5 + 1.5 / 4, 1.0 - 3.0 / 4], rtol=1e-15)
    swa_utils.get_swa_multi_avg_fn()([avg], [cur], tt.tensor(3))
    np.testing.assert_allclose(avg.numpy(), [1.5 + 1.5 / 4, 1.0 - 3.0 / 4], rtol=1e-15)


def _bn_model():
    tt.manual_seed(0)
    return tt.nn.Sequential(tt.nn.Linear(2, 3), tt.nn.BatchNorm1d(3))


def _set(model, k):
    with tt.no_grad():
        for i, t in enumerate(list(model.parameters()) + list(model.buffers())):
            if t.is_floating_point():
                t.fill_(float(k * 10 + i))


# (use_buffers, multi_avg_fn): PyTorch's SWA multi_avg_fn cannot average the integer
# num_batches_tracked buffer either (its addcdiv refuses integers), so that pair is left out
@pytest.mark.parametrize("use_buffers,multi", [(False, False), (False, True), (True, False)])
def test_averaged_model_buffers_and_multi_avg_fn(use_buffers, multi):
    model = _bn_model()
    kw = {"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()} if multi else {}
    swa = swa_utils.AveragedModel(model, use_buffers=use_buffers, **kw)
    for k in range(3):
        _set(model, k)
        swa.update_parameters(model)
    assert swa.n_averaged.item() == 3 and swa.n_averaged.dtype == tt.int64
    params = list(swa.module.parameters())
    for i, p in enumerate(params):
        np.testing.assert_allclose(p.detach().numpy(), np.full(p.shape, 10.0 + i), rtol=1e-6)
    floats = [b for b in swa.module.buffers() if b.is_floating_point()]
    for j, b in enumerate(floats):
        i = len(params) + j
        want = 10.0 + i if use_buffers else 20.0 + i  # averaged, or the latest copied
        np.testing.assert_allclose(b.numpy(), np.full(b.shape, want), rtol=1e-6)


def test_averaged_model_refuses_another_device():
    with pytest.raises(NotImplementedError) as info:
        swa_utils.AveragedModel(_bn_model(), device="cuda")
    assert str(info.value) == (
        "AveragedModel: device='cuda' is not supported; tinytensor runs on the CPU"
    )
    swa_utils.AveragedModel(_bn_model(), device="cpu")


def test_update_bn_takes_plain_batches_and_restores_train_mode():
    model = _bn_model()
    model.train()
    bn = model[1]
    bn.momentum = 0.3
    data = [tt.randn(4, 2) for _ in range(2)]
    swa_utils.update_bn(data, model)
    assert model.training and bn.momentum == 0.3
    assert bn.num_batches_tracked.item() == 2
    hidden = [model[0](x).detach().numpy() for x in data]
    want = np.mean([h.mean(0) for h in hidden], 0)
    np.testing.assert_allclose(bn.running_mean.numpy(), want, rtol=1e-5)
    plain = tt.nn.Linear(2, 2)
    swa_utils.update_bn(data, plain)  # no BatchNorm: nothing to do, no pass over the data
