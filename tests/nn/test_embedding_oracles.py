"""NumPy oracles for Embedding and EmbeddingBag (no torch): every mode over uneven bags (1-D
input with offsets, empty bags, include_last_offset, 2-D input), all-negative weights (so a
short bag padded with zeros instead of -inf shows in max mode), padding_idx left out,
per_sample_weights, and the gradients of the weight (and of per_sample_weights) by the same
loops. Embedding's padding row gets no gradient, scale_grad_by_freq divides by counts, and
max_norm renormalises the looked-up rows in place."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn

R = np.random.default_rng(31)


def _np_bag(w, idx, starts, ends, mode, psw=None, pad=None):
    """(output, d output / d W contracted with g, d output / d psw contracted with g)."""
    out = np.zeros((len(starts), w.shape[1]))
    picks = []  # per bag: [(position, row index)]
    for b, (s, e) in enumerate(zip(starts, ends)):
        pos = [j for j in range(s, e) if pad is None or idx[j] != pad]
        picks.append(pos)
        if not pos:
            continue
        rows = np.stack([w[idx[j]] * (psw[j] if psw is not None else 1.0) for j in pos])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]

    def grads(g):
        dw, dpsw = np.zeros_like(w), np.zeros(len(idx))
        for b, pos in enumerate(picks):
            if not pos:
                continue
            if mode == "max":
                rows = np.stack([w[idx[j]] for j in pos])
                for d, k in enumerate(rows.argmax(0)):
                    dw[idx[pos[k]], d] += g[b, d]
                continue
            scale = 1.0 / len(pos) if mode == "mean" else 1.0
            for j in pos:
                dw[idx[j]] += g[b] * scale * (psw[j] if psw is not None else 1.0)
                dpsw[j] += g[b] @ w[idx[j]]
        return dw, dpsw

    return out, grads


OFFSETS = [0, 2, 2, 7, 8]  # bags of 2, 0 (empty), 5, 1 and 3 entries
IDX = np.array([3, 1, 4, 0, 5, 2, 6, 6, 1, 3, 2])


def _bags(offsets, n, last=False):
    starts = offsets[:-1] if last else offsets
    ends = list(starts[1:]) + [n]
    return starts, ends


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 6])
@pytest.mark.parametrize("sign", ["negative", "mixed"])
def test_embedding_bag_uneven_bags_numpy_oracle(mode, pad, sign):
    w = R.standard_normal((7, 4))
    w = -np.abs(w) - 0.1 if sign == "negative" else w
    wt = tt.tensor(w, requires_grad=True)
    out = F.embedding_bag(tt.tensor(IDX), wt, tt.tensor(OFFSETS), mode=mode, padding_idx=pad)
    starts, ends = _bags(OFFSETS, len(IDX))
    want, grads = _np_bag(w, IDX, starts, ends, mode, pad=pad)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    assert np.all(out.detach().numpy()[1] == 0)  # the empty bag
    g = R.standard_normal(want.shape)
    out.backward(tt.tensor(g))
    np.testing.assert_allclose(wt.grad.numpy(), grads(g)[0], rtol=1e-12, atol=1e-12)


def test_embedding_bag_max_of_all_negative_rows_is_never_zero():
    """Bags of different lengths packed into one array must pad short bags with -inf, so the
    max over a short bag of negative rows stays negative."""
    w = -np.arange(1.0, 13.0).reshape(6, 2)  # every entry negative
    out = F.embedding_bag(tt.tensor([0, 1, 2, 3, 4, 5]), tt.tensor(w), tt.tensor([0, 1, 5]),
                          mode="max").numpy()  # fmt: skip
    np.testing.assert_array_equal(out, [w[0], w[1:5].max(0), w[5]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset_and_2d_input(mode):
    w = R.standard_normal((7, 3)) - 1.0
    offs = [0, 3, 4, 9]
    out = F.embedding_bag(tt.tensor(IDX[:10]), tt.tensor(w), tt.tensor(offs), mode=mode,
                          include_last_offset=True).numpy()  # fmt: skip
    starts, ends = _bags(offs, 10, last=True)  # the last bag runs to the input's end
    np.testing.assert_allclose(out, _np_bag(w, IDX[:10], starts, ends, mode)[0], rtol=1e-12)
    two = R.integers(0, 7, (3, 4))
    bag = nn.EmbeddingBag.from_pretrained(tt.tensor(w), mode=mode)
    flat = two.reshape(-1)
    want = _np_bag(w, flat, [0, 4, 8], [4, 8, 12], mode)[0]
    np.testing.assert_allclose(bag(tt.tensor(two)).numpy(), want, rtol=1e-12)


def test_embedding_bag_per_sample_weights_numpy_oracle():
    w = R.standard_normal((7, 4))
    psw = R.standard_normal(len(IDX))
    wt, pt = tt.tensor(w, requires_grad=True), tt.tensor(psw, requires_grad=True)
    out = F.embedding_bag(tt.tensor(IDX), wt, tt.tensor(OFFSETS), mode="sum",
                          per_sample_weights=pt, padding_idx=1)  # fmt: skip
    starts, ends = _bags(OFFSETS, len(IDX))
    want, grads = _np_bag(w, IDX, starts, ends, "sum", psw=psw, pad=1)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    g = R.standard_normal(want.shape)
    out.backward(tt.tensor(g))
    dw, dpsw = grads(g)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pt.grad.numpy(), dpsw, rtol=1e-12, atol=1e-12)


def test_embedding_padding_row_and_frequency_scaled_gradient():
    w = R.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    g = R.standard_normal((2, 3, 3))
    for pad, freq in [(2, False), (None, True), (-1, True)]:
        wt = tt.tensor(w, requires_grad=True)
        out = F.embedding(tt.tensor(idx), wt, padding_idx=pad, scale_grad_by_freq=freq)
        np.testing.assert_array_equal(out.detach().numpy(), w[idx])
        out.backward(tt.tensor(g))
        counts = np.bincount(idx.reshape(-1), minlength=5)
        want = np.zeros_like(w)
        for k, i in enumerate(idx.reshape(-1)):
            if pad is not None and i == pad % 5:
                continue
            want[i] += g.reshape(-1, 3)[k] / (counts[i] if freq else 1)
        np.testing.assert_allclose(wt.grad.numpy(), want, rtol=1e-12, atol=1e-12)


def test_embedding_max_norm_renormalises_looked_up_rows_in_place():
    w = R.standard_normal((6, 4)) * 3
    emb = nn.Embedding.from_pretrained(tt.tensor(w.copy()), max_norm=1.5, norm_type=2.0)
    out = emb(tt.tensor([1, 4, 4])).numpy()
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    scaled = np.where(norms > 1.5, w * 1.5 / (norms + 1e-7), w)
    np.testing.assert_allclose(out, scaled[[1, 4, 4]], rtol=1e-6)
    after = emb.weight.detach().numpy()
    np.testing.assert_allclose(after[[1, 4]], scaled[[1, 4]], rtol=1e-6)  # changed in place
    np.testing.assert_array_equal(after[[0, 2, 3, 5]], w[[0, 2, 3, 5]])  # others untouched


@pytest.mark.parametrize("pad", [None, 1])
@pytest.mark.parametrize("freq", [False, True])
def test_embedding_double_backward_is_the_masked_lookup_not_rescaled(pad, freq):
    # d/dW <dW, V> of sum(embedding(idx, W)^2): the forward's backward (scaled by 1/count,
    # padding row 0) applied to 2*V[idx] with the padding rows zeroed, as PyTorch's
    # embedding_dense_double_backward (which does not scale by frequency).
    w0 = R.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 1, 2]])
    v = R.standard_normal((5, 3))
    w = tt.tensor(w0, requires_grad=True)
    (g,) = tt.autograd.grad(
        (F.embedding(tt.tensor(idx), w, padding_idx=pad, scale_grad_by_freq=freq) ** 2).sum(),
        w,
        create_graph=True,
    )
    (h,) = tt.autograd.grad((g * tt.tensor(v)).sum(), w)
    flat = idx.reshape(-1)
    counts = np.bincount(flat, minlength=5)
    want = np.zeros((5, 3))
    for j in flat:
        if j == pad:
            continue
        want[j] += 2 * v[j] / (counts[j] if freq else 1)
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True},
                                {"padding_idx": 1, "scale_grad_by_freq": True}])  # fmt: skip
def test_embedding_double_backward_matches_pytorch(kw):
    torch = pytest.importorskip("torch")
    w0, v = R.standard_normal((5, 3)), R.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 1, 2]])
    wt = torch.tensor(w0, requires_grad=True)
    (gt,) = torch.autograd.grad(
        (torch.nn.functional.embedding(torch.tensor(idx), wt, **kw) ** 2).sum(), wt,
        create_graph=True,
    )
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), wt)
    w = tt.tensor(w0, requires_grad=True)
    (g,) = tt.autograd.grad((F.embedding(tt.tensor(idx), w, **kw) ** 2).sum(), w, create_graph=True)
    (h,) = tt.autograd.grad((g * tt.tensor(v)).sum(), w)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-12)
