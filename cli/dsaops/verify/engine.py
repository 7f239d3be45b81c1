"""Plan and run the cases of a verification (one process, or ``-j N`` worker processes).

Each case is a :class:`Job` (op, case, SoC, seed): generate the inputs from the seed, run the golden
and its exact variant, run the backend, judge every output with the op's rule, and record a plain
JSON-able dict (the ``cases`` items of the report, see ``dsaops.verify.report``). A job depends on
nothing but itself, so ``-j N`` gives the same records as ``-j 1`` (only times differ).
"""

from __future__ import annotations

import math
import time
import traceback
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import UsageError
from ..opdef import OpDef
from .target import Package


@dataclass(frozen=True)
class Job:
    index: int
    op: str
    case: str
    tier: str
    params: dict
    soc: str
    seed: int

    @property
    def ident(self) -> str:
        return f"{self.op}/{self.case}"


@dataclass
class Plan:
    ops: list[dict]  # per selected op: name, status, socs, detail
    jobs: list[Job]


def case_seed(ident: str, seed: int | None) -> int:
    """The catalog's seed of a case (the one ``dsaops golden`` exports), or one mixed with ``--seed N``."""
    return zlib.crc32(ident.encode()) if seed is None else zlib.crc32(f"{ident}#seed={seed}".encode())


def _select_cases(op: OpDef, selection: str) -> list:
    if selection in ("smoke", "full"):
        return list(op.cases.get(selection, ()))
    ids = {s.strip() for s in selection.split(",") if s.strip()}
    return [c for c in op.all_cases() if c.id in ids or c.ident in ids]


def make_plan(ops: list[OpDef], pkg: Package, *, selection: str, socs: tuple[str, ...] | None, seed: int | None,
              has_kernel: Callable[[OpDef], bool], reference_for: Callable[[OpDef], object]) -> Plan:
    in_pkg = pkg.ops
    rows, jobs = [], []
    chosen_ids = set()
    for op in ops:
        entry = in_pkg.get(op.name)
        if entry is None:
            if has_kernel(op):
                rows.append({"name": op.name, "status": "missing", "socs": [],
                             "detail": "has a kernel but is not in the package"})
            else:
                rows.append({"name": op.name, "status": "no_kernel", "socs": [],
                             "detail": f"no kernel yet (no {op.kernel.dir}/ in the kernels folder)"})
            continue
        op_socs = [s for s in entry.get("socs", []) if socs is None or s in socs]
        if not op_socs:
            rows.append({"name": op.name, "status": "missing", "socs": [],
                         "detail": f"the package builds it for {', '.join(entry.get('socs', []))}, "
                                   f"not for --soc {','.join(socs or ())}"})
            continue
        if reference_for(op) is None:
            rows.append({"name": op.name, "status": "no_golden", "socs": op_socs,
                         "detail": "no golden reference (opdef golden: or <opdefs>/golden/<op>.py)"})
            continue
        cases = _select_cases(op, selection)
        chosen_ids.update(c.id for c in cases)
        chosen_ids.update(c.ident for c in cases)
        if not cases:
            rows.append({"name": op.name, "status": "no_cases", "socs": op_socs,
                         "detail": f"no case of --cases {selection} for this op"})
            continue
        rows.append({"name": op.name, "status": "verified", "socs": op_socs, "detail": f"{len(cases)} case(s)"})
        for c in cases:
            for s in op_socs:
                jobs.append(Job(len(jobs), op.name, c.id, c.tier, dict(c.params), s, case_seed(c.ident, seed)))
    if selection not in ("smoke", "full"):
        unknown = sorted(t for t in {s.strip() for s in selection.split(",") if s.strip()} if t not in chosen_ids)
        if unknown:
            raise UsageError(f"--cases: expected smoke, full or case ids of the selected ops, got unknown "
                             f"id(s) {', '.join(unknown)}")
    return Plan(rows, jobs)


# ---- running one case ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What a worker needs to run jobs (picklable)."""

    opdefs_dir: str | None
    root: str
    manifest: dict
    manifest_sha256: str
    backend: str


_STATE: dict = {}


def _init(ctx: Context) -> None:
    from ..opdef import load_opdefs
    from .backends import open_backend
    from .references import reference_for

    if _STATE.get("ctx") == ctx:
        return
    _close()
    pkg = Package(Path(ctx.root), ctx.manifest, ctx.manifest_sha256, "worker")
    opdefs_dir = Path(ctx.opdefs_dir) if ctx.opdefs_dir else None
    _STATE.update(ctx=ctx, ops=load_opdefs(opdefs_dir), backend=open_backend(ctx.backend, pkg), refs={},
                  opdefs_dir=opdefs_dir)


def _close() -> None:
    backend = _STATE.pop("backend", None)
    if backend is not None:
        backend.close()
    _STATE.clear()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)


