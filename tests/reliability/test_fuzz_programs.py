"""Random programs, run in tinytensor and in PyTorch, must agree on every value and gradient.

The fuzzer lives in ``progfuzz.py`` (engine) and ``progfuzz_table.py`` (the op table, with
generators in ``progfuzz_ops.py``, ``progfuzz_shapes.py`` and ``progfuzz_nn.py`` (pooling and
convolution)); ``progfuzz_compiled.py`` replays a program through ``tt.compile``. More examples:
``TT_FUZZ_EXAMPLES=10000 HYPOTHESIS_PROFILE=dev python -m pytest
tests/reliability/test_fuzz_programs.py``.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from progfuzz import generate  # noqa: E402
from progfuzz_compiled import compiled_mismatch, same_numbers, sinks  # noqa: E402

_N = os.environ.get("TT_FUZZ_EXAMPLES")
_SETTINGS = settings(max_examples=int(_N)) if _N else settings()


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_match_pytorch(data):
    generate(data)


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_compiled_equal_eager(data):
    """The same random programs through tt.compile: traced, then replayed twice (the second
    time on reused buffers), every value the same numbers as eager's, every gradient within
    rounding (``progfuzz_compiled``) (a program with a graph break runs eagerly)."""
    r = generate(data)
    # Every value a result, or only the values nothing reads: then the intermediates are the
    # compiled program's private values, kept in reused buffers.
    returns = sinks(r.steps) if data.draw(st.booleans(), label="only sinks") else None
    mismatch = compiled_mismatch(r.steps, returns=returns)
    assert mismatch is None, f"compiled differs from eager: {mismatch}\nreturns={returns}\n{r}"


@pytest.mark.torch  # the module needs torch (progfuzz imports it)
def test_compiled_values_compare_as_numbers():
    """The relu/max-pool reorder may turn a -0.0 into +0.0: equal numbers, other bytes."""
    neg, pos = np.array([-0.0, np.nan, 1.5]), np.array([0.0, np.nan, 1.5])
    assert neg.tobytes() != pos.tobytes()
    assert same_numbers(neg, pos)
    assert not same_numbers(neg, np.array([0.0, np.nan, 1.5 + 1e-15]))
    assert not same_numbers(neg, np.array([0.0, 0.0, 1.5]))  # a NaN equals only a NaN
    assert not same_numbers(neg, neg.reshape(1, 3))
    assert not same_numbers(neg, neg.astype(np.float32))


@pytest.mark.torch
def test_pool_windows_and_tie_guard():
    """The max-pooling guard's windows (NumPy only): padding is -inf, ceil_mode adds a
    window that runs past the end, and a tie within MARGIN is refused."""
    from progfuzz_nn import MARGIN, tie_free, windows

    x = np.array([[[1.0, 5.0, 2.0, 4.0]]])
    w = windows(x, 1, [2], [1], [1], [1], False)
    inf = np.inf
    want = [[-inf, 1.0], [1.0, 5.0], [5.0, 2.0], [2.0, 4.0], [4.0, -inf]]
    np.testing.assert_array_equal(w[0, 0], want)
    w = windows(x[..., :3], 1, [2], [2], [0], [1], True)  # (1, 5), then (2, past the end)
    np.testing.assert_array_equal(w[0, 0], [[1.0, 5.0], [2.0, -inf]])
    w = windows(np.arange(9.0).reshape(1, 3, 3), 2, [2, 2], [1, 1], [0, 0], [2, 1], False)
    np.testing.assert_array_equal(w[0], [[[0.0, 1.0, 6.0, 7.0], [1.0, 2.0, 7.0, 8.0]]])
    p = {"_k": [2], "_s": [1], "_p": [0], "_d": [1], "ceil_mode": False}
    assert tie_free(np.array([[[1.0, 3.0, 2.0]]]), 1, p)
    assert not tie_free(np.array([[[1.0, 3.0, 3.0 - MARGIN / 2]]]), 1, p)
    assert not tie_free(np.array([[[0.0, 0.0, 2.0]]]), 1, p)
    assert tie_free(np.array([[[0.0, 0.0, 2.0]]]), 1, p, skip_zero_top=True)


@pytest.mark.torch
def test_pool_windows_are_pytorchs():
    """Each window's maximum is PyTorch's pooled value, on every shape PyTorch accepts, and
    ``out_size`` refuses exactly the arguments PyTorch refuses."""
    from progfuzz_nn import out_size, windows

    rng = np.random.default_rng(0)
    checked = 0
    for nd in (1, 2):
        pool = getattr(torch.nn.functional, f"max_pool{nd}d")
        for _ in range(60):
            sp = [int(v) for v in rng.integers(1, 7, nd)]
            x = rng.uniform(-2, 2, (*rng.integers(1, 3, rng.integers(1, 3)), *sp))
            ks = [int(rng.choice([2, 3])) for _ in range(nd)]
            ss = [int(rng.integers(1, k + 1)) for k in ks]
            ps = [int(rng.integers(0, k // 2 + 1)) for k in ks]
            ds = [int(rng.choice([1, 2])) for _ in range(nd)]
            ceil = bool(rng.integers(0, 2))
            valid = all(out_size(sp[a], ks[a], ss[a], ps[a], ds[a], ceil) >= 1 for a in range(nd))
            try:
                want = pool(torch.tensor(x), ks, ss, ps, ds, ceil).numpy()
            except RuntimeError:
                assert not valid
                continue
            assert valid
            np.testing.assert_array_equal(windows(x, nd, ks, ss, ps, ds, ceil).max(-1), want)
            checked += 1
    assert checked > 60


@pytest.mark.torch
@pytest.mark.parametrize(
    ("pre", "fused", "grad", "want"),
    [
        ([], True, True, ["MaxPool2D", "Relu", "Mul"]),  # the fused op: reordered
        ([], True, False, ["MaxPool2D", "Relu", "Mul"]),
        ([["relu", [0], {}]], True, True, ["Relu", "MaxPool2D", "Relu", "Mul"]),  # 2nd relu
        ([["relu", [0], {}]], False, True, ["Relu", "MaxPool2D"]),  # h = relu(x) kept: not
    ],
)
def test_fuzzer_rows_make_the_reorder_pattern(pre, fused, grad, want):
    """The relu_max_pool rows give tt.compile the pattern its relu/max-pool reorder rewrites
    (and the kept-relu variant one it must leave alone), so the fuzzer exercises it."""
    from progfuzz_compiled import as_function, run_leaves

    import tinytensor as tt

    leaf = {"shape": [2, 2, 4, 4], "seed": 3, "grad": grad}
    kw = {"kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1, "ceil_mode": False}
    pool = ["relu_max_pool2d", [0], {**kw, "then": "scale"}] if fused else ["max_pool2d", [1], kw]
    steps = [["leaf", [], leaf], *pre, pool]
    f = tt.compile(as_function(steps, returns=sinks(steps)))
    for _ in range(2):
        run_leaves(f, [leaf])
    (entry,) = [e for e in f.entries if e.program is not None]
    assert [s[1] for s in entry.program.steps if s[0] == "forward"] == want
    assert compiled_mismatch(steps) is None
