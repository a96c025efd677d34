"""PyTorch's argument names and defaults on every Tensor method: ``x.mm(mat2=y)``,
``x.view(size=(2, 3))``, ``x.permute(dims=(1, 0))``, ``x.uniform_(0, 1, generator=g)`` work as
they do in PyTorch.

PyTorch's Tensor methods are built-ins with no ``inspect`` signature; their argument names and
defaults are in the binding's stubs, ``torch/_C/__init__.pyi`` (``class TensorBase``, one
``@overload`` per parser signature), read here with :mod:`ast`; the methods PyTorch writes in
Python (``torch/_tensor.py``: ``split``, ``norm``, ``backward``...) are read with ``inspect``.
For each public method of ``tinytensor.Tensor`` that PyTorch's Tensor also has, every name a
PyTorch user can pass by keyword (in any overload; a ``*size`` form has none, its sibling
``size: Sequence`` overload names it) must be accepted by tinytensor's method, and where both
declare a default it must be the same. A name tinytensor takes positionally must sit where an
overload of PyTorch's has it, and a name PyTorch takes only by keyword is keyword-only here
too. Where the stubs and PyTorch's parser disagree (the stub lists
``out`` for ``Tensor.add``, the parser refuses it), or tinytensor differs on purpose, the row is
listed below with its reason and ``test_exceptions_are_true`` checks it by calling PyTorch.

The NumPy-only test calls the methods these names were fixed on by keyword (and their
``*dims`` forms) and checks the values against NumPy, so a renamed parameter is caught without
torch; the same calls made on PyTorch's tensors give the same values.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt

# --- NumPy only ---------------------------------------------------------------------------------


def _arrays():
    rng = np.random.default_rng(7)
    x = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    y = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    b = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    return x, y, b


def _seeded_draw(method, **kw):
    """Two draws from generators seeded alike, and one from another seed."""
    draws = []
    for seed in (3, 3, 4):
        g = tt.Generator().manual_seed(seed)
        draws.append(getattr(tt.zeros(200), method)(generator=g, **kw).numpy())
    return draws


def _keyword_calls(lib=tt):
    """(label, the method called by keyword, NumPy's value); ``lib`` is tinytensor, or torch
    to run the same calls in PyTorch."""
    x, y, b = _arrays()
    X, Y, B = lib.tensor(x), lib.tensor(y), lib.tensor(b)
    idx = np.array([[0, 2], [1, 1], [3, 0]])
    nan = np.array([np.nan, np.inf, -np.inf, 1.5], dtype=np.float32)
    return [
        ("mm", lambda: X.mm(mat2=Y.T), x @ y.T),
        ("bmm", lambda: B.bmm(mat2=B.transpose(1, 2)), b @ b.transpose(0, 2, 1)),
        ("dot", lambda: X[0].dot(tensor=Y[0]), np.dot(x[0], y[0])),
        ("outer", lambda: X[0].outer(vec2=Y[1]), np.outer(x[0], y[1])),
        ("float_power", lambda: X.float_power(exponent=3), x.astype(np.float64) ** 3),
        ("float_power_", lambda: X.double().float_power_(exponent=Y.double()),
         x.astype(np.float64) ** y.astype(np.float64)),
        ("copy_", lambda: lib.zeros(3, 4).copy_(other=X, non_blocking=False), x),
        ("map_", lambda: X.clone().map_(other=Y, callable=lambda a, c: a - 2 * c), x - 2 * y),
        ("split", lambda: X.split(split_size=3, dim=1)[1], x[:, 3:]),
        ("div_", lambda: (X * 10).div_(Y, rounding_mode="floor"),
         np.floor((x * np.float32(10)) / y)),
        ("gather", lambda: X.gather(1, lib.tensor(idx), sparse_grad=False),
         np.take_along_axis(x, idx, 1)),
        ("norm", lambda: X.norm(p=2, dim=1, dtype=lib.float64),
         np.linalg.norm(x.astype(np.float64), axis=1)),
        ("max", lambda: X.max(other=Y), np.maximum(x, y)),
        ("min", lambda: X.min(other=Y), np.minimum(x, y)),
        ("expand", lambda: X[0].expand(size=(2, 4), implicit=False), np.broadcast_to(x[0], (2, 4))),
        ("view", lambda: X.view(size=(4, 3)), x.reshape(4, 3)),
        ("view_dtype", lambda: X.view(dtype=lib.int32), x.view(np.int32)),
        ("permute", lambda: B.permute(dims=(2, 0, 1)), b.transpose(2, 0, 1)),
        ("reshape", lambda: X.reshape(shape=(2, 6)), x.reshape(2, 6)),
        ("repeat", lambda: X.repeat(repeats=(2, 1)), np.tile(x, (2, 1))),
        ("tile", lambda: X.tile(dims=(1, 2)), np.tile(x, (1, 2))),
        ("sum_to_size", lambda: B.sum_to_size(size=(1, 4)), b.sum((0, 1))[None]),
        ("broadcast_to", lambda: X[0].broadcast_to(size=(2, 4)), np.broadcast_to(x[0], (2, 4))),
        ("new_zeros", lambda: X.new_zeros(size=(2, 5)), np.zeros((2, 5), np.float32)),
        ("new_ones", lambda: X.new_ones(size=(2,)), np.ones(2, np.float32)),
        ("new_empty", lambda: X.new_empty(size=(0, 3)), np.zeros((0, 3), np.float32)),
        ("new_size", lambda: X.new(size=(0, 2)), np.zeros((0, 2), np.float32)),
        ("new_other", lambda: X.new(other=Y), y),
        ("resize_", lambda: X.clone().resize_(size=(2, 3)), x.reshape(-1)[:6].reshape(2, 3)),
        ("to", lambda: X.to(dtype=lib.float64, copy=True), x.astype(np.float64)),
        ("to_device", lambda: X.to(device="cpu", non_blocking=False), x),
        ("nan_to_num", lambda: lib.tensor(nan).nan_to_num(nan=None, posinf=9.0),
         np.nan_to_num(nan, nan=0.0, posinf=9.0)),
        ("nan_to_num_", lambda: lib.tensor(nan).nan_to_num_(neginf=-9.0),
         np.nan_to_num(nan, neginf=-9.0)),
        ("roll", lambda: X.roll(shifts=1), np.roll(x, 1)),
        ("roll_dims", lambda: X.roll(shifts=(1, 2), dims=(0, 1)), np.roll(x, (1, 2), (0, 1))),
        ("as_strided", lambda: X.as_strided(size=(2, 2), stride=(1, 4)),
         np.lib.stride_tricks.as_strided(x.copy(), (2, 2), (4, 16))),
        ("contiguous", lambda: X.t().contiguous(memory_format=lib.contiguous_format), x.T),
        ("clone", lambda: B[None].clone(memory_format=lib.channels_last), b[None]),
        ("cpu", lambda: X.cpu(memory_format=lib.preserve_format), x),
        ("flip", lambda: B.flip(0, 2), b[::-1, :, ::-1]),
        ("flip_dims", lambda: B.flip(dims=(1,)), b[:, ::-1]),
        ("squeeze", lambda: B[:, None, :1].squeeze(1, 2), b[:, :1].reshape(2, 4)),
        ("squeeze_dim", lambda: B[:, None].squeeze(dim=(1,)), b),
        ("count_nonzero", lambda: (X > 0.5).count_nonzero(0, 1), np.count_nonzero(x > 0.5)),
        ("broadcast_to_star", lambda: X[0].broadcast_to(2, 4), np.broadcast_to(x[0], (2, 4))),
        ("hsplit", lambda: X.hsplit(1, 3)[1], x[:, 1:3]),
        ("hsplit_sections", lambda: X.hsplit(sections=2)[1], x[:, 2:]),
        ("vsplit_indices", lambda: X.vsplit(indices=[2])[0], x[:2]),
        ("dsplit", lambda: B.dsplit(2)[0], b[:, :, :2]),
    ]  # fmt: skip


@pytest.mark.parametrize("label", [c[0] for c in _keyword_calls()])
def test_pytorch_names_by_keyword(label):
    _, call, want = next(c for c in _keyword_calls() if c[0] == label)
    got = call()
    assert tuple(got.shape) == tuple(np.shape(want)), (label, got.shape)
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=2e-6, err_msg=label)


@pytest.mark.torch
def test_the_same_calls_run_in_pytorch():
    """Each keyword call above, made on PyTorch's tensors, gives the same NumPy value: the names
    are PyTorch's own (not only its stubs'), and the NumPy oracles are PyTorch's results."""
    torch = _torch()
    for label, call, want in _keyword_calls(torch):
        got = call()
        assert tuple(got.shape) == tuple(np.shape(want)), (label, got.shape)
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=2e-6, err_msg=label)


