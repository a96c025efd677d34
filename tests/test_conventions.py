"""PyTorch's calling conventions, applied once at the namespace door (tinytensor/_namespace/):
``out=`` on every public function whose PyTorch twin takes one (and on no other), the NumPy-style
keyword aliases (``axis``, ``keepdims``...) wherever the parameter exists, the in-place twin of
every method and function that has one in PyTorch, and the ops behind the door left unwrapped.

The parity tests read PyTorch's own signatures: the Python binding's stubs
(``torch/_C/_VariableFunctions.pyi``, one ``def`` per parser overload) for ``torch.X``, the first
line of the docstring for ``torch.linalg``/``special``/``fft`` (their documented signature), and
``inspect.signature`` for the functions PyTorch writes in Python.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor._namespace.conventions import NO_OUT
from tinytensor.compat import NOT_PLANNED
from tinytensor.ops import (
    binary,
    compare,
    explog,
    index,
    join,
    masked,
    reduce,
    scan,
    scatter,
    selection,
    shape,
    sort,
    special,
    statistics,
    trig,
    unary,
)
from tinytensor.ops.linalg import factorizations, functions, legacy, products

NAMESPACES = {"": tt, "linalg": tt.linalg, "special": tt.special, "fft": tt.fft}


def _ops(prefix):
    """{name: function} of the ops a namespace exports through the door."""
    module = NAMESPACES[prefix]
    names = module.__all__ if hasattr(module, "__all__") else dir(module)
    out = {}
    for name in names:
        fn = getattr(module, name, None)
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        if inspect.unwrap(fn).__module__.startswith(
            ("tinytensor.ops.", "tinytensor.fft", "tinytensor.linalg", "tinytensor.special")
        ):
            out[name] = fn
    return out


def _takes(fn, param):
    return param in inspect.signature(fn).parameters


# --- NumPy only ---------------------------------------------------------------------------------


def test_out_on_ops_that_lacked_it():
    x = tt.tensor([0.25, 0.5])
    for name, ref in [("sinh", np.sinh), ("expm1", np.expm1), ("tan", np.tan), ("log2", np.log2)]:
        out = tt.empty(2)
        got = getattr(tt, name)(x, out=out)
        assert got is out, name
        np.testing.assert_allclose(out.numpy(), ref(x.numpy()), rtol=1e-6, err_msg=name)


def test_out_is_cast_resized_and_refused_with_grad():
    x = tt.tensor([1.0, 2.0, 3.0])
    out = tt.empty(0, dtype=tt.float64)
    tt.cumprod(x, 0, out=out)  # an empty out is resized silently, and float32 casts up
    assert out.dtype == tt.float64 and out.tolist() == [1.0, 2.0, 6.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        tt.sinh(x, out=tt.empty(3, dtype=tt.int64))
    w = tt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tt.hypot(w, w, out=tt.empty(1))
    with tt.no_grad():
        assert tt.hypot(w, w, out=tt.empty(1)).tolist() == pytest.approx([2**0.5])


def test_numpy_aliases_on_every_dim_op():
    m = tt.tensor([[3.0, 1.0], [2.0, 4.0]])
    assert tt.cumprod(m, axis=0).tolist() == [[3.0, 1.0], [6.0, 4.0]]
    assert tt.median(m, axis=0).values.tolist() == [2.0, 1.0]
    assert tt.logcumsumexp(m, axis=1).shape == (2, 2)
    assert tt.nansum(m, axis=1, keepdims=True).tolist() == [[4.0], [6.0]]
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        tt.cumprod(m, dim=0, axis=0)


def test_every_dim_parameter_takes_axis():
    """The door gives ``axis`` wherever an exported op has ``dim`` (and ``keepdims`` for
    ``keepdim``): checked by calling each with ``axis`` in place of a valid ``dim``."""
    x = tt.tensor([[1.0, 2.0], [3.0, 4.0]])
    checked = 0
    for name, fn in _ops("").items():
        params = inspect.signature(inspect.unwrap(fn)).parameters
        if "dim" not in params or "axis" in params:
            continue
        try:
            want = fn(x, dim=1)
        except Exception:  # noqa: BLE001 - ops needing more than (x, dim) are covered above
            continue
        got = fn(x, axis=1)
        pairs = zip(want, got) if isinstance(want, tuple) else [(want, got)]
        for w, g in pairs:
            np.testing.assert_array_equal(np.asarray(g.numpy()), np.asarray(w.numpy()), name)
        checked += 1
    assert checked > 30


def test_no_out_names_exist_and_aliases_stay_one_object():
    for prefix, names in NO_OUT.items():
        stale = sorted(n for n in names if not hasattr(NAMESPACES[prefix], n))
        assert not stale, f"NO_OUT[{prefix!r}] names what the namespace lacks: {stale}"
    assert tt.clip is tt.clamp and tt.concat is tt.cat and tt.arctan2 is tt.atan2
    assert tt.special.gammaln is tt.lgamma and tt.special.expit is tt.sigmoid


def test_the_ops_behind_the_door_are_unwrapped():
    """Tensor's methods call the ops, which carry no wrapper: the door is tt.X only."""
    assert tt.sinh is not trig.sinh and inspect.unwrap(tt.sinh) is trig.sinh
    families = (compare, selection, binary, unary, explog, trig, special)
    families += (reduce, scan, shape, index, masked, scatter, sort, statistics, join)
    for module in families + (products, factorizations, functions, legacy):
        wrapped = [
            n
            for n, f in vars(module).items()
            if getattr(f, "_tt_door", False) and f.__module__ == module.__name__
        ]
        assert not wrapped, f"{module.__name__}: ops wrapped in their module: {wrapped}"
    assert tt.reshape is not shape.reshape and tt.matmul is not products.matmul
    x = tt.tensor([0.5])
    assert tt.sinh(x).tolist() == x.sinh().tolist()


