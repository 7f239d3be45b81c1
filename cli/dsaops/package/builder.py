"""`dsaops build`: plan, render the op project, compile (twin or CANN), package.

Library code: returns data and reports progress through a callback; the CLI prints.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__, compile_cache
from ..errors import BuildError, DsaopsError, NotAvailable, UsageError
from ..opdef import OpDef
from ..opdef.build import KNOWN_SOCS
from .archive import Entry, source_date_epoch, tar_gz
from .layout import MANIFEST_IN_PACKAGE, OWN_DIR, VENDOR_DIRS, host_arch, run_file_name, validate_vendor
from .runfile import make_run, uninstall_script

# OpTypes that CANN 8.5's transformer package (ops-transformer) also registers with OP_ADD.
CANN_BUILTIN_OP_TYPES = frozenset({"LightningIndexer", "QuantLightningIndexer", "SparseFlashAttention"})
BACKENDS = ("auto", "twin", "cann")
_VERSION = re.compile(r"^\s*(?:Version|version)\s*=\s*(\S+)", re.M)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Cann:
    path: Path
    version: str | None
    source: str  # which variable named it


def detect_cann(env: dict | None = None) -> Cann | None:
    """The CANN toolkit named by ASCEND_CANN_PACKAGE_PATH or ASCEND_HOME_PATH, with its version.info."""
    env = os.environ if env is None else env
    for var in ("ASCEND_CANN_PACKAGE_PATH", "ASCEND_HOME_PATH"):
        value = env.get(var)
        if value and Path(value).is_dir():
            path = Path(value)
            version = None
            for rel in ("version.info", "toolkit/version.info", "compiler/version.info"):
                f = path / rel
                if f.is_file():
                    m = _VERSION.search(f.read_text(errors="replace"))
                    if m:
                        version = m.group(1)
                        break
            return Cann(path, version, var)
    return None


@dataclass(frozen=True)
class PlannedOp:
    op: OpDef
    socs: tuple[str, ...]
    builtin_override: bool


@dataclass(frozen=True)
class Plan:
    ops: tuple[PlannedOp, ...]
    skipped: tuple[tuple[str, str], ...]  # (op, why)
    socs: tuple[str, ...]
    backend: str
    backend_reason: str
    vendor: str
    version: str
    arch: str
    out: Path
    cann: Cann | None
    jobs: int | None

    @property
    def run_name(self) -> str:
        return run_file_name(self.vendor, self.version, self.arch)

    def lines(self) -> list[str]:
        out = [f"plan: {len(self.ops)} op(s) x {len(self.socs)} SoC(s) ({', '.join(self.socs)}), "
               f"backend {self.backend} ({self.backend_reason}), vendor {self.vendor}, arch {self.arch}",
               f"      output {self.out / self.run_name}"]
        for p in self.ops:
            out.append(f"  build  {p.op.name:<34} {p.op.op_type:<30} {','.join(p.socs)}")
        for name, why in self.skipped:
            out.append(f"  skip   {name:<34} {why}")
        overrides = [p.op.op_type for p in self.ops if p.builtin_override]
        if overrides:
            out.append(f"  note: {', '.join(overrides)} {'is' if len(overrides) == 1 else 'are'} also built into CANN's "
                       f"transformer package. This vendor package overrides {'it' if len(overrides) == 1 else 'them'}: "
                       f"a default install puts '{self.vendor}' first in vendors/config.ini load_priority, "
                       f"an --install-path install comes first through ASCEND_CUSTOM_OPP_PATH. To keep both side "
                       f"by side, give the op another op_type in its opdef.")
        return out


def make_plan(ops: list[OpDef], has_kernel: Callable[[OpDef], bool], *, socs: str | None = None,
              backend: str = "auto", vendor: str = "dsaops", out: Path = Path("build/dsaops"),
              jobs: int | None = None, env: dict | None = None, arch: str | None = None) -> Plan:
    validate_vendor(vendor)
    if backend not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"-j: expected a positive number of jobs, got {jobs}")
    wanted = tuple(KNOWN_SOCS)
    if socs:
        wanted = tuple(s.strip() for s in socs.split(",") if s.strip())
        unknown = [s for s in wanted if s not in KNOWN_SOCS]
        if unknown or not wanted:
            raise UsageError(f"--soc: expected a comma-separated subset of {', '.join(KNOWN_SOCS)}, got {socs!r}")
    cann = detect_cann(env)
    if backend == "auto":
        if cann is not None:
            backend, reason = "cann", f"auto: CANN {cann.version or '(version unknown)'} at {cann.path} from ${cann.source}"
        else:
            backend, reason = "twin", "auto: no CANN toolkit (ASCEND_CANN_PACKAGE_PATH / ASCEND_HOME_PATH unset)"
    elif backend == "cann":
        if cann is None:
            raise UsageError("--backend cann: no CANN toolkit found; set ASCEND_CANN_PACKAGE_PATH or source "
                             "CANN's set_env.sh (ASCEND_HOME_PATH), or use --backend twin")
        reason = f"CANN {cann.version or '(version unknown)'} at {cann.path}"
    else:
        reason = "requested"
    planned, skipped = [], []
    for op in ops:
        if not has_kernel(op):
            skipped.append((op.name, f"no kernel yet in the kernels folder ({op.kernel.dir}/)"))
            continue
        op_socs = tuple(s for s in wanted if s in op.socs)
        if not op_socs:
            skipped.append((op.name, f"its opdef supports {', '.join(op.socs)}, none of --soc {', '.join(wanted)}"))
            continue
        planned.append(PlannedOp(op, op_socs, op.op_type in CANN_BUILTIN_OP_TYPES))
    if not planned:
        why = "; ".join(f"{n}: {w}" for n, w in skipped) or "no op matches --ops"
        raise UsageError(f"nothing to build: {why}")
    used_socs = tuple(s for s in wanted if any(s in p.socs for p in planned))
    return Plan(tuple(planned), tuple(skipped), used_socs, backend, reason, vendor, _version_word(__version__),
                arch or host_arch(), Path(out), cann, jobs)


def _version_word(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", version)


# ---- the build -------------------------------------------------------------------------------

@dataclass
class OpResult:
    name: str
    op_type: str
    socs: tuple[str, ...]
    seconds: float = 0.0
    library: Path | None = None
    compiled: bool = False  # did this run change the library
    from_cache: bool = False  # ... by copying it from the compile cache (dsaops.compile_cache)

    @property
    def state(self) -> str:
        return "from the compile cache" if self.from_cache else ("compiled" if self.compiled else "up to date")


@dataclass
class BuildResult:
    plan: Plan
    run_file: Path
    manifest_file: Path
    sums_file: Path
    ops: list[OpResult] = field(default_factory=list)
    package_changed: bool = False
    seconds: float = 0.0
    render_counts: dict[str, int] = field(default_factory=dict)


def _source_revision(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0:
            rev = out.stdout.strip()
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=10)
            return rev + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def _source_root() -> Path:
    """Where the revision and SOURCE_DATE_EPOCH come from: the git checkout we run in (CI builds in
    its checkout), else the checkout dsaops itself is in."""
    try:
        r = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10)
        if r.returncode == 0 and r.stdout.strip():
            return Path(r.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return Path(__file__).resolve().parents[3]


def _write_if_changed(path: Path, data: bytes, mode: int = 0o644) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def _twin_library(op: OpDef, plan: Plan, kernels_dir: Path, templates_dir: Path, jobs: int | None = None
                  ) -> tuple[Path, bool, bool]:
    """Build (or find up to date) the op's CPU-twin library; (path, this run changed it, it came from the
    compile cache)."""
    try:
        from ..runner import build_op_library
    except ImportError:
        raise NotAvailable("the twin backend needs dsaops.runner.build_op_library (issue #9), "
                           "which is not in this checkout yet") from None
    log_dir = plan.out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{op.name}.twin.log"
    lines: list[str] = []
    with open(log_path, "w") as log:
        def record(line: str) -> None:
            lines.append(line)
            log.write(line + "\n")

        try:
            lib = build_op_library(op, build_root=(plan.out / "twin").resolve(), kernels_dir=kernels_dir, jobs=jobs or plan.jobs,
                                   log=record, templates_dir=templates_dir)
        except NotAvailable:
            raise
        except DsaopsError as exc:
            log.write(str(exc) + "\n")
            log.flush()
            raise BuildError(_compile_failure(op.name, str(exc), log_path)) from None
        except (OSError, subprocess.SubprocessError) as exc:
            raise BuildError(_compile_failure(op.name, str(exc), log_path)) from None
    from_cache = any("copied from the compile cache" in ln for ln in lines)
    compiled = from_cache or any(("Building CXX object" in ln or "Linking CXX" in ln) for ln in lines)
    return Path(lib), compiled, from_cache


_DIAG = re.compile(r"^(?:(?P<file>[^\s:][^:]*\.(?:cpp|cc|h|hpp)):(?P<line>\d+)(?::\d+)?: (?:fatal )?error"
                   r"|CMake Error at (?P<cfile>[^:]+):(?P<cline>\d+))", re.M)


def _compile_failure(op: str, message: str, log_path: Path) -> str:
    text = message
    try:
        text += "\n" + log_path.read_text(errors="replace")
    except OSError:
        pass
    m = _DIAG.search(text)
    if m and m.group("file"):
        where = f"{m.group('file')}:{m.group('line')}"
    elif m:
        where = f"{m.group('cfile')}:{m.group('cline')} (CMake)"
    else:
        where = "(no compiler diagnostic found)"
    first = message.strip().splitlines()[0] if message.strip() else "build failed"
    first = first[len(op) + 2:] if first.startswith(f"{op}: ") else first
    return f"{op}: compile failed at {where}: {first}\n    log: {log_path}"


def _kernel_sources(op: OpDef, kernels_dir: Path) -> list[tuple[str, Path]]:
    """The hand-written files a CANN build of ``op`` compiles: its folder and the shared common/."""
    files = []
    for folder in (kernels_dir / op.kernel.dir, kernels_dir / "common"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not p.name.startswith(".") and "__pycache__" not in p.parts:
                    files.append((p.relative_to(kernels_dir).as_posix(), p))
    return files


def build(plan: Plan, *, templates_dir: Path, kernels_dir: Path, source_root: Path | None = None,
          progress: Progress = lambda line: None) -> BuildResult:
    from ..codegen.project import render_project, write_project

    t0 = time.monotonic()

    def say(text: str) -> None:
        progress(f"[{time.monotonic() - t0:6.1f}s] {text}")

    out = plan.out
    out.mkdir(parents=True, exist_ok=True)
    ops = [p.op for p in plan.ops]
    files = render_project(ops, templates_dir, vendor=plan.vendor, kernels=kernels_dir)
    actions = write_project(files, out / "op_project")
    counts: dict[str, int] = {}
    for a in actions:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    say(f"render   {out / 'op_project'}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))

    results: list[OpResult] = []
    entries: list[Entry] = []
    if plan.backend == "twin":
        # The ops build side by side, the CPUs (or -j) shared between them; reports stay in op order.
        total = plan.jobs or compile_cache.cpu_count()
        workers = max(1, min(len(plan.ops), total))
        for p in plan.ops:
            say(f"{p.op.name}: twin build ({','.join(p.socs)}) ...")

        def one(p) -> OpResult:
            t = time.monotonic()
            lib, changed, cached = _twin_library(p.op, plan, kernels_dir, templates_dir, jobs=max(1, total // workers))
            return OpResult(p.op.name, p.op.op_type, p.socs, time.monotonic() - t, lib, changed, cached)

        results = compile_cache.parallel_map(one, plan.ops, workers)
        for r in results:
            say(f"{r.name}: twin build done in {r.seconds:.1f}s ({r.state})")
            entries.append(Entry(f"{OWN_DIR}/twin/lib/{r.library.name}", r.library.read_bytes(), executable=True))
    else:
        entries += _cann_build(plan, out / "op_project", kernels_dir, say)
        results = [OpResult(p.op.name, p.op.op_type, p.socs) for p in plan.ops]

    # the sources a CANN build compiles ride along in both backends
    for f in files:
        entries.append(Entry(f"{OWN_DIR}/src/{f.path}", f.content.encode("utf-8"), f.executable))
    for rel, path in _kernel_sources_all(plan, kernels_dir):
        entries.append(Entry(f"{OWN_DIR}/src/ascendc/{rel}", path.read_bytes()))
    have = {e.path for e in entries}
    if "version.info" not in have:
        entries.append(Entry("version.info", _version_info(plan).encode()))
    entries.append(Entry("scripts/uninstall.sh", uninstall_script(plan.vendor).encode(), executable=True))

    root = source_root or _source_root()
    ops_meta = [{"name": r.name, "op_type": r.op_type, "socs": list(r.socs),
                 "overrides_cann_builtin": r.op_type in CANN_BUILTIN_OP_TYPES,
                 "twin_library": f"{OWN_DIR}/twin/lib/{r.library.name}" if r.library else None}
                for r in results]
    cann_version = plan.cann.version if (plan.backend == "cann" and plan.cann) else None
    run_path, manifest_path, sums_path, changed, n_files, size = write_package(
        entries, out=out, vendor=plan.vendor, version=plan.version, arch=plan.arch, backend=plan.backend,
        socs=list(plan.socs), ops=ops_meta, cann_version=cann_version, source_revision=_source_revision(root),
        epoch=source_date_epoch(root))
    say(f"package  {run_path} ({size / 1024:.0f} KiB, {n_files} files, {'written' if changed else 'identical'})")
    return BuildResult(plan, run_path, manifest_path, sums_path, results, changed, time.monotonic() - t0, counts)


def write_package(entries: list[Entry], *, out: Path, vendor: str, version: str, arch: str, backend: str,
                  socs: list[str], ops: list[dict], cann_version: str | None, source_revision: str,
                  epoch: int) -> tuple[Path, Path, Path, bool, int, int]:
    """The .run (payload: ``entries`` + the manifest), manifest.json and SHA256SUMS, each written only
    when its bytes change. Nothing here depends on the host, the folder or the time of the build."""
    validate_vendor(vendor)
    manifest = {
        "format": 1,
        "vendor": vendor,
        "version": version,
        "arch": arch,
        "backend": backend,
        "cann_version": cann_version,
        "source_revision": source_revision,
        "source_date_epoch": epoch,
        "socs": socs,
        "ops": ops,
        "files": {e.path: e.sha256 for e in sorted(entries, key=lambda e: e.path) if e.link is None},
        "links": {e.path: e.link for e in sorted(entries, key=lambda e: e.path) if e.link is not None},
    }
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()
    payload = tar_gz([*entries, Entry(MANIFEST_IN_PACKAGE, manifest_bytes)], vendor, epoch, VENDOR_DIRS)
    run_bytes = make_run(payload, vendor=vendor, version=version, arch=arch, backend=backend,
                         ops=[o["name"] for o in ops], socs=socs)
    run_path = out / run_file_name(vendor, version, arch)
    changed = _write_if_changed(run_path, run_bytes, 0o755)
    run_sha = hashlib.sha256(run_bytes).hexdigest()
    outer = {"package": {"file": run_path.name, "sha256": run_sha, "size": len(run_bytes)}, **manifest}
    outer_bytes = (json.dumps(outer, indent=2) + "\n").encode()
    manifest_path = out / "manifest.json"
    _write_if_changed(manifest_path, outer_bytes)
    sums = (f"{run_sha}  {run_path.name}\n"
            f"{hashlib.sha256(outer_bytes).hexdigest()}  manifest.json\n").encode()
    sums_path = out / "SHA256SUMS"
    _write_if_changed(sums_path, sums)
    return run_path, manifest_path, sums_path, changed, len(entries) + 1, len(run_bytes)


def _kernel_sources_all(plan: Plan, kernels_dir: Path) -> list[tuple[str, Path]]:
    seen: dict[str, Path] = {}
    for p in plan.ops:
        for rel, path in _kernel_sources(p.op, kernels_dir):
            seen.setdefault(rel, path)
    return sorted(seen.items())


def _version_info(plan: Plan) -> str:
    lines = []
    if plan.backend == "cann" and plan.cann and plan.cann.version:
        lines.append(f"custom_opp_compiler_version={plan.cann.version}")
    lines += [f"dsaops_version={plan.version}", f"dsaops_backend={plan.backend}",
              f"dsaops_socs={','.join(plan.socs)}"]
    return "\n".join(lines) + "\n"


def _cann_build(plan: Plan, project: Path, kernels_dir: Path, say: Callable[[str], None]) -> list[Entry]:
    """Build with CANN's own machinery (build.sh: cmake preset 'default', binary and package targets),
    install into a staging prefix and take its packages/vendors/<vendor>/ tree."""
    assert plan.cann is not None
    log_dir = plan.out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "cann_build.log"
    stage = plan.out / "cann_stage"
    shutil.rmtree(stage, ignore_errors=True)  # only this build's tree goes into the package
    from .doctor import cmake_exe

    cmake = cmake_exe()
    if cmake is None:
        raise BuildError("cmake not found: pip install cmake")
    env = {**os.environ, "ASCEND_CANN_PACKAGE_PATH": str(plan.cann.path), "ASCEND_HOME_PATH": str(plan.cann.path),
           "DSAOPS_INSTALL_PREFIX": str(stage.resolve()), "DSAOPS_JOBS": str(plan.jobs or os.cpu_count() or 1),
           "DSAOPS_KERNELS_DIR": str(kernels_dir.resolve()),
           "PATH": str(Path(cmake).parent) + os.pathsep + os.environ.get("PATH", "")}
    say(f"cann     build.sh in {project} (log {log_path})")
    with open(log_path, "w") as log:
        r = subprocess.run(["bash", "build.sh", "--install"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise BuildError(_compile_failure(",".join(p.op.name for p in plan.ops), f"build.sh exited {r.returncode}",
                                          log_path))
    tree = stage / "packages" / "vendors" / plan.vendor
    if not tree.is_dir():
        raise BuildError(f"CANN build produced no {tree}; log: {log_path}")
    own = {"scripts/uninstall.sh", "bin/set_env.bash"}  # ours follow dsaops's install protocol
    entries = []
    for p in sorted(tree.rglob("*")):
        rel = p.relative_to(tree).as_posix()
        if rel in own:
            continue
        if p.is_symlink():
            entries.append(Entry(rel, b"", link=os.readlink(p)))
        elif p.is_file():
            entries.append(Entry(rel, p.read_bytes(), os.access(p, os.X_OK)))
    return entries
