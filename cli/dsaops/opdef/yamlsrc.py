"""YAML reading that keeps line numbers and refuses duplicate keys, with bounded resources.

The opdef loader works on a composed node tree rather than on plain Python objects, so
every value it reports about can point at its ``file:line``. The tree is composed here
from the parser's events (libyaml's C parser when PyYAML has it, the pure-Python parser
otherwise; both give the same nodes and lines). Composing ourselves, without recursion,
lets us refuse what would otherwise hang, exhaust memory or crash the interpreter:

- files over ``MAX_FILE_BYTES``;
- nesting deeper than ``MAX_DEPTH`` (libyaml's own composer overflows the C stack);
- aliases that expand to more than ``MAX_EXPANDED_NODES`` nodes (the "billion laughs"),
  or that refer to the node they are inside of;
- tags other than YAML's standard ones (``!!python/...`` and the like).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import Location

Node = yaml.Node
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode
ScalarNode = yaml.ScalarNode

#: An opdef is a few kB (the largest bundled one 12 kB); anything this large is a mistake.
MAX_FILE_BYTES = 256 << 10
#: Opdefs nest about 6 levels deep.
MAX_DEPTH = 64
NESTING_HINT = "an opdef nests about 6 levels: look for unbalanced brackets"
#: Nodes the tree may hold once aliases are expanded (the bundled opdefs have under 1000).
MAX_EXPANDED_NODES = 100_000

#: libyaml's parser when available (about 8x faster on the bundled opdefs), else pure Python.
LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
PURE_LOADER = yaml.SafeLoader

_STANDARD_TAGS = frozenset(t for t in yaml.SafeLoader.yaml_constructors if t is not None)


class YamlSyntaxError(Exception):
    def __init__(self, location: Location, message: str, hint: str = ""):
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message
        self.hint = hint


def read_text(path: Path, display: str) -> str:
    """The file's text, refusing what is too large or not UTF-8 (with the line of the bad byte)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlSyntaxError(Location(display, 0), f"the file is {size} bytes; an opdef may have at most "
                                  f"{MAX_FILE_BYTES} bytes", "an opdef is a few kB: is this the right file?")
        data = path.read_bytes()
    except OSError as exc:
        raise YamlSyntaxError(Location(display, 0), f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlSyntaxError(Location(display, line), f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} "
                              f"at column {column})", "save the file as UTF-8") from None


def compose(path: Path, display: str, loader=None) -> Node | None:
    """Parse ``path`` into a node tree; ``display`` is the name used in locations."""
    return compose_text(read_text(path, display), display, loader)


def compose_text(text: str, display: str, loader=None) -> Node | None:
    loader_cls = loader or LOADER
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlSyntaxError(Location(display, 0), f"the text has more than {MAX_FILE_BYTES} bytes")
    parser = None
    try:
        parser = loader_cls(text)
        return _Composer(parser, display).run()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or str(exc)
        if "maximum nesting depth" in problem:  # newer libyaml scanners stop deep nesting before the composer
            raise YamlSyntaxError(Location(display, line), f"the YAML nests more than {MAX_DEPTH} levels deep",
                                  NESTING_HINT) from None
        raise YamlSyntaxError(Location(display, line), f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1 if isinstance(exc.position, int) else 0
        raise YamlSyntaxError(Location(display, line), f"YAML error: {exc.reason} (character #x{exc.character:04x})"
                              if isinstance(exc.character, int) else f"YAML error: {exc.reason}",
                              "remove control characters from the file") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Location(display, 0), f"YAML error: {exc}") from None
    finally:
        if parser is not None:
            parser.dispose()


