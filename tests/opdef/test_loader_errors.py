"""The loader's error messages, exactly: file:line, message, hint; every error of a run at once."""

from __future__ import annotations

import pytest

from dsaops.errors import OpdefError
from dsaops.opdef import load_opdefs
from dsaops.opdef.expr import FUNCTIONS


def errors_of(opdef_dir, text: str, name: str = "tiny") -> list[str]:
    (opdef_dir / f"{name}.yaml").write_text(text)
    with pytest.raises(OpdefError) as info:
        load_opdefs(opdef_dir)
    return [str(i) for i in info.value.issues]


def test_minimal_opdef_loads(opdef_dir, tiny_text):
    (opdef_dir / "tiny.yaml").write_text(tiny_text)
    ops = load_opdefs(opdef_dir)
    op = ops["tiny"]
    assert [t.name for t in op.inputs] == ["x", "lengths"]
    assert [(p.name, p.keyword_only) for p in op.signature] == [
        ("x", False), ("lengths", True), ("alpha", True), ("layout", True), ("mode", True)]
    assert [v.id for v in op.variants] == ["fp16", "bf16"]


def test_unknown_key_names_line_and_suggests(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("    optional: true", "    optinal: true")
    line = line_of(text, "optinal")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: opdef.inputs[1]: unknown key 'optinal'\n    hint: did you mean 'optional'?"]


def test_wrong_type(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("    optional: true", "    optional: [yes]")
    line = line_of(text, "optional: [yes]")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: opdef.inputs[1].optional must be a boolean (true/false), got a list"]


def test_duplicate_key(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("summary: scales x by alpha\n", "summary: scales x by alpha\nsummary: again\n")
    first, second = line_of(text, "summary:"), line_of(text, "summary:", 2)
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{second}: opdef: duplicate key 'summary' (first at line {first})"
        "\n    hint: remove one of the two entries"]


def test_bad_constraint_name(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("check: N <= 4096", "check: NN <= 4096")
    line = line_of(text, "NN <= 4096")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: constraint check: unknown name 'NN' in 'NN <= 4096'\n    hint: did you mean 'N'?"]


def test_bad_constraint_syntax(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("check: N <= 4096", "check: N <=")
    line = line_of(text, "check: N <=")
    [error] = errors_of(opdef_dir, text)
    assert error.startswith(f"opdefs/tiny.yaml:{line}: constraint check: invalid expression 'N <=':")
    assert "hint: use Python syntax" in error


def test_disallowed_expression(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("check: N <= 4096", "check: N.bit_length() <= 12")
    line = line_of(text, "bit_length")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: constraint check: unknown function '?' in 'N.bit_length() <= 12'"
        "\n    hint: known functions: " + ", ".join(FUNCTIONS)]


def test_default_outside_choices(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("    default: BN\n", "    default: NB\n")
    line = line_of(text, "default: NB")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: attr 'layout': default 'NB' is not one of the choices ['BN', 'N']"
        "\n    hint: a seed default that is not supported belongs in a constraint, not in choices"]


def test_dangling_references(opdef_dir, tiny_text, line_of):
    text = (tiny_text
            .replace("signature: [x, '*', lengths,", "signature: [x, '*', lenghts,")
            .replace("columns: [x, lengths, y]", "columns: [x, lengths, z]"))
    sig = line_of(text, "signature:")
    cols = line_of(text, "columns:")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{sig}: signature: 'lenghts' is neither an input nor an attr\n    hint: did you mean 'lengths'?",
        f"opdefs/tiny.yaml:{sig}: signature: input 'lengths' is missing",
        f"opdefs/tiny.yaml:{cols}: dtypes.columns: 'z' is not a tensor of this op",
        f"opdefs/tiny.yaml:{cols}: dtypes.columns: missing tensor(s) ['y']"
        "\n    hint: every input and output needs a dtype in each row",
    ]


def test_unbound_output_dim(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("      BN: [B, N]\n      N: [N]\nattrs", "      BN: [B, K]\n      N: [N]\nattrs")
    text = text.replace("  N: length\n", "  N: length\n  K: output length\n")
    line = line_of(text, "- name: y")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: output 'y': dim 'K' is bound by no input shape in layout 'BN'"
        "\n    hint: bind it in an input shape, or compute it under derived_dims (e.g. s1: t // b)"]


def test_output_dim_bound_in_another_layout_only(opdef_dir, tiny_text, line_of):
    # x binds N only in layout N; y needs N in layout BN too
    text = tiny_text.replace("      BN: [B, N]\n      N: [N]\n  - name: lengths", "      BN: [B]\n      N: [N]\n  - name: lengths")
    line = line_of(text, "- name: y")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: output 'y': dim 'N' is bound by no input shape in layout 'BN'"
        "\n    hint: bind it in an input shape, or compute it under derived_dims (e.g. s1: t // b)"]


def test_missing_required_key_stops_the_build(opdef_dir, tiny_text):
    # The reader's errors stop the file before the model is built: the name mismatch
    # (a builder check) is reported only once the structure is valid.
    text = tiny_text.replace("op_type: Tiny\n", "")
    assert errors_of(opdef_dir, text, name="small") == [
        "opdefs/small.yaml:1: opdef: missing required key 'op_type'"
        "\n    hint: add op_type: a string (CANN op type (OpDef class name), CamelCase.)"]
    assert errors_of(opdef_dir, tiny_text, name="small") == [
        "opdefs/small.yaml:1: name 'tiny' does not match the file name 'small'"
        "\n    hint: rename the file to tiny.yaml or set name: small"]


@pytest.mark.parametrize("key", ["summary", "op_type", "torch"])
def test_misspelt_required_key_names_both_lines(opdef_dir, tiny_text, line_of, key):
    text = tiny_text.replace(f"{key}:", f"{key[:-1]}:", 1)
    line = line_of(text, f"{key[:-1]}:")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: opdef: unknown key {key[:-1]!r}\n    hint: did you mean {key!r}?",
        f"opdefs/tiny.yaml:1: opdef: missing required key {key!r}"
        f"\n    hint: is {key[:-1]!r} (line {line}) a misspelling of it?",
    ]


def test_wrong_type_default_with_range(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("    default: 0\n    range", "    default: fast\n    range")
    line = line_of(text, "default: fast")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/tiny.yaml:{line}: attr 'mode': default 'fast' is not of type int"
        "\n    hint: write a int default within [0, 3]"]


def test_non_utf8_file(opdef_dir, tiny_text, line_of):
    line = line_of(tiny_text, "summary:")
    (opdef_dir / "tiny.yaml").write_bytes(tiny_text.encode().replace(b"scales x", b"scales \xff x"))
    with pytest.raises(OpdefError) as info:
        load_opdefs(opdef_dir)
    assert [str(i) for i in info.value.issues] == [
        f"opdefs/tiny.yaml:{line}: the file is not valid UTF-8 (byte 0xff at column 17)"
        "\n    hint: save the file as UTF-8"]


@pytest.mark.parametrize("tagged", ["!!python/name:os.system", "!!python/object/apply:os.system ['true']",
                                    "!custom x"])
def test_non_standard_tags_are_refused(opdef_dir, tiny_text, line_of, tagged):
    text = tiny_text.replace("summary: scales x by alpha", f"summary: {tagged}")
    line = line_of(text, "summary:")
    [error] = errors_of(opdef_dir, text)
    tag = tagged.split()[0]
    assert error == (f"opdefs/tiny.yaml:{line}: unsupported YAML tag {tag!r}"
                     "\n    hint: opdefs hold plain YAML values: remove the tag")


def test_invalid_standard_tag_value(opdef_dir, tiny_text, line_of):
    text = tiny_text.replace("    default: 0\n    range", "    default: !!int zero\n    range")
    line = line_of(text, "!!int zero")
    [error] = errors_of(opdef_dir, text)
    assert error.startswith(f"opdefs/tiny.yaml:{line}: opdef.attrs[2].default: 'zero' is not a valid !!int (")
    assert error.endswith("hint: write a string, number or boolean")


def test_yaml_syntax_error(opdef_dir, tiny_text):
    text = tiny_text.replace("summary: scales x by alpha", "summary: [unclosed")
    [error] = errors_of(opdef_dir, text)
    assert error.startswith("opdefs/tiny.yaml:")
    assert "YAML syntax error" in error


def test_every_error_of_every_file_in_one_run(opdef_dir, tiny_text, line_of):
    (opdef_dir / "other.yaml").write_text(tiny_text.replace("name: tiny", "name: other").replace("type: float", "type: double"))
    text = tiny_text.replace("dims:", "dimz:")
    dims = line_of(text, "dimz:")
    assert errors_of(opdef_dir, text) == [
        f"opdefs/other.yaml:{line_of(tiny_text, 'type: float')}: opdef.attrs[0].type must be one of 'int', "
        "'float', 'str', 'bool', 'list_int', got 'double'",
        f"opdefs/tiny.yaml:{dims}: opdef: unknown key 'dimz'\n    hint: did you mean 'dims'?",
        f"opdefs/tiny.yaml:1: opdef: missing required key 'dims'\n    hint: is 'dimz' (line {dims}) a misspelling of it?",
    ]


@pytest.mark.parametrize("default, ok", [(-1, False), (0, True), (3, True), (4, False)])
def test_default_at_and_beyond_the_range_ends(opdef_dir, tiny_text, line_of, default, ok):
    text = tiny_text.replace("    default: 0\n    range", f"    default: {default}\n    range")
    (opdef_dir / "tiny.yaml").write_text(text)
    if ok:
        assert load_opdefs(opdef_dir)["tiny"].attr("mode").default == default
    else:
        line = line_of(text, f"default: {default}")
        assert errors_of(opdef_dir, text) == [
            f"opdefs/tiny.yaml:{line}: attr 'mode': default {default} is outside the range [0, 3]"]


def test_an_output_dim_bound_through_another_layout_attr_is_bound(opdef_dir, tiny_text):
    """K comes from z, whose layout follows another attr (layout2): InferShape picks z's layout at run time,
    so y may use K in every layout of its own attr."""
    text = tiny_text.replace("  N: length\n", "  N: length\n  K: width\n")
    text = text.replace("  - name: lengths\n", "  - name: z\n    doc: widths\n    layout_attr: layout2\n    shapes:\n"
                        "      P: [K]\n      Q: [K, 1]\n  - name: lengths\n", 1)
    text = text.replace("      BN: [B, N]\n      N: [N]\nattrs", "      BN: [B, K]\n      N: [K]\nattrs")
    text = text.replace("  - name: mode\n", "  - name: layout2\n    doc: layout of z\n    type: str\n    default: P\n"
                        "    choices: [P, Q]\n  - name: mode\n")
    text = text.replace("signature: [x, '*', lengths, alpha, layout, mode]",
                        "signature: [x, z, '*', lengths, alpha, layout, layout2, mode]")
    text = text.replace("columns: [x, lengths, y]", "columns: [x, z, lengths, y]")
    text = text.replace("fp16: [fp16, int32, fp16]", "fp16: [fp16, int32, int32, fp16]")
    text = text.replace("bf16: [bf16, int32, bf16]", "bf16: [bf16, int32, int32, bf16]")
    (opdef_dir / "tiny.yaml").write_text(text)
    op = load_opdefs(opdef_dir)["tiny"]
    assert op.tensor("y").shapes == {"BN": ("B", "K"), "N": ("K",)}
