"""Joining and splitting (tinytensor/ops/join.py): the table-driven properties of every row in
ops/optable/join.py and second-order gradients."""

from ops.harness import second_order_test, table_tests
from ops.optable import JOIN as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)
