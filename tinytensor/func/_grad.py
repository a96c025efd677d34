"""``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd`` and ``hessian`` on the tape.

Each transform runs the function on fresh differentiable stand-ins for the arguments it
differentiates and asks the engine (``autograd.grad``) for the derivatives. Results are plain
tensors, detached, unless the transform runs inside another transform or an argument already
required grad: then the graph is kept (``create_graph``) so that the outer level can
differentiate again (``hessian = jacfwd(jacrev(f))``, ``grad(grad(f))``). There is no forward
mode: ``jacfwd`` gets Jacobian-vector products through the double-backward trick (the
gradient of a vector-Jacobian product with respect to the vector), so it costs one backward
per input element, as forward mode costs one forward per input element.
"""

from __future__ import annotations

import functools

import numpy as np

from tinytensor.autograd.api import grad as _autograd_grad
from tinytensor.autograd.grad_mode import enable_grad, is_grad_enabled
from tinytensor.core import TensorBase, wrap
from tinytensor.func._pytree import tree_flatten, tree_unflatten
from tinytensor.ops.creation import zeros_like
from tinytensor.ops.join import stack

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp"]

_depth = [0]  # how many transforms are running now (an inner one keeps the graph)


def _name(func):
    return getattr(func, "__name__", type(func).__name__)


def _check_argnums(argnums, who):
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not isinstance(nums, tuple) or not nums or any(
        not isinstance(n, int) or isinstance(n, bool) for n in nums
    ):
        raise RuntimeError(
            f"{who}: argnums must be int or Tuple[int, ...], got: {argnums!r} "
            f"({type(argnums).__name__})"
        )
    return nums


