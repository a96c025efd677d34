"""Activation layers: thin modules over ``nn.functional``."""

from __future__ import annotations

from tinytensor.nn import functional as F
from tinytensor.nn.module import Module


class _Inplace(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """max(x, 0)"""

    def forward(self, input):
        return F.relu(input, self.inplace)


class ReLU6(_Inplace):
    """min(max(x, 0), 6)"""

    def forward(self, input):
        return F.relu6(input, self.inplace)


class SiLU(_Inplace):
    """x*sigmoid(x)"""

    def forward(self, input):
        return F.silu(input, self.inplace)


class SELU(_Inplace):
    """scale * (x if x > 0 else alpha * (e^x - 1)), with PyTorch's constants
    alpha = 1.6733 and scale = 1.0507 (self-normalising). Any shape; output has the input's.

    >>> nn.SELU()(tinytensor.tensor([-1.0, 0.0, 1.0]))
    tensor([-1.1113,  0.0000,  1.0507])
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope*x"""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha*(e^x - 1)"""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x*Phi(x) (exact) or its tanh approximation"""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val): -1 below -1, x in between, 1 above (by default).
    Any shape; output has the input's.

    >>> nn.Hardtanh()(tinytensor.tensor([-2.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else ""
        )


class Softplus(Module):
    """log(1 + e^(beta*x)) / beta, a smooth relu; where beta*x > threshold it returns x
    (the two agree there to float precision). Any shape; output has the input's.

    >>> nn.Softplus()(tinytensor.tensor([-1.0, 0.0, 30.0]))
    tensor([ 0.3133,  0.6931, 30.0000])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Sigmoid(Module):
    """1/(1 + e^-x)"""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x), in (-1, 1). Any shape; output has the input's.

    >>> nn.Tanh()(tinytensor.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7616])
    """

    def forward(self, input):
        return F.tanh(input)


class LogSigmoid(Module):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow. Any shape.

    >>> nn.LogSigmoid()(tinytensor.tensor([0.0, -100.0]))
    tensor([  -0.6931, -100.0000])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Mish(Module):
    """x * tanh(softplus(x)), a smooth, non-monotonic relu. Any shape.

    >>> nn.Mish()(tinytensor.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.3034,  0.0000,  0.8651])
    """

    def forward(self, input):
        return F.mish(input)


class Softsign(Module):
    """x / (1 + |x|), in (-1, 1). Any shape.

    >>> nn.Softsign()(tinytensor.tensor([-3.0, 1.0]))
    tensor([-0.7500,  0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class Softmax(Module):
    """e^x / sum(e^x) along ``dim``"""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x - logsumexp(x) along ``dim``"""

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(Softmax):
    """e^-x / sum(e^-x) along ``dim``: softmax of -x, so the smallest entry gets the most
    weight. Any shape; each slice along ``dim`` sums to 1.

    >>> nn.Softmin(dim=0)(tinytensor.tensor([1.0, 2.0]))
    tensor([0.7311, 0.2689])
    """

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)
