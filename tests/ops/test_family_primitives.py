"""The creation, random, reduce, softmax, scan, sort and statistics families as primitives.

Each op's result comes out of a kernel that ``tinytensor.compiler``'s tracer can replay (no
graph break, output in a slot), random kernels draw from the global generator when they run
(so a replay draws fresh numbers), ops whose output shape depends on the values are
``data_dependent``, outputs like ``max(dim)``'s indices carry no gradient, and prod's gradient
follows PyTorch on zeros, NaN, inf and empty inputs. NumPy only (no torch needed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd.primitive import set_tracer
from tinytensor.compiler.trace import Tracer
from tinytensor.core import set_watcher
from tinytensor.ops import creation, random, reduce, sort, statistics


def _trace(fn, *args):
    """Run ``fn(*args)`` under a tracer; the tracer and the tensors it returned."""
    tr = Tracer()
    for i, a in enumerate(args):
        tr.add_argument(a, i)
    prev, prev_watcher = set_tracer(tr), set_watcher(tr)  # values reaching Python break too
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args)
    finally:
        set_tracer(prev)
        set_watcher(prev_watcher)
    outs = out if isinstance(out, tuple) else (out,)
    flat = []
    for o in outs:
        flat.extend(o if isinstance(o, tuple) else (o,))
    for o in flat:
        tr.output_slot(o)
    return tr, flat


X = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])

TRACEABLE = {
    "tensor": lambda a: tt.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "tensor_of_tensor": lambda a: tt.tensor(a, dtype=tt.float32),
    "as_tensor": lambda a: tt.as_tensor([1, 2, 3]),
    "asarray_cast": lambda a: tt.asarray(a, dtype=tt.float32),
    "scalar_tensor": lambda a: tt.scalar_tensor(2),
    "zeros": lambda a: tt.zeros(2, 3),
    "ones": lambda a: tt.ones(2, dtype=tt.int64),
    "empty": lambda a: tt.empty(3),
    "full": lambda a: tt.full((2,), 7.0),
    "full_tensor_value": lambda a: tt.full((3,), a[0, 0]),
    "zeros_like": lambda a: tt.zeros_like(a),
    "full_like": lambda a: tt.full_like(a, 0.5),
    "arange": lambda a: tt.arange(0, 2, 0.5),
    "linspace": lambda a: tt.linspace(0, 1, 5),
    "logspace": lambda a: tt.logspace(0, 2, 3),
    "eye": lambda a: tt.eye(2, 3),
    "hann_window": lambda a: tt.hann_window(6),
    "rand": lambda a: tt.rand(2, 3),
    "randn_like": lambda a: tt.randn_like(a),
    "randint": lambda a: tt.randint(0, 5, (4,)),
    "randperm": lambda a: tt.randperm(5),
    "normal": lambda a: tt.normal(a, 1.0),
    "bernoulli": lambda a: tt.bernoulli(tt.full((3,), 0.5)),
    "multinomial": lambda a: tt.multinomial(tt.ones(4), 2),
    "sum_int": lambda a: tt.sum(tt.tensor([1, 2], dtype=tt.int32)),
    "sum_dtype": lambda a: tt.sum(a, 1, dtype=tt.float32),
    "mean": lambda a: a.mean(0, keepdim=True),
    "prod": lambda a: a.prod(1),
    "max_dim": lambda a: a.max(1),
    "amin": lambda a: a.amin(),
    "argmax": lambda a: a.argmax(),
    "var": lambda a: a.var(1),
    "logsumexp": lambda a: a.logsumexp(0),
    "norm_p3": lambda a: a.norm(3, 1),
    "all": lambda a: (a > 0).all(1),
    "softmax": lambda a: a.softmax(1),
    "log_softmax": lambda a: a.log_softmax(0),
    "cumsum": lambda a: a.cumsum(1),
    "cumprod": lambda a: a.cumprod(1),
    "cummax": lambda a: tt.cummax(a, 1),
    "logcumsumexp": lambda a: tt.logcumsumexp(a, 1),
    "sort": lambda a: tt.sort(a, 1, descending=True),
    "argsort": lambda a: tt.argsort(a, 0),
    "topk": lambda a: tt.topk(a, 2),
    "kthvalue": lambda a: tt.kthvalue(a, 2, 1),
    "median": lambda a: tt.median(a),
    "mode": lambda a: tt.mode(a, 1),
    "quantile_tensor_q": lambda a: tt.quantile(a, tt.tensor([0.25, 0.5], dtype=tt.float64), 1),
    "searchsorted": lambda a: tt.searchsorted(tt.tensor([0.0, 1.0, 2.0]), a.float()),
    "isin": lambda a: tt.isin(a, tt.tensor([2.0, 3.0], dtype=tt.float64)),
    "nanmean": lambda a: tt.nanmean(a, 1),
    "count_nonzero": lambda a: tt.count_nonzero(a, 0),
    "histc": lambda a: tt.histc(a, bins=4),
    "histogram": lambda a: tt.histogram(a, bins=3),
}


@pytest.mark.parametrize("name", sorted(TRACEABLE))
def test_result_comes_out_of_a_kernel(name):
    tr, outs = _trace(TRACEABLE[name], tt.tensor(X))
    assert not tr.breaks, str(tr.breaks[0])
    assert tr.steps and outs


def test_random_kernels_draw_when_they_run():
    """A replay calls the kernel again: fresh numbers from the global generator, the same ones
    after re-seeding it (as eager calls give)."""
    attrs = {"shape": (4,), "dtype": np.dtype(np.float64), "generator": None}
    tt.manual_seed(3)
    a, b = random.RAND.kernel(**attrs), random.RAND.kernel(**attrs)
    assert not np.array_equal(a, b)
    tt.manual_seed(3)
    np.testing.assert_array_equal(tt.rand(4, dtype=tt.float64).numpy(), a)
    for prim in (random.RAND, random.RANDN, random.RANDINT, random.NORMAL, random.BERNOULLI,
                 random.MULTINOMIAL, random.RANDPERM, random.POISSON, random.BINOMIAL):  # fmt: skip
        assert prim.random
    assert not creation.ZEROS.random and not reduce.SUM.random


def test_value_shaped_ops_are_data_dependent():
    for prim in (sort.UNIQUE, sort.UNIQUE_CONSECUTIVE, statistics.BINCOUNT):
        assert prim.data_dependent
    tr, _ = _trace(lambda a: tt.unique(a), tt.tensor([3, 1, 3]))
    assert tr.breaks and "depends on the values" in tr.breaks[0].reason


def test_indices_outputs_have_no_gradient():
    x = tt.tensor(X, requires_grad=True)
    for values, indices in (x.max(1), tt.sort(x, 1), tt.topk(x, 2), tt.cummin(x, 1)):
        assert values.requires_grad and not indices.requires_grad
        assert indices.dtype == tt.int64


def test_max_dim_gradient_goes_to_the_returned_index():
    x = tt.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "values, expected",
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),  # prod / x
        ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),  # one zero: the product of the others
        ([0.0, 0.0, 4.0], [0.0, 0.0, 0.0]),  # several zeros in a full product: zeros
        ([np.nan, 2.0, 3.0], [np.nan, np.nan, np.nan]),  # NaN spreads (prod / x)
        ([np.inf, 2.0, 3.0], [np.nan, np.inf, np.inf]),  # inf / inf, as PyTorch
    ],
)
def test_prod_gradient_follows_pytorch(values, expected):
    x = tt.tensor(values, dtype=tt.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_prod_gradient_of_empty_and_by_dim_with_zeros():
    x = tt.zeros(2, 0, dtype=tt.float64, requires_grad=True)
    x.prod().backward()
    assert x.grad.shape == (2, 0)
    y = tt.tensor([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]], dtype=tt.float64, requires_grad=True)
    y.prod(1).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[6.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


def test_prod_double_backward_with_a_zero():
    """The ProdOthers kernel's own gradient: d2/dx_j dx_k prod(x) = prod of the other two."""
    x = tt.tensor([0.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    (g,) = tt.autograd.grad(x.prod(), x, create_graph=True)
    hessian = np.stack([tt.autograd.grad(g[k], x, retain_graph=True)[0].numpy()
                        for k in range(3)])  # fmt: skip
    np.testing.assert_array_equal(hessian, [[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
