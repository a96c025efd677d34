"""Export of attention (MultiheadAttention, the transformer layers, functional sdpa) and of
functional conv/pool calls outside a layer: the checker passes, and ONNX Runtime and
tt.onnx.load match tinytensor at a batch size other than the exported one."""

import numpy as np
import pytest
from onnx_helpers import check_roundtrip, export_bytes, ort_run

import tinytensor as tt
import tinytensor.nn.functional as F
import tinytensor.onnx  # noqa: F401  (tt.onnx)
from tinytensor import nn

E, H = 8, 2


def padding_mask(n, s, first=2):
    """(n, s) bool, True at padded keys: row i keeps its first ``first + i % (s-first)``."""
    keep = first + np.arange(n) % (s - first)
    return tt.tensor(np.arange(s)[None, :] >= keep[:, None])


class SelfAttention(nn.Module):
    def __init__(self, batch_first, **kw):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, H, batch_first=batch_first, **kw)

    def forward(self, x, kpm):
        return self.attn(x, x, x, key_padding_mask=kpm)  # (output, averaged weights)


class CrossAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, H, kdim=6, vdim=5)  # sequence first

    def forward(self, q, k, v, kpm, mask):
        out, _ = self.attn(q, k, v, key_padding_mask=kpm, attn_mask=mask, need_weights=False)
        return out


def test_multihead_attention_batch_first_with_key_padding_mask():
    check_roundtrip(SelfAttention(True), lambda n: (tt.randn(n, 5, E), padding_mask(n, 5)))


def test_multihead_attention_sequence_first_per_head_weights():
    class M(SelfAttention):
        def forward(self, x, kpm):
            return self.attn(x, x, x, key_padding_mask=kpm, average_attn_weights=False)

    check_roundtrip(M(False), lambda n: (tt.randn(4, n, E), padding_mask(n, 4)), dynamic=[1, 0])


def test_multihead_attention_cross_kdim_vdim_masks():
    mask = tt.randn(3, 6) * 0.5  # a float (L, S) mask
    check_roundtrip(
        CrossAttention(),
        lambda n: (
            tt.randn(3, n, E), tt.randn(6, n, 6), tt.randn(6, n, 5),
            tt.where(padding_mask(n, 6, 3), float("-inf"), 0.0), mask,  # a float padding mask
        ),
        dynamic=[1, 1, 1, 0, None],
    )  # fmt: skip


class Encoder(nn.Module):
    def __init__(self, norm_first, batch_first=True):
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            E, H, 16, dropout=0.1, batch_first=batch_first, norm_first=norm_first
        )
        self.enc = nn.TransformerEncoder(
            layer, 2, norm=nn.LayerNorm(E), enable_nested_tensor=not norm_first
        )

    def forward(self, x, kpm):
        return self.enc(x, src_key_padding_mask=kpm)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_two_layers_key_padding_mask(norm_first):
    # norm_first=False takes PyTorch's nested-tensor path: padded positions come out as 0.
    check_roundtrip(Encoder(norm_first), lambda n: (tt.randn(n, 5, E), padding_mask(n, 5)))