def test_keyword_forms_of_star_args():
    """``x.view(2, 6)`` and ``x.view(size=(2, 6))`` agree; both at once is PyTorch's TypeError."""
    x = tt.arange(12.0)
    for name, kw in [("view", "size"), ("reshape", "shape"), ("expand", "size"),
                     ("repeat", "repeats"), ("tile", "dims"), ("new_zeros", "size"),
                     ("resize_", "size"), ("sum_to_size", "size")]:  # fmt: skip
        t = x.reshape(1, 12) if name in ("expand", "sum_to_size") else x.clone()
        sizes = (2, 12) if name == "expand" else (1, 12) if name == "sum_to_size" else (3, 4)
        a = getattr(t, name)(*sizes)
        b = getattr(t.clone(), name)(**{kw: sizes})
        assert a.shape == b.shape, name
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
        with pytest.raises(TypeError, match=kw):
            getattr(t, name)(*sizes, **{kw: sizes})
    p = tt.ones(2, 3, 4)
    assert p.permute(dims=[2, 0, 1]).shape == p.permute(2, 0, 1).shape == (4, 2, 3)
    with pytest.raises(TypeError, match="dims"):
        p.permute(2, 0, 1, dims=(2, 0, 1))
    with pytest.raises(TypeError, match="dtype"):
        x.view(3, 4, dtype=tt.int32)