def _resolve_argnums(nums, nargs, who):
    out = []
    for n in nums:
        if not -nargs <= n < nargs:
            raise RuntimeError(
                f"{who}: Got argnums={n}, but only {nargs} positional inputs; argnums must be "
                f"in [-{nargs}, {nargs})"
            )
        out.append(n % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{who}: argnums must be unique, got {nums}")
    return out


def _prepare(leaf, who):
    if not isinstance(leaf, TensorBase):
        raise RuntimeError(
            f"{who}: Expected the arguments to differentiate (argnums) to be Tensors or "
            f"containers of Tensors, got {type(leaf).__name__}"
        )
    if not (leaf.is_floating_point() or leaf.is_complex()):
        raise RuntimeError(
            f"{who}: only Tensors of floating point dtype can be differentiated, got an "
            f"argument of dtype {leaf.dtype}; convert it with .float()"
        )
    if leaf.requires_grad and is_grad_enabled():
        return leaf.view_as(leaf)
    return leaf.detach().requires_grad_(True)


class _Call:
    """One run of ``func`` with the differentiated arguments replaced by stand-ins."""

    def __init__(self, func, args, kwargs, argnums, has_aux, who):
        self.who = who
        nums = _check_argnums(argnums, who)
        self.single = isinstance(argnums, int)
        positions = _resolve_argnums(nums, len(args), who)
        args = list(args)
        self.inputs, self.specs, self.sizes = [], [], []
        outer = False
        for p in positions:
            leaves, spec = tree_flatten(args[p])
            outer = outer or any(isinstance(t, TensorBase) and t.requires_grad for t in leaves)
            prepared = [_prepare(t, who) for t in leaves]
            args[p] = tree_unflatten(prepared, spec)
            self.inputs.extend(prepared)
            self.specs.append(spec)
            self.sizes.append(len(prepared))
        self.keep = (_depth[0] > 0 or outer) and is_grad_enabled()
        _depth[0] += 1
        try:
            with enable_grad():
                out = func(*args, **kwargs)
        finally:
            _depth[0] -= 1
        self.aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(
                    f"{who}(f, ...)(*args): output of function f should be a tuple: (output, aux) "
                    "if has_aux is True"
                )
            out, self.aux = out
            self.aux = _finish_tree(self.aux, self.keep)
        self.out = out

    def structure(self, flat):
        """Per-input results back in the nesting of the arguments (one tree or a tuple)."""
        trees, i = [], 0
        for spec, n in zip(self.specs, self.sizes):
            trees.append(tree_unflatten(flat[i : i + n], spec))
            i += n
        return trees[0] if self.single else tuple(trees)

    def grads(self, outputs, grad_outputs, create_graph):
        """``d(outputs . grad_outputs)/d inputs``: zeros where an input is not reached."""
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
        if not pairs:
            res = [None] * len(self.inputs)
        else:
            res = _autograd_grad(
                [o for o, _ in pairs], self.inputs, [g for _, g in pairs],
                retain_graph=True, create_graph=create_graph, allow_unused=True,
            )  # fmt: skip
        return [zeros_like(x) if g is None else g for g, x in zip(res, self.inputs)]


def _finish(t, keep):
    return t if keep or not isinstance(t, TensorBase) else t.detach()


def _finish_tree(tree, keep):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([_finish(t, keep) for t in leaves], spec)


def _tensor_leaves(tree, who, what):
    leaves, spec = tree_flatten(tree)
    for t in leaves:
        if not isinstance(t, TensorBase):
            raise RuntimeError(
                f"{who}: Expected {what} to be a Tensor or a (nested) tuple, list or dict of "
                f"Tensors, got an element of type {type(t).__name__}"
            )
    return leaves, spec


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, but the function returns ``(gradient, value)`` (``((gradient, (value,
    aux))`` with ``has_aux=True``): one forward gives both."""
    who = "grad_and_value"
    _check_argnums(argnums, who)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        call = _Call(func, args, kwargs, argnums, has_aux, who)
        out = call.out
        if not isinstance(out, TensorBase):
            raise RuntimeError(
                f"{who}(f)(*args): Expected f(*args) to return a Tensor, got {type(out).__name__}"
            )
        if out.numel() != 1 or out.dim() != 0:
            raise RuntimeError(
                f"{who}(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        g = call.grads([out], [wrap(np.ones((), out._data.dtype))], call.keep)
        g = call.structure([_finish(t, call.keep) for t in g])
        value = _finish(out, call.keep)
        return (g, (value, call.aux)) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of ``func`` (which returns a 0-d tensor) with respect to the arguments at
    ``argnums`` (an int, or a tuple of ints for a tuple of gradients), as a function of the
    same arguments; an argument that is a dict/tuple/list of tensors gets a gradient of the
    same nesting. ``has_aux=True``: ``func`` returns ``(loss, aux)`` and the result is
    ``(gradient, aux)``. Composes with itself, ``vmap`` and the Jacobian transforms."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (plus ``aux`` with ``has_aux=True``): ``vjp_fn(cotangents)``,
    given cotangents with the nesting of the output, returns one vector-Jacobian product per
    primal, as a tuple. ``vjp_fn`` may be called more than once."""
    who = "vjp"
    call = _Call(func, primals, {}, tuple(range(len(primals))), has_aux, who)
    out_leaves, out_spec = _tensor_leaves(call.out, who, "f(*primals)")

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        """The vector-Jacobian products of ``cotangents`` (nested as the output)."""
        cots, spec = _tensor_leaves(cotangents, "vjp_fn", "cotangents")
        if spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                "outputs to the function"
            )
        for o, c in zip(out_leaves, cots):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"vjp_fn: Mismatch in shape: a cotangent has shape {tuple(c.shape)} and the "
                    f"output it goes with has shape {tuple(o.shape)}"
                )
        # A graph is kept only where something outside tracks the primals (as in PyTorch, where
        # create_graph=True with nothing tracking them still gives a result without grad).
        keep = call.keep and create_graph is not False
        g = call.grads(out_leaves, cots, keep)
        res = call.structure([_finish(t, keep) for t in g])
        return res

    value = _finish_tree(call.out, call.keep)
    return (value, vjp_fn, call.aux) if has_aux else (value, vjp_fn)


def _basis(t, k):
    e = np.zeros(t.numel(), t._data.dtype)
    e[k] = 1
    return wrap(e.reshape(t._data.shape))


def _assemble(call, per_output):
    """``per_output[i][j]``: the Jacobian of output leaf i w.r.t. input leaf j -> the nesting
    (outputs outside, arguments inside), as torch.func returns it."""
    out_leaves, out_spec = tree_flatten(call.out)
    jac_leaves = [call.structure(row) for row in per_output]
    return tree_unflatten(jac_leaves, out_spec) if out_leaves else jac_leaves


