"""Golden of ``custom.npu_lightning_indexer`` (OPS.md section 1).

score(i, j) = sum_h w[i, h] * ReLU(q[i, h, :] . k[j, :]) in fp32 (q, k, w upcast), then
the top-k of the scores over the keys row i can see (OPS.md "Top-k output").

:func:`lightning_indexer_scores` takes the same arguments and returns the fp32 scores of
every key position (-inf where the row cannot see the key); :func:`dsaops.compare.compare_topk`
needs them to accept ties and rounding at the top-k boundary.
"""

from __future__ import annotations

import numpy as np

from . import _indexer
from ._common import bind_args
from ._precision import GOLDEN, Precision

OP = "lightning_indexer"


def lightning_indexer(
    query,
    key,
    weights,
    *,
    actual_seq_lengths_query=None,
    actual_seq_lengths_key=None,
    block_table=None,
    layout_query="BSND",
    layout_key="BSND",
    sparse_count=2048,
    sparse_mode=3,
):
    """int32 top-k key positions, [B, S1, N2, sparse_count] (BSND) or [T, N2, sparse_count] (TND)."""
    bind_args(OP, locals())
    return topk(query, key, weights, actual_seq_lengths_query, actual_seq_lengths_key, block_table,
                layout_query, layout_key, sparse_count, sparse_mode, GOLDEN)


def topk(query, key, weights, act_q, act_k, block_table, layout_query, layout_key, sparse_count, sparse_mode,
         prec: Precision):
    """The top-k on float tensors of any dtype, scored in the policy's compute dtype (the fused op's EXACT path)."""
    problem, key_fn, score_fn = _prepare(
        query, key, weights, act_q, act_k, block_table, layout_query, layout_key, sparse_count, sparse_mode, prec,
    )
    return _indexer.topk_indices(problem, np.shape(query), key_fn, score_fn)


def lightning_indexer_scores(
    query,
    key,
    weights,
    *,
    actual_seq_lengths_query=None,
    actual_seq_lengths_key=None,
    block_table=None,
    layout_query="BSND",
    layout_key="BSND",
    sparse_count=2048,
    sparse_mode=3,
):
    """fp32 scores [B, S1, N2, S2max] or [T, N2, S2max]; -inf where a key is not visible."""
    bind_args(OP, locals())
    problem, key_fn, score_fn = _prepare(
        query, key, weights, actual_seq_lengths_query, actual_seq_lengths_key, block_table,
        layout_query, layout_key, sparse_count, sparse_mode,
    )
    return _indexer.full_scores(problem, np.shape(query), key_fn, score_fn)


def _prepare(query, key, weights, act_q, act_k, block_table, layout_query, layout_key, sparse_count, sparse_mode,
             prec: Precision = GOLDEN):
    # dtypes were checked against the opdef's dtype rows by bind_args
    query, key, weights = np.asarray(query), np.asarray(key), np.asarray(weights)
    problem = _indexer.resolve(
        OP, query, key, weights, act_q, act_k, block_table, layout_query, layout_key, sparse_count, sparse_mode
    )
    n1, d, g = problem.n1, query.shape[-1], problem.group
    q_flat = query.reshape(-1, n1, d)
    w_flat = weights.reshape(-1, n1)
    k_flat = key.reshape(-1, problem.n2, d)

    def key_fn(slots, n2):
        return prec.up(k_flat[slots, n2]).T  # [D, L]

    def score_fn(rows, n2, k_t):
        heads = slice(n2 * g, (n2 + 1) * g)
        q = prec.up(q_flat[rows, heads])  # [r, g, D]
        w = prec.up(w_flat[rows, heads])  # [r, g]
        logits = np.matmul(q, k_t)  # [r, g, L]
        np.maximum(logits, 0.0, out=logits)
        return np.matmul(w[:, None, :], logits)[:, 0, :]  # sum over heads, compute dtype

    return problem, key_fn, score_fn
