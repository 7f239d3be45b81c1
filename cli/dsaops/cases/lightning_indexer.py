"""Case inputs of lightning_indexer: indexer queries, keys and head weights with model-like scales.

q and k are what the indexer prolog produces (Hadamard-rotated, unit scale per dim);
weights are x @ w_proj * 64^-0.5 * 128^-0.5. Keys sit in BSND, TND or a shuffled paged
cache; BSND padding rows and unused cache slots hold garbage.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _gen as G
from dsaops.validate import bundled_op

OP = "lightning_indexer"
#: variant id -> element type of query, key and weights, from the opdef's dtype rows
VARIANT_DTYPES = {v.id: v.dtypes["query"].numpy for v in bundled_op(OP).variants}
N1, N2, D = 64, 1, 128
WEIGHT_SCALE = (N1**-0.5) * (D**-0.5)

KNOBS = {
    **G.SEQ_KNOBS,
    "layout_query": G.Knob("BSND", str, choices=("BSND", "TND")),
    "layout_key": G.Knob("", str, choices=("", "BSND", "TND", "PA_BSND")),  # "" = same as the query
    "sparse_count": G.Knob(2048, int, 1, 2048),
    "dtype": G.Knob("bf16", str, choices=tuple(VARIANT_DTYPES)),
}


def read(params: Mapping, op: str = OP, knobs=KNOBS) -> dict:
    k = G.read_knobs(op, params, knobs)
    if not k["layout_key"]:
        k["layout_key"] = k["layout_query"]
    if k["layout_key"] != "PA_BSND" and k["layout_key"] != k["layout_query"]:
        raise G.knob_error(op, "layout_key", f"must equal layout_query ({k['layout_query']}) unless PA_BSND",
                           k["layout_key"])
    return k


def index_rows(rng: np.random.Generator, n: int, heads: int | None = None) -> tuple[np.ndarray, ...]:
    """fp32 indexer query rows [n, N1, D] (heads given) or key rows [n, N2, D]."""
    shape = (n, heads, D) if heads else (n, N2, D)
    x = rng.standard_normal(shape, dtype=np.float32)
    if not heads:
        # the keys of one batch share a mean direction, as context tokens do, so scores spread widely
        x += np.float32(0.5) * rng.standard_normal((1, 1, D), dtype=np.float32)
    return (x,)


def head_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal((n, N1), dtype=np.float32) * np.float32(WEIGHT_SCALE * 4.0)


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = read(params)
    dt = VARIANT_DTYPES[k["dtype"]]
    lens = G.lengths(OP, rng, k)

    def q_rows(n):
        (q,) = index_rows(rng, n, N1)
        return q.astype(dt), head_weights(rng, n).astype(dt)

    def k_rows(n):
        (x,) = index_rows(rng, n)
        return (x.astype(dt),)

    qp = G.place_query(rng, k["layout_query"], lens.q, lens.s1, q_rows)
    kp = G.place_keys(rng, k["layout_key"], lens.kv, lens.s2, k_rows, k["block_size"], k["extra_blocks"])
    return {
        "query": qp.tensors[0],
        "key": kp.tensors[0],
        "weights": qp.tensors[1],
        "actual_seq_lengths_query": qp.actual_seq_lengths,
        "actual_seq_lengths_key": kp.actual_seq_lengths,
        "block_table": kp.block_table,
        "layout_query": k["layout_query"],
        "layout_key": k["layout_key"],
        "sparse_count": k["sparse_count"],
        "sparse_mode": k["sparse_mode"],
    }
