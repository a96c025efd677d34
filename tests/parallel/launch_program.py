"""What each rank runs in the launcher tests: an all-reduce, then argv[1] says how it ends."""

import os
import sys
import time

import tinytensor as tt
import tinytensor.distributed as dist

dist.init_process_group("gloo", init_method="env://", timeout=20)
t = tt.ones(2) * dist.get_rank()
dist.all_reduce(t)
env = [os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")]
# One string per print: with PYTHONUNBUFFERED each argument would be its own write, and the
# two ranks' writes reach mpiexec's output interleaved.
print(f"RANK {' '.join(env)} {os.environ['MASTER_PORT']} {t.tolist()} {sys.argv[1:]}", flush=True)
mode = sys.argv[1]
if mode == "raise" and dist.get_rank() == 1:
    raise ValueError("rank one broke")
if mode == "kill" and dist.get_rank() == 1:
    os.kill(os.getpid(), 9)
if mode == "sleep":
    time.sleep(60)
dist.barrier()
dist.destroy_process_group()
