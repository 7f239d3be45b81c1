#!/usr/bin/env python3
"""Mutation testing of the CPU twin: apply one C++ mutant at a time to the twin headers, run the twin tests
that cover it, and report which mutants the tests kill.

    python tools/twin_mutants.py                 # every mutant (minutes: each one recompiles the test programs)
    python tools/twin_mutants.py -k cast -k sort # mutants whose id contains one of the words
    python tools/twin_mutants.py --list          # the mutants, without running anything

Each mutant is an exact text replacement in one header (operators, constants, rounding modes, mask
handling) that must compile and change behaviour the twin promises. The script copies the checkout
(tracked and untracked, not ignored files) to a temporary folder, mutates the copy there (your files are
never touched), runs ``pytest -x`` on the mutant's test files with the compile cache in a temporary folder,
and restores the header. A mutant is *killed* when a test fails, *survived* when all pass, *invalid* when
the mutated header no longer compiles (a bad mutant, not a test result; excluded from the kill rate).
Exit code 0 when every valid mutant is killed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TWIN = "ascendc/twin/include/twin"

VEC = ("tests/twin/test_ops_edge.py", "tests/twin/test_ops_vec.py", "tests/twin/test_ops_more.py",
       "tests/twin/test_new_apis.py")
CUBE = ("tests/twin/test_ops_cube.py", "tests/twin/test_ops_vec.py", "tests/twin/test_new_apis.py",
        "tests/twin/test_load3d_pad.py", "tests/twin/test_hazard_parallel.py")
COPY = ("tests/twin/test_core_api.py", "tests/twin/test_core_capi.py", "tests/twin/test_new_apis.py",
        "tests/twin/test_ops_cube.py")


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # under ascendc/twin/include/twin
    find: str
    replace: str
    tests: tuple[str, ...]
    nth: int | None = None  # which occurrence of `find` (1-based); None: `find` must be unique


MUTANTS = [
    # vec_arith.h: operators of the element-wise APIs
    Mutant("arith.min_computes_max", "vec_arith.h", "TWIN_BINARY_OP(Min, BINARY, (a < b ? a : b)",
           "TWIN_BINARY_OP(Min, BINARY, (a > b ? a : b)", VEC),
    Mutant("arith.max_computes_min", "vec_arith.h", "TWIN_BINARY_OP(Max, BINARY, (a > b ? a : b)",
           "TWIN_BINARY_OP(Max, BINARY, (a < b ? a : b)", VEC),
    Mutant("arith.maxs_computes_mins", "vec_arith.h", "TWIN_SCALAR_OP(Maxs, (a > b ? a : b))",
           "TWIN_SCALAR_OP(Maxs, (a < b ? a : b))", VEC),
    Mutant("arith.mins_computes_maxs", "vec_arith.h", "TWIN_SCALAR_OP(Mins, (a < b ? a : b))",
           "TWIN_SCALAR_OP(Mins, (a > b ? a : b))", VEC),
    Mutant("arith.sub_swapped", "vec_arith.h", "TWIN_BINARY_OP(Sub, BINARY, a - b,", "TWIN_BINARY_OP(Sub, BINARY, b - a,", VEC),
    Mutant("arith.sqrt_is_rsqrt", "vec_arith.h", "TWIN_UNARY_OP(Sqrt, TRANSCENDENTAL, std::sqrt(a),",
           "TWIN_UNARY_OP(Sqrt, TRANSCENDENTAL, C(1) / std::sqrt(a),", VEC),
    Mutant("arith.reciprocal_negated", "vec_arith.h", "TWIN_UNARY_OP(Reciprocal, TRANSCENDENTAL, C(1) / a,",
           "TWIN_UNARY_OP(Reciprocal, TRANSCENDENTAL, C(-1) / a,", VEC),
    Mutant("arith.abs_keeps_negative_zero", "vec_arith.h", "TWIN_UNARY_OP(Abs, UNARY, std::fabs(a),",
           "TWIN_UNARY_OP(Abs, UNARY, (a < C(0) ? -a : a),", VEC),
    Mutant("arith.scalar_not_held_in_dtype", "vec_arith.h", "C b = C(scalarValue);",
           "C b = C(scalarValue) + C(0.001f);", VEC, nth=1),
    # vec_common.h: mask handling
    Mutant("mask.continuous_one_short", "vec_common.h", "for (uint32_t e = 0; e < mk.cont; ++e) act.push_back(e);",
           "for (uint32_t e = 0; e + 1 < mk.cont; ++e) act.push_back(e);", VEC),
    Mutant("mask.high_word_ignored", "vec_common.h", "if ((mk.bits[e / 64] >> (e % 64)) & 1ull)",
           "if ((mk.bits[0] >> (e % 64)) & 1ull)", VEC),
    Mutant("mask.last_repeat_dropped", "vec_common.h", "for (int64_t r = 0; r < repeat; ++r)\n        for (uint32_t e : act)",
           "for (int64_t r = 0; r + 1 < repeat; ++r)\n        for (uint32_t e : act)", VEC),
    # vec_cast.h: rounding modes
    Mutant("cast.round_tie_towards_zero", "vec_cast.h", "(dh < dl ? hi : (x > 0 ? hi : lo)); break;",
           "(dh < dl ? hi : (x > 0 ? lo : hi)); break;", VEC),
    Mutant("cast.rint_tie_to_odd", "vec_cast.h", "((B::get(lo) & 1u) ? hi : lo)); break;",
           "((B::get(lo) & 1u) ? lo : hi)); break;", VEC),
    Mutant("cast.trunc_away_from_zero", "vec_cast.h", "case RoundMode::CAST_TRUNC: r = x > 0 ? lo : hi;",
           "case RoundMode::CAST_TRUNC: r = x > 0 ? hi : lo;", VEC),
    Mutant("cast.odd_picks_even", "vec_cast.h", "case RoundMode::CAST_ODD: r = (B::get(lo) & 1u) ? lo : hi;",
           "case RoundMode::CAST_ODD: r = (B::get(lo) & 1u) ? hi : lo;", VEC),
    Mutant("cast.floor_is_ceil", "vec_cast.h", "case RoundMode::CAST_FLOOR: r = lo; break;",
           "case RoundMode::CAST_FLOOR: r = hi; break;", VEC),
    Mutant("cast.int_round_ties_even", "vec_cast.h", "case RoundMode::CAST_ROUND: r = std::round(x); break;",
           "case RoundMode::CAST_ROUND: r = std::nearbyint(x); break;", VEC),
    Mutant("cast.int_rint_ties_odd", "vec_cast.h", "(std::fmod(f, 2.0L) == 0 ? f : f + 1)",
           "(std::fmod(f, 2.0L) == 0 ? f + 1 : f)", VEC),
    Mutant("cast.float_overflow_not_saturated", "vec_cast.h",
           "if ((ru & ~B::sign) == B::inf) r = B::put((ru & B::sign) | B::max_finite);", "", VEC),
    Mutant("cast.int_overflow_not_saturated", "vec_cast.h",
           "if (r >= static_cast<long double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();",
           "", VEC),
    # vec_reduce.h
    Mutant("reduce.extreme_last_index", "vec_reduce.h",
           "if (first || (is_max ? float(v) > float(best) : float(v) < float(best)))",
           "if (first || (is_max ? float(v) > float(best) : float(v) <= float(best)))", VEC),
    Mutant("reduce.across_repeats_last_index", "vec_reduce.h",
           "if (first || (kind == 1 ? float(v) > float(best) : float(v) < float(best)))",
           "if (first || (kind == 1 ? float(v) > float(best) : float(v) <= float(best)))", VEC),
    Mutant("reduce.block_min_is_max", "vec_reduce.h", "(is_min ? float(x) < float(best) : float(x) > float(best))",
           "(is_min ? float(x) > float(best) : float(x) > float(best))", VEC),
    Mutant("reduce.block_writes_empty_blocks", "vec_reduce.h", "if (is_sum || any) std::memcpy", "if (true) std::memcpy", VEC),
    Mutant("reduce.tree_is_halves", "vec_reduce.h", "v[i] = sat_add(v[2 * i], v[2 * i + 1]);",
           "v[i] = sat_add(v[i], v[n / 2 + i]);", VEC),
    Mutant("reduce.index_without_repeat", "vec_reduce.h", "bi = r * epr<T>() + i;", "bi = i;", VEC),
    Mutant("reduce.value_index_swapped", "vec_reduce.h",
           "case ReduceOrder::ORDER_VALUE_INDEX: std::memcpy(o, &val, sizeof(T)); std::memcpy(o + sizeof(T), &ix, sizeof(T));",
           "case ReduceOrder::ORDER_VALUE_INDEX: std::memcpy(o, &ix, sizeof(T)); std::memcpy(o + sizeof(T), &val, sizeof(T));",
           VEC),
    # sort.h
    Mutant("sort.sort32_ascending", "sort.h", "return float(sc[r * 32 + a]) > float(sc[r * 32 + b]);",
           "return float(sc[r * 32 + a]) < float(sc[r * 32 + b]);", VEC),
    Mutant("sort.mrgsort_tie_later_list", "sort.h", "q[i][pos[i]].score > q[best][pos[best]].score",
           "q[i][pos[i]].score >= q[best][pos[best]].score", VEC),
    Mutant("sort.mrgsort_no_suspension", "sort.h", "if (best < 0 || (exhausted && params.ifExhaustedSuspension)) break;",
           "if (best < 0) break;", VEC),
    # cube_kernel.h / cube.h: Mmad and Fixpipe
    Mutant("cube.float_accumulate_ignored", "cube_kernel.h", "else c = float(v) + (accumulate ? c : 0.0f);",
           "else c = float(v);", CUBE),
    Mutant("cube.int_accumulate_ignored", "cube_kernel.h", "c = int32_t(int64_t(v) + (accumulate ? int64_t(c) : 0));",
           "c = int32_t(int64_t(v));", CUBE),
    Mutant("fixpipe.relu_ignored_noquant", "cube.h", "if (p.reluEn && float(out) < 0) out = T(0);", "", CUBE),
    Mutant("fixpipe.relu_ignored_deq", "cube.h", "if (p.reluEn && x < 0) x = 0;", "", CUBE),
    Mutant("fixpipe.deq_scale_full_mantissa", "cube.h", "uint32_t u = uint32_t(s) & 0xFFFFE000u;",
           "uint32_t u = uint32_t(s) & 0xFFFFFFFFu;", CUBE),
    Mutant("fixpipe.deq_truncates", "cube.h", "return twin::vec::round_float<half>(x, RoundMode::CAST_RINT);",
           "return twin::vec::round_float<half>(x, RoundMode::CAST_TRUNC);", CUBE),
    Mutant("fixpipe.nz2nd_row_pitch_is_nsize", "cube.h", "? nd * p.dstNdStride + m * p.dstStride + n",
           "? nd * p.dstNdStride + m * p.nSize + n", CUBE),
    # copy.h: DataCopy / DataCopyPad
    Mutant("copy.nd2nz_no_zero_fill", "copy.h",
           "if (n < c0) std::memset(row + n * sizeof(T), 0, (c0 - n) * sizeof(T));", "", COPY),
    Mutant("copy.gm_ub_src_stride_is_dst", "copy.h",
           "uint64_t so = uint64_t(i) * (p.blockLen + p.srcStride) * 32, doff",
           "uint64_t so = uint64_t(i) * (p.blockLen + p.dstStride) * 32, doff", COPY, nth=1),
    Mutant("copy.ub_gm_dst_stride_ignored", "copy.h",
           "doff = uint64_t(i) * (p.blockLen + p.dstStride) * 32;", "doff = uint64_t(i) * p.blockLen * 32;", COPY, nth=2),
    Mutant("copy.pad_no_dummy_repeat", "copy.h", "put(blockLen, slot, first);", "", COPY),
    Mutant("copy.pad_no_right_fill", "copy.h", "put(lb + blockLen, lb + blockLen + rb, fill);", "", COPY),
    Mutant("copy.pad_dst_stride_bytes", "copy.h", "const uint64_t pitch = slot + dstStride * 32;",
           "const uint64_t pitch = slot + dstStride;", COPY),
]


def _apply(text: str, m: Mutant) -> str:
    parts = text.split(m.find)
    found = len(parts) - 1
    if m.nth is None and found != 1:
        raise SystemExit(f"mutant {m.id}: {m.find!r} occurs {found} time(s) in {m.file}; it must be unique (or set nth)")
    nth = m.nth or 1
    if found < nth:
        raise SystemExit(f"mutant {m.id}: {m.find!r} occurs {found} time(s) in {m.file}, wanted occurrence {nth}")
    return m.find.join(parts[:nth]) + m.replace + m.find.join(parts[nth:])


def _copy_checkout(dst: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", action="append", default=[], metavar="WORD", help="only mutants whose id contains WORD")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.k or any(w in m.id for w in args.k)]
    for m in chosen:  # every mutant applies to the current headers
        _apply((REPO / TWIN / m.file).read_text(), m)
    if args.list:
        for m in chosen:
            print(f"{m.id:40s} {m.file}")
        return 0
    results: list[tuple[Mutant, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="twin-mutants-") as tmp:
        work = Path(tmp) / "repo"
        _copy_checkout(work)
        env = dict(os.environ, DSAOPS_CACHE=str(Path(tmp) / "cache"), PYTHONDONTWRITEBYTECODE="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work / "cli"), env.get("PYTHONPATH", "")]))
        for m in chosen:
            header = work / TWIN / m.file
            original = header.read_text()
            header.write_text(_apply(original, m))
            t0 = time.monotonic()
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *m.tests],
                                  cwd=work, env=env, capture_output=True, text=True)
            header.write_text(original)
            out = proc.stdout + proc.stderr
            if proc.returncode == 0:
                verdict = "survived"
            elif "TwinCompileError" in out:
                verdict = "invalid"
            else:
                verdict = "killed"
            dt = time.monotonic() - t0
            results.append((m, verdict, dt))
            line = next((ln for ln in reversed(out.splitlines()) if ln.startswith("FAILED")), "")
            print(f"{verdict:9s} {m.id:40s} {dt:6.1f}s {line[:110]}", flush=True)
    valid = [r for r in results if r[1] != "invalid"]
    killed = sum(1 for r in valid if r[1] == "killed")
    print(f"\n{killed}/{len(valid)} mutants killed ({100.0 * killed / max(1, len(valid)):.0f}%)"
          + (f", {len(results) - len(valid)} invalid" if len(valid) != len(results) else ""))
    for m, verdict, _ in results:
        if verdict != "killed":
            print(f"  {verdict}: {m.id} ({m.file}: {m.find!r} -> {m.replace!r})")
    return 0 if killed == len(valid) else 1


if __name__ == "__main__":
    sys.exit(main())
