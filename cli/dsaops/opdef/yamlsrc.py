"""YAML reading that keeps line numbers and refuses duplicate keys.

The opdef loader works on PyYAML's composed node tree rather than on plain Python
objects, so every value it reports about can point at its ``file:line``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import Location

Node = yaml.Node
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode
ScalarNode = yaml.ScalarNode


class YamlSyntaxError(Exception):
    def __init__(self, location: Location, message: str):
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


def compose(path: Path, display: str) -> Node | None:
    """Parse ``path`` into a node tree; ``display`` is the name used in locations."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlSyntaxError(Location(display, line), f"YAML syntax error: {exc.problem or exc}") from None


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


_constructor = yaml.SafeLoader("")


def scalar_value(node: ScalarNode) -> object:
    """The Python value of a scalar node, resolved as YAML 1.1 safe-load would."""
    return _constructor.construct_object(node, deep=True)


def plain(node: Node) -> object:
    """Convert a node subtree to plain Python values (used for free-form data)."""
    return _constructor.construct_object(node, deep=True)


TYPE_NAMES = {
    "tag:yaml.org,2002:str": "a string",
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}


def describe(node: Node) -> str:
    """How a node reads to a person ('a list', 'the integer 3', ...)."""
    if isinstance(node, ScalarNode):
        kind = TYPE_NAMES.get(node.tag, node.tag)
        if node.tag == "tag:yaml.org,2002:null":
            return "null"
        return f"{kind} ({node.value!r})"
    return TYPE_NAMES.get(node.tag, node.tag)