def test_transformer_encoder_causal_mask_gelu():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(E, H, 16, activation="gelu", norm_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

        def forward(self, x, mask):
            return self.enc(x, mask=mask)

    mask = nn.Transformer.generate_square_subsequent_mask(4)
    check_roundtrip(M(), lambda n: (tt.randn(4, n, E), mask), dynamic=[1, None])


def test_transformer_decoder_layer_masks():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.dec = nn.TransformerDecoderLayer(E, H, 16, batch_first=True)

        def forward(self, tgt, memory, tgt_mask, memory_kpm):
            return self.dec(
                tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=memory_kpm,
                tgt_is_causal=True,
            )  # fmt: skip

    causal = tt.tensor(np.triu(np.ones((4, 4), bool), 1))  # a bool mask: True is masked
    check_roundtrip(
        M(),
        lambda n: (tt.randn(n, 4, E), tt.randn(n, 6, E), causal, padding_mask(n, 6)),
        dynamic=[0, 0, None, 0],
    )


def test_transformer():
    model = nn.Transformer(E, H, 1, 1, 16, batch_first=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.t = model

        def forward(self, src, tgt, mask, kpm):
            return self.t(src, tgt, tgt_mask=mask, src_key_padding_mask=kpm,
                          memory_key_padding_mask=kpm)  # fmt: skip

    check_roundtrip(
        M(),
        lambda n: (tt.randn(n, 5, E), tt.randn(n, 3, E), mask, padding_mask(n, 5)),
        dynamic=[0, 0, None, 0],
    )


class FunctionalAttention(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.qkv = nn.Linear(E, 3 * E)
        self.causal = causal

    def forward(self, x, keep=None):
        q, k, v = self.qkv(x).reshape(x.shape[0], x.shape[1], 3, H, E // H).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, is_causal=self.causal)
        return out.transpose(1, 2).reshape(x.shape[0], x.shape[1], E)


def test_functional_sdpa_causal():
    check_roundtrip(FunctionalAttention(True), lambda n: (tt.randn(n, 5, E),))


def test_functional_sdpa_bool_mask():
    # (N, 1, 1, S) bool, True where a key is attended; row 0 of batch item 0 attends nothing.
    def make(n):
        keep = ~padding_mask(n, 5)
        return tt.randn(n, 5, E), keep.reshape(n, 1, 1, 5)

    check_roundtrip(FunctionalAttention(False), make)


def test_functional_sdpa_fully_masked_row_gives_zeros():
    keep = tt.zeros(1, 1, 1, 5, dtype=tt.bool)
    blob = export_bytes(FunctionalAttention(False), (tt.randn(2, 5, E), keep))
    with tt.no_grad():
        out = tt.onnx.load(blob)(tt.randn(3, 5, E), keep)
    assert np.isfinite(out.numpy()).all()
    assert np.isfinite(ort_run(blob, [tt.randn(3, 5, E), keep])[0]).all()


class FunctionalCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(tt.randn(4, 2, 3, 3) * 0.3)
        self.b1 = nn.Parameter(tt.randn(4) * 0.1)
        self.w2 = nn.Parameter(tt.randn(4, 1, 3, 3) * 0.3)  # depthwise
        self.wt = nn.Parameter(tt.randn(4, 3, 2, 2) * 0.3)  # conv_transpose (in, out, k)

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.w1, self.b1, stride=1, padding=1))
        x = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
        x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), self.w2, groups=4, dilation=1)
        y = F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)
        y = F.conv_transpose2d(y, self.wt, stride=2, output_padding=1)
        z = F.adaptive_avg_pool2d(x, (2, 3)) + F.adaptive_max_pool2d(x, 1)
        return y, z, F.conv1d(x.flatten(2), self.w1[:, :, 0, :].repeat(1, 2, 1), padding="same")


def test_functional_conv_and_pool_in_custom_module():
    check_roundtrip(FunctionalCNN(), lambda n: (tt.randn(n, 2, 9, 9),))


def test_functional_constant_pad_value_and_interpolate():
    class M(nn.Module):
        def forward(self, x):
            x = F.pad(x, (1, 2, 0, 1), value=-3.0)
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    check_roundtrip(M(), lambda n: (tt.randn(n, 2, 4, 5),))


def test_multihead_attention_unbatched():
    class M(nn.Module):
        def __init__(self, **kw):
            super().__init__()
            self.attn = nn.MultiheadAttention(E, H, **kw)

        def forward(self, x, mask):
            return self.attn(x, x, x, attn_mask=mask)

    mask = tt.tensor(np.triu(np.ones((4, 4), bool), 1))
    check_roundtrip(M(), lambda n: (tt.randn(4, E), mask), dynamic=[None, None])


def test_multihead_attention_bias_kv_and_zero_attn():
    class M(SelfAttention):
        def forward(self, x, kpm):
            return self.attn(x, x, x, key_padding_mask=kpm, attn_mask=tt.zeros(5, 5, dtype=tt.bool))

    model = M(True, add_bias_kv=True, add_zero_attn=True)
    check_roundtrip(model, lambda n: (tt.randn(n, 5, E), padding_mask(n, 5)))


def test_transformer_encoder_padding_not_at_the_end_keeps_values():
    # PyTorch's nested-tensor path (zeros at padded keys) only applies when every row's padding
    # is at its end; the graph checks that on the mask it is given.
    model = Encoder(False).eval()
    blob = export_bytes(model, (tt.randn(2, 5, E), padding_mask(2, 5)))
    kpm = tt.tensor(np.array([[True, False, False, False, False]] * 3))
    x = tt.randn(3, 5, E)
    with tt.no_grad():
        want = model(x, kpm).numpy()
    assert np.abs(want).sum(-1).min() > 0
    np.testing.assert_allclose(ort_run(blob, [x, kpm])[0], want, atol=1e-5, rtol=1e-5)
