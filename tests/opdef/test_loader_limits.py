"""The loader's resource limits and YAML hazards, uniqueness across ops, and the two YAML parsers."""

from __future__ import annotations

import pytest
import yaml

from dsaops.errors import OpdefError
from dsaops.opdef import load_opdefs, resources
from dsaops.opdef import yamlsrc
from dsaops.opdef.yamlsrc import YamlSyntaxError, compose_text

PARSERS = [yamlsrc.PURE_LOADER] + ([yaml.CSafeLoader] if getattr(yaml, "__with_libyaml__", False) else [])


def errors_of(opdef_dir, text: str, name: str = "tiny", suffix: str = ".yaml") -> list[str]:
    (opdef_dir / f"{name}{suffix}").write_text(text)
    with pytest.raises(OpdefError) as info:
        load_opdefs(opdef_dir)
    return [str(i) for i in info.value.issues]


def test_the_fast_parser_is_used_when_available():
    if getattr(yaml, "__with_libyaml__", False):
        assert yamlsrc.LOADER is yaml.CSafeLoader
    else:
        assert yamlsrc.LOADER is yaml.SafeLoader


def _walk(node):
    out = [(type(node).__name__, node.tag, node.start_mark.line, node.value if isinstance(node, yaml.ScalarNode) else None)]
    children = node.value if isinstance(node, yaml.SequenceNode) else (
        [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
    for child in children:
        out.extend(_walk(child))
    return out


@pytest.mark.parametrize("path", sorted(resources.opdefs_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_both_parsers_compose_the_same_tree_as_pyyaml(path):
    text = path.read_text()
    reference = _walk(yaml.compose(text, Loader=yaml.SafeLoader))
    for parser in PARSERS:
        assert _walk(compose_text(text, path.name, parser)) == reference, parser.__name__


BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 10)}]\n" for i in range(10))


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("text, line, message", [
    # l4 expands to 111111 nodes (l_i has 1 + 10 * |l_(i-1)|), the first over the limit
    (BOMB, 5, "aliases expand the YAML to more than 100000 values"),
    ("a: 1\nb: &d {B: *d}\n", 2, "a YAML alias refers to a node that contains it (a cycle)"),
    ("a: 1\nb: " + "[" * 100_000 + "]" * 100_000 + "\n", 2, "the YAML nests more than 64 levels deep"),
    ("a: 1\n---\nb: 2\n", 2, "the file holds more than one YAML document"),
    ("a: 1\nb: *nowhere\n", 2, "YAML syntax error: found undefined alias 'nowhere'"),
    ("a: 1\nb: \x07\n", 2, "YAML error: "),
], ids=["alias-bomb", "alias-cycle", "deep-nesting", "two-documents", "undefined-alias", "control-char"])
def test_yaml_hazards_end_in_a_located_error(parser, text, line, message):
    with pytest.raises(YamlSyntaxError) as info:
        compose_text(text, "f.yaml", parser)
    assert info.value.location.line == line
    assert info.value.message.startswith(message)


def test_alias_bomb_shaped_like_an_opdef(opdef_dir, tiny_text, line_of):
    bomb = "".join(f"  - &c{i} {{id: c{i}, params: {{x: [{', '.join([f'*c{i - 1}' if i else '1'] * 9)}]}}}}\n"
                   for i in range(12))
    text = tiny_text + "cases:\n  smoke:\n" + bomb
    [error] = errors_of(opdef_dir, text)
    assert "aliases expand the YAML to more than 100000 values" in error
    assert error.startswith("opdefs/tiny.yaml:")


def test_oversized_file_is_refused_before_reading(opdef_dir, tiny_text):
    text = tiny_text + "#" * (yamlsrc.MAX_FILE_BYTES + 1) + "\n"
    [error] = errors_of(opdef_dir, text)
    assert error.startswith(f"opdefs/tiny.yaml: the file is {len(text)} bytes; an opdef may have at most "
                            f"{yamlsrc.MAX_FILE_BYTES} bytes")


def test_error_list_is_capped(opdef_dir, tiny_text, monkeypatch):
    text = tiny_text + "".join(f"junk{i}: 1\n" for i in range(400))
    (opdef_dir / "tiny.yaml").write_text(text)
    from dsaops.opdef import reader

    calls = []
    real = reader.did_you_mean
    monkeypatch.setattr(reader, "did_you_mean", lambda *a: calls.append(a) or real(*a))
    with pytest.raises(OpdefError) as info:
        load_opdefs(opdef_dir)
    # hints (a fuzzy search each) are computed only for the issues kept, so a huge file stays quick
    assert len(calls) == reader.Issues.MAX_KEPT
    err = info.value
    assert err.count == 400
    message = str(err)
    assert message.startswith("400 errors in op definitions:")
    assert message.count("unknown key 'junk") == OpdefError.MAX_SHOWN
    assert message.endswith(f"... and {400 - OpdefError.MAX_SHOWN} more")


def test_yml_files_are_loaded(opdef_dir, tiny_text):
    (opdef_dir / "tiny.yml").write_text(tiny_text)
    assert list(load_opdefs(opdef_dir)) == ["tiny"]


def test_same_op_in_yaml_and_yml(opdef_dir, tiny_text):
    (opdef_dir / "tiny.yml").write_text(tiny_text)
    assert errors_of(opdef_dir, tiny_text) == [
        "opdefs/tiny.yml:1: op 'tiny' is defined twice: in opdefs/tiny.yaml and here"
        "\n    hint: keep one file per op (.yaml and .yml count alike)"]


@pytest.mark.parametrize("key, value, what", [("op_type", "Tiny", "op_type"),
                                               ("torch", "custom.npu_tiny", "torch name")])
def test_op_type_and_torch_name_are_unique(opdef_dir, tiny_text, line_of, key, value, what):
    other = tiny_text.replace("name: tiny", "name: other")
    other = other.replace("op_type: Tiny", "op_type: Other") if key != "op_type" else other
    other = other.replace("torch: custom.npu_tiny", "torch: custom.npu_other") if key != "torch" else other
    (opdef_dir / "other.yaml").write_text(other)
    line = line_of(tiny_text, f"{key}:")
    assert errors_of(opdef_dir, tiny_text) == [
        f"opdefs/tiny.yaml:{line}: {what} {value!r} is already used by op 'other' (opdefs/other.yaml:{line})"
        f"\n    hint: each op needs its own {what}"]
