"""scaled_dot_product_attention branch by branch, NumPy only (multi-head attention's are in
test_attention_mha_mutants.py).

Each test pins one rule a one-line bug would break: the fused kernel and the composite path
(dropout, or a mask that needs a gradient) against a NumPy oracle (bool masks, float masks,
``is_causal`` with L != S, ``scale=``, grouped-query heads, huge scores, an empty key axis,
dtypes kept), dropout against the seeded keep-mask, first and second order gradients against
finite differences and the hand-derived formula, the saved probabilities (first order) and
their recomputation (create_graph), and every error message whole.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.nn.functional import attention as attention_module
from tinytensor.testing import gradcheck, gradgradcheck

R = np.random.default_rng(2025)


def _np_softmax(s):
    """softmax over the last axis; rows that are all -inf give 0."""
    m = np.max(s, -1, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    e = np.exp(s - m)
    den = e.sum(-1, keepdims=True)
    return e / np.where(den == 0, 1.0, den)


def _np_probs(q, k, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale + bias) with rows whose keys are all masked giving 0."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = s + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    if causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    return _np_softmax(s)


def _np_sdpa(q, k, v, mask=None, causal=False, scale=None, keep=None):
    p = _np_probs(q, k, mask, causal, scale)
    return (p if keep is None else p * keep) @ v


def _t(a, grad=False):
    return tt.tensor(np.array(a), requires_grad=grad)


def _qkv(lead=(2, 3), L=3, S=5, E=4, Ev=2):
    return (R.standard_normal(lead + (L, E)), R.standard_normal(lead + (S, E)),
            R.standard_normal(lead + (S, Ev)))  # fmt: skip


_BOOL = np.array([[True, False, True, True, False],
                  [False, False, False, False, False],  # every key masked: a row of zeros
                  [False, True, True, False, True]])  # fmt: skip
_FLOAT = R.standard_normal((3, 5))

FUSED = {
    "plain": {},
    "bool-mask": {"attn_mask": _BOOL},
    "float-mask": {"attn_mask": _FLOAT},
    "causal-L<S": {"is_causal": True},
    "causal-and-float-mask": {"is_causal": True, "attn_mask": _FLOAT},
    "causal-and-bool-mask": {"is_causal": True, "attn_mask": _BOOL},
    "scale": {"scale": 0.3},
    "scale-and-mask": {"scale": 2.5, "attn_mask": _FLOAT},
}


def _call(q, k, v, kw, grad=False):
    kw = {n: (_t(a) if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
    return F.scaled_dot_product_attention(_t(q, grad), _t(k, grad), _t(v, grad), **kw)


@pytest.mark.parametrize("case", list(FUSED))
def test_fused_kernel_numpy_oracle_and_one_node(case):
    kw = FUSED[case]
    q, k, v = _qkv()
    out = _call(q, k, v, kw, grad=True)
    assert out.grad_fn.name() == "ScaledDotProductAttentionBackward"
    want = _np_sdpa(q, k, v, kw.get("attn_mask"), kw.get("is_causal", False), kw.get("scale"))
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-13)
    if case == "bool-mask":  # the fully masked query row gives exact zeros, no NaN
        np.testing.assert_array_equal(out.detach().numpy()[..., 1, :], 0.0)


def test_causal_with_more_queries_than_keys_and_unbatched_inputs():
    q, k, v = _qkv(lead=(), L=5, S=3)
    for kw in ({"is_causal": True}, {"is_causal": True, "scale": 0.7}):
        out = _call(q, k, v, kw).numpy()
        np.testing.assert_allclose(out, _np_sdpa(q, k, v, None, True, kw.get("scale")),
                                   rtol=1e-12, atol=1e-13)  # fmt: skip
    # query 0 sees key 0 only: its output is value row 0 exactly
    np.testing.assert_allclose(_call(q, k, v, {"is_causal": True}).numpy()[0], v[0], rtol=1e-14)


@pytest.mark.parametrize("case", ["float-mask", "causal-and-float-mask", "scale-and-mask"])
def test_composite_path_for_a_mask_that_needs_grad_numpy_oracle(case):
    kw = dict(FUSED[case])
    q, k, v = _qkv()
    m = _t(kw.pop("attn_mask"), grad=True)
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), m, **kw)
    assert out.grad_fn.name() != "ScaledDotProductAttentionBackward"
    want = _np_sdpa(q, k, v, m.detach().numpy(), kw.get("is_causal", False), kw.get("scale"))
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-13)


def test_a_mask_without_grad_and_no_mask_take_the_fused_node():
    q, k, v = _qkv()
    for mask in (None, _t(_FLOAT), _t(_BOOL)):
        out = F.scaled_dot_product_attention(_t(q, True), _t(k), _t(v), mask)
        assert out.grad_fn.name() == "ScaledDotProductAttentionBackward"
    out = F.scaled_dot_product_attention(_t(q, True), _t(k), _t(v), dropout_p=0.0)
    assert out.grad_fn.name() == "ScaledDotProductAttentionBackward"


def _keep(shape, p, seed):
    """The keep-mask scaled by 1/(1-p) that dropout draws after tt.manual_seed(seed)."""
    tt.manual_seed(seed)
    return F.dropout(tt.ones(*shape, dtype=tt.float64), p).numpy()


@pytest.mark.parametrize("kw", [{}, {"attn_mask": _BOOL, "is_causal": True}, {"scale": 0.4},
                                {"attn_mask": _FLOAT}], ids=["plain", "bool-causal", "scale",
                                                             "float"])  # fmt: skip
def test_dropout_is_the_seeded_keep_mask_on_the_probabilities(kw):
    q, k, v = _qkv()
    keep = _keep((2, 3, 3, 5), 0.3, seed=11)
    assert 0 < (keep == 0).sum() < keep.size
    tt.manual_seed(11)
    out = _call(q, k, v, {**kw, "dropout_p": 0.3}).numpy()
    want = _np_sdpa(q, k, v, kw.get("attn_mask"), kw.get("is_causal", False), kw.get("scale"),
                    keep=keep)  # fmt: skip
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-13)


def test_dropout_bounds_are_inclusive():
    q, k, v = _qkv()
    np.testing.assert_array_equal(_call(q, k, v, {"dropout_p": 1.0}).numpy(), 0.0)
    np.testing.assert_allclose(_call(q, k, v, {"dropout_p": 0.0}).numpy(), _np_sdpa(q, k, v),
                               rtol=1e-12)  # fmt: skip
    for p in (-0.01, 1.01):
        with pytest.raises(RuntimeError, match=f"between 0 and 1, but got {p}"):
            _call(q, k, v, {"dropout_p": p})


def test_huge_scores_do_not_overflow():
    # scores of order 1e3: exp without subtracting the row maximum gives inf/inf = NaN
    q, k, v = (a * 30.0 for a in _qkv())
    want = _np_sdpa(q, k, v, _FLOAT)
    assert np.isfinite(want).all()
    np.testing.assert_allclose(_call(q, k, v, {"attn_mask": _FLOAT}).numpy(), want,
                               rtol=1e-10, atol=1e-12)  # fmt: skip
    m = _t(_FLOAT, grad=True)  # the composite path's SafeSoftmax kernel too
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), m)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    q2 = -q  # large negative scores (max is then the least negative one)
    np.testing.assert_allclose(_call(q2, k, v, {}).numpy(), _np_sdpa(q2, k, v),
                               rtol=1e-10, atol=1e-12)  # fmt: skip


def test_no_keys_gives_zeros_of_the_value_width():
    q = R.standard_normal((2, 3))
    out = F.scaled_dot_product_attention(_t(q), tt.zeros(0, 3, dtype=tt.float64),
                                         tt.zeros(0, 4, dtype=tt.float64))  # fmt: skip
    assert tuple(out.shape) == (2, 4)
    np.testing.assert_array_equal(out.numpy(), 0.0)


def test_grouped_query_heads_three_d_and_gradients():
    q = R.standard_normal((4, 3, 2))  # (heads, L, E), no batch dim
    k = R.standard_normal((2, 5, 2))
    v = R.standard_normal((2, 5, 3))
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), enable_gqa=True).numpy()
    want = _np_sdpa(q, np.repeat(k, 2, 0), np.repeat(v, 2, 0))
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-13)
    args = tuple(_t(a, True) for a in (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                     args)  # fmt: skip


def test_grouped_query_errors_name_the_heads():
    q = _t(R.standard_normal((1, 6, 3, 2)))
    for kh, vh in ((4, 4), (2, 3), (0, 0)):
        k = _t(R.standard_normal((1, kh, 5, 2)))
        v = _t(R.standard_normal((1, vh, 5, 2)))
        with pytest.raises(RuntimeError, match=rf"query heads \(6\).*\({kh}, {vh}\)"):
            F.scaled_dot_product_attention(q, k, v, enable_gqa=True)


def test_sdpa_errors():
    q, k, v = (_t(a) for a in _qkv())
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: query"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(RuntimeError, match="source length"):
        F.scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        F.scaled_dot_product_attention(q, k, v, tt.zeros(3, 5, dtype=tt.float32))
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        F.scaled_dot_product_attention(q, k, v, tt.zeros(3, 5, dtype=tt.int64))
    # a float mask of the query's dtype is fine
    F.scaled_dot_product_attention(q, k, v, tt.zeros(3, 5, dtype=tt.float64))


def test_bool_mask_node_attribute_is_in_the_query_dtype():
    q, k, v = _qkv()
    out = F.scaled_dot_product_attention(_t(q, True), _t(k), _t(v), _t(_BOOL), scale=2)
    mask = out.grad_fn.attrs["attn_mask"]
    assert mask.dtype == tt.float64 and out.grad_fn.attrs["scale"] == 2.0
    np.testing.assert_array_equal(mask.numpy(), np.where(_BOOL, 0.0, -np.inf))


# --- gradients ---------------------------------------------------------------------------------

GRAD_CASES = {
    "bool-mask-with-empty-row": {"attn_mask": _BOOL[:, :4]},
    "causal-L<S": {"is_causal": True},
    "scale-float-mask": {"scale": 0.6, "attn_mask": _FLOAT[:, :4]},
}


def _small():
    q, k, v = _qkv(lead=(2,), L=3, S=4, E=2, Ev=2)
    return tuple(_t(a, True) for a in (q, k, v))


def _fn(kw):
    kw = {n: (_t(a) if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
    return lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw)


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_first_order_gradients_fused(case):
    assert gradcheck(_fn(GRAD_CASES[case]), _small())


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_second_order_gradients_fused(case):
    assert gradgradcheck(_fn(GRAD_CASES[case]), _small())


@pytest.mark.parametrize("causal", [False, True])
def test_composite_path_gradients_first_and_second_order(causal):
    q, k, v = _small()
    m = _t(_FLOAT[:, :4], grad=True)

    def fn(q, k, v, m):
        return F.scaled_dot_product_attention(q, k, v, m, is_causal=causal, scale=0.8)

    assert gradcheck(fn, (q, k, v, m))
    assert gradgradcheck(fn, (q, k, v, m))


@pytest.mark.parametrize("mask", [None, _BOOL[:, :4], _FLOAT[:, :4]], ids=["none", "bool", "float"])
def test_first_order_backward_uses_the_saved_probabilities(monkeypatch, mask):
    """Only a backward that builds a graph computes the probabilities again from q and k (with
    the same mask and scale: both give the same first derivatives)."""
    mask = None if mask is None else _t(mask)
    calls = []
    real = attention_module._probs

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(attention_module, "_probs", counting)
    q, k, v = _small()
    out = F.scaled_dot_product_attention(q, k, v, mask, is_causal=True, scale=0.7)
    g = tt.tensor(R.standard_normal(tuple(out.shape)))
    grads = tt.autograd.grad([out], [q, k, v], [g])
    assert calls == []
    out = F.scaled_dot_product_attention(q, k, v, mask, is_causal=True, scale=0.7)
    again = tt.autograd.grad([out], [q, k, v], [g], create_graph=True)
    assert calls == [1]
    for a, b in zip(grads, again):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert all(b.requires_grad for b in again)


def test_first_order_gradients_match_the_hand_derived_formula():
    q, k, v = _qkv(lead=(2,), L=3, S=4, E=3, Ev=2)
    g = R.standard_normal((2, 3, 2))
    scale = 0.45
    ts = tuple(_t(a, True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(*ts, _t(_BOOL[:, :4]), scale=scale)
    out.backward(tt.tensor(g))
    p = _np_probs(q, k, _BOOL[:, :4], scale=scale)
    o = p @ v
    ds = p * (g @ np.swapaxes(v, -1, -2) - (g * o).sum(-1, keepdims=True))
    want = (ds @ k * scale, np.swapaxes(ds, -1, -2) @ q * scale, np.swapaxes(p, -1, -2) @ g)
    for t, w in zip(ts, want):
        np.testing.assert_allclose(t.grad.numpy(), w, rtol=1e-11, atol=1e-13)


def test_sdpa_dropout_with_a_bool_mask_keeps_float32():
    q, k, v = (tt.tensor(a.astype(np.float32)) for a in _qkv())
    out = F.scaled_dot_product_attention(q, k, v, tt.tensor(_BOOL), dropout_p=0.2)
    assert out.dtype == tt.float32


def test_float32_stays_float32_on_the_fused_path_and_with_no_keys():
    q, k, v = (tt.tensor(a.astype(np.float32)) for a in _qkv())
    for kw in ({"is_causal": True}, {"attn_mask": tt.tensor(_BOOL)}, {}):
        out = F.scaled_dot_product_attention(q, k, v, **kw)
        assert out.dtype == tt.float32
    # batched, with batch (3) != queries (2): the empty key axis's zero maximum has the right shape
    q = tt.tensor(R.standard_normal((3, 2, 4)).astype(np.float32))
    k, v = tt.zeros(3, 0, 4), tt.zeros(3, 0, 5)
    out = F.scaled_dot_product_attention(q, k, v)
    assert tuple(out.shape) == (3, 2, 5) and out.dtype == tt.float32
    np.testing.assert_array_equal(out.numpy(), 0.0)


def test_grouped_heads_need_enable_gqa():
    q = _t(R.standard_normal((1, 6, 3, 2)))
    k = _t(R.standard_normal((1, 2, 5, 2)))
    with pytest.raises((RuntimeError, ValueError)):  # heads 6 and 2 do not broadcast
        F.scaled_dot_product_attention(q, k, k)
    assert tuple(F.scaled_dot_product_attention(q, k, k, enable_gqa=True).shape) == (1, 6, 3, 2)


@pytest.mark.parametrize("which", ["query", "key", "value"])
def test_sdpa_integer_input_is_a_type_error_naming_it(which):
    args = {n: _t(R.standard_normal((2, 3, 4))) for n in ("query", "key", "value")}
    args[which] = tt.tensor(np.ones((2, 3, 4), np.int64))
    with pytest.raises(TypeError, match=rf"^scaled_dot_product_attention: expected a floating "
                       rf"point {which}, got dtype"):  # fmt: skip
        F.scaled_dot_product_attention(**args)


def test_sdpa_messages_whole():
    q, k, v = (_t(a) for a in _qkv())
    with pytest.raises(RuntimeError, match=r"must share the embedding size \(query/key, last "
                       r"dim\) and the source length \(key/value, dim -2\)$"):  # fmt: skip
        F.scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(RuntimeError, match=r"^Expected attn_mask dtype to be bool or float or "
                       r"to match query dtype, but got attn_mask.dtype: "):  # fmt: skip
        F.scaled_dot_product_attention(q, k, v, tt.zeros(3, 5, dtype=tt.int64))
