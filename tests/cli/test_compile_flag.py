"""``tinytensor train --compile`` trains to the same weights as the eager run, bitwise."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.cli import main

pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")


@pytest.mark.parametrize("arch", ["mlp", "conv(4,3) relu maxpool(2) flatten linear(10)"])
def test_compile_flag_equals_the_eager_run(tmp_path, capsys, arch):
    runs = {}
    for flag in ([], ["--compile"]):
        out = tmp_path / ("c" if flag else "e")
        argv = ["train", "--arch", arch, "--epochs", "2", "--no-progress", "--out", str(out)]
        assert main(argv + flag) == 0
        text = capsys.readouterr().out
        acc = re.search(r"test accuracy: ([\d.]+)%", text).group(1)
        runs[bool(flag)] = (acc, tt.load(out / "checkpoint.npz"))
    (acc_e, blob_e), (acc_c, blob_c) = runs[False], runs[True]
    assert acc_e == acc_c
    model_e, model_c = blob_e["state_dict"], blob_c["state_dict"]
    assert model_e.keys() == model_c.keys()
    for k in model_e:
        assert np.array_equal(np.asarray(model_e[k]), np.asarray(model_c[k])), k


def test_compile_is_allowed_with_resume(tmp_path):
    out = tmp_path / "r"
    argv = ["train", "--arch", "mlp", "--epochs", "1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    assert main(["train", "--resume", str(out), "--epochs", "2", "--compile", "--no-progress"]) == 0
    assert int(tt.load(out / "checkpoint.npz")["epoch"]) == 2
