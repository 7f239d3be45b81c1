"""dsaops.validate.bind: the Python-side argument checks derived from the opdefs."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from dsaops.errors import ConstraintError
from dsaops.opdef import load_opdefs
from dsaops.validate import bind

BF16 = ml_dtypes.bfloat16


def li_args(**over):
    args = dict(query=np.zeros((2, 3, 64, 128), BF16), key=np.zeros((2, 40, 1, 128), BF16),
                weights=np.zeros((2, 3, 64), BF16))
    args.update(over)
    return args


def error_of(op, args) -> str:
    with pytest.raises(ConstraintError) as info:
        bind(op, args)
    return str(info.value)


def test_valid_call_resolves_dims_and_output_shape():
    b = bind("lightning_indexer", li_args(sparse_count=16))
    assert b.dims["B"] == 2 and b.dims["S1"] == 3 and b.dims["S2"] == 40 and b.dims["N1"] == 64
    assert b.attrs == {"layout_query": "BSND", "layout_key": "BSND", "sparse_count": 16, "sparse_mode": 3}
    assert b.output_shape("sparse_indices") == (2, 3, 1, 16)
    assert b.variant.id == "bf16"
    assert b.output_dtype("sparse_indices") == np.int32


def test_issue_example_message():
    q = np.zeros((1, 1, 32, 128), BF16)
    assert error_of("lightning_indexer", li_args(query=q, weights=np.zeros((1, 1, 32), BF16),
                                                 key=np.zeros((1, 8, 1, 128), BF16))) == \
        "lightning_indexer: query N1 must be 64, got 32 (shape [1, 1, 32, 128])"


def test_inconsistent_dim_names_both_tensors():
    assert error_of("lightning_indexer", li_args(key=np.zeros((2, 40, 1, 64), BF16))) == \
        "lightning_indexer: key D must equal query D (128), got 64 (shape [2, 40, 1, 64])"


def test_rank_for_layout():
    assert error_of("lightning_indexer", li_args(query=np.zeros((6, 64, 128), BF16))) == \
        "lightning_indexer: query must have 4 dims [B, S1, N1, D] for layout_query='BSND', got 3 (shape [6, 64, 128])"


def test_dtype_rows():
    assert error_of("lightning_indexer", li_args(weights=np.zeros((2, 3, 64), np.float16))) == (
        "lightning_indexer: dtypes query=bf16, key=bf16, weights=fp16 match no supported combination; "
        "supported: bf16 (query=bf16, key=bf16, weights=bf16); fp16 (query=fp16, key=fp16, weights=fp16)")
    assert error_of("lightning_indexer", li_args(weights=np.zeros((2, 3, 64), np.float32))) == \
        "lightning_indexer: weights dtype must be bf16 or fp16, got fp32"


def test_attr_checks_all_reported():
    assert error_of("lightning_indexer", li_args(sparse_count=4096, layout_query="BNSD", sparse_mode="3")) == (
        "lightning_indexer: layout_query must be one of ['BSND', 'TND'], got 'BNSD'\n"
        "lightning_indexer: sparse_count must be in [1, 2048], got 4096\n"
        "lightning_indexer: sparse_mode must be an int, got '3' (str)")


def test_required_tensor():
    assert error_of("lightning_indexer", li_args(weights=None)) == "lightning_indexer: weights is required, got None"


def test_conditional_presence_and_paged_rules():
    key = np.zeros((4, 40, 1, 128), BF16)
    assert error_of("lightning_indexer", li_args(key=key, layout_key="PA_BSND")) == (
        "lightning_indexer: key block_size must be a multiple of 16 and at most 1024 when layout_key == 'PA_BSND', "
        "got block_size=40 (shape [4, 40, 1, 128])\n"
        "lightning_indexer: block_table is required when layout_key == 'PA_BSND', got None\n"
        "lightning_indexer: actual_seq_lengths_key is required when layout_key == 'PA_BSND' or layout_key == 'TND', got None")
    table = np.zeros((2, 1), np.int32)
    assert error_of("lightning_indexer", li_args(block_table=table)) == \
        "lightning_indexer: block_table must be None when layout_key != 'PA_BSND', got a tensor of shape [2, 1]"


def test_value_constraints_on_lengths():
    q = np.zeros((5, 64, 128), BF16)
    args = dict(query=q, key=np.zeros((7, 1, 128), BF16), weights=np.zeros((5, 64), BF16),
                layout_query="TND", layout_key="TND", actual_seq_lengths_query=np.array([3, 2], np.int32),
                actual_seq_lengths_key=np.array([3, 7], np.int32))
    assert error_of("lightning_indexer", args) == (
        "lightning_indexer: actual_seq_lengths_query must be non-negative, non-decreasing prefix sums ending at T "
        "when layout_query == 'TND', got T=5, actual_seq_lengths_query=[3, 2] (shape [5, 64, 128])")
    args["actual_seq_lengths_query"] = [2, 5]  # lists are accepted for int tensors
    b = bind("lightning_indexer", args)
    assert b.dims["B"] == 2 and b.output_shape("sparse_indices") == (5, 1, 2048)


def test_tiny_opdef_binding(opdef_dir, tiny_text):
    (opdef_dir / "tiny.yaml").write_text(tiny_text)
    op = load_opdefs(opdef_dir)["tiny"]
    x = np.zeros((8,), np.float16)
    b = bind(op, {"x": x, "layout": "N"})
    assert b.output_shape("y") == (8,) and b.attrs["alpha"] == 1.0
    with pytest.raises(ConstraintError) as info:
        bind(op, {"x": x, "layout": "N", "lengths": np.array([1], np.int32)})
    assert str(info.value) == "tiny: lengths must be None when layout == 'N', got a tensor of shape [1]"
    with pytest.raises(ConstraintError) as info:
        bind(op, {"x": np.zeros((2, 8), np.float16), "lengths": np.array([1, 9], np.int32)})
    assert str(info.value) == "tiny: lengths must be at most N, got N=8, lengths=[1, 9] (shape [2, 8])"
    with pytest.raises(ConstraintError) as info:
        bind(op, {"x": np.zeros((5000,), np.float16), "layout": "N", "mode": 7, "alpha": "x"})
    assert str(info.value) == ("tiny: alpha must be a float, got 'x' (str)\n"
                               "tiny: mode must be in [0, 3], got 7")


def test_float_values_are_not_truncated():
    from dsaops import cases
    from dsaops.opdef import load_opdefs
    case = load_opdefs()["quant_lightning_indexer"].cases["smoke"][0]
    args = cases.generate("quant_lightning_indexer", case.params, 1)
    bind("quant_lightning_indexer", args)
    scale = args["query_dequant_scale"].copy()
    scale.reshape(-1)[0] = -0.5
    with pytest.raises(ConstraintError) as info:
        bind("quant_lightning_indexer", {**args, "query_dequant_scale": scale})
    assert "query_dequant_scale" in str(info.value) and "-0.5" in str(info.value)


def test_derived_dim_constraint_message(opdef_dir, tiny_text):
    text = tiny_text.replace("dims:\n", "derived_dims:\n  H: N // 2\ndims:\n  H: half length\n")
    text = text.replace("      N: [N]\nattrs", "      N: [H]\nattrs").replace("check: N <= 4096", "check: H <= 1000")
    (opdef_dir / "tiny.yaml").write_text(text)
    op = load_opdefs(opdef_dir)["tiny"]
    b = bind(op, {"x": np.zeros((12,), np.float16), "layout": "N"})
    assert b.dims["H"] == 6 and b.output_shape("y") == (6,)
    with pytest.raises(ConstraintError) as info:
        bind(op, {"x": np.zeros((4000,), np.float16), "layout": "N"})
    assert str(info.value) == "tiny: H must be at most 1000, got 2000"


@pytest.fixture
def kinds_op(opdef_dir, tiny_kinds_text):
    (opdef_dir / "tiny.yaml").write_text(tiny_kinds_text)
    return load_opdefs(opdef_dir)["tiny"]


@pytest.mark.parametrize("attr, value, message", [
    ("mode", True, "mode must be an int, got True (bool)"),
    ("mode", np.bool_(False), f"mode must be an int, got {np.bool_(False)!r} (bool)"),
    ("mode", 1.0, "mode must be an int, got 1.0 (float)"),
    ("mode", "1", "mode must be an int, got '1' (str)"),
    ("mode", -1, "mode must be in [0, 3], got -1"),
    ("mode", 4, "mode must be in [0, 3], got 4"),
    ("mode", np.int64(4), "mode must be in [0, 3], got 4"),
    ("alpha", True, "alpha must be a float, got True (bool)"),
    ("alpha", "1.0", "alpha must be a float, got '1.0' (str)"),
    ("layout", 1, "layout must be a str, got 1 (int)"),
    ("layout", "bn", "layout must be one of ['BN', 'N'], got 'bn'"),
    ("flag", 1, "flag must be a bool, got 1 (int)"),
    ("flag", "true", "flag must be a bool, got 'true' (str)"),
    ("sizes", 3, "sizes must be a list of ints, got 3"),
    ("sizes", [1, 2.0], "sizes must be a list of ints, got [1, 2.0]"),
])
def test_attr_of_the_wrong_type_or_out_of_range_is_refused(kinds_op, attr, value, message):
    x = np.zeros((2, 8), np.float16)
    with pytest.raises(ConstraintError) as info:
        bind(kinds_op, {"x": x, "sizes": [1], attr: value})
    assert str(info.value) == f"tiny: {message}"


@pytest.mark.parametrize("attr, value, bound", [
    ("mode", 0, 0), ("mode", 3, 3), ("mode", np.int32(2), 2),  # both range ends are inside
    ("alpha", 2, 2.0), ("alpha", np.float32(0.5), 0.5), ("alpha", np.int64(3), 3.0),
    ("layout", "BN", "BN"), ("flag", True, True), ("flag", np.bool_(True), True),
    ("sizes", (3, np.int64(4)), [3, 4]), ("sizes", [], []),
])
def test_attr_values_are_normalised_to_their_type(kinds_op, attr, value, bound):
    b = bind(kinds_op, {"x": np.zeros((2, 8), np.float16), "sizes": [1], attr: value})
    got = b.attrs[attr]
    assert got == bound and type(got) is type(bound)


def test_attr_defaults_and_none_mean_the_default(kinds_op):
    b = bind(kinds_op, {"x": np.zeros((2, 8), np.float16), "mode": None, "sizes": [5]})
    assert b.attrs == {"alpha": 1.0, "layout": "BN", "mode": 0, "flag": False, "sizes": [5]}
    with pytest.raises(ConstraintError) as info:
        bind(kinds_op, {"x": np.zeros((2, 8), np.float16), "sizes": None})
    assert str(info.value) == "tiny: sizes is required, got None"


@pytest.fixture
def outputs_op(opdef_dir, tiny_text):
    """The tiny opdef plus an output updated in place (lengths_out aliases lengths), an output without a
    layout_attr holding a literal dim (stats [B, 4]) and a constraint on the last length."""
    text = tiny_text.replace("attrs:\n  - name: alpha", (
        "  - name: lengths_out\n    doc: lengths updated in place\n    aliases: lengths\n    shape: [B]\n"
        "  - name: stats\n    doc: four figures per batch\n    shape: [B, 4]\nattrs:\n  - name: alpha"))
    text = text.replace("columns: [x, lengths, y]", "columns: [x, lengths, y, lengths_out, stats]")
    text = text.replace("fp16: [fp16, int32, fp16]", "fp16: [fp16, int32, fp16, int32, fp32]")
    text = text.replace("bf16: [bf16, int32, bf16]", "bf16: [bf16, int32, bf16, int32, fp32]")
    text = text.replace("    message: lengths must be at most N\n", "    message: lengths must be at most N\n"
                        "  - check: last(lengths) >= 1\n    message: the last length must be at least 1\n")
    (opdef_dir / "tiny.yaml").write_text(text)
    return load_opdefs(opdef_dir)["tiny"]


def test_output_shapes_of_aliased_literal_and_undetermined_dims(outputs_op):
    b = bind(outputs_op, {"x": np.zeros((3, 8), np.float16), "lengths": np.array([1, 2, 3], np.int32)})
    assert (b.output_shape("y"), b.output_shape("lengths_out"), b.output_shape("stats")) == ((3, 8), (3,), (3, 4))
    b = bind(outputs_op, {"x": np.zeros((8,), np.float16), "layout": "N"})
    assert b.output_shape("y") == (8,)
    with pytest.raises(ConstraintError) as info:
        b.output_shape("stats")  # layout N binds no B
    assert str(info.value) == "tiny: output stats dim B is not determined by the inputs"


def test_last_reads_the_last_value(outputs_op):
    x = np.zeros((3, 8), np.float16)
    bind(outputs_op, {"x": x, "lengths": np.array([1, 0, 5], np.int32)})  # only the last value counts
    with pytest.raises(ConstraintError) as info:
        bind(outputs_op, {"x": x[:2], "lengths": np.array([2, 0], np.int32)})
    assert str(info.value) == "tiny: the last length must be at least 1, got lengths=[2, 0]"


@pytest.mark.parametrize("count, shown", [
    (8, "[9, 9, 9, 9, 9, 9, 9, 9]"),  # up to eight values are shown whole
    (9, "[9, 9, 9, 9, 9, 9, 9, 9, ... (9 values)]"),
])
def test_tensor_values_in_messages_are_cut_after_eight(outputs_op, count, shown):
    with pytest.raises(ConstraintError) as info:
        bind(outputs_op, {"x": np.zeros((count, 8), np.float16), "lengths": np.full(count, 9, np.int32)})
    assert str(info.value) == f"tiny: lengths must be at most N, got N=8, lengths={shown} (shape [{count}, 8])"


FUNCTION_CONSTRAINTS = """\
  - check: is_pow2(N)
    message: N must be a power of two
  - when: N > 2
    check: ceil_div(N, 3) == 2
  - when: present(lengths)
    check: nondecreasing(lengths)
    message: lengths must not decrease
  - check: min_value(x) >= -1.5 and max_value(x) <= 1.5
    message: x must lie in [-1.5, 1.5]
  - check: mode <= 2
  - when: mode == 1
    check: 'False'
    message: mode 1 is reserved
