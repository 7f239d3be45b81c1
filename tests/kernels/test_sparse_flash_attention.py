"""sparse_flash_attention (bf16) on the twin: the opdef's smoke catalog against the golden with the
double-benchmark rule on both SoC families, the kernel's work against its design (sfa_checks.py), a
value tensor distinct from key, rows that select nothing, and argument errors from Python and from the
generated tiling check."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op

from .sfa_checks import SOCS, all_rows_empty_give_zeros, check_catalog_covers_the_kernel_paths, run_and_check, \
    smoke_cases

OP = "sparse_flash_attention"
CASES = smoke_cases(OP)


def _inputs(case_id: str) -> dict:
    return cases.generate(OP, next(c for c in CASES if c["id"] == case_id)["params"], 0)


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    run_and_check(run_op, OP, cases.generate(OP, case["params"], 0), soc, case["id"])


def test_catalog_covers_the_kernel_paths():
    check_catalog_covers_the_kernel_paths(OP)
    assert ("TND", "TND") in {(c["params"].get("layout_query"), c["params"].get("layout_kv")) for c in CASES}


def test_value_distinct_from_key_is_gathered_separately(run_op):
    inputs = _inputs("pa_bsnd_block4_mode0")
    inputs["value"] = np.array(inputs["value"][..., ::-1])  # a different tensor of the same shape
    run_and_check(run_op, OP, inputs, ident="distinct value")


def test_every_row_empty_gives_zeros(run_op):
    all_rows_empty_give_zeros(run_op, OP, _inputs("bsnd_padded_rows_n128"))


# ---- argument errors -------------------------------------------------------------------------------

def _tensor_free():
    """(id, changes, message fragment) of constraints the generated tiling check enforces too."""
    b = _inputs("pa_bsnd_causal_b2")
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
    args = {**_inputs("pa_bsnd_causal_b2"), **changes}
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
    args = {**_inputs("pa_bsnd_causal_b2"), "actual_seq_lengths_kv": np.array([10_000, 3], np.int32)}
    with pytest.raises(ConstraintError, match=r"actual_seq_lengths_kv must be in \[0, max_blocks \* block_size\]"):
        bind(OP, args)
    ops.check_tiling(bundled_op(OP), args, build_root=build_root, skip_python=True)


@pytest.mark.parametrize("sparse_block_size", [1, 4])
def test_index_lists_longer_than_one_compaction_chunk(run_op, sparse_block_size):
    """K > 2048 entries: the vector compaction (IndexCompactor) runs in chunks of 2048. Row 0 ends its list
    (first -1) in the second chunk, row 1 in the first; the entries after each first -1 are non-negative
    garbage the walk must ignore, and both rows carry indices past their causal threshold."""
    inputs = cases.generate(OP, {"B": 1, "S1": 2, "S2": 3000 * sparse_block_size, "N1": 2, "layout_kv": "BSND",
                                 "sparse_block_size": sparse_block_size, "sparse_count": 2048}, 0)
    rng = np.random.default_rng(7)
    blocks = 3000  # visible blocks: row 0 sees 3000 * s - 1 keys (its last block clipped), row 1 all
    ind = np.full((1, 2, 1, 2600), -1, np.int32)
    ind[0, 0, 0, :2300] = rng.permutation(blocks)[:2300]
    ind[0, 0, 0, 2300:] = rng.integers(0, blocks, 2600 - 2300 - 1).tolist() + [-1]  # garbage, one more -1
    ind[0, 0, 0, 2300] = -1
    ind[0, 0, 0, 5] = blocks - 1  # the clipped block (sparse_block_size > 1) or the key past row 0's threshold
    ind[0, 1, 0, :1500] = rng.permutation(blocks)[:1500]
    ind[0, 1, 0, 1500:] = rng.integers(0, blocks, 1100)
    ind[0, 1, 0, 700] = -1
    inputs["sparse_indices"] = ind
    run_and_check(run_op, OP, inputs, ident=f"K 2600, s {sparse_block_size}")
