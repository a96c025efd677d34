"""One library, one case, one process: ``python -m benchmarks.worker PEER CASE_JSON THREADS``.

The worker builds the case's step, warms it up, picks how many steps make one timed repeat,
then answers the runner's commands on stdin with one JSON line each on stdout:
``run`` times one repeat, ``quit`` reports the peak RSS and exits. Everything the library
prints goes to stderr, so stdout carries only the protocol.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
import traceback

WARMUP_S = 0.2  # seconds of warm-up after the first step
SLOW_S = 1.0  # a first step slower than this is warm-up enough


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def peak_rss_mb() -> float:
    """High-water mark of the resident set since the last ``reset_peak``, in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# Wall-clock time by default; ``--clock cpu`` switches to this process's CPU time, which a
# busy shared machine inflates far less (meaningful only when every library is single-threaded).
CLOCK = time.perf_counter


def _time_steps(step, k):
    t0 = CLOCK()
    for _ in range(k):
        step()
    return (CLOCK() - t0) / k


def prepare(mod, case, target):
    """Build and warm up the step; returns (step, reply) where reply is the ``ready`` message."""
    fn = getattr(mod, case["fn"], None)
    if fn is None:
        reason = getattr(mod, "NOT_SUPPORTED", {}).get(case["fn"], "not implemented")
        return None, {"status": "n/a", "reason": reason}
    mode = case["mode"]
    if mode == "chain":
        return _prepare_chain(fn, case)
    step = fn(**case["kwargs"])
    if mode == "rss":
        return None, _rss_run(step, case["steps"])
    t_first = t = _time_steps(step, 1)
    if t_first < SLOW_S:  # a slow step is its own warm-up
        t0 = CLOCK()
        while CLOCK() - t0 < WARMUP_S:
            step()
        t = _time_steps(step, 1)
    inner = max(1, round(target / t))
    return step, {"status": "ready", "inner": inner, "t_first": t_first, "t_single": t}


def _prepare_chain(fn, case):
    """Long chains: warm up on a short one, then time the first long run and its peak RSS."""
    _time_steps(fn(n=300), 3)
    step = fn(**case["kwargs"])
    reset_ok = reset_peak()
    before = rss_mb() if reset_ok else peak_rss_mb()
    t = _time_steps(step, 1)
    peak = peak_rss_mb() - before
    return step, {
        "status": "ready",
        "inner": 1,
        "t_first": t,
        "t_single": t,
        "peak_mb": round(peak, 1),
        "peak_exact": reset_ok,
    }


def _rss_run(step, steps):
    """Run ``steps`` steps, sampling RSS ten times; growth is measured after the first tenth."""
    every = max(1, steps // 10)
    samples = [rss_mb()]
    t0 = CLOCK()
    for i in range(1, steps + 1):
        step()
        if i % every == 0:
            samples.append(rss_mb())
    t = (CLOCK() - t0) / steps
    return {
        "status": "done",
        "rss_mb": [round(s, 1) for s in samples],
        "growth_mb": round(samples[-1] - samples[1], 1),
        "t_single": t,
    }


def main(argv=None):
    peer, case_json, threads = (argv or sys.argv[1:])[:3]
    case = json.loads(case_json)
    global CLOCK
    # Work done in other processes (DataLoader workers, the CLI's process) is not this process's
    # CPU time: such cases are always timed on the wall clock.
    cpu = case["clock"] == "cpu" and not case.get("wall")
    CLOCK = time.process_time if cpu else time.perf_counter
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the library's own prints go to stderr

    def reply(msg):
        out.write(json.dumps(msg) + "\n")
        out.flush()

    from benchmarks.peers import BEFORE, KNOBS, PEERS

    peer = KNOBS.get(peer, (peer,))[0]  # an --allocator row: the row it varies (run.py set its env)
    if peer in BEFORE:  # the older checkout's package first (``benchmarks`` is already ours)
        sys.path.insert(0, os.environ["TINYTENSOR_BENCH_BASELINE"])
    mod = importlib.import_module(PEERS[BEFORE.get(peer, peer)])
    try:
        importlib.import_module(mod.MODULE)
    except ImportError as e:
        reply({"status": "missing", "reason": f"not installed ({e})"})
        return
    try:
        info = mod.configure(int(threads))
        step, msg = prepare(mod, case, case["target"])
    except NotImplementedError as e:  # the library lacks what the case needs (yet): "n/a"
        reply({"status": "n/a", "reason": str(e)[:200]})
        return
    except Exception as e:  # a library that cannot run a case is a result, not a crash
        traceback.print_exc()
        reply({"status": "error", "reason": f"{type(e).__name__}: {e}"[:200]})
        return
    reply({**msg, "info": info})
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "run":
            gc.collect()  # start each repeat without the previous one's garbage
            try:
                reply({"t": _time_steps(step, msg["inner"])})
            except Exception as e:
                reply({"status": "error", "reason": f"{type(e).__name__}: {e}"[:200]})
                return
        elif cmd == "quit":
            reply({"peak_rss_mb": round(peak_rss_mb(), 1)})
            return


if __name__ == "__main__":
    main()
