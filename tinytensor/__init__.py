"""tinytensor: an eager, tape-based autograd library on NumPy with a PyTorch-shaped API.

>>> import tinytensor as tt
>>> x = tt.tensor(2.0, requires_grad=True)
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
tensor(7.)
"""

# The method surface first: importing the module binds ``tinytensor.tensor`` to it, and the
# ``tensor`` function imported below must win that name.
from tinytensor.tensor import Tensor  # noqa: I001
from tinytensor import accelerator, autograd, backends, cuda, fft, linalg
from tinytensor.core.device import device, get_default_device, set_default_device
from tinytensor.core.size import Size
from tinytensor._format import set_printoptions
from tinytensor.types import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    broadcast_shapes,
    finfo,
    get_num_interop_threads,
    get_num_threads,
    iinfo,
    is_floating_point,
    is_nonzero,
    set_num_interop_threads,
    set_num_threads,
    typename,
)
from tinytensor._dtype import (
    bool_ as bool,  # noqa: A001 - PyTorch's name
)
from tinytensor._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from tinytensor.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from tinytensor.ops.creation import *  # noqa: F403
from tinytensor.ops.windows import *  # noqa: F403
from tinytensor.ops.random import *  # noqa: F403
from tinytensor.ops.compare import *  # noqa: F403
from tinytensor.ops.selection import *  # noqa: F403
from tinytensor.ops.binary import *  # noqa: F403
from tinytensor.ops.unary import *  # noqa: F403
from tinytensor.ops.explog import *  # noqa: F403
from tinytensor.ops.trig import *  # noqa: F403
from tinytensor.ops.index import *  # noqa: F403
from tinytensor.ops.gather import *  # noqa: F403
from tinytensor.ops.index_put import *  # noqa: F403
from tinytensor.ops.masked import *  # noqa: F403
from tinytensor.ops.scatter import *  # noqa: F403
from tinytensor.ops.scan import *  # noqa: F403
from tinytensor.ops.sort import *  # noqa: F403
from tinytensor.ops.join import *  # noqa: F403
from tinytensor.ops.statistics import *  # noqa: F403
from tinytensor.ops.linalg.products import *  # noqa: F403
from tinytensor.ops.linalg.factorizations import diag_embed, diagonal, slogdet
from tinytensor.ops.linalg.functions import matrix_exp, matrix_power
from tinytensor.ops.linalg.solvers import cholesky_solve
from tinytensor.ops.linalg.distances import *  # noqa: F403
from tinytensor.ops.linalg.legacy import *  # noqa: F403
from tinytensor.ops.softmax import log_softmax, softmax
from tinytensor.ops.special import (
    digamma,
    erf,
    erfc,
    erfinv,
    i0,
    lgamma,
    mvlgamma,
    polygamma,
)
from tinytensor.ops.unary import trunc as fix
from tinytensor import special
from tinytensor.ops.reduce import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    cumsum,
    logsumexp,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    norm,
    prod,
    std,
    std_mean,
    sum,  # noqa: A004
    var,
    var_mean,
)
from tinytensor.ops.shape import *  # noqa: F403
from tinytensor.ops.rearrange import *  # noqa: F403
from tinytensor.ops.pad import *  # noqa: F403

# Issue #11, the rest of the torch namespace (coverage: tests/test_coverage_torch.py).
from tinytensor import compat
from tinytensor import compiler
from tinytensor.compiler import compile  # noqa: A004 - PyTorch's name
from tinytensor import sparse
from tinytensor.sparse import sparse_coo, sparse_coo_tensor, spmm
from tinytensor._namespace.constants import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    e,
    inf,
    layout,
    legacy_contiguous_format,
    memory_format,
    nan,
    newaxis,
    pi,
    preserve_format,
    strided,
)
from tinytensor._namespace.dtype_rules import can_cast, promote_types, result_type
from tinytensor._namespace.switches import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    is_warn_always_enabled,
    set_anomaly_enabled,
    set_deterministic_debug_mode,
    set_flush_denormal,
    set_float32_matmul_precision,
    set_warn_always,
    use_deterministic_algorithms,
)
from tinytensor.autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from tinytensor.core.random import default_generator, initial_seed
from tinytensor._namespace.function_forms import *  # noqa: F403
from tinytensor._namespace.inplace_forms import *  # noqa: F403
from tinytensor._namespace.conventions import export_namespace as _export_namespace

concat = concatenate = cat  # noqa: F405 - the join family is star-imported
clip = clamp  # noqa: F405 - the pointwise families are star-imported
multiply = mul  # noqa: F405
subtract = sub  # noqa: F405
divide = true_divide = div  # noqa: F405
negative = neg  # noqa: F405
absolute = abs
greater = gt  # noqa: F405
less = lt  # noqa: F405

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16


def is_tensor(obj):
    """Whether ``obj`` is a tinytensor ``Tensor`` (a Parameter counts).

    >>> tt.is_tensor(tt.zeros(2)), tt.is_tensor([1, 2])
    (True, False)"""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """The number of elements of ``input`` (``input.numel()``): the product of its shape,
    1 for a 0-d tensor.

    >>> tt.numel(tt.zeros(2, 3))
    6"""
    return input.numel()


# The namespace door (tinytensor._namespace.conventions): out= and the NumPy-style keyword
# aliases, the same way for every op. The ops themselves, which Tensor's methods call, stay
# unwrapped.
_export_namespace(globals())

__version__ = "0.1.0"


# Submodules and tools that pull in more code are loaded on first use: ``tt.nn``, ``tt.optim``,
# ``tt.data``, ``tt.viz``, ``tt.testing``, ``tt.save``/``tt.load``.
_LAZY_MODULES = {"nn", "optim", "data", "viz", "testing", "utils", "onnx", "serialization",
                 "multiprocessing", "distributed", "distributions", "func"}  # fmt: skip
_LAZY_ATTRS = {"save": "tinytensor.serialization", "load": "tinytensor.serialization",
               "vmap": "tinytensor.func"}  # fmt: skip
# torch.conv2d and friends: the same function as nn.functional's (same positional signature).
_LAZY_ATTRS.update(
    dict.fromkeys(
        "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d pixel_shuffle "
        "pixel_unshuffle cosine_similarity pairwise_distance pdist selu celu threshold "
        "dropout prelu hardshrink".split(),
        "tinytensor.nn.functional",
    )
)


def __getattr__(name):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"tinytensor.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    # A PyTorch name left out on purpose (tt.lu, tt.jit) says why: compat.NOT_PLANNED's reason.
    reason = compat.NOT_PLANNED_MODULES.get(f"torch.{name}", compat.NOT_PLANNED["torch"].get(name))
    if reason is not None:
        raise AttributeError(f"tinytensor.{name} (torch.{name}) is not planned: {reason}")
    raise AttributeError(f"module 'tinytensor' has no attribute {name!r}")
