"""sparse_flash_attention_quant (seed 004: int8 paged cache as key_nope_2d / key_rope_2d / k_nope_scales)
on the twin: the sparse flash attention kernel with the quant policy. The opdef's smoke catalog against
the golden with the double-benchmark rule on both SoC families, the kernel's work against its design
(sfa_checks.py), rows that select nothing, and argument errors from Python and from the generated
tiling check."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op

from .sfa_checks import SOCS, all_rows_empty_give_zeros, run_and_check, selected_counts, smoke_cases

OP = "sparse_flash_attention_quant"
CASES = smoke_cases(OP)


def _inputs(case_id: str) -> dict:
    return cases.generate(OP, next(c for c in CASES if c["id"] == case_id)["params"], 0)


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    run_and_check(run_op, OP, cases.generate(OP, case["params"], 0), soc, case["id"])


def test_catalog_has_multi_tile_and_empty_rows():
    counts = [n for c in CASES for n in selected_counts(OP, cases.generate(OP, c["params"], 0))]
    assert max(counts) > 128 and 0 in counts


def test_every_row_empty_gives_zeros(run_op):
    all_rows_empty_give_zeros(run_op, OP, _inputs("b2_s4_edge_rows"))


def _tensor_free():
    b = _inputs("b2_s2_causal")
    return [
        ("nq", {"nq": 64}, "nq"),
        ("n_kv", {"n_kv": 2}, "n_kv"),
        ("topk", {"topk": 1024}, "topk"),
        ("block_size", {"block_size": 256}, "block_size"),
        ("rope_dim", {"query_rope": b["query_rope"][:, :32], "key_rope_2d": b["key_rope_2d"][:, :32]}, "rope_dim"),
        ("kv_lora_rank", {"query_nope": b["query_nope"][:, :256], "key_nope_2d": b["key_nope_2d"][:, :256]},
         "kv_lora_rank"),
    ]


@pytest.mark.parametrize("change", _tensor_free(), ids=[c[0] for c in _tensor_free()])
def test_constraint_violated_same_error_from_python_and_generated_check(change, build_root):
    _, changes, fragment = change
    args = {**_inputs("b2_s2_causal"), **changes}
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
    args = {**_inputs("b2_s2_causal")}
    args["kv_act_seqs"] = np.full_like(args["kv_act_seqs"], 200_000)
    with pytest.raises(ConstraintError, match=r"kv_act_seqs must be in \[0, 128K\]"):
        bind(OP, args)
    ops.check_tiling(bundled_op(OP), args, build_root=build_root, skip_python=True)
