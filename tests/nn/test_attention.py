"""scaled_dot_product_attention and MultiheadAttention: PyTorch from the same weights (float64:
outputs, input and parameter gradients, train and eval), a NumPy oracle, gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from nn.module_compare import compare
from tinytensor.testing import gradcheck

R = np.random.default_rng(12)
Q, K, V = (
    R.standard_normal((2, 3, 4, 5)),
    R.standard_normal((2, 3, 6, 5)),
    R.standard_normal((2, 3, 6, 7)),
)
BOOL_MASK = R.random((4, 6)) > 0.4
BOOL_MASK[2] = False  # a row with every key masked: PyTorch gives zeros there
FLOAT_MASK = R.standard_normal((4, 6))

SDPA_CASES = {
    "plain": ({}, Q, K, V),
    "causal": ({"is_causal": True}, Q, K, V),
    "bool_mask": ({"attn_mask": BOOL_MASK}, Q, K, V),
    "float_mask": ({"attn_mask": FLOAT_MASK}, Q, K, V),
    "scale": ({"scale": 0.7}, Q, K, V),
    "causal_float_mask": ({"is_causal": True, "attn_mask": FLOAT_MASK}, Q, K, V[..., :5]),
    "gqa": ({"enable_gqa": True}, R.standard_normal((2, 4, 3, 5)), K[:, :2], V[:, :2]),
    "unbatched": ({}, Q[0, 0], K[0, 0], V[0, 0]),
}


def _np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale + mask) v in NumPy; rows with every key masked give 0."""
    s = q @ np.swapaxes(k, -1, -2) * (scale or 1 / np.sqrt(q.shape[-1]))
    if mask is not None:
        s = s + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    if causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    e = np.exp(s - np.max(np.where(np.isinf(s), -1e300, s), -1, keepdims=True))
    den = e.sum(-1, keepdims=True)
    return (e / np.where(den == 0, 1, den)) @ v


def _call(lib_F, lib, kw, q, k, v):
    kw = {n: lib.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kw.items()}
    return lib_F.scaled_dot_product_attention(q, k, v, **kw)


