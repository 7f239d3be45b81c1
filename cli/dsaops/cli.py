"""The ``dsaops`` command line.

Library code raises typed errors (``dsaops.errors``); only this layer prints and
chooses exit codes, so user errors never end in a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, resources
from .errors import EXIT_CODES, DsaopsError, NotAvailable, OutOfDate, UsageError


class Context:
    def __init__(self, opdefs: Path | None, kernels: Path | None, templates: Path | None):
        self.opdefs_dir = opdefs or resources.opdefs_dir()
        self.kernels_dir = kernels or resources.kernels_dir()
        self.templates_dir = templates or resources.templates_dir()

    def ops(self):
        from .opdef import load_opdefs

        return load_opdefs(self.opdefs_dir)

    def has_kernel(self, op) -> bool:
        folder = self.kernels_dir / op.kernel.dir
        return folder.is_dir() and any(p.suffix in (".h", ".cpp") for p in folder.rglob("*"))


_EXIT_HELP = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DsaopsError as err:
            click.secho(f"error: {err}", fg="red", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group, epilog="Exit codes:\n\n\b\n" + _EXIT_HELP)
@click.version_option(__version__, prog_name="dsaops")
@click.option("--opdefs", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_OPDEFS",
              help="Folder of op definitions (default: the bundled DSA ops).")
@click.option("--kernels", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_KERNELS",
              help="Folder of Ascend C kernels (default: the bundled ascendc/).")
@click.option("--templates", type=click.Path(file_okay=False, path_type=Path), envvar="DSAOPS_TEMPLATES",
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
    width = max(len(r["op"]) for r in rows)
    tw = max(len(r["torch"]) for r in rows)
    click.echo(f"{'op':<{width}}  {'torch name':<{tw}}  {'variants':<16}  kernel")
    for r in rows:
        kernel = "yes" if r["kernel"] else "not yet"
        click.echo(f"{r['op']:<{width}}  {r['torch']:<{tw}}  {','.join(r['variants']):<16}  {kernel}")
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
@click.option("--vendor", default="dsaops", show_default=True, help="Vendor name of the package.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.pass_obj
def gen(obj: Context, patterns, out, check_only, vendor, quiet):
    """Render the msopgen-style op project (op_host, op_kernel, CMake) from the opdefs."""
    from .codegen.project import render_project, write_project

    ops = obj.ops().select(patterns)
    files = render_project(ops, obj.templates_dir, vendor=vendor, kernels=obj.kernels_dir)
    actions = write_project(files, out, check=check_only)
    counts: dict[str, int] = {}
    for a in actions:
        counts[a.kind] = counts.get(a.kind, 0) + 1
        if not quiet:
            click.echo(f"{a.kind:>14}  {a.path}")
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    click.echo(f"{out}: {summary}")
    changed = [a for a in actions if a.kind != "identical"]
    if check_only and changed:
        raise OutOfDate(f"{len(changed)} generated file(s) in {out} are out of date; run dsaops gen --out {out}")


@main.command("golden")
@click.option("--ops", "patterns", metavar="GLOB", help="Comma-separated op name globs (default: all).")
@click.option("--cases", "tier", type=click.Choice(["smoke", "full"]), default="smoke", show_default=True,
              help="Which case catalog to run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Export each case's inputs and expected outputs here (default: only run and time them).")
@click.pass_obj
def golden_cmd(obj: Context, patterns, tier, out):
    """Run the golden references on the case catalogs; optionally export the cases."""
    from .golden_export import export_case, run_case

    ops = obj.ops().select(patterns)
    plan = [(op, case) for op in ops for case in op.cases.get(tier, ())]
    if not plan:
        raise UsageError(f"no {tier} cases for --ops {patterns or '*'}")
    click.echo(f"{len(plan)} {tier} case(s) of {len(ops)} op(s)")
    click.echo(f"{'golden':>10}  {'inputs':>10}  case")
    total = total_inputs = 0.0
    for op, case in plan:
        result = run_case(op, case)
        total += result.seconds
        total_inputs += result.generate_seconds
        where = f"  -> {export_case(op, result, case, out)}" if out is not None else ""
        click.echo(f"{result.seconds:9.3f}s  {result.generate_seconds:9.3f}s  {case.ident}{where}")
    click.echo(f"{total:9.3f}s  {total_inputs:9.3f}s  total")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file (default: print it).")
@click.option("--check", "check_only", is_flag=True, help="Exit 8 if --out differs from the current schema.")
def schema(out, check_only):
    """Print or write the JSON Schema of the opdef format (for editors and CI)."""
    from .opdef.schema import opdef_schema_text

    text = opdef_schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    current = out.read_text() if out.is_file() else None
    if check_only:
        if current != text:
            raise OutOfDate(f"{out} is out of date; run dsaops schema --out {out}")
        click.echo(f"{out}: identical")
        return
    if current != text:
        out.write_text(text)
    click.echo(f"{out}: {'identical' if current == text else 'written'}")


def _reserved(name: str, summary: str, capability: str):
    @main.command(name, help=f"{summary} (not available yet).",
                  context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def command():
        raise NotAvailable(f"'dsaops {name}' is not available yet: {capability} is being built")
    return command


build = _reserved("build", "Build the installable .run package for a SoC", "packaging")
install = _reserved("install", "Install a built .run package into a CANN opp folder", "installation")
verify = _reserved("verify", "Run every op's cases and compare with the golden references", "verification")


if __name__ == "__main__":  # pragma: no cover
    main()
