"""``dsaops verify --golden``: verify what is installed.

1. find the package (``target.resolve``: --install-path, --build-dir, ASCEND_CUSTOM_OPP_PATH,
   config.ini, the last ``dsaops install``, the build output) and check every file against its
   manifest's sha256 (``target.check_integrity``; a mismatch stops here, exit 13);
2. open the backend (``backends``: twin loads the package's own twin libraries; npu is not
   available here, exit 15);
3. plan: every selected op of the opdefs is reported: verified, no kernel (nothing to verify),
   missing from the package (exit 14), no golden; each verified op runs its catalog cases on every
   SoC the package holds it for (``engine.make_plan``);
4. run the cases (``engine.run_jobs``, ``-j N`` processes, identical records) and build the report
   (``report``: JSON schema, JUnit, table).

Exit: 11 when a case failed, else 12 when a case could not run, else 14 when an op is missing, else 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .. import __version__
from ..errors import MissingOp, VerifyFailed, VerifyIncomplete
from . import backends, engine, report as report_mod, target

__all__ = ["Options", "verify", "exit_code_of", "SCHEMA", "SCHEMA_VERSION"]

SCHEMA = report_mod.SCHEMA
SCHEMA_VERSION = report_mod.SCHEMA_VERSION


@dataclass(frozen=True)
class Options:
    patterns: str | None = None
    cases: str = "smoke"
    backend: str = "auto"
    socs: tuple[str, ...] | None = None
    install_path: Path | None = None
    build_dir: Path | None = None
    seed: int | None = None
    jobs: int = 1


def exit_code_of(records: list[dict], op_rows: list[dict]) -> int:
    if any(r["status"] == "fail" for r in records):
        return VerifyFailed.exit_code
    if any(r["status"] == "error" for r in records) or any(o["status"] in ("no_golden", "not_in_opdefs")
                                                          for o in op_rows):
        return VerifyIncomplete.exit_code
    if any(o["status"] == "missing" for o in op_rows):
        return MissingOp.exit_code
    return 0


def verify(opset, opts: Options, *, opdefs_dir: Path | None, has_kernel: Callable, say: Callable[[str], None],
           progress: Callable[[str], None], env: dict | None = None) -> dict:
    """Run a verification; return the report (a dict of the JSON schema, with ``exit_code``)."""
    from ..errors import UsageError
    from .references import reference_for

    started = datetime.now(timezone.utc)
    t_start = time.monotonic()
    if opts.jobs < 1:
        raise UsageError(f"-j: expected a positive number of jobs, got {opts.jobs}")
    if opts.socs is not None:
        from ..opdef.build import KNOWN_SOCS

        unknown = [s for s in opts.socs if s not in KNOWN_SOCS]
        if unknown or not opts.socs:
            raise UsageError(f"--soc: expected a comma-separated subset of {', '.join(KNOWN_SOCS)}, "
                             f"got {','.join(opts.socs)!r}")
    selected = opset.select(opts.patterns)
    with target.resolve(opts.install_path, opts.build_dir, env) as pkg:
        checked = target.check_integrity(pkg)
        m = pkg.manifest
        say(f"package {pkg.root} ({pkg.source}{f', from {pkg.run_file}' if pkg.run_file else ''}): vendor "
            f"{m.get('vendor')} {m.get('version')}, built with {m.get('backend')}; {checked} file(s) match "
            f"the manifest (sha256 {pkg.manifest_sha256[:16]}...)")
        used = backends.choose(opts.backend)
        refs: dict[str, object] = {}

        def ref(op):
            if op.name not in refs:
                refs[op.name] = reference_for(op, opdefs_dir)
            return refs[op.name]

        plan = engine.make_plan(list(selected), pkg, selection=opts.cases, socs=opts.socs, seed=opts.seed,
                                has_kernel=has_kernel, reference_for=ref)
        names = {op.name for op in selected}
        if opts.patterns is None:
            for name in sorted(set(pkg.ops) - names):
                plan.ops.append({"name": name, "status": "not_in_opdefs", "socs": pkg.ops[name].get("socs", []),
                                 "detail": "the package holds it but the opdefs do not define it"})
        for row in plan.ops:
            say(f"  {row['status']:<13} {row['name']:<34} {','.join(row['socs']) or '-':<24} {row['detail']}")
        if not plan.jobs:
            if not any(r["status"] in ("missing", "no_golden", "not_in_opdefs") for r in plan.ops):
                raise UsageError(f"nothing to verify: no case of --cases {opts.cases} for --ops "
                                 f"{opts.patterns or '*'} in this package")
        say(f"{len(plan.jobs)} case run(s) on backend {used}, {opts.jobs} job(s)")
        ctx = engine.Context(str(opdefs_dir) if opdefs_dir else None, str(pkg.root), pkg.manifest,
                             pkg.manifest_sha256, used)
        done = [0]
        t0 = time.monotonic()

        def on_start(job):
            progress(report_mod.progress_line(done[0], len(plan.jobs), time.monotonic() - t0,
                                              f"running {job.ident} on {job.soc}"))

        def on_done(job, record):
            done[0] += 1
            verdict = {"pass": "pass", "fail": "FAIL", "error": "ERROR"}[record["status"]]
            progress(report_mod.progress_line(done[0], len(plan.jobs), time.monotonic() - t0,
                                              f"{verdict:<5} {job.ident} on {job.soc}"))

        records = engine.run_jobs(ctx, plan.jobs, opts.jobs, on_start=on_start, on_done=on_done)
        records = [{k: v for k, v in r.items() if k != "index"} for r in records]
        rep = {
            "schema": report_mod.SCHEMA_ID,
            "schema_version": report_mod.SCHEMA_VERSION,
            "dsaops_version": __version__,
            "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seconds": time.monotonic() - t_start,
            "exit_code": exit_code_of(records, plan.ops),
            "selection": {"ops": opts.patterns, "cases": opts.cases, "socs": list(opts.socs) if opts.socs else None,
                          "seed": opts.seed, "backend": opts.backend, "backend_used": used, "jobs": opts.jobs},
            "package": {"root": str(pkg.root) if pkg.source not in ("build-dir", "build-output") else
                        f"{pkg.run_file} (unpacked)",
                        "source": pkg.source, "run_file": str(pkg.run_file) if pkg.run_file else None,
                        "vendor": str(m.get("vendor", "")), "version": str(m.get("version", "")),
                        "arch": str(m.get("arch", "")), "backend": str(m.get("backend", "")),
                        "source_revision": m.get("source_revision"), "manifest_sha256": pkg.manifest_sha256,
                        "files_checked": checked},
            "environment": report_mod.environment(),
            "summary": report_mod.summary(plan.ops, records),
            "ops": plan.ops,
            "cases": records,
        }
    return rep
