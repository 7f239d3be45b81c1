"""sparse_flash_attention_antiquant (656-byte int8 KV rows) on the twin: the sparse flash attention
kernel with the antiquant policy (dequant on the vector cores). The opdef's smoke catalog against the
golden with the double-benchmark rule on both SoC families, the kernel's work against its design
(sfa_checks.py), a value cache distinct from key, rows that select nothing, and argument errors from
Python and from the generated tiling check."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op

from .sfa_checks import SOCS, all_rows_empty_give_zeros, check_catalog_covers_the_kernel_paths, run_and_check, \
    smoke_cases

OP = "sparse_flash_attention_antiquant"
CASES = smoke_cases(OP)


def _inputs(case_id: str) -> dict:
    return cases.generate(OP, next(c for c in CASES if c["id"] == case_id)["params"], 0)


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    run_and_check(run_op, OP, cases.generate(OP, case["params"], 0), soc, case["id"])


def test_catalog_covers_the_kernel_paths():
    check_catalog_covers_the_kernel_paths(OP)


def test_value_distinct_from_key_is_dequantised_separately(run_op):
    inputs = _inputs("pa_bsnd_block4_mode0")
    inputs["value"] = np.array(inputs["value"][::-1])  # other blocks of the same cache format
    run_and_check(run_op, OP, inputs, ident="distinct value")


def test_every_row_empty_gives_zeros(run_op):
    all_rows_empty_give_zeros(run_op, OP, _inputs("bsnd_padded_rows_n128"))


def _tensor_free():
    b = _inputs("pa_bsnd_causal_b2")
    q, k = b["query"], b["key"]
    return [
        ("N1", {"query": q[..., :3, :]}, "N1"),
        ("Dq", {"query": q[..., :512]}, "query D must be 576"),
        ("Dkv", {"key": k[..., :640], "value": k[..., :640]}, "key/value D must be 656 bytes"),
        ("key_quant_mode", {"key_quant_mode": 1}, "key_quant_mode"),
        ("tile_size", {"tile_size": 64}, "tile_size"),
        ("rope_head_dim", {"rope_head_dim": 0}, "rope_head_dim"),
        ("reserved_scale", {"key_dequant_scale": np.ones(4, np.float32)}, "key_dequant_scale must be None"),
        ("sparse_block_size", {"sparse_block_size": 3}, "sparse_block_size"),
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
