"""Loss arguments as PyTorch 2.13 (tinytensor/nn/functional/loss.py): mse, l1, huber and
smooth_l1 broadcast a target of another shape with PyTorch's UserWarning (they raised
ValueError), shapes that do not broadcast are a RuntimeError, the BCE losses still refuse
another shape (ValueError); class-index targets are int64 or uint8 (an int32 target is
PyTorch's RuntimeError); huber's delta <= 0, smooth_l1's beta < 0 and BCE's inputs outside
[0, 1] are RuntimeErrors. NumPy oracles first, PyTorch behind the marker."""

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

X = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
T = np.array([0.5, -1.0, 2.0], np.float32)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_pointwise_losses_broadcast_the_target_numpy(name):
    x = tt.tensor(X, requires_grad=True)
    with pytest.warns(UserWarning, match="target size") as w:
        out = getattr(F, name)(x, tt.tensor(T), reduction="none")
    assert w[0].filename == __file__
    d = X - T
    want = {
        "mse_loss": d * d,
        "l1_loss": np.abs(d),
        "huber_loss": np.where(np.abs(d) < 1, d * d / 2, np.abs(d) - 0.5),
        "smooth_l1_loss": np.where(np.abs(d) < 1, d * d / 2, np.abs(d) - 0.5),
    }[name]
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-6)
    out.sum().backward()
    assert x.grad.shape == (2, 3)
    with pytest.raises(RuntimeError, match="broadcast"):
        getattr(F, name)(x, tt.tensor(T[:2]))


def test_argument_errors_use_pytorchs_classes_numpy():
    x, p = tt.tensor(X), tt.tensor(X / 2)
    for call in (
        lambda: F.binary_cross_entropy(x, p[:, :1]),
        lambda: F.binary_cross_entropy_with_logits(x, p[:, :1]),
    ):
        with pytest.raises(ValueError):
            call()
    for call in (
        lambda: F.huber_loss(x, p, delta=0.0),
        lambda: F.smooth_l1_loss(x, p, beta=-1.0),
        lambda: F.binary_cross_entropy(x * 3, p),
        lambda: F.cross_entropy(x, tt.tensor([0, 2], dtype=tt.int32)),
        lambda: F.nll_loss(x, tt.tensor([0, 2], dtype=tt.int16)),
    ):
        with pytest.raises(RuntimeError):
            call()
    u8 = F.cross_entropy(x, tt.tensor([0, 2], dtype=tt.uint8))
    assert u8.item() == pytest.approx(F.cross_entropy(x, tt.tensor([0, 2])).item())


CASES = [
    ("mse_bcast", lambda L, Fn: Fn.mse_loss(L.tensor(X), L.tensor(T))),
    ("l1_bcast_none", lambda L, Fn: Fn.l1_loss(L.tensor(X), L.tensor(T), reduction="none")),
    ("huber_bcast", lambda L, Fn: Fn.huber_loss(L.tensor(X), L.tensor(T), delta=0.5)),
    ("mse_no_bcast", lambda L, Fn: Fn.mse_loss(L.tensor(X), L.tensor(T[:2]))),
    ("bce_shape", lambda L, Fn: Fn.binary_cross_entropy(L.tensor(X / 2), L.tensor(X[:, :1]))),
    ("huber_delta0", lambda L, Fn: Fn.huber_loss(L.tensor(X), L.tensor(X), delta=0.0)),
    ("bce_range", lambda L, Fn: Fn.binary_cross_entropy(L.tensor(X * 3), L.tensor(X / 2))),
    ("ce_int32", lambda L, Fn: Fn.cross_entropy(L.tensor(X), L.tensor([0, 2], dtype=L.int32))),
    ("ce_uint8", lambda L, Fn: Fn.cross_entropy(L.tensor(X), L.tensor([0, 2], dtype=L.uint8))),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:.*target size")
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    def run(lib, functional):
        try:
            out = fn(lib, functional)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e)
        return out.detach().numpy()

    want, got = run(torch, torch.nn.functional), run(tt, F)
    if isinstance(want, type):
        assert got is want
        return
    np.testing.assert_allclose(got, want, rtol=1e-5)
