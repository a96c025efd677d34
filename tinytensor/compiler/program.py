"""A traced call turned into two straight-line Python functions of NumPy kernels.

``build`` takes what the tracer saw and keeps only what the results need: the forward steps
that make the outputs or a *residual* (a forward array the backward program reads), and the
backward steps that make the gradients (dead code removed). A forward step whose arguments are
all constants was already computed while tracing: its result becomes a constant (folded).
Random steps are always kept, so a replay draws from the generator exactly as eager does.

The two programs are generated as Python source, one kernel call per line, and compiled with
``exec``: a replay is a plain function call per kernel, no Tensor and no Node per op. The same
lines, with names and shapes, are the listing ``Program.__str__`` prints.
"""

from __future__ import annotations

import numpy as np

from tinytensor.compiler.buffers import BufferPool, plan
from tinytensor.compiler.rewrite import reorder_relu_pool
from tinytensor.compiler.trace import CONST, SEQ, SLOT


class Program:
    """The forward and backward programs of one traced call (see the module docstring).

    ``forward(*inputs) -> (outputs, residuals)``; ``backward(*grads, *residuals) -> gradients``
    (None where the call has no backward). ``inputs`` are the storage of the call's tensor
    arguments and then of its external tensors; ``residual_outputs[i]`` is the output index a
    residual is (the node saves that output, so changing it in place is caught), else None.
    """

    def __init__(self):
        self.forward = None
        self.backward = None
        self.forward_source = ""
        self.backward_source = ""
        self.listing = ""
        self.n_forward = 0  # kernel calls per replay
        self.n_backward = 0
        self.folded = 0
        self.removed = 0
        self.residual_outputs = ()
        self.residual_inputs = ()  # input index a residual is (saved as that tensor), else None
        self.const_outputs = ()  # output indices that are constants (copied on every call)
        self.dynamic = False  # the batch size B is read from an input on every call
        self.out_inputs = ()  # per output: the input it is (returned as that tensor), else None
        # One entry per kernel call, for a picture of the program (``tt.viz.draw_program``):
        # (phase, primitive name, names written, names read, shapes written).
        self.steps = []
        self.inputs = ()  # the forward's argument names (x0...), then the gradients (g0...)
        self.outputs = ()  # the names the forward returns
        self.gradients = ()  # the names the backward returns (None where no gradient)
        # Buffers reused from call to call (compiler.buffers): the same programs with the
        # pooled values written by ``into`` kernels, taking the buffer set first; None where
        # no value is pooled. They run only where every input (and incoming gradient) has the
        # strides it had when traced, so each kernel meets the layouts it met then.
        self.pool = None
        self.forward_pooled = self.backward_pooled = None
        self.buffers = {}  # value name -> its buffer's number
        self.input_strides = self.grad_strides = ()

    def __str__(self) -> str:
        return self.listing

    def __repr__(self) -> str:
        return f"<Program: {self.n_forward} forward and {self.n_backward} backward kernel calls>"


def _reads(ref, into):
    kind = ref[0]
    if kind == SLOT:
        into.add(ref[1])
    elif kind == SEQ:
        for r in ref[2]:
            _reads(r, into)


def _all_const(ref):
    if ref[0] == SLOT:
        return False
    if ref[0] == SEQ:
        return all(_all_const(r) for r in ref[2])
    return True


