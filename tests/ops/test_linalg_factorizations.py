"""The one-node matrix ops of tt.linalg (tinytensor/ops/linalg/factorizations.py, solvers.py):
the table-driven properties of every row in ops/optable/linalg_factorizations.py (forward vs
NumPy, gradcheck, vs PyTorch) and second-order gradients. Degenerate input and semantics the
table cannot express are in test_linalg_semantics.py."""

from ops.harness import second_order_test, table_tests
from ops.optable import LINALG_FACTORIZATIONS as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES, deadline=None)
