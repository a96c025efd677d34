"""Bad-input matrix for tinytensor.data: datasets, loaders, splits and collation.

Same contract as the core and nn matrices (``badinput.run_row``): a clear error raised by
tinytensor itself, naming what was wrong, and nothing in the environment changed.
"""

from __future__ import annotations

import pytest
from badinput import Bad, run_row

import tinytensor as tt
from tinytensor import data


class Env(dict):
    __getattr__ = dict.__getitem__


def make_env():
    x, y = tt.arange(20.0).reshape(10, 2), tt.arange(10)
    ds = data.TensorDataset(x, y)
    return Env(x=x, y=y, ds=ds, loader=data.DataLoader(ds, batch_size=4))


R = Bad
ROWS = [
    R("TensorDataset-sizes", lambda e: data.TensorDataset(e.x, tt.arange(9)), "10", "9"),
    R("TensorDataset-not-tensor", lambda e: data.TensorDataset(e.x, [1, 2]), "list|Tensor"),
    R("TensorDataset-index", lambda e: e.ds[10], "10"),
    R("DataLoader-batch-zero", lambda e: data.DataLoader(e.ds, batch_size=0), "batch_size", "0"),
    R("DataLoader-batch-negative", lambda e: data.DataLoader(e.ds, batch_size=-2), "batch_size",
      "-2"),
    R("DataLoader-batch-float", lambda e: data.DataLoader(e.ds, batch_size=2.5), "batch_size",
      "2.5"),
    R("DataLoader-not-dataset", lambda e: next(iter(data.DataLoader(5))), "int|dataset"),
    R("random_split-sum", lambda e: data.random_split(e.ds, [3, 3]), "random_split|sum", "10"),
    R("random_split-negative", lambda e: data.random_split(e.ds, [12, -2]), "-2|negative"),
    R("random_split-fractions", lambda e: data.random_split(e.ds, [0.5, 0.7]), "1|sum"),
    R("Subset-index", lambda e: data.Subset(e.ds, [0, 12])[1], "12"),
    R("ConcatDataset-empty", lambda e: data.ConcatDataset([]), "empty|ConcatDataset"),
    R("default_collate-ragged", lambda e: data.default_collate([tt.ones(2), tt.ones(3)]),
      "(2,)|2", "(3,)|3"),
    R("default_collate-mixed", lambda e: data.default_collate([(tt.ones(2), 1), (tt.ones(2),)]),
      "collate|size|length"),
    R("MNIST-missing", lambda e: data.datasets.MNIST("/nonexistent/tt-data", train=False),
      "/nonexistent/tt-data|MNIST", raises=(RuntimeError, FileNotFoundError, OSError)),
]  # fmt: skip


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id, marks=r.marks) for r in ROWS])
def test_bad_input_gives_clear_error_and_changes_nothing(row):
    run_row(row, make_env)
