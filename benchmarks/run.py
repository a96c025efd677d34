"""Run the benchmark suite: ``python -m benchmarks`` or ``python benchmarks/run.py``.

For every case, each library runs in its own worker process (benchmarks/worker.py). Workers
are started one after another (so imports and warm-ups do not overlap), then timed repeats are
interleaved: round r asks each library in turn for one repeat, so a burst of load on a shared
machine hits every library rather than one. The table shows the median and the minimum over
repeats, the ratio to PyTorch's median and to the physical floor's median.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers import (  # noqa: E402
    BASELINE,
    BASELINE_COMPILED,
    BEFORE,
    FLOORS,
    KNOBS,
    PEERS,
    REFERENCE,
)
from benchmarks.workloads import Case, cases, flops, w3_gemms, w4_gemms  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPLY_TIMEOUT_S = 900
SLOW_REPEAT_S = 1.0  # a repeat slower than this caps the repeats at 3 ...
VERY_SLOW_REPEAT_S = 5.0  # ... and slower than this at 2 (W2 scalar for the slowest peers)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- the machine ------------------------------------------------------------------------------


def blas_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count and a one-line description of the BLAS."""
    try:
        from threadpoolctl import threadpool_info

        blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
        if blas:
            b = blas[0]
            desc = (
                f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} kernels, "
                f"{b.get('threading_layer')} threading), {b.get('num_threads')} threads "
                f"[threadpoolctl]"
            )
            return int(b["num_threads"]), desc
    except ImportError:
        pass
    import numpy as np

    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        desc = f"{cfg.get('name')} {cfg.get('version')} [numpy.show_config]"
    except Exception:  # older NumPy: no dict mode
        desc = "unknown BLAS"
    n = os.cpu_count() or 1
    return n, f"{desc}; thread count not reported, assuming {n} (install threadpoolctl)"


def machine() -> dict:
    import numpy as np

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "unknown"
    threads, blas = blas_threads()
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        load = None
    return {
        "load_1min": load,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "threads": threads,
    }


# --- workers ----------------------------------------------------------------------------------


class Worker:
    """A worker process for one (library, case), spoken to one JSON line at a time."""

    def __init__(self, peer: str, case: Case, opts: dict):
        msg = {**asdict(case), "target": opts["target"], "clock": opts["clock"]}
        threads = opts["threads"]
        # A PYTHONPATH given by the user comes first, so another checkout can be measured.
        path = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        if opts.get("baseline"):
            env["TINYTENSOR_BENCH_BASELINE"] = opts["baseline"]
        env.update(KNOBS.get(peer, ("", {}))[1])  # an --allocator row: the setting it shows
        if opts["pin"]:  # --threads: every BLAS and OpenMP pool in the worker gets the same count
            env.update({v: str(threads) for v in THREAD_VARS})
        self.peer = peer
        self.err = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", peer, json.dumps(msg), str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            cwd=ROOT,
            env=env,
            text=True,
        )

    def read(self) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], REPLY_TIMEOUT_S)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            self.err.seek(0)
            tail = self.err.read().strip().splitlines()[-1:] or ["no output"]
            why = "timed out" if not ready else f"worker died (rc={self.proc.wait()})"
            return {"status": "error", "reason": f"{why}: {tail[0][:160]}"}
        return json.loads(line)

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> dict:
        out = self.ask("quit") if self.proc.poll() is None else {}
        self.proc.wait()
        self.err.close()
        return out


def run_case(case: Case, peers: list[str], repeats: int, opts: dict):
    """One result dict per peer: status, info, per-step times in seconds, extras.

    ``opts``: ``threads``, ``pin`` (force that count on every library), ``target`` (seconds of
    work per timed repeat) and ``clock`` ("wall" or "cpu").
    """
    results, live = {}, {}
    for peer in peers:
        if case.mode == "rss" and peer in FLOORS:
            continue
        w = Worker(peer, case, opts)
        msg = w.read()
        if peer in FLOORS and msg["status"] == "n/a":
            w.close()
            continue
        results[peer] = {**msg, "times": []}
        if msg["status"] == "ready":
            live[peer] = w
            t_repeat = msg["t_single"] * msg["inner"]
            cap = 2 if t_repeat > VERY_SLOW_REPEAT_S else 3 if t_repeat > SLOW_REPEAT_S else repeats
            results[peer]["repeats"] = min(repeats, cap)
        else:
            w.close()
    for r in range(repeats):
        order = list(live)
        order = order[r % len(order) :] + order[: r % len(order)] if order else []
        for peer in order:
            res = results[peer]
            if len(res["times"]) >= res["repeats"] or peer not in live:
                continue
            msg = live[peer].ask("run")
            if "t" in msg:
                res["times"].append(msg["t"])
            else:
                res.update(status=msg["status"], reason=msg.get("reason"))
                live.pop(peer).close()
    for peer, w in live.items():
        results[peer].update(w.close())
    return results


