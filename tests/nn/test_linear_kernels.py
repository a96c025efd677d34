"""linear's forward kernel: the swapped product `(W @ x^T)^T` taken by short, wide float32
products gives the same numbers, in C order, as `x @ W^T` and the float64 reference, on the
shapes that take it and those beside them."""

import importlib
import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

_lin = importlib.import_module("tinytensor.nn.functional.linear")


def _swaps(m, n, k, dtype=np.float32):
    return dtype == np.float32 and 8 <= m and 4 * m <= n and m * n * k >= _lin._SWAP_MIN_WORK


@pytest.mark.parametrize(
    "m, n, k, dtype",
    [
        (64, 256, 784, np.float32),  # swapped
        (16, 256, 784, np.float32),  # swapped
        (8, 256, 256, np.float32),  # swapped: the fewest rows
        (7, 256, 784, np.float32),  # too few rows
        (65, 256, 784, np.float32),  # 4 * rows > outputs
        (64, 255, 784, np.float32),
        (8, 32, 64, np.float32),  # too little work
        (64, 256, 784, np.float64),  # float64 keeps x @ W^T
        (128, 256, 784, np.float32),
    ],
)
def test_linear_forward_equals_the_float64_product_in_c_order(m, n, k, dtype):
    rng = np.random.default_rng(m + n + k)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    assert _swaps(m, n, k, dtype) == (
        (m, n, k, dtype) in {(64, 256, 784, np.float32), (16, 256, 784, np.float32),
                             (8, 256, 256, np.float32)}
    )  # fmt: skip
    out = F.linear(tt.tensor(x), tt.tensor(w), tt.tensor(b)).numpy()
    assert out.dtype == dtype and out.shape == (m, n) and out.flags.c_contiguous
    want = x.astype(np.float64) @ w.astype(np.float64).T + b
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol * np.sqrt(k))
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-6, atol=1e-5)
    assert tt.tensor(out).is_contiguous()


def test_swapped_product_of_a_folded_batch_and_without_bias():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 16, 300)).astype(np.float32)  # 32 rows folded: swapped
    w = rng.standard_normal((512, 300)).astype(np.float32)
    assert _swaps(32, 512, 300)
    out = F.linear(tt.tensor(x), tt.tensor(w)).numpy()
    assert out.shape == (2, 16, 512) and out.flags.c_contiguous
    np.testing.assert_allclose(out, x @ w.T, rtol=1e-6, atol=1e-4)
    xp = tt.tensor(x.transpose(1, 0, 2).copy()).permute(1, 0, 2)  # a permuted input
    np.testing.assert_allclose(F.linear(xp, tt.tensor(w)).numpy(), out, rtol=1e-6, atol=1e-5)


def test_one_dimensional_input_and_gradients_through_the_swapped_product():
    rng = np.random.default_rng(8)
    w = tt.tensor(rng.standard_normal((256, 200)).astype(np.float32), requires_grad=True)
    v = rng.standard_normal(200).astype(np.float32)
    np.testing.assert_allclose(F.linear(tt.tensor(v), w).detach().numpy(),
                               w.detach().numpy() @ v, rtol=1e-5, atol=1e-4)  # fmt: skip
    x = tt.tensor(rng.standard_normal((16, 200)).astype(np.float32), requires_grad=True)
    g = rng.standard_normal((16, 256)).astype(np.float32)
    F.linear(x, w).backward(tt.tensor(g))
    wd = w.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), g @ wd, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.detach().numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.torch
def test_swapped_linear_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((32, 400)).astype(np.float32)
    w = rng.standard_normal((512, 400)).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)
    got = F.linear(tt.tensor(x), tt.tensor(w), tt.tensor(b)).numpy()
    want = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("strict", ["warnings", "raise"])
def test_linear_and_its_gradients_overflow_to_inf_quietly(strict):
    # NaN and inf follow IEEE silently, as in PyTorch: with warnings made errors, or NumPy set
    # to raise, no NumPy warning or error leaks and the results are IEEE's.
    big = np.float32(1e30)
    x = tt.tensor(np.full((3, 4), big), requires_grad=True)
    w = tt.tensor(np.full((20, 4), big), requires_grad=True)  # 4 * rows > 20: x @ W^T
    b = tt.tensor(np.full(20, -1.0, np.float32), requires_grad=True)
    xs = tt.tensor(np.full((16, 64), big), requires_grad=True)  # the swapped product
    ws = tt.tensor(np.full((512, 64), big), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise" if strict == "raise" else "warn"):
        warnings.simplefilter("error" if strict == "warnings" else "ignore")
        y = F.linear(x, w, b)
        y.backward(tt.tensor(np.full((3, 20), 3e38, np.float32)))  # db: 9e38 overflows
        ys = F.linear(xs, ws)
        ys.backward(tt.tensor(np.full((16, 512), big)))
    assert np.all(np.isposinf(y.detach().numpy()))
    assert np.all(np.isinf(ys.detach().numpy()))
    assert np.all(np.isinf(x.grad.numpy())) and np.all(np.isinf(w.grad.numpy()))
    assert np.all(np.isposinf(b.grad.numpy()))