@pytest.mark.parametrize("case", [c for c in SDPA_CASES if c != "gqa"])
def test_sdpa_numpy_oracle(case):
    kw, q, k, v = SDPA_CASES[case]
    out = _call(F, tt, kw, tt.tensor(q), tt.tensor(k), tt.tensor(v))
    want = _np_sdpa(q, k, v, kw.get("attn_mask"), kw.get("is_causal", False), kw.get("scale"))
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(case):
    torch = pytest.importorskip("torch")
    kw, q, k, v = SDPA_CASES[case]
    ours = [tt.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    o = _call(F, tt, kw, *ours)
    t = _call(torch.nn.functional, torch, kw, *theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = R.standard_normal(tuple(t.shape))
    o.backward(tt.tensor(g))
    t.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", ["plain", "causal", "bool_mask", "float_mask", "gqa"])
def test_sdpa_gradcheck(case):
    kw, q, k, v = SDPA_CASES[case]
    args = tuple(tt.tensor(a[..., :3, :].copy(), requires_grad=True) for a in (q, k, v))
    kw = {n: (a[:3, :3] if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
    assert gradcheck(lambda q, k, v: _call(F, tt, kw, q, k, v), args)


@pytest.mark.parametrize("case", ["plain", "causal", "bool_mask"])
def test_sdpa_second_derivatives(case):
    # The first-order backward uses the forward's saved probabilities; with create_graph it
    # computes them again from q and k, so the gradient differentiates again.
    from tinytensor.testing import gradgradcheck

    kw, q, k, v = SDPA_CASES[case]
    args = tuple(tt.tensor(a[0, :2, :3, :3].copy(), requires_grad=True) for a in (q, k, v))
    kw = {n: (a[:3, :3] if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
    assert gradgradcheck(lambda q, k, v: _call(F, tt, kw, q, k, v), args)


def test_sdpa_mask_requiring_grad_gradcheck():
    q, k, v = (tt.tensor(a[0, 0, :3, :3].copy(), requires_grad=True) for a in (Q, K, V))
    m = tt.tensor(FLOAT_MASK[:3, :3].copy(), requires_grad=True)
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m), (q, k, v, m))


def test_sdpa_dropout_is_seeded_and_drops_weights():
    q, k, v = (tt.tensor(a) for a in (Q, K, V))
    tt.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tt.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    np.testing.assert_array_equal(zero.numpy(), 0.0)


def test_sdpa_errors():
    q, k, v = (tt.tensor(a) for a in (Q, K, V))
    with pytest.raises(RuntimeError, match="dropout probability"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        F.scaled_dot_product_attention(q, k, v, tt.ones(4, 6, dtype=tt.int64))
    with pytest.raises(RuntimeError, match="embedding size"):
        F.scaled_dot_product_attention(q, k[..., :3], v)


# --- MultiheadAttention --------------------------------------------------------------------------

MHA_CONFIGS = {
    "default": {},
    "batch_first": {"batch_first": True},
    "kdim_vdim": {"kdim": 3, "vdim": 2},
    "bias_kv_zero_attn": {"add_bias_kv": True, "add_zero_attn": True},
    "no_bias": {"bias": False},
}


def _mha_inputs(cfg):
    q = R.standard_normal((5, 3, 8))
    k = R.standard_normal((4, 3, cfg.get("kdim", 8)))
    v = R.standard_normal((4, 3, cfg.get("vdim", 8)))
    if cfg.get("batch_first"):
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    kpm = np.zeros((3, 4), bool)
    kpm[1, 2:] = True
    return q, k, v, kpm, R.random((5, 4)) > 0.8


@pytest.mark.torch
@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "no_weights"])
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("config", list(MHA_CONFIGS))
def test_multihead_attention_matches_torch(config, mode, need_weights):
    torch = pytest.importorskip("torch")
    cfg = MHA_CONFIGS[config]
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **cfg).double()
    ours = tt.nn.MultiheadAttention(8, 2, dtype=tt.float64, **cfg)
    assert repr(ours) == repr(theirs)

    def call(m, q, k, v, kpm, am):
        return m(q, k, v, key_padding_mask=kpm, attn_mask=am, need_weights=need_weights)

    compare(ours, theirs, list(_mha_inputs(cfg)), call, train=mode == "train")


@pytest.mark.torch
def test_multihead_attention_self_attention_per_head_weights_and_causal():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    theirs = torch.nn.MultiheadAttention(8, 4, batch_first=True).double()
    ours = tt.nn.MultiheadAttention(8, 4, batch_first=True, dtype=tt.float64)
    x = R.standard_normal((2, 5, 8))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5).double().numpy()

    def call(m, x, am):
        y = m(x, x, x, attn_mask=am, average_attn_weights=False)
        return y, m(x, x, x, attn_mask=am, need_weights=False, is_causal=True)[0]

    compare(ours, theirs, [x, causal], call, grad_inputs=[0])


@pytest.mark.torch
def test_multi_head_attention_forward_unbatched_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    arrays = [r.standard_normal(s) for s in [(4, 6), (3, 6), (3, 6), (18, 6), (18,), (6, 6), (6,)]]
    ours = [tt.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    kpm = np.array([False, False, True])
    o = F.multi_head_attention_forward(*ours[:3], 6, 3, *ours[3:5], None, None, False, 0.0,
                                       *ours[5:], key_padding_mask=tt.tensor(kpm))  # fmt: skip
    t = torch.nn.functional.multi_head_attention_forward(
        *theirs[:3], 6, 3, *theirs[3:5], None, None, False, 0.0, *theirs[5:],
        key_padding_mask=torch.tensor(kpm),
    )  # fmt: skip
    for a, b in zip(o, t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
    (o[0].sum() + o[1].sum()).backward()
    (t[0].sum() + t[1].sum()).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


def test_multihead_attention_parameters_and_init():
    tt.manual_seed(0)
    m = tt.nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                    "out_proj.bias"]  # fmt: skip
    np.testing.assert_array_equal(m.in_proj_bias.detach().numpy(), 0)
    np.testing.assert_array_equal(m.out_proj.bias.detach().numpy(), 0)
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ on the (24, 8) packed weight
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    sep = tt.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert list(sep.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                      "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                      "out_proj.bias"]  # fmt: skip
    assert sep.in_proj_weight is None and m.q_proj_weight is None


def test_multihead_attention_errors():
    with pytest.raises(AssertionError, match="divisible"):
        tt.nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        tt.nn.MultiheadAttention(0, 1)
    m = tt.nn.MultiheadAttention(4, 2)
    x = tt.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="only bool and floating"):
        m(x, x, x, attn_mask=tt.zeros(3, 3, dtype=tt.int64))
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=tt.zeros(2, 3))
