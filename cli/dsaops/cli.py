"""The ``dsaops`` command line.

Library code raises typed errors (``dsaops.errors``); only this layer prints and
chooses exit codes, so user errors never end in a traceback.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
import time
from pathlib import Path

import click

from . import __version__, resources
from .errors import (EXIT_CODES, EXIT_INTERRUPTED, EXIT_TERMINATED, DsaopsError, NotAvailable, OutOfDate,
                     UsageError)


class Context:
    def __init__(self, opdefs: Path | None, kernels: Path | None, templates: Path | None):
        # the folders given (option or variable), to repeat them in suggested commands
        self.given = [(flag, value) for flag, value in (("--opdefs", opdefs), ("--kernels", kernels),
                                                         ("--templates", templates)) if value is not None]
        self.opdefs_dir = opdefs or resources.opdefs_dir()
        self.kernels_dir = kernels or resources.kernels_dir()
        self.templates_dir = templates or resources.templates_dir()

    def ops(self):
        from .opdef import load_opdefs

        return load_opdefs(self.opdefs_dir)

    def has_kernel(self, op) -> bool:
        return resources.has_kernel(op, self.kernels_dir)


_EXIT_HELP = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())
_ENV_HELP = "\n".join(f"  {name:<18} {meaning}" for name, meaning in (
    ("DSAOPS_OPDEFS", "same as --opdefs"),
    ("DSAOPS_KERNELS", "same as --kernels"),
    ("DSAOPS_TEMPLATES", "same as --templates"),
))


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that cleanup (temporary folders) runs."""


def _on_sigterm(signum, frame):
    raise _Terminated()


