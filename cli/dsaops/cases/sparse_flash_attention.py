"""Case inputs of sparse_flash_attention: absorbed MLA queries over a bf16 latent KV cache.

The cache holds RMS-normalized c_kv (the value, 512) and rotated k_pe (64) per token in
BSND, TND or a shuffled paged cache (garbage in unused slots); sparse_indices look like
an indexer's output (distinct visible blocks in score order, -1 after).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _gen as G

OP = "sparse_flash_attention"
SCALE = 576**-0.5

KNOBS = {
    **G.SEQ_KNOBS,
    "N1": G.Knob(128, int, choices=(1, 2, 4, 8, 16, 32, 64, 128)),
    "layout_query": G.Knob("BSND", str, choices=("BSND", "TND")),
    "layout_kv": G.Knob("PA_BSND", str, choices=("BSND", "TND", "PA_BSND")),
    "sparse_count": G.Knob(2048, int, 1, 2048),
    "sparse_block_size": G.Knob(1, int, choices=(1, 2, 4, 8, 16, 32, 64, 128)),
    "scale_value": G.Knob(SCALE, float, 1e-6, 10.0),
}


def read(params: Mapping, op: str = OP, knobs=KNOBS) -> dict:
    k = G.read_knobs(op, params, knobs)
    if k["layout_kv"] == "PA_BSND" and k["block_size"] % k["sparse_block_size"]:
        raise G.knob_error(op, "sparse_block_size", f"must divide block_size {k['block_size']}",
                           k["sparse_block_size"])
    if k["layout_kv"] == "TND" and k["layout_query"] != "TND":
        raise G.knob_error(op, "layout_kv", "TND needs layout_query TND", k["layout_kv"])
    if k["layout_query"] == "TND" and k["layout_kv"] == "BSND":
        raise G.knob_error(op, "layout_kv", "BSND is not supported with layout_query TND", k["layout_kv"])
    return k


def geometry(rng: np.random.Generator, k: Mapping, op: str, kv_rows):
    """Queries, the placed KV tensors and the sparse indices of one case."""
    lens = G.lengths(op, rng, k)
    qp = G.place_query(rng, k["layout_query"], lens.q, lens.s1, lambda n: G.mla_queries(rng, n, k["N1"]))
    kp = G.place_keys(rng, k["layout_kv"], lens.kv, lens.s2, kv_rows, k["block_size"], k["extra_blocks"])
    indices = G.sparse_indices(
        rng, lens.q, lens.kv, k["sparse_count"], k["sparse_mode"], k["sparse_block_size"],
        layout=k["layout_query"], s1=lens.s1,
    )
    return qp, kp, indices


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = read(params)

    def kv_rows(n):
        c, pe = G.latent_rows(rng, n)
        return c[:, None], pe[:, None]

    qp, kp, indices = geometry(rng, k, OP, kv_rows)
    return {
        "query": qp.tensors[0],
        "key": kp.tensors[0],
        "value": kp.tensors[0],
        "sparse_indices": indices,
        "scale_value": k["scale_value"],
        "sparse_block_size": k["sparse_block_size"],
        "block_table": kp.block_table,
        "actual_seq_lengths_query": qp.actual_seq_lengths,
        "actual_seq_lengths_kv": kp.actual_seq_lengths,
        "query_rope": qp.tensors[1],
        "key_rope": kp.tensors[1],
        "layout_query": k["layout_query"],
        "layout_kv": k["layout_kv"],
        "sparse_mode": k["sparse_mode"],
    }