def test_seeded_samplers_take_generator():
    """``uniform_``/``normal_`` draw from ``generator=`` as the other samplers do: the same seed
    gives the same values, another seed others; ``from_``/``to`` bound the draws."""
    a, b, c = _seeded_draw("uniform_", from_=2.0, to=3.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and a.min() >= 2.0 and a.max() < 3.0
    a, b, c = _seeded_draw("normal_", mean=5.0, std=0.01)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and abs(a.mean() - 5.0) < 0.01


def test_memory_formats():
    """``contiguous``/``is_contiguous``/``clone``/``cpu`` take PyTorch's memory formats:
    channels-last strides for rank 4 (rank 5 for ``channels_last_3d``), the rank checked."""
    b = tt.arange(120.0).reshape(2, 3, 4, 5)
    cl = b.contiguous(memory_format=tt.channels_last)
    assert cl.stride() == (60, 1, 15, 3)
    assert cl.is_contiguous(memory_format=tt.channels_last) and not cl.is_contiguous()
    np.testing.assert_array_equal(cl.numpy(), b.numpy())
    assert cl.contiguous().stride() == (60, 20, 5, 1)
    assert cl.cpu().stride() == (60, 1, 15, 3)
    assert cl.cpu(memory_format=tt.contiguous_format).stride() == (60, 20, 5, 1)
    assert b.contiguous() is b and b.contiguous(memory_format=tt.contiguous_format) is b
    t = tt.ones(2, 3).t()
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert t.cpu(memory_format=tt.contiguous_format) is t  # PyTorch's suggested format already
    with pytest.raises(RuntimeError, match="rank 4"):
        t.contiguous(memory_format=tt.channels_last)
    with pytest.raises(RuntimeError, match="preserve"):
        b.contiguous(memory_format=tt.preserve_format)
    c5 = tt.ones(1, 2, 3, 4, 5).contiguous(memory_format=tt.channels_last_3d)
    assert c5.is_contiguous(memory_format=tt.channels_last_3d)
    g = tt.ones(2, 3, 4, 5, requires_grad=True)
    (g.contiguous(memory_format=tt.channels_last) * 2).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.full((2, 3, 4, 5), 2.0))


def test_to_takes_its_flags_positionally():
    """``to(dtype, non_blocking, copy)``: a positional ``copy=True`` gives a new tensor."""
    x, _, _ = _arrays()
    X = tt.tensor(x)
    assert X.to(tt.float32, False, False) is X
    c = X.to(tt.float32, False, True)
    assert c is not X
    c.add_(1)
    np.testing.assert_array_equal(X.numpy(), x)
    np.testing.assert_array_equal(X.to(X, False, True).numpy(), x)


