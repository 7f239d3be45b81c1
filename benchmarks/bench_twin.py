"""Speed of the CPU twin (a benchmark script, not a test).

    python benchmarks/bench_twin.py [--opt=-O1] [--reps 40] [--threads 1,2]

Builds and runs two programs with g++ (the flags the twin tests use: -std=c++17 -O1 -pthread; pass
--opt=-O2 for what a cmake Release build of the op libraries gets):

* benchmarks/twin/bench_mmad.cpp: GMAC/s of 128 x 128 x 256 int8, bfloat16 and float16 Mmads on one
  host core (MACs per second of the thread's CPU time; wall time printed beside it, lower on a busy host).
* benchmarks/twin/bench_mix.cpp: wall time of one launch of ascendc/twin/examples/mix_matmul_softmax.cpp
  (24 AI cores = 72 simulated cores) per host thread count, with hashes of the output and counters,
  which must not change with the thread count.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INCLUDE = REPO / "ascendc" / "twin" / "include"


def build(src: Path, out: Path, opt: str) -> Path:
    cmd = ["g++", "-std=c++17", opt, "-pthread", "-I", str(INCLUDE), str(src), "-o", str(out)]
    subprocess.run(cmd, check=True, cwd=REPO)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opt", default="-O1", help="optimisation flag (default -O1, as the twin tests)")
    ap.add_argument("--reps", type=int, default=40, help="Mmads per dtype and launches per thread count")
    ap.add_argument("--threads", default="1,0", help="host thread counts for the MIX launch (0: the host's cores)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        mmad = build(REPO / "benchmarks" / "twin" / "bench_mmad.cpp", Path(tmp) / "bench_mmad", args.opt)
        mix = build(REPO / "benchmarks" / "twin" / "bench_mix.cpp", Path(tmp) / "bench_mix", args.opt)
        print(f"# g++ -std=c++17 {args.opt} -pthread")
        sys.stdout.flush()
        subprocess.run([str(mmad), str(args.reps)], check=True)
        for t in args.threads.split(","):
            subprocess.run([str(mix), str(args.reps), t.strip()], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
