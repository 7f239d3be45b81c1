"""lightning_indexer (bf16, fp16) on the twin: the opdef's smoke catalog against the golden with the
top-k rule, on both SoC families, plus the kernel's work (cube MACs, key bytes) against its design,
and argument errors from Python and from the generated tiling check."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.opdef import load_opdefs
from dsaops.resources import opdefs_dir

from .indexer_checks import SOCS, run_and_check, smoke_cases

OP = "lightning_indexer"
CASES = smoke_cases(OP)


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    run_and_check(run_op, OP, case, soc)


def test_catalog_covers_the_kernel_paths():
    ids = {c["id"]: c["params"] for c in CASES}
    layouts = {(p.get("layout_query", "BSND"), p.get("layout_key", p.get("layout_query", "BSND"))) for p in ids.values()}
    assert {("BSND", "BSND"), ("TND", "TND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")} <= layouts
    assert {p.get("block_size") for p in ids.values() if p.get("layout_key") == "PA_BSND"} >= {16, 128, 1024}
    assert {p.get("sparse_mode", 3) for p in ids.values()} == {0, 3}
    assert {p.get("dtype", "bf16") for p in ids.values()} == {"bf16", "fp16"}
    assert max(p["B"] for p in ids.values()) == 8
    assert any(p["S2"] % 128 and p["S2"] > 512 for p in ids.values())  # several tiles, a short last one


def test_long_rows_are_split_across_cores_and_merged(run_op):
    # one batch, 4 query rows, 1500 keys: 12 tiles over 3 cores (>= 4 tiles each); the merged rows
    # must still be exact, and the partial lists go through GM (UB -> GM beyond the output itself)
    case = {"id": "split", "params": {"B": 1, "S1": 4, "S2": 1500, "sparse_mode": 0, "sparse_count": 300}}
    counters = run_and_check(run_op, OP, case, "ascend910_93")
    report = ops.last_report()
    assert report.block_dim == 3
    out_bytes = 4 * 300 * 4
    assert counters["bytes.UB_GM"] > out_bytes and counters["sync_alls"] == 2 * 3


def test_poisoned_output_is_fully_written(run_op):
    # dsaops.ops poisons outputs: rows past a batch's query length and rows that see no key must be -1
    inputs = cases.generate(OP, {"B": 2, "S1": 4, "S2": 64, "q_lens": [4, 2], "kv_lens": [64, 1],
                                 "sparse_count": 16}, 0)
    out = run_op(OP, **inputs)
    assert np.all(out[1, 2:] == -1)  # padding rows of batch 1
    assert np.all(out[1, 0] == -1)  # causal: row 0 of batch 1 sees key j <= 1 - 2 + 0, i.e. none
    assert out[1, 1, 0, 0] == 0 and np.all(out[1, 1, 0, 1:] == -1)  # row 1 sees key 0 only
    assert np.all(out[0, 3, 0] >= 0)  # the last row of batch 0 sees all 64 keys: 16 valid indices


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sparse_count": 0}, "lightning_indexer: sparse_count must be in [1, 2048], got 0"),
        ({"sparse_mode": 1}, "lightning_indexer: sparse_mode must be one of [0, 3], got 1"),
    ],
)
def test_bad_attrs_fail_in_python_and_in_the_generated_tiling(build_root, change, message):
    op = load_opdefs(opdefs_dir())[OP]
    inputs = cases.generate(OP, {"B": 1, "S1": 1, "S2": 16, "sparse_count": 8}, 0)
    inputs.update(change)
    with pytest.raises(ConstraintError) as py:
        ops.run(OP, **inputs, build_root=build_root)
    assert str(py.value) == message
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(op, inputs, build_root=build_root, skip_python=True)
    assert str(cpp.value) == message
