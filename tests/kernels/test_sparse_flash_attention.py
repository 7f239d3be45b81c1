"""sparse_flash_attention (bf16) on the twin: the opdef's smoke catalog against the golden with the
double-benchmark rule (dsaops.compare.compare_outputs with the exact golden), on both SoC families;
the kernel's work against its design (ascendc/sparse_flash_attention/DESIGN.md: every selected key row
goes GM -> L1 once per query row, the cube multiplies exactly the tiles of <= 64 selected keys); and
argument errors from Python and from the generated tiling check."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from dsaops import cases, ops
from dsaops.compare import compare_outputs
from dsaops.errors import ConstraintError
from dsaops.golden import exact
from dsaops.golden import sparse_flash_attention as golden
from dsaops.golden._common import key_rows, query_rows, visible_counts
from dsaops.golden._sparse_attention import selected_positions
from dsaops.resources import opdefs_dir
from dsaops.validate import bind, bundled_op

OP = "sparse_flash_attention"
SOCS = ("ascend910b", "ascend910_93")
KEY_TILE, D = 64, 512


def smoke_cases(op: str = OP) -> list[dict]:
    with open(opdefs_dir() / f"{op}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["cases"]["smoke"]


CASES = smoke_cases()


def selected_counts(inputs: dict) -> list[int]:
    """Selected key positions of every query row (0 for rows that see nothing), from the golden's rules."""
    q = inputs["query"]
    lq, lkv = inputs.get("layout_query", "BSND"), inputs.get("layout_kv", "BSND")
    qrows = query_rows(OP, lq, q.shape, inputs.get("actual_seq_lengths_query"))
    krows = key_rows(OP, lkv, inputs["key"].shape, inputs.get("actual_seq_lengths_kv"), inputs.get("block_table"),
                     qrows.batch, param="actual_seq_lengths_kv", layout_param="layout_kv")
    indices = inputs["sparse_indices"].reshape(-1, inputs["sparse_indices"].shape[-1])
    counts = []
    for b in range(qrows.batch):
        vis = visible_counts(int(qrows.lengths[b]), int(krows.lengths[b]), int(inputs.get("sparse_mode", 3)))
        for i, row in enumerate(qrows.flat(b)):
            counts.append(selected_positions(indices[row], int(inputs["sparse_block_size"]), int(vis[i])).size)
    return counts