def test_keyword_only_as_in_pytorch():
    """What PyTorch takes only by keyword is refused positionally, and works by keyword."""
    x, y, _ = _arrays()
    X, Y = tt.tensor(x), tt.tensor(y)
    refused = [lambda: X.add(Y, 2), lambda: X.sub(Y, 2), lambda: X.clone().add_(Y, 2),
               lambda: X.div(Y, "floor"), lambda: X.sum(0, False, tt.float64),
               lambda: X.mean(0, False, tt.float64), lambda: X.round(1),
               lambda: X.sort(0, False, True), lambda: X.numpy(True)]  # fmt: skip
    for call in refused:
        with pytest.raises(TypeError):
            call()
    np.testing.assert_allclose(X.add(Y, alpha=2).numpy(), x + 2 * y, rtol=1e-6)
    np.testing.assert_allclose(X.clone().sub_(Y, alpha=2).numpy(), x - 2 * y, rtol=1e-6)
    assert X.sum(0, False, dtype=tt.float64).dtype == tt.float64
    np.testing.assert_allclose(X.round(decimals=1).numpy(), np.round(x, 1))


def test_max_min_other_and_errors():
    x, y, _ = _arrays()
    X, Y = tt.tensor(x), tt.tensor(y)
    np.testing.assert_array_equal(X.max(Y).numpy(), np.maximum(x, y))
    with pytest.raises(TypeError, match="other"):
        X.max(1, other=Y)
    with pytest.raises(TypeError, match="other"):
        X.new(Y, other=Y)
    with pytest.raises(TypeError, match="dtype"):
        X.new(other=tt.tensor([1, 2]))


# --- against PyTorch's stubs --------------------------------------------------------------------

# Names the stub lists that PyTorch's method refuses (the stub generator copies the functions'
# ``out=`` and spells some names its own way); ``test_exceptions_are_true`` calls PyTorch with
# each and checks the TypeError.
STUB_REFUSED = {
    **{(m, "out"): f"the stub copies torch.{m}'s out=; Tensor.{m}'s parser refuses it"
       for m in ("add", "sub", "mul", "true_divide", "floor_divide")},
    ("requires_grad_", "mode"): "the stub says mode; the parser takes requires_grad (tinytensor's "
    "name)",
    ("to", "other"): "to(other=t) is refused; to(t) (positional, tinytensor's *args) is the form",
}  # fmt: skip
# The stub spells the parser's ``from`` (a Python keyword, which no ``def`` can name: PyTorch
# takes it only as ``**{"from": v}``) as ``from_``, and so does tinytensor; the parity test holds
# tinytensor to the stub's spelling, and this row says PyTorch refuses ``from_=`` itself.
FROM_KEYWORD = {"uniform_", "random_"}
# Names PyTorch takes that tinytensor's method does not, with the reason.
KEYWORD_GAPS = {
    ("new", "storage"): "tinytensor has no storage objects (Tensor.storage is not planned)",
}
# PyTorch's parser picks an overload by the argument's type and names the argument after it
# (``sections`` for an int, ``indices`` for a list, ``tensor_indices_or_sections`` for a
# tensor); one Python parameter cannot carry three names, so tinytensor keeps the documented
# ``indices_or_sections`` (as ``tinytensor.tensor_split`` does; positional calls are the same).
# (``hsplit``/``vsplit``/``dsplit`` have a ``*indices`` form, so there tinytensor takes
# ``*args, sections=, indices=``, PyTorch's names.)
BY_TYPE = {"tensor_split"}
_BY_TYPE_NAMES = {"sections", "indices", "tensor_indices_or_sections"}
# Defaults that differ on purpose, with the reason.
DEFAULT_GAPS = {
    (m, "unbiased"): "None stands for 'not passed' (meaning True, PyTorch's default), so that "
    "unbiased= with correction= is refused as PyTorch refuses it"
    for m in ("std", "var")
}
# PyTorch's methods with neither a stub nor a Python signature, and what they take.
NO_STUB = {"const_data_ptr": "no argument"}


def _torch():
    return pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 (CPU build)"
    )


_STUBS: dict = {}
_EMPTY = inspect.Parameter.empty  # no default