class Sym:
    """In a dynamic program, an integer that is ``k`` times the batch size ``B``."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __repr__(self) -> str:
        return "B" if self.k == 1 else f"B*{self.k}"


def _has_sym(v) -> bool:
    if v.__class__ is Sym:
        return True
    if v.__class__ in (tuple, list):
        return any(_has_sym(x) for x in v)
    if v.__class__ is dict:
        return any(_has_sym(x) for x in v.values())
    return False


def build(tracer, out_slots, grad_in_slots, grad_out_slots, input_slots, symbolic=None,
          batch_input=None):
    """The Program for a trace: ``out_slots`` (one per output tensor), ``grad_in_slots`` (the
    gradient arriving at each differentiable output), ``grad_out_slots`` (one per input needing a
    gradient, None where it gets none), ``input_slots`` (arguments then externals).

    ``symbolic`` (a dynamic program) maps ``(step, "arg", j)`` and ``(step, "attr", key)`` to the
    argument reference or attribute value with ``Sym`` in place of the batch-sized integers;
    ``batch_input`` is the input whose first dimension is the batch size ``B``."""
    symbolic = symbolic or {}
    sym_steps = {k[0] for k in symbolic}
    keep = set(out_slots) | {s for s in grad_out_slots or () if s is not None}
    steps = reorder_relu_pool(tracer, tracer.steps, keep, sym_steps)
    producer = {}
    for i, st in enumerate(steps):
        for s in st.outs:
            producer[s] = i
    prog = Program()

    # Backward: the steps the gradients need, from the last back.
    need = {s for s in grad_out_slots or () if s is not None}
    keep_b = []
    for i in range(len(steps) - 1, -1, -1):
        st = steps[i]
        if st.phase != "backward" or not any(s in need for s in st.outs):
            continue
        keep_b.append(i)
        for r in st.args:
            _reads(r, need)
    keep_b.reverse()
    made_b = {s for i in keep_b for s in steps[i].outs}
    grad_set = set(grad_in_slots)
    residuals = sorted(s for s in need if s not in made_b and s not in grad_set)

    # Forward: what the outputs and residuals need; random steps stay.
    need_f = set(out_slots) | set(residuals)
    keep_f = []
    for i in range(len(steps) - 1, -1, -1):
        st = steps[i]
        if st.phase != "forward":
            continue
        if not (st.prim.random or st.prim.mutates or any(s in need_f for s in st.outs)):
            prog.removed += 1
            continue
        keep_f.append(i)
        for r in st.args:
            _reads(r, need_f)
    keep_f.reverse()

    # Fold forward steps of constants only (their traced result is the constant), but not
    # those whose result an in-place write reaches (directly or through a view): each call
    # must start from a fresh array there.
    written = set()
    for i in keep_f:
        if steps[i].prim.mutates and steps[i].args:
            _reads(steps[i].args[0], written)
    for i in reversed(keep_f):
        if any(s in written for s in steps[i].outs):
            for r in steps[i].args:
                _reads(r, written)
    consts = {}
    live_f = []
    for i in keep_f:
        st = steps[i]
        if (
            not (st.prim.random or st.prim.mutates)
            and i not in sym_steps
            and not any(s in written for s in st.outs)
            and all(_all_const(r) for r in st.args)
            and all(_all_const((CONST, v)) for v in (st.attrs or {}).values())
        ):
            for s in st.outs:  # a copy: the traced call returned that array to the user
                consts[s] = tracer.arrays[s].copy(order="K")  # its layout too
            prog.folded += 1
        else:
            live_f.append(i)
    prog.removed += len([i for i, st in enumerate(steps) if st.phase == "backward"]) - len(keep_b)

    pooled, views, sizes = {}, [], []
    if batch_input is None:  # a static program (a dynamic one's shapes vary by call)
        visible = {*input_slots, *grad_in_slots, *out_slots, *(grad_out_slots or ())} - {None}
        pooled, views, sizes = plan(steps, live_f + keep_b, tracer.arrays, residuals, visible)
    swaps = {}  # line number -> the line writing into the buffers instead
    intos = {}  # the into kernels' names (apart: ns numbers the constants by its size)

    names = {}
    for k, s in enumerate(input_slots):
        names[s] = f"x{k}"
    for k, s in enumerate(grad_in_slots):
        names[s] = f"g{k}"
    ns = {}

    def name(s):
        if s in names:
            return names[s]
        if s in consts:
            n = f"c{s}"
            ns[n] = consts[s]
            names[s] = n
            return n
        n = f"v{s}"
        names[s] = n
        return n

    def expr(ref, k):
        kind = ref[0]
        if kind == SLOT:
            return name(ref[1])
        if kind == SEQ:
            inner = ", ".join(expr(r, k) for r in ref[2])
            return f"[{inner}]" if ref[1] is list else f"({inner}{',' if len(ref[2]) == 1 else ''})"
        v = ref[1]
        if v is None or v.__class__ in (bool, int) or (v.__class__ is float and np.isfinite(v)):
            return repr(v)
        if _has_sym(v):
            if v.__class__ is Sym:
                return repr(v)
            inner = ", ".join(expr((CONST, x), k) for x in v)
            return f"[{inner}]" if v.__class__ is list else f"({inner}{',' if len(v) == 1 else ''})"
        n = f"k{len(ns)}"
        ns[n] = v
        return n

    def lines(indices, listing, keep):
        code = []
        ns["_array"] = np.asarray
        # Each value is dropped after its last read (``del``), unless the program returns it:
        # the arrays it alone holds are freed there, as eager frees a tensor no one holds.
        produced, last = set(), {}
        for p, i in enumerate(indices):
            for s in steps[i].outs:
                produced.add(s)
                last[s] = p
            read = set()
            for r in steps[i].args:
                _reads(r, read)
            for s in read:
                last[s] = p
        dead = {}
        for s, p in last.items():
            if s in produced and s not in keep:
                dead.setdefault(p, []).append(s)
        for p, i in enumerate(indices):
            st = steps[i]
            kname = f"f{i}"
            ns[kname] = st.prim.kernel
            refs = [symbolic.get((i, "arg", j), r) for j, r in enumerate(st.args)]
            attrs = {key: symbolic.get((i, "attr", key), v) for key, v in (st.attrs or {}).items()}
            args = [expr(r, i) for r in refs]
            for key, v in attrs.items():
                args.append(f"{key}={expr((CONST, v), i)}")
            outs = [name(s) for s in st.outs]
            if not outs:  # a value guard
                code.append(f"    {kname}({', '.join(args)})")
            else:
                target = outs[0] if not st.prim.multi else "(" + ", ".join(outs) + ",)"
                code.append(f"    {target} = {kname}({', '.join(args)})")
                if any(s in pooled for s in st.outs):  # None: made as the kernel makes it
                    bufs = [f"w{pooled[s]}" if s in pooled else "None" for s in st.outs]
                    into = bufs[0] if not st.prim.multi else "(" + ", ".join(bufs) + ",)"
                    intos[f"i{i}"] = st.prim.into
                    call = f"i{i}({into}, {', '.join(args)})"
                    swaps[id(code), len(code) - 1] = f"    {target} = {call}"
                if st.scalar:  # a NumPy scalar made a 0-d array, as the primitive does
                    if st.prim.multi:
                        code += [f"    {o} = _array({o})" for o in outs]
                    else:
                        code[-1] = f"    {target} = _array({kname}({', '.join(args)}))"
            shapes = ", ".join(_describe(tracer.arrays[s]) for s in st.outs)
            shown = [_show(r, names, tracer) for r in refs]
            shown += [f"{key}={_short(v)}" for key, v in attrs.items()]
            listing.append(
                f"  {', '.join(outs) + ' = ' if outs else ''}{st.prim.name}({', '.join(shown)})"
                + (f"    # {shapes}" if shapes else "")
            )
            reads = [names[r[1]] for r in st.args if r[0] == SLOT]
            for r in st.args:
                if r[0] == SEQ:
                    reads += [names[x[1]] for x in r[2] if x[0] == SLOT]
            prog.steps.append((st.phase, st.prim.name, tuple(outs), tuple(reads), shapes))
            if p in dead:
                code.append(f"    del {', '.join(name(s) for s in sorted(dead[p]))}")
        return code

    listing = []
    ins = [name(s) for s in input_slots]
    listing.append(f"forward({', '.join(ins)}):")
    for s in input_slots:
        listing.append(f"  # {name(s)}: {_source(tracer, s)} {_describe(tracer.arrays[s])}")
    body = lines(live_f, listing, set(out_slots) | set(residuals))
    outs = [name(s) for s in out_slots]
    res = [name(s) for s in residuals]
    listing.append(f"  return {', '.join(outs) or '()'}")
    if residuals:
        listing.append(f"  # saved for backward: {', '.join(res)}")
    src = [f"def forward({', '.join(ins)}):", *body]
    if symbolic:
        src.insert(1, f"    B = x{batch_input}.shape[0]")
        listing.insert(1 + len(input_slots), f"  B = x{batch_input}.shape[0]  # the batch size")
        res.append("B")
    returned = "".join(o + ", " for o in outs)
    kept = "".join(r + ", " for r in res)
    src.append(f"    return ({returned}), ({kept})")
    prog.forward_source = "\n".join(src)
    prog.n_forward = len(live_f)
    exec(compile(prog.forward_source, "<tinytensor.compile forward>", "exec"), ns)  # noqa: S102
    prog.forward = ns["forward"]
    unpack = f"    ({''.join(f'w{k}, ' for k in range(len(views)))}) = _b"  # views of buffers
    if pooled:
        prog.pool = BufferPool(views, sizes)
        prog.input_strides = tuple(tracer.arrays[s].strides for s in input_slots)
        prog.grad_strides = tuple(tracer.arrays[s].strides for s in grad_in_slots)
        prog.forward_pooled = _pooled(ns, intos, "forward", src, body, swaps, unpack)
    out_index = {s: k for k, s in enumerate(out_slots)}
    in_index = {s: k for k, s in enumerate(input_slots)}
    extra = (None,) if symbolic else ()  # B, a private residual of a dynamic program
    prog.residual_outputs = tuple(out_index.get(s) for s in residuals) + extra
    prog.residual_inputs = tuple(in_index.get(s) for s in residuals) + extra
    prog.dynamic = bool(symbolic)
    prog.const_outputs = tuple(k for k, s in enumerate(out_slots) if s in consts)
    prog.out_inputs = tuple(in_index.get(s) for s in out_slots)

    if grad_out_slots is not None:
        gins = [name(s) for s in grad_in_slots]
        listing.append("")
        listing.append(f"backward({', '.join(gins + res)}):")
        bbody = lines(keep_b, listing, {s for s in grad_out_slots if s is not None})
        gouts = ["None" if s is None else name(s) for s in grad_out_slots]
        listing.append(f"  return {', '.join(gouts)}")
        src = [f"def backward({', '.join(gins + res)}):", *bbody]
        src.append(f"    return ({''.join(o + ', ' for o in gouts)})")
        prog.backward_source = "\n".join(src)
        prog.n_backward = len(keep_b)
        exec(compile(prog.backward_source, "<tinytensor.compile backward>", "exec"), ns)  # noqa: S102
        prog.backward = ns["backward"]
        if pooled:
            prog.backward_pooled = _pooled(ns, intos, "backward", src, bbody, swaps, unpack)
    if pooled:
        prog.buffers = {names[s]: views[k][0] for s, k in pooled.items()}
        held = {}
        for n, k in prog.buffers.items():
            held.setdefault(k, []).append(n)
        listing.append("# buffers reused by every call (values whose lifetimes do not overlap):")
        listing += [f"#   b{k}: {', '.join(v)}" for k, v in sorted(held.items())]
    prog.listing = "\n".join(listing)
    prog.inputs = tuple(ins) + tuple(name(s) for s in grad_in_slots)
    prog.outputs = tuple(outs)
    if grad_out_slots is not None:
        prog.gradients = tuple(None if s is None else name(s) for s in grad_out_slots)
    return prog


def _pooled(ns, intos, what, src, body, swaps, unpack):
    """The program ``src`` (whose lines after the first are ``body``, then the return) as a
    function of the buffer set ``_b`` first, the pooled steps writing into their buffers."""
    lines = [swaps.get((id(body), k), line) for k, line in enumerate(body)]
    head = src[0].replace(f"def {what}(", f"def {what}_pooled(_b, ").replace("(_b, )", "(_b)")
    code = "\n".join([head, unpack, *lines, *src[1 + len(body) :]])
    space = {**ns, **intos}
    exec(compile(code, f"<tinytensor.compile {what}, buffers reused>", "exec"), space)  # noqa: S102
    return space[f"{what}_pooled"]


def _describe(a) -> str:
    if not isinstance(a, np.ndarray):
        return ""
    return f"{a.dtype}{list(a.shape)}"


def _source(tracer, s) -> str:
    kind = tracer.source[s][0]
    return {"arg": "argument", "ext": "parameter or captured tensor", "grad": "gradient"}.get(
        kind, kind
    )


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        return f"<{_describe(v)}>" if v.size > 4 else repr(v.tolist())
    if isinstance(v, np.dtype):
        return str(v)
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"<{type(v).__name__} of {len(v)}>"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _show(ref, names, tracer) -> str:
    if ref[0] == SLOT:
        s = ref[1]
        return names.get(s, f"v{s}")
    if ref[0] == SEQ:
        inner = ", ".join(_show(r, names, tracer) for r in ref[2])
        return f"[{inner}]"
    return _short(ref[1])
