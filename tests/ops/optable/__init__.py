"""The op table: one row per differentiable op of SPEC section 3 (nn layer ops excluded).

>>> from ops.optable import ALL_CASES
>>> case = ALL_CASES[0]            # OpCase(name, fn, np_ref, torch_fn, inputs, ...)
>>> sample = data.draw(case.inputs)   # inside a hypothesis test
>>> case.fn(*sample.args, **sample.kwargs)

Rows are grouped by the module of ``tinytensor.ops`` they test; ``ALL_CASES`` is all of them.
"""

from ._base import OpCase, Sample
from .elementwise import CASES as ELEMENTWISE
from .fft import CASES as FFT
from .index import CASES as INDEX
from .linalg import CASES as LINALG
from .linalg_ext import CASES as LINALG_EXT
from .math import CASES as MATH
from .misc2 import CASES as MISC2
from .reduce import CASES as REDUCE
from .shape import CASES as SHAPE
from .shape_ext import CASES as SHAPE_EXT
from .sorting import CASES as SORTING

ALL_CASES = (
    ELEMENTWISE
    + REDUCE
    + SHAPE
    + INDEX
    + LINALG
    + LINALG_EXT
    + FFT
    + MATH
    + SORTING
    + SHAPE_EXT
    + MISC2
)
BY_NAME = {c.name: c for c in ALL_CASES}
assert len(BY_NAME) == len(ALL_CASES), "op-table row names must be unique"

__all__ = [
    "ALL_CASES",
    "BY_NAME",
    "ELEMENTWISE",
    "FFT",
    "INDEX",
    "LINALG",
    "LINALG_EXT",
    "MATH",
    "MISC2",
    "OpCase",
    "REDUCE",
    "SHAPE",
    "SHAPE_EXT",
    "SORTING",
    "Sample",
]