def _stub_overloads(torch, name):
    """Each overload of ``TensorBase.<name>`` in the stubs as (positional names, {keyword name:
    default source, or _EMPTY}); the first parameter (``self``/``cls``) left out, a ``*size``
    form contributing no keyword name."""
    if not _STUBS:
        path = Path(torch.__file__).parent / "_C" / "__init__.pyi"
        cls = next(n for n in ast.parse(path.read_text()).body
                   if isinstance(n, ast.ClassDef) and n.name == "TensorBase")  # fmt: skip
        for node in cls.body:
            if isinstance(node, ast.FunctionDef):
                _STUBS.setdefault(node.name, []).append(_read_stub(node.args))
    return _STUBS.get(name, [])


def _read_stub(a):
    params = a.posonlyargs + a.args
    defaults = [None] * (len(params) - len(a.defaults)) + list(a.defaults)
    pos = [p.arg for p in params[1:]] + ([f"*{a.vararg.arg}"] if a.vararg else [])
    keywords = {p.arg: _EMPTY if d is None else ast.unparse(d) for p, d in zip(params, defaults)
                if p not in a.posonlyargs and p is not params[0]}  # fmt: skip
    keywords.update({p.arg: _EMPTY if d is None else ast.unparse(d)
                     for p, d in zip(a.kwonlyargs, a.kw_defaults)})  # fmt: skip
    return pos, keywords


