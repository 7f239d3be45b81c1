"""Golden of ``custom.npu_quant_lightning_indexer`` (OPS.md section 2).

The Ascend kernel's "Mat-Duce" pipeline, rounding where OPS.md names it:

1. S = int32(q_int8 . k_int8)                  (exact: |S| < 2^22, so an fp32 matmul is exact)
2. S' = fp16(S / 1024); R = ReLU(S')            (S / 1024 is exact in fp32; one fp16 rounding)
3. w~ = fp16(w * q_scale) per query head        (the fp32 product of two fp16 is exact)
4. P[j] = sum_h fp32(w~[h]) * fp32(R[h, j])     (fp32)
5. score[j] = P[j] * fp32(k_scale[j]); top-k as in op 1.

:func:`quant_lightning_indexer_scores` returns the fp32 scores of step 5 for every key
position (-inf where the row cannot see the key).
"""

from __future__ import annotations

import numpy as np

from . import _indexer
from ._common import bind_args, constraint_error

OP = "quant_lightning_indexer"
#: S is divided by 2^10 before the fp16 cast so that it cannot overflow fp16.
S_DIVISOR = np.float32(1024.0)


def quant_lightning_indexer(
    query,
    key,
    weights,
    query_dequant_scale,
    key_dequant_scale,
    *,
    actual_seq_lengths_query=None,
    actual_seq_lengths_key=None,
    block_table=None,
    query_quant_mode=0,
    key_quant_mode=0,
    layout_query="BSND",
    layout_key="BSND",
    sparse_count=2048,
    sparse_mode=3,
):
    """int32 top-k key positions, [B, S1, N2, sparse_count] (BSND) or [T, N2, sparse_count] (TND)."""
    bind_args(OP, locals())
    problem, key_fn, score_fn = _prepare(**_plain(locals()))
    return _indexer.topk_indices(problem, np.shape(query), key_fn, score_fn)


def quant_lightning_indexer_scores(
    query,
    key,
    weights,
    query_dequant_scale,
    key_dequant_scale,
    *,
    actual_seq_lengths_query=None,
    actual_seq_lengths_key=None,
    block_table=None,
    query_quant_mode=0,
    key_quant_mode=0,
    layout_query="BSND",
    layout_key="BSND",
    sparse_count=2048,
    sparse_mode=3,
):
    """fp32 scores [B, S1, N2, S2max] or [T, N2, S2max]; -inf where a key is not visible."""
    bind_args(OP, locals())
    problem, key_fn, score_fn = _prepare(**_plain(locals()))
    return _indexer.full_scores(problem, np.shape(query), key_fn, score_fn)


def _plain(args):
    return {k: v for k, v in args.items() if not k.startswith("_")}


def _prepare(
    query, key, weights, query_dequant_scale, key_dequant_scale, actual_seq_lengths_query,
    actual_seq_lengths_key, block_table, query_quant_mode, key_quant_mode, layout_query, layout_key,
    sparse_count, sparse_mode,
):
    query, key, weights = np.asarray(query), np.asarray(key), np.asarray(weights)
    q_scale, k_scale = np.asarray(query_dequant_scale), np.asarray(key_dequant_scale)
    for name, arr, dtype in (
        ("query", query, np.int8), ("key", key, np.int8), ("weights", weights, np.float16),
        ("query_dequant_scale", q_scale, np.float16), ("key_dequant_scale", k_scale, np.float16),
    ):
        if arr.dtype != dtype:
            raise constraint_error(OP, name, f"dtype must be {np.dtype(dtype).name}", arr.dtype)
    for name, mode in (("query_quant_mode", query_quant_mode), ("key_quant_mode", key_quant_mode)):
        if int(mode) != 0:
            raise constraint_error(OP, name, "must be 0 (per-token-head)", mode)
    problem = _indexer.resolve(
        OP, query, key, weights, actual_seq_lengths_query, actual_seq_lengths_key, block_table,
        layout_query, layout_key, sparse_count, sparse_mode,
    )
    if q_scale.shape != weights.shape:
        raise constraint_error(OP, "query_dequant_scale", f"shape must be {list(weights.shape)}", list(q_scale.shape))
    if k_scale.shape != key.shape[:-1]:
        raise constraint_error(OP, "key_dequant_scale", f"shape must be {list(key.shape[:-1])}", list(k_scale.shape))
    for name, arr in (("query_dequant_scale", q_scale), ("key_dequant_scale", k_scale)):
        if arr.size and not np.all(arr >= 0):  # also rejects NaN
            raise constraint_error(OP, name, "values must be >= 0", "a negative or NaN value")
    n1, d, g = problem.n1, query.shape[-1], problem.group
    w_tilde = (weights.astype(np.float32) * q_scale.astype(np.float32)).astype(np.float16)
    if not np.all(np.isfinite(w_tilde[np.isfinite(weights)])):
        raise constraint_error(OP, "weights", "* query_dequant_scale must fit float16", "an overflow to inf")
    q_flat = query.reshape(-1, n1, d)
    w_flat = w_tilde.reshape(-1, n1).astype(np.float32)
    k_flat = key.reshape(-1, problem.n2, d)
    ks_flat = k_scale.reshape(-1, problem.n2)

    def key_fn(slots, n2):
        return k_flat[slots, n2].astype(np.float32).T, ks_flat[slots, n2].astype(np.float32)

    def score_fn(rows, n2, keys):
        k_t, ks = keys
        heads = slice(n2 * g, (n2 + 1) * g)
        s = np.matmul(q_flat[rows, heads].astype(np.float32), k_t)  # exact int32 values, [r, g, L]
        s /= S_DIVISOR
        r = s.astype(np.float16)
        np.maximum(r, np.float16(0), out=r)
        p = np.matmul(w_flat[rows, heads][:, None, :], r.astype(np.float32))[:, 0, :]
        return p * ks[None, :]

    return problem, key_fn, score_fn
