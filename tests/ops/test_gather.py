"""Reading and writing along a dim (tinytensor/ops/gather.py): the table-driven properties of
every row in ops/optable/gather.py (gather, scatter, scatter_add, index_select, index_add, take,
take_along_dim) and second-order gradients."""

from ops.harness import second_order_test, table_tests
from ops.optable import GATHER as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)
