"""histc with NaN or infinite values: PyTorch 2.13 raises RuntimeError ("range of [...] is not
finite") when the range it bins over (min and max, or the data's own range when min == max)
is not finite, and leaves NaN and infinite values outside a finite range uncounted."""

import numpy as np
import pytest

import tinytensor as tt

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "values, lo, hi, shown",
    [
        ([1.0, NAN, 2.0], 0, 0, r"\[nan, nan\]"),  # the data's range, through a NaN
        ([NAN], 1, 1, r"\[nan, nan\]"),  # min == max: the data's range
        ([1.0, INF, 2.0], 0, 0, r"\[1.0, inf\]"),
        ([-INF, 2.0], 0, 0, r"\[-inf, 2.0\]"),
        ([1.0, 2.0], NAN, 3, r"\[nan, 3.0\]"),
        ([1.0, 2.0], 0, INF, r"\[0.0, inf\]"),
        ([1.0, 2.0], -INF, INF, r"\[-inf, inf\]"),
    ],
)
def test_a_range_that_is_not_finite_raises(values, lo, hi, shown, dtype):
    x = tt.tensor(values, dtype=getattr(tt, dtype))
    with pytest.raises(RuntimeError, match=rf"^histc: range of {shown} is not finite .*finite"):
        tt.histc(x, bins=4, min=lo, max=hi)
    with pytest.raises(RuntimeError, match="not finite"):
        x.histc(bins=4, min=lo, max=hi)


def test_values_outside_a_finite_range_are_not_counted():
    x = tt.tensor([1.0, NAN, 2.0, INF, -INF])
    np.testing.assert_array_equal(tt.histc(x, bins=4, min=0, max=3).numpy(), [0, 1, 1, 0])
    assert tt.histc(tt.tensor([]), bins=3).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.torch
@pytest.mark.parametrize(
    "values, lo, hi",
    [
        ([1.0, NAN, 2.0], 0, 0),
        ([1.0, NAN, 2.0], 0, 3),
        ([1.0, INF, 2.0], 0, 0),
        ([1.0, INF, 2.0, -INF], -1, 3),
        ([1.0, 2.0], NAN, 3),
        ([1.0, 2.0], 0, INF),
        ([NAN], 1, 1),
        ([2.0, 2.0], 0, 0),
        ([], 0, 0),
    ],
)
def test_matches_torch(values, lo, hi):
    torch = pytest.importorskip("torch")
    got = []
    for lib in (torch, tt):
        try:
            got.append(lib.histc(lib.tensor(values), bins=4, min=lo, max=hi).tolist())
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            got.append(type(e).__name__)
    assert got[0] == got[1]
