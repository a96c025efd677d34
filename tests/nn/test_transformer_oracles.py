"""Transformer layers without torch: each layer rebuilt from its own submodules (norm_first or
not, encoder and decoder, masks, activations, batch_first), LayerNorm against NumPy, the
encoder/decoder stacks as their layers applied in turn (with the inference path's zeros at
padded positions), and Transformer as decoder(tgt, encoder(src))."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn

R = np.random.default_rng(61)
D, H, FF = 8, 2, 16


def _perturb(m):
    with tt.no_grad():  # non-trivial LayerNorm affine and biases
        for p in m.parameters():
            p.add_(tt.tensor(R.standard_normal(tuple(p.shape)) * 0.3))
    return m


def _np_layer_norm(x, ln):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + ln.eps)
    return y * ln.weight.detach().numpy() + ln.bias.detach().numpy()


def _attn(mha, q, kv, mask, kpm):
    return mha(q, kv, kv, attn_mask=mask, key_padding_mask=kpm)[0]


def _ff(layer, x):
    return layer.linear2(layer.activation(layer.linear1(x)))


def encoder_by_hand(layer, x, mask=None, kpm=None):
    if layer.norm_first:
        x = x + _attn(layer.self_attn, layer.norm1(x), layer.norm1(x), mask, kpm)
        return x + _ff(layer, layer.norm2(x))
    x = layer.norm1(x + _attn(layer.self_attn, x, x, mask, kpm))
    return layer.norm2(x + _ff(layer, x))


def decoder_by_hand(layer, x, mem, tgt_mask=None, mem_mask=None, tgt_kpm=None, mem_kpm=None):
    if layer.norm_first:
        x = x + _attn(layer.self_attn, layer.norm1(x), layer.norm1(x), tgt_mask, tgt_kpm)
        x = x + _attn(layer.multihead_attn, layer.norm2(x), mem, mem_mask, mem_kpm)
        return x + _ff(layer, layer.norm3(x))
    x = layer.norm1(x + _attn(layer.self_attn, x, x, tgt_mask, tgt_kpm))
    x = layer.norm2(x + _attn(layer.multihead_attn, x, mem, mem_mask, mem_kpm))
    return layer.norm3(x + _ff(layer, x))


def _masks(n, s):
    """A causal float mask and a float key padding mask (-inf on the last two keys of
    sequence 0): both float, as PyTorch asks."""
    kpm = np.zeros((n, s))
    kpm[0, -2:] = -np.inf
    mask = nn.Transformer.generate_square_subsequent_mask(s, dtype=tt.float64)
    return mask, tt.tensor(kpm)


LAYER_CASES = {
    "post-norm-relu": dict(),
    "pre-norm-relu": dict(norm_first=True),
    "pre-norm-gelu-batch-first": dict(norm_first=True, activation="gelu", batch_first=True),
    "post-norm-callable-batch-first": dict(activation=F.silu, batch_first=True),
}


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masks"])
@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_encoder_layer_rebuilt_from_its_submodules(name, masked):
    cfg = LAYER_CASES[name]
    layer = _perturb(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=tt.float64, **cfg))
    x = tt.tensor(R.standard_normal((2, 5, D) if cfg.get("batch_first") else (5, 2, D)))
    mask, kpm = _masks(2, 5) if masked else (None, None)
    got = layer(x, src_mask=mask, src_key_padding_mask=kpm)
    want = encoder_by_hand(layer, x, mask, kpm)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masks"])
@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_decoder_layer_rebuilt_from_its_submodules(name, masked):
    cfg = LAYER_CASES[name]
    layer = _perturb(nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, dtype=tt.float64, **cfg))
    bf = cfg.get("batch_first")
    x = tt.tensor(R.standard_normal((2, 4, D) if bf else (4, 2, D)))
    mem = tt.tensor(R.standard_normal((2, 6, D) if bf else (6, 2, D)))
    kw, hand = {}, ()
    if masked:
        tgt_mask, tgt_kpm = _masks(2, 4)
        mem_kpm = tt.tensor(np.array([[0.0] * 5 + [-np.inf], [0.0] * 6]))
        mem_mask = tt.tensor(R.standard_normal((4, 6)))
        kw = dict(tgt_mask=tgt_mask, memory_mask=mem_mask, tgt_key_padding_mask=tgt_kpm,
                  memory_key_padding_mask=mem_kpm)  # fmt: skip
        hand = (tgt_mask, mem_mask, tgt_kpm, mem_kpm)
    got = layer(x, mem, **kw)
    want = decoder_by_hand(layer, x, mem, *hand)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-11, atol=1e-12)


def test_layer_norm_numpy_oracle_and_norm_first_differs():
    """The rebuild above trusts LayerNorm: check it in NumPy; and norm_first must change the
    result (a layer ignoring the flag would pass a rebuild that also ignored it)."""
    ln = _perturb(nn.LayerNorm(D, dtype=tt.float64))
    x = R.standard_normal((3, 4, D)) * 2 + 1
    np.testing.assert_allclose(ln(tt.tensor(x)).detach().numpy(), _np_layer_norm(x, ln),
                               rtol=1e-11, atol=1e-12)  # fmt: skip
    post = _perturb(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=tt.float64))
    pre = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, norm_first=True, dtype=tt.float64)
    pre.load_state_dict(post.state_dict())
    xt = tt.tensor(x)
    assert not np.allclose(pre(xt).detach().numpy(), post(xt).detach().numpy(), atol=1e-3)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_is_its_layers_in_turn(norm_first):
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first,
                                       dtype=tt.float64)  # fmt: skip
    enc = _perturb(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(D, dtype=tt.float64),
                                         enable_nested_tensor=False))  # fmt: skip
    x = tt.tensor(R.standard_normal((5, 2, D)))
    mask, kpm = _masks(2, 5)
    got = enc(x, mask=mask, src_key_padding_mask=kpm)
    want = x
    for lay in enc.layers:
        want = encoder_by_hand(lay, want, mask, kpm)
    want = enc.norm(want)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-11, atol=1e-12)


def test_encoder_inference_path_zeroes_padded_positions():
    """In eval, without grad, with a left-aligned key padding mask and no attention mask,
    PyTorch's nested-tensor path gives 0 at padded positions (before the final norm) and the
    layers' values elsewhere."""
    layer = nn.TransformerEncoderLayer(D, H, FF, batch_first=True, dtype=tt.float64)
    enc = _perturb(nn.TransformerEncoder(layer, 2)).eval()
    x = tt.tensor(R.standard_normal((2, 5, D)))
    kpm = tt.tensor(np.array([[False] * 3 + [True] * 2, [False] * 5]))
    with tt.no_grad():
        got = enc(x, src_key_padding_mask=kpm).numpy()
        want = x
        for lay in enc.layers:
            want = encoder_by_hand(lay, want, None, kpm)
    want = want.numpy()
    pad = kpm.numpy()  # (N, S)
    assert np.all(got[pad] == 0)
    np.testing.assert_allclose(got[~pad], want[~pad], rtol=1e-11, atol=1e-12)


def test_transformer_is_decoder_of_encoder():
    tt.manual_seed(4)
    model = nn.Transformer(D, H, 2, 2, FF, dropout=0.0, batch_first=True, dtype=tt.float64)
    model = _perturb(model)
    src = tt.tensor(R.standard_normal((2, 6, D)))
    tgt = tt.tensor(R.standard_normal((2, 4, D)))
    tgt_mask = model.generate_square_subsequent_mask(4, dtype=tt.float64)
    got = model(src, tgt, tgt_mask=tgt_mask)
    mem = src
    for lay in model.encoder.layers:
        mem = encoder_by_hand(lay, mem)
    mem = model.encoder.norm(mem)
    out = tgt
    for lay in model.decoder.layers:
        out = decoder_by_hand(lay, out, mem, tgt_mask)
    out = model.decoder.norm(out)
    np.testing.assert_allclose(got.detach().numpy(), out.detach().numpy(), rtol=1e-10, atol=1e-12)
