"""The op table: one row per differentiable op of SPEC section 3 (nn layer ops excluded).

>>> from ops.optable import ALL_CASES
>>> case = ALL_CASES[0]            # OpCase(name, fn, np_ref, torch_fn, inputs, ...)
>>> sample = data.draw(case.inputs)   # inside a hypothesis test
>>> case.fn(*sample.args, **sample.kwargs)

Rows are grouped by the family of ``tinytensor.ops`` they test, one module per family
(``sort.py`` for ``ops/sort.py``, ``linalg_products.py`` for ``ops/linalg/products.py``...),
each with its test module ``tests/ops/test_<family>.py``; ``ALL_CASES`` is all of them.
"""

from ._base import OpCase, Sample
from .binary import CASES as BINARY
from .compare import CASES as COMPARE
from .explog import CASES as EXPLOG
from .fft import CASES as FFT
from .gather import CASES as GATHER
from .index import CASES as INDEX
from .join import CASES as JOIN
from .linalg_factorizations import CASES as LINALG_FACTORIZATIONS
from .linalg_functions import CASES as LINALG_FUNCTIONS
from .linalg_products import CASES as LINALG_PRODUCTS
from .masked import CASES as MASKED
from .pad import CASES as PAD
from .rearrange import CASES as REARRANGE
from .reduce import CASES as REDUCE
from .scan import CASES as SCAN
from .scatter import CASES as SCATTER
from .selection import CASES as SELECTION
from .shape import CASES as SHAPE
from .softmax import CASES as SOFTMAX
from .sort import CASES as SORT
from .special import CASES as SPECIAL
from .statistics import CASES as STATISTICS
from .trig import CASES as TRIG
from .unary import CASES as UNARY

ALL_CASES = (
    COMPARE
    + SELECTION
    + BINARY
    + UNARY
    + EXPLOG
    + TRIG
    + REDUCE
    + SHAPE
    + JOIN
    + REARRANGE
    + PAD
    + INDEX
    + GATHER
    + MASKED
    + SCATTER
    + LINALG_PRODUCTS
    + LINALG_FACTORIZATIONS
    + LINALG_FUNCTIONS
    + FFT
    + SPECIAL
    + SOFTMAX
    + SORT
    + SCAN
    + STATISTICS
)
BY_NAME = {c.name: c for c in ALL_CASES}
assert len(BY_NAME) == len(ALL_CASES), "op-table row names must be unique"

__all__ = [
    "ALL_CASES",
    "BY_NAME",
    "BINARY",
    "COMPARE",
    "EXPLOG",
    "FFT",
    "GATHER",
    "INDEX",
    "JOIN",
    "LINALG_FACTORIZATIONS",
    "LINALG_FUNCTIONS",
    "LINALG_PRODUCTS",
    "MASKED",
    "PAD",
    "OpCase",
    "REARRANGE",
    "REDUCE",
    "SCAN",
    "SCATTER",
    "SELECTION",
    "SHAPE",
    "SOFTMAX",
    "SORT",
    "SPECIAL",
    "STATISTICS",
    "Sample",
    "TRIG",
    "UNARY",
]