class _Composer:
    """Builds the node tree from parser events iteratively, enforcing the limits above."""

    def __init__(self, parser, display: str):
        self.parser = parser
        self.display = display
        self.anchors: dict[str, Node] = {}
        self.aliases = 0

    def fail(self, mark, message: str, hint: str = "") -> None:
        raise YamlSyntaxError(Location(self.display, mark.line + 1 if mark is not None else 0), message, hint)

    def run(self) -> Node | None:
        p = self.parser
        p.get_event()  # StreamStart
        root = None
        if p.check_event(yaml.StreamEndEvent):
            p.get_event()
            return None
        p.get_event()  # DocumentStart
        root = self._document()
        p.get_event()  # DocumentEnd
        if not p.check_event(yaml.StreamEndEvent):
            event = p.get_event()
            self.fail(event.start_mark, "the file holds more than one YAML document",
                      "an opdef is a single document: remove the '---' separators")
        p.get_event()
        if self.aliases:
            self._check_expansion(root)
        return root

    def _tag(self, event, kind, value) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            implicit = event.implicit if kind is ScalarNode else event.implicit
            return self.parser.resolve(kind, value, implicit)
        if tag not in _STANDARD_TAGS:
            self.fail(event.start_mark, f"unsupported YAML tag {tag.replace('tag:yaml.org,2002:', '!!')!r}",
                      "opdefs hold plain YAML values: remove the tag")
        return tag

    def _document(self) -> Node:
        get_event = self.parser.get_event
        stack: list[list] = []  # [node, pending mapping key or None]
        root = None
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
        ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)

        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar_event:
                tag = event.tag
                if tag is None or tag == "!" or tag not in _STANDARD_TAGS:
                    tag = self._tag(event, ScalarNode, event.value)
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                if event.anchor is not None:
                    self.anchors[event.anchor] = node
            elif kind is alias_event:
                node = self.anchors.get(event.anchor)
                if node is None:
                    self.fail(event.start_mark, f"YAML syntax error: found undefined alias {event.anchor!r}")
                self.aliases += 1
            elif kind is seq_start or kind is map_start:
                if len(stack) >= MAX_DEPTH:
                    self.fail(event.start_mark, f"the YAML nests more than {MAX_DEPTH} levels deep", NESTING_HINT)
                cls = SequenceNode if kind is seq_start else MappingNode
                node = cls(self._tag(event, cls, None), [], event.start_mark, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    self.anchors[event.anchor] = node
            elif kind in ends:
                node = stack.pop()[0]
                node.end_mark = event.end_mark
                if not stack:
                    return root
                continue
            else:  # pragma: no cover - the parser guarantees the event grammar
                self.fail(event.start_mark, f"YAML error: unexpected {kind.__name__}")
            # attach the new node to its parent
            if not stack:
                root = node
            else:
                top = stack[-1]
                parent = top[0]
                if type(parent) is SequenceNode:
                    parent.value.append(node)
                elif top[1] is None:
                    top[1] = node
                else:
                    parent.value.append((top[1], node))
                    top[1] = None
            if kind is seq_start or kind is map_start:
                stack.append([node, None])
            elif not stack:
                return root

    def _anchor(self, event, node) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = node

    def _check_expansion(self, root: Node) -> None:
        """Refuse alias cycles and trees that expand beyond MAX_EXPANDED_NODES (iteratively, memoised)."""
        size: dict[int, int] = {}
        on_path: set[int] = set()
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            key = id(node)
            if done:
                on_path.discard(key)
                total = 1
                for child in _children(node):
                    total += size[id(child)]
                size[key] = total
                if total > MAX_EXPANDED_NODES:
                    self.fail(node.start_mark, f"aliases expand the YAML to more than {MAX_EXPANDED_NODES} "
                              "values", "an opdef needs no deeply repeated aliases: write the values out")
                continue
            if key in size:
                continue
            if key in on_path:
                self.fail(node.start_mark, "a YAML alias refers to a node that contains it (a cycle)",
                          "an alias may only repeat a complete earlier value")
            on_path.add(key)
            stack.append((node, True))
            for child in _children(node):
                if id(child) in on_path:
                    self.fail(child.start_mark, "a YAML alias refers to a node that contains it (a cycle)",
                              "an alias may only repeat a complete earlier value")
                if id(child) not in size:
                    stack.append((child, False))


def _children(node: Node):
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


_constructor = yaml.SafeLoader("")


class ScalarValueError(ValueError):
    pass


def scalar_value(node: ScalarNode) -> object:
    """The Python value of a scalar node, resolved as YAML 1.1 safe-load would."""
    try:
        return _constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise ScalarValueError(f"{node.value!r} is not a valid {describe_tag(node.tag)} ({exc})") from None


def describe_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


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
        kind = TYPE_NAMES.get(node.tag, describe_tag(node.tag))
        if node.tag == "tag:yaml.org,2002:null":
            return "null"
        value = node.value if len(node.value) <= 60 else node.value[:57] + "..."
        return f"{kind} ({value!r})"
    return TYPE_NAMES.get(node.tag, describe_tag(node.tag))
