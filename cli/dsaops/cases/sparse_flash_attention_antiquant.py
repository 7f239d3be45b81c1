"""Case inputs of sparse_flash_attention_antiquant: op 3's cases with the KV cache in 656-byte rows.

Each cache token is the latent c_kv quantized per tile of 128 (multiply form: q =
round-half-even(x * fp32(127 / amax)) clipped to [-128, 127], fp32 scale amax / 127; an
all-zero tile: q 0, scale 0) packed with its bf16 k_pe and the 4 scales in
Ascend byte order; the query is [q_nope | q_rope] (576). One tensor serves as key and value.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _gen as G
from dsaops.cases.sparse_flash_attention import KNOBS, geometry, read

OP = "sparse_flash_attention_antiquant"


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = read(params, OP, KNOBS)

    def kv_rows(n):
        c, pe = G.latent_rows(rng, n)
        return (G.pack_kv_rows(*G.quantized_kv_rows(c, pe))[:, None],)

    qp, kp, indices = geometry(rng, k, OP, kv_rows)
    query = np.concatenate([qp.tensors[0], qp.tensors[1]], axis=-1)
    kv = kp.tensors[0]
    return {
        "query": query,
        "key": kv,
        "value": kv,
        "sparse_indices": indices,
        "scale_value": k["scale_value"],
        "sparse_block_size": k["sparse_block_size"],
        "key_quant_mode": 2,
        "value_quant_mode": 2,
        "block_table": kp.block_table,
        "actual_seq_lengths_query": qp.actual_seq_lengths,
        "actual_seq_lengths_kv": kp.actual_seq_lengths,
        "layout_query": k["layout_query"],
        "layout_kv": k["layout_kv"],
        "sparse_mode": k["sparse_mode"],
        "attention_mode": 2,
        "quant_scale_repo_mode": 1,
        "tile_size": 128,
        "rope_head_dim": 64,
    }
