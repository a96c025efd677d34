"""Transformer layers vs PyTorch from the same weights (float64: outputs, input and parameter
gradients, train with dropout 0 and eval), masks, PyTorch's nested-tensor inference path,
state_dict keys, and a training step of a small encoder."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

import tinytensor as tt
from nn.module_compare import compare

R = np.random.default_rng(7)
SRC, TGT = R.standard_normal((5, 3, 8)), R.standard_normal((4, 3, 8))
KPM = np.zeros((3, 5), bool)
KPM[1, 3:] = True
CONFIGS = {
    "default": {},
    "norm_first": {"norm_first": True},
    "gelu": {"activation": "gelu"},
    "batch_first": {"batch_first": True},
    "no_bias": {"bias": False},
}


def _inputs(cfg):
    if cfg.get("batch_first"):
        return SRC.transpose(1, 0, 2).copy(), TGT.transpose(1, 0, 2).copy()
    return SRC, TGT


def _pair(torch, name, *args, **kw):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor's note, in both libraries
        return getattr(tt.nn, name)(*args, dtype=tt.float64, **kw), getattr(torch.nn, name)(
            *args, **kw
        ).double()


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_encoder_layer_matches_torch(config, mode):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, "TransformerEncoderLayer", 8, 2, 16, 0.0, **CONFIGS[config])
    assert repr(ours).replace(", bias=True", "") == repr(theirs).replace(", bias=True", "")
    src, _ = _inputs(CONFIGS[config])

    def call(m, x, kpm):
        return m(x, src_key_padding_mask=kpm)

    compare(ours, theirs, [src, KPM], call, train=mode == "train")


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_transformer_matches_torch(config, mode):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, "Transformer", 8, 2, 2, 2, 16, 0.0, **CONFIGS[config])
    src, tgt = _inputs(CONFIGS[config])
    causal = tt.nn.Transformer.generate_square_subsequent_mask(4, dtype=tt.float64).numpy()

    def call(m, s, t, tgt_mask, kpm):
        return m(s, t, tgt_mask=tgt_mask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm)

    compare(ours, theirs, [src, tgt, causal, KPM], call, train=mode == "train", grad_inputs=[0, 1])


@pytest.mark.torch
def test_decoder_stack_with_float_masks_and_causal_hint():
    torch = pytest.importorskip("torch")
    layer_args = (8, 4, 16, 0.0)
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerDecoderLayer(*layer_args, norm_first=True)
    theirs = torch.nn.TransformerDecoder(t_layer, 2, torch.nn.LayerNorm(8)).double()
    o_layer = tt.nn.TransformerDecoderLayer(*layer_args, norm_first=True, dtype=tt.float64)
    ours = tt.nn.TransformerDecoder(o_layer, 2, tt.nn.LayerNorm(8, dtype=tt.float64))
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    memory_mask = R.standard_normal((4, 5))

    def call(m, t, mem, tm, mm):
        return m(t, mem, tgt_mask=tm, memory_mask=mm, tgt_is_causal=True)

    compare(ours, theirs, [TGT, SRC, causal, memory_mask], call, train=True, grad_inputs=[0, 1])


@pytest.mark.torch
def test_encoder_inference_zeroes_padded_positions_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(
        torch, "TransformerEncoderLayer", 8, 2, 16, 0.0, batch_first=True
    )  # the nested-tensor path needs batch_first and an even head count
    ours, theirs = tt.nn.TransformerEncoder(ours, 2), torch.nn.TransformerEncoder(theirs, 2)
    x = SRC.transpose(1, 0, 2).copy()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        want = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM)).numpy()
    with tt.no_grad():
        got = ours(tt.tensor(x), src_key_padding_mask=tt.tensor(KPM)).numpy()
    np.testing.assert_array_equal(got[1, 3:], 0.0)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_state_dict_keys_and_square_subsequent_mask():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tt.nn.Transformer(8, 2, 1, 1, 16)
    keys = list(m.state_dict())
    assert keys[:4] == [
        "encoder.layers.0.self_attn.in_proj_weight",
        "encoder.layers.0.self_attn.in_proj_bias",
        "encoder.layers.0.self_attn.out_proj.weight",
        "encoder.layers.0.self_attn.out_proj.bias",
    ]
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in keys
    assert "decoder.norm.weight" in keys and "encoder.norm.bias" in keys
    mask = tt.nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, np.triu(np.full((3, 3), -np.inf), 1))


def test_encoder_warns_when_nested_tensors_are_unused():
    layer = tt.nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.warns(UserWarning, match="batch_first was not True"):
        tt.nn.TransformerEncoder(layer, 2)


def test_transformer_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tt.nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="batch number"):
        m(tt.randn(5, 3, 8), tt.randn(4, 2, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        m(tt.randn(5, 3, 8), tt.randn(4, 3, 6))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        tt.nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_two_layer_encoder_trains_a_step():
    """d_model 64, 4 heads, sequence 32, batch 16: one SGD step gives a finite loss and changes
    every parameter; the time of a step is printed (run with -s)."""
    tt.manual_seed(0)
    layer = tt.nn.TransformerEncoderLayer(64, 4, 128, 0.1, batch_first=True)
    model = tt.nn.TransformerEncoder(layer, 2)
    opt = tt.optim.SGD(model.parameters(), lr=0.1)
    x, target = tt.randn(16, 32, 64), tt.randn(16, 32, 64)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    start = time.perf_counter()
    loss = tt.nn.functional.mse_loss(model(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"2-layer encoder train step: {time.perf_counter() - start:.3f} s")
    assert np.isfinite(loss.item())
    for b, p in zip(before, model.parameters()):
        assert not np.array_equal(b, p.detach().numpy())
