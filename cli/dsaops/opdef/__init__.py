"""Op definitions: load, validate and query the YAML opdefs.

    >>> from dsaops.opdef import load_opdefs
    >>> ops = load_opdefs()            # the bundled DSA op set
    >>> ops["lightning_indexer"].torch
    'custom.npu_lightning_indexer'
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Iterator, Mapping

from ..errors import Location, OpdefError, OpdefIssue, UsageError
from .. import resources
from .build import build_opdef
from .model import REQUIRED, Attr, Case, Constraint, OpDef, Param, Tensor, Variant
from .reader import Issues, read_object
from .yamlsrc import YamlSyntaxError, compose

__all__ = ["OpSet", "OpDef", "Tensor", "Attr", "Param", "Variant", "Constraint", "Case", "REQUIRED",
           "load_opdefs", "load_opdef_file"]


class OpSet(Mapping[str, OpDef]):
    """The op definitions of one folder, by name, in name order."""

    def __init__(self, ops: Mapping[str, OpDef], root: Path):
        self._ops = dict(sorted(ops.items()))
        self.root = root

    def __getitem__(self, name: str) -> OpDef:
        try:
            return self._ops[name]
        except KeyError:
            raise UsageError(f"unknown op {name!r}; known ops: {', '.join(self._ops)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def select(self, patterns: str | None) -> list[OpDef]:
        """Ops whose names match any comma-separated glob in ``patterns`` (all when None)."""
        if not patterns:
            return list(self._ops.values())
        globs = [p.strip() for p in patterns.split(",") if p.strip()]
        chosen = [op for name, op in self._ops.items() if any(fnmatch.fnmatchcase(name, g) for g in globs)]
        if not chosen:
            raise UsageError(f"--ops {patterns!r} matches no op; known ops: {', '.join(self._ops)}")
        return chosen


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_opdef_file(path: Path, issues: Issues | None = None) -> OpDef | None:
    """Load one file; problems go to ``issues`` (or raise OpdefError when not given)."""
    own = issues is None
    issues = issues or Issues(_display(path))
    try:
        node = compose(path, issues.display)
    except YamlSyntaxError as err:
        issues.add(err.location.line, err.message)
        node = None
    op = None
    if node is None and not issues.items:
        issues.add(1, "the file is empty")
    elif node is not None:
        data = read_object(node, "opdef", issues, "opdef")
        if data is not None:
            op = build_opdef(data, path.stem, issues)
    if own and issues.items:
        raise OpdefError(issues.items)
    return op


def load_opdefs(folder: Path | str | None = None) -> OpSet:
    """Load every ``*.yaml`` of ``folder`` (default: the bundled opdefs); all errors at once."""
    root = Path(folder) if folder is not None else resources.opdefs_dir()
    if not root.is_dir():
        raise UsageError(f"opdefs folder {str(root)!r} does not exist")
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise UsageError(f"opdefs folder {str(root)!r} has no *.yaml files")
    all_issues: list[OpdefIssue] = []
    ops: dict[str, OpDef] = {}
    for path in files:
        issues = Issues(_display(path))
        op = load_opdef_file(path, issues)
        all_issues.extend(issues.items)
        if op is not None:
            ops[op.name] = op
    if all_issues:
        raise OpdefError(all_issues)
    return OpSet(ops, root)