"""


@pytest.fixture
def functions_op(opdef_dir, tiny_text):
    """The tiny opdef plus a constraint per expression function, one on an attr, one that never holds."""
    (opdef_dir / "tiny.yaml").write_text(tiny_text.replace("tiling:\n", FUNCTION_CONSTRAINTS + "tiling:\n"))
    return load_opdefs(opdef_dir)["tiny"]


@pytest.mark.parametrize("args, message", [
    ({}, None),
    ({"x": np.zeros((2, 1), np.float16)}, None),  # 1 is a power of two
    ({"x": np.zeros((2, 3), np.float16)}, "N must be a power of two, got N=3 (shape [2, 3])\n"
                                          "tiny: ceil_div(N, 3) == 2 must hold when N > 2, got N=3 (shape [2, 3])"),
    ({"x": np.zeros((2, 6), np.float16)}, "N must be a power of two, got N=6 (shape [2, 6])"),
    ({"x": np.zeros((1, 8), np.float16)}, "ceil_div(N, 3) == 2 must hold when N > 2, got N=8 (shape [1, 8])"),
    ({"lengths": np.array([2, 2], np.int32)}, None),  # equal neighbours do not decrease
    ({"lengths": np.array([3, 2], np.int32)}, "lengths must not decrease when present(lengths), got lengths=[3, 2]"),
    ({"x": np.array([[0, 1.5, -1.5, 0]], np.float16)}, None),
    ({"x": np.array([[0, 1.75, 0, 0]], np.float16)}, "x must lie in [-1.5, 1.5], got x=[0.0, 1.75, 0.0, 0.0]"),
    ({"x": np.array([[0, -1.75, 0, 0]], np.float16)}, "x must lie in [-1.5, 1.5], got x=[0.0, -1.75, 0.0, 0.0]"),
    ({"mode": 2}, None),
    ({"mode": 3}, "mode must be at most 2, got 3"),
    ({"mode": 1}, "mode 1 is reserved when mode == 1"),
], ids=lambda v: "" if isinstance(v, (dict, type(None))) else v[:30])
def test_each_expression_function_decides_its_constraint(functions_op, args, message):
    call = {"x": np.zeros((2, 4), np.float16), **args}
    if message is None:
        bind(functions_op, call)
        return
    with pytest.raises(ConstraintError) as info:
        bind(functions_op, call)
    assert str(info.value) == f"tiny: {message}"


def test_every_missing_required_attr_and_tensor_is_reported():
    assert error_of("sparse_flash_attention_antiquant", {}) == "\n".join(
        f"sparse_flash_attention_antiquant: {name} is required, got None"
        for name in ("scale_value", "sparse_block_size", "key_quant_mode", "value_quant_mode", "query", "key", "value",
                     "sparse_indices"))


@pytest.fixture
def shapes_op(opdef_dir, tiny_text):
    """The tiny opdef with lengths [B, mode] (a dim equal to an int attr) and y [B, H], H = ceil_div(N, 3) + mode."""
    text = tiny_text.replace("    optional: true\n    shape: [B]\n", "    optional: true\n    shape: [B, mode]\n")
    text = text.replace("dims:\n", "derived_dims:\n  H: ceil_div(N, 3) + mode\ndims:\n  H: derived\n")
    text = text.replace("      BN: [B, N]\n      N: [N]\nattrs", "      BN: [B, H]\n      N: [H]\nattrs")
    (opdef_dir / "tiny.yaml").write_text(text)
    return load_opdefs(opdef_dir)["tiny"]


class _ShapeOnly:
    shape = (2,)


@pytest.mark.parametrize("args, message", [
    ({"lengths": np.zeros((2, 3), np.int32)}, "lengths dim 1 must equal mode (2), got 3 (shape [2, 3])"),
    ({"x": np.zeros((2, 8, 1), np.float16), "lengths": np.zeros(2, np.int32)},
     "x must have 2 dims [B, N] for layout='BN', got 3 (shape [2, 8, 1])\n"
     "tiny: lengths must have 2 dims [B, mode], got 1 (shape [2])"),
    ({"x": np.zeros((2, 8), np.complex64), "lengths": np.zeros((2, 2), np.float32)},
     "x dtype must be bf16 or fp16, got complex64\ntiny: lengths dtype must be int32, got fp32"),
    ({"x": {"a": 1}}, "x must be an array, got dict"),
    ({"x": _ShapeOnly()}, "x must be an array, got _ShapeOnly"),
])
def test_shape_and_dtype_errors_are_all_reported(shapes_op, args, message):
    with pytest.raises(ConstraintError) as info:
        bind(shapes_op, {"x": np.zeros((2, 8), np.float16), "mode": 2, **args})
    assert str(info.value) == f"tiny: {message}"


def test_derived_dims_use_attrs_and_ceil_div(shapes_op):
    b = bind(shapes_op, {"x": np.zeros((2, 8), np.float16), "mode": 2, "lengths": np.zeros((2, 2), np.int32)})
    assert b.dims == {"B": 2, "N": 8, "H": 5} and b.output_shape("y") == (2, 5)  # ceil(8 / 3) + 2


def test_a_literal_dim_must_match(opdef_dir, tiny_text):
    (opdef_dir / "tiny.yaml").write_text(tiny_text.replace("    optional: true\n    shape: [B]\n",
                                                           "    optional: true\n    shape: [B, 2]\n"))
    op = load_opdefs(opdef_dir)["tiny"]
    bind(op, {"x": np.zeros((2, 8), np.float16), "lengths": np.zeros((2, 2), np.int32)})
    with pytest.raises(ConstraintError) as info:
        bind(op, {"x": np.zeros((2, 8), np.float16), "lengths": np.zeros((2, 3), np.int32)})
    assert str(info.value) == "tiny: lengths dim 1 must be 2, got 3 (shape [2, 3])"
