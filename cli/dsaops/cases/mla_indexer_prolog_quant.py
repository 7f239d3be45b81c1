"""Case inputs of mla_indexer_prolog_quant: the MLA and indexer caches share one block layout."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _model_inputs as M

KNOBS = {**M.BATCH_KNOBS, **M.DIM_KNOBS}


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = M.read_knobs("mla_indexer_prolog_quant", params, KNOBS)
    if k["rope_dim"] > k["idx_head_dim"]:
        raise M.CaseError(f"mla_indexer_prolog_quant: case knob rope_dim must be <= idx_head_dim "
                          f"{k['idx_head_dim']}, got {k['rope_dim']}")
    layout = M.batch_layout(rng, k)
    mla = M.mla_inputs(rng, k, layout, quant=True)
    w = M.indexer_weights(rng, k, quant=True)
    d = k["idx_head_dim"]
    slots = (layout.block_num, layout.block_size, 1)
    return {
        "token_x": mla["token_x"],
        "mla_w_dq": mla["w_dq"],
        "mla_w_uq_qr": mla["w_uq_qr"],
        "mla_dequant_scale": mla["dequant_scale"],
        "mla_w_uk": mla["w_uk"],
        "mla_w_dkv_kr": mla["w_dkv_kr"],
        "mla_gamma_cq": mla["gamma_cq"],
        "mla_gamma_ckv": mla["gamma_ckv"],
        "cos": mla["cos"],
        "sin": mla["sin"],
        "cache_index": mla["cache_index"],
        "mla_kv_cache": mla["kv_cache"],
        "mla_kr_cache": mla["kr_cache"],
        "mla_k_scale_cache": mla["k_scale_cache"],
        "ip_w_qb_in": w["w_qb"],
        "ip_w_qb_scale_in": w["w_qb_scale"],
        "ip_wk_in": w["wk"],
        "ip_w_proj_in": w["w_proj"],
        "ip_ln_gamma_k_in": w["gamma"],
        "ip_ln_beta_k_in": w["beta"],
        "ip_hadamard_q_in": M.hadamard_bf16(d),
        "ip_hadamard_k_in": M.hadamard_bf16(d),
        "ip_k_cache": M.garbage(rng, slots + (d,), np.int8),
        "ip_k_cache_scale": M.garbage(rng, slots + (1,), np.float16),
        "mla_epsilon_cq": M.RMS_EPSILON,
        "mla_epsilon_ckv": M.RMS_EPSILON,
        "mla_cache_mode": "PA_BSND",
        "ip_layernorm_epsilon_k": M.LAYERNORM_EPSILON_K,
        "ip_layout_query": "TND",
        "ip_layout_key": "PA_BSND",
    }
