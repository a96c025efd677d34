"""PyTorch interop: state dicts move both ways with identical outputs, DLPack shares memory, and
the README's training script runs on both libraries with the import as the only change."""

import re
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _warm(m, shape):
    m.train()
    with tt.no_grad():
        m(tt.randn(8, *shape))
    return m


# name -> (constructor args, kwargs, input shape without batch; "int:V" for token ids)
LAYERS = {
    "Linear": ((5, 3), {}, (5,)),
    "Bilinear": ((3, 4, 2), {}, "bilinear"),
    "Conv1d": ((2, 4, 3), {"stride": 2, "padding": 1}, (2, 9)),
    "Conv2d": ((2, 4, 3), {"groups": 2, "padding": "same"}, (2, 6, 6)),
    "Conv3d": ((2, 3, 2), {}, (2, 4, 4, 4)),
    "ConvTranspose1d": ((2, 3, 3), {"stride": 2}, (2, 5)),
    "ConvTranspose2d": ((2, 3, 3), {"stride": 2, "output_padding": 1}, (2, 4, 4)),
    "ConvTranspose3d": ((2, 2, 2), {}, (2, 3, 3, 3)),
    "BatchNorm1d": ((4,), {}, (4,)),
    "BatchNorm2d": ((3,), {}, (3, 4, 4)),
    "BatchNorm3d": ((2,), {}, (2, 3, 3, 3)),
    "InstanceNorm2d": ((3,), {"affine": True}, (3, 4, 4)),
    "LayerNorm": (((4, 5),), {}, (4, 5)),
    "GroupNorm": ((2, 4), {}, (4, 3, 3)),
    "RMSNorm": ((5,), {}, (3, 5)),
    "Embedding": ((10, 4), {}, "int:10"),
    "PReLU": ((3,), {}, (3, 4)),
    "RNN": ((4, 5), {"num_layers": 2}, (3, 4)),
    "LSTM": ((4, 5), {"bidirectional": True}, (3, 4)),
    "GRU": ((4, 5), {"batch_first": True}, (3, 4)),
    "MultiheadAttention": ((8, 2), {"batch_first": True}, "mha"),
    "TransformerEncoderLayer": ((8, 2, 16), {"batch_first": True, "dropout": 0.0}, (3, 8)),
}


def _inputs(spec, n=3):
    if spec == "bilinear":
        return (tt.randn(n, 3), tt.randn(n, 4))
    if spec == "mha":
        x = tt.randn(n, 3, 8)
        return (x, x, x)
    if isinstance(spec, str):
        return (tt.randint(0, int(spec.split(":")[1]), (n, 5)),)
    return (tt.randn(n, *spec),)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _outputs_match(ours, theirs, xs):
    with tt.no_grad(), torch.no_grad():
        want = _first(ours(*xs)).numpy()
        got = _first(theirs(*(torch.tensor(x.numpy()) for x in xs))).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_state_dict_both_ways(name):
    if not hasattr(nn, name):
        pytest.skip(f"tinytensor.nn.{name} does not exist yet")
    args, kwargs, spec = LAYERS[name]
    ours = getattr(nn, name)(*args, **kwargs)
    if name.startswith("BatchNorm"):
        _warm(ours, spec)
    ours.eval()
    theirs = getattr(torch.nn, name)(*args, **kwargs).eval()
    # tinytensor -> PyTorch
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    _outputs_match(ours, theirs, _inputs(spec))
    # PyTorch -> tinytensor: perturb PyTorch's weights first, so this direction is tested too
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict({k: tt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    _outputs_match(ours, theirs, _inputs(spec))


def test_dlpack_shares_memory_with_torch_and_numpy():
    t = tt.arange(6, dtype=tt.float32).reshape(2, 3)
    a, b = np.from_dlpack(t), torch.from_dlpack(t)
    t.add_(1)  # an in-place change is seen through both
    np.testing.assert_array_equal(a, t.numpy())
    np.testing.assert_array_equal(b.numpy(), t.numpy())
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


SCRIPT = """\
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(256, 4)
y = (x.sum(dim=1) > 0).long()
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(100):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
print(f"loss {loss.item():.3f}  accuracy {accuracy:.2f}")
"""
TINY = SCRIPT.replace(
    "import torch\nfrom torch import nn", "import tinytensor as torch\nfrom tinytensor import nn"
)


@pytest.mark.parametrize("source", [SCRIPT, TINY], ids=["torch", "tinytensor"])
def test_readme_script_runs_on_both(source, capsys):
    scope = {}
    exec(compile(source, "<readme>", "exec"), scope)
    assert scope["accuracy"] > 0.9
    assert "accuracy" in capsys.readouterr().out


def test_readme_shows_the_script():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Moving to PyTorch", 1)[-1]
    assert SCRIPT in section
    assert re.search(r"import tinytensor as torch", section)
