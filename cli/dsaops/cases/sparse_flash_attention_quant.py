"""Case inputs of sparse_flash_attention_quant (PyPTO interface): b batches of s1 tokens, nq heads.

The paged cache is split in three 2-D tensors (int8 nope, bf16 rope, fp32 tile scales) made
by the per-tile-128 recipe; block tables are shuffled with garbage in unused slots;
topk_indices are [t, topk] indexer-like rows (the row's causally visible keys, at most
topk of them, -1 after).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _gen as G

OP = "sparse_flash_attention_quant"

KNOBS = {
    "B": G.Knob(1, int, 1, 1024),
    "S1": G.Knob(1, int, 1, 4096),
    "S2": G.Knob(256, int, 1, 131072),
    "variable_lengths": G.Knob(False, bool),
    "kv_lens": G.Knob([], list),
    "nq": G.Knob(128, int, choices=(1, 2, 4, 8, 16, 32, 64, 128)),
    "topk": G.Knob(2048, int, 1, 2048),
    "block_size": G.Knob(128, int, 16, 1024, multiple_of=16),
    "extra_blocks": G.Knob(2, int, 0, 1024),
    "softmax_scale": G.Knob(576**-0.5, float, 1e-6, 10.0),
}


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = G.read_knobs(OP, params, KNOBS)
    b, s1, nq = k["B"], k["S1"], k["nq"]
    lens = G.lengths(OP, rng, {**k, "q_lens": [s1] * b, "sparse_mode": 3})  # every batch has s1 tokens

    def kv_rows(n):
        c, pe = G.latent_rows(rng, n)
        return G.quantized_kv_rows(c, pe)

    kp = G.place_keys(rng, "PA_BSND", lens.kv, lens.s2, kv_rows, k["block_size"], k["extra_blocks"])
    nope, rope, scales = kp.tensors
    slots = nope.shape[0] * nope.shape[1]
    qn, qr = G.mla_queries(rng, b * s1, nq)
    indices = G.sparse_indices(rng, lens.q, lens.kv, k["topk"], 3, layout="TND")
    return {
        "query_nope": qn.reshape(b * s1 * nq, -1),
        "query_rope": qr.reshape(b * s1 * nq, -1),
        "key_nope_2d": nope.reshape(slots, -1),
        "key_rope_2d": rope.reshape(slots, -1),
        "k_nope_scales": scales.reshape(slots, -1),
        "topk_indices": indices.reshape(b * s1, k["topk"]),
        "block_table": kp.block_table,
        "kv_act_seqs": kp.actual_seq_lengths,
        "nq": nq,
        "n_kv": 1,
        "softmax_scale": k["softmax_scale"],
        "topk": k["topk"],
        "block_size": k["block_size"],
        "max_blocknum_perbatch": kp.block_table.shape[1],
    }
