"""``nn.Module``: the base class of every layer, with PyTorch's registration and state dicts.

Assigning a ``Parameter``, a ``Module`` or (for names made with ``register_buffer``) a tensor
as an attribute files it into ``_parameters``, ``_modules`` or ``_buffers``; names, traversal
(``named_parameters``, ``modules``...), ``state_dict`` and ``repr`` all follow from those
ordered dicts.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.hooks import RemovableHandle, _ids
from tinytensor.compiler import call_piece
from tinytensor.compiler import compile as compile_fn
from tinytensor.compiler import pieces as _pieces
from tinytensor.core import bump_version, replace_storage
from tinytensor.core.device import check_device, device
from tinytensor.nn.module_traversal import ModuleTraversal
from tinytensor.nn.parameter import Parameter, UninitializedBuffer, is_lazy
from tinytensor.tensor import Tensor

_LAZY_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer; call the lazy module that "
    "saved it once before saving, or load into a lazy module"
)
_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module(ModuleTraversal):
    """Base class for all neural-network layers and models.

    Subclasses call ``super().__init__()`` first, assign their parameters and sub-modules as
    attributes, and define ``forward``. Calling the module runs forward pre-hooks, ``forward``
    and forward hooks::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x).relu()

    ``state_dict()`` maps dotted names (``"fc.weight"``) to tensors, with the same keys and
    shapes as the equivalent PyTorch model; ``load_state_dict`` copies values back in.
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments; Module.__init__ "
                "takes none"
            )
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", OrderedDict())
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks_with_kwargs", set())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        compiled = self.__dict__.get("_compiled_call_impl")
        if compiled is not None:  # Module.compile()
            return compiled(*args, **kwargs)
        if _pieces.parent is not None:  # called by a compiled call that broke: a piece of it
            return call_piece(self, args, kwargs)
        return self._call_impl(*args, **kwargs)

    def compile(self, *args, **kwargs):
        """Compile this module's calls in place: ``tinytensor.compile`` applied to its call
        (hooks and forward), with the same keyword arguments. Returns None, as PyTorch."""
        self._compiled_call_impl = compile_fn(self._call_impl, *args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
                continue
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # --- registration -------------------------------------------------------------------------

    def _check_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(tinytensor.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                "created explicitly; wrap a detached tensor: nn.Parameter(t.detach())"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a non-learnable tensor (e.g. running statistics); persistent ones are saved."""
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module, reachable as an attribute and in every traversal."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._discard(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(tinytensor.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, UninitializedBuffer) and name not in d.get("_buffers", ()):
            self._discard(name, keep="_buffers")
            self.register_buffer(name, value, persistent=value.persistent)
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._discard(name, keep="_modules")
            self._modules[name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(tinytensor.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name, keep):
        # Drop ``name`` from the other registries; the ``keep`` table is left alone so that a
        # reassigned child or parameter keeps its slot (children(), state_dict() order), as
        # PyTorch's ``remove_from``.
        d = self.__dict__
        d.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                d[table].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the registries, never return None
        # for a name that is not registered.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in d.get(table, ()):
                del d[table][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = set(super().__dir__())
        for table in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(table, {}))
        return sorted(keys)

    def get_submodule(self, target):
        """The sub-module at dotted path ``target`` (``""`` is the module itself)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # --- modes and bulk changes ---------------------------------------------------------------

    def train(self, mode=True):
        """Set training mode (dropout active, batch norm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad`` (to None, or to zeros with set_to_none=False)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0
                bump_version(p.grad)  # in place, as PyTorch's grad.zero_()

    def apply(self, fn):
        """Call ``fn`` on every sub-module (children first) and then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``: cast floating parameters and
        buffers in place. The device must be the CPU (tinytensor computes there only)."""
        dtype = kwargs.get("dtype")
        dev = kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (device, str)) or (isinstance(a, int) and not isinstance(a, bool)):
                dev = a
            elif a is not None and not isinstance(a, bool):
                dtype = a
        if dev is not None:
            check_device(dev, "Module.to()")
        if dtype is None:
            return self
        dt = D.to_dtype(dtype)
        if dt.np.kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dt}"
            )
        return self._cast(dt.np)

    def cuda(self, device=None):
        """Always an error: tinytensor computes on the CPU only."""
        check_device("cuda" if device is None else device, "Module.cuda()")

    def _cast(self, np_dtype):
        for t in list(self.parameters()) + list(self.buffers()):
            if t._data.dtype.kind == "f" and t._data.dtype != np_dtype:
                t._data = t._data.astype(np_dtype)
                if t._grad is not None:
                    t._grad._data = t._grad._data.astype(np_dtype)
        return self

    def float(self):
        return self._cast(np.dtype(np.float32))

    def double(self):
        return self._cast(np.dtype(np.float64))

    def half(self):
        return self._cast(np.dtype(np.float16))

    def cpu(self):
        return self

    def share_memory(self):
        """Move every parameter and buffer (and any gradient) into shared memory, as PyTorch's
        ``share_memory``: processes given this module through ``tinytensor.multiprocessing``
        then update the same values (Hogwild)."""
        for t in list(self.parameters()) + list(self.buffers()):
            t.share_memory_()
            if t._grad is not None:
                t._grad.share_memory_()
        return self

    def type(self, dst_type):
        return self.to(dst_type)

    # --- state dicts --------------------------------------------------------------------------

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict from dotted names to parameters and persistent buffers (detached,
        sharing storage unless ``keep_vars``); keys and shapes are PyTorch's."""
        if args:
            destination = args[0]
        if destination is None:
            destination = OrderedDict()
        for name, mod in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            pre = name + "." if name else ""
            for k, p in mod._parameters.items():
                if p is not None:  # a lazy module's placeholders are given as they are
                    destination[pre + k] = p if keep_vars or is_lazy(p) else p.detach()
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent_buffers_set:
                    destination[pre + k] = b if keep_vars or is_lazy(b) else b.detach()
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Values may be Tensors or NumPy arrays. Shape mismatches always raise; with ``strict``
        missing and unexpected keys raise too. Everything is checked before anything is
        copied, so a failed load leaves the module as it was. ``assign`` gives each tensor the
        checkpoint's dtype (and a copy of its values, not its storage). Returns
        ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, plan = [], []
        for k, target in own.items():
            if k not in state_dict:
                continue
            value = state_dict[k]
            if is_lazy(value):  # an uninitialised entry loads into a placeholder only
                if not is_lazy(target):
                    errors.append(f'While copying the parameter named "{k}": {_LAZY_SHAPE}')
                continue
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            if arr.dtype == object or arr.dtype.kind not in "biuf":
                errors.append(
                    f'While copying the parameter named "{k}", expected a numeric tensor or '
                    f"array, got {type(value).__name__} of dtype {arr.dtype}."
                )
                continue
            if not is_lazy(target) and arr.shape != target._data.shape:
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {tuple(arr.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(target._data.shape)}."
                )
                continue
            if assign and target.requires_grad and arr.dtype.kind != "f":
                errors.append(f'While copying the parameter named "{k}": assign=True gives it '
                              f"dtype {arr.dtype}, and only floating point tensors can require "
                              "gradients; cast the value or load without assign")  # fmt: skip
                continue
            plan.append((target, value if isinstance(value, Tensor) else arr))
        if strict:
            if unexpected:
                errors.insert(
                    0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                )
            if missing:
                errors.insert(
                    0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing)
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for target, value in plan:
            arr = value._data if isinstance(value, Tensor) else value
            if is_lazy(target):  # a lazy module takes the checkpoint's shapes
                target.materialize(arr.shape)
            if assign:  # the checkpoint's dtype; a copy keeps autograd's version check sound
                replace_storage(target, np.array(arr), "load_state_dict(assign=True)")
            else:
                np.copyto(target._data, arr, casting="unsafe")
            # Both are in-place writes: a graph that saved the old values raises in backward.
            bump_version(target)
        return _IncompatibleKeys(missing, unexpected)

    # --- hooks ------------------------------------------------------------------------------

    def register_forward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args, output)`` after forward; a non-None return replaces the
        output. Returns a handle with ``remove()``."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before forward; a non-None return replaces the
        positional arguments (a single value is wrapped in a tuple). With ``with_kwargs``,
        ``hook(module, args, kwargs)`` returns None or a new ``(args, kwargs)``."""
        kw = self._forward_pre_hooks_with_kwargs if with_kwargs else None
        return self._add_hook(self._forward_pre_hooks, hook, prepend, kw)

    @staticmethod
    def _add_hook(table, hook, prepend, with_kwargs=None):
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        key = next(_ids)
        table[key] = hook
        if with_kwargs is not None:
            with_kwargs.add(key)
        if prepend:
            table.move_to_end(key, last=False)
        return RemovableHandle(table, key)

    # --- repr -------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; override in layers."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for key, mod in self._modules.items():
            lines.append("(" + key + "): " + _addindent(repr(mod), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
