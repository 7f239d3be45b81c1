"""The computation shared by the three sparse-flash-attention goldens (OPS.md sections 3-5).

For every valid query row: walk its sparse indices up to the first negative entry, turn
each index into the key positions it addresses (``index * s .. index * s + s - 1`` for a
sparse_block_size s), drop the positions the row may not see (causal threshold
``S2 - S1 + i`` under sparse_mode 3, and the batch's act_kv), gather those keys and run
dense attention over them:

    logits = scale * Q K~^T                           (fp32)
    p = exp(logits - max(logits)); l = sum(p)        (fp32)
    out = bf16((bf16(p) @ V~) / l)                    (P rounded to bf16 before P @ V)

This is the flash-attention form of softmax(scale * Q K~^T) V~ used by the Ascend and PyPTO
references: the unnormalized probabilities are what the kernel rounds to bf16 for the
second matmul, and the division by the fp32 row sum comes last. A row that selects no key
outputs zeros. Duplicate indices are attended twice (the op does not de-duplicate).
Under the EXACT policy (``dsaops.golden.exact``) the same code runs in float64 with no
rounding of P or of the output. Non-finite query/key values propagate (NaN in the rows
that attend to them); the scale must be a finite number > 0.
"""

from __future__ import annotations

import math
from typing import Callable

import ml_dtypes
import numpy as np

from ._common import KeyRows, QueryRows, constraint_error, visible_counts
from ._precision import GOLDEN, Precision

BF16 = ml_dtypes.bfloat16

#: gather(flat key slots [n]) -> (K~ fp32 [n, Dqk], V~ fp32 [n, Dv])
GatherFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def check_sparse_block_size(op: str, sparse_block_size, block_size: int | None) -> int:
    s = int(sparse_block_size)
    if s < 1 or s > 128 or s & (s - 1):
        raise constraint_error(op, "sparse_block_size", "must be a power of two in [1, 128]", sparse_block_size)
    if block_size is not None and block_size % s:
        raise constraint_error(op, "sparse_block_size", f"must divide the cache block_size {block_size}", s)
    return s


def check_query_heads(op: str, param: str, n1: int) -> None:
    if n1 not in (1, 2, 4, 8, 16, 32, 64, 128):
        raise constraint_error(op, param, "N1 must be one of 1, 2, 4, ..., 128", n1)


def selected_positions(indices, sparse_block_size: int, visible: int) -> np.ndarray:
    """Key positions one row attends to, in index order (see the module docstring)."""
    ind = np.asarray(indices, dtype=np.int64)
    neg = np.flatnonzero(ind < 0)
    if neg.size:
        ind = ind[: neg[0]]
    if sparse_block_size > 1:
        ind = (ind[:, None] * sparse_block_size + np.arange(sparse_block_size)).reshape(-1)
    return ind[ind < visible]


def check_scale(op: str, param: str, value) -> float:
    """scale_value / softmax_scale: a finite number > 0."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(float(value)) or not value > 0):
        raise constraint_error(op, param, "must be a finite number > 0", repr(value))
    return float(value)


def attend_row(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, prec: Precision = GOLDEN) -> np.ndarray:
    """Attention output [N1, Dv] of one query row q [N1, Dqk] over k [n, Dqk], v [n, Dv] (compute dtype)."""
    logits = np.matmul(q, k.T)
    logits *= prec.const(scale)
    m = logits.max(axis=-1, keepdims=True)
    p = np.exp(logits - m)
    denom = p.sum(axis=-1, keepdims=True, dtype=prec.dtype)
    o = np.matmul(prec.bf16(p), v)
    return o / denom


def sparse_attention(
    q_fn: Callable[[int], np.ndarray],
    qrows: QueryRows,
    krows: KeyRows,
    indices: np.ndarray,
    sparse_block_size: int,
    sparse_mode: int,
    scale: float,
    gather: GatherFn,
    n1: int,
    dv: int,
    max_entries: int | None = None,
    prec: Precision = GOLDEN,
) -> np.ndarray:
    """bf16 output [rows, N1, Dv] for flat query rows (float64 under EXACT); ``indices`` is [rows, K].

    ``q_fn(flat_row)`` returns the query [N1, Dqk] of one row in the compute dtype;
    ``max_entries`` caps how many leading entries of an index row are read (op 5's ``topk``).
    """
    out = np.zeros((qrows.rows, n1, dv), dtype=prec.dtype)
    for b in range(qrows.batch):
        s1, s2 = int(qrows.lengths[b]), int(krows.lengths[b])
        vis = visible_counts(s1, s2, sparse_mode)
        for i, row in enumerate(qrows.flat(b)):
            entries = indices[row] if max_entries is None else indices[row, :max_entries]
            pos = selected_positions(entries, sparse_block_size, int(vis[i]))
            if pos.size == 0:
                continue
            k, v = gather(krows.slots(b, pos))
            out[row] = attend_row(q_fn(int(row)), k, v, scale, prec)
    return prec.out_bf16(out)


def check_indices(op: str, param: str, indices, lead_shape: tuple[int, ...]) -> np.ndarray:
    """int32 sparse indices with the query's leading dims and one key head -> [rows, K]."""
    ind = np.asarray(indices)
    if ind.dtype != np.int32:
        raise constraint_error(op, param, "dtype must be int32", ind.dtype)
    if ind.ndim != len(lead_shape) + 2 or tuple(ind.shape[:-2]) != tuple(lead_shape) or ind.shape[-2] != 1:
        raise constraint_error(op, param, f"shape must be {list(lead_shape) + [1, 'K']}", f"shape {list(ind.shape)}")
    if ind.shape[-1] < 1:
        raise constraint_error(op, param, "index width K must be >= 1", f"K = 0 (shape {list(ind.shape)})")
    return ind.reshape(-1, ind.shape[-1])