# --- against PyTorch's signatures ------------------------------------------------------------


def _torch():
    return pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 (CPU build)"
    )


def _torch_params(torch, prefix, name):
    """The parameter names of each of PyTorch's overloads of ``torch[.prefix].name``."""
    if prefix == "":
        stubs = Path(torch.__file__).parent / "_C" / "_VariableFunctions.pyi"
        overloads = _stub_overloads(stubs).get(name)
        if overloads:
            return overloads
    fn = getattr(getattr(torch, prefix) if prefix else torch, name)
    try:
        return [list(inspect.signature(fn).parameters)]
    except (TypeError, ValueError):
        pass
    first = (fn.__doc__ or "").strip().split("\n")[0]
    match = re.match(r"[\w.]+\((.*)\)", first)
    if match:
        return [[p.split("=")[0].strip() for p in match.group(1).split(",")]]
    # An undocumented builtin: its ATen schemas (each overload's argument names).
    op = f"aten::{prefix + '_' if prefix else ''}{name}"
    schemas = torch._C._jit_get_schemas_for_operator(op)
    assert schemas, f"no signature for torch.{prefix}.{name}"
    return [[a.name for a in s.arguments] for s in schemas]


_STUBS: dict = {}


def _stub_overloads(path):
    if path not in _STUBS:
        table = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                a = node.args
                table.setdefault(node.name, []).append(
                    [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
                )
        _STUBS[path] = table
    return _STUBS[path]


@pytest.mark.torch
@pytest.mark.parametrize("prefix", list(NAMESPACES))
def test_out_where_pytorch_takes_out(prefix):
    torch = _torch()
    torch_ns = getattr(torch, prefix) if prefix else torch
    missing, extra = [], []
    for name, fn in sorted(_ops(prefix).items()):
        if not hasattr(torch_ns, name):
            continue  # tinytensor-only names (tt.view...)
        theirs = any("out" in o for o in _torch_params(torch, prefix, name))
        if theirs and not _takes(fn, "out"):
            missing.append(name)
        if _takes(fn, "out") and not theirs:
            extra.append(name)
    assert not missing, (
        f"torch.{prefix or ''} functions take out= but tinytensor's do not: {missing}"
    )
    assert not extra, f"tinytensor takes out= where PyTorch does not: {extra}"


@pytest.mark.torch
@pytest.mark.parametrize("prefix", list(NAMESPACES))
def test_dim_where_pytorch_has_dim(prefix):
    """PyTorch's parser takes ``axis`` for every ``dim``; the door does for every op whose
    parameter is called ``dim``, so the parameter must be called that."""
    torch = _torch()
    torch_ns = getattr(torch, prefix) if prefix else torch
    wrong = []
    for name, fn in sorted(_ops(prefix).items()):
        if not hasattr(torch_ns, name):
            continue
        params = inspect.signature(inspect.unwrap(fn)).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            continue  # a name that only raises with its reason (tt.fft.fft: complex)
        if any("dim" in o for o in _torch_params(torch, prefix, name)):
            if not _takes(inspect.unwrap(fn), "dim"):
                wrong.append(name)
    assert not wrong, f"no parameter named dim (so no axis= alias): {wrong}"


@pytest.mark.torch
@pytest.mark.parametrize(("namespace", "ours"), [("torch", tt), ("torch.Tensor", tt.Tensor)])
def test_in_place_twin_where_pytorch_has_one(namespace, ours):
    torch = _torch()
    theirs = torch if namespace == "torch" else torch.Tensor
    missing = [
        n
        for n in dir(theirs)
        if not n.startswith("_")
        and callable(getattr(theirs, n))
        and hasattr(theirs, n + "_")
        and hasattr(ours, n)
        and not hasattr(ours, n + "_")
        and n + "_" not in NOT_PLANNED[namespace]
    ]
    assert not missing, (
        f"{namespace}: in-place twins missing (add them or a NOT_PLANNED row): {missing}"
    )
