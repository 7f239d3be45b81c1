"""Case inputs of lightning_indexer_prolog_quant.

q_norm / q_norm_scale are made the way the MLA prolog makes them (per-token int8 of a
unit-RMS bf16 activation); the Hadamard matrices are the orthonormal Sylvester H / sqrt(d).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _model_inputs as M
from dsaops.golden._numerics import quant_per_token

KNOBS = {**M.BATCH_KNOBS, **{n: M.DIM_KNOBS[n] for n in ("H", "q_lora_rank", "rope_dim", "idx_n_heads",
                                                         "idx_head_dim")}}


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = M.read_knobs("lightning_indexer_prolog_quant", params, KNOBS)
    if k["rope_dim"] > k["idx_head_dim"]:
        raise M.CaseError(f"lightning_indexer_prolog_quant: case knob rope_dim must be <= idx_head_dim "
                          f"{k['idx_head_dim']}, got {k['rope_dim']}")
    layout = M.batch_layout(rng, k)
    t = layout.cache_index.shape[0]
    d = k["idx_head_dim"]
    cq = rng.standard_normal((t, k["q_lora_rank"]), dtype=np.float32).astype(M.BF16)
    q_norm, q_norm_scale = quant_per_token(cq)
    w = M.indexer_weights(rng, k, quant=True)
    cos, sin = M.rope_cos_sin(layout.positions, k["rope_dim"])
    slots = (layout.block_num, layout.block_size, 1)
    return {
        "x_in": M.hidden_states(rng, t, k["H"]),
        "q_norm_in": q_norm,
        "q_norm_scale_in": q_norm_scale,
        "w_qb_in": w["w_qb"],
        "w_qb_scale_in": w["w_qb_scale"],
        "wk_in": w["wk"],
        "w_proj_in": w["w_proj"],
        "ln_gamma_k_in": w["gamma"],
        "ln_beta_k_in": w["beta"],
        "cos_idx_rope_in": cos,
        "sin_idx_rope_in": sin,
        "hadamard_q_in": M.hadamard_bf16(d),
        "hadamard_k_in": M.hadamard_bf16(d),
        "k_int8_in": M.garbage(rng, slots + (d,), np.int8),
        "k_scale_in": M.garbage(rng, slots + (1,), np.float16),
        "k_cache_index_in": layout.cache_index.copy(),
        "layernorm_epsilon_k": M.LAYERNORM_EPSILON_K,
        "layout_query": "TND",
        "layout_key": "PA_BSND",
    }
