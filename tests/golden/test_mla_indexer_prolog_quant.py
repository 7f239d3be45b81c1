"""mla_indexer_prolog_quant equals mla_prolog_quant followed by lightning_indexer_prolog_quant, bit for bit."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from dsaops.cases.mla_indexer_prolog_quant import make_inputs
from dsaops.errors import ConstraintError

# import_module: the dsaops.golden package resolves op names to the golden functions
ip_module = importlib.import_module("dsaops.golden.lightning_indexer_prolog_quant")
fused_module = importlib.import_module("dsaops.golden.mla_indexer_prolog_quant")
mla_module = importlib.import_module("dsaops.golden.mla_prolog_quant")

SMALL = dict(B=3, S1=2, S2=70, block_size=32, H=96, q_lora_rank=48, n_q=4, qk_nope_head_dim=16, rope_dim=16,
             kv_lora_rank=128, idx_n_heads=8, idx_head_dim=32)


def _run_separately(a, checked):
    mla = (mla_module.mla_prolog_quant if checked else mla_module.unconstrained)(
        a["token_x"], a["mla_w_dq"], a["mla_w_uq_qr"], a["mla_dequant_scale"], a["mla_w_uk"], a["mla_w_dkv_kr"],
        a["mla_gamma_cq"], a["mla_gamma_ckv"], a["cos"], a["sin"], a["cache_index"], a["mla_kv_cache"],
        a["mla_kr_cache"], a["mla_k_scale_cache"], epsilon_cq=a["mla_epsilon_cq"], epsilon_ckv=a["mla_epsilon_ckv"],
        cache_mode=a["mla_cache_mode"],
    )
    ip = (ip_module.lightning_indexer_prolog_quant if checked else ip_module.unconstrained)(
        a["token_x"], mla.q_norm_out, mla.q_norm_scale_out, a["ip_w_qb_in"], a["ip_w_qb_scale_in"], a["ip_wk_in"],
        a["ip_w_proj_in"], a["ip_ln_gamma_k_in"], a["ip_ln_beta_k_in"], a["cos"], a["sin"], a["ip_hadamard_q_in"],
        a["ip_hadamard_k_in"], a["ip_k_cache"], a["ip_k_cache_scale"], a["cache_index"],
        layernorm_epsilon_k=a["ip_layernorm_epsilon_k"], layout_query=a["ip_layout_query"],
        layout_key=a["ip_layout_key"],
    )
    return (mla.query_nope_out, mla.query_rope_out, mla.kv_cache_out, mla.kr_cache_out, mla.k_scale_cache_out,
            ip.q_int8_out, ip.q_scale_out, ip.k_int8_out, ip.k_scale_out, ip.weights_out)


@pytest.mark.parametrize("params, seed, checked", [(SMALL, 31, False), (dict(B=1, S1=3, S2=200), 32, True)],
                         ids=["reduced_dims", "model_dims"])
def test_fusion_equals_the_two_ops_in_sequence(params, seed, checked):
    args = make_inputs(params, np.random.default_rng(seed))
    fused = (fused_module.mla_indexer_prolog_quant if checked else fused_module.unconstrained)(**args)
    separate = _run_separately(args, checked)
    assert len(fused) == len(separate) == 10
    for name, got, want in zip(fused._fields, fused, separate):
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), name


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
