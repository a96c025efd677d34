"""Padding (tinytensor/ops/pad.py): the table-driven properties of every row in
ops/optable/pad.py (constant, reflect, replicate and circular modes) and second-order
gradients."""

from ops.harness import second_order_test, table_tests
from ops.optable import PAD as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)
