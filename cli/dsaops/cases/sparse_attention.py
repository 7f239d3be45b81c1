"""Case inputs of sparse_attention (the fused bf16 DSA op).

The past tokens of every batch are already in the bf16 caches with model-like values
(unit-scale normalized latents and keys); blocks no batch uses hold wide-range garbage.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _model_inputs as M

KNOBS = {
    **M.BATCH_KNOBS,
    **M.DIM_KNOBS,
    "sparse_count": M.Knob(2048, int, 1, 2048),
    "softmax_scale": M.Knob(576**-0.5, float, 1e-6, 10.0),
}


def _past(rng: np.random.Generator, cache: np.ndarray, layout: M.PagedLayout) -> np.ndarray:
    """Fill every slot a batch uses with unit-scale bf16 values (garbage stays elsewhere)."""
    out = cache.copy()
    for i, n in enumerate(layout.kv_lens):
        for j in range((int(n) + layout.block_size - 1) // layout.block_size):
            blk = layout.block_table[i, j]
            out[blk] = rng.standard_normal(out[blk].shape, dtype=np.float32).astype(M.BF16)
    return out


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = M.read_knobs("sparse_attention", params, KNOBS)
    layout = M.batch_layout(rng, k)
    mla = M.mla_inputs(rng, k, layout, quant=False)
    w = M.indexer_weights(rng, k, quant=False)
    slots = (layout.block_num, layout.block_size, 1)
    index_k_cache = M.garbage(rng, slots + (k["idx_head_dim"],), M.BF16)
    return {
        "x": mla["token_x"],
        "w_dq": mla["w_dq"],
        "w_uq_qr": mla["w_uq_qr"],
        "w_uk": mla["w_uk"],
        "w_dkv_kr": mla["w_dkv_kr"],
        "gamma_cq": mla["gamma_cq"],
        "gamma_ckv": mla["gamma_ckv"],
        "sin": mla["sin"],
        "cos": mla["cos"],
        "cache_index": mla["cache_index"],
        "kv_cache": _past(rng, mla["kv_cache"], layout),
        "kr_cache": _past(rng, mla["kr_cache"], layout),
        "block_table": layout.block_table,
        "act_seqs": layout.kv_lens,
        "w_idx_qb": w["w_qb"],
        "w_idx_k": w["wk"],
        "w_idx_proj": w["w_proj"],
        "in_gamma_k": w["gamma"],
        "in_beta_k": w["beta"],
        "index_k_cache": _past(rng, index_k_cache, layout),
        "epsilon_cq": M.RMS_EPSILON,
        "epsilon_ckv": M.RMS_EPSILON,
        "layernorm_epsilon_k": M.LAYERNORM_EPSILON_K,
        "softmax_scale": float(k["softmax_scale"]),
        "sparse_count": k["sparse_count"],
    }
