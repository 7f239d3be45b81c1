"""Strict conversion of a YAML node tree into located plain data, driven by ``spec.OBJECTS``.

Every problem is collected (never raised one at a time) so a run reports all of them.
Values come back as ``LDict`` / ``LList`` (dict / list subclasses remembering the
line of each entry) and plain scalars; an invalid value is reported and dropped.
"""

from __future__ import annotations

import difflib
import re

from ..errors import Location, OpdefIssue
from . import spec
from .yamlsrc import MappingNode, Node, ScalarNode, ScalarValueError, SequenceNode, describe, line_of, scalar_value


class LDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LList(list):
    """A list that knows its own line and the line of each item."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: list[int] = []


class Issues:
    """Collects the issues of one file (the first ``MAX_KEPT``; the rest are only counted)."""

    MAX_KEPT = 200

    def __init__(self, display: str):
        self.display = display
        self.items: list[OpdefIssue] = []
        self.dropped = 0

    def add(self, line: int, message: str, hint="") -> None:
        """Record an issue; ``hint`` may be a function, called only for an issue that is kept."""
        if len(self.items) >= self.MAX_KEPT:
            self.dropped += 1
            return
        self.items.append(OpdefIssue(Location(self.display, line), message, hint() if callable(hint) else hint))

    def __len__(self) -> int:
        return len(self.items) + self.dropped


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def read_object(node: Node, kind: str, issues: Issues, where: str) -> LDict | None:
    """Read ``node`` as an object of ``kind``; ``where`` names it in messages."""
    if not isinstance(node, MappingNode):
        issues.add(line_of(node), f"{where} must be a mapping, got {describe(node)}")
        return None
    fields = {f.key: f for f in spec.OBJECTS[kind]}
    out = LDict(line_of(node))
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            issues.add(line_of(key_node), f"{where}: keys must be strings, got {describe(key_node)}")
            continue
        key = str(key_node.value)
        if key in seen:
            issues.add(line_of(key_node), f"{where}: duplicate key {key!r} (first at line {seen[key]})",
                       "remove one of the two entries")
            continue
        seen[key] = line_of(key_node)
        field = fields.get(key)
        if field is None:
            issues.add(line_of(key_node), f"{where}: unknown key {key!r}",
                       lambda: did_you_mean(key, fields) or "known keys: " + ", ".join(fields))
            continue
        value = read_value(value_node, field.type, issues, f"{where}.{key}")
        if value is not None:
            out[key] = value
            out.lines[key] = line_of(key_node)
    unknown = {k: line for k, line in seen.items() if k not in fields}
    for field in fields.values():
        if field.key in out:
            continue
        if field.required:
            if field.key not in seen:  # present but invalid was already reported
                misspelt = difflib.get_close_matches(field.key, list(unknown), n=1, cutoff=0.6) \
                    if len(unknown) <= 100 else []
                if misspelt:
                    hint = f"is {misspelt[0]!r} (line {unknown[misspelt[0]]}) a misspelling of it?"
                else:
                    hint = f"add {field.key}: {field.type.describe()} ({field.doc})"
                issues.add(out.line, f"{where}: missing required key {field.key!r}", hint)
        elif field.has_default:
            default = field.default
            out[field.key] = LList(out.line) if default == [] else default
    return out


def read_value(node: Node, typ: spec.Type, issues: Issues, where: str):
    line = line_of(node)
    if typ.kind == "obj":
        return read_object(node, typ.obj, issues, where)
    if typ.kind == "list":
        if not isinstance(node, SequenceNode):
            issues.add(line, f"{where} must be {typ.describe()}, got {describe(node)}")
            return None
        out = LList(line)
        for i, item in enumerate(node.value):
            value = read_value(item, typ.item, issues, f"{where}[{i}]")
            if value is not None:
                out.append(value)
                out.lines.append(line_of(item))
        return out
    if typ.kind == "map":
        if not isinstance(node, MappingNode):
            issues.add(line, f"{where} must be {typ.describe()}, got {describe(node)}")
            return None
        out = LDict(line)
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else None
            if key is None:
                issues.add(line_of(key_node), f"{where}: keys must be strings, got {describe(key_node)}")
                continue
            if key in out.lines:
                issues.add(line_of(key_node), f"{where}: duplicate key {key!r} (first at line {out.lines[key]})",
                           "remove one of the two entries")
                continue
            if typ.pattern and not re.match(typ.pattern, key):
                issues.add(line_of(key_node), f"{where}: key {key!r} does not match {typ.pattern}")
                continue
            value = read_value(value_node, typ.item, issues, f"{where}.{key}")
            out.lines[key] = line_of(key_node)
            if value is not None:
                out[key] = value
        return out
    if typ.kind == "case_value":
        if isinstance(node, SequenceNode):
            return read_value(node, spec.L(spec.SCALAR), issues, where)
        return read_value(node, spec.SCALAR, issues, where)
    # scalars
    if not isinstance(node, ScalarNode):
        issues.add(line, f"{where} must be {typ.describe()}, got {describe(node)}")
        return None
    try:
        value = scalar_value(node)
    except ScalarValueError as err:
        issues.add(line, f"{where}: {err}", f"write {typ.describe()}")
        return None
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "dim": isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)),
        "scalar": isinstance(value, (str, int, float, bool)),
    }[typ.kind]
    if not ok:
        issues.add(line, f"{where} must be {typ.describe()}, got {describe(node)}")
        return None
    if typ.enum is not None and value not in typ.enum:
        issues.add(line, f"{where} must be {typ.describe()}, got {value!r}",
                   lambda: did_you_mean(str(value), [str(e) for e in typ.enum]))
        return None
    if typ.pattern is not None and isinstance(value, str) and not re.match(typ.pattern, value):
        issues.add(line, f"{where} must match {typ.pattern}, got {value!r}")
        return None
    return value
