"""``tinytensor.nn.functional``: the math behind every layer and loss, as plain functions.

Layers hold parameters and call these; use them directly for stateless code, e.g.
``F.cross_entropy(F.linear(x, w, b), y)``.
"""

from tinytensor.nn.functional.activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
)
from tinytensor.nn.functional.conv import conv2d, fold, unfold
from tinytensor.nn.functional.dropout import dropout, dropout2d
from tinytensor.nn.functional.linear import bilinear, linear
from tinytensor.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from tinytensor.nn.functional.normalization import batch_norm, group_norm, layer_norm, normalize
from tinytensor.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tinytensor.nn.functional.sparse import embedding, one_hot
from tinytensor.ops.shape import pad

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "group_norm",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
    "unfold",
]
