"""The device idiom of PyTorch programs runs unchanged, honestly CPU-only."""

from __future__ import annotations

import pytest

import tinytensor as tt


def test_the_usual_opening_lines_pick_the_cpu():
    device = tt.device("cuda" if tt.cuda.is_available() else "cpu")
    assert device == tt.device("cpu") == "cpu"
    assert repr(device) == "device(type='cpu')" and str(device) == "cpu"
    x = tt.randn(2, 3, device=device).to(device, non_blocking=True)
    assert x.device == device and x.device.type == "cpu" and not x.is_cuda
    m = tt.nn.Linear(3, 1).to(device)
    assert m(x).shape == (2, 1)


def test_cuda_accelerator_and_backends_say_no():
    assert tt.cuda.is_available() is False and tt.cuda.device_count() == 0
    tt.cuda.manual_seed(0)
    tt.cuda.manual_seed_all(0)
    assert tt.accelerator.is_available() is False
    assert tt.accelerator.current_accelerator() is None
    assert tt.backends.mps.is_available() is False
    tt.backends.cudnn.deterministic = True  # programs set these; no effect on the CPU
    tt.backends.cudnn.benchmark = False


def test_device_parsing():
    assert tt.device("cuda:1").index == 1 and tt.device("cuda", 0).type == "cuda"
    assert tt.device(tt.device("cpu")) == tt.device("cpu")
    with pytest.raises(RuntimeError, match="device type"):
        tt.device("gpu")


@pytest.mark.parametrize(
    "call",
    [
        lambda: tt.zeros(2, device="cuda"),
        lambda: tt.tensor([1.0], device="mps"),
        lambda: tt.ones(2).to("cuda"),
        lambda: tt.ones(2).to(tt.device("cuda", 0)),
        lambda: tt.ones(2).cuda(),
        lambda: tt.nn.Linear(2, 2).cuda(),
        lambda: tt.nn.Linear(2, 2).to("cuda"),
        lambda: tt.set_default_device("cuda"),
    ],
    ids=["zeros", "tensor", "to-str", "to-device", "cuda", "module-cuda", "module-to", "default"],
)
def test_other_devices_are_a_clear_error(call):
    with pytest.raises(RuntimeError, match="CPU only"):
        call()


def test_to_keeps_dtype_rules_and_copy():
    x = tt.tensor([1.0, 2.0])
    assert x.to("cpu") is x
    assert x.to("cpu", tt.float64).dtype == tt.float64
    assert x.to(device="cpu", dtype=tt.float64).dtype == tt.float64
    y = x.to("cpu", copy=True)
    assert y is not x and y.tolist() == x.tolist()
    y.add_(1)
    assert x.tolist() == [1.0, 2.0]


def test_set_default_device_cpu():
    tt.set_default_device("cpu")
    assert tt.get_default_device() == "cpu"
    tt.set_default_device(None)