# --- the table --------------------------------------------------------------------------------


def _scale(case: Case) -> float:
    return {"µs/op": 1e6 / case.per_step, "s/run": 1.0}.get(case.unit, 1e3)


def summarise(case: Case, results: dict) -> list[dict]:
    rows, scale = [], _scale(case)
    for peer, res in results.items():
        row = {"workload": case.workload, "case": case.name, "library": peer, "unit": case.unit}
        row["status"] = res["status"]
        if res["status"] == "done":  # an RSS run
            row.update(median=res["growth_mb"], min=None, unit="MB growth")
            row["note"] = (
                f"RSS {res['rss_mb'][1]:.0f} -> {res['rss_mb'][-1]:.0f} MB after the first "
                f"tenth; {res['t_single'] * 1e3:.2f} ms/step"
            )
        elif res["times"]:
            ts = [t * scale for t in res["times"]]
            row.update(median=statistics.median(ts), min=min(ts), repeats=len(ts))
            notes = []
            if "peak_mb" in res:
                notes.append(f"peak RSS +{res['peak_mb']:.0f} MB")
            if case.wall:
                notes.append("wall clock")
            row["note"] = "; ".join(notes)
        else:
            row.update(median=None, min=None, note=res.get("reason", res["status"]))
        row["info"] = res.get("info", {})
        rows.append(row)
    ref = next((r for r in rows if r["library"] == REFERENCE and r.get("min") is not None), None)
    floor = next((r for r in rows if r["library"] in FLOORS and r.get("min") is not None), None)
    gemms = {"w3_mlp": w3_gemms, "w4_cnn": w4_gemms}.get(case.fn)
    for row in rows:
        ok = row.get("min") is not None
        row["vs_pytorch"] = row["median"] / ref["median"] if ok and ref else None
        row["vs_floor"] = row["median"] / floor["median"] if ok and floor else None
        if ok and gemms and row["library"] == "numpy floor":
            shapes = gemms(**case.kwargs)
            gflops = flops(shapes) / (row["median"] / 1e3) / 1e9
            mflop = flops(shapes) / 1e6
            row["note"] = f"float32 GEMM only: {mflop:.0f} MFLOP at {gflops:.1f} GFLOP/s"
    return rows


def _num(x, digits=3):
    if x is None:
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def table(rows: list[dict]) -> str:
    head = "| workload | case | library | median | min | unit | × PyTorch | × floor | note |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        ratio = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(
            f"| {r['workload']} | {r['case']} | {r['library']} | {_num(r['median'])} | "
            f"{_num(r['min'])} | {r['unit']} | {ratio(r['vs_pytorch'])} | "
            f"{ratio(r['vs_floor'])} | {r.get('note') or ''} |"
        )
    return "\n".join(lines)


def linearity(rows: list[dict]) -> str:
    """µs/op of each library at every W5 length, and longest over shortest (1.0 = linear)."""
    by_peer: dict[str, list] = {}
    for r in rows:
        if r["workload"] == "W5":
            by_peer.setdefault(r["library"], []).append(r)
    lines = []
    for peer, rs in by_peer.items():
        vals = [r["median"] for r in rs]
        if all(v is not None for v in vals) and len(vals) > 1:
            per = ", ".join(f"{r['case'].split('-')[0]}: {v:.2f}" for r, v in zip(rs, vals))
            lines.append(f"- {peer}: µs/op {per}; longest/shortest = {vals[-1] / vals[0]:.2f}")
        else:
            lines.append(f"- {peer}: " + "; ".join(str(r.get("note")) for r in rs))
    return "W5 linearity (µs/op should not grow with length):\n" + "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


