"""The driver shared by the two lightning-indexer goldens (OPS.md sections 1 and 2).

Both ops score every visible key of a batch for every query row and keep the top-k; they
differ only in how one block of scores is computed. The driver walks batches, key heads
and chunks of query rows (so the [rows, heads, S2] intermediate stays bounded at S2 =
128K), hands each chunk to the op's score function and either keeps the full score
matrix (for :mod:`dsaops.compare`'s top-k rule) or reduces each row to its top-k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ._common import (
    LAYOUTS,
    SPARSE_MODES,
    KeyRows,
    QueryRows,
    constraint_error,
    key_rows,
    query_rows,
    topk_rule,
    visible_counts,
)

#: Upper bound on query-rows x heads x keys elements of one score chunk (~64 MB of fp32).
CHUNK_ELEMENTS = 1 << 24

MAX_SPARSE_COUNT = 2048


@dataclass(frozen=True)
class IndexerProblem:
    """The resolved geometry of one indexer call."""

    qrows: QueryRows
    krows: KeyRows
    n1: int
    n2: int
    sparse_count: int
    sparse_mode: int

    @property
    def group(self) -> int:
        return self.n1 // self.n2

    def out_shape(self, query_shape, last: int) -> tuple[int, ...]:
        lead = tuple(query_shape[:2]) if self.qrows.layout == "BSND" else (query_shape[0],)
        return lead + (self.n2, last)


def resolve(
    op: str,
    query,
    key,
    weights,
    actual_seq_lengths_query,
    actual_seq_lengths_key,
    block_table,
    layout_query: str,
    layout_key: str,
    sparse_count: int,
    sparse_mode: int,
) -> IndexerProblem:
    """Check the geometry the schema cannot express and resolve layouts and lengths."""
    if layout_query not in ("BSND", "TND"):
        raise constraint_error(op, "layout_query", "must be one of BSND, TND", repr(layout_query))
    if layout_key not in LAYOUTS:
        raise constraint_error(op, "layout_key", "must be one of BSND, TND, PA_BSND", repr(layout_key))
    if layout_key != "PA_BSND" and layout_key != layout_query:
        raise constraint_error(
            op, "layout_key", f"must equal layout_query ({layout_query}) unless it is PA_BSND", repr(layout_key)
        )
    if not 1 <= int(sparse_count) <= MAX_SPARSE_COUNT:
        raise constraint_error(op, "sparse_count", f"must lie in [1, {MAX_SPARSE_COUNT}]", sparse_count)
    if int(sparse_mode) not in SPARSE_MODES:
        raise constraint_error(op, "sparse_mode", "must be 0 or 3", sparse_mode)
    qshape, kshape, wshape = np.shape(query), np.shape(key), np.shape(weights)
    q_nd = 4 if layout_query == "BSND" else 3
    k_nd = 3 if layout_key == "TND" else 4
    if len(qshape) != q_nd:
        raise constraint_error(op, "query", f"must be {q_nd}-D for layout {layout_query}", f"shape {list(qshape)}")
    if len(kshape) != k_nd:
        raise constraint_error(op, "key", f"must be {k_nd}-D for layout {layout_key}", f"shape {list(kshape)}")
    n1, d = qshape[-2], qshape[-1]
    n2 = kshape[-2]
    if kshape[-1] != d:
        raise constraint_error(op, "key", f"D must equal query D = {d}", f"shape {list(kshape)}")
    if n2 < 1 or n1 % n2:
        raise constraint_error(op, "key", f"N2 must divide query N1 = {n1}", f"shape {list(kshape)}")
    if tuple(wshape) != tuple(qshape[:-1]):
        raise constraint_error(op, "weights", f"shape must be {list(qshape[:-1])}", f"shape {list(wshape)}")
    if layout_key == "PA_BSND":
        bs = kshape[1]
        if bs % 16 or not 16 <= bs <= 1024:
            raise constraint_error(op, "key", "block_size must be a multiple of 16 in [16, 1024]", bs)
    qrows = query_rows(op, layout_query, qshape, actual_seq_lengths_query)
    krows = key_rows(op, layout_key, kshape, actual_seq_lengths_key, block_table, qrows.batch)
    return IndexerProblem(qrows, krows, n1, n2, int(sparse_count), int(sparse_mode))


#: score_fn(flat query rows [r], key head n2, prepared keys) -> fp32 scores [r, L]
ScoreFn = Callable[[np.ndarray, int, object], np.ndarray]
#: key_fn(flat key slots [L], key head n2) -> prepared keys passed to ScoreFn
KeyFn = Callable[[np.ndarray, int], object]


def score_chunks(
    p: IndexerProblem, key_fn: KeyFn, score_fn: ScoreFn
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (n2, flat query rows, visible counts, scores [r, L]) for every valid query row.

    L is the largest visible count of the batch; row k of a chunk uses the prefix
    ``scores[k, :visible[k]]``. Rows that see nothing are not yielded.
    """
    for b in range(p.qrows.batch):
        s1, s2 = int(p.qrows.lengths[b]), int(p.krows.lengths[b])
        if s1 == 0:
            continue
        vis = visible_counts(s1, s2, p.sparse_mode)
        live = np.flatnonzero(vis > 0)
        if live.size == 0:
            continue
        flat = p.qrows.flat(b)[live]
        vis = vis[live]
        length = int(vis.max())
        slots = p.krows.slots(b, np.arange(length))
        step = max(1, CHUNK_ELEMENTS // (p.group * length))
        for n2 in range(p.n2):
            keys = key_fn(slots, n2)
            for c in range(0, flat.size, step):
                rows = flat[c : c + step]
                yield n2, rows, vis[c : c + step], score_fn(rows, n2, keys)


def topk_indices(p: IndexerProblem, query_shape, key_fn: KeyFn, score_fn: ScoreFn) -> np.ndarray:
    """int32 top-k indices, [B, S1, N2, sparse_count] or [T, N2, sparse_count]; -1 padded."""
    out = np.full((p.qrows.rows, p.n2, p.sparse_count), -1, dtype=np.int32)
    for n2, rows, vis, scores in score_chunks(p, key_fn, score_fn):
        for k, row in enumerate(rows):
            out[row, n2] = topk_rule(scores[k, : vis[k]], p.sparse_count)
    return out.reshape(p.out_shape(query_shape, p.sparse_count))


def full_scores(p: IndexerProblem, query_shape, key_fn: KeyFn, score_fn: ScoreFn) -> np.ndarray:
    """fp32 score of every (query row, key position): [B, S1, N2, S2max] or [T, N2, S2max].

    Keys a row cannot see (causal mask, beyond the batch's length, padding rows) are -inf.
    """
    width = p.krows.max_length
    out = np.full((p.qrows.rows, p.n2, width), -np.inf, dtype=np.float32)
    for n2, rows, vis, scores in score_chunks(p, key_fn, score_fn):
        for k, row in enumerate(rows):
            out[row, n2, : vis[k]] = scores[k, : vis[k]]
    return out.reshape(p.out_shape(query_shape, width))
