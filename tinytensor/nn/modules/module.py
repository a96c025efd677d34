"""``torch.nn.modules.module``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.module import Module
from tinytensor.nn.modules._missing import not_planned

__all__ = [
    "Module",
]

# PyTorch's other names here: given from tinytensor.nn once it has them, else the reason.
_PYTORCH_ALSO = (
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_backward_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
)


def __getattr__(name):
    return not_planned(__name__, name, _PYTORCH_ALSO)
