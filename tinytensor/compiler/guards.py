"""Guards: what must hold for a traced program to give what eager would give now.

A program was traced for one set of circumstances. Before each replay the guards check that
they still hold, and a failed guard means a new trace (never a stale result):

- each argument: a tensor's shape, dtype and ``requires_grad``; any other value by equality
  (numbers, strings, None, tuples of them) or by identity (other objects);
- grad mode (``no_grad``, ``inference_mode``);
- every external tensor the program reads (a parameter, a buffer, a tensor from a closure or a
  global): its shape, dtype and ``requires_grad``; its values are read live on each replay, so
  an optimizer step, a ``.data`` write or ``load_state_dict`` needs no new trace;
- every module the function can reach (the compiled module, modules in its globals and
  closures): which tensor each parameter and buffer name holds, its plain attributes
  (numbers, strings, flags such as ``training``, containers of them) by value, its other
  attributes (tensors, functions, objects) by identity, and which attributes it has;
- what the function (and the Python functions it calls, a few levels deep) reads from globals
  and closure cells: numbers, strings and flags by value, anything else (a tensor, a module, a
  function) by identity, so rebinding the name to another object traces again.
"""

from __future__ import annotations

import copy
import numbers
import types

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.core import TensorBase

_PLAIN = (numbers.Number, str, bytes, type(None))
_MISSING = object()
_DEPTH = 8  # how many levels of called Python functions the global guards follow


class _Is:
    """A global or closure value guarded by identity (a tensor, a module, a function); a list,
    tuple or dict also by its items (a plain item by value, any other by identity), so an item
    replaced in place is seen; an object of the user's (a config, a method's owner) also by
    its attributes, the same way."""

    __slots__ = ("obj", "items")

    def __init__(self, obj):
        self.obj = obj
        d = user_attributes(obj)
        self.items = _items(obj if d is None else d)

    def holds(self, now) -> bool:
        if now is not self.obj or self.items is None:
            return now is self.obj
        d = user_attributes(now)
        return _same_items(now if d is None else d, self.items)


def user_attributes(v):
    """The attribute dict of an object of the user's (an instance of a class defined outside
    the library, a ``SimpleNamespace``), else None: functions, classes, Python modules,
    ``nn`` modules (guarded by ``module_state``), tensors and library objects have none."""
    if isinstance(v, (type, types.FunctionType, types.MethodType, types.ModuleType)):
        return None
    d = getattr(v, "__dict__", None)
    if d.__class__ is not dict or isinstance(v, TensorBase) or is_module(v):
        return None
    mod = getattr(v.__class__, "__module__", "") or ""
    return None if mod == "tinytensor" or mod.startswith("tinytensor.") else d


def _items(v):
    """``(key, plain, item)`` for each item of a list, tuple or dict (a copy of a plain one),
    else None."""
    if v.__class__ in (list, tuple):
        pairs = enumerate(v)
    elif v.__class__ is dict:
        pairs = v.items()
    else:
        return None
    return [(k, _plain(x), _snapshot(x) if _plain(x) else x) for k, x in pairs]


def _same_items(v, items) -> bool:
    now = list(v.items() if v.__class__ is dict else enumerate(v))
    if len(now) != len(items):
        return False
    for (k, x), (k0, plain, x0) in zip(now, items):
        if k is not k0 and (not _plain(k0) or k.__class__ is not k0.__class__ or k != k0):
            return False
        if x is not x0 and (not plain or x.__class__ is not x0.__class__ or x != x0):
            return False
    return True


def is_module(obj) -> bool:
    """An ``nn.Module`` (recognised by its registries: the compiler sits below ``nn``)."""
    d = getattr(obj, "__dict__", None)
    return d is not None and "_parameters" in d and "_modules" in d and "_buffers" in d


def _plain(v) -> bool:
    """A value compared by equality: numbers, strings, None, and containers of them."""
    if isinstance(v, _PLAIN):
        return not isinstance(v, TensorBase)
    if v.__class__ in (tuple, frozenset, list, set):
        return all(_plain(x) for x in v)
    if v.__class__ is dict:
        return all(_plain(k) and _plain(x) for k, x in v.items())
    return False


