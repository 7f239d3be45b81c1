"""mla_indexer_prolog_quant (OPS.md section 8) on the twin: one launch running both prologs on the same x.
Its outputs equal running mla_prolog_quant and then lightning_indexer_prolog_quant (with the MLA part's
int8 q_norm and scale as the indexer's q_norm_in): the kernel runs the two ops' stage classes on the same
GEMM units, so every output is bit-identical (the op promises bit-exact int8 and the float rule otherwise);
it also passes the golden with the op's rules. The four x GEMMs share one unit split, every weight byte
still reaches the cube once, and x is read less than by the two ops apart. Constraints of both parts
give the same error from Python and from the generated tiling check.

The whole smoke catalog runs under `dsaops verify --golden --ops mla_indexer_prolog_quant --cases smoke`."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op

from .harness import compare_outputs

OP = bundled_op("mla_indexer_prolog_quant")
MLA = bundled_op("mla_prolog_quant")
IDX = bundled_op("lightning_indexer_prolog_quant")
BF16 = ml_dtypes.bfloat16
CASE, SOC = "mtp_b1_s1_2_cross_block", "ascend910b"


@pytest.fixture(scope="module")
def runs(build_root):
    params = next(c for c in OP.cases["smoke"] if c.ident.endswith(CASE)).params
    inputs = cases.generate(OP.name, params, 0)
    fused = ops.call(OP, dict(inputs), soc=SOC, build_root=build_root)
    fused_report = ops.last_report()
    mla_args = {name: inputs[f"mla_{name}"] for name in ("w_dq", "w_uq_qr", "dequant_scale", "w_uk", "w_dkv_kr",
                                                         "gamma_cq", "gamma_ckv", "kv_cache", "kr_cache",
                                                         "k_scale_cache", "epsilon_cq", "epsilon_ckv", "cache_mode")}
    mla_args.update(token_x=inputs["token_x"], cos=inputs["cos"], sin=inputs["sin"], cache_index=inputs["cache_index"])
    mla = ops.call(MLA, mla_args, soc=SOC, build_root=build_root)
    mla_report = ops.last_report()
    idx_args = {name: inputs[f"ip_{name}"] for name in ("w_qb_in", "w_qb_scale_in", "wk_in", "w_proj_in",
                                                        "ln_gamma_k_in", "ln_beta_k_in", "hadamard_q_in",
                                                        "hadamard_k_in", "layernorm_epsilon_k", "layout_query",
                                                        "layout_key")}
    idx_args.update(x_in=inputs["token_x"], q_norm_in=mla[0], q_norm_scale_in=mla[1], cos_idx_rope_in=inputs["cos"],
                    sin_idx_rope_in=inputs["sin"], k_int8_in=inputs["ip_k_cache"],
                    k_scale_in=inputs["ip_k_cache_scale"], k_cache_index_in=inputs["cache_index"])
    idx = ops.call(IDX, idx_args, soc=SOC, build_root=build_root)
    return inputs, fused, fused_report, mla, mla_report, idx, ops.last_report()


def test_matches_golden(runs):
    inputs, fused = runs[0], runs[1]
    verdict = compare_outputs(OP, fused, inputs)
    assert verdict, verdict.summary()


def test_equals_the_two_ops_in_sequence(runs):
    _, fused, _, mla, _, idx, _ = runs
    separate = {
        "mla_query_nope_out": mla[2], "mla_query_rope_out": mla[3], "mla_kv_cache_out": mla[4],
        "mla_kr_cache_out": mla[5], "mla_k_scale_cache_out": mla[6], "ip_q_int8_out": idx[0],
        "ip_q_scale_out": idx[1], "ip_k_int8_out": idx[2], "ip_k_scale_out": idx[3], "ip_weights_out": idx[4],
    }
    for out, got in zip(OP.outputs, fused):
        want = separate[out.name]
        assert got.dtype == want.dtype and got.shape == want.shape, out.name
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8), err_msg=out.name)


def test_weights_once_and_x_shared(runs):
    _, _, fr, _, mr, _, ir = runs
    # every weight byte of both ops reaches the cube exactly once (t <= 64); the indexer's Hadamard
    # matrices are loaded once per item, as in the indexer op alone
    assert fr.counters["bytes.L1_L0B"] == mr.counters["bytes.L1_L0B"] + ir.counters["bytes.L1_L0B"]
    assert fr.counters["cube_macs.int8"] == mr.counters["cube_macs.int8"] + ir.counters["cube_macs.int8"]
    assert fr.counters["cube_macs.bfloat16"] == mr.counters["cube_macs.bfloat16"] + ir.counters["cube_macs.bfloat16"]
    # one launch reads fewer GM bytes than the two (x blocks shared by the four x GEMMs, q_norm internal)
    assert fr.counters["bytes.GM_L1"] < mr.counters["bytes.GM_L1"] + ir.counters["bytes.GM_L1"]


# --- constraints: one violation per part, the same error from Python, dsaops.ops and the generated check ---


def _zeros(shape, dtype):
    return np.broadcast_to(np.zeros((), dtype), shape)


def _args(t=2, h=7168, nq=128, idx_heads=64, idx_dim=128, blocks=3, bs=128):
    ql, nope, rope, kvl = 1536, 128, 64, 512
    slots = (blocks, bs, 1)
    return {
        "token_x": _zeros((t, h), BF16), "mla_w_dq": _zeros((h, ql), BF16),
        "mla_w_uq_qr": _zeros((ql, nq * (nope + rope)), np.int8),
        "mla_dequant_scale": _zeros((nq * (nope + rope), 1), np.float32), "mla_w_uk": _zeros((nq, nope, kvl), BF16),
        "mla_w_dkv_kr": _zeros((h, kvl + rope), BF16), "mla_gamma_cq": _zeros((ql,), BF16),
        "mla_gamma_ckv": _zeros((kvl,), BF16), "cos": _zeros((t, rope), BF16), "sin": _zeros((t, rope), BF16),
        "cache_index": np.arange(t, dtype=np.int64), "mla_kv_cache": _zeros(slots + (kvl,), np.int8),
        "mla_kr_cache": _zeros(slots + (rope,), BF16), "mla_k_scale_cache": _zeros(slots + (4,), np.float32),
        "ip_w_qb_in": _zeros((ql, idx_heads * idx_dim), np.int8),
        "ip_w_qb_scale_in": _zeros((idx_heads * idx_dim, 1), np.float32), "ip_wk_in": _zeros((h, idx_dim), BF16),
        "ip_w_proj_in": _zeros((h, idx_heads), BF16), "ip_ln_gamma_k_in": _zeros((idx_dim,), BF16),
        "ip_ln_beta_k_in": _zeros((idx_dim,), BF16), "ip_hadamard_q_in": _zeros((idx_dim, idx_dim), BF16),
        "ip_hadamard_k_in": _zeros((idx_dim, idx_dim), BF16), "ip_k_cache": _zeros(slots + (idx_dim,), np.int8),
        "ip_k_cache_scale": _zeros(slots + (1,), np.float16), "ip_layernorm_epsilon_k": 1e-6,
    }


VIOLATIONS = [
    ("h", _args(h=4096), "h must be 7168, got 4096"),
    ("n_q", _args(nq=64), "n_q must be 128, got 64"),
    ("idx_n_heads", _args(idx_heads=32), "idx_n_heads must be 64, got 32"),
    ("block_size", _args(bs=64), "block_size must be 128, got 64"),
    ("ip_layernorm_epsilon_k", {**_args(), "ip_layernorm_epsilon_k": 0.0}, "ip_layernorm_epsilon_k"),
    ("mla_cache_mode", {**_args(), "mla_cache_mode": "BSND"}, "mla_cache_mode must be one of ['PA_BSND']"),
]


@pytest.mark.parametrize("name,args,fragment", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_constraint_violated_same_error_from_python_and_generated_check(name, args, fragment, build_root):
    with pytest.raises(ConstraintError) as py:
        bind(OP, args)
    assert str(py.value).startswith(f"{OP.name}: ") and fragment in str(py.value)
    with pytest.raises(ConstraintError) as from_ops:
        ops.mla_indexer_prolog_quant(**args)
    assert str(from_ops.value) == str(py.value)
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(OP, args, build_root=build_root, skip_python=True)
    assert str(cpp.value) == str(py.value)


def test_repeated_cache_slot_refused():
    args = _args(t=2)
    args["cache_index"] = np.array([7, 7], dtype=np.int64)
    with pytest.raises(ConstraintError, match="cache_index entries must be distinct"):
        ops.mla_indexer_prolog_quant(**args)