def key_figure(outputs: list[dict]) -> str:
    """One short figure per case: the worst output's headline number under its rule."""
    if not outputs:
        return "-"
    worst = next((o for o in outputs if not o["passed"]), outputs[0])
    f = worst["figures"]
    rule = worst["rule"]

    def num(k):
        v = f.get(k)
        return v if isinstance(v, str) else f"{v:.3g}"
    if rule == "double_benchmark":
        text = f"rms x{num('rms_ratio')} max x{num('max_ratio')} cos {f.get('cosine', 0):.6f}" \
            if not isinstance(f.get("cosine"), str) else f"rms x{num('rms_ratio')} max x{num('max_ratio')}"
    elif rule == "topk":
        text = f"bad rows {f.get('bad_rows')}/{f.get('rows')}"
    elif rule == "int8":
        text = f"within1 {num('within_one_ratio')} max|d| {f.get('max_abs_diff')}"
    elif rule == "exact":
        text = f"mismatches {f.get('mismatches')}/{f.get('total')}"
    else:
        text = " ".join(f"{k}={v if isinstance(v, str) else format(v, '.3g')}" for k, v in list(f.items())[:2])
    return f"{worst['name']}: {text}"


def run_job(job: Job) -> dict:
    """Run one case in this process (after ``_init``); never raises for a case's own failure."""
    from .. import costmodel
    from .references import as_outputs, reference_for

    ops, backend = _STATE["ops"], _STATE["backend"]
    record = {"index": job.index, "op": job.op, "case": job.case, "tier": job.tier, "soc": job.soc, "seed": job.seed,
              "params": _jsonable(job.params), "status": "error", "error": None, "outputs": [], "key_figure": "-",
              "run": None, "model": None,
              "times": {"inputs_s": None, "golden_s": None, "exact_s": None, "backend_s": None}}
    times = record["times"]
    try:
        op = ops[job.op]
        refs = _STATE["refs"]
        if job.op not in refs:
            refs[job.op] = reference_for(op, _STATE["opdefs_dir"])
        ref = refs[job.op]
        t0 = time.perf_counter()
        inputs = ref.make_inputs(dict(job.params), np.random.default_rng(job.seed))
        times["inputs_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        want = as_outputs(ref.golden(**inputs))
        times["golden_s"] = time.perf_counter() - t0
        exact = None
        if ref.exact is not None:
            t0 = time.perf_counter()
            exact = as_outputs(ref.exact(**inputs))
            times["exact_s"] = time.perf_counter() - t0
        actual, info = backend.run(op, dict(inputs), job.soc)
        times["backend_s"] = info.wall_s
        record["run"] = {"backend": backend.name, "variant": info.variant, "block_dim": info.block_dim,
                         "tiling_key": info.tiling_key, "tiling": _jsonable(info.tiling),
                         "counters": _jsonable(info.counters)}
        if job.soc in costmodel.SOCS and info.cores:
            record["model"] = _model(op, inputs, info, job.soc)
        results = ref.judge(actual, want, exact, inputs)
        record["outputs"] = [{"name": name, "rule": r.rule, "passed": bool(r.passed),
                              "figures": _jsonable(dict(r.figures)), "reason": r.reason,
                              "first_mismatch": str(r.first_mismatches[0]) if r.first_mismatches else None}
                             for name, r in results.items()]
        record["status"] = "pass" if all(o["passed"] for o in record["outputs"]) else "fail"
        record["key_figure"] = key_figure(record["outputs"])
    except Exception as exc:  # a case's own failure (kernel error, bad case, missing library) is its result
        name = type(exc).__name__
        text = str(exc).strip() or traceback.format_exc(limit=1).strip().splitlines()[-1]
        record["error"] = f"{name}: {text}"
    return record


def _model(op: OpDef, inputs: dict, info, soc: str) -> dict:
    from .. import costmodel
    from ..bench import WORK
    from ..validate import bind

    work = WORK[op.name](bind(op, inputs)) if op.name in WORK else None
    cost = costmodel.model(info.cores, soc, min_gm_bytes=work.min_gm_bytes if work else None,
                           exact_macs=work.exact_macs if work else 0, mac_dtype=work.mac_dtype if work else None)
    return {"modelled_s": cost.modelled_s, "bound": cost.bound, "floor_s": cost.floor_s,
            "gm_bytes": int(cost.gm_bytes)}


def _died(job: Job, exc: BaseException) -> dict:
    return {"index": job.index, "op": job.op, "case": job.case, "tier": job.tier, "soc": job.soc, "seed": job.seed,
            "params": _jsonable(job.params), "status": "error",
            "error": f"WorkerDied: the process running this case (or one beside it) died: {exc}", "outputs": [],
            "key_figure": "-", "run": None, "model": None,
            "times": {"inputs_s": None, "golden_s": None, "exact_s": None, "backend_s": None}}


def _worker_run(ctx: Context, job: Job) -> dict:
    _init(ctx)
    return run_job(job)


def run_jobs(ctx: Context, jobs: list[Job], workers: int, *, on_start: Callable[[Job], None] = lambda j: None,
             on_done: Callable[[Job, dict], None] = lambda j, r: None) -> list[dict]:
    """Every job's record, in job order; ``workers`` > 1 runs them in that many processes."""
    records: dict[int, dict] = {}
    if workers <= 1 or len(jobs) <= 1:
        try:
            _init(ctx)
            for job in jobs:
                on_start(job)
                records[job.index] = run_job(job)
                on_done(job, records[job.index])
        finally:
            _close()
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_worker_run, ctx, job): job for job in jobs}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    records[job.index] = fut.result()
                except BrokenProcessPool as exc:  # a worker died (e.g. a crash inside a library): say which case
                    records[job.index] = _died(job, exc)
                on_done(job, records[job.index])
    return [records[j.index] for j in jobs]
