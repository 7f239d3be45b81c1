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
    """Load one file; problems go to ``issues`` (or raise OpdefError when not given).

    The model is built only from a file the reader found structurally valid, so a
    missing or mistyped key is reported with its line and never reaches the builder.
    """
    own = issues is None
    if issues is None:
        issues = Issues(_display(path))
    try:
        node = compose(path, issues.display)
    except YamlSyntaxError as err:
        issues.add(err.location.line, err.message, err.hint)
        node = None
    op = None
    if node is None and not len(issues):
        issues.add(1, "the file is empty")
    elif node is not None:
        data = read_object(node, "opdef", issues, "opdef")
        if data is not None and not len(issues):
            op = build_opdef(data, path.stem, issues)
    if own and len(issues):
        raise OpdefError(issues.items, issues.dropped)
    return op


#: Suffixes of opdef files.
SUFFIXES = (".yaml", ".yml")


def load_opdefs(folder: Path | str | None = None) -> OpSet:
    """Load every ``*.yaml`` / ``*.yml`` of ``folder`` (default: the bundled opdefs); all errors at once."""
    root = Path(folder) if folder is not None else resources.opdefs_dir()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise UsageError(f"opdefs folder {str(root)!r} {what}")
    try:
        files = sorted(p for p in root.iterdir() if p.suffix in SUFFIXES and not p.name.startswith("."))
    except OSError as exc:
        raise UsageError(f"cannot read the opdefs folder {str(root)!r}: {exc.strerror or exc}") from None
    if not files:
        raise UsageError(f"opdefs folder {str(root)!r} has no *.yaml files")
    all_issues: list[OpdefIssue] = []
    dropped = 0
    ops: dict[str, OpDef] = {}
    for path in files:
        issues = Issues(_display(path))
        op = load_opdef_file(path, issues)
        all_issues.extend(issues.items)
        dropped += issues.dropped
        if op is not None:
            if op.name in ops:
                first = ops[op.name].location.file
                issues.add(1, f"op {op.name!r} is defined twice: in {first} and here",
                           "keep one file per op (.yaml and .yml count alike)")
                all_issues.extend(issues.items[-1:])
                continue
            ops[op.name] = op
    all_issues.extend(_uniqueness_issues(ops.values()))
    if all_issues or dropped:
        raise OpdefError(all_issues, dropped)
    return OpSet(ops, root)


def _uniqueness_issues(ops) -> list[OpdefIssue]:
    """Two ops may not share a CANN op type or a torch name (each must register once)."""
    issues = []
    for attr, what in (("op_type", "op_type"), ("torch", "torch name")):
        first: dict[str, OpDef] = {}
        for op in ops:
            value = getattr(op, attr)
            if value in first:
                other = first[value]
                issues.append(OpdefIssue(Location(op.location.file, op.key_lines.get(attr, 1)),
                                         f"{what} {value!r} is already used by op {other.name!r} "
                                         f"({other.location.file}:{other.key_lines.get(attr, 1)})",
                                         f"each op needs its own {what}"))
            else:
                first[value] = op
    return issues
