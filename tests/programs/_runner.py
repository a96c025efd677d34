"""Run PyTorch programs with the real torch or with tinytensor standing in for it.

    python tests/programs/_runner.py --backend tinytensor --out results.json prog_blitz ...

Each program is ``prog_<name>.py`` beside this file: it does ``import torch`` at the top and
defines ``main(seed) -> dict``. With ``--backend tinytensor`` every ``torch`` / ``torch.*`` import
resolves to ``tinytensor`` / ``tinytensor.*`` (an alias in ``sys.modules`` plus an import hook for
submodules imported later); with ``--backend torch`` nothing is changed. One interpreter runs one
backend only, so the two never mix. The JSON written to ``--out`` holds, per program, its results
(or the traceback), its optional ``check(results)`` verdict, its ``TOLERANCES`` and the seconds
it took. A program's own prints are captured, not shown.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import json
import math
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 0

# submodules a PyTorch program reaches as ``torch.<name>``; imported up front so they alias
_SUBMODULES = (
    "autograd",
    "autograd.functional",
    "nn",
    "nn.functional",
    "nn.init",
    "nn.utils",
    "nn.utils.rnn",
    "optim",
    "optim.lr_scheduler",
    "utils",
    "utils.data",
    "linalg",
    "fft",
    "special",
    "cuda",
    "backends",
    "testing",
)


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``torch.X`` to ``tinytensor.X`` for submodules first imported after the alias."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        target_name = "tinytensor" + fullname[len("torch") :]
        if importlib.util.find_spec(target_name) is None:
            return None  # a genuine gap: the program sees ModuleNotFoundError
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("tinytensor" + spec.name[len("torch") :])

    def exec_module(self, module):
        pass


@contextlib.contextmanager
def torch_is_tinytensor():
    """While active, ``import torch`` (and ``torch.nn``, ...) gives tinytensor; restored after."""
    import tinytensor

    for sub in _SUBMODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(f"tinytensor.{sub}")
    saved = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    for k in saved:
        del sys.modules[k]
    for name, module in list(sys.modules.items()):
        if name == "tinytensor" or name.startswith("tinytensor."):
            sys.modules["torch" + name[len("tinytensor") :]] = module
    finder = _TorchAlias()
    sys.meta_path.insert(0, finder)
    try:
        assert sys.modules["torch"] is tinytensor
        yield
    finally:
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if k == "torch" or k.startswith("torch.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def _real_torch_modules() -> list[str]:
    """Names under ``torch`` in ``sys.modules`` that are not tinytensor's (should be none)."""
    return sorted(
        k
        for k, m in sys.modules.items()
        if (k == "torch" or k.startswith("torch."))
        and not getattr(m, "__name__", "").startswith("tinytensor")
    )


def _jsonable(value):
    """Results as JSON: numbers (NaN/inf as strings), strings, bools, lists and dicts of them."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, str)) or value is None:
        return value
    if hasattr(value, "tolist"):  # a NumPy scalar/array or a tensor that slipped through
        return _jsonable(value.tolist())
    value = float(value) if not isinstance(value, int) else value
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def run_program(name: str, seed: int = SEED) -> dict:
    """Import ``name`` from this folder, run ``main(seed)`` and its ``check``; never raises."""
    record: dict = {"ok": False}
    start = time.perf_counter()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            module = importlib.import_module(name)
            record["tolerances"] = _jsonable(getattr(module, "TOLERANCES", {}))
            results = module.main(seed)
        record["results"] = _jsonable(results)
        record["ok"] = True
        check = getattr(module, "check", None)
        if check is not None:
            try:
                check(results)
                record["check"] = None
            except AssertionError as exc:
                record["check"] = f"check failed: {exc}"
    except BaseException:  # noqa: BLE001 - the test reports it
        record["error"] = traceback.format_exc(limit=-8)
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["stdout_tail"] = out.getvalue()[-2000:]
    return record


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("torch", "tinytensor"), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("programs", nargs="+")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    records = {}
    if args.backend == "torch":
        import torch

        torch.set_num_threads(1)
        for name in args.programs:
            records[name] = run_program(name, args.seed)
    else:
        with torch_is_tinytensor():
            for name in args.programs:
                records[name] = run_program(name, args.seed)
                leaked = _real_torch_modules()
                if leaked and records[name]["ok"]:
                    records[name] = {"ok": False, "error": f"real torch imported: {leaked[:5]}"}
    Path(args.out).write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
