"""Golden of ``custom.npu_sparse_flash_attention`` (bf16 KV; OPS.md section 3).

MLA-absorb: Q = [query | query_rope] per head, K~ = [key | key_rope] at the selected
positions, V~ = value at the same positions (value is the key's 512 nope dims in the
model). The selection, masking and softmax rules are in :mod:`._sparse_attention`.
query_rope and key_rope are given together or not at all (then Q = query, K~ = key).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from ._common import SPARSE_MODES, bind_args, constraint_error, key_rows, query_rows
from ._precision import GOLDEN, Precision
from ._sparse_attention import (
    check_indices,
    check_scale,
    check_query_heads,
    check_sparse_block_size,
    sparse_attention,
)

OP = "sparse_flash_attention"
BF16 = np.dtype(ml_dtypes.bfloat16)


def sparse_flash_attention(
    query,
    key,
    value,
    sparse_indices,
    scale_value,
    sparse_block_size,
    *,
    block_table=None,
    actual_seq_lengths_query=None,
    actual_seq_lengths_kv=None,
    query_rope=None,
    key_rope=None,
    layout_query="BSND",
    layout_kv="BSND",
    sparse_mode=3,
):
    """bf16 attention output [B, S1, N1, Dv] (BSND) or [T, N1, Dv] (TND)."""
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision):
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT)."""
    bind_args(OP, args)
    for name in ("query", "key", "value", "query_rope", "key_rope"):
        arr = args[name]
        if arr is not None and np.asarray(arr).dtype != BF16:
            raise constraint_error(OP, name, "dtype must be bfloat16", np.asarray(arr).dtype)
    return attend(**args, prec=prec)


def attend(
    query,
    key,
    value,
    sparse_indices,
    scale_value,
    sparse_block_size,
    *,
    block_table=None,
    actual_seq_lengths_query=None,
    actual_seq_lengths_kv=None,
    query_rope=None,
    key_rope=None,
    layout_query="BSND",
    layout_kv="BSND",
    sparse_mode=3,
    prec: Precision = GOLDEN,
):
    """The maths on float tensors of any dtype (the fused op feeds float64 ones under EXACT)."""
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    check_scale(OP, "scale_value", scale_value)
    if (query_rope is None) != (key_rope is None):
        raise constraint_error(OP, "query_rope", "and key_rope must be given together", "only one of them")
    if int(sparse_mode) not in SPARSE_MODES:
        raise constraint_error(OP, "sparse_mode", "must be 0 or 3", sparse_mode)
    q_nd = 4 if layout_query == "BSND" else 3
    if query.ndim != q_nd:
        raise constraint_error(OP, "query", f"must be {q_nd}-D for layout {layout_query}", f"shape {list(query.shape)}")
    qrows = query_rows(OP, layout_query, query.shape, actual_seq_lengths_query)
    krows = key_rows(
        OP, layout_kv, key.shape, actual_seq_lengths_kv, block_table, qrows.batch,
        param="actual_seq_lengths_kv", layout_param="layout_kv",
    )
    if value.shape[:-1] != key.shape[:-1]:
        raise constraint_error(OP, "value", f"shape must match key up to D {list(key.shape[:-1])}", list(value.shape))
    if key.shape[-2] != 1:
        raise constraint_error(OP, "key", "N2 must be 1", f"shape {list(key.shape)}")
    n1, dv = query.shape[-2], value.shape[-1]
    check_query_heads(OP, "query", n1)
    s = check_sparse_block_size(OP, sparse_block_size, key.shape[1] if layout_kv == "PA_BSND" else None)
    indices = check_indices(OP, "sparse_indices", sparse_indices, query.shape[:-2])

    q_flat = query.reshape(-1, n1, query.shape[-1])
    k_flat = key.reshape(-1, key.shape[-1])
    v_flat = value.reshape(-1, dv)
    if query_rope is not None:
        query_rope, key_rope = np.asarray(query_rope), np.asarray(key_rope)
        for name, arr, like in (("query_rope", query_rope, query), ("key_rope", key_rope, key)):
            if arr.shape[:-1] != like.shape[:-1]:
                raise constraint_error(OP, name, f"shape must be {list(like.shape[:-1]) + ['Dr']}", list(arr.shape))
        if query_rope.shape[-1] != key_rope.shape[-1]:
            raise constraint_error(OP, "key_rope", f"D must equal query_rope D {query_rope.shape[-1]}", key_rope.shape[-1])
        qr_flat = query_rope.reshape(-1, n1, query_rope.shape[-1])
        kr_flat = key_rope.reshape(-1, key_rope.shape[-1])
    elif query.shape[-1] != key.shape[-1]:
        raise constraint_error(OP, "key", f"D must equal query D {query.shape[-1]}", key.shape[-1])

    def q_fn(row):
        q = prec.up(q_flat[row])
        if query_rope is None:
            return q
        return np.concatenate([q, prec.up(qr_flat[row])], axis=-1)

    def gather(slots):
        k = prec.up(k_flat[slots])
        if query_rope is not None:
            k = np.concatenate([k, prec.up(kr_flat[slots])], axis=-1)
        return k, prec.up(v_flat[slots])

    out = sparse_attention(q_fn, qrows, krows, indices, s, int(sparse_mode), scale_value, gather, n1, dv, prec=prec)
    return out.reshape(query.shape[:-1] + (dv,))