class _Group(click.Group):
    def invoke(self, ctx):
        previous = None
        try:
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (embedded use): keep the default
            pass
        try:
            return super().invoke(ctx)
        except DsaopsError as err:
            click.secho(f"error: {err}", fg="red", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.secho("interrupted", fg="red", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except _Terminated:
            click.secho("terminated", fg="red", err=True)
            sys.exit(EXIT_TERMINATED)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def format_commands(self, ctx, formatter):
        """The command list with each command's whole first sentence (click would cut it at the width)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Group, epilog="Exit codes:\n\n\b\n" + _EXIT_HELP + "\n\nEnvironment:\n\n\b\n" + _ENV_HELP)
@click.version_option(__version__, prog_name="dsaops")
@click.option("--opdefs", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_OPDEFS", show_envvar=True,
              help="Folder of op definitions (default: the bundled DSA ops).")
@click.option("--kernels", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_KERNELS", show_envvar=True,
              help="Folder of Ascend C kernels (default: the bundled ascendc/).")
@click.option("--templates", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_TEMPLATES", show_envvar=True,
              help="Folder of project templates (default: the bundled templates/).")
@click.pass_context
def main(ctx, opdefs, kernels, templates):
    """Build, install and verify CANN custom-operator packages for the DeepSeek Sparse Attention ops."""
    ctx.obj = Context(opdefs, kernels, templates)


@main.command("list")
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_cmd(obj: Context, patterns, as_json):
    """List the ops, their dtype variants and whether each has a kernel yet."""
    ops = obj.ops().select(patterns)
    rows = [{
        "op": op.name,
        "torch": f"torch.ops.{op.torch}",
        "variants": [v.id for v in op.variants],
        "socs": list(op.socs),
        "kernel": obj.has_kernel(op),
        "cases": {tier: len(cases) for tier, cases in op.cases.items()},
    } for op in ops]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        r["kernel"] = "yes" if r["kernel"] else "not yet"
        r["variants"] = ",".join(r["variants"])
        r["socs"] = ",".join(r["socs"])
        r["cases"] = "/".join(str(r["cases"].get(tier, 0)) for tier in ("smoke", "full"))
    columns = [("op", "op"), ("torch", "torch name"), ("variants", "variants"), ("socs", "socs"),
               ("cases", "smoke/full cases"), ("kernel", "kernel")]
    widths = [max([len(title)] + [len(r[key]) for r in rows]) for key, title in columns]
    click.echo("  ".join(f"{title:<{w}}" for (_, title), w in zip(columns, widths)).rstrip())
    for r in rows:
        click.echo("  ".join(f"{r[key]:<{w}}" for (key, _), w in zip(columns, widths)).rstrip())
    click.echo(f"{len(rows)} op(s)")


@main.command()
@click.pass_obj
def check(obj: Context):
    """Validate every op definition (and that each renders); report all errors at once."""
    from .codegen.project import render_project
    from .golden import OPS as GOLDENS
    from .errors import OpdefError, OpdefIssue

    ops = obj.ops()
    issues = [OpdefIssue(op.location, f"golden {op.golden!r} does not exist in dsaops.golden",
                         "known goldens: " + ", ".join(GOLDENS))
              for op in ops.values() if op.golden is not None and op.golden not in GOLDENS]
    if issues:
        raise OpdefError(issues)
    files = render_project(list(ops.values()), obj.templates_dir, kernels=obj.kernels_dir)
    click.echo(f"{len(ops)} op definition(s) valid; {len(files)} file(s) render")


@main.command()
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: all).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/op_project"),
              show_default=True, help="Folder of the generated op project.")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 8 if any file would change.")
@click.option("--vendor", default="dsaops", show_default=True,
              help="Vendor name of the package (letters, digits, '_').")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.pass_obj
def gen(obj: Context, patterns, out, check_only, vendor, quiet):
    """Render the msopgen-style op project (op_host, op_kernel, CMake) from the opdefs."""
    from .codegen.project import check_vendor, render_project, write_project
    from .codegen.writer import check_output_dir

    check_vendor(vendor)
    check_output_dir(out)
    ops = obj.ops().select(patterns)
    files = render_project(ops, obj.templates_dir, vendor=vendor, kernels=obj.kernels_dir)
    actions = write_project(files, out, check=check_only, ops=[op.name for op in ops] if patterns else None)
    counts: dict[str, int] = {}
    for a in actions:
        counts[a.kind] = counts.get(a.kind, 0) + 1
        if not quiet:
            click.echo(f"{a.kind:>14}  {a.path}")
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    click.echo(f"{out}: {summary}")
    changed = [a for a in actions if a.kind != "identical"]
    if check_only and changed:
        args = [a for flag, value in obj.given for a in (flag, str(value))] + ["gen"]
        args += ["--ops", patterns] if patterns else []
        args += ["--out", str(out)] + (["--vendor", vendor] if vendor != "dsaops" else [])
        raise OutOfDate(f"{len(changed)} generated file(s) in {out} are out of date; run: dsaops {shlex.join(args)}")


@main.command("golden")
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: all).")
@click.option("--cases", "tier", type=click.Choice(["smoke", "full"]), default="smoke", show_default=True,
              help="Which case catalog to run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Export each case's inputs and expected outputs here (default: only run and time them).")
@click.pass_obj
def golden_cmd(obj: Context, patterns, tier, out):
    """Run the golden references on the case catalogs; optionally export the cases."""
    from .codegen.writer import check_output_dir
    from .golden_export import export_case, prepare_export, run_case

    if out is not None:
        check_output_dir(out)
    ops = obj.ops().select(patterns)
    plan = [(op, case) for op in ops for case in op.cases.get(tier, ())]
    if not plan:
        raise UsageError(f"no {tier} cases for --ops {patterns or '*'}")
    if out is not None:
        swept = prepare_export(out, sorted({op.name for op, _ in plan}))
        if swept:
            click.echo(f"removed {len(swept)} temporary folder(s) left by an interrupted export", err=True)
    click.echo(f"{len(plan)} {tier} case(s) of {len(ops)} op(s)")
    click.echo(f"{'step':>9}  {'golden':>9}  {'inputs':>9}  {'eta':>7}  case")
    total = total_inputs = 0.0
    started = time.perf_counter()
    for step, (op, case) in enumerate(plan, 1):
        result = run_case(op, case)
        total += result.seconds
        total_inputs += result.generate_seconds
        where = f"  -> {export_case(op, result, case, out)}" if out is not None else ""
        eta = (time.perf_counter() - started) / step * (len(plan) - step)  # mean wall time per case so far
        click.echo(f"{f'[{step}/{len(plan)}]':>9}  {result.seconds:8.3f}s  {result.generate_seconds:8.3f}s  "
                   f"{_duration(eta):>7}  {case.ident}{where}")
    click.echo(f"{'':>9}  {total:8.3f}s  {total_inputs:8.3f}s  {'':>7}  total")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file (default: print it).")
@click.option("--check", "check_only", is_flag=True, help="Exit 8 if --out differs from the current schema.")
def schema(out, check_only):
    """Print or write the JSON Schema of the opdef format (for editors and CI)."""
    from .codegen.writer import os_error
    from .opdef.schema import opdef_schema_text

    if check_only and out is None:
        raise UsageError("schema --check needs --out FILE: the schema file to compare")
    text = opdef_schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; name the schema file, e.g. {out / 'opdef.schema.json'}")
    if not check_only and not out.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
    try:
        current = out.read_text(encoding="utf-8", errors="replace") if out.is_file() else None
        if check_only:
            if current != text:
                raise OutOfDate(f"{out} is out of date; run: dsaops schema --out {shlex.quote(str(out))}")
            click.echo(f"{out}: identical")
            return
        if current != text:
            out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise os_error(exc, out) from None
    click.echo(f"{out}: {'identical' if current == text else 'written'}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@main.command()
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: all with a kernel).")
@click.option("--soc", "socs", metavar="SOC[,SOC]", envvar="DSAOPS_SOC",
              help="SoCs to build for (default: ascend910b,ascend910_93).")
@click.option("--backend", type=click.Choice(["auto", "twin", "cann"]), default="auto", show_default=True,
              help="auto = cann when a CANN toolkit is found, else twin.")
@click.option("--vendor", default="dsaops", show_default=True, help="Vendor name (folder under opp/vendors).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/dsaops"),
              show_default=True, help="Build output: op project, builds, logs, the .run, manifest.json, SHA256SUMS.")
@click.option("-j", "--jobs", type=int, help="Parallel compile jobs (default: the machine's cores).")
@click.pass_obj
def build(obj: Context, patterns, socs, backend, vendor, out, jobs):
    """Render, compile and package every op that has a kernel into a CANN vendor .run."""
    from .package.builder import build as run_build, make_plan

    plan = make_plan(obj.ops().select(patterns), obj.has_kernel, socs=socs, backend=backend, vendor=vendor,
                     out=out, jobs=jobs)
    for line in plan.lines():
        click.echo(line)
    result = run_build(plan, templates_dir=obj.templates_dir, kernels_dir=obj.kernels_dir, progress=click.echo)
    width = max(len(r.name) for r in result.ops)
    click.echo(f"\n{'op':<{width}}  {'op_type':<24} {'socs':<24} {'backend':<8} {'build':>8}  result")
    for r in result.ops:
        state = r.state
        click.echo(f"{r.name:<{width}}  {r.op_type:<24} {','.join(r.socs):<24} {plan.backend:<8} "
                   f"{r.seconds:7.1f}s  {state}")
    click.echo(f"{result.run_file} ({'written' if result.package_changed else 'identical'}), "
               f"{result.manifest_file.name}, {result.sums_file.name}; {result.seconds:.1f}s")


def _newest_package(out: Path) -> Path:
    found = sorted(out.glob("*.run"), key=lambda p: p.stat().st_mtime) if out.is_dir() else []
    if not found:
        raise UsageError(f"no .run package in {out}: run dsaops build first, or name the package")
    return found[-1]


@main.command()
@click.argument("package", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--install-path", metavar="ABS_DIR",
              help="Install into ABS_DIR/vendors/<vendor> with bin/set_env.bash (default: $ASCEND_CUSTOM_OPP_PATH, "
                   "else $ASCEND_OPP_PATH, first in vendors/config.ini).")
@click.option("--force", is_flag=True, help="Reinstall even when the same package is installed and intact.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/dsaops"),
              show_default=True, help="Where to look for the newest package when none is named.")
@click.pass_obj
def install(obj: Context, package, install_path, force, out):
    """Install a .run package (verified, atomic, locked) into a CANN opp folder."""
    from .package.installer import install as run_install

    package = package or _newest_package(out)
    result = run_install(package, install_path, force=force)
    from .verify.target import remember_install

    remember_install(result.root)  # dsaops verify's default target
    click.echo(f"{result.action}: {package.name} -> {result.root}")
    if result.kind == "custom":
        click.echo(f"before running: source {result.root}/bin/set_env.bash")
    else:
        click.echo(f"load_priority: {result.root.parent / 'config.ini'} lists {result.root.name} first")
    ops = result.manifest.get("ops", [])
    width = max([len(o["name"]) for o in ops] + [2])
    click.echo(f"{'op':<{width}}  {'op_type':<24} {'socs':<24} backend")
    for o in ops:
        click.echo(f"{o['name']:<{width}}  {o['op_type']:<24} {','.join(o['socs']):<24} {result.manifest['backend']}")
    click.echo(f"{len(result.manifest.get('files', {}))} file(s) and {len(result.manifest.get('links', {}))} link(s) "
               "verified against the manifest")


@main.command()
@click.option("--vendor", default="dsaops", show_default=True, help="Vendor package to remove.")
@click.option("--install-path", metavar="ABS_DIR", help="The folder given to install --install-path.")
@click.pass_obj
def uninstall(obj: Context, vendor, install_path):
    """Remove an installed vendor package and restore vendors/config.ini."""
    from .package.installer import uninstall as run_uninstall

    root = run_uninstall(vendor, install_path)
    click.echo(f"uninstalled {root}" if root else f"nothing to uninstall: vendor {vendor} is not installed there")


@main.command()
@click.option("--install-path", metavar="ABS_DIR", help="Also report what is installed there.")
def doctor(install_path):
    """Show the toolchain found (Python, compiler, cmake, ninja, CANN, SoCs) and what each command would do."""
    from .package.doctor import report

    found, lines = report(install_path=install_path)
    for t in found:
        click.echo(f"{'ok' if t.found else '--':>2}  {t.name:<14} {t.detail}")
    click.echo("")
    for line in lines:
        click.echo(line)


_VERIFY_EXITS = """Exit codes of verify:

\b
  0   every selected case passed (ops without a kernel are listed, not failed)
  11  a case failed its comparison rule
  12  a case could not run (kernel error, no golden, no twin library)
  13  the package is tampered: a file differs from its manifest sha256 (nothing ran)
  14  an op with a kernel (or the --soc asked for) is missing from the package
  15  the backend is not available here (--backend npu without an NPU)
  2   usage error (no package found, unknown case id, bad option)

11 wins over 12, 12 over 14."""


@main.command("verify", epilog=_VERIFY_EXITS)
@click.option("--golden", "golden_mode", is_flag=True,
              help="Compare every case with the golden references (the verification mode; required).")
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: every op).")
@click.option("--cases", "cases", default="smoke", show_default=True, metavar="smoke|full|ID,...",
              help="A case catalog of the opdefs, or comma-separated case ids (id or op/id).")
@click.option("--backend", type=click.Choice(["auto", "twin", "npu"]), default="auto", show_default=True,
              help="twin: the package's CPU-twin libraries; npu: torch_npu on a device; auto: npu when available, "
                   "else twin.")
@click.option("--soc", "socs", metavar="SOC[,SOC]", envvar="DSAOPS_SOC",
              help="Only these SoCs (default: every SoC the package holds).")
@click.option("--install-path", type=click.Path(file_okay=False, path_type=Path),
              help="An OPP folder (or vendor folder) to verify (default: $ASCEND_CUSTOM_OPP_PATH, "
                   "$ASCEND_OPP_PATH's config.ini, the last dsaops install, then build/dsaops).")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Verify the newest .run of a dsaops build --out folder instead of an install.")
@click.option("--seed", type=click.IntRange(min=0), help="Mix N into every case's seed (default: the catalog's seeds).")
@click.option("--report-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report (schema dsaops-verify-report, version 1) to FILE.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML to FILE.")
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Run cases in N processes.")
@click.pass_obj
def verify(obj: Context, golden_mode, patterns, cases, backend, socs, install_path, build_dir, seed, report_json,
           junit, jobs):
    """Verify an installed (or built) package: every case of every op against the goldens."""
    from .verify import Options, verify as run_verify
    from .verify.report import junit_xml, table

    if not golden_mode:
        raise UsageError("dsaops verify: expected --golden (the only verification mode), got none")
    soc_list = tuple(s.strip() for s in socs.split(",") if s.strip()) if socs is not None else None
    opts = Options(patterns, cases, backend, soc_list, install_path, build_dir, seed, jobs)
    tty = sys.stderr.isatty()

    def progress(line: str) -> None:  # one line per step in logs; one updated line on a terminal
        click.echo(f"\r\x1b[K{line}" if tty else line, err=True, nl=not tty)

    rep = run_verify(obj.ops(), opts, opdefs_dir=obj.opdefs_dir, has_kernel=obj.has_kernel, say=click.echo,
                     progress=progress)
    if tty:
        click.echo("", err=True)
    click.echo(table(rep))
    if report_json is not None:
        report_json.write_text(json.dumps(rep, indent=2, allow_nan=False) + "\n")
        click.echo(f"report: {report_json}")
    if junit is not None:
        junit.write_bytes(junit_xml(rep))
        click.echo(f"junit: {junit}")
    if rep["exit_code"]:
        sys.exit(rep["exit_code"])


@main.command("bench")
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: every op with a kernel).")
@click.option("--cases", "selection", default="bench", show_default=True,
              help="bench (the decode and prefill cases), smoke, full, or comma-separated case ids.")
@click.option("--soc", default="ascend910_93", show_default=True, help="SoC the twin simulates and the model costs.")
@click.option("--max-macs", type=float, default=None,
              help="Model cases with more exact MACs from their shapes only (default 2e10).")
@click.option("--build-root", type=click.Path(file_okay=False, path_type=Path),
              help="Where the twin libraries are built (default: the user cache).")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
@click.option("--pipes", is_flag=True, help="Also print the per-pipe times of the slowest AIC and AIV of each case.")
@click.pass_obj
def bench_cmd(obj: Context, patterns, selection, soc, max_macs, build_root, markdown, pipes):
    """Run kernels on the twin: work counters against the case's minimum, modelled time vs floor."""
    from . import bench, costmodel

    if soc.lower() not in costmodel.SOCS:
        raise UsageError(f"--soc must be one of {sorted(costmodel.SOCS)}, got {soc!r}")
    ops = [op for op in obj.ops().select(patterns) if obj.has_kernel(op)]
    if not ops:
        raise NotAvailable(f"no op matching --ops {patterns or '*'} has a kernel in {obj.kernels_dir} yet")
    plan = [(op, case) for op in ops for case in bench.select_cases(op, selection)]
    if not plan:
        raise UsageError(f"--cases {selection!r} selects no case of {', '.join(op.name for op in ops)}")
    limit = int(max_macs) if max_macs is not None else bench.DEFAULT_MAX_MACS
    rows = []
    for op, case in plan:
        click.echo(f"running {case.ident} on {soc} ...", err=True)
        rows.append(bench.run_bench_case(op, case, soc=soc, kernels=obj.kernels_dir, build_root=build_root,
                                         max_macs=limit))
    click.echo(bench.format_table(rows, markdown=markdown))
    notes = bench.format_notes(rows)
    if notes:
        click.echo(notes)
    if pipes:
        for row in rows:
            click.echo(bench.format_pipes(row))


if __name__ == "__main__":  # pragma: no cover
    main()
