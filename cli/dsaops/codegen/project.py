"""Render the msopgen-style op project for a set of ops.

Everything is rendered in memory first and written afterwards, so a template
error leaves the output folder untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import resources
from ..errors import Location, OpdefError, OpdefIssue, UsageError
from ..opdef import OpDef
from .engine import Engine
from .views import OpView, op_view
from .writer import Action, FileWriter, stamp

DEFAULT_VENDOR = "dsaops"
#: A vendor names a folder (opp/vendors/<vendor>), a CMake project and JSON/C++ strings.
VENDOR_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


def check_vendor(vendor: str) -> str:
    if not isinstance(vendor, str) or not re.match(VENDOR_PATTERN, vendor):
        raise UsageError(f"--vendor must be a letter followed by letters, digits or '_' (at most 64), got {vendor!r}; "
                         "it names the opp/vendors/<vendor> folder and the CMake project")
    return vendor


@dataclass(frozen=True)
class ProjectView:
    vendor: str
    socs: tuple[str, ...]
    ops: tuple[OpView, ...]

    @property
    def kernel_ops(self) -> tuple[OpView, ...]:
        return tuple(op for op in self.ops if op.kernel is not None)


@dataclass(frozen=True)
class RenderedFile:
    path: str  # relative to the project root
    content: str
    template: str  # relative template path, as stamped
    executable: bool
    op: str | None = None  # the op this file belongs to (None: the project's own files)


def _templates(root: Path, sub: str) -> list[Path]:
    base = root / sub
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []


def has_kernel(op: OpDef, kernels: Path) -> bool:
    """The op's hand-written kernel folder (``<kernels>/<kernel.dir>``) exists and holds C++ sources."""
    folder = Path(kernels) / op.kernel.dir
    return folder.is_dir() and any(p.suffix in (".h", ".cpp") for p in folder.rglob("*"))


def render_project(ops: list[OpDef], templates: Path, vendor: str = DEFAULT_VENDOR,
                   kernels: Path | None = None) -> list[RenderedFile]:
    """Render every file of the project in memory.

    ``kernels`` is the folder of hand-written kernels (default: the bundled ``ascendc/``); an op whose
    kernel folder exists there also gets its kernel entry, variants, tiling problem and check, CANN
    tiling adapter and twin glue. A template that renders to whitespace only writes no file.
    """
    check_vendor(vendor)
    templates = Path(templates)
    if not templates.is_dir():
        raise UsageError(f"templates folder {str(templates)!r} {'is not a folder' if templates.exists() else 'does not exist'}")
    from ..package.layout import validate_vendor

    validate_vendor(vendor)  # stricter for packages: it also lands in config.ini, JSON and shell words
    engine = Engine(templates)
    kernels = Path(kernels) if kernels is not None else resources.kernels_dir()
    views = []
    problems = []
    for op in ops:
        try:
            views.append(op_view(op, has_kernel(op, kernels)))
        except ValueError as exc:  # the opdef passed the loader but cannot be generated
            problems.append(OpdefIssue(Location(op.location.file, op.location.line), str(exc),
                                       "the generated InferShape/InferDataType needs this to be decidable"))
    if problems:
        raise OpdefError(problems)
    socs = tuple(sorted({s for op in ops for s in op.socs}))
    project = ProjectView(vendor, socs, tuple(views))
    files: list[RenderedFile] = []

    def emit(tpl: Path, sub: str, context: dict, op: str | None = None) -> None:
        rel_tpl = tpl.relative_to(templates).as_posix()
        inner = tpl.relative_to(templates / sub).as_posix()
        out_rel = engine.render_text(inner, context, f"templates/{rel_tpl}")
        if tpl.suffix == ".j2":
            out_rel = out_rel[: -len(".j2")]
            text = engine.render(rel_tpl, context)
        else:
            text = tpl.read_text(encoding="utf-8")
        if not text.strip():
            return  # the template does not apply (e.g. kernel files of an op without a kernel)
        files.append(RenderedFile(out_rel, stamp(text, f"templates/{rel_tpl}", out_rel), f"templates/{rel_tpl}",
                                  out_rel.endswith(".sh"), op))

    for tpl in _templates(templates, "project"):
        emit(tpl, "project", {"project": project})
    for view in views:
        for tpl in _templates(templates, "op"):
            emit(tpl, "op", {"op": view, "project": project}, view.name)
    if not files:
        raise UsageError(f"templates folder {str(templates)!r} yields no files: it needs templates under "
                         "project/ and op/ (is --templates or DSAOPS_TEMPLATES misspelt?)")
    return files


def write_project(files: list[RenderedFile], out: Path, check: bool = False,
                  ops: list[str] | None = None) -> list[Action]:
    """Write the files and remove the ones an earlier run generated that this run did not.

    ``ops=None`` regenerates the whole project: every file the folder's manifest recorded may
    go (an op removed from the opdefs loses its files). With ``ops`` (``gen --ops``), only the
    project's files and those of the named ops may; other ops' files are left alone. A file
    dsaops did not generate (not in the manifest) is never overwritten: that is an error.
    """
    writer = FileWriter(out, check=check)
    if not check:
        writer.refuse_overwriting_foreign([f.path for f in files], {f.path: f.content for f in files})
    for f in files:
        writer.write(f.path, f.content, f.template, f.executable, owner=f.op)
    return writer.finish(None if ops is None else set(ops))
