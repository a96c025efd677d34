"""``nn.utils``: gradient clipping, parameter flattening, parametrizations, weight/spectral norm.

``nn.utils.rnn`` (packing sequences) lives in its own module beside these.
"""

from tinytensor.nn.utils._clip import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]