def _snapshot(v):
    """``v`` as it is now (a copy of a mutable container, or of a tuple that may hold one, so a
    later change in place is seen)."""
    return copy.deepcopy(v) if v.__class__ in (list, dict, tuple, set) else v


_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks")


def module_state(m):
    """What a replay depends on in module ``m`` and its submodules, as three flat lists:
    ``(dict, key, object)`` that must still be there by identity (the tensor each parameter
    and buffer name holds, each attribute that is no plain value: a tensor, a function, an
    object), ``(dict, key, value)`` equal by value (plain attributes, the ``training`` flag
    among them: numbers, strings, flags, copied), and ``(container, length)`` (the attribute
    dict, the parameter and buffer registries, the hook dicts)."""
    same, equal, sizes = [], [], []
    stack = [m]
    while stack:
        mod = stack.pop()
        d = mod.__dict__
        sizes.append((d, len(d)))
        for k, v in d.items():
            if _plain(v):
                equal.append((d, k, _snapshot(v)))
            else:
                same.append((d, k, v))
        for reg in ("_parameters", "_buffers"):
            r = d[reg]
            sizes.append((r, len(r)))
            same.extend((r, k, t) for k, t in r.items())
        for h in _HOOKS:
            c = d.get(h)
            if c is not None:
                sizes.append((c, len(c)))
        stack.extend(c for c in d["_modules"].values() if c is not None)
    return same, equal, sizes


def _module_changed(state) -> bool:
    """True if what ``module_state`` recorded no longer holds."""
    same, equal, sizes = state
    for d, k, obj in same:
        if d.get(k) is not obj:
            return True
    for d, k, v in equal:
        now = d.get(k, _MISSING)
        if now is not v and (now.__class__ is not v.__class__ or now != v):
            return True
    for c, n in sizes:
        if len(c) != n:
            return True
    return False


_FAST = (int, float, bool, str, type(None))


def value_key(v, keep=None):
    """A comparable description of an argument: a tensor's shape, dtype and requires_grad,
    a plain value itself, another object's identity. ``keep``, a list, receives each object
    described by identity: a guard holds them, so no new object can take a freed one's id
    and pass for it; with ``keep`` (a guard's own key) a list or dict is copied, so a change
    made to it in place later is seen."""
    if isinstance(v, TensorBase):
        return ("T", v._data.shape, v._data.dtype, v._requires_grad)
    if v.__class__ in _FAST:
        return ("V", v.__class__, v)
    if v.__class__ is tuple:  # the positional arguments: one key per argument
        return ("S", tuple, tuple([value_key(x, keep) for x in v]))
    if _plain(v):
        return ("V", v.__class__, v if keep is None else _snapshot(v))
    if v.__class__ in (tuple, list):
        return ("S", v.__class__, tuple(value_key(x, keep) for x in v))
    if v.__class__ is dict:
        return ("D", tuple((k, value_key(x, keep)) for k, x in v.items()))
    if keep is not None:
        keep.append(v)
    d = user_attributes(v)
    if d is None:
        return ("I", id(v))
    # an object of the user's: its attributes too (plain ones by value, others by identity)
    attrs = []
    for k, x in d.items():
        if _plain(x):
            attrs.append((k, "V", x.__class__, _snapshot(x) if keep is not None else x))
        else:
            if keep is not None:
                keep.append(x)
            attrs.append((k, "I", id(x)))
    return ("O", id(v), tuple(attrs))


