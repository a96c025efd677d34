"""``tinytensor.nn``: modules, layers, containers, losses, ``functional``, ``init``, ``utils``.

Layers hold parameters and call ``nn.functional`` for the math. Names, constructor arguments,
defaults, default initialisation and state_dict keys are PyTorch's.
"""

from tinytensor.nn import functional, init, utils
from tinytensor.nn.activation import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)
from tinytensor.nn.containers import ModuleDict, ModuleList, Sequential
from tinytensor.nn.conv import Conv2d
from tinytensor.nn.dropout import Dropout, Dropout2d
from tinytensor.nn.embedding import Embedding
from tinytensor.nn.flatten import Flatten, Unflatten
from tinytensor.nn.linear import Bilinear, Identity, Linear, Maxout
from tinytensor.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from tinytensor.nn.module import Module
from tinytensor.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from tinytensor.nn.parameter import Parameter
from tinytensor.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinytensor.nn.rnn import LSTM, RNN, LSTMCell, RNNCell


__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "GroupNorm",
    "Hardtanh",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Maxout",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiMarginLoss",
    "NLLLoss",
    "Parameter",
    "RNN",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sequential",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softsign",
    "Tanh",
    "Unflatten",
    "functional",
    "init",
    "utils",
]