def _python_overloads(fn):
    """A method PyTorch writes in Python, read as one overload (source of defaults: repr)."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    pos = [p.name if p.kind is not p.VAR_POSITIONAL else f"*{p.name}" for p in params
           if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]  # fmt: skip
    keywords = {p.name: p.default for p in params
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}  # fmt: skip
    return [(pos, keywords)]


def _theirs(torch, name):
    fn = torch.Tensor.__dict__.get(name)
    if fn is not None and inspect.isfunction(inspect.unwrap(fn)):
        return _python_overloads(fn), False
    return _stub_overloads(torch, name), True


def _value(torch, default, from_stub):
    """PyTorch's default as a value: the stub's source evaluated, ``torch.X`` read off torch."""
    if not from_stub:
        return default
    return eval(default, {"torch": torch, "__builtins__": {}})  # the stub's own literal


def _ours_value(torch, value):
    """tinytensor's default in PyTorch's terms (``tt.preserve_format`` -> ``torch.preserve_format``,
    ``tt.float32`` -> ``torch.float32``)."""
    if isinstance(value, (tt.memory_format, tt.layout, tt.dtype)):
        return getattr(torch, str(value).rpartition(".")[2])
    return value


def _public_methods(torch):
    """{name: unbound method} of tinytensor.Tensor's public methods PyTorch's Tensor also has."""
    out = {}
    for name in sorted(dir(tt.Tensor)):
        if name.startswith("_") or not hasattr(torch.Tensor, name) or not hasattr(tt.Tensor, name):
            continue  # (a name tinytensor leaves out raises AttributeError with the reason)
        static = inspect.getattr_static(tt.Tensor, name)
        if isinstance(static, property) or not callable(getattr(tt.Tensor, name)):
            continue
        out[name] = getattr(tt.Tensor, name)
    return out


def _same(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return list(a) == list(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _problems(torch, name, method):
    overloads, from_stub = _theirs(torch, name)
    if not overloads:
        return None
    params = list(inspect.signature(method).parameters.values())[1:]
    ours = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    ours_pos = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    wrong = []
    names: dict = {}
    for _, keywords in overloads:
        for n, d in keywords.items():
            names.setdefault(n, []).append(d)
    for n, defaults in names.items():
        if (name, n) in STUB_REFUSED or (name, n) in KEYWORD_GAPS:
            continue
        if name in BY_TYPE and n in _BY_TYPE_NAMES:
            continue
        if n not in ours:
            wrong.append(f"keyword {n} not taken")
            continue
        mine = ours[n].default
        declared = [_value(torch, d, from_stub) for d in defaults if d is not _EMPTY]
        if mine is ours[n].empty or not declared or (name, n) in DEFAULT_GAPS:
            continue
        if not any(_same(_ours_value(torch, mine), d) for d in declared):
            wrong.append(f"default {n}={mine!r} (PyTorch's: {declared})")
    positional = {n for pos, _ in overloads for n in pos}
    for i, n in enumerate(ours_pos):
        if n in positional and not any(i < len(pos) and pos[i] == n for pos, _ in overloads):
            wrong.append(f"position {i}: {n} (PyTorch's: {[pos for pos, _ in overloads]})")
    keyword_only = set(names) - positional
    wrong += [f"{n} taken positionally (PyTorch's is keyword-only)" for n in ours_pos
              if n in keyword_only]  # fmt: skip
    star = sorted({n for n in positional if n.startswith("*")})
    if star and not any(p.kind is p.VAR_POSITIONAL for p in params):
        wrong.append(f"no {star[0]} form (x.{name}(0, 1))")
    return wrong


@pytest.mark.torch
def test_pytorch_method_names_and_defaults():
    torch = _torch()
    wrong, unread, checked = {}, [], 0
    for name, method in _public_methods(torch).items():
        problems = _problems(torch, name, method)
        if problems is None:
            if name not in NO_STUB:
                unread.append(name)
            continue
        if problems:
            wrong[name] = problems
        checked += 1
    assert not unread, f"no stub or Python signature of PyTorch's to read: {unread}"
    assert not wrong, f"PyTorch's argument names or defaults tinytensor's methods lack: {wrong}"
    assert checked > 450, checked


@pytest.mark.torch
def test_exceptions_are_true():
    """Each row says what PyTorch does: STUB_REFUSED names are in the stubs and refused by the
    method, KEYWORD_GAPS names are taken by PyTorch and not by tinytensor, BY_TYPE names are
    taken per type and the documented one refused, DEFAULT_GAPS are PyTorch's refusal of both
    spellings at once, NO_STUB methods have no stub and take what the row says."""
    torch = _torch()
    x = torch.ones(2, 3)
    calls = {
        "add": lambda kw: x.add(x, **kw), "sub": lambda kw: x.sub(x, **kw),
        "mul": lambda kw: x.mul(x, **kw), "true_divide": lambda kw: x.true_divide(x, **kw),
        "floor_divide": lambda kw: x.floor_divide(x, **kw),
        "requires_grad_": lambda kw: x.clone().requires_grad_(**kw),
        "to": lambda kw: x.to(**kw),
    }  # fmt: skip
    values = {"out": torch.empty(2, 3), "mode": True, "other": x}
    for (name, kw), _ in STUB_REFUSED.items():
        assert any(kw in k for _, k in _stub_overloads(torch, name)), (name, kw)
        with pytest.raises(TypeError):
            calls[name]({kw: values[kw]})
    assert x.clone().requires_grad_(requires_grad=True).requires_grad
    for name in FROM_KEYWORD:
        assert any("from_" in k for _, k in _stub_overloads(torch, name)), name
        assert getattr(x.clone(), name)(**{"from": 2, "to": 3}).min() >= 2.0
        with pytest.raises(TypeError):
            getattr(x.clone(), name)(from_=2, to=3)
        assert "from_" in inspect.signature(getattr(tt.Tensor, name)).parameters
    for (name, kw), _ in KEYWORD_GAPS.items():
        assert kw not in inspect.signature(getattr(tt.Tensor, name)).parameters
    assert torch.equal(x.new(storage=x.untyped_storage()), x.reshape(-1))
    assert not hasattr(tt.Tensor, "untyped_storage") and not hasattr(tt.Tensor, "storage")
    y = torch.ones(4, 4, 4)
    for name in BY_TYPE:
        taken = {n for _, k in _stub_overloads(torch, name) for n in k}
        assert {"sections", "indices", "tensor_indices_or_sections"} <= taken, (name, taken)
        assert getattr(y, name)(sections=2)[0].shape[0] == 2
        with pytest.raises(TypeError):
            getattr(y, name)(indices_or_sections=2)
    for (name, _), _ in DEFAULT_GAPS.items():
        assert getattr(x, name)(unbiased=True) == getattr(x, name)()
        with pytest.raises(TypeError):
            getattr(x, name)(unbiased=True, correction=0)
        with pytest.raises(TypeError, match="unbiased|correction"):
            getattr(tt.ones(2, 3), name)(unbiased=True, correction=0)
    for name in NO_STUB:
        assert not _stub_overloads(torch, name) and name not in torch.Tensor.__dict__
        assert getattr(x, name)() == x.data_ptr()
        with pytest.raises(TypeError):
            getattr(x, name)(0)