class Guards:
    """The guards of one program (see the module docstring). ``check(args, kwargs)`` is True
    when the program may replay; ``why(args, kwargs)`` names the first guard that fails."""

    def __init__(self, fn, args, kwargs, externals, modules):
        self.grad = (grad_state.enabled, grad_state.inference)
        self.held = []  # the objects guarded by identity, kept alive while the guard lives
        self.arg_keys = value_key(args, self.held)
        self.kw_keys = value_key(kwargs, self.held) if kwargs else None
        self.externals = tuple(
            (t, t._data.shape, t._data.dtype, t._requires_grad) for t in externals
        )
        self.modules = tuple(modules)
        self.module_states = tuple(module_state(m) for m in self.modules)
        reads = global_reads(fn)
        owner = getattr(fn, "__self__", None)  # a compiled bound method: its owner's attributes
        if owner is not None and user_attributes(owner) is not None:
            reads.append(({"self": owner}, "self", _Is(owner)))
        for m in self.modules:  # a module's own forward (user code: library code is skipped)
            reads += global_reads(type(m).forward)
        self.globals = tuple(reads)

    def check(self, args, kwargs) -> bool:
        return self.why(args, kwargs) is None

    def check_arguments(self, args, kwargs) -> bool:
        """The guards of a call that broke (no program; Python runs and reads modules, globals
        and closures live): the same grad mode and arguments."""
        return (grad_state.enabled, grad_state.inference) == self.grad and (
            self._why_arguments(args, kwargs) is None
        )

    def why(self, args, kwargs):
        if (grad_state.enabled, grad_state.inference) != self.grad:
            return "grad mode changed"
        return self._why_arguments(args, kwargs) or self._why_state()

    def _why_arguments(self, args, kwargs):
        if value_key(args) != self.arg_keys:
            return "an argument's shape, dtype, requires_grad or value changed"
        if (value_key(kwargs) if kwargs else None) != self.kw_keys:
            return "a keyword argument changed"
        return None

    def _why_state(self):
        for t, shape, dtype, rg in self.externals:
            d = t._data
            if d.shape != shape or d.dtype != dtype or t._requires_grad != rg:
                return "a parameter or captured tensor changed shape, dtype or requires_grad"
        for state in self.module_states:
            if _module_changed(state):
                return "a module's training flag, parameters, buffers or attributes changed"
        for where, name, value in self.globals:
            now = where.get(name, _MISSING) if where.__class__ is dict else _cell(where)
            if now is value:  # the very object (a NaN is unequal to itself)
                continue
            if value.__class__ is _Is:
                if not value.holds(now):
                    return (
                        f"the global or closure {name!r} is another object, or holds another"
                    )
                continue
            if now.__class__ is not value.__class__ or now != value:
                return f"the global or closure value {name!r} changed"
        return None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


def global_reads(fn):
    """``(dict_or_cell, name, value)`` for each value ``fn`` reads from its globals or
    closure, following the Python functions it calls (``_DEPTH`` levels): a plain value as a
    copy, any other object but a Python module wrapped in ``_Is`` (guarded by identity)."""
    seen = set()
    out = []

    def read(where, name, v, depth):
        if _plain(v):
            out.append((where, name, _snapshot(v)))
            return
        if v is _MISSING or isinstance(v, types.ModuleType):
            return
        out.append((where, name, _Is(v)))
        if depth and isinstance(v, (types.FunctionType, types.MethodType)):
            visit(v, depth - 1)

    def visit(f, depth):
        f = getattr(f, "__func__", f)  # a bound method
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen or _is_library(f):
            return
        seen.add(id(code))
        g = getattr(f, "__globals__", {})
        for name in _names(code):
            read(g, name, g.get(name, _MISSING), depth)
        for name, cell in zip(code.co_freevars, getattr(f, "__closure__", None) or ()):
            read(cell, name, _cell(cell), depth)

    visit(fn, _DEPTH)
    return out


def _names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _is_library(f) -> bool:
    mod = getattr(f, "__module__", None) or ""
    return mod == "tinytensor" or mod.startswith("tinytensor.")


def reachable_modules(fn, root=None):
    """The modules a function can reach: ``root`` (a compiled module), a bound method's owner,
    modules in its globals and closure cells, and in lists, tuples and dicts there (following
    called Python functions)."""
    found = []
    ids = set()

    def add(m):
        if id(m) not in ids:
            ids.add(id(m))
            found.append(m)

    if root is not None:
        add(root)
    owner = getattr(fn, "__self__", None)
    if owner is not None and is_module(owner):
        add(owner)
    seen = set()

    def visit(f, depth):
        f = getattr(f, "__func__", f)
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen or _is_library(f):
            return
        seen.add(id(code))
        g = getattr(f, "__globals__", {})
        values = [g.get(n) for n in _names(code)]
        values += [_cell(c) for c in getattr(f, "__closure__", None) or ()]
        for v in values:
            if is_module(v):
                add(v)
            elif v.__class__ in (list, tuple, dict):  # modules in a container: one level
                for x in v.values() if v.__class__ is dict else v:
                    if is_module(x):
                        add(x)
            elif depth and isinstance(v, (types.FunctionType, types.MethodType)):
                visit(v, depth - 1)

    visit(fn, _DEPTH)
    return found