def command() -> str:
    """The command line as the user typed it (without machine paths)."""
    script = Path(sys.argv[0])
    prog = "python -m benchmarks" if script.name == "__main__.py" else "python benchmarks/run.py"
    return " ".join([prog, *sys.argv[1:]])


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="3 repeats, short repeats: a smoke test")
    p.add_argument("--only", help="comma-separated workloads, e.g. W1,W3")
    p.add_argument("--peers", help=f"comma-separated libraries (default: {', '.join(PEERS)})")
    p.add_argument("--repeats", type=int, help="timed repeats per library (default 7, quick 3)")
    p.add_argument(
        "--threads",
        type=int,
        help="thread count for every library (sets OMP/OPENBLAS/MKL_NUM_THREADS in the workers); "
        "default: NumPy's BLAS thread count, which PyTorch is then set to",
    )
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock time (default) or the worker's CPU time, which a busy shared machine "
        "inflates far less; use cpu only with --threads 1",
    )
    p.add_argument(
        "--baseline",
        metavar="DIR",
        help=f"also time the tinytensor package in DIR (e.g. a git worktree of an older commit) "
        f"as the library {BASELINE!r} (and {BASELINE_COMPILED!r} where 'tinytensor compiled' "
        "is a peer), interleaved with the others in the same run",
    )
    p.add_argument(
        "--allocator",
        action="store_true",
        help="also time each tinytensor row in the allocator's other state, set from the "
        "environment: TINYTENSOR_MALLOC_TUNING=0 for this checkout, glibc's MALLOC_*_THRESHOLD_ "
        "for --baseline's (every other row runs as a user's script does, with neither)",
    )
    p.add_argument("--json", metavar="PATH", help="also write every row as JSON")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    target = 0.05 if args.quick else 0.2  # seconds of work per timed repeat
    peers = list(PEERS) if not args.peers else [p.strip() for p in args.peers.split(",")]
    if args.baseline:
        if not (Path(args.baseline) / "tinytensor" / "__init__.py").exists():
            sys.exit(f"--baseline {args.baseline}: no tinytensor package in that folder")
        args.baseline = str(Path(args.baseline).resolve())
        peers.insert(peers.index("tinytensor") + 1 if "tinytensor" in peers else 0, BASELINE)
        if "tinytensor compiled" in peers:
            peers.insert(peers.index("tinytensor compiled") + 1, BASELINE_COMPILED)
    if args.allocator:
        for knob, (source, _) in KNOBS.items():
            if source in peers:
                peers.insert(peers.index(source) + 1, knob)
    unknown = [p for p in peers if p not in PEERS and p not in BEFORE and p not in KNOBS]
    if unknown:
        sys.exit(f"unknown peer(s) {unknown}; choose from {list(PEERS)}")
    selected = cases(args.quick)
    if args.only:
        want = {w.strip().upper() for w in args.only.split(",")}
        selected = [c for c in selected if c.workload in want]
        if not selected:
            sys.exit(f"--only {args.only}: no such workload; choose from W1..W6, W8, W9, CLI")

    if args.clock == "cpu" and args.threads != 1:
        sys.exit("--clock cpu sums the time of every thread: use it with --threads 1")
    info = machine()
    if args.threads:
        info["threads"] = args.threads
    info["clock"] = args.clock
    print(f"# tinytensor benchmarks, {info['date']}")
    print(f"machine: {info['cpu']}, {info['nproc']} CPUs, {info['platform']}")
    print(f"python {info['python']}, numpy {info['numpy']}")
    print(f"numpy BLAS: {info['blas']}")
    load, busy = info["load_1min"], (info["nproc"] or 1) - info["threads"]
    if load is not None:
        print(f"load average (1 min) before the run: {load}")
        if load > max(busy, 0) + 0.5 and args.clock == "wall":
            print(
                "warning: other processes are using the CPUs this run needs; wall-clock times "
                "(multi-threaded BLAS above all) will be inflated. --threads 1 --clock cpu is "
                "far steadier on a shared machine."
            )
    if args.threads:
        print(f"threads: {args.threads} for every library ({', '.join(THREAD_VARS)})")
    else:
        print(f"PyTorch: torch.set_num_threads({info['threads']}) to match NumPy's BLAS")
    print(f"command: {command()}")
    clock = "process CPU time" if args.clock == "cpu" else "wall-clock time"
    print(f"{repeats} interleaved repeats per library after warm-up; {clock}; median and min\n")

    rows = []
    for case in selected:
        print(f"running {case.workload}: {case.name} ...", file=sys.stderr, flush=True)
        opts = {"threads": info["threads"], "pin": bool(args.threads), "target": target}
        opts["baseline"] = args.baseline
        results = run_case(case, peers, repeats, {**opts, "clock": args.clock})
        rows += summarise(case, results)
    print(table(rows))
    if any(r["workload"] == "W5" for r in rows):
        print("\n" + linearity(rows))
    print("\nlibraries:")
    seen = {}
    for r in rows:
        if r["info"] and r["library"] not in seen:
            seen[r["library"]] = r["info"]
        elif r["status"] in ("missing", "error"):
            seen.setdefault(r["library"], r["note"])
    for peer in peers:
        desc = seen.get(peer, "not run")
        if isinstance(desc, dict):
            desc = ", ".join(f"{k} {v}" for k, v in desc.items())
        print(f"- {peer}: {desc}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
