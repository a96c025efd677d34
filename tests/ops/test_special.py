"""Special functions (tinytensor/ops/special.py): the table-driven properties of every row in
ops/optable/special.py (forward, gradient, PyTorch, second derivatives)."""

from hypothesis import settings

from ops.harness import table_tests
from ops.optable import SPECIAL as CASES
from ops.optable._pointwise import second_derivative_test

# Fewer examples than the profile's default (these rows had 8 in the former math table).
test_forward_and_gradient, test_matches_torch = (
    settings(max_examples=8)(t) for t in table_tests(CASES)
)
test_second_derivatives = second_derivative_test(CASES)
