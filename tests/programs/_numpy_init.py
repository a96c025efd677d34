"""``init_from_numpy``: the same starting weights under PyTorch and under tinytensor.

Shared by the ``prog_*.py`` programs. Like them it does ``import torch``, so under
``_runner.py --backend tinytensor`` (which imports the programs inside its alias) ``torch`` here
is tinytensor too; one interpreter runs one backend, so this module never mixes the two.
"""

import zlib

import numpy as np
import torch


def init_from_numpy(model, seed):
    """Give each parameter that is not all zeros or ones NumPy-drawn values: same start anywhere."""
    params = dict(model.named_parameters())
    state = model.state_dict()
    new_state = {}
    for name, value in state.items():
        if name in params and not bool(((value == 0) | (value == 1)).all()):
            fan_name = name.replace("bias", "weight")
            fan_in = state[fan_name][0].numel() if fan_name in state else value.numel()
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            bound = 1.0 / np.sqrt(fan_in)
            draw = rng.uniform(-bound, bound, size=tuple(value.shape)).astype(np.float32)
            new_state[name] = torch.tensor(draw)
        else:
            new_state[name] = value
    model.load_state_dict(new_state)