def _check_chunk(chunk_size, who):
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"{who}: `chunk_size` should be greater than 0, got {chunk_size!r}")


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to the arguments at ``argnums``, by reverse mode
    (one backward per output element). For an output of shape ``O`` and an input of shape
    ``I`` the block has shape ``O + I``; outputs nest outside, arguments inside."""
    who = "jacrev"
    _check_argnums(argnums, who)
    _check_chunk(chunk_size, who)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        call = _Call(func, args, kwargs, argnums, has_aux, who)
        outs, _ = _tensor_leaves(call.out, who, "f(*args)")
        per_output = []
        for o in outs:
            rows = [call.grads([o], [_basis(o, k)], call.keep) for k in range(o.numel())]
            blocks = []
            for j, x in enumerate(call.inputs):
                shape = tuple(o.shape) + tuple(x.shape)
                if rows:
                    b = stack([r[j] for r in rows]).reshape(shape)
                else:
                    b = wrap(np.zeros(shape, x._data.dtype))
                blocks.append(_finish(b, call.keep))
            per_output.append(blocks)
        jac = _assemble(call, per_output)
        return (jac, call.aux) if has_aux else jac

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func``, column by column (one Jacobian-vector product per input
    element, each through the double-backward trick: tinytensor has no forward mode). Same
    result and nesting as ``jacrev``. ``randomness`` is checked as ``vmap``'s."""
    who = "jacfwd"
    _check_argnums(argnums, who)
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        call = _Call(func, args, kwargs, argnums, has_aux, who)
        outs, _ = _tensor_leaves(call.out, who, "f(*args)")
        per_output = []
        for o in outs:
            u = zeros_like(o).requires_grad_(True)
            vjps = call.grads([o], [u], True)  # linear in u: d/du (v^T J) = J columns
            blocks = []
            for j, x in enumerate(call.inputs):
                shape = tuple(o.shape) + tuple(x.shape)
                g = vjps[j]
                cols = []
                for k in range(x.numel()):
                    c = None
                    if g.requires_grad:
                        (c,) = _autograd_grad(
                            [g], [u], [_basis(x, k)], retain_graph=True,
                            create_graph=call.keep, allow_unused=True,
                        )  # fmt: skip
                    cols.append(zeros_like(o) if c is None else c)
                if cols:
                    b = stack(cols, dim=-1).reshape(shape)
                else:
                    b = wrap(np.zeros(shape, x._data.dtype))
                blocks.append(_finish(b, call.keep))
            per_output.append(blocks)
        jac = _assemble(call, per_output)
        return (jac, call.aux) if has_aux else jac

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a function returning a 0-d tensor: ``jacfwd(jacrev(func, argnums),
    argnums)``, of shape ``I + I`` for an input of shape ``I``."""
    return jacfwd(jacrev(func, argnums), argnums)


def _jvp_of(call, tangents, who, keep):
    """Jacobian-vector products of ``call``'s outputs along ``tangents`` (one per input leaf),
    by the double-backward trick: ``J t`` is the gradient of ``(J^T u) . t`` with respect to
    ``u``."""
    outs, spec = _tensor_leaves(call.out, who, "f(*primals)")
    res = []
    for o in outs:
        u = zeros_like(o).requires_grad_(True)
        vjps = call.grads([o], [u], True)
        pairs = [(g, t) for g, t in zip(vjps, tangents) if g.requires_grad]
        if not pairs:
            res.append(zeros_like(o))
            continue
        (c,) = _autograd_grad([g for g, _ in pairs], [u], [t for _, t in pairs],
                              retain_graph=True, create_graph=keep, allow_unused=True)  # fmt: skip
        res.append(zeros_like(o) if c is None else _finish(c, keep))
    return tree_unflatten(res, spec)


def _check_tangents(call, tangents, who):
    leaves, _ = tree_flatten(tangents)
    if len(leaves) != len(call.inputs):
        raise RuntimeError(
            f"{who}: Expected primals and tangents to have the same python structure; got "
            f"{len(call.inputs)} primal tensors and {len(leaves)} tangents"
        )
    for p, t in zip(call.inputs, leaves):
        if not isinstance(t, TensorBase) or tuple(t.shape) != tuple(p.shape):
            raise RuntimeError(
                f"{who}: Expected primals and tangents to have the same shape; got a primal of "
                f"shape {tuple(p.shape)} and a tangent of "
                f"{'shape ' + str(tuple(t.shape)) if isinstance(t, TensorBase) else type(t)}"
            )
    return leaves


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product along ``tangents`` (a
    tuple with one tangent per primal, nested alike), through the double-backward trick.
    With ``has_aux=True`` ``func`` returns ``(output, aux)`` and aux comes third."""
    who = "jvp"
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError(
            f"{who}(f, primals, tangents): Expected primals and tangents to be tuples. E.g. it "
            "should be valid to call f(*primals)."
        )
    if strict:
        raise RuntimeError("jvp: strict=True is not supported (PyTorch refuses it too); leave it "
                           "False")  # fmt: skip
    call = _Call(func, primals, {}, tuple(range(len(primals))) or 0, has_aux, who)
    leaves = _check_tangents(call, tangents, who)
    out = _jvp_of(call, leaves, who, call.keep)
    value = _finish_tree(call.out, call.keep)
    return (value, out, call.aux) if has_aux else (value, out)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` gives the Jacobian-vector product
    at ``primals`` for any tangents, reusing the one forward run."""
    who = "linearize"
    call = _Call(func, primals, {}, tuple(range(len(primals))), False, who)

    def jvp_fn(*tangents):
        """The Jacobian-vector product along ``tangents`` (one per primal)."""
        return _jvp_of(call, _check_tangents(call, tangents, "jvp_fn"), "jvp_fn", call.keep)

    return _finish_tree(call.out, call.keep), jvp_fn