_STORES = {"STORE_GLOBAL": "a global", "STORE_DEREF": "a variable of an enclosing function"}
_CALL_NAMES = ("LOAD_GLOBAL", "LOAD_ATTR", "LOAD_METHOD", "LOAD_NAME")
# The library's calls that change process-wide state a replay would not change again (the
# default dtype, the generator's seed and state, print options, thread counts...).
_STATE_CALLS = frozenset(
    """manual_seed seed set_default_device set_default_dtype set_default_tensor_type
    set_deterministic_debug_mode set_float32_matmul_precision set_flush_denormal
    set_num_interop_threads set_num_threads set_printoptions set_rng_state set_warn_always
    use_deterministic_algorithms""".split()
)


def python_writes(fn, modules=()):
    """What the function (or a Python function it calls, or a module's forward) assigns that
    outlives the call: ``"a global 'name'"``, or None. A replay would skip the assignment."""
    import dis

    seen = set()
    found = []

    def visit(f, depth):
        f = getattr(f, "__func__", f)
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen or _is_library(f) or found:
            return
        seen.add(id(code))
        for c in _codes(code):
            for ins in dis.get_instructions(c):
                # A nonlocal write to one of the function's free variables (by it or by a
                # function nested in it) reaches outside the call; a nested function's write
                # to one of the call's own cells (not free in ``code``) ends with the call.
                if ins.opname == "STORE_GLOBAL" or (
                    ins.opname == "STORE_DEREF" and ins.argval in code.co_freevars
                ):
                    found.append(f"{_STORES[ins.opname]} {ins.argval!r}")
                    return
                if ins.argval in _STATE_CALLS and ins.opname in _CALL_NAMES:
                    found.append(f"a call of {ins.argval}() (it changes process-wide state)")
                    return
        g = getattr(f, "__globals__", {})
        if depth:
            values = [g.get(n) for n in _names(code)]
            values += [_cell(c) for c in getattr(f, "__closure__", None) or ()]
            for v in values:
                if isinstance(v, (types.FunctionType, types.MethodType)):
                    visit(v, depth - 1)

    visit(fn, _DEPTH)
    for m in modules:
        visit(type(m).forward, _DEPTH)
    return found[0] if found else None


def _codes(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _codes(c)


class DynamicGuards(Guards):
    """The guards of a dynamic program (``compile(dynamic=True)``): as ``base``, except that the
    first dimension of the tensor arguments marked in ``batched`` may be any size, the same for
    all of them (the batch size ``B`` the program reads)."""

    def __init__(self, base, batched):
        self.__dict__.update(base.__dict__)
        self.batched = tuple(batched)
        self.masked_keys = self._masked(base.arg_keys, base.kw_keys)

    def _masked(self, arg_key, kw_key, dims=None):
        flags = iter(self.batched)
        return (_mask(arg_key, flags, dims), None if kw_key is None else _mask(kw_key, flags, dims))

    def _why_arguments(self, args, kwargs):
        dims = []
        now = self._masked(value_key(args), value_key(kwargs) if kwargs else None, dims)
        if now != self.masked_keys:
            return "an argument's shape (beyond the batch dimension), dtype or value changed"
        if any(d != dims[0] for d in dims):
            return "the batched arguments' first dimensions differ"
        return None


def _mask(key, flags, dims):
    kind = key[0]
    if kind == "T":
        if next(flags):
            if dims is not None:
                dims.append(key[1][0])
            return ("T", ("B", *key[1][1:]), key[2], key[3])
        return key
    if kind == "S":
        return ("S", key[1], tuple(_mask(k, flags, dims) for k in key[2]))
    if kind == "D":
        return ("D", tuple((n, _mask(k, flags, dims)) for n, k in key[1]))
    return key
