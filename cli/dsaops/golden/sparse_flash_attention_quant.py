"""Golden of the PyPTO ``sparse_flash_attention_quant`` (OPS.md section 5).

The mathematics of op 4 with the paged KV cache split into three 2-D tensors
(key_nope_2d int8, key_rope_2d bf16, k_nope_scales fp32, one row per cache slot
``block * block_size + row``). Queries are the t = b * s1 tokens in (batch, token) order,
``nq`` heads each; attention is causal (row i of a batch with act_kv keys sees positions
<= act_kv - s1 + i) and reads at most the first ``topk`` entries of each index row, up to
its first negative entry.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from ._common import as_int_vector, bind_args, constraint_error, key_rows, query_rows
from ._precision import GOLDEN, Precision
from ._sparse_attention import check_query_heads, check_scale, sparse_attention
from .sparse_flash_attention_antiquant import NOPE_DIM, ROPE_DIM, SCALE_COUNT, dequant_nope

OP = "sparse_flash_attention_quant"
BF16 = np.dtype(ml_dtypes.bfloat16)
CAUSAL = 3


def sparse_flash_attention_quant(
    query_nope,
    query_rope,
    key_nope_2d,
    key_rope_2d,
    k_nope_scales,
    topk_indices,
    block_table,
    kv_act_seqs,
    nq,
    n_kv,
    softmax_scale,
    topk,
    block_size,
    max_blocknum_perbatch,
):
    """bf16 attention output [b, s1, nq, 512]."""
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision):
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT)."""
    bind_args(OP, args)
    return _compute(**args, prec=prec)


def _compute(query_nope, query_rope, key_nope_2d, key_rope_2d, k_nope_scales, topk_indices, block_table, kv_act_seqs,
             nq, n_kv, softmax_scale, topk, block_size, max_blocknum_perbatch, prec: Precision):
    check_scale(OP, "softmax_scale", softmax_scale)
    qn, qr = np.asarray(query_nope), np.asarray(query_rope)
    kn, kr, ks = np.asarray(key_nope_2d), np.asarray(key_rope_2d), np.asarray(k_nope_scales)
    ind, table = np.asarray(topk_indices), np.asarray(block_table)
    nq, n_kv, topk, block_size = int(nq), int(n_kv), int(topk), int(block_size)
    for name, arr, dtype in (
        ("query_nope", qn, BF16), ("query_rope", qr, BF16), ("key_nope_2d", kn, np.dtype(np.int8)),
        ("key_rope_2d", kr, BF16), ("k_nope_scales", ks, np.dtype(np.float32)),
        ("topk_indices", ind, np.dtype(np.int32)), ("block_table", table, np.dtype(np.int32)),
    ):
        if arr.dtype != dtype:
            raise constraint_error(OP, name, f"dtype must be {dtype.name}", arr.dtype)
    if n_kv != 1:
        raise constraint_error(OP, "n_kv", "must be 1", n_kv)
    check_query_heads(OP, "nq", nq)
    if qn.ndim != 2 or qn.shape[1] != NOPE_DIM or qn.shape[0] % nq:
        raise constraint_error(OP, "query_nope", f"shape must be [t * nq, {NOPE_DIM}] with nq = {nq}", list(qn.shape))
    t = qn.shape[0] // nq
    if qr.shape != (t * nq, ROPE_DIM):
        raise constraint_error(OP, "query_rope", f"shape must be [{t * nq}, {ROPE_DIM}]", list(qr.shape))
    slots = kn.shape[0]
    if kn.ndim != 2 or kn.shape[1] != NOPE_DIM:
        raise constraint_error(OP, "key_nope_2d", f"shape must be [slots, {NOPE_DIM}]", list(kn.shape))
    if kr.shape != (slots, ROPE_DIM):
        raise constraint_error(OP, "key_rope_2d", f"shape must be [{slots}, {ROPE_DIM}]", list(kr.shape))
    if ks.shape != (slots, SCALE_COUNT):
        raise constraint_error(OP, "k_nope_scales", f"shape must be [{slots}, {SCALE_COUNT}]", list(ks.shape))
    if block_size < 1 or slots % block_size:
        raise constraint_error(OP, "block_size", f"must divide the cache rows {slots}", block_size)
    if table.ndim != 2:
        raise constraint_error(OP, "block_table", "must be 2-D [b, max_blocks]", list(table.shape))
    if int(max_blocknum_perbatch) != table.shape[1]:
        raise constraint_error(
            OP, "max_blocknum_perbatch", f"must equal block_table.shape[1] = {table.shape[1]}", max_blocknum_perbatch
        )
    b = table.shape[0]
    act = as_int_vector(OP, "kv_act_seqs", kv_act_seqs, b)
    if b == 0 or t % b:
        raise constraint_error(OP, "query_nope", f"token count t must be a multiple of b = {b}", t)
    s1 = t // b
    if topk < 1:
        raise constraint_error(OP, "topk", "index width must be >= 1", topk)
    if ind.shape != (t, n_kv * topk):
        raise constraint_error(OP, "topk_indices", f"shape must be [{t}, {n_kv * topk}]", list(ind.shape))
    qrows = query_rows(OP, "BSND", (b, s1), None)
    krows = key_rows(
        OP, "PA_BSND", (slots // block_size, block_size), act, table, b,
        param="kv_act_seqs", layout_param="the cache",
    )
    q_all = np.concatenate([qn.reshape(t, nq, NOPE_DIM), qr.reshape(t, nq, ROPE_DIM)], axis=-1)

    def gather(slot_ids):
        k_nope = dequant_nope(kn[slot_ids], ks[slot_ids], prec)
        return np.concatenate([k_nope, prec.up(kr[slot_ids])], axis=-1), k_nope

    out = sparse_attention(
        lambda row: prec.up(q_all[row]), qrows, krows, ind, 1, CAUSAL, softmax_scale,
        gather, nq, NOPE_DIM, max_entries=topk, prec=prec,
    )
    return out.reshape(b, s1, nq, NOPE_DIM)
