"""sparse_flash_attention_quant golden: brute force (PyPTO's row-count formulation) and equivalence with op 4."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attn_brute as brute
from attn_brute import catalog, golden
from dsaops import cases
from dsaops.cases._gen import pack_kv_rows
from dsaops.compare import compare_float_ratio
from dsaops.errors import ConstraintError

OP = "sparse_flash_attention_quant"
BF16 = ml_dtypes.bfloat16
SMOKE = catalog(OP, "smoke")


@pytest.mark.parametrize("case", SMOKE, ids=[c["id"] for c in SMOKE])
def test_smoke_case_matches_brute_force(case):
    args = cases.generate(OP, case["params"], seed=9)
    before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    got = golden(OP)(**args)
    want = brute.sparse_flash_attention_quant(args)
    assert got.shape == want.shape and got.dtype == BF16
    result = compare_float_ratio(got, want)
    assert result.passed, result.summary()
    for k, v in before.items():
        assert np.array_equal(args[k], v), k


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), b=st.integers(1, 3), s1=st.integers(1, 4))
def test_equals_the_antiquant_op_on_the_packed_cache(seed, b, s1):
    args = cases.generate(OP, {"B": b, "S1": s1, "S2": 300, "nq": 128, "topk": 2048, "variable_lengths": True}, seed)
    got = golden(OP)(**args)
    bs, nq = args["block_size"], args["nq"]
    rows = pack_kv_rows(args["key_nope_2d"], args["key_rope_2d"], args["k_nope_scales"])
    cache = rows.reshape(-1, bs, 1, rows.shape[-1])
    query = np.concatenate([args["query_nope"], args["query_rope"]], axis=-1).reshape(b, s1, nq, 576)
    want = golden("sparse_flash_attention_antiquant")(
        query, cache, cache, args["topk_indices"].reshape(b, s1, 1, -1), args["softmax_scale"], 1, 2, 2,
        block_table=args["block_table"], actual_seq_lengths_kv=args["kv_act_seqs"], layout_kv="PA_BSND",
        attention_mode=2, quant_scale_repo_mode=1, tile_size=128, rope_head_dim=64,
    )
    np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))


def test_constraint_errors():
    args = cases.generate(OP, {"B": 2, "S1": 1, "S2": 64, "nq": 128, "topk": 2048}, 0)
    with pytest.raises(ConstraintError, match="max_blocknum_perbatch"):
        golden(OP)(**dict(args, max_blocknum_perbatch=args["max_blocknum_perbatch"] + 1))
    with pytest.raises(ConstraintError, match="n_kv"):
        golden(OP)(**dict(args, n_kv=2))
    with pytest.raises(ConstraintError, match="kv_act_seqs"):
        golden(OP)(**dict(args, kv_act_seqs=np.array([64], np.int32)))
