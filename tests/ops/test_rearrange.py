"""The ops that rearrange elements (tinytensor/ops/rearrange.py: flip, flipud/fliplr, roll, rot90,
repeat, tile, repeat_interleave, tril/triu, tril/triu_indices, unfold; and diag/diagflat): the
table-driven properties of every row in ops/optable/rearrange.py, second-order gradients, and
tril_indices/triu_indices against NumPy and PyTorch."""

import numpy as np

from ops.harness import no_gradient_tests, second_order_test, table_tests
from ops.optable import REARRANGE as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


def _i64(*arrays):
    return tuple(np.asarray(a).astype(np.int64) for a in arrays)


NO_GRADIENT = {
    "tril_indices": (
        lambda m, x: m.tril_indices(x.shape[0], x.shape[1], -1),
        lambda x: _i64(np.stack(np.tril_indices(x.shape[0], -1, x.shape[1]))),
    ),
    "triu_indices": (
        lambda m, x: m.triu_indices(x.shape[0], x.shape[1] + 1, 1),
        lambda x: _i64(np.stack(np.triu_indices(x.shape[0], 1, x.shape[1] + 1))),
    ),
}

test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch = no_gradient_tests(NO_GRADIENT)
