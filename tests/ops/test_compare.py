"""Comparisons and predicates (tinytensor/ops/compare.py): the table-driven properties of every row
in ops/optable/compare.py (forward against NumPy and PyTorch; none has a gradient), then semantics
the table cannot express."""

from hypothesis import settings

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import COMPARE as CASES

# Fewer examples than the profile's default (these rows had 8 in the former math table).
test_forward_and_gradient, test_matches_torch = (
    settings(max_examples=8)(t) for t in table_tests(CASES)
)


# --- semantics ----------------------------------------------------------------------------------


def test_comparisons_return_bool_tensors_without_grad():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, 2 < x, tt.eq(x, 2.0)):
        assert out.dtype is tt.bool and not out.requires_grad and out.grad_fn is None
    assert (x > 2).tolist() == [False, False, True]
    assert (2.0 >= x).tolist() == [True, True, False]
