"""Render the msopgen-style op project for a set of ops.

Everything is rendered in memory first and written afterwards, so a template
error leaves the output folder untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import resources
from ..errors import GenerationError
from ..opdef import OpDef
from .engine import Engine
from .views import OpView, op_view
from .writer import Action, FileWriter, stamp

DEFAULT_VENDOR = "dsaops"


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
    engine = Engine(templates)
    kernels = Path(kernels) if kernels is not None else resources.kernels_dir()
    views = []
    for op in ops:
        try:
            views.append(op_view(op, has_kernel(op, kernels)))
        except ValueError as exc:
            raise GenerationError(f"{op.location}: {exc}") from None
    socs = tuple(sorted({s for op in ops for s in op.socs}))
    project = ProjectView(vendor, socs, tuple(views))
    files: list[RenderedFile] = []

    def emit(tpl: Path, sub: str, context: dict) -> None:
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
                                  out_rel.endswith(".sh")))

    for tpl in _templates(templates, "project"):
        emit(tpl, "project", {"project": project})
    for view in views:
        for tpl in _templates(templates, "op"):
            emit(tpl, "op", {"op": view, "project": project})
    return files


def write_project(files: list[RenderedFile], out: Path, check: bool = False) -> list[Action]:
    writer = FileWriter(out, check=check)
    for f in files:
        writer.write(f.path, f.content, f.template, f.executable)
    return writer.finish()
