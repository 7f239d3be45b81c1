"""Case inputs of quant_lightning_indexer: the indexer inputs of op 1 quantized by the real recipe.

q and k are per-token-head int8 with fp16 scales (amax/127, round-half-even, clip 127);
weights are fp16. Keys and their scales share one placement (BSND, TND or paged).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _gen as G
from dsaops.cases.lightning_indexer import KNOBS as _LI_KNOBS
from dsaops.cases.lightning_indexer import N1, head_weights, index_rows, read
from dsaops.golden._numerics import quant_per_token_head

OP = "quant_lightning_indexer"
KNOBS = {name: knob for name, knob in _LI_KNOBS.items() if name != "dtype"}


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = read(params, OP, KNOBS)
    lens = G.lengths(OP, rng, k)

    def q_rows(n):
        (q,) = index_rows(rng, n, N1)
        qq = quant_per_token_head(q.astype(G.BF16))
        return qq.q, head_weights(rng, n).astype(np.float16), qq.scale[..., 0]

    def k_rows(n):
        (x,) = index_rows(rng, n)
        kq = quant_per_token_head(x.astype(G.BF16))
        return kq.q, kq.scale[..., 0]

    qp = G.place_query(rng, k["layout_query"], lens.q, lens.s1, q_rows)
    kp = G.place_keys(rng, k["layout_key"], lens.kv, lens.s2, k_rows, k["block_size"], k["extra_blocks"])
    return {
        "query": qp.tensors[0],
        "key": kp.tensors[0],
        "weights": qp.tensors[1],
        "query_dequant_scale": qp.tensors[2],
        "key_dequant_scale": kp.tensors[1],
        "actual_seq_lengths_query": qp.actual_seq_lengths,
        "actual_seq_lengths_key": kp.actual_seq_lengths,
        "block_table": kp.block_table,
        "query_quant_mode": 0,
        "key_quant_mode": 0,
        "layout_query": k["layout_query"],
        "layout_key": k["layout_key"],
        "sparse_count": k["sparse_count"],
        "sparse_mode": k["sparse_mode"],
    }
