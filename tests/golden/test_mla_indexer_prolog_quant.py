"""mla_indexer_prolog_quant against a per-token brute force of mla_prolog_quant followed by
lightning_indexer_prolog_quant (prolog_reference), plus the shared cache index and argument checks."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from prolog_reference import bf16_close, f64, indexer_token, mla_token

from dsaops.cases.mla_indexer_prolog_quant import make_inputs
from dsaops.compare import compare_int8
from dsaops.errors import ConstraintError

# import_module: the dsaops.golden package resolves op names to the golden functions
fused_module = importlib.import_module("dsaops.golden.mla_indexer_prolog_quant")

SMALL = dict(B=3, S1=2, S2=70, block_size=32, H=96, q_lora_rank=48, n_q=4, qk_nope_head_dim=16, rope_dim=16,
             kv_lora_rank=128, idx_n_heads=8, idx_head_dim=32)


def _slots(cache, index):
    return cache.reshape((-1,) + cache.shape[2:])[index][:, 0]


def _brute(a):
    """Per token, the float64 brute force of the MLA prolog, then the indexer prolog fed its q_norm."""
    refs = []
    for i in range(a["token_x"].shape[0]):
        m = mla_token(a["token_x"][i], a["mla_w_dq"], a["mla_w_uq_qr"], a["mla_dequant_scale"], a["mla_w_uk"],
                      a["mla_w_dkv_kr"], a["mla_gamma_cq"], a["mla_gamma_ckv"], a["cos"][i], a["sin"][i],
                      a["mla_epsilon_cq"], a["mla_epsilon_ckv"])
        ix = indexer_token(a["token_x"][i], m["q_norm"], a["ip_w_qb_in"], a["ip_wk_in"], a["ip_w_proj_in"],
                           a["ip_ln_gamma_k_in"], a["ip_ln_beta_k_in"], a["cos"][i], a["sin"][i],
                           a["ip_layernorm_epsilon_k"], q_scale=m["q_norm_scale"], w_qb_scale=a["ip_w_qb_scale_in"],
                           hadamard_q=a["ip_hadamard_q_in"], hadamard_k=a["ip_hadamard_k_in"])
        refs.append((m, ix))
    return refs


def test_fusion_matches_a_per_token_brute_force_of_both_prologs():
    """Not the two goldens in sequence (the fused golden calls them): an independent float64 brute force,
    so a wrong wiring (the indexer fed the wrong q_norm, cos/sin or cache slot) fails."""
    args = make_inputs(SMALL, np.random.default_rng(31))
    check_against_brute_force(args, fused_module.unconstrained(**args))


def test_model_dimensions_match_brute_force(catalog_case):
    _, _, result = catalog_case("mla_indexer_prolog_quant", "decode_b2_s1_1")  # shared with the export test
    out = fused_module.MlaIndexerPrologQuantOutputs(**result.outputs)
    assert out.mla_query_nope_out.shape == (2, 128, 512) and out.ip_q_int8_out.shape == (2, 64, 128)
    check_against_brute_force(result.inputs, out)


def check_against_brute_force(args, out):
    big = ("mla_w_dq", "mla_w_uq_qr", "mla_w_uk", "mla_w_dkv_kr", "ip_w_qb_in", "ip_wk_in", "ip_w_proj_in")
    refs = _brute({**args, **{k: f64(args[k]) for k in big}})  # weights converted once, not per token
    stack = lambda part, key: np.stack([np.asarray(r[part][key], np.float64) for r in refs])  # noqa: E731
    for name, key in (("mla_query_nope_out", "query_nope"), ("mla_query_rope_out", "query_rope")):
        res = bf16_close(getattr(out, name), stack(0, key))
        assert res, f"{name}: {res.summary()}"
    idx = args["cache_index"]
    assert compare_int8(_slots(out.mla_kv_cache_out, idx), stack(0, "kv_int8").astype(np.int8))
    np.testing.assert_allclose(_slots(out.mla_k_scale_cache_out, idx), stack(0, "kv_scale"), rtol=1e-6)
    res = bf16_close(_slots(out.mla_kr_cache_out, idx), stack(0, "k_rope"))
    assert res, f"mla_kr_cache_out: {res.summary()}"
    q_int8 = stack(1, "q_int8").astype(np.int8)
    # compare_int8: +-1 on 99.9%, no bias (the brute force's q_norm may differ by 1 and the long int8 sums
    # then move ~4% of q by 1 at model size; exact equality is no criterion here)
    assert compare_int8(out.ip_q_int8_out, q_int8)
    # scales = amax / 127 of bf16 values fed by the q_norm above: an amax one bf16 ulp away (2^-7) plus the
    # fp16 rounding of the scale (2^-11), relative
    np.testing.assert_allclose(out.ip_q_scale_out[..., 0], stack(1, "q_scale"), rtol=2.0**-7 + 2.0**-11)
    assert compare_int8(_slots(out.ip_k_int8_out, idx), stack(1, "k_int8").astype(np.int8))
    np.testing.assert_allclose(_slots(out.ip_k_scale_out, idx)[:, 0], stack(1, "k_scale"), rtol=2.0**-7 + 2.0**-11)
    res = bf16_close(out.ip_weights_out, stack(1, "weights_f64"))
    assert res, f"ip_weights_out: {res.summary()}"


def test_shared_cache_index_writes_both_caches():
    args = make_inputs(SMALL, np.random.default_rng(33))
    out = fused_module.unconstrained(**args)
    idx = args["cache_index"]
    for before, after in ((args["mla_kv_cache"], out.mla_kv_cache_out), (args["ip_k_cache"], out.ip_k_int8_out)):
        b = before.reshape(-1, before.shape[-1])
        a = after.reshape(b.shape)
        keep = np.ones(b.shape[0], bool)
        keep[idx] = False
        assert b[keep].tobytes() == a[keep].tobytes()
        assert not np.array_equal(b[idx], a[idx])


def test_mismatched_indexer_cache_is_rejected():
    args = make_inputs(SMALL, np.random.default_rng(34))
    args["ip_k_cache_scale"] = args["ip_k_cache_scale"][:-1]
    with pytest.raises(ConstraintError, match="mla_indexer_prolog_quant: ip_k_cache_scale idx_block_num must be"):
        fused_module.unconstrained(**args)
