"""A program the cleanup tests run in a subprocess: it makes named shared-memory segments
(the "file_system" strategy) in itself and in a child, prints their names, then ends the way
argv[1] says: normally, by an exception, by Ctrl-C (it waits for SIGINT), or after SIGKILLing
the child that made some of them."""

import os
import signal
import sys
import time

import tinytensor as tt
import tinytensor.multiprocessing as mp
from tinytensor.core import sharedmem as SM


def name_of(t):
    return SM.block_of(t.detach().numpy())[0].name


def child(q, r):
    got = q.get(timeout=30)
    made = tt.full((1000,), 3.0).share_memory_()
    r.put((name_of(got), made))  # a segment this child made, sent: kept until the child ends
    r.put(name_of(made))
    q.get(timeout=60)  # told to end (and then unlinks what it made), or SIGKILLed


def main(mode):
    mp.set_sharing_strategy("file_system")
    ctx = mp.get_context("fork")
    kept = tt.arange(1000.0).share_memory_()
    model = tt.nn.Linear(20, 20).share_memory()
    names = [name_of(kept)] + [name_of(p) for p in model.parameters()]
    q, r = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=child, args=(q, r), daemon=True)
    p.start()
    sent = tt.ones(500)
    q.put(sent)
    seen_by_child, from_child = r.get(timeout=30)
    names += [name_of(sent), seen_by_child, r.get(timeout=30)]
    assert from_child.numpy().sum() == 3000.0
    for n in names:
        print("SEGMENT", n, flush=True)
    if mode == "child_killed":
        os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        print("CHILD", p.exitcode, flush=True)
        return
    q.put("stop")
    p.join(30)
    assert p.exitcode == 0
    if mode == "exception":
        raise RuntimeError("the program failed on purpose")
    if mode == "sigint":
        print("READY", flush=True)
        time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1])
