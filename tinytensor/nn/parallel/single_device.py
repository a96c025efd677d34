"""``nn.DataParallel`` and ``nn.parallel.data_parallel`` on the one device tinytensor has.

PyTorch's DataParallel splits a batch across GPUs in one process; on a CPU it simply runs the
module, and so does this: the wrapper exists so programs written for it run, with the same
``module.`` state-dict prefix. For several processes use ``DistributedDataParallel``.
"""

from __future__ import annotations

from tinytensor.nn.module import Module

_CPU = (None, "cpu", -1)


def _check_devices(device_ids, output_device, what):
    ids = [] if device_ids is None else list(device_ids)
    bad = [d for d in ids if str(d) not in ("cpu",) and d not in _CPU]
    if bad or (output_device not in _CPU and str(output_device) != "cpu"):
        raise ValueError(
            f"{what}: device_ids={device_ids!r}, output_device={output_device!r} name GPUs; "
            "tinytensor computes on the CPU only: leave them out (or use DistributedDataParallel "
            "with several processes)"
        )


class DataParallel(Module):
    """Runs ``module`` on the CPU, the only device (PyTorch's DataParallel with no GPUs does
    the same); ``self.module`` is the wrapped module."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        _check_devices(device_ids, output_device, "DataParallel")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """``module(*inputs, **module_kwargs)`` on the CPU (PyTorch's functional DataParallel)."""
    _check_devices(device_ids, output_device, "data_parallel")
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return module(*inputs, **(module_kwargs or {}))