def expected_work(inputs: dict, value_is_key: bool) -> tuple[int, int]:
    """(bf16 cube MACs, GM -> L1 bytes) of the kernel for these inputs."""
    n1 = inputs["query"].shape[-2]
    dr = 0 if inputs.get("query_rope") is None else inputs["query_rope"].shape[-1]
    macs = l1 = 0
    for n in selected_counts(inputs):
        if n == 0:
            continue
        tiles = -(-n // KEY_TILE)
        macs += tiles * n1 * KEY_TILE * (D + dr) + n1 * D * n        # C1 per tile, C2 over the selected keys
        l1 += n1 * (D + dr) * 2 + tiles * n1 * KEY_TILE * 2          # query once per row, P per tile
        l1 += n * (D + dr) * 2 + (0 if value_is_key else n * D * 2)  # each selected row once
    return macs, l1


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    inputs = cases.generate(OP, case["params"], 0)
    out = run_op(OP, **inputs, soc=soc)
    result = compare_outputs(OP, out, golden(**inputs), exact.sparse_flash_attention(**inputs))
    assert result.passed, f"{case['id']} on {soc}: {result.summary()}"
    report = ops.last_report()
    assert report.soc == soc and report.block_dim == report.tiling["usedCoreNum"] >= 1
    macs, l1 = expected_work(inputs, value_is_key=inputs["value"] is inputs["key"])
    assert report.counters.get("cube_macs.bfloat16", 0) == macs
    assert report.counters.get("bytes.GM_L1", 0) == l1


def test_catalog_covers_the_kernel_paths():
    params = [c["params"] for c in CASES]
    layouts = {(p.get("layout_query", "BSND"), p.get("layout_kv", "BSND")) for p in params}
    assert {("BSND", "BSND"), ("TND", "TND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")} <= layouts
    assert {p.get("sparse_block_size", 1) for p in params} >= {1, 4, 16}
    assert {p.get("sparse_mode", 3) for p in params} == {0, 3}
    assert {1, 128} <= {p["N1"] for p in params}
    # rows spanning several key tiles, and rows that select nothing (padded / causally empty)
    counts = [n for c in CASES for n in selected_counts(cases.generate(OP, c["params"], 0))]
    assert max(counts) > 2 * KEY_TILE and 0 in counts


def test_value_distinct_from_key_is_gathered_separately(run_op):
    case = next(c for c in CASES if c["id"] == "pa_bsnd_block4_mode0")
    inputs = cases.generate(OP, case["params"], 0)
    inputs["value"] = np.array(inputs["value"][..., ::-1])  # a different tensor of the same shape
    out = run_op(OP, **inputs)
    result = compare_outputs(OP, out, golden(**inputs), exact.sparse_flash_attention(**inputs))
    assert result.passed, result.summary()
    macs, l1 = expected_work(inputs, value_is_key=False)
    assert ops.last_report().counters.get("bytes.GM_L1", 0) == l1


def test_every_row_empty_gives_zeros(run_op):
    case = next(c for c in CASES if c["id"] == "bsnd_padded_rows_n128")
    inputs = cases.generate(OP, case["params"], 0)
    inputs["sparse_indices"] = np.full_like(inputs["sparse_indices"], -1)
    out = run_op(OP, **inputs)
    assert out.shape == inputs["query"].shape and not np.any(np.asarray(out, np.float32))
    assert ops.last_report().counters.get("cube_macs.bfloat16", 0) == 0


# ---- argument errors -------------------------------------------------------------------------------

def _base():
    return cases.generate(OP, next(c for c in CASES if c["id"] == "pa_bsnd_causal_b2")["params"], 0)


def _tensor_free():
    """(id, changes, message fragment) of constraints the generated tiling check enforces too."""
    b = _base()
    q, k = b["query"], b["key"]
    return [
        ("N1", {"query": q[..., :3, :], "query_rope": b["query_rope"][..., :3, :]}, "N1"),
        ("N2", {"key": np.concatenate([k, k], axis=2), "value": np.concatenate([k, k], axis=2),
                "key_rope": np.concatenate([b["key_rope"]] * 2, axis=2),
                "sparse_indices": np.concatenate([b["sparse_indices"]] * 2, axis=2)}, "key N2 must be 1"),
        ("D", {"query": q[..., :256], "key": k[..., :256], "value": k[..., :256]}, "D"),
        ("rope_pair", {"key_rope": None}, "query_rope and key_rope must be given together"),
        ("Dr", {"query_rope": b["query_rope"][..., :32], "key_rope": b["key_rope"][..., :32]}, "Dr"),
        ("sparse_block_size", {"sparse_block_size": 3}, "sparse_block_size"),
        ("block_table", {"block_table": None}, "block_table"),
        ("sparse_mode", {"sparse_mode": 1}, "sparse_mode"),
        ("layout_kv", {"layout_kv": "BNSD"}, "layout_kv"),
    ]


@pytest.mark.parametrize("change", _tensor_free(), ids=[c[0] for c in _tensor_free()])
def test_constraint_violated_same_error_from_python_and_generated_check(change, build_root):
    _, changes, fragment = change
    args = {**_base(), **changes}
    with pytest.raises(ConstraintError) as py:
        bind(OP, args)
    assert str(py.value).startswith(f"{OP}: ") and fragment in str(py.value)
    with pytest.raises(ConstraintError) as from_ops:
        getattr(ops, OP)(**args)  # bind runs before any build
    assert str(from_ops.value) == str(py.value)
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(bundled_op(OP), args, build_root=build_root, skip_python=True)
    assert str(cpp.value) == str(py.value)


def test_tensor_data_constraint_is_python_only(build_root):
    args = {**_base(), "actual_seq_lengths_kv": np.array([10_000, 3], np.int32)}
    with pytest.raises(ConstraintError, match=r"actual_seq_lengths_kv must be in \[0, max_blocks \* block_size\]"):
        bind(OP, args)
    ops.check_tiling(bundled_op(OP), args, build_root=build_root, skip_python=True)
